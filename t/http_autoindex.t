#!/usr/bin/perl
# autoindex, autoindex_format, autoindex_exact_size, autoindex_localtime:
# directory listings in HTML, XML, JSON and JSONP, byte for byte as nginx
# 1.22 writes them (the expected texts below were recorded from it), and,
# when /usr/sbin/nginx is installed, compared live with nginx serving the
# same directories.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);
use File::Path qw(make_path);
use JSON::PP ();
use POSIX qw(mkfifo);

# Local time is India's (UTC+05:30, no summer time) for every server this
# test starts, so autoindex_localtime shows a fixed offset.
$ENV{TZ} = 'Asia/Kolkata';

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $html = "$prefix/html";

plan skip_all => "$name is built without http_autoindex"
    unless $t->has_module('http_autoindex');

# Every entry's mtime: 2020-01-02 03:04:05 UTC (08:34 in India).
my $T = 1577934245;

# ---- the directories ---------------------------------------------------

sub file ($path, $size = 0) {
    open(my $fh, '>', $path) or die "$path: $!";
    truncate($fh, $size) or die "truncate $path: $!";
    close $fh;
}

# Empty files made as hard links of one: much faster than creating
# thousands of files.
my $zero = "$prefix/harness/zero";
file($zero);

sub links (@paths) {
    for (@paths) { link($zero, $_) or die "link $_: $!" }
}

# Sets the mtime of everything under $root (symbolic links themselves
# included) to $T.
sub set_mtimes ($root) {
    my (@paths, @links);
    my @dirs = ($root);
    while (defined(my $d = shift @dirs)) {
        opendir(my $dh, $d) or next;
        for my $n (grep { $_ ne '.' && $_ ne '..' } readdir $dh) {
            my $p = "$d/$n";
            if (-l $p) { push @links, $p; next }
            push @paths, $p;
            push @dirs, $p if -d $p && -x _;
        }
    }
    system('touch', '-h', '-d', "\@$T", @links) == 0 or die 'touch -h'
        if @links;
    utime($T, $T, @paths, $root) or die "utime: $!";
}

sub build_tree () {
    my $l = "$html/list";
    make_path("$l/sub", "$l/Zdir", "$l/a dir <&>", "$l/.hiddendir",
        "$l/" . ('n' x 49), "$l/" . ('o' x 50), "$l/" . ('p' x 51));
    file("$l/a.txt");
    file("$l/B.txt", 1023);
    file("$l/_under", 1);
    file("$l/.hidden");
    file("$l/$_") for ('<b>&"x\'.txt', 'sp ace', 'pct%41', 'hash#q?x',
        "caf\xc3\xa9", 'plus+semi;eq=', 'l' x 50, 'm' x 51, '&' x 60,
        "\xe6\x97\xa5" x 60, "bad\xff", 'x' x 45 . "\xc3\xa9yyyyyy");

    my $s = "$html/sizes";
    make_path("$s/dir");
    file("$s/s$_", $_) for (0, 1, 1023, 1024, 1536, 9999, 10000, 10239,
        10751, 10752, 1048575, 1048576, 1572863, 1572864, 10485760,
        1073741823, 1073741824, 1610612735, 1610612736, 5368709120);

    my $sp = "$html/special";
    make_path("$sp/realdir");
    file("$sp/real", 5);
    symlink('nowhere', "$sp/dangling") or die "symlink: $!";
    symlink('loop', "$sp/loop") or die "symlink: $!";
    symlink('realdir', "$sp/linkdir") or die "symlink: $!";
    symlink('real', "$sp/linkfile") or die "symlink: $!";
    mkfifo("$sp/fifo", 0644) or die "mkfifo: $!";

    make_path("$html/ctl");
    file("$html/ctl/$_") for ("a\x01b", "c\x1fd", "e\x7ff",
        "g\x08h\x0ci\x0dj", "k\\l", "nl\nx", "tab\tx", 'q"x', 's_x');

    make_path("$html/empty", "$html/idx/sub", "$html/race");
    $t->write_file('html/idx/index.html', "index\n");
    file("$html/idx/other");

    # 10,000 files and three directories
    make_path(map { "$html/big/d$_" } 1 .. 3);
    links(map { sprintf("$html/big/f%05d", $_) } reverse 0 .. 9999);

    # readable but not searchable by the worker: stat() of "lnk" fails
    make_path("$html/noexec/sub", "$html/acc", "$html/noread");
    symlink('../noexec/sub', "$html/acc/lnk") or die "symlink: $!";
    file("$html/acc/plain");

    set_mtimes($html);

    chmod 0644, "$html/noexec";
    chmod 0311, "$html/noread";     # search, no read: opendir() fails
}

build_tree();

# ---- the configuration -------------------------------------------------

# One location per setting, all on the same tree; "/" keeps the default
# (off).
sub main_config ($root, $extra = '') {
    my $loc = '';
    for (['on', ''], ['rounded', 'autoindex_exact_size off;'],
        ['exact', 'autoindex_exact_size on;'],
        ['local', 'autoindex_localtime on;'],
        ['xml', 'autoindex_format xml;'], ['json', 'autoindex_format json;'],
        ['jsonp', 'autoindex_format jsonp;'],
        ['xmllocal', 'autoindex_format xml; autoindex_localtime on;'],
        ['jsonlocal', 'autoindex_format json; autoindex_localtime on;'])
    {
        $loc .= "        location /$_->[0]/ { alias $root/; autoindex on; "
            . "$_->[1] }\n";
    }
    return <<"EOF";
pid logs/server.pid;
error_log logs/error.log info;
events {}
http {
$extra
    server {
        listen 127.0.0.1:%%PORT0%%;
        root $root;
$loc    }
}
EOF
}

# nginx writes an access log unless told not to; warden has no access_log
# directive yet.
my $no_access_log = $name eq 'nginx' ? 'access_log off;' : '';

subtest 'directives' => sub {
    my $conf = $t->conf_path;
    my $bad = sub ($desc, $body, $msg, $line) {
        $t->write_config("pid logs/server.pid;\nevents {}\nhttp {\n$body\n}\n");
        my $r = $t->run('-t');
        is($r->{status}, 1, "$desc: rejected");
        like($r->{stderr}, qr/^\Q$name: [emerg] $msg in $conf:$line\E$/m,
            "$desc: message");
        $t->expect_log(qr/\[emerg\] \d+#\d+: \Q$msg in $conf:$line\E$/);
    };

    $t->write_config(<<'EOF');
pid logs/server.pid;
events {}
http {
    autoindex on;
    autoindex_format XML;
    autoindex_exact_size off;
    autoindex_localtime on;
    server {
        autoindex off;
        autoindex_format json;
        autoindex_exact_size on;
        autoindex_localtime off;
        location / {
            autoindex on;
            autoindex_format jsonp;
            autoindex_exact_size off;
            autoindex_localtime on;
        }
        location /h/ { autoindex_format html; }
    }
}
EOF
    my $r = $t->run('-t');
    is($r->{status}, 0, 'every value in http, server and location')
        or diag $r->{stderr};

    $bad->('unknown format', 'autoindex_format foo;', 'invalid value "foo"',
        4);
    $bad->('not a flag', 'autoindex maybe;',
        'invalid value "maybe" in "autoindex" directive, it must be "on" or "off"',
        4);
    $bad->('exact_size not a flag', 'autoindex_exact_size 1;',
        'invalid value "1" in "autoindex_exact_size" directive, '
        . 'it must be "on" or "off"', 4);
    $bad->('no argument', 'autoindex;',
        'invalid number of arguments in "autoindex" directive', 4);
    $bad->('two arguments', 'autoindex_localtime on off;',
        'invalid number of arguments in "autoindex_localtime" directive', 4);
    $bad->('format twice', "autoindex_format json;\nautoindex_format xml;",
        '"autoindex_format" directive is duplicate', 5);
    $bad->('autoindex twice', "autoindex on;\nautoindex off;",
        '"autoindex" directive is duplicate', 5);

    $t->write_config("pid logs/server.pid;\nautoindex on;\nevents {}\n");
    $r = $t->run('-t');
    like($r->{stderr},
        qr/\[emerg\] "autoindex" directive is not allowed here in \Q$conf\E:2/,
        'not in the main context');
    $t->expect_log(qr/"autoindex" directive is not allowed here/);
};

$t->write_config(main_config($html, $no_access_log));
$t->start or BAIL_OUT('cannot start');

sub get ($uri, %opt) {
    my $srv = delete $opt{server} // $t;
    return parse_response($srv->http_get($uri, %opt));
}

sub body_of ($uri) { get($uri)->{body} }

# ---- HTML --------------------------------------------------------------

my $D = '02-Jan-2020 03:04';
my $DIR = (' ' x 19) . "-\r\n";

sub sized ($n) { sprintf("%20s\r\n", $n) }

my $list_html = "<html>\r\n"
    . "<head><title>Index of /on/list/</title></head>\r\n"
    . "<body>\r\n"
    . "<h1>Index of /on/list/</h1><hr><pre><a href=\"../\">../</a>\r\n"
    . "<a href=\"Zdir/\">Zdir/</a>" . (' ' x 46) . $D . $DIR
    . "<a href=\"a%20dir%20%3C%26%3E/\">a dir &lt;&amp;&gt;/</a>"
    . (' ' x 41) . $D . $DIR
    . '<a href="' . ('n' x 49) . '/">' . ('n' x 49) . "/</a> $D$DIR"
    . '<a href="' . ('o' x 50) . '/">' . ('o' x 50) . "</a> $D$DIR"
    . '<a href="' . ('p' x 51) . '/">' . ('p' x 47) . "..&gt;</a> $D$DIR"
    . "<a href=\"sub/\">sub/</a>" . (' ' x 47) . $D . $DIR
    . '<a href="' . ('%26' x 60) . '">' . ('&amp;' x 47) . '..&gt;</a> '
    . $D . sized(0)
    . "<a href=\"%3Cb%3E%26%22x%27.txt\">&lt;b&gt;&amp;&quot;x'.txt</a>"
    . (' ' x 40) . $D . sized(0)
    . "<a href=\"B.txt\">B.txt</a>" . (' ' x 46) . $D . sized(1023)
    . "<a href=\"_under\">_under</a>" . (' ' x 45) . $D . sized(1)
    . "<a href=\"a.txt\">a.txt</a>" . (' ' x 46) . $D . sized(0)
    . "<a href=\"bad%FF\">bad\xff</a>" . (' ' x 47) . $D . sized(0)
    . "<a href=\"caf%C3%A9\">caf\xc3\xa9</a>" . (' ' x 46) . $D . sized(0)
    . "<a href=\"hash%23q%3Fx\">hash#q?x</a>" . (' ' x 43) . $D . sized(0)
    . '<a href="' . ('l' x 50) . '">' . ('l' x 50) . "</a> $D" . sized(0)
    . '<a href="' . ('m' x 51) . '">' . ('m' x 47) . "..&gt;</a> $D"
    . sized(0)
    . "<a href=\"pct%2541\">pct%41</a>" . (' ' x 45) . $D . sized(0)
    . "<a href=\"plus%2Bsemi%3Beq%3D\">plus+semi;eq=</a>" . (' ' x 38)
    . $D . sized(0)
    . "<a href=\"sp%20ace\">sp ace</a>" . (' ' x 45) . $D . sized(0)
    . '<a href="' . ('x' x 45) . '%C3%A9yyyyyy">' . ('x' x 45)
    . "\xc3\xa9..&gt;</a> $D" . sized(0)
    . '<a href="' . ('%E6%97%A5' x 60) . '">' . ("\xe6\x97\xa5" x 15)
    . "\xe6\x97..&gt;</a> $D" . sized(0)
    . "</pre><hr></body>\r\n"
    . "</html>\r\n";

subtest 'off by default' => sub {
    my $r = get('/list/');
    is($r->{status}, 403, 'no listing without "autoindex on"');
    like($t->error_log,
        qr/\[error\] .*directory index of "\Q$html\E\/list\/" is forbidden/,
        'logged as nginx does');
};

subtest 'HTML listing' => sub {
    my $r = get('/on/list/');
    is($r->{status}, 200, 'status');
    is($r->{headers}{'content-type'}, 'text/html', 'Content-Type');
    ok(!exists $r->{headers}{$_}, "no $_")
        for qw(content-length last-modified etag accept-ranges);
    is($r->{headers}{connection}, 'close', 'HTTP/1.0: the end is the close');
    is($r->{body}, $list_html,
        'layout, escaping, sorting, long and non-ASCII names as nginx');

    my ($line) = $r->{body} =~ /^(<a href="%3Cb.*)$/m;
    like($line, qr/^<a href="%3Cb%3E%26%22x%27\.txt">/,
        'names %-escaped in links');
    like($line, qr/>&lt;b&gt;&amp;&quot;x'\.txt</, 'HTML-escaped in text');
    unlike($r->{body}, qr/hidden/, 'dot-files are not listed');
};

subtest 'title' => sub {
    my $r = get('/on/list/a%20dir%20%3C%26%3E/');
    is($r->{status}, 200, 'a directory with escaped characters');
    like($r->{body}, qr{<title>Index of /on/list/a dir &lt;&amp;&gt;/</title>},
        'the decoded URI, HTML-escaped in the title');
    like($r->{body}, qr{<h1>Index of /on/list/a dir &lt;&amp;&gt;/</h1>},
        'and in the heading');
    is(get('/on/')->{status}, 200, 'the root of the alias');
};

subtest 'HTTP/1.1 and HEAD' => sub {
    my $r = parse_response($t->http("GET /on/list/ HTTP/1.1\r\n"
        . "Host: localhost\r\nConnection: close\r\n\r\n"), dechunk => 1);
    is($r->{status}, 200, 'HTTP/1.1');
    is($r->{headers}{'transfer-encoding'}, 'chunked', 'sent chunked');
    is($r->{body}, $list_html, 'the same listing');

    $r = parse_response($t->http("HEAD /on/list/ HTTP/1.0\r\n"
        . "Host: localhost\r\n\r\n"));
    is($r->{status}, 200, 'HEAD');
    is($r->{headers}{'content-type'}, 'text/html', 'HEAD: Content-Type');
    is($r->{body}, '', 'HEAD: no body');
    ok(!exists $r->{headers}{'content-length'}, 'HEAD: no Content-Length');

    $r = parse_response($t->http("HEAD /xml/list/ HTTP/1.1\r\n"
        . "Host: localhost\r\nConnection: close\r\n\r\n"));
    is($r->{headers}{'content-type'}, 'text/xml; charset=utf-8',
        'HEAD, XML: Content-Type');
    is($r->{body}, '', 'HEAD, HTTP/1.1: no body');
    ok(!exists $r->{headers}{'transfer-encoding'}, 'HEAD: not chunked');
};

subtest 'ranges and conditions' => sub {
    my $r = get('/on/list/', headers => { Range => 'bytes=0-10' });
    is($r->{status}, 200, 'Range: ignored');
    is($r->{body}, $list_html, 'Range: the whole listing');
    $r = get('/on/list/', headers => {
        'If-Modified-Since' => 'Thu, 01 Jan 2099 00:00:00 GMT' });
    is($r->{status}, 200, 'If-Modified-Since: no Last-Modified to compare');
    $r = get('/on/list/', headers => { 'If-None-Match' => '*' });
    is($r->{status}, 304, 'If-None-Match: * holds, as in nginx');
    is($r->{body}, '', 'no body with the 304');
};

subtest 'sizes' => sub {
    my %exact = map { $_ => $_ } (0, 1, 1023, 1024, 1536, 9999, 10000,
        10239, 10751, 10752, 1048575, 1048576, 1572863, 1572864, 10485760,
        1073741823, 1073741824, 1610612735, 1610612736, 5368709120);
    my %rounded = (%exact, 10000 => '10K', 10239 => '10K', 10751 => '10K',
        10752 => '11K', 1048575 => '1024K', 1048576 => '1M',
        1572863 => '1M', 1572864 => '2M', 10485760 => '10M',
        1073741823 => '1024M', 1073741824 => '1G', 1610612735 => '1G',
        1610612736 => '2G', 5368709120 => '5G');

    for my $case (['on', 19, \%exact], ['exact', 19, \%exact],
        ['rounded', 7, \%rounded])
    {
        my ($loc, $width, $want) = @$case;
        my $body = body_of("/$loc/sizes/");
        my %got = $body =~ /^<a href="s(\d+)">.* \Q$D\E +(\S+)\r$/mg;
        is_deeply(\%got, $want, "$loc: the size of each file");
        like($body, qr/^<a href="s0">s0<\/a> +\Q$D\E {$width}0\r$/m,
            "$loc: $width columns");
        like($body, qr/^<a href="dir\/">dir\/<\/a> +\Q$D\E {$width}-\r$/m,
            "$loc: a directory's size is \"-\"");
    }
};

subtest 'local time' => sub {
    my $body = body_of('/local/list/');
    (my $want = $list_html) =~ s/02-Jan-2020 03:04/02-Jan-2020 08:34/g;
    $want =~ s{/on/}{/local/}g;
    is($body, $want, 'HTML dates in local time');
    like(body_of('/xmllocal/list/'), qr/mtime="2020-01-02T03:04:05Z"/,
        'XML stays in UTC');
    like(body_of('/jsonlocal/list/'),
        qr/"mtime":"Thu, 02 Jan 2020 03:04:05 GMT"/, 'JSON stays in UTC');
};

# ---- XML, JSON, JSONP --------------------------------------------------

my $X = 'mtime="2020-01-02T03:04:05Z"';
my $J = '"mtime":"Thu, 02 Jan 2020 03:04:05 GMT"';

subtest 'special files' => sub {
    is(body_of('/on/special/'), "<html>\r\n"
        . "<head><title>Index of /on/special/</title></head>\r\n"
        . "<body>\r\n"
        . "<h1>Index of /on/special/</h1><hr><pre><a href=\"../\">../</a>\r\n"
        . "<a href=\"linkdir/\">linkdir/</a>" . (' ' x 43) . $D . $DIR
        . "<a href=\"realdir/\">realdir/</a>" . (' ' x 43) . $D . $DIR
        . "<a href=\"dangling\">dangling</a>" . (' ' x 43) . $D . sized(7)
        . "<a href=\"fifo\">fifo</a>" . (' ' x 47) . $D . sized(0)
        . "<a href=\"linkfile\">linkfile</a>" . (' ' x 43) . $D . sized(5)
        . "<a href=\"loop\">loop</a>" . (' ' x 47) . $D . sized(4)
        . "<a href=\"real\">real</a>" . (' ' x 47) . $D . sized(5)
        . "</pre><hr></body>\r\n</html>\r\n",
        'HTML: links followed; dangling and looping ones as themselves');

    is(body_of('/xml/special/'), "<?xml version=\"1.0\"?>\r\n<list>\r\n"
        . "<directory $X>linkdir</directory>\r\n"
        . "<directory $X>realdir</directory>\r\n"
        . "<other $X>dangling</other>\r\n"
        . "<other $X>fifo</other>\r\n"
        . "<file $X size=\"5\">linkfile</file>\r\n"
        . "<other $X>loop</other>\r\n"
        . "<file $X size=\"5\">real</file>\r\n"
        . "</list>\r\n", 'XML: directory, file and other');

    is(body_of('/json/special/'), "[\r\n"
        . "{ \"name\":\"linkdir\", \"type\":\"directory\", $J },\r\n"
        . "{ \"name\":\"realdir\", \"type\":\"directory\", $J },\r\n"
        . "{ \"name\":\"dangling\", \"type\":\"other\", $J },\r\n"
        . "{ \"name\":\"fifo\", \"type\":\"other\", $J },\r\n"
        . "{ \"name\":\"linkfile\", \"type\":\"file\", $J, \"size\":5 },\r\n"
        . "{ \"name\":\"loop\", \"type\":\"other\", $J },\r\n"
        . "{ \"name\":\"real\", \"type\":\"file\", $J, \"size\":5 }\r\n"
        . "]", 'JSON: directory, file and other');
};

subtest 'control characters' => sub {
    my @names = ("a\x01b", "c\x1fd", "e\x7ff", "g\x08h\x0ci\x0dj", "k\\l",
        "nl\nx", 'q"x', 's_x', "tab\tx");
    my @json = ('a\u0001b', 'c\u001Fd', "e\x7ff", 'g\bh\fi\rj', 'k\\\\l',
        'nl\nx', 'q\"x', 's_x', 'tab\tx');
    is(body_of('/json/ctl/'), "[\r\n"
        . join(",\r\n", map {
            "{ \"name\":\"$_\", \"type\":\"file\", $J, \"size\":0 }" } @json)
        . "\r\n]", 'JSON escapes them');

    is(body_of('/xml/ctl/'), "<?xml version=\"1.0\"?>\r\n<list>\r\n"
        . join('', map { "<file $X size=\"0\">" . s/"/&quot;/gr
            . "</file>\r\n" } @names)
        . "</list>\r\n", 'XML leaves them as they are');

    my $body = body_of('/on/ctl/');
    like($body, qr/^<a href="g%08h%0Ci%0Dj">g\x08h\x0ci\x0dj<\/a> {44}\Q$D\E/m,
        'HTML: %-escaped in links, raw in text');
    like($body, qr/^<a href="k%5Cl">k\\l<\/a>/m, 'a backslash');
};

subtest 'XML' => sub {
    my $r = get('/xml/list/');
    is($r->{status}, 200, 'status');
    is($r->{headers}{'content-type'}, 'text/xml; charset=utf-8',
        'Content-Type');
    my @entries = $r->{body} =~ /^<(\w+) [^>]*>([^<]*)<\/\1>\r$/mg;
    is(scalar @entries, 2 * 21, 'one line per entry');
    like($r->{body}, qr/^<\?xml version="1\.0"\?>\r\n<list>\r\n<directory /,
        'header');
    like($r->{body},
        qr/^<file \Q$X\E size="0">&lt;b&gt;&amp;&quot;x'\.txt<\/file>\r$/m,
        'names HTML-escaped');
    like($r->{body}, qr/^<file \Q$X\E size="1023">B\.txt<\/file>\r$/m,
        'exact sizes');
    like($r->{body}, qr/^<file \Q$X\E size="0">\Q${\('m' x 51)}\E<\/file>/m,
        'long names whole');
    is(body_of('/xml/empty/'),
        "<?xml version=\"1.0\"?>\r\n<list>\r\n</list>\r\n", 'empty');
};

subtest 'JSON' => sub {
    my $r = get('/json/list/');
    is($r->{status}, 200, 'status');
    is($r->{headers}{'content-type'}, 'application/json', 'Content-Type');
    # decoded as Latin-1: each byte a character, so names compare as bytes
    my $list = eval { JSON::PP->new->decode($r->{body}) };
    is(ref $list, 'ARRAY', 'valid JSON') or diag $@;
    $list //= [];
    my @dirs = ('Zdir', 'a dir <&>', 'n' x 49, 'o' x 50, 'p' x 51, 'sub');
    my @files = sort('&' x 60, q{<b>&"x'.txt}, 'B.txt', '_under', 'a.txt',
        "bad\xff", "caf\xc3\xa9", 'hash#q?x', 'l' x 50, 'm' x 51, 'pct%41',
        'plus+semi;eq=', 'sp ace', 'x' x 45 . "\xc3\xa9yyyyyy",
        "\xe6\x97\xa5" x 60);
    is_deeply([map { $_->{name} } @$list], [@dirs, @files],
        'directories first, then byte order');
    is_deeply([map { $_->{type} } @$list], [('directory') x 6, ('file') x 15],
        'types');
    is_deeply([map { $_->{size} // '-' } @$list],
        [('-') x 6, 0, 0, 1023, 1, 0, (0) x 10], 'sizes');
    is($list->[0]{mtime}, 'Thu, 02 Jan 2020 03:04:05 GMT', 'RFC 1123 dates');
    like($r->{body}, qr/^\[\r\n\{ "name":"Zdir", "type":"directory", \Q$J\E \},\r\n/,
        'layout');
    like($r->{body}, qr/"size":0 \}\r\n\]\z/, 'the end');
    is(body_of('/json/empty/'), "[\r\n]", 'empty');
};

subtest 'JSONP' => sub {
    my $r = get('/jsonp/empty/?callback=cb');
    is($r->{status}, 200, 'status');
    is($r->{headers}{'content-type'}, 'application/javascript',
        'Content-Type');
    is($r->{body}, "/* callback */\r\ncb([\r\n]);", 'empty, with callback');

    $r = get('/jsonp/special/?x=1&callback=My_func.v2&y=2');
    like($r->{body}, qr/\A\/\* callback \*\/\r\nMy_func\.v2\(\[\r\n\{ "name":"linkdir"/,
        'callback among other arguments');
    like($r->{body}, qr/"size":5 \}\r\n\]\);\z/, 'the end');

    $r = get('/jsonp/empty/?CallBack=x');
    is($r->{body}, "/* callback */\r\nx([\r\n]);",
        'the argument name is case-insensitive');

    for my $args ('', '?callback=', '?other=1') {
        $r = get("/jsonp/empty/$args");
        is($r->{headers}{'content-type'}, 'application/json',
            "no callback ($args): plain JSON");
        is($r->{body}, "[\r\n]", "no callback ($args): body");
    }

    my $max = 'a' x 128;
    is(get("/jsonp/empty/?callback=$max")->{status}, 200, '128 bytes');
    my $long = 'a' x 129;
    is(get("/jsonp/empty/?callback=$long")->{status}, 400, '129 bytes');
    like($t->error_log,
        qr/\[info\] .*client sent too long callback name: "$long"/,
        'too long: logged');

    for my $cb ('a-b', 'a%41', 'a$b', 'f[0]', 'a(b', '%3Cscript%3E') {
        is(get("/jsonp/empty/?callback=$cb")->{status}, 400,
            "invalid callback $cb");
        like($t->error_log,
            qr/\[info\] .*client sent invalid callback name: "\Q$cb\E"/,
            "$cb: logged");
    }
    is(get('/jsonp/missing/?callback=a-b')->{status}, 404,
        'a missing directory is found first (by the index module)');
};

# ---- errors and other handlers -----------------------------------------

subtest 'errors' => sub {
    is(get('/on/missing/')->{status}, 404, 'missing directory: 404');
    like($t->error_log,
        qr/\[error\] .*"\Q$html\E\/missing(\/index\.html)?" is not found \(2: /,
        'missing directory: logged');

    # mode 0311: not readable by its owner, nor by the workers' "nobody"
    # when the tests run as root
    is(get('/on/noread/')->{status}, 403, 'unreadable directory: 403');
    my $failed = qr/failed \(13: Permission denied\)/;
    like($t->error_log, qr/\[error\] .*opendir\(\) "\Q$html\E\/noread" $failed/,
        'unreadable directory: logged');
    my $r = parse_response($t->http("HEAD /on/noread/ HTTP/1.0\r\n\r\n"));
    is($r->{status}, 403, 'HEAD: 403 too');

    $t->expect_log(qr/\[crit\] .*stat\(\) "\Q$html\E\/acc\/lnk" failed \(13: /);
    my $up = qr/<a href="\.\.\/">\.\.\/<\/a>\r\n/;
    like(body_of('/on/acc/'), qr/<pre>$up<a href="plain">plain<\/a> .*\r\n<\/pre>/,
        'an entry that cannot be looked at is left out');

    $r = parse_response($t->http("POST /on/list/ HTTP/1.0\r\n"
        . "Content-Length: 3\r\n\r\nabc"));
    is($r->{status}, 403, 'POST: not listed');
    like($t->error_log,
        qr/directory index of "\Q$html\E\/list\/" is forbidden.*"POST /,
        'POST: as without autoindex');
    $r = parse_response($t->http("PUT /on/list/ HTTP/1.0\r\n"
        . "Content-Length: 0\r\n\r\n"));
    is($r->{status}, 405, 'PUT: 405');
};

subtest 'index, files and redirects' => sub {
    is(body_of('/on/idx/'), "index\n", 'an index file comes first');
    like(body_of('/on/idx/sub/'), qr/Index of \/on\/idx\/sub\//,
        'listing below it');
    my $r = get('/on/list/B.txt');
    is($r->{status}, 200, 'a file is the static module\'s');
    is(length $r->{body}, 1023, 'a file: its content');
    $r = get('/on/list/sub');
    is($r->{status}, 301, 'a directory without "/" is redirected');
    like($r->{headers}{location}, qr{/on/list/sub/$}, 'to the listing');
};

subtest '10,000 files' => sub {
    my $r = get('/on/big/', timeout => 30);
    is($r->{status}, 200, 'HTML: status');
    my @names = $r->{body} =~ /<a href="([^"]+)">/g;
    is(scalar @names, 10_004, 'HTML: every entry and "../"');
    is_deeply(\@names, ['../', 'd1/', 'd2/', 'd3/',
        map { sprintf 'f%05d', $_ } 0 .. 9999], 'HTML: in order');
    like($r->{body}, qr/<\/pre><hr><\/body>\r\n<\/html>\r\n\z/, 'HTML: whole');

    $r = get('/json/big/', timeout => 30);
    my $list = eval { JSON::PP->new->decode($r->{body}) } // [];
    is(scalar @$list, 10_003, 'JSON: every entry');
    is($list->[-1]{name}, 'f09999', 'JSON: the last one');

    $r = get('/xml/big/', timeout => 30);
    my $n = () = $r->{body} =~ /^<file /mg;
    is($n, 10_000, 'XML: every file');
};

# A directory of 10,000 files emptied while it is listed: many names that
# readdir() returns are gone when they are looked at.  (nginx gives up on
# such a listing half-way with a [crit] "lstat() ... failed".)
subtest 'entries that vanish while listed' => sub {
    plan skip_all => 'nginx fails the listing when it loses this race'
        if $name eq 'nginx';
    my @files = map { "$html/race/r$_" } 1 .. 10_000;
    my ($n, $ok, $whole) = (0, 0, 0);
    for my $round (1 .. 2) {
        links(@files);
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            unlink @files;
            POSIX::_exit(0);
        }
        while (1) {
            my $fmt = $n++ % 2 ? 'on' : 'json';
            my $r = get("/$fmt/race/", timeout => 30);
            $ok++ if $r->{status} == 200;
            $whole++ if $fmt eq 'on'
                ? $r->{body} =~ /<\/html>\r\n\z/
                : eval { JSON::PP->new->decode($r->{body}); 1 };
            last if waitpid($pid, POSIX::WNOHANG()) == $pid;
        }
    }
    is($ok, $n, "every listing answered 200 ($n listings)");
    is($whole, $n, 'every listing complete');
    unlike($t->error_log, qr/\[crit\].*race/, 'nothing logged');
};

subtest 'same as nginx' => sub {
    plan skip_all => 'no /usr/sbin/nginx to compare with'
        unless -x '/usr/sbin/nginx' && $name ne 'nginx';
    my $n = Test::Warden->new(binary => '/usr/sbin/nginx');
    $n->write_config(main_config($html, 'access_log off;'));
    $n->expect_log(qr/\[crit\] .*stat\(\) "\Q$html\E\/acc\/lnk" failed/);
    $n->start or return;

    my @uris = map { ("/$_/list/", "/$_/sizes/", "/$_/special/",
        "/$_/ctl/", "/$_/empty/", "/$_/big/", "/$_/acc/",
        "/$_/list/a%20dir%20%3C%26%3E/") }
        qw(on rounded local xml json jsonp xmllocal jsonlocal);
    push @uris, map { "/jsonp/special/?callback=$_" } qw(cb a.b_C9 a-b),
        'a' x 128, 'a' x 129;
    push @uris, qw(/on/missing/ /on/noread/ /list/ /on/idx/ /on/idx/sub/);
    my %headers = ('/on/list/ (Range)' => { Range => 'bytes=0-10' },
        '/on/list/ (If-None-Match)' => { 'If-None-Match' => '*' },
        '/on/list/ (If-Match)' => { 'If-Match' => '"x"' });
    push @uris, sort keys %headers;

    for my $case (@uris) {
        my ($uri) = $case =~ /^(\S+)/;
        my %h = (timeout => 30, headers => $headers{$case} // {});
        my $w = get($uri, %h);
        my $g = get($uri, %h, server => $n);
        my $same = $w->{status} == $g->{status}
            && ($w->{headers}{'content-type'} // '')
                eq ($g->{headers}{'content-type'} // '');
        if ($w->{status} == 200) {
            $same &&= $w->{body} eq $g->{body};
        }
        ok($same, "$case: same status, type and listing")
            or diag "warden: $w->{status}, nginx: $g->{status}";
    }
    $n->done;
};

$t->stop;

# ---- inheritance -------------------------------------------------------

subtest 'inheritance' => sub {
    $t->write_config(<<"EOF");
pid logs/server.pid;
error_log logs/error.log info;
events {}
http {
    $no_access_log
    autoindex on;
    autoindex_format json;
    autoindex_exact_size off;
    autoindex_localtime on;
    server {
        listen 127.0.0.1:%%PORT0%%;
        location /json/ { alias $html/; }
        location /html/ { alias $html/; autoindex_format html; }
        location /exact/ {
            alias $html/;
            autoindex_format html;
            autoindex_exact_size on;
            autoindex_localtime off;
        }
        location /off/ { alias $html/; autoindex off; }
    }
    server {
        listen 127.0.0.1:%%PORT1%%;
        autoindex off;
        autoindex_format xml;
        location /xml/ { alias $html/; autoindex on; }
        location /none/ { alias $html/; }
    }
}
EOF
    $t->start or return;
    is(get('/json/empty/')->{body}, "[\r\n]", 'format from http');
    like(body_of('/html/sizes/'),
        qr/^<a href="s10000">s10000<\/a> +02-Jan-2020 08:34     10K\r$/m,
        'exact_size and localtime from http');
    like(body_of('/exact/sizes/'),
        qr/^<a href="s10000">s10000<\/a> +02-Jan-2020 03:04 {15}10000\r$/m,
        'overridden in the location');
    is(get('/off/empty/')->{status}, 403, 'autoindex off in the location');

    my $p1 = $t->port(1);
    is(get('/xml/empty/', port => $p1)->{body},
        "<?xml version=\"1.0\"?>\r\n<list>\r\n</list>\r\n",
        'on in the location, format from the server');
    is(get('/none/empty/', port => $p1)->{status}, 403,
        'off from the server');
    $t->stop;
};

# let the harness remove the tree
chmod 0755, "$html/noread", "$html/noexec";

$t->done;
done_testing;
