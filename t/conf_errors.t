#!/usr/bin/perl
# Config parser errors: each reported as "NAME: [emerg] MESSAGE in FILE:LINE"
# on stderr (and in the error log) with nginx's exact wording, exit 1.
# Also the tokenizer: quotes, escapes, ${var}, comments, include and globs.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(is_root);

my $t = Test::Warden->new;
my $name = $t->name;
my $prefix = $t->prefix;
my $conf = $t->conf_path;

sub ok_lines ($file = $conf) {
    return "$name: the configuration file $file syntax is ok\n"
        . "$name: configuration file $file test is successful\n";
}

# -t on $config must fail with "[LEVEL] MSG[ in FILE:LINE]". $where is
# [file, line] (file relative to the prefix), or undef for no location.
sub conf_error ($desc, $config, $msg, $where, %opt) {
    $t->write_config($config);
    my $level = $opt{level} // 'emerg';
    my $loc = $where ? " in $prefix/$where->[0]:$where->[1]" : '';
    my $r = $t->run('-t');
    is($r->{status}, 1, "$desc: exit 1");
    is($r->{stderr}, ($opt{before} // '') . "$name: [$level] $msg$loc\n"
        . "$name: configuration file $conf test failed\n", "$desc: message");
    $t->expect_log(qr/\[\Q$level\E\] \d+#\d+: \Q$msg$loc\E$/);
}

sub conf_ok ($desc, $config) {
    $t->write_config($config);
    my $r = $t->run('-t');
    is($r->{status}, 0, "$desc: exit 0");
    is($r->{stderr}, ok_lines(), "$desc: test is successful");
}

my $C = 'conf/warden.conf';

# The value echoed back by the "daemon" flag's error shows how a token
# was read.
sub token_is ($desc, $token_src, $parsed) {
    conf_error($desc, "pid logs/warden.pid;\nevents {}\ndaemon $token_src;\n",
        qq{invalid value "$parsed" in "daemon" directive, it must be "on" or "off"},
        [$C, 3]);
}

subtest 'unknown directives' => sub {
    conf_error('unknown directive', <<'EOF', 'unknown directive "foo"', [$C, 3]);
pid logs/warden.pid;
events {}
foo;
EOF
    conf_error('unknown directive with arguments', <<'EOF',
pid logs/warden.pid;
foo bar "baz" { }
events {}
EOF
        'unknown directive "foo"', [$C, 2]);
    conf_error('unknown directive in http', <<'EOF', 'unknown directive "foo_bar"', [$C, 5]);
pid logs/warden.pid;
events {}
http {
    access_log off;
    foo_bar on;
}
EOF
    conf_error('unknown directive in location', <<'EOF', 'unknown directive "foo_bar"', [$C, 8]);
pid logs/warden.pid;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT0%%;
        location / {
            foo_bar on;
        }
    }
}
EOF
};

subtest 'directive not allowed here' => sub {
    conf_error('events directive at main', <<'EOF',
pid logs/warden.pid;
worker_connections 10;
events {}
EOF
        '"worker_connections" directive is not allowed here', [$C, 2]);
    conf_error('context is checked before arguments', <<'EOF',
pid logs/warden.pid;
worker_connections;
events {}
EOF
        '"worker_connections" directive is not allowed here', [$C, 2]);
    conf_error('main directive in events', <<'EOF',
pid logs/warden.pid;
events {
    daemon on;
}
EOF
        '"daemon" directive is not allowed here', [$C, 3]);
    conf_error('server at main', "pid logs/warden.pid;\nevents {}\nserver {}\n",
        '"server" directive is not allowed here', [$C, 3]);
    conf_error('location in http', <<'EOF',
pid logs/warden.pid;
events {}
http { access_log off; location / {} }
EOF
        '"location" directive is not allowed here', [$C, 3]);
    conf_error('listen in http', <<'EOF',
pid logs/warden.pid;
events {}
http { access_log off; listen 80; }
EOF
        '"listen" directive is not allowed here', [$C, 3]);
    conf_error('events in http', <<'EOF',
pid logs/warden.pid;
events {}
http { access_log off; events {} }
EOF
        '"events" directive is not allowed here', [$C, 3]);
};

subtest 'invalid number of arguments' => sub {
    my $m = 'invalid number of arguments in "%s" directive';
    conf_error('too few', "pid logs/warden.pid;\nworker_processes;\nevents {}\n",
        sprintf($m, 'worker_processes'), [$C, 2]);
    conf_error('too many', "pid logs/warden.pid;\nworker_processes 1 2;\nevents {}\n",
        sprintf($m, 'worker_processes'), [$C, 2]);
    conf_error('block with an argument', "pid logs/warden.pid;\nevents foo {}\n",
        sprintf($m, 'events'), [$C, 2]);
    conf_error('include without a file', "pid logs/warden.pid;\nevents {}\ninclude;\n",
        sprintf($m, 'include'), [$C, 3]);
    conf_error('line of a multi-line directive is where it ends',
        "pid logs/warden.pid;\nevents {}\nworker_processes\n  1\n  2\n  ;\n",
        sprintf($m, 'worker_processes'), [$C, 6]);
};

subtest 'duplicates' => sub {
    conf_error('pid twice', "pid logs/warden.pid;\npid logs/x.pid;\nevents {}\n",
        '"pid" directive is duplicate', [$C, 2]);
    conf_error('worker_processes twice',
        "pid logs/warden.pid;\nworker_processes 1;\nworker_processes 2;\nevents {}\n",
        '"worker_processes" directive is duplicate', [$C, 3]);
    conf_error('events twice', "pid logs/warden.pid;\nevents {}\nevents {}\n",
        '"events" directive is duplicate', [$C, 3]);
};

subtest 'invalid values' => sub {
    conf_error('flag', "pid logs/warden.pid;\ndaemon maybe;\nevents {}\n",
        'invalid value "maybe" in "daemon" directive, it must be "on" or "off"',
        [$C, 2]);
    conf_error('worker_processes', "pid logs/warden.pid;\nworker_processes abc;\nevents {}\n",
        '"worker_processes" directive invalid value', [$C, 2]);
    conf_error('number', "pid logs/warden.pid;\nworker_rlimit_nofile abc;\nevents {}\n",
        '"worker_rlimit_nofile" directive invalid number', [$C, 2]);
    conf_error('time', "pid logs/warden.pid;\nworker_shutdown_timeout abc;\nevents {}\n",
        '"worker_shutdown_timeout" directive invalid value', [$C, 2]);
    my $http = sub ($line) {
        "pid logs/warden.pid;\nevents {}\nhttp {\n    access_log off;\n"
        . "    server {\n        listen 127.0.0.1:%%PORT0%%;\n        $line\n"
        . "    }\n}\n";
    };
    conf_error('size', $http->('client_max_body_size abc;'),
        '"client_max_body_size" directive invalid value', [$C, 7]);
    conf_error('time in http', $http->('send_timeout 1x;'),
        '"send_timeout" directive invalid value', [$C, 7]);
    conf_error('flag in http', $http->('sendfile maybe;'),
        'invalid value "maybe" in "sendfile" directive, it must be "on" or "off"',
        [$C, 7]);
};

subtest 'structure' => sub {
    conf_error('"}" at top level', "pid logs/warden.pid;\nevents {}\n}\n",
        'unexpected "}"', [$C, 3]);
    conf_error('";" alone', ";\npid logs/warden.pid;\nevents {}\n",
        'unexpected ";"', [$C, 1]);
    conf_error('";" in a block', "pid logs/warden.pid;\nevents { ; }\n",
        'unexpected ";"', [$C, 2]);
    conf_error('";;"', "pid logs/warden.pid;\nevents {}\ndaemon on;;\n",
        'unexpected ";"', [$C, 3]);
    conf_error('unclosed block', "pid logs/warden.pid;\nevents {",
        'unexpected end of file, expecting "}"', [$C, 2]);
    conf_error('unclosed block, newline at end', "pid logs/warden.pid;\nevents {\n",
        'unexpected end of file, expecting "}"', [$C, 3]);
    conf_error('missing ";" at end of file',
        "pid logs/warden.pid;\nevents {}\nworker_processes 1",
        'unexpected end of file, expecting ";" or "}"', [$C, 3]);
    conf_error('unterminated double quote',
        "pid logs/warden.pid;\nevents {}\nerror_log \"logs/x.log;\n",
        'unexpected end of file, expecting ";" or "}"', [$C, 4]);
    conf_error('unterminated single quote',
        "pid logs/warden.pid;\nevents {}\nerror_log 'logs/x.log;\n",
        'unexpected end of file, expecting ";" or "}"', [$C, 4]);
    conf_error('text right after a quote', "pid logs/warden.pid;\nevents {}\ndaemon \"x\"y;\n",
        'unexpected "y"', [$C, 3]);
    conf_error('two adjacent quoted strings',
        "pid logs/warden.pid;\nevents {}\ndaemon \"x\"\"y\";\n",
        'unexpected """', [$C, 3]);
    conf_error("adjacent single quotes", "pid logs/warden.pid;\nevents {}\ndaemon 'it''s';\n",
        q{unexpected "'"}, [$C, 3]);
    conf_error('simple directive with a block', "pid logs/warden.pid;\nevents {}\ndaemon {}\n",
        'directive "daemon" is not terminated by ";"', [$C, 3]);
    conf_error('block directive without a block', "pid logs/warden.pid;\nevents;\n",
        'directive "events" has no opening "{"', [$C, 2]);
    conf_error('no events section', "pid logs/warden.pid;\n",
        'no "events" section in configuration', undef,
        before => "$name: the configuration file $conf syntax is ok\n");
    conf_error('quote inside a word', "pid logs/warden.pid;\nevents {}\nda\"emon\" on;\n",
        'unknown directive "da"emon""', [$C, 3]);
};

subtest 'tokens: quotes, escapes, variables, comments' => sub {
    token_is('escaped quote in double quotes', '"a\"b"', 'a"b');
    token_is('escaped quote in a word', 'a\"b', 'a"b');
    token_is('escaped quote in single quotes', q{'a\'b'}, q{a'b});
    token_is('space in single quotes', q{'x y'}, 'x y');
    token_is('empty double quotes', '""', '');
    token_is('empty single quotes', q{''}, '');
    token_is('escaped backslash, quoted', '"a\\\\b"', 'a\\b');
    token_is('escaped backslash, bare', 'a\\\\b', 'a\\b');
    token_is('\t in quotes', '"a\tb"', "a\tb");
    token_is('\n in quotes', '"a\nb"', "a\nb");
    token_is('unknown escape kept', '"a\qb"', 'a\\qb');
    token_is('backslash-space does not split a word', 'a\\ b', 'a\\ b');
    token_is('quotes inside a word are literal', 'a"b"', 'a"b"');
    token_is('${var}', '${var}', '${var}');
    token_is('${var} in quotes', '"${var}"', '${var}');
    token_is('${var} inside a word', 'a${b}c', 'a${b}c');
    token_is('$var', '$var', '$var');
    token_is('"}" inside a word', 'a}b', 'a}b');
    token_is('"#" inside a word', 'a#b', 'a#b');
    token_is('";" ends a word', 'a;b', 'a');
    conf_error('"{" not after "$" opens a block', "pid logs/warden.pid;\nevents {}\ndaemon {a};\n",
        'directive "daemon" is not terminated by ";"', [$C, 3]);
    conf_error('space inside ${} splits', "pid logs/warden.pid;\nevents {}\ndaemon \${a b};\n",
        'invalid number of arguments in "daemon" directive', [$C, 3]);

    conf_ok('quoted directive name and value',
        qq{pid logs/warden.pid;\n"daemon" "on";\n'master_process' 'on';\nevents {}\n});
    conf_ok('value on the next line', "pid logs/warden.pid;\ndaemon\n  on\n;\nevents {}\n");
    conf_ok('comments anywhere', <<'EOF');
# leading comment with "quote and ; and } and {
pid logs/warden.pid;   # trailing comment '
daemon on;# no space before it
events {   # after the brace
    # inside a block
}
# last line has no newline
EOF
    conf_ok('tabs, CRLF and packed tokens',
        "pid\tlogs/warden.pid;\r\ndaemon on;events{}worker_processes 1;\r\n");
};

subtest 'include' => sub {
    $t->write_file('conf/sub/a.inc', "worker_processes 1;\n");
    $t->write_file('conf/sub/b.inc', "\n# comment\nworker_rlimit_nofile 1024;\n");
    $t->write_file('conf/nest/inner.inc', "include sub/a.inc;\n");
    $t->write_file('conf/sub/bad.txt', "\n\nfoo_bad bar;\n");
    $t->write_file('conf/sub/dup.txt', "worker_processes 2;\n");
    mkdir "$prefix/conf/adir";

    conf_error('missing file', "pid logs/warden.pid;\nevents {}\ninclude missing.conf;\n",
        qq{open() "$prefix/conf/missing.conf" failed (2: No such file or directory)},
        [$C, 3]);
    conf_error('missing absolute file',
        "pid logs/warden.pid;\nevents {}\ninclude $prefix/nowhere/x.conf;\n",
        qq{open() "$prefix/nowhere/x.conf" failed (2: No such file or directory)},
        [$C, 3]);
    conf_ok('glob with no match', "pid logs/warden.pid;\nevents {}\ninclude sub/*.nomatch;\n");
    conf_ok('glob in a missing directory',
        "pid logs/warden.pid;\nevents {}\ninclude nodir/*.conf;\n");
    conf_ok('glob relative to the config directory',
        "pid logs/warden.pid;\nevents {}\ninclude sub/*.inc;\n");
    conf_ok('include inside an included file is relative to the config directory',
        "pid logs/warden.pid;\nevents {}\ninclude nest/inner.inc;\n");
    conf_ok('quoted absolute path',
        qq{pid logs/warden.pid;\nevents {}\ninclude "$prefix/conf/sub/a.inc";\n});

    conf_error('error in an included file', "pid logs/warden.pid;\nevents {}\ninclude sub/bad.txt;\n",
        'unknown directive "foo_bad"', ['conf/sub/bad.txt', 3]);
    conf_error('glob files are read in sorted order',
        "pid logs/warden.pid;\nevents {}\ninclude sub/*.txt;\n",
        'unknown directive "foo_bad"', ['conf/sub/bad.txt', 3]);
    conf_error('duplicate across files is reported in the second file',
        "pid logs/warden.pid;\nevents {}\ninclude sub/a.inc;\ninclude sub/dup.txt;\n",
        '"worker_processes" directive is duplicate', ['conf/sub/dup.txt', 1]);
    conf_error('error after an include is in the main file',
        "pid logs/warden.pid;\nevents {}\ninclude sub/b.inc;\nfoo_after;\n",
        'unknown directive "foo_after"', [$C, 4]);

    $t->write_config("pid logs/warden.pid;\nevents {}\ninclude sub/*.inc;\n");
    my $r = $t->run('-T', '-q');
    is($r->{stdout}, "# configuration file $conf:\n"
        . "pid logs/warden.pid;\nevents {}\ninclude sub/*.inc;\n\n"
        . "# configuration file $prefix/conf/sub/a.inc:\nworker_processes 1;\n\n"
        . "# configuration file $prefix/conf/sub/b.inc:\n"
        . "\n# comment\nworker_rlimit_nofile 1024;\n\n",
        'glob matches are included in sorted order (-T)');

    conf_error('directory as include', "pid logs/warden.pid;\nevents {}\ninclude adir;\n",
        qq{pread() "$prefix/conf/adir" failed (21: Is a directory)}, undef,
        level => 'crit');

    SKIP: {
        skip 'root can read a mode 000 file', 2 if is_root();
        $t->write_file('conf/sub/secret.conf', "worker_processes 1;\n");
        chmod 0, "$prefix/conf/sub/secret.conf";
        conf_error('unreadable file',
            "pid logs/warden.pid;\nevents {}\ninclude sub/secret.conf;\n",
            qq{open() "$prefix/conf/sub/secret.conf" failed (13: Permission denied)},
            [$C, 3]);
        chmod 0644, "$prefix/conf/sub/secret.conf";
    }
};

subtest 'a complete http config is accepted' => sub {
    conf_ok('http, server, location', <<'EOF');
pid logs/warden.pid;
error_log logs/error.log info;
events {
    worker_connections 128;
}
http {
    access_log logs/access.log;
    server {
        listen 127.0.0.1:%%PORT0%%;
        server_name localhost "quoted.example" 'single.example';
        location / {
            root html;
        }
        location = /exact {
            return 204;
        }
        location ~ \.(gif|jpg)$ {
            return 403;
        }
    }
}
EOF
};

$t->done;
done_testing;
