/*
 * Length-counted strings and the byte helpers the parsers use.
 */

#ifndef WD_STRING_H
#define WD_STRING_H

typedef struct {
    size_t len;
    u_char *data;
} wd_str_t;

typedef struct {
    wd_str_t key;
    wd_str_t value;
} wd_keyval_t;

#define wd_string(str) { sizeof(str) - 1, (u_char *) str }
#define wd_null_string { 0, NULL }
#define wd_str_set(str, text)                                                  \
    (str)->len = sizeof(text) - 1;                                             \
    (str)->data = (u_char *) text
#define wd_str_null(str)                                                       \
    (str)->len = 0;                                                            \
    (str)->data = NULL

/* Formats a wd_str_t for printf: printf("%.*s", wd_str_fmt(s)). */
#define wd_str_fmt(s) (int) (s)->len, (const char *) (s)->data

#define wd_tolower(c) (u_char) ((c >= 'A' && c <= 'Z') ? (c | 0x20) : c)
#define wd_toupper(c) (u_char) ((c >= 'a' && c <= 'z') ? (c & ~0x20) : c)

#define wd_strncmp(s1, s2, n) strncmp((const char *) s1, (const char *) s2, n)
#define wd_strcmp(s1, s2) strcmp((const char *) s1, (const char *) s2)
#define wd_strstr(s1, s2) strstr((const char *) s1, (const char *) s2)
#define wd_strlen(s) strlen((const char *) s)
#define wd_strnlen(s, n) strnlen((const char *) s, n)
#define wd_strchr(s1, c) strchr((const char *) s1, (int) c)
#define wd_memzero(buf, n) (void) memset(buf, 0, n)
#define wd_memset(buf, c, n) (void) memset(buf, c, n)
#define wd_memcpy(dst, src, n) (void) memcpy(dst, src, n)
#define wd_cpymem(dst, src, n) (((u_char *) memcpy(dst, src, n)) + (n))
#define wd_memmove(dst, src, n) (void) memmove(dst, src, n)
#define wd_memcmp(s1, s2, n) memcmp((const char *) s1, (const char *) s2, n)

/* True when s equals the literal (case-sensitive / case-insensitive). */
#define wd_str_eq(s, lit)                                                      \
    ((s)->len == sizeof(lit) - 1 && wd_memcmp((s)->data, lit, (s)->len) == 0)
#define wd_str_caseeq(s, lit)                                                  \
    ((s)->len == sizeof(lit) - 1                                               \
     && wd_strncasecmp((s)->data, (u_char *) lit, (s)->len) == 0)

static inline u_char *
wd_strlchr(u_char *p, u_char *last, u_char c)
{
    return memchr(p, c, last - p);
}

void wd_strlow(u_char *dst, u_char *src, size_t n);
u_char *wd_cpystrn(u_char *dst, u_char *src, size_t n);
wd_int_t wd_strncasecmp(u_char *s1, u_char *s2, size_t n);
wd_int_t wd_strcasecmp(u_char *s1, u_char *s2);
wd_int_t wd_str_cmp(wd_str_t *s1, wd_str_t *s2);
u_char *wd_strlcasestrn(u_char *s1, u_char *last, u_char *s2, size_t n);
wd_int_t wd_filename_cmp(u_char *s1, u_char *s2, size_t n);

/* Numbers from decimal text; -1 (WD_ERROR) on empty, bad or overflowing
 * input.  wd_hextoi takes hex digits. */
wd_int_t wd_atoi(u_char *line, size_t n);
ssize_t wd_atosz(u_char *line, size_t n);
off_t wd_atoof(u_char *line, size_t n);
time_t wd_atotm(u_char *line, size_t n);
wd_int_t wd_hextoi(u_char *line, size_t n);
/* Fixed-point "1.5" → 1500 with point=3; -1 on error. */
wd_int_t wd_atofp(u_char *line, size_t n, size_t point);

/* Decimal text of a number at dst; returns the end.  No allocation, no
 * locale: these are the hot-path formatters. */
u_char *wd_sprint_uint(u_char *dst, uint64_t n);
u_char *wd_sprint_int(u_char *dst, int64_t n);
/* Lowercase hexadecimal, no padding. */
u_char *wd_sprint_hex(u_char *dst, uint64_t n);
/* Zero-padded to width digits. */
u_char *wd_sprint_uint_pad(u_char *dst, uint64_t n, size_t width);
u_char *wd_hex_dump(u_char *dst, u_char *src, size_t len);

/* snprintf into [buf, last) returning the end (never past last). */
u_char *wd_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
    wd_printf_like(3, 4);
u_char *wd_vslprintf(u_char *buf, u_char *last, const char *fmt,
    va_list args);

size_t wd_base64_encoded_length(size_t len);
size_t wd_base64_decoded_length(size_t len);
void wd_encode_base64(wd_str_t *dst, wd_str_t *src);
void wd_encode_base64url(wd_str_t *dst, wd_str_t *src);
wd_int_t wd_decode_base64(wd_str_t *dst, wd_str_t *src);
wd_int_t wd_decode_base64url(wd_str_t *dst, wd_str_t *src);

uint32_t wd_utf8_decode(u_char **p, size_t n);
size_t wd_utf8_length(u_char *p, size_t n);

/* Escape kinds for wd_escape_uri. */
#define WD_ESCAPE_URI 0
#define WD_ESCAPE_ARGS 1
#define WD_ESCAPE_URI_COMPONENT 2
#define WD_ESCAPE_HTML 3
#define WD_ESCAPE_REFRESH 4
#define WD_ESCAPE_MEMCACHED 5
#define WD_ESCAPE_MAIL_AUTH 6

/* With dst NULL returns the number of bytes that need escaping;
 * otherwise writes the escaped text and returns the end (as a uintptr_t). */
uintptr_t wd_escape_uri(u_char *dst, u_char *src, size_t size,
    wd_uint_t type);

#define WD_UNESCAPE_URI 1
#define WD_UNESCAPE_REDIRECT 2
void wd_unescape_uri(u_char **dst, u_char **src, size_t size, wd_uint_t type);

uintptr_t wd_escape_html(u_char *dst, u_char *src, size_t size);
uintptr_t wd_escape_json(u_char *dst, u_char *src, size_t size);

/* Sorts n elements with a stable insertion sort (small arrays only). */
void wd_sort(void *base, size_t n, size_t size,
    wd_int_t (*cmp)(const void *, const void *));
#define wd_qsort qsort

#endif /* WD_STRING_H */
