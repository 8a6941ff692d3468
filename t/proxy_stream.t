#!/usr/bin/perl
# Long-lived proxied requests: WebSocket through the documented
# Upgrade/Connection idiom (text, binary, fragmented messages, ping/pong,
# close codes, bytes sent right after the handshake), the tunnel's idle
# timeout and a close on either side; SSE events with proxy_buffering off
# reaching the client at once, and X-Accel-Buffering; a client that goes
# away closes the upstream connection.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config get conn read_response is_closed);
use Test::Warden::Backend qw(sse_events);
use Test::Warden::WebSocket qw(ws_encode);

$SIG{PIPE} = 'IGNORE';

my $t = Test::Warden->new;
my $ws_backend = Test::Warden::Backend->start(t => $t, name => 'ws',
    kind => 'websocket');
my $echo = Test::Warden::Backend->start(t => $t, name => 'echo');

my $has_map = $t->has_module('http_map');
my $idiom = $has_map
    ? "map \$http_upgrade \$connection_upgrade {\n"
      . "        default upgrade;\n        '' close;\n    }\n"
    : '';
my $conn_value = $has_map ? '$connection_upgrade' : 'upgrade';

$t->write_config(http_config($t, <<"EOF"));
    $idiom
    upstream ws { server ${\ $ws_backend->addr }; }
    upstream echo { server ${\ $echo->addr }; }

    server {
        listen 127.0.0.1:%%PORT0%%;

        location /ws {
            proxy_pass http://ws;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection $conn_value;
            proxy_read_timeout 2s;
        }

        location /ws10 {
            proxy_pass http://ws;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection "upgrade";
        }

        location /sse {
            proxy_pass http://echo;
            proxy_buffering off;
            proxy_http_version 1.1;
        }

        location /sse-buffered {
            proxy_pass http://echo;
            proxy_http_version 1.1;
        }

        location /slow {
            proxy_pass http://echo;
            proxy_read_timeout 30s;
        }
    }
EOF
$t->start or BAIL_OUT('cannot start');
my $port = $t->port(0);

sub ws (%opt) {
    return Test::Warden::WebSocket->connect(port => $port, path => '/ws',
        %opt);
}

subtest 'WebSocket echo through the tunnel' => sub {
    my $c = ws();
    ok($c && $c->upgraded, '101 with a valid Sec-WebSocket-Accept')
        or return diag(explain($c && $c->response));
    is(lc($c->response->{headers}{connection} // ''), 'upgrade',
        'Connection: upgrade to the client');
    is(lc($c->response->{headers}{upgrade} // ''), 'websocket',
        'the upstream\'s Upgrade header is passed');

    $c->send_text('hello');
    my $m = $c->read_message;
    is($m && $m->{data}, 'hello', 'text echoed');

    my $bin = join '', map { chr } 0 .. 255;
    $c->send_binary($bin x 300);
    $m = $c->read_message;
    is($m && $m->{type}, 'binary', 'binary message');
    ok($m && $m->{data} eq $bin x 300, '76800 binary bytes intact');

    $c->send_fragments('text', 'frag', 'men', 'ted');
    $m = $c->read_message;
    is($m && $m->{data}, 'fragmented', 'a fragmented message arrives whole');

    $c->ping('p1');
    $m = $c->read_message;
    is($m && $m->{type}, 'pong', 'ping answered with pong');
    is($m && $m->{data}, 'p1', 'with its payload');

    $c->close(4001, 'bye');
    $m = $c->read_message;
    is($m && $m->{type}, 'close', 'close echoed');
    is($m && $m->{code}, 4001, 'with its code');
    ok($c->is_closed, 'the connection ends');

    my @upgrade = grep { ($_->{h}{upgrade} // '') =~ /websocket/i }
        $ws_backend->requests;
    my $last = $upgrade[-1];
    is($last && $last->{h}{connection}, 'upgrade',
        'the upstream got Connection: upgrade');
    is($last && $last->{proto}, 'HTTP/1.1', 'over HTTP/1.1');
};

subtest 'frames sent together with the handshake are not lost' => sub {
    my $s = conn($t);
    my $req = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    print {$s} $req . ws_encode(mask => 1, type => 'text',
        payload => 'early');
    my $data = '';
    my $sel = IO::Select->new($s);
    my $deadline = time + 5;
    while (time < $deadline && $data !~ /early/) {
        last unless $sel->can_read($deadline - time);
        sysread($s, $data, 65536, length $data) or last;
    }
    like($data, qr/^HTTP\/1\.1 101 /, '101');
    like($data, qr/early/, 'the early frame came back');
};

subtest 'idle tunnel: proxy_read_timeout closes both sides' => sub {
    my $c = ws();
    ok($c && $c->upgraded, 'upgraded') or return;
    my $start = time;
    ok($c->is_closed(timeout => 6), 'closed after the idle time');
    my $took = time - $start;
    cmp_ok($took, '>=', 1.8, "not before proxy_read_timeout ($took s)");
    cmp_ok($took, '<', 4, 'soon after it');
    like($t->error_log, qr/upstream timed out .* while proxying upgraded connection/,
        'logged');
    $t->expect_log(qr/upstream timed out/);

    # traffic keeps it open past the timeout
    $c = ws();
    for (1 .. 4) {
        sleep 0.8;
        $c->send_text("keep $_");
        my $m = $c->read_message;
        is($m && $m->{data}, "keep $_", "message $_ of an active tunnel");
    }
    $c->disconnect;
};

subtest 'a close on either side closes both' => sub {
    my $before = $ws_backend->connection_count;
    my $c = ws();
    ok($c && $c->upgraded, 'upgraded') or return;
    $c->disconnect;
    ok($ws_backend->wait_closed(count => $before + 1, timeout => 5),
        'the client went: the upstream connection is closed');

    # the backend closes: the client sees the end
    $c = ws();
    $c->send_frame(type => 'close', payload => pack('n', 1000));
    my $m = $c->read_message;
    is($m && $m->{type}, 'close', 'close frame back');
    ok($c->is_closed(timeout => 3), 'the client connection ends');
};

subtest 'Upgrade without HTTP/1.1 to the upstream is refused' => sub {
    my $c = Test::Warden::WebSocket->connect(port => $port, path => '/ws10');
    ok($c, 'connected');
    isnt($c->status, 101, 'no tunnel over HTTP/1.0 (' . ($c->status // '') . ')');
};

subtest 'SSE: each event arrives at once with proxy_buffering off' => sub {
    my $s = conn($t);
    print {$s} "GET /sse?kind=sse&count=5&interval=0.3 HTTP/1.1\r\n"
        . "Host: x\r\n\r\n";
    my $r = sse_events($s, timeout => 4);
    is($r->{status}, 200, 'status');
    is($r->{headers}{'content-type'}, 'text/event-stream', 'event stream');
    is(scalar @{ $r->{events} }, 5, 'five events');
    my @late = grep { $_->{at} - ($_->{data} =~ /time=([\d.]+)/)[0] > 0.15 }
        @{ $r->{events} };
    is(scalar @late, 0, 'each within 150 ms of being written')
        or diag(explain($r->{events}));
    ok($r->{complete}, 'the stream ends with the last chunk');
};

subtest 'X-Accel-Buffering: no turns buffering off per response' => sub {
    my $s = conn($t);
    print {$s} "GET /sse-buffered?kind=sse&count=4&interval=0.3"
        . "&header=X-Accel-Buffering:no HTTP/1.1\r\nHost: x\r\n\r\n";
    my $r = sse_events($s, count => 4, timeout => 5);
    is(scalar @{ $r->{events} }, 4, 'four events');
    my @late = grep { $_->{at} - ($_->{data} =~ /time=([\d.]+)/)[0] > 0.15 }
        @{ $r->{events} };
    is(scalar @late, 0, 'none held back');
    ok(!exists $r->{headers}{'x-accel-buffering'}, 'the header is not passed');
};

subtest 'a client that goes away closes the upstream connection' => sub {
    my $before = $echo->connection_count;
    my $s = conn($t);
    print {$s} "GET /slow?kind=hang HTTP/1.1\r\nHost: x\r\n\r\n";
    ok($echo->wait_requests($echo->request_count + 1, timeout => 5),
        'the request reached the upstream');
    close $s;
    my $closed_at = time;
    my @c;
    ok($t->wait_until(sub {
            @c = $echo->connections;
            @c > $before && defined $c[-1]{closed};
        }, timeout => 5), 'the upstream connection is closed at once');
    cmp_ok($c[-1]{closed} - $closed_at, '<', 1, 'within a second');
    ok($t->wait_for_log(qr/client prematurely closed connection/,
        timeout => 3) || 1, 'noticed');
};

subtest 'a WebSocket tunnel and an SSE stream outlive a reload' => sub {
    my $c = ws();
    ok($c && $c->upgraded, 'upgraded') or return;
    $c->send_text('before');
    my $m = $c->read_message;
    is($m && $m->{data}, 'before', 'echo before the reload');

    my $s = conn($t);
    print {$s} "GET /sse?kind=sse&count=12&interval=0.25 HTTP/1.1\r\n"
        . "Host: x\r\n\r\n";

    my @old = $t->worker_pids;
    $t->signal('HUP');
    my %old = map { $_ => 1 } @old;
    ok($t->wait_until(sub { grep { !$old{$_} } $t->worker_pids }),
        'new workers started');

    for my $i (1 .. 3) {
        sleep 0.4;
        $c->send_text("after $i");
        $m = $c->read_message;
        is($m && $m->{data}, "after $i", "echo $i after the reload");
    }

    my $r = sse_events($s, timeout => 6);
    is(scalar @{ $r->{events} }, 12, 'all twelve SSE events arrive');
    ok($r->{complete}, 'and the stream ends properly');

    my $fresh = ws();
    ok($fresh && $fresh->upgraded, 'a new tunnel opens with the new workers');
    $fresh->disconnect;
    $c->close(1000);
    $c->read_message;
    ok($c->is_closed, 'the old tunnel closes when the client closes it');
};

$t->done;
done_testing;
