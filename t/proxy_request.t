#!/usr/bin/perl
# The request the proxy sends upstream: proxy_pass's URI rules (with and
# without a URI part, variables, upstream blocks named through a variable,
# unix sockets, the -t errors), the request header (the defaults,
# proxy_set_header and its inheritance, client headers in order, hop-by-hop
# headers, proxy_pass_request_headers, X-Forwarded-For), and the request
# body (Content-Length and chunked, spilled to temp files, off,
# proxy_set_body), proxy_method, proxy_http_version and HEAD.
#
# Runs under nginx too (WARDEN_BINARY=/usr/sbin/nginx); where warden is
# deliberately stricter than nginx the check says so and is skipped there.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5 qw(md5_hex);
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config start_with get req conn
    read_response);
use Test::Warden::Backend qw(parse_echo body_pattern unused_port);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $nginx = $name eq 'nginx';

my $b = Test::Warden::Backend->start(t => $t, port => $t->port(1),
    name => 'b1');
my $u = Test::Warden::Backend->start(t => $t, unix => "$prefix/u.sock",
    name => 'ux');
my $bp = $b->port;

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    upstream grp { server 127.0.0.1:%%PORT1%%; }

    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;
        client_body_buffer_size 8k;
        client_body_temp_path body_temp;
        client_max_body_size 4m;

        location / { proxy_pass http://127.0.0.1:%%PORT1%%/; }
        location /a/ { proxy_pass http://127.0.0.1:%%PORT1%%/x/; }
        location /raw/ { proxy_pass http://127.0.0.1:%%PORT1%%; }
        location /grp/ { proxy_pass http://grp; }
        # warden has no "set" yet: the variables come from the request
        location /var/ { proxy_pass http://127.0.0.1:$http_x_port$request_uri; }
        location /varnouri/ { proxy_pass http://127.0.0.1:$http_x_port; }
        location /varuri/ { proxy_pass http://127.0.0.1:$http_x_port/fixed?k=v; }
        location /vargrp/ { proxy_pass http://$http_x_group; }
        location /unix/ { proxy_pass http://unix:%%PREFIX%%/u.sock:/u/; }
        location /unixraw/ { proxy_pass http://unix:%%PREFIX%%/u.sock; }
        location /unixvar/ {
            proxy_set_header X-Port "[$proxy_port]";
            proxy_pass http://unix:%%PREFIX%%/u.sock:$request_uri;
        }

        location /set/ {
            proxy_set_header X-Set "one";
            proxy_set_header Host "h.example";
            proxy_set_header User-Agent "";
            proxy_set_header X-Var "$request_method $arg_q";
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /xff/ {
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /upgrade/ {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /nohdr/ {
            proxy_pass_request_headers off;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /nobody/ {
            proxy_pass_request_body off;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /setbody/ {
            proxy_set_body "q=$arg_q";
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /method/ {
            proxy_method POST;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /noconn/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /v11/ {
            proxy_http_version 1.1;
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name localhost;
        proxy_set_header X-Srv "server";

        location / { proxy_pass http://127.0.0.1:%%PORT1%%; }
        location /own/ {
            proxy_set_header X-Loc "location";
            proxy_pass http://127.0.0.1:%%PORT1%%;
        }
        location /outer/ {
            location /outer/inner/ {
                proxy_pass http://127.0.0.1:%%PORT1%%;
            }
        }
    }
EOF

# The echo text of a proxied response: what the backend got.
sub echo_of ($res) {
    return undef unless $res && ($res->{status} // 0) == 200;
    return parse_echo($res->{body});
}

sub echo_get ($path, %opt) { echo_of(get($t, $path, %opt)) }

sub echo_req ($raw, %opt) { echo_of(req($t, $raw, %opt)) }

sub header_names ($e) { [map { $_->[0] } @{ $e->{headers} }] }

# ---------------------------------------------------------------------------
# proxy_pass: the URI

subtest 'URI part replaces the location prefix' => sub {
    my $e = echo_get('/a/b?q=1');
    is($e && $e->{uri}, '/x/b?q=1', '/a/b?q=1 -> /x/b?q=1');
    $e = echo_get('/a/');
    is($e && $e->{uri}, '/x/', '/a/ -> /x/');
    $e = echo_get('/a/sp%20ace/%41?x=%20');
    is($e && $e->{uri}, '/x/sp%20ace/A?x=%20',
        'normalized URI re-escaped, arguments as sent');
    $e = echo_get('/a/q%3Fx%25y%23z');
    is($e && $e->{uri}, '/x/q%3Fx%25y%23z', '"?", "%" and "#" escaped again');
    $e = echo_get('/a/c/../d');
    is($e && $e->{uri}, '/x/d', 'dot segments resolved first');
    $e = echo_get('/zzz/y?k');
    is($e && $e->{uri}, '/zzz/y?k', 'proxy_pass http://B/ in location /');
    is($e && $e->{method}, 'GET', 'method GET');
    is($e && $e->{proto}, 'HTTP/1.0', 'HTTP/1.0 by default');
};

subtest 'no URI part: the URI as the client sent it' => sub {
    my $e = echo_get('/raw/a%20b%2Fc/./d?x=%41&y');
    is($e && $e->{uri}, '/raw/a%20b%2Fc/./d?x=%41&y', 'unparsed URI');
    $e = echo_get('/grp/p?q');
    is($e && $e->{uri}, '/grp/p?q', 'upstream block: unparsed URI');
    is($e && $e->{h}{host}, 'grp', 'upstream block: Host is its name');
};

subtest 'variables in proxy_pass' => sub {
    my %p = (headers => { 'X-Port' => $bp });
    my $e = echo_get('/var/v%2F1?a=b', %p);
    is($e && $e->{uri}, '/var/v%2F1?a=b',
        'http://127.0.0.1:$http_x_port$request_uri');
    is($e && $e->{h}{host}, "127.0.0.1:$bp", 'Host with the port');
    $e = echo_get('/varnouri/p%2Fq?r', %p);
    is($e && $e->{uri}, '/varnouri/p%2Fq?r', 'no URI part: unparsed URI');
    $e = echo_get('/varuri/anything?z', %p);
    is($e && $e->{uri}, '/fixed?k=v', 'URI part: replaces the whole URI');
    $e = echo_get('/vargrp/g?h', headers => { 'X-Group' => 'grp' });
    is($e && $e->{uri}, '/vargrp/g?h', 'upstream block named by a variable');
    is($e && $e->{h}{host}, 'grp', 'and Host is its name');
    is($e && $e->{backend}, 'b1', 'served by its server');

    my $n = $b->request_count;
    my $r = get($t, '/vargrp/x', headers => { 'X-Group' => 'nosuchgroup' });
    is($r->{status}, 502, 'unknown name by variable: 502');
    ok($t->wait_for_log(qr/no resolver defined to resolve nosuchgroup/,
        timeout => 2), 'error log: no resolver defined to resolve');
    is($b->request_count, $n, 'nothing sent');
};

subtest 'unix sockets' => sub {
    my $e = echo_get('/unix/p?q=1');
    is($e && $e->{backend}, 'ux', 'reached the unix socket backend');
    is($e && $e->{uri}, '/u/p?q=1', 'unix:/path:/u/: URI part replaced');
    is($e && $e->{h}{host}, 'localhost', 'Host: localhost');
    $e = echo_get('/unixraw/p%2F?q');
    is($e && $e->{uri}, '/unixraw/p%2F?q', 'unix:/path: unparsed URI');
    $e = echo_get('/unixvar/v?w');
    is($e && $e->{backend}, 'ux', 'unix socket with variables');
    is($e && $e->{uri}, '/unixvar/v?w', 'the URI');
    is($e && $e->{h}{host}, 'localhost', 'Host: localhost');
    is($e && $e->{h}{'x-port'}, '[]', '$proxy_port empty');
};

subtest '-t: URI part where it cannot be' => sub {
    my $text = '"proxy_pass" cannot have URI part in location given by '
        . 'regular expression, or inside named location, or inside "if" '
        . 'statement, or inside "limit_except" block';
    my $msg = qr/\Q$text\E in \S+\/conf\/warden-t\.conf:(\d+)\b/;
    $t->expect_log($msg);
    my %cases = (
        regex => 'location ~ ^/r/ { proxy_pass http://127.0.0.1:1/x/; }',
        named => 'location @n { proxy_pass http://127.0.0.1:1/x/; }',
    );
    for my $k (sort keys %cases) {
        my $conf = $t->write_config(http_config($t,
            "server {\n listen 127.0.0.1:%%PORT3%%;\n$cases{$k}\n}"),
            'conf/warden-t.conf');
        my $r = $t->run('-t', '-c', $conf);
        isnt($r->{status}, 0, "$k: -t fails");
        my @lines = split /\n/, $t->read_file($conf);
        my ($line) = grep { $lines[$_ - 1] =~ /proxy_pass/ } 1 .. @lines;
        ok($r->{stderr} =~ /\[emerg\] $msg/ && $1 == $line,
            "$k: nginx's message, at line $line")
            or diag($r->{stderr});
    }
    my $conf = $t->write_config(http_config($t,
        "server {\n listen 127.0.0.1:%%PORT3%%;\n"
        . " location ~ ^/r/ { proxy_pass http://127.0.0.1:1; }\n"
        . " location \@n { proxy_pass http://127.0.0.1:1; }\n}\n"),
        'conf/warden-t.conf');
    is($t->run('-t', '-c', $conf)->{status}, 0,
        'no URI part: regex and named locations are fine');
};

# ---------------------------------------------------------------------------
# The request header

subtest 'default headers' => sub {
    my $e = echo_req("GET /raw/d HTTP/1.1\r\nHost: client.example\r\n"
        . "Connection: close\r\n\r\n");
    is_deeply($e && [@{ $e->{headers} }[0, 1]],
        [['Host', "127.0.0.1:$bp"], ['Connection', 'close']],
        'Host: $proxy_host (with the port), Connection: close, first');
    is(scalar(grep { lc $_ eq 'host' } @{ header_names($e) }), 1,
        'the client\'s Host is not passed');
};

subtest 'client headers in order, hop-by-hop ones dropped' => sub {
    # HTTP/1.1 and keep-alive: the response is read off the stream, after
    # the 100 Continue that the Expect asks for
    my $s = conn($t);
    print {$s} "GET /raw/h HTTP/1.1\r\nHost: c\r\n"
        . "X-First: 1\r\nConnection: keep-alive\r\n"
        . "keep-alive: timeout=5\r\nTE: trailers\r\nx-second: 2\r\n"
        . "Upgrade: websocket\r\nProxy-Connection: keep-alive\r\n"
        . "X-First: 3\r\nAccept: */*\r\nExpect: 100-continue\r\n"
        . "Content-Length: 0\r\n\r\n";
    my $r = read_response($s);
    $r = read_response($s) if $r && $r->{status} == 100;
    my $e = echo_of($r);
    ok($e, 'proxied');
    my @hn = @{ header_names($e // { headers => [] }) };
    is_deeply([@hn[0, 1]], ['Host', 'Connection'], 'own headers first');
    is_deeply([grep { !/^(?:Host|Connection|Content-Length)$/ } @hn],
        $nginx
        ? ['X-First', 'x-second', 'Proxy-Connection', 'X-First', 'Accept']
        : ['X-First', 'x-second', 'X-First', 'Accept'],
        'the rest in order and case; no Keep-Alive, TE, Upgrade, Expect'
        . ($nginx ? '' : ', Proxy-Connection'));
    is($e && $e->{h}{connection}, 'close', 'the client\'s Connection dropped');
    is_deeply($e && $e->{h}{'x-first'}, [1, 3], 'repeated header kept twice');
    is($r && $r->{headers}{connection}, 'keep-alive',
        'the client\'s connection is kept alive');
    print {$s} "GET /raw/h2 HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n";
    $e = echo_of(read_response($s));
    is($e && $e->{uri}, '/raw/h2', 'and serves the next request');

    $e = echo_req("POST /raw/te HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    ok($e && !exists $e->{h}{'transfer-encoding'},
        'Transfer-Encoding not passed');
    is($e && $e->{h}{'content-length'}, 5, 'a Content-Length instead');
    is($e && $e->{body}, 'hello', 'the body');
};

subtest 'Upgrade with the idiom' => sub {
    my $e = echo_req("GET /upgrade/ws HTTP/1.1\r\nHost: c\r\n"
        . "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    is($e && $e->{h}{upgrade}, 'websocket', 'Upgrade: $http_upgrade');
    is($e && $e->{h}{connection}, 'upgrade', 'Connection: upgrade');
    is($e && $e->{proto}, 'HTTP/1.1', 'HTTP/1.1');
    $e = echo_req("GET /upgrade/plain HTTP/1.1\r\nHost: c\r\n"
        . "Connection: close\r\n\r\n");
    ok($e && !exists $e->{h}{upgrade}, 'no Upgrade asked: none sent');
};

subtest 'proxy_set_header' => sub {
    my $e = echo_get('/set/s?q=v', headers => { 'User-Agent' => 'ua/1',
        'X-Set' => 'client', 'X-Other' => 'o' });
    is_deeply($e && [@{ $e->{headers} }[0 .. 3]],
        [['X-Set', 'one'], ['Host', 'h.example'], ['X-Var', 'GET v'],
            ['Connection', 'close']],
        'set headers in order, Host overridden, the default Connection after');
    ok($e && !exists $e->{h}{'user-agent'}, 'an empty value removes it');
    is($e && $e->{h}{'x-set'}, 'one', 'the client\'s X-Set replaced');
    is($e && $e->{h}{'x-other'}, 'o', 'other client headers passed');
};

subtest 'proxy_set_header inheritance' => sub {
    my $e = echo_get('/inh', port => $t->port(2));
    is($e && $e->{h}{'x-srv'}, 'server', 'location without any: inherits');
    is($e && $e->{h}{host}, "127.0.0.1:$bp", 'with the defaults');
    $e = echo_get('/own/x', port => $t->port(2));
    is($e && $e->{h}{'x-loc'}, 'location', 'own proxy_set_header');
    ok($e && !exists $e->{h}{'x-srv'}, 'loses the server\'s');
    is($e && $e->{h}{connection}, 'close', 'keeps the defaults');
    $e = echo_get('/outer/inner/x', port => $t->port(2));
    is($e && $e->{h}{'x-srv'}, 'server', 'nested location inherits');
};

subtest 'proxy_pass_request_headers off' => sub {
    my $e = echo_get('/nohdr/n', headers => { 'X-A' => 1, Accept => '*/*' });
    is_deeply($e && header_names($e), ['Host', 'Connection'],
        'only the proxy\'s own headers');
    $e = echo_req("POST /nohdr/b HTTP/1.0\r\nHost: c\r\nX-A: 1\r\n"
        . "Content-Length: 3\r\n\r\nabc");
    is_deeply($e && header_names($e), ['Host', 'Connection',
        'Content-Length'], 'and Content-Length for a body');
    is($e && $e->{body}, 'abc', 'the body still goes');
};

subtest 'X-Forwarded-For' => sub {
    my $e = echo_get('/xff/1');
    is($e && $e->{h}{'x-forwarded-for'}, '127.0.0.1', 'no incoming XFF');
    $e = echo_get('/xff/2', headers => { 'X-Forwarded-For' => '192.0.2.1' });
    is($e && $e->{h}{'x-forwarded-for'}, '192.0.2.1, 127.0.0.1',
        'appended to an incoming one');
    $e = echo_req("GET /xff/3 HTTP/1.0\r\nX-Forwarded-For: 192.0.2.1\r\n"
        . "X-Forwarded-For: 198.51.100.2, 203.0.113.3\r\n\r\n");
    is($e && $e->{h}{'x-forwarded-for'},
        '192.0.2.1, 198.51.100.2, 203.0.113.3, 127.0.0.1',
        'several incoming lines joined');
    is(scalar(grep { lc $_ eq 'x-forwarded-for' } @{ header_names($e) }), 1,
        'one header line');
};

# ---------------------------------------------------------------------------
# The request body

subtest 'request bodies reach the backend with Content-Length' => sub {
    my $big = body_pattern(1024 * 1024 + 17);
    my $md5 = md5_hex($big);
    my $n = $b->request_count;
    my $e = echo_req("POST /raw/cl HTTP/1.0\r\nHost: c\r\n"
        . 'Content-Length: ' . length($big) . "\r\n\r\n$big", timeout => 20);
    ok($e, 'Content-Length body proxied');
    my $rec = $b->last_request;
    is($rec->{h}{'content-length'}, length $big, 'Content-Length passed');
    is($rec->{body_md5}, $md5, 'body md5 (spilled to a temp file)');
    ok(!$rec->{chunked}, 'not chunked');

    # chunked from the client, in pieces of odd sizes
    my @pieces;
    for (my $off = 0; $off < length $big; $off += 65521) {
        my $p = substr($big, $off, 65521);
        push @pieces, sprintf("%x\r\n%s\r\n", length $p, $p);
    }
    $e = echo_req(["POST /raw/ch HTTP/1.1\r\nHost: c\r\nConnection: close\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n" . join('', @pieces)
        . "0\r\n\r\n"], timeout => 20);
    ok($e, 'chunked body proxied');
    $rec = $b->last_request;
    is($rec->{h}{'content-length'}, length $big,
        'chunked from the client: Content-Length at the backend');
    ok(!$rec->{chunked} && !exists $rec->{h}{'transfer-encoding'},
        'and not chunked');
    is($rec->{body_md5}, $md5, 'body md5');
    is($b->request_count, $n + 2, 'two requests');
    my @tmp = glob("$prefix/body_temp/*/*/* $prefix/body_temp/*");
    is(scalar(grep { -f } @tmp), 0, 'temp files removed');

    $e = echo_req("POST /raw/empty HTTP/1.0\r\nHost: c\r\n"
        . "Content-Length: 0\r\n\r\n");
    is($e && $e->{h}{'content-length'}, 0, 'empty body: Content-Length: 0');
    $e = echo_get('/raw/nobody');
    ok($e && !exists $e->{h}{'content-length'}, 'GET: no Content-Length');
};

subtest 'proxy_pass_request_body off, proxy_set_body' => sub {
    SKIP: {
        # nginx passes the client's Content-Length without the body, and
        # the backend waits for a body that never comes
        skip 'nginx passes Content-Length without the body', 3 if $nginx;
        my $start = time;
        my $e = echo_req("POST /nobody/x HTTP/1.0\r\nHost: c\r\n"
            . "Content-Length: 5\r\n\r\nhello");
        is($e && $e->{body_length}, 0, 'off: no body');
        ok($e && !exists $e->{h}{'content-length'}, 'off: no Content-Length');
        ok(time - $start < 2, 'off: no wait');
    }
    my $e = echo_req("POST /setbody/x?q=zz HTTP/1.0\r\nHost: c\r\n"
        . "Content-Length: 5\r\n\r\nhello");
    is($e && $e->{body}, 'q=zz', 'proxy_set_body replaces the body');
    is($e && $e->{h}{'content-length'}, 4, 'with its Content-Length');
    $e = echo_get('/setbody/y?q=abc');
    is($e && $e->{body}, 'q=abc', 'proxy_set_body on a GET');
    is($e && $e->{h}{'content-length'}, 5, 'Content-Length: 5');
};

subtest 'proxy_method, proxy_http_version, HEAD' => sub {
    my $e = echo_get('/method/m');
    is($e && $e->{method}, 'POST', 'proxy_method POST');
    $e = echo_get('/v11/v');
    is($e && $e->{proto}, 'HTTP/1.1', 'proxy_http_version 1.1');
    is($e && $e->{h}{connection}, 'close', 'still Connection: close');
    $e = echo_get('/noconn/c', headers => { Connection => 'keep-alive' });
    ok($e && !exists $e->{h}{connection},
        'proxy_set_header Connection "": no Connection at all');

    my $n = $b->request_count;
    my $r = req($t, "HEAD /raw/head HTTP/1.0\r\nHost: c\r\n\r\n");
    is($r->{status}, 200, 'HEAD: 200');
    is($r->{body}, '', 'HEAD: no body');
    $b->wait_requests($n + 1, timeout => 2);
    is($b->last_request->{method}, 'HEAD', 'HEAD passed as HEAD');
    $r = req($t, "DELETE /raw/del HTTP/1.0\r\nHost: c\r\n\r\n");
    is(echo_of($r) && echo_of($r)->{method}, 'DELETE', 'DELETE passed');
};

$t->done;
done_testing;
