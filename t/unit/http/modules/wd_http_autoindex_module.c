/*
 * Unit tests of wd_http_autoindex_listing() (src/http/modules/
 * wd_http_autoindex_module.c): the four formats, the HTML name column
 * measured in bytes and, as nginx does when the response's charset is
 * UTF-8, in characters, the rounded sizes, the dates, the order, and the
 * buffers the listing is written into.  The expected texts were recorded
 * from nginx 1.22 ("charset utf-8;" for the UTF-8 ones).
 */

#include <check.h>

#include <wd_core.h>
#include <wd_http_autoindex.h>

#if !(WD_HAVE_HTTP_AUTOINDEX)

int
main(void)
{
    printf("built --without-http_autoindex: nothing to test\n");
    return EXIT_SUCCESS;
}

#else

#define T 1577934245            /* 2020-01-02 03:04:05 UTC */
#define D "02-Jan-2020 03:04"

/* A growing text, for expected and actual listings. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
} text_t;

/* What the texts and repeat() allocated, freed after each test. */
static char *garbage[8192];
static size_t ngarbage;

static char *
keep(char *p)
{
    ck_assert_uint_lt(ngarbage, wd_nelems(garbage));
    garbage[ngarbage++] = p;

    return p;
}

static void
collect(void)
{
    while (ngarbage) {
        free(garbage[--ngarbage]);
    }
}

static void
put_n(text_t *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        ck_assert_ptr_nonnull(t->p);
    }

    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void
put(text_t *t, const char *s)
{
    put_n(t, s, strlen(s));
}

static void
rep(text_t *t, const char *s, int n)
{
    while (n-- > 0) {
        put(t, s);
    }
}

static char *
repeat(const char *s, int n)
{
    text_t t = { NULL, 0, 0 };

    put(&t, "");
    rep(&t, s, n);

    return keep(t.p);
}

/* An HTML line: the link, the text, pad spaces, the date and a size
 * field of 19 ("-" for a directory). */
static void
line(text_t *t, const char *href, const char *text, int pad,
    const char *size)
{
    char field[32];

    put(t, "<a href=\"");
    put(t, href);
    put(t, "\">");
    put(t, text);
    put(t, "</a>");
    rep(t, " ", pad);
    put(t, D);
    snprintf(field, sizeof(field), " %19s\r\n", size);
    put(t, field);
}

static void
head(text_t *t, const char *uri)
{
    put(t, "<html>\r\n<head><title>Index of ");
    put(t, uri);
    put(t, "</title></head>\r\n<body>\r\n<h1>Index of ");
    put(t, uri);
    put(t, "</h1><hr><pre><a href=\"../\">../</a>\r\n");
}

static const char *foot = "</pre><hr></body>\r\n</html>\r\n";

static void
add(wd_pool_t *pool, wd_array_t *entries, const char *name, off_t size,
    int type)
{
    wd_http_autoindex_entry_t *e;

    e = wd_array_push(entries);
    ck_assert_ptr_nonnull(e);

    e->name.len = strlen(name);
    e->name.data = wd_pnalloc(pool, e->name.len + 1);
    ck_assert_ptr_nonnull(e->name.data);
    memcpy(e->name.data, name, e->name.len + 1);
    e->mtime = T;
    e->size = size;
    e->dir = (type == 'd');
    e->file = (type == 'f');
}

/* The listing as one text; checks the chain's buffers on the way. */
static text_t
listing(wd_pool_t *pool, const char *uri, wd_http_autoindex_opts_t *opts,
    wd_array_t *entries)
{
    wd_str_t u;
    wd_chain_t *cl, *out;
    text_t t = { NULL, 0, 0 };

    u.data = (u_char *) uri;
    u.len = strlen(uri);

    out = wd_http_autoindex_listing(pool, &u, opts, entries);
    ck_assert_ptr_nonnull(out);

    put(&t, "");

    for (cl = out; cl; cl = cl->next) {
        ck_assert(cl->buf->temporary);
        ck_assert_uint_eq(cl->buf->last_in_chain, cl->next == NULL);
        ck_assert_uint_eq(cl->buf->last_buf, 0);
        put_n(&t, (char *) cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    keep(t.p);

    return t;
}

static void
init(wd_pool_t **pool, wd_array_t *entries, wd_http_autoindex_opts_t *opts)
{
    *pool = wd_create_pool(1024, NULL);
    ck_assert_ptr_nonnull(*pool);
    ck_assert_int_eq(wd_array_init(entries, *pool, 4,
                                   sizeof(wd_http_autoindex_entry_t)),
                     WD_OK);
    memset(opts, 0, sizeof(wd_http_autoindex_opts_t));
    opts->format = WD_HTTP_AUTOINDEX_HTML;
    opts->exact_size = 1;
}

/* "Ünïcødé-日本語": 11 characters in 21 bytes */
#define U8_UNICODE                                                             \
    "\xc3\x9c" "n" "\xc3\xaf" "c" "\xc3\xb8" "d" "\xc3\xa9" "-"             \
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
#define U8_UNICODE_HREF                                                        \
    "%C3%9Cn%C3%AFc%C3%B8d%C3%A9-%E6%97%A5%E6%9C%AC%E8%AA%9E"

/* Names at the edges of the 50-column field, several of them not ASCII
 * or not UTF-8. */
static void
add_u8(wd_pool_t *pool, wd_array_t *entries)
{
    add(pool, entries, repeat("\xc3\xa9", 48), 0, 'd');
    add(pool, entries, repeat("\xc3\xa9", 49), 0, 'd');
    add(pool, entries, repeat("\xc3\xa9", 50), 0, 'd');
    add(pool, entries, repeat("\xc3\xa9", 51), 0, 'f');
    add(pool, entries,
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9yyyyyy", 0,
        'f');
    add(pool, entries, repeat("bad\xff", 20), 0, 'f');
    add(pool, entries, repeat("ab\xff" "cd", 5), 0, 'f');
    add(pool, entries, repeat("\xe6\x97\xa5", 60), 0, 'f');
    add(pool, entries, "caf\xc3\xa9", 0, 'f');
    add(pool, entries, U8_UNICODE, 0, 'f');
}

/* The u8 listing; utf8: as nginx with "charset utf-8", else in bytes. */
static void
want_u8(text_t *t, int utf8)
{
    char *cut_e = utf8 ? NULL : repeat("\xc3\xa9", 23);
    char href[1024], text[1024];
    int i;

    head(t, utf8 ? "/u8/" : "/on/u8/");

    for (i = 48; i <= 50; i++) {
        snprintf(href, sizeof(href), "%s/", repeat("%C3%A9", i));

        if (utf8) {
            snprintf(text, sizeof(text), "%s%s", repeat("\xc3\xa9", i),
                     i < 50 ? "/" : "");
            line(t, href, text, i < 49 ? 2 : 1, "-");

        } else {
            snprintf(text, sizeof(text), "%s\xc3..&gt;", cut_e);
            line(t, href, text, 1, "-");
        }
    }

    line(t, repeat("ab%FFcd", 5), repeat("ab\xff" "cd", 5), 26, "0");
    snprintf(text, sizeof(text), "%sbad..&gt;", repeat("bad\xff", 11));
    line(t, repeat("bad%FF", 20), text, 1, "0");
    line(t, "caf%C3%A9", "caf\xc3\xa9", utf8 ? 47 : 46, "0");
    line(t, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx%C3%A9yyyyyy",
         utf8 ? "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9y..&gt;"
              : "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9..&gt;",
         1, "0");
    line(t, U8_UNICODE_HREF, U8_UNICODE, utf8 ? 40 : 30, "0");

    if (utf8) {
        snprintf(text, sizeof(text), "%s..&gt;", repeat("\xc3\xa9", 47));
    } else {
        snprintf(text, sizeof(text), "%s\xc3..&gt;", cut_e);
    }

    line(t, repeat("%C3%A9", 51), text, 1, "0");

    if (utf8) {
        snprintf(text, sizeof(text), "%s..&gt;", repeat("\xe6\x97\xa5", 47));
    } else {
        snprintf(text, sizeof(text), "%s\xe6\x97..&gt;",
                 repeat("\xe6\x97\xa5", 15));
    }

    line(t, repeat("%E6%97%A5", 60), text, 1, "0");
    put(t, foot);
}

START_TEST(html_names)
{
    text_t got, want = { NULL, 0, 0 };
    wd_pool_t *pool;
    wd_array_t entries;
    wd_http_autoindex_opts_t opts;

    init(&pool, &entries, &opts);
    add_u8(pool, &entries);
    opts.utf8 = _i;

    got = listing(pool, _i ? "/u8/" : "/on/u8/", &opts, &entries);
    want_u8(&want, _i);
    ck_assert_str_eq(got.p, keep(want.p));

    wd_destroy_pool(pool);
    collect();
}
END_TEST

/* Every size at the edges of K, M and G, rounded and exact. */
START_TEST(html_sizes)
{
    static const struct {
        off_t size;
        const char *rounded;
    } sizes[] = {
        { 0, "0" }, { 1, "1" }, { 1023, "1023" }, { 1024, "1024" },
        { 9999, "9999" }, { 10000, "10K" }, { 10239, "10K" },
        { 10751, "10K" }, { 10752, "11K" }, { 1048575, "1024K" },
        { 1048576, "1M" }, { 1572863, "1M" }, { 1572864, "2M" },
        { 1073741823, "1024M" }, { 1073741824, "1G" },
        { 1610612735, "1G" }, { 1610612736, "2G" },
        { 5368709120LL, "5G" }, { 1500000000000LL, "1397G" },
        { 9223372036854775807LL, "8589934592G" }
    };
    char name[32], want[64], *p, *end;
    size_t i;
    text_t got;
    wd_pool_t *pool;
    wd_array_t entries;
    wd_http_autoindex_opts_t opts;

    init(&pool, &entries, &opts);
    opts.exact_size = _i;

    for (i = 0; i < wd_nelems(sizes); i++) {
        snprintf(name, sizeof(name), "s%02d", (int) i);
        add(pool, &entries, name, sizes[i].size, 'f');
    }

    add(pool, &entries, "dir", 4096, 'd');
    got = listing(pool, "/", &opts, &entries);

    p = strstr(got.p, "<a href=\"dir/\">dir/</a>");
    ck_assert_ptr_nonnull(p);
    snprintf(want, sizeof(want), D " %*s\r\n", _i ? 19 : 7, "-");
    ck_assert(strncmp(p + 23 + 47, want, strlen(want)) == 0);

    for (i = 0; i < wd_nelems(sizes); i++) {
        snprintf(name, sizeof(name), "\">s%02d</a>", (int) i);
        p = strstr(got.p, name);
        ck_assert_ptr_nonnull(p);
        p += strlen(name) + 48;
        end = strstr(p, "\r\n");

        if (_i) {
            snprintf(want, sizeof(want), D " %19lld",
                     (long long) sizes[i].size);

        } else {
            snprintf(want, sizeof(want), D " %7s", sizes[i].rounded);
        }

        ck_assert_msg((size_t) (end - p) == strlen(want)
                          && strncmp(p, want, end - p) == 0,
                      "size %lld: \"%.*s\", not \"%s\"",
                      (long long) sizes[i].size, (int) (end - p), p, want);
    }

    wd_destroy_pool(pool);
    collect();
}
END_TEST

/* HTML dates in local time on request; XML and JSON always in UTC. */
START_TEST(dates)
{
    text_t got;
    wd_pool_t *pool;
    wd_array_t entries;
    wd_http_autoindex_opts_t opts;

    setenv("TZ", "Asia/Kolkata", 1);
    tzset();

    init(&pool, &entries, &opts);
    add(pool, &entries, "a", 1, 'f');
    opts.localtime = 1;

    got = listing(pool, "/", &opts, &entries);
    ck_assert_ptr_nonnull(strstr(got.p, " 02-Jan-2020 08:34 "));

    opts.localtime = 0;
    got = listing(pool, "/", &opts, &entries);
    ck_assert_ptr_nonnull(strstr(got.p, " 02-Jan-2020 03:04 "));

    opts.localtime = 1;
    opts.format = WD_HTTP_AUTOINDEX_XML;
    got = listing(pool, "/", &opts, &entries);
    ck_assert_ptr_nonnull(strstr(got.p, "mtime=\"2020-01-02T03:04:05Z\""));

    opts.format = WD_HTTP_AUTOINDEX_JSON;
    got = listing(pool, "/", &opts, &entries);
    ck_assert_ptr_nonnull(
        strstr(got.p, "\"mtime\":\"Thu, 02 Jan 2020 03:04:05 GMT\""));

    wd_destroy_pool(pool);
    collect();
    unsetenv("TZ");
    tzset();
}
END_TEST

#define XM "mtime=\"2020-01-02T03:04:05Z\""
#define JM "\"mtime\":\"Thu, 02 Jan 2020 03:04:05 GMT\""

/* The three kinds of entry and the escaping of each format, in order:
 * directories first, then names byte by byte. */
START_TEST(formats)
{
    text_t got, want = { NULL, 0, 0 };
    wd_pool_t *pool;
    wd_array_t entries;
    wd_http_autoindex_opts_t opts;

    init(&pool, &entries, &opts);
    add(pool, &entries, "b", 5, 'f');
    add(pool, &entries, "q\"<&>\x01\\", 12, 'f');
    add(pool, &entries, "fifo", 0, 'o');
    add(pool, &entries, "z", 4096, 'd');
    add(pool, &entries, "B", 7, 'f');
    add(pool, &entries, "A dir", 4096, 'd');

    opts.format = WD_HTTP_AUTOINDEX_XML;
    got = listing(pool, "/x/", &opts, &entries);
    ck_assert_str_eq(got.p,
        "<?xml version=\"1.0\"?>\r\n<list>\r\n"
        "<directory " XM ">A dir</directory>\r\n"
        "<directory " XM ">z</directory>\r\n"
        "<file " XM " size=\"7\">B</file>\r\n"
        "<file " XM " size=\"5\">b</file>\r\n"
        "<other " XM ">fifo</other>\r\n"
        "<file " XM " size=\"12\">q&quot;&lt;&amp;&gt;\x01\\</file>\r\n"
        "</list>\r\n");

    opts.format = WD_HTTP_AUTOINDEX_JSON;
    got = listing(pool, "/x/", &opts, &entries);
    ck_assert_str_eq(got.p,
        "[\r\n"
        "{ \"name\":\"A dir\", \"type\":\"directory\", " JM " },\r\n"
        "{ \"name\":\"z\", \"type\":\"directory\", " JM " },\r\n"
        "{ \"name\":\"B\", \"type\":\"file\", " JM ", \"size\":7 },\r\n"
        "{ \"name\":\"b\", \"type\":\"file\", " JM ", \"size\":5 },\r\n"
        "{ \"name\":\"fifo\", \"type\":\"other\", " JM " },\r\n"
        "{ \"name\":\"q\\\"<&>\\u0001\\\\\", \"type\":\"file\", " JM
        ", \"size\":12 }\r\n"
        "]");

    opts.format = WD_HTTP_AUTOINDEX_JSONP;
    opts.callback.data = (u_char *) "cb.f_1";
    opts.callback.len = 6;
    got = listing(pool, "/x/", &opts, &entries);
    ck_assert_str_eq(got.p + got.len - 9, "12 }\r\n]);");
    got.p[42] = '\0';
    ck_assert_str_eq(got.p,
                     "/* callback */\r\ncb.f_1([\r\n{ \"name\":\"A dir\"");

    opts.format = WD_HTTP_AUTOINDEX_HTML;
    got = listing(pool, "/x/<&>/", &opts, &entries);
    head(&want, "/x/&lt;&amp;&gt;/");
    line(&want, "A%20dir/", "A dir/", 45, "-");
    line(&want, "z/", "z/", 49, "-");
    line(&want, "B", "B", 50, "7");
    line(&want, "b", "b", 50, "5");
    line(&want, "fifo", "fifo", 47, "0");
    line(&want, "q%22%3C%26%3E%01%5C", "q&quot;&lt;&amp;&gt;\x01\\", 44,
         "12");
    put(&want, foot);
    ck_assert_str_eq(got.p, keep(want.p));

    wd_destroy_pool(pool);
    collect();
}
END_TEST

/* Nothing in the directory. */
START_TEST(empty)
{
    text_t got;
    wd_pool_t *pool;
    wd_array_t entries;
    wd_http_autoindex_opts_t opts;

    init(&pool, &entries, &opts);

    got = listing(pool, "/e/", &opts, &entries);
    ck_assert_str_eq(got.p, "<html>\r\n<head><title>Index of /e/</title>"
                            "</head>\r\n<body>\r\n<h1>Index of /e/</h1><hr>"
                            "<pre><a href=\"../\">../</a>\r\n</pre><hr>"
                            "</body>\r\n</html>\r\n");

    opts.format = WD_HTTP_AUTOINDEX_XML;
    got = listing(pool, "/e/", &opts, &entries);
    ck_assert_str_eq(got.p, "<?xml version=\"1.0\"?>\r\n<list>\r\n"
                            "</list>\r\n");

    opts.format = WD_HTTP_AUTOINDEX_JSON;
    got = listing(pool, "/e/", &opts, &entries);
    ck_assert_str_eq(got.p, "[\r\n]");

    opts.format = WD_HTTP_AUTOINDEX_JSONP;
    opts.callback.data = (u_char *) "f";
    opts.callback.len = 1;
    got = listing(pool, "/e/", &opts, &entries);
    ck_assert_str_eq(got.p, "/* callback */\r\nf([\r\n]);");

    wd_destroy_pool(pool);
    collect();
}
END_TEST

/* Thousands of long entries: many buffers of WD_HTTP_AUTOINDEX_BUF_SIZE,
 * each holding whole lines; a name longer than a buffer gets one of its
 * own. */
START_TEST(buffers)
{
    char name[256];
    size_t lines, n, total;
    wd_uint_t i, bufs, big;
    wd_str_t uri = wd_string("/");
    wd_chain_t *out, *cl;
    wd_pool_t *pool;
    wd_array_t entries;
    wd_http_autoindex_opts_t opts;

    init(&pool, &entries, &opts);
    opts.format = _i;

    for (i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "%05lu%s", (unsigned long) i,
                 repeat("&", 200));
        add(pool, &entries, name, i, 'f');
    }

    add(pool, &entries, repeat("<", 30000), 1, 'f');

    out = wd_http_autoindex_listing(pool, &uri, &opts, &entries);
    ck_assert_ptr_nonnull(out);

    lines = 0;
    bufs = 0;
    total = 0;
    big = 0;

    for (cl = out; cl; cl = cl->next) {
        bufs++;
        n = cl->buf->last - cl->buf->pos;
        total += n;
        ck_assert_uint_le(n, cl->buf->end - cl->buf->start);

        /* only the entry of the 30000 "<" needs more than a buffer */
        big += (n > WD_HTTP_AUTOINDEX_BUF_SIZE);

        /* at the end of a line, or of a JSON entry */
        ck_assert_msg(strchr("\n}", cl->buf->last[-1]) != NULL
                          || cl->next == NULL,
                      "buffer %lu ends inside an entry", (unsigned long) bufs);

        for (u_char *p = cl->buf->pos; p < cl->buf->last; p++) {
            lines += (*p == '\n');
        }
    }

    ck_assert_uint_eq(big, 1);

    /* filled but for the room an entry needs at most (~1.5K here) */
    ck_assert_uint_gt(bufs, 40);
    ck_assert_uint_ge(total, (bufs - 2) * (WD_HTTP_AUTOINDEX_BUF_SIZE - 2048));
    ck_assert_uint_ge(lines, 3001);

    wd_destroy_pool(pool);
    collect();
}
END_TEST

static Suite *
autoindex_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_http_autoindex_listing");

    tc = tcase_create("listings");
    tcase_add_loop_test(tc, html_names, 0, 2);
    tcase_add_loop_test(tc, html_sizes, 0, 2);
    tcase_add_test(tc, dates);
    tcase_add_test(tc, formats);
    tcase_add_test(tc, empty);
    tcase_add_loop_test(tc, buffers, 0, 4);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    int failed;
    SRunner *sr;

    sr = srunner_create(autoindex_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* WD_HAVE_HTTP_AUTOINDEX */
