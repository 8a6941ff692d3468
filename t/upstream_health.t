#!/usr/bin/perl
# Upstream groups in a shared zone and active health checks: a dead peer
# is found by the checks and gets no requests, it comes back after
# "passes" good checks, "mandatory" keeps new peers out until checked,
# "match" blocks judge status, headers and body, one worker at a time
# checks a peer, the verdict is shared by the workers, and it survives a
# reload for peers still in the configuration.  Configuration errors.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Test::Warden qw(parse_response);
use Test::Warden::HTTP qw(http_config get);
use Test::Warden::Backend;

my $t = Test::Warden->new;

plan skip_all => 'health checks are a warden feature' if $t->name ne 'warden';

sub backend (%opt) { Test::Warden::Backend->start(t => $t, %opt) }

# The names of the backends that answered n requests.
sub answers ($t, $n, $path = '/') {
    my @who;

    for (1 .. $n) {
        my $r = get($t, $path);
        push @who, $r && $r->{status} == 200
            ? ($r->{headers}{'x-backend'} // '?') : ($r ? $r->{status} : 'none');
    }

    return \@who;
}

sub count_of ($list, $what) { scalar grep { $_ eq $what } @$list }

my $a = backend(name => 'a');
my $b = backend(name => 'b');
my $c = backend(name => 'c', handler => sub ($req) {
    return { status => 200, body => "maintenance mode\n",
        headers => [ 'X-State' => 'maint' ] };
});

sub config ($t, $servers, $check, %opt) {
    $t->write_config(http_config($t, <<"EOF",
    upstream g {
        zone g 64k;
$servers
    }

    match good {
        status 200-299;
        header X-Backend;
        body !~ "maintenance";
    }

    match strict {
        status 204;
    }

    server {
        listen 127.0.0.1:%%PORT0%%;
        location / {
            proxy_pass http://g;
            $check
        }
    }
EOF
        main => 'worker_processes ' . ($opt{workers} // 2) . ';'));
}

subtest 'a dead peer is taken out and comes back' => sub {
    my $dead = Test::Warden::Backend::unused_port();
    config($t, "        server " . $a->addr . ";\n"
        . "        server 127.0.0.1:$dead;\n",
        'health_check interval=200ms fails=1 passes=2;');
    $t->expect_log(qr/health check of peer .* failed/);
    $t->start or return;

    ok($t->wait_for_log(qr/health check of peer 127\.0\.0\.1:$dead in upstream "g" failed: connect\(\) failed, the peer is unhealthy/),
        'the dead peer is found unhealthy and logged');

    my $before = () = $t->error_log =~ /connect\(\) failed \(111/g;
    my $who = answers($t, 20);
    is(count_of($who, 'a'), 20, 'all 20 requests go to the live peer');
    my $after = () = $t->error_log =~ /connect\(\) failed \(111/g;
    is($after, $before, 'no request tried the dead peer');

    # the peer comes up on that port: two passes in a row bring it back
    my $revived = backend(name => 'r', port => $dead);
    ok($t->wait_for_log(qr/peer 127\.0\.0\.1:$dead in upstream "g" is healthy/),
        'it is healthy again after the passes');
    $who = answers($t, 20);
    cmp_ok(count_of($who, 'r'), '>=', 8, 'and gets its share of requests')
        or diag("@$who");

    $revived->stop;
    ok($t->wait_for_log(qr/127\.0\.0\.1:$dead.*failed.*the peer is unhealthy(?s:.*)127\.0\.0\.1:$dead.*failed.*the peer is unhealthy/),
        'stopped again: unhealthy again');
    $t->stop;
};

subtest 'match: status, header and body' => sub {
    my $u = Test::Warden->new;
    config($u, "        server " . $a->addr . ";\n"
        . "        server " . $c->addr . ";\n",
        'health_check interval=200ms match=good;');
    $u->expect_log(qr/health check of peer .* failed/);
    $u->start or return;
    my $caddr = quotemeta $c->addr;
    ok($u->wait_for_log(qr/peer $caddr in upstream "g" failed: body, the peer is unhealthy/),
        'the body test fails the peer in maintenance');
    my $who = answers($u, 10);
    is(count_of($who, 'a'), 10, 'requests avoid it');
    $u->done;

    my $v = Test::Warden->new;
    config($v, "        server " . $a->addr . ";\n",
        'health_check interval=200ms match=strict uri=/status/204;');
    $v->start or return;
    sleep 0.8;
    unlike($v->error_log, qr/health check of peer .* failed/,
        'uri= is what gets checked (204 passes "status 204")');
    ok(grep({ $_->{path} eq '/status/204'
            && ($_->{h}{'user-agent'} // '') =~ /health-check/ }
            $a->requests), 'the backend saw the check request');
    $v->done;
};

subtest 'mandatory: new peers wait for their first check' => sub {
    my $u = Test::Warden->new;
    my $dead = Test::Warden::Backend::unused_port();
    config($u, "        server " . $a->addr . ";\n"
        . "        server 127.0.0.1:$dead;\n",
        'health_check interval=5s mandatory;', workers => 1);
    $u->expect_log(qr/health check of peer .* failed/);
    $u->start or return;

    # every peer starts "checking": requests wait for a passed check
    ok($u->wait_until(sub { my $r = get($u, '/'); $r && $r->{status} == 200 }),
        'the live peer serves once checked');
    my $who = answers($u, 10);
    is(count_of($who, 'a'), 10, 'no request goes to an unchecked peer');
    unlike($u->error_log, qr/connect\(\) failed \(111/,
        'the dead peer was never tried by a request');
    $u->done;
};

subtest 'one worker checks a peer at a time; the verdict is shared' => sub {
    my $u = Test::Warden->new;
    my $x = backend(name => 'x');
    config($u, "        server " . $x->addr . ";\n",
        'health_check interval=300ms;', workers => 2);
    $u->start or return;
    sleep 2.2;
    my @checks = grep { ($_->{h}{'user-agent'} // '') =~ /health-check/ }
        $x->requests;
    cmp_ok(scalar @checks, '>=', 4, 'checks run (' . @checks . ')');
    cmp_ok(scalar @checks, '<=', 10,
        'about one per interval, not one per worker');

    $x->stop;
    ok($u->wait_for_log(qr/the peer is unhealthy/), 'found dead');
    my $logged = () = $u->error_log =~ /the peer is unhealthy/g;
    is($logged, 1, 'the change is seen once, by the worker that checked');
    my $r = get($u, '/');
    is($r->{status}, 503, 'with its only peer unhealthy the group answers 503');
    like($u->error_log, qr/no live upstreams while connecting to upstream/,
        'and "no live upstreams" is logged');
    $u->expect_log(qr/health check of peer .* failed/);
    $u->done;
};

subtest 'the verdict survives a reload' => sub {
    my $u = Test::Warden->new;
    my $dead = Test::Warden::Backend::unused_port();
    my $servers = "        server " . $a->addr . ";\n"
        . "        server 127.0.0.1:$dead;\n";
    config($u, $servers, 'health_check interval=10s;', workers => 1);
    $u->expect_log(qr/health check of peer .* failed/);
    $u->start or return;
    ok($u->wait_for_log(qr/the peer is unhealthy/), 'found dead');

    # same zone, same peers, one more line: the next check is 10 s away,
    # so only the carried-over verdict keeps requests off the dead peer
    config($u, $servers, 'health_check interval=10s; proxy_set_header X-R 1;',
        workers => 1);
    $u->signal('HUP');
    ok($u->wait_until(sub {
            my $r = get($u, '/');
            my $e = $r && $r->{status} == 200
                && Test::Warden::Backend::parse_echo($r->{body});
            $e && exists $e->{h}{'x-r'};
        }), 'the new configuration serves');
    my $before = () = $u->error_log =~ /connect\(\) failed \(111/g;
    my $who = answers($u, 10);
    is(count_of($who, 'a'), 10, 'all requests still avoid the dead peer');
    my $after = () = $u->error_log =~ /connect\(\) failed \(111/g;
    is($after, $before, 'it was not tried');
    $u->done;
};

subtest 'configuration errors' => sub {
    my $u = Test::Warden->new;
    $u->expect_log(qr/\[emerg\]/);
    for my $case (
        [ "upstream g { server 127.0.0.1:1; }\n"
          . "server { listen 127.0.0.1:%%PORT0%%;\n"
          . "location / { proxy_pass http://g; health_check; } }",
          qr/upstream "g" must reside in shared memory/ ],
        [ "upstream g { zone g 64k; server 127.0.0.1:1; }\n"
          . "server { listen 127.0.0.1:%%PORT0%%;\n"
          . "location / { proxy_pass http://g; health_check match=nope; } }",
          qr/match "nope" not found/ ],
        [ "match m { status 99; }\n",
          qr/invalid status "99"/ ],
        [ "match m { body = x; }\n",
          qr/invalid "body" test/ ],
        [ "match m { status 200; }\nmatch m { status 200; }\n",
          qr/duplicate match "m"/ ],
        [ "upstream g { zone g 64k; server 127.0.0.1:1; }\n"
          . "server { listen 127.0.0.1:%%PORT0%%;\n"
          . "location / { proxy_pass http://g; health_check interval=0; } }",
          qr/invalid parameter "interval=0"/ ],
        [ "upstream g { zone g 1k; server 127.0.0.1:1; }\n",
          qr/zone "g" is too small/ ],
        [ "upstream " . ('n' x 150) . " { zone g 64k; server 127.0.0.1:1; }\n",
          qr/has too long a name for zone "g"/ ],
    ) {
        $u->write_config(http_config($u, $case->[0]));
        my $res = $u->run('-t');
        isnt($res->{status}, 0, "-t fails for: $case->[0]");
        like($res->{stderr}, $case->[1], 'with the message');
    }
    $u->done;
};

$t->done;
done_testing;
