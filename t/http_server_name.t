#!/usr/bin/perl
# Virtual server selection: server_name (exact, wildcards, regex with
# captures, ""), default_server, Host forms (port, absolute-form request
# line, case, trailing dot) and invalid Host values.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with get req serves bad_request);

my $t = Test::Warden->new;

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    # The first server on port 0 is its default.
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name first.test;
        return 200 "first $host\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name exact.example.com;
        return 200 "exact\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name *.example.com;
        return 200 "wild-front\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name *.a.example.com;
        return 200 "wild-front-longer\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name www.example.*;
        return 200 "wild-back\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name .example.org;
        return 200 "dot\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name "~^(?<name>[a-z]+)\.(\d+)\.regex\.test$";
        return 200 "$1 $2 $name\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name ~^www\..*\.net$;
        return 200 "regex-www\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name ~\.net$;
        return 200 "regex-net\n";
    }
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name MiXeD.Case.TEST;
        return 200 "mixed\n";
    }

    # Port 1: default_server is not the first server.
    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name one.test;
        return 200 "one\n";
    }
    server {
        listen 127.0.0.1:%%PORT1%% default_server;
        server_name two.test;
        return 200 "two\n";
    }
    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name nohost.test "";
        return 200 "empty-name\n";
    }

    # Port 2: only named servers, no "" name: Host-less requests go to
    # the default server.
    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name three.test;
        return 200 "three\n";
    }
    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name four.test;
        return 200 "four\n";
    }
EOF

sub body_for ($host, %opt) {
    my $r = get($t, '/', host => $host, %opt);
    return $r ? "$r->{status} $r->{body}" : 'no response';
}

subtest 'name kinds and priority' => sub {
    is(body_for('exact.example.com'), "200 exact\n", 'exact beats *.example.com');
    is(body_for('foo.example.com'), "200 wild-front\n", '*.example.com');
    is(body_for('x.y.example.com'), "200 wild-front\n",
        '*.example.com matches several labels');
    is(body_for('b.a.example.com'), "200 wild-front-longer\n",
        'longest leading wildcard wins');
    is(body_for('www.example.com'), "200 wild-front\n",
        'leading wildcard beats trailing wildcard');
    is(body_for('www.example.net'), "200 wild-back\n",
        'www.example.* beats a matching regex');
    is(body_for('www.example.co.uk'), "200 wild-back\n",
        'www.example.* matches several labels');
    is(body_for('example.org'), "200 dot\n", '.example.org: the bare name');
    is(body_for('a.b.example.org'), "200 dot\n", '.example.org: subdomains');
    is(body_for('abc.42.regex.test'), "200 abc 42 abc\n",
        'regex: numbered and named captures in return');
    is(body_for('www.foo.net'), "200 regex-www\n", 'first matching regex wins');
    is(body_for('foo.net'), "200 regex-net\n", 'second regex');
    is(body_for('nomatch.test'), "200 first nomatch.test\n",
        'no match: the first server is the default');
    is(body_for('example.com'), "200 first example.com\n",
        '*.example.com does not match example.com');
};

subtest 'Host forms' => sub {
    is(body_for('exact.example.com:8080'), "200 exact\n", 'Host with a port');
    is(body_for('EXACT.Example.COM'), "200 exact\n", 'Host is case-insensitive');
    is(body_for('mixed.case.test'), "200 mixed\n",
        'server_name is case-insensitive');
    is(body_for('FIRST.test'), "200 first first.test\n", '$host is lowercased');
    is(body_for('exact.example.com.'), "200 exact\n", 'a trailing dot is ignored');
    is(body_for('First.Test.:81'), "200 first first.test\n",
        'trailing dot and port stripped from $host');

    my $r = req($t, "GET http://exact.example.com/ HTTP/1.1\r\n"
        . "Host: foo.example.com\r\nConnection: close\r\n\r\n");
    is("$r->{status} $r->{body}", "200 exact\n",
        'absolute-form request line wins over Host');
    $r = req($t, "GET http://first.test:1234/x HTTP/1.1\r\n"
        . "Host: exact.example.com\r\nConnection: close\r\n\r\n");
    is("$r->{status} $r->{body}", "200 first first.test\n",
        'absolute-form host with a port');
    $r = req($t, "GET http://nomatch.test/ HTTP/1.0\r\n\r\n");
    is("$r->{status} $r->{body}", "200 first nomatch.test\n",
        'absolute-form with HTTP/1.0 and no Host');
};

subtest 'requests without Host' => sub {
    is(body_for(undef), "200 first first.test\n",
        'HTTP/1.0 without Host: default server, $host is its server_name');
    is(body_for(undef, port => $t->port(1)), "200 empty-name\n",
        'HTTP/1.0 without Host: the server with ""');
    is(body_for(undef, port => $t->port(2)), "200 three\n",
        'no "" name: the default server');
    bad_request($t, 'HTTP/1.1 without Host',
        "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400,
        qr/\[info\] .*client sent HTTP\/1.1 request without "Host" header while reading client request headers/);
};

subtest 'default_server' => sub {
    is(body_for('unknown.test', port => $t->port(1)), "200 two\n",
        'default_server on the listen');
    is(body_for('one.test', port => $t->port(1)), "200 one\n", 'named server');
    is(body_for('exact.example.com', port => $t->port(1)), "200 two\n",
        'names on another port do not match');
    is(body_for('unknown.test', port => $t->port(2)), "200 three\n",
        'first server is the default');
    is(body_for('four.test', port => $t->port(2)), "200 four\n",
        'second server by name');
};

subtest 'invalid Host' => sub {
    my $inv = qr/\[info\] .*client sent invalid host header while reading client request headers/;
    for my $host ('a/b', '..', 'a..b', '') {
        bad_request($t, "Host: '$host'",
            "GET / HTTP/1.0\r\nHost: $host\r\n\r\n", 400, $inv);
    }
    bad_request($t, 'Host with NUL', "GET / HTTP/1.0\r\nHost: a\0b\r\n\r\n",
        400, qr/\[info\] .*client sent invalid header line: "Host: a\\x00\.\.\." while reading client request headers/);
    # An unclosed IPv6 literal: nginx accepts it; warden is stricter
    # (RFC 3986 IP-literal).
    if ($t->name eq 'nginx') {
        is(get($t, '/', host => '[::1')->{status}, 200,
            'Host: [::1 accepted by nginx');
    }
    else {
        bad_request($t, 'Host: [::1', "GET / HTTP/1.0\r\nHost: [::1\r\n\r\n",
            400, $inv);
    }
    my $r = get($t, '/', host => '[::1]:80');
    is("$r->{status} $r->{body}", "200 first [::1]\n", 'IPv6 literal is valid');
    $r = get($t, '/', host => '127.0.0.1');
    is("$r->{status} $r->{body}", "200 first 127.0.0.1\n", 'IPv4 literal');
    bad_request($t, 'two Host headers',
        "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n"
        . "Connection: close\r\n\r\n", 400,
        qr/\[info\] .*client sent duplicate host header: "Host: b.test", previous value: "Host: a.test" while reading client request headers/);
};

$t->done;
done_testing;
