/*
 * Unit tests of src/core/wd_string.c: number parsing and formatting,
 * comparisons, base64, UTF-8, and the URI/HTML/JSON escapers.
 */

#include "../wd_unit.h"
#include <errno.h>

/* An exact-size heap copy of text, so ASan sees any read past its end. */
static u_char *
dup_exact(const void *text, size_t len)
{
    u_char *p;

    p = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(p);
    memcpy(p, text, len);

    return p;
}

typedef struct {
    const char *text;
    int64_t want;
} num_case_t;

typedef int64_t (*num_fn_t)(u_char *line, size_t n);

static int64_t
atoi_fn(u_char *line, size_t n)
{
    return wd_atoi(line, n);
}

static int64_t
atosz_fn(u_char *line, size_t n)
{
    return wd_atosz(line, n);
}

static int64_t
atoof_fn(u_char *line, size_t n)
{
    return wd_atoof(line, n);
}

static int64_t
atotm_fn(u_char *line, size_t n)
{
    return wd_atotm(line, n);
}

static int64_t
hextoi_fn(u_char *line, size_t n)
{
    return wd_hextoi(line, n);
}

static void
check_nums(num_fn_t fn, const char *name, const num_case_t *cases, size_t n)
{
    size_t i, len;
    u_char *p;
    int64_t got;

    for (i = 0; i < n; i++) {
        len = strlen(cases[i].text);
        p = dup_exact(cases[i].text, len);
        got = fn(p, len);
        free(p);

        ck_assert_msg(got == cases[i].want, "%s(\"%s\") = %lld, want %lld",
                      name, cases[i].text, (long long) got,
                      (long long) cases[i].want);
    }
}

#define check_all(fn, cases) check_nums(fn, #fn, cases, wd_nelems(cases))

static const num_case_t decimal_cases[] = {
    { "0", 0 },
    { "7", 7 },
    { "123", 123 },
    { "000000000000000000000000000042", 42 },
    { "9223372036854775807", INT64_MAX },
    { "9223372036854775808", -1 },
    { "18446744073709551616", -1 },
    { "99999999999999999999", -1 },
    { "", -1 },
    { "-1", -1 },
    { "+1", -1 },
    { " 1", -1 },
    { "1 ", -1 },
    { "12a", -1 },
    { "0x1", -1 },
    { "1.0", -1 },
};

START_TEST(test_decimal)
{
    check_all(atoi_fn, decimal_cases);
    check_all(atosz_fn, decimal_cases);
    check_all(atoof_fn, decimal_cases);
    check_all(atotm_fn, decimal_cases);

    /* only n bytes are read */
    ck_assert_int_eq(wd_atoi((u_char *) "123abc", 3), 123);
    ck_assert_int_eq(wd_atoi((u_char *) "123", 0), -1);
}
END_TEST

START_TEST(test_hex)
{
    static const num_case_t cases[] = {
        { "0", 0 },
        { "f", 15 },
        { "ff", 255 },
        { "FF", 255 },
        { "aBcD", 0xabcd },
        { "00000000000000000000000001", 1 },
        { "7fffffffffffffff", INT64_MAX },
        { "8000000000000000", -1 },
        { "ffffffffffffffff", -1 },
        { "10000000000000000", -1 },
        { "", -1 },
        { "g", -1 },
        { "0x10", -1 },
        { "-1", -1 },
        { "1 ", -1 },
    };

    check_all(hextoi_fn, cases);
}
END_TEST

START_TEST(test_fixed_point)
{
    static const struct {
        const char *text;
        size_t point;
        int64_t want;
    } cases[] = {
        { "1.5", 3, 1500 },
        { "10.5", 2, 1050 },
        { "0.001", 3, 1 },
        { "1", 2, 100 },
        { "1.", 2, 100 },
        { ".5", 1, 5 },
        { "0", 1, 0 },
        { "1.234", 2, -1 },         /* more decimals than the point */
        { "1.2.3", 2, -1 },
        { "1", 0, -1 },
        { "", 1, -1 },
        { "abc", 1, -1 },
        { "-1.5", 1, -1 },
        { "1,5", 1, -1 },
        { "922337203685477580.7", 1, INT64_MAX },
        { "922337203685477580.8", 1, -1 },
        { "922337203685477581", 1, -1 },
        { "9223372036854775807", 0, -1 },
        { "92233720368547758.07", 2, INT64_MAX },
    };
    size_t i, len;
    u_char *p;
    int64_t got;

    for (i = 0; i < wd_nelems(cases); i++) {
        len = strlen(cases[i].text);
        p = dup_exact(cases[i].text, len);
        got = wd_atofp(p, len, cases[i].point);
        free(p);

        ck_assert_msg(got == cases[i].want, "wd_atofp(\"%s\", %zu) = %lld, "
                      "want %lld", cases[i].text, cases[i].point,
                      (long long) got, (long long) cases[i].want);
    }
}
END_TEST

START_TEST(test_sprint)
{
    u_char buf[64], *p;

    p = wd_sprint_uint(buf, 0);
    ck_assert_mem_eq(buf, "0", 1);
    ck_assert_ptr_eq(p, buf + 1);

    p = wd_sprint_uint(buf, UINT64_MAX);
    ck_assert_uint_eq(p - buf, 20);
    ck_assert_mem_eq(buf, "18446744073709551615", 20);

    p = wd_sprint_int(buf, INT64_MIN);
    ck_assert_uint_eq(p - buf, 20);
    ck_assert_mem_eq(buf, "-9223372036854775808", 20);

    p = wd_sprint_int(buf, -7);
    ck_assert_uint_eq(p - buf, 2);
    ck_assert_mem_eq(buf, "-7", 2);

    p = wd_sprint_uint_pad(buf, 42, 5);
    ck_assert_uint_eq(p - buf, 5);
    ck_assert_mem_eq(buf, "00042", 5);

    /* a value wider than the field keeps its low digits */
    p = wd_sprint_uint_pad(buf, 12345, 3);
    ck_assert_mem_eq(buf, "345", 3);

    p = wd_hex_dump(buf, (u_char *) "\x00\x7f\xff", 3);
    ck_assert_uint_eq(p - buf, 6);
    ck_assert_mem_eq(buf, "007fff", 6);
}
END_TEST

START_TEST(test_slprintf)
{
    u_char buf[8], *p;

    p = wd_slprintf(buf, buf + sizeof(buf), "%d-%s", 12, "ab");
    ck_assert_uint_eq(p - buf, 5);
    ck_assert_mem_eq(buf, "12-ab", 5);

    /* truncated: filled up to last, never past it */
    memset(buf, 'x', sizeof(buf));
    p = wd_slprintf(buf, buf + sizeof(buf), "%s", "0123456789");
    ck_assert_ptr_eq(p, buf + sizeof(buf));
    ck_assert_mem_eq(buf, "01234567", 8);

    /* no room at all */
    p = wd_slprintf(buf, buf, "%s", "abc");
    ck_assert_ptr_eq(p, buf);
}
END_TEST

/* Literal text around conversions, and at the very end of the format. */
START_TEST(test_slprintf_literals)
{
    u_char buf[64], *p;

    p = wd_slprintf(buf, buf + sizeof(buf), "open() \"%s\" failed", "/x");
    ck_assert_int_eq(p - buf, 18);
    ck_assert_int_eq(memcmp(buf, "open() \"/x\" failed", 18), 0);

    p = wd_slprintf(buf, buf + sizeof(buf), "no conversion at all");
    ck_assert_int_eq(p - buf, 20);

    p = wd_slprintf(buf, buf + 5, "abcdefgh%d", 1);
    ck_assert_int_eq(p - buf, 5);
    ck_assert_int_eq(memcmp(buf, "abcde", 5), 0);
}
END_TEST

/* The cached texts are strerror()'s; others still get strerror()'s. */
START_TEST(test_strerror)
{
    int errs[] = { 0, ENOENT, EACCES, ENOSPC, 134, 135, 9999, -1 };
    u_char buf[256], *p;
    char want[256];
    size_t i;

    for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
        /* a copy: strerror() of an unknown errno reuses its buffer */
        snprintf(want, sizeof(want), "%s", strerror(errs[i]));
        p = wd_strerror(errs[i], buf, sizeof(buf));
        ck_assert_int_eq(p - buf, (long) strlen(want));
        ck_assert_int_eq(memcmp(buf, want, p - buf), 0);
    }

    /* cut to the room there is */
    p = wd_strerror(ENOENT, buf, 5);
    ck_assert_int_eq(p - buf, 5);
}
END_TEST

START_TEST(test_compare)
{
    u_char buf[16];
    wd_str_t a = wd_string("abc"), b = wd_string("abd"), c = wd_string("ab");

    wd_strlow(buf, (u_char *) "HeLLo-W0RLD\xc9", 12);
    ck_assert_mem_eq(buf, "hello-w0rld\xc9", 12);

    ck_assert_int_eq(wd_strncasecmp((u_char *) "HeLLo", (u_char *) "hello",
                                    5), 0);
    ck_assert_int_lt(wd_strncasecmp((u_char *) "abc", (u_char *) "ABD", 3),
                     0);
    ck_assert_int_eq(wd_strncasecmp((u_char *) "abc", (u_char *) "ABD", 2),
                     0);
    ck_assert_int_gt(wd_strcasecmp((u_char *) "abcd", (u_char *) "ABC"), 0);
    ck_assert_int_eq(wd_strcasecmp((u_char *) "", (u_char *) ""), 0);

    ck_assert_int_lt(wd_str_cmp(&a, &b), 0);
    ck_assert_int_gt(wd_str_cmp(&a, &c), 0);
    ck_assert_int_lt(wd_str_cmp(&c, &a), 0);
    ck_assert_int_eq(wd_str_cmp(&a, &a), 0);

    ck_assert_ptr_eq(wd_strlcasestrn((u_char *) "xxHeLLoxx",
                                     (u_char *) "xxHeLLoxx" + 9,
                                     (u_char *) "hello", 5),
                     (u_char *) "xxHeLLoxx" + 2);
    ck_assert_ptr_null(wd_strlcasestrn((u_char *) "xxHeLL", (u_char *) "xxHeLL"
                                       + 6, (u_char *) "hello", 5));

    /* '/' sorts before every other byte, so a directory's files group */
    ck_assert_int_lt(wd_filename_cmp((u_char *) "a/b", (u_char *) "a-b", 4),
                     0);
    ck_assert_int_gt(wd_filename_cmp((u_char *) "a.b", (u_char *) "a/b", 4),
                     0);
    ck_assert_int_eq(wd_filename_cmp((u_char *) "same", (u_char *) "same",
                                     10), 0);
    ck_assert_int_lt(wd_filename_cmp((u_char *) "a", (u_char *) "a/", 3), 0);
}
END_TEST

START_TEST(test_cpystrn)
{
    u_char buf[8], *p;

    memset(buf, 'x', sizeof(buf));
    p = wd_cpystrn(buf, (u_char *) "hello world", 6);
    ck_assert_ptr_eq(p, buf + 5);
    ck_assert_str_eq((char *) buf, "hello");

    p = wd_cpystrn(buf, (u_char *) "hi", sizeof(buf));
    ck_assert_ptr_eq(p, buf + 2);
    ck_assert_str_eq((char *) buf, "hi");

    buf[0] = 'z';
    p = wd_cpystrn(buf, (u_char *) "hi", 0);
    ck_assert_ptr_eq(p, buf);
    ck_assert_uint_eq(buf[0], 'z');
}
END_TEST

typedef struct {
    int key;
    int order;
} sort_item_t;

static wd_int_t
sort_cmp(const void *a, const void *b)
{
    return ((const sort_item_t *) a)->key - ((const sort_item_t *) b)->key;
}

START_TEST(test_sort_is_stable)
{
    sort_item_t items[100];
    int i;

    for (i = 0; i < 100; i++) {
        items[i].key = (i * 37) % 10;
        items[i].order = i;
    }

    wd_sort(items, 100, sizeof(sort_item_t), sort_cmp);

    for (i = 1; i < 100; i++) {
        ck_assert_int_le(items[i - 1].key, items[i].key);

        if (items[i - 1].key == items[i].key) {
            ck_assert_int_lt(items[i - 1].order, items[i].order);
        }
    }
}
END_TEST


/* ---- base64 --------------------------------------------------------- */

static char *
b64(const char *src, size_t len, wd_uint_t url)
{
    static char out[512];
    wd_str_t s, d;

    s.data = dup_exact(src, len);
    s.len = len;
    d.data = (u_char *) out;

    if (url) {
        wd_encode_base64url(&d, &s);
    } else {
        wd_encode_base64(&d, &s);
    }

    free(s.data);
    out[d.len] = '\0';

    if (!url) {
        ck_assert_uint_eq(d.len, wd_base64_encoded_length(len));
    }

    return out;
}

/* Decodes text; returns the length, or -1 for WD_ERROR. */
static ssize_t
unb64(const char *text, u_char *out, wd_uint_t url)
{
    wd_str_t s, d;
    wd_int_t rc;

    s.len = strlen(text);
    s.data = dup_exact(text, s.len);
    d.data = out;
    d.len = 0;

    rc = url ? wd_decode_base64url(&d, &s) : wd_decode_base64(&d, &s);
    free(s.data);

    if (rc != WD_OK) {
        return -1;
    }

    ck_assert_uint_le(d.len, wd_base64_decoded_length(s.len));

    return (ssize_t) d.len;
}

START_TEST(test_base64_vectors)
{
    u_char out[64];

    /* RFC 4648, section 10 */
    ck_assert_str_eq(b64("", 0, 0), "");
    ck_assert_str_eq(b64("f", 1, 0), "Zg==");
    ck_assert_str_eq(b64("fo", 2, 0), "Zm8=");
    ck_assert_str_eq(b64("foo", 3, 0), "Zm9v");
    ck_assert_str_eq(b64("foob", 4, 0), "Zm9vYg==");
    ck_assert_str_eq(b64("fooba", 5, 0), "Zm9vYmE=");
    ck_assert_str_eq(b64("foobar", 6, 0), "Zm9vYmFy");

    ck_assert_str_eq(b64("\xfb\xff", 2, 0), "+/8=");
    ck_assert_str_eq(b64("\xfb\xff", 2, 1), "-_8");
    ck_assert_str_eq(b64("f", 1, 1), "Zg");
    ck_assert_str_eq(b64("\0\0\0", 3, 0), "AAAA");

    ck_assert_int_eq(unb64("Zm9vYmFy", out, 0), 6);
    ck_assert_mem_eq(out, "foobar", 6);
    ck_assert_int_eq(unb64("Zm9vYg==", out, 0), 4);
    ck_assert_mem_eq(out, "foob", 4);
    ck_assert_int_eq(unb64("Zm9vYg", out, 0), 4);
    ck_assert_int_eq(unb64("Zg", out, 0), 1);
    ck_assert_mem_eq(out, "f", 1);
    ck_assert_int_eq(unb64("", out, 0), 0);
    ck_assert_int_eq(unb64("-_8", out, 1), 2);
    ck_assert_mem_eq(out, "\xfb\xff", 2);
    ck_assert_int_eq(unb64("+/8=", out, 0), 2);
    ck_assert_mem_eq(out, "\xfb\xff", 2);

    /* as in nginx: decoding stops at the first '=' */
    ck_assert_int_eq(unb64("Zm9vYg=x", out, 0), 4);
}
END_TEST

START_TEST(test_base64_invalid)
{
    u_char out[64];

    ck_assert_int_eq(unb64("Z", out, 0), -1);
    ck_assert_int_eq(unb64("Zm9vY", out, 0), -1);
    ck_assert_int_eq(unb64("Zm9v!", out, 0), -1);
    ck_assert_int_eq(unb64("Zm 9v", out, 0), -1);
    ck_assert_int_eq(unb64("Zm9v\n", out, 0), -1);
    ck_assert_int_eq(unb64("-_8", out, 0), -1);
    ck_assert_int_eq(unb64("+/8", out, 1), -1);
    ck_assert_int_eq(unb64("\xff\xff", out, 0), -1);
}
END_TEST

START_TEST(test_base64_round_trip)
{
    u_char src[300], enc[400], dec[300];
    wd_str_t s, e, d;
    size_t len, i;
    wd_uint_t url;

    for (i = 0; i < sizeof(src); i++) {
        src[i] = (u_char) (i * 131 + 7);
    }

    for (url = 0; url < 2; url++) {
        for (len = 0; len < sizeof(src); len++) {
            s.data = src;
            s.len = len;
            e.data = enc;
            d.data = dec;

            if (url) {
                wd_encode_base64url(&e, &s);
                ck_assert_int_eq(wd_decode_base64url(&d, &e), WD_OK);
            } else {
                wd_encode_base64(&e, &s);
                ck_assert_int_eq(wd_decode_base64(&d, &e), WD_OK);
            }

            ck_assert_uint_eq(d.len, len);
            ck_assert_mem_eq(dec, src, len);
        }
    }
}
END_TEST


/* ---- UTF-8 ---------------------------------------------------------- */

static uint32_t
utf8(const char *bytes, size_t n, size_t *used)
{
    u_char *copy, *p;
    uint32_t c;

    copy = dup_exact(bytes, n);
    p = copy;
    c = wd_utf8_decode(&p, n);
    *used = p - copy;
    free(copy);

    return c;
}

START_TEST(test_utf8_decode)
{
    size_t used;

    ck_assert_uint_eq(utf8("\xc3\xa9", 2, &used), 0xe9);
    ck_assert_uint_eq(used, 2);
    ck_assert_uint_eq(utf8("\xe2\x82\xac", 3, &used), 0x20ac);
    ck_assert_uint_eq(used, 3);
    ck_assert_uint_eq(utf8("\xf0\x9f\x98\x80", 4, &used), 0x1f600);
    ck_assert_uint_eq(used, 4);
    ck_assert_uint_eq(utf8("\xf4\x8f\xbf\xbf", 4, &used), 0x10ffff);
    ck_assert_uint_eq(utf8("\xc2\x80", 2, &used), 0x80);

    /* overlong forms, beyond U+10FFFF, stray and bad continuations */
    ck_assert_uint_eq(utf8("\xc0\x80", 2, &used), 0xffffffff);
    ck_assert_uint_eq(used, 1);
    ck_assert_uint_eq(utf8("\xc1\xbf", 2, &used), 0xffffffff);
    ck_assert_uint_eq(utf8("\xe0\x80\x80", 3, &used), 0xffffffff);
    ck_assert_uint_eq(utf8("\xe0\x9f\xbf", 3, &used), 0xffffffff);
    ck_assert_uint_eq(utf8("\xf0\x8f\xbf\xbf", 4, &used), 0xffffffff);
    ck_assert_uint_eq(utf8("\xf4\x90\x80\x80", 4, &used), 0xffffffff);
    ck_assert_uint_eq(utf8("\xf5\x80\x80\x80", 4, &used), 0xffffffff);
    ck_assert_uint_eq(utf8("\xff\x80\x80\x80", 4, &used), 0xffffffff);
    ck_assert_uint_eq(utf8("\x80", 1, &used), 0xffffffff);
    ck_assert_uint_eq(used, 1);
    ck_assert_uint_eq(utf8("\xc3\x28", 2, &used), 0xffffffff);
    ck_assert_uint_eq(utf8("\xe2\x82\xc0", 3, &used), 0xffffffff);

    /* truncated: nothing is consumed, and nothing read past n */
    ck_assert_uint_eq(utf8("\xe2\x82", 2, &used), 0xfffffffe);
    ck_assert_uint_eq(used, 0);
    ck_assert_uint_eq(utf8("\xf0\x9f\x98", 3, &used), 0xfffffffe);
    ck_assert_uint_eq(utf8("\xc3", 1, &used), 0xfffffffe);
}
END_TEST

START_TEST(test_utf8_length)
{
    u_char *p;

#define utf8_len(s) (p = dup_exact(s, sizeof(s) - 1),                          \
                     len_ = wd_utf8_length(p, sizeof(s) - 1), free(p), len_)
    size_t len_;

    ck_assert_uint_eq(utf8_len(""), 0);
    ck_assert_uint_eq(utf8_len("abc"), 3);
    ck_assert_uint_eq(utf8_len("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 4);
    /* invalid or truncated: the byte length */
    ck_assert_uint_eq(utf8_len("a\xff"), 2);
    ck_assert_uint_eq(utf8_len("ab\xe2\x82"), 4);
    ck_assert_uint_eq(utf8_len("\xc0\x80xyz"), 5);
#undef utf8_len
}
END_TEST


/* ---- escaping ------------------------------------------------------- */

/* Escapes with wd_escape_uri into a fresh string (count checked). */
static char *
escape(const char *src, size_t len, wd_uint_t type)
{
    u_char *copy, *end;
    char *out;
    uintptr_t n;

    copy = dup_exact(src, len);
    n = wd_escape_uri(NULL, copy, len, type);
    out = malloc(len + 2 * n + 1);
    ck_assert_ptr_nonnull(out);

    end = (u_char *) wd_escape_uri((u_char *) out, copy, len, type);
    ck_assert_uint_eq(end - (u_char *) out, len + 2 * n);
    *end = '\0';
    free(copy);

    return out;
}

static const wd_uint_t all_kinds[] = {
    WD_ESCAPE_URI, WD_ESCAPE_ARGS, WD_ESCAPE_URI_COMPONENT, WD_ESCAPE_HTML,
    WD_ESCAPE_REFRESH, WD_ESCAPE_MEMCACHED, WD_ESCAPE_MAIL_AUTH
};

START_TEST(test_escape_uri_classes)
{
    char *s;

    s = escape("/a b?c=d&e#f%", 13, WD_ESCAPE_URI);
    ck_assert_str_eq(s, "/a%20b%3Fc=d&e%23f%25");
    free(s);

    s = escape("/a b?c=d&e#f%+", 14, WD_ESCAPE_ARGS);
    ck_assert_str_eq(s, "/a%20b?c%3Dd%26e%23f%25%2B");
    free(s);

    s = escape("/a b?c=d&e~._-", 14, WD_ESCAPE_URI_COMPONENT);
    ck_assert_str_eq(s, "%2Fa%20b%3Fc%3Dd%26e~._-");
    free(s);

    s = escape("/a b\"<>%#", 9, WD_ESCAPE_HTML);
    ck_assert_str_eq(s, "/a%20b%22%3C%3E%#");
    free(s);

    s = escape("a b\"'<>%", 8, WD_ESCAPE_REFRESH);
    ck_assert_str_eq(s, "a%20b%22%27%3C%3E%");
    free(s);

    s = escape("k y\t%\x7f\xc3", 7, WD_ESCAPE_MEMCACHED);
    ck_assert_str_eq(s, "k%20y%09%25%7F%C3");
    free(s);

    s = escape("user pass", 9, WD_ESCAPE_MAIL_AUTH);
    ck_assert_str_eq(s, "user%20pass");
    free(s);

    s = escape("", 0, WD_ESCAPE_URI);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(test_escape_controls_always)
{
    u_char c;
    char *s;
    size_t k;

    /* whatever the kind, controls, space, DEL and 8-bit bytes are escaped
     * and unreserved characters are not */
    for (k = 0; k < wd_nelems(all_kinds); k++) {
        for (c = 0; ; c++) {
            s = escape((char *) &c, 1, all_kinds[k]);

            if (c <= 0x20 || c >= 0x7f) {
                ck_assert_msg(s[0] == '%' && strlen(s) == 3,
                              "kind %lu byte 0x%02x", (unsigned long)
                              all_kinds[k], c);

            } else if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
                              "uvwxyz0123456789-._~", c))
            {
                ck_assert_msg(s[0] == c && s[1] == '\0', "kind %lu byte %c",
                              (unsigned long) all_kinds[k], c);
            }

            free(s);

            if (c == 0xff) {
                break;
            }
        }
    }
}
END_TEST

START_TEST(test_escape_unescape_round_trip)
{
    static const wd_uint_t kinds[] = {
        WD_ESCAPE_URI, WD_ESCAPE_ARGS, WD_ESCAPE_URI_COMPONENT,
        WD_ESCAPE_MEMCACHED, WD_ESCAPE_MAIL_AUTH
    };
    u_char all[256], out[256], *src, *dst;
    size_t i, k, len;
    char *s;

    for (i = 0; i < 256; i++) {
        all[i] = (u_char) i;
    }

    /* kinds that escape '%' come back exactly through unescape */
    for (k = 0; k < wd_nelems(kinds); k++) {
        s = escape((char *) all, 256, kinds[k]);
        len = strlen(s);
        src = (u_char *) s;
        dst = out;
        wd_unescape_uri(&dst, &src, len, 0);

        ck_assert_uint_eq(dst - out, 256);
        ck_assert_mem_eq(out, all, 256);
        ck_assert_ptr_eq(src, (u_char *) s + len);
        free(s);
    }
}
END_TEST

static char *
unescape(const char *src, wd_uint_t type)
{
    static char out[256];
    u_char *copy, *s, *d;
    size_t len;

    len = strlen(src);
    copy = dup_exact(src, len);
    s = copy;
    d = (u_char *) out;

    wd_unescape_uri(&d, &s, len, type);
    ck_assert_ptr_eq(s, copy + len);
    *d = '\0';
    free(copy);

    return out;
}

START_TEST(test_unescape)
{
    ck_assert_str_eq(unescape("a%20b", 0), "a b");
    ck_assert_str_eq(unescape("%2f%2F%41", 0), "//A");
    ck_assert_str_eq(unescape("%zz%4", 0), "%zz%4");
    ck_assert_str_eq(unescape("%", 0), "%");
    ck_assert_str_eq(unescape("%%41", 0), "%A");
    ck_assert_str_eq(unescape("a?b%20", 0), "a?b ");

    /* bug: without a '?' the URI and redirect kinds copied on past the
     * end of the input (the byte count wrapped around) */
    ck_assert_str_eq(unescape("/a%20b", WD_UNESCAPE_URI), "/a b");
    ck_assert_str_eq(unescape("/a%41", WD_UNESCAPE_REDIRECT), "/aA");
    ck_assert_str_eq(unescape("", WD_UNESCAPE_URI), "");

    /* a URI: decoding stops at the query, which is copied as it is */
    ck_assert_str_eq(unescape("/a%20b?x=%20", WD_UNESCAPE_URI),
                     "/a b?x=%20");
    ck_assert_str_eq(unescape("/a%3Fb%20", WD_UNESCAPE_URI), "/a?b%20");

    /* a redirect keeps what is unsafe in a Location header encoded */
    ck_assert_str_eq(unescape("/a%0D%0Ab%41", WD_UNESCAPE_REDIRECT),
                     "/a%0D%0AbA");
    ck_assert_str_eq(unescape("/a%3Fb?c%41", WD_UNESCAPE_REDIRECT),
                     "/a%3Fb?c%41");
    ck_assert_str_eq(unescape("%20%7F%80", WD_UNESCAPE_REDIRECT),
                     "%20%7F%80");
}
END_TEST

static char *
html(const char *src)
{
    static char out[512];
    u_char *copy, *end;
    size_t len;
    uintptr_t extra;

    len = strlen(src);
    copy = dup_exact(src, len);
    extra = wd_escape_html(NULL, copy, len);
    end = (u_char *) wd_escape_html((u_char *) out, copy, len);
    ck_assert_uint_eq(end - (u_char *) out, len + extra);
    *end = '\0';
    free(copy);

    return out;
}

static char *
json(const char *src, size_t len)
{
    static char out[512];
    u_char *copy, *end;
    uintptr_t extra;

    copy = dup_exact(src, len);
    extra = wd_escape_json(NULL, copy, len);
    end = (u_char *) wd_escape_json((u_char *) out, copy, len);
    ck_assert_uint_eq(end - (u_char *) out, len + extra);
    *end = '\0';
    free(copy);

    return out;
}

START_TEST(test_escape_html)
{
    ck_assert_str_eq(html("<a href=\"x\">&amp;</a>"),
                     "&lt;a href=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt;");
    ck_assert_str_eq(html("plain 'text' \xc3\xa9"), "plain 'text' \xc3\xa9");
    ck_assert_str_eq(html(""), "");
}
END_TEST

START_TEST(test_escape_json)
{
    ck_assert_str_eq(json("a\"b\\c", 5), "a\\\"b\\\\c");
    ck_assert_str_eq(json("\n\r\t\b\f", 5), "\\n\\r\\t\\b\\f");
    /* upper-case hex, as nginx writes it */
    ck_assert_str_eq(json("\x01\x1f\0", 3), "\\u0001\\u001F\\u0000");
    ck_assert_str_eq(json("/\x7f\xc3\xa9 ", 5), "/\x7f\xc3\xa9 ");
    ck_assert_str_eq(json("", 0), "");
}
END_TEST

static Suite *
string_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_string");

    tc = tcase_create("numbers");
    tcase_add_test(tc, test_decimal);
    tcase_add_test(tc, test_hex);
    tcase_add_test(tc, test_fixed_point);
    tcase_add_test(tc, test_sprint);
    tcase_add_test(tc, test_slprintf);
    tcase_add_test(tc, test_slprintf_literals);
    tcase_add_test(tc, test_strerror);
    suite_add_tcase(s, tc);

    tc = tcase_create("strings");
    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_cpystrn);
    tcase_add_test(tc, test_sort_is_stable);
    suite_add_tcase(s, tc);

    tc = tcase_create("base64");
    tcase_add_test(tc, test_base64_vectors);
    tcase_add_test(tc, test_base64_invalid);
    tcase_add_test(tc, test_base64_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("utf8");
    tcase_add_test(tc, test_utf8_decode);
    tcase_add_test(tc, test_utf8_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("escape");
    tcase_add_test(tc, test_escape_uri_classes);
    tcase_add_test(tc, test_escape_controls_always);
    tcase_add_test(tc, test_escape_unescape_round_trip);
    tcase_add_test(tc, test_unescape);
    tcase_add_test(tc, test_escape_html);
    tcase_add_test(tc, test_escape_json);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(string_suite)
