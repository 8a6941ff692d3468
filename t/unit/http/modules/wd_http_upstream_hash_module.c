/*
 * Unit tests of the "hash" balancer's arithmetic (src/http/modules/
 * wd_http_upstream_hash_module.c, wd_http_upstream_hash.h): the
 * Cache::Memcached step of the plain method, where a server's ketama
 * points start, the points themselves, the ring, and the search on it.
 *
 * The point values were computed with Python's zlib.crc32; the key to
 * server maps were recorded from nginx 1.22 ("hash $arg_k" and "hash
 * $arg_k consistent" over the four servers below, the server each key
 * went to read from $upstream_addr).
 */

#include <check.h>

#include <wd_core.h>
#include <wd_http.h>
#include <wd_crc32.h>

#if !(WD_HAVE_HTTP_UPSTREAM_HASH)

int
main(void)
{
    printf("built --without-http_upstream_hash: nothing to test\n");
    return EXIT_SUCCESS;
}

#else

#include <wd_http_upstream_hash.h>

/* The group nginx was asked: names as written on the "server" lines. */
static const struct {
    const char *name;
    wd_int_t weight;
} servers[] = {
    { "127.0.0.1:1", 1 },
    { "127.0.0.1:2", 2 },
    { "127.0.0.2:3", 1 },
    { "unix:/tmp/wd-nonexistent.sock", 1 },
};

#define NSERVERS (sizeof(servers) / sizeof(servers[0]))

/* The server (index into servers[]) of keys "key0" .. "key39". */
static const char *nginx_plain = "1122111123133001232133131120310210103121";
static const char *nginx_ketama = "0321011001332021313031001013111020113122";

static wd_pool_t *pool;
static wd_http_upstream_rr_peer_t peer[NSERVERS];
static wd_http_upstream_rr_peers_t peers;

static void
setup(void)
{
    wd_uint_t i;

    pool = wd_create_pool(4096, NULL);
    ck_assert_ptr_nonnull(pool);

    wd_memzero(peer, sizeof(peer));
    wd_memzero(&peers, sizeof(peers));

    for (i = 0; i < NSERVERS; i++) {
        peer[i].server.data = (u_char *) servers[i].name;
        peer[i].server.len = strlen(servers[i].name);
        peer[i].weight = servers[i].weight;
        peer[i].next = (i + 1 < NSERVERS) ? &peer[i + 1] : NULL;
        peers.total_weight += (wd_uint_t) servers[i].weight;
    }

    peers.number = NSERVERS;
    peers.peer = &peer[0];
}

static void
teardown(void)
{
    wd_destroy_pool(pool);
}

static wd_str_t
key_n(char *buf, size_t size, int n)
{
    wd_str_t key;

    key.len = (size_t) snprintf(buf, size, "key%d", n);
    key.data = (u_char *) buf;

    return key;
}

/* Which of peer[] a point's server is. */
static wd_uint_t
server_index(wd_str_t *server)
{
    wd_uint_t i;

    for (i = 0; i < NSERVERS; i++) {
        if (server == &peer[i].server) {
            return i;
        }
    }

    ck_abort_msg("a point names no peer's server");
    return 0;
}

START_TEST(test_step)
{
    wd_str_t key;

    /* ((crc32([REHASH] KEY) >> 16) & 0x7fff) */
    wd_str_set(&key, "key0");
    ck_assert_uint_eq(wd_http_upstream_hash_step(0, &key), 23387);
    ck_assert_uint_eq(wd_http_upstream_hash_step(1, &key), 8316);

    wd_str_set(&key, "/x?y=1");
    ck_assert_uint_eq(wd_http_upstream_hash_step(12, &key), 25791);

    key.len = 0;
    ck_assert_uint_eq(wd_http_upstream_hash_step(0, &key), 0);
}
END_TEST

/* The first step modulo the total weight, each server counted weight
 * times: the server nginx chose when every server is up. */
START_TEST(test_plain_as_nginx)
{
    char buf[16];
    int n;
    wd_str_t key;
    wd_uint_t w, i;

    for (n = 0; n < 40; n++) {
        key = key_n(buf, sizeof(buf), n);
        w = wd_http_upstream_hash_step(0, &key) % peers.total_weight;

        for (i = 0; w >= (wd_uint_t) servers[i].weight; i++) {
            w -= (wd_uint_t) servers[i].weight;
        }

        ck_assert_msg(i == (wd_uint_t) (nginx_plain[n] - '0'),
                      "key%d: server %lu, nginx chose %c", n,
                      (unsigned long) i, nginx_plain[n]);
    }
}
END_TEST

typedef struct {
    const char *server;
    uint32_t points[3];         /* the first ones, 0: not checked */
} start_case_t;

static const start_case_t starts[] = {
    /* crc32(HOST "\0" PORT PREV) */
    { "127.0.0.1:1", { 0x4a5bed4f, 0xe750cac6, 0x0190658c } },
    /* unix: the path, no port */
    { "unix:/tmp/x", { 0x5eb9dea5, 0x1acf46aa, 0 } },
    { "UNIX:/tmp/x", { 0x5eb9dea5, 0x1acf46aa, 0 } },
    /* the port is the digits after the last colon */
    { "[::1]:80", { 0x3d4936c4, 0x9d536eea, 0 } },
    /* no port */
    { "example.com", { 0xaaf24d4e, 0xb9f2b51a, 0 } },
    { "a:b", { 0x304c2b01, 0, 0 } },
};

START_TEST(test_points)
{
    const start_case_t *c = &starts[_i];
    u_char prev[4];
    uint32_t base, hash;
    wd_str_t server;
    wd_uint_t j;

    server.data = (u_char *) c->server;
    server.len = strlen(c->server);

    base = wd_http_upstream_chash_server(&server);
    wd_memzero(prev, sizeof(prev));

    for (j = 0; j < 3 && c->points[j]; j++) {
        hash = wd_crc32_final(wd_crc32_update(base, prev, 4));
        ck_assert_msg(hash == c->points[j], "%s: point %lu is %08x, not %08x",
                      c->server, (unsigned long) j, hash, c->points[j]);

        prev[0] = (u_char) hash;
        prev[1] = (u_char) (hash >> 8);
        prev[2] = (u_char) (hash >> 16);
        prev[3] = (u_char) (hash >> 24);
    }
}
END_TEST

START_TEST(test_ring)
{
    wd_uint_t i, n[NSERVERS];
    wd_http_upstream_chash_points_t *points;

    points = wd_http_upstream_chash_build(pool, &peers);
    ck_assert_ptr_nonnull(points);

    /* 160 per unit of weight, and no two alike among these */
    ck_assert_uint_eq(points->number, 5 * WD_HTTP_UPSTREAM_CHASH_POINTS);

    wd_memzero(n, sizeof(n));

    for (i = 0; i < points->number; i++) {
        if (i > 0) {
            ck_assert_uint_lt(points->point[i - 1].hash, points->point[i].hash);
        }

        n[server_index(points->point[i].server)]++;
    }

    ck_assert_uint_eq(n[0], 160);
    ck_assert_uint_eq(n[1], 320);
    ck_assert_uint_eq(n[2], 160);
    ck_assert_uint_eq(n[3], 160);

    /* the first point of 127.0.0.1:1 is on the ring */
    i = wd_http_upstream_chash_find(points, 0x4a5bed4f);
    ck_assert_uint_eq(points->point[i].hash, 0x4a5bed4f);
    ck_assert_ptr_eq(points->point[i].server, &peer[0].server);
}
END_TEST

START_TEST(test_find)
{
    wd_uint_t i;
    wd_http_upstream_chash_points_t *points;

    points = wd_http_upstream_chash_build(pool, &peers);
    ck_assert_ptr_nonnull(points);

    ck_assert_uint_eq(wd_http_upstream_chash_find(points, 0), 0);
    ck_assert_uint_eq(wd_http_upstream_chash_find(points, 0xffffffff),
                      points->point[points->number - 1].hash == 0xffffffff
                          ? points->number - 1 : points->number);

    for (i = 0; i < points->number; i++) {
        /* a point's own hash finds it, one more finds the next */
        ck_assert_uint_eq(wd_http_upstream_chash_find(points,
                                                      points->point[i].hash),
                          i);

        if (points->point[i].hash < 0xffffffff) {
            ck_assert_uint_eq(
                wd_http_upstream_chash_find(points,
                                            points->point[i].hash + 1),
                i + 1);
        }
    }
}
END_TEST

START_TEST(test_ketama_as_nginx)
{
    char buf[16];
    int n;
    wd_str_t key, *server;
    wd_uint_t i;
    wd_http_upstream_chash_points_t *points;

    points = wd_http_upstream_chash_build(pool, &peers);
    ck_assert_ptr_nonnull(points);

    for (n = 0; n < 40; n++) {
        key = key_n(buf, sizeof(buf), n);
        i = wd_http_upstream_chash_find(points, wd_crc32(key.data, key.len));
        server = points->point[i % points->number].server;

        ck_assert_msg(server == &peer[nginx_ketama[n] - '0'].server,
                      "key%d: \"%.*s\", nginx chose %s", n,
                      (int) server->len, server->data,
                      servers[nginx_ketama[n] - '0'].name);
    }
}
END_TEST

/* Removing a server moves only the keys that were its own. */
START_TEST(test_ketama_remove)
{
    char buf[16];
    int n, moved;
    wd_str_t key, *before, *after;
    wd_http_upstream_chash_points_t *all, *some;

    all = wd_http_upstream_chash_build(pool, &peers);
    ck_assert_ptr_nonnull(all);

    /* without 127.0.0.1:2 */
    peer[0].next = &peer[2];
    peers.total_weight -= 2;
    peers.number--;

    some = wd_http_upstream_chash_build(pool, &peers);
    ck_assert_ptr_nonnull(some);
    ck_assert_uint_eq(some->number, 3 * WD_HTTP_UPSTREAM_CHASH_POINTS);

    moved = 0;

    for (n = 0; n < 1000; n++) {
        key = key_n(buf, sizeof(buf), n);

        before = all->point[wd_http_upstream_chash_find(
                                all, wd_crc32(key.data, key.len))
                            % all->number].server;
        after = some->point[wd_http_upstream_chash_find(
                                some, wd_crc32(key.data, key.len))
                            % some->number].server;

        if (before == &peer[1].server) {
            ck_assert_ptr_ne(after, &peer[1].server);
            moved++;

        } else {
            ck_assert_ptr_eq(after, before);
        }
    }

    /* its share was about 2/5 */
    ck_assert_int_gt(moved, 300);
    ck_assert_int_lt(moved, 500);
}
END_TEST

static Suite *
hash_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_http_upstream_hash");

    tc = tcase_create("plain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_step);
    tcase_add_test(tc, test_plain_as_nginx);
    suite_add_tcase(s, tc);

    tc = tcase_create("ketama");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_points, 0, sizeof(starts) / sizeof(starts[0]));
    tcase_add_test(tc, test_ring);
    tcase_add_test(tc, test_find);
    tcase_add_test(tc, test_ketama_as_nginx);
    tcase_add_test(tc, test_ketama_remove);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    int failed;
    SRunner *sr;

    sr = srunner_create(hash_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* WD_HAVE_HTTP_UPSTREAM_HASH */
