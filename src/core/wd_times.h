/*
 * Cached time: read the clock once per event-loop iteration and reuse it
 * (and its formatted strings) everywhere in that iteration.
 */

#ifndef WD_TIMES_H
#define WD_TIMES_H

typedef struct {
    time_t sec;
    wd_uint_t msec;
    wd_int_t gmtoff;        /* local offset from UTC, in minutes */
} wd_time_t;

extern wd_time_t *wd_cached_time;
extern wd_msec_t wd_current_msec;   /* monotonic milliseconds */

/* Each holds the current second formatted for one log or header. */
extern wd_str_t wd_cached_err_log_time;     /* 2026/11/26 16:35:14 */
extern wd_str_t wd_cached_http_time;        /* Thu, 26 Nov 2026 16:35:14 GMT */
extern wd_str_t wd_cached_http_log_time;    /* 26/Nov/2026:16:35:14 +0000 */
extern wd_str_t wd_cached_http_log_iso8601; /* 2026-11-26T16:35:14+00:00 */
extern wd_str_t wd_cached_syslog_time;      /* Nov 26 16:35:14 */

#define wd_time() (wd_cached_time->sec)
#define wd_timeofday() wd_cached_time

void wd_time_init(void);
void wd_time_update(void);

/* "Thu, 26 Nov 2026 16:35:14 GMT" at buf; returns the end. */
u_char *wd_http_time(u_char *buf, time_t t);
/* "Thu, 26-Nov-26 16:35:14 GMT" style used by expires cookies. */
u_char *wd_http_cookie_time(u_char *buf, time_t t);
/* Parses an HTTP date (RFC 1123, RFC 850 or asctime); -1 when invalid. */
time_t wd_parse_http_time(u_char *value, size_t len);

#define WD_HTTP_TIME_LEN (sizeof("Mon, 28 Sep 1970 06:00:00 GMT") - 1)

#endif /* WD_TIMES_H */
