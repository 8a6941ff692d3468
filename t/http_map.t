#!/usr/bin/perl
# The map module: "map" with exact keys (ignoring case), "default", the
# key "", "\" before special words, regular expressions (in order, "~*"
# ignoring case, captures positional and named), "hostnames" masks and
# their priority, "include", variables in the source and in the values,
# values cached per request unless "volatile", evaluation only when the
# variable is used, the WebSocket idiom; map_hash_max_size and
# map_hash_bucket_size; the -t errors in nginx's words.  The same file
# passes against nginx (WARDEN_BINARY=/usr/sbin/nginx), but for the parts
# marked as warden's own.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(start_with http_config get serves log_mark
    log_once);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $conf = $t->conf_path;
my $is_warden = $name ne 'nginx';

plan skip_all => "$name is built without http_map"
    unless $t->has_module('http_map');

# Keys from included files: one file, and two through a glob.
$t->write_file('conf/map-values.conf', "inc-a  from-file;\n\"inc b\" spaced;\n");
$t->write_file('conf/map.d/1.conf', "inc-c  glob-one;\n");
$t->write_file('conf/map.d/2.conf', "~^inc-re-(\\d+)\$  glob-re-\$1;\n");

# More keys than nginx's default map_hash_max_size allows for.
$t->write_file('conf/map-many.conf',
    join('', map { "key$_ value$_;\n" } 0 .. 4999));

start_with($t, <<'EOF') or BAIL_OUT('cannot start');
    map_hash_max_size 8192;
    map_hash_bucket_size 64;

    map $http_x_k $exact {
        default        def;
        foo            exact-foo;
        BaR            exact-bar;
        "with space"   spaced;
        ""             empty-key;
        \default       escaped-default;
        \hostnames     escaped-hostnames;
        \include       escaped-include;
        \volatile      escaped-volatile;
        \~not-a-regex  escaped-tilde;
        *.literal.com  literal-star;
    }

    map $http_x_k $no_default {
        foo  yes;
    }

    map $http_x_k $re {
        default     none;
        ~^exa       first;
        ~xact$      second;
        ~^Case      sensitive;
        ~*^CASE     caseless;
        ~^$         empty-regex;
        exact       exact-key;
    }

    map $uri $cap {
        ~^/cap/(?<word>[a-z]+)/(\d+)$  "w=$1 n=$2 named=$word";
        default                        no-match;
    }

    map $http_x_h $hn {
        hostnames;

        default           none;
        example.com       exact;
        *.example.com     head;
        *.sub.example.com head-longer;
        .example.org      dot;
        mail.*            tail;
        mail.example.*    tail-longer;
        ~^www\.ex         regex;
    }

    map "$arg_a:$arg_b" $combo {
        default           "fallback a=$arg_a";
        1:2               one-two;
        ~^(\d+):(\d+)$    "swapped $2:$1 via $request_method";
    }

    map $http_x_k $inc {
        default            none;
        include            map-values.conf;
        include            map.d/*.conf;
    }

    map $http_x_k $many {
        default            none;
        include            map-many.conf;
    }

    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }

    map $http_x_k $twice { a first-map; }
    map $http_x_k $twice { b second-map; }

    map $uri $uri_cached   { default $uri; }
    map $uri $uri_volatile { volatile; default $uri; }

    map $uri $lazy { default "cap=$1"; }

    map $uri $loop { default "<$loop>"; }

    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost;
        root html;

        location = /exact   { return 200 "[$exact]"; }
        location = /nodef   { return 200 "[$no_default]"; }
        location = /re      { return 200 "[$re]"; }
        location /cap/      { return 200 "[$cap] [$word] [$2]"; }
        location = /hn      { return 200 "[$hn]"; }
        location = /combo   { return 200 "[$combo]"; }
        location = /inc     { return 200 "[$inc]"; }
        location = /many    { return 200 "[$many]"; }
        location = /ws      { return 200 "[$connection_upgrade]"; }
        location = /twice   { return 200 "[$twice]"; }
        location /vol/      { try_files $uri_cached $uri_volatile /vol-end; }
        location = /vol-end { return 200 "[$uri_cached] [$uri_volatile]"; }
        location ~ ^/lazy/(\w+)$ { return 200 "[$lazy]"; }
        location = /loop    { return 200 "[$loop]"; }
    }
EOF

# The body of a "[...]" response to GET $path.
sub val ($path, %headers) {
    my $r = get($t, $path, headers => \%headers);
    return undef unless $r && $r->{status};
    return $r->{body} =~ /^\[(.*)\]$/s ? $1 : "status $r->{status}: $r->{body}";
}

sub k ($key) { val('/exact', 'X-K' => $key) }

subtest 'exact keys and default' => sub {
    is(k('foo'), 'exact-foo', 'an exact key');
    is(k('FOO'), 'exact-foo', 'the source is matched ignoring case');
    is(k('bar'), 'exact-bar', 'so is the key');
    is(k('fo'), 'def', 'a prefix of a key is no match: default');
    is(k('foox'), 'def', 'nor is a longer string');
    is(k('with space'), 'spaced', 'a quoted key with a space');
    is(k(''), 'empty-key', 'the key "" matches an empty value');
    is(val('/exact'), 'empty-key', '... and a missing header');
    is(k('default'), 'escaped-default', '\\default is the key "default"');
    is(k('hostnames'), 'escaped-hostnames', '\\hostnames');
    is(k('include'), 'escaped-include', '\\include');
    is(k('volatile'), 'escaped-volatile', '\\volatile');
    is(k('~not-a-regex'), 'escaped-tilde', '\\~ is no regular expression');
    is(k('x.literal.com'), 'def', 'without hostnames "*" is no mask ...');
    is(k('*.literal.com'), 'literal-star', '... but a plain character');
    is(val('/nodef', 'X-K' => 'foo'), 'yes', 'a map without default');
    is(val('/nodef', 'X-K' => 'bar'), '', 'no default: the empty string');
};

subtest 'regular expressions' => sub {
    my sub re ($k) { val('/re', 'X-K' => $k) }
    is(re('exact'), 'exact-key', 'a string key goes before every regex');
    is(re('example'), 'first', 'a matching regex');
    is(re('exaxact'), 'first', 'two match: the first one written wins');
    is(re('inexact'), 'second', 'the next one is tried');
    is(re('Case-1'), 'sensitive', '"~" is case-sensitive ...');
    is(re('case-1'), 'caseless', '... and "~*" is not');
    is(re('CASE-1'), 'caseless', '"~*" with capitals');
    is(re(''), 'none', 'an empty source is not tried against a regex');
    is(re('other'), 'none', 'no match: default');
};

subtest 'captures' => sub {
    is(val('/cap/abc/42'), 'w=abc n=42 named=abc] [abc] [42',
        'positional and named captures in the value, and in later '
        . 'directives');
    is(val('/cap/ABC/42'), 'no-match] [] [',
        'no match: named captures stay unset');
};

subtest 'hostnames' => sub {
    my sub hn ($h) { val('/hn', 'X-H' => $h) }
    is(hn('example.com'), 'exact', 'an exact name');
    is(hn('EXAMPLE.COM.'), 'exact', 'ignoring case and a trailing dot');
    is(hn('www.example.com'), 'head', '"*.example.com"');
    is(hn('a.b.example.com'), 'head', '"*." covers every level below');
    is(hn('a.sub.example.com'), 'head-longer', 'the longest "*." mask wins');
    is(hn('sub.example.com'), 'head', '... and does not cover the name itself');
    is(hn('example.org'), 'dot', '".example.org": the name itself');
    is(hn('www.example.org'), 'dot', '... and the names below it');
    is(hn('notexample.org'), 'none', '... but no other name ending with it');
    is(hn('mail.example.net'), 'tail-longer', 'the longest ".*" mask wins');
    is(hn('mail.other.net'), 'tail', '"mail.*"');
    is(hn('mail.example.com'), 'head', 'a "*." mask goes before a ".*" one');
    is(hn('www.exotic.net'), 'regex', 'then the regular expressions');
    is(hn('WWW.EXOTIC.NET'), 'none', 'which see the case as sent');
    is(hn('example.net'), 'none', 'no match: default');
};

subtest 'variables in the source and the values' => sub {
    is(val('/combo?a=1&b=2'), 'one-two', 'a source made of two variables');
    is(val('/combo?a=3&b=4'), 'swapped 4:3 via GET',
        'a value with captures, a variable and text');
    is(val('/combo?a=x'), 'fallback a=x', 'a default with a variable');
};

subtest 'include' => sub {
    is(val('/inc', 'X-K' => 'inc-a'), 'from-file', 'keys from a file');
    is(val('/inc', 'X-K' => 'inc b'), 'spaced', '... all of them');
    is(val('/inc', 'X-K' => 'inc-c'), 'glob-one', 'files from a glob');
    is(val('/inc', 'X-K' => 'inc-re-7'), 'glob-re-7', 'a regex from a glob');
    is(val('/inc', 'X-K' => 'other'), 'none', 'the default');
};

subtest 'many keys' => sub {
    is(val('/many', 'X-K' => "key$_"), "value$_", "key$_") for 0, 1, 2500, 4999;
    is(val('/many', 'X-K' => 'key5000'), 'none', 'one more: default');
};

subtest 'WebSocket idiom' => sub {
    is(val('/ws', Upgrade => 'websocket'), 'upgrade', 'Upgrade: upgrade');
    is(val('/ws'), 'close', 'no Upgrade header: close');
};

subtest 'a map of the same variable again' => sub {
    is(val('/twice', 'X-K' => 'b'), 'second-map', 'the later map is used');
    is(val('/twice', 'X-K' => 'a'), '', '... whole: not the earlier keys');
};

subtest 'cached and volatile values' => sub {
    # try_files uses both values for /vol/x, then redirects to /vol-end
    is(val('/vol/x'), '/vol/x] [/vol-end',
        'a value is kept for the request, through an internal redirect; '
        . 'a volatile one is computed again');
};

subtest 'evaluated when used' => sub {
    is(val('/lazy/word'), 'cap=word',
        'a value with $1 sees the location\'s capture: it was not computed '
        . 'before the location was chosen');
};

SKIP: {
    skip "$name has no guard against a map that uses itself", 1
        unless $is_warden;

    subtest 'a map that uses itself (warden)' => sub {
        $t->expect_log(qr/cycle while evaluating map variable "\$loop"/);
        my $mark = log_mark($t);
        my $v = val('/loop');
        like($v, qr/^(<+)(>+)$/, 'answered, the innermost value empty');
        is(length($v), 128, '64 levels deep');
        log_once($t, $mark,
            qr/\[error\] .*cycle while evaluating map variable "\$loop"/,
            'the error');
        ok(serves($t, path => '/exact'), 'still serving');
    };
}

$t->stop;

# ---- -t ---------------------------------------------------------------

my $marker = '#E';

# -t on an http block must fail with "[LEVEL] MSG in FILE:LINE"; the line
# is the one marked with #E (or $opt{line} of $opt{file}).
sub conf_error ($desc, $http, $msg, %opt) {
    my $text = http_config($t, $http);
    my @lines = split /\n/, $text;
    my ($line) = grep { $lines[$_ - 1] =~ /\Q$marker\E/ } 1 .. @lines;
    $line = $opt{line} if $opt{line};
    my $file = $opt{file} ? "$prefix/$opt{file}" : $conf;
    my $level = $opt{level} // 'emerg';
    $t->write_config($text);
    my $r = $t->run('-t');
    is($r->{status}, 1, "$desc: exit 1");
    like($r->{stderr}, qr/^\Q$name: [$level] $msg in $file:$line\E$/m,
        "$desc: message");
    $t->expect_log(qr/\Q$msg in $file:$line\E/);
}

sub conf_ok ($desc, $http) {
    $t->write_config(http_config($t, $http));
    my $r = $t->run('-t');
    is($r->{status}, 0, "$desc: exit 0");
    return $r;
}

subtest 'configuration errors' => sub {
    conf_error('too few parameters', "map \$uri { #E\n}\n",
        'invalid number of arguments in "map" directive');
    conf_error('too many parameters', "map \$uri \$b \$c { #E\n}\n",
        'invalid number of arguments in "map" directive');
    conf_error('no block', "map \$uri \$b; #E\n",
        'directive "map" has no opening "{"');
    conf_error('not a variable', "map \$uri b { #E\n}\n",
        'invalid variable name "b"');
    conf_error('an empty variable name', "map \$uri \$ { #E\n}\n",
        'invalid variable name "$"');
    conf_error('a built-in variable', "map \$uri \$uri { #E\n}\n",
        'the duplicate "uri" variable');
    conf_error('in a server', "server { map \$uri \$b { } } #E\n",
        '"map" directive is not allowed here');
    conf_error('one word', "map \$uri \$b {\n    a; #E\n}\n",
        'invalid number of the map parameters');
    conf_error('three words', "map \$uri \$b {\n    a b c; #E\n}\n",
        'invalid number of the map parameters');
    conf_error('default alone', "map \$uri \$b {\n    default; #E\n}\n",
        'invalid number of the map parameters');
    conf_error('two defaults', "map \$uri \$b {\n    default 1;\n"
        . "    default 2; #E\n}\n", 'duplicate default map parameter');
    conf_error('the same key (named in lowercase)', "map \$uri \$b {\n    Key 1;\n    kEY 2; #E\n}\n",
        'conflicting parameter "key"');
    conf_error('the key "" twice', "map \$uri \$b {\n    \"\" 1;\n"
        . "    \"\\\\\" 2; #E\n}\n", 'conflicting parameter ""');
    conf_error('".S" after "S"', "map \$uri \$b {\n    hostnames;\n"
        . "    example.com 1;\n    .example.com 2; #E\n}\n",
        'conflicting parameter ".example.com"');
    conf_error('"*.S" after ".S"', "map \$uri \$b {\n    hostnames;\n"
        . "    .example.com 1;\n    *.example.com 2; #E\n}\n",
        'conflicting parameter "*.example.com"');
    conf_error('a bad mask', "map \$uri \$b {\n    hostnames;\n"
        . "    www.*.com 1; #E\n}\n",
        'invalid hostname or wildcard "www.*.com"');
    conf_error('an empty label', "map \$uri \$b {\n    hostnames;\n"
        . "    a..example.com 1; #E\n}\n",
        'invalid hostname or wildcard "a..example.com"');
    conf_error('a bad regex', "map \$uri \$b {\n    \"~(a\" 1; #E\n}\n",
        'pcre2_compile() failed: missing closing parenthesis in "(a"');
    conf_error('a bad regex, ignoring case', "map \$uri \$b {\n"
        . "    \"~*a)b\" 1; #E\n}\n",
        'pcre2_compile() failed: unmatched closing parenthesis in "a)b" '
        . 'at ")b"');
    conf_error('a block inside', "map \$uri \$b {\n    a { #E\n    }\n}\n",
        'unexpected "{"');
    conf_error('a missing include', "map \$uri \$b {\n"
        . "    include no-such.conf; #E\n}\n",
        qq{open() "$prefix/conf/no-such.conf" failed (2: No such file or directory)});

    $t->write_file('conf/bad-map.conf', "a 1;\nb 2 3;\n");
    conf_error('an error in an included file',
        "map \$uri \$b {\n    include bad-map.conf;\n}\n",
        'invalid number of the map parameters',
        file => 'conf/bad-map.conf', line => 2);

    conf_error('map_hash_max_size twice', "map_hash_max_size 1;\n"
        . "map_hash_max_size 2; #E\n",
        '"map_hash_max_size" directive is duplicate');
    conf_error('map_hash_bucket_size with a unit',
        "map_hash_bucket_size 1k; #E\n",
        '"map_hash_bucket_size" directive invalid number');
    conf_error('map_hash_max_size in a server',
        "server { map_hash_max_size 1; } #E\n",
        '"map_hash_max_size" directive is not allowed here');

    # unknown variables are found once the whole configuration is read
    $t->write_config(http_config($t, "map \$nope \$b { }\n"));
    my $r = $t->run('-t');
    is($r->{status}, 1, 'an unknown source variable: exit 1');
    like($r->{stderr}, qr/^\Q$name\E: \[emerg\] unknown "nope" variable$/m,
        'an unknown source variable: message');
    $t->write_config(http_config($t, "map \$uri \$b { x \$nope; }\n"));
    $r = $t->run('-t');
    like($r->{stderr}, qr/^\Q$name\E: \[emerg\] unknown "nope" variable$/m,
        'an unknown variable in a value');
    $t->expect_log(qr/unknown "nope" variable/);
};

subtest 'accepted configurations' => sub {
    conf_ok('an empty map', "map \$uri \$b { }\n");
    conf_ok('a constant source', "map constant \$b { constant 1; }\n");
    conf_ok('hash sizes', "map_hash_max_size 16;\nmap_hash_bucket_size 32;\n"
        . "map \$uri \$b { a 1; }\n");
    conf_ok('a lone "." with hostnames is a string',
        "map \$uri \$b { hostnames; . 1; }\n");
    conf_ok('volatile and hostnames twice',
        "map \$uri \$b { volatile; volatile; hostnames; hostnames; }\n");

    my $r = conf_ok('"hostnames" after the keys', "map \$uri \$b {\n"
        . "    a 1;\n    hostnames;\n}\n");
    SKIP: {
        skip "$name does not warn", 1 unless $is_warden;
        like($r->{stderr}, qr/^\Q$name\E: \[warn\] the "hostnames" parameter /m,
            '"hostnames" after the keys: a warning');
    }
};

$t->done;
done_testing;
