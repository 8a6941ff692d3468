#!/usr/bin/perl
# WebSocket through proxy_pass (the upgrade tunnel): the 101 reaches the
# client before any tunnelled byte (it used to stay in the write filter,
# held back by postpone_output, and never went out), and the worker
# survives tcp_nodelay on the upstream connection (which has no
# c->sockaddr: it used to crash on a null pointer); then echo, several
# connections at once, and the close handshake.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden;
use Test::Warden::HTTP qw(start_with get);
use Test::Warden::Backend;
use Test::Warden::WebSocket;

my $t = Test::Warden->new;

my $ws = Test::Warden::Backend->start(t => $t, port => $t->port(1),
    kind => 'websocket', name => 'ws');

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    upstream ws_backend {
        server 127.0.0.1:%%PORT1%%;
        keepalive 4;
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        location /ws/ {
            proxy_pass http://ws_backend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
        }
        location /nodelay-off/ {
            tcp_nodelay off;
            proxy_pass http://ws_backend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
        }
    }
EOF

for my $path ('/ws/', '/nodelay-off/') {
    my $c = Test::Warden::WebSocket->connect(port => $t->port(0),
        path => $path, host => 'localhost', timeout => 3);
    ok($c && $c->upgraded, "$path: 101 with the right Sec-WebSocket-Accept")
        or diag($c ? ($c->status // 'no status') : $@);
    next unless $c && $c->upgraded;
    ok($c->send_text("hello $path"), "$path: sent");
    my $m = $c->read_message;
    is($m && $m->{data}, "hello $path", "$path: echoed");
    $c->close(1000, 'bye');
    my $f = $c->read_frame;
    is($f && $f->{type}, 'close', "$path: close answered");
    ok($c->is_closed, "$path: connection closed after the close handshake");
}

# several at once, messages interleaved
my @c = map { Test::Warden::WebSocket->connect(port => $t->port(0),
    path => '/ws/', host => 'localhost', timeout => 3) } 1 .. 20;
is(scalar(grep { $_ && $_->upgraded } @c), 20, '20 upgraded at once');
for my $round (1 .. 3) {
    $_->send_text("m$round") for grep { $_ && $_->upgraded } @c;
    my $ok = grep { my $m = $_ && $_->upgraded && $_->read_message;
        $m && $m->{data} eq "m$round" } @c;
    is($ok, 20, "round $round: 20 echoes");
}
$_->disconnect for grep { $_ } @c;

# the worker is still there: a plain request gets an answer
my $r = get($t, '/ws/');
ok($r && $r->{status}, "a request after the tunnels gets a response");

$t->done;          # also: no [alert] (a worker that died on a signal)
done_testing;
