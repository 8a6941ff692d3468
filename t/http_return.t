#!/usr/bin/perl
# The rewrite module's "return": text with variables, redirects (301 URL,
# bare URL => 302, relative URL made absolute), 204, 444 (close without a
# response), error codes through error pages, at server and location level.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with http_config get req serves conn
    is_closed);

my $t = Test::Warden->new;
my $name = $t->name;
my $port = $t->port(0);

$t->write_file('html/custom404.html', "custom not found\n");

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;
        root html;

        location /text { return 200 "uri=$uri a=$arg_a m=$request_method\n"; }
        location /empty200 { return 200; }
        location /empty-text { return 200 ""; }
        location /teapot { return 418 "short and stout"; }
        location /err-text { return 500 "it broke\n"; }
        location /typed {
            default_type text/x-test;
            return 200 "typed";
        }
        location /r301 { return 301 http://example.com/new$uri?$args; }
        location /r301rel { return 301 /relative/path; }
        location /r302 { return http://example.com/bare; }
        location /r302code { return 302 /there; }
        location /r307 { return 307 https://example.com/t; }
        location /r308 { return 308 "https://example.com/p"; }
        location /r303 { return 303 "http://example.com/$arg_to"; }
        location /no204 { return 204; }
        location /no204text { return 204 "ignored"; }
        location /close { return 444; }
        location /e404 { return 404; }
        location /e403 { return 403; }
        location /e503 { return 503; }
        location /e404custom {
            error_page 404 /custom404.html;
            return 404;
        }
        location /e404text { return 404 "own text\n"; }
    }

    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name localhost;
        return 200 "server level $uri\n";
        location / { return 200 "location level\n"; }
    }

    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name localhost;
        return 444;
    }
EOF

sub rq ($path, %opt) { get($t, $path, %opt) }

subtest 'text' => sub {
    my $r = rq('/text/x?a=1&b=2');
    is($r->{status}, 200, 'status');
    is($r->{body}, "uri=/text/x a=1 m=GET\n", 'variables in the text');
    is($r->{headers}{'content-length'}, length($r->{body}), 'Content-Length');
    is($r->{headers}{'content-type'}, 'text/plain', 'default_type text/plain');
    like($r->{headers}{server}, qr{^\Q$name\E/\d}, 'Server header names the program');
    $r = parse_response($t->http("HEAD /text/x?a=1 HTTP/1.0\r\n\r\n"));
    is($r->{status}, 200, 'HEAD: status');
    is($r->{headers}{'content-length'}, 23, 'HEAD: Content-Length of the text');
    is($r->{body}, '', 'HEAD: no body');
    $r = rq('/empty200');
    is("$r->{status} [$r->{body}]", '200 []', 'return 200: empty body');
    $r = rq('/empty-text');
    is("$r->{status} [$r->{body}]", '200 []', 'return 200 "": empty body');
    is($r->{headers}{'content-length'}, 0, 'return 200 "": Content-Length: 0');
    $r = rq('/teapot');
    is("$r->{status} $r->{body}", '418 short and stout', 'return 418 text');
    $r = rq('/err-text');
    is("$r->{status} $r->{body}", "500 it broke\n", 'error code with text');
    $r = rq('/typed');
    is($r->{headers}{'content-type'}, 'text/x-test', 'default_type applies');
};

subtest 'redirects' => sub {
    my $r = rq('/r301/x?q=1');
    is($r->{status}, 301, 'return 301');
    is($r->{headers}{location}, 'http://example.com/new/r301/x?q=1',
        '301 Location with variables');
    like($r->{body}, qr{<title>301 Moved Permanently</title>}, '301 body');
    like($r->{body}, qr{<hr><center>\Q$name\E/[\d.]+</center>},
        'footer names the program');
    $r = rq('/r301rel');
    is($r->{headers}{location}, "http://localhost:$port/relative/path",
        'a relative URL is made absolute');
    $r = rq('/r302');
    is($r->{status}, 302, 'return URL: 302');
    is($r->{headers}{location}, 'http://example.com/bare', '302 Location');
    like($r->{body}, qr{<title>302 Found</title>}, '302 body');
    $r = rq('/r302code');
    is("$r->{status} $r->{headers}{location}",
        "302 http://localhost:$port/there", 'return 302 /path');
    $r = rq('/r307');
    is("$r->{status} $r->{headers}{location}", '307 https://example.com/t', 'return 307');
    like($r->{body}, qr{<title>307 Temporary Redirect</title>}, '307 body');
    $r = rq('/r308');
    is("$r->{status} $r->{headers}{location}", '308 https://example.com/p', 'return 308');
    like($r->{body}, qr{<title>308 Permanent Redirect</title>}, '308 body');
    $r = rq('/r303?to=y');
    is("$r->{status} $r->{headers}{location}", '303 http://example.com/y', 'return 303');
};

subtest '204 and 444' => sub {
    my $r = rq('/no204');
    is($r->{status}, 204, 'return 204');
    is($r->{body}, '', '204: no body');
    ok(!exists $r->{headers}{'content-length'}, '204: no Content-Length');
    ok(!exists $r->{headers}{'content-type'}, '204: no Content-Type');
    $r = rq('/no204text');
    is("$r->{status} [$r->{body}]", '204 []', '204 with text: no body');

    my $raw = $t->http("GET /close HTTP/1.0\r\n\r\n");
    is($raw, '', '444: closed without a response');
    my $s = conn($t);
    print {$s} "GET /close HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ok(is_closed($s, timeout => 3), '444 on keep-alive: closed');
    is($t->http("GET / HTTP/1.0\r\n\r\n", port => $t->port(2)), '',
        '444 at server level');
    ok(serves($t, path => '/text'), 'still serving');
};

subtest 'error codes' => sub {
    my $r = rq('/e404');
    is($r->{status}, 404, 'return 404');
    like($r->{body}, qr{<title>404 Not Found</title>}, '404: the error page');
    is($r->{headers}{'content-type'}, 'text/html', '404: text/html');
    $r = rq('/e403');
    is($r->{status}, 403, 'return 403');
    like($r->{body}, qr{<title>403 Forbidden</title>}, '403 page');
    $r = rq('/e503');
    is($r->{status}, 503, 'return 503');
    like($r->{body}, qr{<title>503 Service Temporarily Unavailable</title>}, '503 page');
    $r = rq('/e404custom');
    is("$r->{status} $r->{body}", "404 custom not found\n",
        'error_page applies to return 404');
    $r = rq('/e404text');
    is("$r->{status} $r->{body}", "404 own text\n", '404 with text');
};

subtest 'server level' => sub {
    my $r = rq('/anything', port => $t->port(1));
    is("$r->{status} $r->{body}", "200 server level /anything\n",
        'server-level return runs before location matching');
};

subtest 'config errors' => sub {
    my $conf = $t->conf_path;
    for my $case (['return;', 'invalid number of arguments in "return" directive'],
        ['return abc;', 'invalid return code "abc"'],
        ['return 200 a b;', 'invalid number of arguments in "return" directive'])
    {
        $t->write_config(http_config($t,
            "server { listen 127.0.0.1:%%PORT3%%; $case->[0] }"));
        my $r = $t->run('-t');
        is($r->{status}, 1, "$case->[0]: rejected");
        like($r->{stderr}, qr/\[emerg\] \Q$case->[1]\E in \Q$conf\E:\d+/,
            "$case->[0]: message");
        $t->expect_log(qr/\Q$case->[1]\E/);
    }
};

$t->done;
done_testing;
