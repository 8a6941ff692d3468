#!/usr/bin/perl
# Byte ranges (RFC 9110 §14) of static files: single ranges, multipart/
# byteranges, 416, ranges that are ignored, If-Range, max_ranges, the
# amplification guard, Accept-Ranges; and the same requests against nginx
# when it is installed.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);

my $t = Test::Warden->new;
my $name = $t->name;

# 1000 bytes with every byte value, CR, LF and "--" among them, so a part
# that is cut or framed wrongly does not go unnoticed.
my $data = join '', map { chr(($_ * 7919 + 13) % 256) } 0 .. 999;
my $len = length $data;
my $mtime = 1704164645;    # Tue, 02 Jan 2024 03:04:05 GMT
my $etag = sprintf '"%x-%x"', $mtime, $len;
my %dates = (
    'IMF-fixdate' => 'Tue, 02 Jan 2024 03:04:05 GMT',
    'RFC 850'     => 'Tuesday, 02-Jan-24 03:04:05 GMT',
    'asctime'     => 'Tue Jan  2 03:04:05 2024',
);
my $later = 'Tue, 02 Jan 2024 03:04:06 GMT';

my $big = join '', map { pack 'N', $_ * 2654435761 % 4294967296 } 0 .. 262143;
$big .= 'tail!!!';    # 1 MiB + 7: not a multiple of any buffer size

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
        location /mr0/ { alias %%PREFIX%%/html/; max_ranges 0; }
        location /mr1/ { alias %%PREFIX%%/html/; max_ranges 1; }
        location /mr2/ { alias %%PREFIX%%/html/; max_ranges 2; }
        location /nosendfile/ { alias %%PREFIX%%/html/; sendfile off; }
        location = /text { return 200 "some text"; }
    }
}
EOF

# The same files and configuration in $s's prefix.
sub setup ($s) {
    $s->write_file('html/f.bin', $data);
    $s->write_file('html/big.bin', $big);
    $s->write_file('html/empty.txt', '');
    utime $mtime, $mtime, map { $s->prefix . "/html/$_" }
        qw(f.bin big.bin empty.txt);
    # nginx's default access log is outside the prefix; warden's is not
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

# The parts of a multipart/byteranges body, each { type, range, data };
# undef when the framing is not exactly what it must be.
sub parts ($res) {
    my ($b) = ($res->{headers}{'content-type'} // '')
        =~ m{^multipart/byteranges; boundary=(\d{20})$} or return undef;
    my $body = $res->{body};
    my (@parts, %h);
    pos($body) = 0;
    while ($body =~ /\G\r\n--\Q$b\E\r\n/gc) {
        %h = ();
        $h{ lc $1 } = $2 while $body =~ /\G([A-Za-z-]+): ([^\r\n]*)\r\n/gc;
        $body =~ /\G\r\n/gc or return undef;
        my ($s, $e) = ($h{'content-range'} // '') =~ m{^bytes (\d+)-(\d+)/\d+$}
            or return undef;
        my $at = pos $body;
        push @parts, { type => $h{'content-type'}, range => $h{'content-range'},
            data => substr($body, $at, $e - $s + 1) };
        pos($body) = $at + $e - $s + 1;
    }
    return $body =~ /\G\r\n--\Q$b\E--\r\n\z/gc ? \@parts : undef;
}

# A 206 of one range [s, e] of $content.
sub is_single ($res, $s, $e, $desc, $content = $data) {
    my $total = length $content;
    subtest $desc => sub {
        is($res->{status}, 206, 'status 206');
        is($res->{headers}{'content-range'}, "bytes $s-$e/$total",
            'Content-Range');
        is($res->{headers}{'content-length'}, $e - $s + 1, 'Content-Length');
        ok($res->{body} eq substr($content, $s, $e - $s + 1), 'the bytes');
        ok(!exists $res->{headers}{'accept-ranges'}, 'no Accept-Ranges');
    };
}

# A 206 multipart/byteranges of [[s, e], ...] of $content.
sub is_multi ($res, $ranges, $desc, $content = $data) {
    my $total = length $content;
    subtest $desc => sub {
        is($res->{status}, 206, 'status 206');
        like($res->{headers}{'content-type'},
            qr{^multipart/byteranges; boundary=\d{20}$}, 'Content-Type');
        is($res->{headers}{'content-length'}, length $res->{body},
            'Content-Length is the body length');
        ok(!exists $res->{headers}{'content-range'}, 'no Content-Range');
        my $p = parts($res);
        ok($p, 'multipart framing') or return;
        is(scalar @$p, scalar @$ranges, 'number of parts');
        for my $i (0 .. $#$ranges) {
            my ($s, $e) = @{ $ranges->[$i] };
            is($p->[$i]{type}, 'text/plain', "part $i: Content-Type");
            is($p->[$i]{range}, "bytes $s-$e/$total", "part $i: Content-Range");
            ok($p->[$i]{data} eq substr($content, $s, $e - $s + 1),
                "part $i: the bytes");
        }
    };
}

# The whole file: Range was ignored.
sub is_whole ($res, $desc, %opt) {
    subtest $desc => sub {
        is($res->{status}, 200, 'status 200');
        is($res->{headers}{'content-length'}, $len, 'Content-Length');
        ok($res->{body} eq $data, 'the whole file');
        ok(!exists $res->{headers}{'content-range'}, 'no Content-Range');
        is($res->{headers}{'accept-ranges'},
            exists $opt{accept} ? $opt{accept} : 'bytes', 'Accept-Ranges');
    };
}

sub is_416 ($res, $desc, $total = $len) {
    subtest $desc => sub {
        is($res->{status}, 416, 'status 416');
        is($res->{headers}{'content-range'}, "bytes */$total",
            'Content-Range: bytes */size');
        is($res->{headers}{'content-type'}, 'text/html', 'an error page');
        ok(!exists $res->{headers}{etag}, 'no ETag');
        ok(!exists $res->{headers}{'last-modified'}, 'no Last-Modified');
        ok(!exists $res->{headers}{'accept-ranges'}, 'no Accept-Ranges');
    };
}

setup($t);
$t->start or BAIL_OUT('cannot start');

subtest 'single ranges' => sub {
    is_single(get('/f.bin', 'Range: bytes=0-99'), 0, 99, '0-99');
    is_single(get('/f.bin', 'Range: bytes=100-'), 100, 999, '100-');
    is_single(get('/f.bin', 'Range: bytes=-100'), 900, 999, '-100');
    is_single(get('/f.bin', 'Range: bytes=0-0'), 0, 0, '0-0');
    is_single(get('/f.bin', 'Range: bytes=999-'), 999, 999, 'the last byte');
    is_single(get('/f.bin', 'Range: bytes=990-5000'), 990, 999,
        'an end past the size is clipped');
    is_single(get('/f.bin', 'Range: bytes=-5000'), 0, 999,
        'a suffix longer than the file is the file');
    is_single(get('/f.bin', 'Range: bytes=0-9223372036854775807'), 0, 999,
        'the largest end');
    is_single(get('/f.bin', 'Range: bytes= 10 - 19 '), 10, 19,
        'spaces around the numbers');
    is_single(get('/f.bin', 'Range: BYTES=10-19'), 10, 19,
        'the unit is case-insensitive');
    is_single(get('/f.bin', 'Range: bytes=0-1,2000-3000'), 0, 1,
        'an unsatisfiable range among others is dropped');
    is_single(get('/f.bin', 'Range: bytes=0-0,-0'), 0, 0, '"-0" is dropped');

    my $r = get('/f.bin', 'Range: bytes=0-99');
    is($r->{headers}{etag}, $etag, 'ETag kept');
    is($r->{headers}{'last-modified'}, $dates{'IMF-fixdate'},
        'Last-Modified kept');
    is($r->{headers}{'content-type'}, 'text/plain', 'Content-Type kept');

    my $raw = $t->http("GET /f.bin HTTP/1.0\r\nRange: bytes=5-9\r\n\r\n");
    is_single(parse_response($raw), 5, 9, 'HTTP/1.0');
};

subtest 'HEAD' => sub {
    my $r = head('/f.bin', 'Range: bytes=0-99');
    is($r->{status}, 206, 'single: 206');
    is($r->{headers}{'content-range'}, 'bytes 0-99/1000', 'Content-Range');
    is($r->{headers}{'content-length'}, 100, 'Content-Length');
    is($r->{body}, '', 'no body');

    my $g = get('/f.bin', 'Range: bytes=0-9,20-29');
    $r = head('/f.bin', 'Range: bytes=0-9,20-29');
    is($r->{status}, 206, 'multipart: 206');
    is($r->{headers}{'content-length'}, length $g->{body},
        'Content-Length as GET sends the body');
    is($r->{body}, '', 'no body');

    is_416(head('/f.bin', 'Range: bytes=1000-'), 'not satisfiable');
};

subtest 'multipart/byteranges' => sub {
    is_multi(get('/f.bin', 'Range: bytes=0-9,20-29'), [[0, 9], [20, 29]],
        'two ranges');
    is_multi(get('/f.bin', 'Range: bytes=500-599,0-9'), [[500, 599], [0, 9]],
        'in the order asked, not sorted');
    is_multi(get('/f.bin', 'Range: bytes=0-9,5-14'), [[0, 9], [5, 14]],
        'overlapping ranges within the size');
    is_multi(get('/f.bin', 'Range: bytes=-1,0-0,500-'),
        [[999, 999], [0, 0], [500, 999]], 'suffix and open ranges');
    is_multi(get('/f.bin', 'Range: bytes=0-499,500-'), [[0, 499], [500, 999]],
        'the whole file in two parts');
    is_multi(get('/f.bin', 'Range: bytes= 1 - 2 , 3 - 4 '), [[1, 2], [3, 4]],
        'spaces');

    my @b = map {
        (get('/f.bin', 'Range: bytes=0-0,2-2')->{headers}{'content-type'}
            // '') =~ /(\d{20})$/
    } 1 .. 3;
    is(scalar @b, 3, 'three boundaries');
    ok($b[0] ne $b[1] && $b[1] ne $b[2] && $b[0] ne $b[2],
        'a new boundary for each response');
};

subtest 'large file (sendfile on and off)' => sub {
    my $n = length $big;
    for my $loc ('', '/nosendfile') {
        is_single(get("$loc/big.bin", 'Range: bytes=1048570-'), 1048570,
            $n - 1, "$loc tail", $big);
        is_single(get("$loc/big.bin", 'Range: bytes=65530-200000'), 65530,
            200000, "$loc middle", $big);
        is_multi(get("$loc/big.bin", 'Range: bytes=1048000-,3-70000,-2'),
            [[1048000, $n - 1], [3, 70000], [$n - 2, $n - 1]],
            "$loc multipart", $big);
    }
};

subtest '416 Range Not Satisfiable' => sub {
    is_416(get('/f.bin', 'Range: bytes=1000-'), 'a start at the size');
    is_416(get('/f.bin', 'Range: bytes=5000-6000'), 'a start past the size');
    is_416(get('/f.bin', 'Range: bytes=1000-,2000-3000'), 'no range left');
    is_416(get('/f.bin', 'Range: bytes=-0'), 'an empty suffix');
    is_416(get('/empty.txt', 'Range: bytes=5-'), 'an empty file', 0);

    # nginx rejects a malformed byte range rather than ignoring it
    # (RFC 9110 §14.2 allows either)
    for my $bad ('abc', '5-3', '0-9,', ',0-9', '-', '1-2-3', '0-1;x',
        "0-1\tx", '99999999999999999999-', '0-99999999999999999999',
        '0-1,abc')
    {
        is_416(get('/f.bin', "Range: bytes=$bad"), "malformed: \"$bad\"");
    }
};

subtest 'Range ignored' => sub {
    is_whole(get('/f.bin', 'Range: items=0-9'), 'another unit');
    is_whole(get('/f.bin', 'Range: bytes='), 'no ranges');
    is_whole(get('/f.bin', 'Range: bytes0-9'), 'no "="');
    is_whole(get('/f.bin'), 'no Range');

    my $r = get('/empty.txt', 'Range: bytes=0-');
    is($r->{status}, 200, 'empty file, "0-": 200');
    $r = get('/empty.txt', 'Range: bytes=-5');
    is($r->{status}, 200, 'empty file, "-5": 200');

    $r = get('/text', 'Range: bytes=0-1');
    is($r->{status}, 200, 'not a file: 200');
    is($r->{body}, 'some text', 'not a file: whole');
    ok(!exists $r->{headers}{'accept-ranges'}, 'not a file: no Accept-Ranges');

    $r = get('/nonexistent', 'Range: bytes=0-1');
    is($r->{status}, 404, 'not found: 404');
    ok(!exists $r->{headers}{'content-range'}, 'not found: no Content-Range');
};

subtest 'If-Range' => sub {
    is_single(get('/f.bin', 'Range: bytes=0-9', "If-Range: $etag"), 0, 9,
        'the ETag');
    is_whole(get('/f.bin', 'Range: bytes=0-9', "If-Range: W/$etag"),
        'a weak ETag never matches');
    is_whole(get('/f.bin', 'Range: bytes=0-9', 'If-Range: "other"'),
        'another ETag');
    is_whole(get('/noetag/f.bin', 'Range: bytes=0-9', "If-Range: $etag"),
        'an ETag with etag off');
    for my $f (sort keys %dates) {
        is_single(get('/f.bin', 'Range: bytes=0-9', "If-Range: $dates{$f}"),
            0, 9, "Last-Modified as $f");
    }
    is_single(get('/noetag/f.bin', 'Range: bytes=0-9',
        "If-Range: $dates{'IMF-fixdate'}"), 0, 9, 'a date with etag off');
    is_whole(get('/f.bin', 'Range: bytes=0-9', "If-Range: $later"),
        'another date');
    is_whole(get('/f.bin', 'Range: bytes=0-9', 'If-Range: garbage'),
        'neither a date nor an ETag');
    is_whole(get('/f.bin', 'Range: bytes=0-9,20-29', 'If-Range: "x"'),
        'multipart, another ETag');
    my $r = get('/f.bin', 'Range: bytes=1000-', 'If-Range: "x"');
    is($r->{status}, 200, 'no 416 when If-Range does not match');
};

subtest 'max_ranges' => sub {
    is_whole(get('/mr0/f.bin', 'Range: bytes=0-9'), '0: ranges off',
        accept => undef);
    is_whole(get('/mr0/f.bin'), '0: no Accept-Ranges', accept => undef);
    is_single(get('/mr1/f.bin', 'Range: bytes=0-9'), 0, 9, '1: one range');
    is_whole(get('/mr1/f.bin', 'Range: bytes=0-9,20-29'), '1: two ranges');
    is_single(get('/mr1/f.bin', 'Range: bytes=1000-,0-1'), 0, 1,
        '1: unsatisfiable ranges do not count');
    is_whole(get('/mr1/f.bin', 'Range: bytes=0-1,2-3,abc'),
        '1: the limit is reached before the syntax error');
    is_multi(get('/mr2/f.bin', 'Range: bytes=0-9,20-29'), [[0, 9], [20, 29]],
        '2: two ranges');
    is_whole(get('/mr2/f.bin', 'Range: bytes=0-9,20-29,40-49'),
        '2: three ranges');
};

subtest 'amplification' => sub {
    # each of these would make the server send the file many times over
    my $r = get('/f.bin', 'Range: bytes=' . join(',', ('0-') x 1000));
    is_whole($r, '"0-" 1000 times');
    is_whole(get('/f.bin', 'Range: bytes=0-999,0-999'), 'the file twice');
    is_whole(get('/f.bin', 'Range: bytes=0-499,500-,0-0'),
        'one byte more than the file');
    is_whole(get('/f.bin', 'Range: bytes=' . join(',', ('-600') x 50)),
        'overlapping suffixes');

    # a byte at a time: the data is the file once; the framing grows with
    # the number of ranges, which the header's size bounds
    my @ranges = map { [$_ * 2, $_ * 2] } 0 .. 499;
    $r = get('/f.bin',
        'Range: bytes=' . join(',', map { "$_->[0]-$_->[1]" } @ranges));
    is_multi($r, \@ranges, '500 one-byte ranges');
    cmp_ok(length $r->{body}, '<', 100 * $len, 'bounded response size');
};

subtest 'keep-alive' => sub {
    my $raw = $t->http(
        "GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\n"
        . "GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,3-4\r\n\r\n"
        . "GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=5-9\r\n"
        . "Connection: close\r\n\r\n");
    my @st = $raw =~ m{HTTP/1\.1 (\d+) }g;
    is("@st", '206 206 206', 'three responses on one connection');
    my ($last) = $raw =~ /.*\r\n\r\n(.*)\z/s;
    ok($last eq substr($data, 5, 5), 'the last one has its own range');
};

# The same requests against nginx, when it is installed.
subtest 'same responses as nginx' => sub {
    my $bin = $ENV{NGINX_BINARY} // '/usr/sbin/nginx';
    plan skip_all => 'testing nginx itself' if $name eq 'nginx';
    plan skip_all => "no $bin" unless -x $bin;
    my $n = Test::Warden->new(binary => $bin);
    setup($n);
    $n->start or return;

    my @requests = (
        map({ ['GET', '/f.bin', "Range: bytes=$_"] } '0-9', '-10', '990-',
            '990-5000', '1000-', 'abc', '5-3', ' 0 - 9 ', '0-9,', '-0',
            '0-0,-0', '0-9,20-29', '20-29,0-9', '0-9,5-14', '0-,0-',
            '0-499,500-,0-0', '2000-3000,0-1', '99999999999999999999-'),
        ['GET', '/f.bin', 'Range: Bytes=0-9'],
        ['GET', '/f.bin', 'Range: items=0-9'],
        ['HEAD', '/f.bin', 'Range: bytes=0-9,20-29'],
        ['HEAD', '/f.bin', 'Range: bytes=2000-'],
        ['GET', '/big.bin', 'Range: bytes=1048000-,3-70000'],
        ['GET', '/mr0/f.bin', 'Range: bytes=0-9'],
        ['GET', '/mr1/f.bin', 'Range: bytes=0-9,20-29'],
        ['GET', '/mr1/f.bin', 'Range: bytes=1000-,0-1'],
        ['GET', '/mr2/f.bin', 'Range: bytes=0-9,20-29,40-49'],
        ['GET', '/empty.txt', 'Range: bytes=5-'],
        ['GET', '/empty.txt', 'Range: bytes=0-'],
        ['GET', '/text', 'Range: bytes=0-1'],
        ['HEAD', '/f.bin', 'Range: bytes=0-9', "If-Range: $etag"],
        ['HEAD', '/f.bin', 'Range: bytes=0-9', 'If-Range: "other"'],
        map({ ['HEAD', '/f.bin', 'Range: bytes=0-9', "If-Range: $_"] }
            values %dates, $later, 'garbage'),
        ['HEAD', '/noetag/f.bin', 'Range: bytes=0-9', "If-Range: $etag"],
        ['GET', '/f.bin', 'Range: bytes=' . join(',', ('0-') x 1000)],
    );
    for my $q (@requests) {
        my ($m, $path, @h) = @$q;
        my $desc = "$m $path " . join(' ', @h);
        $desc = substr($desc, 0, 70) . '...' if length $desc > 70;
        is(normalized(request($t, $m, $path, @h)),
            normalized(request($n, $m, $path, @h)), $desc);
    }
    $n->done;
};

# A response without what differs by design: Date, Server, the error
# pages' footer (so their length), the boundary.
sub normalized ($res) {
    return 'no response' unless $res && $res->{status};
    my $h = $res->{raw_headers};
    $h =~ s/^(?:Date|Server): .*\n//mg;
    $h =~ s/\d{20}/BOUNDARY/g;
    my $body = $res->{body};
    if ($res->{status} >= 400) {
        $h =~ s/^Content-Length: .*\n//m;
        $body = '';
    }
    $body =~ s/\d{20}/BOUNDARY/g;
    return "$h\n\n$body";
}

$t->done;
done_testing;
