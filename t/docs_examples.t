#!/usr/bin/perl
# Every configuration example in docs/*.md passes "warden -t".  The fence
# tag of a block says what it holds (see "Conventions of the examples" in
# docs/README.md): a whole file, or the inside of a context, which is
# wrapped here before the test; "nginx-fragment" blocks are skipped, and
# so are the pages of modules the build leaves out (docs/http_map.md in a
# build --without-http_map).
# Like nginx's, "warden -t" binds the listening sockets (an address in use
# is not an error), so examples listen only on addresses every machine
# has; run as root, or those on ports below 1024 are skipped.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Warden qw(is_root);

my $repo = "$FindBin::Bin/..";
my @docs = sort glob("$repo/docs/*.md");

plan skip_all => 'no docs/*.md' unless @docs;

# tag => [text before the block, text after it]
my %wrap = (
    'nginx'          => ['', ''],
    'nginx-main'     => ['', "\nevents {}\n"],
    'nginx-events'   => ["events {\n", "\n}\n"],
    'nginx-http'     => ["events {}\nhttp {\n", "\n}\n"],
    'nginx-server'   => ["events {}\nhttp {\nserver {\n", "\n}\n}\n"],
    'nginx-location' =>
        ["events {}\nhttp {\nserver {\nlocation / {\n", "\n}\n}\n}\n"],
);

# The fenced blocks of a Markdown file: { tag, line, text }.  A fence may
# be indented (inside a list item); the indentation is removed.
sub fenced_blocks ($file) {
    open my $fh, '<', $file or die "$file: $!";
    my (@blocks, $cur);

    while (my $line = <$fh>) {
        if ($cur) {
            if ($line =~ /^\s*```\s*$/) {
                push @blocks, $cur;
                undef $cur;
                next;
            }
            $line =~ s/^ {0,$cur->{indent}}//;
            $cur->{text} .= $line;
            next;
        }

        if ($line =~ /^( *)```(\S*)\s*$/) {
            $cur = { tag => $2, line => $., indent => length $1, text => '' };
        }
    }

    die "$file: unclosed code block at line $cur->{line}\n" if $cur;
    return @blocks;
}

my $t = Test::Warden->new;
my $name = $t->name;
my $conf = $t->conf_path;

# Examples may "include mime.types" as the shipped configuration does.
$t->write_file('conf/mime.types', $t->read_file("$repo/conf/mime.types"));

my $checked = 0;

for my $file (@docs) {
    my $rel = $file =~ s{^\Q$repo\E/}{}r;

    # docs/http_map.md documents http_map: nothing to check in a build
    # made --without-http_map
    my ($module) = $rel =~ m{^docs/(http_\w+)\.md$};
    if ($module && !$t->has_module($module)) {
        SKIP: { skip("$rel: $name is built without $module", 1) }
        next;
    }

    for my $b (fenced_blocks($file)) {
        my $tag = $b->{tag};
        my $where = "$rel:$b->{line}";

        next unless $tag =~ /^nginx/;
        next if $tag eq 'nginx-fragment';

        unless ($wrap{$tag}) {
            fail("$where: unknown example tag \"$tag\"");
            next;
        }

        my ($head, $tail) = @{ $wrap{$tag} };
        $t->write_config($head . $b->{text} . $tail);

        my $r = $t->run('-t');

        # -t binds the listening sockets, as nginx's does: without root,
        # an example on port 80 cannot pass, through no fault of its own.
        if (!is_root() && $r->{status} != 0
            && $r->{stderr} =~ /bind\(\) to \S+ failed \(13: /)
        {
            $t->expect_log(qr/bind\(\) to \S+ failed \(13: /);
            SKIP: { skip("$where ($tag): needs root to bind its ports", 1) }
            next;
        }

        my $ok = $r->{status} == 0
            && $r->{stderr} =~ /^\Q$name\E: configuration file \Q$conf\E test is successful$/m
            && $r->{stderr} !~ /\[(?:emerg|alert|crit)\]/;

        ok($ok, "$where ($tag) passes -t")
            or diag("configuration:\n$head$b->{text}$tail\nstderr:\n$r->{stderr}");
        $checked++;
    }
}

cmp_ok($checked, '>', 0, "found examples to check ($checked)");

$t->done;
done_testing;
