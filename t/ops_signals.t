#!/usr/bin/perl
# Signals an operator sends: USR1 after moving the logs (under load), QUIT
# during a long download, TERM, a worker killed under load, and the
# shipped systemd unit and logrotate recipe run against the real binary.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5;
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response have_bin is_root);
use Test::Warden::HTTP qw(http_config get conn);
use Test::Warden::Load;

my $BIG = 50 * 1024 * 1024;
my $REPO = "$FindBin::Bin/..";

sub config ($t, %o) {
    $t->write_config(http_config($t, <<"EOF", main => 'worker_processes 2;',
    server {
        listen 127.0.0.1:%%PORT0%%;
        access_log logs/access.log;
        location / { return 200 "gen \$pid"; }
        location /big/ { root html; limit_rate 25m; }
        location /slow/ { root html; limit_rate 100k; }
    }
EOF
        level => 'notice'));
}

sub alive ($pid) { kill 0, $pid }

sub lines_in ($t, $rel) {
    my $text = $t->read_file($rel) // return 0;
    return scalar(() = $text =~ /\n/g);
}

# The test file of $size bytes: numbered 1 KiB blocks, so a lost, doubled
# or misplaced block changes the digest.
sub write_blocks ($t, $rel, $size) {
    my $path = $t->prefix . "/$rel";
    open my $fh, '>:raw', $path or die "$path: $!";
    my $md5 = Digest::MD5->new;
    for my $i (0 .. $size / 1024 - 1) {
        my $block = sprintf('%-1023d', $i) . "\n";
        print {$fh} $block;
        $md5->add($block);
    }
    close $fh;
    return $md5->hexdigest;
}

# Reads a response off $s to the end: (status line, body length, md5).
sub read_download ($s, $timeout = 30) {
    my ($buf, $head, $len) = ('', undef, 0);
    my $md5 = Digest::MD5->new;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        my $n = sysread($s, my $chunk, 1 << 20);
        last unless $n;
        if (defined $head) {
            $md5->add($chunk);
            $len += $n;
            next;
        }
        $buf .= $chunk;
        next unless $buf =~ /\r\n\r\n/;
        $head = substr($buf, 0, $+[0]);
        my $rest = substr($buf, $+[0]);
        $md5->add($rest);
        $len = length $rest;
    }
    my ($status) = ($head // '') =~ /^(HTTP\S+ \d+)/;
    return ($status // '', $len, $md5->hexdigest);
}

my $sanitized = do {
    open my $fh, '<:raw', $ENV{WARDEN_BINARY} // "$REPO/objs/warden";
    local $/;
    (<$fh> // '') =~ /__asan_init/;
};

subtest 'USR1 after moving the logs, under load' => sub {
    my $t = Test::Warden->new;
    config($t);
    $t->start or return;
    my $load = Test::Warden::Load->start($t, clients => 3,
        expect => qr/^gen \d+$/);
    sleep 0.5;
    my $p = $t->prefix;
    rename "$p/logs/access.log", "$p/logs/access.log.1";
    rename "$p/logs/error.log", "$p/logs/error.log.1";
    $t->signal('USR1');
    ok($t->wait_until(sub { -s "$p/logs/access.log" }),
        'a new access.log receives lines');
    ok(-e "$p/logs/error.log", 'a new error.log is created');
    if (is_root()) {
        my $nobody = getpwnam('nobody');
        is((stat "$p/logs/access.log")[4], $nobody,
            'the new file belongs to the worker user');
    }
    sleep 0.5;
    my $res = $load->finish;
    is($res->{failed}, 0, 'no failed request');
    my $logged = lines_in($t, 'logs/access.log.1')
        + lines_in($t, 'logs/access.log');
    is($logged, $res->{served}, 'every response logged, in one file or '
        . 'the other') or diag(Test::Warden::Load::summary($res));
    like($t->read_file('logs/error.log.1') // '', qr/reopening logs/,
        'the reopen is logged, in the old file');
    get($t, '/slow/missing');
    ok($t->wait_for_log(qr/open\(\) ".*missing" failed/),
        'the next error goes to the new file');
    $t->done;
};

subtest 'QUIT during a 50 MB download at a limited rate' => sub {
    my $t = Test::Warden->new;
    config($t);
    mkdir $t->prefix . '/html/big';
    my $md5 = write_blocks($t, 'html/big/file.bin', $BIG);
    my $pid = $t->start or return;
    my $s = conn($t);
    print {$s} "GET /big/file.bin HTTP/1.1\r\nHost: x\r\n\r\n";
    sleep 0.3;
    my $sent = time;
    $t->signal('QUIT');
    sleep 0.2;
    ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $t->port(0), Timeout => 2),
        'new connections are refused at once');
    my ($status, $len, $got) = read_download($s);
    like($status, qr/ 200$/, 'status 200');
    is($len, $BIG, 'all 50 MB arrive');
    is($got, $md5, 'intact');
    cmp_ok(time - $sent, '>', 1, 'the rate limit held');
    ok($t->wait_for_exit, 'then the server exits');
    ok(!-e $t->pid_file, 'the pid file is removed');
    $t->done;
};

subtest 'TERM stops at once' => sub {
    my $t = Test::Warden->new;
    config($t);
    mkdir $t->prefix . '/html/slow';
    write_blocks($t, 'html/slow/file.bin', 1024 * 1024);
    $t->start or return;
    my $s = conn($t);
    print {$s} "GET /slow/file.bin HTTP/1.1\r\nHost: x\r\n\r\n";
    sleep 0.3;
    my $sent = time;
    $t->signal('TERM');
    my (undef, $len) = read_download($s, 5);
    cmp_ok($len, '<', 1024 * 1024, 'the download is cut');
    cmp_ok(time - $sent, '<', 2, 'within a moment');
    ok($t->wait_for_exit(timeout => 3), 'the server exits');
    ok(!-e $t->pid_file, 'the pid file is removed');
    $t->done;
};

subtest 'a worker killed under load' => sub {
    my $t = Test::Warden->new;
    config($t);
    $t->expect_log(qr/exited on signal (?:9|11)/);
    my $master = $t->start or return;
    my @signals = ('KILL', $sanitized ? () : ('SEGV'));
    for my $sig (@signals) {
        my $load = Test::Warden::Load->start($t, clients => 4,
            expect => qr/^gen \d+$/);
        sleep 0.5;
        my @before = Test::Warden::Load::children($master);
        my $victim = $before[0];
        kill $sig, $victim;
        my @after;
        ok($t->wait_until(sub {
                @after = Test::Warden::Load::children($master);
                @after == 2 && !grep { $_ == $victim } @after }),
            "SIG$sig: a new worker replaces the dead one");
        my ($new) = grep { $_ != $before[1] } @after;
        my $signo = $sig eq 'KILL' ? 9 : 11;
        ok($t->wait_for_log(
                qr/worker process $victim exited on signal $signo/),
            "SIG$sig: the death is logged");
        sleep 0.5;
        my $res = $load->finish;
        cmp_ok($res->{failed}, '<=', 4,
            "SIG$sig: at most the in-flight requests fail")
            or diag(join "\n", @{ $res->{failures} });
        my %by = map { $_->[2][0] => 1 } @{ $res->{conns} };
        ok($by{$new}, "SIG$sig: the new worker serves");
        ok($by{ $before[1] }, "SIG$sig: the other worker kept serving");
        diag("kill -$sig a worker: " . Test::Warden::Load::summary($res));
    }
    $t->done;
};

# The unit's commands, with the install paths pointed at the test prefix.
subtest 'conf/warden.service commands' => sub {
    my $t = Test::Warden->new;
    config($t);
    my $p = $t->prefix;
    my $unit = do { local (@ARGV, $/) = "$REPO/conf/warden.service"; <> };
    my %exec;
    $exec{$1} = $2 while $unit =~ /^(Exec\w+|PIDFile)=-?(.+)$/mg;
    like($unit, qr/^Type=forking$/m, 'Type=forking');
    my $bin = $t->binary;
    for my $k (keys %exec) {
        $exec{$k} =~ s{^/usr/local/warden/sbin/warden}
            {$bin -p $p/ -e logs/error.log -c conf/warden.conf};
        $exec{$k} =~ s{^/usr/local/warden/}{$p/};
    }
    is($exec{PIDFile}, "$p/logs/warden.pid", 'PIDFile is the pid file');
    my $run = sub ($what) {
        my $r = $t->spawn([split ' ', $exec{$what}]);
        is($r->{status}, 0, "$what exits 0") or diag($r->{stderr});
        return $r;
    };
    is($run->('ExecStartPre')->{stderr}, '', 'ExecStartPre: -t -q is quiet');
    $run->('ExecStart');
    ok($t->wait_until(sub { -s $exec{PIDFile} }), 'ExecStart: pid file');
    my ($pid) = ($t->read_file('logs/warden.pid') // '') =~ /(\d+)/;
    $t->adopt($pid);
    $run->('ExecReload');
    ok($t->wait_for_log(qr/signal 1 \(SIGHUP\).*reconfiguring/),
        'ExecReload reloads');
    $run->('ExecStop');
    ok($t->wait_until(sub { !alive($pid) }), 'ExecStop stops gracefully');
    like($t->error_log, qr/signal 3 \(SIGQUIT\)/, 'with QUIT');
    $t->done;
};

subtest 'conf/warden.logrotate' => sub {
    plan skip_all => 'no logrotate' unless have_bin('logrotate');
    plan skip_all => 'not root' unless is_root();
    my $t = Test::Warden->new;
    config($t);
    my $p = $t->prefix;
    $t->start or return;
    get($t, '/') for 1 .. 3;
    my $recipe = do { local (@ARGV, $/) = "$REPO/conf/warden.logrotate"; <> };
    $recipe =~ s{/usr/local/warden/}{$p/}g;
    $t->write_file('harness/logrotate.conf', $recipe);
    chmod 0755, "$p/logs";      # logrotate refuses a world-writable dir
    chmod 0644, "$p/harness/logrotate.conf";
    my $r = $t->spawn(['logrotate', '-f', '-s', "$p/harness/logrotate.state",
        "$p/harness/logrotate.conf"]);
    is($r->{status}, 0, 'logrotate runs')
        or diag($r->{stderr} . $r->{stdout});
    is(lines_in($t, 'logs/access.log.1'), 3, 'the old lines were rotated');
    ok($t->wait_for_log(qr/reopening logs/, file => 'logs/error.log.1'),
        'the postrotate signal reopens');
    get($t, '/');
    ok($t->wait_until(sub { lines_in($t, 'logs/access.log') == 1 }),
        'the next request is logged in the new file');
    is((stat "$p/logs/access.log")[4], scalar getpwnam('nobody'),
        'owned as the recipe says');
    $t->done;
};

done_testing;
