#!/usr/bin/perl
# Conditional requests (RFC 9110 §13) against static files: If-Match,
# If-Unmodified-Since, If-None-Match, If-Modified-Since with
# "if_modified_since off|exact|before" and "etag off", their precedence,
# the 304 and 412 responses; and the same requests against nginx when it
# is installed.  Where warden follows RFC 9110 and nginx does not, the
# expectation depends on which server runs.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);

my $t = Test::Warden->new;
my $name = $t->name;
my $rfc = $name ne 'nginx';    # RFC 9110 where nginx 1.22 differs

my $data = "conditional\n" x 50;
my $len = length $data;
my $mtime = 1704164645;    # Tue, 02 Jan 2024 03:04:05 GMT
my $etag = sprintf '"%x-%x"', $mtime, $len;
my %dates = (
    'IMF-fixdate' => 'Tue, 02 Jan 2024 03:04:05 GMT',
    'RFC 850'     => 'Tuesday, 02-Jan-24 03:04:05 GMT',
    'asctime'     => 'Tue Jan  2 03:04:05 2024',
);
my %later = (
    'IMF-fixdate' => 'Wed, 03 Jan 2024 00:00:00 GMT',
    'RFC 850'     => 'Wednesday, 03-Jan-24 00:00:00 GMT',
    'asctime'     => 'Wed Jan  3 00:00:00 2024',
);
my %earlier = (
    'IMF-fixdate' => 'Tue, 02 Jan 2024 03:04:04 GMT',
    'RFC 850'     => 'Tuesday, 02-Jan-24 03:04:04 GMT',
    'asctime'     => 'Tue Jan  2 03:04:04 2024',
);
my $lm = $dates{'IMF-fixdate'};
my $old = $earlier{'IMF-fixdate'};
my $new = $later{'IMF-fixdate'};

my $config = <<'EOF';
pid logs/warden.pid;
error_log logs/error.log info;
events {}
http {
    %%ACCESS_LOG%%
    default_type text/plain;
    server {
        listen 127.0.0.1:%%PORT0%%;
        root %%PREFIX%%/html;
        location /noetag/ { alias %%PREFIX%%/html/; etag off; }
        location /ims_off/ { alias %%PREFIX%%/html/; if_modified_since off; }
        location /ims_exact/ {
            alias %%PREFIX%%/html/;
            if_modified_since exact;
        }
        location /ims_before/ {
            alias %%PREFIX%%/html/;
            if_modified_since before;
        }
        location = /text { return 200 "some text"; }
    }
}
EOF

sub setup ($s) {
    $s->write_file('html/f.txt', $data);
    utime $mtime, $mtime, $s->prefix . '/html/f.txt';
    my $al = $s->name eq 'nginx' ? 'access_log off;' : '';
    $s->write_config($config =~ s/%%ACCESS_LOG%%/$al/r);
}

sub request ($s, $method, $path, @headers) {
    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n" . join('', map { "$_\r\n" } @headers)
        . "\r\n";
    return parse_response($s->http($req));
}

sub get ($path, @headers)  { request($t, 'GET', $path, @headers) }
sub head ($path, @headers) { request($t, 'HEAD', $path, @headers) }

sub is_200 ($res, $desc, %opt) {
    subtest $desc => sub {
        is($res->{status}, 200, 'status 200');
        is($res->{body}, $opt{head} ? '' : $data, 'the body');
        is($res->{headers}{'content-length'}, $len, 'Content-Length');
    };
}

sub is_304 ($res, $desc, %opt) {
    subtest $desc => sub {
        is($res->{status}, 304, 'status 304');
        is($res->{body}, '', 'no body');
        ok(!exists $res->{headers}{$_}, "no $_")
            for qw(content-type content-length accept-ranges content-range
            transfer-encoding);
        is($res->{headers}{'last-modified'}, $lm, 'Last-Modified kept');
        is($res->{headers}{etag}, $opt{noetag} ? undef : $etag,
            $opt{noetag} ? 'no ETag' : 'ETag kept');
    };
}

sub is_412 ($res, $desc, %opt) {
    subtest $desc => sub {
        is($res->{status}, 412, 'status 412');
        is($res->{headers}{'content-type'}, 'text/html', 'an error page');
        like($res->{body}, $opt{head} ? qr/^\z/
            : qr{<title>412 Precondition Failed</title>}, 'its text');
        ok(!exists $res->{headers}{etag}, 'no ETag');
        ok(!exists $res->{headers}{'last-modified'}, 'no Last-Modified');
        ok(index($res->{body}, $data) < 0, 'not the file');
    };
}

setup($t);
$t->start or BAIL_OUT('cannot start');

subtest 'If-Modified-Since, exact (the default)' => sub {
    for my $loc ('', '/ims_exact') {
        for my $f (sort keys %dates) {
            is_304(get("$loc/f.txt", "If-Modified-Since: $dates{$f}"),
                "$loc Last-Modified as $f");
            is_200(get("$loc/f.txt", "If-Modified-Since: $later{$f}"),
                "$loc later, $f");
            is_200(get("$loc/f.txt", "If-Modified-Since: $earlier{$f}"),
                "$loc earlier, $f");
        }
    }
    is_200(get('/f.txt', 'If-Modified-Since: garbage'), 'not a date');
    is_304(get('/f.txt', "If-Modified-Since: $lm, $old"),
        'what follows the date is ignored (as nginx does)');
    is_304(get('/f.txt', "If-Modified-Since: $lm; length=600"),
        'an old client\'s "; length="');
    is_304(head('/f.txt', "If-Modified-Since: $lm"), 'HEAD');
};

subtest 'If-Modified-Since, before' => sub {
    for my $f (sort keys %dates) {
        is_304(get('/ims_before/f.txt', "If-Modified-Since: $dates{$f}"),
            "Last-Modified as $f");
        is_304(get('/ims_before/f.txt', "If-Modified-Since: $later{$f}"),
            "later, $f");
        is_200(get('/ims_before/f.txt', "If-Modified-Since: $earlier{$f}"),
            "earlier, $f");
    }
    is_200(get('/ims_before/f.txt', 'If-Modified-Since: garbage'),
        'not a date');
};

subtest 'If-Modified-Since, off' => sub {
    is_200(get('/ims_off/f.txt', "If-Modified-Since: $lm"), 'Last-Modified');
    is_200(get('/ims_off/f.txt', "If-Modified-Since: $new"), 'later');
    is_304(get('/ims_off/f.txt', "If-None-Match: $etag"),
        'If-None-Match still works');
};

subtest 'If-None-Match' => sub {
    is_304(get('/f.txt', "If-None-Match: $etag"), 'the ETag');
    is_304(get('/f.txt', "If-None-Match: W/$etag"),
        'weak comparison: W/ matches');
    is_304(get('/f.txt', "If-None-Match: \"a\", $etag"), 'in a list');
    is_304(get('/f.txt', "If-None-Match: \"a\",$etag , \"b\""),
        'in a list without spaces');
    is_304(get('/f.txt', "If-None-Match: \"a,b\", $etag"),
        'after a tag with a comma');
    is_304(get('/f.txt', 'If-None-Match: *'), '*');
    is_304(head('/f.txt', "If-None-Match: $etag"), 'HEAD');
    is_200(get('/f.txt', 'If-None-Match: "a"'), 'another ETag');
    is_200(get('/f.txt', 'If-None-Match: "a", W/"b"'), 'other ETags');
    is_200(get('/f.txt', 'If-None-Match: ' . substr($etag, 1, -1)),
        'the ETag without quotes');
    is_200(get('/f.txt', "If-None-Match: $etag" . 'x'), 'a longer one');
    is_200(get('/f.txt', "If-None-Match: \"\""), 'an empty one');
    is_304(get('/noetag/f.txt', 'If-None-Match: *'),
        'etag off: * still matches', noetag => 1);
    is_200(get('/noetag/f.txt', "If-None-Match: $etag"),
        'etag off: an ETag does not');
};

subtest 'If-None-Match and If-Modified-Since' => sub {
    is_200(get('/f.txt', 'If-None-Match: "a"', "If-Modified-Since: $lm"),
        'If-None-Match fails: 200 whatever the date');
    is_304(get('/f.txt', "If-None-Match: $etag", "If-Modified-Since: $lm"),
        'both hold');
    my $r = get('/f.txt', "If-None-Match: $etag", "If-Modified-Since: $old");
    if ($rfc) {
        is_304($r, 'If-None-Match holds: the date is not looked at');
    }
    else {
        is_200($r, 'nginx: the date must hold too');
    }
    $r = get('/ims_off/f.txt', "If-None-Match: $etag",
        "If-Modified-Since: $lm");
    if ($rfc) {
        is_304($r, 'if_modified_since off: the ETag decides');
    }
    else {
        is_200($r, 'nginx, if_modified_since off: the date never holds');
    }
};

subtest 'If-Match' => sub {
    is_200(head('/f.txt', "If-Match: $etag"), 'the ETag', head => 1);
    is_200(get('/f.txt', "If-Match: \"x\", $etag"), 'in a list');
    is_200(get('/f.txt', 'If-Match: *'), '*');
    is_200(get('/noetag/f.txt', 'If-Match: *'), 'etag off: *');
    is_412(get('/f.txt', "If-Match: W/$etag"), 'strong comparison: W/ fails');
    is_412(get('/f.txt', 'If-Match: "x"'), 'another ETag');
    is_412(head('/f.txt', 'If-Match: "x"'), 'HEAD, another ETag', head => 1);
    is_412(get('/noetag/f.txt', "If-Match: $etag"), 'etag off: an ETag');
};

subtest 'If-Unmodified-Since' => sub {
    for my $f (sort keys %dates) {
        is_200(get('/f.txt', "If-Unmodified-Since: $dates{$f}"),
            "Last-Modified as $f");
        is_200(get('/f.txt', "If-Unmodified-Since: $later{$f}"), "later, $f");
        is_412(get('/f.txt', "If-Unmodified-Since: $earlier{$f}"),
            "earlier, $f");
    }
    is_412(head('/f.txt', "If-Unmodified-Since: $old"), 'HEAD, earlier',
        head => 1);
    my $r = get('/f.txt', 'If-Unmodified-Since: garbage');
    if ($rfc) {
        is_200($r, 'not a date: ignored');
    }
    else {
        is_412($r, 'nginx: not a date fails');
    }
};

subtest 'precedence (RFC 9110 §13.2.2)' => sub {
    my $r = get('/f.txt', "If-Match: $etag", "If-Unmodified-Since: $old");
    if ($rfc) {
        is_200($r, 'If-Match holds: If-Unmodified-Since is not looked at');
    }
    else {
        is_412($r, 'nginx: If-Unmodified-Since is looked at too');
    }
    is_412(get('/f.txt', 'If-Match: "x"', "If-None-Match: $etag"),
        'If-Match before If-None-Match');
    is_412(get('/f.txt', "If-Unmodified-Since: $old",
        "If-None-Match: $etag"), 'If-Unmodified-Since before If-None-Match');
    is_412(get('/f.txt', 'If-Match: "x"', "If-Modified-Since: $lm"),
        'If-Match before If-Modified-Since');
    is_412(get('/f.txt', "If-Unmodified-Since: $old", 'Range: bytes=0-1'),
        'If-Unmodified-Since before Range');
    is_304(get('/f.txt', "If-None-Match: $etag", 'Range: bytes=0-1'),
        'If-None-Match before Range');
    is_304(get('/f.txt', "If-Modified-Since: $lm", 'Range: bytes=0-1'),
        'If-Modified-Since before Range');
    $r = get('/f.txt', "If-Match: $etag", 'Range: bytes=0-1');
    is($r->{status}, 206, 'If-Match holds, then Range');
};

subtest 'other responses' => sub {
    my $r = get('/nonexistent', 'If-None-Match: *');
    is($r->{status}, 404, 'a 404 stays a 404');
    $r = get('/nonexistent', 'If-Match: "x"');
    is($r->{status}, 404, 'no 412 for a 404');

    # no validators: only "*" can match
    $r = get('/text', 'If-None-Match: *');
    is($r->{status}, 304, 'return 200, If-None-Match: *: 304');
    $r = get('/text', "If-Modified-Since: $new");
    is($r->{status}, 200, 'return 200, If-Modified-Since: 200');
    $r = get('/text', 'If-Match: *');
    is($r->{status}, 200, 'return 200, If-Match: *: 200');
    $r = get('/text', 'If-Match: "x"');
    is($r->{status}, 412, 'return 200, If-Match an ETag: 412');
    $r = get('/text', "If-Unmodified-Since: $old");
    is($r->{status}, $rfc ? 200 : 412,
        'return 200, If-Unmodified-Since: '
            . ($rfc ? 'no Last-Modified, ignored' : 'nginx: 412'));

    # a method other than GET and HEAD has been performed by then
    $r = request($t, 'POST', '/text', 'If-None-Match: *',
        'Content-Length: 0');
    is($r->{status}, $rfc ? 200 : 304,
        'POST: ' . ($rfc ? 'preconditions not applied' : 'nginx: 304'));
};

subtest 'connections' => sub {
    my $raw = $t->http("GET /f.txt HTTP/1.1\r\nHost: x\r\n"
        . "If-None-Match: $etag\r\n\r\n"
        . "GET /f.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my @st = $raw =~ m{HTTP/1\.1 (\d+) }g;
    is("@st", '304 200', 'a 304 keeps the connection');

    $raw = $t->http("GET /f.txt HTTP/1.1\r\nHost: x\r\nIf-Match: \"x\"\r\n\r\n"
        . "GET /f.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    @st = $raw =~ m{HTTP/1\.1 (\d+) }g;
    is("@st", '412', 'a 412 closes the connection (as nginx does)');
    my $res = parse_response($raw);
    is(length $res->{body}, $res->{headers}{'content-length'},
        'nothing follows the 412 page');
};

subtest 'same responses as nginx' => sub {
    my $bin = $ENV{NGINX_BINARY} // '/usr/sbin/nginx';
    plan skip_all => 'testing nginx itself' if $name eq 'nginx';
    plan skip_all => "no $bin" unless -x $bin;
    my $n = Test::Warden->new(binary => $bin);
    setup($n);
    $n->start or return;

    my @requests = (
        map({ ['GET', "$_/f.txt", "If-Modified-Since: $lm"],
              ['GET', "$_/f.txt", "If-Modified-Since: $new"],
              ['GET', "$_/f.txt", "If-Modified-Since: $old"] }
            '', '/ims_before', '/ims_off'),
        map({ ['GET', '/f.txt', "If-Modified-Since: $_"] }
            values %dates, 'garbage'),
        map({ ['GET', '/f.txt', "If-None-Match: $_"] }
            $etag, "W/$etag", "\"a\", $etag", '*', '"a"'),
        ['GET', '/noetag/f.txt', 'If-None-Match: *'],
        ['GET', '/noetag/f.txt', "If-None-Match: $etag"],
        ['GET', '/f.txt', 'If-None-Match: "a"', "If-Modified-Since: $lm"],
        map({ ['HEAD', '/f.txt', "If-Match: $_"] }
            $etag, "W/$etag", '"x"', '*'),
        ['HEAD', '/noetag/f.txt', 'If-Match: *'],
        map({ ['HEAD', '/f.txt', "If-Unmodified-Since: $_"] }
            $lm, $new, $old, values %earlier),
        ['HEAD', '/f.txt', 'If-Match: "x"', "If-None-Match: $etag"],
        ['HEAD', '/f.txt', "If-Unmodified-Since: $old",
            "If-None-Match: $etag"],
        ['GET', '/f.txt', "If-None-Match: $etag", 'Range: bytes=0-1'],
        ['GET', '/text', 'If-None-Match: *'],
        ['GET', '/text', 'If-Match: "x"'],
    );
    for my $q (@requests) {
        my ($m, $path, @h) = @$q;
        is(normalized(request($t, $m, $path, @h)),
            normalized(request($n, $m, $path, @h)), "$m $path @h");
    }
    $n->done;
};

# Without what differs by design: Date, Server, the error pages' footer.
sub normalized ($res) {
    return 'no response' unless $res && $res->{status};
    my $h = $res->{raw_headers};
    $h =~ s/^(?:Date|Server): .*\n//mg;
    if ($res->{status} >= 400) {
        $h =~ s/^Content-Length: .*\n//m;
        return $h;
    }
    return "$h\n\n$res->{body}";
}

$t->done;
done_testing;
