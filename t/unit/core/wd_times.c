/*
 * Unit tests of src/core/wd_times.c and wd_time.c: HTTP dates in the
 * three forms of RFC 9110, their formatting, the calendar arithmetic,
 * and the cached time strings.
 */

#include "../wd_unit.h"

#include <regex.h>

/* 1994-11-06 08:49:37 UTC, RFC 9110's example */
#define T_1994 784111777

static time_t
parse(const char *text)
{
    u_char *copy;
    size_t len;
    time_t t;

    /* exact size: a read past the end shows up under ASan */
    len = strlen(text);
    copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, text, len);

    t = wd_parse_http_time(copy, len);
    free(copy);

    return t;
}

#define parses_to(text, want)                                                  \
    ck_assert_msg(parse(text) == (time_t) (want), "\"%s\" -> %lld, want %lld", \
                  text, (long long) parse(text), (long long) (want))

START_TEST(test_three_forms)
{
    parses_to("Sun, 06 Nov 1994 08:49:37 GMT", T_1994);
    parses_to("Sunday, 06-Nov-94 08:49:37 GMT", T_1994);
    parses_to("Sun Nov  6 08:49:37 1994", T_1994);

    parses_to("Wed, 16 Nov 1994 08:49:37 GMT", T_1994 + 10 * 86400);
    parses_to("Sun Nov 16 08:49:37 1994", T_1994 + 10 * 86400);
    parses_to("Thu, 01 Jan 1970 00:00:00 GMT", 0);
    parses_to("Tue, 29 Feb 2000 12:00:00 GMT", 951825600);
    parses_to("Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL);
    parses_to("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL);

    /* two-digit years: 70..99 are 19xx, 00..69 are 20xx */
    parses_to("Thursday, 01-Jan-70 00:00:00 GMT", 0);
    parses_to("Thursday, 01-Jan-37 00:00:00 GMT", 2114380800LL);
    parses_to("Friday, 31-Dec-99 23:59:59 GMT", 946684799LL);

    /* the weekday is not checked, month names are case-insensitive */
    parses_to("Mon, 06 NOV 1994 08:49:37 GMT", T_1994);
    parses_to("Xyz, 06 nov 1994 08:49:37 GMT", T_1994);

    /* old clients append "; length=N" */
    parses_to("Sun, 06 Nov 1994 08:49:37 GMT; length=1234", T_1994);
    /* a leap second */
    parses_to("Sun, 06 Nov 1994 08:49:60 GMT", T_1994 + 23);
}
END_TEST

START_TEST(test_garbage)
{
    static const char *bad[] = {
        "", " ", ",", "garbage", "Sun,", "Sun, ", "Sun",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        "Sun, 06 Xyz 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 08-49-37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Wed, 31 Dec 1969 23:59:59 GMT",
        "Sun, 0x Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 19a4 08:49:37 GMT",
        "Sun Nov  6 08:49:37",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov    08:49:37 1994",
        "Sun Xyz  6 08:49:37 1994",
        "Sun Nov  6 08:49:371994",
        "Sunday, 06-Nov-94 08:49:37",
        "Sunday, 06/Nov/94 08:49:37 GMT",
    };
    size_t i;

    for (i = 0; i < wd_nelems(bad); i++) {
        parses_to(bad[i], -1);
    }
}
END_TEST

START_TEST(test_days_of_month)
{
    /* as nginx does: a day the month does not have is not a date */
    parses_to("Sat, 31 Jan 2015 00:00:00 GMT", 1422662400);
    parses_to("Sun, 29 Feb 2004 00:00:00 GMT", 1078012800);
    parses_to("Fri, 30 Apr 2010 00:00:00 GMT", 1272585600);
    parses_to("Sun, 30 Feb 2004 00:00:00 GMT", -1);
    parses_to("Sun, 29 Feb 2005 00:00:00 GMT", -1);
    parses_to("Sun, 29 Feb 2100 00:00:00 GMT", -1);
    parses_to("Sat, 31 Apr 2010 00:00:00 GMT", -1);
    parses_to("Sat, 31 Jun 2010 00:00:00 GMT", -1);
    parses_to("Sat, 31 Sep 2010 00:00:00 GMT", -1);
    parses_to("Sat, 31 Nov 2010 00:00:00 GMT", -1);
    parses_to("Sunday, 30-Feb-04 00:00:00 GMT", -1);
    parses_to("Sun Feb 30 00:00:00 2004", -1);
    parses_to("Tue, 29 Feb 2000 00:00:00 GMT", 951782400);
}
END_TEST

START_TEST(test_truncated)
{
    static const char *good[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    };
    char buf[64];
    size_t i, n;

    /* every proper prefix of a date is invalid, and none is over-read */
    for (i = 0; i < wd_nelems(good); i++) {
        for (n = 0; n < strlen(good[i]); n++) {
            memcpy(buf, good[i], n);
            buf[n] = '\0';
            parses_to(buf, -1);
        }
    }
}
END_TEST

START_TEST(test_http_time_format)
{
    u_char buf[64], *p;

    p = wd_http_time(buf, T_1994);
    ck_assert_uint_eq(p - buf, WD_HTTP_TIME_LEN);
    ck_assert_mem_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT", WD_HTTP_TIME_LEN);

    p = wd_http_time(buf, 0);
    ck_assert_mem_eq(buf, "Thu, 01 Jan 1970 00:00:00 GMT", WD_HTTP_TIME_LEN);

    p = wd_http_time(buf, 951825600);
    ck_assert_mem_eq(buf, "Tue, 29 Feb 2000 12:00:00 GMT", WD_HTTP_TIME_LEN);

    p = wd_http_time(buf, 2147483648LL);
    ck_assert_mem_eq(buf, "Tue, 19 Jan 2038 03:14:08 GMT", WD_HTTP_TIME_LEN);

    p = wd_http_time(buf, 253402300799LL);
    ck_assert_mem_eq(buf, "Fri, 31 Dec 9999 23:59:59 GMT", WD_HTTP_TIME_LEN);

    p = wd_http_cookie_time(buf, T_1994);
    ck_assert_uint_eq(p - buf, 27);
    ck_assert_mem_eq(buf, "Sun, 06-Nov-94 08:49:37 GMT", 27);

    p = wd_http_cookie_time(buf, 2147483648LL);
    ck_assert_uint_eq(p - buf, 29);
    ck_assert_mem_eq(buf, "Tue, 19-Jan-2038 03:14:08 GMT", 29);
}
END_TEST

START_TEST(test_against_libc)
{
    u_char buf[64];
    char want[64];
    struct tm tm, ours;
    uint64_t seed = 42;
    time_t t;
    int i;

    for (i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        t = (time_t) ((seed >> 20) % 253402300800ULL);

        if (i < 100) {
            t = (time_t) i * 86399;     /* the first days, closely */
        }

        ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
        strftime(want, sizeof(want), "%a, %d %b %Y %H:%M:%S GMT", &tm);

        wd_http_time(buf, t);
        buf[WD_HTTP_TIME_LEN] = '\0';

        if (strcmp((char *) buf, want) != 0) {
            ck_abort_msg("wd_http_time(%lld) = \"%s\", libc \"%s\"",
                         (long long) t, buf, want);
        }

        if (wd_parse_http_time(buf, WD_HTTP_TIME_LEN) != t) {
            ck_abort_msg("\"%s\" does not parse back to %lld", buf,
                         (long long) t);
        }
    }

    /* before 1970 too (wd_gmtime only; HTTP dates start at 1970) */
    for (t = -86400 * 800; t < 0; t += 3607) {
        ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
        wd_gmtime(t, &ours);

        if (ours.tm_year != tm.tm_year || ours.tm_mon != tm.tm_mon
            || ours.tm_mday != tm.tm_mday || ours.tm_hour != tm.tm_hour
            || ours.tm_min != tm.tm_min || ours.tm_sec != tm.tm_sec
            || ours.tm_wday != tm.tm_wday)
        {
            ck_abort_msg("wd_gmtime(%lld) differs from gmtime_r",
                         (long long) t);
        }
    }
}
END_TEST

START_TEST(test_cached_strings)
{
    regex_t re;
    char buf[64];
    time_t t;

    wd_time_update();

    ck_assert_int_eq(regcomp(&re, "^[0-9]{4}/[0-9]{2}/[0-9]{2} "
                             "[0-9]{2}:[0-9]{2}:[0-9]{2}$", REG_EXTENDED), 0);
    snprintf(buf, sizeof(buf), "%.*s", wd_str_fmt(&wd_cached_err_log_time));
    ck_assert_int_eq(regexec(&re, buf, 0, NULL, 0), 0);
    regfree(&re);

    ck_assert_int_eq(regcomp(&re, "^[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:"
                             "[0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}$",
                             REG_EXTENDED), 0);
    snprintf(buf, sizeof(buf), "%.*s", wd_str_fmt(&wd_cached_http_log_time));
    ck_assert_int_eq(regexec(&re, buf, 0, NULL, 0), 0);
    regfree(&re);

    ck_assert_int_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"
                             "[0-9]{2}:[0-9]{2}:[0-9]{2}[-+][0-9]{2}:[0-9]{2}$",
                             REG_EXTENDED), 0);
    snprintf(buf, sizeof(buf), "%.*s",
             wd_str_fmt(&wd_cached_http_log_iso8601));
    ck_assert_int_eq(regexec(&re, buf, 0, NULL, 0), 0);
    regfree(&re);

    ck_assert_int_eq(regcomp(&re, "^[A-Z][a-z]{2} [ 1-3][0-9] "
                             "[0-9]{2}:[0-9]{2}:[0-9]{2}$", REG_EXTENDED), 0);
    snprintf(buf, sizeof(buf), "%.*s", wd_str_fmt(&wd_cached_syslog_time));
    ck_assert_int_eq(regexec(&re, buf, 0, NULL, 0), 0);
    regfree(&re);

    /* the cached HTTP date is this second */
    t = wd_parse_http_time(wd_cached_http_time.data, wd_cached_http_time.len);
    ck_assert_int_eq(t, wd_time());
    ck_assert_int_le(llabs((long long) (time(NULL) - t)), 2);
}
END_TEST

static Suite *
times_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_times");

    tc = tcase_create("http dates");
    tcase_add_test(tc, test_three_forms);
    tcase_add_test(tc, test_garbage);
    tcase_add_test(tc, test_days_of_month);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_http_time_format);
    tcase_add_test(tc, test_against_libc);
    tcase_add_test(tc, test_cached_strings);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(times_suite)
