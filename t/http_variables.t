#!/usr/bin/perl
# Core HTTP variables, each returned by "return 200" from its own location
# (/v/NAME/), and "unknown variable" at -t.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd qw(realpath);
use POSIX qw(uname);
use Time::HiRes qw(time);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with http_config get req conn
    read_response);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $port = $t->port(0);

my @vars = qw(uri document_uri request_uri args query_string is_args arg_x
    arg_empty http_x_custom http_cookie cookie_a host hostname remote_addr
    remote_port binary_remote_addr server_addr server_port server_name
    server_protocol scheme https request request_method request_length
    request_filename document_root realpath_root content_length
    content_type connection connection_requests msec time_local
    time_iso8601 pid request_id limit_rate status tcpinfo_rtt
    nginx_version);

my $locs = join "\n", map {
    "        location /v/$_/ { return 200 \"<\$$_>\"; }"
} @vars;

$t->write_file('html/index.html', "index\n");
symlink "$prefix/html", "$prefix/html-link";

start_with($t, <<"EOF") or BAIL_OUT('cannot start');
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name primary.test localhost;
        root html;
$locs
        location /v/realpath_root/link/ {
            root html-link;
            return 200 "<\$realpath_root> <\$document_root>";
        }
        location /v/status/ep/ { error_page 404 /v/status/; }
        location /v/conn/ { return 200 "<\$connection> <\$connection_requests>"; }
    }
EOF

sub var ($v, $rest = '', %opt) {
    my $r = get($t, "/v/$v/$rest", %opt);
    return undef unless $r && $r->{status};
    return $r->{body} =~ /^<(.*)>$/s ? $1 : "status $r->{status}: $r->{body}";
}

sub var_raw ($v, $raw) {
    my $r = req($t, $raw);
    return $r->{body} =~ /^<(.*)>$/s ? $1 : "status $r->{status}: $r->{body}";
}

subtest 'URI and arguments' => sub {
    is(var('uri', 'a%20b/../c?x=1'), '/v/uri/c', '$uri: decoded, normalized');
    is(var('document_uri', 'd?x=1'), '/v/document_uri/d', '$document_uri');
    is(var('request_uri', 'a%20b/../c?x=%20'), '/v/request_uri/a%20b/../c?x=%20',
        '$request_uri: as sent');
    is(var('args', '?a=1&b=2'), 'a=1&b=2', '$args');
    is(var('args'), '', '$args: none');
    is(var('query_string', '?q=%41'), 'q=%41', '$query_string: not decoded');
    is(var('is_args', '?a'), '?', '$is_args with args');
    is(var('is_args'), '', '$is_args without');
    is(var('arg_x', '?y=1&x=5&x=6'), '5', '$arg_x: the first');
    is(var('arg_x', '?X=up'), 'up', '$arg_x: case-insensitive name');
    is(var('arg_x', '?xx=1'), '', '$arg_x: no partial match');
    is(var('arg_empty', '?empty'), '', '$arg_empty: no value');
};

subtest 'request headers' => sub {
    is(var('http_x_custom', '', headers => { 'X-Custom' => 'val ue' }),
        'val ue', '$http_x_custom');
    is(var('http_x_custom', ''), '', '$http_x_custom: absent');
    my $raw = "GET /v/cookie_a/ HTTP/1.0\r\nCookie: b=2; a=1\r\n"
        . "Cookie: a=3\r\n\r\n";
    is(var_raw('cookie_a', $raw), '1', '$cookie_a: the first of several Cookie headers');
    $raw = "GET /v/cookie_a/ HTTP/1.0\r\nCookie: b=2\r\nCookie: a=3\r\n\r\n";
    is(var_raw('cookie_a', $raw), '3', '$cookie_a: in the second Cookie header');
    $raw = "GET /v/http_cookie/ HTTP/1.0\r\nCookie: b=2\r\nCookie: a=3\r\n\r\n";
    is(var_raw('http_cookie', $raw), 'b=2; a=3', '$http_cookie joins with "; "');
    is(var('host', '', host => 'Example.COM:8080'), 'example.com',
        '$host: lowercased, no port');
    is(var('host', '', host => undef), 'primary.test', '$host: no Host');
    $raw = "GET http://abs.test/v/host/ HTTP/1.1\r\nHost: other\r\n"
        . "Connection: close\r\n\r\n";
    is(var_raw('host', $raw), 'abs.test', '$host: from the request line');
    $raw = "POST /v/content_length/ HTTP/1.0\r\nContent-Length: 5\r\n\r\nabcde";
    is(var_raw('content_length', $raw), '5', '$content_length');
    is(var('content_length'), '', '$content_length: absent');
    is(var('content_type', '', headers => { 'Content-Type' => 'text/x-foo' }),
        'text/x-foo', '$content_type');
};

subtest 'addresses and server' => sub {
    is(var('hostname'), (uname())[1], '$hostname');
    is(var('remote_addr'), '127.0.0.1', '$remote_addr');
    my $s = conn($t);
    print {$s} "GET /v/remote_port/ HTTP/1.0\r\n\r\n";
    my $r = read_response($s);
    is($r->{body}, '<' . $s->sockport . '>', '$remote_port');
    is(var('binary_remote_addr'), "\x7f\0\0\x01", '$binary_remote_addr');
    is(var('server_addr'), '127.0.0.1', '$server_addr');
    is(var('server_port'), $port, '$server_port');
    is(var('server_name', '', host => 'localhost'), 'primary.test',
        '$server_name: the primary name');
    is(var('scheme'), 'http', '$scheme');
    is(var('https'), '', '$https');
    like(var('nginx_version'), qr/^\d+\.\d+\.\d+$/, '$nginx_version');
};

subtest 'request' => sub {
    is(var('server_protocol'), 'HTTP/1.0', '$server_protocol 1.0');
    is(var_raw('server_protocol', "GET /v/server_protocol/ HTTP/1.1\r\n"
        . "Host: a\r\nConnection: close\r\n\r\n"), 'HTTP/1.1',
        '$server_protocol 1.1');
    is(var_raw('request', "GET /v/request/?x=1 HTTP/1.0\r\nHost: a\r\n\r\n"),
        'GET /v/request/?x=1 HTTP/1.0', '$request');
    is(var_raw('request_method',
        "POST /v/request_method/ HTTP/1.0\r\nContent-Length: 0\r\n\r\n"),
        'POST', '$request_method');
    my $raw = "GET /v/request_length/ HTTP/1.0\r\nHost: localhost\r\n"
        . "X-Pad: 12345\r\n\r\n";
    is(var_raw('request_length', $raw), length $raw, '$request_length');
    is(var('request_filename', 'f.txt'),
        "$prefix/html/v/request_filename/f.txt", '$request_filename');
    is(var('document_root'), "$prefix/html", '$document_root');
    is(var('realpath_root'), realpath("$prefix/html"), '$realpath_root');
    is(var('realpath_root', 'link/'),
        realpath("$prefix/html") . "> <$prefix/html-link",
        '$realpath_root resolves a symlinked root');
    is(var('limit_rate'), '0', '$limit_rate: default');
    is(var('status'), '200', '$status in return: the code returned');
    my $r = get($t, '/v/status/ep/missing');
    is("$r->{status} $r->{body}", '404 <404>', '$status in an error page');
    like(var('tcpinfo_rtt'), qr/^\d+$/, '$tcpinfo_rtt');
    my $id1 = var('request_id');
    my $id2 = var('request_id');
    like($id1, qr/^[0-9a-f]{32}$/, '$request_id: 32 hex digits');
    isnt($id1, $id2, '$request_id: different per request');
};

subtest 'connection' => sub {
    my $s = conn($t);
    print {$s} "GET /v/conn/ HTTP/1.1\r\nHost: a\r\n\r\n"
        . "GET /v/conn/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    my $r1 = read_response($s);
    my $r2 = read_response($s);
    my ($c1, $n1) = $r1->{body} =~ /^<(\d+)> <(\d+)>$/;
    my ($c2, $n2) = $r2->{body} =~ /^<(\d+)> <(\d+)>$/;
    ok(defined $c1 && $c1 > 0, '$connection: a number');
    is($c2, $c1, '$connection: same on a keep-alive connection');
    is("$n1 $n2", '1 2', '$connection_requests counts');
    my $other = var('connection');
    isnt($other, $c1, '$connection: differs on a new connection');
};

subtest 'time and process' => sub {
    my $now = time;
    my $msec = var('msec');
    like($msec, qr/^\d+\.\d{3}$/, '$msec format');
    ok(abs($msec - $now) < 5, '$msec is now');
    like(var('time_local'),
        qr{^\d\d/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$},
        '$time_local format');
    like(var('time_iso8601'),
        qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/, '$time_iso8601 format');
    my $pid = var('pid');
    ok((grep { $_ == $pid } $t->worker_pids), '$pid is a worker');
};

subtest 'unknown variable' => sub {
    $t->write_config(http_config($t,
        "server { listen 127.0.0.1:%%PORT1%%; return 200 \$foo; }"));
    my $r = $t->run('-t');
    is($r->{status}, 1, 'rejected');
    like($r->{stderr}, qr/^\Q$name\E: \[emerg\] unknown "foo" variable$/m,
        'message');
    $t->expect_log(qr/unknown "foo" variable/);
};

$t->done;
done_testing;
