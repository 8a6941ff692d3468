package Test::Warden::HTTP;

=head1 NAME

Test::Warden::HTTP - helpers shared by the t/http_*.t integration tests

=head1 SYNOPSIS

    use Test::Warden qw(parse_response);
    use Test::Warden::HTTP qw(http_config start_with get conn
        read_response read_responses serves);

    my $t = Test::Warden->new;
    start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    server { listen 127.0.0.1:%%PORT0%%; location / { return 200 ok; } }
    EOF
    my $r = get($t, '/');                  # parse_response of http_get
    my $s = conn($t);                      # a raw IO::Socket::INET
    print {$s} "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    my $res = read_response($s);           # one response off a stream
    ok(serves($t), 'still serving');

=head1 DESCRIPTION

=over

=item http_config($t, $http_body, main => '', events => '', level => 'info')

The whole config text around the body of an C<http {}> block: C<pid>,
C<error_log logs/error.log LEVEL>, C<events {}>, and, for nginx only, an
access log in the prefix (warden has no C<access_log> yet; nginx would
otherwise write to its compiled-in path).

=item start_with($t, $http_body, %opt)

Writes C<http_config> and starts the server; returns the master pid or
undef (the harness has already failed a test).

=item get($t, $path, %http_get_opts)

C<parse_response($t-E<gt>http_get(...))>.

=item req($t, $raw, %http_opts)

C<parse_response($t-E<gt>http($raw, ...))>.

=item conn($t, port => N)

A connected, blocking socket to 127.0.0.1 (default C<$t-E<gt>port(0)>).

=item read_response($sock, timeout => 5, head => 0)

Reads exactly one response from a stream: the header, then a body by
C<Content-Length>, chunked coding, none (C<head>, 1xx, 204, 304), or up to
EOF. Returns the parsed response (C<< closed => 1 >> if EOF was seen) or
undef if no status line arrived. Bytes past the response stay buffered for
the next call on the same socket.

=item read_responses($sock, $n, %opt)

Up to C<$n> responses, stopping early on EOF or timeout.

=item is_closed($sock, timeout => 2)

True if the peer closes the connection (EOF or reset) within the timeout,
with nothing else to read.

=item serves($t, port => N, path => '/')

True if a plain GET gets a 200: the worker is still serving.

=item log_mark($t), log_since($t, $mark)

The error log's current length, and the text logged after such a mark.

=item log_once($t, $mark, qr/.../, $desc)

One test: waits up to 0.5 s for a line matching the pattern after the mark,
then checks that exactly one line matches (a bad input is logged once).

=item bad_request($t, $desc, $raw, $status, $log_re, %http_opts)

Sends C<$raw>; checks the status (C<undef>: no response at all, the
connection closed), that C<$log_re> matched exactly one new error-log
line (skipped if C<$log_re> is undef), and that a normal request is
served afterwards (C<serves> with the options in C<< serves => {...} >>,
by default the same port). Returns the parsed response.

=back

=cut

use v5.36;
use Errno qw(EINTR EAGAIN);
use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use Test::Warden qw(parse_response dechunk);
use Time::HiRes qw(time sleep);

our @EXPORT_OK = qw(http_config start_with get req conn read_response
    read_responses is_closed serves log_mark log_since log_once
    bad_request);

sub http_config ($t, $body, %opt) {
    my $level = $opt{level} // 'info';
    my $main = $opt{main} // '';
    my $events = $opt{events} // '';
    my $nginx = $t->name eq 'nginx'
        ? "access_log logs/access.log;\n" : '';
    return <<"EOF";
pid logs/warden.pid;
error_log logs/error.log $level;
$main
events {
$events
}
http {
$nginx
$body
}
EOF
}

sub start_with ($t, $body, %opt) {
    $t->write_config(http_config($t, $body, %opt));
    return $t->start;
}

sub get ($t, $path, %opt) { parse_response($t->http_get($path, %opt)) }

sub req ($t, $raw, %opt) { parse_response($t->http($raw, %opt)) }

sub conn ($t, %opt) {
    my $port = $opt{port} // $t->port(0);
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port, Proto => 'tcp', Timeout => 5);
    $SIG{PIPE} = 'IGNORE';
    return $s;
}

my %BUF;    # per-socket read-ahead

# Reads more bytes into the socket's buffer; 0 on EOF/error/timeout.
sub _fill ($s, $deadline) {
    my $sel = IO::Select->new($s);
    while (1) {
        my $left = $deadline - time;
        return 0 if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($s, my $chunk, 65536);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            return 0;
        }
        return 0 if $n == 0;
        $BUF{ 0 + $s } .= $chunk;
        return 1;
    }
}

sub read_response ($s, %opt) {
    my $deadline = time + ($opt{timeout} // 5);
    my $key = 0 + $s;
    $BUF{$key} //= '';
    my $eof = 0;
    until ($BUF{$key} =~ /\r?\n\r?\n/) {
        unless (_fill($s, $deadline)) { $eof = 1; last }
    }
    if ($BUF{$key} !~ /\r?\n\r?\n/) {
        my $rest = delete $BUF{$key};
        return undef unless length $rest;
        my $r = parse_response($rest);
        $r->{closed} = 1;
        return $r->{status} ? $r : undef;
    }
    $BUF{$key} =~ /\r?\n\r?\n/;
    my $hlen = $+[0];
    my $r = parse_response(substr($BUF{$key}, 0, $hlen));
    return undef unless $r->{status};
    my $h = $r->{headers};
    my $te = $h->{'transfer-encoding'} // '';
    my $body_len;
    if ($opt{head} || $r->{status} < 200 || $r->{status} == 204
        || $r->{status} == 304)
    {
        $body_len = 0;
    }
    elsif ($te =~ /chunked/i) {
        # Wait for the last chunk.
        while (1) {
            my $data = substr($BUF{$key}, $hlen);
            my ($b, $tr, $err) = dechunk($data);
            if (!defined $err) {
                # Length of the consumed chunked data.
                my $consumed = _chunked_len($data);
                $r->{body} = $b;
                substr($BUF{$key}, 0, $hlen + $consumed) = '';
                return $r;
            }
            unless (_fill($s, $deadline)) {
                $r->{body} = $b;
                $r->{chunked_error} = $err;
                $r->{closed} = 1;
                delete $BUF{$key};
                return $r;
            }
        }
    }
    elsif (defined $h->{'content-length'} && !ref $h->{'content-length'}) {
        $body_len = $h->{'content-length'};
    }
    if (defined $body_len) {
        while (length($BUF{$key}) < $hlen + $body_len) {
            unless (_fill($s, $deadline)) { $r->{closed} = 1; last }
        }
        $r->{body} = substr($BUF{$key}, $hlen, $body_len);
        substr($BUF{$key}, 0, $hlen + length $r->{body}) = '';
        return $r;
    }
    1 while _fill($s, $deadline);
    $r->{body} = substr(delete $BUF{$key}, $hlen);
    $r->{closed} = 1;
    return $r;
}

sub _chunked_len ($data) {
    pos($data) = 0;
    while ($data =~ /\G([0-9a-fA-F]+)[ \t]*(?:;[^\r\n]*)?\r\n/gc) {
        my $size = hex $1;
        if ($size == 0) {
            1 while $data =~ /\G[^\r\n]+\r\n/gc;
            $data =~ /\G\r\n/gc;
            return pos($data);
        }
        pos($data) = pos($data) + $size + 2;
    }
    return length $data;
}

sub read_responses ($s, $n, %opt) {
    my @r;
    while (@r < $n) {
        my $r = read_response($s, %opt) // last;
        push @r, $r;
        last if $r->{closed};
    }
    return @r;
}

sub is_closed ($s, %opt) {
    my $key = 0 + $s;
    my $deadline = time + ($opt{timeout} // 2);
    my $sel = IO::Select->new($s);
    while (1) {
        my $left = $deadline - time;
        return 0 if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($s, my $chunk, 65536);
        if (!defined $n) {
            next if $! == EINTR;
            return 1;    # reset
        }
        if ($n == 0) {
            delete $BUF{$key};
            return 1;
        }
        $BUF{$key} .= $chunk;
        return 0;        # data, not a close
    }
}

sub log_mark ($t) { length $t->error_log }

sub log_since ($t, $mark) { substr($t->error_log, $mark) }

sub log_once ($t, $mark, $re, $desc) {
    $t->wait_until(sub { log_since($t, $mark) =~ $re }, timeout => 0.5);
    my @hits = grep { $_ =~ $re } split /\n/, log_since($t, $mark);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = Test::More::is(scalar @hits, 1, "$desc: logged once");
    Test::More::diag("log since mark:\n" . log_since($t, $mark)) unless $ok;
    return $ok;
}

sub bad_request ($t, $desc, $raw, $status, $log_re, %opt) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $sopt = delete $opt{serves}
        // { $opt{port} ? (port => $opt{port}) : () };
    my $mark = log_mark($t);
    my $r = parse_response($t->http($raw, %opt));
    if (defined $status) {
        Test::More::is($r && $r->{status}, $status, "$desc: status $status");
    }
    else {
        Test::More::ok(!$r || !length($r->{raw_headers}),
            "$desc: closed without a response")
            or Test::More::diag("got: $r->{raw_headers}");
    }
    log_once($t, $mark, $log_re, $desc) if defined $log_re;
    Test::More::ok(serves($t, %$sopt), "$desc: still serving");
    return $r;
}

sub serves ($t, %opt) {
    my $r = parse_response($t->http_get($opt{path} // '/',
        ($opt{port} ? (port => $opt{port}) : ()),
        ($opt{host} ? (host => $opt{host}) : ())));
    return $r && ($r->{status} // 0) == 200 ? 1 : 0;
}

1;
