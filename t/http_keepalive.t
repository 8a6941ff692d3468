#!/usr/bin/perl
# Persistent connections: keepalive_timeout (and its Keep-Alive header),
# keepalive_requests, keepalive_time, HTTP/1.0 keep-alive, Connection:
# close, keepalive_timeout 0, and pipelining (one write, byte by byte).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with get req conn read_response
    read_responses is_closed serves);

my $t = Test::Warden->new;

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    server {
        listen 127.0.0.1:%%PORT0%%;
        keepalive_timeout 2 3;
        location / { return 200 "$uri\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT1%%;
        keepalive_requests 3;
        location / { return 200 "$uri\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT2%%;
        keepalive_time 2s;
        location / { return 200 "$uri\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT3%%;
        keepalive_timeout 0;
        location / { return 200 "$uri\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT4%%;
        location / { return 200 "$uri\n"; }
        location /file/ { root html; }
    }
EOF
$t->write_file('html/file/f.txt', "static file\n");

sub get11 ($path, %h) {
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n";
    $req .= "$_: $h{$_}\r\n" for sort keys %h;
    return "$req\r\n";
}

subtest 'keepalive_timeout' => sub {
    my $s = conn($t);
    print {$s} get11('/a');
    my $r = read_response($s);
    is("$r->{status} $r->{body}", "200 /a\n", 'first response');
    is($r->{headers}{connection}, 'keep-alive', 'Connection: keep-alive');
    is($r->{headers}{'keep-alive'}, 'timeout=3', 'Keep-Alive: timeout=3');
    print {$s} get11('/b');
    $r = read_response($s);
    is("$r->{status} $r->{body}", "200 /b\n", 'second request on the connection');
    my $start = time;
    ok(is_closed($s, timeout => 5), 'idle connection closed');
    my $took = time - $start;
    ok($took > 1.5 && $took < 4, "closed after about 2 s ($took)");

    $s = conn($t, port => $t->port(4));
    print {$s} get11('/x');
    $r = read_response($s);
    is($r->{headers}{connection}, 'keep-alive', 'default: keep-alive');
    ok(!exists $r->{headers}{'keep-alive'}, 'default: no Keep-Alive header');
    ok(!is_closed($s, timeout => 1), 'default: still open after 1 s');
};

subtest 'keepalive_requests' => sub {
    my $s = conn($t, port => $t->port(1));
    my @r;
    for my $i (1 .. 3) {
        print {$s} get11("/r$i");
        push @r, read_response($s);
    }
    is(join(',', map { $_->{status} } @r), '200,200,200', 'three responses');
    is($r[1]{headers}{connection}, 'keep-alive', 'second: keep-alive');
    is($r[2]{headers}{connection}, 'close', 'third: Connection: close');
    ok(is_closed($s, timeout => 2), 'closed after keepalive_requests');

    $s = conn($t, port => $t->port(1));
    print {$s} join '', map { get11("/p$_") } 1 .. 5;
    @r = read_responses($s, 5, timeout => 3);
    is(scalar @r, 3, 'pipelined: only keepalive_requests answered');
    is($r[-1]{headers}{connection}, 'close', 'pipelined: last says close');
};

subtest 'keepalive_time' => sub {
    my $s = conn($t, port => $t->port(2));
    my $start = time;
    my ($n, $closed_at) = (0, undef);
    while (time - $start < 5) {
        print {$s} get11('/t');
        my $r = read_response($s) // last;
        $n++;
        if (($r->{headers}{connection} // '') eq 'close') {
            $closed_at = time - $start;
            last;
        }
        sleep 0.25;
    }
    ok(defined $closed_at, "Connection: close after $n requests");
    ok(defined $closed_at && $closed_at >= 1.8 && $closed_at < 3.5,
        'after about keepalive_time (' . ($closed_at // 'never') . ' s)');
    ok(is_closed($s, timeout => 2), 'connection closed');
};

subtest 'HTTP/1.0' => sub {
    my $s = conn($t, port => $t->port(4));
    print {$s} "GET /a HTTP/1.0\r\n\r\n";
    my $r = read_response($s);
    is($r->{headers}{connection}, 'close', 'HTTP/1.0: Connection: close');
    ok(is_closed($s, timeout => 2), 'HTTP/1.0: closed');

    $s = conn($t, port => $t->port(4));
    print {$s} "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    $r = read_response($s);
    is($r->{headers}{connection}, 'keep-alive',
        'HTTP/1.0 with Connection: keep-alive');
    print {$s} "GET /b HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
    $r = read_response($s);
    is("$r->{status} $r->{body}", "200 /b\n", 'second HTTP/1.0 request');
    print {$s} "GET /file/f.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    $r = read_response($s);
    is("$r->{status} $r->{body}", "200 static file\n", 'static file, keep-alive');
    print {$s} "GET /c HTTP/1.0\r\n\r\n";
    $r = read_response($s);
    is($r->{headers}{connection}, 'close', 'then without: close');
    ok(is_closed($s, timeout => 2), 'closed');
};

subtest 'Connection: close and keepalive_timeout 0' => sub {
    my $s = conn($t, port => $t->port(4));
    print {$s} get11('/a', Connection => 'close');
    my $r = read_response($s);
    is($r->{headers}{connection}, 'close', 'Connection: close echoed');
    ok(is_closed($s, timeout => 2), 'closed');

    $s = conn($t, port => $t->port(3));
    print {$s} get11('/a');
    $r = read_response($s);
    is("$r->{status} $r->{headers}{connection}", '200 close',
        'keepalive_timeout 0: close');
    ok(is_closed($s, timeout => 2), 'keepalive_timeout 0: closed');
};

subtest 'pipelining' => sub {
    my $reqs = join '', map { get11("/p$_") } 1 .. 19;
    $reqs .= get11('/p20', Connection => 'close');

    my $s = conn($t, port => $t->port(4));
    print {$s} $reqs;
    my @r = read_responses($s, 20, timeout => 5);
    is(scalar @r, 20, 'one write: 20 responses');
    is(join(' ', map { $_->{body} =~ s/\n//r } @r),
        join(' ', map { "/p$_" } 1 .. 20), 'one write: in order');
    ok(is_closed($s, timeout => 2), 'closed after the last');

    $s = conn($t, port => $t->port(4));
    $s->setsockopt(6, 1, 1);    # TCP_NODELAY
    for my $byte (split //, $reqs) {
        syswrite($s, $byte);
        sleep 0.0005;
    }
    @r = read_responses($s, 20, timeout => 5);
    is(scalar @r, 20, 'byte by byte: 20 responses');
    is(join(' ', map { $_->{body} =~ s/\n//r } @r),
        join(' ', map { "/p$_" } 1 .. 20), 'byte by byte: in order');
    ok(serves($t, port => $t->port(4)), 'still serving');
};

$t->done;
done_testing;
