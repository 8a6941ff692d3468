/*
 * Unit tests of the rewrite module's URI and query assembly (src/http/
 * modules/wd_http_rewrite_module.c, wd_http_rewrite.h): how a
 * replacement splits at '?', the query after an internal rewrite, and
 * the Location of a redirect, as nginx builds them.
 */

#include "../../wd_unit.h"
#include <wd_http_rewrite.h>

#if !(WD_HAVE_HTTP_REWRITE)

int
main(void)
{
    printf("built --without-http_rewrite: nothing to test\n");
    return EXIT_SUCCESS;
}

#else

static wd_pool_t *pool;

static void
setup(void)
{
    pool = wd_create_pool(WD_DEFAULT_POOL_SIZE, wd_unit_quiet_log());
    ck_assert_ptr_nonnull(pool);
}

static void
teardown(void)
{
    wd_destroy_pool(pool);
}

static wd_str_t
str(const char *s)
{
    wd_str_t v;

    v.data = (u_char *) s;
    v.len = strlen(s);

    return v;
}

#define ck_str_eq(v, s)                                                        \
    do {                                                                       \
        wd_str_t v_ = (v);                                                     \
        ck_assert_msg(v_.len == strlen(s)                                      \
                          && (v_.len == 0 || memcmp(v_.data, s, v_.len) == 0), \
                      "\"%.*s\" != \"%s\"", (int) v_.len, v_.data, s);         \
    } while (0)

static void
split(const char *repl, const char *uri, const char *args,
    wd_uint_t has_args, wd_uint_t add_args)
{
    wd_str_t r;
    wd_http_rewrite_split_t sp;

    r = str(repl);
    wd_http_rewrite_split(&r, &sp);

    ck_str_eq(sp.uri, uri);
    ck_str_eq(sp.args, args);
    ck_assert_uint_eq(sp.has_args, has_args);
    ck_assert_uint_eq(sp.add_args, add_args);
}

START_TEST(test_split)
{
    split("/a/$1", "/a/$1", "", 0, 1);
    split("/a?x=$1", "/a", "x=$1", 1, 1);
    split("/a?", "/a", "", 0, 0);
    split("/a?x=1?", "/a", "x=1", 1, 0);
    split("/a??", "/a", "", 1, 0);
    split("/a?x=1?y", "/a", "x=1?y", 1, 1);
    split("?", "", "", 0, 0);
    split("", "", "", 0, 1);
}
END_TEST

static void
args(const char *new_args, wd_uint_t has_args, wd_uint_t add_args,
    const char *old, const char *expect)
{
    wd_str_t a, o, out;

    a = str(new_args);
    o = str(old);

    ck_assert_int_eq(wd_http_rewrite_args(pool, &a, has_args, add_args, &o,
                                          &out), WD_OK);
    ck_str_eq(out, expect);
}

START_TEST(test_args)
{
    args("", 0, 1, "old=1", "old=1");
    args("", 0, 0, "old=1", "");
    args("n=v", 1, 1, "old=1", "n=v&old=1");
    args("n=v", 1, 1, "", "n=v");
    args("n=v", 1, 0, "old=1", "n=v");
    args("", 1, 1, "old=1", "&old=1");
}
END_TEST

static void
location(const char *uri, const char *new_args, wd_uint_t has_args,
    wd_uint_t add_args, const char *old, const char *expect)
{
    wd_str_t u, a, o, out;

    u = str(uri);
    a = str(new_args);
    o = str(old);

    ck_assert_int_eq(wd_http_rewrite_location(pool, &u, &a, has_args,
                                              add_args, &o, &out), WD_OK);
    ck_str_eq(out, expect);
}

START_TEST(test_location)
{
    location("http://h/p", "", 0, 1, "q=1", "http://h/p?q=1");
    location("http://h/p", "", 0, 1, "", "http://h/p");
    location("http://h/p", "", 0, 0, "q=1", "http://h/p");
    location("/to", "a=1", 1, 1, "b=2", "/to?a=1&b=2");
    location("/to", "a=1", 1, 0, "b=2", "/to?a=1");
    location("/to", "", 1, 0, "", "/to?");
    location("", "", 0, 1, "", "");
}
END_TEST

static Suite *
rewrite_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_http_rewrite");

    tc = tcase_create("assembly");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_split);
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_location);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(rewrite_suite)

#endif
