/*
 * Calendar helpers on top of the OS clock.
 */

#ifndef WD_TIME_H
#define WD_TIME_H

typedef struct tm wd_tm_t;

/* Broken-down UTC time of t, without the libc locks of gmtime_r. */
void wd_gmtime(time_t t, wd_tm_t *tp);
/* The next time of day "when" (seconds since midnight) after now. */
time_t wd_next_time(time_t when);
void wd_msleep(wd_msec_t ms);

#endif /* WD_TIME_H */
