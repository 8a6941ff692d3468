#!/usr/bin/perl
# Bad input: malformed request lines, versions, header names and line
# ends, NUL, request-smuggling shapes (CL+TE, duplicate CL, odd
# Transfer-Encoding, bad chunk sizes), oversized lines and header
# sections, slow clients (client_header_timeout, send_timeout), path
# traversal and the alias off-by-slash, running out of worker_connections.
# Each: the right status (or a clean close), one log line at the right
# level, and the worker still serving.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config start_with get req conn
    read_response is_closed serves log_mark log_since log_once bad_request);

my $t = Test::Warden->new;
my $nginx = $t->name eq 'nginx';
my $prefix = $t->prefix;

$t->write_file('html/index.html', "index\n");
$t->write_file('x/in.txt', "inside\n");
$t->write_file('secret.txt', "SECRET\n");
$t->write_file('html/big.bin', 'z' x (20 * 1024 * 1024));

my $servers = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;
        root html;
        client_header_timeout 1s;
        send_timeout 1s;
        location /r { return 200 "ok\n"; }
        location /h { return 200 "<$http_x_foo>\n"; }
        location /files { alias %%PREFIX%%/x/; }
    }
    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name small;
        client_header_buffer_size 100;
        large_client_header_buffers 2 1k;
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name under;
        underscores_in_headers on;
        location / { return 200 "<$http_x_foo>\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT3%%;
        server_name noignore;
        ignore_invalid_headers off;
        location / { return 200 "<$http_x_foo>\n"; }
    }
EOF
start_with($t, $servers) or BAIL_OUT('cannot start');

my $line = 'while reading client request line';
my $hdrs = 'while reading client request headers';
sub info ($msg) { qr/\[info\] \d+#\d+: \*\d+ \Q$msg\E/ }

subtest 'request line' => sub {
    bad_request($t, 'lowercase method', "get /r HTTP/1.0\r\n\r\n", 400,
        info("client sent invalid method $line"));
    bad_request($t, 'garbage method', "\x01\x02\x03 /r HTTP/1.0\r\n\r\n", 400,
        info("client sent invalid method $line"));
    bad_request($t, 'NUL in the method', "G\0ET /r HTTP/1.0\r\n\r\n", 400,
        info("client sent invalid method $line"));
    bad_request($t, 'NUL in the URI', "GET /r\0x HTTP/1.0\r\n\r\n", 400,
        info("client sent invalid request $line"));
    bad_request($t, 'bad protocol name', "GET /r HTTX/1.0\r\n\r\n", 400,
        info("client sent invalid request $line"));
    bad_request($t, 'bare CR ends the request line',
        "GET /r HTTP/1.0\rHost: a\r\n\r\n", 400,
        info("client sent invalid request $line"));
    if ($nginx) {
        is(req($t, "GET  /r  HTTP/1.0\r\n\r\n")->{status}, 200,
            'nginx accepts extra spaces in the request line');
    }
    else {    # RFC 9112 3: single SP
        bad_request($t, 'extra spaces in the request line',
            "GET  /r  HTTP/1.0\r\n\r\n", 400,
            info("client sent invalid request $line"));
    }
    is(req($t, "FOO /r HTTP/1.0\r\n\r\n")->{status}, 200,
        'an unknown method is not a syntax error');
};

subtest 'versions' => sub {
    my $raw = $t->http("GET /r\r\n");
    is($raw, "ok\n", 'no version: HTTP/0.9, body only');
    my $mark = log_mark($t);
    $raw = $t->http("POST /r\r\n");
    unlike($raw, qr/^HTTP\//, 'HTTP/0.9 POST: no status line');
    like($raw, qr{<title>400 Bad Request</title>}, 'HTTP/0.9 POST: 400 page');
    log_once($t, $mark, info("client sent invalid method in HTTP/0.9 request $line"),
        'HTTP/0.9 POST');
    for my $v ('2.0', '3.0') {
        my $r = bad_request($t, "HTTP/$v", "GET /r HTTP/$v\r\nHost: a\r\n\r\n", 505,
            info("client sent invalid version $line"));
        like($r->{body}, qr{<title>505 HTTP Version Not Supported</title>},
            "HTTP/$v: 505 page");
    }
    my $r = req($t, "GET /r HTTP/1.2\r\nHost: a\r\nConnection: close\r\n\r\n");
    is("$r->{status} $r->{body}", "200 ok\n", 'HTTP/1.2 is served as 1.1');
    bad_request($t, 'HTTP/1.2 without Host',
        "GET /r HTTP/1.2\r\nConnection: close\r\n\r\n", 400,
        info(qq{client sent HTTP/1.1 request without "Host" header $hdrs}));
};

subtest 'header lines' => sub {
    my $invalid = sub ($shown) {
        info(qq{client sent invalid header line: "$shown..." $hdrs});
    };
    bad_request($t, 'space in a header name',
        "GET /h HTTP/1.0\r\nX Y: z\r\n\r\n", 400, $invalid->('X\x20'));
    bad_request($t, 'space before the colon',
        "GET /h HTTP/1.0\r\nX-Foo : sp\r\n\r\n", 400, $invalid->('X-Foo\x20'));
    bad_request($t, 'control byte in a header name',
        "GET /h HTTP/1.0\r\nX\x01Y: z\r\n\r\n", 400, $invalid->('X\x01'));
    bad_request($t, 'NUL in a header name',
        "GET /h HTTP/1.0\r\nX-F\0oo: ab\r\n\r\n", 400, $invalid->('X-F\x00'));
    bad_request($t, 'NUL in a header value',
        "GET /h HTTP/1.0\r\nX-Foo: a\0b\r\n\r\n", 400, $invalid->('X-Foo: a\x00'));
    bad_request($t, 'bare CR in a header value',
        "GET /h HTTP/1.0\r\nX-Foo: a\rb\r\n\r\n", 400, $invalid->('X-Foo: a\x0d'));
    bad_request($t, 'obs-fold',
        "GET /h HTTP/1.0\r\nX-Foo: a\r\n b\r\n\r\n", 400, $invalid->('\x20'));
    bad_request($t, 'empty header name',
        "GET /h HTTP/1.0\r\n: empty\r\n\r\n", 400, $invalid->('\x3a'));
    if ($nginx) {
        is(req($t, "GET /h HTTP/1.0\r\nNoColon\r\n\r\n")->{status}, 200,
            'nginx accepts a header line without a colon');
    }
    else {    # RFC 9112 5: field-line = field-name ":" ...
        bad_request($t, 'header line without a colon',
            "GET /h HTTP/1.0\r\nNoColon\r\n\r\n", 400,
            qr/\[info\] .*client sent invalid header line/);
    }

    my $r = req($t, "GET /h HTTP/1.0\nX-Foo: lf\n\n");
    is("$r->{status} $r->{body}", "200 <lf>\n", 'bare LF line ends are accepted');
    $r = req($t, "GET /h HTTP/1.0\r\nX-Foo:   spaced   \r\n\r\n");
    is($r->{body}, "<spaced>\n", 'spaces around a value are trimmed');

    my $mark = log_mark($t);
    $r = req($t, "GET /h HTTP/1.0\r\nX_Foo: under\r\n\r\n");
    is("$r->{status} $r->{body}", "200 <>\n", 'underscore: header ignored');
    log_once($t, $mark, info(qq{client sent invalid header line: "X_Foo: under" $hdrs}),
        'underscore');
    $mark = log_mark($t);
    $r = req($t, "GET /h HTTP/1.0\r\nX\@Foo: at\r\n\r\n");
    is("$r->{status} $r->{body}", "200 <>\n", 'invalid name character: ignored');
    log_once($t, $mark, info(qq{client sent invalid header line: "X\@Foo: at" $hdrs}),
        'invalid name character');

    $r = req($t, "GET / HTTP/1.0\r\nX_Foo: under\r\n\r\n", port => $t->port(2));
    is("$r->{status} $r->{body}", "200 <under>\n", 'underscores_in_headers on');
    $mark = log_mark($t);
    $r = req($t, "GET / HTTP/1.0\r\nX\@Foo: at\r\nX_Foo: u\r\n\r\n",
        port => $t->port(3));
    is("$r->{status} $r->{body}", "200 <u>\n",
        'ignore_invalid_headers off: names passed through');
    sleep 0.3;
    unlike(log_since($t, $mark), qr/invalid header line/,
        'ignore_invalid_headers off: nothing logged');
    bad_request($t, 'ignore_invalid_headers off: a space in a name is still 400',
        "GET / HTTP/1.0\r\nX Y: z\r\n\r\n", 400,
        qr/\[info\] .*client sent invalid header line/, port => $t->port(3));
    bad_request($t, 'ignore_invalid_headers off: a control byte is still 400',
        "GET / HTTP/1.0\r\nX\x01Y: z\r\n\r\n", 400,
        qr/\[info\] .*client sent invalid header line/, port => $t->port(3));
};

sub post11 ($headers, $body = '') {
    return "POST /r HTTP/1.1\r\nHost: a\r\n$headers\r\n$body";
}

subtest 'Content-Length and Transfer-Encoding' => sub {
    bad_request($t, 'Content-Length and Transfer-Encoding',
        post11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "5\r\nhello\r\n0\r\n\r\n"), 400,
        info(qq{client sent "Content-Length" and "Transfer-Encoding" headers at the same time $hdrs}));
    bad_request($t, 'two different Content-Lengths',
        post11("Content-Length: 5\r\nContent-Length: 6\r\n", 'hello!'), 400,
        info(qq{client sent duplicate header line: "Content-Length: 6", previous value: "Content-Length: 5" $hdrs}));
    bad_request($t, 'two identical Content-Lengths',
        post11("Content-Length: 5\r\nContent-Length: 5\r\n", 'hello'), 400,
        info(qq{client sent duplicate header line: "Content-Length: 5", previous value: "Content-Length: 5" $hdrs}));
    for my $cl ('-5', '99999999999999999999', '5x', '+5', '0x5', '') {
        bad_request($t, "Content-Length: '$cl'",
            post11("Content-Length: $cl\r\n", 'hello'), 400,
            info(qq{client sent invalid "Content-Length" header $hdrs}));
    }
    bad_request($t, 'two Transfer-Encodings',
        post11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "0\r\n\r\n"), 400,
        info(qq{client sent duplicate header line: "Transfer-Encoding: chunked", previous value: "Transfer-Encoding: chunked" $hdrs}));
    for my $te ('chunked, identity', 'xchunked', 'identity', 'gzip, chunked') {
        bad_request($t, "Transfer-Encoding: $te",
            post11("Transfer-Encoding: $te\r\n", "0\r\n\r\n"), 501,
            info(qq{client sent unknown "Transfer-Encoding": "$te" $hdrs}));
    }
    my $r = req($t, post11("Transfer-Encoding: CHUNKED\r\nConnection: close\r\n",
        "5\r\nhello\r\n0\r\n\r\n"));
    is($r->{status}, 200, 'Transfer-Encoding: CHUNKED (case-insensitive)');
    if ($nginx) {
        # nginx keeps a leading tab in the value.
        bad_request($t, 'Transfer-Encoding: <TAB>chunked',
            post11("Transfer-Encoding:\tchunked\r\nConnection: close\r\n",
                "0\r\n\r\n"), 501,
            info(qq{client sent unknown "Transfer-Encoding": "\tchunked" $hdrs}));
    }
    else {    # RFC 9110 5.5: OWS (SP / HTAB) is not part of the value
        $r = req($t, post11("Transfer-Encoding:\tchunked\r\nConnection: close\r\n",
            "5\r\nhello\r\n0\r\n\r\n"));
        is($r->{status}, 200, 'Transfer-Encoding: <TAB>chunked');
    }
    bad_request($t, 'HTTP/1.0 with Transfer-Encoding',
        "POST /r HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
        info(qq{client sent HTTP/1.0 request with "Transfer-Encoding" header $hdrs}));
};

subtest 'chunk sizes' => sub {
    my $bad = qr/\[error\] \d+#\d+: \*\d+ client sent invalid chunked body, client: 127\.0\.0\.1/;
    for my $size ('-5', 'ffffffffffffffffffff', 'zz', '0x5', ' 5', '') {
        bad_request($t, "chunk size '$size'",
            post11("Transfer-Encoding: chunked\r\n",
                "$size\r\nhello\r\n0\r\n\r\n"), 400, $bad);
    }
    bad_request($t, 'chunk longer than its size',
        post11("Transfer-Encoding: chunked\r\n", "3\r\nhello\r\n0\r\n\r\n"),
        400, $bad);
    my $r = req($t, post11("Transfer-Encoding: chunked\r\nConnection: close\r\n",
        "0005\r\nhello\r\n00\r\n\r\n"));
    is($r->{status}, 200, 'leading zeros are fine');
};

subtest 'sizes' => sub {
    my $r = bad_request($t, '100 KB request line',
        'GET /' . ('a' x 100_000) . " HTTP/1.0\r\n\r\n", 414,
        info("client sent too long URI $line"));
    like($r->{body}, qr{<title>414 Request-URI Too Large</title>}, '414 page');
    $r = bad_request($t, '100 KB header line',
        "GET /r HTTP/1.0\r\nX-Long: " . ('b' x 100_000) . "\r\n\r\n", 400,
        info('client sent too long header line: "X-Long: bbbb'));
    like($r->{body}, qr{<title>400 Request Header Or Cookie Too Large</title>},
        '494 page with status 400');
    $r = bad_request($t, '10,000 headers',
        "GET /r HTTP/1.0\r\n" . join('', map { "X-H$_: v\r\n" } 1 .. 10_000)
        . "\r\n", 400,
        qr/\[info\] .*client sent (?:too many header lines|too long header line|too large request)/);
    like($r->{body}, qr{<title>400 Request Header Or Cookie Too Large</title>},
        '10,000 headers: 494 page');

    my $p1 = $t->port(1);
    is(req($t, 'GET /' . ('a' x 900) . " HTTP/1.0\r\n\r\n", port => $p1)->{status},
        200, 'large_client_header_buffers 2 1k: 900-byte URI fits');
    bad_request($t, 'large_client_header_buffers 2 1k: 1100-byte URI',
        'GET /' . ('a' x 1100) . " HTTP/1.0\r\n\r\n", 414,
        info("client sent too long URI $line"), port => $p1);
    is(req($t, "GET / HTTP/1.0\r\nX-L: " . ('a' x 900) . "\r\n\r\n",
        port => $p1)->{status}, 200, '900-byte header fits');
    bad_request($t, 'large_client_header_buffers 2 1k: 1100-byte header',
        "GET / HTTP/1.0\r\nX-L: " . ('a' x 1100) . "\r\n\r\n", 400,
        info('client sent too long header line: "X-L: aaaa'), port => $p1);
    bad_request($t, 'large_client_header_buffers 2 1k: three 800-byte headers',
        "GET / HTTP/1.0\r\n"
        . join('', map { "X-L$_: " . ('a' x 800) . "\r\n" } 1 .. 3) . "\r\n",
        400, info('client sent too long header line: "X-L3: aaaa'), port => $p1);
};

subtest 'slow clients' => sub {
    my $mark = log_mark($t);
    my $s = conn($t);
    my $start = time;
    print {$s} "GET /r HTTP/1.1\r\nHost: localhost\r\n";
    my $closed_at;
    while (time - $start < 4) {
        last unless defined syswrite($s, "X-A: b\r\n");
        if (is_closed($s, timeout => 0.3)) { $closed_at = time - $start; last }
    }
    ok(defined $closed_at, 'slowloris: connection closed');
    ok(($closed_at // 99) < 2, 'within about client_header_timeout, '
        . 'although bytes kept coming (' . ($closed_at // 'never') . ' s)');
    ok($t->wait_for_log(qr/\[info\] .*client timed out \(110: Connection timed out\) \Q$hdrs\E/,
        timeout => 2), 'slowloris: "client timed out" at info');
    SKIP: {
        skip 'no access log', 1 unless -e "$prefix/logs/access.log";
        ok($t->wait_for_log(qr/"GET \/r HTTP\/1\.1" 408 /, file => 'logs/access.log',
            timeout => 2), '408 in the access log');
    }

    $s = conn($t);
    $start = time;
    ok(is_closed($s, timeout => 3), 'idle connection closed');
    ok(time - $start < 2, 'after about client_header_timeout');
    ok(serves($t), 'still serving');

    $mark = log_mark($t);
    $s = conn($t);
    $s->setsockopt(SOL_SOCKET, SO_RCVBUF, 4096);
    print {$s} "GET /big.bin HTTP/1.0\r\n\r\n";
    ok($t->wait_until(sub { log_since($t, $mark)
        =~ /\[info\] .*client timed out \(110: Connection timed out\) while sending response to client/ },
        timeout => 8), 'a client that never reads: send_timeout');
    ok(serves($t), 'still serving');
    close $s;
};

subtest 'path traversal' => sub {
    for my $case (['/../secret.txt', 400], ['/%2e%2e/secret.txt', 400],
        ['/%2e%2e%2fsecret.txt', 400], ['/a/../../secret.txt', 400],
        ['/..%5csecret.txt', 404], ['/index.html%00.txt', 400],
        ['/files/../secret.txt', 404], ['/files/%2e%2e/secret.txt', 404],
        ['../secret.txt', 400], ['/%2e%2e', 400])
    {
        my ($uri, $status) = @$case;
        my $r = req($t, "GET $uri HTTP/1.0\r\n\r\n");
        is($r->{status}, $status, "$uri: $status");
        unlike($r->{body}, qr/SECRET/, "$uri: nothing outside the root");
    }
    is(get($t, '/files/in.txt')->{body}, "inside\n", 'alias serves its directory');
    my $mark = log_mark($t);
    my $r = get($t, '/files../secret.txt');
    if ($nginx) {
        # The known alias off-by-slash misconfiguration: nginx serves the
        # parent of the alias directory.
        is("$r->{status} $r->{body}", "200 SECRET\n",
            'nginx: /files../secret.txt escapes the alias');
    }
    else {
        is($r->{status}, 404, 'alias off-by-slash: 404');
        unlike($r->{body}, qr/SECRET/, 'alias off-by-slash: nothing outside');
        log_once($t, $mark, qr/\[error\] .*"\/files\.\.\/secret\.txt" leaves the alias "\Q$prefix\E\/x\/"/,
            'alias off-by-slash');
    }
};

subtest 'worker_connections' => sub {
    $t->stop;
    my $mark = log_mark($t);
    $t->write_config(http_config($t, <<'EOF', events => 'worker_connections 10;'));
    server {
        listen 127.0.0.1:%%PORT0%%;
        location / { return 200 "ok\n"; }
    }
EOF
    $t->start or return;
    $t->expect_log(qr/worker_connections are not enough/);
    my @socks = grep { defined } map { conn($t) } 1 .. 30;
    is(scalar @socks, 30, '30 connections made (the backlog takes them)');
    sleep 0.5;
    my $closed = grep { is_closed($_, timeout => 0.05) } @socks;
    ok($closed >= 15, "some refused ($closed of 30 closed at once)");
    ok($t->wait_for_log(qr/\[(?:warn|alert)\] \d+#\d+: 10 worker_connections are not enough/,
        timeout => 2), "logged: worker_connections are not enough");
    close $_ for @socks;
    sleep 0.3;
    ok($t->wait_until(sub { serves($t) }, timeout => 3), 'served after they close');
    ok(scalar($t->worker_pids) >= 1, 'worker alive');
};

$t->done;
done_testing;
