/*
 * Unit tests of the string keys of a map block (src/http/modules/
 * wd_http_map_module.c, wd_http_map.h): exact keys ignoring case, the key
 * "", what "hostnames" turns into masks, which key wins, and the keys
 * nginx refuses as conflicting or malformed.
 */

#include "../../wd_unit.h"
#include <wd_http_map.h>

#if !(WD_HAVE_HTTP_MAP)

int
main(void)
{
    printf("built --without-http_map: nothing to test\n");
    return EXIT_SUCCESS;
}

#else

static wd_pool_t *pool;
static wd_http_map_keys_t keys;
static wd_http_map_table_t table;

/* Distinct values to store: their addresses. */
static int v[8];

static void
setup(void)
{
    pool = wd_create_pool(WD_DEFAULT_POOL_SIZE, wd_unit_quiet_log());
    ck_assert_ptr_nonnull(pool);
    ck_assert_int_eq(wd_http_map_keys_init(&keys, pool), WD_OK);
    memset(&table, 0, sizeof(table));
}

static void
teardown(void)
{
    wd_destroy_pool(pool);
    pool = NULL;
}

static wd_int_t
add(const char *key, void *value, wd_uint_t hostnames)
{
    char buf[256];
    wd_str_t s;

    /* keys are copied: a buffer that is reused at once must do */
    ck_assert_uint_lt(strlen(key), sizeof(buf));
    strcpy(buf, key);
    s.data = (u_char *) buf;
    s.len = strlen(key);

    return wd_http_map_add_key(&keys, &s, value, hostnames);
}

#define add_ok(key, value) ck_assert_int_eq(add(key, value, 0), WD_OK)
#define add_host(key, value) ck_assert_int_eq(add(key, value, 1), WD_OK)

static void
build(void)
{
    ck_assert_int_eq(wd_http_map_table_init(&table, &keys, pool), WD_OK);
}

static void *
find(const char *name)
{
    u_char low[512];

    ck_assert_uint_le(strlen(name), sizeof(low));

    return wd_http_map_table_find(&table, (u_char *) name, strlen(name), low);
}

START_TEST(test_exact_ignoring_case)
{
    add_ok("Foo", &v[0]);
    add_ok("bar.example.com", &v[1]);
    build();

    ck_assert_ptr_eq(find("foo"), &v[0]);
    ck_assert_ptr_eq(find("FOO"), &v[0]);
    ck_assert_ptr_eq(find("Bar.Example.COM"), &v[1]);
    ck_assert_ptr_null(find("fo"));
    ck_assert_ptr_null(find("fooo"));
    ck_assert_ptr_null(find("example.com"));
}
END_TEST

START_TEST(test_empty_key)
{
    build();
    ck_assert_ptr_null(find(""));

    add_ok("", &v[0]);
    ck_assert_int_eq(add("", &v[1], 0), WD_BUSY);
    ck_assert_int_eq(add("", &v[1], 1), WD_BUSY);
    add_ok("a", &v[2]);
    build();

    ck_assert_ptr_eq(find(""), &v[0]);
    ck_assert_ptr_eq(find("a"), &v[2]);
}
END_TEST

START_TEST(test_no_masks_without_hostnames)
{
    add_ok("*.example.com", &v[0]);
    add_ok(".example.org", &v[1]);
    add_ok("mail.*", &v[2]);
    add_ok("a..b", &v[3]);
    add_ok("www.*.com", &v[4]);
    build();

    ck_assert_ptr_eq(find("*.example.com"), &v[0]);
    ck_assert_ptr_null(find("www.example.com"));
    ck_assert_ptr_eq(find(".example.org"), &v[1]);
    ck_assert_ptr_null(find("example.org"));
    ck_assert_ptr_null(find("www.example.org"));
    ck_assert_ptr_eq(find("mail.*"), &v[2]);
    ck_assert_ptr_null(find("mail.example.com"));
    ck_assert_ptr_eq(find("a..b"), &v[3]);
    ck_assert_ptr_eq(find("www.*.com"), &v[4]);
}
END_TEST

START_TEST(test_masks)
{
    add_host("example.com", &v[0]);
    add_host("*.example.com", &v[1]);
    add_host("*.sub.example.com", &v[2]);
    add_host(".Example.ORG", &v[3]);
    add_host("mail.*", &v[4]);
    add_host("mail.example.*", &v[5]);
    build();

    ck_assert_ptr_eq(find("example.com"), &v[0]);
    ck_assert_ptr_eq(find("www.example.com"), &v[1]);
    ck_assert_ptr_eq(find("sub.example.com"), &v[1]);
    ck_assert_ptr_eq(find("a.sub.example.com"), &v[2]);
    ck_assert_ptr_eq(find("A.B.SUB.EXAMPLE.COM"), &v[2]);
    ck_assert_ptr_null(find("xexample.com"));

    ck_assert_ptr_eq(find("example.org"), &v[3]);
    ck_assert_ptr_eq(find("www.example.org"), &v[3]);
    ck_assert_ptr_null(find("notexample.org"));

    ck_assert_ptr_eq(find("mail.other.net"), &v[4]);
    ck_assert_ptr_eq(find("mail.example.net"), &v[5]);
    /* a "*." mask goes before a ".*" one */
    ck_assert_ptr_eq(find("mail.example.com"), &v[1]);
    ck_assert_ptr_null(find("mail"));
    ck_assert_ptr_null(find("email.net"));
}
END_TEST

START_TEST(test_lone_dot)
{
    /* nginx takes it as a string, not as a mask */
    add_host(".", &v[0]);
    build();

    ck_assert_ptr_eq(find("."), &v[0]);
    ck_assert_ptr_null(find("example.com"));
}
END_TEST

START_TEST(test_conflicts)
{
    add_host("example.com", &v[0]);
    ck_assert_int_eq(add(".example.com", &v[1], 1), WD_BUSY);
    ck_assert_int_eq(add("EXAMPLE.COM", &v[1], 1), WD_BUSY);

    add_host(".example.org", &v[2]);
    ck_assert_int_eq(add("example.org", &v[1], 1), WD_BUSY);
    ck_assert_int_eq(add("*.example.org", &v[1], 1), WD_BUSY);
    ck_assert_int_eq(add(".Example.org", &v[1], 1), WD_BUSY);

    add_host("*.example.net", &v[3]);
    ck_assert_int_eq(add("*.EXAMPLE.net", &v[1], 1), WD_BUSY);
    ck_assert_int_eq(add(".example.net", &v[1], 1), WD_BUSY);

    add_host("mail.*", &v[4]);
    ck_assert_int_eq(add("MAIL.*", &v[1], 1), WD_BUSY);

    add_ok("key", &v[5]);
    ck_assert_int_eq(add("KEY", &v[1], 0), WD_BUSY);
    build();

    /* the first of each stays */
    ck_assert_ptr_eq(find("example.com"), &v[0]);
    ck_assert_ptr_eq(find("example.org"), &v[2]);
    ck_assert_ptr_eq(find("a.example.org"), &v[2]);
    ck_assert_ptr_eq(find("a.example.net"), &v[3]);
    ck_assert_ptr_eq(find("mail.x"), &v[4]);
    ck_assert_ptr_eq(find("key"), &v[5]);
}
END_TEST

START_TEST(test_malformed)
{
    static const char *bad[] = {
        "a..b", "..example.com", "www.*.com", "*", "**.com", "*.", "w*w.com",
        "*example.com", "example*", "*.a.*", "mail..*", "*.example..com",
    };
    size_t i;

    for (i = 0; i < wd_nelems(bad); i++) {
        ck_assert_msg(add(bad[i], &v[0], 1) == WD_DECLINED,
                      "\"%s\" should be malformed", bad[i]);
    }

    build();
    ck_assert_ptr_null(find("a.example.com"));
    ck_assert_ptr_null(find("a..b"));
}
END_TEST

START_TEST(test_many_keys)
{
    char key[32];
    int i;

    for (i = 0; i < 3000; i++) {
        snprintf(key, sizeof(key), "Key%d", i);
        ck_assert_int_eq(add(key, &v[i % 8], 0), WD_OK);
    }

    build();

    for (i = 0; i < 3000; i += 7) {
        snprintf(key, sizeof(key), "KEY%d", i);
        ck_assert_ptr_eq(find(key), &v[i % 8]);
    }

    ck_assert_ptr_null(find("key3000"));
}
END_TEST

static Suite *
map_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_http_map");

    tc = tcase_create("keys");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_exact_ignoring_case);
    tcase_add_test(tc, test_empty_key);
    tcase_add_test(tc, test_no_masks_without_hostnames);
    tcase_add_test(tc, test_many_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostnames");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_masks);
    tcase_add_test(tc, test_lone_dot);
    tcase_add_test(tc, test_conflicts);
    tcase_add_test(tc, test_malformed);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(map_suite)

#endif
