/*
 * The cached clock and its formatted strings.  Only the event loop and
 * start-up update it; signal handlers never touch it.
 */

#include <wd_core.h>

static wd_time_t wd_time_now;
wd_time_t *wd_cached_time = &wd_time_now;
wd_msec_t wd_current_msec;

wd_str_t wd_cached_err_log_time;
wd_str_t wd_cached_http_time;
wd_str_t wd_cached_http_log_time;
wd_str_t wd_cached_http_log_iso8601;
wd_str_t wd_cached_syslog_time;

static u_char wd_err_log_time[sizeof("1970/09/28 12:00:00")];
static u_char wd_http_time_buf[sizeof("Mon, 28 Sep 1970 06:00:00 GMT")];
static u_char wd_http_log_time[sizeof("28/Sep/1970:12:00:00 +0600")];
static u_char wd_http_log_iso8601[sizeof("1970-09-28T12:00:00+06:00")];
static u_char wd_syslog_time[sizeof("Sep 28 12:00:00")];

static const char *wd_week[] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *wd_months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static wd_msec_t
wd_monotonic_msec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);

    return (wd_msec_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
wd_time_init(void)
{
    wd_cached_err_log_time.len = sizeof("1970/09/28 12:00:00") - 1;
    wd_cached_http_time.len = WD_HTTP_TIME_LEN;
    wd_cached_http_log_time.len = sizeof("28/Sep/1970:12:00:00 +0600") - 1;
    wd_cached_http_log_iso8601.len = sizeof("1970-09-28T12:00:00+06:00") - 1;
    wd_cached_syslog_time.len = sizeof("Sep 28 12:00:00") - 1;

    wd_cached_err_log_time.data = wd_err_log_time;
    wd_cached_http_time.data = wd_http_time_buf;
    wd_cached_http_log_time.data = wd_http_log_time;
    wd_cached_http_log_iso8601.data = wd_http_log_iso8601;
    wd_cached_syslog_time.data = wd_syslog_time;

    wd_time_now.sec = -1;
    wd_time_update();
}

static u_char *
wd_sprint_2(u_char *p, int n)
{
    return wd_sprint_uint_pad(p, (uint64_t) n, 2);
}

/* "+0300" (colon = 0) or "+03:00" (colon = 1). */
static u_char *
wd_sprint_gmtoff(u_char *p, wd_int_t off, wd_uint_t colon)
{
    *p++ = off < 0 ? '-' : '+';
    off = wd_abs(off);
    p = wd_sprint_2(p, (int) (off / 60));

    if (colon) {
        *p++ = ':';
    }

    return wd_sprint_2(p, (int) (off % 60));
}

static void
wd_time_format_local(struct tm *tm, wd_int_t gmtoff)
{
    u_char *p;
    int year;

    year = tm->tm_year + 1900;

    /* 2026/11/26 16:35:14 */
    p = wd_sprint_uint_pad(wd_err_log_time, (uint64_t) year, 4);
    *p++ = '/';
    p = wd_sprint_2(p, tm->tm_mon + 1);
    *p++ = '/';
    p = wd_sprint_2(p, tm->tm_mday);
    *p++ = ' ';
    p = wd_sprint_2(p, tm->tm_hour);
    *p++ = ':';
    p = wd_sprint_2(p, tm->tm_min);
    *p++ = ':';
    wd_sprint_2(p, tm->tm_sec);

    /* 26/Nov/2026:16:35:14 +0000 */
    p = wd_sprint_2(wd_http_log_time, tm->tm_mday);
    *p++ = '/';
    p = wd_cpymem(p, wd_months[tm->tm_mon], 3);
    *p++ = '/';
    p = wd_sprint_uint_pad(p, (uint64_t) year, 4);
    *p++ = ':';
    p = wd_cpymem(p, wd_err_log_time + 11, 8);
    *p++ = ' ';
    wd_sprint_gmtoff(p, gmtoff, 0);

    /* 2026-11-26T16:35:14+00:00 */
    p = wd_sprint_uint_pad(wd_http_log_iso8601, (uint64_t) year, 4);
    *p++ = '-';
    p = wd_sprint_2(p, tm->tm_mon + 1);
    *p++ = '-';
    p = wd_sprint_2(p, tm->tm_mday);
    *p++ = 'T';
    p = wd_cpymem(p, wd_err_log_time + 11, 8);
    wd_sprint_gmtoff(p, gmtoff, 1);

    /* Nov 26 16:35:14 (day padded with a space, as syslog does) */
    p = wd_cpymem(wd_syslog_time, wd_months[tm->tm_mon], 3);
    *p++ = ' ';
    *p++ = (u_char) (tm->tm_mday < 10 ? ' ' : '0' + tm->tm_mday / 10);
    *p++ = (u_char) ('0' + tm->tm_mday % 10);
    *p++ = ' ';
    (void) wd_cpymem(p, wd_err_log_time + 11, 8);
}

void
wd_time_update(void)
{
    struct timeval tv;
    struct tm tm;
    time_t sec;

    gettimeofday(&tv, NULL);

    sec = tv.tv_sec;
    wd_current_msec = wd_monotonic_msec();
    wd_time_now.msec = tv.tv_usec / 1000;

    if (wd_time_now.sec == sec) {
        return;
    }

    wd_time_now.sec = sec;

    wd_http_time(wd_http_time_buf, sec);

    localtime_r(&sec, &tm);
    wd_time_now.gmtoff = (wd_int_t) (tm.tm_gmtoff / 60);

    wd_time_format_local(&tm, wd_time_now.gmtoff);
}

u_char *
wd_http_time(u_char *buf, time_t t)
{
    wd_tm_t tm;
    u_char *p;

    wd_gmtime(t, &tm);

    p = wd_cpymem(buf, wd_week[tm.tm_wday], 3);
    *p++ = ',';
    *p++ = ' ';
    p = wd_sprint_2(p, tm.tm_mday);
    *p++ = ' ';
    p = wd_cpymem(p, wd_months[tm.tm_mon], 3);
    *p++ = ' ';
    p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_year + 1900, 4);
    *p++ = ' ';
    p = wd_sprint_2(p, tm.tm_hour);
    *p++ = ':';
    p = wd_sprint_2(p, tm.tm_min);
    *p++ = ':';
    p = wd_sprint_2(p, tm.tm_sec);

    return wd_cpymem(p, " GMT", 4);
}

u_char *
wd_http_cookie_time(u_char *buf, time_t t)
{
    wd_tm_t tm;
    u_char *p;

    wd_gmtime(t, &tm);

    p = wd_cpymem(buf, wd_week[tm.tm_wday], 3);
    *p++ = ',';
    *p++ = ' ';
    p = wd_sprint_2(p, tm.tm_mday);
    *p++ = '-';
    p = wd_cpymem(p, wd_months[tm.tm_mon], 3);
    *p++ = '-';

    /* Netscape's cookie spec has two-digit years up to 2037 */
    if (tm.tm_year + 1900 > 2037) {
        p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_year + 1900, 4);

    } else {
        p = wd_sprint_2(p, tm.tm_year % 100);
    }

    *p++ = ' ';
    p = wd_sprint_2(p, tm.tm_hour);
    *p++ = ':';
    p = wd_sprint_2(p, tm.tm_min);
    *p++ = ':';
    p = wd_sprint_2(p, tm.tm_sec);

    return wd_cpymem(p, " GMT", 4);
}

static wd_int_t
wd_parse_month(u_char *p)
{
    wd_int_t i;

    for (i = 0; i < 12; i++) {
        if (wd_strncasecmp(p, (u_char *) wd_months[i], 3) == 0) {
            return i;
        }
    }

    return -1;
}

static wd_int_t
wd_parse_digits(u_char **pp, u_char *last, wd_uint_t n)
{
    u_char *p;
    wd_int_t v;

    p = *pp;

    if ((wd_uint_t) (last - p) < n) {
        return -1;
    }

    for (v = 0; n; n--, p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (*p - '0');
    }

    *pp = p;

    return v;
}

/* Days from 1970-01-01 to a civil date (inverse of wd_civil_from_days). */
static int64_t
wd_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

/* Days in month (0-11) of year, as the Gregorian calendar has them. */
static wd_int_t
wd_month_days(wd_int_t year, wd_int_t month)
{
    static const u_char days[] = { 31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31 };

    if (month == 1 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) {
        return 29;
    }

    return days[month];
}

static wd_int_t
wd_parse_clock(u_char **pp, u_char *last, wd_int_t *hour, wd_int_t *min,
    wd_int_t *sec)
{
    u_char *p;

    p = *pp;

    *hour = wd_parse_digits(&p, last, 2);
    if (*hour < 0 || p >= last || *p++ != ':') {
        return WD_ERROR;
    }

    *min = wd_parse_digits(&p, last, 2);
    if (*min < 0 || p >= last || *p++ != ':') {
        return WD_ERROR;
    }

    *sec = wd_parse_digits(&p, last, 2);
    if (*sec < 0) {
        return WD_ERROR;
    }

    *pp = p;

    return WD_OK;
}

/*
 * The three forms of RFC 9110 §5.6.7:
 *   Sun, 06 Nov 1994 08:49:37 GMT    (IMF-fixdate)
 *   Sunday, 06-Nov-94 08:49:37 GMT   (RFC 850)
 *   Sun Nov  6 08:49:37 1994         (asctime)
 */
time_t
wd_parse_http_time(u_char *value, size_t len)
{
    u_char *p, *last;
    wd_int_t day, month, year, hour, min, sec;
    wd_uint_t asctime;

    p = value;
    last = value + len;
    month = -1;
    year = -1;

    /* trailing text (old clients append "; length=N") is ignored */
    while (p < last && *p != ',' && *p != ' ') {
        p++;
    }

    if (p >= last) {
        return -1;
    }

    asctime = (*p == ' ');
    p++;

    while (p < last && *p == ' ') {
        p++;
    }

    if (asctime) {
        if (last - p < 3 || (month = wd_parse_month(p)) < 0) {
            return -1;
        }
        p += 3;
        while (p < last && *p == ' ') {
            p++;
        }
        day = (p + 1 < last && p[1] != ' ') ? wd_parse_digits(&p, last, 2)
                                            : wd_parse_digits(&p, last, 1);
        if (day < 0 || p >= last || *p++ != ' ') {
            return -1;
        }
        if (wd_parse_clock(&p, last, &hour, &min, &sec) != WD_OK
            || p >= last || *p++ != ' ')
        {
            return -1;
        }
        year = wd_parse_digits(&p, last, 4);

    } else {
        day = wd_parse_digits(&p, last, 2);
        if (day < 0 || p + 5 > last || (*p != ' ' && *p != '-')) {
            return -1;
        }
        p++;
        if ((month = wd_parse_month(p)) < 0) {
            return -1;
        }
        p += 3;
        if (p >= last || (*p != ' ' && *p != '-')) {
            return -1;
        }
        p++;
        year = (last - p > 4 && p[2] != ' ') ? wd_parse_digits(&p, last, 4)
                                             : wd_parse_digits(&p, last, 2);
        if (year >= 0 && year < 100) {
            year += (year < 70) ? 2000 : 1900;
        }
        if (year < 0 || p >= last || *p++ != ' '
            || wd_parse_clock(&p, last, &hour, &min, &sec) != WD_OK)
        {
            return -1;
        }
        if (last - p < 4 || wd_strncmp(p, " GMT", 4) != 0) {
            return -1;
        }
        p += 4;
    }

    /* a day the month does not have is not a date (nginx rejects it) */
    if (year < 1970 || day < 1 || day > wd_month_days(year, month)
        || hour > 23 || min > 59 || sec > 60)
    {
        return -1;
    }

    return (time_t) (wd_days_from_civil(year, month + 1, day) * 86400
                     + hour * 3600 + min * 60 + sec);
}
