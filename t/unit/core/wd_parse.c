/*
 * Unit tests of src/core/wd_parse.c: sizes, offsets and times as the
 * configuration language writes them.
 */

#include "../wd_unit.h"

typedef struct {
    const char *text;
    int64_t want;               /* -1: invalid */
} case_t;

static int64_t
size_of(const char *text)
{
    wd_str_t s;

    s.data = (u_char *) text;
    s.len = strlen(text);

    return (int64_t) wd_parse_size(&s);
}

static int64_t
offset_of(const char *text)
{
    wd_str_t s;

    s.data = (u_char *) text;
    s.len = strlen(text);

    return (int64_t) wd_parse_offset(&s);
}

static int64_t
time_of(const char *text, wd_uint_t is_sec)
{
    wd_str_t s;
    u_char *copy;
    int64_t rc;

    /* an exact-size copy: a read past the end shows up under ASan */
    s.len = strlen(text);
    copy = malloc(s.len ? s.len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, text, s.len);
    s.data = copy;

    rc = (int64_t) wd_parse_time(&s, is_sec);

    free(copy);

    return rc;
}

#define check_cases(cases, fn)                                                 \
    do {                                                                       \
        size_t i_;                                                             \
        for (i_ = 0; i_ < wd_nelems(cases); i_++) {                            \
            int64_t got_ = fn(cases[i_].text);                                 \
            ck_assert_msg(got_ == cases[i_].want,                              \
                          #fn "(\"%s\") = %lld, want %lld", cases[i_].text,    \
                          (long long) got_, (long long) cases[i_].want);       \
        }                                                                      \
    } while (0)

#define msec_of(text) time_of(text, 0)
#define sec_of(text) time_of(text, 1)

START_TEST(test_size)
{
    static const case_t cases[] = {
        { "0", 0 },
        { "1024", 1024 },
        { "8k", 8192 },
        { "8K", 8192 },
        { "1m", 1024 * 1024 },
        { "1M", 1024 * 1024 },
        { "1g", 1024 * 1024 * 1024 },
        { "3G", 3LL * 1024 * 1024 * 1024 },
        { "007k", 7 * 1024 },
        { "9223372036854775807", INT64_MAX },
        { "9007199254740991k", 9007199254740991LL * 1024 },
        { "8589934591g", 8589934591LL * 1024 * 1024 * 1024 },
    };

    check_cases(cases, size_of);
}
END_TEST

START_TEST(test_size_invalid)
{
    static const case_t cases[] = {
        { "", -1 },
        { "k", -1 },
        { "m", -1 },
        { "1x", -1 },
        { "1kk", -1 },
        { "1kb", -1 },
        { "1t", -1 },
        { "1.5k", -1 },
        { "-1", -1 },
        { "+1", -1 },
        { " 1", -1 },
        { "1 ", -1 },
        { "1 k", -1 },
        { "0x10", -1 },
        { "1e3", -1 },
        /* just past the largest ssize_t */
        { "9223372036854775808", -1 },
        { "9007199254740992k", -1 },
        { "8796093022208m", -1 },
        { "8589934592g", -1 },
        { "99999999999999999999999999", -1 },
    };

    check_cases(cases, size_of);
}
END_TEST

START_TEST(test_offset)
{
    static const case_t cases[] = {
        { "0", 0 },
        { "100", 100 },
        { "8k", 8192 },
        { "2M", 2 * 1024 * 1024 },
        { "1g", 1024 * 1024 * 1024 },
        { "5000g", 5000LL * 1024 * 1024 * 1024 },
        { "9223372036854775807", INT64_MAX },
        { "9223372036854775808", -1 },
        { "8589934592g", -1 },
        { "", -1 },
        { "g", -1 },
        { "1t", -1 },
        { "1 ", -1 },
    };

    check_cases(cases, offset_of);
}
END_TEST

START_TEST(test_time_msec)
{
    static const case_t cases[] = {
        { "0", 0 },
        { "500ms", 500 },
        { "30s", 30000 },
        { "5m", 300000 },
        { "1h", 3600000 },
        { "1h30m", 5400000 },
        { "1h 30m", 5400000 },
        { "1h  30m", 5400000 },
        { "1h30m15s500ms", 5415500 },
        { "1d", 86400000 },
        { "1w", 604800000 },
        { "24d", 2073600000 },
        /* a bare number is seconds, also after bigger units */
        { "30", 30000 },
        { "1m30", 90000 },
        { "1m 30", 90000 },
        { "1h ", 3600000 },
        { "0ms", 0 },
        { "2147483647ms", 2147483647 },
        { "2147483s", 2147483000 },
        { "2147483s647ms", 2147483647 },
        { "24d20h31m23s647ms", 2147483647 },
        { "24d1h", 2077200000 },
    };

    check_cases(cases, msec_of);
}
END_TEST

START_TEST(test_time_msec_invalid)
{
    static const case_t cases[] = {
        { "", -1 },
        { "ms", -1 },
        { "h", -1 },
        { "1x", -1 },
        { "1.5s", -1 },
        { "-1s", -1 },
        { "+1s", -1 },
        { " 1s", -1 },
        { "1 s", -1 },
        { "1mss", -1 },
        { "1sms", -1 },
        { "1e3", -1 },
        { "1h30x", -1 },
        /* units must come biggest first, each once */
        { "1s1h", -1 },
        { "1ms1s", -1 },
        { "1s1s", -1 },
        { "1m1m", -1 },
        { "500ms 3", -1 },
        { "30 1s", -1 },
        /* beyond 2^31 - 1 milliseconds */
        { "2147483648ms", -1 },
        { "2147484s", -1 },
        { "25d", -1 },
        { "1M", -1 },
        { "1y", -1 },
        { "24d21h", -1 },
        { "24d20h31m23s648ms", -1 },
        { "99999999999999999999999ms", -1 },
    };

    check_cases(cases, msec_of);
}
END_TEST

START_TEST(test_time_sec)
{
    static const case_t cases[] = {
        { "0", 0 },
        { "30s", 30 },
        { "30", 30 },
        { "5m", 300 },
        { "1h30m", 5400 },
        { "1h 30m", 5400 },
        { "1d", 86400 },
        { "1w", 604800 },
        { "1M", 2592000 },
        { "1y", 31536000 },
        { "1y1M1w1d1h1m1s", 34822861 },
        { "68y", 2144448000 },
        { "68y1M", 2147040000 },
        { "2147483647", 2147483647 },
        { "2147483647s", 2147483647 },
    };

    check_cases(cases, sec_of);
}
END_TEST

START_TEST(test_time_sec_invalid)
{
    static const case_t cases[] = {
        { "", -1 },
        { "30ms", -1 },
        { "1s500ms", -1 },
        { "0ms", -1 },
        { "1s1h", -1 },
        { "1M1y", -1 },
        { "2147483648", -1 },
        { "2147483648s", -1 },
        { "3000000000", -1 },
        { "69y", -1 },
        { "68y2M", -1 },
        { "99999999999999999999999y", -1 },
        { "garbage", -1 },
        { "1h-", -1 },
    };

    check_cases(cases, sec_of);
}
END_TEST

static Suite *
parse_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_parse");

    tc = tcase_create("sizes");
    tcase_add_test(tc, test_size);
    tcase_add_test(tc, test_size_invalid);
    tcase_add_test(tc, test_offset);
    suite_add_tcase(s, tc);

    tc = tcase_create("times");
    tcase_add_test(tc, test_time_msec);
    tcase_add_test(tc, test_time_msec_invalid);
    tcase_add_test(tc, test_time_sec);
    tcase_add_test(tc, test_time_sec_invalid);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(parse_suite)
