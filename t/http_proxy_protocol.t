#!/usr/bin/perl
# "listen ... proxy_protocol": PROXY protocol version 1 and 2 headers
# before the request, the $proxy_protocol_* variables (TLVs included),
# keep-alive after the header, headers in pieces, and what closes the
# connection (with its error-log line): no header, a broken or oversized
# one, a timeout, EOF.  Also a unix socket, an address shared by servers,
# and the -t warnings.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use Socket qw(inet_aton inet_pton AF_INET6);
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config start_with req conn read_response
    is_closed log_mark log_since log_once);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $conf = $t->conf_path;
my ($p0, $p1, $p2, $p3, $p4) = map { $t->port($_) } 0 .. 4;
my $sock = "$prefix/logs/pp.sock";

# nginx reads the header from the first packet only, checks version 1
# addresses loosely and has $proxy_protocol_tlv_* since 1.23.2
my $nginx = $name eq 'nginx';
my ($nginx_minor) = $nginx ? `$t->{binary} -v 2>&1` =~ m{nginx/1\.(\d+)} : ();
my $have_tlv = !$nginx || ($nginx_minor // 0) >= 24;
# before 1.25 nginx quoted all it read in "broken header", and did not
# warn about listens that disagree on proxy_protocol
my $old_nginx = $nginx && ($nginx_minor // 0) < 25;

my $vars = 'pa=$proxy_protocol_addr pp=$proxy_protocol_port '
    . 'sa=$proxy_protocol_server_addr sp=$proxy_protocol_server_port '
    . 'ra=$remote_addr';
my $tlvs = $have_tlv
    ? 'location /tlv { return 200 "alpn=$proxy_protocol_tlv_alpn '
        . 'auth=$proxy_protocol_tlv_authority '
        . 'id=$proxy_protocol_tlv_unique_id x=$proxy_protocol_tlv_0xea '
        . 'ver=$proxy_protocol_tlv_ssl_version '
        . 'cn=$proxy_protocol_tlv_ssl_cn '
        . 'verify=$proxy_protocol_tlv_ssl_verify\n"; }'
        . 'location /tlv-bogus { return 200 "[$proxy_protocol_tlv_bogus]"; }'
        . 'location /tlv-alpn { return 200 "[$proxy_protocol_tlv_alpn]"; }'
    : '';

start_with($t, <<"EOF") or BAIL_OUT('cannot start');
    server {
        listen 127.0.0.1:%%PORT0%% proxy_protocol;
        location / { return 200 "$vars\\n"; }
        $tlvs
    }
    server {
        listen 127.0.0.1:%%PORT1%%;
        location / { return 200 "plain $vars\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT2%% proxy_protocol deferred;
        client_header_timeout 1s;
        location / { return 200 "$vars\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT3%% proxy_protocol;
        server_name a;
        location / { return 200 "a $vars\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT3%%;
        server_name b;
        location / { return 200 "b $vars\\n"; }
    }
    server {
        listen unix:$sock proxy_protocol;
        location / { return 200 "unix $vars\\n"; }
    }
EOF

my $GET = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";

sub body ($raw, %opt) {
    my $r = req($t, $raw, port => $p0, %opt);
    return $r && $r->{status} ? "$r->{status} $r->{body}" : 'closed';
}

sub v1 ($proto, $src = '', $dst = '', $sport = '', $dport = '') {
    return "PROXY $proto $src $dst $sport $dport\r\n";
}

sub v2 ($ver_cmd, $fam, $rest) {
    return "\r\n\r\n\0\r\nQUIT\n" . pack('CCn', $ver_cmd, $fam, length $rest)
        . $rest;
}

sub inet ($src, $dst, $sport, $dport) {
    return inet_aton($src) . inet_aton($dst) . pack('nn', $sport, $dport);
}

sub tlv ($type, $value) { pack('Cn', $type, length $value) . $value }

subtest 'version 1' => sub {
    is(body(v1('TCP4', '192.0.2.1', '198.51.100.2', 56324, 443) . $GET),
        "200 pa=192.0.2.1 pp=56324 sa=198.51.100.2 sp=443 ra=127.0.0.1\n",
        'TCP4: the variables; $remote_addr stays the proxy');
    is(body(v1('TCP6', '2001:db8::1', '2001:db8::2', 1, 65535) . $GET),
        "200 pa=2001:db8::1 pp=1 sa=2001:db8::2 sp=65535 ra=127.0.0.1\n",
        'TCP6');
    is(body(v1('TCP4', '192.0.2.1', '0.0.0.0', 0, 80) . $GET),
        "200 pa=192.0.2.1 pp= sa=0.0.0.0 sp=80 ra=127.0.0.1\n",
        'port 0 shows as empty');
    is(body("PROXY UNKNOWN\r\n$GET"), "200 pa= pp= sa= sp= ra=127.0.0.1\n",
        'UNKNOWN: no addresses');
    is(body("PROXY UNKNOWN 2001:db8::1 2001:db8::2 1 2\r\n$GET"),
        "200 pa= pp= sa= sp= ra=127.0.0.1\n",
        'UNKNOWN with addresses: ignored');
    is(body([v1('TCP4', '192.0.2.1', '192.0.2.2', 1, 2), $GET]),
        "200 pa=192.0.2.1 pp=1 sa=192.0.2.2 sp=2 ra=127.0.0.1\n",
        'the request in a later packet');
};

subtest 'version 2' => sub {
    my $inet = inet('192.0.2.1', '198.51.100.2', 56324, 443);
    is(body(v2(0x21, 0x11, $inet) . $GET),
        "200 pa=192.0.2.1 pp=56324 sa=198.51.100.2 sp=443 ra=127.0.0.1\n",
        'PROXY, INET, STREAM');
    my $inet6 = inet_pton(AF_INET6, '2001:db8::5')
        . inet_pton(AF_INET6, '::ffff:10.0.0.1') . pack('nn', 8080, 80);
    is(body(v2(0x21, 0x21, $inet6) . $GET),
        "200 pa=2001:db8::5 pp=8080 sa=::ffff:10.0.0.1 sp=80 ra=127.0.0.1\n",
        'PROXY, INET6, STREAM');
    is(body(v2(0x20, 0x00, '') . $GET), "200 pa= pp= sa= sp= ra=127.0.0.1\n",
        'LOCAL: the proxy\'s own connection');
    is(body(v2(0x20, 0x11, $inet) . $GET),
        "200 pa= pp= sa= sp= ra=127.0.0.1\n", 'LOCAL with addresses');
    is(body(v2(0x21, 0x12, $inet) . $GET),
        "200 pa= pp= sa= sp= ra=127.0.0.1\n", 'DGRAM: no addresses');
    is(body(v2(0x21, 0x31, 'u' x 216) . $GET),
        "200 pa= pp= sa= sp= ra=127.0.0.1\n", 'UNIX: no addresses');
    is(body([v2(0x21, 0x11, $inet), $GET]),
        "200 pa=192.0.2.1 pp=56324 sa=198.51.100.2 sp=443 ra=127.0.0.1\n",
        'the request in a later packet');

    # the request-header buffer (client_header_buffer_size, 1k) bounds
    # the header: 1024 bytes fit, 1025 do not
    my $pad = tlv(0x04, 'n' x (1024 - 16 - 12 - 3));
    is(body([v2(0x21, 0x11, $inet . $pad), $GET]),
        "200 pa=192.0.2.1 pp=56324 sa=198.51.100.2 sp=443 ra=127.0.0.1\n",
        'a 1024-byte header');
};

subtest 'TLVs' => sub {
    plan skip_all => "$name has no \$proxy_protocol_tlv_*" unless $have_tlv;
    my $ssl = tlv(0x20, pack('CN', 0x07, 0)
        . tlv(0x21, 'TLSv1.3') . tlv(0x22, 'client.example'));
    my $all = tlv(0x01, 'h2') . tlv(0x02, 'example.com')
        . tlv(0x05, "\x01id") . tlv(0xea, 'vpce-0123') . $ssl;
    my $hdr = v2(0x21, 0x11, inet('192.0.2.1', '192.0.2.2', 1, 2) . $all);
    is(body($hdr . "GET /tlv HTTP/1.0\r\n\r\n"),
        "200 alpn=h2 auth=example.com id=\x01id x=vpce-0123 ver=TLSv1.3 "
        . "cn=client.example verify=0\n", 'by name and by type');

    $hdr = v2(0x21, 0x11, inet('192.0.2.1', '192.0.2.2', 1, 2)
        . tlv(0x01, 'http/1.1'));
    is(body($hdr . "GET /tlv HTTP/1.0\r\n\r\n"),
        "200 alpn=http/1.1 auth= id= x= ver= cn= verify=\n",
        'absent ones are empty');
    is(body(v1('TCP4', '192.0.2.1', '192.0.2.2', 1, 2)
        . "GET /tlv HTTP/1.0\r\n\r\n"),
        "200 alpn= auth= id= x= ver= cn= verify=\n", 'none in version 1');

    my $mark = log_mark($t);
    is(body(v2(0x21, 0x11, inet('192.0.2.1', '192.0.2.2', 1, 2))
        . "GET /tlv-bogus HTTP/1.0\r\n\r\n"), '200 []', 'an unknown name');
    log_once($t, $mark, qr/\[error\] .*unknown PROXY protocol TLV "bogus"/,
        'an unknown name');
    $t->expect_log(qr/unknown PROXY protocol TLV/);

    # a TLV that claims more bytes than the header has: the variable
    # fails (nginx then fails the response; warden's "return" leaves the
    # variable empty, as for any variable that fails)
    $mark = log_mark($t);
    $hdr = v2(0x21, 0x11, inet('192.0.2.1', '192.0.2.2', 1, 2)
        . "\x01\x00\x09h2");
    is(body($hdr . "GET /tlv-alpn HTTP/1.0\r\n\r\n") =~ s/\n.*//sr,
        $nginx ? '500 <html>' : '200 []', 'a broken TLV');
    log_once($t, $mark, qr/\[error\] .*broken PROXY protocol TLV, client: /,
        'a broken TLV');
};

subtest 'keep-alive' => sub {
    my $s = conn($t, port => $p0);
    print {$s} v1('TCP4', '192.0.2.7', '192.0.2.8', 7, 8)
        . "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    my $r1 = read_response($s);
    print {$s} "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    my $r2 = read_response($s);
    is($r1 && $r1->{body}, "pa=192.0.2.7 pp=7 sa=192.0.2.8 sp=8 ra=127.0.0.1\n",
        'first request');
    is($r2 && $r2->{body}, $r1 && $r1->{body},
        'second request: the same header still applies');

    # the header comes once: a second one is a bad request line
    print {$s} v1('TCP4', '192.0.2.9', '192.0.2.8', 7, 8) . $GET;
    my $r3 = read_response($s);
    is($r3 && $r3->{status}, 400, 'a second header: 400');
    $t->expect_log(qr/client sent invalid request/);
};

subtest 'in pieces' => sub {
    plan skip_all => 'nginx wants the header in the first packet' if $nginx;
    my $line = v1('TCP4', '192.0.2.1', '198.51.100.2', 56324, 443);
    is(body([unpack('(a7)*', $line), $GET], sleep_between => 0.05),
        "200 pa=192.0.2.1 pp=56324 sa=198.51.100.2 sp=443 ra=127.0.0.1\n",
        'version 1, 7 bytes at a time');
    my $hdr = v2(0x21, 0x11, inet('192.0.2.1', '198.51.100.2', 56324, 443));
    is(body([unpack('(a5)*', $hdr), $GET], sleep_between => 0.05),
        "200 pa=192.0.2.1 pp=56324 sa=198.51.100.2 sp=443 ra=127.0.0.1\n",
        'version 2, 5 bytes at a time');
    is(body([substr($hdr, 0, 16), substr($hdr, 16) . $GET]),
        "200 pa=192.0.2.1 pp=56324 sa=198.51.100.2 sp=443 ra=127.0.0.1\n",
        'version 2, the fixed part first');
};

# Sends raw on a proxy_protocol port: the connection must be closed
# without a response, with one error-log line matching $re; a good
# connection works afterwards.
sub rejected ($desc, $raw, $re, %opt) {
    $re = qr/\[error\] .*(?:broken header|unknown PROXY protocol version|header is too large)/
        if $old_nginx;
    my $mark = log_mark($t);
    my $r = req($t, $raw, port => $p0, %opt);
    ok(!$r || !defined $r->{status}, "$desc: closed without a response")
        or diag("got: $r->{raw_headers}");
    log_once($t, $mark, $re, $desc);
    is(body(v1('TCP4', '192.0.2.1', '192.0.2.2', 1, 2) . $GET),
        "200 pa=192.0.2.1 pp=1 sa=192.0.2.2 sp=2 ra=127.0.0.1\n",
        "$desc: still serving");
}

subtest 'rejected headers' => sub {
    my $ctx = qr/ while reading PROXY protocol, client: 127\.0\.0\.1, server: 127\.0\.0\.1:$p0$/;
    rejected('no header', $GET,
        qr/\[error\] .*broken header: "GET \/ HTTP\/1\.0"$ctx/);
    rejected('a version 1 line with LF only',
        "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n$GET",
        qr/broken header: "PROXY TCP4 192\.0\.2\.1 192\.0\.2\.2 1 2"$ctx/);
    rejected('a port over 65535', v1('TCP4', '1.2.3.4', '1.2.3.4', 1, 65536),
        qr/broken header: "PROXY TCP4 1\.2\.3\.4 1\.2\.3\.4 1 65536"$ctx/);
    rejected('an unknown protocol', v1('UDP4', '1.2.3.4', '1.2.3.4', 1, 2),
        qr/broken header: "PROXY UDP4 /);
    rejected('a missing field', "PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n$GET",
        qr/broken header: "PROXY TCP4 1\.2\.3\.4 1\.2\.3\.4 1"$ctx/);
    rejected('binary', "\x00\x01\xff\"x\r\n",
        $nginx ? qr/broken header: "/
               : qr/broken header: "\\x00\\x01\\xff\\"x"$ctx/);
    rejected('version 2: version 1 in the version bits',
        v2(0x11, 0x11, inet('1.2.3.4', '1.2.3.4', 1, 2)) . $GET,
        qr/\[error\] .*unknown PROXY protocol version: 1$ctx/);
    rejected('version 2: longer than the buffer',
        v2(0x21, 0x11, inet('1.2.3.4', '1.2.3.4', 1, 2)
            . tlv(0x04, 'n' x (1025 - 16 - 12 - 3))),
        qr/\[error\] .*header is too large$ctx/);
    rejected('version 2: a length of 65535, nothing following',
        "\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff",
        qr/\[error\] .*header is too large$ctx/);

  SKIP: {
        skip 'nginx checks version 1 addresses loosely, logs v2 silently', 12
            if $nginx;
        rejected('a version 1 address of the other family',
            v1('TCP4', '2001:db8::1', '1.2.3.4', 1, 2),
            qr/broken header: "PROXY TCP4 2001:db8::1 /);
        rejected('a version 1 address that is no address',
            v1('TCP4', '1.2.3.4.5', '1.2.3.4', 1, 2),
            qr/broken header: "PROXY TCP4 1\.2\.3\.4\.5 /);
        rejected('a version 1 line longer than 107 bytes',
            "PROXY UNKNOWN " . ('x' x 100) . "\r\n$GET",
            qr/broken header: "PROXY UNKNOWN x{100}"$ctx/);
        rejected('version 2: addresses cut short',
            v2(0x21, 0x21, 'a' x 35) . $GET,
            qr/\[error\] .*broken header: PROXY protocol v2 addresses truncated$ctx/);
    }
};

subtest 'slow, cut off, timed out' => sub {
    plan skip_all => 'nginx wants the header in the first packet' if $nginx;
    $t->expect_log(qr/client timed out/);

    # EOF in the middle of the header
    my $mark = log_mark($t);
    my $r = req($t, 'PROXY TCP4 192.0.2.1 ', port => $p0);
    ok(!$r || !defined $r->{status}, 'EOF in the header: closed');
    log_once($t, $mark,
        qr/\[info\] .*client closed connection while reading PROXY protocol, client: 127\.0\.0\.1, server: /,
        'EOF in the header');

    # a header that stops coming: client_header_timeout (1s) from the
    # accept, whatever trickles in (deferred: accepted with data, no timer
    # yet until warden sets one)
    $mark = log_mark($t);
    my $s = conn($t, port => $p2);
    my $start = time;
    print {$s} 'PROXY ';
    sleep 0.4;
    print {$s} 'TCP4 ';
    sleep 0.4;
    print {$s} '1.2';
    ok(is_closed($s, timeout => 3), 'closed after client_header_timeout');
    my $took = time - $start;
    ok($took > 0.9 && $took < 2.5, sprintf('after about 1s (%.2fs)', $took));
    log_once($t, $mark,
        qr/\[info\] .*client timed out \(\d+: [^)]*\) while reading PROXY protocol, client: 127\.0\.0\.1, server: 127\.0\.0\.1:$p2$/,
        'timeout');

    # the header alone, and the request never
    $mark = log_mark($t);
    $s = conn($t, port => $p2);
    print {$s} v1('TCP4', '192.0.2.1', '192.0.2.2', 1, 2);
    ok(is_closed($s, timeout => 3), 'no request after the header: closed');
    log_once($t, $mark,
        qr/\[info\] .*client timed out \(\d+: [^)]*\) while waiting for request, client: 127\.0\.0\.1, server: /,
        'timeout waiting for the request');

    # and one that works on that port
    $r = req($t, v1('TCP4', '192.0.2.1', '192.0.2.2', 1, 2) . $GET,
        port => $p2);
    is($r && $r->{body}, "pa=192.0.2.1 pp=1 sa=192.0.2.2 sp=2 ra=127.0.0.1\n",
        'deferred: a whole header');
};

subtest 'a plain listener' => sub {
    my $r = req($t, v1('TCP4', '192.0.2.1', '192.0.2.2', 1, 2) . $GET,
        port => $p1);
    is($r && $r->{status}, 400, 'a PROXY line is a bad request');
    $r = req($t, $GET, port => $p1);
    is($r && $r->{body}, "plain pa= pp= sa= sp= ra=127.0.0.1\n",
        'the variables are empty');

    # regression: the line said "while waiting for request" twice
    my $mark = log_mark($t);
    my $s = conn($t, port => $p1);
    close $s;
    $t->wait_until(sub { log_since($t, $mark) =~ /client closed/ },
        timeout => 2);
    like(log_since($t, $mark),
        qr/\[info\] .*: \*\d+ client closed connection while waiting for request, client: 127\.0\.0\.1, server: 127\.0\.0\.1:$p1\n/,
        'EOF before a request: "client closed connection", once');
};

subtest 'an address shared by servers' => sub {
    # the parameter applies to every server on the address, as in nginx
    my $r = req($t, v1('TCP4', '192.0.2.1', '192.0.2.2', 1, 2)
        . "GET / HTTP/1.0\r\nHost: b\r\n\r\n", port => $p3);
    is($r && $r->{body}, "b pa=192.0.2.1 pp=1 sa=192.0.2.2 sp=2 ra=127.0.0.1\n",
        'the server without the parameter reads the header too');
    my $mark = log_mark($t);
    $r = req($t, "GET / HTTP/1.0\r\nHost: b\r\n\r\n", port => $p3);
    ok(!$r || !defined $r->{status}, 'and needs it');
    log_once($t, $mark, qr/broken header/, 'no header on the shared address');
};

subtest 'unix socket' => sub {
    my $u = IO::Socket::UNIX->new(Peer => $sock);
    ok($u, 'connected') or return;
    print {$u} v1('TCP6', '2001:db8::1', '2001:db8::2', 1, 2) . $GET;
    my $r = read_response($u);
    is($r && $r->{body},
        "unix pa=2001:db8::1 pp=1 sa=2001:db8::2 sp=2 ra=unix:\n",
        'the header on a unix socket');
};

$t->expect_log(qr/broken header|unknown PROXY protocol version|header is too large|broken PROXY protocol TLV/);

sub test_conf ($desc, $body, $re, $status) {
    $t->write_config(http_config($t, $body));
    my $r = $t->run({ timeout => 5 }, '-t');
    is($r->{status}, $status, "$desc: exit $status");
    like($r->{stderr}, $re, "$desc: message");
}

subtest '-t' => sub {
    plan skip_all => 'no "protocol options redefined" before nginx 1.25'
        if $old_nginx;
    my $p = $p4;
    test_conf('proxy_protocol alone does not need bind', <<'EOF',
    server { listen 127.0.0.1:%%PORT4%% proxy_protocol; server_name a; }
    server { listen 127.0.0.1:%%PORT4%% backlog=10; server_name b; }
EOF
        qr/^\Q$name: [warn] protocol options redefined for 127.0.0.1:$p in $conf:\E\d+\n.*test is successful/s,
        0);
    test_conf('the listen with the options adds it', <<'EOF',
    server { listen 127.0.0.1:%%PORT4%%; server_name a; }
    server { listen 127.0.0.1:%%PORT4%% backlog=10 proxy_protocol; server_name b; }
EOF
        qr/^(?!.*redefined).*test is successful/s, 0);
    test_conf('another listen adds it', <<'EOF',
    server { listen 127.0.0.1:%%PORT4%% backlog=10; server_name a; }
    server { listen 127.0.0.1:%%PORT4%% proxy_protocol; server_name b; }
EOF
        qr/^\Q$name: [warn] protocol options redefined for 127.0.0.1:$p in $conf:\E\d+\n/,
        0);
    test_conf('no options anywhere', <<'EOF',
    server { listen 127.0.0.1:%%PORT4%% proxy_protocol; server_name a; }
    server { listen 127.0.0.1:%%PORT4%%; server_name b; }
EOF
        qr/^(?!.*redefined).*test is successful/s, 0);
};

$t->done;
done_testing;
