#!/usr/bin/perl
# Request bodies. To a location that does not read the body ("return"),
# a Content-Length or chunked body is discarded and the connection stays
# usable; client_max_body_size (Content-Length), Expect: 100-continue,
# trickled and stalled bodies. What needs a module that reads the body
# (chunked 413, client_body_timeout's 408, spilling to temp files) runs
# through proxy_pass and is skipped until the binary has proxy.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with get req conn read_response
    read_responses is_closed serves log_mark log_since log_once
    bad_request);

my $t = Test::Warden->new;
my $prefix = $t->prefix;
my $has_proxy = $t->has_module('http_proxy');

# Port 9 is reserved but nothing listens there: the proxied requests end
# in 502 once their body is read, which is all these tests need.
my $proxy_server = $has_proxy ? <<'EOF' : '';
    server {
        listen 127.0.0.1:%%PORT1%%;
        client_max_body_size 10;
        client_body_timeout 1s;
        client_body_buffer_size 1k;
        client_body_temp_path body_temp;
        location / { proxy_pass http://127.0.0.1:%%PORT9%%; }
        location /spill/ {
            client_max_body_size 1m;
            proxy_pass http://127.0.0.1:%%PORT9%%;
        }
        location /fileonly/ {
            client_max_body_size 1m;
            client_body_in_file_only on;
            proxy_pass http://127.0.0.1:%%PORT9%%;
        }
    }
EOF
$t->port(9);

start_with($t, <<"EOF") or BAIL_OUT('cannot start');
    server {
        listen 127.0.0.1:%%PORT0%%;
        client_max_body_size 10;
        lingering_timeout 1s;
        location / { return 200 "ok \$uri\\n"; }
        location /big/ { client_max_body_size 1m; return 200 "big \$uri\\n"; }
        location /unlimited/ {
            client_max_body_size 0;
            return 200 "unlimited \$uri\\n";
        }
    }
$proxy_server
EOF

# Connection: close unless the caller says otherwise.
sub post ($path, $body, %h) {
    $h{Connection} //= 'close';
    my $req = "POST $path HTTP/1.1\r\nHost: localhost\r\n";
    $req .= "Content-Length: " . length($body) . "\r\n"
        unless exists $h{'Transfer-Encoding'};
    $req .= "$_: $h{$_}\r\n" for sort keys %h;
    return "$req\r\n$body";
}

sub chunked (@chunks) {
    return join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } @chunks)
        . "0\r\n\r\n";
}

my $next = "GET /next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

sub two_responses ($desc, $first) {
    my $s = conn($t);
    print {$s} $first . $next;
    my @r = read_responses($s, 2, timeout => 3);
    is(scalar @r, 2, "$desc: two responses");
    is($r[0] && $r[0]{status}, 200, "$desc: first is 200");
    is($r[1] && "$r[1]{status} $r[1]{body}", "200 ok /next\n",
        "$desc: the pipelined request is intact");
}

subtest 'discarded bodies' => sub {
    my @ka = (Connection => 'keep-alive');
    two_responses('Content-Length', post('/a', 'abcdefghij', @ka));
    two_responses('empty Content-Length', post('/a', '', @ka));
    two_responses('chunked', post('/a', chunked('hello', 'world'),
        'Transfer-Encoding' => 'chunked', @ka));
    two_responses('chunked with extensions and trailers',
        post('/a', "5;name=value\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n",
            'Transfer-Encoding' => 'chunked', @ka));
    two_responses('100 KB Content-Length', post('/big/a', 'x' x 100_000, @ka));
    two_responses('1 MB in 1000 chunks',
        post('/big/a', chunked(('y' x 1000) x 1000),
            'Transfer-Encoding' => 'chunked', @ka));
    two_responses('client_max_body_size 0: no limit',
        post('/unlimited/a', 'z' x 2_000_000, @ka));
};

subtest 'client_max_body_size' => sub {
    my $r = req($t, post('/a', '0123456789'));
    is($r->{status}, 200, 'Content-Length at the limit: 200');
    $r = bad_request($t, 'Content-Length over the limit',
        post('/a', '0123456789X'), 413,
        qr/\[error\] \d+#\d+: \*\d+ client intended to send too large body: 11 bytes, client: 127\.0\.0\.1, server: , request: "POST \/a HTTP\/1\.1", host: "localhost"$/);
    like($r->{body}, qr{<title>413 Request Entity Too Large</title>}, '413 page');
    is($r->{headers}{connection}, 'close', '413: Connection: close');
    $r = bad_request($t, 'huge Content-Length, no body sent',
        "POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 999999999999\r\n\r\n",
        413, qr/client intended to send too large body: 999999999999 bytes/);
};

subtest 'Expect: 100-continue' => sub {
    my $s = conn($t);
    print {$s} "POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
        . "Expect: 100-continue\r\n\r\n";
    my $r = read_response($s, timeout => 3);
    is($r && $r->{status}, 100, '100 Continue first');
    print {$s} "hello$next";
    $r = read_response($s);
    is($r && "$r->{status} $r->{body}", "200 ok /a\n", 'then the response');
    $r = read_response($s);
    is($r && "$r->{status} $r->{body}", "200 ok /next\n", 'next request');

    $s = conn($t);
    print {$s} "POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50\r\n"
        . "Expect: 100-continue\r\n\r\n";
    $r = read_response($s, timeout => 3);
    is($r && $r->{status}, 413, 'too large: 413 without 100 Continue');

    $s = conn($t);
    print {$s} "POST /a HTTP/1.0\r\nContent-Length: 5\r\n"
        . "Expect: 100-continue\r\n\r\nhello";
    $r = read_response($s, timeout => 3);
    is($r && $r->{status}, 200, 'HTTP/1.0: no 100 Continue');
};

subtest 'trickled and stalled bodies' => sub {
    my $s = conn($t);
    $s->setsockopt(6, 1, 1);
    print {$s} "POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n";
    my $r = read_response($s, timeout => 3);
    is($r && $r->{status}, 200, 'response before the body arrives');
    for my $c (split //, '0123456789') {
        syswrite $s, $c;
        sleep 0.1;
    }
    print {$s} $next;
    $r = read_response($s, timeout => 3);
    is($r && "$r->{status} $r->{body}", "200 ok /next\n",
        'trickled body discarded, next request served');

    $s = conn($t);
    print {$s} "POST /big/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc";
    $r = read_response($s, timeout => 3);
    is($r && $r->{status}, 200, 'stalled body: response sent');
    my $start = time;
    ok(is_closed($s, timeout => 4), 'stalled body: connection closed');
    ok(time - $start < 3, 'within about lingering_timeout');
    ok(serves($t), 'still serving');
};

SKIP: {
    skip 'needs a module that reads the body (proxy)', 4 unless $has_proxy;
    my $p1 = $t->port(1);
    $t->expect_log(qr/connect\(\) failed/);

    subtest 'chunked body over client_max_body_size' => sub {
        bad_request($t, 'chunked over the limit',
            post('/a', chunked('01234', '56789X'), 'Transfer-Encoding' => 'chunked'),
            413, qr/\[error\] .*client intended to send too large chunked body: 5\+6 bytes/,
            port => $p1, serves => {});
    };

    subtest 'client_body_timeout' => sub {
        my $mark = log_mark($t);
        my $s = conn($t, port => $p1);
        print {$s} "POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc";
        my $start = time;
        my $r = read_response($s, timeout => 4);
        ok(!$r || $r->{status} == 408, 'no response or 408');
        ok(time - $start < 3, 'closed after about 1 s');
        # nginx writes no error-log line for this; the access log has 408.
        unlike(log_since($t, $mark), qr/\[(?:alert|crit|error)\]/,
            'timeout: no error logged');
        SKIP: {
            skip 'no access log', 1 unless -e "$prefix/logs/access.log";
            ok($t->wait_for_log(qr{"POST /a HTTP/1\.1" 408 },
                file => 'logs/access.log', timeout => 3), '408 in the access log');
        }
        ok(serves($t), 'still serving');
    };

    subtest 'body buffered to a temporary file' => sub {
        my $mark = log_mark($t);
        my $r = req($t, post('/spill/a', 'b' x 5000), port => $p1);
        is($r->{status}, 502, 'read, then the upstream is down');
        log_once($t, $mark,
            qr/\[warn\] .*a client request body is buffered to a temporary file \Q$prefix\E\/body_temp\/\d+/,
            'spilled body');
    };

    subtest 'client_body_in_file_only on' => sub {
        my $r = req($t, post('/fileonly/a', 'c' x 100), port => $p1);
        is($r->{status}, 502, 'read, then the upstream is down');
        my @files = grep { -f } glob "$prefix/body_temp/*";
        ok(@files >= 1, 'the body file is kept');
        ok((grep { -s $_ == 100 } @files), 'with the whole body');
    };
}

$t->done;
done_testing;
