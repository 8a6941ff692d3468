#!/usr/bin/perl
# Location matching: "=", "^~", longest prefix, "~" and "~*" in order,
# nested locations, named locations (try_files, error_page), "internal",
# regex captures; the redirect to "/dir/" for a directory and its knobs
# (absolute_redirect, port_in_redirect, server_name_in_redirect).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with get req serves conn read_response
    is_closed);

my $t = Test::Warden->new;
my $port = $t->port(0);

for my $d (qw(dir nar/sub npr/sub snr/sub tf)) {
    $t->write_file("html/$d/index.html", "$d index\n");
}
$t->write_file('html/tf/file.txt', "tf file\n");
$t->write_file('html/plain.txt', "plain\n");

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name primary.test localhost;
        root html;

        location = / { return 200 "root exact\n"; }
        location / { }

        location = /exact { return 200 "exact\n"; }
        location /exact { return 200 "prefix /exact\n"; }

        location ^~ /stop/ { return 200 "stop\n"; }

        location /pre/ { return 200 "pre\n"; }
        location /pre/longer/ { return 200 "pre longer\n"; }

        location ~ ^/re/a { return 200 "re a\n"; }
        location ~ ^/re/ { return 200 "re\n"; }
        location ~* ^/RE/ { return 200 "re caseless\n"; }

        location ~ \.php$ { return 200 "php\n"; }
        location ~* \.(gif|jpg)$ { return 200 "image $1\n"; }

        location ~ ^/cap/(?<first>[a-z]+)/(\d+)$ {
            return 200 "$first $2 $1\n";
        }

        location /outer/ {
            location /outer/inner/ { return 200 "inner\n"; }
            location ~ \.txt$ { return 200 "outer txt\n"; }
            return 200 "outer\n";
        }

        location /tf/ { try_files $uri @fallback; }
        location /tfu/ { try_files $uri /tf/file.txt; }
        location @fallback { return 200 "fallback $uri\n"; }

        location /ep/ { error_page 404 = @notfound; }
        location @notfound { return 200 "named 404 $uri\n"; }

        location /int/ {
            internal;
            return 200 "internal $uri\n";
        }
        location /ep2/ { error_page 404 /int/page; }
        location /ep3/ { error_page 404 =200 /int/page; }

        location /nar/ { absolute_redirect off; }
        location /npr/ { port_in_redirect off; }
        location /snr/ { server_name_in_redirect on; }
    }
EOF

sub body ($path, %opt) {
    my $r = get($t, $path, %opt);
    return $r ? "$r->{status} $r->{body}" : 'no response';
}

subtest 'exact, prefix, ^~, regex' => sub {
    is(body('/'), "200 root exact\n", '= / for /');
    is(body('/plain.txt'), "200 plain\n", 'location / otherwise');
    is(body('/exact'), "200 exact\n", '= /exact');
    is(body('/exact?a=1'), "200 exact\n", '= ignores the query');
    is(body('/exact/'), "200 prefix /exact\n", '/exact/ is not the exact match');
    is(body('/exactly'), "200 prefix /exact\n", 'prefix without a slash');
    is(body('/stop/a.php'), "200 stop\n", '^~ stops the regex search');
    is(body('/pre/a.php'), "200 php\n", 'regex beats a plain prefix');
    is(body('/pre/x'), "200 pre\n", 'prefix');
    is(body('/pre/longer/x'), "200 pre longer\n", 'longest prefix wins');
    is(body('/pre/long'), "200 pre\n", 'not a partial component');
    is(body('/re/abc'), "200 re a\n", 'first matching regex');
    is(body('/re/b'), "200 re\n", 'second regex');
    is(body('/RE/b'), "200 re caseless\n", '~* after ~ that does not match');
    is(body('/Re/b'), "200 re caseless\n", '~* is case-insensitive');
    is(body('/x.PHP'), '404 ' . get($t, '/x.PHP')->{body}, '~ is case-sensitive');
    is(body('/x.GIF'), "200 image GIF\n", '~* with a capture');
    is(body('/cap/abc/42'), "200 abc 42 abc\n", 'named and numbered captures');
};

subtest 'URI normalization before matching' => sub {
    is(body('/pre/%6Conger/x'), "200 pre longer\n", 'percent-decoded');
    is(body('/pre//longer/x'), "200 pre longer\n", 'merged slashes');
    is(body('/pre/../stop/a.php'), "200 stop\n", 'dot segments');
    is(body('/pre/./longer/x'), "200 pre longer\n", '. segment');
};

subtest 'nested locations' => sub {
    is(body('/outer/x'), "200 outer\n", 'outer');
    is(body('/outer/inner/x'), "200 inner\n", 'nested prefix');
    is(body('/outer/a.txt'), "200 outer txt\n", 'nested regex');
    is(body('/outer/a.php'), "200 php\n", 'top-level regex after nested ones');
    is(body('/outer/inner/a.txt'), "200 outer txt\n",
        'nested regex beats nested prefix');
};

subtest 'named locations' => sub {
    is(body('/tf/file.txt'), "200 tf file\n", 'try_files: file');
    is(body('/tf/missing'), "200 fallback /tf/missing\n",
        'try_files: @named fallback');
    is(body('/ep/missing'), "200 named 404 /ep/missing\n",
        'error_page 404 = @named');
    my $r = get($t, '/@fallback');
    is($r->{status}, 404, 'a named location is not reachable by URI');
};

subtest 'connections after internal redirects' => sub {
    # Each redirect must release the request: an HTTP/1.0 connection is
    # closed right after the response, a keep-alive one serves the next.
    for my $path ('/tf/missing', '/tfu/missing', '/ep/missing',
        '/ep2/missing', '/ep3/missing')
    {
        my $s = conn($t);
        print {$s} "GET $path HTTP/1.0\r\nHost: localhost\r\n\r\n";
        my $r = read_response($s, timeout => 3);
        ok($r && $r->{status}, "$path: response");
        ok(is_closed($s, timeout => 1), "$path: HTTP/1.0 connection closed");
        $s = conn($t);
        print {$s} "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n"
            . "GET /plain.txt HTTP/1.1\r\nHost: localhost\r\n\r\n";
        read_response($s, timeout => 2);
        $r = read_response($s, timeout => 2);
        is($r && "$r->{status} $r->{body}", "200 plain\n",
            "$path: next keep-alive request served");
    }
};

subtest 'internal' => sub {
    my $r = get($t, '/int/page');
    is($r->{status}, 404, 'internal: 404 from outside');
    like($r->{body}, qr{<title>404 Not Found</title>}, 'the 404 error page');
    $r = get($t, '/ep2/missing');
    is("$r->{status} $r->{body}", "404 internal /int/page\n",
        'reached through error_page, status kept');
    $r = get($t, '/ep3/missing');
    is("$r->{status} $r->{body}", "200 internal /int/page\n",
        'error_page =200');
};

subtest 'directory redirect' => sub {
    my $r = get($t, '/dir');
    is($r->{status}, 301, '/dir: 301');
    is($r->{headers}{location}, "http://localhost:$port/dir/", 'Location');
    like($r->{body}, qr{<title>301 Moved Permanently</title>}, 'body');
    $r = get($t, '/dir?a=1&b=2');
    is($r->{headers}{location}, "http://localhost:$port/dir/?a=1&b=2",
        'query kept');
    $r = get($t, '/dir', host => 'Other.Test:1234');
    is($r->{headers}{location}, "http://other.test:$port/dir/",
        'host from Host, port from the socket');
    $r = get($t, '/dir', host => undef);
    is($r->{headers}{location}, "http://127.0.0.1:$port/dir/",
        'no Host: the local address');
    $r = get($t, '/dir/');
    is("$r->{status} $r->{body}", "200 dir index\n", '/dir/ serves the index');

    $r = get($t, '/nar/sub');
    is($r->{status}, 301, 'absolute_redirect off: 301');
    is($r->{headers}{location}, '/nar/sub/', 'absolute_redirect off: Location');
    $r = get($t, '/npr/sub');
    is($r->{headers}{location}, 'http://localhost/npr/sub/',
        'port_in_redirect off');
    $r = get($t, '/snr/sub');
    is($r->{headers}{location}, "http://primary.test:$port/snr/sub/",
        'server_name_in_redirect on');
    ok(serves($t, path => '/plain.txt'), 'still serving');
};

$t->done;
done_testing;
