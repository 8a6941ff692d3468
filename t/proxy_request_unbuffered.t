#!/usr/bin/perl
# proxy_request_buffering off: the request body goes upstream as it comes
# (Content-Length bodies as they are, chunked ones re-chunked with
# proxy_http_version 1.1, buffered with 1.0), never to a temp file; a
# try whose body was partly let go is not repeated; the client going
# away, going silent or sending too much mid-body; an upstream answering
# before the body is over; a reload mid-upload; keep-alive upstream
# connections after a streamed body; Expect: 100-continue.
#
# Runs under nginx too (WARDEN_BINARY=/usr/sbin/nginx).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5 qw(md5_hex);
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response dechunk);
use Test::Warden::HTTP qw(start_with req conn read_response is_closed
    log_mark log_since);
use Test::Warden::Backend qw(parse_echo body_pattern);

my $t = Test::Warden->new;
my $nginx = $t->name eq 'nginx';

my $b = Test::Warden::Backend->start(t => $t, port => $t->port(1),
    name => 'b1');
my $nr = Test::Warden::Backend->start(t => $t, port => $t->port(3),
    name => 'noresp', kind => 'no_response');

# a raw upstream the test speaks for itself
my $raw = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $t->port(2), Listen => 16, ReuseAddr => 1)
    or BAIL_OUT("listen: $!");

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    log_format st '$request_uri $status us=$upstream_status';
    access_log logs/access.log st;

    upstream retry { server 127.0.0.1:%%PORT3%%; server 127.0.0.1:%%PORT1%%; }
    upstream refused { server 127.0.0.1:%%PORT4%%; server 127.0.0.1:%%PORT1%%; }
    upstream ka { server 127.0.0.1:%%PORT1%%; keepalive 4; }

    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;
        client_body_buffer_size 8k;
        client_body_temp_path body_temp;
        client_max_body_size 64m;
        client_body_timeout 2s;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_set_header Connection "";

        location /raw/ { proxy_pass http://127.0.0.1:%%PORT2%%; }
        location /b/ { proxy_pass http://127.0.0.1:%%PORT1%%; }
        location /v10/ {
            proxy_http_version 1.0;
            proxy_pass http://127.0.0.1:%%PORT2%%;
        }
        location /buffered/ {
            proxy_request_buffering on;
            proxy_pass http://127.0.0.1:%%PORT2%%;
        }
        location /retry/ { proxy_pass http://retry; }
        location /refused/ { proxy_pass http://refused; }
        location /retrybuf/ {
            proxy_request_buffering on;
            proxy_pass http://retry;
        }
        location /ka/ { proxy_pass http://ka; }
        location /intercept/ {
            proxy_intercept_errors on;
            error_page 503 /b/error;
            proxy_pass http://127.0.0.1:%%PORT2%%;
        }
        location /small/ {
            client_max_body_size 10k;
            proxy_pass http://127.0.0.1:%%PORT2%%;
        }
    }
EOF

# Accepts the proxy's connection on the raw upstream.
sub upstream_conn ($timeout = 5) {
    my $sel = IO::Select->new($raw);
    return undef unless $sel->can_read($timeout);
    my $s = $raw->accept;
    $s->autoflush(1);
    return $s;
}

# Reads from $s into $$buf until $done->($$buf) or the timeout; true if
# done.  EOF ends it too (then $$eof is set).
sub read_until ($s, $buf, $done, $timeout = 5, $eof = undef) {
    my $sel = IO::Select->new($s);
    my $deadline = time + $timeout;
    until ($done->($$buf)) {
        my $left = $deadline - time;
        return 0 if $left <= 0 || !$sel->can_read($left);
        my $n = sysread($s, my $chunk, 65536);
        if (!$n) {
            $$eof = 1 if $eof;
            return $done->($$buf);
        }
        $$buf .= $chunk;
    }
    return 1;
}

sub head_done ($d) { index($d, "\r\n\r\n") >= 0 }

sub split_head ($d) {
    my $i = index($d, "\r\n\r\n");
    return (substr($d, 0, $i + 4), substr($d, $i + 4));
}

sub respond ($s, $body = 'done') {
    print {$s} "HTTP/1.1 200 OK\r\nContent-Length: " . length($body)
        . "\r\n\r\n$body";
}

sub client ($head) {
    my $c = conn($t);
    print {$c} $head;
    return $c;
}

sub access_line ($uri) {
    my $line;
    $t->wait_until(sub {
        ($line) = grep { index($_, "$uri ") == 0 }
            split /\n/, $t->read_file('logs/access.log') // '';
        $line;
    }, timeout => 3);
    return $line // '';
}

subtest 'Content-Length: the first part goes up before the rest is sent' => sub {
    my $body = body_pattern(40000);
    my $c = client("POST /raw/cl HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 40000\r\n\r\n" . substr($body, 0, 10000));
    my $up = upstream_conn();
    ok($up, 'the upstream is connected to at once');
    my $got = '';
    ok(read_until($up, \$got,
        sub ($d) { head_done($d) && length((split_head($d))[1]) >= 10000 }),
        'the head and the first 10000 bytes arrive while the client waits');
    my ($head) = split_head($got);
    like($head, qr/\r\nContent-Length: 40000\r\n/i,
        'with the client\'s Content-Length');
    unlike($head, qr/Transfer-Encoding/i, 'not chunked');

    print {$c} substr($body, 10000);
    ok(read_until($up, \$got,
        sub ($d) { head_done($d) && length((split_head($d))[1]) >= 40000 }),
        'then the rest');
    is(md5_hex((split_head($got))[1]), md5_hex($body), 'the body intact');
    respond($up);
    my $r = read_response($c);
    is($r && $r->{status}, 200, '200 to the client');
    is($r && $r->{body}, 'done', 'the upstream\'s body');
    close $up;
};

subtest 'chunked with HTTP/1.1 upstream: re-chunked as it comes' => sub {
    my $c = client("POST /raw/ch HTTP/1.1\r\nHost: localhost\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    my $up = upstream_conn();
    my $got = '';
    ok(read_until($up, \$got, sub ($d) { $d =~ /hello\r\n/ }),
        'the first chunk arrives before the body is over');
    my ($head, $rest) = split_head($got);
    like($head, qr/\r\nTransfer-Encoding: chunked\r\n/i, 'sent chunked');
    unlike($head, qr/Content-Length/i, 'no Content-Length');
    is($rest, "5\r\nhello\r\n", 'framed as one chunk');

    print {$c} "6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
    ok(read_until($up, \$got, sub ($d) { $d =~ /\r\n0\r\n\r\n\z/ }),
        'the last chunk ends it');
    ($head, $rest) = split_head($got);
    is((dechunk($rest))[0], 'hello world', 'the body intact');
    unlike($rest, qr/ext=|X-T/, 'no client extensions or trailers');
    respond($up);
    is(read_response($c)->{status}, 200, 'answered 200');
    close $up;
};

subtest 'chunked with HTTP/1.0 upstream: buffered, Content-Length' => sub {
    my $c = client("POST /v10/ch HTTP/1.1\r\nHost: localhost\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    my $up = upstream_conn(1);
    ok(!$up, 'nothing goes up before the body is whole');
    print {$c} "0\r\n\r\n";
    $up //= upstream_conn();
    my $got = '';
    ok(read_until($up, \$got,
        sub ($d) { head_done($d) && (split_head($d))[1] eq 'hello' }),
        'then the request');
    like($got, qr/\r\nContent-Length: 5\r\n/i, 'with Content-Length');
    respond($up);
    is(read_response($c)->{status}, 200, 'answered 200');
    close $up;
};

subtest 'proxy_request_buffering on: nothing goes up before the body' => sub {
    my $c = client("POST /buffered/x HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 10\r\n\r\n12345");
    ok(!upstream_conn(1), 'no connection while the body is incomplete');
    print {$c} "67890";
    my $up = upstream_conn();
    ok($up, 'connected once it is whole');
    my $got = '';
    read_until($up, \$got,
        sub ($d) { head_done($d) && length((split_head($d))[1]) >= 10 });
    respond($up);
    is(read_response($c)->{status}, 200, 'answered 200');
    close $up;
};

subtest 'a big body: no temp file, intact, in buffer-sized parts' => sub {
    my $mark = log_mark($t);
    my $big = body_pattern(5 * 1024 * 1024 + 3);
    my $r = req($t, "PUT /b/big HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . 'Content-Length: ' . length($big) . "\r\n\r\n$big", timeout => 30);
    is($r->{status}, 200, 'answered 200');
    my $rec = $b->last_request;
    is($rec->{body_md5}, md5_hex($big), 'body md5 at the backend');
    is($rec->{h}{'content-length'}, length $big, 'Content-Length');
    unlike(log_since($t, $mark), qr/request body is buffered to a temporary file/,
        'no temp file');

    # chunked, 5 MB, in odd pieces
    my @pieces;
    for (my $off = 0; $off < length $big; $off += 65521) {
        my $p = substr($big, $off, 65521);
        push @pieces, sprintf("%x\r\n%s\r\n", length $p, $p);
    }
    $r = req($t, "POST /b/bigch HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n" . join('', @pieces)
        . "0\r\n\r\n", timeout => 30);
    is($r->{status}, 200, 'chunked: 200');
    $rec = $b->last_request;
    ok($rec->{chunked}, 'went up chunked');
    is($rec->{body_md5}, md5_hex($big), 'body md5');
    cmp_ok(scalar @{ $rec->{chunks} }, '>=', 5 * 1024 / 8,
        'in parts of at most the 8k buffer (' . @{ $rec->{chunks} } . ')');
    unlike(log_since($t, $mark), qr/request body is buffered to a temporary file/,
        'no temp file');
};

subtest 'all of the body with the header: sent as one request' => sub {
    my $r = req($t, "POST /b/small HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    is($r->{status}, 200, 'answered 200');
    my $rec = $b->last_request;
    is($rec->{h}{'content-length'}, 3, 'a whole body goes with Content-Length');
    is($rec->{body_length}, 3, 'intact');
};

subtest 'a body partly let go is not sent to the next server' => sub {
    # PUT is idempotent: normally retried.  The first server reads the
    # request and closes without answering.
    my $n1 = $b->request_count;
    my $body = body_pattern(30000);
    my $c = client("PUT /retry/p HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . "Content-Length: 30000\r\n\r\n" . substr($body, 0, 10000));
    sleep 0.3;
    print {$c} substr($body, 10000);
    my $r = read_response($c, timeout => 10);
    is($r && $r->{status}, 502, 'streamed: 502, not retried');
    is($b->request_count, $n1, 'the second server was not asked');
    close $c;       # the request is logged when its connection closes
    like(access_line('/retry/p'), qr/ 502 us=502$/, 'one try logged');

    # with buffering on the same request goes to the second server
    my $r2 = req($t, "PUT /retrybuf/p HTTP/1.1\r\nHost: c\r\n"
        . "Connection: close\r\nContent-Length: 30000\r\n\r\n$body",
        timeout => 10);
    is($r2->{status}, 200, 'buffered: retried, 200');
    is($b->last_request->{body_md5}, md5_hex($body), 'with the whole body');
};

subtest 'a refused server: the part read so far goes to the next one' => sub {
    # port 4 has no listener: the first try fails before anything is sent
    my $body = body_pattern(30000);
    my $c = client("POST /refused/r HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . "Content-Length: 30000\r\n\r\n" . substr($body, 0, 7000));
    sleep 0.3;
    print {$c} substr($body, 7000);
    my $r = read_response($c, timeout => 10);
    is($r && $r->{status}, 200, 'the second server answers');
    is($b->last_request->{body_md5}, md5_hex($body), 'with the whole body');
    close $c;
    like(access_line('/refused/r'), qr/ 200 us=502, 200$/, 'two tries logged');
    $t->expect_log(qr/connect\(\) failed \(111: Connection refused\)/);
};

subtest 'the client goes away mid-body: the upstream connection closes' => sub {
    my $mark = log_mark($t);
    my $c = client("POST /raw/gone HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 1000\r\n\r\n" . ('x' x 100));
    my $up = upstream_conn();
    my $got = '';
    read_until($up, \$got,
        sub ($d) { head_done($d) && length((split_head($d))[1]) >= 100 });
    close $c;
    my $eof;
    read_until($up, \$got, sub ($d) { 0 }, 3, \$eof);
    ok($eof, 'the upstream connection is closed');
    ok($t->wait_until(sub {
        log_since($t, $mark) =~ /client prematurely closed connection/
    }, timeout => 3), 'client prematurely closed connection logged');
    like(access_line('/raw/gone'), qr{ (400|499) }, 'logged as 400/499');
    close $up;
};

subtest 'the client goes silent mid-body: 408 after client_body_timeout' => sub {
    my $c = client("POST /raw/silent HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 1000\r\n\r\n" . ('x' x 100));
    my $up = upstream_conn();
    my $got = '';
    read_until($up, \$got,
        sub ($d) { head_done($d) && length((split_head($d))[1]) >= 100 });
    my $t0 = time;
    my $eof;
    read_until($up, \$got, sub ($d) { 0 }, 5, \$eof);
    ok($eof, 'the upstream connection is closed');
    cmp_ok(time - $t0, ">=", 1.8, "after about the timeout");
    my $r = read_response($c, timeout => 3);
    ok(!$r || $r->{status} == 408, 'no response or 408');
    like(access_line('/raw/silent'), qr{ 408 }, 'logged as 408');
    close $up;
};

subtest 'a chunked body over client_max_body_size mid-stream: 413' => sub {
    my $mark = log_mark($t);
    my $part = sprintf("%x\r\n%s\r\n", 6000, 'y' x 6000);
    my $c = client("POST /small/big HTTP/1.1\r\nHost: localhost\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n$part");
    my $up = upstream_conn();
    my $got = '';
    read_until($up, \$got, sub ($d) { $d =~ /y{6000}\r\n/ });
    ok(head_done($got), 'the first part went up');
    print {$c} $part;
    my $r = read_response($c, timeout => 5);
    is($r && $r->{status}, 413, '413 to the client');
    like(log_since($t, $mark), qr/client intended to send too large chunked body/,
        'logged');
    my $eof;
    read_until($up, \$got, sub ($d) { 0 }, 3, \$eof);
    ok($eof, 'the upstream connection is closed');
    close $up;
};

subtest 'the upstream answers before the body is over' => sub {
    my $c = client("POST /raw/early HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 100000\r\n\r\n" . ('z' x 1000));
    my $up = upstream_conn();
    my $got = '';
    read_until($up, \$got, sub ($d) { head_done($d) });
    print {$up} "HTTP/1.1 413 Too Large\r\nContent-Length: 4\r\n"
        . "Connection: close\r\n\r\nnope";
    my $r = read_response($c, timeout => 5);
    is($r && $r->{status}, 413, 'the upstream\'s answer reaches the client');
    is($r && $r->{body}, 'nope', 'with its body');
    # the client's connection cannot carry another request: the rest of
    # its body was never read
    print {$c} 'z' x 1000;
    ok(is_closed($c, timeout => 8), 'the client connection is closed');
    close $up;
};

subtest 'keep-alive upstream connections after a streamed body' => sub {
    my $c1 = $b->connection_count;
    for my $i (1 .. 3) {
        my $c = client("POST /ka/$i HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
            . "Content-Length: 20000\r\n\r\n" . ('k' x 5000));
        sleep 0.1;
        print {$c} 'k' x 15000;
        my $r = read_response($c, timeout => 5);
        is($r && $r->{status}, 200, "request $i: 200");
        is($b->last_request->{body_length}, 20000, "request $i: whole body");
    }
    is($b->connection_count - $c1, 1, 'one upstream connection for all three');
};

subtest 'requests without a body' => sub {
    my $r = req($t, "GET /b/get HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n");
    is($r->{status}, 200, 'GET: 200');
    ok(!exists $b->last_request->{h}{'content-length'}, 'no Content-Length');
    $r = req($t, "POST /b/empty HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . "Content-Length: 0\r\n\r\n");
    is($r->{status}, 200, 'empty POST: 200');
    is($b->last_request->{h}{'content-length'}, 0, 'Content-Length: 0');
};

subtest 'an intercepted early answer: the error page gets no body' => sub {
    plan skip_all => 'nginx 1.22 leaves this request without an answer'
        if $nginx;
    my $c = client("POST /intercept/x HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 50000\r\n\r\n" . ('e' x 2000));
    my $up = upstream_conn();
    my $got = '';
    read_until($up, \$got, sub ($d) { head_done($d) });
    print {$up} "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy";
    my $r = read_response($c, timeout => 5);
    is($r && $r->{status}, 503, 'the error page\'s answer');
    my $e = $r && parse_echo($r->{body});
    is($e && $e->{uri}, '/b/error', 'from the error_page location');
    is($e && $e->{body_length}, 0, 'which got no part of the body');
    print {$c} 'e' x 48000;
    ok(is_closed($c, timeout => 8), 'the client connection is closed');
    close $up;
};

subtest 'a reload in the middle of a streamed upload' => sub {
    my $body = body_pattern(200000);
    my $c = client("POST /raw/reload HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 200000\r\n\r\n" . substr($body, 0, 50000));
    my $up = upstream_conn();
    my $got = '';
    ok(read_until($up, \$got,
        sub ($d) { head_done($d) && length((split_head($d))[1]) >= 50000 }),
        'the first part went up');
    $t->signal('HUP');
    ok($t->wait_for_log(qr/reconfiguring/), 'reloaded');
    sleep 0.5;      # the old worker is shutting down gracefully
    print {$c} substr($body, 50000);
    ok(read_until($up, \$got,
        sub ($d) { length((split_head($d))[1]) >= 200000 }, 10),
        'the rest went up through the old worker');
    is(md5_hex((split_head($got))[1]), md5_hex($body), 'the body intact');
    respond($up, 'after reload');
    my $r = read_response($c, timeout => 5);
    is($r && $r->{status}, 200, 'answered');
    is($r && $r->{body}, 'after reload', 'with the upstream\'s body');
    close $up;
};

subtest 'Expect: 100-continue' => sub {
    my $c = client("POST /b/expect HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    my $r = read_response($c, timeout => 3);
    is($r && $r->{status}, 100, '100 Continue first');
    print {$c} 'hello';
    $r = read_response($c, timeout => 5);
    is($r && $r->{status}, 200, 'then 200');
    is($b->last_request->{body_length}, 5, 'the body went up');
};

$t->done;
done_testing;
