#!/usr/bin/perl
# The listen directive: port, addr:port, [::1]:port, unix:, several
# servers on one socket and one server on several, default_server,
# reuseport with two workers, backlog/rcvbuf/sndbuf/so_keepalive (checked
# with ss), deferred, bind, ipv6only; and -t errors and warnings.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::IP;
use IO::Socket::UNIX;
use Test::Warden qw(parse_response have_bin);
use Test::Warden::HTTP qw(http_config start_with get req serves
    read_response);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $conf = $t->conf_path;
my ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11)
    = map { $t->port($_) } 0 .. 11;

my $have_ipv6 = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
    Listen => 1) ? 1 : 0;
my $have_ss = have_bin('ss');
my $sock = "$prefix/logs/w.sock";

my $v6 = $have_ipv6 ? <<'EOF' : '';
    server {
        listen [::1]:%%PORT3%%;
        server_name v6;
        location / { return 200 "v6 $remote_addr $server_addr\n"; }
    }
    server {
        listen [::]:%%PORT4%% ipv6only=off;
        server_name dual;
        location / { return 200 "dual $remote_addr\n"; }
    }
EOF

my $ret = 'location / { return 200 "$server_name $server_addr:$server_port\n"; }';

start_with($t, <<"EOF", main => 'worker_processes 2;') or BAIL_OUT('cannot start');
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name a.test;
        $ret
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name b.test;
        $ret
    }
    server {
        listen 127.0.0.1:%%PORT1%%;
        listen 127.0.0.1:%%PORT2%%;
        server_name multi.test;
        $ret
    }
    server {
        listen 127.0.0.1:%%PORT2%% default_server;
        server_name default.test;
        $ret
    }
$v6
    server {
        listen unix:$sock;
        server_name unix.test;
        location / { return 200 "unix [\$remote_addr] [\$server_addr]\\n"; }
    }
    server {
        listen %%PORT6%%;
        server_name portonly;
        $ret
    }
    server {
        listen 127.0.0.3:%%PORT6%%;
        server_name notbound6;
        $ret
    }
    server {
        listen 127.0.0.2:%%PORT7%% bind;
        server_name bound7;
        $ret
    }
    server {
        listen 127.0.0.1:%%PORT8%% deferred;
        server_name deferred;
        $ret
    }
    server {
        listen 127.0.0.1:%%PORT9%% backlog=7 rcvbuf=32k sndbuf=48k so_keepalive=on;
        server_name opts;
        $ret
    }
    server {
        listen 127.0.0.1:%%PORT10%% reuseport;
        server_name reuse;
        location / { return 200 "\$pid\\n"; }
    }
EOF

sub body_at ($addr, $port, $host = 'x') {
    my $s = IO::Socket::IP->new(PeerHost => $addr, PeerPort => $port,
        Timeout => 5) or return "connect failed: $@";
    print {$s} "GET / HTTP/1.0\r\nHost: $host\r\n\r\n";
    my $r = read_response($s);
    return $r ? "$r->{status} $r->{body}" : 'no response';
}

subtest 'addresses' => sub {
    is(body_at('127.0.0.1', $p0, 'a.test'), "200 a.test 127.0.0.1:$p0\n",
        'addr:port, first name');
    is(body_at('127.0.0.1', $p0, 'b.test'), "200 b.test 127.0.0.1:$p0\n",
        'two servers on one socket');
    is(body_at('127.0.0.1', $p6), "200 portonly 127.0.0.1:$p6\n",
        'listen port: all addresses');
  SKIP: {
        skip 'no IPv6 on lo', 2 unless $have_ipv6;
        is(body_at('::1', $p3), "200 v6 ::1 ::1\n", '[::1]:port');
        is(body_at('127.0.0.1', $p4), "200 dual ::ffff:127.0.0.1\n",
            '[::]:port ipv6only=off takes IPv4');
    }
  SKIP: {
        my $u = IO::Socket::UNIX->new(Peer => $sock);
        ok($u, 'unix: socket connect') or skip 'no unix socket', 1;
        print {$u} "GET / HTTP/1.0\r\nHost: unix.test\r\n\r\n";
        my $r = read_response($u);
        is($r && "$r->{status} $r->{body}", "200 unix [unix:] [unix:$sock]\n",
            'unix: request, $remote_addr and $server_addr');
    }
};

subtest 'servers and sockets' => sub {
    is(body_at('127.0.0.1', $p1, 'multi.test'),
        "200 multi.test 127.0.0.1:$p1\n", 'one server, first socket');
    is(body_at('127.0.0.1', $p2, 'multi.test'),
        "200 multi.test 127.0.0.1:$p2\n", 'one server, second socket');
    is(body_at('127.0.0.1', $p1, 'unknown'),
        "200 multi.test 127.0.0.1:$p1\n", 'only server: the default');
    is(body_at('127.0.0.1', $p2, 'unknown'),
        "200 default.test 127.0.0.1:$p2\n", 'default_server');
};

subtest 'bind' => sub {
    # Linux refuses a wildcard and a specific address on one port, so
    # "bind" is checked alone, and the wildcard case without it.
    is(body_at('127.0.0.3', $p6), "200 notbound6 127.0.0.3:$p6\n",
        'no bind: chosen by local address on the wildcard socket');
    is(body_at('127.0.0.2', $p7), "200 bound7 127.0.0.2:$p7\n", 'bind');
  SKIP: {
        skip 'no ss', 3 unless $have_ss;
        my $ss = `ss -ltnH 'sport = :$p6'`;
        like($ss, qr/\s(?:0\.0\.0\.0|\*):$p6\s/, 'wildcard listening');
        unlike($ss, qr/\s127\.0\.0\.3:$p6\s/, '127.0.0.3 not bound');
        like(`ss -ltnH 'sport = :$p7'`, qr/\s127\.0\.0\.2:$p7\s/, 'bind: bound');
    }
};

subtest 'socket options' => sub {
    is(body_at('127.0.0.1', $p8), "200 deferred 127.0.0.1:$p8\n", 'deferred');
    is(body_at('127.0.0.1', $p9), "200 opts 127.0.0.1:$p9\n",
        'backlog, rcvbuf, sndbuf, so_keepalive');
  SKIP: {
        skip 'no ss', 5 unless $have_ss;
        like(`ss -ltnH 'sport = :$p0'`, qr/^LISTEN\s+\d+\s+511\s/m,
            'default backlog 511');
        like(`ss -ltnH 'sport = :$p9'`, qr/^LISTEN\s+\d+\s+7\s/m, 'backlog=7');
        my $mem = `ss -ltnmH 'sport = :$p9'`;
        like($mem, qr/rb65536\b/, 'rcvbuf=32k (doubled by the kernel)');
        like($mem, qr/tb98304\b/, 'sndbuf=48k (doubled by the kernel)');
        my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $p9);
        print {$s} "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        read_response($s);
        like(`ss -tnoH state established '( sport = :$p9 )'`,
            qr/timer:\(keepalive/, 'so_keepalive=on: keepalive timer');
        close $s;
    }
};

subtest 'reuseport' => sub {
    is(scalar($t->worker_pids), 2, 'two workers');
    my %pids;
    for (1 .. 60) {
        my $b = body_at('127.0.0.1', $p10);
        $pids{$1}++ if $b =~ /^200 (\d+)$/;
    }
    is(scalar(keys %pids), 2, 'both workers serve (' . join(',', map { "$_:$pids{$_}" } sort keys %pids) . ')');
  SKIP: {
        skip 'no ss', 1 unless $have_ss;
        my @l = grep { /:$p10\s/ } split /\n/, `ss -ltnH 'sport = :$p10'`;
        is(scalar @l, 2, 'one listening socket per worker');
    }
};

sub test_conf ($desc, $body, $stderr_re, $status) {
    $t->write_config(http_config($t, $body));
    my $r = $t->run({ timeout => 5 }, '-t');
    is($r->{status}, $status, "$desc: exit $status");
    like($r->{stderr}, $stderr_re, "$desc: message");
}

subtest '-t errors and warnings' => sub {
    my $p = $p11;
    test_conf('duplicate listen options', <<'EOF',
    server { listen 127.0.0.1:%%PORT11%% backlog=10; server_name a; }
    server { listen 127.0.0.1:%%PORT11%% backlog=20; server_name b; }
EOF
        qr/^\Q$name: [emerg] duplicate listen options for 127.0.0.1:$p in $conf:\E\d+\n\Q$name: configuration file $conf test failed\E\n\z/,
        1);
    $t->expect_log(qr/duplicate listen options/);
    test_conf('duplicate default server', <<'EOF',
    server { listen 127.0.0.1:%%PORT11%% default_server; server_name a; }
    server { listen 127.0.0.1:%%PORT11%% default_server; server_name b; }
EOF
        qr/^\Q$name: [emerg] a duplicate default server for 127.0.0.1:$p in $conf:\E\d+\n/,
        1);
    $t->expect_log(qr/a duplicate default server/);
    test_conf('conflicting server name', <<'EOF',
    server { listen 127.0.0.1:%%PORT11%%; server_name x; }
    server { listen 127.0.0.1:%%PORT11%%; server_name x; }
EOF
        qr/^\Q$name: [warn] conflicting server name "x" on 127.0.0.1:$p, ignored\E\n\Q$name: the configuration file $conf syntax is ok\E\n/,
        0);
    test_conf('reuseport, worker_processes not set', <<'EOF',
    server { listen 127.0.0.1:%%PORT11%% reuseport; server_name a; }
    server { listen 127.0.0.1:%%PORT11%%; server_name b; }
EOF
        qr/test is successful/, 0);
    test_conf('invalid parameter', <<'EOF',
    server { listen 127.0.0.1:%%PORT11%% bogus; }
EOF
        qr/\Q[emerg] invalid parameter "bogus" in $conf:\E\d+/, 1);
    $t->expect_log(qr/invalid parameter "bogus"/);
    test_conf('invalid port', <<'EOF',
    server { listen 127.0.0.1:99999; }
EOF
        qr/\Q[emerg] invalid port in "127.0.0.1:99999" of the "listen" directive in $conf:\E\d+/, 1);
    $t->expect_log(qr/invalid port in/);
    test_conf('invalid backlog', <<'EOF',
    server { listen 127.0.0.1:%%PORT11%% backlog=x; }
EOF
        qr/\Q[emerg] invalid backlog "backlog=x" in $conf:\E\d+/, 1);
    $t->expect_log(qr/invalid backlog/);
};

$t->done;
done_testing;
