#!/usr/bin/perl
# The load-balancing methods of upstream groups: round robin's weighted
# order, least_conn, ip_hash, hash (plain and consistent) and random [two];
# with each, "down", "backup", max_fails/fail_timeout and max_conns, and
# retries that go only to servers not yet tried; the errors of the
# balancer directives at -t.
#
# The backends are small Perl servers, one per port, that answer with
# their name ("bad" ones with a 500); a request for ".../hold/ID" is held
# until the test releases it, which keeps a connection to one server busy.
# Where a method is deterministic the server of every request is
# predicted by a reimplementation here of nginx's arithmetic (the smooth
# weighted order, ip_hash's hash, Cache::Memcached's and ketama's crc32),
# so the file passes unchanged with WARDEN_BINARY=/usr/sbin/nginx.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config get conn read_response log_mark
    log_since);
use Compress::Zlib ();
use List::Util qw(sum first);
use IO::Socket::INET;

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $conf = $t->conf_path;

for my $m (qw(least_conn ip_hash hash random)) {
    plan skip_all => "$name is built without http_upstream_$m"
        unless $t->has_module("http_upstream_$m");
}

# ---- backends -------------------------------------------------------

# port index => name; the "bad" ones answer 500.  DEAD is a port of this
# test where nothing listens: connections to it are refused.
my %backend = (1 => 'b1', 2 => 'b2', 3 => 'b3', 4 => 'b4', 5 => 'bad1',
    6 => 'bad2');
my $DEAD = 9;
my $dir = "$prefix/backends";

$t->write_file('backends/server.pl', <<'EOF');
use strict;
use warnings;
use IO::Socket::INET;

my ($port, $name, $dir) = @ARGV;
my $status = $name =~ /^bad/ ? '500 Internal Server Error' : '200 OK';

my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port",
    Listen => 128, ReuseAddr => 1) or die "$name: listen on $port: $!\n";
$SIG{CHLD} = 'IGNORE';
$SIG{TERM} = sub { exit 0 };

while (1) {
    my $c = $l->accept or next;
    my $pid = fork;
    if (!defined $pid || $pid) {
        close $c;
        next;
    }
    close $l;
    $SIG{TERM} = 'DEFAULT';
    local $/ = "\r\n";
    my $line = <$c> // exit 0;
    my ($uri) = $line =~ m{^\S+ (\S+)};
    while (my $h = <$c>) {
        last if $h eq "\r\n";
    }
    if ($uri =~ m{/hold/(\w+)}) {
        my $id = $1;
        open my $f, '>', "$dir/held-$id.tmp" or die;
        print {$f} $name;
        close $f;
        rename "$dir/held-$id.tmp", "$dir/held-$id";
        for (1 .. 1500) {
            last if -e "$dir/release-$id";
            select undef, undef, undef, 0.01;
        }
    }
    print {$c} "HTTP/1.1 $status\r\nContent-Type: text/plain\r\n"
        . 'Content-Length: ' . length($name) . "\r\nConnection: close\r\n\r\n"
        . $name;
    close $c;
    exit 0;
}
EOF

my @backend_pids;

sub start_backends () {
    for my $i (sort keys %backend) {
        my $port = $t->port($i);    # reserved here, not in the child
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            exec $^X, "$dir/server.pl", $port, $backend{$i}, $dir;
            die "exec: $!";
        }
        push @backend_pids, $pid;
    }
    for my $i (sort keys %backend) {
        my $up = $t->wait_until(sub {
            IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port($i))
        }, timeout => 10);
        BAIL_OUT("backend $backend{$i} did not start") unless $up;
    }
}

sub stop_backends () {
    kill 'TERM', @backend_pids;
    waitpid($_, 0) for @backend_pids;
    @backend_pids = ();
}

END { kill 'TERM', @backend_pids if @backend_pids }

sub addr ($i) { '127.0.0.1:' . $t->port($i) }

# ---- nginx's arithmetic ---------------------------------------------

sub crc32 ($s) { Compress::Zlib::crc32($s) }

# The peer at value among peers of these weights, each counted weight
# times.
sub peer_at ($w, $value) {
    my $i = 0;
    for (; $value >= $w->[$i]; $i++) {
        $value -= $w->[$i];
    }
    return $i;
}

# The smooth weighted round-robin order of $n picks.
sub swrr ($w, $n) {
    my @cur = (0) x @$w;
    my $total = sum(@$w);
    my @order;
    for (1 .. $n) {
        my $best;
        for my $i (0 .. $#$w) {
            $cur[$i] += $w->[$i];
            $best = $i if !defined $best || $cur[$i] > $cur[$best];
        }
        $cur[$best] -= $total;
        push @order, $best;
    }
    return @order;
}

# The peers that successive tries of one request go to, each step of the
# method skipping the tried and the unusable ones ($ok->[i] false), until
# $n peers or 20 skips ("rr": round robin would choose).  $next->() is the
# method's next step.
sub tries ($w, $ok, $n, $next) {
    my ($skips, %tried, @out) = (0);
    while (@out < $n) {
        my $i = $next->();
        if (!$tried{$i} && $ok->[$i]) {
            $tried{$i} = 1;
            push @out, $i;
            next;
        }
        return (@out, 'rr') if ++$skips > 20;
    }
    return @out;
}

# ip_hash from 127.0.0.1: the first three bytes, from 89, times 113
# modulo 6271; every step goes on from where the last one ended.
sub ip_hash_tries ($w, $ok, $n = 1) {
    my $hash = 89;
    return tries($w, $ok, $n, sub {
        $hash = ($hash * 113 + $_) % 6271 for 127, 0, 0;
        peer_at($w, $hash % sum(@$w));
    });
}

# hash KEY: Cache::Memcached's steps, summed.
sub hash_tries ($key, $w, $ok, $n = 1) {
    my ($sum, $rehash) = (0, 0);
    return tries($w, $ok, $n, sub {
        $sum += (crc32(($rehash++ || '') . $key) >> 16) & 0x7fff;
        peer_at($w, $sum % sum(@$w));
    });
}

# The ketama ring of servers ([name, weight]): [hash, server index] by
# hash, 160 points per unit of weight at crc32(HOST \0 PORT PREV).
sub ketama_ring (@servers) {
    my @points;
    for my $s (0 .. $#servers) {
        my ($server, $weight) = @{ $servers[$s] };
        my ($host, $port) = $server =~ /^unix:(.*)$/i ? ($1, '')
            : $server =~ /^(.*):(\d*)$/ ? ($1, $2) : ($server, '');
        my $prev = 0;
        for (1 .. $weight * 160) {
            my $h = crc32("$host\0$port" . pack('V', $prev));
            push @points, [$h, $s];
            $prev = $h;
        }
    }
    my @ring;
    for my $p (sort { $a->[0] <=> $b->[0] } @points) {
        push @ring, $p unless @ring && $ring[-1][0] == $p->[0];
    }
    return \@ring;
}

# hash KEY consistent: from the first point at or after crc32(KEY), on to
# the next point while its server is tried or unusable.
sub ketama_tries ($ring, $key, $ok, $n = 1) {
    my $h = crc32($key);
    my $p = first { $ring->[$_][0] >= $h } 0 .. $#$ring;
    $p //= @$ring;
    my ($skips, %tried, @out) = (0);
    while (@out < $n) {
        my $s = $ring->[$p % @$ring][1];
        if (!$tried{$s} && $ok->[$s]) {
            $tried{$s} = 1;
            push @out, $s;
            next;
        }
        $p++;
        return (@out, 'rr') if ++$skips > 20;
    }
    return @out;
}

# ---- the configuration ----------------------------------------------

my $B1 = '127.0.0.1:%%PORT1%%';
my $B2 = '127.0.0.1:%%PORT2%%';
my $B3 = '127.0.0.1:%%PORT3%%';
my $B4 = '127.0.0.1:%%PORT4%%';
my $BAD1 = '127.0.0.1:%%PORT5%%';
my $BAD2 = '127.0.0.1:%%PORT6%%';
my $DEADA = "127.0.0.1:%%PORT$DEAD%%";

# name => the inside of its upstream block; each is proxied from
# location /NAME/.
my %ups = (
    rr      => "server $B1 weight=5; server $B2; server $B3;",
    lc      => "least_conn; server $B1; server $B2; server $B3;",
    lcw     => "least_conn; server $B1 weight=3; server $B2;",
    lcmc    => "least_conn; server $B1 max_conns=1; server $B4 backup;",
    lcdead  => "least_conn; server $DEADA; server $B4 backup;",
    ih      => "ip_hash; server $B1; server $B2; server $B3;",
    ihdown  => "ip_hash; server $B1; server $B2; server $B3 down;",
    ihw     => "ip_hash; server $B1 weight=2; server $B2; server $B3 weight=4;",
    h       => "hash \$request_uri; server $B1; server $B2; server $B3;",
    hw      => "hash \$request_uri; server $B1 weight=3; server $B2;",
    hdown   => "hash \$request_uri; server $B1; server $B2 down; server $B3;",
    hvar    => "hash \$arg_a-\$arg_b; server $B1; server $B2; server $B3;",
    c3      => "hash \$arg_k consistent; server $B1; server $B2; server $B3;",
    c2      => "hash \$arg_k consistent; server $B1; server $B3;",
    c3down  => "hash \$arg_k consistent; server $B1; server $B2 down; "
        . "server $B3;",
    c3w     => "hash \$arg_k consistent; server $B1 weight=2; server $B2; "
        . "server $B3;",
    rnd     => "random; server $B1; server $B2 weight=3;",
    rnddown => "random; server $B1 down; server $B2; server $B3;",
    rnd2    => "random two; server $B1; server $B2; server $B3;",
    rnd2lc  => "random two least_conn; server $B1; server $B2; server $B3;",
    rrb     => "server $B1; server $B4 backup;",
    rrbdead => "server $DEADA; server $B4 backup;",
    rrbdown => "server $B1 down; server $B4 backup;",
    ft      => "server $DEADA max_fails=1 fail_timeout=1s; server $B2;",
);

# a dead server among live ones, and a group where two of three answer
# 500, for each method
my %method = (
    rr         => '',
    least_conn => 'least_conn;',
    ip_hash    => 'ip_hash;',
    hash       => 'hash $request_uri;',
    chash      => 'hash $request_uri consistent;',
    random     => 'random;',
    random2    => 'random two;',
);

for my $m (keys %method) {
    $ups{"dead_$m"} = "$method{$m} server $B1 max_fails=1 fail_timeout=60s; "
        . "server $B2 max_fails=1 fail_timeout=60s; "
        . "server $DEADA max_fails=1 fail_timeout=60s;";
    $ups{"try_$m"} = "$method{$m} server $B1 max_fails=0; "
        . "server $BAD1 max_fails=0; server $BAD2 max_fails=0;";
}

my $http = <<'EOF';
    log_format tries '$request_uri|$upstream_addr|$upstream_status';
    proxy_connect_timeout 3s;
    proxy_read_timeout 20s;
EOF

$http .= "    upstream $_ { $ups{$_} }\n" for sort keys %ups;

$http .= <<'EOF';
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;

        location /var/ { proxy_pass http://$arg_group; }
EOF

for my $u (sort keys %ups) {
    my $extra = $u =~ /^try_/
        ? 'proxy_next_upstream error timeout http_500; '
            . 'access_log logs/tries.log tries; '
        : '';
    $http .= "        location /$u/ { ${extra}proxy_pass http://$u; }\n";
}

$http .= "    }\n";

# ---- helpers ----------------------------------------------------------

# The name of the backend that answered, or "status N".
sub who ($path, %opt) {
    my $r = get($t, $path, %opt);
    return 'no response' unless $r && defined $r->{status};
    return $r->{status} == 200 ? $r->{body} : "status $r->{status}";
}

sub whos (@paths) { join ' ', map { who($_) } @paths }

# Starts a request that the backend holds; returns [socket, backend name].
sub hold ($group, $id) {
    my $s = conn($t);
    print {$s} "GET /$group/hold/$id HTTP/1.0\r\nHost: localhost\r\n\r\n";
    $t->wait_until(sub { -e "$dir/held-$id" }, timeout => 5)
        or return [$s, 'not held'];
    return [$s, $t->read_file("backends/held-$id")];
}

sub release ($h, $id) {
    $t->write_file("backends/release-$id", '');
    my $r = read_response($h->[0], timeout => 10);
    close $h->[0];
    return $r && ($r->{status} // 0) == 200 ? $r->{body} : 'failed';
}

# Connection failures logged for requests to /$group/ after $mark.
sub failures ($mark, $group) {
    my @l = grep { /connect\(\) failed .*request: "GET \/\Q$group\E\// }
        split /\n/, log_since($t, $mark);
    return scalar @l;
}

# ---- configuration errors ------------------------------------------

# The line of the configuration file where "upstream u {" is.
my $ups_line;

# -t of a configuration with "upstream u { BLOCK }", which a location uses.
sub ups_conf ($block) {
    my $text = http_config($t, "upstream u {\n$block\n}\n"
        . "server { listen 127.0.0.1:%%PORT0%%; "
        . "location / { proxy_pass http://u; } }\n");
    $ups_line = 1 + (($text =~ /\A(.*?)^upstream u \{/ms)[0] =~ tr/\n//);
    $t->write_config($text);
    return $t->run('-t');
}

# -t fails with "NAME: [emerg] MSG in FILE:LINE", LINE being the line of
# the block where the error is (1: the line after "upstream u {").
sub conf_error ($desc, $block, $msg, $line) {
    my $r = ups_conf($block);
    my $at = $ups_line + $line;
    is($r->{status}, 1, "$desc: -t fails");
    like($r->{stderr}, qr/^\Q$name: [emerg] $msg in $conf:$at\E$/m,
        "$desc: message");
    $t->expect_log(qr/\Q$msg\E/);
}

subtest 'configuration errors' => sub {
    for my $m ('ip_hash;', 'hash $uri;', 'hash $uri consistent;',
        'random;', 'random two;')
    {
        conf_error("$m with backup", "$m\nserver $B1;\nserver $B2 backup;",
            'balancing method does not support parameter "backup"', 3);
    }

    conf_error('least_conn with an argument',
        "server $B1;\nleast_conn on;",
        'invalid number of arguments in "least_conn" directive', 2);
    conf_error('ip_hash with an argument', "ip_hash on;\nserver $B1;",
        'invalid number of arguments in "ip_hash" directive', 1);
    conf_error('hash without a key', "hash;\nserver $B1;",
        'invalid number of arguments in "hash" directive', 1);
    conf_error('hash with three arguments',
        "hash \$uri consistent x;\nserver $B1;",
        'invalid number of arguments in "hash" directive', 1);
    conf_error('hash with an unknown parameter',
        "server $B1;\n\nhash \$uri ketama;",
        'invalid parameter "ketama"', 3);
    conf_error('random with an unknown parameter', "random one;\n"
        . "server $B1;", 'invalid parameter "one"', 1);
    conf_error('random two with an unknown method',
        "random two least_time;\nserver $B1;",
        'invalid parameter "least_time"', 1);
    conf_error('random with three arguments',
        "random two least_conn x;\nserver $B1;",
        'invalid number of arguments in "random" directive', 1);

    for my $case (['least_conn', "least_conn;\n"],
        ['ip_hash', "upstream u { server $B1; }\n"
            . "server { location / { ip_hash; proxy_pass http://u; } }\n"])
    {
        my ($d, $body) = @$case;
        $t->write_config(http_config($t, $body));
        my $r = $t->run('-t');
        like($r->{stderr}, qr/^\Q$name: [emerg] "$d" directive is not allowed \E
            \Qhere in $conf:\E\d+$/mx, "$d outside an upstream block");
    }
    $t->expect_log(qr/directive is not allowed here/);

    my $r;

    # a second method replaces the first, with a warning
    $r = ups_conf("least_conn;\nip_hash;\nserver $B1;");
    is($r->{status}, 0, 'two methods: -t passes');
    like($r->{stderr},
        qr/^\Q$name: [warn] load balancing method redefined in $conf:\E\d+$/m,
        'two methods: warning');

    # "backup" before the method's line is not checked, as in nginx
    $r = ups_conf("server $B2 backup;\nip_hash;\nserver $B1;");
    is($r->{status}, 0, 'backup before ip_hash: not checked');

    # parameters the methods allow
    for my $m ('least_conn;', 'ip_hash;', 'hash $uri;', 'random two;') {
        $r = ups_conf("$m\nserver $B1 weight=2 max_fails=3 fail_timeout=5s "
            . "max_conns=10;\nserver $B2 down;");
        is($r->{status}, 0, "$m: weight, max_fails, fail_timeout, max_conns, "
            . 'down') or diag($r->{stderr});
    }
    $r = ups_conf("least_conn;\nserver $B1;\nserver $B2 backup;");
    is($r->{status}, 0, 'least_conn: backup');

    $r = ups_conf("hash \$no_such_variable_x;\nserver $B1;");
    is($r->{status}, 1, 'hash with an unknown variable');
    like($r->{stderr}, qr/\[emerg\] unknown "no_such_variable_x" variable/,
        'hash with an unknown variable: message');
    $t->expect_log(qr/unknown "no_such_variable_x" variable/);

    if ($name eq 'warden') {
        $r = $t->run('-V');
        unlike($r->{stderr}, qr/--without-http_upstream_
            (?:hash|ip_hash|least_conn|random)_module/x,
            '-V does not list the balancers as missing');
    }
};

# ---- the server ---------------------------------------------------------

start_backends();
$t->write_config(http_config($t, $http, main => 'worker_processes 1;'));
$t->start or BAIL_OUT('cannot start');
$t->expect_log(qr/connect\(\) failed \(111: Connection refused\)/);
$t->expect_log(qr/upstream server temporarily disabled/);

subtest 'round robin: smooth weighted order' => sub {
    my @names = qw(b1 b2 b3);
    my $want = join ' ', map { $names[$_] } swrr([5, 1, 1], 70);
    my $got = whos(map { "/rr/$_" } 1 .. 70);
    is($got, $want, '5:1:1 as a a b a c a a, ten times');
    my %n;
    $n{$_}++ for split ' ', $got;
    is("$n{b1} $n{b2} $n{b3}", '50 10 10', 'counts');
};

subtest 'least_conn' => sub {
    is(whos(map { "/lc/$_" } 1 .. 6), 'b1 b2 b3 b1 b2 b3',
        'all idle: in turn');

    my $h = hold('lc', 'lc1');
    is($h->[1], 'b1', 'a held request goes to the next in turn');
    is(whos(map { "/lc/$_" } 1 .. 6), 'b2 b3 b2 b3 b2 b3',
        'the busy server gets nothing while the idle ones take turns');
    is(release($h, 'lc1'), 'b1', 'the held request completes');
    is(whos(map { "/lc/$_" } 1 .. 3), 'b2 b3 b1',
        'all idle again: b1 takes turns again (after the turns it had)');

    # weights: b1 (3) with one connection is less loaded than b2 (1)
    # with one
    my $h1 = hold('lcw', 'lcw1');
    is($h1->[1], 'b1', 'weighted: the first goes to the heavier server');
    is(whos(map { "/lcw/$_" } 1 .. 3), 'b2 b2 b2',
        'weighted: 1 of 3 vs 0 of 1: the idle server');
    my $h2 = hold('lcw', 'lcw2');
    is($h2->[1], 'b2', 'weighted: the second held request');
    is(whos(map { "/lcw/$_" } 1 .. 3), 'b1 b1 b1',
        'weighted: 1 of 3 vs 1 of 1: the heavier server');
    is(release($h1, 'lcw1') . ' ' . release($h2, 'lcw2'), 'b1 b2',
        'weighted: held requests complete');
};

subtest 'least_conn: max_conns and backup' => sub {
    is(whos(map { "/lcmc/$_" } 1 .. 3), 'b1 b1 b1',
        'the backup is not used while the primary can take requests');
    my $h = hold('lcmc', 'lcmc1');
    is($h->[1], 'b1', 'held on the primary');
    is(whos(map { "/lcmc/$_" } 1 .. 2), 'b4 b4',
        'max_conns reached: the backup takes the requests');
    is(release($h, 'lcmc1'), 'b1', 'the held request completes');
    is(who('/lcmc/x'), 'b1', 'the primary again');

    my $mark = log_mark($t);
    is(whos(map { "/lcdead/$_" } 1 .. 4), 'b4 b4 b4 b4',
        'the primary refuses connections: the backup');
    is(failures($mark, 'lcdead'), 1, 'the dead primary was tried once');
};

subtest 'ip_hash' => sub {
    my @names = qw(b1 b2 b3);
    my ($want) = ip_hash_tries([1, 1, 1], [1, 1, 1]);
    my @got = map {
        who("/ih/$_", headers => { 'X-Forwarded-For' => "10.0.$_.1",
            'X-Real-IP' => "192.168.$_.2" })
    } 1 .. 10;
    is("@got", join(' ', ($names[$want]) x 10),
        "every request from 127.0.0.1 to $names[$want], whatever "
        . 'X-Forwarded-For says');

    ($want) = ip_hash_tries([1, 1, 1], [1, 1, 0]);
    isnt($names[$want], 'b3', 'the down server would have been chosen');
    is(whos(map { "/ihdown/$_" } 1 .. 5), join(' ', ($names[$want]) x 5),
        "down: the hash goes on to $names[$want]");

    ($want) = ip_hash_tries([2, 1, 4], [1, 1, 1]);
    is(whos(map { "/ihw/$_" } 1 .. 5), join(' ', ($names[$want]) x 5),
        "weights 2, 1, 4: $names[$want]");
};

subtest 'hash' => sub {
    my @names = qw(b1 b2 b3);
    my (@want, %seen);
    for my $k (0 .. 29) {
        my ($i) = hash_tries("/h/k$k", [1, 1, 1], [1, 1, 1]);
        push @want, $names[$i];
        $seen{$i}++;
    }
    is(scalar(keys %seen), 3, 'the keys spread over the three servers');
    my @paths = map { "/h/k$_" } 0 .. 29;
    is(whos(@paths), "@want", 'each key to its server');
    is(whos(@paths), "@want", 'and again');

    @want = map { $names[(hash_tries("/hw/k$_", [3, 1], [1, 1]))[0]] } 0 .. 29;
    is(whos(map { "/hw/k$_" } 0 .. 29), "@want", 'weights 3, 1');

    @want = map { $names[(hash_tries("/hdown/k$_", [1, 1, 1], [1, 0, 1]))[0]] }
        0 .. 29;
    is(whos(map { "/hdown/k$_" } 0 .. 29), "@want",
        'down: keys rehashed past it');
    unlike("@want", qr/b2/, 'the down server gets nothing');

    @want = map { $names[(hash_tries("$_-x", [1, 1, 1], [1, 1, 1]))[0]] }
        0 .. 9;
    is(whos(map { "/hvar/p$_?a=$_&b=x" } 0 .. 9), "@want",
        'a key made of variables');
    is(whos(map { "/hvar/other$_?b=x&a=$_" } 0 .. 9), "@want",
        'the same key from other URIs: the same servers');
};

subtest 'hash consistent' => sub {
    my @a = map { addr($_) } 1 .. 3;
    my @names = qw(b1 b2 b3);
    my $ring3 = ketama_ring(map { [$_, 1] } @a);
    my $ring2 = ketama_ring(map { [$_, 1] } @a[0, 2]);
    my @keys = map { "key$_" } 0 .. 59;

    my @want3 = map { $names[(ketama_tries($ring3, $_, [1, 1, 1]))[0]] } @keys;
    my @want2 = map { (qw(b1 b3))[(ketama_tries($ring2, $_, [1, 1]))[0]] }
        @keys;
    my @got3 = map { who("/c3/x?k=$_") } @keys;
    my @got2 = map { who("/c2/x?k=$_") } @keys;
    is("@got3", "@want3", 'three servers: each key on its ketama point');
    is("@got2", "@want2", 'b2 removed: each key on its ketama point');

    my ($kept, $moved, $wrong) = (0, 0, 0);
    for my $i (0 .. $#keys) {
        if ($got3[$i] eq 'b2') {
            $moved++;
        } elsif ($got3[$i] eq $got2[$i]) {
            $kept++;
        } else {
            $wrong++;
        }
    }
    is($wrong, 0, "b2 removed: only b2's keys moved ($moved moved, "
        . "$kept stayed)");
    cmp_ok($moved, '>', 5, 'b2 had keys to lose');

    is(join(' ', map { who("/c3down/x?k=$_") } @keys), "@got2",
        'b2 down: as if it were removed');

    my $ringw = ketama_ring([$a[0], 2], [$a[1], 1], [$a[2], 1]);
    my @want = map { $names[(ketama_tries($ringw, $_, [1, 1, 1]))[0]] } @keys;
    is(join(' ', map { who("/c3w/x?k=$_") } @keys), "@want",
        'weights 2, 1, 1: 320, 160 and 160 points');
};

subtest 'random' => sub {
    my %n;
    $n{ who("/rnd/$_") }++ for 1 .. 200;
    is(join(',', sort keys %n), 'b1,b2', 'both servers, nothing else');
    my $share = ($n{b2} // 0) / 200;
    ok($share > 0.6 && $share < 0.9,
        "weight 3 of 4: b2 took $n{b2} of 200 (expected about 150)");

    %n = ();
    $n{ who("/rnddown/$_") }++ for 1 .. 40;
    is(join(',', sort keys %n), 'b2,b3', 'down: never drawn');

    for my $g (qw(rnd2 rnd2lc)) {
        my $h = hold($g, "${g}1");
        like($h->[1], qr/^b[123]$/, "$g: a request held on $h->[1]");
        my @got = map { who("/$g/$_") } 1 .. 30;
        is(scalar(grep { $_ eq $h->[1] } @got), 0,
            "$g: of two servers drawn the idle one wins: the busy one "
            . 'gets nothing');
        is(scalar(grep { !/^b[123]$/ } @got), 0, "$g: all answered");
        is(release($h, "${g}1"), $h->[1], "$g: the held request completes");
    }
};

subtest 'backup and down with round robin' => sub {
    is(whos(map { "/rrb/$_" } 1 .. 5), 'b1 b1 b1 b1 b1',
        'the backup is not used while the primary is up');
    my $mark = log_mark($t);
    is(whos(map { "/rrbdead/$_" } 1 .. 4), 'b4 b4 b4 b4',
        'the primary refuses connections: the backup');
    is(failures($mark, 'rrbdead'), 1, 'the dead primary was tried once');
    is(whos(map { "/rrbdown/$_" } 1 .. 3), 'b4 b4 b4',
        'the primary is down: the backup');
};

subtest 'max_fails: a dead server is taken out, with every method' => sub {
    my @names = qw(b1 b2 dead);
    for my $m (sort keys %method) {
        my $g = "dead_$m";
        my $mark = log_mark($t);
        my @got = map { who("/$g/k$_") } 1 .. 40;
        is(scalar(grep { !/^b[12]$/ } @got), 0, "$m: all answered by b1, b2")
            or diag("@got");
        is(failures($mark, $g), 1, "$m: the dead server was tried once");
    }

    # ip_hash chose the dead one first; then the hash went on
    my @want = ip_hash_tries([1, 1, 1], [1, 1, 0]);
    is(whos(map { "/dead_ip_hash/$_" } 1 .. 3),
        join(' ', ($names[$want[0]]) x 3), 'ip_hash: the next on the hash');
};

subtest 'fail_timeout: the dead server is tried again after it' => sub {
    my $mark = log_mark($t);
    is(whos(map { "/ft/$_" } 1 .. 4), 'b2 b2 b2 b2', 'answered by b2');
    is(failures($mark, 'ft'), 1, 'the dead server was tried once');
    sleep 2.2;
    $mark = log_mark($t);
    is(whos(map { "/ft/$_" } 1 .. 6), 'b2 b2 b2 b2 b2 b2', 'answered by b2');
    is(failures($mark, 'ft'), 1,
        'after fail_timeout the dead server was tried once more');
};

subtest 'retries go to servers not yet tried' => sub {
    # b1 answers 200, bad1 and bad2 500; max_fails=0 keeps them all
    # usable, so only the tried set keeps a retry off them
    my @addrs = (addr(1), addr(5), addr(6));
    my $ring = ketama_ring(map { [$_, 1] } @addrs);
    my %predict = (
        ip_hash => sub ($uri) { ip_hash_tries([1, 1, 1], [1, 1, 1], 3) },
        hash    => sub ($uri) { hash_tries($uri, [1, 1, 1], [1, 1, 1], 3) },
        chash   => sub ($uri) { ketama_tries($ring, $uri, [1, 1, 1], 3) },
    );

    for my $m (sort keys %method) {
        my @got = map { who("/try_$m/k$_") } 1 .. 15;
        is(scalar(grep { $_ ne 'b1' } @got), 0, "$m: every request ends at b1")
            or diag("@got");
    }

    my %log;
    for my $line (split /\n/, $t->read_file('logs/tries.log') // '') {
        my ($uri, $addr, $status) = split /\|/, $line;
        push @{ $log{$uri =~ m{^/try_(\w+)/} ? $1 : '?' } },
            [$uri, [split /, /, $addr], [split /, /, $status]];
    }

    for my $m (sort keys %method) {
        my ($bad, $mispredicted) = (0, 0);
        for my $e (@{ $log{$m} // [] }) {
            my ($uri, $addr, $status) = @$e;
            my %seen;
            $bad++ if grep { $seen{$_}++ } @$addr;
            $bad++ if $addr->[-1] ne addr(1) || $status->[-1] != 200;
            $bad++ if grep { $_ != 500 } @$status[0 .. $#$status - 1];
            if (my $p = $predict{$m}) {
                my @want = $p->($uri);
                my $last = first { $want[$_] eq '0' } 0 .. $#want;
                splice @want, $last + 1 if defined $last;
                $mispredicted++ if join(', ', map { $addrs[$_] } @want)
                    ne join(', ', @$addr);
            }
        }
        is(scalar @{ $log{$m} // [] }, 15, "$m: 15 requests logged");
        is($bad, 0, "$m: no server twice in a request, 500s then b1's 200");
        is($mispredicted, 0, "$m: the servers tried in nginx's order")
            if $predict{$m};
    }
};

subtest 'proxy_pass with variables naming a group' => sub {
    # regression: the location's proxy_pass was dropped at merge time when
    # it had variables, and the worker crashed
    is(who('/var/x?group=rrb'), 'b1', 'a round-robin group');
    my ($i) = hash_tries('/var/y?group=h', [1, 1, 1], [1, 1, 1]);
    is(who('/var/y?group=h'), (qw(b1 b2 b3))[$i], 'a hash group');
};

$t->stop;
stop_backends();

$t->done;
done_testing;
