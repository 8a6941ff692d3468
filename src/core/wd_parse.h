/*
 * The measurement units of the configuration language: sizes ("8k",
 * "1m", "1g"), offsets, and times ("500ms", "1h30m", "1h 30m").
 */

#ifndef WD_PARSE_H
#define WD_PARSE_H

/* Bytes, or -1 when invalid or too large. */
ssize_t wd_parse_size(wd_str_t *line);
off_t wd_parse_offset(wd_str_t *line);
/* Milliseconds (is_sec = 0) or seconds (is_sec = 1, "ms" not allowed);
 * -1 when invalid or beyond 2^31 - 1 units. */
wd_int_t wd_parse_time(wd_str_t *line, wd_uint_t is_sec);

#endif /* WD_PARSE_H */
