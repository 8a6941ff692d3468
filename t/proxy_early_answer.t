#!/usr/bin/perl
# An upstream that answers before it has the whole request body (as a
# server rejecting an upload does) with a response that allows keep-alive:
# warden must not put that connection back in the keepalive cache, or the
# next request goes out into the middle of the first one's body, and the
# upstream reads it as body bytes (a desync; found by fuzz/http_upstream.c).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep);
use Test::Warden;
use Test::Warden::HTTP qw(start_with conn read_response);

$SIG{PIPE} = 'IGNORE';

my $t = Test::Warden->new;
my $prefix = $t->prefix;
my $dir = "$prefix/backend";
my $BODY = 4 * 1024 * 1024;

# Answers each request once its header is in, without reading the body;
# then reads what else comes on the connection, skipping the body by its
# Content-Length, and logs "desync" when a request line shows up inside
# a body, "clean" otherwise.  Its small receive buffer keeps warden from
# sending a large body before the answer.
$t->write_file('backend/server.pl', <<'EOF');
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_RCVBUF);

my ($port, $log) = @ARGV;
my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port",
    Listen => 16, ReuseAddr => 1) or die "listen on $port: $!\n";
setsockopt($l, SOL_SOCKET, SO_RCVBUF, 4096);
$SIG{CHLD} = 'IGNORE';
$SIG{TERM} = sub { exit 0 };

sub note_ {
    open my $f, '>>', $log or die;
    print {$f} "$_[0]\n";
    close $f;
}

while (1) {
    my $c = $l->accept or next;
    my $pid = fork;
    if (!defined $pid || $pid) {
        close $c;
        next;
    }
    close $l;
    my ($buf, $left, $desync) = ('', 0, 0);
    my $sel = IO::Select->new($c);
    while ($sel->can_read(1)) {
        sysread($c, $buf, 65536, length $buf) or last;
        while (1) {
            if ($left) {
                my $n = $left < length $buf ? $left : length $buf;
                $desync = 1 if substr($buf, 0, $n) =~ m{(?:GET|POST) /};
                substr($buf, 0, $n) = '';
                $left -= $n;
                last if $left;
            }
            my $end = index($buf, "\r\n\r\n");
            last if $end < 0;
            my $head = substr($buf, 0, $end + 4, '');
            $left = $head =~ /\r\nContent-Length: (\d+)/i ? $1 : 0;
            syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    }
    note_($desync ? 'desync' : 'clean');
    exit 0;
}
EOF

my $port = $t->port(1);
my $backend = fork // die "fork: $!";

if ($backend == 0) {
    exec $^X, "$dir/server.pl", $port, "$dir/log";
    die "exec: $!";
}

END { kill 'TERM', $backend if $backend }

$t->wait_until(sub { IO::Socket::INET->new("127.0.0.1:$port") },
    timeout => 10) or BAIL_OUT('the backend did not start');

start_with($t, <<"EOF") or BAIL_OUT('cannot start');
    upstream ka {
        server 127.0.0.1:$port;
        keepalive 4;
    }

    server {
        listen 127.0.0.1:%%PORT0%%;
        client_max_body_size 8m;

        location / {
            proxy_pass http://ka;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 3s;
        }
    }
EOF

my $s = conn($t);
print {$s} "POST /upload HTTP/1.1\r\nHost: localhost\r\n"
    . "Content-Length: $BODY\r\n\r\n" . ('b' x $BODY);
my $r = read_response($s, timeout => 10);
is($r && $r->{status}, 200, 'the early answer reaches the client');

for my $i (1 .. 2) {
    print {$s} "GET /next/$i HTTP/1.1\r\nHost: localhost\r\n\r\n";
    $r = read_response($s, timeout => 10);
    is($r && $r->{status}, 200, "the request after it is answered ($i)");
}

close $s;
kill 'TERM', $backend;
waitpid($backend, 0);
undef $backend;

sleep 1.5;                          # the backend's children log at the end
my @log = split /\n/, ($t->read_file('backend/log') // '');
ok(@log >= 1, 'the backend saw the connections');
is((grep { $_ eq 'desync' } @log), 0,
    'no request went out inside another one\'s body');

$t->done;
done_testing;
