#!/usr/bin/perl
# Keep-alive connections to upstreams: "keepalive N" with
# proxy_http_version 1.1 and an empty Connection header reuses one
# connection; keepalive_requests, keepalive_timeout and keepalive_time
# end it; a connection is cached per server; nothing is reused when the
# backend closes, nor after a response of unknown length or one that went
# wrong (extra bytes, a bad header, a body after HEAD, a timeout, a client
# gone).  Then the classic race: a backend that closes idle connections
# after 0.3 s, and requests that come at about that interval: no 502
# from warden, for GETs and for POSTs (a reused connection that fails
# before any byte of a response is retried on a new one); the same load
# through Debian's nginx for comparison (its count is printed, not
# judged).  And a backend that says "Keep-Alive: timeout=1": warden
# drops the connection before the backend does.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response have_bin);
use Test::Warden::HTTP qw(conn read_response is_closed log_mark log_since);
use Test::Warden::Backend qw(parse_echo body_pattern);

$SIG{PIPE} = 'IGNORE';

my $t = Test::Warden->new;

# What warden does beyond nginx: no 502 when a reused connection was
# closed by the upstream, and the upstream's Keep-Alive timeout honoured.
my $BEYOND = $t->name eq 'nginx'
    ? 'beyond nginx (warden only): nginx\'s count is printed when warden '
      . 'runs' : '';
my $nginx_bin = $ENV{WARDEN_NGINX} // '/usr/sbin/nginx';
my $ng = ($t->name ne 'nginx' && have_bin($nginx_bin))
    ? Test::Warden->new(binary => $nginx_bin) : undef;

sub backend ($s, %opt) { Test::Warden::Backend->start(t => $s, %opt) }

# Answers that go wrong on a connection the backend keeps open.
sub wrong ($req) {
    my $p = $req->{path};
    return { raw => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        . "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Smuggled: yes\r\n"
        . "\r\nhello", then => 'keep' } if $p =~ m{/extra$};
    return { raw => "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        then => 'keep' } if $p =~ m{/head_body$};
    return { raw => "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n"
        . 'abc', then => 'keep' } if $p =~ m{/204_body$};
    return { raw => "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        then => 'keep' } if $p =~ m{/bad_header$};
    return undef;
}

my %b = (
    ka      => backend($t, port => $t->port(1), name => 'ka'),
    ka3     => backend($t, port => $t->port(2), name => 'ka3'),
    kat     => backend($t, port => $t->port(3), name => 'kat'),
    katime  => backend($t, port => $t->port(4), name => 'katime'),
    wrong   => backend($t, port => $t->port(5), name => 'wrong',
        handler => \&wrong),
    one     => backend($t, port => $t->port(6), name => 'one'),
    two     => backend($t, port => $t->port(7), name => 'two'),
    lru     => backend($t, port => $t->port(8), name => 'lru',
        delay => 0.4),
    noconn  => backend($t, port => $t->port(9), name => 'noconn'),
    race    => backend($t, port => $t->port(10), name => 'race',
        kind => 'idle_close', query => 0),
    race_kt => backend($t, port => $t->port(11), name => 'race_kt',
        kind => 'idle_close', idle_timeout => 1, keepalive_timeout => 1,
        query => 0),
);

# The config for warden and for nginx alike.
sub config ($s) {
    return $s->expand(<<'EOF');
pid logs/warden.pid;
error_log logs/error.log info;
worker_processes 1;
events {}
http {
    access_log logs/access.log;

    upstream ka      { server 127.0.0.1:%%PORT1%%; keepalive 4; }
    upstream ka3     { server 127.0.0.1:%%PORT2%%; keepalive 4;
                       keepalive_requests 3; }
    upstream kat     { server 127.0.0.1:%%PORT3%%; keepalive 4;
                       keepalive_timeout 1s; }
    upstream katime  { server 127.0.0.1:%%PORT4%%; keepalive 4;
                       keepalive_time 1s; }
    upstream wrong   { server 127.0.0.1:%%PORT5%%; keepalive 4; }
    upstream two     { server 127.0.0.1:%%PORT6%%;
                       server 127.0.0.1:%%PORT7%%; keepalive 4; }
    upstream lru     { server 127.0.0.1:%%PORT8%%; keepalive 1; }
    upstream noconn  { server 127.0.0.1:%%PORT9%%; keepalive 4; }
    upstream race    { server 127.0.0.1:%%PORT10%%; keepalive 16; }
    upstream race_kt { server 127.0.0.1:%%PORT11%%; keepalive 16; }

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_read_timeout 1s;

    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;

        location /ka { proxy_pass http://ka; }
        location /ka3 { proxy_pass http://ka3; }
        location /kat { proxy_pass http://kat; }
        location /katime { proxy_pass http://katime; }
        location /wrong/ { proxy_pass http://wrong; }
        location /abort/ { proxy_pass http://wrong; }
        location /two { proxy_pass http://two; }
        location /lru { proxy_pass http://lru; }
        location /noconn/11 { proxy_pass http://noconn;
                              proxy_set_header X-Any 1; }
        location /noconn/10 { proxy_pass http://noconn;
                              proxy_http_version 1.0; }
        location /race { proxy_pass http://race; }
        location /race_kt { proxy_pass http://race_kt; }
    }
}
EOF
}

$t->write_config(config($t));
$t->start or BAIL_OUT('cannot start');

# Debian's nginx, with the same config, on its own ports and backends.
my %nb;
if ($ng) {
    %nb = (
        race    => backend($ng, port => $ng->port(10), name => 'ng-race',
            kind => 'idle_close', query => 0),
        race_kt => backend($ng, port => $ng->port(11), name => 'ng-race_kt',
            kind => 'idle_close', idle_timeout => 1, keepalive_timeout => 1,
            query => 0),
    );
    $ng->write_config(config($ng));
    $ng->start or undef $ng;
}

# ---------------------------------------------------------------------------
# Helpers

sub get11 ($path, %h) {
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n";
    $req .= "$_: $h{$_}\r\n" for sort keys %h;
    return "$req\r\n";
}

# One request on a new client connection; the response, parsed.
sub fetch ($path, %o) {
    my $method = $o{method} // 'GET';
    my $r = parse_response($t->http("$method $path HTTP/1.1\r\n"
        . "Host: localhost\r\nConnection: close\r\n\r\n"));
    return $r // {};
}

sub conn_of ($r) { $r->{headers}{'x-backend-conn'} // 0 }

sub conns (@r) { join ' ', map { conn_of($_) } @r }

# ---------------------------------------------------------------------------
# Reuse

subtest 'keepalive 4: one connection for sequential requests' => sub {
    my $b = $b{ka};
    my @r = map { fetch("/ka/$_") } 1 .. 5;
    is(join(' ', map { $_->{status} // 0 } @r), '200 200 200 200 200',
        'five 200s');
    is(conns(@r), '1 1 1 1 1', 'all on the backend\'s connection 1');
    is(join(' ', map { $_->{headers}{'x-backend-request'} } @r),
        '1 2 3 4 5', 'its requests 1 to 5');
    is($b->connection_count, 1, 'the backend accepted one connection');
    my $e = parse_echo($r[0]{body});
    is($e->{proto}, 'HTTP/1.1', 'HTTP/1.1 to the backend');
    ok(!exists $e->{h}{connection}, 'no Connection header to the backend');

    my $s = conn($t);
    print {$s} "POST /ka/post HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 5\r\n\r\nhello" . get11('/ka/after');
    my @p = map { read_response($s) } 1 .. 2;
    is(parse_echo($p[0]{body})->{body}, 'hello', 'a POST body on it');
    is(conns(@p), '1 1', 'still the same connection');
};

subtest 'keepalive_requests 3' => sub {
    my $b = $b{ka3};
    my @r = map { fetch("/ka3/$_") } 1 .. 7;
    is(conns(@r), '1 1 1 2 2 2 3', 'a new connection every three requests');
    my @c = $b->wait_closed(count => 3, timeout => 0.5);
    is(join(' ', map { $_->{by} // 'open' } @c), 'peer peer open',
        'warden closed the first two');
    is(join(' ', map { $_->{requests} } @c[0, 1]), '3 3', 'after three each');
};

subtest 'keepalive_timeout 1s' => sub {
    my $b = $b{kat};
    my $r1 = fetch('/kat/1');
    my $r2 = fetch('/kat/2');
    my $at = time;
    is(conns($r1, $r2), '1 1', 'reused while fresh');
    my @c = $b->wait_closed(count => 1, timeout => 3);
    is($c[0]{by}, 'peer', 'warden closed the idle connection');
    my $idle = $c[0]{closed} - $at;
    ok($idle > 0.8 && $idle < 1.8, "after about 1 s ($idle)");
    is(conns(fetch('/kat/3')), 2, 'the next request: a new connection');
};

subtest 'keepalive_time 1s' => sub {
    my $b = $b{katime};
    my @r;
    my $start = time;
    while (time - $start < 1.6) {
        push @r, fetch('/katime/x');
        sleep 0.2;
    }
    my %n;
    $n{ conn_of($_) }++ for @r;
    is(scalar(grep { ($_->{status} // 0) != 200 } @r), 0, 'all 200');
    ok(keys %n >= 2, 'a connection older than 1 s is not kept: '
        . join(' ', map { "$_ x$n{$_}" } sort keys %n));
    ok($n{1} >= 3 && $n{1} <= 7, 'the first served about 1 s of requests');
};

subtest 'a connection is cached for its own server' => sub {
    my @r = map { fetch("/two/$_") } 1 .. 6;
    my %by;
    push @{ $by{ $_->{headers}{'x-backend'} } }, conn_of($_) for @r;
    is(join(' ', @{ $by{one} // [] }), '1 1 1', 'one: its connection 1');
    is(join(' ', @{ $by{two} // [] }), '1 1 1', 'two: its connection 1');
    is($b{one}->request_count + $b{two}->request_count, 6, 'six requests');
};

subtest 'keepalive 1: the least recently used goes' => sub {
    my $b = $b{lru};
    my @s = map { conn($t) } 1 .. 3;
    print {$_} get11('/lru/x', Connection => 'close') for @s;
    my @r = map { read_response($_) } @s;
    is(join(' ', sort map { conn_of($_) } @r), '1 2 3',
        'three at once: three connections');
    my @c = $b->wait_closed(count => 3, timeout => 0.5);
    is(scalar(grep { ($_->{by} // '') eq 'peer' } @c), 2,
        'warden closed two');
    is(scalar(grep { !$_->{closed} } @c), 1, 'and keeps one');
    my $r = fetch('/lru/again');
    ok((grep { $_->{conn} == conn_of($r) && !$_->{closed} } @c),
        'the kept one is reused');
};

subtest 'without Connection "": nothing reused' => sub {
    my $b = $b{noconn};
    for my $v ('1.1', '1.0') {
        $b->clear;
        my $path = $v eq '1.1' ? '/noconn/11' : '/noconn/10';
        my @r = map { fetch("$path/$_") } 1 .. 3;
        my @c = $b->wait_closed(count => 3);
        my $e = parse_echo($r[0]{body});
        # (1.0 inherits Connection "" here: no header, and no keep-alive
        # asked either)
        is("$e->{proto} " . ($e->{h}{connection} // '-'),
            $v eq '1.1' ? 'HTTP/1.1 close' : 'HTTP/1.0 -',
            "proxy_http_version $v: the backend is not asked to keep it");
        is(scalar(@c), 3, "$v: three requests, three connections");
        is(scalar(grep { ($_->{by} // '') eq 'server' } @c), 3,
            "$v: each closed by the backend");
    }
};

# ---------------------------------------------------------------------------
# Responses after which a connection must not be reused

subtest 'unknown length, or something wrong: not reused' => sub {
    my $b = $b{wrong};
    my $mark = log_mark($t);
    my @cases = (
        ['close-delimited body', '/wrong/u?length=none', 200],
        ['bytes past Content-Length', '/wrong/extra', 200],
        ['a body after HEAD', '/wrong/head_body', 200, 'HEAD'],
        ['a 204 with a body', '/wrong/204_body', 204],
        ['an invalid header', '/wrong/bad_header', 502],
        ['read timeout in the body', '/wrong/t?body_delay=2&size=100', 200],
        ['a body cut short', '/wrong/c?kind=close_mid', 200],
    );
    for my $c (@cases) {
        my ($what, $uri, $status, $method) = @$c;
        $b->clear;
        fetch('/wrong/before');
        my $r = fetch($uri, method => $method);
        my $after = fetch('/wrong/after');
        is($r->{status}, $status, "$what: $status");
        is($after->{status}, 200, "$what: the next request 200");
        ok(!$after->{headers}{'x-smuggled'}, "$what: not answered by the "
            . 'leftover bytes') if $what =~ /past/;
        # the backend's connection numbers for the three requests
        my @q = map { $_->{conn} } $b->requests;
        is(scalar @q, 3, "$what: three requests at the backend");
        ok(@q == 3 && $q[0] == $q[1], "$what: on the cached connection");
        # (nginx takes a body after HEAD for the next response's bytes)
        next if $what =~ /HEAD/ && $t->name eq 'nginx';
        ok(@q == 3 && $q[2] != $q[1], "$what: the next one on a new "
            . 'connection');
    }
};

subtest 'a client gone mid-body: the connection is not reused' => sub {
    my $b = $b{wrong};
    my $good = fetch('/wrong/before');
    my $s = conn($t);
    print {$s} get11('/abort/x?size=100000&pieces=10&body_delay=0.2');
    my $buf = '';
    sysread($s, $buf, 65536) until $buf =~ /\r\n\r\n/;
    close $s;
    my ($c) = grep { $_->{conn} == conn_of($good) } $b->wait_closed(
        timeout => 3);
    ok($c && $c->{closed}, 'the upstream connection was closed');
    isnt(conn_of(fetch('/wrong/after')), conn_of($good),
        'the next request: a new connection');
};

# ---------------------------------------------------------------------------
# The race: the backend closes idle connections after 0.3 s

# Forks $clients clients that each send $n requests to the server, one
# after another on a keep-alive connection.  They go in waves: all at the
# same moments, 0.25-0.35 s apart (every other gap within 10 ms of the
# backend's 0.3 s, where the race is), so that every cached upstream
# connection has been idle for about that long when the next wave comes
# (clients left to their own pace would keep a few connections busy).
# $o{sleep} is a list of [low, high] ranges for the gaps, taken in turn.
# Returns a handle for race_result.
sub race_start ($s, $path, %o) {
    my ($clients, $n) = ($o{clients} // 5, $o{n} // 40);
    my @ranges = @{ $o{sleep} // [[0.25, 0.35], [0.29, 0.31]] };
    my $dir = $s->prefix . '/harness/race-' . int(rand 1e9);
    mkdir $dir;
    my ($at, @when) = (0);
    for my $i (1 .. $n) {
        my ($lo, $hi) = @{ $ranges[$i % @ranges] };
        push @when, $at += $lo + rand($hi - $lo);
    }
    my $start = time + 0.1;
    my @pids;
    for my $i (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            race_client($s->port(0), $path, "$dir/$i",
                [map { $start + $_ } @when], $o{method} // 'GET');
            _exit(0);
        }
        push @pids, $pid;
    }
    return { pids => \@pids, dir => $dir };
}

sub race_client ($port, $path, $out, $when, $method) {
    open my $fh, '>', $out or die;
    $fh->autoflush(1);
    my ($s, $i);
    for my $at (@$when) {
        $i++;
        my $left = $at - time;
        sleep $left if $left > 0;
        $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, Proto => 'tcp', Timeout => 5);
        unless ($s) {
            print $fh "connect\n";
            next;
        }
        my $body = $method eq 'POST' ? "n=$i" : '';
        print {$s} "$method $path HTTP/1.1\r\nHost: localhost\r\n"
            . ($method eq 'POST' ? 'Content-Length: ' . length($body)
                . "\r\n" : '') . "\r\n$body";
        my $r = read_response($s, timeout => 5);
        print $fh(($r ? $r->{status} : 'none') . "\n");
        undef $s if !$r || $r->{closed};
    }
    close $fh;
}

sub race_result ($h) {
    waitpid($_, 0) for @{ $h->{pids} };
    my %n;
    for my $f (glob "$h->{dir}/*") {
        open my $fh, '<', $f or next;
        chomp, $n{$_}++ for <$fh>;
    }
    return \%n;
}

# How often warden found a reused connection closed under a request.
sub retried ($mark) {
    my $n = () = log_since($t, $mark)
        =~ /upstream keepalive connection was closed/g;
    return $n;
}

sub summary ($n) { join ', ', map { "$_: $n->{$_}" } sort keys %$n }

subtest 'the race: GET' => sub {
    plan skip_all => $BEYOND if $BEYOND;
    my $mark = log_mark($t);
    my $w = race_start($t, '/race');
    my $n = $ng ? race_start($ng, '/race') : undef;
    my $wr = race_result($w);
    is($wr->{200}, 200, 'warden: 200 responses, all 200')
        or diag('warden: ' . summary($wr));
    is($wr->{502} // 0, 0, 'warden: no 502');
    my @c = $b{race}->connections;
    my $reused = grep { ($_->{requests} // 0) > 1 } @c;
    ok($reused > 0, "connections were reused ($reused of " . scalar(@c)
        . ')');
    my $idle = grep { ($_->{by} // '') eq 'idle' } @c;
    ok($idle > 0, "the backend closed idle ones ($idle)");
    my $retried = retried($mark);
    diag("warden: " . summary($wr) . "; backend connections "
        . scalar(@c) . ", closed idle by the backend $idle, retried on a "
        . "new connection $retried"
        . ($retried ? '' : ' (the race did not come up this time)'));
    if ($n) {
        my $nr = race_result($n);
        diag("nginx: " . summary($nr) . ' (502s: ' . ($nr->{502} // 0)
            . ')');
    }
};

subtest 'the race: POST' => sub {
    plan skip_all => $BEYOND if $BEYOND;
    my $mark = log_mark($t);
    my $w = race_start($t, '/race', method => 'POST', n => 20);
    my $n = $ng ? race_start($ng, '/race', method => 'POST', n => 20)
        : undef;
    my $wr = race_result($w);
    is($wr->{200}, 100, 'warden: 100 responses, all 200')
        or diag('warden: ' . summary($wr));
    is($wr->{502} // 0, 0, 'warden: no 502');
    diag('warden POST: ' . summary($wr) . '; retried on a new connection '
        . retried($mark));
    if ($n) {
        my $nr = race_result($n);
        diag('nginx POST: ' . summary($nr) . ' (502s: ' . ($nr->{502} // 0)
            . ')');
    }
};

# ---------------------------------------------------------------------------
# Keep-Alive: timeout=1 from the backend

subtest 'Keep-Alive: timeout=1: warden closes first' => sub {
    plan skip_all => $BEYOND if $BEYOND;
    my $b = $b{race_kt};
    $b->clear;
    my $r = fetch('/race_kt/1');
    my $at = time;
    is($r->{status}, 200, 'status 200');
    my @c = $b->wait_closed(count => 1, timeout => 3);
    is($c[0]{by}, 'peer', 'warden closed the connection');
    my $idle = $c[0]{closed} - $at;
    ok($idle < 0.9, "before the backend's 1 s ($idle)");
};

subtest 'Keep-Alive: timeout=1: the race, POST' => sub {
    plan skip_all => $BEYOND if $BEYOND;
    my $b = $b{race_kt};
    $b->clear;
    # now and then short of warden's 0.5 s, else about the backend's 1 s
    my @sleep = (sleep => [[0.2, 0.4], [0.9, 1.1]]);
    my $w = race_start($t, '/race_kt', method => 'POST', clients => 3,
        n => 8, @sleep);
    my $n = $ng ? race_start($ng, '/race_kt', method => 'POST',
        clients => 3, n => 8, @sleep) : undef;
    my $wr = race_result($w);
    is($wr->{200}, 24, 'warden: all 200') or diag(summary($wr));
    my @c = $b->wait_closed(timeout => 3);
    is(scalar(grep { ($_->{by} // '') eq 'idle' } @c), 0,
        'the backend never had to close an idle connection');
    ok((grep { ($_->{requests} // 0) > 1 } @c),
        'connections were reused meanwhile');
    if ($n) {
        my $nr = race_result($n);
        my $idle = grep { ($_->{by} // '') eq 'idle' }
            $nb{race_kt}->connections;
        diag('nginx: ' . summary($nr) . "; connections closed by the "
            . "backend at its timeout: $idle");
    }
};

$t->done;
$ng->done if $ng;
done_testing;
