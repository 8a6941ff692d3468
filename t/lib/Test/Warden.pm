package Test::Warden;

=head1 NAME

Test::Warden - integration-test harness for warden (and, for comparison,
nginx)

=head1 SYNOPSIS

    use v5.36;
    use lib 't/lib';
    use Test::More;
    use Test::Warden qw(parse_response);

    my $t = Test::Warden->new;
    my $name = $t->name;                  # "warden" or "nginx"
    $t->write_file('html/index.html', "hello\n");
    $t->write_config(<<'EOF');
    pid logs/warden.pid;
    error_log logs/error.log info;
    events {}
    http {
        access_log logs/access.log;
        server { listen 127.0.0.1:%%PORT0%%; }
    }
    EOF

    my $r = $t->run('-t');                # { status, signal, stdout, stderr }
    is($r->{status}, 0, 'config ok');

    $t->start or BAIL_OUT('cannot start');
    my $res = parse_response($t->http_get('/'));
    is($res->{status}, 200, 'GET /');
    $t->stop;

    $t->done;                             # log + sanitizer checks (2 tests)
    done_testing;

=head1 DESCRIPTION

One object per test file. It owns a fresh temporary prefix (C<conf/>,
C<logs/>, C<html/>, C<sanitizer/>), the TCP ports the test uses, and the
server it starts. The binary is C<$ENV{WARDEN_BINARY}> or C<objs/warden> in
the repository; with C<WARDEN_BINARY=/usr/sbin/nginx> the same tests check
real nginx, which is how the suite doubles as a compatibility check.

=head2 Construction and paths

=over

=item Test::Warden->new(%opt)

Creates the prefix (under /tmp, mode 0755 so an unprivileged worker user
can traverse it; C<logs/> and C<sanitizer/> are 0777). Removed at exit
unless C<$ENV{WARDEN_TEST_KEEP}> is set. Options: C<binary>. Dies if the
binary is not executable.

=item $t->binary, $t->prefix, $t->conf_path, $t->name

C<prefix> has no trailing slash. C<conf_path> is the absolute path of
C<conf/warden.conf>. C<name> is the program name used in messages: C<nginx>
if the binary's basename starts with "nginx", else C<warden> (override with
C<$ENV{WARDEN_NAME}>).

=item $t->port($n)

The n-th TCP port (default 0) reserved for this test on 127.0.0.1. Ports
are taken from below the kernel's ephemeral range, checked bindable, and
held with a lock file in /tmp/warden-test-ports/ for the life of the
process, so test files run with C<prove -j> never share one.

=item $t->write_file($relpath, $content), $t->read_file($relpath)

Relative to the prefix; directories are created (0755), files are 0644.
C<read_file> also takes an absolute path (e.g. under /proc) and returns
undef for a missing file.

=item $t->write_config($text [, $relpath])

Writes C<conf/warden.conf> (or C<$relpath>) after expanding C<%%PORTn%%>
(n = 0..99, C<< $t->port(n) >>) and C<%%PREFIX%%>. Returns the absolute path.

=back

=head2 Running the binary

Every process the harness starts gets C<ASAN_OPTIONS>, C<UBSAN_OPTIONS> and
C<LSAN_OPTIONS> pointing C<log_path> into C<< <prefix>/sanitizer/ >>
(appended to values already in the environment).

=over

=item $t->run([\%opt,] @args)

Runs C<binary -p PREFIX/ -e logs/error.log -c conf/warden.conf @args>,
dropping each default whose switch appears in C<@args>, and returns
C<< { status, signal, stdout, stderr, timed_out, cmd } >>. Options:
C<timeout> (default 10 s; on timeout the process group is killed and a test
fails), C<raw> (no default switches), C<env> (hashref of extra environment).
A sanitizer report on stderr fails a test.

The default C<-e logs/error.log> makes a distribution nginx built with
C<--error-log-path=stderr> behave like warden and upstream nginx, whose
default error log is C<logs/error.log>; so config errors are printed as
C<NAME: [emerg] ...> on stderr and also land in C<logs/error.log>.

=item $t->spawn(\@cmd, timeout => $s, env => {...})

Low level: runs any command with the sanitizer environment, output to
files, no defaults and no failure on timeout. Same result hash.

=item $t->start(@extra)

Starts the server (C<binary -p PREFIX/ -e logs/error.log -c
conf/warden.conf @extra>, defaults dropped as for C<run>), waits up to 10 s
(C<< $t->{start_timeout} >>) for the pid file to name a new live process,
and returns the master pid. On failure it fails a test (with the command's
stderr and the error log tail) and returns undef. The pid file is
C<< $t->{pid_file} >> if set, else the C<pid> directive in the config (or
in C<-g>), else C<< logs/NAME.pid >>. Test configs should always say
C<pid ...;>: Debian's nginx defaults to /run/nginx.pid. With
C<daemon off> the command itself is the master; that works too.

=item $t->stop(signal => 'QUIT', timeout => 10)

Signals the master and waits for it to exit; on timeout kills the process
group and fails a test. Returns true if it exited in time.

=item $t->wait_for_exit(timeout => 10)

Waits for the master to exit after something else stopped it (C<-s quit>);
same failure handling and return value as C<stop>.

=item $t->signal($sig), $t->pid, $t->is_running, $t->worker_pids

C<worker_pids> lists the master's child processes (Linux /proc); in
scalar context, their number.

=item $t->adopt($pid), $t->set_binary($path)

C<adopt> makes C<$pid> the master that C<signal>, C<stop> and C<done>
act on (after a binary upgrade).  C<set_binary> makes later C<start> and
C<run> calls execute C<$path> instead (a copy inside the prefix, say).

=back

=head2 Logs and end-of-test checks

=over

=item $t->error_log

Contents of C<logs/error.log> ('' if missing).

=item $t->expect_log(qr/.../)

Declares that error-log lines matching the pattern are expected, so the
final check tolerates them.

=item $t->wait_for_log(qr/.../, timeout => 10, file => 'logs/error.log')

Polls a log until a line matches; returns true if one did.

=item $t->wait_until(sub { ... }, timeout => 10)

Polls a condition every 20 ms; returns its last value.

=item $t->done

Call once, before C<done_testing>. Stops a running server, then runs two
tests: no C<[alert]>, C<[crit]> or C<[emerg]> line in C<logs/*.log> or in
the stderr of C<start> that no C<expect_log> pattern matches, and no file
under C<< <prefix>/sanitizer/ >>. If the object goes away without C<done>,
leftover processes are still killed and a warning is printed.

=item unexpected_log_lines($text, @patterns), $t->unexpected_log_lines

The checker: the first is a pure function over a log text; the method
scans the files named above and returns C<"file: entry"> strings. An entry
is a line starting with a timestamp or C<name: >, plus any following lines
that do not (a message can contain a newline); patterns are matched
against the whole entry, the level against its first line.

=item $t->sanitizer_reports

List of C<[path, content]> for files under C<sanitizer/>.

=back

=head2 HTTP

=over

=item $t->http($request, port => N, timeout => 5, sleep_between => 0.1,
ssl => 0, sni => undef)

Connects to 127.0.0.1:port (default C<< $t->port(0) >>), writes the
request (a string, or an arrayref of chunks written with C<sleep_between>
seconds between them), reads until EOF or timeout, and returns the raw
bytes (undef if the connection failed). C<ssl> uses IO::Socket::SSL
without certificate verification.

=item $t->http_get($path, host => 'localhost', headers => {...}, %http_opts)

Sends C<GET $path HTTP/1.0> with a C<Host> header (omitted if C<host> is
undef) and the given headers.

=item parse_response($raw, dechunk => 0)

Exportable. Returns C<< { status, proto, reason, headers, body,
raw_headers } >> (C<status> undef if there is no status line). Header names
are lowercased; a repeated header's value is an arrayref. With
C<< dechunk => 1 >> a chunked body is decoded (C<trailers> and
C<chunked_error> are set as applicable). Returns undef for undef input.

=item dechunk($data)

Exportable. Decodes a chunked body: returns C<($body, \%trailers, $error)>.

=back

=head2 Skips

=over

=item $t->skip_unless_root, $t->skip_unless_bin($program)

C<plan skip_all> unless the condition holds; call before any test runs.

=item is_root(), have_bin($program)

Exportable predicates for C<SKIP:> blocks.

=item $t->has_module($name)

False if C<-V> lists C<--without-NAME_module>, true otherwise (e.g.
C<< $t->has_module('http_autoindex') >>).

=back

=cut

use v5.36;
use Carp qw(croak);
use Cwd qw(abs_path);
use Errno qw(EINTR EPERM);
use Exporter qw(import);
use Fcntl qw(:flock O_RDONLY O_CREAT);
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use File::Spec;
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit setpgid);
use Scalar::Util qw(refaddr weaken);
use Test::More ();
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(parse_response dechunk unexpected_log_lines
    is_root have_bin);

my $REPO = abs_path(dirname(__FILE__) . '/../../..');
my $PORT_LOCK_DIR = '/tmp/warden-test-ports';
my $LOG_HEAD = qr{(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d |[\w.-]+: )};
my $LOG_BAD_ENTRY = qr/^$LOG_HEAD\[(?:alert|crit|emerg)\]/;
my $SANITIZER_IN_STDERR =
    qr/ERROR: (?:Address|Leak|Memory|Thread)Sanitizer|runtime error:/;

# Live objects, so the END block below can kill leftover servers before
# File::Temp's END removes the prefix under their feet (END blocks run in
# reverse order of compilation, and File::Temp was compiled first).
my %LIVE;

# ---------------------------------------------------------------------------
# Construction and paths

sub new ($class, %opt) {
    my $binary = $opt{binary} // $ENV{WARDEN_BINARY} // "$REPO/objs/warden";
    croak "Test::Warden: no executable at $binary "
        . '(build warden, or set WARDEN_BINARY)'
        unless -f $binary && -x _;

    my $base = basename($binary);
    my $self = bless {
        binary   => File::Spec->rel2abs($binary),
        name     => $ENV{WARDEN_NAME} // ($base =~ /^nginx/ ? 'nginx' : 'warden'),
        owner    => $$,
        ports    => [],
        locks    => {},
        expected => [],
        seq      => 0,
    }, $class;

    $self->{prefix} = File::Temp::tempdir('warden-t-XXXXXXXX',
        DIR => '/tmp', CLEANUP => !$ENV{WARDEN_TEST_KEEP});
    chmod 0755, $self->{prefix};
    for my $d (qw(conf html harness)) {
        mkdir "$self->{prefix}/$d";
        chmod 0755, "$self->{prefix}/$d";
    }
    # Workers may run as another user (nobody) and must be able to write
    # sanitizer reports; logs/ is writable for the same reason.
    for my $d (qw(logs sanitizer)) {
        mkdir "$self->{prefix}/$d";
        chmod 0777, "$self->{prefix}/$d";
    }

    $LIVE{refaddr $self} = $self;
    weaken $LIVE{refaddr $self};
    return $self;
}

sub binary ($self)    { $self->{binary} }
sub prefix ($self)    { $self->{prefix} }
sub name ($self)      { $self->{name} }
sub conf_path ($self) { "$self->{prefix}/conf/warden.conf" }
sub pid ($self)       { $self->{pid} }

sub _path ($self, $rel) {
    croak "Test::Warden: path must be relative to the prefix: $rel"
        if $rel =~ m{^/};
    return "$self->{prefix}/$rel";
}

sub write_file ($self, $rel, $content) {
    my $path = $self->_path($rel);
    my $dir = dirname($path);
    unless (-d $dir) {
        make_path($dir, { chmod => 0755 });
    }
    open my $fh, '>:raw', $path or croak "open $path: $!";
    print {$fh} $content;
    close $fh or croak "close $path: $!";
    chmod 0644, $path;
    return $path;
}

sub read_file ($self, $rel) {
    my $path = $rel =~ m{^/} ? $rel : $self->_path($rel);
    open my $fh, '<:raw', $path or return undef;
    local $/;
    my $content = <$fh>;
    return $content // '';
}

sub expand ($self, $text) {
    $text =~ s/%%PORT(\d{1,2})%%/$self->port($1)/ge;
    $text =~ s/%%PREFIX%%/$self->{prefix}/g;
    return $text;
}

sub write_config ($self, $text, $rel = 'conf/warden.conf') {
    return $self->write_file($rel, $self->expand($text));
}

# ---------------------------------------------------------------------------
# Ports

sub port ($self, $n = 0) {
    croak "Test::Warden: bad port index $n" unless $n =~ /^\d+$/ && $n < 100;
    return $self->{ports}[$n] //= reserve_port($self->{locks});
}

sub _port_range () {
    my ($lo, $hi) = (32768, 60999);
    if (open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range') {
        ($lo, $hi) = split ' ', scalar <$fh>;
    }
    # Stay out of the ephemeral range: the kernel could hand a port we
    # picked to some outgoing connection before the server binds it.
    return $lo > 12000 ? (10000, $lo - 1) : ($hi + 1, 65535);
}

sub _lock_dir () {
    unless (-d $PORT_LOCK_DIR) {
        mkdir $PORT_LOCK_DIR;
        chmod 01777, $PORT_LOCK_DIR;
    }
    return -w $PORT_LOCK_DIR ? $PORT_LOCK_DIR : "${PORT_LOCK_DIR}-$<";
}

sub _bindable ($port) {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => $port, Proto => 'tcp', ReuseAddr => 1, Listen => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

# Reserves a free port; $locks (port => lock handle) keeps it held.
sub reserve_port ($locks) {
    my ($lo, $hi) = _port_range();
    my $dir = _lock_dir();
    mkdir $dir unless -d $dir;
    for (1 .. 2000) {
        my $port = $lo + int(rand($hi - $lo + 1));
        next if $locks->{$port};
        sysopen(my $fh, "$dir/$port", O_RDONLY | O_CREAT, 0666) or next;
        unless (flock($fh, LOCK_EX | LOCK_NB)) {
            close $fh;
            next;
        }
        unless (_bindable($port)) {
            close $fh;
            next;
        }
        $locks->{$port} = $fh;
        return $port;
    }
    croak 'Test::Warden: no free port found';
}

# ---------------------------------------------------------------------------
# Processes

sub _sanitizer_env ($self) {
    my $dir = "$self->{prefix}/sanitizer";
    my %add = (
        ASAN_OPTIONS  => "log_path=$dir/asan:detect_leaks=1:abort_on_error=0",
        UBSAN_OPTIONS => "log_path=$dir/ubsan:print_stacktrace=1",
        LSAN_OPTIONS  => "log_path=$dir/lsan",
    );
    my %env;
    for my $k (keys %add) {
        my $old = $ENV{$k} // '';
        $env{$k} = length $old ? "$old:$add{$k}" : $add{$k};
    }
    return %env;
}

# Forks and execs @$cmd in its own process group, stdio to files.
sub _fork_exec ($self, $cmd, $env = undef) {
    my $n = ++$self->{seq};
    my $out = "$self->{prefix}/harness/cmd-$n.out";
    my $err = "$self->{prefix}/harness/cmd-$n.err";
    my $pid = fork // croak "fork: $!";
    if ($pid == 0) {
        setpgid(0, 0);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>', $err;
        my %all = ($self->_sanitizer_env, %{ $env // {} });
        @ENV{ keys %all } = values %all;
        { no warnings 'exec'; exec { $cmd->[0] } @$cmd; }
        print STDERR "exec $cmd->[0]: $!\n";
        _exit(127);
    }
    return ($pid, $out, $err);
}

sub _reap ($pid, $deadline) {
    while (1) {
        my $r = waitpid($pid, WNOHANG);
        return $? if $r == $pid;
        return -1 if $r < 0;
        return undef if time >= $deadline;
        sleep 0.01;
    }
}

sub _kill_group ($pid) {
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
}

sub spawn ($self, $cmd, %opt) {
    my $timeout = $opt{timeout} // 10;
    my ($pid, $out, $err) = $self->_fork_exec($cmd, $opt{env});
    my $st = _reap($pid, time + $timeout);
    my $timed_out = !defined $st;
    if ($timed_out) {
        _kill_group($pid);
        $st = _reap($pid, time + 5) // -1;
    }
    return {
        cmd       => [@$cmd],
        pid       => $pid,
        status    => $st >= 0 ? $st >> 8 : -1,
        signal    => $st >= 0 ? $st & 127 : 0,
        stdout    => $self->read_file($out) // '',
        stderr    => $self->read_file($err) // '',
        timed_out => $timed_out ? 1 : 0,
    };
}

sub _has_switch ($args, $sw) {
    return scalar grep { $_ eq $sw || /^\Q$sw\E./ } @$args;
}

sub _command ($self, $args) {
    my @cmd = ($self->{binary});
    push @cmd, '-p', "$self->{prefix}/" unless _has_switch($args, '-p');
    push @cmd, '-e', 'logs/error.log' unless _has_switch($args, '-e');
    push @cmd, '-c', 'conf/warden.conf' unless _has_switch($args, '-c');
    return (@cmd, @$args);
}

sub run ($self, @args) {
    my %opt = ref $args[0] eq 'HASH' ? %{ shift @args } : ();
    my @cmd = $opt{raw} ? ($self->{binary}, @args) : $self->_command(\@args);
    my $r = $self->spawn(\@cmd, timeout => $opt{timeout}, env => $opt{env});
    _tb_ok(0, "command timed out: @cmd") if $r->{timed_out};
    $self->_check_stderr($r->{stderr}, "@cmd");
    return $r;
}

sub _check_stderr ($self, $stderr, $what) {
    return 1 unless $stderr =~ $SANITIZER_IN_STDERR;
    _tb_ok(0, "no sanitizer report on stderr of $what", $stderr);
    return 0;
}

# The pid file the server will write, as the config says.
sub pid_file ($self, @args) {
    return $self->_abs($self->{pid_file}) if defined $self->{pid_file};
    my $conf = 'conf/warden.conf';
    my $g = '';
    for my $i (0 .. $#args) {
        $conf = $args[$i + 1] // $conf if $args[$i] eq '-c';
        $g .= ' ' . ($args[$i + 1] // '') if $args[$i] eq '-g';
    }
    my $text = $g . ' ' . ($self->read_file($conf) // '');
    $text =~ s/#[^\n]*//g;
    if ($text =~ /(?:^|[;{}\s])pid\s+(?:"([^"]*)"|'([^']*)'|([^\s;]+))\s*;/) {
        return $self->_abs($1 // $2 // $3);
    }
    return "$self->{prefix}/logs/$self->{name}.pid";
}

sub _abs ($self, $path) {
    return $path =~ m{^/} ? $path : "$self->{prefix}/$path";
}

sub _read_pid ($file) {
    open my $fh, '<', $file or return undef;
    my $line = <$fh> // '';
    return $line =~ /^\s*(\d+)\s*$/ ? $1 : undef;
}

sub _alive ($self, $pid) {
    return 0 unless $pid;
    if ($self->{child} && $self->{child} == $pid) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid || $r < 0) {
            delete $self->{child};
            return 0;
        }
        return 1;
    }
    return 0 unless kill(0, $pid) || $! == EPERM;
    # A daemon's parent may be a PID 1 that never reaps (containers).
    if (open my $fh, '<', "/proc/$pid/stat") {
        my $stat = <$fh> // '';
        my $state = substr($stat, rindex($stat, ')') + 2, 1);
        return 0 if $state eq 'Z' || $state eq 'X';
    }
    return 1;
}

sub is_running ($self) { $self->_alive($self->{pid}) }

# After a binary upgrade: the master the harness stops and checks.
sub adopt ($self, $pid) {
    delete $self->{child};
    $self->{pid} = $pid;
    return $pid;
}

# Runs (and then stops) another executable, e.g. a copy of warden or of
# Debian's nginx inside the prefix.
sub set_binary ($self, $path) {
    $self->{binary} = File::Spec->rel2abs($path);
    return $self->{binary};
}

sub start ($self, @extra) {
    croak 'Test::Warden: server already running' if $self->is_running;
    my @cmd = $self->_command(\@extra);
    my $pid_file = $self->pid_file(@cmd[1 .. $#cmd]);
    my $stale = _read_pid($pid_file) // 0;
    my ($cpid, undef, $err) = $self->_fork_exec(\@cmd);
    push @{ $self->{start_stderr} }, $err;
    my $deadline = time + ($self->{start_timeout} // 10);
    my ($exited, $why);
    while (time < $deadline) {
        if (!$exited) {
            my $r = waitpid($cpid, WNOHANG);
            if ($r == $cpid) {
                $exited = 1;
                if ($?) {
                    $why = 'start command exited with status ' . ($? >> 8)
                        . ($? & 127 ? ' (signal ' . ($? & 127) . ')' : '');
                    last;
                }
            }
        }
        my $pid = _read_pid($pid_file);
        # daemon off: the command itself is the master.
        $self->{child} = $cpid if !$exited && $pid && $pid == $cpid;
        if ($pid && $pid != $stale && $self->_alive($pid)) {
            $self->{pid} = $pid;
            $self->_check_stderr($self->read_file($err) // '', "@cmd");
            return $pid;
        }
        sleep 0.02;
    }
    $why //= "no live pid in $pid_file after "
        . ($self->{start_timeout} // 10) . ' s';
    _kill_group($cpid) unless $exited;
    waitpid($cpid, 0) unless $exited;
    delete $self->{child};
    _tb_ok(0, "start server: $why",
        "command: @cmd",
        'stderr: ' . ($self->read_file($err) // ''),
        "error log tail:\n" . _tail($self->error_log, 20));
    return undef;
}

sub _tail ($text, $n) {
    my @l = split /\n/, $text;
    return join "\n", @l > $n ? @l[-$n .. -1] : @l;
}

sub signal ($self, $sig) {
    croak 'Test::Warden: no server started' unless $self->{pid};
    return kill $sig, $self->{pid};
}

sub stop ($self, %opt) {
    my $pid = $self->{pid} or return 1;
    my $sig = $opt{signal} // 'QUIT';
    kill $sig, $pid;
    return $self->wait_for_exit(timeout => $opt{timeout}, why => "SIG$sig");
}

sub wait_for_exit ($self, %opt) {
    my $pid = $self->{pid} or return 1;
    my $timeout = $opt{timeout} // 10;
    my $gone = $self->wait_until(sub { !$self->_alive($pid) },
        timeout => $timeout);
    unless ($gone) {
        _kill_group($pid);
        $self->wait_until(sub { !$self->_alive($pid) }, timeout => 5);
        _tb_ok(0, "server (pid $pid) exits within $timeout s"
            . ($opt{why} ? " of $opt{why}" : ''),
            "error log tail:\n" . _tail($self->error_log, 20));
    }
    delete $self->{pid};
    return $gone ? 1 : 0;
}

sub worker_pids ($self) {
    my $master = $self->{pid} or return ();
    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh> // next;
        my @f = split ' ', substr($stat, rindex($stat, ')') + 2);
        push @pids, $p + 0 if $f[1] == $master && $f[0] ne 'Z';
    }
    @pids = sort { $a <=> $b } @pids;
    return wantarray ? @pids : scalar @pids;
}

sub wait_until ($self, $cond, %opt) {
    my $deadline = time + ($opt{timeout} // 10);
    while (1) {
        my $v = $cond->();
        return $v if $v || time >= $deadline;
        sleep 0.02;
    }
}

sub wait_for_log ($self, $re, %opt) {
    my $file = $opt{file} // 'logs/error.log';
    return $self->wait_until(
        sub { ($self->read_file($file) // '') =~ $re },
        timeout => $opt{timeout} // 10) ? 1 : 0;
}

# ---------------------------------------------------------------------------
# Logs and end-of-test checks

sub error_log ($self) { $self->read_file('logs/error.log') // '' }

sub expect_log ($self, $re) {
    croak 'Test::Warden: expect_log wants a qr// pattern'
        unless ref $re eq 'Regexp';
    push @{ $self->{expected} }, $re;
    return $self;
}

sub unexpected_log_lines {
    if (ref $_[0] eq __PACKAGE__) {
        my $self = shift;
        return $self->_unexpected_in_files;
    }
    my ($text, @patterns) = @_;
    my @bad;
    for my $entry (_log_entries($text)) {
        next unless $entry =~ $LOG_BAD_ENTRY;
        next if grep { $entry =~ $_ } @patterns;
        push @bad, $entry;
    }
    return @bad;
}

# Splits a log into entries: a line that starts neither with a timestamp
# nor with "name: " continues the previous entry (messages may echo a
# newline from a config token or a request).
sub _log_entries ($text) {
    my @entries;
    for my $line (split /\n/, $text // '') {
        if (@entries
            && $line !~ /^$LOG_HEAD/)
        {
            $entries[-1] .= "\n$line";
        }
        else {
            push @entries, $line;
        }
    }
    return @entries;
}

sub _unexpected_in_files ($self) {
    my @files = (sort(glob "$self->{prefix}/logs/*.log"),
        @{ $self->{start_stderr} // [] });
    my @bad;
    for my $f (@files) {
        my $text = $self->read_file($f) // next;
        push @bad, map { basename($f) . ": $_" }
            unexpected_log_lines($text, @{ $self->{expected} });
    }
    return @bad;
}

sub sanitizer_reports ($self) {
    my @reports;
    my @dirs = ("$self->{prefix}/sanitizer");
    while (my $d = shift @dirs) {
        opendir my $dh, $d or next;
        for my $e (sort grep { !/^\.\.?$/ } readdir $dh) {
            my $p = "$d/$e";
            if (-d $p) { push @dirs, $p; next }
            push @reports, [$p, $self->read_file($p) // ''];
        }
    }
    return @reports;
}

sub done ($self) {
    return if $self->{done}++;
    $self->stop if $self->is_running;
    my @bad = $self->unexpected_log_lines;
    _tb_ok(!@bad, 'no unexpected [alert], [crit] or [emerg] in logs',
        @bad ? join("\n", 'unexpected log lines:', @bad) : ());
    my @rep = $self->sanitizer_reports;
    _tb_ok(!@rep, 'no sanitizer reports',
        map { "$_->[0]:\n$_->[1]" } @rep);
    Test::More::diag("prefix kept: $self->{prefix}") if $ENV{WARDEN_TEST_KEEP};
    return !@bad && !@rep;
}

sub _kill_leftovers ($self) {
    return if $$ != $self->{owner};
    my $pid = $self->{pid};
    if ($pid && $self->_alive($pid)) {
        kill 'TERM', $pid;
        my $deadline = time + 3;
        sleep 0.02 while $self->_alive($pid) && time < $deadline;
        _kill_group($pid) if $self->_alive($pid);
    }
    delete $self->{pid};
    if ($self->{child}) {
        _kill_group($self->{child});
        waitpid($self->{child}, 0);
        delete $self->{child};
    }
}

sub DESTROY ($self) {
    return if $$ != ($self->{owner} // 0);
    $self->_kill_leftovers;
    delete $LIVE{refaddr $self};
    warn "# Test::Warden: done() was not called; logs were not checked\n"
        unless $self->{done} || $self->{skipped};
}

END {
    for my $t (grep { defined } values %LIVE) {
        $t->_kill_leftovers;
    }
}

# Reports through Test::Builder at the caller's line outside this package.
sub _tb_ok ($ok, $name, @diag) {
    my $depth = 0;
    $depth++ while ((caller($depth))[0] // '') eq __PACKAGE__;
    local $Test::Builder::Level = $Test::Builder::Level + $depth;
    my $tb = Test::More->builder;
    $tb->ok($ok, $name);
    $tb->diag($_) for $ok ? () : @diag;
    return $ok;
}

# ---------------------------------------------------------------------------
# HTTP

sub _write_all ($sock, $data) {
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($sock, $data, length($data) - $off, $off);
        if (!defined $n) {
            next if $! == EINTR;
            return 0;
        }
        $off += $n;
    }
    return 1;
}

sub _read_all ($sock, $timeout) {
    my $buf = '';
    my $sel = IO::Select->new($sock);
    my $deadline = time + $timeout;
    while (1) {
        my $pending = $sock->can('pending') && $sock->pending;
        unless ($pending) {
            my $left = $deadline - time;
            last if $left <= 0;
            next unless $sel->can_read($left);
        }
        my $n = sysread($sock, $buf, 65536, length $buf);
        if (!defined $n) {
            next if $! == EINTR;
            last;
        }
        last if $n == 0;
    }
    return $buf;
}

sub http ($self, $request, %opt) {
    my $port = $opt{port} // $self->port(0);
    my $timeout = $opt{timeout} // 5;
    local $SIG{PIPE} = 'IGNORE';
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port, Proto => 'tcp', Timeout => $timeout);
    unless ($sock) {
        Test::More::diag("connect to 127.0.0.1:$port failed: $@");
        return undef;
    }
    if ($opt{ssl}) {
        require IO::Socket::SSL;
        IO::Socket::SSL->start_SSL($sock,
            SSL_verify_mode => 0,
            SSL_hostname    => $opt{sni} // '',
            Timeout         => $timeout,
        ) or do {
            Test::More::diag("TLS handshake failed: "
                . IO::Socket::SSL::errstr());
            return undef;
        };
    }
    my @chunks = ref $request eq 'ARRAY' ? @$request : ($request);
    for my $i (0 .. $#chunks) {
        sleep($opt{sleep_between} // 0.1) if $i > 0;
        _write_all($sock, $chunks[$i]) or last;
    }
    my $raw = _read_all($sock, $timeout);
    close $sock;
    return $raw;
}

sub http_get ($self, $path, %opt) {
    my $host = exists $opt{host} ? delete $opt{host} : 'localhost';
    my $headers = delete $opt{headers} // {};
    my $req = "GET $path HTTP/1.0\r\n";
    $req .= "Host: $host\r\n" if defined $host;
    $req .= "$_: $headers->{$_}\r\n" for sort keys %$headers;
    return $self->http("$req\r\n", %opt);
}

sub parse_response ($raw, %opt) {
    return undef unless defined $raw;
    my ($head, $body);
    if ($raw =~ /\r?\n\r?\n/) {
        ($head, $body) = ($`, $');
    }
    else {
        ($head, $body) = ($raw, '');
    }
    my @lines = split /\r?\n/, $head;
    my $status_line = shift(@lines) // '';
    my %res = (raw_headers => $head, body => $body, headers => {});
    if ($status_line =~ m{^(HTTP/\d(?:\.\d)?) (\d{3})(?: (.*))?$}) {
        @res{qw(proto status reason)} = ($1, $2 + 0, $3 // '');
    }
    for my $line (@lines) {
        next unless $line =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/;
        _add_header($res{headers}, lc $1, $2);
    }
    my $te = $res{headers}{'transfer-encoding'} // '';
    $te = join ',', @$te if ref $te;
    if ($opt{dechunk} && $te =~ /\bchunked\b/i) {
        my ($b, $tr, $err) = dechunk($body);
        $res{body} = $b;
        $res{trailers} = $tr;
        $res{chunked_error} = $err if defined $err;
    }
    return \%res;
}

sub _add_header ($h, $name, $value) {
    if (!exists $h->{$name}) {
        $h->{$name} = $value;
    }
    elsif (ref $h->{$name}) {
        push @{ $h->{$name} }, $value;
    }
    else {
        $h->{$name} = [$h->{$name}, $value];
    }
}

sub dechunk ($data) {
    my ($body, %trailers) = ('');
    pos($data) = 0;
    while (1) {
        $data =~ /\G([0-9a-fA-F]+)[ \t]*(?:;[^\r\n]*)?\r\n/gc
            or return ($body, \%trailers, 'bad chunk size line');
        my $size = hex $1;
        if ($size == 0) {
            while ($data =~ /\G([^\r\n]+)\r\n/gc) {
                my $line = $1;
                _add_header(\%trailers, lc $1, $2)
                    if $line =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/;
            }
            $data =~ /\G\r\n/gc
                or return ($body, \%trailers, 'missing final CRLF');
            return ($body, \%trailers, undef);
        }
        my $at = pos($data);
        return ($body, \%trailers, 'truncated chunk')
            if $at + $size + 2 > length $data;
        $body .= substr($data, $at, $size);
        return ($body, \%trailers, 'missing CRLF after chunk')
            if substr($data, $at + $size, 2) ne "\r\n";
        pos($data) = $at + $size + 2;
    }
}

# ---------------------------------------------------------------------------
# Skips

sub is_root () { $> == 0 }

sub have_bin ($prog) {
    return -x $prog ? 1 : 0 if $prog =~ m{/};
    for my $d (split /:/, $ENV{PATH} // '/usr/bin:/bin') {
        return 1 if length $d && -f "$d/$prog" && -x _;
    }
    return 0;
}

sub _skip_all ($self, $reason) {
    my $tb = Test::More->builder;
    croak "Test::Warden: skip_unless_* must come before any test"
        if $tb->current_test;
    $self->{skipped} = 1;
    $tb->skip_all($reason);
}

sub skip_unless_root ($self) {
    $self->_skip_all('needs root') unless is_root();
}

sub skip_unless_bin ($self, $prog) {
    $self->_skip_all("needs $prog in PATH") unless have_bin($prog);
}

sub version_info ($self) {
    $self->{version_info} //= do {
        my $r = $self->run({ raw => 1 }, '-V');
        $r->{stdout} . $r->{stderr};
    };
}

sub has_module ($self, $module) {
    return index($self->version_info, "--without-${module}_module") < 0
        ? 1 : 0;
}

1;
