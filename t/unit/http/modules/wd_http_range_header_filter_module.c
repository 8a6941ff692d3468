/*
 * Unit tests of wd_http_range_parse() (src/http/modules/
 * wd_http_range_header_filter_module.c): the ranges-specifier after
 * "bytes=", clipped to a body, with nginx's answers for what is malformed,
 * too many, or more than the body.
 *
 * Each spec is copied into a buffer of exactly its length, so the
 * sanitizer build catches a read past its end.
 */

#include <check.h>

#include <wd_core.h>
#include <wd_http_range.h>

#define ANY WD_MAX_INT_T_VALUE
#define NS WD_HTTP_RANGE_NOT_SATISFIABLE

typedef struct {
    const char *spec;
    off_t length;
    wd_uint_t max;
    wd_int_t rc;
    const char *ranges;         /* WD_OK: "s-e,s-e" (inclusive ends) */
} range_case_t;

static const range_case_t cases[] = {
    /* one range */
    { "0-99", 1000, ANY, WD_OK, "0-99" },
    { "100-", 1000, ANY, WD_OK, "100-999" },
    { "-100", 1000, ANY, WD_OK, "900-999" },
    { "0-0", 1000, ANY, WD_OK, "0-0" },
    { "999-999", 1000, ANY, WD_OK, "999-999" },
    { "990-5000", 1000, ANY, WD_OK, "990-999" },
    { "-5000", 1000, ANY, WD_OK, "0-999" },
    { "-1000", 1000, ANY, WD_OK, "0-999" },
    { "0-9223372036854775807", 1000, ANY, WD_OK, "0-999" },
    { "-9223372036854775807", 1000, ANY, WD_OK, "0-999" },
    { "  7 -  8  ", 1000, ANY, WD_OK, "7-8" },
    { "0-", 1, ANY, WD_OK, "0-0" },
    { "0-", WD_MAX_OFF_T_VALUE, ANY, WD_OK, "0-9223372036854775806" },
    { "-1", WD_MAX_OFF_T_VALUE, ANY, WD_OK,
      "9223372036854775806-9223372036854775806" },

    /* several, in the order given; unsatisfiable ones dropped */
    { "0-9,20-29", 1000, ANY, WD_OK, "0-9,20-29" },
    { "500-599,0-9", 1000, ANY, WD_OK, "500-599,0-9" },
    { "0-9,5-14", 1000, ANY, WD_OK, "0-9,5-14" },
    { " 1 - 2 , 3 - 4 ", 1000, ANY, WD_OK, "1-2,3-4" },
    { "-1,0-0,500-", 1000, ANY, WD_OK, "999-999,0-0,500-999" },
    { "0-499,500-", 1000, ANY, WD_OK, "0-499,500-999" },
    { "0-1,2000-3000", 1000, ANY, WD_OK, "0-1" },
    { "2000-3000,0-1", 1000, ANY, WD_OK, "0-1" },
    { "0-0,-0", 1000, ANY, WD_OK, "0-0" },

    /* nothing satisfiable */
    { "1000-", 1000, ANY, NS, NULL },
    { "1000-2000", 1000, ANY, NS, NULL },
    { "1000-,2000-", 1000, ANY, NS, NULL },
    { "5-3", 1000, ANY, NS, NULL },
    { "-0", 1000, ANY, NS, NULL },
    { "9223372036854775807-", 1000, ANY, NS, NULL },
    { "5-", 0, ANY, NS, NULL },

    /* malformed: nginx answers 416, not the whole body */
    { "", 1000, ANY, NS, NULL },
    { " ", 1000, ANY, NS, NULL },
    { "abc", 1000, ANY, NS, NULL },
    { "-", 1000, ANY, NS, NULL },
    { "--1", 1000, ANY, NS, NULL },
    { "1", 1000, ANY, NS, NULL },
    { "1-2-3", 1000, ANY, NS, NULL },
    { "0-9,", 1000, ANY, NS, NULL },
    { ",0-9", 1000, ANY, NS, NULL },
    { "0-9,,20-29", 1000, ANY, NS, NULL },
    { "0-1;x", 1000, ANY, NS, NULL },
    { "0-1\t", 1000, ANY, NS, NULL },
    { "\t0-1", 1000, ANY, NS, NULL },
    { "+1-2", 1000, ANY, NS, NULL },
    { "0x1-2", 1000, ANY, NS, NULL },
    { "0-1,abc", 1000, ANY, NS, NULL },
    { "99999999999999999999-", 1000, ANY, NS, NULL },
    { "0-99999999999999999999", 1000, ANY, NS, NULL },
    { "-99999999999999999999", 1000, ANY, NS, NULL },
    { "9223372036854775808-", 1000, ANY, NS, NULL },

    /* the whole body: more than it (overlaps), or too many */
    { "0-,0-", 1000, ANY, WD_DECLINED, NULL },
    { "0-999,0-999", 1000, ANY, WD_DECLINED, NULL },
    { "0-499,500-,0-0", 1000, ANY, WD_DECLINED, NULL },
    { "-600,-600", 1000, ANY, WD_DECLINED, NULL },
    { "0-,0-,abc", 1000, ANY, NS, NULL },
    { "0-9,20-29", 1000, 1, WD_DECLINED, NULL },
    { "0-9", 1000, 1, WD_OK, "0-9" },
    { "1000-,0-1", 1000, 1, WD_OK, "0-1" },
    { "0-1,2-3,abc", 1000, 1, WD_DECLINED, NULL },
    { "0-9,20-29", 1000, 2, WD_OK, "0-9,20-29" },
    { "0-9,20-29,40-49", 1000, 2, WD_DECLINED, NULL },
    { "0-9", 1000, 0, WD_DECLINED, NULL },

    /* an empty body is all there is */
    { "0-", 0, ANY, WD_DECLINED, NULL },
    { "0-0", 0, ANY, WD_DECLINED, NULL },
    { "-5", 0, ANY, WD_DECLINED, NULL },

    /* sizes that would overflow */
    { "0-,1-", WD_MAX_OFF_T_VALUE, ANY, NS, NULL },
};

static wd_int_t
parse(const char *spec, size_t len, off_t length, wd_uint_t max,
    wd_pool_t *pool, wd_array_t *ranges)
{
    wd_str_t s;
    wd_int_t rc;

    s.len = len;
    s.data = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(s.data);
    memcpy(s.data, spec, len);

    ck_assert_int_eq(wd_array_init(ranges, pool, 1, sizeof(wd_http_range_t)),
                     WD_OK);

    rc = wd_http_range_parse(&s, length, max, ranges);

    free(s.data);

    return rc;
}

/* The ranges as "s-e,s-e" (inclusive ends). */
static void
print_ranges(wd_array_t *ranges, char *buf, size_t size)
{
    size_t n;
    wd_uint_t i;
    wd_http_range_t *range;

    range = ranges->elts;
    buf[0] = '\0';

    for (i = 0, n = 0; i < ranges->nelts && n < size; i++) {
        n += snprintf(buf + n, size - n, "%s%lld-%lld", i ? "," : "",
                      (long long) range[i].start,
                      (long long) range[i].end - 1);
    }
}

START_TEST(range_table)
{
    char got[256];
    wd_int_t rc;
    wd_pool_t *pool;
    wd_array_t ranges;
    const range_case_t *c;

    c = &cases[_i];
    pool = wd_create_pool(1024, NULL);
    ck_assert_ptr_nonnull(pool);

    rc = parse(c->spec, strlen(c->spec), c->length, c->max, pool, &ranges);

    ck_assert_msg(rc == c->rc, "\"%s\" of %lld, max %lu: rc %ld, not %ld",
                  c->spec, (long long) c->length, (unsigned long) c->max,
                  (long) rc, (long) c->rc);

    if (rc == WD_OK) {
        print_ranges(&ranges, got, sizeof(got));
        ck_assert_msg(strcmp(got, c->ranges) == 0, "\"%s\": %s, not %s",
                      c->spec, got, c->ranges);
    }

    wd_destroy_pool(pool);
}
END_TEST

/* Many ranges: one byte in two, then the same bytes again (twice the
 * body: the whole body instead). */
START_TEST(range_many)
{
    char *spec, *p;
    wd_uint_t i;
    wd_pool_t *pool;
    wd_array_t ranges;
    wd_http_range_t *range;

    spec = malloc(2000 * 12);
    ck_assert_ptr_nonnull(spec);
    pool = wd_create_pool(1024, NULL);
    ck_assert_ptr_nonnull(pool);

    for (i = 0, p = spec; i < 1000; i++) {
        p += sprintf(p, "%s%lu-%lu", i ? "," : "", (unsigned long) i * 2,
                     (unsigned long) i * 2);
    }

    ck_assert_int_eq(parse(spec, p - spec, 2000, ANY, pool, &ranges), WD_OK);
    ck_assert_uint_eq(ranges.nelts, 1000);
    range = ranges.elts;
    ck_assert_int_eq(range[999].start, 1998);
    ck_assert_int_eq(range[999].end, 1999);

    ck_assert_int_eq(parse(spec, p - spec, 2000, 999, pool, &ranges),
                     WD_DECLINED);

    for (i = 0; i < 1000; i++) {
        p += sprintf(p, ",%lu-%lu", (unsigned long) i * 2,
                     (unsigned long) i * 2);
    }

    ck_assert_int_eq(parse(spec, p - spec, 1999, ANY, pool, &ranges),
                     WD_DECLINED);

    /* "0-" a thousand times: decided without keeping a thousand ranges */
    for (i = 0, p = spec; i < 1000; i++) {
        p += sprintf(p, "%s0-", i ? "," : "");
    }

    ck_assert_int_eq(parse(spec, p - spec, 2000, ANY, pool, &ranges),
                     WD_DECLINED);
    ck_assert_uint_le(ranges.nelts, 1);

    wd_destroy_pool(pool);
    free(spec);
}
END_TEST

/* Every prefix of valid specs parses to something, reading nothing past
 * its end (the sanitizer build checks). */
START_TEST(range_prefixes)
{
    size_t n, len;
    wd_uint_t i;
    wd_int_t rc;
    wd_pool_t *pool;
    wd_array_t ranges;
    static const char *specs[] = {
        " 0 - 99 , 100 - , -5 ",
        "9223372036854775807-9223372036854775807",
        "-9223372036854775807",
    };

    pool = wd_create_pool(1024, NULL);
    ck_assert_ptr_nonnull(pool);

    for (i = 0; i < wd_nelems(specs); i++) {
        len = strlen(specs[i]);

        for (n = 0; n <= len; n++) {
            rc = parse(specs[i], n, 1000, ANY, pool, &ranges);
            ck_assert(rc == WD_OK || rc == WD_DECLINED || rc == NS);
        }
    }

    wd_destroy_pool(pool);
}
END_TEST

static Suite *
range_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_http_range_parse");

    tc = tcase_create("ranges-specifier");
    tcase_add_loop_test(tc, range_table, 0, wd_nelems(cases));
    tcase_add_test(tc, range_many);
    tcase_add_test(tc, range_prefixes);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    int failed;
    SRunner *sr;

    sr = srunner_create(range_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
