#!/usr/bin/perl
# The response the proxy relays: status line and headers (in order, Date
# and Server, proxy_pass_header, proxy_hide_header), the X-Accel-*
# headers and proxy_ignore_headers, proxy_intercept_errors, proxy_redirect
# (Location and Refresh), proxy_cookie_domain and proxy_cookie_path, the
# body's framing (Content-Length, chunked, close-delimited; to HTTP/1.1
# and HTTP/1.0 clients; HEAD, 204, 304), the $upstream_* and $proxy_*
# variables in the access log (also across a retry), $upstream_trailer_*
# and a bad trailer section, and 1 MiB bodies with proxy_buffering on and
# off, to fast and slow clients.
#
# Runs under nginx too (WARDEN_BINARY=/usr/sbin/nginx).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5 qw(md5_hex);
use IO::Select;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response dechunk);
use Test::Warden::HTTP qw(start_with get req conn read_response);
use Test::Warden::Backend qw(parse_echo body_pattern unused_port);

my $t = Test::Warden->new;
my $name = $t->name;
my $nginx = $name eq 'nginx';

my $b = Test::Warden::Backend->start(t => $t, port => $t->port(1),
    name => 'b1');
my $h = Test::Warden::Backend->start(t => $t, port => $t->port(3),
    name => 'h', handler => sub ($req) {
        return { status => 200, reason => 'Fine Thanks', body => "r\n" }
            if $req->{path} eq '/reason';
        return { status => 299, body => "odd\n" } if $req->{path} eq '/odd';
        my %raw = (
            '/noreason' => "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
            '/early' => "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                . "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            '/trailer' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                . "Trailer: X-T\r\n\r\n2\r\nok\r\n0\r\nX-T: v\r\n\r\n",
            '/odd-headers' => "HTTP/1.1 200 OK\r\nX-Empty:\r\n"
                . "X-Nospace:b\r\nX-Tab:\t t \r\nContent-Length: 2\r\n\r\nok",
            # two fields, whitespace around a value, a bare LF
            '/trailers' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                . "\r\n2\r\nok\r\n0\r\nX-Checksum:\t abc123 \r\n"
                . "x-other: two words\n\r\n",
            '/bad-chunk' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                . "\r\n\r\n2\r\nokX\r\n0\r\n\r\n",
            '/bad-trailer' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                . "\r\n\r\n2\r\nok\r\n0\r\nX-Checksum abc\r\n\r\n",
            # the first server of "tretry": a 500 to retry, with trailers
            '/tretry/r' => "HTTP/1.1 500 Internal Server Error\r\n"
                . "Transfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n"
                . "X-Checksum: stale\r\nX-Other: stale\r\n\r\n",
        );
        return { raw => $raw{ $req->{path} } } if $raw{ $req->{path} };
        return undef;
    });
my $h2 = Test::Warden::Backend->start(t => $t, port => $t->port(4),
    name => 'h2', handler => sub ($req) {
        return { chunked => 1, body => 'ok',
            trailers => ['X-Checksum' => 'fresh'] };
    });
my $bp = $b->port;
my $p0 = $t->port(0);
$t->port(9);    # nothing listens there: a refused connection

$t->write_file('html/files/f.txt', "accel file\n");
$t->write_file('html/err.html', "intercepted\n");

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    log_format up '$uri|$upstream_addr|$upstream_status|'
                  '$upstream_response_time|$upstream_connect_time|'
                  '$upstream_header_time|$upstream_response_length|'
                  '$upstream_bytes_sent|$upstream_bytes_received|'
                  '$upstream_http_x_foo|$proxy_host|$proxy_port|$status|'
                  '$upstream_trailer_x_checksum|$upstream_trailer_x_other';

    upstream retry {
        server 127.0.0.1:%%PORT9%%;
        server 127.0.0.1:%%PORT1%%;
    }

    upstream tretry {
        server 127.0.0.1:%%PORT3%%;
        server 127.0.0.1:%%PORT4%%;
    }

    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;
        root html;
        access_log logs/up.log up;

        location / { proxy_pass http://127.0.0.1:%%PORT1%%; }
        location /h/ { proxy_pass http://127.0.0.1:%%PORT3%%/; }
        location /pass/ {
            proxy_pass_header Server;
            proxy_pass_header Date;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /hide/ {
            proxy_hide_header X-Secret;
            proxy_hide_header Cache-Control;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /ign/ {
            proxy_ignore_headers X-Accel-Redirect X-Accel-Limit-Rate;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /files/ { internal; }
        location @named { return 200 "named $uri\n"; }
        location /icpt/ {
            proxy_intercept_errors on;
            error_page 404 /err.html;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location = /err.html { }

        location /a/ { proxy_pass http://127.0.0.1:%%PORT1%%/x/; }
        location /off/ {
            proxy_redirect off;
            proxy_pass http://127.0.0.1:%%PORT1%%/x/;
        }
        location /expl/ {
            proxy_redirect http://up.example/ /e/;
            proxy_redirect ~^http://[^/]+/r/(.*)$ /rr/$1;
            proxy_redirect ~*^HTTP://CASE\.example(/.*)$ http://other.example$1;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /cookie/ {
            proxy_cookie_domain up.example $host;
            proxy_cookie_domain ~^(\w+)\.re\.example$ $1.localhost;
            proxy_cookie_path /x/ /cookie/;
            proxy_cookie_path ~^/r/(.*)$ /rr/$1;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }

        location /retry/ { proxy_pass http://retry; }
        location /tretry/ {
            proxy_next_upstream error http_500;
            proxy_pass http://tretry;
        }
        location /buf/ {
            proxy_buffering on;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /nobuf/ {
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name localhost;
        proxy_cookie_domain srv.example s.example;
        proxy_cookie_path /srv/ /s/;
        location / { proxy_pass http://127.0.0.1:%%PORT1%%; }
    }
EOF

# "header=Name:value" query parameters, escaped.
sub hq (@pairs) {
    my @q;
    while (my ($n, $v) = splice @pairs, 0, 2) {
        my $s = "$n:$v";
        $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
        push @q, "header=$s";
    }
    return join '&', @q;
}

# Header names of a raw response head, in order.
sub names_of ($res) {
    return [map { /^([^:]+):/ ? $1 : () }
        split /\r\n/, $res->{raw_headers} // ''];
}

sub get11 ($path, @h) {
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n";
    while (my ($k, $v) = splice @h, 0, 2) { $req .= "$k: $v\r\n" }
    return "$req\r\n";
}

# ---------------------------------------------------------------------------
# Status line and headers

subtest 'status line' => sub {
    my $r = req($t, "GET /status/404 HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n");
    like($r->{raw_headers}, qr{\AHTTP/1\.1 404 Not Found\r\n},
        'HTTP/1.1 404 Not Found');
    ok(parse_echo($r->{body}), 'with the backend\'s body');
    $r = get($t, '/status/503');
    like($r->{raw_headers}, qr{\AHTTP/1\.1 503 Service Unavailable\r\n},
        'HTTP/1.0 client: 503 Service Unavailable');
    $r = get($t, '/h/reason');
    like($r->{raw_headers}, qr{\AHTTP/1\.1 200 Fine Thanks\r\n},
        'the upstream\'s reason phrase');
    $r = get($t, '/h/odd');
    like($r->{raw_headers}, qr{\AHTTP/1\.1 299 Unknown\r\n},
        'an unknown status with its reason');
    is($r->{body}, "odd\n", 'and its body');
};

subtest 'headers in order, Date and Server' => sub {
    my $q = hq('X-A' => 1, 'x-b' => 'two words', 'X-A' => 3,
        Server => 'backend/1.0', Date => 'Mon, 01 Jan 2001 00:00:00 GMT',
        'Cache-Control' => 'no-store', 'X-Secret' => 's');
    my $r = get($t, "/p?$q");
    is($r->{status}, 200, 'status 200');
    my @n = grep { /^(?:X-A|x-b|Cache-Control|X-Secret)$/ }
        @{ names_of($r) };
    is_deeply(\@n, ['X-A', 'x-b', 'X-A', 'Cache-Control', 'X-Secret'],
        'upstream headers in order and case');
    is_deeply($r->{headers}{'x-a'}, [1, 3], 'repeated header twice');
    is($r->{headers}{'x-b'}, 'two words', 'value intact');
    like($r->{headers}{server}, qr/^\Q$name\E/, "Server: ${name}'s own");
    isnt($r->{headers}{date}, 'Mon, 01 Jan 2001 00:00:00 GMT',
        'Date: its own');
    like($r->{headers}{date}, qr/^\w{3}, \d\d \w{3} \d{4} /, 'Date present');
    is(scalar(grep { lc eq 'server' } @{ names_of($r) }), 1, 'one Server');
    is(scalar(grep { lc eq 'date' } @{ names_of($r) }), 1, 'one Date');
    is($r->{headers}{'x-backend'}, 'b1', 'X-Backend passed');

    $r = get($t, "/pass/p?$q");
    is($r->{headers}{server}, 'backend/1.0', 'proxy_pass_header Server');
    is($r->{headers}{date}, 'Mon, 01 Jan 2001 00:00:00 GMT',
        'proxy_pass_header Date');
    is(scalar(grep { lc eq 'server' } @{ names_of($r) }), 1, 'one Server');

    $r = get($t, "/hide/p?$q");
    ok(!exists $r->{headers}{'x-secret'}, 'proxy_hide_header X-Secret');
    ok(!exists $r->{headers}{'cache-control'},
        'proxy_hide_header Cache-Control');
    is_deeply($r->{headers}{'x-a'}, [1, 3], 'others passed');

    $r = get($t, '/p?' . hq('X-Accel-Expires' => 10, 'X-Pad' => 'p',
        'X-Accel-Charset' => 'utf-8', 'X-Accel-Buffering' => 'yes',
        'X-Accel-Limit-Rate' => 'off', 'X-Ok' => 1));
    is_deeply([grep { /^X-(?:Accel|Pad|Ok)/ } @{ names_of($r) }], ['X-Ok'],
        'X-Accel-* and X-Pad not passed');
};

subtest 'unusual upstream answers' => sub {
    my $r = get($t, '/h/noreason');
    like($r->{raw_headers}, qr{\AHTTP/1\.1 200\r\n},
        'status line without a reason');
    is($r->{body}, 'ok', 'and its body');
    $r = get($t, '/h/odd-headers');
    ok(exists $r->{headers}{'x-empty'} && $r->{headers}{'x-empty'} eq '',
        'an empty header value passed');
    is("$r->{headers}{'x-nospace'}|$r->{headers}{'x-tab'}", 'b|t',
        'values without the whitespace around them');
    $r = req($t, get11('/h/trailer', Connection => 'close'));
    my ($body, $tr, $err) = dechunk($r->{body});
    ok(!$err && $body eq 'ok', 'chunked body with trailers: re-chunked');
    SKIP: {
        skip 'nginx 1.22 passes a stale Trailer header', 1 if $nginx;
        ok(!exists $r->{headers}{trailer}, 'Trailer (hop-by-hop) not passed');
    }
    SKIP: {
        skip 'nginx 1.22 takes a 103 for the final response', 2 if $nginx;
        $r = get($t, '/h/early');
        like($r->{raw_headers}, qr{\AHTTP/1\.1 200 OK\r\n},
            '103 Early Hints skipped: the final 200');
        is($r->{body}, 'ok', 'with its body');
    }
};

# ---------------------------------------------------------------------------
# X-Accel-*

subtest 'X-Accel-Redirect' => sub {
    my $start = time;
    my $r = get($t, '/p?' . hq('X-Accel-Redirect' => '/files/f.txt',
        'X-Foo' => 'upstream', 'Set-Cookie' => 'k=v',
        'Content-Type' => 'text/x-up', 'Cache-Control' => 'no-cache',
        'Content-Disposition' => 'inline'));
    is($r->{status}, 200, 'to a local file: 200');
    is($r->{body}, "accel file\n", 'its content');
    ok(time - $start < 2, 'the connection closes after it');
    is($r->{headers}{'content-length'}, 11, 'the file\'s Content-Length');
    ok(!exists $r->{headers}{'x-accel-redirect'}, 'header not passed');
    ok(!exists $r->{headers}{'x-foo'} && !exists $r->{headers}{'x-backend'},
        'the upstream\'s other headers are not passed');
    is(join(' ', map { $r->{headers}{$_} // '-' }
        qw(set-cookie content-type cache-control content-disposition)),
        'k=v text/x-up no-cache inline',
        'Set-Cookie, Content-Type, Cache-Control, Content-Disposition kept');
    is(get($t, '/files/f.txt')->{status}, 404, 'the location is internal');

    my $s = conn($t);
    print {$s} get11('/p?' . hq('X-Accel-Redirect' => '/files/f.txt'))
        . get11('/p?' . hq('X-Accel-Redirect' => '@named'))
        . get11('/after', Connection => 'close');
    my @r = map { read_response($s) } 1 .. 3;
    is(join('|', map { $_ ? $_->{body} : 'none' } @r[0, 1]),
        "accel file\n|named /p\n", 'keep-alive: two redirected responses');
    is($r[2] && parse_echo($r[2]{body}) && parse_echo($r[2]{body})->{uri},
        '/after', 'and the next request on the connection');

    $r = get($t, '/p?' . hq('X-Accel-Redirect' => '@named'));
    is("$r->{status} $r->{body}", "200 named /p\n", 'to a named location');

    $r = req($t, "HEAD /p?" . hq('X-Accel-Redirect' => '/files/f.txt')
        . " HTTP/1.0\r\n\r\n");
    ok($r->{status} == 200 && $r->{body} eq ''
        && ($r->{headers}{'content-length'} // '') eq '11',
        'HEAD: the file\'s header, no body');

    $r = get($t, '/ign/p?' . hq('X-Accel-Redirect' => '/files/f.txt'));
    ok(parse_echo($r->{body}), 'proxy_ignore_headers: the upstream body');
    ok(!exists $r->{headers}{'x-accel-redirect'}, 'still not passed');
};

subtest 'X-Accel-Limit-Rate, X-Accel-Buffering' => sub {
    my $start = time;
    my $r = get($t, '/size/40000?' . hq('X-Accel-Limit-Rate' => 20000),
        timeout => 10);
    my $slow = time - $start;
    ok($r->{body} eq body_pattern(40000), 'limited: body intact');
    ok($slow >= 0.8, sprintf('limited to 20000 B/s: %.2f s', $slow));
    $start = time;
    $r = get($t, '/ign/l?size=40000&' . hq('X-Accel-Limit-Rate' => 20000));
    ok($r->{body} eq body_pattern(40000), 'ignored: body intact');
    ok(time - $start < 0.6,
        sprintf('proxy_ignore_headers: %.2f s', time - $start));

    # a slow body with buffering off reaches the client piece by piece
    my $s = conn($t);
    print {$s} "GET /buf/p?size=300&pieces=3&body_delay=0.3&"
        . hq('X-Accel-Buffering' => 'no') . " HTTP/1.0\r\n\r\n";
    my ($data, $first, $sel) = ('', undef, IO::Select->new($s));
    $start = time;
    while ($sel->can_read(5)) {
        my $n = sysread($s, $data, 65536, length $data) or last;
        $first //= time - $start if $data =~ /\r\n\r\n.+/s;
    }
    my $all = time - $start;
    $r = parse_response($data);
    ok($r->{body} eq body_pattern(300), 'X-Accel-Buffering: no: body intact');
    ok(!exists $r->{headers}{'x-accel-buffering'}, 'header not passed');
    ok(defined $first && $all - $first >= 0.4,
        sprintf('first body bytes at %.2f s, the last at %.2f s',
            $first // -1, $all));
};

subtest 'proxy_intercept_errors' => sub {
    my $r = get($t, '/icpt/s?status=404');
    is($r->{status}, 404, 'intercepted 404: status kept');
    is($r->{body}, "intercepted\n", 'error_page 404 /err.html served');
    ok(!exists $r->{headers}{'x-backend'}, 'no upstream headers');
    $r = get($t, '/icpt/s?status=500');
    is($r->{status}, 500, 'no error_page for 500: passed');
    ok(parse_echo($r->{body}), 'with the upstream body');
    $r = get($t, '/status/404');
    ok(parse_echo($r->{body}), 'intercept off: the upstream\'s 404 body');
};

# ---------------------------------------------------------------------------
# proxy_redirect

subtest 'proxy_redirect' => sub {
    my $up = "http://127.0.0.1:$bp";
    my $r = get($t, '/a/r?' . hq(Location => "$up/x/foo?a=b"));
    is($r->{headers}{location}, "http://localhost:$p0/a/foo?a=b",
        'default: the proxy_pass URL becomes the location');
    $r = get($t, '/r?' . hq(Location => "$up/foo"));
    is($r->{headers}{location}, "http://localhost:$p0/foo",
        'default without a URI part: the URL and "/" becomes "/"');
    $r = get($t, '/a/r?' . hq(Refresh => "5; url=$up/x/bar"));
    is($r->{headers}{refresh}, '5; url=/a/bar', 'default: Refresh too');
    $r = get($t, '/a/r?' . hq(Location => 'http://elsewhere.example/x/f'));
    is($r->{headers}{location}, 'http://elsewhere.example/x/f',
        'no match: unchanged');
    $r = get($t, '/a/r?' . hq(Location => '/x/rel'));
    is($r->{headers}{location}, '/x/rel', 'relative, no match: unchanged');
    $r = get($t, '/off/r?' . hq(Location => "$up/x/foo"));
    is($r->{headers}{location}, "$up/x/foo", 'off: unchanged');

    $r = get($t, '/expl/r?' . hq(Location => 'http://up.example/p/q'));
    is($r->{headers}{location}, "http://localhost:$p0/e/p/q",
        'explicit: prefix replaced');
    $r = get($t, '/expl/r?' . hq(Location => 'http://any.example/r/s/t'));
    is($r->{headers}{location}, "http://localhost:$p0/rr/s/t",
        'regex with a capture');
    $r = get($t, '/expl/r?' . hq(Location => 'http://case.EXAMPLE/c'));
    is($r->{headers}{location}, 'http://other.example/c', '~* caseless');
    $r = get($t, '/expl/r?' . hq(Refresh => '0;URL=http://up.example/z'));
    is($r->{headers}{refresh}, '0;URL=/e/z', 'Refresh: explicit');
    $r = get($t, '/expl/s?status=301&' . hq(Location => 'http://up.example/m'));
    is("$r->{status} $r->{headers}{location}",
        "301 http://localhost:$p0/e/m", '301 with Location');
};

subtest 'proxy_cookie_domain, proxy_cookie_path' => sub {
    my $r = get($t, '/cookie/c?' . hq(
        'Set-Cookie' => 'a=1; Domain=up.example; Path=/x/sub; HttpOnly',
        'Set-Cookie' => 'b=2; domain=.UP.example; path=/r/deep',
        'Set-Cookie' => 'c=3; Domain=other.example; Path=/y/',
        'Set-Cookie' => 'd=4; Domain=www.re.example',
        'Set-Cookie' => 'e=5'));
    is_deeply($r->{headers}{'set-cookie'}, [
            'a=1; Domain=localhost; Path=/cookie/sub; HttpOnly',
            'b=2; domain=.localhost; path=/rr/deep',
            'c=3; Domain=other.example; Path=/y/',
            'd=4; Domain=www.localhost',
            'e=5',
        ], 'Domain and Path rewritten, each Set-Cookie apart');

    $r = get($t, '/p?' . hq('Set-Cookie' => 'f=6; Domain=srv.example; '
        . 'Path=/srv/x'), port => $t->port(2));
    is($r->{headers}{'set-cookie'}, 'f=6; Domain=s.example; Path=/s/x',
        'server-level rules inherited by the location');
};

# ---------------------------------------------------------------------------
# Body framing

subtest 'body framing' => sub {
    my $pat = body_pattern(100000);
    my $s = conn($t);
    print {$s} get11('/cl?size=100000');
    my $r = read_response($s);
    is($r->{headers}{'content-length'}, 100000, 'Content-Length passed');
    ok($r->{body} eq $pat, 'body intact');

    print {$s} get11('/ch?chunked=1&chunk_size=7000&size=100000');
    $r = read_response($s);
    is($r->{headers}{'transfer-encoding'}, 'chunked',
        'chunked upstream, HTTP/1.1 client: chunked');
    ok(!exists $r->{headers}{'content-length'}, 'no Content-Length');
    ok($r->{body} eq $pat && !$r->{chunked_error}, 'body intact');

    print {$s} get11('/cd?length=none&size=100000');
    $r = read_response($s);
    is($r->{headers}{'transfer-encoding'}, 'chunked',
        'close-delimited upstream, HTTP/1.1 client: chunked');
    ok($r->{body} eq $pat && !$r->{chunked_error}, 'body intact');

    print {$s} "HEAD /size/50 HTTP/1.1\r\nHost: localhost\r\n\r\n";
    $r = read_response($s, head => 1);
    is("$r->{status} " . ($r->{headers}{'content-length'} // 'none'),
        '200 50', 'HEAD: Content-Length of the GET');
    print {$s} "HEAD /hc?chunked=1&size=500 HTTP/1.1\r\nHost: localhost\r\n\r\n";
    $r = read_response($s, head => 1);
    is($r->{status}, 200, 'HEAD to a chunked resource');

    print {$s} get11('/status/204');
    $r = read_response($s);
    is($r->{status}, 204, 'status 204');
    ok(!exists $r->{headers}{'content-length'}
        && !exists $r->{headers}{'transfer-encoding'}, '204: no framing');
    print {$s} get11('/status/304');
    $r = read_response($s);
    is($r->{status}, 304, 'status 304');
    ok(!exists $r->{headers}{'transfer-encoding'}, '304: not chunked');
    print {$s} get11('/after', Connection => 'close');
    $r = read_response($s);
    is(parse_echo($r->{body}) && parse_echo($r->{body})->{uri}, '/after',
        'the connection is intact after HEAD, 204 and 304 (no stray body)');
    close $s;

    for my $case (['chunked', 'chunked=1&chunk_size=6000'],
        ['close-delimited', 'length=none'])
    {
        my $raw = $t->http("GET /10?$case->[1]&size=100000 HTTP/1.0\r\n"
            . "Host: localhost\r\n\r\n");
        $r = parse_response($raw);
        ok(!exists $r->{headers}{'transfer-encoding'}
            && !exists $r->{headers}{'content-length'},
            "$case->[0] upstream, HTTP/1.0 client: no framing header");
        is($r->{headers}{connection}, 'close', 'Connection: close');
        ok($r->{body} eq $pat, 'body intact up to the close');
    }

    $r = parse_response($t->http("GET /trunc?kind=short_body HTTP/1.1\r\n"
        . "Host: localhost\r\n\r\n"));
    ok(length($r->{body}) < 100, 'short upstream body: not padded');
};

# ---------------------------------------------------------------------------
# Variables

sub log_lines () {
    return split /\n/, $t->read_file('logs/up.log') // '';
}

sub log_line_for ($uri) {
    $t->wait_until(sub { grep { /^\Q$uri\E\|/ } log_lines() }, timeout => 3);
    my ($l) = reverse grep { /^\Q$uri\E\|/ } log_lines();
    return [split /\|/, $l // '', -1];
}

# The size of a request the backend got, without a body.
sub request_size ($rec) {
    return length("$rec->{request_line}\r\n")
        + 2 + length(join '', map { "$_->[0]: $_->[1]\r\n" }
            @{ $rec->{headers} });
}

subtest '$upstream_* and $proxy_* variables' => sub {
    my $r = get($t, '/vars/x?size=1000&' . hq('X-Foo' => 'bar'));
    is($r->{status}, 200, 'proxied');
    my $sent = request_size($b->last_request);
    my $f = log_line_for('/vars/x');
    is($f->[1], "127.0.0.1:$bp", '$upstream_addr');
    is($f->[2], 200, '$upstream_status');
    like($f->[3], qr/^\d+\.\d{3}$/, '$upstream_response_time');
    like($f->[4], qr/^\d+\.\d{3}$/, '$upstream_connect_time');
    like($f->[5], qr/^\d+\.\d{3}$/, '$upstream_header_time');
    ok($f->[4] <= $f->[5] && $f->[5] <= $f->[3],
        'connect <= header <= response time');
    is($f->[6], 1000, '$upstream_response_length');
    is($f->[7], $sent, '$upstream_bytes_sent: the request\'s size');
    my $head = length($r->{raw_headers});
    ok($f->[8] > 1000 && $f->[8] < 1000 + $head + 200,
        "\$upstream_bytes_received: $f->[8]");
    is($f->[9], 'bar', '$upstream_http_x_foo');
    is($f->[10], "127.0.0.1:$bp", '$proxy_host');
    is($f->[11], $bp, '$proxy_port');

    $r = get($t, '/vars/ch?chunked=1&chunk_size=300&size=1000');
    $f = log_line_for('/vars/ch');
    is($f->[6], 1032,
        '$upstream_response_length: chunked, with the framing (as nginx)');

    $r = get($t, '/retry/r');
    is($r->{status}, 200, 'retry: the second server answers');
    $f = log_line_for('/retry/r');
    my $p9 = $t->port(9);
    is($f->[1], "127.0.0.1:$p9, 127.0.0.1:$bp", '$upstream_addr: A, B');
    is($f->[2], '502, 200', '$upstream_status: 502, 200');
    like($f->[3], qr/^\d+\.\d{3}, \d+\.\d{3}$/,
        '$upstream_response_time: two');
    like($f->[4], qr/^-, \d+\.\d{3}$/,
        '$upstream_connect_time: -, T (the first never connected)');
    like($f->[5], qr/^-, \d+\.\d{3}$/, '$upstream_header_time: -, T');
    is($f->[6], '0, ' . length($r->{body}), '$upstream_response_length: 0, N');
    is($f->[7], '0, ' . request_size($b->last_request),
        '$upstream_bytes_sent: 0, N');
    like($f->[8], qr/^0, [1-9]\d*$/, '$upstream_bytes_received: 0, N');
    is($f->[10], 'retry', '$proxy_host: the upstream name');
    is($f->[11], 80, '$proxy_port: 80');
    $t->expect_log(qr/connect\(\) failed \(111: Connection refused\)/);

    get($t, '/files/none.txt');
    $f = log_line_for('/files/none.txt');
    is(join('|', @$f[1 .. 9], @$f[13, 14]), '-|-|-|-|-|-|-|-|-|-|-',
        'a request without upstream: "-" everywhere');
};

my $NO_PROXY_TRAILERS = 'nginx 1.22 keeps upstream trailers for gRPC only';

subtest '$upstream_trailer_*' => sub {
    my $r = req($t, get11('/h/trailers', Connection => 'close'));
    my ($body, $tr, $err) = dechunk($r->{body});
    ok(!$err && $body eq 'ok', 'the body with trailers: re-chunked');
    ok(!%{ $tr // {} }, 'the trailers are not passed on (as nginx)');
    my $f = log_line_for('/h/trailers');
    SKIP: {
        skip $NO_PROXY_TRAILERS, 1 if $nginx;
        is("$f->[13]|$f->[14]", 'abc123|two words',
            'two fields, the value without the whitespace around it');
    }

    get($t, '/h/trailer');
    $f = log_line_for('/h/trailer');
    is("$f->[13]|$f->[14]", '-|-', 'other trailers only: "-"');
    get($t, '/vars/none?chunked=1&size=10');
    $f = log_line_for('/vars/none');
    is("$f->[13]|$f->[14]", '-|-', 'chunked without trailers: "-"');
    get($t, '/h/noreason');
    $f = log_line_for('/h/noreason');
    is("$f->[13]|$f->[14]", '-|-', 'Content-Length: "-"');

    $r = get($t, '/tretry/r');
    is("$r->{status} $r->{body}", '200 ok', 'retry after a 500');
    $f = log_line_for('/tretry/r');
    is($f->[2], '500, 200', '$upstream_status: 500, 200');
    SKIP: {
        skip $NO_PROXY_TRAILERS, 1 if $nginx;
        is("$f->[13]|$f->[14]", 'fresh|-', 'the last try\'s trailers only');
    }
};

# An invalid chunked body that comes in one read with the header: the
# client gets nothing and the connection closes (as nginx).  A trailer line
# without a colon is such a body for warden; nginx skips trailer lines.
subtest 'a bad trailer section' => sub {
    $t->expect_log(qr/upstream sent invalid chunked response/);
    is($t->http(get11('/h/bad-chunk', Connection => 'close')), '',
        'a bad chunk: nothing sent');

    SKIP: {
        skip 'nginx 1.22 skips trailer lines unchecked', 2 if $nginx;
        is($t->http(get11('/h/bad-trailer', Connection => 'close')), '',
            'a bad trailer line: the same');
        my $f = log_line_for('/h/bad-trailer');
        is("$f->[13]|$f->[14]", '-|-', 'no trailer variable');
    }
};

# ---------------------------------------------------------------------------
# Big bodies

# Reads a response slowly: nothing for 0.3 s (the buffers on the way fill
# up and the proxy has to stop reading), then 8 KiB every 3 ms through a
# small receive buffer.
sub slow_get ($path) {
    my $s = conn($t);
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, 32768);
    print {$s} "GET $path HTTP/1.0\r\nHost: localhost\r\n\r\n";
    my ($data, $sel) = ('', IO::Select->new($s));
    my $deadline = time + 20;
    sleep 0.3;
    while (time < $deadline && $sel->can_read(5)) {
        my $n = sysread($s, $data, 8192, length $data);
        last unless $n;
        sleep 0.003;
    }
    return parse_response($data);
}

subtest '1 MiB bodies, buffering on and off' => sub {
    my $len = 1024 * 1024;
    my $md5 = md5_hex(body_pattern($len));
    for my $loc (qw(buf nobuf)) {
        for my $q ("size=$len", "size=$len&chunked=1&chunk_size=50000",
            "size=$len&length=none")
        {
            my $r = get($t, "/$loc/big?$q", timeout => 20);
            is(md5_hex($r->{body} // ''), $md5, "$loc, $q: md5");
        }
        my $r = slow_get("/$loc/slow?size=$len&chunked=1");
        is(md5_hex($r->{body} // ''), $md5, "$loc, slow client: md5");
        $r = req($t, get11("/$loc/c11?size=$len&chunked=1&chunk_size=3333",
            Connection => 'close'), timeout => 20);
        my ($body, undef, $err) = dechunk($r->{body});
        ok(!$err && md5_hex($body) eq $md5,
            "$loc, re-chunked to HTTP/1.1: md5");
    }
};

$t->done;
done_testing;
