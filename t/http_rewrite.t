#!/usr/bin/perl
# The rewrite module: "rewrite" (captures, each flag, the query rules,
# redirects, the "last" cycle limit), "break", "set" (and its use in later
# directives, the log and proxy_pass), "if" with each kind of condition
# (and the block's own settings), server-level directives, rewrite_log,
# uninitialized_variable_warn, and the -t errors.  "return" has its own
# file, t/http_return.t.
#
# Runs under nginx too (WARDEN_BINARY=/usr/sbin/nginx).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with http_config get req serves log_mark
    log_since);
use Test::Warden::Backend qw(parse_echo);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;

my $b = Test::Warden::Backend->start(t => $t, port => $t->port(3),
    name => 'b1');

$t->write_file('html/file.txt', "a file\n");
$t->write_file('html/dir/x.txt', "x\n");
$t->write_file('html/exec.sh', "#!/bin/sh\n");
$t->write_file('html/if/conf/f.txt', "main\n");
$t->write_file('html/alt/if/conf/f.txt', "alt\n");
chmod 0755, "$prefix/html/exec.sh";

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    log_format rw '$uri|$args|$who';
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;
        root html;
        default_type text/plain;
        access_log logs/rw.log rw;

        location /show { return 200 "show uri=$uri args=$args\n"; }

        location /cap/ {
            rewrite ^/cap/(\w+)/(\w+)$ /show/$2/$1 last;
            return 200 "no match\n";
        }
        location /named/ {
            rewrite "^/named/(?<first>[a-z]+)-(?<second>[a-z]+)$" /show/$second/$first last;
        }
        location /noflag/ {
            rewrite ^/noflag/(.*)$ /step/$1;
            rewrite ^/step/(.*)$ /show/$1;
            set $after "ran";
        }
        location /brk/ {
            rewrite ^/brk/(.*)$ /other/$1 break;
            return 200 "not reached\n";
        }
        location /brk2/ {
            rewrite ^/brk2/(.*)$ /other/$1 break;
        }
        location /brkfile/ {
            rewrite ^ /file.txt break;
        }
        location /dirbreak/ {
            rewrite ^/dirbreak/(.*)$ /dir/$1;
            break;
            return 200 "not reached\n";
        }
        location /other/ { return 200 "other location\n"; }

        location /args/new/ { rewrite ^/args/new/(.*)$ /show?n=$1 last; }
        location /args/drop/ { rewrite ^ /show? last; }
        location /args/dropnew/ { rewrite ^/args/dropnew/(.*)$ /show?n=$1? last; }
        location /args/keep/ { rewrite ^ /show last; }
        location /args/esc/ { rewrite ^/args/esc/(.*)$ /show?v=$1 last; }

        location /redir/abs/ { rewrite ^/redir/abs/(.*)$ http://example.com/n/$1; }
        location /redir/https/ { rewrite ^ https://example.com/s?x=1; }
        location /redir/scheme/ { rewrite ^ $scheme://example.com/sch; }
        location /redir/flag/ { rewrite ^/redir/flag/(.*)$ /to/$1 redirect; }
        location /redir/perm/ { rewrite ^/redir/perm/(.*)$ /to/$1 permanent; }
        location /redir/absperm/ { rewrite ^ http://example.com/p permanent; }
        location /redir/noargs/ { rewrite ^ /to? redirect; }
        location /redir/withargs/ { rewrite ^ /to?a=1 redirect; }

        location /loop/ { rewrite ^ /loop/again last; }
        location /empty/ { rewrite ^ $arg_none last; }

        location /set/ {
            set $who "set-$arg_n";
            set $twice "$who+$who";
            return 200 "$who $twice\n";
        }
        location /setlate/ {
            return 200 "[$late]\n";
        }
        location /setlate2/ {
            set $late "now";
            return 200 "[$late]\n";
        }
        location /setargs/ {
            set $args "x=1";
            return 200 "$args $arg_x\n";
        }
        location /nowarn/ {
            uninitialized_variable_warn off;
            return 200 "[$quiet]\n";
        }
        location /setq/ { set $quiet "q"; }

        location /if/var/ {
            if ($arg_v) { return 200 "true\n"; }
            return 200 "false\n";
        }
        location /if/eq/ {
            if ($arg_v = "yes") { return 200 "eq\n"; }
            if ($arg_v != "yes") { return 200 "ne\n"; }
        }
        location /if/empty/ {
            if ($arg_v = "") { return 200 "empty\n"; }
            return 200 "set\n";
        }
        location /if/re/ {
            if ($arg_v ~ ^(a+)(b*)$) { return 200 "re $1 $2\n"; }
            if ($arg_v ~* ^X) { return 200 "icase\n"; }
            if ($arg_v !~ ^n) { return 200 "not n\n"; }
            if ($arg_v !~* ^NO$) { return 200 "not no\n"; }
            return 200 "none\n";
        }
        location /if/file/ {
            if (-f $document_root/file.txt) { set $r "${r}f"; }
            if (!-f $document_root/dir) { set $r "${r}F"; }
            if (-d $document_root/dir) { set $r "${r}d"; }
            if (!-d $document_root/file.txt) { set $r "${r}D"; }
            if (-e $document_root/dir) { set $r "${r}e"; }
            if (!-e $document_root/nothing) { set $r "${r}E"; }
            if (-x $document_root/exec.sh) { set $r "${r}x"; }
            if (!-x $document_root/file.txt) { set $r "${r}X"; }
            if (-f $document_root/nothing) { set $r "${r}bad"; }
            return 200 "$r\n";
        }
        location /if/conf/ {
            if ($arg_t) {
                root html/alt;
            }
        }
        location /if/rewrite/ {
            if ($arg_go) {
                rewrite ^/if/rewrite/(.*)$ /show/$1 last;
            }
            return 200 "stayed\n";
        }
        location /if/after/ {
            if ($arg_a) { set $x "a"; }
            set $x "${x}after";
            return 200 "$x\n";
        }
        location /if/break/ {
            if ($arg_a) { break; }
            return 200 "no break\n";
        }
        location /if/proxy/ {
            if ($arg_p) {
                proxy_pass http://127.0.0.1:%%PORT3%%;
            }
        }
        location /if/inherit/ {
            proxy_set_header X-From "loc";
            if ($arg_p) { proxy_pass http://127.0.0.1:%%PORT3%%; }
        }

        location /px/ {
            rewrite ^/px/(.*)$ /changed/$1 break;
            proxy_pass http://127.0.0.1:%%PORT3%%/ignored/;
        }
        location /pxplain/ {
            proxy_pass http://127.0.0.1:%%PORT3%%/kept/;
        }
        location /pxset/ {
            set $up "127.0.0.1:%%PORT3%%";
            proxy_pass http://$up/v$uri;
        }
    }

    server {
        listen 127.0.0.1:%%PORT1%%;
        server_name localhost;
        default_type text/plain;

        rewrite ^/old/(.*)$ /new/$1;
        rewrite ^/gone$ /elsewhere permanent;
        if ($arg_deny) { return 403; }
        set $srv "server";
        rewrite ^/stop /new/stopped last;
        rewrite ^/new/stopped /new/not-here;

        location /new/ { return 200 "new $uri $srv\n"; }
        location / { return 200 "root $uri\n"; }
    }

    server {
        listen 127.0.0.1:%%PORT2%%;
        server_name localhost;
        default_type text/plain;
        rewrite_log on;

        location /log/ {
            rewrite ^/log/(.*)$ /show/$1 last;
            rewrite ^/never /x;
        }
        location /redirlog/ { rewrite ^ /to redirect; }
        location /show/ {
            if ($arg_m ~ ^z) { return 200 "z\n"; }
            return 200 "shown $uri\n";
        }
    }
EOF

sub rq ($path, %opt) { get($t, $path, %opt) }
sub body_of ($path, %opt) { my $r = rq($path, %opt); "$r->{status} $r->{body}" }

subtest 'rewrite: captures and last' => sub {
    is(body_of('/cap/one/two'), "200 show uri=/show/two/one args=\n",
        'numbered captures, last re-searches locations');
    is(body_of('/cap/one'), "200 no match\n", 'no match: the next directive');
    is(body_of('/named/ab-cd'), "200 show uri=/show/cd/ab args=\n",
        'named captures');
};

subtest 'rewrite: no flag, break' => sub {
    is(body_of('/noflag/z'), "200 show uri=/show/z args=\n",
        'no flag: the following rewrites run on the new URI, then a search');
    my $r = rq('/brk/q');
    is($r->{status}, 404, 'break: later directives do not run, stays (no file)');
    $r = rq('/brk2/q');
    is($r->{status}, 404, 'break: not the location of the new URI');
    $t->expect_log(qr{open\(\) ".*/html/other/q" failed});
    is(body_of('/brkfile/anything'), "200 a file\n",
        'break: the location serves the rewritten URI');
    is(body_of('/dirbreak/x.txt'), "200 x\n",
        'rewrite then "break": no further directives, stays');
};

subtest 'rewrite: arguments' => sub {
    is(body_of('/args/new/v?old=1'), "200 show uri=/show args=n=v&old=1\n",
        'new args first, old appended');
    is(body_of('/args/new/v'), "200 show uri=/show args=n=v\n",
        'new args alone');
    is(body_of('/args/drop/x?old=1'), "200 show uri=/show args=\n",
        'a final "?" drops the old args');
    is(body_of('/args/dropnew/v?old=1'), "200 show uri=/show args=n=v\n",
        'new args and a final "?"');
    is(body_of('/args/keep/x?old=1'), "200 show uri=/show args=old=1\n",
        'no "?": the old args stay');
    is(body_of('/args/esc/a%26b'), "200 show uri=/show args=v=a%26b\n",
        'a capture in the args is escaped again');
};

subtest 'rewrite: redirects' => sub {
    my $r = rq('/redir/abs/p?q=1');
    is($r->{status}, 302, 'http:// replacement: 302');
    is($r->{headers}{location}, 'http://example.com/n/p?q=1',
        'Location, old args appended');
    $r = rq('/redir/https/');
    is("$r->{status} $r->{headers}{location}", '302 https://example.com/s?x=1',
        'https:// replacement');
    $r = rq('/redir/https/?y=2');
    is($r->{headers}{location}, 'https://example.com/s?x=1&y=2',
        'new args then the old ones after "&"');
    $r = rq('/redir/scheme/');
    is("$r->{status} $r->{headers}{location}", '302 http://example.com/sch',
        '$scheme replacement');
    my $port = $t->port(0);
    $r = rq('/redir/flag/a');
    is($r->{status}, 302, 'redirect flag: 302');
    like($r->{headers}{location}, qr{^http://localhost(:$port)?/to/a$},
        'a relative replacement becomes absolute');
    $r = rq('/redir/perm/a');
    is($r->{status}, 301, 'permanent flag: 301');
    like($r->{headers}{location}, qr{^http://localhost(:$port)?/to/a$},
        'permanent: Location');
    $r = rq('/redir/absperm/');
    is("$r->{status} $r->{headers}{location}", '301 http://example.com/p',
        'permanent with an absolute URL');
    $r = rq('/redir/noargs/?a=1');
    like($r->{headers}{location}, qr{/to$}, 'redirect with a final "?"');
    $r = rq('/redir/withargs/?b=2');
    like($r->{headers}{location}, qr{/to\?a=1&b=2$}, 'redirect with args');
    like($r->{body}, qr{<title>302 Found</title>}, 'the 302 page');
};

subtest 'rewrite: cycles and errors at run time' => sub {
    my $mark = log_mark($t);
    my $r = rq('/loop/x');
    is($r->{status}, 500, 'last in a loop: 500');
    like(log_since($t, $mark),
        qr/\[error\] .*rewrite or internal redirection cycle while processing "\/loop\/again"/,
        'the cycle is logged');
    $r = rq('/empty/x');
    is($r->{status}, 500, 'an empty rewritten URI: 500');
    like(log_since($t, $mark), qr/\[error\] .*the rewritten URI has a zero length/,
        'and logged');
    ok(serves($t, path => '/show'), 'still serving');
};

subtest 'set' => sub {
    is(body_of('/set/?n=7'), "200 set-7 set-7+set-7\n",
        'set with variables; used by a later set and return');
    my $log = '';
    $t->wait_until(sub { $log = $t->read_file('logs/rw.log') // ''; $log =~ /set-7/ },
        timeout => 3);
    like($log, qr{^/set/\|n=7\|set-7$}m, 'the variable in the access log');
    my $mark = log_mark($t);
    is(body_of('/setlate/'), "200 []\n", 'a variable set elsewhere: empty');
    like(log_since($t, $mark), qr/\[warn\] .*using uninitialized "late" variable/,
        'uninitialized_variable_warn');
    is(body_of('/setlate2/'), "200 [now]\n", 'once set');
    $mark = log_mark($t);
    is(body_of('/nowarn/'), "200 []\n", 'unset, no warning wanted');
    unlike(log_since($t, $mark), qr/uninitialized "quiet"/,
        'uninitialized_variable_warn off');
    is(body_of('/setargs/?x=2'), "200 x=1 1\n", 'set $args changes the query');
};

subtest 'if: variables and comparisons' => sub {
    is(body_of('/if/var/?v=1'), "200 true\n", '($v) with a value');
    is(body_of('/if/var/?v=0'), "200 false\n", '"0" is false');
    is(body_of('/if/var/?v=00'), "200 true\n", '"00" is true');
    is(body_of('/if/var/'), "200 false\n", 'empty is false');
    is(body_of('/if/eq/?v=yes'), "200 eq\n", '=');
    is(body_of('/if/eq/?v=no'), "200 ne\n", '!=');
    is(body_of('/if/empty/'), "200 empty\n", '= ""');
    is(body_of('/if/empty/?v=1'), "200 set\n", '= "" with a value');
    is(body_of('/if/re/?v=aab'), "200 re aa b\n", '~ with captures');
    is(body_of('/if/re/?v=xy'), "200 icase\n", '~* is case-insensitive');
    is(body_of('/if/re/?v=q'), "200 not n\n", '!~');
    is(body_of('/if/re/?v=nope'), "200 not no\n", '!~*');
    is(body_of('/if/re/?v=no'), "200 none\n", '!~* on a match is false');
};

subtest 'if: files' => sub {
    is(body_of('/if/file/'), "200 fFdDeExX\n", '-f -d -e -x and their negations');
};

subtest 'if: the block' => sub {
    is(body_of('/if/conf/f.txt?t=1'), "200 alt\n", 'the block\'s settings apply');
    is(body_of('/if/conf/f.txt'), "200 main\n", 'not when false');
    my $r;
    is(body_of('/if/rewrite/x?go=1'), "200 show uri=/show/x args=go=1\n",
        'rewrite inside if');
    is(body_of('/if/rewrite/x'), "200 stayed\n", 'skipped when false');
    is(body_of('/if/after/?a=1'), "200 aafter\n", 'directives after a true if run');
    is(body_of('/if/after/'), "200 after\n", 'and after a false one');
    $r = rq('/if/break/?a=1');
    is($r->{status}, 404, 'break inside if: no more directives');
    $t->expect_log(qr{open\(\) ".*/html/if/break/" failed|directory index of});
    is(body_of('/if/break/'), "200 no break\n", 'break skipped');
};

subtest 'if and proxy_pass' => sub {
    my $r = rq('/if/proxy/a?p=1');
    is($r->{status}, 200, 'proxy_pass inside if');
    my $e = parse_echo($r->{body});
    is($e && $e->{uri}, '/if/proxy/a?p=1', 'the URI as sent');
    $r = rq('/if/proxy/a');
    is($r->{status}, 404, 'false: the location\'s own handler (static)');
    $t->expect_log(qr{open\(\) ".*/html/if/proxy/a" failed});
    $r = rq('/if/inherit/b?p=1');
    $e = parse_echo($r->{body});
    is($e && $e->{h}{'x-from'}, 'loc', 'the block inherits proxy_set_header');
};

subtest 'rewrite ... break and proxy_pass with a URI' => sub {
    my $e = parse_echo(rq('/px/a/b?q=1')->{body});
    is($e && $e->{uri}, '/changed/a/b?q=1',
        'the whole rewritten URI is passed, the URI part ignored');
    $e = parse_echo(rq('/pxplain/a')->{body});
    is($e && $e->{uri}, '/kept/a', 'without rewrite the URI part applies');
    $e = parse_echo(rq('/pxset/z')->{body});
    is($e && $e->{uri}, '/v/pxset/z', 'a set variable in proxy_pass');
};

subtest 'server level' => sub {
    my $p = $t->port(1);
    is(body_of('/old/a', port => $p), "200 new /new/a server\n",
        'server-level rewrite before the location search');
    my $r = rq('/gone', port => $p);
    is($r->{status}, 301, 'server-level redirect');
    like($r->{headers}{location}, qr{/elsewhere$}, 'its Location');
    $r = rq('/x?deny=1', port => $p);
    is($r->{status}, 403, 'server-level if');
    is(body_of('/stop', port => $p), "200 new /new/stopped server\n",
        'last stops the server-level list');
    is(body_of('/other', port => $p), "200 root /other\n", 'nothing matched');
};

subtest 'rewrite_log' => sub {
    my $p = $t->port(2);
    my $mark = log_mark($t);
    is(body_of('/log/a?k=v', port => $p), "200 shown /show/a\n", 'rewritten');
    my $log = log_since($t, $mark);
    like($log, qr{\[notice\] .*"\^/log/\(\.\*\)\$" matches "/log/a"}, 'matches');
    like($log, qr{\[notice\] .*rewritten data: "/show/a", args: "k=v"},
        'rewritten data');
    like($log, qr{\[notice\] .*"\^z" does not match ""}, 'if regex: does not match');
    $mark = log_mark($t);
    rq('/redirlog/', port => $p);
    like(log_since($t, $mark), qr{\[notice\] .*rewritten redirect: "/to"},
        'rewritten redirect');
};

subtest 'config errors' => sub {
    my $conf = $t->conf_path;
    my @cases = (
        ['rewrite ^(foo /x;',
         'pcre2_compile() failed: missing closing parenthesis in "^(foo"'],
        ['rewrite ^/a /b foo;', 'invalid parameter "foo"'],
        ['rewrite ^/a;', 'invalid number of arguments in "rewrite" directive'],
        ['rewrite ^/a /b last x;',
         'invalid number of arguments in "rewrite" directive'],
        ['if ($uri { }', 'invalid condition "$uri"'],
        ['if $uri { }', 'invalid condition "$uri"'],
        ['if ($uri == a) { }', 'unexpected "==" in condition'],
        ['if ($uri a b) { }', 'unexpected "a" in condition'],
        ['if ($uri = a b) { }', 'invalid condition "$uri"'],
        ['if ($uri =) { }', 'invalid condition "$uri"'],
        ['if (-q /x) { }', 'invalid condition "-q"'],
        ['if (-f) { }', 'invalid condition "-f"'],
        ['if (a) { }', 'invalid condition "a"'],
        ['if () { }', 'invalid condition ")"'],
        ['if ($uri ~ "(a") { }',
         'pcre2_compile() failed: missing closing parenthesis in "(a"'],
        ['if ($uri) { listen 80; }', '"listen" directive is not allowed here'],
        ['if ($uri) ;', 'directive "if" has no opening "{"'],
        ['if ($uri) { if ($uri) { } }', '"if" directive is not allowed here'],
        ['set x 1;', 'invalid variable name "x"'],
        ['set $uri 1;', 'the duplicate "uri" variable'],
        ['set $x;', 'invalid number of arguments in "set" directive'],
        ['break 1;', 'invalid number of arguments in "break" directive'],
        ['rewrite_log maybe;',
         'invalid value "maybe" in "rewrite_log" directive, it must be "on" or "off"'],
        ['location / { if ($uri) { proxy_pass http://127.0.0.1:1/x; } }',
         '"proxy_pass" cannot have URI part in location given by regular '
         . 'expression, or inside named location, or inside "if" statement, '
         . 'or inside "limit_except" block'],
    );
    for my $case (@cases) {
        $t->write_config(http_config($t,
            "server { listen 127.0.0.1:%%PORT4%%;\n$case->[0]\n}"));
        my $r = $t->run('-t');
        is($r->{status}, 1, "$case->[0]: rejected");
        like($r->{stderr}, qr/\[emerg\] \Q$case->[1]\E in \Q$conf\E:\d+/,
            "$case->[0]: message");
        $t->expect_log(qr/\Q$case->[1]\E/);
    }
    $t->write_config(http_config($t, <<'EOC'));
server { listen 127.0.0.1:%%PORT4%%;
    rewrite_log on; uninitialized_variable_warn off;
    if ( $uri ) { }
    if ($uri = "") { set $a 1; }
    if ($uri ~ "a;b}") { rewrite ^ /x; }
    location / { if (!-e $request_filename) { rewrite ^ /index last; } }
}
EOC
    my $r = $t->run('-t');
    is($r->{status}, 0, 'valid conditions are accepted') or diag($r->{stderr});
};

$t->done;
done_testing;
