#!/usr/bin/perl
# Response rate limits: limit_rate (constant and from a variable),
# limit_rate_after, and sendfile_max_chunk (same bytes, not slowed down).
# Timing bounds are loose: the first second's worth goes out at once.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with conn read_response serves);

my $t = Test::Warden->new;

srand(7);
my $data = join '', map { chr int rand 256 } 1 .. 300 * 1024;
$t->write_file('html/f.bin', $data);
my $mb = $data x 4;
$t->write_file('html/mb.bin', $mb);

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        location /fast/ { alias html/; }
        location /slow/ { alias html/; limit_rate 100k; }
        location /after/ {
            alias html/;
            limit_rate 100k;
            limit_rate_after 200k;
        }
        location /var/ { alias html/; limit_rate $arg_r; }
        location /chunk/ {
            alias html/;
            sendfile on;
            sendfile_max_chunk 16k;
        }
        location /chunk-off/ {
            alias html/;
            sendfile off;
            sendfile_max_chunk 16k;
        }
    }
EOF

sub timed ($path) {
    my $s = conn($t);
    my $start = time;
    print {$s} "GET $path HTTP/1.0\r\n\r\n";
    my $r = read_response($s, timeout => 15);
    return ($r, time - $start);
}

my ($r, $took) = timed('/fast/f.bin');
is(md5_hex($r->{body}), md5_hex($data), 'unlimited: intact');
ok($took < 1, "unlimited: fast ($took s)");

($r, $took) = timed('/slow/f.bin');
is(md5_hex($r->{body}), md5_hex($data), 'limit_rate 100k: intact');
ok($took > 1.5 && $took < 4.5, "limit_rate 100k, 300 KB: about 2-3 s ($took s)");

($r, $took) = timed('/after/f.bin');
is(md5_hex($r->{body}), md5_hex($data), 'limit_rate_after: intact');
ok($took < 1.5, "limit_rate_after 200k: mostly unlimited ($took s)");

($r, $took) = timed('/var/f.bin?r=100k');
is(md5_hex($r->{body}), md5_hex($data), 'limit_rate $arg_r: intact');
ok($took > 1.5 && $took < 4.5, "limit_rate \$arg_r=100k: limited ($took s)");
($r, $took) = timed('/var/f.bin?r=0');
ok($took < 1, "limit_rate \$arg_r=0: unlimited ($took s)");

($r, $took) = timed('/chunk/mb.bin');
is(md5_hex($r->{body}), md5_hex($mb), 'sendfile_max_chunk 16k: intact');
ok($took < 2, "sendfile_max_chunk 16k: not slowed ($took s)");
($r, $took) = timed('/chunk-off/mb.bin');
is(md5_hex($r->{body}), md5_hex($mb), 'sendfile off, max_chunk: intact');

my $s1 = conn($t);
print {$s1} "GET /slow/f.bin HTTP/1.0\r\n\r\n";
ok(serves($t, path => '/fast/f.bin'), 'a limited response does not block others');
close $s1;

$t->done;
done_testing;
