#!/usr/bin/perl
# The reverse proxy when things go wrong: each kind of broken upstream
# (refused, connect/read/send timeouts, bad status line, garbage, a header
# too big, conflicting framing headers, no response, a reset, a body cut
# short) gives nginx's status and nginx's error-log line; retries under
# proxy_next_upstream (error, timeout, http_5xx/404/429, off,
# non_idempotent, _tries, _timeout); passive health (max_fails,
# fail_timeout), backup, down, max_conns and "no live upstreams"; and a
# client going away (499, proxy_ignore_client_abort).
#
# WARDEN_BINARY=/usr/sbin/nginx runs it against Debian's nginx 1.22; the
# few places where warden follows a later nginx say so (%NGINX_122).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Errno qw(EINPROGRESS);
use IO::Select;
use IO::Socket::INET;
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_REUSEADDR
    pack_sockaddr_in inet_aton);
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(conn read_response is_closed log_mark log_since);
use Test::Warden::Backend qw(body_pattern parse_echo unused_port);

$SIG{PIPE} = 'IGNORE';

my $t = Test::Warden->new;
my $name = $t->name;

# Where Debian's nginx 1.22 answers differently from the nginx warden
# follows (1.23+ rejects duplicate lengths and Content-Length together
# with Transfer-Encoding; every version passes a response without a
# valid status line through as HTTP/0.9, which warden refuses).
my %NGINX_122 = map { $_ => 1 } qw(dup_length cl_te bad_status garbage);
sub differs ($case) { $name eq 'nginx' && $NGINX_122{$case} }

# ---------------------------------------------------------------------------
# Backends

sub backend (%opt) { Test::Warden::Backend->start(t => $t, %opt) }

my $echo = backend(port => $t->port(1), name => 'echo');
my $refused = unused_port();
my $refused2 = unused_port();

# A listener whose accept queue is full: a connect to it is never
# answered (the kernel drops the SYN), which is how a connect timeout can
# be had on 127.0.0.1.
my ($full, @fillers) = full_listener($t->port(2));

# A listener that never accepts: connections complete, nobody reads.
my $deaf = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $t->port(3), Listen => 64, ReuseAddr => 1)
    or BAIL_OUT("listen: $@");

my $ok = backend(port => $t->port(4), name => 'ok', query => 0);
my %stport = (500 => 10, 502 => 11, 503 => 12, 504 => 13, 404 => 14,
    429 => 15);
my %st = map { $_ => backend(port => $t->port($stport{$_}), name => "b$_",
    status => $_) } keys %stport;
my $hang = backend(port => $t->port(5), name => 'hang', kind => 'hang');
my $nores = backend(port => $t->port(6), name => 'nores',
    kind => 'no_response');
my $flaky = backend(port => $t->port(7), name => 'flaky',
    kind => 'no_response');
my $slow = backend(port => $t->port(8), name => 'slow', kind => 'slow',
    delay => 0.5, body_delay => 0);
my $dn = backend(port => $t->port(9), name => 'dn');
my $hang2 = backend(port => $t->port(20), name => 'hang2', kind => 'hang');
my $bk = backend(port => $t->port(21), name => 'bk');
my $flaky2 = backend(port => $t->port(22), name => 'flaky2',
    kind => 'no_response');
my $stream = backend(port => $t->port(23), name => 'stream', size => 20000,
    pieces => 10, body_delay => 0.3, close => 1);
my $hang3 = backend(port => $t->port(24), name => 'hang3', kind => 'hang');
my $slowq = backend(port => $t->port(25), name => 'slowq', delay => 0.6,
    size => 1000, close => 1);

sub full_listener ($port) {
    socket(my $l, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
    setsockopt($l, SOL_SOCKET, SO_REUSEADDR, 1);
    bind($l, pack_sockaddr_in($port, inet_aton('127.0.0.1')))
        or die "bind: $!";
    listen($l, 0) or die "listen: $!";
    my @fill;
    for (1 .. 3) {
        my $s = IO::Socket::INET->new(Proto => 'tcp', Blocking => 0);
        $s->connect(pack_sockaddr_in($port, inet_aton('127.0.0.1')));
        push @fill, $s;
    }
    return ($l, @fill);
}

# Does a connect to the full listener hang (rather than succeed or be
# refused)?
sub connect_hangs ($port) {
    my $s = IO::Socket::INET->new(Proto => 'tcp', Blocking => 0);
    $s->connect(pack_sockaddr_in($port, inet_aton('127.0.0.1')));
    return 0 unless $! == EINPROGRESS;
    return !IO::Select->new($s)->can_write(0.5);
}

# ---------------------------------------------------------------------------
# The server

my ($R, $R2) = ($refused, $refused2);
my $P = sub ($n) { $t->port($n) };

$t->write_config(<<"EOF");
pid logs/warden.pid;
error_log logs/error.log info;
worker_processes 1;
events {}
http {
    log_format up '\$request_uri \$status us=\$upstream_status '
                  'ua=\$upstream_addr';
    access_log logs/access.log up;
    client_max_body_size 64m;
    client_body_buffer_size 64m;

    proxy_connect_timeout 1s;
    proxy_read_timeout 1s;
    proxy_send_timeout 1s;

    upstream u_error   { server 127.0.0.1:$R; server 127.0.0.1:%%PORT4%%; }
    upstream u_timeout { server 127.0.0.1:%%PORT5%%;
                         server 127.0.0.1:%%PORT4%%; }
    upstream u_off     { server 127.0.0.1:$R max_fails=0;
                         server 127.0.0.1:%%PORT4%%; }
    upstream u_post    { server 127.0.0.1:%%PORT6%% max_fails=0;
                         server 127.0.0.1:%%PORT4%% backup; }
    upstream u_post_refused { server 127.0.0.1:$R max_fails=0;
                         server 127.0.0.1:%%PORT4%% backup; }
    upstream u_invalid { server 127.0.0.1:%%PORT1%% max_fails=0;
                         server 127.0.0.1:%%PORT4%% backup; }
    upstream u_tries   { server 127.0.0.1:$R max_fails=0;
                         server 127.0.0.1:$R2 max_fails=0;
                         server 127.0.0.1:%%PORT4%% backup; }
    upstream u_ntimeout { server 127.0.0.1:%%PORT5%% max_fails=0;
                         server 127.0.0.1:%%PORT20%% max_fails=0;
                         server 127.0.0.1:%%PORT4%% backup; }
    upstream u_allfail { server 127.0.0.1:%%PORT10%% max_fails=0;
                         server 127.0.0.1:%%PORT12%% max_fails=0; }
    upstream u_allrefused { server 127.0.0.1:$R; server 127.0.0.1:$R2; }
    upstream u_maxfails { server 127.0.0.1:%%PORT7%% max_fails=1
                              fail_timeout=1s;
                          server 127.0.0.1:%%PORT4%% backup; }
    upstream u_maxfails2 { server 127.0.0.1:%%PORT22%% max_fails=2
                              fail_timeout=10s;
                          server 127.0.0.1:%%PORT4%% backup; }
    upstream u_backup  { server 127.0.0.1:%%PORT4%%;
                         server 127.0.0.1:%%PORT21%% backup; }
    upstream u_down    { server 127.0.0.1:%%PORT9%% down;
                         server 127.0.0.1:%%PORT4%%; }
    upstream u_alldown { server 127.0.0.1:%%PORT9%% down; }
    upstream u_refused_busy { server 127.0.0.1:$R max_fails=0;
                              server 127.0.0.1:%%PORT8%% max_conns=1; }
    upstream u_maxconns { server 127.0.0.1:%%PORT8%% max_conns=1; }
    upstream u_maxconns_bk { server 127.0.0.1:%%PORT8%% max_conns=1;
                             server 127.0.0.1:%%PORT4%% backup; }
@{[ join "\n", map { "    upstream u_$_ { server 127.0.0.1:%%PORT" . $stport{$_}
    . "%% max_fails=0; server 127.0.0.1:%%PORT4%% backup; }" }
    sort keys %st ]}

    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;

        location / { proxy_pass http://127.0.0.1:%%PORT1%%; }
        location /unbuffered/ { proxy_pass http://127.0.0.1:%%PORT1%%;
                                proxy_buffering off; }
        location /refused { proxy_pass http://127.0.0.1:$R; }
        location /connect_timeout { proxy_pass http://127.0.0.1:%%PORT2%%; }
        location /send_timeout { proxy_pass http://127.0.0.1:%%PORT3%%; }

        location /r/error { proxy_pass http://u_error; }
        location /r/timeout { proxy_pass http://u_timeout; }
        location /r/off { proxy_pass http://u_off;
                          proxy_next_upstream off; }
        location /r/post { proxy_pass http://u_post; }
        location /r/post_ni { proxy_pass http://u_post;
                  proxy_next_upstream error timeout non_idempotent; }
        location /r/post_refused { proxy_pass http://u_post_refused; }
        location /r/invalid_header { proxy_pass http://u_invalid;
                  proxy_next_upstream invalid_header; }
        location /r/no_invalid_header { proxy_pass http://u_invalid; }
        location /r/post_file { proxy_pass http://u_post;
                  client_body_buffer_size 16k;
                  proxy_next_upstream error timeout non_idempotent; }
        location /r/tries2 { proxy_pass http://u_tries;
                             proxy_next_upstream_tries 2; }
        location /r/tries3 { proxy_pass http://u_tries;
                             proxy_next_upstream_tries 3; }
        location /r/ntimeout { proxy_pass http://u_ntimeout;
                               proxy_read_timeout 600ms;
                               proxy_next_upstream_timeout 1s; }
        location /r/ntimeout_off { proxy_pass http://u_ntimeout;
                                   proxy_read_timeout 600ms; }
        location /r/allfail { proxy_pass http://u_allfail;
                              proxy_next_upstream http_500 http_503; }
        location /r/allrefused { proxy_pass http://u_allrefused; }
        location /r/maxfails { proxy_pass http://u_maxfails; }
        location /r/maxfails2 { proxy_pass http://u_maxfails2; }
        location /r/backup { proxy_pass http://u_backup; }
        location /r/down { proxy_pass http://u_down; }
        location /r/alldown { proxy_pass http://u_alldown; }
        location /r/refused_busy { proxy_pass http://u_refused_busy; }
        location /r/maxconns { proxy_pass http://u_maxconns; }
        location /r/maxconns_bk { proxy_pass http://u_maxconns_bk; }
@{[ join "\n", map { "        location /r/http_$_ { proxy_pass http://u_$_;
                 proxy_next_upstream http_$_; }
        location /r/no_http_$_ { proxy_pass http://u_$_; }" } sort keys %st ]}

        location /abort { proxy_pass http://127.0.0.1:%%PORT24%%; }
        location /abort_stream { proxy_pass http://127.0.0.1:%%PORT23%%; }
        location /abort_ignored { proxy_pass http://127.0.0.1:%%PORT25%%;
                                  proxy_ignore_client_abort on; }
        location /abort_not_ignored {
            proxy_pass http://127.0.0.1:%%PORT25%%; }
    }
}
EOF

$t->start or BAIL_OUT('cannot start');

# ---------------------------------------------------------------------------
# Helpers

# One HTTP/1.1 request on a new connection (Connection: close): the
# parsed response, with the seconds it took as {took}.
sub fetch ($path, %o) {
    my $method = $o{method} // 'GET';
    my $body = $o{body} // '';
    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n"
        . ($method eq 'POST' ? 'Content-Length: ' . length($body) . "\r\n"
            : '') . "\r\n$body";
    my $start = time;
    my $r = parse_response($t->http($req, timeout => $o{timeout} // 10));
    $r //= {};
    $r->{took} = time - $start;
    return $r;
}

# nginx's error-log line for a request to an upstream.
sub err_re ($msg, $action, $uri, $upstream, %o) {
    my $method = $o{method} // 'GET';
    my $level = $o{level} // 'error';
    return qr{\[\Q$level\E\] \d+#\d+: \*\d+ \Q$msg\E while \Q$action\E, }
        . qr{client: 127\.0\.0\.1, server: localhost, }
        . qr{request: "\Q$method $uri\E HTTP/1\.1", }
        . qr{upstream: "\Qhttp://$upstream$uri\E", host: "localhost"};
}

sub count_lines ($text, $re) { scalar grep { $_ =~ $re } split /\n/, $text }

# Waits a moment for the log to have the line, then counts it.
sub logged ($mark, $re, $n = 1) {
    $t->wait_until(sub { count_lines(log_since($t, $mark), $re) >= $n },
        timeout => 2);
    return count_lines(log_since($t, $mark), $re);
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

sub echo_of ($r) { parse_echo($r->{body}) // {} }

# ---------------------------------------------------------------------------
# A bad upstream: status and log line

subtest 'connect() refused: 502' => sub {
    my $mark = log_mark($t);
    my $r = fetch('/refused');
    is($r->{status}, 502, 'status 502');
    is(logged($mark, err_re('connect() failed (111: Connection refused)',
        'connecting to upstream', '/refused', "127.0.0.1:$refused")), 1,
        'connect() failed (111: Connection refused) logged once');
};

subtest 'proxy_connect_timeout: 504' => sub {
    plan skip_all => 'a connect to a listener with a full accept queue '
        . 'does not hang here' unless connect_hangs($t->port(2));
    my $mark = log_mark($t);
    my $r = fetch('/connect_timeout');
    is($r->{status}, 504, 'status 504');
    ok($r->{took} > 0.8 && $r->{took} < 3, "after about 1 s ($r->{took})");
    is(logged($mark, err_re('upstream timed out (110: Connection timed out)',
        'connecting to upstream', '/connect_timeout',
        '127.0.0.1:' . $t->port(2))), 1, 'upstream timed out logged once');
};

subtest 'proxy_read_timeout: 504' => sub {
    for my $kind (qw(hang slow)) {
        my $mark = log_mark($t);
        my $uri = $kind eq 'hang' ? '/?kind=hang' : '/?kind=slow&delay=3';
        my $r = fetch($uri);
        is($r->{status}, 504, "$kind: status 504");
        ok($r->{took} > 0.8 && $r->{took} < 3,
            "$kind: after about 1 s ($r->{took})");
        is(logged($mark, err_re(
            'upstream timed out (110: Connection timed out)',
            'reading response header from upstream', $uri,
            '127.0.0.1:' . $t->port(1))), 1,
            "$kind: upstream timed out logged once");
    }
};

subtest 'proxy_send_timeout: 504' => sub {
    # 16 MB go to warden, which then sends them to a peer that never
    # reads; the socket buffers fill and the send times out.
    my $body = 'x' x (16 << 20);
    my $mark = log_mark($t);
    my $r = fetch('/send_timeout', method => 'POST', body => $body,
        timeout => 15);
    is($r->{status}, 504, 'status 504');
    is(logged($mark, err_re('upstream timed out (110: Connection timed out)',
        'sending request to upstream', '/send_timeout',
        '127.0.0.1:' . $t->port(3), method => 'POST')), 1,
        'upstream timed out while sending logged once');
};

# [case, uri, status, message, level]
my @bad = (
    ['bad_status', '/?kind=bad_status', 502,
        'upstream sent no valid HTTP/1.0 header'],
    ['garbage', '/?kind=garbage', 502,
        'upstream sent no valid HTTP/1.0 header'],
    ['huge_header', '/?kind=huge_header', 502,
        'upstream sent too big header'],
    ['dup_length', '/?kind=dup_length', 502,
        'upstream sent duplicate header line: "Content-Length: 7", '
        . 'previous value: "Content-Length: 5"'],
    ['cl_te', '/?header=Content-Length:3&header=Transfer-Encoding:chunked',
        502, 'upstream sent "Content-Length" and "Transfer-Encoding" '
        . 'headers at the same time'],
    ['no_response', '/?kind=no_response', 502,
        'upstream prematurely closed connection'],
    ['reset', '/?kind=reset', 502,
        'recv() failed (104: Connection reset by peer)'],
);

for my $case (@bad) {
    my ($id, $uri, $status, $msg) = @$case;
    subtest "$id: $status" => sub {
        plan skip_all => "nginx 1.22 passes this one through" if differs($id);
        my $mark = log_mark($t);
        my $r = fetch($uri);
        is($r->{status}, $status, "status $status");
        is(logged($mark, err_re($msg, 'reading response header from upstream',
            $uri, '127.0.0.1:' . $t->port(1))), 1, 'logged once');
        like(access_line($uri), qr/^\Q$uri\E $status us=502 /,
            'access log: $upstream_status 502');
    };
}

# A body cut short: the client has the header and what came of the body,
# and then the connection closes; an HTTP/1.1 chunked response lacks its
# last chunk, so no client can take it for a whole one.
my $CLOSED = 'upstream prematurely closed connection';
my $TIMED_OUT = 'upstream timed out (110: Connection timed out)';
my @cut = (
    ['close_mid', '/?kind=close_mid', body_pattern(5000), 'content-length'],
    ['truncated_chunked', '/?kind=truncated_chunked', body_pattern(1000),
        'chunked'],
    ['short_body', '/?kind=short_body', "short body\n", 'content-length'],
    # regression: the last bytes and the close came in one read, and the
    # bytes were dropped (or the whole response, header included)
    ['last bytes with the close', '/?kind=short_body&body_delay=0.3',
        "short body\n", 'content-length'],
    ['last chunk with the close',
        '/?kind=truncated_chunked&pieces=1&body_delay=0.3',
        body_pattern(1000), 'chunked'],
    # regression: the header stayed in the filters, the client got nothing
    ['the header, then the close', '/?size=0&length=100', '',
        'content-length'],
    ['proxy_read_timeout in the body', '/?size=100&body_delay=3', '',
        'content-length', $TIMED_OUT],
    ['proxy_read_timeout in a chunked body',
        '/?kind=sse&interval=3&count=2',
        qr/\Aid: 1\nevent: tick\ndata: seq=1 time=[\d.]+\n\n\z/,
        'chunked', $TIMED_OUT],
);

for my $prefix ('', '/unbuffered') {
    for my $case (@cut) {
        my ($id, $uri, $want, $framing, $msg) = @$case;
        my $desc = $prefix ? "$id, proxy_buffering off" : $id;
        subtest "$desc: truncated, closed" => sub {
            my $mark = log_mark($t);
            my $s = conn($t);
            $uri = "$prefix$uri";
            print {$s} "GET $uri HTTP/1.1\r\nHost: localhost\r\n\r\n"
                . "GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n";
            my $r = read_response($s, timeout => 5);
            is($r && $r->{status}, 200, 'status 200 went out');
            if ($framing eq 'chunked') {
                is($r->{headers}{'transfer-encoding'}, 'chunked',
                    'chunked to the client');
                ok($r->{chunked_error}, 'no last chunk'
                    . ($r->{chunked_error} ? " ($r->{chunked_error})" : ''));
            }
            else {
                ok(length($r->{body}) < ($r->{headers}{'content-length'}
                    // 0), 'less than Content-Length');
            }
            ok($r->{closed}, 'connection closed after the body');
            if (ref $want) {
                # nginx's pipe keeps a small buffered piece to the end
                $want = qr/\A(?:$want)?\z/ if $name eq 'nginx' && !$prefix;
                like($r->{body}, $want, 'what the upstream sent was relayed');
            }
            else {
                is(length $r->{body}, length $want,
                    'every byte the upstream sent was relayed');
                ok($r->{body} eq $want, 'the bytes are right');
            }
            ok(!read_response($s, timeout => 1),
                'the pipelined request got no response');
            is(logged($mark, err_re($msg // $CLOSED, 'reading upstream', $uri,
                '127.0.0.1:' . $t->port(1))), 1, ($msg // $CLOSED)
                . ' logged once');
        };
    }
}

# ---------------------------------------------------------------------------
# proxy_next_upstream

subtest 'error (default): refused, then the next peer' => sub {
    my $mark = log_mark($t);
    my $r = fetch('/r/error');
    is($r->{status}, 200, 'status 200');
    is(echo_of($r)->{backend}, 'ok', 'from the second peer');
    is(logged($mark, err_re('connect() failed (111: Connection refused)',
        'connecting to upstream', '/r/error', "127.0.0.1:$refused")), 1,
        'connect() failed logged');
    like(access_line('/r/error'),
        qr{ us=502, 200 ua=127\.0\.0\.1:$refused, 127\.0\.0\.1:${\ $t->port(4)}$},
        'access log: both tries');
};

subtest 'timeout (default): a hanging peer, then the next' => sub {
    my $mark = log_mark($t);
    my $r = fetch('/r/timeout');
    is($r->{status}, 200, 'status 200');
    is(echo_of($r)->{backend}, 'ok', 'from the second peer');
    ok($r->{took} > 0.8, "after the read timeout ($r->{took})");
    is(logged($mark, err_re('upstream timed out (110: Connection timed out)',
        'reading response header from upstream', '/r/timeout',
        '127.0.0.1:' . $t->port(5))), 1, 'upstream timed out logged');
    like(access_line('/r/timeout'), qr{ us=504, 200 }, 'access log: 504, 200');
};

for my $code (sort keys %st) {
    subtest "http_$code" => sub {
        my $r = fetch("/r/no_http_$code");
        is($r->{status}, $code, "not listed: the $code goes to the client");
        is($r->{headers}{'x-backend'}, "b$code", "from b$code");
        $r = fetch("/r/http_$code");
        is($r->{status}, 200, "http_$code: the next peer's 200");
        is(echo_of($r)->{backend}, 'ok', 'from the backup');
        like(access_line("/r/http_$code"), qr{ us=$code, 200 },
            "access log: $code, 200");
    };
}

subtest 'off' => sub {
    my $mark = log_mark($t);
    $ok->clear;
    my $r = fetch('/r/off');
    is($r->{status}, 502, 'status 502');
    is($ok->request_count, 0, 'the second peer was not tried');
    is(logged($mark, qr/connect\(\) failed/), 1, 'connect() failed logged');
};

subtest 'non_idempotent' => sub {
    $ok->clear;
    $nores->clear;
    my $r = fetch('/r/post', method => 'POST', body => 'data');
    is($r->{status}, 502, 'POST sent, no response: 502');
    is($nores->request_count, 1, 'the first peer had it');
    is($ok->request_count, 0, 'not sent again');
    $r = fetch('/r/post', method => 'GET');
    is($r->{status}, 200, 'GET in the same place: retried');
    $ok->clear;
    $r = fetch('/r/post_ni', method => 'POST', body => 'data');
    is($r->{status}, 200, 'with non_idempotent: retried, 200');
    is(echo_of($r)->{method} . ' ' . echo_of($r)->{body}, 'POST data',
        'the POST and its body reached the next peer');
    $r = fetch('/r/post_refused', method => 'POST', body => 'data');
    is($r->{status}, 200, 'POST refused before it was sent: retried');
};

subtest 'invalid_header' => sub {
    SKIP: {
        skip 'nginx 1.22 takes a bad status line for HTTP/0.9', 3
            if differs('bad_status');
        my $r = fetch('/r/no_invalid_header?kind=bad_status');
        is($r->{status}, 502, 'not listed: 502');
        $r = fetch('/r/invalid_header?kind=bad_status');
        is($r->{status}, 200, 'listed: the next peer\'s 200');
        is(echo_of($r)->{backend}, 'ok', 'from the backup');
    }
    my $r = fetch('/r/invalid_header?kind=huge_header');
    is(echo_of($r)->{backend}, 'ok', 'too big a header: the backup');
};

subtest 'a request body from a temporary file goes again whole' => sub {
    $ok->clear;
    my $body = body_pattern(1 << 20);
    my $r = fetch('/r/post_file', method => 'POST', body => $body);
    is($r->{status}, 200, 'retried POST: 200');
    my $req = $ok->last_request;
    is($req && $req->{body_length}, length $body, 'whole body at the backup');
    ok($req && $req->{body} eq $body, 'the same bytes');
};

subtest 'proxy_next_upstream_tries' => sub {
    my $mark = log_mark($t);
    my $r = fetch('/r/tries2');
    is($r->{status}, 502, 'tries 2: two refused peers, 502');
    is(logged($mark, qr/connect\(\) failed/, 2), 2, 'two connects failed');
    like(access_line('/r/tries2'), qr{ us=502, 502 ua=}, 'access log');
    $r = fetch('/r/tries3');
    is($r->{status}, 200, 'tries 3: the backup answers');
};

subtest 'proxy_next_upstream_timeout' => sub {
    my $r = fetch('/r/ntimeout');
    is($r->{status}, 504, '1 s: two 0.6 s timeouts, then 504');
    ok($r->{took} > 1 && $r->{took} < 2, "after two tries ($r->{took})");
    like(access_line('/r/ntimeout'), qr{ us=504, 504 ua=},
        'access log: two tries');
    $r = fetch('/r/ntimeout_off');
    is($r->{status}, 200, 'no limit: the third try answers');
};

subtest 'every peer fails: the last one\'s answer' => sub {
    my $r = fetch('/r/allfail');
    is($r->{status}, 503, 'status 503, the last peer\'s');
    is($r->{headers}{'x-backend'}, 'b503', 'its own response');
    like(access_line('/r/allfail'), qr{ us=500, 503 }, 'access log: 500, 503');
    my $mark = log_mark($t);
    $r = fetch('/r/allrefused');
    is($r->{status}, 502, 'two refused peers: 502');
    is(logged($mark, qr/connect\(\) failed/, 2), 2, 'both logged');
};

subtest 'no live upstreams' => sub {
    # u_allrefused's peers were just disabled (max_fails=1, 10 s)
    my $mark = log_mark($t);
    my $r = fetch('/r/allrefused');
    is($r->{status}, 503, 'status 503 (nginx: 502)');
    is(logged($mark, err_re('no live upstreams', 'connecting to upstream',
        '/r/allrefused', 'u_allrefused')), 1, 'no live upstreams logged');
    is(count_lines(log_since($t, $mark), qr/connect\(\) failed/), 0,
        'no connect tried');

    $mark = log_mark($t);
    $dn->clear;
    $r = fetch('/r/alldown');
    is($r->{status}, 503, 'the only server is down: 503');
    is(logged($mark, err_re('no live upstreams', 'connecting to upstream',
        '/r/alldown', 'u_alldown')), 1, 'no live upstreams logged');
    is($dn->request_count, 0, 'the down server was not asked');

    # a try failed, then nobody is left: that try's answer stands
    my $s = conn($t);
    print {$s} "GET /r/refused_busy HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    sleep 0.2;      # the slow peer (max_conns=1) is now busy
    $mark = log_mark($t);
    $r = fetch('/r/refused_busy');
    is($r->{status}, 502, 'refused, then no live upstream: 502');
    is(logged($mark, qr/connect\(\) failed/), 1, 'the refusal logged');
    is(logged($mark, qr/no live upstreams/), 1, 'then no live upstreams');
    is(read_response($s)->{status}, 200, 'the busy one: 200');
};

subtest 'down' => sub {
    $dn->clear;
    my @r = map { fetch('/r/down') } 1 .. 4;
    is(scalar(grep { ($_->{status} // 0) == 200 } @r), 4, 'four 200s');
    is($dn->request_count, 0, 'the down server had none');
};

subtest 'backup' => sub {
    $bk->clear;
    my @r = map { fetch('/r/backup') } 1 .. 4;
    is(scalar(grep { echo_of($_)->{backend} eq 'ok' } @r), 4,
        'the primary answered all');
    is($bk->request_count, 0, 'the backup had none');
    $ok->stop;
    my $r = fetch('/r/backup');
    is($r->{status}, 200, 'primary gone: 200');
    is(echo_of($r)->{backend}, 'bk', 'from the backup');
    $ok->restart;
};

subtest 'max_fails=1 fail_timeout=1s' => sub {
    $flaky->clear;
    my $mark = log_mark($t);
    my $r = fetch('/r/maxfails');
    is($r->{status}, 200, 'first: flaky fails, the backup answers');
    is($flaky->request_count, 1, 'flaky tried');
    is(logged($mark, err_re('upstream server temporarily disabled',
        'reading response header from upstream', '/r/maxfails',
        '127.0.0.1:' . $t->port(7), level => 'warn')), 1,
        'upstream server temporarily disabled logged');
    $r = fetch('/r/maxfails') for 1 .. 3;
    is($r->{status}, 200, 'then: 200');
    is($flaky->request_count, 1, 'flaky left alone for the fail_timeout');
    sleep 2.2;
    $r = fetch('/r/maxfails');
    is($r->{status}, 200, 'after the fail_timeout: 200');
    is($flaky->request_count, 2, 'flaky tried again');
};

subtest 'max_fails=2' => sub {
    $flaky2->clear;
    my $mark = log_mark($t);
    fetch('/r/maxfails2') for 1 .. 4;
    is($flaky2->request_count, 2, 'tried twice, then left alone');
    is(logged($mark, qr/upstream server temporarily disabled/), 1,
        'disabled once, at the second failure');
};

subtest 'max_conns' => sub {
    # slow answers after 0.5 s; a second request meanwhile finds it full
    my $mark = log_mark($t);
    my $s = conn($t);
    print {$s} "GET /r/maxconns HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    sleep 0.3;
    my $r = fetch('/r/maxconns');
    is($r->{status}, 503, 'second while the first is busy: 503');
    is(logged($mark, err_re('no live upstreams', 'connecting to upstream',
        '/r/maxconns', 'u_maxconns')), 1, 'no live upstreams logged');
    $r = read_response($s);
    is($r->{status}, 200, 'the first: 200');

    $s = conn($t);
    print {$s} "GET /r/maxconns_bk HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    sleep 0.3;
    $r = fetch('/r/maxconns_bk');
    is($r->{status}, 200, 'with a backup: 200');
    is(echo_of($r)->{backend}, 'ok', 'from the backup');
    is(read_response($s)->{headers}{'x-backend'}, 'slow',
        'the first from the primary');
    $r = fetch('/r/maxconns');
    is($r->{status}, 200, 'free again: 200');
};

# ---------------------------------------------------------------------------
# The client goes away

subtest 'client closes while waiting for the header: 499' => sub {
    $hang3->clear;
    my $mark = log_mark($t);
    my $s = conn($t);
    print {$s} "GET /abort HTTP/1.1\r\nHost: localhost\r\n\r\n";
    $hang3->wait_requests(1);
    my $closed_at = time;
    close $s;
    my @c = $hang3->wait_closed(count => 1, timeout => 3);
    ok(@c && $c[0]{closed}, 'the upstream connection was closed');
    ok(@c && $c[0]{closed} && $c[0]{closed} - $closed_at < 0.8,
        'at once, not at the read timeout');
    like(access_line('/abort'), qr{^/abort 499 us=- }, 'access log: 499, '
        . 'no $upstream_status');
    is(logged($mark, err_re('epoll_wait() reported that client '
        . 'prematurely closed connection, so upstream connection is closed '
        . 'too', 'sending request to upstream', '/abort',
        '127.0.0.1:' . $t->port(24), level => 'info')), 1,
        'client prematurely closed connection logged');
};

subtest 'client closes mid-body' => sub {
    $stream->clear;
    my $s = conn($t);
    print {$s} "GET /abort_stream HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my $buf = '';
    sysread($s, $buf, 65536) until $buf =~ /\r\n\r\n/;
    my $closed_at = time;
    close $s;
    my @c = $stream->wait_closed(count => 1, timeout => 4);
    ok(@c && $c[0]{closed} && ($c[0]{by} // '') ne 'server',
        'the upstream connection was closed before the body ended ('
        . ($c[0]{by} // 'open') . ')');
    ok(@c && $c[0]{closed} && $c[0]{closed} - $closed_at < 2,
        'soon after the client went');
    # the status went out already: nginx logs it, not 499
    like(access_line('/abort_stream'), qr{^/abort_stream 200 us=200 },
        'access log: 200, as sent');
};

subtest 'proxy_ignore_client_abort' => sub {
    for my $ignore (0, 1) {
        my $uri = $ignore ? '/abort_ignored' : '/abort_not_ignored';
        $slowq->clear;
        my $s = conn($t);
        print {$s} "GET $uri HTTP/1.1\r\nHost: localhost\r\n\r\n";
        $slowq->wait_requests(1);
        close $s;
        my @c = $slowq->wait_closed(count => 1, timeout => 3);
        my $line = access_line($uri);
        if ($ignore) {
            is($c[0]{by}, 'server', 'on: the upstream sent it all');
            like($line, qr{^\Q$uri\E \d+ us=200 }, 'on: $upstream_status 200');
        }
        else {
            isnt($c[0]{by}, 'server', 'off: cut ('
                . ($c[0]{by} // 'open') . ')');
            like($line, qr{^\Q$uri\E 499 }, 'off: 499');
        }
    }
};

ok(fetch('/')->{status} == 200, 'still serving');

$t->done;
close $_ for @fillers;
done_testing;
