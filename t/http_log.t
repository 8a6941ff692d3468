#!/usr/bin/perl
# The access log: log_format (escape=default|json|none, several strings),
# access_log (several per level, inheritance, off, variables in the path,
# if=, buffer=, flush=, gzip), open_log_file_cache, reopening on USR1,
# write errors, and the -t errors in nginx's words.
#
# Where Debian's nginx is installed (WARDEN_NGINX, default /usr/sbin/nginx),
# each scenario also runs under it with the same config and requests, and
# the log files must be byte-identical to warden's (times aside).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Test::Warden qw(parse_response have_bin);

my $t = Test::Warden->new;
my $name = $t->name;
my $conf = $t->conf_path;
my $nginx = $ENV{WARDEN_NGINX} // '/usr/sbin/nginx';
my $ref = ($name ne 'nginx' && have_bin($nginx))
    ? Test::Warden->new(binary => $nginx) : undef;

diag($ref ? "comparing the logs with ${nginx}'s" : 'not comparing with nginx');

# ---------------------------------------------------------------------------
# Helpers

# The prologue of every runtime config; the http block follows.
my $MAIN = <<'EOF';
pid logs/warden.pid;
error_log logs/error.log info;
worker_processes 1;
events {}
EOF

# Times vary from run to run: "[26/Nov/2026:16:35:14 +0000]" and "rt=0.001".
sub normalize ($text) {
    return undef unless defined $text;
    $text =~ s{\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]}{[TIME]}g;
    $text =~ s{\brt=\d+\.\d{3}\b}{rt=T}g;
    return $text;
}

sub clear_logs ($s) {
    for my $f (glob($s->prefix . '/logs/*')) {
        unlink $f if -f $f && $f !~ m{/error\.log$};
    }
}

sub get ($s, $uri, %headers) {
    my $req = "GET $uri HTTP/1.0\r\nHost: " . (delete $headers{Host} // 'localhost')
        . "\r\n";
    $req .= "$_: $headers{$_}\r\n" for sort keys %headers;
    return parse_response($s->http("$req\r\n"));
}

sub lines_of ($text) { return () unless defined $text; split /\n/, $text }

# Runs one scenario on warden and then on nginx: writes the html files and
# the config, starts the server, calls $a{run}->($server) (which may test
# things: both servers must pass), stops it, and reads the log files named
# in $a{files}.  nginx's files must equal warden's after normalize().
# Returns warden's files, normalized, by name (undef: missing).
sub scenario ($desc, %a) {
    my %got;
    for my $s (grep { defined } $t, $ref) {
        my $who = $s->name;
        clear_logs($s);
        $s->write_file("html/$_", $a{html}{$_}) for keys %{ $a{html} // {} };
        $s->write_config($MAIN . $a{config});
        $s->start or next;
        $a{run}->($s, $who) if $a{run};
        $s->stop;
        $got{$who} = {
            map { $_ => normalize($s->read_file("logs/$_")) } @{ $a{files} }
        };
    }
    if ($ref && $got{nginx} && $got{$name}) {
        for my $f (@{ $a{files} }) {
            is($got{$name}{$f}, $got{nginx}{$f},
                "$desc: logs/$f is byte-identical to nginx's");
        }
    }
    return $got{$name} // {};
}

# -t with one http-level line (line 4 of the file).
sub http_conf ($body) {
    return "pid logs/warden.pid;\nevents {}\nhttp {\n$body\n}\n";
}

sub t_ok ($desc, $body) {
    $t->write_config(http_conf($body));
    my $r = $t->run('-t');
    is($r->{status}, 0, "-t accepts $desc") or diag($r->{stderr});
}

# $where: 1, the message names the file and line 4; 0, it does not (the
# end of the http block); 'after', it does not and follows "syntax is ok"
# (a file opened after the configuration was read).
sub t_fails ($desc, $body, $msg, $where = 1) {
    $t->write_config(http_conf($body));
    my $r = $t->run('-t');
    my $loc = $where eq '1' ? " in $conf:4" : '';
    my $before = $where eq 'after'
        ? "$name: the configuration file $conf syntax is ok\n" : '';
    is($r->{status}, 1, "-t rejects $desc");
    is($r->{stderr}, "$before$name: [emerg] $msg$loc\n"
        . "$name: configuration file $conf test failed\n", "$desc: message");
    $t->expect_log(qr/\[emerg\] \d+#\d+: \Q$msg$loc\E$/);
}

# ---------------------------------------------------------------------------
# Configuration errors

subtest 'log_format errors' => sub {
    t_fails('redefining combined', q|log_format combined '$remote_addr';|,
        'duplicate "log_format" name "combined"');
    t_fails('a duplicate name', q|log_format a 'x'; log_format a 'y';|,
        'duplicate "log_format" name "a"');
    t_ok('names differing in case', q|log_format Main 'x'; log_format main 'y';|);
    t_fails('no string', 'log_format x;',
        'invalid number of arguments in "log_format" directive');
    t_ok('escape= and no string', 'log_format x escape=json;');
    t_ok('escape= not second: a string', q|log_format x 'a' escape=json 'b';|);
    t_fails('an unknown escaping', q|log_format x escape=foo 'a';|,
        'unknown log format escaping "foo"');
    t_fails('escaping names are case-sensitive', q|log_format x escape=JSON 'a';|,
        'unknown log format escaping "JSON"');
    t_fails('an empty escaping', q|log_format x escape= 'a';|,
        'unknown log format escaping ""');
    t_fails('a lone $', q|log_format x 'abc$';|, 'invalid parameter "$"');
    t_fails('$ and no name', q|log_format x 'a$(b';|, 'invalid parameter "$(b"');
    t_fails('$$', q|log_format x '${status}x$$';|, 'invalid parameter "$$"');
    t_fails('${}', q|log_format x '${}';|, 'invalid parameter "${}"');
    t_fails('an unclosed ${', q|log_format x 'a${foo';|,
        'the closing bracket in "foo" variable is missing');
    t_fails('an unknown variable', q|log_format x '$foo_bar';|,
        'unknown "foo_bar" variable', 0);
    t_fails('a capture', q|log_format x '$1';|, 'unknown "1" variable', 0);
    t_ok('${var}, prefixed and capitalized variables',
        q|log_format x '${remote_addr}x$http_x_y $sent_http_etag $HOST';|);
    t_fails('at server level', q{server { log_format s 'x'; }},
        '"log_format" directive is not allowed here');
};

subtest 'access_log errors' => sub {
    t_fails('no arguments', 'access_log;',
        'invalid number of arguments in "access_log" directive');
    t_fails('an unknown format', 'access_log logs/a.log x;',
        'unknown log format "x"');
    t_fails('a format defined later', q|access_log logs/a.log m; log_format m 'x';|,
        'unknown log format "m"');
    t_ok('format names are case-insensitive', 'access_log logs/a.log COMBINED;');
    t_fails('off with more', 'access_log off x;', 'invalid parameter "x"');
    t_fails('an unknown parameter', 'access_log logs/a.log combined bogus;',
        'invalid parameter "bogus"');
    t_fails('gzipx', 'access_log logs/a.log combined gzipx;',
        'invalid parameter "gzipx"');
    t_fails('buffer=0', 'access_log logs/a.log combined buffer=0;',
        'invalid buffer size "0"');
    t_fails('buffer=x', 'access_log logs/a.log combined buffer=x;',
        'invalid buffer size "x"');
    t_fails('flush= without a buffer', 'access_log logs/a.log combined flush=1s;',
        'no buffer is defined for access_log "logs/a.log"');
    t_fails('flush=0', 'access_log logs/a.log combined buffer=1k flush=0;',
        'invalid flush time "0"');
    t_fails('flush=1x', 'access_log logs/a.log combined buffer=1k flush=1x;',
        'invalid flush time "1x"');
    t_fails('gzip=0', 'access_log logs/a.log combined gzip=0;',
        'invalid compression level "0"');
    t_fails('gzip=10', 'access_log logs/a.log combined gzip=10;',
        'invalid compression level "10"');
    t_ok('gzip, flush= and buffer= together',
        'access_log logs/a.log combined gzip flush=1s buffer=1k;');
    t_ok('gzip=5 with if=', 'access_log logs/a.log combined gzip=5 if=$host flush=1m;');
    t_fails('a buffer and variables in the name',
        'access_log logs/$host.log combined buffer=4k;',
        'buffered logs cannot have variables in name');
    t_fails('flush= with variables: the full name is quoted',
        'access_log logs/$host.log combined flush=1s;',
        'no buffer is defined for access_log "' . $t->prefix . '/logs/$host.log"');
    t_fails('one file with two buffer sizes',
        'access_log logs/a.log combined buffer=4k; access_log logs/a.log combined buffer=8k;',
        'access_log "logs/a.log" already defined with conflicting parameters');
    t_fails('one file, gzip and not',
        'access_log logs/a.log combined buffer=2k gzip; access_log logs/a.log combined buffer=2k;',
        'access_log "logs/a.log" already defined with conflicting parameters');
    t_ok('one file, the same buffer (1s = 1000ms)',
        'access_log logs/a.log combined buffer=2k flush=1s; '
        . 'access_log logs/a.log combined buffer=2k flush=1000ms;');
    t_ok('one file, buffered and not', 'access_log logs/a.log; access_log logs/a.log combined buffer=8k;');
    t_fails('an unknown variable in if=', 'access_log logs/a.log combined if=$foo;',
        'unknown "foo" variable', 0);
    t_fails('an unknown variable in the name', 'access_log logs/$foo.log;',
        'unknown "foo" variable', 0);
    t_fails('an unclosed ${ in the name', 'access_log logs/${host.log;',
        'the closing bracket in "host" variable is missing');
    t_ok('a capture in the name', 'access_log logs/$1.log;');
    t_ok('off and a log at one level', 'server { access_log off; access_log logs/a.log; }');
    t_ok('in location and if in location',
        'server { location / { access_log logs/a.log; } }');
    t_fails('in if at server level', 'server { if ($host) { access_log logs/a.log; } }',
        '"access_log" directive is not allowed here')
        if $name eq 'nginx';    # (warden has no "if" yet)
    t_fails('a missing directory', 'access_log nodir/a.log;',
        'open() "' . $t->prefix . '/nodir/a.log" failed (2: No such file or directory)', 'after');
};

subtest 'open_log_file_cache errors' => sub {
    t_ok('max= and the rest',
        'open_log_file_cache max=1000 inactive=20s valid=1m min_uses=2;');
    t_ok('off', 'open_log_file_cache off;');
    t_ok('in a location', 'server { location / { open_log_file_cache max=1; } }');
    t_fails('no arguments', 'open_log_file_cache;',
        'invalid number of arguments in "open_log_file_cache" directive');
    t_fails('no max=', 'open_log_file_cache inactive=10s;',
        '"open_log_file_cache" must have "max" parameter');
    t_fails('max=0', 'open_log_file_cache max=0;',
        '"open_log_file_cache" must have "max" parameter');
    for my $p (qw(max=x max=-1 inactive=x min_uses=x valid=x foo=1)) {
        my $body = $p =~ /^max/ ? "open_log_file_cache $p;"
            : "open_log_file_cache max=10 $p;";
        t_fails($p, $body, qq{invalid "open_log_file_cache" parameter "$p"});
    }
    t_fails('twice', 'open_log_file_cache max=10; open_log_file_cache off;',
        '"open_log_file_cache" directive is duplicate');
};

subtest 'the shipped conf/warden.conf passes -t' => sub {
    my $repo = "$FindBin::Bin/..";
    for my $f (qw(warden.conf mime.types)) {
        open my $fh, '<:raw', "$repo/conf/$f" or die "$repo/conf/$f: $!";
        local $/;
        $t->write_file("conf/$f", scalar <$fh>);
    }
    my $r = $t->run('-t');
    is($r->{status}, 0, 'conf/warden.conf: -t exit 0') or diag($r->{stderr});
    like($r->{stderr}, qr/test is successful/, 'conf/warden.conf: successful');
};

# ---------------------------------------------------------------------------
# Formats and escaping

my %HTML = (
    'index.html'                 => "hello\n",
    '404.html'                   => "not here\n",
    "a\x1f\"\\b\xc3\xa9.txt"     => "odd\n",
    'full.html'                  => "full\n",
);

subtest 'formats and escaping' => sub {
    my $ua = "q\"uo\\te\ttab \xc3\xa9";
    my $logs = scenario('formats', html => \%HTML, files => [qw(
        combined.log esc.log json.log raw.log custom.log multi.log)],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format esc '$uri|$http_user_agent|$http_x_missing|$remote_user';
    log_format json escape=json
        '{"uri":"$uri","ua":"$http_user_agent","miss":"$http_x_missing",'
        '"status":$status}';
    log_format raw escape=none '$uri|$http_user_agent|$http_x_missing|';
    log_format custom '$status $body_bytes_sent rt=$request_time '
                      '"$http_x_test" "$sent_http_content_type" $request_method';
    log_format multi 'a=$status' ' b=${request_method}x' ' c=$connection_requests';

    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        error_page 404 /404.html;

        access_log logs/combined.log;
        access_log logs/esc.log esc;
        access_log logs/json.log json;
        access_log logs/raw.log raw;
        access_log logs/custom.log custom;
        access_log logs/multi.log multi;
    }
}
EOF
        is(get($s, '/index.html?a=1&b=2', 'User-Agent' => 'test-agent/1.0',
            Referer => 'http://ref.example/p?q=1', 'X-Test' => 'hdr')->{status},
            200, "$who: GET with a query");
        my $head = parse_response($s->http(
            "HEAD /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n"));
        is($head->{status}, 200, "$who: HEAD");
        is(get($s, '/missing')->{status}, 404, "$who: 404");
        is(get($s, '/index.html', 'User-Agent' => $ua)->{status}, 200,
            "$who: a quote, a backslash, a tab and UTF-8 in User-Agent");
        is(get($s, '/a%1F%22%5Cb%C3%A9.txt')->{status}, 200,
            "$who: a control byte, a quote and a backslash in the URI");
    });

    my $T = '127.0.0.1 - - [TIME]';
    is($logs->{'combined.log'}, <<"EOF", 'combined');
$T "GET /index.html?a=1&b=2 HTTP/1.0" 200 6 "http://ref.example/p?q=1" "test-agent/1.0"
$T "HEAD /index.html HTTP/1.0" 200 0 "-" "-"
$T "GET /missing HTTP/1.0" 404 9 "-" "-"
$T "GET /index.html HTTP/1.0" 200 6 "-" "q\\x22uo\\x5Cte\\x09tab \\xC3\\xA9"
$T "GET /a%1F%22%5Cb%C3%A9.txt HTTP/1.0" 200 4 "-" "-"
EOF
    is($logs->{'esc.log'}, <<'EOF', 'default escaping; "-" when not found');
/index.html|test-agent/1.0|-|-
/index.html|-|-|-
/404.html|-|-|-
/index.html|q\x22uo\x5Cte\x09tab \xC3\xA9|-|-
/a\x1F\x22\x5Cb\xC3\xA9.txt|-|-|-
EOF
    is($logs->{'json.log'}, <<"EOF", 'escape=json; empty when not found');
{"uri":"/index.html","ua":"test-agent/1.0","miss":"","status":200}
{"uri":"/index.html","ua":"","miss":"","status":200}
{"uri":"/404.html","ua":"","miss":"","status":404}
{"uri":"/index.html","ua":"q\\"uo\\\\te\\ttab \xc3\xa9","miss":"","status":200}
{"uri":"/a\\u001F\\"\\\\b\xc3\xa9.txt","ua":"","miss":"","status":200}
EOF
    is($logs->{'raw.log'}, <<"EOF", 'escape=none; empty when not found');
/index.html|test-agent/1.0||
/index.html|||
/404.html|||
/index.html|$ua||
/a\x1f"\\b\xc3\xa9.txt|||
EOF
    is($logs->{'custom.log'}, <<'EOF', 'custom format');
200 6 rt=T "hdr" "text/html" GET
200 0 rt=T "-" "text/html" HEAD
404 9 rt=T "-" "text/html" GET
200 6 rt=T "-" "text/html" GET
200 4 rt=T "-" "text/plain" GET
EOF
    is($logs->{'multi.log'}, "a=200 b=GETx c=1\na=200 b=HEADx c=1\n"
        . "a=404 b=GETx c=1\n" . "a=200 b=GETx c=1\n" x 2,
        'several strings, ${name}');
};

# ---------------------------------------------------------------------------
# Where requests are logged

subtest 'several logs, inheritance and off' => sub {
    my $logs = scenario('inheritance', html => { %HTML, 'err.html' => "err\n" },
        files => [qw(http.log own.log own2.log nested.log srv.log never.log
            err.log)], config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';
    access_log logs/http.log short;

    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        location /off/ { access_log off; }
        location /own/ { access_log logs/own.log short; access_log logs/own2.log short; }
        location /inh/ { }
        location /nested/ {
            access_log logs/nested.log short;
            location /nested/off/ { access_log off; }
            location /nested/inh/ { }
        }
    }

    server {
        listen 127.0.0.1:%%PORT1%%;
        root html;
        access_log logs/srv.log short;
        location /x/ { }
        location /e/ { error_page 404 /err.html; }
        location /both/ { access_log off; access_log logs/never.log short; }
        location = /err.html { access_log logs/err.log short; }
    }
}
EOF
        get($s, $_) for qw(/index.html /off/a /own/a /inh/a /nested/a
            /nested/off/a /nested/inh/a);
        my $p1 = $s->port(1);
        for my $u (qw(/index.html /x/a /both/a /e/missing)) {
            my $raw = $s->http("GET $u HTTP/1.0\r\nHost: localhost\r\n\r\n",
                port => $p1);
            ok(defined $raw && length $raw, "$who: $u on the second server");
        }
    });

    is($logs->{'http.log'}, "/index.html 200\n/inh/a 404\n",
        'http level: inherited by a server and a location without access_log');
    is($logs->{'own.log'}, "/own/a 404\n", 'a location with two logs: one');
    is($logs->{'own2.log'}, "/own/a 404\n", 'a location with two logs: two');
    is($logs->{'nested.log'}, "/nested/a 404\n/nested/inh/a 404\n",
        'nested location inherits; off in a nested location');
    is($logs->{'srv.log'}, "/index.html 200\n/x/a 404\n", 'server level');
    is($logs->{'never.log'}, '', 'off at a level cancels its other logs');
    is($logs->{'err.log'}, "/e/missing 404\n",
        'logged in the location where processing ended (error_page)');
};

subtest 'the default: logs/access.log in combined' => sub {
    plan skip_all => "the compiled-in access log path of $name is not under -p"
        if $name eq 'nginx';
    clear_logs($t);
    $t->write_file('html/index.html', "hello\n");
    $t->write_config($MAIN . <<'EOF');
http {
    server { listen 127.0.0.1:%%PORT0%%; root html; }
}
EOF
    $t->start or return;
    get($t, '/index.html', 'User-Agent' => 'ua');
    $t->stop;
    is(normalize($t->read_file('logs/access.log')),
        qq{127.0.0.1 - - [TIME] "GET /index.html HTTP/1.0" 200 6 "-" "ua"\n},
        'logs/access.log');
};

# ---------------------------------------------------------------------------
# Variables in the path, open_log_file_cache, if=

subtest 'variables in the path' => sub {
    my $prefix;
    my $logs = scenario('variables in the path', html => \%HTML,
        files => [qw(host_a.example.log host_b.example.log cached_1.log
            cached_1.old uncached_1.log uncached_1.old)],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';

    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/host_$host.log short;

        location /noroot/ { root html/nonexistent; }
        location /nodir/ { access_log logs/nodir/$host.log short; }
        location /cached/ {
            open_log_file_cache max=10 valid=1m;
            access_log logs/cached_$arg_n.log short;
        }
        location /uncached/ { access_log logs/uncached_$arg_n.log short; }
    }
}
EOF
        my $p = $s->prefix;
        get($s, '/index.html', Host => 'a.example');
        get($s, '/index.html?2', Host => 'a.example');
        get($s, '/index.html', Host => 'b.example');
        get($s, '/noroot/x', Host => 'a.example');
        ok($s->wait_for_log(qr/\[error\] .*testing "\Q$p\E\/html\/nonexistent" existence failed \(2: No such file or directory\) while logging request/,
            timeout => 3), "$who: a missing root is reported");
        get($s, '/nodir/x', Host => 'a.example');
        ok($s->wait_for_log(qr/\[crit\] .*open\(\) "\Q$p\E\/logs\/nodir\/a\.example\.log" failed \(2: No such file or directory\) while logging request/,
            timeout => 3), "$who: a missing log directory is reported");
        $s->expect_log(qr/open\(\) "\Q$p\E\/logs\/nodir\/a\.example\.log" failed/);

        # with the cache the descriptor stays open: a moved file keeps
        # getting lines until "valid" runs out; without, a new file starts
        for my $l (qw(cached uncached)) {
            get($s, "/$l/?n=1");
            rename "$p/logs/${l}_1.log", "$p/logs/${l}_1.old"
                or fail("rename ${l}_1.log: $!");
            get($s, "/$l/?n=1&again");
        }
    });

    is($logs->{'host_a.example.log'}, "/index.html 200\n/index.html?2 200\n",
        '$host in the name: a.example');
    is($logs->{'host_b.example.log'}, "/index.html 200\n",
        '$host in the name: b.example; nothing when the root is missing');
    is($logs->{'cached_1.old'}, "/cached/?n=1 404\n/cached/?n=1&again 404\n",
        'open_log_file_cache: the moved file gets the next line');
    is($logs->{'cached_1.log'}, undef, 'open_log_file_cache: no new file');
    is($logs->{'uncached_1.old'}, "/uncached/?n=1 404\n",
        'without a cache: the moved file keeps the first line');
    is($logs->{'uncached_1.log'}, "/uncached/?n=1&again 404\n",
        'without a cache: a new file for the next');
};

subtest 'if=' => sub {
    my $logs = scenario('if=', html => \%HTML, files => ['if.log'],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/if.log short if=$arg_log;
    }
}
EOF
        get($s, "/index.html$_") for ('?log=1', '?log=0', '', '?log=',
            '?log=yes', '?log=00');
    });
    is($logs->{'if.log'},
        "/index.html?log=1 200\n/index.html?log=yes 200\n/index.html?log=00 200\n",
        'lines skipped when the condition is empty or "0"');
};

# ---------------------------------------------------------------------------
# Buffers, gzip, reopening

subtest 'buffer= and flush=' => sub {
    my $logs = scenario('buffer=', html => \%HTML,
        files => [qw(flush.log stop.log long.log small.log)],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/flush.log short buffer=64k flush=2s;
        access_log logs/stop.log short buffer=64k;
        access_log logs/long.log short buffer=64k flush=1h;
        access_log logs/small.log short buffer=64;
    }
}
EOF
        my $start = time;
        # 18 bytes a line: a 64-byte buffer is written out before the
        # fourth (warden writes three lines, nginx, which reserves room
        # for a 20-digit $status, two)
        get($s, "/index.html?$_") for 1 .. 4;
        my $quick = time - $start < 1.5;
        is($s->read_file('logs/flush.log'), '', "$who: flush=2s: not yet")
            if $quick;
        is($s->read_file('logs/stop.log'), '', "$who: no flush=: not yet");
        my $n = lines_of($s->read_file('logs/small.log'));
        ok($n >= 2 && $n <= 3, "$who: a full buffer is written out ($n)");
        ok($s->wait_until(sub { length($s->read_file('logs/flush.log')) },
            timeout => 8), "$who: flush=2s: written by the timer");
        my $after = time - $start;
        cmp_ok($after, '>=', 1.5, "$who: ... not before the flush time");
        cmp_ok($after, '<', 6, "$who: ... nor long after");
        is($s->read_file('logs/stop.log'), '', "$who: no flush=: still not");
    });
    my $four = join '', map { "/index.html?$_ 200\n" } 1 .. 4;
    is($logs->{'flush.log'}, $four, 'flush=: all lines');
    is($logs->{'stop.log'}, $four, 'written when the worker exits');
    is($logs->{'long.log'}, $four,
        'a pending flush timer neither delays the exit nor loses lines');
    is($logs->{'small.log'}, $four, 'small buffer: all lines, in order');
};

subtest 'no buffer=: lines go out at the end of the loop turn' => sub {
    my $logs = scenario('turn', html => \%HTML,
        files => [qw(turn.log other.log)],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/turn.log short;
        location /index.html {
            access_log logs/turn.log short;
            access_log logs/other.log short;
        }
    }
}
EOF
        # a single request: its line is there once the answer is
        get($s, '/index.html?single');
        ok($s->wait_until(sub {
            ($s->read_file('logs/turn.log') // '') =~ /\?single 200\n/
        }, timeout => 1), "$who: one request: its line at once");

        # 40 pipelined requests: answered in few turns, every line whole
        # and in order
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $s->port, Proto => 'tcp') or die "connect: $!";
        print {$sock} join '', map {
            "GET /index.html?p$_ HTTP/1.1\r\nHost: localhost\r\n"
            . ($_ == 40 ? "Connection: close\r\n" : '') . "\r\n"
        } 1 .. 40;
        my $all = do { local $/; <$sock> };
        my $answers = () = $all =~ m{HTTP/1\.1 200 }g;
        is($answers, 40, "$who: 40 answers");
        close $sock;    # nginx logs the last one after its lingering close
        my $n = 0;
        $s->wait_until(sub {
            $n = () = ($s->read_file('logs/turn.log') // '') =~ /\?p\d+ 200\n/g;
            $n == 40;
        }, timeout => 2);
        is($n, 40, "$who: 40 lines");
    });
    my $lines = join '', "/index.html?single 200\n",
        map { "/index.html?p$_ 200\n" } 1 .. 40;
    is($logs->{'turn.log'}, $lines, 'all lines, whole and in order');
    is($logs->{'other.log'}, $lines, 'a second log of the same requests too');
};

sub gunzip_text ($data) {
    return undef unless defined $data;
    my $out;
    gunzip(\$data => \$out, MultiStream => 1)
        or return "gunzip failed: $GunzipError";
    return $out;
}

subtest 'gzip' => sub {
    my $long = 'x' x 200;
    my (%gz, %mid);
    my $logs = scenario('gzip', html => \%HTML, files => ['plain.log'],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/plain.log short;
        access_log logs/gz.log.gz short gzip flush=1s;
        access_log logs/gz9.log.gz short gzip=9 buffer=100;
    }
}
EOF
        get($s, "/index.html?$_") for 1 .. 3;
        get($s, "/index.html?$long");
        get($s, '/index.html?5');
        # readable by zcat at any time: after a flush, before the stop
        ok($s->wait_until(sub { length($s->read_file('logs/gz.log.gz')) },
            timeout => 5), "$who: gzip flush=1s: written by the timer");
        $mid{$who} = gunzip_text($s->read_file('logs/gz.log.gz'));
        $s->stop(signal => 'TERM');     # a fast stop writes buffers too
        $gz{$who} = [map { gunzip_text($s->read_file("logs/$_")) }
            qw(gz.log.gz gz9.log.gz)];
        my $members = () = ($s->read_file('logs/gz9.log.gz') // '')
            =~ /\x1f\x8b\x08/g;
        cmp_ok($members, '>=', 3, "$who: gzip=9 buffer=100: several members");
    });
    my $plain = $logs->{'plain.log'};
    like($plain, qr{^/index\.html\?1 200\n.*\?5 200\n\z}s, 'plain log');
    is($mid{$name}, $plain, 'gzip: a whole log readable before the stop');
    is($gz{$name}[0], $plain, 'gzip: gunzipped equals the plain log');
    is($gz{$name}[1], $plain,
        'gzip=9, a line longer than the buffer: gunzipped equals the plain log');
    if ($ref) {
        is_deeply($gz{$name}, $gz{nginx}, 'gunzipped logs: same as nginx');
    }
};

subtest 'reopen with USR1' => sub {
    my $logs = scenario('reopen', html => \%HTML,
        files => [qw(r.log r.log.1 rb.log rb.log.1)],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/r.log short;
        access_log logs/rb.log short buffer=64k;
    }
}
EOF
        my $p = $s->prefix;
        get($s, '/index.html?old');
        my $before = () = $s->error_log =~ /reopening logs/g;
        rename "$p/logs/$_.log", "$p/logs/$_.log.1" for qw(r rb);
        $s->signal('USR1');
        ok($s->wait_until(sub {
            my $n = () = $s->error_log =~ /reopening logs/g;
            $n >= $before + 2;      # the master and the worker
        }, timeout => 5), "$who: logs reopened");
        ok(-e "$p/logs/r.log", "$who: a new r.log");
        # ("reopening logs" is logged just before the files are)
        ok($s->wait_until(sub {
            ($s->read_file('logs/rb.log.1') // '') eq "/index.html?old 200\n"
        }, timeout => 5), "$who: the buffer went to the old file");
        get($s, '/index.html?new');
    });
    is($logs->{'r.log.1'}, "/index.html?old 200\n", 'moved file: old line');
    is($logs->{'r.log'}, "/index.html?new 200\n", 'new file: new line');
    is($logs->{'rb.log.1'}, "/index.html?old 200\n", 'buffered, moved: old line');
    is($logs->{'rb.log'}, "/index.html?new 200\n", 'buffered, new: new line');
};

subtest 'reload with HUP' => sub {
    my $logs = scenario('reload', html => \%HTML, files => ['b.log'],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/b.log short buffer=64k;
    }
}
EOF
        get($s, '/index.html?before');
        $s->signal('HUP');
        ok($s->wait_until(sub { length($s->read_file('logs/b.log') // '') },
            timeout => 8), "$who: the old worker writes its buffer as it exits");
        get($s, '/index.html?after');
    });
    is($logs->{'b.log'}, "/index.html?before 200\n/index.html?after 200\n",
        'lines from before and after the reload');
};

# Regression: on a keep-alive connection the large header buffers (for a
# header over client_header_buffer_size) were freed before the log phase,
# which then read the request line and headers from freed memory.
subtest 'large headers on a keep-alive connection' => sub {
    my $ua = 'u' x 3000;
    my $req = "GET /index.html?%d HTTP/1.1\r\nHost: localhost\r\n"
        . "User-Agent: $ua\r\n%s\r\n";
    my $logs = scenario('large headers', html => \%HTML, files => ['big.log'],
        config => <<'EOF', run => sub ($s, $who) {
http {
    log_format big '$request|$http_user_agent';
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/big.log big;
    }
}
EOF
        # one after the other, then pipelined
        $s->http([sprintf($req, 1, ''), sprintf($req, 2, "Connection: close\r\n")],
            sleep_between => 0.3);
        $s->http(sprintf($req, 3, '') . sprintf($req, 4, "Connection: close\r\n"));
    });
    is($logs->{'big.log'},
        join('', map { "GET /index.html?$_ HTTP/1.1|$ua\n" } 1 .. 4),
        'every line whole');
};

# ---------------------------------------------------------------------------
# Write errors

subtest 'write errors' => sub {
    SKIP: {
        skip 'no writable /dev/full', 1 unless -c '/dev/full' && -w _;
        my %alerts;
        scenario('/dev/full', html => \%HTML, files => ['ok.log'],
            config => <<'EOF', run => sub ($s, $who) {
http {
    log_format short '$request_uri $status';
    server {
        listen 127.0.0.1:%%PORT0%%;
        root html;
        access_log logs/ok.log short;
        location = /full.html { access_log /dev/full short; }
    }
}
EOF
            $s->expect_log(qr/\[alert\] .*write\(\) to "\/dev\/full" failed \(28: No space left on device\) while logging request/);
            for my $i (1 .. 3) {
                my $r = get($s, '/full.html');
                is($r->{status}, 200, "$who: served while the log fails ($i)");
                is($r->{body}, "full\n", "$who: body ($i)");
            }
            is(get($s, '/index.html')->{status}, 200, "$who: other logs work");
            $alerts{$who} = () = $s->error_log
                =~ /write\(\) to "\/dev\/full" failed/g;
        });
        is($alerts{$name}, 1, 'one alert, however many lines failed');
    }
};

$t->done;
$ref->done if $ref;
done_testing;
