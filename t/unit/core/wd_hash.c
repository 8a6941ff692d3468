/*
 * Unit tests of src/core/wd_hash.c: exact keys, the three wildcard forms
 * server names use, which match wins, malformed wildcards, collisions,
 * a few thousand keys, and duplicates found among many more.
 */

#include "../wd_unit.h"

static wd_pool_t *pool;
static wd_hash_keys_arrays_t ha;
static wd_hash_combined_t hc;

/* Distinct values to store: their addresses. */
static int v[16];

static void
setup(void)
{
    pool = wd_create_pool(WD_DEFAULT_POOL_SIZE, wd_unit_quiet_log());
    ck_assert_ptr_nonnull(pool);
    ck_assert_int_eq(wd_hash_keys_array_init(&ha, pool), WD_OK);
    memset(&hc, 0, sizeof(hc));
}

static void
teardown(void)
{
    wd_destroy_pool(pool);
    pool = NULL;
}

static wd_int_t
add(const char *key, void *value, wd_uint_t flags)
{
    wd_str_t s;

    /* the key is copied: a stack buffer that dies right away must do */
    char buf[256];

    ck_assert_uint_lt(strlen(key), sizeof(buf));
    strcpy(buf, key);
    s.data = (u_char *) buf;
    s.len = strlen(key);

    return wd_hash_add_key(&ha, &s, value, flags);
}

#define add_ok(key, value, flags)                                              \
    ck_assert_int_eq(add(key, value, flags), WD_OK)
#define add_wc(key, value) add_ok(key, value, WD_HASH_WILDCARD_KEY)

static void
build(void)
{
    ck_assert_int_eq(wd_hash_combined_init(&hc, &ha, pool), WD_OK);
}

/* Looks a name up the way the server-name code does: lowercased and
 * hashed by the caller. */
static void *
find(const char *name)
{
    u_char lc[256];
    size_t len;
    wd_uint_t key;

    len = strlen(name);
    ck_assert_uint_lt(len, sizeof(lc));
    key = wd_hash_strlow(lc, (u_char *) name, len);

    return wd_hash_find_combined(&hc, key, lc, len);
}

START_TEST(test_hash_functions)
{
    u_char lc[16];

    ck_assert_uint_eq(wd_hash_key((u_char *) "", 0), 0);
    ck_assert_uint_eq(wd_hash_key((u_char *) "a", 1), 'a');
    ck_assert_uint_eq(wd_hash_key((u_char *) "ab", 2), 'a' * 31 + 'b');
    ck_assert_uint_eq(wd_hash_key_lc((u_char *) "AbC", 3),
                      wd_hash_key((u_char *) "abc", 3));
    ck_assert_uint_eq(wd_hash_strlow(lc, (u_char *) "WwW.Ex-1", 8),
                      wd_hash_key((u_char *) "www.ex-1", 8));
    ck_assert_mem_eq(lc, "www.ex-1", 8);
    /* only ASCII letters are folded */
    ck_assert_uint_eq(wd_hash_key_lc((u_char *) "\xc9[", 2),
                      wd_hash_key((u_char *) "\xc9[", 2));
}
END_TEST

START_TEST(test_exact_keys)
{
    add_ok("Example.COM", &v[0], 0);
    add_ok("www.example.com", &v[1], 0);
    add_ok("localhost", &v[2], 0);
    build();

    ck_assert_ptr_eq(find("example.com"), &v[0]);
    ck_assert_ptr_eq(find("EXAMPLE.com"), &v[0]);
    ck_assert_ptr_eq(find("www.example.com"), &v[1]);
    ck_assert_ptr_eq(find("localhost"), &v[2]);
    ck_assert_ptr_null(find("example.co"));
    ck_assert_ptr_null(find("example.comm"));
    ck_assert_ptr_null(find("a.example.com"));
    ck_assert_ptr_null(find(""));
    ck_assert_uint_eq(hc.hash.nelts, 3);
}
END_TEST

START_TEST(test_exact_duplicates)
{
    add_ok("example.com", &v[0], 0);
    ck_assert_int_eq(add("example.com", &v[1], 0), WD_BUSY);
    ck_assert_int_eq(add("EXAMPLE.COM", &v[1], 0), WD_BUSY);
    ck_assert_int_eq(add("example.com", &v[1], WD_HASH_WILDCARD_KEY),
                     WD_BUSY);
    ck_assert_int_eq(add("", &v[1], 0), WD_DECLINED);
    build();

    ck_assert_ptr_eq(find("example.com"), &v[0]);
    ck_assert_uint_eq(ha.keys.nelts, 1);
}
END_TEST

START_TEST(test_init_duplicates_first_wins)
{
    wd_hash_t h;
    wd_hash_key_t keys[3];

    keys[0].key.data = (u_char *) "k";
    keys[0].key.len = 1;
    keys[0].key_hash = wd_hash_key(keys[0].key.data, 1);
    keys[0].value = &v[0];
    keys[1] = keys[0];
    keys[1].value = &v[1];
    keys[2].key.data = (u_char *) "j";
    keys[2].key.len = 1;
    keys[2].key_hash = wd_hash_key(keys[2].key.data, 1);
    keys[2].value = &v[2];

    ck_assert_int_eq(wd_hash_init(&h, pool, keys, 3), WD_OK);
    ck_assert_uint_eq(h.nelts, 2);
    ck_assert_ptr_eq(wd_hash_find(&h, keys[0].key_hash, (u_char *) "k", 1),
                     &v[0]);
    ck_assert_ptr_eq(wd_hash_find(&h, keys[2].key_hash, (u_char *) "j", 1),
                     &v[2]);
}
END_TEST

START_TEST(test_empty_tables)
{
    wd_hash_t h;

    /* never built: lookups find nothing and do not crash */
    memset(&h, 0, sizeof(h));
    ck_assert_ptr_null(wd_hash_find(&h, 0, (u_char *) "x", 1));
    ck_assert_ptr_null(find("x"));

    build();
    ck_assert_ptr_null(find("x"));
    ck_assert_ptr_null(find("a.b.c"));
    ck_assert_ptr_null(wd_hash_find_wc_head(&hc.head, (u_char *) "a.b", 3));
    ck_assert_ptr_null(wd_hash_find_wc_tail(&hc.tail, (u_char *) "a.b", 3));
}
END_TEST

START_TEST(test_head_star)
{
    add_wc("*.example.com", &v[0]);
    build();

    ck_assert_ptr_eq(find("a.example.com"), &v[0]);
    ck_assert_ptr_eq(find("a.b.example.com"), &v[0]);
    ck_assert_ptr_eq(find("WWW.Example.Com"), &v[0]);
    ck_assert_ptr_null(find("example.com"));
    ck_assert_ptr_null(find("xexample.com"));
    ck_assert_ptr_null(find(".example.co"));
    ck_assert_ptr_null(find("example.com.evil"));
    ck_assert_ptr_null(find("com"));
}
END_TEST

START_TEST(test_head_dot)
{
    add_wc(".example.org", &v[0]);
    build();

    ck_assert_ptr_eq(find("example.org"), &v[0]);
    ck_assert_ptr_eq(find("a.example.org"), &v[0]);
    ck_assert_ptr_eq(find("a.b.example.org"), &v[0]);
    ck_assert_ptr_null(find("xexample.org"));
    ck_assert_ptr_null(find("org"));
    ck_assert_ptr_null(find("example.org.uk"));
}
END_TEST

START_TEST(test_tail_star)
{
    add_wc("www.example.*", &v[0]);
    build();

    ck_assert_ptr_eq(find("www.example.com"), &v[0]);
    ck_assert_ptr_eq(find("www.example.co.uk"), &v[0]);
    ck_assert_ptr_eq(find("WWW.EXAMPLE.ORG"), &v[0]);
    ck_assert_ptr_null(find("www.example"));
    ck_assert_ptr_null(find("www.examplex.com"));
    ck_assert_ptr_null(find("ww.example.com"));
    ck_assert_ptr_null(find("a.www.example.com"));
}
END_TEST

START_TEST(test_longest_match_wins)
{
    add_wc("*.example.com", &v[0]);
    add_wc("*.b.example.com", &v[1]);
    add_wc(".c.b.example.com", &v[2]);
    add_wc("www.*", &v[3]);
    add_wc("www.example.*", &v[4]);
    add_wc("www.example.co.*", &v[5]);
    build();

    ck_assert_ptr_eq(find("a.example.com"), &v[0]);
    ck_assert_ptr_eq(find("a.b.example.com"), &v[1]);
    ck_assert_ptr_eq(find("x.a.b.example.com"), &v[1]);
    ck_assert_ptr_eq(find("b.example.com"), &v[0]);
    ck_assert_ptr_eq(find("c.b.example.com"), &v[2]);
    ck_assert_ptr_eq(find("x.c.b.example.com"), &v[2]);

    ck_assert_ptr_eq(find("www.other.net"), &v[3]);
    ck_assert_ptr_eq(find("www.example.net"), &v[4]);
    ck_assert_ptr_eq(find("www.example.co.uk"), &v[5]);
    /* "*.example.com" is a head wildcard: it wins over every tail one */
    ck_assert_ptr_eq(find("www.example.com"), &v[0]);
}
END_TEST

START_TEST(test_exact_beats_wildcards)
{
    add_wc("*.example.com", &v[0]);
    add_wc("www.example.*", &v[1]);
    add_ok("www.example.com", &v[2], WD_HASH_WILDCARD_KEY);
    add_ok("example.net", &v[3], 0);
    add_wc(".example.net", &v[4]);
    build();

    ck_assert_ptr_eq(find("www.example.com"), &v[2]);
    ck_assert_ptr_eq(find("a.example.com"), &v[0]);
    ck_assert_ptr_eq(find("example.net"), &v[3]);
    ck_assert_ptr_eq(find("a.example.net"), &v[4]);
}
END_TEST

START_TEST(test_head_beats_tail)
{
    add_wc("www.example.*", &v[0]);
    add_wc("*.example.com", &v[1]);
    build();

    ck_assert_ptr_eq(find("www.example.com"), &v[1]);
    ck_assert_ptr_eq(find("www.example.org"), &v[0]);
}
END_TEST

START_TEST(test_malformed_wildcards)
{
    static const char *bad[] = {
        "*", "w*w.com", "*.", "a.*.b", "**.com", "*.*", "*example.com",
        "example*", ".", "www.*.com", "a.*b", "*.a.*", ".a*", "*a", ".*",
        "a.b*", "*.a*.com",
    };
    size_t i;

    for (i = 0; i < wd_nelems(bad); i++) {
        ck_assert_msg(add(bad[i], &v[0], WD_HASH_WILDCARD_KEY) == WD_DECLINED,
                      "\"%s\" should be malformed", bad[i]);
    }

    ck_assert_uint_eq(ha.keys.nelts, 0);
    ck_assert_uint_eq(ha.head.nelts, 0);
    ck_assert_uint_eq(ha.tail.nelts, 0);

    /* without the wildcard flag a '*' is just a byte of an exact key */
    add_ok("*.example.com", &v[1], 0);
    build();
    ck_assert_ptr_eq(find("*.example.com"), &v[1]);
    ck_assert_ptr_null(find("a.example.com"));
}
END_TEST

START_TEST(test_wildcard_duplicates)
{
    add_wc("*.example.com", &v[0]);
    ck_assert_int_eq(add("*.example.com", &v[1], WD_HASH_WILDCARD_KEY),
                     WD_BUSY);
    ck_assert_int_eq(add("*.EXAMPLE.com", &v[1], WD_HASH_WILDCARD_KEY),
                     WD_BUSY);
    ck_assert_int_eq(add(".example.com", &v[1], WD_HASH_WILDCARD_KEY),
                     WD_BUSY);

    add_wc(".example.org", &v[2]);
    ck_assert_int_eq(add("*.example.org", &v[1], WD_HASH_WILDCARD_KEY),
                     WD_BUSY);

    add_wc("www.example.*", &v[3]);
    ck_assert_int_eq(add("WWW.example.*", &v[1], WD_HASH_WILDCARD_KEY),
                     WD_BUSY);
    build();

    ck_assert_ptr_eq(find("a.example.com"), &v[0]);
    ck_assert_ptr_null(find("example.com"));
    ck_assert_ptr_eq(find("a.example.org"), &v[2]);
    ck_assert_ptr_eq(find("example.org"), &v[2]);
    ck_assert_ptr_eq(find("www.example.net"), &v[3]);
}
END_TEST

START_TEST(test_collisions)
{
    char key[32];
    wd_uint_t i, j, n, h0;
    void *value;

    /* "az" and "b[" hash alike (97 * 31 + 122 == 98 * 31 + 91), so every
     * string of k such blocks has the same hash: 2^k colliding keys */
    ck_assert_uint_eq(wd_hash_key((u_char *) "az", 2),
                      wd_hash_key((u_char *) "b[", 2));

    n = 1 << 10;
    h0 = 0;

    for (i = 0; i < n; i++) {
        for (j = 0; j < 10; j++) {
            memcpy(key + 2 * j, (i & (1u << j)) ? "az" : "b[", 2);
        }
        key[20] = '\0';

        if (i == 0) {
            h0 = wd_hash_key((u_char *) key, 20);
        }

        ck_assert_uint_eq(wd_hash_key((u_char *) key, 20), h0);
        add_ok(key, (void *) (uintptr_t) (i + 1), 0);
    }

    build();
    ck_assert_uint_eq(hc.hash.nelts, n);

    for (i = 0; i < n; i++) {
        for (j = 0; j < 10; j++) {
            memcpy(key + 2 * j, (i & (1u << j)) ? "az" : "b[", 2);
        }
        key[20] = '\0';

        value = find(key);
        ck_assert_ptr_eq(value, (void *) (uintptr_t) (i + 1));
    }

    /* same hash, not a key */
    key[18] = 'c';
    ck_assert_ptr_null(find(key));
}
END_TEST

START_TEST(test_thousands_of_keys)
{
    char name[64];
    uintptr_t i;
    void *value;

    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "Host%lu.example.com", (unsigned long) i);
        add_ok(name, (void *) (i + 1), WD_HASH_WILDCARD_KEY);
    }

    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "*.zone%lu.net", (unsigned long) i);
        add_wc(name, (void *) (i + 10001));
        snprintf(name, sizeof(name), ".dot%lu.org", (unsigned long) i);
        add_wc(name, (void *) (i + 20001));
        snprintf(name, sizeof(name), "www.site%lu.*", (unsigned long) i);
        add_wc(name, (void *) (i + 30001));
    }

    build();
    ck_assert_uint_eq(hc.hash.nelts, 5000);
    ck_assert_uint_eq(hc.head.nelts, 2000);
    ck_assert_uint_eq(hc.tail.nelts, 1000);

    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "host%lu.EXAMPLE.com", (unsigned long) i);
        ck_assert_ptr_eq(find(name), (void *) (i + 1));
    }

    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "a.b.zone%lu.net", (unsigned long) i);
        ck_assert_ptr_eq(find(name), (void *) (i + 10001));
        snprintf(name, sizeof(name), "zone%lu.net", (unsigned long) i);
        ck_assert_ptr_null(find(name));
        snprintf(name, sizeof(name), "dot%lu.org", (unsigned long) i);
        ck_assert_ptr_eq(find(name), (void *) (i + 20001));
        snprintf(name, sizeof(name), "www.site%lu.co.uk", (unsigned long) i);
        ck_assert_ptr_eq(find(name), (void *) (i + 30001));
    }

    for (i = 5000; i < 6000; i++) {
        snprintf(name, sizeof(name), "host%lu.example.com", (unsigned long) i);
        value = find(name);
        ck_assert_ptr_null(value);
    }

    ck_assert_ptr_null(find("zone1000.net.x"));
    ck_assert_ptr_null(find("www.site1000.com"));
}
END_TEST

/* Each key added is checked against those already there through an index:
 * with a scan instead, adding these would take well over Check's timeout. */
START_TEST(test_duplicates_among_many_keys)
{
    char name[64];
    uintptr_t i;

    for (i = 0; i < 150000; i++) {
        snprintf(name, sizeof(name), "key%lu", (unsigned long) i);
        add_ok(name, (void *) (i + 1), 0);
    }

    for (i = 0; i < 20000; i++) {
        snprintf(name, sizeof(name), "*.head%lu.com", (unsigned long) i);
        add_wc(name, (void *) (i + 1));
        snprintf(name, sizeof(name), "tail%lu.*", (unsigned long) i);
        add_wc(name, (void *) (i + 1));
    }

    for (i = 0; i < 150000; i += 997) {
        snprintf(name, sizeof(name), "KEY%lu", (unsigned long) i);
        ck_assert_int_eq(add(name, &v[0], 0), WD_BUSY);
    }

    for (i = 0; i < 20000; i += 101) {
        snprintf(name, sizeof(name), ".HEAD%lu.com", (unsigned long) i);
        ck_assert_int_eq(add(name, &v[0], WD_HASH_WILDCARD_KEY), WD_BUSY);
        snprintf(name, sizeof(name), "Tail%lu.*", (unsigned long) i);
        ck_assert_int_eq(add(name, &v[0], WD_HASH_WILDCARD_KEY), WD_BUSY);
    }

    ck_assert_uint_eq(ha.keys.nelts, 150000);
    ck_assert_uint_eq(ha.head.nelts, 20000);
    ck_assert_uint_eq(ha.tail.nelts, 20000);

    build();
    ck_assert_ptr_eq(find("key149999"), (void *) 150000);
    ck_assert_ptr_eq(find("a.head19999.com"), (void *) 20000);
    ck_assert_ptr_eq(find("tail7.example.org"), (void *) 8);
}
END_TEST

static Suite *
hash_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_hash");

    tc = tcase_create("exact");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hash_functions);
    tcase_add_test(tc, test_exact_keys);
    tcase_add_test(tc, test_exact_duplicates);
    tcase_add_test(tc, test_init_duplicates_first_wins);
    tcase_add_test(tc, test_empty_tables);
    tcase_add_test(tc, test_collisions);
    suite_add_tcase(s, tc);

    tc = tcase_create("wildcards");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_head_star);
    tcase_add_test(tc, test_head_dot);
    tcase_add_test(tc, test_tail_star);
    tcase_add_test(tc, test_longest_match_wins);
    tcase_add_test(tc, test_exact_beats_wildcards);
    tcase_add_test(tc, test_head_beats_tail);
    tcase_add_test(tc, test_malformed_wildcards);
    tcase_add_test(tc, test_wildcard_duplicates);
    tcase_add_test(tc, test_thousands_of_keys);
    tcase_add_test(tc, test_duplicates_among_many_keys);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(hash_suite)
