#!/usr/bin/perl
# Static files: root, alias (prefix and regex), index, try_files, types,
# error_page, recursive_error_pages, log_not_found, 404/403 with their log
# lines, HEAD, ETag/Last-Modified, etag off, disable_symlinks,
# open_file_cache, sendfile on/off, a 20 MB file.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::MD5 qw(md5_hex);
use POSIX qw(strftime);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with get req serves log_mark log_since
    log_once);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $port = $t->port(0);

# Content.
$t->write_file('conf/mime.types',
    $t->read_file("$FindBin::Bin/../conf/mime.types"));
$t->write_file('html/index.html', "top index\n");
$t->write_file('html/a.txt', "file a\n");
$t->write_file('html/s.css', "body{}\n");
$t->write_file('html/d.json', "{}\n");
$t->write_file('html/noext', "no extension\n");
$t->write_file('html/x.spc', "special\n");
$t->write_file('html/final.txt', "final\n");
$t->write_file('html/tflast.txt', "last\n");
$t->write_file('r2root/r2/f.txt', "from r2root\n");
$t->write_file('aliasdir/f.txt', "alias f\n");
$t->write_file('aliasdir/sub/g.txt', "alias sub g\n");
$t->write_file('html/ix/second.html', "ix second\n");
$t->write_file('html/ix/third.html', "ix third\n");
$t->write_file('html/ixv/picked.html', "ixv picked\n");
$t->write_file('html/ixv/default.html', "ixv default\n");
$t->write_file('html/ix3/keep', '');
$t->write_file('html/noindex/keep', '');
$t->write_file('html/tf/file.txt', "tf file\n");
$t->write_file('html/tf/dir/index.html', "tf dir index\n");
$t->write_file('html/err/404.html', "custom 404 page\n");
$t->write_file('html/err/ok.html', "ok page\n");
$t->write_file('html/mtime.txt', "0123456789");
utime 1700000000, 1700000000, "$prefix/html/mtime.txt";
$t->write_file('html/secret/locked.txt', "locked\n");
chmod 0000, "$prefix/html/secret/locked.txt";
$t->write_file('html/sl/target.txt', "link target\n");
symlink "$prefix/html/sl/target.txt", "$prefix/html/sl/link.txt";
symlink "$prefix/html/sl/target.txt", "$prefix/html/sl/nobody-link.txt";
system('chown', '-h', 'nobody', "$prefix/html/sl/nobody-link.txt") == 0
    or diag('chown -h failed');
$t->write_file('html/ofc/f.txt', "version 1\n");

srand(42);
my $big = join '', map { pack 'N', int rand 2**32 } 1 .. (5 * 1024 * 1024);
$t->write_file('html/big.bin', $big);    # 20 MB
my $mid = substr($big, 0, 1_000_003);
$t->write_file('html/mid.bin', $mid);

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    include mime.types;
    default_type application/octet-stream;

    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;
        root html;

        location /r2/ { root r2root; }
        location /al/ { alias aliasdir/; }
        location ~ ^/ar/(\w+)/(.+)$ { alias %%PREFIX%%/aliasdir/$1/$2; }

        location /ix/ { index missing.html second.html third.html; }
        location /ixv/ { index $arg_i.html default.html; }
        location /ix3/ { index nope.html /final.txt; }

        location /tf/ { try_files $uri $uri/ =404; }
        location /tfn/ { try_files $uri @named; }
        location @named { return 200 "named $uri $args\n"; }
        location /tfl/ { try_files $uri /tflast?from=$uri; }
        location = /tflast { return 200 "last uri=$uri args=$args\n"; }

        location /typ/ {
            alias html/;
            types { text/x-special spc; }
            default_type application/x-def;
        }

        location /ep/ { error_page 404 /err/404.html; }
        location /ep-code/ { error_page 404 =200 /err/ok.html; }
        location /ep-eq/ { error_page 404 = /dyn; }
        location = /dyn { return 201 "dynamic\n"; }
        location /ep-url/ { error_page 404 http://example.com/nf; }
        location /ep-url301/ { error_page 404 =301 http://example.com/nf; }
        location /ep-named/ { error_page 404 @nf; }
        location @nf { return 200 "from named\n"; }
        location /ep-loc/ { error_page 404 /handler; }
        location = /handler { return 200 "handler $uri\n"; }
        location /ep-403/ {
            alias html/secret/;
            error_page 403 /err/ok.html;
        }

        location /rec-off/ { error_page 404 /rec-off-step2/x; }
        location /rec-off-step2/ { error_page 404 /err/404.html; }
        location /rec-on/ {
            recursive_error_pages on;
            error_page 404 /rec-on-step2/x;
        }
        location /rec-on-step2/ { error_page 404 /err/404.html; }

        location /quiet/ { log_not_found off; }

        location /noetag/ { alias html/; etag off; }

        location /sl/ { }
        location /slon/ { alias html/sl/; disable_symlinks on; }
        location /slown/ { alias html/sl/; disable_symlinks if_not_owner; }

        location /ofc/ {
            open_file_cache max=10 inactive=20s;
            open_file_cache_valid 1s;
        }

        location /sfon/ { alias html/; sendfile on; }
        location /sfoff/ { alias html/; sendfile off; }
    }

    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name localhost;
        root html;
        types { text/html html; image/gif gif; image/jpeg jpg; }
    }
EOF

sub body ($path, %opt) {
    my $r = get($t, $path, %opt);
    return $r ? "$r->{status} $r->{body}" : 'no response';
}

subtest 'root and alias' => sub {
    is(body('/a.txt'), "200 file a\n", 'root');
    is(body('/'), "200 top index\n", 'index.html by default');
    is(body('/r2/f.txt'), "200 from r2root\n", 'root in a location');
    is(body('/al/f.txt'), "200 alias f\n", 'alias, prefix location');
    is(body('/al/sub/g.txt'), "200 alias sub g\n", 'alias, subdirectory');
    is(body('/ar/sub/g.txt'), "200 alias sub g\n", 'alias in a regex location');
    is(get($t, '/ar/nosuch/g.txt')->{status}, 404, 'alias regex: missing');
    my $r = get($t, '/a.txt');
    is($r->{headers}{'content-length'}, 7, 'Content-Length');
    is($r->{headers}{'content-type'}, 'text/plain', 'Content-Type');
};

subtest 'index' => sub {
    is(body('/ix/'), "200 ix second\n", 'first existing of several');
    is(body('/ixv/?i=picked'), "200 ixv picked\n", 'index with a variable');
    is(body('/ixv/?i=nothing'), "200 ixv default\n", 'variable: fallback');
    is(body('/ix3/'), "200 final\n", 'absolute last index: internal redirect');
    my $mark = log_mark($t);
    my $r = get($t, '/noindex/');
    is($r->{status}, 403, 'directory without an index: 403');
    log_once($t, $mark,
        qr/\[error\] .*directory index of "\Q$prefix\E\/html\/noindex\/" is forbidden, client: 127\.0\.0\.1, server: localhost, request: "GET \/noindex\/ HTTP\/1\.0", host: "localhost"$/,
        'forbidden directory index');
};

subtest 'try_files' => sub {
    is(body('/tf/file.txt'), "200 tf file\n", '$uri: a file');
    my $d = get($t, '/tf/dir');
    is("$d->{status} $d->{headers}{location}",
        "301 http://localhost:$port/tf/dir/", '$uri/: a directory is redirected');
    is(body('/tf/dir/'), "200 tf dir index\n", '$uri/: the directory index');
    my $mark = log_mark($t);
    my $r = get($t, '/tf/missing');
    is($r->{status}, 404, '=404');
    like($r->{body}, qr{<title>404 Not Found</title>}, '=404: error page');
    is(log_since($t, $mark) =~ /\[error\]/ ? 1 : 0, 0,
        '=404: nothing logged');
    is(body('/tfn/missing?q=1'), "200 named /tfn/missing q=1\n", '@named');
    is(body('/tfl/missing'), "200 last uri=/tflast args=from=/tfl/missing\n",
        'last parameter: URI with arguments');
};

subtest 'types' => sub {
    my %want = ('/a.txt' => 'text/plain', '/s.css' => 'text/css',
        '/d.json' => 'application/json', '/index.html' => 'text/html',
        '/noext' => 'application/octet-stream',
        '/x.spc' => 'application/octet-stream',
        '/typ/x.spc' => 'text/x-special', '/typ/a.txt' => 'application/x-def',
        '/typ/noext' => 'application/x-def');
    for my $p (sort keys %want) {
        is(get($t, $p)->{headers}{'content-type'}, $want{$p}, "$p: $want{$p}");
    }
    my $r = get($t, '/s.css', port => $t->port(1));
    is($r->{headers}{'content-type'}, 'application/octet-stream',
        'types{} in server replaces the included list');
    $r = get($t, '/index.html', port => $t->port(1));
    is($r->{headers}{'content-type'}, 'text/html', 'types block');
};

subtest 'error_page' => sub {
    is(body('/ep/x'), "404 custom 404 page\n", 'error_page 404 URI');
    is(body('/ep-code/x'), "200 ok page\n", 'error_page 404 =200 URI');
    is(body('/ep-eq/x'), "201 dynamic\n", 'error_page 404 = URI: its status');
    my $r = get($t, '/ep-url/x');
    is($r->{status}, 302, 'error_page to a URL: 302');
    is($r->{headers}{location}, 'http://example.com/nf', 'Location');
    $r = get($t, '/ep-url301/x');
    is("$r->{status} $r->{headers}{location}", '301 http://example.com/nf',
        'error_page =301 URL');
    is(body('/ep-named/x'), "404 from named\n", 'error_page to @named');
    is(body('/ep-loc/x'), "404 handler /handler\n", 'error_page to a location');
    is(body('/ep-403/locked.txt'), "403 ok page\n", 'error_page 403');
    $r = get($t, '/rec-off/x');
    is($r->{status}, 404, 'recursive_error_pages off: 404');
    like($r->{body}, qr{<title>404 Not Found</title>},
        'recursive_error_pages off: the built-in page');
    is(body('/rec-on/x'), "404 custom 404 page\n",
        'recursive_error_pages on: the second error_page applies');
};

subtest '404 and 403 with their log lines' => sub {
    my $mark = log_mark($t);
    my $r = get($t, '/missing.txt');
    is($r->{status}, 404, 'missing file: 404');
    like($r->{body}, qr{<title>404 Not Found</title>}, '404 page');
    like($r->{body}, qr{<hr><center>\Q$name\E/[\d.]+</center>}, 'footer');
    log_once($t, $mark,
        qr/\[error\] \d+#\d+: \*\d+ open\(\) "\Q$prefix\E\/html\/missing\.txt" failed \(2: No such file or directory\), client: 127\.0\.0\.1, server: localhost, request: "GET \/missing\.txt HTTP\/1\.0", host: "localhost"$/,
        'missing file');

    $mark = log_mark($t);
    $r = get($t, '/a.txt/');
    is($r->{status}, 404, 'a file as a directory: 404');
    log_once($t, $mark,
        qr/\[error\] \d+#\d+: \*\d+ "\Q$prefix\E\/html\/a\.txt\/index\.html" is not found \(20: Not a directory\), client/,
        'file as a directory');

    $mark = log_mark($t);
    is(get($t, '/quiet/missing')->{status}, 404, 'log_not_found off: 404');
    is(get($t, '/tf/../ep/x')->{status}, 404, 'marker request');
    $t->wait_for_log(qr/ep\/x/, timeout => 2);
    unlike(log_since($t, $mark), qr{quiet/missing}, 'log_not_found off: no line');

    $mark = log_mark($t);
    $r = get($t, '/secret/locked.txt');
    is($r->{status}, 403, 'unreadable file: 403');
    like($r->{body}, qr{<title>403 Forbidden</title>}, '403 page');
    log_once($t, $mark,
        qr/\[error\] .*open\(\) "\Q$prefix\E\/html\/secret\/locked\.txt" failed \(13: Permission denied\), client: 127\.0\.0\.1/,
        'unreadable file');

    $r = req($t, "POST /a.txt HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
    is($r->{status}, 405, 'POST to a static file: 405');
    like($r->{body}, qr{<title>405 Not Allowed</title>}, '405 page');
};

subtest 'HEAD' => sub {
    for my $p ('/a.txt', '/', '/missing.txt', '/ep/x', '/ix/', '/mid.bin',
        '/tf/dir')
    {
        my $g = get($t, $p);
        my $h = req($t, "HEAD $p HTTP/1.0\r\nHost: localhost\r\n\r\n");
        is($h->{status}, $g->{status}, "HEAD $p: same status");
        is($h->{body}, '', "HEAD $p: no body");
        is($h->{headers}{'content-length'}, $g->{headers}{'content-length'},
            "HEAD $p: same Content-Length");
    }
};

subtest 'ETag and Last-Modified' => sub {
    my $r = get($t, '/mtime.txt');
    is($r->{headers}{etag}, '"6553f100-a"', 'ETag "mtime-size" in hex');
    is($r->{headers}{'last-modified'}, 'Tue, 14 Nov 2023 22:13:20 GMT',
        'Last-Modified');
    like($r->{headers}{date}, qr/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/,
        'Date');
    $r = get($t, '/noetag/mtime.txt');
    ok(!exists $r->{headers}{etag}, 'etag off: no ETag');
    is($r->{headers}{'last-modified'}, 'Tue, 14 Nov 2023 22:13:20 GMT',
        'etag off: Last-Modified kept');
};

subtest 'disable_symlinks' => sub {
    is(body('/sl/link.txt'), "200 link target\n", 'symlinks followed by default');
    my $mark = log_mark($t);
    my $r = get($t, '/slon/link.txt');
    is($r->{status}, 403, 'disable_symlinks on: 403');
    log_once($t, $mark,
        qr/\[error\] \d+#\d+: \*\d+ openat\(\) "\Q$prefix\E\/html\/sl\/link\.txt" failed \(40: Too many levels of symbolic links\), client/,
        'disable_symlinks on');
    is(body('/slon/target.txt'), "200 link target\n",
        'disable_symlinks on: a plain file');
    is(body('/slown/link.txt'), "200 link target\n",
        'if_not_owner: same owner is served');
    $mark = log_mark($t);
    $r = get($t, '/slown/nobody-link.txt');
    is($r->{status}, 403, 'if_not_owner: other owner is 403');
    log_once($t, $mark,
        qr/\[error\] \d+#\d+: \*\d+ openat\(\) "\Q$prefix\E\/html\/sl\/nobody-link\.txt" failed \(40: Too many levels of symbolic links\), client/,
        'if_not_owner');
};

subtest 'open_file_cache' => sub {
    is(body('/ofc/f.txt'), "200 version 1\n", 'first read');
    is(body('/ofc/f.txt'), "200 version 1\n", 'cached');
    $t->write_file('html/ofc/f.new', "version 2, longer\n");
    rename "$prefix/html/ofc/f.new", "$prefix/html/ofc/f.txt";
    sleep 2.2;
    is(body('/ofc/f.txt'), "200 version 2, longer\n",
        'a replaced file is seen after open_file_cache_valid');
    unlink "$prefix/html/ofc/f.txt";
    sleep 2.2;
    is(get($t, '/ofc/f.txt')->{status}, 404, 'a removed file is 404 after valid');
};

subtest 'sendfile and a large file' => sub {
    my $on = get($t, '/sfon/mid.bin');
    my $off = get($t, '/sfoff/mid.bin');
    is(length $on->{body}, length $mid, 'sendfile on: length');
    is(md5_hex($on->{body}), md5_hex($mid), 'sendfile on: bytes');
    is(length $off->{body}, length $mid, 'sendfile off: length');
    is(md5_hex($off->{body}), md5_hex($mid), 'sendfile off: bytes');
    my $r = get($t, '/big.bin', timeout => 20);
    is($r->{headers}{'content-length'}, 20 * 1024 * 1024, '20 MB: Content-Length');
    is(length $r->{body}, length $big, '20 MB: length');
    ok(md5_hex($r->{body}) eq md5_hex($big), '20 MB: intact');
    $r = get($t, '/sfoff/big.bin', timeout => 20);
    ok(md5_hex($r->{body}) eq md5_hex($big), '20 MB, sendfile off: intact');
};

$t->done;
done_testing;
