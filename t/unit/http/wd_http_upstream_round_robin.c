/*
 * Unit tests of the round-robin balancer (src/http/
 * wd_http_upstream_round_robin.c): the smooth weighted order, a request's
 * retries never picking a tried peer, "down", "max_conns", max_fails
 * within fail_timeout, backups only when the primaries are out, and the
 * zone lock taken over from a holder that died.
 */

#include "../wd_unit.h"
#include <wd_http.h>
#include <sys/wait.h>

#define NPEERS 3

static wd_http_upstream_rr_peer_t peer[NPEERS + 1];
static wd_http_upstream_rr_peers_t peers, backups;
static wd_str_t group = wd_string("g");
static struct sockaddr_in sin_[NPEERS + 1];

/* Peers a, b, c with weights w[] (and one backup d if backup). */
static void
make_peers(const int *w, wd_uint_t backup)
{
    int i;
    static const char *names[] = { "a", "b", "c", "d" };

    memset(peer, 0, sizeof(peer));
    memset(&peers, 0, sizeof(peers));
    memset(&backups, 0, sizeof(backups));

    for (i = 0; i < NPEERS + 1; i++) {
        sin_[i].sin_family = AF_INET;
        sin_[i].sin_port = htons((uint16_t) (8000 + i));
        peer[i].sockaddr = (struct sockaddr *) &sin_[i];
        peer[i].socklen = sizeof(struct sockaddr_in);
        peer[i].name.data = (u_char *) names[i];
        peer[i].name.len = 1;
        peer[i].weight = (i < NPEERS) ? w[i] : 1;
        peer[i].max_fails = 1;
        peer[i].fail_timeout = 10;
        peer[i].st = &peer[i].local;
        peer[i].st->effective_weight = peer[i].weight;
        peer[i].next = (i + 1 < NPEERS) ? &peer[i + 1] : NULL;
    }

    peer[NPEERS].next = NULL;

    peers.number = NPEERS;
    peers.tries = NPEERS;
    peers.name = &group;
    peers.peer = &peer[0];
    peers.weighted = 1;

    if (backup) {
        backups.number = 1;
        backups.tries = 1;
        backups.name = &group;
        backups.peer = &peer[NPEERS];
        peers.next = &backups;
    }
}

/* One request's first pick: the peer's name, or '-' for none. */
static char
pick(wd_http_upstream_rr_peer_data_t *rrp, wd_peer_connection_t *pc)
{
    static uintptr_t tried;

    memset(rrp, 0, sizeof(*rrp));
    memset(pc, 0, sizeof(*pc));
    tried = 0;
    rrp->peers = &peers;
    rrp->tried = &tried;
    pc->log = wd_unit_quiet_log();
    pc->tries = NPEERS + 1;

    if (wd_http_upstream_get_round_robin_peer(pc, rrp) != WD_OK) {
        return '-';
    }

    return (char) pc->name->data[0];
}

static char
pick_and_free(wd_uint_t state)
{
    char c;
    wd_peer_connection_t pc;
    wd_http_upstream_rr_peer_data_t rrp;

    c = pick(&rrp, &pc);

    if (c != '-') {
        wd_http_upstream_free_round_robin_peer(&pc, &rrp, state);
    }

    return c;
}

START_TEST(smooth_weighted_order)
{
    int w[] = { 5, 1, 1 };
    char got[15];
    int i;

    make_peers(w, 0);

    for (i = 0; i < 14; i++) {
        got[i] = pick_and_free(0);
    }

    got[14] = '\0';

    /* spread, not five a's in a row */
    ck_assert_str_eq(got, "aabacaaaabacaa");
}
END_TEST

START_TEST(retries_skip_tried_peers)
{
    int w[] = { 1, 1, 1 };
    char seen[NPEERS];
    int i;
    wd_peer_connection_t pc;
    wd_http_upstream_rr_peer_data_t rrp;

    make_peers(w, 0);

    seen[0] = pick(&rrp, &pc);

    for (i = 1; i < NPEERS; i++) {
        wd_http_upstream_free_round_robin_peer(&pc, &rrp, WD_PEER_NEXT);
        ck_assert_int_eq(wd_http_upstream_get_round_robin_peer(&pc, &rrp),
                         WD_OK);
        seen[i] = (char) pc.name->data[0];
        ck_assert(seen[i] != seen[0]);
        ck_assert(i < 2 || seen[i] != seen[1]);
    }

    wd_http_upstream_free_round_robin_peer(&pc, &rrp, WD_PEER_NEXT);

    /* all three tried: none is left */
    ck_assert_int_eq(wd_http_upstream_get_round_robin_peer(&pc, &rrp),
                     WD_BUSY);
}
END_TEST

START_TEST(down_and_max_conns)
{
    int w[] = { 1, 1, 1 };
    int i;
    wd_peer_connection_t pc;
    wd_http_upstream_rr_peer_data_t rrp;

    make_peers(w, 0);
    peer[0].down = 1;
    peer[1].max_conns = 1;
    peer[1].st->conns = 1;

    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(pick_and_free(0), 'c');
    }

    peer[2].down = 1;
    ck_assert_int_eq(pick(&rrp, &pc), '-');
}
END_TEST

START_TEST(max_fails_take_a_peer_out)
{
    int w[] = { 1, 1, 1 };
    int i;

    make_peers(w, 0);
    wd_time_update();

    /* fail every pick of b once */
    for (i = 0; i < 3; i++) {
        char c = pick_and_free(0);

        if (c == 'b') {
            break;
        }
    }

    /* a request to b fails: it is out for fail_timeout */
    for (i = 0; i < 3; i++) {
        wd_peer_connection_t pc;
        wd_http_upstream_rr_peer_data_t rrp;
        char c = pick(&rrp, &pc);

        wd_http_upstream_free_round_robin_peer(&pc, &rrp,
                                               c == 'b' ? WD_PEER_FAILED : 0);
    }

    ck_assert_uint_eq(peer[1].st->fails, 1);

    for (i = 0; i < 10; i++) {
        ck_assert_int_ne(pick_and_free(0), 'b');
    }

    /* once fail_timeout has passed it gets a request again */
    peer[1].st->checked -= 11;
    peer[1].st->accessed -= 11;

    for (i = 0; i < 4; i++) {
        if (pick_and_free(0) == 'b') {
            break;
        }
    }

    ck_assert_int_lt(i, 4);
    ck_assert_uint_eq(peer[1].st->fails, 0);
}
END_TEST

START_TEST(backup_only_when_primaries_are_out)
{
    int w[] = { 1, 1, 1 };
    int i;

    make_peers(w, 1);

    for (i = 0; i < 9; i++) {
        ck_assert_int_ne(pick_and_free(0), 'd');
    }

    peer[0].down = 1;
    peer[1].down = 1;
    peer[2].down = 1;

    ck_assert_int_eq(pick_and_free(0), 'd');
}
END_TEST

START_TEST(lock_of_a_dead_holder_is_taken_over)
{
    pid_t pid;
    int status;
    wd_atomic_t lock;

    pid = fork();
    ck_assert_int_ge(pid, 0);

    if (pid == 0) {
        _exit(0);
    }

    ck_assert_int_eq(waitpid(pid, &status, 0), pid);

    /* the child "died holding the lock" */
    lock = (wd_uint_t) pid;
    peers.lock = &lock;

    wd_http_upstream_rr_peers_lock(&peers);
    ck_assert_uint_eq(lock, (wd_uint_t) getpid());

    wd_http_upstream_rr_peers_unlock(&peers);
    ck_assert_uint_eq(lock, 0);

    peers.lock = NULL;
}
END_TEST

static Suite *
rr_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_http_upstream_round_robin");
    tc = tcase_create("core");
    tcase_add_test(tc, smooth_weighted_order);
    tcase_add_test(tc, retries_skip_tried_peers);
    tcase_add_test(tc, down_and_max_conns);
    tcase_add_test(tc, max_fails_take_a_peer_out);
    tcase_add_test(tc, backup_only_when_primaries_are_out);
    tcase_add_test(tc, lock_of_a_dead_holder_is_taken_over);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(rr_suite)
