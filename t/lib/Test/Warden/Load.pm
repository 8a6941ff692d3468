package Test::Warden::Load;

=head1 NAME

Test::Warden::Load - a bounded HTTP load loop for the t/ops_*.t tests

=head1 SYNOPSIS

    use Test::Warden::Load;

    my $load = Test::Warden::Load->start($t, clients => 4,
        expect => qr/^gen \d+$/);
    ...                                  # reload, upgrade, kill a worker
    my $res = $load->finish;
    is($res->{failed}, 0, 'no failed request');

=head1 DESCRIPTION

C<start> forks C<clients> processes.  Each opens a connection, sends
1..C<per_conn> keep-alive GETs on it (the last with C<Connection: close>),
reads each response whole, and opens the next connection, until C<finish>
is called or C<max_seconds> pass.

A request counts as served when its response is a 200 whose body matches
C<expect>.  Anything else is a failure: a refused connect, a reset, a
response cut short, a wrong status or body, a timeout.  The one exception is
the rule every HTTP client follows: a request on a reused keep-alive
connection that the server closed before sending any byte of the response
is sent again on a new connection; it counts as C<retried>.

Each response is labelled by the number in its body (C<gen N>), or else by
its C<Server> header, so a test can see which configuration or binary
answered.  C<finish> returns:

    served  failed  retried  failures => [reasons]
    conns   => [[open_time, close_time, [labels]], ...]
    mixed   => number of connections whose responses had different labels

=cut

use v5.36;
use Errno qw(EINTR EAGAIN);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);

sub start ($class, $t, %opt) {
    my $self = bless {
        t        => $t,
        port     => $opt{port} // $t->port(0),
        path     => $opt{path} // '/',
        host     => $opt{host} // 'localhost',
        clients  => $opt{clients} // 4,
        per_conn => $opt{per_conn} // 5,
        expect   => $opt{expect} // qr/./,
        max      => $opt{max_seconds} // 60,
        timeout  => $opt{timeout} // 10,
        dir      => $t->prefix . '/harness/load-' . int(rand 1e9),
        pids     => [],
    }, $class;
    mkdir $self->{dir};
    for my $i (1 .. $self->{clients}) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            $self->_client("$self->{dir}/client-$i");
            _exit(0);
        }
        push @{ $self->{pids} }, $pid;
    }
    return $self;
}

sub _stopped ($self) { -e "$self->{dir}/stop" }

# Runs in the child: the load loop, one line per event to $out.
sub _client ($self, $out) {
    $SIG{PIPE} = 'IGNORE';
    srand($$ ^ time);
    open my $fh, '>', $out or die "open $out: $!";
    $fh->autoflush(1);
    my $deadline = time + $self->{max};
    while (!$self->_stopped && time < $deadline) {
        my $opened = time;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $self->{port}, Proto => 'tcp',
            Timeout => $self->{timeout});
        unless ($s) {
            print $fh "F connect: $!\n";
            sleep 0.05;
            next;
        }
        my $n = 1 + int rand $self->{per_conn};
        my @labels;
        for my $k (1 .. $n) {
            my ($status, $body, $label, $err, $got)
                = $self->_exchange($s, $k == $n);
            if ($err) {
                if ($k > 1 && !$got) {
                    print $fh "R $err\n";
                }
                else {
                    print $fh "F $err (request $k on the connection)\n";
                }
                last;
            }
            if ($status != 200 || $body !~ $self->{expect}) {
                print $fh "F status $status body \"$body\"\n";
                last;
            }
            push @labels, $label;
            last if $self->_stopped;
        }
        close $s;
        printf $fh "C %.4f %.4f %s\n", $opened, time, join(',', @labels)
            if @labels;
    }
    close $fh;
}

# One request and its response: (status, body, label, error, got_bytes).
sub _exchange ($self, $s, $last) {
    my $req = "GET $self->{path} HTTP/1.1\r\nHost: $self->{host}\r\n"
        . ($last ? "Connection: close\r\n" : '') . "\r\n";
    my $off = 0;
    while ($off < length $req) {
        my $w = syswrite($s, $req, length($req) - $off, $off);
        unless (defined $w) {
            next if $! == EINTR;
            return (0, '', '', "write: $!", 0);
        }
        $off += $w;
    }
    my $buf = '';
    my $sel = IO::Select->new($s);
    my $deadline = time + $self->{timeout};
    my ($hlen, $clen);
    while (1) {
        if (!defined $hlen && $buf =~ /\r\n\r\n/) {
            $hlen = $+[0];
            my $head = substr($buf, 0, $hlen);
            return (0, '', '', 'no Content-Length', 1)
                unless $head =~ /^Content-Length:\s*(\d+)/mi;
            $clen = $1;
        }
        last if defined $hlen && length($buf) >= $hlen + $clen;
        my $left = $deadline - time;
        return (0, '', '', 'timeout', length $buf) if $left <= 0;
        next unless $sel->can_read($left);
        my $r = sysread($s, $buf, 65536, length $buf);
        unless (defined $r) {
            next if $! == EINTR || $! == EAGAIN;
            return (0, '', '', "read: $!", length $buf);
        }
        return (0, '', '', 'closed', length $buf) if $r == 0;
    }
    my ($status) = $buf =~ m{^HTTP/1\.[01] (\d{3})};
    my $body = substr($buf, $hlen, $clen);
    my $label = $body =~ /gen (\d+)/ ? $1
        : $buf =~ /^Server:\s*([^\r\n]+)/mi ? $1 : '';
    return ($status // 0, $body, $label, undef, 1);
}

sub finish ($self) {
    open my $fh, '>', "$self->{dir}/stop" or die "stop: $!";
    close $fh;
    waitpid($_, 0) for @{ $self->{pids} };
    my %res = (served => 0, failed => 0, retried => 0, failures => [],
        conns => [], mixed => 0);
    for my $f (glob "$self->{dir}/client-*") {
        open my $in, '<', $f or next;
        while (my $line = <$in>) {
            chomp $line;
            if ($line =~ /^C (\S+) (\S+) (.*)$/) {
                my @labels = split /,/, $3, -1;
                $res{served} += @labels;
                push @{ $res{conns} }, [$1, $2, \@labels];
                my %seen = map { $_ => 1 } @labels;
                $res{mixed}++ if keys %seen > 1;
            }
            elsif ($line =~ /^R /) {
                $res{retried}++;
            }
            elsif ($line =~ /^F (.*)$/) {
                $res{failed}++;
                push @{ $res{failures} }, $1;
            }
        }
    }
    $res{requests} = $res{served} + $res{failed};
    return \%res;
}

# The live, non-zombie children of $pid.
sub children ($pid) {
    my @kids;
    opendir my $dh, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh> // next;
        my @f = split ' ', substr($stat, rindex($stat, ')') + 2);
        push @kids, $p + 0 if $f[1] == $pid && $f[0] ne 'Z';
    }
    @kids = sort { $a <=> $b } @kids;
    return @kids;
}

# Proportional set size, in KiB, of $pid and all its descendants: shared
# pages count once across the processes sharing them.
sub tree_pss_kib ($pid) {
    my ($kib, @todo) = (0, $pid);
    while (defined(my $p = shift @todo)) {
        if (open my $fh, '<', "/proc/$p/smaps_rollup") {
            while (<$fh>) { $kib += $1 if /^Pss:\s+(\d+)/ }
        }
        push @todo, children($p);
    }
    return $kib;
}

# "served N, failed N, retried N" for a note or a diag line.
sub summary ($res) {
    return "served $res->{served}, failed $res->{failed}, "
        . "retried $res->{retried}";
}

1;
