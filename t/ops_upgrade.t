#!/usr/bin/perl
# Binary upgrade under load: USR2 -> WINCH -> QUIT, a rollback (HUP to the
# old master, QUIT to the new one), a new binary that fails to start, and
# a running nginx upgraded in place to warden.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Copy qw(copy);
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config get);
use Test::Warden::Load;

my $t = Test::Warden->new;
my $sbin = $t->prefix . '/sbin';
mkdir $sbin;

# Puts $from at $sbin/$name the way an operator's package manager does:
# a new file renamed over the old one (the running binary stays intact).
sub install_binary ($from, $name) {
    copy($from, "$sbin/$name.new") or die "copy $from: $!";
    chmod 0755, "$sbin/$name.new";
    rename "$sbin/$name.new", "$sbin/$name" or die "rename: $!";
    return "$sbin/$name";
}

sub config ($gen) {
    $t->write_config(http_config($t, <<"EOF", main => 'worker_processes 2;'));
    server {
        listen 127.0.0.1:%%PORT0%%;
        location / { return 200 "gen $gen"; }
    }
EOF
}

sub gen_of () {
    my $r = get($t, '/');
    return $r && $r->{status} == 200 && $r->{body} =~ /^gen (\d+)$/
        ? $1 : undef;
}

# Whether generation $gen answers one of a burst of connections opened
# together: while both binaries accept on one socket an idle old worker
# tends to win each single connection, so one probe at a time can miss
# the new workers for long on a loaded machine.
sub gen_seen ($gen) {
    my @socks = grep { defined } map {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port(0),
            Timeout => 3)
    } 1 .. 8;
    my $seen = 0;
    for my $s (@socks) {
        print {$s} "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
        local $/;
        my $r = parse_response(<$s> // '');
        $seen ||= $r && ($r->{status} // 0) == 200
            && ($r->{body} // '') eq "gen $gen";
    }
    return $seen;
}

sub pid_in ($file) {
    my $text = $t->read_file($file) // return undef;
    return $text =~ /^(\d+)\n$/ ? $1 : undef;
}

sub alive ($pid) { kill 0, $pid }

# The master's workers: its children but the new binary's master.
sub workers ($master, $new) {
    return grep { $_ != $new } Test::Warden::Load::children($master);
}

sub workers_gone ($master, $new) {
    return $t->wait_until(sub { !workers($master, $new) }, timeout => 10);
}

sub check_load ($what, $res) {
    is($res->{failed}, 0, "$what: no failed request")
        or diag(join "\n", grep { defined } @{ $res->{failures} }[0 .. 9]);
    cmp_ok($res->{served}, '>', 100, "$what: the load was real");
    diag("$what: " . Test::Warden::Load::summary($res));
}

# Upgrades the master in the pid file; returns the new master's pid.
sub usr2 ($old) {
    kill 'USR2', $old;
    my $new;
    $t->wait_until(sub {
        $new = pid_in('logs/warden.pid');
        $new && $new != $old && alive($new)
            && Test::Warden::Load::children($new) == 2;
    });
    return $new;
}

$t->set_binary(install_binary($t->binary, 'warden'));
config(1);
my $old = $t->start or BAIL_OUT('cannot start');

subtest 'USR2, WINCH, QUIT under load' => sub {
    my $load = Test::Warden::Load->start($t, clients => 4,
        expect => qr/^gen [12]$/);
    sleep 0.3;
    config(2);
    my $new = usr2($old);
    ok($new, 'a new master writes the pid file');
    is(pid_in('logs/warden.pid.oldbin'), $old, 'the old pid is in .oldbin');
    ok($t->wait_until(sub { gen_seen(2) }),
        'the new binary answers on the same socket');
    like($t->error_log, qr/using inherited sockets from "\d+;"/,
        'the new master adopts the sockets');
    kill 'WINCH', $old;
    ok(workers_gone($old, $new), 'WINCH: the old workers exit');
    ok(alive($old), 'the old master stays');
    my @gens = map { gen_of() // 0 } 1 .. 20;
    is_deeply(\@gens, [(2) x 20], 'only the new binary answers');
    kill 'QUIT', $old;
    ok($t->wait_until(sub { !alive($old) }), 'QUIT: the old master exits');
    ok(!-e $t->prefix . '/logs/warden.pid.oldbin', '.oldbin removed');
    is(pid_in('logs/warden.pid'), $new, 'the pid file names the new master');
    check_load('upgrade', $load->finish);
    $old = $t->adopt($new);
};

subtest 'rollback: HUP to the old master, QUIT to the new' => sub {
    my $load = Test::Warden::Load->start($t, clients => 4,
        expect => qr/^gen [23]$/);
    sleep 0.3;
    config(3);
    my $new = usr2($old);
    ok($new, 'a new master starts');
    ok($t->wait_until(sub { gen_seen(3) }), 'and answers');
    kill 'WINCH', $old;
    ok(workers_gone($old, $new), 'WINCH: the old workers exit');
    kill 'HUP', $old;
    ok($t->wait_until(sub { workers($old, $new) == 2 }),
        'HUP: the old master starts workers again');
    like($t->error_log, qr/starting worker processes again/, 'logged');
    kill 'QUIT', $new;
    ok($t->wait_until(sub { !alive($new) }), 'QUIT: the new master exits');
    ok($t->wait_until(sub { (pid_in('logs/warden.pid') // 0) == $old }),
        'the pid file names the old master again');
    ok(!-e $t->prefix . '/logs/warden.pid.oldbin', 'no .oldbin left');
    my @gens = map { gen_of() // 0 } 1 .. 20;
    is_deeply(\@gens, [(2) x 20], 'the old binary and config answer');
    check_load('rollback', $load->finish);
};

subtest 'a new binary that cannot start' => sub {
    $t->expect_log(qr/new binary process \d+ exited with code 1/);
    $t->write_file('sbin/broken', "#!/bin/sh\nexit 1\n");
    install_binary($t->prefix . '/sbin/broken', 'warden');
    kill 'USR2', $old;
    ok($t->wait_for_log(qr/new binary process \d+ exited with code 1/),
        'the failed start is logged');
    ok($t->wait_until(sub {
            (pid_in('logs/warden.pid') // 0) == $old
                && !-e $t->prefix . '/logs/warden.pid.oldbin' }),
        'the old master restores its pid file');
    is(gen_of(), 2, 'and keeps serving');
};

$t->done;

subtest 'nginx upgraded in place to warden' => sub {
    plan skip_all => 'no /usr/sbin/nginx' unless -x '/usr/sbin/nginx';
    my $n = Test::Warden->new;
    my $nsbin = $n->prefix . '/sbin';
    mkdir $nsbin;
    my $warden = $n->binary;
    copy('/usr/sbin/nginx', "$nsbin/nginx.new") or die "copy: $!";
    chmod 0755, "$nsbin/nginx.new";
    rename "$nsbin/nginx.new", "$nsbin/nginx";
    $n->set_binary("$nsbin/nginx");
    $n->write_config(<<'EOF');
pid logs/nginx.pid;
error_log logs/error.log info;
worker_processes 2;
events { }
http {
    access_log logs/access.log;
    client_body_temp_path body_temp;
    server {
        listen 127.0.0.1:%%PORT0%%;
        location / { return 200 "hello"; }
    }
}
EOF
    my $nginx = $n->start or return;
    my $load = Test::Warden::Load->start($n, clients => 4,
        expect => qr/^hello$/);
    sleep 0.3;
    copy($warden, "$nsbin/nginx.new") or die "copy: $!";
    chmod 0755, "$nsbin/nginx.new";
    rename "$nsbin/nginx.new", "$nsbin/nginx";
    kill 'USR2', $nginx;
    my $new;
    ok($n->wait_until(sub {
            my $text = $n->read_file('logs/nginx.pid') // '';
            $new = $text =~ /^(\d+)$/ ? $1 : undef;
            $new && $new != $nginx
                && Test::Warden::Load::children($new) == 2 }),
        'warden starts from the nginx binary path');
    like($n->error_log, qr/using inherited sockets from "\d+;"/,
        'warden adopts the sockets nginx passed in NGINX');
    kill 'WINCH', $nginx;
    ok($n->wait_until(sub { !grep { $_ != $new }
            Test::Warden::Load::children($nginx) }),
        'WINCH: the nginx workers exit');
    kill 'QUIT', $nginx;
    ok($n->wait_until(sub { !alive($nginx) }), 'QUIT: nginx exits');
    my $res = $load->finish;
    check_load('nginx to warden', $res);
    my %by;
    $by{ $_->[2][0] =~ /^(\w+)/ ? $1 : '?' }++ for @{ $res->{conns} };
    ok($by{nginx} && $by{warden}, 'both nginx and warden answered the load')
        or diag(explain(\%by));
    my $r = get($n, '/');
    like($r->{headers}{server} // '', qr/^warden/, 'warden answers now');
    $n->adopt($new);
    $n->done;
    ok(!-e $n->prefix . '/logs/nginx.pid', 'warden removes its pid file');
};

done_testing;
