#!/usr/bin/perl
# Tests for the test harness itself (t/lib/Test/Warden.pm): prefix layout,
# port reservation, placeholders, command running, the end-of-test log and
# sanitizer checks, server start/stop and the HTTP helpers.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use IPC::Open2 qw(open2);
use Test::More;
use Test2::API qw(intercept);
use Time::HiRes qw(time);
use Test::Warden qw(parse_response dechunk unexpected_log_lines is_root
    have_bin);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;

sub mode ($path) { (stat $path)[2] & 07777 }

# Events from a block run under Test2's intercept: [pass, name] per ok.
sub oks ($code) {
    my $events = intercept { $code->() };
    return map { [$_->pass, $_->name] }
        grep { $_->isa('Test2::Event::Ok') } @$events;
}

my $good_conf = <<'EOF';
pid logs/test.pid;
error_log logs/error.log info;
events {}
http {
    access_log logs/access.log;
    server { listen 127.0.0.1:%%PORT0%%; }
}
EOF

subtest 'prefix and names' => sub {
    ok(-d $prefix, 'prefix exists');
    unlike($prefix, qr{/$}, 'prefix has no trailing slash');
    like($prefix, qr{^/tmp/}, 'prefix is under /tmp');
    is(mode($prefix), 0755, 'prefix is 0755');
    ok(-d "$prefix/$_", "$_/ exists") for qw(conf logs html);
    is(mode("$prefix/logs"), 0777, 'logs/ is 0777');
    is(mode("$prefix/sanitizer"), 0777, 'sanitizer/ is 0777');
    like($name, qr/^(?:nginx|warden)$/, "name is nginx or warden ($name)");
    like($t->binary, qr{^/}, 'binary path is absolute');
    ok(-x $t->binary, 'binary is executable');
    is($t->conf_path, "$prefix/conf/warden.conf", 'conf_path');
};

my @ports;
subtest 'ports' => sub {
    @ports = map { $t->port($_) } 0 .. 9;
    my %seen = map { $_ => 1 } @ports;
    is(scalar keys %seen, 10, 'ten distinct ports');
    ok(!(grep { !/^\d+$/ || $_ < 1024 || $_ > 65535 } @ports),
        'ports are unprivileged port numbers');
    is($t->port(3), $ports[3], 'port(n) is stable');
    is($t->port, $ports[0], 'port() is port(0)');
    for my $p (@ports) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
            LocalPort => $p, Proto => 'tcp', ReuseAddr => 1, Listen => 1);
        ok($s, "port $p is bindable");
    }

    my %other;
    my @mine2 = map { Test::Warden::reserve_port(\%other) } 1 .. 10;
    ok(!(grep { $seen{$_} } @mine2),
        'a second reservation in this process avoids held ports');

    # Another process (as with prove -j) must not get any held port.
    my $code = 'my %h; $| = 1; print join(" ", map { '
        . 'Test::Warden::reserve_port(\%h) } 1 .. 20), "\n"; <STDIN>;';
    my $pid = open2(my $out, my $in, $^X, "-I$FindBin::Bin/lib",
        '-MTest::Warden', '-e', $code);
    my @theirs = split ' ', (<$out> // '');
    is(scalar @theirs, 20, 'other process reserved 20 ports');
    ok(!(grep { $seen{$_} || $other{$_} } @theirs),
        "other process's ports are disjoint from ours");
    my %third;
    my @after = map { Test::Warden::reserve_port(\%third) } 1 .. 20;
    my %theirs = map { $_ => 1 } @theirs;
    ok(!(grep { $theirs{$_} } @after),
        'ports held by the other process are not handed out');
    close $in;
    waitpid($pid, 0);
};

subtest 'placeholders' => sub {
    my $path = $t->write_config(
        "a %%PORT0%%;\nb %%PORT7%%;\nc %%PREFIX%%/html;\nd %%OTHER%%;\n",
        'conf/ph.conf');
    is($path, "$prefix/conf/ph.conf", 'write_config returns the path');
    is($t->read_file('conf/ph.conf'),
        "a $ports[0];\nb $ports[7];\nc $prefix/html;\nd %%OTHER%%;\n",
        'ports and prefix expanded, unknown placeholders left alone');
    $t->write_config("x %%PORT12%%;\n");
    is($t->read_file('conf/warden.conf'), 'x ' . $t->port(12) . ";\n",
        'default target is conf/warden.conf');
};

subtest 'files' => sub {
    my $bytes = "a\x00b\xff\r\n";
    $t->write_file('deep/er/file.bin', $bytes);
    is($t->read_file('deep/er/file.bin'), $bytes, 'binary-safe round trip');
    is(mode("$prefix/deep/er/file.bin"), 0644, 'file is 0644');
    is(mode("$prefix/deep/er"), 0755, 'created dirs are 0755');
    is($t->read_file('no/such/file'), undef, 'missing file reads as undef');
    ok(!eval { $t->write_file('/tmp/abs', 'x'); 1 },
        'absolute paths are refused');
};

subtest 'spawn and run' => sub {
    my $r = $t->spawn(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    is($r->{status}, 3, 'exit status');
    is($r->{signal}, 0, 'no signal');
    is($r->{stdout}, "out\n", 'stdout');
    is($r->{stderr}, "err\n", 'stderr');
    is($r->{timed_out}, 0, 'not timed out');

    $r = $t->spawn(['sh', '-c', 'kill -TERM $$']);
    is($r->{signal}, 15, 'death by signal');

    my $t0 = time;
    $r = $t->spawn(['sh', '-c', 'sleep 30; exit 0'], timeout => 0.5);
    is($r->{timed_out}, 1, 'timeout detected');
    is($r->{signal}, 9, 'timed-out command killed');
    cmp_ok(time - $t0, '<', 5, 'timeout honoured');

    my $san = "$prefix/sanitizer";
    $r = $t->spawn(['sh', '-c',
        'printf "%s\n%s\n%s\n" "$ASAN_OPTIONS" "$UBSAN_OPTIONS" "$LSAN_OPTIONS"']);
    my ($asan, $ubsan, $lsan) = split /\n/, $r->{stdout};
    # "make test" may set options of its own first: ours come last
    like($asan, qr{(^|:)log_path=\Q$san\E/asan:detect_leaks=1:abort_on_error=0$},
        'ASAN_OPTIONS');
    like($ubsan, qr{(^|:)log_path=\Q$san\E/ubsan:print_stacktrace=1$},
        'UBSAN_OPTIONS');
    like($lsan, qr{(^|:)log_path=\Q$san\E/lsan$}, 'LSAN_OPTIONS');
    {
        local $ENV{ASAN_OPTIONS} = 'verbosity=0';
        $r = $t->spawn(['sh', '-c', 'printf %s "$ASAN_OPTIONS"']);
    }
    is($r->{stdout}, "verbosity=0:log_path=$san/asan:detect_leaks=1"
        . ':abort_on_error=0', 'existing ASAN_OPTIONS kept, ours appended');

    $r = $t->run('-v');
    is($r->{status}, 0, 'run -v: exit 0');
    is($r->{stdout}, '', 'run -v: nothing on stdout');
    like($r->{stderr}, qr/^\Q$name\E version: \Q$name\E\//,
        'run -v: version on stderr');
    is_deeply($r->{cmd}, [$t->binary, '-p', "$prefix/", '-e',
        'logs/error.log', '-c', 'conf/warden.conf', '-v'],
        'run adds -p, -e and -c');
    $r = $t->run('-p', '/nonexistent/', '-e', 'stderr', '-cfoo.conf', '-v');
    is_deeply($r->{cmd}, [$t->binary, '-p', '/nonexistent/', '-e',
        'stderr', '-cfoo.conf', '-v'], 'given switches replace defaults');
    $r = $t->run({ raw => 1 }, '-v');
    is_deeply($r->{cmd}, [$t->binary, '-v'], 'raw run adds nothing');

    $t->write_config($good_conf);
    $r = $t->run('-t');
    is($r->{status}, 0, 'run -t on a good config: exit 0');
    $t->write_config("pid logs/test.pid;\nevents {}\nharness_bogus;\n");
    $r = $t->run('-t');
    is($r->{status}, 1, 'run -t on a bad config: exit 1');

    # A dummy object whose run() times out: the failure is intercepted.
    my $d = Test::Warden->new;
    $d->write_config("pid logs/d.pid;\nerror_log logs/error.log;\n"
        . "events {}\n");
    $t0 = time;
    my @ok = oks(sub {
        $r = $d->run({ timeout => 0.5 }, '-g', 'daemon off; master_process off;');
    });
    is(scalar @ok, 1, 'run timeout: one test result');
    ok(@ok && !$ok[0][0], 'run timeout: reported as a failure');
    is($r->{timed_out}, 1, 'run timeout: flagged');
    cmp_ok(time - $t0, '<', 5, 'run timeout: killed promptly');
    ok(!$d->_alive($r->{pid} // 0), 'run timeout: process is gone');
    @ok = oks(sub { $d->done });
    $d->{done} = 1;
};

subtest 'log checker' => sub {
    my $log = join '', map { "2024/01/01 00:00:00 [$_] 1#1: $_ message\n" }
        qw(debug info notice warn error crit alert emerg);
    $log .= "$name: [emerg] from stderr\n";
    my @bad = unexpected_log_lines($log);
    is(scalar @bad, 4, 'alert, crit and emerg lines are flagged');
    like($bad[0], qr/\[crit\]/, 'crit flagged');
    @bad = unexpected_log_lines($log, qr/crit message/, qr/from stderr/);
    is(scalar @bad, 2, 'expected patterns are tolerated');
    is_deeply([unexpected_log_lines($log, qr/./)], [], 'all tolerated');
    is_deeply([unexpected_log_lines('')], [], 'empty log is clean');
    my $multi = "2024/01/01 00:00:00 [emerg] 1#1: invalid value \"a\nb\" in x\n"
        . "2024/01/01 00:00:00 [notice] 1#1: [emerg] in a notice\n"
        . "$name: [alert] two\nlines\n";
    is_deeply([unexpected_log_lines($multi)],
        ["2024/01/01 00:00:00 [emerg] 1#1: invalid value \"a\nb\" in x",
            "$name: [alert] two\nlines"],
        'continuation lines belong to the entry; level read from its head');
    is_deeply([unexpected_log_lines($multi, qr/invalid value "a\nb" in x$/,
        qr/two\nlines/)], [], 'patterns match whole multi-line entries');

    # The bad -t above left an [emerg] in logs/error.log.
    @bad = $t->unexpected_log_lines;
    ok((grep { /^error\.log: .*\[emerg\].*harness_bogus/ } @bad),
        'the -t emerg is flagged until expected');
    $t->expect_log(qr/unknown directive "harness_bogus"/);
    @bad = $t->unexpected_log_lines;
    is_deeply(\@bad, [], 'and tolerated once expected');

    $t->write_file('logs/fake.log',
        "2024/01/01 00:00:00 [alert] 1#1: harness self-test alert\n");
    @bad = $t->unexpected_log_lines;
    is_deeply(\@bad,
        ['fake.log: 2024/01/01 00:00:00 [alert] 1#1: harness self-test alert'],
        'every logs/*.log file is scanned');
    $t->expect_log(qr/harness self-test alert/);
    is_deeply([$t->unexpected_log_lines], [], 'expected alert tolerated');
    ok(!eval { $t->expect_log('string'); 1 }, 'expect_log wants a qr//');

    # done() on a dummy object with an unexpected line fails one test.
    my $d = Test::Warden->new;
    $d->write_file('logs/error.log',
        "2024/01/01 00:00:00 [crit] 1#1: something broke\n");
    my @ok = oks(sub { $d->done });
    is(scalar @ok, 2, 'done runs two tests');
    ok(@ok == 2 && !$ok[0][0] && $ok[1][0],
        'done fails on an unexpected crit, passes the sanitizer check');
    $d = Test::Warden->new;
    $d->write_file('logs/error.log',
        "2024/01/01 00:00:00 [crit] 1#1: something broke\n");
    $d->expect_log(qr/something broke/);
    @ok = oks(sub { $d->done });
    ok(@ok == 2 && $ok[0][0] && $ok[1][0], 'done passes once expected');
};

subtest 'sanitizer checks' => sub {
    is_deeply([$t->sanitizer_reports], [], 'no reports initially');
    $t->write_file('sanitizer/asan.12345',
        "==12345==ERROR: AddressSanitizer: heap-use-after-free\n");
    my @rep = $t->sanitizer_reports;
    is(scalar @rep, 1, 'a report file is found');
    like($rep[0][1], qr/heap-use-after-free/, 'with its content');
    unlink "$prefix/sanitizer/asan.12345";
    is_deeply([$t->sanitizer_reports], [], 'gone once removed');

    my $d = Test::Warden->new;
    $d->write_file('sanitizer/ubsan.1', "x.c:1:2: runtime error: boom\n");
    my @ok = oks(sub { $d->done });
    ok(@ok == 2 && $ok[0][0] && !$ok[1][0], 'done fails on a report');

    @ok = oks(sub { $t->_check_stderr("==1==ERROR: AddressSanitizer: x\n",
        'cmd') });
    ok(@ok == 1 && !$ok[0][0], 'ASan report on stderr fails a test');
    @ok = oks(sub { $t->_check_stderr("a.c:3:7: runtime error: shift\n",
        'cmd') });
    ok(@ok == 1 && !$ok[0][0], 'UBSan report on stderr fails a test');
    @ok = oks(sub { $t->_check_stderr("all fine\n", 'cmd') });
    is(scalar @ok, 0, 'clean stderr: no test');
};

subtest 'start, http, stop' => sub {
    $t->write_file('html/index.html', "hello harness\n");
    $t->write_config($good_conf);
    is($t->pid_file, "$prefix/logs/test.pid", 'pid file from the config');
    my $pid = $t->start;
    ok($pid, 'started') or return;
    is($t->pid, $pid, 'pid');
    ok($t->is_running, 'running');
    is($t->read_file('logs/test.pid'), "$pid\n", 'pid file names the master');
    my @workers = $t->worker_pids;
    is(scalar @workers, 1, 'one worker');
    SKIP: {
        skip 'not root', 1 unless is_root();
        my ($uid) = ($t->read_file("/proc/$workers[0]/status") // '')
            =~ /^Uid:\s+(\d+)/m;
        is($uid, scalar getpwnam('nobody'), 'worker runs as nobody');
    }

    my $res = parse_response($t->http_get('/'));
    is($res->{status}, 200, 'GET / status (prefix readable by the worker)');
    is($res->{proto}, 'HTTP/1.1', 'proto');
    is($res->{body}, "hello harness\n", 'body');
    is($res->{headers}{'content-length'}, 14, 'content-length');

    my $t0 = time;
    my $raw = $t->http(["GET / HTTP/1.0\r\n", "Host: x\r\n", "\r\n"],
        sleep_between => 0.2);
    cmp_ok(time - $t0, '>=', 0.4, 'chunks written with delays');
    is(parse_response($raw)->{status}, 200, 'request in pieces');
    $res = parse_response($t->http_get('/', host => undef,
        headers => { 'X-A' => 1 }));
    is($res->{status}, 200, 'no Host header, extra header');
    $res = parse_response($t->http_get('/nope', port => $t->port(0)));
    is($res->{status}, 404, 'explicit port, 404');
    $t->expect_log(qr/\[error\].*nope/);

    ok($t->stop, 'stopped');
    ok(!$t->_alive($pid), 'master gone');
    ok(!-e "$prefix/logs/test.pid", 'pid file removed');
    is($t->pid, undef, 'no pid after stop');

    $pid = $t->start('-g', 'daemon off;');
    ok($pid, 'started in the foreground (daemon off)') or return;
    is($t->{child}, $pid, 'foreground master is our child');
    is(parse_response($t->http_get('/'))->{status}, 200, 'serving');
    ok($t->stop(signal => 'TERM'), 'stopped with TERM');
    ok(!$t->{child}, 'child reaped');

    my $d = Test::Warden->new;
    $d->write_config("pid logs/d.pid;\nevents {}\nbogus_directive;\n");
    my $got;
    my @ok = oks(sub { $got = $d->start });
    is($got, undef, 'failed start returns undef');
    ok(@ok == 1 && !$ok[0][0], 'and fails a test');
    $d->{done} = 1;
};

subtest 'parse_response and dechunk' => sub {
    my $res = parse_response("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        . "Set-Cookie: a=1\r\nset-cookie: b=2\r\nX-Empty:\r\n"
        . "X-Pad:  v  \r\n\r\nbody\r\n\r\nmore");
    is($res->{status}, 200, 'status');
    is($res->{reason}, 'OK', 'reason');
    is($res->{proto}, 'HTTP/1.1', 'proto');
    is($res->{headers}{'content-type'}, 'text/plain', 'header, lowercased');
    is_deeply($res->{headers}{'set-cookie'}, ['a=1', 'b=2'],
        'repeated header is an arrayref');
    is($res->{headers}{'x-empty'}, '', 'empty header value');
    is($res->{headers}{'x-pad'}, 'v', 'value trimmed');
    is($res->{body}, "body\r\n\r\nmore", 'body after the first blank line');
    like($res->{raw_headers}, qr/^HTTP\/1\.1 200 OK\r\n.*X-Pad:  v  $/s,
        'raw headers');

    my $chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "5;ext=1\r\nhello\r\n6\r\n world\r\nA\r\n0123456789\r\n"
        . "0\r\nX-Trailer: t\r\n\r\n";
    $res = parse_response($chunked);
    like($res->{body}, qr/^5;ext=1\r\n/, 'not dechunked unless asked');
    $res = parse_response($chunked, dechunk => 1);
    is($res->{body}, 'hello world0123456789', 'dechunked body');
    is_deeply($res->{trailers}, { 'x-trailer' => 't' }, 'trailers');
    ok(!exists $res->{chunked_error}, 'no chunked error');

    my ($body, $tr, $err) = dechunk("5\r\nhel");
    is($body, '', 'truncated chunk: nothing decoded');
    is($err, 'truncated chunk', 'truncated chunk: error');
    (undef, undef, $err) = dechunk("zz\r\n");
    is($err, 'bad chunk size line', 'bad size line');
    (undef, undef, $err) = dechunk("0\r\n");
    is($err, 'missing final CRLF', 'missing final CRLF');

    $res = parse_response("garbage");
    is($res->{status}, undef, 'no status line: status undef');
    is(parse_response(undef), undef, 'undef in, undef out');
    $res = parse_response("HTTP/1.0 404 Not Found\n\nx");
    is($res->{status}, 404, 'bare LF line ends accepted');
    is($res->{body}, 'x', 'body after bare LF');
};

subtest 'skips and modules' => sub {
    is(is_root(), $> == 0 ? 1 : '', 'is_root');
    ok(have_bin('sh'), 'have_bin sh');
    ok(!have_bin('no-such-program-warden-xyz'), 'have_bin missing');
    ok(have_bin('/bin/sh'), 'have_bin with a path');
    my $v = $t->version_info;
    like($v, qr/configure arguments:/, '-V output captured');
    is($t->has_module('http_autoindex'),
        $v =~ /--without-http_autoindex_module/ ? 0 : 1,
        'has_module agrees with -V');
    is($t->has_module('http_no_such_thing'), 1,
        'a module not mentioned counts as present');
};

# Nothing in the harness may assume root: run a small test as nobody.
SKIP: {
    skip 'needs root and setpriv to switch to nobody', 3
        unless is_root() && have_bin('setpriv');
    my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
    skip 'no nobody user', 3 unless defined $uid;
    my $code = <<'EOF';
use v5.36; use Test::More; use Test::Warden qw(parse_response);
my $t = Test::Warden->new;
$t->write_file('html/index.html', "as nobody\n");
$t->write_config(<<'C');
pid logs/n.pid;
error_log logs/error.log info;
events {}
http { access_log logs/access.log; server { listen 127.0.0.1:%%PORT0%%; } }
C
is($t->run('-t')->{status}, 0, 'config ok');
ok($t->start, 'started');
is(parse_response($t->http_get('/'))->{body}, "as nobody\n", 'served');
ok($t->stop, 'stopped');
$t->done;
done_testing;
EOF
    my $r = $t->spawn(['setpriv', "--reuid=$uid", "--regid=$gid",
        '--clear-groups', $^X, "-I$FindBin::Bin/lib", '-e', $code],
        timeout => 30, env => { WARDEN_BINARY => $t->binary,
            HOME => '/tmp' });
    is($r->{status}, 0, 'harness self-test as nobody: exit 0')
        or diag($r->{stdout}, $r->{stderr});
    like($r->{stdout}, qr/^1\.\.6$/m, 'as nobody: six tests ran');
    unlike($r->{stdout}, qr/^not ok/m, 'as nobody: all passed');
}

$t->done;
done_testing;
