package Test::Warden::Backend;

=head1 NAME

Test::Warden::Backend - HTTP, WebSocket and SSE backends for the proxy tests,
well-behaved or broken on purpose

=head1 SYNOPSIS

    use Test::Warden::Backend qw(parse_echo body_pattern unused_port
        sse_events);

    my $t = Test::Warden->new;
    my $b = Test::Warden::Backend->start(t => $t, port => $t->port(1),
        name => 'b1');                              # kind => 'echo'
    ... proxy_pass http://127.0.0.1:%%PORT1%%; ...
    my $r = get($t, '/x?status=404&size=100');      # warden relays it
    my $req = $b->last_request;                     # what reached b1
    is($req->{uri}, '/x?status=404&size=100');
    is($req->{h}{host}, 'localhost');               # headers, by name
    is_deeply($req->{headers}[0], ['Host', 'localhost']);  # in order
    is($b->connection_count, 1);

    my $slow = Test::Warden::Backend->start(t => $t, port => $t->port(2),
        kind => 'slow', delay => 1);
    my $ws = Test::Warden::Backend->start(unix => "$prefix/ws.sock",
        kind => 'websocket');                       # upstream unix:...
    my $own = Test::Warden::Backend->start(port => 0, handler => sub ($req) {
        return { status => 302, headers => [Location => '/b'], body => '' };
    });
    $b->stop;                                       # or let it go out of scope

=head1 DESCRIPTION

C<start> binds the listening socket (so connections queue from the moment
it returns), then forks a server process; each accepted connection gets its
own forked process, which serves requests on it (keep-alive, pipelining,
C<Content-Length> and chunked request bodies, C<Expect: 100-continue>)
until the peer closes, the response says close, or the idle timeout passes.
The server processes form one process group. They go away with C<stop>,
when the object is destroyed, at C<END>, within half a second of the test
process dying, and in any case after C<lifetime> seconds. They never write
to the test's stdout; their warnings go to C<< <dir>/NAME.err >>.

Every request is recorded, before its response is sent, as one JSON line
in C<< <dir>/NAME.log >>; so when a client has a response, the record is
there. A handler runs in the connection's process: it can read the request
but cannot change the test's variables.

=head2 start(%options)

=over

=item t, dir

C<dir> is where the log goes: default C<< $t->prefix . '/backends' >> if
C<t> (a L<Test::Warden>) is given, else a temporary directory.

=item port, host, unix

Listen on C<host> (default 127.0.0.1) and C<port> (default 0: the kernel
picks one; read it back with C<< $b->port >>), or on the unix socket path
C<unix> (made mode 0777, removed by C<stop>).

=item name

In records, in C<X-Backend> and in the echo body; default C<backendN>.

=item kind

The default behaviour, one of the L</Kinds> below; default C<echo>.

=item handler => sub ($req) { ... }

Called for each request with the request (the record format below, plus
the full C<body>); returns a response spec (a hashref of the L</Response
spec> fields, merged over the kind's), a string (the body of a 200), or
undef (the kind's response). If it dies, the response is a 500 naming the
error.

=item query

True by default: a request's query string and path may steer its response
(L</Steering by URL>). C<< query => 0 >> turns that off.

=item lifetime, header_timeout, record_body

Seconds the server may live at most (default 300); seconds to wait for a
request head or body (default 30); bytes of a request body or WebSocket
message kept in its record (default 16 MiB; C<body_truncated> or
C<data_truncated> is set beyond). Payloads over 1 KiB are kept in files
under C<< <dir>/NAME.d/ >> and read back by C<records>.

=item any response spec field

Sets it for every response, over the kind's preset: C<< kind => 'slow',
delay => 1 >>.

=back

=head2 Response spec

=over

=item status, reason, proto

Status line parts; default 200, the usual reason, C<HTTP/1.1>. No body and
no framing header for 1xx, 204 and 304; for C<HEAD>, a GET's headers and no
body.

=item headers

Extra headers, an arrayref of name => value pairs (repeats allowed; a
hashref is taken in name order), sent in order after C<X-Backend: NAME>, C<X-Backend-Conn: ID> (connection number,
from 1, per backend), C<X-Backend-Request: N> (request number on the
connection), C<Content-Type: text/plain> (unless given here). If they
include C<Content-Length> or C<Transfer-Encoding>, no framing header is
added and the connection closes after the response.

=item body, size

The body: a string; or C<size> bytes of C<body_pattern>; default the echo
text (see C<parse_echo>).

=item content_type, header_size, bare, trailers

C<content_type> replaces C<text/plain>. C<header_size> adds C<X-Huge:> with
that many bytes of value. C<bare> leaves out the C<X-Backend*>,
C<Content-Type> and C<Connection> headers. C<trailers> (pairs) go after the
last chunk of a chunked body.

=item chunked, chunk_size, pieces

C<chunked> sends C<Transfer-Encoding: chunked>. The body is written in
pieces (each one chunk if chunked): of C<chunk_size> bytes, or C<pieces>
equal pieces, or 64 KiB.

=item delay, body_delay

Seconds before the status line; seconds before each body piece.

=item length

The C<Content-Length> to announce instead of the body's (then the
connection closes after the body), or C<none>: no length at all, a
close-delimited body.

=item close, keepalive_timeout, keepalive_requests, idle_timeout

C<close>: C<Connection: close> and close after the response (as when the
request asked for it, or HTTP/1.0 did not ask for keep-alive; an HTTP/1.0
keep-alive gets C<Connection: keep-alive>). C<keepalive_timeout>: send
C<Keep-Alive: timeout=N>. C<keepalive_requests>: close after the N-th
response on a connection. C<idle_timeout>: close a kept-alive connection
on which no new request starts within that many seconds (default 60).

=item cut, truncate

C<cut>: stop after that many body bytes (as sent, chunk framing included)
and close. C<truncate>: leave out a chunked body's last chunk and close.

=item raw, then

Send these bytes instead of a response (after C<delay>), then close, or
with C<< then => 'keep' >> read the next request.

=item action

C<close> (read the request, close without a response), C<reset> (the same,
with a TCP reset), C<hang> (read the request and never answer), C<sse>,
C<websocket>; default an HTTP response.

=item interval, count

For C<sse>: seconds between events (default 0.1), and how many (default
10; 0 = until the client goes away).

=back

=head2 Kinds

=over

=item echo (alias normal)

A 200 whose body is the echo text: backend name, connection and request
numbers, method, URI, protocol, the headers in order and case, the body
length, then the body.

=item slow

C<< delay => 0.2, body_delay => 0.1, pieces => 3 >>.

=item close_mid

Headers (C<Content-Length: 10000>), 0.1 s, 5000 bytes, 0.1 s, close.

=item bad_status, garbage

C<HTTX/1.1 200 OK> and a small body; C<\0\1\2 this is not HTTP>. Then
close.

=item huge_header

A C<X-Huge> header of 64 KiB (C<header_size>).

=item dup_length

C<Content-Length: 5> and C<Content-Length: 7>, body C<hello>, close.

=item truncated_chunked

Chunked, two chunks of 500 bytes 0.1 s apart, no last chunk, close.

=item short_body

C<Content-Length: 100>, 11 bytes, close.

=item no_response, reset

Read the request, then close (FIN), or reset (RST).

=item close_delimited

C<HTTP/1.0 200 OK>, no C<Content-Length>, the body, close.

=item idle_close

Echo, closing a connection idle for 0.3 s (C<idle_timeout>); add
C<keepalive_timeout> to advertise a timeout.

=item hang

Reads the request and never answers.

=item sse

C<text/event-stream>, chunked for HTTP/1.1 requests, close-delimited for
HTTP/1.0; C<count> events C<interval> seconds apart, the first at once:

    id: 3
    event: tick
    data: seq=3 time=1712345678.123456

C<time> is the backend's clock when it wrote the event.

=item websocket

Answers the handshake (400 if C<Sec-WebSocket-Key> or
C<Sec-WebSocket-Version: 13> is missing; the first offered
C<Sec-WebSocket-Protocol> is accepted), then echoes text and binary
messages (a fragmented one as one frame, once whole), answers a ping with
a pong, ignores pongs, answers a close with the same payload and closes.
An unmasked client frame gets a close 1002. Each message is recorded
(C<ws_messages>).

=back

=head2 Steering by URL

Unless C<< query => 0 >>, these query parameters set the spec field of the
same name for that request: C<kind> (any kind above), C<status>, C<size>,
C<chunked>, C<chunk_size>, C<pieces>, C<delay>, C<body_delay>, C<length>,
C<close>, C<keepalive_timeout>, C<keepalive_requests>, C<idle_timeout>,
C<cut>, C<truncate>, C<header_size>, C<interval>, C<count>, C<proto>; and
C<header=Name:value> adds a header (repeatable). A path starting C</size/N>
or C</status/NNN> does the same as C<size> or C<status>. Other parameters
are ignored. So one echo backend can answer C</a?kind=slow&delay=2>,
C</size/1048576> and C</x?kind=sse&count=3>.

=head2 Methods

=over

=item $b->port, $b->host, $b->unix, $b->addr, $b->name, $b->pid, $b->dir

C<addr> is what an C<upstream> or C<proxy_pass> wants: C<127.0.0.1:PORT>
or C<unix:PATH>.

=item $b->stop, $b->restart, $b->is_running

C<stop> kills the process group and returns once the server is gone (the
port refuses connections). C<restart> starts it again, same port, log kept.

=item $b->requests, $b->last_request, $b->request_count

Request records, oldest first:

    type => 'request', backend, conn, n, pid, time, peer, kind,
    request_line, method, uri, path, query, proto,
    headers => [[name, value], ...],   # as received
    h => { lowercased name => value, or [values] if repeated },
    body, body_length, body_md5, chunked, chunks => [sizes],
    trailers => [[name, value], ...], error (a bad request: 400 sent)

=item $b->wait_requests($n, timeout => 5)

Polls until there are at least C<$n> request records; returns them all.

=item $b->connections, $b->connection_count

One hashref per accepted connection: C<conn>, C<peer>, C<time> (accepted),
and once it ended C<closed> (time), C<by> (C<peer>, C<server>,
C<idle>, C<timeout>, C<error: ...>) and C<requests>.

=item $b->wait_closed(count => N, timeout => 5)

Polls until at least C<count> connections (default 0) were accepted and
every accepted one has ended; returns C<connections>. A connection the
server closes is recorded as closed before the client can see it; one the
client closes takes the server a moment to notice.

=item $b->ws_messages, $b->records, $b->clear, $b->log_path, $b->stderr

WebSocket message records (C<conn>, C<type>, C<length>, C<data>,
C<frames>); every record; forget the records so far; the log's path; what
the server processes wrote to stderr.

=back

=head2 Functions (exportable)

=over

=item body_pattern($length, $offset = 0)

The bytes C<size> sends: 16-byte lines C<"%015x\n"> of their own offset,
cut to C<$length> bytes starting at C<$offset>. A lost, doubled or moved
block shows in a diff.

=item parse_echo($body)

The echo text as C<< { backend, conn, request, method, uri, proto,
headers => [[n, v], ...], h => {...}, body_length, body } >>; undef if the
text is not an echo.

=item unused_port()

A port reserved like C<< $t->port >> on which nothing listens: connections
to it are refused.

=item sse_events($sock, count => N, timeout => 5)

Reads an SSE response from a socket on which the request was sent: the
head, then events until C<count> of them, the end of a chunked stream, EOF
or the timeout. Returns C<< { status, headers, events => [...], eof,
complete } >>; C<complete> means the last chunk came and was read, so the
socket can carry the next response (a last chunk with trailers is not
supported). Each event has C<id>, C<event>, C<data>, C<at> (when its last
byte arrived) and, from C<data>, C<seq> and C<time>.

=back

=cut

use v5.36;
use Carp qw(croak);
use Digest::MD5 qw(md5_hex);
use Errno qw(EINTR EAGAIN);
use Exporter qw(import);
use Fcntl qw(O_WRONLY O_APPEND O_CREAT);
use File::Path qw(make_path);
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use JSON::PP ();
use List::Util qw(min);
use POSIX qw(_exit setpgid);
use Scalar::Util qw(refaddr weaken);
use Socket qw(SOCK_STREAM SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::WebSocket qw(ws_accept ws_encode ws_decode);

our @EXPORT_OK = qw(body_pattern parse_echo unused_port sse_events);

my %KINDS = (
    echo              => {},
    normal            => {},
    slow              => { delay => 0.2, body_delay => 0.1, pieces => 3 },
    close_mid         => { size => 10000, pieces => 2, body_delay => 0.1,
                           cut => 5000 },
    bad_status        => { raw => "HTTX/1.1 200 OK\r\nContent-Length: 3"
                           . "\r\n\r\nbad" },
    garbage           => { raw => "\x00\x01\x02 this is not HTTP\r\n\r\n" },
    huge_header       => { header_size => 65536 },
    dup_length        => { raw => "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                           . "Content-Length: 7\r\n\r\nhello" },
    truncated_chunked => { chunked => 1, size => 1000, pieces => 2,
                           body_delay => 0.1, truncate => 1 },
    short_body        => { body => "short body\n", length => 100 },
    no_response       => { action => 'close' },
    reset             => { action => 'reset' },
    close_delimited   => { proto => 'HTTP/1.0', length => 'none' },
    idle_close        => { idle_timeout => 0.3 },
    hang              => { action => 'hang' },
    sse               => { action => 'sse' },
    websocket         => { action => 'websocket' },
);

my %BASE_SPEC = (status => 200, idle_timeout => 60, interval => 0.1,
    count => 10);

my @SPEC_FIELDS = qw(status reason proto headers body size content_type
    header_size bare trailers chunked chunk_size pieces delay body_delay
    length close keepalive_timeout keepalive_requests idle_timeout cut
    truncate raw then action interval count);

my %QUERY_FIELD = map { $_ => 1 } qw(kind status size chunked chunk_size
    pieces delay body_delay length close keepalive_timeout keepalive_requests
    idle_timeout cut truncate header_size interval count proto header);

my %REASON = (100 => 'Continue', 101 => 'Switching Protocols', 200 => 'OK',
    201 => 'Created', 204 => 'No Content', 206 => 'Partial Content',
    301 => 'Moved Permanently', 302 => 'Found', 304 => 'Not Modified',
    400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden',
    404 => 'Not Found', 408 => 'Request Timeout', 413 => 'Payload Too Large',
    500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout');

my $MAX_HEAD = 1 << 20;
my $JSON = JSON::PP->new->ascii->canonical;
my $SEQ = 0;
my %LIVE;           # refaddr => weak ref, for END
my %PORT_LOCKS;     # unused_port's reservations
my $TMPDIR;

# ---------------------------------------------------------------------------
# Starting and stopping (the test's process)

sub start ($class, %opt) {
    my %spec = map { ($_ => delete $opt{$_}) }
        grep { exists $opt{$_} } @SPEC_FIELDS;
    my $kind = delete $opt{kind} // 'echo';
    croak "Test::Warden::Backend: unknown kind $kind" unless $KINDS{$kind};
    my $t = delete $opt{t};
    my $self = bless {
        name           => delete $opt{name} // 'backend' . ++$SEQ,
        kind           => $kind,
        spec           => \%spec,
        handler        => delete $opt{handler},
        host           => delete $opt{host} // '127.0.0.1',
        port           => delete $opt{port} // 0,
        unix           => delete $opt{unix},
        dir            => delete $opt{dir},
        query          => delete $opt{query} // 1,
        lifetime       => delete $opt{lifetime} // 300,
        header_timeout => delete $opt{header_timeout} // 30,
        record_body    => delete $opt{record_body} // 16 << 20,
        owner          => $$,
    }, $class;
    croak 'Test::Warden::Backend: unknown option ' . join(', ', sort keys %opt)
        if %opt;
    $self->{dir} //= $t ? $t->prefix . '/backends'
        : ($TMPDIR //= File::Temp::tempdir('warden-backend-XXXXXXXX',
            DIR => '/tmp', CLEANUP => 1));
    make_path($self->{dir}) unless -d $self->{dir};
    $self->{log} = "$self->{dir}/$self->{name}.log";
    $self->{err} = "$self->{dir}/$self->{name}.err";
    $self->clear;
    $self->_spawn;
    return $self;
}

sub name ($self)     { $self->{name} }
sub port ($self)     { $self->{port} }
sub host ($self)     { $self->{host} }
sub unix ($self)     { $self->{unix} }
sub pid ($self)      { $self->{pid} }
sub dir ($self)      { $self->{dir} }
sub log_path ($self) { $self->{log} }

sub addr ($self) {
    return $self->{unix} ? "unix:$self->{unix}" : "$self->{host}:$self->{port}";
}

sub _listen ($self) {
    if (my $path = $self->{unix}) {
        unlink $path;
        my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path,
            Listen => 1024) or croak "Test::Warden::Backend: listen $path: $!";
        chmod 0777, $path;
        return $s;
    }
    my $s = IO::Socket::INET->new(LocalAddr => $self->{host},
        LocalPort => $self->{port}, Proto => 'tcp', ReuseAddr => 1,
        Listen => 1024)
        or croak "Test::Warden::Backend: listen "
            . "$self->{host}:$self->{port}: $@";
    $self->{port} = $s->sockport;
    return $s;
}

sub _spawn ($self) {
    my $listen = $self->_listen;
    $self->{deadline} = time + $self->{lifetime};
    my $pid = fork // croak "Test::Warden::Backend: fork: $!";
    if ($pid == 0) {
        eval { $self->_master($listen) };
        warn "backend $self->{name}: $@" if $@;
        _exit(0);
    }
    setpgid($pid, $pid);    # the child does it too; whoever runs first
    close $listen;
    $self->{pid} = $pid;
    $LIVE{ refaddr $self } = $self;
    weaken $LIVE{ refaddr $self };
}

sub is_running ($self) {
    return 0 unless $self->{pid};
    return waitpid($self->{pid}, POSIX::WNOHANG()) == 0 ? 1 : 0;
}

sub stop ($self) {
    return 1 if $$ != $self->{owner};
    my $pid = delete $self->{pid} or return 1;
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    waitpid($pid, 0);
    my $deadline = time + 2;
    sleep 0.01 while _group_alive($pid) && time < $deadline;
    unlink $self->{unix} if $self->{unix};
    delete $LIVE{ refaddr $self };
    return 1;
}

sub restart ($self) {
    $self->stop;
    $self->_spawn;
    return $self;
}

# Is any process of the group still running (zombies do not count: the
# container's init may never reap the orphans)?
sub _group_alive ($pgid) {
    return 0 unless kill 0, -$pgid;
    opendir my $dh, '/proc' or return 0;
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh> // next;
        my @f = split ' ', substr($stat, rindex($stat, ')') + 2);
        return 1 if $f[2] == $pgid && $f[0] ne 'Z' && $f[0] ne 'X';
    }
    return 0;
}

sub DESTROY ($self) {
    $self->stop if $$ == ($self->{owner} // 0);
}

END {
    $_->stop for grep { defined } values %LIVE;
}

# ---------------------------------------------------------------------------
# Records (the test's process)

sub clear ($self) {
    open my $fh, '>', $self->{log} or croak "open $self->{log}: $!";
    close $fh;
    my $d = "$self->{dir}/$self->{name}.d";
    File::Path::remove_tree($d);
    mkdir $d or croak "mkdir $d: $!";
}

sub records ($self) {
    open my $fh, '<:raw', $self->{log} or return ();
    local $/ = "\n";
    my @r;
    while (my $line = <$fh>) {
        next unless $line =~ /\n\z/;    # a record still being written
        my $r = eval { $JSON->decode($line) } or next;
        $r->{h} = _header_index($r->{headers}) if $r->{headers};
        for my $field (qw(body data)) {
            my $file = delete $r->{"${field}_file"} // next;
            $r->{$field} = _slurp("$self->{dir}/$file") // '';
        }
        push @r, $r;
    }
    return @r;
}

sub _header_index ($pairs) {
    my %h;
    for my $p (@$pairs) {
        my $k = lc $p->[0];
        if (!exists $h{$k}) { $h{$k} = $p->[1] }
        elsif (ref $h{$k})  { push @{ $h{$k} }, $p->[1] }
        else                { $h{$k} = [$h{$k}, $p->[1]] }
    }
    return \%h;
}

sub requests ($self)    { grep { $_->{type} eq 'request' } $self->records }
sub ws_messages ($self) { grep { $_->{type} eq 'ws' } $self->records }
sub last_request ($self) { ($self->requests)[-1] }

sub request_count ($self) {
    my @r = $self->requests;
    return scalar @r;
}

sub wait_requests ($self, $n, %opt) {
    my $deadline = time + ($opt{timeout} // 5);
    while (1) {
        my @r = $self->requests;
        return @r if @r >= $n || time >= $deadline;
        sleep 0.02;
    }
}

sub connections ($self) {
    my @records = $self->records;
    my %c = map { $_->{conn} => { %$_{qw(conn peer time)} } }
        grep { $_->{type} eq 'accept' } @records;
    for my $r (grep { $_->{type} eq 'close' } @records) {
        my $conn = $c{ $r->{conn} } or next;
        @$conn{qw(closed by requests)} = @$r{qw(time by requests)};
    }
    return map { $c{$_} } sort { $a <=> $b } keys %c;
}

sub wait_closed ($self, %opt) {
    my $deadline = time + ($opt{timeout} // 5);
    while (1) {
        my @c = $self->connections;
        my $open = grep { !defined $_->{closed} } @c;
        return @c if (!$open && @c >= ($opt{count} // 0))
            || time >= $deadline;
        sleep 0.02;
    }
}

sub connection_count ($self) {
    my @c = $self->connections;
    return scalar @c;
}

sub stderr ($self) { _slurp($self->{err}) // '' }

sub _slurp ($path) {
    open my $fh, '<:raw', $path or return undef;
    local $/;
    return <$fh> // '';
}

# Puts $data in the record's field $field, or, past 1 KiB, in a file of
# its own that records() reads back: JSON::PP takes seconds over a
# megabyte of binary.
sub _store ($self, $r, $field, $data, $tag) {
    if (length $data > $self->{record_body}) {
        $data = substr($data, 0, $self->{record_body});
        $r->{"${field}_truncated"} = 1;
    }
    if (length $data <= 1024) {
        $r->{$field} = $data;
        return;
    }
    my $file = "$self->{name}.d/$tag";
    open my $fh, '>:raw', "$self->{dir}/$file" or return;
    print {$fh} $data;
    close $fh;
    $r->{"${field}_file"} = $file;
}

# Appends one record; a single write with O_APPEND, so the records of
# concurrent connections never interleave.
sub _log ($self, $rec) {
    sysopen(my $fh, $self->{log}, O_WRONLY | O_APPEND | O_CREAT, 0644)
        or return;
    syswrite($fh, $JSON->encode($rec) . "\n");
    close $fh;
}

# ---------------------------------------------------------------------------
# The server process

sub _master ($self, $listen) {
    setpgid(0, 0);
    $0 = "warden-test-backend $self->{name}";
    open STDIN, '<', '/dev/null';
    open STDOUT, '>', '/dev/null';
    open STDERR, '>>', $self->{err};
    _detach_fds(fileno $listen);
    $SIG{CHLD} = 'IGNORE';
    $SIG{PIPE} = 'IGNORE';
    Time::HiRes::alarm($self->{lifetime});
    $listen->blocking(0);
    my $sel = IO::Select->new($listen);
    my $id = 0;
    while (1) {
        kill 'KILL', -$$ if getppid() != $self->{owner};
        next unless $sel->can_read(0.5);
        my $sock = $listen->accept or next;
        $id++;
        my $peer = $self->{unix} ? 'unix'
            : $sock->peerhost . ':' . $sock->peerport;
        $self->_log({ type => 'accept', conn => $id, peer => $peer,
            time => time });
        my $pid = fork;
        if (defined $pid && $pid == 0) {
            close $listen;
            $self->_connection($sock, $id, $peer);
            _exit(0);
        }
        close $sock;
    }
}

# Points every inherited descriptor but stdio and the listener at
# /dev/null. A socket the test holds must not stay open here, or closing it
# in the test would send no FIN; and the numbers stay taken, so a handle
# Perl closes later cannot close one of ours.
sub _detach_fds (@keep) {
    my %keep = map { $_ => 1 } 0, 1, 2, @keep;
    opendir my $dh, '/proc/self/fd' or return;
    my @fds = grep { /^\d+$/ && !$keep{$_} } readdir $dh;
    closedir $dh;
    my $null = POSIX::open('/dev/null', POSIX::O_RDWR()) // return;
    for my $fd (@fds) {
        POSIX::dup2($null, $fd) if $fd != $null;
    }
}

sub _connection ($self, $sock, $id, $peer) {
    $SIG{CHLD} = 'DEFAULT';
    $sock->blocking(1);
    Time::HiRes::alarm(List::Util::max(0.01, $self->{deadline} - time));
    my $c = { sock => $sock, buf => '', id => $id, n => 0, peer => $peer,
        master => getppid(), sel => IO::Select->new($sock) };
    $c->{log} = sub ($by) {
        $self->_log({ type => 'close', conn => $id, by => $by,
            requests => $c->{n}, time => time }) unless $c->{logged}++;
    };
    my $by = eval { $self->_serve($c) };
    unless (defined $by) {
        chomp(my $e = $@);
        $by = "error: $e";
    }
    $c->{log}->($by);
    if ($c->{drain}) {
        my $deadline = time + 1;
        $c->{buf} = '' while _fill($c, $deadline);
    }
}

sub _check_master ($c) {
    _exit(0) if getppid() != $c->{master};
}

# Reads more bytes; 1 if some came, 0 on EOF or error, undef on timeout.
sub _fill ($c, $deadline) {
    while (1) {
        _check_master($c);
        my $left = $deadline - time;
        return undef if $left <= 0;
        next unless $c->{sel}->can_read(min($left, 0.5));
        my $n = sysread($c->{sock}, $c->{buf}, 65536, length $c->{buf});
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            return 0;
        }
        return $n ? 1 : 0;
    }
}

sub _send ($c, $data) {
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($c->{sock}, $data, length($data) - $off, $off);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            die "write: $!\n";
        }
        $off += $n;
    }
}

sub _nap ($c, $secs) {
    my $until = time + $secs;
    while ((my $left = $until - time) > 0) {
        _check_master($c);
        sleep min($left, 0.2);
    }
}

# Closes the connection: plainly, with a reset, or (linger) with a
# half-close; _connection then drains what the peer still sends for up to
# a second, so that a response is never lost to a reset caused by unread
# bytes. The close is recorded first: a client that sees it can read the
# record. Returns 0 (not kept).
sub _close ($c, %opt) {
    my $s = $c->{sock};
    $c->{log}->('server');
    if ($opt{linger}) {
        shutdown($s, 1);
        $c->{drain} = 1;
        return 0;
    }
    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $opt{reset};
    close $s;
    return 0;
}

sub _serve ($self, $c) {
    my $timeout = $self->{header_timeout};
    while (1) {
        my ($req, $why) = $self->_read_request($c, $timeout);
        return $why unless $req;
        $c->{n}++;
        my ($kind, $q) = $self->_control($req);
        $self->_record($c, $req, $kind);
        if (defined $req->{error}) {
            $self->_http($c, $req, { %BASE_SPEC, close => 1, status => 400,
                body => "bad request: $req->{error}\n" });
            return 'server';
        }
        my $spec = $self->_spec($req, $kind, $q);
        $self->_respond($c, $req, $spec) or return 'server';
        $timeout = $spec->{idle_timeout};
    }
}

sub _record ($self, $c, $req, $kind) {
    my %r = (type => 'request', backend => $self->{name}, conn => $c->{id},
        n => $c->{n}, pid => $$, time => time, peer => $c->{peer},
        kind => $kind);
    for my $k (qw(request_line method uri path query proto headers
        body_length body_md5 chunked chunks trailers error))
    {
        $r{$k} = $req->{$k} if defined $req->{$k};
    }
    $self->_store(\%r, body => $req->{body} // '', "$c->{id}-$c->{n}");
    @$req{qw(backend conn n peer kind)} = @r{qw(backend conn n peer kind)};
    $self->_log(\%r);
}

# ---------------------------------------------------------------------------
# Reading a request

# Returns (request) or (undef, why): 'peer' (EOF), 'idle' or 'timeout'.
# A request that cannot be parsed comes back with an error field.
sub _read_request ($self, $c, $timeout) {
    my $deadline = time + $timeout;
    while (1) {
        $c->{buf} =~ s/\A(?:\r?\n)+//;
        last if $c->{buf} =~ /\r?\n\r?\n/;
        return ({ error => 'request head too large' })
            if length $c->{buf} > $MAX_HEAD;
        my $r = _fill($c, $deadline);
        next if $r;
        return (undef, 'peer') if defined $r;
        return (undef, $c->{n} ? 'idle' : 'timeout');
    }
    $c->{buf} =~ /\r?\n\r?\n/;
    my $head = substr($c->{buf}, 0, $+[0], '');
    my $req = _parse_head($head);
    return ($req) if defined $req->{error};
    $self->_read_body($c, $req);
    return ($req);
}

sub _parse_head ($head) {
    my @lines = split /\r?\n/, $head;
    my $line = shift @lines;
    my %req = (request_line => $line, headers => [], body => '');
    unless ($line =~ m{^([!#\$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP/\d\.\d)$})
    {
        $req{error} = 'bad request line';
        return \%req;
    }
    @req{qw(method uri proto)} = ($1, $2, $3);
    ($req{path}, $req{query}) = split /\?/, $req{uri}, 2;
    for my $l (@lines) {
        unless ($l =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/) {
            $req{error} = "bad header line: $l";
            return \%req;
        }
        push @{ $req{headers} }, [$1, $2];
    }
    $req{h} = _header_index($req{headers});
    return \%req;
}

sub _header_list ($h, $name) {
    my $v = $h->{$name} // return ();
    return ref $v ? @$v : ($v);
}

sub _read_body ($self, $c, $req) {
    my @te = map { split /\s*,\s*/ } _header_list($req->{h},
        'transfer-encoding');
    my @cl = _header_list($req->{h}, 'content-length');
    my $chunked = @te && lc $te[-1] eq 'chunked';
    my $len;
    unless ($chunked) {
        my %v = map { $_ => 1 } @cl;
        if (keys %v > 1 || grep { !/^\d+$/ } @cl) {
            $req->{error} = 'bad Content-Length';
            return;
        }
        $len = $cl[0] // 0;
    }
    if (($chunked || $len) && ($req->{h}{expect} // '') =~ /100-continue/i)
    {
        _send($c, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    my $deadline = time + $self->{header_timeout};
    if ($chunked) {
        $req->{chunked} = 1;
        _read_chunked($c, $req, $deadline);
    }
    else {
        while (length $c->{buf} < $len) {
            next if _fill($c, $deadline);
            $req->{error} = 'body cut short';
            last;
        }
        $req->{body} = substr($c->{buf}, 0, $len, '');
    }
    $req->{body_length} = length $req->{body};
    $req->{body_md5} = md5_hex($req->{body});
}

# Waits until the buffer holds a line (returns it, without its CRLF, and
# takes it off) or $n bytes (returns true); undef on EOF or timeout.
sub _need ($c, $deadline, $n = undef) {
    while (1) {
        if (defined $n) {
            return 1 if length $c->{buf} >= $n;
        }
        elsif ($c->{buf} =~ s/\A([^\n]*?)\r?\n//) {
            return $1;
        }
        _fill($c, $deadline) or return undef;
    }
}

sub _read_chunked ($c, $req, $deadline) {
    $req->{chunks} = [];
    while (1) {
        my $line = _need($c, $deadline);
        return $req->{error} = 'chunked body cut short' unless defined $line;
        return $req->{error} = 'bad chunk size'
            unless $line =~ /^([0-9a-fA-F]+)[ \t]*(?:;.*)?$/;
        my $size = hex $1;
        last if $size == 0;
        push @{ $req->{chunks} }, $size;
        return $req->{error} = 'chunked body cut short'
            unless _need($c, $deadline, $size + 2);
        $req->{body} .= substr($c->{buf}, 0, $size, '');
        return $req->{error} = 'no CRLF after chunk data'
            unless $c->{buf} =~ s/\A\r?\n//;
    }
    while (1) {
        my $line = _need($c, $deadline);
        return $req->{error} = 'chunked body cut short' unless defined $line;
        last if $line eq '';
        push @{ $req->{trailers} }, [$1, $2]
            if $line =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/;
    }
}

# ---------------------------------------------------------------------------
# Choosing the response

sub _url_decode ($s) {
    $s =~ tr/+/ /;
    $s =~ s/%([0-9a-fA-F]{2})/chr hex $1/ge;
    return $s;
}

# The kind for this request and the spec fields its URL sets.
sub _control ($self, $req) {
    my %q;
    return ($self->{kind}, \%q) unless $self->{query};
    for my $pair (split /[&;]/, $req->{query} // '') {
        my ($k, $v) = map { _url_decode($_) } split /=/, $pair, 2;
        next unless $QUERY_FIELD{$k};
        if ($k eq 'header') {
            my ($name, $value) = split /:\s*/, $v // '', 2;
            push @{ $q{headers} }, $name, $value // '';
            next;
        }
        $q{$k} = $v // 1;
    }
    $q{size} //= $1 if ($req->{path} // '') =~ m{^/size/(\d+)};
    $q{status} //= $1 if ($req->{path} // '') =~ m{^/status/(\d{3})};
    my $kind = delete $q{kind} // $self->{kind};
    unless ($KINDS{$kind}) {
        $req->{error} = "unknown kind $kind";
        $kind = $self->{kind};
    }
    return ($kind, \%q);
}

sub _spec ($self, $req, $kind, $q) {
    my @layers = (\%BASE_SPEC, $KINDS{$kind}, $self->{spec}, $q);
    if (my $handler = $self->{handler}) {
        my $r = eval { $handler->($req) };
        $r = { status => 500, close => 1, body => "handler died: $@" } if $@;
        push @layers, ref $r ? $r : defined $r ? { body => $r } : {};
    }
    my %s;
    for my $l (@layers) {
        for my $k (keys %$l) {
            if ($k eq 'headers' || $k eq 'trailers') {
                push @{ $s{$k} }, _pairs($l->{$k});
            }
            else {
                $s{$k} = $l->{$k};
            }
        }
    }
    return \%s;
}

sub _pairs ($h) {
    return ref $h eq 'HASH' ? map { ($_, $h->{$_}) } sort keys %$h : @$h;
}

sub _respond ($self, $c, $req, $s) {
    my $action = $s->{action} // 'http';
    return _close($c, reset => 1) if $action eq 'reset';
    return _close($c) if $action eq 'close';
    return $self->_hang($c) if $action eq 'hang';
    return $self->_sse($c, $req, $s) if $action eq 'sse';
    return $self->_websocket($c, $req, $s) if $action eq 'websocket';
    if (defined $s->{raw}) {
        _nap($c, $s->{delay}) if $s->{delay};
        _send($c, $s->{raw});
        return ($s->{then} // '') eq 'keep' ? 1 : _close($c, linger => 1);
    }
    return $self->_http($c, $req, $s);
}

sub _hang ($self, $c) {
    $c->{buf} = '' while _fill($c, $self->{deadline});
    return 0;
}

# ---------------------------------------------------------------------------
# HTTP responses

sub _wants_keepalive ($req) {
    my $conn = join ',', _header_list($req->{h} // {}, 'connection');
    return $conn !~ /\bclose\b/i if ($req->{proto} // '') eq 'HTTP/1.1';
    return $conn =~ /\bkeep-alive\b/i;
}

sub _echo_text ($self, $c, $req) {
    my $text = "backend $self->{name}\nconn $c->{id}\nrequest $c->{n}\n"
        . "method $req->{method}\nuri $req->{uri}\nproto $req->{proto}\n";
    $text .= "header $_->[0]: $_->[1]\n" for @{ $req->{headers} };
    return $text . "body-length $req->{body_length}\n\n$req->{body}";
}

# (length, reader) of the body: reader->(offset, n) returns its bytes.
sub _body ($self, $c, $req, $s) {
    return ($s->{size}, \&body_pattern_at) if defined $s->{size};
    my $body = $s->{body} // $self->_echo_text($c, $req);
    utf8::encode($body) if utf8::is_utf8($body);
    return (length $body, sub ($off, $n) { substr($body, $off, $n) });
}

sub _head ($self, $c, $req, $s, $len, $no_body) {
    my $status = $s->{status};
    my @user = _pairs($s->{headers} // []);
    my %has;
    for (my $i = 0; $i < @user; $i += 2) { $has{ lc $user[$i] } = 1 }
    my @h;
    unless ($s->{bare}) {
        push @h, 'X-Backend' => $self->{name}, 'X-Backend-Conn' => $c->{id},
            'X-Backend-Request' => $c->{n};
        push @h, 'Content-Type' => $s->{content_type} // 'text/plain'
            unless $has{'content-type'} || $no_body;
    }
    push @h, 'X-Huge' => 'h' x $s->{header_size} if $s->{header_size};
    push @h, @user;
    my $close = $s->{close} || !_wants_keepalive($req)
        || ($s->{keepalive_requests} && $c->{n} >= $s->{keepalive_requests})
        || defined $s->{cut} || $s->{truncate};
    if ($has{'content-length'} || $has{'transfer-encoding'}) {
        $close = 1;
    }
    elsif ($no_body) {
    }
    elsif ($s->{chunked}) {
        push @h, 'Transfer-Encoding' => 'chunked';
    }
    elsif (($s->{length} // '') eq 'none') {
        $close = 1;
    }
    else {
        push @h, 'Content-Length' => $s->{length} // $len;
        $close = 1 if ($s->{length} // $len) != $len;
    }
    unless ($s->{bare}) {
        push @h, Connection => 'close' if $close;
        push @h, Connection => 'keep-alive'
            if !$close && $req->{proto} eq 'HTTP/1.0';
    }
    push @h, 'Keep-Alive' => "timeout=$s->{keepalive_timeout}"
        if defined $s->{keepalive_timeout} && !$close;
    my $head = ($s->{proto} // 'HTTP/1.1') . " $status "
        . ($s->{reason} // $REASON{$status} // 'Unknown') . "\r\n";
    return ($head . _header_lines(@h) . "\r\n", $close);
}

sub _header_lines (@pairs) {
    my $text = '';
    while (my ($name, $value) = splice @pairs, 0, 2) {
        $text .= "$name: $value\r\n";
    }
    return $text;
}

sub _pieces ($len, $s) {
    my $size = $s->{chunk_size}
        || ($s->{pieces} ? int(($len + $s->{pieces} - 1) / $s->{pieces})
            : 65536) || 1;
    my @p;
    for (my $off = 0; $off < $len; $off += $size) {
        push @p, [$off, min($size, $len - $off)];
    }
    return @p;
}

sub _http ($self, $c, $req, $s) {
    my ($len, $read) = $self->_body($c, $req, $s);
    my $no_body = $s->{status} < 200 || $s->{status} == 204
        || $s->{status} == 304;
    my ($head, $close) = $self->_head($c, $req, $s, $len, $no_body);
    _nap($c, $s->{delay}) if $s->{delay};
    my $chunked = $s->{chunked} && !$no_body;
    my $send = $no_body || ($req->{method} // '') eq 'HEAD' ? 0 : $len;
    _send($c, $head);
    my ($sent, $cut) = (0, $s->{cut});
    for my $p ($send ? _pieces($len, $s) : ()) {
        _nap($c, $s->{body_delay}) if $s->{body_delay};
        my $data = $read->(@$p);
        $data = sprintf("%x\r\n%s\r\n", length $data, $data) if $chunked;
        if (defined $cut && $sent + length $data > $cut) {
            _send($c, substr($data, 0, $cut - $sent));
            return _close($c);
        }
        _send($c, $data);
        $sent += length $data;
    }
    if ($chunked && !$s->{truncate} && ($req->{method} // '') ne 'HEAD') {
        _send($c, "0\r\n" . _header_lines(_pairs($s->{trailers} // []))
            . "\r\n");
    }
    return $close ? _close($c, linger => 1) : 1;
}

# ---------------------------------------------------------------------------
# Server-sent events

sub _sse ($self, $c, $req, $s) {
    my $chunked = $req->{proto} eq 'HTTP/1.1'
        && ($s->{length} // '') ne 'none' && !$s->{close};
    my $keep = $chunked && _wants_keepalive($req);
    my @h = ('Content-Type' => 'text/event-stream',
        'Cache-Control' => 'no-cache', 'X-Backend' => $self->{name},
        'X-Backend-Conn' => $c->{id}, 'X-Backend-Request' => $c->{n},
        $chunked ? ('Transfer-Encoding' => 'chunked') : (),
        $keep ? () : (Connection => 'close'), _pairs($s->{headers} // []));
    _nap($c, $s->{delay}) if $s->{delay};
    _send($c, "HTTP/1.1 200 OK\r\n" . _header_lines(@h) . "\r\n");
    for (my $seq = 1; !$s->{count} || $seq <= $s->{count}; $seq++) {
        _nap($c, $s->{interval}) if $seq > 1;
        my $ev = sprintf "id: %d\nevent: tick\ndata: seq=%d time=%.6f\n\n",
            $seq, $seq, time;
        _send($c, $chunked ? sprintf("%x\r\n%s\r\n", length $ev, $ev) : $ev);
    }
    _send($c, "0\r\n\r\n") if $chunked;
    return $keep ? 1 : _close($c, linger => 1);
}

# ---------------------------------------------------------------------------
# WebSocket echo

sub _websocket ($self, $c, $req, $s) {
    my $h = $req->{h};
    my $key = $h->{'sec-websocket-key'};
    unless (($h->{upgrade} // '') =~ /\bwebsocket\b/i && defined $key
        && !ref $key && ($h->{'sec-websocket-version'} // '') eq '13')
    {
        return $self->_http($c, $req, { %$s, status => 400, close => 1,
            body => "not a websocket handshake\n" });
    }
    my $head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Accept: " . ws_accept($key)
        . "\r\nX-Backend: $self->{name}\r\n";
    if (my $proto = $h->{'sec-websocket-protocol'}) {
        $head .= 'Sec-WebSocket-Protocol: '
            . (split /\s*,\s*/, ref $proto ? $proto->[0] : $proto)[0] . "\r\n";
    }
    _send($c, "$head\r\n");
    my $msg;
    while (1) {
        my $f = $self->_ws_frame($c) // return 0;
        unless ($f->{masked}) {
            _send($c, ws_encode(type => 'close',
                payload => pack('n', 1002) . 'unmasked frame'));
            return _close($c, linger => 1);
        }
        if ($f->{opcode} == 9) {
            _send($c, ws_encode(type => 'pong', payload => $f->{payload}));
        }
        elsif ($f->{opcode} == 8) {
            $self->_ws_log($c, $f->{type}, $f->{payload}, 1);
            _send($c, ws_encode(type => 'close', payload => $f->{payload}));
            return _close($c, linger => 1);
        }
        elsif ($f->{opcode} <= 2) {
            $msg = { opcode => $f->{opcode}, data => '', frames => 0 }
                if $f->{opcode} != 0 || !$msg;
            $msg->{data} .= $f->{payload};
            $msg->{frames}++;
            next unless $f->{fin};
            $self->_ws_log($c, $msg->{opcode} == 1 ? 'text' : 'binary',
                $msg->{data}, $msg->{frames});
            _send($c, ws_encode(opcode => $msg->{opcode} || 2,
                payload => $msg->{data}));
            undef $msg;
        }
    }
}

sub _ws_frame ($self, $c) {
    while (1) {
        my $f = ws_decode(\$c->{buf});
        return $f if $f;
        _fill($c, $self->{deadline}) or return undef;
    }
}

sub _ws_log ($self, $c, $type, $data, $frames) {
    my %r = (type => 'ws', backend => $self->{name}, conn => $c->{id},
        time => time, message => $type, length => length $data,
        frames => $frames);
    $self->_store(\%r, data => $data, "$c->{id}-ws-" . ++$c->{ws});
    $self->_log(\%r);
}

# ---------------------------------------------------------------------------
# Functions

sub body_pattern ($len, $off = 0) { body_pattern_at($off, $len) }

sub body_pattern_at ($off, $len) {
    return '' if $len <= 0;
    my $first = int($off / 16);
    my $last = int(($off + $len - 1) / 16);
    my $blocks = join '', map { sprintf "%015x\n", $_ * 16 } $first .. $last;
    return substr($blocks, $off - $first * 16, $len);
}

sub parse_echo ($text) {
    return undef unless defined $text && $text =~ /\Abackend /;
    my $sep = index($text, "\n\n");
    return undef if $sep < 0;
    my %e = (headers => [], body => substr($text, $sep + 2));
    for my $line (split /\n/, substr($text, 0, $sep)) {
        if ($line =~ /^header ([^:]+): (.*)$/) {
            push @{ $e{headers} }, [$1, $2];
        }
        elsif ($line =~ /^([\w-]+) (.*)$/) {
            (my $k = $1) =~ tr/-/_/;
            $e{$k} = $2;
        }
    }
    $e{h} = _header_index($e{headers});
    return \%e;
}

sub unused_port () {
    return Test::Warden::reserve_port(\%PORT_LOCKS);
}

sub sse_events ($sock, %opt) {
    my $count = $opt{count} // 1e9;
    my $deadline = time + ($opt{timeout} // 5);
    my $sel = IO::Select->new($sock);
    my ($buf, $body, $res, $chunked, @events) = ('', '');
    while (@events < $count) {
        my $left = $deadline - time;
        last if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($sock, $buf, 65536, length $buf);
        next if !defined $n && ($! == EINTR || $! == EAGAIN);
        unless ($n) { $res->{eof} = 1 if $res; last }
        my $now = time;
        unless ($res) {
            next unless $buf =~ /\r?\n\r?\n/;
            $res = parse_response(substr($buf, 0, $+[0], ''));
            $chunked = ($res->{headers}{'transfer-encoding'} // '')
                =~ /chunked/i;
        }
        if ($chunked) {
            while ($buf =~ /\A([0-9a-fA-F]+)[^\r\n]*\r\n/
                && length $buf >= $+[0] + hex($1) + 2)
            {
                $res->{complete} = 1 if hex($1) == 0;
                $body .= substr($buf, $+[0], hex $1);
                substr($buf, 0, $+[0] + hex($1) + 2) = '';
            }
        }
        else {
            $body .= $buf;
            $buf = '';
        }
        while ($body =~ s/\A(.*?)\r?\n\r?\n//s) {
            push @events, _sse_event($1, $now);
        }
        last if $res->{complete};
    }
    return { %{ $res // {} }, events => \@events, eof => $res->{eof} // 0,
        complete => $res->{complete} // 0 };
}

sub _sse_event ($block, $at) {
    my %e = (at => $at);
    for my $line (split /\r?\n/, $block) {
        next unless $line =~ /^(\w+): ?(.*)$/;
        $e{$1} = exists $e{$1} && $1 eq 'data' ? "$e{$1}\n$2" : $2;
    }
    @e{qw(seq time)} = ($1, $2)
        if ($e{data} // '') =~ /seq=(\d+) time=([\d.]+)/;
    return \%e;
}

1;
