#!/usr/bin/perl
# The realip module: set_real_ip_from (addresses, CIDRs, IPv6, a host
# name, unix:), real_ip_header (X-Real-IP, X-Forwarded-For, any header,
# proxy_protocol), real_ip_recursive; $remote_addr, $remote_port,
# $binary_remote_addr, the access log and the error log's "client:" show
# the real client, $realip_remote_addr/_port the connection's own; nothing
# is taken from an untrusted source or from a malformed value; http,
# server and location levels; once per request, and not on the next
# request of the connection.  Then the -t errors.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::IP;
use IO::Socket::UNIX;
use Socket qw(inet_aton inet_pton AF_INET6);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config start_with get req conn
    read_response log_mark log_once);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $conf = $t->conf_path;
my @p = map { $t->port($_) } 0 .. 12;

$t->write_config(http_config($t, 'set_real_ip_from 127.0.0.1;'));
my $probe = $t->run('-t');
plan skip_all => "$name is built without http_realip"
    if $probe->{stderr} =~ /unknown directive "set_real_ip_from"/;

my $have_ipv6 = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
    Listen => 1) ? 1 : 0;
my $sock = "$prefix/logs/trusted.sock";
my $sock2 = "$prefix/logs/untrusted.sock";

$t->write_file('html/static/f.txt', "file\n");
$t->write_file('html/loc/f.txt', "loc\n");
$t->write_file('html/pb/x.html', "pb\n");

my $vars = '$remote_addr|$remote_port|$realip_remote_addr|$realip_remote_port';
my $show = "location / { return 200 \"$vars\\n\"; }";

my $v6 = $have_ipv6 ? <<"EOF" : '';
    server {
        listen [::1]:%%PORT10%%;
        set_real_ip_from ::1;
        $show
    }
    server {
        listen [::1]:%%PORT11%%;
        $show
    }
EOF

start_with($t, <<"EOF") or BAIL_OUT('cannot start');
    log_format realip '$vars "\$request"';
    set_real_ip_from 127.0.0.1;

    server {
        listen 127.0.0.1:%%PORT0%%;
        access_log logs/realip.log realip;
        root html;
        $show
        location /bin { return 200 "\$binary_remote_addr"; }
        location /static/ { }
        location /missing/ { error_page 404 /target; }
        location = /target { return 200 "\$remote_addr|\$realip_remote_addr\\n"; }
        location /loc/ { real_ip_header X-Loc; }
        location /pa/ { real_ip_header X-A; error_page 404 /pb/x.html; }
        location /pb/ { set_real_ip_from 192.0.2.0/24; real_ip_header X-B; }
        location /from/ { set_real_ip_from 10.0.0.0/8; real_ip_header X-Loc; }
    }
    server {
        listen 127.0.0.1:%%PORT1%%;
        set_real_ip_from 10.0.0.0/8;
        set_real_ip_from 2001:db8::/32;
        real_ip_header X-Forwarded-For;
        $show
    }
    server {
        listen 127.0.0.1:%%PORT2%%;
        set_real_ip_from 127.0.0.1;
        set_real_ip_from 10.0.0.0/8;
        set_real_ip_from 2001:db8::/32;
        real_ip_header X-Forwarded-For;
        $show
    }
    server {
        listen 127.0.0.1:%%PORT3%%;
        set_real_ip_from 127.0.0.1;
        set_real_ip_from 10.0.0.0/8;
        set_real_ip_from 2001:db8::/32;
        real_ip_header X-Forwarded-For;
        real_ip_recursive on;
        $show
    }
    server {
        listen 127.0.0.1:%%PORT4%%;
        real_ip_header CF-Connecting-IP;
        $show
    }
    server {
        listen 127.0.0.1:%%PORT5%%;
        real_ip_header x-forwarded-for;
        real_ip_recursive on;
        $show
    }
    server {
        listen 127.0.0.1:%%PORT6%%;
        set_real_ip_from localhost;
        $show
    }
    server {
        listen 127.0.0.1:%%PORT7%% proxy_protocol;
        real_ip_header proxy_protocol;
        access_log logs/pp.log realip;
        location / {
            return 200 "$vars \$proxy_protocol_addr:\$proxy_protocol_port\\n";
        }
    }
    server {
        listen 127.0.0.1:%%PORT8%% proxy_protocol;
        set_real_ip_from 10.0.0.0/8;
        real_ip_header proxy_protocol;
        $show
    }
    server {
        listen 127.0.0.1:%%PORT9%% proxy_protocol;
        location / {
            return 200 "$vars \$proxy_protocol_addr:\$proxy_protocol_port\\n";
        }
    }
    server {
        listen unix:$sock;
        set_real_ip_from unix:;
        $show
    }
    server {
        listen unix:$sock2;
        $show
    }
$v6
EOF

# GET on a port with extra header lines; the body, or "status N".
sub show ($port, @headers) {
    my $raw = "GET / HTTP/1.0\r\nHost: x\r\n"
        . join('', map { "$_\r\n" } @headers) . "\r\n";
    my $r = req($t, $raw, port => $port);
    return 'no response' unless $r && $r->{status};
    return $r->{status} == 200 ? $r->{body} : "status $r->{status}";
}

# What the body shows for a client from 127.0.0.1 whose address was not
# replaced: "127.0.0.1|PORT|127.0.0.1|PORT".
my $unchanged = qr/^127\.0\.0\.1\|(\d+)\|127\.0\.0\.1\|\1\n\z/;

sub replaced ($addr, $port = '') {
    return qr/^\Q$addr|$port|\E127\.0\.0\.1\|\d+\n\z/;
}

# The access-log line of the request with this unique URI.
sub logged ($uri, %headers) {
    my $r = get($t, $uri, headers => \%headers);
    my $line;
    $t->wait_until(sub {
        ($line) = ($t->read_file('logs/realip.log') // '')
            =~ /^(.*"GET \Q$uri\E HTTP\/1\.0")$/m;
        defined $line;
    }, timeout => 2);
    return ($r->{status} // 0) . ' ' . ($line // 'not logged')
        =~ s/ "GET .*//r;
}

subtest 'X-Real-IP (the default)' => sub {
    like(show($p[0], 'X-Real-IP: 192.0.2.1'), replaced('192.0.2.1'),
        'an address: $remote_addr, $remote_port empty');
    like(show($p[0], 'X-Real-IP: 192.0.2.1:5555'),
        replaced('192.0.2.1', 5555), 'with a port: $remote_port');
    like(show($p[0], 'X-Real-IP: 2001:db8::1'), replaced('2001:db8::1'),
        'IPv6');
    like(show($p[0], 'X-Real-IP: [2001:db8::1]:443'),
        replaced('2001:db8::1', 443), '[IPv6]:port');
    like(show($p[0], 'X-Real-IP: 192.0.2.1, 192.0.2.2'),
        replaced('192.0.2.2'), 'a list: the last element, as in nginx');
    like(show($p[0], 'X-Real-IP: 192.0.2.1', 'X-Real-IP: 192.0.2.9'),
        replaced('192.0.2.1'), 'two headers: the first');
    like(show($p[0], 'x-real-ip: 192.0.2.1'), replaced('192.0.2.1'),
        'the header name in any case');
    like(show($p[0]), $unchanged, 'no header: unchanged');

    my $r = get($t, '/bin', headers => { 'X-Real-IP' => '192.0.2.1' });
    is($r->{body}, inet_aton('192.0.2.1'), '$binary_remote_addr, IPv4');
    $r = get($t, '/bin', headers => { 'X-Real-IP' => '2001:db8::1' });
    is($r->{body}, inet_pton(AF_INET6, '2001:db8::1'),
        '$binary_remote_addr, IPv6');
};

subtest 'malformed values are ignored' => sub {
    for my $v ('junk', '192.0.2', '192.0.2.256', '192.0.2.1.5', '',
        '192.0.2.1:0', '192.0.2.1:65536', '192.0.2.1:', '192.0.2.1:80:80',
        '[2001:db8::1]', '[2001:db8::1]x', 'localhost', '0x7f000001',
        '192.0.2.1, junk', 'unix:')
    {
        like(show($p[0], "X-Real-IP: $v"), $unchanged, "\"$v\"");
    }
};

subtest 'untrusted sources' => sub {
    like(show($p[1], 'X-Forwarded-For: 192.0.2.1'), $unchanged,
        'X-Forwarded-For from outside set_real_ip_from');
    like(show($p[1], 'X-Real-IP: 192.0.2.1', 'X-Forwarded-For: 10.0.0.1'),
        $unchanged, 'even when it names a trusted address');
    like(show($p[1], 'X-Forwarded-For: 192.0.2.1'), $unchanged,
        'a server\'s list replaces the http level\'s');
};

subtest 'X-Forwarded-For' => sub {
    my $off = $p[2];
    my $on = $p[3];
    like(show($off, 'X-Forwarded-For: 192.0.2.1'), replaced('192.0.2.1'),
        'one address');
    like(show($off, 'X-Forwarded-For: 192.0.2.1, 10.0.0.2'),
        replaced('10.0.0.2'), 'recursive off: the last, trusted or not');
    like(show($on, 'X-Forwarded-For: 192.0.2.1, 10.0.0.2'),
        replaced('192.0.2.1'), 'recursive on: the last untrusted');
    like(show($on, 'X-Forwarded-For: 198.51.100.1, 192.0.2.1, 10.0.0.3, 10.0.0.2'),
        replaced('192.0.2.1'), 'recursive on: not past the first untrusted');
    like(show($on, 'X-Forwarded-For: 10.0.0.3, 10.0.0.2'),
        replaced('10.0.0.3'), 'recursive on, all trusted: the first');
    like(show($on, 'X-Forwarded-For: 192.0.2.1,10.0.0.2 ,  2001:db8::7'),
        replaced('192.0.2.1'), 'commas and spaces, IPv6 on the way');
    like(show($on, 'X-Forwarded-For: 192.0.2.1, junk, 10.0.0.2'),
        replaced('10.0.0.2'), 'recursive on: stops before a malformed one');
    like(show($on, 'X-Forwarded-For: junk'), $unchanged,
        'only a malformed one: unchanged');
    like(show($on, 'X-Forwarded-For: 192.0.2.1:8080, 10.0.0.2'),
        replaced('192.0.2.1', 8080), 'with a port');

    # several header lines read as one list
    my @two = ('X-Forwarded-For: 198.51.100.1, 192.0.2.1, 10.0.0.3',
        'X-Forwarded-For: 10.0.0.2');
    like(show($off, @two), replaced('10.0.0.2'),
        'two lines, recursive off: the last line\'s last');
    like(show($on, @two), replaced('192.0.2.1'),
        'two lines, recursive on: on into the first line');
    like(show($on, 'X-Forwarded-For: 192.0.2.9', 'X-Forwarded-For: 192.0.2.1'),
        replaced('192.0.2.1'), 'two lines: not past an untrusted one');
    like(show($on, 'X-Forwarded-For: 10.0.0.9', 'X-Forwarded-For: 10.0.0.2'),
        replaced('10.0.0.9'), 'two lines, all trusted: the first');
    like(show($on, 'X-Forwarded-For: 192.0.2.9, junk',
        'X-Forwarded-For: 10.0.0.2'), replaced('10.0.0.2'),
        'two lines: a malformed end of the first stops the walk');

    # "x-forwarded-for" is not nginx's spelling: it is read as any other
    # header, the first line only
    like(show($on, 'X-Forwarded-For: 192.0.2.5', 'X-Forwarded-For: 192.0.2.6'),
        replaced('192.0.2.6'), 'X-Forwarded-For: the last line');
    like(show($p[5], 'X-Forwarded-For: 192.0.2.5', 'X-Forwarded-For: 192.0.2.6'),
        replaced('192.0.2.5'), 'x-forwarded-for: any header, the first line');
};

subtest 'any header' => sub {
    like(show($p[4], 'CF-Connecting-IP: 192.0.2.1'), replaced('192.0.2.1'),
        'real_ip_header CF-Connecting-IP');
    like(show($p[4], 'cf-connecting-ip: 192.0.2.1'), replaced('192.0.2.1'),
        'in any case');
    like(show($p[4], 'CF-Connecting-IP: 192.0.2.1', 'CF-Connecting-IP: 192.0.2.2'),
        replaced('192.0.2.1'), 'two: the first');
    like(show($p[4], 'X-Real-IP: 192.0.2.1'), $unchanged,
        'X-Real-IP is not read then');
    like(show($p[4], 'CF-Connecting-IPX: 192.0.2.1'), $unchanged,
        'a longer name is another header');
};

subtest 'set_real_ip_from a host name' => sub {
    like(show($p[6], 'X-Real-IP: 192.0.2.1'), replaced('192.0.2.1'),
        'localhost');
};

subtest 'levels and phases' => sub {
    # server level: post-read, before the location is chosen
    like(logged('/static/f.txt?1', 'X-Real-IP' => '192.0.2.1'),
        qr/^200 192\.0\.2\.1\|\|127\.0\.0\.1\|\d+$/, 'the access log');

    # location level: preaccess
    like(logged('/loc/f.txt?1', 'X-Loc' => '192.0.2.5'),
        qr/^200 192\.0\.2\.5\|\|127\.0\.0\.1\|\d+$/,
        'a location\'s real_ip_header');
    like(logged('/loc/f.txt?2', 'X-Real-IP' => '192.0.2.1',
        'X-Loc' => '192.0.2.5'), qr/^200 192\.0\.2\.1\|/,
        'the server\'s applies first, and only once');
    like(logged('/loc/f.txt?3', 'X-Real-IP' => '192.0.2.1'),
        qr/^200 192\.0\.2\.1\|/, 'X-Real-IP still read in post-read');
    like(logged('/from/f.txt?1', 'X-Loc' => '192.0.2.5'),
        qr/^404 127\.0\.0\.1\|\d+\|127\.0\.0\.1\|\d+$/,
        'a location\'s set_real_ip_from replaces the list above it');

    # an internal redirect: the new location may not replace it again
    like(logged('/pa/missing?1', 'X-A' => '192.0.2.10',
        'X-B' => '192.0.2.11'), qr/^404 192\.0\.2\.10\|/,
        'error_page to a location with another header');

    my $r = get($t, '/missing/x', headers => { 'X-Real-IP' => '192.0.2.1' });
    is($r->{body}, "192.0.2.1|127.0.0.1\n",
        '$realip_remote_addr after an internal redirect');
};

subtest 'the error log' => sub {
    my $mark = log_mark($t);
    my $r = get($t, '/static/nope.txt',
        headers => { 'X-Real-IP' => '203.0.113.7' });
    is($r->{status}, 404, 'a missing file');
    log_once($t, $mark,
        qr/\[error\] .*open\(\) ".*nope\.txt" failed .*, client: 203\.0\.113\.7, server: /,
        '"client:" is the real address');
    $t->expect_log(qr/nope\.txt" failed/);
};

subtest 'keep-alive' => sub {
    my $s = conn($t, port => $p[0]);
    my $port = $s->sockport;
    print {$s} "GET / HTTP/1.1\r\nHost: x\r\nX-Real-IP: 192.0.2.1:99\r\n\r\n";
    my $r1 = read_response($s);
    print {$s} "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    my $r2 = read_response($s);
    print {$s} "GET / HTTP/1.1\r\nHost: x\r\nX-Real-IP: 192.0.2.2\r\n\r\n";
    my $r3 = read_response($s);
    is($r1 && $r1->{body}, "192.0.2.1|99|127.0.0.1|$port\n", 'first request');
    is($r2 && $r2->{body}, "127.0.0.1|$port|127.0.0.1|$port\n",
        'the next request has the connection\'s address again');
    is($r3 && $r3->{body}, "192.0.2.2||127.0.0.1|$port\n", 'and a third');
};

subtest 'unix sockets' => sub {
    for my $c ([$sock, "192.0.2.1||unix:|\n", 'set_real_ip_from unix:'],
        [$sock2, "unix:||unix:|\n", 'not trusted'])
    {
        my $u = IO::Socket::UNIX->new(Peer => $c->[0]);
        ok($u, "$c->[2]: connected") or next;
        print {$u} "GET / HTTP/1.0\r\nX-Real-IP: 192.0.2.1\r\n\r\n";
        my $r = read_response($u);
        is($r && $r->{body}, $c->[1], $c->[2]);
    }
};

subtest 'IPv6 clients' => sub {
    plan skip_all => 'no IPv6 on lo' unless $have_ipv6;
    for my $c ([$p[10], qr/^192\.0\.2\.1\|\|::1\|\d+\n\z/, 'trusted ::1'],
        [$p[11], qr/^::1\|(\d+)\|::1\|\1\n\z/,
            'an IPv4 list does not trust ::1'])
    {
        my $s = IO::Socket::IP->new(PeerHost => '::1', PeerPort => $c->[0],
            Timeout => 5);
        ok($s, 'connected') or next;
        print {$s} "GET / HTTP/1.0\r\nX-Real-IP: 192.0.2.1\r\n\r\n";
        my $r = read_response($s);
        like($r && $r->{body}, $c->[1], $c->[2]);
    }
};

subtest 'real_ip_header proxy_protocol' => sub {
    my $pp = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n";
    my $GET = "GET / HTTP/1.0\r\n\r\n";
    my $r = req($t, $pp . $GET, port => $p[7]);
    like($r && $r->{body},
        qr/^192\.0\.2\.1\|56324\|127\.0\.0\.1\|\d+ 192\.0\.2\.1:56324\n\z/,
        'the address and port of the header');
    like($t->read_file('logs/pp.log') // '', qr/^192\.0\.2\.1\|56324\|/m,
        'in the access log');
    $r = req($t, "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n$GET",
        port => $p[7]);
    like($r && $r->{body}, qr/^2001:db8::1\|1\|127\.0\.0\.1\|/, 'TCP6');
    $r = req($t, "PROXY UNKNOWN\r\n$GET", port => $p[7]);
    like($r && $r->{body}, qr/^127\.0\.0\.1\|(\d+)\|127\.0\.0\.1\|\1 :\n\z/,
        'UNKNOWN: unchanged');
    $r = req($t, $pp . "GET / HTTP/1.0\r\nX-Real-IP: 192.0.2.99\r\n\r\n",
        port => $p[7]);
    like($r && $r->{body}, qr/^192\.0\.2\.1\|56324\|/, 'not X-Real-IP');
    $r = req($t, $pp . $GET, port => $p[8]);
    like($r && $r->{body}, $unchanged, 'the proxy is not trusted');

    # X-Real-IP on a proxy_protocol listener: trusted by the proxy's
    # connection address, as nginx does
    $r = req($t, $pp . "GET / HTTP/1.0\r\nX-Real-IP: 192.0.2.99\r\n\r\n",
        port => $p[9]);
    like($r && $r->{body},
        qr/^192\.0\.2\.99\|\|127\.0\.0\.1\|\d+ 192\.0\.2\.1:56324\n\z/,
        'X-Real-IP through a PROXY protocol connection');
};

subtest '-V' => sub {
    my $r = $t->run({ raw => 1 }, '-V');
    like($r->{stderr}, qr/^configure arguments:.* --with-http_realip_module\b/m,
        'lists --with-http_realip_module');
};

sub test_conf ($desc, $body, $re, $status, $main = '') {
    $t->write_config(http_config($t, $body, main => $main));
    my $r = $t->run({ timeout => 5 }, '-t');
    is($r->{status}, $status, "$desc: exit $status");
    like($r->{stderr}, $re, "$desc: message");
}

subtest '-t' => sub {
    my $in = qr/ in \Q$conf\E:\d+\n/;
    my $failed = qr/\Q$name: configuration file $conf test failed\E\n\z/;
    test_conf('a prefix longer than 32', 'set_real_ip_from 10.0.0.0/33;',
        qr/^\Q$name: [emerg] host not found in set_real_ip_from "10.0.0.0\/33"\E$in$failed/,
        1);
    test_conf('an IPv6 prefix longer than 128', 'set_real_ip_from ::1/129;',
        qr/^\Q$name: [emerg] host not found in set_real_ip_from "::1\/129"\E$in/,
        1);
    test_conf('unix: with a path', 'set_real_ip_from unix:/tmp/x;',
        qr/^\Q$name: [emerg] host not found in set_real_ip_from "unix:\/tmp\/x"\E$in/,
        1);
    test_conf('a host that does not resolve',
        'set_real_ip_from no-such-host.invalid;',
        qr/^\Q$name: [emerg] host not found in set_real_ip_from "no-such-host.invalid"\E$in/,
        1);
    test_conf('host bits set', 'set_real_ip_from 10.0.0.1/8;',
        qr/^\Q$name: [warn] low address bits of 10.0.0.1\/8 are meaningless\E$in.*test is successful/s,
        0);
    test_conf('duplicate real_ip_header',
        "real_ip_header X-Real-IP;\n server { real_ip_header a; real_ip_header b; }",
        qr/^\Q$name: [emerg] "real_ip_header" directive is duplicate\E$in/, 1);
    test_conf('real_ip_recursive yes', 'real_ip_recursive yes;',
        qr/^\Q$name: [emerg] invalid value "yes" in "real_ip_recursive" directive, it must be "on" or "off"\E$in/,
        1);
    test_conf('no argument', 'set_real_ip_from;',
        qr/^\Q$name: [emerg] invalid number of arguments in "set_real_ip_from" directive\E$in/,
        1);
    test_conf('two arguments', 'real_ip_header a b;',
        qr/^\Q$name: [emerg] invalid number of arguments in "real_ip_header" directive\E$in/,
        1);
    test_conf('outside http', '', qr/^\Q$name: [emerg] "set_real_ip_from" directive is not allowed here\E$in/,
        1, 'set_real_ip_from 127.0.0.1;');
    test_conf('every level', <<'EOF', qr/test is successful/, 0);
    set_real_ip_from 192.0.2.0/24;
    set_real_ip_from 2001:db8::/32;
    set_real_ip_from unix:;
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
    server {
        listen 127.0.0.1:%%PORT12%%;
        set_real_ip_from 10.0.0.1;
        real_ip_header proxy_protocol;
        location / { set_real_ip_from ::1; real_ip_recursive off; }
    }
EOF
    $t->expect_log(qr/host not found in set_real_ip_from|directive is duplicate|invalid value "yes"|invalid number of arguments|is not allowed here/);
};

$t->done;
done_testing;
