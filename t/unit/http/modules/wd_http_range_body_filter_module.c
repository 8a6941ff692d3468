/*
 * Unit tests of the range body filter (src/http/modules/
 * wd_http_range_body_filter_module.c), driven directly: a 64-byte body in
 * file and memory buffers, split across calls in many ways, goes through
 * the filter, and what comes out is read back and compared with the
 * ranges cut from the body by hand.  The cuts must never copy file data
 * into memory.
 *
 * A plan says how the body arrives: calls separated by '|', buffers by
 * ' ', each buffer a kind and a length: "f10 m20|b34" is two calls, the
 * first with 10 bytes in a file buffer and 20 in a memory buffer, the
 * second with 34 bytes in a buffer that is both.  The last buffer is the
 * last of the response.
 */

#include <check.h>

#include <wd_core.h>
#include <wd_http_range.h>

#define BODY_LEN 64

static u_char body[BODY_LEN];
static wd_file_t body_file;
static char body_path[] = "/tmp/wd-range-unit-XXXXXX";
static wd_log_t quiet_log;      /* level 0: nothing is written */
static wd_uint_t ncases, noverlapped;

/* What the next filter received. */
static struct {
    u_char data[64 * 1024];
    size_t len;
    wd_uint_t last;             /* last_buf markers */
    wd_uint_t after_last;       /* data buffers after one */
    wd_uint_t file_only;        /* data buffers with file data only */
    off_t file_bytes;           /* the bytes they hold */
    wd_uint_t memory;           /* data buffers in memory */
    wd_buf_t *first;            /* the first data buffer */
    off_t first_pos;            /* its file_pos and file_last */
    off_t first_last;
} out;

static wd_int_t
capture(wd_http_request_t *r, wd_chain_t *in)
{
    off_t size;
    wd_buf_t *b;

    for (/* void */; in; in = in->next) {
        b = in->buf;
        size = wd_buf_size(b);

        ck_assert_int_ge(size, 0);
        ck_assert_uint_le(out.len + size, sizeof(out.data));

        if (size) {
            out.after_last += out.last;

            if (out.first == NULL) {
                out.first = b;
                out.first_pos = b->file_pos;
                out.first_last = b->file_last;
            }

            if (wd_buf_in_memory(b)) {
                memcpy(out.data + out.len, b->pos, size);
                out.memory++;

            } else {
                ck_assert(b->in_file);
                ck_assert_int_eq(pread(b->file->fd, out.data + out.len, size,
                                       b->file_pos),
                                 size);
                out.file_only++;
                out.file_bytes += size;
            }
        }

        out.len += size;
        out.last += b->last_buf;

        /* sent, as the write filter would leave it */
        b->pos = b->last;
        b->file_pos = b->file_last;
    }

    return WD_OK;
}

static wd_http_request_t *
make_request(wd_pool_t *pool, const char *spec)
{
    wd_str_t s;
    wd_uint_t i;
    wd_connection_t *c;
    wd_http_range_t *range;
    wd_http_request_t *r;
    wd_http_range_ctx_t *ctx;

    r = wd_pcalloc(pool, sizeof(wd_http_request_t));
    c = wd_pcalloc(pool, sizeof(wd_connection_t));
    ctx = wd_pcalloc(pool, sizeof(wd_http_range_ctx_t));
    ck_assert(r && c && ctx);

    c->log = &quiet_log;
    r->connection = c;
    r->main = r;
    r->pool = pool;
    r->headers_out.status = WD_HTTP_PARTIAL_CONTENT;
    r->ctx = wd_pcalloc(pool, sizeof(void *));
    ck_assert_ptr_nonnull(r->ctx);

    s.data = (u_char *) spec;
    s.len = strlen(spec);
    ck_assert_int_eq(wd_array_init(&ctx->ranges, pool, 1,
                                   sizeof(wd_http_range_t)),
                     WD_OK);
    ck_assert_int_eq(wd_http_range_parse(&s, BODY_LEN, WD_MAX_INT_T_VALUE,
                                         &ctx->ranges),
                     WD_OK);

    /* short stand-ins for what the header filter makes */
    wd_str_set(&ctx->boundary, "B");
    wd_str_set(&ctx->boundary_header, "<H>");

    range = ctx->ranges.elts;

    for (i = 0; i < ctx->ranges.nelts; i++) {
        range[i].content_range.data = wd_pnalloc(pool, 64);
        ck_assert_ptr_nonnull(range[i].content_range.data);
        range[i].content_range.len = sprintf(
            (char *) range[i].content_range.data, "[%lld-%lld]",
            (long long) range[i].start, (long long) range[i].end - 1);
    }

    wd_http_set_ctx(r, ctx, wd_http_range_body_filter_module);

    return r;
}

/* The buffer for body bytes [off, off + len) of a kind: 'f' file, 'm'
 * memory, 'b' both. */
static wd_buf_t *
make_buf(wd_pool_t *pool, char kind, off_t off, off_t len)
{
    wd_buf_t *b;

    b = wd_calloc_buf(pool);
    ck_assert_ptr_nonnull(b);

    if (kind == 'm' || kind == 'b') {
        b->start = wd_pnalloc(pool, len ? len : 1);
        ck_assert_ptr_nonnull(b->start);
        memcpy(b->start, body + off, len);
        b->pos = b->start;
        b->last = b->start + len;
        b->end = b->last;
        b->temporary = 1;
    }

    if (kind == 'f' || kind == 'b') {
        b->file = &body_file;
        b->file_pos = off;
        b->file_last = off + len;
        b->in_file = 1;
    }

    return b;
}

/* Sends the body through the filter as plan says; the filter's last rc.
 * *total: the body bytes sent. */
static wd_int_t
run(wd_http_request_t *r, const char *plan, off_t *total)
{
    char *p;
    long len;
    off_t off;
    wd_int_t rc;
    wd_chain_t *in, **ll;

    memset(&out, 0, sizeof(out));
    off = 0;
    p = (char *) plan;
    rc = WD_OK;

    while (*p && rc == WD_OK) {
        in = NULL;
        ll = &in;

        while (*p && *p != '|') {
            char kind = *p++;

            len = strtol(p, &p, 10);
            *ll = wd_alloc_chain_link(r->pool);
            ck_assert_ptr_nonnull(*ll);
            (*ll)->buf = make_buf(r->pool, kind, off, len);
            (*ll)->next = NULL;
            (*ll)->buf->last_buf = (*p == '\0');
            ll = &(*ll)->next;
            off += len;

            while (*p == ' ') {
                p++;
            }
        }

        if (*p == '|') {
            p++;
        }

        rc = wd_http_top_body_filter(r, in);
    }

    *total = off;

    return rc;
}

/* What the filter must send for the ranges of r, of a body that stops
 * after total bytes; *data: how much of it is body bytes. */
static size_t
expected(wd_http_request_t *r, off_t total, u_char *buf, off_t *data)
{
    u_char *p;
    off_t end;
    wd_uint_t i;
    wd_http_range_t *range;
    wd_http_range_ctx_t *ctx;

    ctx = wd_http_get_module_ctx(r, wd_http_range_body_filter_module);
    range = ctx->ranges.elts;
    p = buf;
    *data = 0;

    for (i = 0; i < ctx->ranges.nelts; i++) {
        end = wd_min(range[i].end, total);

        if (ctx->ranges.nelts > 1) {
            p += sprintf((char *) p, "<H>[%lld-%lld]",
                         (long long) range[i].start,
                         (long long) range[i].end - 1);
        }

        if (end > range[i].start) {
            memcpy(p, body + range[i].start, end - range[i].start);
            p += end - range[i].start;
            *data += end - range[i].start;
        }
    }

    if (ctx->ranges.nelts > 1) {
        p += sprintf((char *) p, "\r\n--B--\r\n");
    }

    return p - buf;
}

/* Whether a plan delivers a part's first byte after the call in which
 * the part must begin: the one that ends the part before it. */
static wd_uint_t
overlapped(wd_http_request_t *r, const char *plan)
{
    off_t base[BODY_LEN + 1], off, prev_end;
    wd_uint_t ncalls, i, c;
    const char *p;
    wd_http_range_t *range;
    wd_http_range_ctx_t *ctx;

    ncalls = 0;
    off = 0;
    base[0] = 0;

    for (p = plan; *p; p++) {
        if (*p == '|') {
            base[++ncalls] = off;
        } else if (*p >= 'a' && *p <= 'z') {
            off += strtol(p + 1, NULL, 10);
        }
    }

    base[++ncalls] = off;   /* the end */

    ctx = wd_http_get_module_ctx(r, wd_http_range_body_filter_module);
    range = ctx->ranges.elts;

    for (i = 1; i < ctx->ranges.nelts; i++) {
        prev_end = range[i - 1].end;

        for (c = 0; c < ncalls - 1 && base[c + 1] < prev_end; c++) {
            /* void */
        }

        if (range[i].start < base[c]) {
            return 1;
        }
    }

    return 0;
}

static const char *specs[] = {
    "0-0", "0-63", "63-", "-1", "5-20", "-70", "30-200",
    "0-9,20-29", "20-29,0-9", "0-9,5-14", "60-,0-3", "-1,0-0,30-",
    "0-0,2-2,4-4,6-6,8-8,63-63", "10-19,30-39,50-59", "0-31,32-",
};

static const char *plans[] = {
    "f64", "m64", "b64",
    "f10 m20 f34", "m10 b20 f34",
    "f10|m20|f34", "m32|f32", "f63|m1", "m1|f63", "f16 m16|f16 m16",
    "f5|f5|f5|f5|f5|f5|f5|f5|f5|f5|f5|f5|m4",
    "m0 f10|m0|f54 m0",
};

static void
check_one(const char *spec, const char *plan)
{
    size_t n;
    off_t total, data;
    wd_int_t rc;
    wd_uint_t error;
    wd_pool_t *pool;
    wd_http_request_t *r;
    static u_char want[64 * 1024];

    pool = wd_create_pool(4096, NULL);
    ck_assert_ptr_nonnull(pool);

    r = make_request(pool, spec);
    error = overlapped(r, plan);
    rc = run(r, plan, &total);

    ncases++;
    noverlapped += error;

    if (error) {
        ck_assert_msg(rc == WD_ERROR, "\"%s\" by \"%s\": rc %ld, not an error",
                      spec, plan, (long) rc);
        wd_destroy_pool(pool);
        return;
    }

    ck_assert_msg(rc == WD_OK, "\"%s\" by \"%s\": rc %ld", spec, plan,
                  (long) rc);

    n = expected(r, total, want, &data);

    ck_assert_msg(out.len == n && memcmp(out.data, want, n) == 0,
                  "\"%s\" by \"%s\": %zu bytes, not %zu as expected", spec,
                  plan, out.len, n);
    ck_assert_msg(out.last == 1, "\"%s\" by \"%s\": %lu last_buf", spec,
                  plan, (unsigned long) out.last);
    ck_assert_uint_eq(out.after_last, 0);

    /* file data stays in the file: only the multipart framing is in
     * memory */
    if (strchr(plan, 'm') == NULL && strchr(plan, 'b') == NULL) {
        ck_assert_msg(out.file_bytes == data,
                      "\"%s\" by \"%s\": file data in memory", spec, plan);
    }

    wd_destroy_pool(pool);
}

START_TEST(body_table)
{
    wd_uint_t i;

    for (i = 0; i < wd_nelems(plans); i++) {
        check_one(specs[_i], plans[i]);
    }
}
END_TEST

/* Random plans: buffer sizes, kinds and calls from a fixed seed. */
START_TEST(body_random)
{
    char plan[1024], *p;
    wd_uint_t i, len, left, seed;

    seed = 12345;

    for (i = 0; i < 300; i++) {
        p = plan;
        left = BODY_LEN;

        while (left) {
            seed = seed * 1103515245 + 12345;
            len = 1 + (seed >> 16) % wd_min(left, 24);
            left -= len;
            p += sprintf(p, "%c%lu", "fmb"[(seed >> 8) % 3],
                         (unsigned long) len);

            if (left) {
                *p++ = ((seed >> 4) & 1) ? '|' : ' ';
            }
        }

        *p = '\0';
        check_one(specs[_i], plan);
    }
}
END_TEST

/* A single range of a file buffer is the same buffer, cut in place. */
START_TEST(body_in_place)
{
    wd_pool_t *pool;
    wd_chain_t *in;
    wd_http_request_t *r;

    pool = wd_create_pool(4096, NULL);
    ck_assert_ptr_nonnull(pool);
    r = make_request(pool, "5-20");

    in = wd_alloc_chain_link(pool);
    ck_assert_ptr_nonnull(in);
    in->buf = make_buf(pool, 'f', 0, BODY_LEN);
    in->buf->last_buf = 1;
    in->next = NULL;

    memset(&out, 0, sizeof(out));
    ck_assert_int_eq(wd_http_top_body_filter(r, in), WD_OK);
    ck_assert_ptr_eq(out.first, in->buf);
    ck_assert_int_eq(out.first_pos, 5);
    ck_assert_int_eq(out.first_last, 21);
    ck_assert_uint_eq(out.file_only, 1);
    ck_assert_uint_eq(out.memory, 0);
    ck_assert_uint_eq(out.last, 1);

    wd_destroy_pool(pool);
}
END_TEST

/* The body ends short of the ranges: the response still ends. */
START_TEST(body_short)
{
    off_t total;
    wd_pool_t *pool;
    wd_http_request_t *r;
    static const char *cases[][2] = {
        { "0-63", "f30" }, { "40-50", "m30" }, { "0-9,40-49", "f30" },
        { "0-9,40-49", "f5|m25" }, { "20-29,0-9", "b15" },
    };
    wd_uint_t i;

    for (i = 0; i < wd_nelems(cases); i++) {
        pool = wd_create_pool(4096, NULL);
        ck_assert_ptr_nonnull(pool);
        r = make_request(pool, cases[i][0]);
        ck_assert_int_eq(run(r, cases[i][1], &total), WD_OK);
        ck_assert_uint_eq(out.last, 1);
        ck_assert_uint_eq(out.after_last, 0);
        wd_destroy_pool(pool);
    }
}
END_TEST

/* After the last range, what comes is consumed and not sent. */
START_TEST(body_after_end)
{
    off_t total;
    wd_pool_t *pool;
    wd_chain_t *in;
    wd_http_request_t *r;
    static const char *specs2[] = { "0-9", "0-4,5-9" };
    wd_uint_t i;

    for (i = 0; i < wd_nelems(specs2); i++) {
        pool = wd_create_pool(4096, NULL);
        ck_assert_ptr_nonnull(pool);
        r = make_request(pool, specs2[i]);
        ck_assert_int_eq(run(r, "f10", &total), WD_OK);
        ck_assert_uint_eq(out.last, 1);

        in = wd_alloc_chain_link(pool);
        ck_assert_ptr_nonnull(in);
        in->buf = make_buf(pool, 'b', 10, 54);
        in->buf->last_buf = 1;
        in->next = NULL;

        ck_assert_int_eq(wd_http_top_body_filter(r, in), WD_OK);
        ck_assert_uint_eq(out.last, 1);
        ck_assert_uint_eq(out.after_last, 0);
        ck_assert_int_eq(wd_buf_size(in->buf), 0);
        wd_destroy_pool(pool);
    }
}
END_TEST

/* Without the context (no Range) or for another status, bodies pass. */
START_TEST(body_pass)
{
    off_t total;
    wd_pool_t *pool;
    wd_http_request_t *r;

    pool = wd_create_pool(4096, NULL);
    ck_assert_ptr_nonnull(pool);

    r = make_request(pool, "0-9");
    r->headers_out.status = WD_HTTP_NOT_FOUND;
    ck_assert_int_eq(run(r, "m20 f44", &total), WD_OK);
    ck_assert_uint_eq(out.len, BODY_LEN);
    ck_assert_int_eq(memcmp(out.data, body, BODY_LEN), 0);

    r = make_request(pool, "0-9");
    wd_http_set_ctx(r, NULL, wd_http_range_body_filter_module);
    ck_assert_int_eq(run(r, "f64", &total), WD_OK);
    ck_assert_uint_eq(out.len, BODY_LEN);

    wd_destroy_pool(pool);
}
END_TEST

static Suite *
body_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("range body filter");

    tc = tcase_create("cuts");
    tcase_add_loop_test(tc, body_table, 0, wd_nelems(specs));
    tcase_add_loop_test(tc, body_random, 0, wd_nelems(specs));
    tcase_add_test(tc, body_in_place);
    tcase_add_test(tc, body_short);
    tcase_add_test(tc, body_after_end);
    tcase_add_test(tc, body_pass);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    int failed, fd;
    wd_uint_t i;
    SRunner *sr;

    for (i = 0; i < BODY_LEN; i++) {
        body[i] = (u_char) ("0123456789abcdef-\r\n"[i % 19] + (i / 19));
    }

    fd = mkstemp(body_path);

    if (fd == -1 || write(fd, body, BODY_LEN) != BODY_LEN) {
        perror("the body file");
        return EXIT_FAILURE;
    }

    unlink(body_path);
    body_file.fd = fd;
    body_file.log = &quiet_log;

    /* the filter under test, in front of the capture; its context is
     * the only one requests here have */
    wd_http_range_body_filter_module.ctx_index = 0;
    wd_http_top_body_filter = capture;

    if (((wd_http_module_t *) wd_http_range_body_filter_module.ctx)
            ->postconfiguration(NULL)
        != WD_OK)
    {
        return EXIT_FAILURE;
    }

    sr = srunner_create(body_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    close(fd);

    printf("cases checked: %lu (%lu refused as overlapped)\n",
           (unsigned long) ncases, (unsigned long) noverlapped);

    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
