package Test::Warden::WebSocket;

=head1 NAME

Test::Warden::WebSocket - RFC 6455 frame codec and a small WebSocket client
for the tests

=head1 SYNOPSIS

    use Test::Warden::WebSocket;

    my $ws = Test::Warden::WebSocket->connect(port => $t->port(0),
        path => '/ws', host => 'localhost');
    ok($ws && $ws->upgraded, '101 with the right Sec-WebSocket-Accept');
    $ws->send_text('hello');
    my $m = $ws->read_message;             # { type => 'text', data => ... }
    $ws->send_fragments(binary => "\x00\x01", "\x02");
    $ws->ping('p');
    $ws->close(1000, 'bye');
    my $f = $ws->read_frame;               # { type => 'close', code => 1000 }
    ok($ws->is_closed, 'server closed the TCP connection');

=head1 DESCRIPTION

The echo server in L<Test::Warden::Backend> uses the codec; the client is
for tests that talk to warden, which tunnels to that server.

=head2 Codec (exportable)

=over

=item ws_accept($key)

The C<Sec-WebSocket-Accept> value for a C<Sec-WebSocket-Key>.

=item ws_encode(%frame)

Bytes of one frame. C<opcode> (number) or C<type> (C<text>, C<binary>,
C<continuation>, C<close>, C<ping>, C<pong>; default C<text>), C<payload>
(bytes; a string with wide characters is UTF-8 encoded), C<fin> (default 1),
C<rsv> (0..7), C<mask> (true: masked, as a client must), C<mask_key> (4
bytes; random by default), C<length> (the length to announce, for lying
frames; default the payload's).

=item ws_decode(\$buffer)

Takes one whole frame off the front of the buffer and returns it as
C<< { fin, rsv, opcode, type, masked, length, payload } >> (payload
unmasked; a close frame also has C<code> and C<reason>), or undef if the
buffer does not yet hold a whole frame. Dies on a length over 2**31.

=back

=head2 Client

=over

=item Test::Warden::WebSocket->connect(port => N, %opt)

Connects to C<addr> (default 127.0.0.1) C<port>, sends the Upgrade request
and reads the response head. Options: C<path> (default C</>), C<host>
(the Host header, default C<addr:port>; undef omits it), C<headers>
(arrayref of name => value pairs), C<protocol> (Sec-WebSocket-Protocol),
C<key>, C<version> (default 13), C<timeout> (default 5 s, also the default
for reads), C<ssl> and C<sni> (TLS without verification). Returns undef
if the TCP connection fails (reason in C<$@>), else the client object,
whatever the status: check C<upgraded>.

=item $ws->status, $ws->response, $ws->upgraded

The response status, the parsed response (C<parse_response> format, with
any body bytes read so far), and true if it is a 101 with
C<Upgrade: websocket> and the right C<Sec-WebSocket-Accept>.

=item $ws->send_text($s), $ws->send_binary($b), $ws->ping($data),
$ws->pong($data), $ws->close($code, $reason)

One masked frame each. C<close> with no code sends an empty close frame.

=item $ws->send_fragments($type, @parts)

One message in C<@parts> frames: the first of type C<$type> with FIN
clear, then continuations, the last with FIN set.

=item $ws->send_frame(%frame), $ws->send_raw($bytes)

Any frame (C<ws_encode> options, masked unless C<< mask => 0 >>), or any
bytes. All the send methods return false if the write failed.

=item $ws->read_frame(timeout => N)

The next frame, or undef on timeout or EOF (then C<< $ws->eof >> is true).

=item $ws->read_message(timeout => N)

The next control frame, or the next whole data message with its fragments
joined: C<< { type, opcode, data, frames } >> (plus C<code> and C<reason>
for a close).

=item $ws->is_closed(timeout => 2)

True if the server closes the TCP connection within the timeout; frames
that arrive first are skipped.

=item $ws->socket, $ws->eof, $ws->disconnect

=back

=cut

use v5.36;
use Carp qw(croak);
use Digest::SHA qw(sha1_base64);
use Errno qw(EINTR EAGAIN);
use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);
use Test::Warden qw(parse_response);

our @EXPORT_OK = qw(ws_accept ws_encode ws_decode);

my $GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
my %OPCODE = (continuation => 0, text => 1, binary => 2,
    close => 8, ping => 9, pong => 10);
my %TYPE = reverse %OPCODE;

# ---------------------------------------------------------------------------
# Codec

sub ws_accept ($key) { sha1_base64($key . $GUID) . '=' }

sub _xor ($data, $key) {
    my $len = length $data;
    return $data unless $len;
    return $data ^. substr($key x (int($len / 4) + 1), 0, $len);
}

sub ws_encode (%f) {
    my $op = $f{opcode} // $OPCODE{ $f{type} // 'text' }
        // croak "ws_encode: unknown frame type $f{type}";
    my $payload = $f{payload} // '';
    if ($payload =~ /[^\x00-\xff]/) { utf8::encode($payload) }
    else                            { utf8::downgrade($payload) }
    my $len = $f{length} // length $payload;
    my $b0 = (($f{fin} // 1) ? 0x80 : 0) | (($f{rsv} // 0) << 4) | $op;
    my $b1 = $f{mask} ? 0x80 : 0;
    my $head = $len < 126 ? pack('CC', $b0, $b1 | $len)
        : $len < 65536 ? pack('CCn', $b0, $b1 | 126, $len)
        : pack('CCQ>', $b0, $b1 | 127, $len);
    if ($f{mask}) {
        my $key = $f{mask_key} // pack('N', int rand 2**32);
        $head .= $key;
        $payload = _xor($payload, $key);
    }
    return $head . $payload;
}

sub ws_decode ($buf) {
    my $have = length $$buf;
    return undef if $have < 2;
    my ($b0, $b1) = unpack 'CC', $$buf;
    my ($len, $off) = ($b1 & 0x7f, 2);
    if ($len == 126) {
        return undef if $have < 4;
        ($len, $off) = (unpack('n', substr($$buf, 2, 2)), 4);
    }
    elsif ($len == 127) {
        return undef if $have < 10;
        ($len, $off) = (unpack('Q>', substr($$buf, 2, 8)), 10);
    }
    die "websocket frame too large ($len bytes)\n" if $len > 2**31;
    my $key;
    if ($b1 & 0x80) {
        return undef if $have < $off + 4;
        $key = substr($$buf, $off, 4);
        $off += 4;
    }
    return undef if $have < $off + $len;
    my $payload = substr($$buf, $off, $len);
    substr($$buf, 0, $off + $len) = '';
    my %f = (fin => $b0 >> 7, rsv => ($b0 >> 4) & 7, opcode => $b0 & 0x0f,
        masked => defined $key ? 1 : 0, length => $len,
        payload => defined $key ? _xor($payload, $key) : $payload);
    $f{type} = $TYPE{ $f{opcode} } // 'unknown';
    if ($f{opcode} == 8 && $len >= 2) {
        $f{code} = unpack 'n', $f{payload};
        $f{reason} = substr($f{payload}, 2);
    }
    return \%f;
}

# ---------------------------------------------------------------------------
# Client

sub connect ($class, %opt) {
    my $addr = $opt{addr} // '127.0.0.1';
    my $port = $opt{port} // croak 'Test::Warden::WebSocket: port required';
    my $timeout = $opt{timeout} // 5;
    $SIG{PIPE} = 'IGNORE';
    my $sock = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $port,
        Proto => 'tcp', Timeout => $timeout) or return undef;
    if ($opt{ssl}) {
        require IO::Socket::SSL;
        IO::Socket::SSL->start_SSL($sock, SSL_verify_mode => 0,
            SSL_hostname => $opt{sni} // '', Timeout => $timeout)
            or do { $@ = IO::Socket::SSL::errstr(); return undef };
    }
    my $key = $opt{key}
        // encode_base64(pack('N4', map { rand 2**32 } 1 .. 4), '');
    my $self = bless { sock => $sock, buf => '', timeout => $timeout,
        key => $key }, $class;
    $self->send_raw($self->_upgrade_request($addr, $port, %opt));
    $self->_read_head;
    return $self;
}

sub _upgrade_request ($self, $addr, $port, %opt) {
    my $host = exists $opt{host} ? $opt{host} : "$addr:$port";
    my $req = 'GET ' . ($opt{path} // '/') . " HTTP/1.1\r\n";
    $req .= "Host: $host\r\n" if defined $host;
    $req .= "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        . "Sec-WebSocket-Key: $self->{key}\r\n"
        . 'Sec-WebSocket-Version: ' . ($opt{version} // 13) . "\r\n";
    $req .= "Sec-WebSocket-Protocol: $opt{protocol}\r\n" if $opt{protocol};
    my @h = @{ $opt{headers} // [] };
    while (my ($name, $value) = splice @h, 0, 2) {
        $req .= "$name: $value\r\n";
    }
    return "$req\r\n";
}

sub _read_head ($self) {
    my $deadline = time + $self->{timeout};
    until ($self->{buf} =~ /\r?\n\r?\n/) {
        $self->_fill($deadline) or last;
    }
    if ($self->{buf} =~ /\r?\n\r?\n/) {
        my $head = substr($self->{buf}, 0, $+[0]);
        substr($self->{buf}, 0, $+[0]) = '';
        $self->{response} = parse_response($head);
        # A refusal's body stays readable through response().
        $self->{response}{body} = $self->{buf} if $self->status != 101;
    }
    else {
        $self->{response} = parse_response($self->{buf});
    }
}

sub status ($self)   { $self->{response} && $self->{response}{status} }
sub response ($self) { $self->{response} }
sub socket ($self)   { $self->{sock} }
sub eof ($self)      { $self->{eof} // 0 }

sub upgraded ($self) {
    my $h = $self->{response} ? $self->{response}{headers} : {};
    return ($self->status // 0) == 101
        && ($h->{upgrade} // '') =~ /^websocket$/i
        && ($h->{'sec-websocket-accept'} // '') eq ws_accept($self->{key})
        ? 1 : 0;
}

# Reads more bytes into the buffer; false on EOF, error or timeout.
sub _fill ($self, $deadline) {
    my $s = $self->{sock};
    my $sel = IO::Select->new($s);
    while (1) {
        unless ($s->can('pending') && $s->pending) {
            my $left = $deadline - time;
            return 0 if $left <= 0;
            next unless $sel->can_read($left);
        }
        my $n = sysread($s, $self->{buf}, 65536, length $self->{buf});
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            $self->{eof} = 1;
            return 0;
        }
        $self->{eof} = 1 if $n == 0;
        return $n ? 1 : 0;
    }
}

sub send_raw ($self, $bytes) {
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
        if (!defined $n) {
            next if $! == EINTR;
            return 0;
        }
        $off += $n;
    }
    return 1;
}

sub send_frame ($self, %f) { $self->send_raw(ws_encode(mask => 1, %f)) }

sub send_text ($self, $text) {
    $self->send_frame(type => 'text', payload => $text);
}

sub send_binary ($self, $data) {
    $self->send_frame(type => 'binary', payload => $data);
}

sub ping ($self, $data = '') {
    $self->send_frame(type => 'ping', payload => $data);
}

sub pong ($self, $data = '') {
    $self->send_frame(type => 'pong', payload => $data);
}

sub close ($self, $code = undef, $reason = '') {
    my $payload = defined $code ? pack('n', $code) . $reason : '';
    $self->send_frame(type => 'close', payload => $payload);
}

sub send_fragments ($self, $type, @parts) {
    my $frames = '';
    for my $i (0 .. $#parts) {
        $frames .= ws_encode(mask => 1, payload => $parts[$i],
            type => $i ? 'continuation' : $type, fin => $i == $#parts);
    }
    return $self->send_raw($frames);
}

sub read_frame ($self, %opt) {
    my $deadline = time + ($opt{timeout} // $self->{timeout});
    while (1) {
        my $f = ws_decode(\$self->{buf});
        return $f if $f;
        $self->_fill($deadline) or return undef;
    }
}

sub read_message ($self, %opt) {
    my $deadline = time + ($opt{timeout} // $self->{timeout});
    my $msg;
    while (1) {
        my $f = $self->read_frame(timeout => $deadline - time) // return undef;
        if ($f->{opcode} >= 8) {
            return { type => $f->{type}, opcode => $f->{opcode},
                data => $f->{payload}, frames => 1,
                map { exists $f->{$_} ? ($_ => $f->{$_}) : () }
                    qw(code reason) };
        }
        $msg //= { type => $f->{type}, opcode => $f->{opcode}, data => '',
            frames => 0 };
        $msg->{data} .= $f->{payload};
        $msg->{frames}++;
        return $msg if $f->{fin};
    }
}

sub is_closed ($self, %opt) {
    my $deadline = time + ($opt{timeout} // 2);
    $self->{buf} = '' while $self->_fill($deadline);
    return $self->{eof} ? 1 : 0;
}

sub disconnect ($self) {
    CORE::close($self->{sock}) if $self->{sock};
    delete $self->{sock};
}

1;
