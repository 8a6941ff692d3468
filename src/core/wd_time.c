/*
 * Calendar arithmetic.
 */

#include <wd_core.h>

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void
wd_civil_from_days(int64_t z, int *year, int *mon, int *mday)
{
    int64_t era, doe, yoe, y, doy, mp, d, m;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;

    *year = (int) (y + (m <= 2));
    *mon = (int) m;
    *mday = (int) d;
}

void
wd_gmtime(time_t t, wd_tm_t *tp)
{
    int64_t days, secs;
    int year, mon, mday;

    days = t / 86400;
    secs = t % 86400;

    if (secs < 0) {
        secs += 86400;
        days--;
    }

    wd_civil_from_days(days, &year, &mon, &mday);

    wd_memzero(tp, sizeof(wd_tm_t));
    tp->tm_sec = (int) (secs % 60);
    tp->tm_min = (int) ((secs / 60) % 60);
    tp->tm_hour = (int) (secs / 3600);
    tp->tm_mday = mday;
    tp->tm_mon = mon - 1;
    tp->tm_year = year - 1900;
    tp->tm_wday = (int) ((days % 7 + 11) % 7);   /* 1970-01-01: Thursday */
}

time_t
wd_next_time(time_t when)
{
    time_t now, next;
    struct tm tm;

    now = wd_time();

    localtime_r(&now, &tm);

    tm.tm_hour = (int) (when / 3600);
    when %= 3600;
    tm.tm_min = (int) (when / 60);
    tm.tm_sec = (int) (when % 60);

    next = mktime(&tm);

    if (next == -1) {
        return -1;
    }

    if (next - now > 0) {
        return next;
    }

    tm.tm_mday++;

    return mktime(&tm);
}

void
wd_msleep(wd_msec_t ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000;

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) { /* void */ }
}
