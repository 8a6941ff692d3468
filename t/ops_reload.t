#!/usr/bin/perl
# Reload under load: 20 reloads with config changes (a listen socket added
# and removed each time), one through "-s reload"; a broken config; slow
# downloads that outlive a reload, bounded by worker_shutdown_timeout.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use List::Util qw(max sum);
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config get conn read_response);
use Test::Warden::Load;

my $RELOADS = 20;
my $SLOW_SIZE = 600 * 1024;

my $t = Test::Warden->new;

sub config ($gen, %o) {
    my $extra = $gen % 2 ? 'listen 127.0.0.1:%%PORT1%%;' : '';
    my $shutdown = $o{shutdown_timeout}
        ? "worker_shutdown_timeout $o{shutdown_timeout};" : '';
    my $broken = $o{broken} ? 'no_such_directive on;' : '';
    $t->write_config(http_config($t, <<"EOF", main => "worker_processes 2;\n$shutdown"));
    server {
        listen 127.0.0.1:%%PORT0%%;
        $extra
        $broken
        location / { return 200 "gen $gen"; }
        location /slow/ { root html; limit_rate 200k; }
    }
EOF
}

sub gen_of (%o) {
    my $r = get($t, '/', %o);
    return $r && $r->{status} == 200 && $r->{body} =~ /^gen (\d+)$/
        ? $1 : undef;
}

sub alive ($pid) { kill 0, $pid }

my $slow = join '', map { chr(($_ * 7) % 251) } 1 .. $SLOW_SIZE;
$t->write_file('html/slow/file.bin', $slow);

config(0);
my $master = $t->start or BAIL_OUT('cannot start');
is(gen_of(), 0, 'gen 0 serves');

# Every response must come from a configuration live when its connection
# was accepted: a connection opened after gen N's old workers all exited
# is answered by gen N or later, and never by two generations.
subtest "$RELOADS reloads under load" => sub {
    my $load = Test::Warden::Load->start($t, clients => 4,
        expect => qr/^gen \d+$/);
    sleep 0.3;
    my (@delay, @exclusive, $peak, $peak_gens);
    $exclusive[0] = time;
    $peak = 0;
    for my $gen (1 .. $RELOADS) {
        my @old = Test::Warden::Load::children($master);
        config($gen);
        my $sent = time;
        if ($gen == $RELOADS / 2) {
            my $r = $t->run('-s', 'reload');
            is($r->{status}, 0, '-s reload exits 0');
        }
        else {
            $t->signal('HUP');
        }
        my $served = $t->wait_until(sub { (gen_of() // -1) == $gen },
            timeout => 10);
        ok($served, "gen $gen serves after the reload") or last;
        push @delay, time - $sent;
        if (grep { alive($_) } @old) {
            my $kib = Test::Warden::Load::tree_pss_kib($master);
            $peak = $kib if $kib > $peak;
        }
        ok($t->wait_until(sub { !grep { alive($_) } @old }, timeout => 10),
            "gen $gen: the old workers exit");
        $exclusive[$gen] = time;
        my $extra = gen_of(port => $t->port(1));
        if ($gen % 2) {
            is($extra, $gen, "gen $gen: the added listen socket serves");
        }
        else {
            ok(!defined IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                PeerPort => $t->port(1), Timeout => 2),
                "gen $gen: the removed listen socket is closed");
        }
        sleep 0.05;
    }
    sleep 0.3;
    my $res = $load->finish;
    is($res->{failed}, 0, 'no failed request')
        or diag(join "\n", @{ $res->{failures} }[0 .. 9]);
    cmp_ok($res->{served}, '>', 500, 'the load was real');
    is($res->{mixed}, 0, 'no connection answered by two generations');
    my @stale = grep {
        my ($opened, $labels) = ($_->[0], $_->[2]);
        my $live = max grep { $exclusive[$_] <= $opened } 0 .. $#exclusive;
        $labels->[0] < $live || $labels->[0] > $RELOADS;
    } @{ $res->{conns} };
    is(scalar @stale, 0, 'each connection answered by the live config')
        or diag(explain($stale[0]));
    my @workers = Test::Warden::Load::children($master);
    is(scalar @workers, 2, 'two workers');
    @delay = sort { $a <=> $b } @delay;
    diag(sprintf 'reloads: %s; HUP to new workers serving: median %.0f ms, '
        . 'max %.0f ms; peak PSS with two generations %d KiB',
        Test::Warden::Load::summary($res), 1000 * $delay[@delay / 2],
        1000 * $delay[-1], $peak);
};

like($t->error_log,
    qr/signal 1 \(SIGHUP\) received from \d+, reconfiguring/,
    'master logs the HUP as nginx does');
like($t->error_log, qr/\[notice\] \d+#\d+: reconfiguring/, 'reconfiguring');
like($t->error_log, qr/\[notice\] \d+#\d+: gracefully shutting down/,
    'old workers shut down gracefully');

subtest 'broken config: the old one keeps serving' => sub {
    $t->expect_log(qr/unknown directive "no_such_directive"/);
    my $load = Test::Warden::Load->start($t, clients => 4,
        expect => qr/^gen $RELOADS$/);
    sleep 0.3;
    my @workers = Test::Warden::Load::children($master);
    config(99, broken => 1);
    $t->signal('HUP');
    ok($t->wait_for_log(qr/\[emerg\].*unknown directive "no_such_directive"/),
        '[emerg] logged');
    sleep 0.5;
    is(gen_of(), $RELOADS, 'the old config answers');
    is_deeply([Test::Warden::Load::children($master)], \@workers,
        'the old workers are untouched');
    my $res = $load->finish;
    is($res->{failed}, 0, 'no failed request')
        or diag(join "\n", @{ $res->{failures} }[0 .. 9]);
    cmp_ok($res->{served}, '>', 100, 'the load was real');
    diag('broken-config reload: ' . Test::Warden::Load::summary($res));
};

# A download started before the reload; returns the socket.
sub start_download () {
    my $s = conn($t);
    print {$s} "GET /slow/file.bin HTTP/1.1\r\nHost: x\r\n"
        . "Connection: close\r\n\r\n";
    return $s;
}

subtest 'a slow download outlives the reload' => sub {
    config(100);
    $t->signal('HUP');
    ok($t->wait_until(sub { (gen_of() // -1) == 100 }), 'gen 100 serves');
    my @old = Test::Warden::Load::children($master);
    my $s = start_download();
    sleep 0.3;
    config(101);
    $t->signal('HUP');
    ok($t->wait_until(sub { (gen_of() // -1) == 101 }), 'gen 101 serves');
    ok((grep { alive($_) } @old) >= 1, 'an old worker still streams');
    my $r = read_response($s, timeout => 20);
    ok($r && $r->{status} == 200 && $r->{body} eq $slow,
        'the download completes intact');
    ok($t->wait_until(sub { !grep { alive($_) } @old }),
        'then the old workers exit');
};

subtest 'worker_shutdown_timeout cuts it short' => sub {
    config(102, shutdown_timeout => '1s');
    $t->signal('HUP');
    ok($t->wait_until(sub { (gen_of() // -1) == 102 }), 'gen 102 serves');
    my @old = Test::Warden::Load::children($master);
    my $s = start_download();
    sleep 0.3;
    config(103, shutdown_timeout => '1s');
    my $sent = time;
    $t->signal('HUP');
    my $r = read_response($s, timeout => 20);
    my $took = time - $sent;
    ok($r && $r->{closed} && length($r->{body}) < $SLOW_SIZE,
        'the download is cut');
    ok($took >= 0.8 && $took < 3, 'after about the timeout')
        or diag("took $took s");
    ok($t->wait_until(sub { !grep { alive($_) } @old }, timeout => 3),
        'and the old workers are gone');
    is(gen_of(), 103, 'gen 103 serves');
};

$t->done;
done_testing;
