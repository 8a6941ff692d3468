/*
 * Range requests, the body half: cuts the ranges that the header half
 * (wd_http_range_header_filter_module.c) chose out of the body.  File
 * buffers are cut by moving file_pos/file_last and memory buffers by
 * moving pos/last: no body byte is copied, and file data still goes out
 * with sendfile.
 *
 * One range is cut in place, as the body streams by.  Several ranges are
 * sent as multipart/byteranges, each part made of shallow copies of the
 * input buffers; the parts go out in the order asked, so a part may not
 * need bytes that an earlier call already passed on ("range in overlapped
 * buffers").  A body that comes in one call (a static file) always works.
 */

#include <wd_http_range.h>

static wd_int_t wd_http_range_body_filter_init(wd_conf_t *cf);

static wd_http_module_t wd_http_range_body_filter_module_ctx = {
    NULL,
    wd_http_range_body_filter_init,
    NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_range_body_filter_module = {
    WD_MODULE_V1,
    &wd_http_range_body_filter_module_ctx,
    NULL,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_http_output_body_filter_pt wd_http_next_body_filter;

#define wd_http_range_tag ((wd_buf_tag_t) &wd_http_range_body_filter_module)

/* Marks a buffer as sent, for producers that wait for theirs to drain. */
static void
wd_http_range_consume(wd_buf_t *b)
{
    b->pos = b->last;
    b->file_pos = b->file_last;
}

/* Cuts b, which holds body bytes [start, start + size), to [from, to). */
static void
wd_http_range_cut(wd_buf_t *b, off_t start, off_t from, off_t to)
{
    off_t head, tail;

    head = from - start;
    tail = start + wd_buf_size(b) - to;

    if (wd_buf_in_memory(b)) {
        b->pos += head;
        b->last -= tail;
    }

    if (b->in_file) {
        b->file_pos += head;
        b->file_last -= tail;
    }
}

/* Links b at *ll; returns the next link's place, NULL without memory. */
static wd_chain_t **
wd_http_range_append(wd_http_request_t *r, wd_chain_t **ll, wd_buf_t *b)
{
    wd_chain_t *cl;

    if (ll == NULL || b == NULL) {
        return NULL;
    }

    cl = wd_alloc_chain_link(r->pool);

    if (cl == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;
    *ll = cl;

    return &cl->next;
}

/* A buffer marking the end of the response (or of a subrequest's). */
static wd_buf_t *
wd_http_range_last_buf(wd_http_request_t *r)
{
    wd_buf_t *b;

    b = wd_calloc_buf(r->pool);

    if (b == NULL) {
        return NULL;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = !b->last_buf;
    b->tag = wd_http_range_tag;

    return b;
}

/* A read-only buffer over text that lives as long as the request. */
static wd_buf_t *
wd_http_range_text(wd_http_request_t *r, u_char *data, size_t len)
{
    wd_buf_t *b;

    b = wd_calloc_buf(r->pool);

    if (b == NULL) {
        return NULL;
    }

    b->memory = 1;
    b->pos = data;
    b->last = data + len;
    b->tag = wd_http_range_tag;

    return b;
}

/* ---- one range: cut in place ---------------------------------------- */

/* What to do with b, which holds body bytes [start, last): pass it
 * (cut to the range) or consume it.  Sets ctx->done at the range's end
 * or the body's. */
static wd_chain_t **
wd_http_range_single_buf(wd_http_request_t *r, wd_http_range_ctx_t *ctx,
    wd_chain_t **ll, wd_buf_t *b, off_t start)
{
    off_t last;
    wd_http_range_t *range;

    range = ctx->ranges.elts;
    last = start + wd_buf_size(b);

    if (last == start) {
        /* a marker: flush, sync, or the body's end (short of the range:
         * the response ends anyway) */
        ctx->done = b->last_buf;
        return wd_http_range_append(r, ll, b);
    }

    if (range->end <= start || range->start >= last) {
        wd_http_range_consume(b);

        if (b->last_buf) {
            ctx->done = 1;
            return wd_http_range_append(r, ll, wd_http_range_last_buf(r));
        }

        return ll;
    }

    wd_http_range_cut(b, start, wd_max(range->start, start),
                      wd_min(range->end, last));

    if (range->end <= last) {
        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;
        ctx->done = 1;

    } else if (b->last_buf) {
        ctx->done = 1;
    }

    return wd_http_range_append(r, ll, b);
}

static wd_int_t
wd_http_range_singlepart_body(wd_http_request_t *r, wd_http_range_ctx_t *ctx,
    wd_chain_t *in)
{
    off_t start;
    wd_chain_t *out, **ll;

    out = NULL;
    ll = &out;

    for (/* void */; in; in = in->next) {
        start = ctx->offset;
        ctx->offset += wd_buf_size(in->buf);

        if (ctx->done) {
            /* past the range: nothing more goes out */
            wd_http_range_consume(in->buf);
            continue;
        }

        ll = wd_http_range_single_buf(r, ctx, ll, in->buf, start);

        if (ll == NULL) {
            return WD_ERROR;
        }
    }

    return wd_http_next_body_filter(r, out);
}

/* ---- several ranges: multipart/byteranges --------------------------- */

/* Links shallow copies of the bytes [from, to) of the body, taken from
 * in, whose first buffer starts at body offset start. */
static wd_chain_t **
wd_http_range_slices(wd_http_request_t *r, wd_chain_t **ll, wd_chain_t *in,
    off_t start, off_t from, off_t to)
{
    off_t last;
    wd_buf_t *b;

    for (/* void */; in && ll; in = in->next) {
        last = start + wd_buf_size(in->buf);

        if (wd_max(from, start) < wd_min(to, last)) {
            b = wd_alloc_buf(r->pool);

            if (b == NULL) {
                return NULL;
            }

            *b = *in->buf;

            /* another part may show the same bytes: nobody changes them */
            b->memory = wd_buf_in_memory(in->buf);
            b->temporary = 0;
            b->flush = 0;
            b->sync = 0;
            b->last_buf = 0;
            b->last_in_chain = 0;
            b->recycled = 0;
            b->shadow = NULL;
            b->tag = wd_http_range_tag;

            wd_http_range_cut(b, start, wd_max(from, start), wd_min(to, last));

            ll = wd_http_range_append(r, ll, b);
        }

        start = last;
    }

    return ll;
}

/* CRLF "--BOUNDARY--" CRLF, the end of the body. */
static wd_buf_t *
wd_http_range_closing(wd_http_request_t *r, wd_http_range_ctx_t *ctx)
{
    u_char *p, *start;
    wd_buf_t *b;

    start = wd_pnalloc(r->pool, sizeof(CRLF "----" CRLF) - 1
                                    + ctx->boundary.len);

    if (start == NULL) {
        return NULL;
    }

    p = wd_cpymem(start, CRLF "--", sizeof(CRLF "--") - 1);
    p = wd_cpymem(p, ctx->boundary.data, ctx->boundary.len);
    p = wd_cpymem(p, "--" CRLF, sizeof("--" CRLF) - 1);

    b = wd_http_range_text(r, start, p - start);

    if (b) {
        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;
    }

    return b;
}

/* Links the parts, or the rest of them, that the body bytes in in,
 * [base, base + size), complete; returns with the part that needs more
 * in ctx->current. */
static wd_chain_t **
wd_http_range_parts(wd_http_request_t *r, wd_http_range_ctx_t *ctx,
    wd_chain_t **ll, wd_chain_t *in, off_t base, off_t size)
{
    wd_http_range_t *range;

    while (ll && ctx->current < ctx->ranges.nelts) {
        range = (wd_http_range_t *) ctx->ranges.elts + ctx->current;

        if (!ctx->started) {
            if (range->start < base) {
                wd_log_error(WD_LOG_ALERT, r->connection->log, 0,
                             "range in overlapped buffers");
                return NULL;
            }

            ll = wd_http_range_append(r, ll,
                     wd_http_range_text(r, ctx->boundary_header.data,
                                        ctx->boundary_header.len));
            ll = wd_http_range_append(r, ll,
                     wd_http_range_text(r, range->content_range.data,
                                        range->content_range.len));
            ctx->started = 1;
        }

        ll = wd_http_range_slices(r, ll, in, base, wd_max(range->start, base),
                                  range->end);

        if (range->end > base + size) {
            break;
        }

        ctx->current++;
        ctx->started = 0;
    }

    return ll;
}

static wd_int_t
wd_http_range_multipart_body(wd_http_request_t *r, wd_http_range_ctx_t *ctx,
    wd_chain_t *in)
{
    off_t base, size;
    wd_uint_t last, flush;
    wd_buf_t *b;
    wd_chain_t *cl, *out, **ll;

    base = ctx->offset;
    size = 0;
    last = 0;
    flush = 0;

    for (cl = in; cl; cl = cl->next) {
        size += wd_buf_size(cl->buf);
        last |= cl->buf->last_buf;
        flush |= cl->buf->flush;

        if (ctx->done) {
            wd_http_range_consume(cl->buf);
        }
    }

    ctx->offset += size;

    if (ctx->done) {
        return wd_http_next_body_filter(r, NULL);
    }

    out = NULL;
    ll = wd_http_range_parts(r, ctx, &out, in, base, size);

    if (ctx->current == ctx->ranges.nelts) {
        ll = wd_http_range_append(r, ll, wd_http_range_closing(r, ctx));
        ctx->done = 1;

    } else if (last) {
        /* the body ended short of the ranges: end the response anyway */
        ll = wd_http_range_append(r, ll, wd_http_range_last_buf(r));
        ctx->done = 1;

    } else if (flush) {
        b = wd_calloc_buf(r->pool);

        if (b) {
            b->flush = 1;
            b->tag = wd_http_range_tag;
        }

        ll = wd_http_range_append(r, ll, b);
    }

    if (ll == NULL) {
        return WD_ERROR;
    }

    return wd_http_next_body_filter(r, out);
}

static wd_int_t
wd_http_range_body_filter(wd_http_request_t *r, wd_chain_t *in)
{
    wd_http_range_ctx_t *ctx;

    ctx = wd_http_get_module_ctx(r, wd_http_range_body_filter_module);

    /* an error page sent after the header filter chose ranges is whole */
    if (in == NULL || ctx == NULL
        || r->headers_out.status != WD_HTTP_PARTIAL_CONTENT)
    {
        return wd_http_next_body_filter(r, in);
    }

    if (ctx->ranges.nelts == 1) {
        return wd_http_range_singlepart_body(r, ctx, in);
    }

    return wd_http_range_multipart_body(r, ctx, in);
}

static wd_int_t
wd_http_range_body_filter_init(wd_conf_t *cf)
{
    wd_http_next_body_filter = wd_http_top_body_filter;
    wd_http_top_body_filter = wd_http_range_body_filter;

    return WD_OK;
}
