#!/usr/bin/perl
# Command-line switches: -? -h -v -V -t -T -q -c -p -e -g -s, with nginx's
# wording and exit codes.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden;

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $conf = $t->conf_path;

# warden prints its own version plus the nginx version it follows; invoked
# as "nginx" it leads with the nginx version so version parsers keep working.
my $version_re = $name eq 'nginx'
    ? qr{^nginx version: nginx/[\d.]+(?: \(warden/[\d.]+\))?$}
    : qr{^warden version: warden/[\d.]+ \(nginx/1\.28\.0 compatible\)$};

my $good = <<'EOF';
pid logs/warden.pid;
error_log logs/error.log info;
worker_processes 1;
events {}
http {
    access_log logs/access.log;
    server { listen 127.0.0.1:%%PORT0%%; }
}
EOF

my $bad = <<'EOF';
pid logs/warden.pid;
events {}
cli_bogus on;
EOF
$t->expect_log(qr/unknown directive "cli_bogus" in /);

sub lines ($s) { [split /\n/, $s] }

sub test_ok_lines ($file) {
    return "$name: the configuration file $file syntax is ok\n"
        . "$name: configuration file $file test is successful\n";
}

subtest 'help: -? and -h' => sub {
    my $help = $t->run({ raw => 1 }, '-?');
    is($help->{status}, 0, '-?: exit 0');
    is($help->{stdout}, '', '-?: nothing on stdout');
    my @l = @{ lines($help->{stderr}) };
    like($l[0] // '', $version_re, 'first line: version');
    is($l[1], "Usage: $name [-?hvVtTq] [-s signal] [-p prefix]",
        'usage line');
    like($l[2] // '', qr/^\s+\[-e filename\] \[-c filename\] \[-g directives\]$/,
        'usage continuation line');
    ok((grep { $_ eq 'Options:' } @l), 'Options: header');
    my @opts = (
        ['-\?,-h',        'this help'],
        ['-v',            'show version and exit'],
        ['-V',            'show version and configure options then exit'],
        ['-t',            'test configuration and exit'],
        ['-T',            'test configuration, dump it and exit'],
        ['-q',            'suppress non-error messages during configuration testing'],
        ['-s signal',     'send signal to a master process: stop, quit, reopen, reload'],
        ['-p prefix',     'set prefix path \(default: [^)]+\)'],
        ['-e filename',   'set error log file \(default: [^)]+\)'],
        ['-c filename',   'set configuration file \(default: [^)]+\)'],
        ['-g directives', 'set global directives out of configuration file'],
    );
    for my $o (@opts) {
        my ($sw, $text) = @$o;
        ok((grep { /^  $sw +: $text$/ } @l), "option line for $sw");
    }
    my $h = $t->run({ raw => 1 }, '-h');
    is($h->{status}, 0, '-h: exit 0');
    is($h->{stderr}, $help->{stderr}, '-h prints the same as -?');
};

subtest 'version: -v and -V' => sub {
    my $r = $t->run({ raw => 1 }, '-v');
    is($r->{status}, 0, '-v: exit 0');
    is($r->{stdout}, '', '-v: nothing on stdout');
    my @l = @{ lines($r->{stderr}) };
    is(scalar @l, 1, '-v: one line');
    like($l[0] // '', $version_re, '-v: version line');

    $r = $t->run({ raw => 1 }, '-V');
    is($r->{status}, 0, '-V: exit 0');
    is($r->{stdout}, '', '-V: nothing on stdout');
    @l = @{ lines($r->{stderr}) };
    like($l[0] // '', $version_re, '-V: version line first');
    my ($ssl) = grep { $l[$_] =~ /^built with OpenSSL \d/ } 0 .. $#l;
    my ($sni) = grep { $l[$_] eq 'TLS SNI support enabled' } 0 .. $#l;
    my ($cfg) = grep { $l[$_] =~ /^configure arguments:/ } 0 .. $#l;
    ok(defined $ssl, '-V: built with OpenSSL');
    ok(defined $sni, '-V: TLS SNI support enabled');
    ok(defined $cfg, '-V: configure arguments');
    ok(defined $ssl && defined $sni && defined $cfg
        && $ssl < $sni && $sni < $cfg, '-V: in that order');
};

subtest 'bad switches' => sub {
    my @cases = (
        [['-x'],            'invalid option: "x"'],
        [['foo'],           'invalid option: "foo"'],
        [['-s', 'badsignal'], 'invalid option: "-s badsignal"'],
        [['-s'],            'option "-s" requires parameter'],
        [['-p'],            'option "-p" requires directory name'],
        [['-c'],            'option "-c" requires file name'],
        [['-e'],            'option "-e" requires file name'],
        [['-g'],            'option "-g" requires parameter'],
    );
    for my $c (@cases) {
        my ($args, $msg) = @$c;
        my $r = $t->run({ raw => 1 }, @$args);
        is($r->{status}, 1, "@$args: exit 1");
        is($r->{stderr}, "$name: $msg\n", "@$args: message");
    }
};

subtest '-t and -q' => sub {
    $t->write_config($good);
    my $r = $t->run('-t');
    is($r->{status}, 0, 'good config: exit 0');
    is($r->{stderr}, test_ok_lines($conf), 'good config: both lines');
    is($r->{stdout}, '', 'good config: nothing on stdout');

    for my $q (['-t', '-q'], ['-tq']) {
        $r = $t->run(@$q);
        is($r->{status}, 0, "@$q: exit 0");
        is($r->{stderr} . $r->{stdout}, '', "@$q: silent");
    }

    $t->write_config($bad);
    my $fail = "$name: [emerg] unknown directive \"cli_bogus\" in $conf:3\n"
        . "$name: configuration file $conf test failed\n";
    $r = $t->run('-t');
    is($r->{status}, 1, 'bad config: exit 1');
    is($r->{stderr}, $fail, 'bad config: emerg and test failed');
    like($t->error_log,
        qr/^\S+ \S+ \[emerg\] \d+#\d+: unknown directive "cli_bogus" in \Q$conf\E:3$/m,
        'bad config: emerg also in the error log');
    $r = $t->run('-t', '-q');
    is($r->{status}, 1, 'bad config, -q: exit 1');
    is($r->{stderr}, $fail, 'bad config, -q: errors still printed');
};

subtest '-T' => sub {
    my $main = "pid logs/warden.pid;\ninclude inc.conf;  # comment kept\n"
        . "events {\n\tworker_connections 64;\n}\n# no newline at end";
    my $inc = "worker_processes 1;\n";
    $t->write_config($main);
    $t->write_file('conf/inc.conf', $inc);
    my $r = $t->run('-T');
    is($r->{status}, 0, 'exit 0');
    is($r->{stderr}, test_ok_lines($conf), 'test lines on stderr');
    is($r->{stdout}, "# configuration file $conf:\n$main\n"
        . "# configuration file $prefix/conf/inc.conf:\n$inc\n",
        'files dumped verbatim on stdout, main file first');
    $r = $t->run('-T', '-q');
    is($r->{status}, 0, '-T -q: exit 0');
    is($r->{stderr}, '', '-T -q: no test lines');
    like($r->{stdout}, qr/^# configuration file \Q$conf\E:\n/,
        '-T -q: still dumps');

    $t->write_config($bad);
    $r = $t->run('-T');
    is($r->{status}, 1, 'bad config: exit 1');
    is($r->{stdout}, '', 'bad config: no dump');
};

subtest '-c' => sub {
    $t->write_config($good, 'conf/other.conf');
    my $other = "$prefix/conf/other.conf";
    my $r = $t->run('-c', 'conf/other.conf', '-t');
    is($r->{status}, 0, 'relative -c: exit 0');
    is($r->{stderr}, test_ok_lines($other), 'relative -c: resolved in prefix');
    $r = $t->run('-c', $other, '-t');
    is($r->{stderr}, test_ok_lines($other), 'absolute -c');

    $r = $t->run('-c', 'conf/missing.conf', '-t');
    is($r->{status}, 1, 'missing file: exit 1');
    is($r->{stderr}, "$name: [emerg] open() \"$prefix/conf/missing.conf\" "
        . "failed (2: No such file or directory)\n"
        . "$name: configuration file $prefix/conf/missing.conf test failed\n",
        'missing file: message');
    $t->expect_log(qr/open\(\) "\Q$prefix\E\/conf\/missing\.conf" failed/);
};

subtest '-p' => sub {
    $t->write_file('alt/conf/warden.conf', $bad);
    $t->write_file('alt/logs/.keep', '');
    my $alt_conf = "$prefix/alt/conf/warden.conf";
    for my $p ("$prefix/alt/", "$prefix/alt") {
        my $r = $t->run('-p', $p, '-t');
        is($r->{status}, 1, "-p $p: exit 1");
        is($r->{stderr},
            "$name: [emerg] unknown directive \"cli_bogus\" in $alt_conf:3\n"
            . "$name: configuration file $alt_conf test failed\n",
            "-p $p: config and paths taken from the prefix");
    }
    like($t->read_file('alt/logs/error.log') // '',
        qr/\[emerg\] \d+#\d+: unknown directive "cli_bogus" in \Q$alt_conf\E:3$/m,
        'relative -e is resolved in the given prefix');
};

subtest '-e' => sub {
    $t->write_config($bad);
    my $before = length $t->error_log;
    my $r = $t->run('-e', 'stderr', '-t');
    is($r->{status}, 1, '-e stderr: exit 1');
    my $ts = qr{\d{4}/\d\d/\d\d \d\d:\d\d:\d\d};
    like($r->{stderr},
        qr/^$ts \[emerg\] \d+#\d+: unknown directive "cli_bogus" in \Q$conf\E:3\n/,
        '-e stderr: log-format line on stderr');
    like($r->{stderr}, qr/^\Q$name\E: configuration file \Q$conf\E test failed$/m,
        '-e stderr: test failed');
    is(length $t->error_log, $before, '-e stderr: logs/error.log untouched');

    $r = $t->run('-e', 'logs/custom.log', '-t');
    is($r->{status}, 1, '-e file: exit 1');
    like($r->{stderr},
        qr/^\Q$name\E: \[emerg\] unknown directive "cli_bogus" in \Q$conf\E:3$/m,
        '-e file: short form on stderr');
    like($t->read_file('logs/custom.log') // '',
        qr/^$ts \[emerg\] \d+#\d+: unknown directive "cli_bogus" in \Q$conf\E:3$/m,
        '-e file: written to the file');
    is(length $t->error_log, $before, '-e file: logs/error.log untouched');

    $r = $t->run('-e', "$prefix/logs/abs.log", '-t');
    like($t->read_file('logs/abs.log') // '', qr/unknown directive "cli_bogus"/,
        '-e absolute path');
};

subtest '-g' => sub {
    my $no_wp = "pid logs/warden.pid;\nevents {}\n";
    $t->write_config($no_wp);
    my $r = $t->run('-g', 'worker_processes 2;', '-t');
    is($r->{status}, 0, '-g: exit 0');
    is($r->{stderr}, test_ok_lines($conf), '-g: test ok');

    $t->write_config($good);
    $r = $t->run('-g', 'worker_processes 2;', '-t');
    is($r->{status}, 1, '-g duplicate: exit 1');
    like($r->{stderr}, qr/^\Q$name\E: \[emerg\] "worker_processes" directive is duplicate in \Q$conf\E:3$/m,
        '-g duplicate: reported at the config file line');
    $t->expect_log(qr/"worker_processes" directive is duplicate/);

    my @cases = (
        ['worker_processes 2', 'unexpected end of parameter, expecting ";"'],
        ['worker_processes 2; }', 'unexpected "}"'],
        ['cli_bogus 1;', 'unknown directive "cli_bogus"'],
        ['events {}', 'block directives are not supported in -g option'],
    );
    $t->write_config($no_wp);
    for my $c (@cases) {
        my ($g, $msg) = @$c;
        $r = $t->run('-g', $g, '-t');
        is($r->{status}, 1, "-g '$g': exit 1");
        is($r->{stderr}, "$name: [emerg] $msg in command line\n"
            . "$name: configuration file $conf test failed\n",
            "-g '$g': message");
        $t->expect_log(qr/\Q$msg\E in command line$/);
    }
};

subtest '-s without a running server' => sub {
    $t->write_config($good);
    my $pid_file = "$prefix/logs/warden.pid";
    unlink $pid_file;
    my $r = $t->run('-s', 'reload');
    is($r->{status}, 1, 'missing pid file: exit 1');
    is($r->{stderr}, "$name: [error] open() \"$pid_file\" failed "
        . "(2: No such file or directory)\n", 'missing pid file: message');

    # A pid that surely names no process: a child we have reaped.
    my $dead = fork // die "fork: $!";
    POSIX::_exit(0) if $dead == 0;
    waitpid($dead, 0);
    my %signo = (stop => 15, quit => 3, reopen => 10, reload => 1);
    $t->write_file('logs/warden.pid', "$dead\n");
    for my $s (sort keys %signo) {
        $r = $t->run('-s', $s);
        is($r->{status}, 1, "stale pid, -s $s: exit 1");
        is($r->{stderr}, "$name: [alert] kill($dead, $signo{$s}) failed "
            . "(3: No such process)\n", "stale pid, -s $s: message");
    }
    $t->expect_log(qr/\[alert\] \d+#\d+: kill\(\Q$dead\E, \d+\) failed \(3: No such process\)$/);

    $t->write_file('logs/warden.pid', "garbage\n");
    $r = $t->run('-s', 'reload');
    is($r->{status}, 1, 'bad pid file: exit 1');
    is($r->{stderr}, "$name: [error] invalid PID number \"garbage\" in "
        . "\"$pid_file\"\n", 'bad pid file: message');
    unlink $pid_file;
};

subtest '-s on a running server' => sub {
    (my $conf_no_wp = $good) =~ s/^worker_processes 1;\n//m;
    $t->write_config($conf_no_wp);
    my $pid = $t->start('-g', 'worker_processes 2;');
    ok($pid, 'started with -g "worker_processes 2;"') or return;
    ok($t->wait_until(sub { $t->worker_pids == 2 }), '-g took effect: 2 workers');
    my %old = map { $_ => 1 } $t->worker_pids;

    my $r = $t->run('-s', 'reload');
    is($r->{status}, 0, 'reload: exit 0');
    is($r->{stderr}, '', 'reload: nothing on stderr');
    ok($t->wait_for_log(
        qr/\[notice\] $pid#\d+: signal 1 \(SIGHUP\) received from \d+, reconfiguring$/m),
        'reload: logged');
    ok($t->wait_until(sub {
        my @w = $t->worker_pids;
        @w == 2 && !grep { $old{$_} } @w;
    }), 'reload: workers replaced');
    ok($t->is_running && $t->pid == $pid, 'reload: same master');

    ok(-e "$prefix/logs/access.log", 'access log exists');
    rename "$prefix/logs/access.log", "$prefix/logs/access.log.1";
    $r = $t->run('-s', 'reopen');
    is($r->{status}, 0, 'reopen: exit 0');
    is($r->{stderr}, '', 'reopen: nothing on stderr');
    ok($t->wait_for_log(
        qr/signal 10 \(SIGUSR1\) received from \d+, reopening logs$/m),
        'reopen: signal logged');
    ok($t->wait_for_log(qr/\[notice\] $pid#\d+: reopening logs$/m),
        'reopen: master reopening logs');
    ok($t->wait_until(sub { -e "$prefix/logs/access.log" }),
        'reopen: access log recreated');

    $r = $t->run('-s', 'quit');
    is($r->{status}, 0, 'quit: exit 0');
    is($r->{stderr}, '', 'quit: nothing on stderr');
    ok($t->wait_for_exit, 'quit: master exits');
    ok(!-e "$prefix/logs/warden.pid", 'quit: pid file removed');
    like($t->error_log,
        qr/signal 3 \(SIGQUIT\) received from \d+, shutting down$/m,
        'quit: logged');

    $pid = $t->start;
    ok($pid, 'started again') or return;
    $r = $t->run('-s', 'stop');
    is($r->{status}, 0, 'stop: exit 0');
    ok($t->wait_for_exit, 'stop: master exits');
    ok(!-e "$prefix/logs/warden.pid", 'stop: pid file removed');
    like($t->error_log,
        qr/\[notice\] $pid#\d+: signal 15 \(SIGTERM\) received from \d+, exiting$/m,
        'stop: logged');
};

$t->done;
done_testing;
