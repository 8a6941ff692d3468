#!/usr/bin/perl
# Core and events directives: -t accepts valid values and rejects invalid
# ones with nginx's messages; a server started with them applies them.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(is_root);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $conf = $t->conf_path;
my $ok_lines = "$name: the configuration file $conf syntax is ok\n"
    . "$name: configuration file $conf test is successful\n";

# Line 1 is the pid, line 2 the main-level directive under test, line 3
# "events {" and line 4 the events-level directive under test.
sub config ($main, $events = '') {
    return "pid logs/warden.pid;\n$main\nevents {\n$events\n}\n";
}

sub accepts ($desc, $config, %opt) {
    $t->write_config($config);
    my $r = $t->run('-t');
    is($r->{status}, 0, "$desc: accepted");
    is($r->{stderr}, ($opt{before} // '') . $ok_lines, "$desc: test is successful");
}

# $line undef: the message has no location (checked after parsing, so
# "syntax is ok" comes first).
sub rejects ($desc, $config, $msg, $line) {
    $t->write_config($config);
    my $r = $t->run('-t');
    my $loc = defined $line ? " in $conf:$line" : '';
    my $syntax_ok = defined $line ? ''
        : "$name: the configuration file $conf syntax is ok\n";
    is($r->{status}, 1, "$desc: rejected");
    is($r->{stderr}, "$syntax_ok$name: [emerg] $msg$loc\n"
        . "$name: configuration file $conf test failed\n", "$desc: message");
    $t->expect_log(qr/\[emerg\] \d+#\d+: \Q$msg$loc\E$/);
}

# The directive text doubles as the test name (on one line).
sub main_ok ($d)                { accepts($d =~ tr/\n/ /r, config($d)) }
sub main_bad ($d, $msg, $l = 2) { rejects($d =~ tr/\n/ /r, config($d), $msg, $l) }
sub events_ok ($d)              { accepts($d =~ tr/\n/ /r, config('', $d)) }
sub events_bad ($d, $msg)       { rejects($d =~ tr/\n/ /r, config('', $d), $msg, 4) }

sub args_msg ($dir) { qq{invalid number of arguments in "$dir" directive} }
sub flag_msg ($v, $dir) {
    qq{invalid value "$v" in "$dir" directive, it must be "on" or "off"}
}

subtest 'user' => sub {
    main_bad('user;', args_msg('user'));
    main_bad('user a b c;', args_msg('user'));
    unless (is_root()) {
        accepts('user as non-root', config('user nosuchuser_wd;'),
            before => "$name: [warn] the \"user\" directive makes sense only "
                . 'if the master process runs with super-user privileges, '
                . "ignored in $conf:2\n");
        return;
    }
    my ($gid) = (getpwnam('nobody'))[3];
    my $group = defined $gid ? getgrgid($gid) : undef;
    SKIP: {
        skip 'no nobody user', 4 unless defined $group;
        main_ok("user nobody $group;");
        if (defined getgrnam('nobody')) {
            main_ok('user nobody;');
        }
        else {
            main_bad('user nobody;', 'getgrnam("nobody") failed');
        }
    }
    main_bad('user nosuchuser_wd;', 'getpwnam("nosuchuser_wd") failed');
    main_bad('user nobody nosuchgroup_wd;', 'getgrnam("nosuchgroup_wd") failed');
};

subtest 'worker_processes' => sub {
    main_ok("worker_processes $_;") for qw(1 4 auto);
    main_bad("worker_processes $_;", '"worker_processes" directive invalid value')
        for qw(abc -1 2x);
    main_bad('worker_processes 1 2;', args_msg('worker_processes'));
};

subtest 'pid' => sub {
    accepts('relative pid', "pid logs/other.pid;\nevents {}\n");
    accepts('absolute quoted pid', qq{pid "$prefix/logs/abs.pid";\nevents {}\n});
    rejects('pid;', "pid;\nevents {}\n", args_msg('pid'), 1);
    rejects('pid a b;', "pid a b;\nevents {}\n", args_msg('pid'), 1);
    rejects('pid in a missing directory', "pid nodir/x.pid;\nevents {}\n",
        qq{open() "$prefix/nodir/x.pid" failed (2: No such file or directory)},
        undef);
};

subtest 'error_log' => sub {
    main_ok('error_log logs/e.log;');
    main_ok("error_log logs/e.log $_;")
        for qw(debug info notice warn error crit alert emerg);
    main_ok('error_log stderr;');
    main_ok('error_log stderr crit;');
    main_ok("error_log logs/e1.log info;\nerror_log logs/e2.log warn;");
    main_bad('error_log logs/e.log bogus;', 'invalid log level "bogus"');
    main_bad('error_log logs/e.log warn error;', 'duplicate log level "error"');
    main_bad('error_log;', args_msg('error_log'));
    main_bad('error_log nodir/e.log;',
        qq{open() "$prefix/nodir/e.log" failed (2: No such file or directory)},
        undef);
};

subtest 'daemon and master_process' => sub {
    main_ok("daemon $_;") for qw(on off);
    main_ok("master_process $_;") for qw(on off);
    main_ok("daemon $_;") for qw(ON Off);    # case-insensitive
    main_bad('daemon maybe;', flag_msg('maybe', 'daemon'));
    main_bad('daemon yes;', flag_msg('yes', 'daemon'));
    main_bad('master_process 1;', flag_msg('1', 'master_process'));
    main_bad('daemon;', args_msg('daemon'));
    main_bad('daemon on off;', args_msg('daemon'));
};

subtest 'worker_rlimit_nofile' => sub {
    main_ok('worker_rlimit_nofile 1024;');
    main_ok('worker_rlimit_nofile 65535;');
    main_bad("worker_rlimit_nofile $_;",
        '"worker_rlimit_nofile" directive invalid number') for qw(abc -1 10k);
};

subtest 'worker_shutdown_timeout' => sub {
    main_ok("worker_shutdown_timeout $_;")
        for qw(10s 1h30m 500ms 30 1d2h3m4s5ms 1w);
    main_bad("worker_shutdown_timeout $_;",
        '"worker_shutdown_timeout" directive invalid value')
        for qw(abc 10x 1s1h -1s);
    main_bad('worker_shutdown_timeout 1h 30m;', args_msg('worker_shutdown_timeout'));
};

subtest 'env' => sub {
    main_ok("env FOO;\nenv BAR=baz;\nenv TZ;\nenv EMPTY=;");
    main_bad('env;', args_msg('env'));
    main_bad('env A B;', args_msg('env'));
};

subtest 'events' => sub {
    events_ok("worker_connections 512;\nuse epoll;\nmulti_accept on;\naccept_mutex off;");
    events_ok("multi_accept off;\naccept_mutex on;\naccept_mutex_delay 100ms;");
    events_bad('use foo;', 'invalid event type "foo"');
    events_bad('use epoll; use epoll;', '"use" directive is duplicate');
    events_bad('worker_connections abc;', 'invalid number "abc"');
    events_bad('worker_connections 1; worker_connections 2;',
        '"worker_connections" directive is duplicate');
    events_bad('worker_connections;', args_msg('worker_connections'));
    events_bad('multi_accept yes;', flag_msg('yes', 'multi_accept'));
    events_bad('accept_mutex maybe;', flag_msg('maybe', 'accept_mutex'));
};

subtest 'applied at run time' => sub {
    my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
    my $group = defined $gid ? getgrgid($gid) : undef;
    my $user = is_root() && defined $group ? "user nobody $group;\n" : '';
    $t->write_config(<<"EOF");
pid logs/warden.pid;
error_log logs/error.log info;
${user}worker_processes 2;
worker_rlimit_nofile 1000;
worker_shutdown_timeout 10s;
env WARDEN_TEST_ENV=1;
events {
    worker_connections 512;
    use epoll;
    multi_accept on;
    accept_mutex off;
}
EOF
    my $pid = $t->start;
    ok($pid, 'started') or return;
    ok($t->wait_until(sub { $t->worker_pids == 2 }), 'two workers');
    for my $w ($t->worker_pids) {
        my $limits = $t->read_file("/proc/$w/limits") // '';
        like($limits, qr/^Max open files\s+1000\s+1000\s/m,
            "worker $w: worker_rlimit_nofile applied");
        next unless $user;
        my $status = $t->read_file("/proc/$w/status") // '';
        like($status, qr/^Uid:\s+$uid\s/m, "worker $w: runs as nobody");
        like($status, qr/^Gid:\s+$gid\s/m, "worker $w: group $group");
    }
    ok($t->stop, 'stopped');
};

$t->done;
done_testing;
