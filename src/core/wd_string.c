/*
 * String helpers: comparison, number parsing and formatting, base64,
 * UTF-8, and the URI/HTML/JSON escapers.
 */

#include <wd_core.h>

void
wd_strlow(u_char *dst, u_char *src, size_t n)
{
    while (n--) {
        *dst = wd_tolower(*src);
        dst++;
        src++;
    }
}

/* Copies at most n - 1 bytes and always terminates; returns the NUL. */
u_char *
wd_cpystrn(u_char *dst, u_char *src, size_t n)
{
    if (n == 0) {
        return dst;
    }

    while (--n) {
        *dst = *src;

        if (*dst == '\0') {
            return dst;
        }

        dst++;
        src++;
    }

    *dst = '\0';

    return dst;
}

wd_int_t
wd_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    wd_uint_t c1, c2;

    while (n) {
        c1 = wd_tolower(*s1);
        c2 = wd_tolower(*s2);

        if (c1 != c2) {
            return c1 - c2;
        }

        if (c1 == 0) {
            return 0;
        }

        s1++;
        s2++;
        n--;
    }

    return 0;
}

wd_int_t
wd_strcasecmp(u_char *s1, u_char *s2)
{
    return wd_strncasecmp(s1, s2, (size_t) -1);
}

wd_int_t
wd_str_cmp(wd_str_t *s1, wd_str_t *s2)
{
    wd_int_t rc;

    rc = wd_memcmp(s1->data, s2->data, wd_min(s1->len, s2->len));

    if (rc != 0) {
        return rc;
    }

    return (wd_int_t) s1->len - (wd_int_t) s2->len;
}

/* Finds s2 (n bytes, lowercase) in [s1, last) ignoring case. */
u_char *
wd_strlcasestrn(u_char *s1, u_char *last, u_char *s2, size_t n)
{
    if (n == 0) {
        return s1;
    }

    for (; s1 + n <= last; s1++) {
        if (wd_tolower(*s1) == s2[0]
            && wd_strncasecmp(s1 + 1, s2 + 1, n - 1) == 0)
        {
            return s1;
        }
    }

    return NULL;
}

/* Compares file names so that '/' sorts before any other byte, which
 * keeps a directory's entries together when paths are sorted. */
wd_int_t
wd_filename_cmp(u_char *s1, u_char *s2, size_t n)
{
    wd_uint_t c1, c2;

    while (n) {
        c1 = *s1++;
        c2 = *s2++;

        if (c1 == c2) {
            if (c1 == 0) {
                return 0;
            }
            n--;
            continue;
        }

        if (c1 == 0 || c2 == 0) {
            return c1 - c2;
        }

        c1 = (c1 == '/') ? 0 : c1;
        c2 = (c2 == '/') ? 0 : c2;

        return c1 - c2;
    }

    return 0;
}

/* Parses n decimal digits into a value no larger than max. */
static int64_t
wd_atoi_max(u_char *line, size_t n, int64_t max)
{
    int64_t value, cutoff, cutlim;

    if (n == 0) {
        return -1;
    }

    cutoff = max / 10;
    cutlim = max % 10;

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return -1;
        }

        if (value > cutoff || (value == cutoff && *line - '0' > cutlim)) {
            return -1;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}

wd_int_t
wd_atoi(u_char *line, size_t n)
{
    return (wd_int_t) wd_atoi_max(line, n, WD_MAX_INT_T_VALUE);
}

ssize_t
wd_atosz(u_char *line, size_t n)
{
    return (ssize_t) wd_atoi_max(line, n, SSIZE_MAX);
}

off_t
wd_atoof(u_char *line, size_t n)
{
    return (off_t) wd_atoi_max(line, n, WD_MAX_OFF_T_VALUE);
}

time_t
wd_atotm(u_char *line, size_t n)
{
    return (time_t) wd_atoi_max(line, n, WD_MAX_TIME_T_VALUE);
}

wd_int_t
wd_atofp(u_char *line, size_t n, size_t point)
{
    wd_int_t value, cutoff, cutlim;
    wd_uint_t dot;

    if (n == 0) {
        return -1;
    }

    cutoff = WD_MAX_INT_T_VALUE / 10;
    cutlim = WD_MAX_INT_T_VALUE % 10;
    dot = 0;

    for (value = 0; n--; line++) {
        if (point == 0) {
            return -1;
        }

        if (*line == '.') {
            if (dot) {
                return -1;
            }
            dot = 1;
            continue;
        }

        if (*line < '0' || *line > '9') {
            return -1;
        }

        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return -1;
        }

        value = value * 10 + (*line - '0');
        point -= dot;
    }

    while (point--) {
        if (value > cutoff) {
            return -1;
        }
        value = value * 10;
    }

    return value;
}

wd_int_t
wd_hextoi(u_char *line, size_t n)
{
    u_char c, ch;
    wd_int_t value, cutoff;

    if (n == 0) {
        return -1;
    }

    cutoff = WD_MAX_INT_T_VALUE / 16;

    for (value = 0; n--; line++) {
        if (value > cutoff) {
            return -1;
        }

        ch = *line;

        if (ch >= '0' && ch <= '9') {
            value = value * 16 + (ch - '0');
            continue;
        }

        c = (u_char) (ch | 0x20);

        if (c >= 'a' && c <= 'f') {
            value = value * 16 + (c - 'a' + 10);
            continue;
        }

        return -1;
    }

    return value;
}

u_char *
wd_sprint_uint(u_char *dst, uint64_t n)
{
    u_char tmp[WD_INT_T_LEN + 1], *p, *end;

    end = tmp + sizeof(tmp);
    p = end;

    do {
        *--p = (u_char) (n % 10 + '0');
        n /= 10;
    } while (n);

    return wd_cpymem(dst, p, end - p);
}

u_char *
wd_sprint_int(u_char *dst, int64_t n)
{
    if (n < 0) {
        *dst++ = '-';
        return wd_sprint_uint(dst, (uint64_t) 0 - (uint64_t) n);
    }

    return wd_sprint_uint(dst, (uint64_t) n);
}

u_char *
wd_sprint_hex(u_char *dst, uint64_t n)
{
    static const u_char hex[] = "0123456789abcdef";
    u_char tmp[16], *p, *end;

    end = tmp + sizeof(tmp);
    p = end;

    do {
        *--p = hex[n & 0xf];
        n >>= 4;
    } while (n);

    return wd_cpymem(dst, p, end - p);
}

u_char *
wd_sprint_uint_pad(u_char *dst, uint64_t n, size_t width)
{
    u_char *p;

    p = dst + width;

    while (p > dst) {
        *--p = (u_char) (n % 10 + '0');
        n /= 10;
    }

    return dst + width;
}

u_char *
wd_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static const u_char hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}

/* One conversion of wd_vslprintf's format. */
typedef struct {
    wd_uint_t width;
    wd_int_t precision;         /* -1: none */
    unsigned zero:1;            /* pad numbers with '0' */
    unsigned left:1;            /* pad on the right */
    unsigned longs:2;           /* 0, l, ll */
    unsigned size:1;            /* z */
} wd_fmt_spec_t;

static u_char *
wd_fmt_pad(u_char *buf, u_char *last, size_t len, wd_fmt_spec_t *sp,
    u_char pad)
{
    size_t n;

    for (n = len; n < sp->width && buf < last; n++) {
        *buf++ = pad;
    }

    return buf;
}

static u_char *
wd_fmt_text(u_char *buf, u_char *last, const u_char *text, size_t len,
    wd_fmt_spec_t *sp)
{
    if (!sp->left) {
        buf = wd_fmt_pad(buf, last, len, sp, ' ');
    }

    len = wd_min(len, (size_t) (last - buf));
    buf = wd_cpymem(buf, text, len);

    if (sp->left) {
        buf = wd_fmt_pad(buf, last, len, sp, ' ');
    }

    return buf;
}

static u_char *
wd_fmt_number(u_char *buf, u_char *last, uint64_t n, wd_uint_t negative,
    wd_uint_t base, wd_fmt_spec_t *sp)
{
    static const u_char digits[] = "0123456789abcdef";
    u_char tmp[WD_INT_T_LEN + 2], *p, *end;

    end = tmp + sizeof(tmp);
    p = end;

    do {
        *--p = digits[n % base];
        n /= base;
    } while (n);

    if (negative) {
        if (sp->zero && buf < last) {
            *buf++ = '-';
            if (sp->width) {
                sp->width--;
            }
        } else {
            *--p = '-';
        }
    }

    if (!sp->left) {
        buf = wd_fmt_pad(buf, last, end - p, sp, sp->zero ? '0' : ' ');
        return wd_fmt_text(buf, last, p, end - p, &(wd_fmt_spec_t) { 0 });
    }

    return wd_fmt_text(buf, last, p, end - p, sp);
}

/* Reads flags, width, precision and length of one conversion. */
static const char *
wd_fmt_parse(const char *fmt, wd_fmt_spec_t *sp, va_list *args)
{
    wd_memzero(sp, sizeof(wd_fmt_spec_t));
    sp->precision = -1;

    for (;; fmt++) {
        if (*fmt == '-') {
            sp->left = 1;
        } else if (*fmt == '0') {
            sp->zero = 1;
        } else {
            break;
        }
    }

    if (*fmt == '*') {
        sp->width = (wd_uint_t) va_arg(*args, int);
        fmt++;
    }

    while (*fmt >= '0' && *fmt <= '9') {
        sp->width = sp->width * 10 + (*fmt++ - '0');
    }

    if (*fmt == '.') {
        fmt++;
        sp->precision = 0;

        if (*fmt == '*') {
            sp->precision = va_arg(*args, int);
            fmt++;
        }

        while (*fmt >= '0' && *fmt <= '9') {
            sp->precision = sp->precision * 10 + (*fmt++ - '0');
        }
    }

    for (;; fmt++) {
        if (*fmt == 'l') {
            sp->longs++;
        } else if (*fmt == 'z') {
            sp->size = 1;
        } else if (*fmt != 'h') {
            break;
        }
    }

    return fmt;
}

static int64_t
wd_fmt_signed(wd_fmt_spec_t *sp, va_list *args)
{
    if (sp->size) {
        return va_arg(*args, ssize_t);
    }

    switch (sp->longs) {
    case 0:
        return va_arg(*args, int);
    case 1:
        return va_arg(*args, long);
    default:
        return va_arg(*args, long long);
    }
}

static uint64_t
wd_fmt_unsigned(wd_fmt_spec_t *sp, va_list *args)
{
    if (sp->size) {
        return va_arg(*args, size_t);
    }

    switch (sp->longs) {
    case 0:
        return va_arg(*args, unsigned int);
    case 1:
        return va_arg(*args, unsigned long);
    default:
        return va_arg(*args, unsigned long long);
    }
}

/*
 * printf's conversions that warden's messages use (s c d i u x p %, with
 * flags - and 0, width, precision, and the l, ll, z, h lengths), without
 * stdio: log lines are made on hot error paths.  The format is checked
 * by the compiler as a printf format; other conversions (floats) are not
 * supported and come out as written.
 */
u_char *
wd_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    const char *p;
    int64_t i;
    wd_fmt_spec_t sp;
    va_list ap;

    va_copy(ap, args);

    while (*fmt && buf < last) {
        if (*fmt != '%') {
            /* the literal text up to the next conversion, found by libc's
             * word-at-a-time search */
            p = strchrnul(fmt, '%');
            buf = wd_cpymem(buf, fmt, wd_min((size_t) (p - fmt),
                                             (size_t) (last - buf)));
            fmt = p;
            continue;
        }

        fmt = wd_fmt_parse(fmt + 1, &sp, &ap);

        switch (*fmt) {

        case 's':
            p = va_arg(ap, const char *);

            if (p == NULL) {
                p = "(null)";
            }

            buf = wd_fmt_text(buf, last, (const u_char *) p,
                              (sp.precision >= 0)
                                  ? wd_strnlen(p, (size_t) sp.precision)
                                  : wd_strlen(p),
                              &sp);
            break;

        case 'c':
            *buf++ = (u_char) va_arg(ap, int);
            break;

        case 'd':
        case 'i':
            i = wd_fmt_signed(&sp, &ap);
            buf = wd_fmt_number(buf, last,
                                i < 0 ? (uint64_t) 0 - (uint64_t) i
                                      : (uint64_t) i,
                                i < 0, 10, &sp);
            break;

        case 'u':
            buf = wd_fmt_number(buf, last, wd_fmt_unsigned(&sp, &ap), 0, 10,
                                &sp);
            break;

        case 'x':
            buf = wd_fmt_number(buf, last, wd_fmt_unsigned(&sp, &ap), 0, 16,
                                &sp);
            break;

        case 'p':
            if (buf + 2 <= last) {
                *buf++ = '0';
                *buf++ = 'x';
            }
            buf = wd_fmt_number(buf, last,
                                (uint64_t) (uintptr_t) va_arg(ap, void *), 0,
                                16, &sp);
            break;

        case '%':
            *buf++ = '%';
            break;

        default:
            /* not a conversion warden uses (no floats): copied as is */
            *buf++ = '%';

            if (*fmt && buf < last) {
                *buf++ = (u_char) *fmt;
            }

            break;
        }

        if (*fmt) {
            fmt++;
        }
    }

    va_end(ap);

    return buf;
}

u_char *
wd_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char *p;
    va_list args;

    va_start(args, fmt);
    p = wd_vslprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}

size_t
wd_base64_encoded_length(size_t len)
{
    return ((len + 2) / 3) * 4;
}

size_t
wd_base64_decoded_length(size_t len)
{
    return ((len + 3) / 4) * 3;
}

static void
wd_encode_base64_with(wd_str_t *dst, wd_str_t *src, const u_char *table,
    wd_uint_t padding)
{
    u_char *d, *s;
    size_t len;

    len = src->len;
    s = src->data;
    d = dst->data;

    while (len > 2) {
        *d++ = table[(s[0] >> 2) & 0x3f];
        *d++ = table[((s[0] & 3) << 4) | (s[1] >> 4)];
        *d++ = table[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
        *d++ = table[s[2] & 0x3f];

        s += 3;
        len -= 3;
    }

    if (len) {
        *d++ = table[(s[0] >> 2) & 0x3f];

        if (len == 1) {
            *d++ = table[(s[0] & 3) << 4];
            if (padding) {
                *d++ = '=';
            }

        } else {
            *d++ = table[((s[0] & 3) << 4) | (s[1] >> 4)];
            *d++ = table[(s[1] & 0x0f) << 2];
        }

        if (padding) {
            *d++ = '=';
        }
    }

    dst->len = d - dst->data;
}

void
wd_encode_base64(wd_str_t *dst, wd_str_t *src)
{
    static const u_char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    wd_encode_base64_with(dst, src, table, 1);
}

void
wd_encode_base64url(wd_str_t *dst, wd_str_t *src)
{
    static const u_char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    wd_encode_base64_with(dst, src, table, 0);
}

/* Maps a base64 character to its value, or 77 for an invalid one. */
static u_char
wd_base64_value(u_char ch, wd_uint_t url)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    if (ch == (url ? '-' : '+')) {
        return 62;
    }
    if (ch == (url ? '_' : '/')) {
        return 63;
    }

    return 77;
}

static wd_int_t
wd_decode_base64_with(wd_str_t *dst, wd_str_t *src, wd_uint_t url)
{
    size_t len;
    u_char *d, *s, v[4];

    for (len = 0; len < src->len; len++) {
        if (src->data[len] == '=') {
            break;
        }

        if (wd_base64_value(src->data[len], url) == 77) {
            return WD_ERROR;
        }
    }

    if (len % 4 == 1) {
        return WD_ERROR;
    }

    s = src->data;
    d = dst->data;

    while (len > 3) {
        v[0] = wd_base64_value(s[0], url);
        v[1] = wd_base64_value(s[1], url);
        v[2] = wd_base64_value(s[2], url);
        v[3] = wd_base64_value(s[3], url);

        *d++ = (u_char) (v[0] << 2 | v[1] >> 4);
        *d++ = (u_char) (v[1] << 4 | v[2] >> 2);
        *d++ = (u_char) (v[2] << 6 | v[3]);

        s += 4;
        len -= 4;
    }

    if (len > 1) {
        v[0] = wd_base64_value(s[0], url);
        v[1] = wd_base64_value(s[1], url);
        *d++ = (u_char) (v[0] << 2 | v[1] >> 4);
    }

    if (len > 2) {
        v[2] = wd_base64_value(s[2], url);
        *d++ = (u_char) (v[1] << 4 | v[2] >> 2);
    }

    dst->len = d - dst->data;

    return WD_OK;
}

wd_int_t
wd_decode_base64(wd_str_t *dst, wd_str_t *src)
{
    return wd_decode_base64_with(dst, src, 0);
}

wd_int_t
wd_decode_base64url(wd_str_t *dst, wd_str_t *src)
{
    return wd_decode_base64_with(dst, src, 1);
}

/*
 * Decodes one UTF-8 character at *p (n bytes available) and advances *p.
 * Returns 0xffffffff for an invalid sequence, 0xfffffffe for a truncated one.
 */
uint32_t
wd_utf8_decode(u_char **p, size_t n)
{
    size_t len;
    uint32_t u, i, valid;

    u = **p;

    if (u >= 0xf0) {
        u &= 0x07;
        valid = 0xffff;
        len = 3;

    } else if (u >= 0xe0) {
        u &= 0x0f;
        valid = 0x7ff;
        len = 2;

    } else if (u >= 0xc2) {
        u &= 0x1f;
        valid = 0x7f;
        len = 1;

    } else {
        (*p)++;
        return 0xffffffff;
    }

    if (n - 1 < len) {
        return 0xfffffffe;
    }

    (*p)++;

    while (len) {
        i = *(*p)++;

        if (i < 0x80 || i > 0xbf) {
            return 0xffffffff;
        }

        u = (u << 6) | (i & 0x3f);
        len--;
    }

    if (u > valid && u <= 0x10ffff) {
        return u;
    }

    return 0xffffffff;
}

size_t
wd_utf8_length(u_char *p, size_t n)
{
    u_char c, *last;
    size_t len;

    last = p + n;

    for (len = 0; p < last; len++) {
        c = *p;

        if (c < 0x80) {
            p++;
            continue;
        }

        if (wd_utf8_decode(&p, last - p) > 0x10ffff) {
            return n;
        }
    }

    return len;
}

/*
 * Bitmaps of the bytes each escape kind must percent-encode: bit (c & 31)
 * of word (c >> 5).  Built from the character classes of RFC 3986.
 */
static void
wd_escape_map_init(uint32_t *map, const char *keep)
{
    wd_uint_t c;

    for (c = 0; c < 256; c++) {
        if (c <= 0x20 || c >= 0x7f || strchr(keep, (int) c) == NULL) {
            map[c >> 5] |= 1U << (c & 0x1f);
        }
    }
}

#define WD_UNRESERVED                                                          \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

static const uint32_t *
wd_escape_map(wd_uint_t type)
{
    static uint32_t maps[7][8];
    static wd_uint_t ready;
    static const char *keep[7] = {
        /* URI: a path keeps its separators and sub-delims */
        WD_UNRESERVED "!$&'()*+,;=:@/",
        /* ARGS: values in a query keep what does not split them */
        WD_UNRESERVED "!$'()*,;:@/?",
        /* URI component: only the unreserved set */
        WD_UNRESERVED,
        /* HTML: a URI inside an attribute */
        WD_UNRESERVED "!$&()*+,;=:@/?#[]%",
        /* REFRESH: URI in a Refresh header, escapes what breaks it */
        WD_UNRESERVED "!$&()*+,;=:@/?#[]%",
        /* MEMCACHED: keys cannot hold spaces or controls */
        WD_UNRESERVED "!\"#$&'()*+,/:;<=>?@[\\]^`{|}",
        /* MAIL_AUTH */
        WD_UNRESERVED "!\"#$&'()*+,/:;<=>?@[\\]^`{|}"
    };
    wd_uint_t i;

    if (!ready) {
        for (i = 0; i < 7; i++) {
            wd_escape_map_init(maps[i], keep[i]);
        }
        ready = 1;
    }

    return maps[type];
}

uintptr_t
wd_escape_uri(u_char *dst, u_char *src, size_t size, wd_uint_t type)
{
    static const u_char hex[] = "0123456789ABCDEF";
    const uint32_t *map;
    wd_uint_t n;

    map = wd_escape_map(type);

    if (dst == NULL) {
        for (n = 0; size; size--, src++) {
            if (map[*src >> 5] & (1U << (*src & 0x1f))) {
                n++;
            }
        }
        return (uintptr_t) n;
    }

    for (; size; size--, src++) {
        if (map[*src >> 5] & (1U << (*src & 0x1f))) {
            *dst++ = '%';
            *dst++ = hex[*src >> 4];
            *dst++ = hex[*src & 0xf];

        } else {
            *dst++ = *src;
        }
    }

    return (uintptr_t) dst;
}

static wd_int_t
wd_hex_value(u_char ch)
{
    u_char c;

    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    c = (u_char) (ch | 0x20);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}

/*
 * Decodes %XX sequences from *src into *dst and advances both.  With
 * WD_UNESCAPE_URI decoding stops at '?'; with WD_UNESCAPE_REDIRECT the
 * decoded bytes that are not safe in a Location are left encoded.
 */
void
wd_unescape_uri(u_char **dst, u_char **src, size_t size, wd_uint_t type)
{
    u_char *d, *s, ch, decoded;
    wd_int_t hi, lo;

    d = *dst;
    s = *src;

    /* size counts the bytes after ch; it must not wrap below zero when
     * the loop ends, or the copy of the rest below runs away */
    while (size) {
        ch = *s++;
        size--;

        if (ch == '?' && (type & (WD_UNESCAPE_URI | WD_UNESCAPE_REDIRECT))) {
            *d++ = ch;
            break;
        }

        if (ch != '%' || size < 2) {
            *d++ = ch;
            continue;
        }

        hi = wd_hex_value(s[0]);
        lo = wd_hex_value(s[1]);

        if (hi < 0 || lo < 0) {
            *d++ = ch;
            continue;
        }

        decoded = (u_char) ((hi << 4) | lo);

        if ((type & WD_UNESCAPE_REDIRECT)
            && (decoded <= 0x20 || decoded >= 0x7f || decoded == '?'))
        {
            *d++ = '%';
            continue;
        }

        *d++ = decoded;
        s += 2;
        size -= 2;

        if (decoded == '?' && (type & WD_UNESCAPE_URI)) {
            break;
        }
    }

    while (size-- > 0 && (type & (WD_UNESCAPE_URI | WD_UNESCAPE_REDIRECT))) {
        *d++ = *s++;
    }

    *dst = d;
    *src = s;
}

uintptr_t
wd_escape_html(u_char *dst, u_char *src, size_t size)
{
    u_char ch;
    wd_uint_t len;

    if (dst == NULL) {
        for (len = 0; size; size--) {
            switch (*src++) {
            case '<':
            case '>':
                len += sizeof("&lt;") - 2;
                break;
            case '&':
                len += sizeof("&amp;") - 2;
                break;
            case '"':
                len += sizeof("&quot;") - 2;
                break;
            default:
                break;
            }
        }
        return (uintptr_t) len;
    }

    for (; size; size--) {
        ch = *src++;

        switch (ch) {
        case '<':
            dst = wd_cpymem(dst, "&lt;", 4);
            break;
        case '>':
            dst = wd_cpymem(dst, "&gt;", 4);
            break;
        case '&':
            dst = wd_cpymem(dst, "&amp;", 5);
            break;
        case '"':
            dst = wd_cpymem(dst, "&quot;", 6);
            break;
        default:
            *dst++ = ch;
            break;
        }
    }

    return (uintptr_t) dst;
}

/* JSON string escaping: quotes, backslashes and control bytes (other
 * controls as \u00XX, upper-case hex as in nginx). */
uintptr_t
wd_escape_json(u_char *dst, u_char *src, size_t size)
{
    /* upper case, as nginx writes "\u001F" */
    static const u_char hex[] = "0123456789ABCDEF";
    u_char ch;
    wd_uint_t len;

    if (dst == NULL) {
        for (len = 0; size; size--) {
            ch = *src++;

            if (ch == '\\' || ch == '"') {
                len++;

            } else if (ch <= 0x1f) {
                switch (ch) {
                case '\n':
                case '\r':
                case '\t':
                case '\b':
                case '\f':
                    len++;
                    break;
                default:
                    len += sizeof("\\u001F") - 2;
                }
            }
        }
        return (uintptr_t) len;
    }

    for (; size; size--) {
        ch = *src++;

        if (ch > 0x1f) {
            if (ch == '\\' || ch == '"') {
                *dst++ = '\\';
            }
            *dst++ = ch;
            continue;
        }

        *dst++ = '\\';

        switch (ch) {
        case '\n':
            *dst++ = 'n';
            break;
        case '\r':
            *dst++ = 'r';
            break;
        case '\t':
            *dst++ = 't';
            break;
        case '\b':
            *dst++ = 'b';
            break;
        case '\f':
            *dst++ = 'f';
            break;
        default:
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = '0' + (ch >> 4);
            *dst++ = hex[ch & 0xf];
        }
    }

    return (uintptr_t) dst;
}

void
wd_sort(void *base, size_t n, size_t size,
    wd_int_t (*cmp)(const void *, const void *))
{
    u_char *p1, *p2, tmp[256], *buf;

    buf = (size <= sizeof(tmp)) ? tmp : malloc(size);

    if (buf == NULL) {
        return;
    }

    for (p1 = (u_char *) base + size; p1 < (u_char *) base + n * size;
         p1 += size)
    {
        wd_memcpy(buf, p1, size);

        for (p2 = p1; p2 > (u_char *) base && cmp(p2 - size, buf) > 0;
             p2 -= size)
        {
            wd_memcpy(p2, p2 - size, size);
        }

        wd_memcpy(p2, buf, size);
    }

    if (buf != tmp) {
        free(buf);
    }
}

/* strerror() texts of the errnos Linux defines, copied once: strerror()
 * goes through the message catalogue (gettext) on every call, and error
 * lines are written on hot paths (a 404 logs "open() ... failed"). */
#define WD_SYS_NERR 135

static wd_str_t *wd_sys_errlist;
static wd_uint_t wd_sys_errlist_tried;

static void
wd_strerror_init(void)
{
    size_t len;
    wd_err_t err;
    const char *msg;
    wd_str_t *list;

    wd_sys_errlist_tried = 1;

    list = malloc(WD_SYS_NERR * sizeof(wd_str_t));

    if (list == NULL) {
        return;
    }

    for (err = 0; err < WD_SYS_NERR; err++) {
        msg = strerror(err);
        len = strlen(msg);
        list[err].data = malloc(len ? len : 1);

        if (list[err].data == NULL) {
            return;                 /* the rest goes through strerror() */
        }

        list[err].len = len;
        wd_memcpy(list[err].data, msg, len);
    }

    wd_sys_errlist = list;
}

u_char *
wd_strerror(wd_err_t err, u_char *buf, size_t size)
{
    const char *msg;
    size_t len;

    if (!wd_sys_errlist_tried) {
        wd_strerror_init();
    }

    if (wd_sys_errlist && err >= 0 && err < WD_SYS_NERR) {
        len = wd_min(wd_sys_errlist[err].len, size);
        return wd_cpymem(buf, wd_sys_errlist[err].data, len);
    }

    msg = strerror(err);
    len = wd_min(strlen(msg), size);

    return wd_cpymem(buf, msg, len);
}

void
wd_bug(const char *file, int line, const char *cond)
{
    fprintf(stderr, "%s: [alert] assertion \"%s\" failed at %s:%d\n",
            wd_log_program, cond, file, line);
    abort();
}
