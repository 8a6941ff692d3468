/*
 * Sizes, offsets and times.
 */

#include <wd_core.h>

/* Parses digits with an optional one-letter scale from units. */
static int64_t
wd_parse_scaled(wd_str_t *line, int64_t max, wd_uint_t allow_g)
{
    u_char unit;
    size_t len;
    int64_t value, scale;

    len = line->len;

    if (len == 0) {
        return -1;
    }

    unit = line->data[len - 1];
    scale = 1;

    switch (unit) {
    case 'K':
    case 'k':
        scale = 1024;
        len--;
        break;

    case 'M':
    case 'm':
        scale = 1024 * 1024;
        len--;
        break;

    case 'G':
    case 'g':
        if (!allow_g) {
            return -1;
        }
        scale = 1024 * 1024 * 1024;
        len--;
        break;

    default:
        break;
    }

    value = wd_atoof(line->data, len);

    if (value == -1 || value > max / scale) {
        return -1;
    }

    return value * scale;
}

ssize_t
wd_parse_size(wd_str_t *line)
{
    return (ssize_t) wd_parse_scaled(line, SSIZE_MAX, 1);
}

off_t
wd_parse_offset(wd_str_t *line)
{
    return (off_t) wd_parse_scaled(line, WD_MAX_OFF_T_VALUE, 1);
}

/* The units, most significant first; "ms" is matched before "m". */
typedef struct {
    const char *name;
    int64_t msec;
} wd_time_unit_t;

static const wd_time_unit_t wd_time_units[] = {
    { "y", 365LL * 24 * 60 * 60 * 1000 },
    { "M", 30LL * 24 * 60 * 60 * 1000 },
    { "w", 7LL * 24 * 60 * 60 * 1000 },
    { "d", 24LL * 60 * 60 * 1000 },
    { "h", 60LL * 60 * 1000 },
    { "ms", 1 },
    { "m", 60LL * 1000 },
    { "s", 1000 },
};

/* The rank of a unit: a later unit in a value must rank lower. */
static wd_int_t
wd_time_unit_rank(wd_uint_t index)
{
    /* "ms" is listed before "m" for matching but ranks after "s" */
    static const wd_int_t rank[] = { 7, 6, 5, 4, 3, 0, 2, 1 };

    return rank[index];
}

static wd_int_t
wd_time_unit(u_char **pp, u_char *last)
{
    size_t len;
    wd_uint_t i;

    for (i = 0; i < wd_nelems(wd_time_units); i++) {
        len = wd_strlen(wd_time_units[i].name);

        if ((size_t) (last - *pp) >= len
            && wd_memcmp(*pp, wd_time_units[i].name, len) == 0)
        {
            *pp += len;
            return (wd_int_t) i;
        }
    }

    return -1;
}

wd_int_t
wd_parse_time(wd_str_t *line, wd_uint_t is_sec)
{
    u_char *p, *last;
    int64_t total, n, unit_ms, max;
    wd_int_t unit, rank, prev_rank;

    p = line->data;
    last = p + line->len;
    total = 0;
    prev_rank = 8;
    max = is_sec ? (int64_t) INT32_MAX * 1000 : INT32_MAX;

    if (p == last) {
        return -1;
    }

    while (p < last) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        for (n = 0; p < last && *p >= '0' && *p <= '9'; p++) {
            n = n * 10 + (*p - '0');
            if (n > max) {
                return -1;
            }
        }

        if (p == last) {
            /* a bare number is seconds */
            unit_ms = 1000;
            rank = 1;

        } else {
            unit = wd_time_unit(&p, last);
            if (unit < 0) {
                return -1;
            }
            unit_ms = wd_time_units[unit].msec;
            rank = wd_time_unit_rank((wd_uint_t) unit);
        }

        if (rank >= prev_rank || (is_sec && rank == 0)) {
            return -1;
        }

        prev_rank = rank;

        if (n > (max - total) / unit_ms) {
            return -1;
        }

        total += n * unit_ms;

        while (p < last && *p == ' ') {
            p++;
        }
    }

    return (wd_int_t) (is_sec ? total / 1000 : total);
}
