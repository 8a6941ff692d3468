#!/usr/bin/perl
# Tests for the proxy tests' backends (t/lib/Test/Warden/Backend.pm) and
# the WebSocket client (t/lib/Test/Warden/WebSocket.pm), over real sockets
# and without warden: echo and keep-alive, request bodies, steering by URL,
# handlers, many connections, slow and broken responses byte for byte,
# early idle close, WebSocket echo, SSE timing, and the backends' life
# cycle (stop, restart, unix sockets, lifetime, parent death).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5 qw(md5_hex);
use Errno qw(ECONNRESET EINTR);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(_exit);
use Socket qw(SOCK_STREAM);
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response dechunk);
use Test::Warden::HTTP qw(read_response is_closed);
use Test::Warden::Backend qw(body_pattern parse_echo unused_port
    sse_events);
use Test::Warden::WebSocket qw(ws_accept ws_encode ws_decode);

$SIG{PIPE} = 'IGNORE';

sub backend (%opt) { Test::Warden::Backend->start(%opt) }

sub tcp ($b) {
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => ref $b ? $b->port : $b, Proto => 'tcp', Timeout => 3);
}

# Sends $req on a new connection and reads to EOF: { data, eof, err,
# first (seconds to the first byte), end (seconds to EOF) }.
sub talk ($b, $req, %opt) {
    my $start = time;
    my $s = tcp($b) or return { err => "connect: $!", data => '' };
    syswrite($s, $req);
    my %r = (data => '', eof => 0);
    my $sel = IO::Select->new($s);
    my $deadline = $start + ($opt{timeout} // 3);
    while ((my $left = $deadline - time) > 0) {
        next unless $sel->can_read($left);
        my $n = sysread($s, $r{data}, 65536, length $r{data});
        if (!defined $n) {
            next if $! == EINTR;
            $r{err} = $! + 0;
            last;
        }
        $r{first} //= time - $start if $n;
        if ($n == 0) {
            $r{eof} = 1;
            last;
        }
    }
    $r{end} = time - $start;
    return \%r;
}

sub get11 ($path, @h) {
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n";
    while (my ($k, $v) = splice @h, 0, 2) { $req .= "$k: $v\r\n" }
    return "$req\r\n";
}

subtest 'echo and keep-alive' => sub {
    my $b = backend(name => 'e1');
    my $s = tcp($b);
    print {$s} "GET /a?x=1 HTTP/1.1\r\nHost: example.org\r\n"
        . "X-Mixed-Case: One\r\nx-dup: 1\r\nX-Dup: 2\r\n\r\n";
    my $r = read_response($s);
    is($r->{status}, 200, 'status 200');
    is($r->{headers}{'x-backend'}, 'e1', 'X-Backend');
    is($r->{headers}{'x-backend-conn'}, 1, 'X-Backend-Conn');
    is($r->{headers}{'x-backend-request'}, 1, 'X-Backend-Request');
    ok(!exists $r->{headers}{connection}, 'HTTP/1.1: no Connection header');
    my $e = parse_echo($r->{body});
    is("$e->{backend} $e->{conn} $e->{request} $e->{method} $e->{uri} "
        . "$e->{proto}", 'e1 1 1 GET /a?x=1 HTTP/1.1', 'echo: request');
    is_deeply($e->{headers}, [['Host', 'example.org'],
        ['X-Mixed-Case', 'One'], ['x-dup', 1], ['X-Dup', 2]],
        'echo: headers in order and case');
    is_deeply($e->{h}{'x-dup'}, [1, 2], 'echo: repeated header');

    print {$s} get11('/b');
    $r = read_response($s);
    is(parse_echo($r->{body})->{request}, 2, 'second request, same connection');
    is($r->{headers}{'x-backend-conn'}, 1, 'same connection number');
    close $s;

    my $req = $b->last_request;
    is("$req->{method} $req->{uri} $req->{path} $req->{n} $req->{conn}",
        'GET /b /b 2 1', 'record: last request');
    my @all = $b->requests;
    is(scalar @all, 2, 'two request records');
    is($all[0]{request_line}, 'GET /a?x=1 HTTP/1.1', 'record: request line');
    is($all[0]{query}, 'x=1', 'record: query');
    is_deeply($all[0]{headers}[1], ['X-Mixed-Case', 'One'],
        'record: header case');
    is($all[0]{h}{host}, 'example.org', 'record: header index');
    is($all[0]{backend}, 'e1', 'record: backend name');

    my $t = talk($b, "GET /c HTTP/1.0\r\n\r\n");
    $r = parse_response($t->{data});
    is($r->{headers}{connection}, 'close', 'HTTP/1.0: Connection: close');
    ok($t->{eof}, 'HTTP/1.0: closed');
    $s = tcp($b);
    print {$s} "GET /d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    $r = read_response($s);
    is($r->{headers}{connection}, 'keep-alive',
        'HTTP/1.0 keep-alive: Connection: keep-alive');
    print {$s} get11('/e', Connection => 'close');
    $r = read_response($s);
    is($r->{headers}{connection}, 'close', 'Connection: close asked');
    ok($r->{closed} || is_closed($s), 'and closed');
    my @c = $b->wait_closed(count => 3);
    is(scalar @c, 3, 'three connections');
    is($c[0]{requests}, 2, 'first: two requests');
    is($c[0]{by}, 'peer', 'first: closed by the client');
    is($c[2]{by}, 'server', 'third: closed by the server');
};

subtest 'request bodies' => sub {
    my $b = backend();
    my $s = tcp($b);
    print {$s} "POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        . "POST /ch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n"
        . get11('/after');
    my @r = map { read_response($s) } 1 .. 3;
    is(parse_echo($r[0]{body})->{body}, 'hello', 'Content-Length body echoed');
    is(parse_echo($r[1]{body})->{body}, 'abcdefg', 'chunked body echoed');
    is(parse_echo($r[2]{body})->{uri}, '/after', 'pipelined request after');
    my @q = $b->requests;
    is("$q[0]{body} $q[0]{body_length}", 'hello 5', 'record: body');
    ok($q[1]{chunked}, 'record: chunked');
    is_deeply($q[1]{chunks}, [3, 4], 'record: chunk sizes');
    is_deeply($q[1]{trailers}, [['X-Trailer', 't']], 'record: trailers');

    print {$s} "PUT /big HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
        . "Content-Length: 300000\r\n\r\n";
    my $r = read_response($s);
    is($r->{status}, 100, '100 Continue');
    print {$s} 'z' x 300000;
    $r = read_response($s);
    is(parse_echo($r->{body})->{body_length}, 300000, 'large body read');
    is($b->last_request->{body_md5}, md5_hex('z' x 300000),
        'record: body md5');

    my $t = talk($b, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
        . "Content-Length: 2\r\n\r\nab");
    like($t->{data}, qr{^HTTP/1.1 400 .*bad Content-Length}s,
        'conflicting Content-Length: 400');
    $t = talk($b, "BAD\r\n\r\n");
    like($t->{data}, qr{^HTTP/1.1 400 }, 'bad request line: 400');
    ok($t->{eof}, 'and closed');
    is($b->last_request->{error}, 'bad request line', 'record: error');
};

subtest 'steering by URL and spec options' => sub {
    my $b = backend(name => 'st');
    my $t = talk($b, get11('/size/100000', Connection => 'close'));
    my $r = parse_response($t->{data});
    is($r->{headers}{'content-length'}, 100000, '/size/N: Content-Length');
    ok($r->{body} eq body_pattern(100000), '/size/N: the pattern');
    is(body_pattern(20, 10), "00000\n00000000000001", 'body_pattern offset');

    $r = parse_response(talk($b, get11('/status/404?size=3', Connection =>
        'close'))->{data});
    is("$r->{status} $r->{reason} $r->{body}", '404 Not Found 000',
        '/status/N with size');
    $r = parse_response(talk($b, get11('/x?status=204',
        Connection => 'close'))->{data});
    ok($r->{status} == 204 && !exists $r->{headers}{'content-length'}
        && $r->{body} eq '', '204: no body, no length');

    $t = talk($b, get11('/c?chunked=1&chunk_size=4000&size=10000'
        . '&header=X-A:%201&header=X-B:2', Connection => 'close'));
    $r = parse_response($t->{data}, dechunk => 1);
    is($r->{headers}{'transfer-encoding'}, 'chunked', 'chunked=1');
    ok($r->{body} eq body_pattern(10000) && !$r->{chunked_error},
        'chunked body decodes');
    is(() = $t->{data} =~ /\r\n(?:fa0|7d0)\r\n/g, 3, 'chunk_size: 3 chunks');
    is("$r->{headers}{'x-a'} $r->{headers}{'x-b'}", '1 2', 'header=');

    my $s = tcp($b);
    print {$s} "HEAD /size/50 HTTP/1.1\r\nHost: a\r\n\r\n" . get11('/after');
    $r = read_response($s, head => 1);
    ok($r->{headers}{'content-length'} == 50 && $r->{body} eq '',
        'HEAD: length, no body');
    is(parse_echo(read_response($s)->{body})->{uri}, '/after',
        'HEAD: next response intact');

    print {$s} get11('/k?keepalive_timeout=7');
    $r = read_response($s);
    is($r->{headers}{'keep-alive'}, 'timeout=7', 'Keep-Alive: timeout=7');

    my $b2 = backend(keepalive_requests => 2, status => 201,
        headers => ['X-Fixed' => 'f'], query => 0);
    $s = tcp($b2);
    print {$s} get11('/status/500?status=404') . get11('/2');
    my @r = map { read_response($s) } 1 .. 2;
    is($r[0]{status}, 201, 'constructor status; query => 0 ignores URL');
    is($r[0]{headers}{'x-fixed'}, 'f', 'constructor headers');
    ok(!$r[0]{headers}{connection} && $r[1]{headers}{connection} eq 'close',
        'keepalive_requests 2: second response closes');
    ok($r[1]{closed} || is_closed($s), 'and the connection is closed');

    like(talk($b, get11('/?kind=nosuch'))->{data}, qr{^HTTP/1.1 400 },
        'unknown kind: 400');

    my $b3 = backend(chunked => 1, trailers => ['X-T' => 'v'], bare => 1,
        reason => 'Fine', body => 'abc');
    $t = talk($b3, get11('/', Connection => 'close'));
    is($t->{data}, "HTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "3\r\nabc\r\n0\r\nX-T: v\r\n\r\n", 'bare, reason, trailers');
    $b3->clear;
    is($b3->request_count, 0, 'clear');

    my $b4 = backend(handler => sub ($req) {
        return { raw => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            then => 'keep' };
    });
    $s = tcp($b4);
    print {$s} get11('/1') . get11('/2');
    @r = map { read_response($s) } 1 .. 2;
    is(join(' ', map { $_->{body} } @r), 'ok ok', 'raw, then keep');
};

subtest 'handler' => sub {
    my $b = backend(handler => sub ($req) {
        return "plain $req->{conn}/$req->{n}\n" if $req->{path} eq '/plain';
        die "oops\n" if $req->{path} eq '/die';
        return undef if $req->{path} eq '/default';
        return { status => 302, headers => [Location => "/to$req->{path}"],
            body => '', close => 1 };
    });
    my $r = parse_response(talk($b, get11('/x'))->{data});
    is("$r->{status} $r->{headers}{location}", '302 /to/x', 'spec returned');
    $r = parse_response(talk($b, get11('/plain', Connection => 'close'))
        ->{data});
    is("$r->{status} $r->{body}", "200 plain 2/1\n", 'string returned');
    $r = parse_response(talk($b, get11('/die'))->{data});
    is("$r->{status} $r->{body}", "500 handler died: oops\n", 'handler died');
    $r = parse_response(talk($b, get11('/default', Connection => 'close'))
        ->{data});
    is(parse_echo($r->{body})->{uri}, '/default', 'undef: the kind answers');
};

subtest 'many concurrent connections' => sub {
    my $b = backend();
    my $n = 40;
    my @s = map { tcp($b) } 1 .. $n;
    is(scalar(grep { defined } @s), $n, "$n connections open");
    print {$_} get11('/one') for @s;
    print {$_} get11('/two', Connection => 'close') for @s;
    my ($ok, %conn) = (0);
    for my $s (@s) {
        my @r = map { read_response($s) } 1 .. 2;
        $ok++ if ($r[0]{status} // 0) == 200 && ($r[1]{status} // 0) == 200;
        $conn{ $r[0]{headers}{'x-backend-conn'} // 0 }++;
    }
    is($ok, $n, 'every connection got both responses');
    is(scalar keys %conn, $n, 'each on its own connection');
    is($b->connection_count, $n, 'connection_count');
    is(scalar(my @r = $b->wait_requests(2 * $n)), 2 * $n, 'all recorded');
};

subtest 'slow' => sub {
    my $b = backend(kind => 'slow', delay => 0.25, body_delay => 0.1,
        size => 300, pieces => 3);
    my $t = talk($b, get11('/', Connection => 'close'));
    my $r = parse_response($t->{data});
    ok($r->{body} eq body_pattern(300), 'whole body');
    ok($t->{first} >= 0.24, "first byte after the delay ($t->{first})");
    ok($t->{end} >= 0.24 + 3 * 0.095, "body after 3 pauses ($t->{end})");
    ok($t->{end} < 2, 'not much later');

    $t = talk($b, get11('/?delay=0&body_delay=0.05&chunked=1',
        Connection => 'close'));
    $r = parse_response($t->{data}, dechunk => 1);
    ok($r->{body} eq body_pattern(300) && $t->{first} < 0.2,
        "URL overrides: no head delay ($t->{first})");
    is(() = $t->{data} =~ /\r\n64\r\n/g, 3, 'three chunks of 100');
    ok($t->{end} >= 0.14, "chunks 0.05 s apart ($t->{end})");
};

subtest 'broken responses, byte for byte' => sub {
    my $b = backend();
    my $req = get11('/');
    my %want = (
        bad_status => "HTTX/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad",
        garbage    => "\x00\x01\x02 this is not HTTP\r\n\r\n",
        dup_length => "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
            . "Content-Length: 7\r\n\r\nhello",
    );
    for my $kind (sort keys %want) {
        my $t = talk($b, get11("/?kind=$kind"));
        is($t->{data}, $want{$kind}, "$kind: the bytes");
        ok($t->{eof}, "$kind: then EOF");
    }

    my $t = talk($b, get11('/?kind=truncated_chunked'));
    my ($head, $body) = split /\r\n\r\n/, $t->{data}, 2;
    like($head, qr/^Transfer-Encoding: chunked\r?$/m, 'truncated: chunked');
    is($body, "1f4\r\n" . body_pattern(500) . "\r\n1f4\r\n"
        . body_pattern(500, 500) . "\r\n", 'truncated: two chunks, no last');
    ok($t->{eof}, 'truncated: then EOF');

    $t = talk($b, get11('/?kind=short_body'));
    my $r = parse_response($t->{data});
    ok($r->{headers}{'content-length'} == 100 && $r->{body} eq "short body\n"
        && $t->{eof}, 'short_body: 100 announced, 11 sent, EOF');

    $t = talk($b, get11('/?kind=close_mid'));
    $r = parse_response($t->{data});
    ok($r->{headers}{'content-length'} == 10000
        && $r->{body} eq body_pattern(5000) && $t->{eof},
        'close_mid: 10000 announced, 5000 sent, EOF');
    ok($t->{end} >= 0.18, "close_mid: after two pauses ($t->{end})");

    $t = talk($b, get11('/?kind=huge_header', Connection => 'close'));
    $r = parse_response($t->{data});
    is(length $r->{headers}{'x-huge'}, 65536, 'huge_header: 64 KiB header');

    $t = talk($b, get11('/?kind=close_delimited'));
    $r = parse_response($t->{data});
    ok($t->{data} =~ m{^HTTP/1.0 200 OK\r\n} && !$r->{headers}{'content-length'}
        && !$r->{headers}{'transfer-encoding'} && $t->{eof}
        && parse_echo($r->{body}), 'close_delimited: no length, EOF');

    $t = talk($b, "POST /?kind=no_response HTTP/1.1\r\nHost: a\r\n"
        . "Content-Length: 3\r\n\r\nabc");
    ok($t->{eof} && $t->{data} eq '' && !$t->{err}, 'no_response: EOF');
    is($b->last_request->{body}, 'abc', 'no_response: request read first');

    $t = talk($b, get11('/?kind=reset'));
    ok($t->{data} eq '' && ($t->{err} // 0) == ECONNRESET, 'reset: RST')
        or diag explain $t;

    $t = talk($b, get11('/?kind=hang'), timeout => 0.3);
    ok($t->{data} eq '' && !$t->{eof}, 'hang: nothing, still open');

    my $kb = backend(kind => 'bad_status');
    is(talk($kb, $req)->{data}, $want{bad_status}, 'as the kind option');
};

subtest 'early idle close' => sub {
    my $b = backend(kind => 'idle_close', idle_timeout => 0.3);
    my $s = tcp($b);
    print {$s} get11('/1');
    my $r = read_response($s);
    ok(!exists $r->{headers}{'keep-alive'}, 'no Keep-Alive header');
    sleep 0.15;
    print {$s} get11('/2');
    $r = read_response($s);
    is($r->{headers}{'x-backend-request'}, 2, 'a request within the time');
    my $start = time;
    ok(is_closed($s, timeout => 3), 'idle connection closed');
    my $took = time - $start;
    ok($took >= 0.25 && $took < 1.5, "after about 0.3 s ($took)");
    is(($b->connections)[0]{by}, 'idle', 'record: closed as idle');

    $s = tcp($b);
    print {$s} get11('/?keepalive_timeout=5');
    is(read_response($s)->{headers}{'keep-alive'}, 'timeout=5',
        'can advertise more');
};

subtest 'websocket' => sub {
    my $b = backend(kind => 'websocket', name => 'ws');
    my $ws = Test::Warden::WebSocket->connect(port => $b->port,
        path => '/chat', protocol => 'p1, p2');
    ok($ws && $ws->upgraded, 'upgraded') or diag explain $ws->response;
    is($ws->response->{headers}{'sec-websocket-protocol'}, 'p1',
        'first protocol chosen');
    is($b->last_request->{h}{upgrade}, 'websocket', 'handshake recorded');

    $ws->send_text("snow \x{2603}");
    my $m = $ws->read_message;
    is("$m->{type} $m->{data}", "text snow \xe2\x98\x83",
        'text echoed (UTF-8)');
    my $bin = join '', map { chr } 0 .. 255;
    for my $len (0, 125, 126, 65535, 65536, 200000) {
        $ws->send_binary(substr($bin x 800, 0, $len));
        $m = $ws->read_message;
        ok($m->{type} eq 'binary' && $m->{data} eq substr($bin x 800, 0, $len),
            "binary of $len bytes echoed");
    }

    $ws->send_frame(type => 'text', fin => 0, payload => 'frag');
    $ws->ping('mid');
    $ws->send_frame(type => 'continuation', fin => 0, payload => 'men');
    $ws->send_frame(type => 'continuation', fin => 1, payload => 'ted');
    $m = $ws->read_message;
    is("$m->{type} $m->{data}", 'pong mid', 'ping between fragments: pong');
    my $f = $ws->read_frame;
    ok($f->{fin} && $f->{type} eq 'text' && $f->{payload} eq 'fragmented'
        && !$f->{masked}, 'fragments echoed as one unmasked frame');
    $ws->send_fragments(binary => 'a', 'b', 'c');
    is($ws->read_message->{data}, 'abc', 'send_fragments');

    $ws->close(4001, 'bye');
    $f = $ws->read_frame;
    is("$f->{type} $f->{code} $f->{reason}", 'close 4001 bye', 'close echoed');
    ok($ws->is_closed, 'then the TCP connection closes');
    my @msg = $b->ws_messages;
    is(join(',', map { "$_->{message}:$_->{frames}" } @msg[0, -3, -2, -1]),
        'text:1,text:3,binary:3,close:1', 'messages recorded');

    $ws = Test::Warden::WebSocket->connect(port => $b->port);
    $ws->send_raw(ws_encode(type => 'text', payload => 'x'));
    $f = $ws->read_frame;
    is("$f->{type} $f->{code}", 'close 1002', 'unmasked frame: close 1002');

    my $t = talk($b, get11('/no-upgrade', Connection => 'close'));
    like($t->{data}, qr{^HTTP/1.1 400 }, 'not a handshake: 400');

    my $buf = ws_encode(type => 'ping', payload => 'abc', mask => 1);
    is(length $buf, 2 + 4 + 3, 'codec: masked ping length');
    $f = ws_decode(\$buf);
    ok($f->{masked} && $f->{payload} eq 'abc' && $buf eq '', 'codec: decode');
    is(ws_accept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
        'ws_accept: the RFC 6455 example');
};

subtest 'server-sent events' => sub {
    my $b = backend(kind => 'sse', interval => 0.12, count => 4);
    my $s = tcp($b);
    print {$s} get11('/events');
    my $r = sse_events($s, timeout => 3);
    ok($r->{complete} && !$r->{eof}, 'read to the last chunk');
    is($r->{status}, 200, 'status 200');
    is($r->{headers}{'content-type'}, 'text/event-stream', 'content type');
    is($r->{headers}{'transfer-encoding'}, 'chunked', 'chunked for 1.1');
    my @e = @{ $r->{events} };
    is(join(',', map { "$_->{id}/$_->{seq}/$_->{event}" } @e),
        '1/1/tick,2/2/tick,3/3/tick,4/4/tick', 'four events');
    my @late = grep { $_->{at} - $_->{time} > 0.1 } @e;
    ok(!@late, 'each arrives as soon as written')
        or diag explain \@e;
    my @gaps = map { $e[$_]{at} - $e[$_ - 1]{at} } 1 .. $#e;
    ok(!(grep { $_ < 0.08 } @gaps), "spaced in time (@gaps)");
    print {$s} get11('/after?kind=echo', Connection => 'close');
    like((read_response($s) // {})->{body} // '',
        qr{^uri /after\?kind=echo$}m,
        'the connection is kept after the last chunk');

    $s = tcp($b);
    print {$s} "GET /?count=2&interval=0.05 HTTP/1.0\r\n\r\n";
    $r = sse_events($s, timeout => 3);
    ok(!$r->{headers}{'transfer-encoding'} && $r->{eof}
        && @{ $r->{events} } == 2, 'HTTP/1.0: close-delimited, 2 events');
};

subtest 'life cycle' => sub {
    my $port = unused_port();
    ok(!tcp($port), 'unused_port: refused');
    my $b = backend(port => $port, name => 'lc');
    is($b->port, $port, 'listens on the given port');
    is($b->addr, "127.0.0.1:$port", 'addr');
    ok($b->is_running, 'running');
    my $s = tcp($b);
    $b->stop;
    ok(!$b->is_running, 'stopped');
    ok(!tcp($port), 'stop: refused');
    ok(is_closed($s, timeout => 1), 'stop: open connections closed');
    $b->restart;
    like(talk($b, get11('/', Connection => 'close'))->{data},
        qr/^conn 1$/m, 'restart: serves again, on the same port');
    undef $b;
    ok(!tcp($port), 'destroyed: refused');

    # A socket held by the test when a backend starts must not be held by
    # the backend too: closing it must reach the peer.
    my $b1 = backend(name => 'peer');
    $s = tcp($b1);
    print {$s} get11('/');
    read_response($s);
    my $b2 = backend(name => 'other');
    close $s;
    is((($b1->wait_closed(timeout => 2))[0]{by} // ''), 'peer',
        'a socket the test closes is closed for the backend');

    my $path = $b1->dir . '/u.sock';
    my $u = backend(unix => $path, name => 'unix');
    is($u->addr, "unix:$path", 'unix: addr');
    my $us = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path);
    print {$us} get11('/u', Connection => 'close');
    like(read_response($us)->{body}, qr/^uri \/u$/m, 'unix: serves');
    is($u->last_request->{peer}, 'unix', 'unix: peer');
    $u->stop;
    ok(!-e $path, 'unix: socket removed');

    my $l = backend(lifetime => 0.3);
    my $start = time;
    sleep 0.02 while $l->is_running && time - $start < 4;
    ok(!$l->is_running, sprintf 'lifetime: gone after %.1f s', time - $start);

    # The test process dies (SIGKILL, no END): its backend, with a live
    # connection, follows within about half a second.
    pipe(my $rd, my $wr) or die "pipe: $!";
    pipe(my $go_rd, my $go_wr) or die "pipe: $!";
    my $child = fork // die "fork: $!";
    if ($child == 0) {
        close $rd;
        close $go_wr;
        my $o = backend();
        syswrite($wr, $o->port . ' ' . $o->pid . "\n");
        sysread($go_rd, my $x, 1);
        kill 'KILL', $$;
    }
    close $wr;
    close $go_rd;
    my ($oport, $opid) = split ' ', scalar <$rd>;
    $s = tcp($oport);
    print {$s} get11('/');
    ok(read_response($s), 'orphan-to-be: serving');
    close $go_wr;
    waitpid($child, 0);
    $start = time;
    ok(is_closed($s, timeout => 3), 'test killed: connection closed');
    sleep 0.02 while tcp($oport) && time - $start < 3;
    ok(!tcp($oport), sprintf 'test killed: refused after %.2f s',
        time - $start);
    ok(!Test::Warden::Backend::_group_alive($opid),
        'test killed: no process left');
};

done_testing;
