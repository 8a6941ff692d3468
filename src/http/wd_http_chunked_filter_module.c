/*
 * Chunked transfer coding of responses whose length is not known in
 * advance (HTTP/1.1 clients), or a close-delimited body otherwise.
 */

#include <wd_http.h>

static wd_int_t wd_http_chunked_filter_init(wd_conf_t *cf);

static wd_http_module_t wd_http_chunked_filter_module_ctx = {
    NULL,
    wd_http_chunked_filter_init,
    NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_chunked_filter_module = {
    WD_MODULE_V1,
    &wd_http_chunked_filter_module_ctx,
    NULL,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_http_output_header_filter_pt wd_http_next_header_filter;
static wd_http_output_body_filter_pt wd_http_next_body_filter;

static wd_int_t
wd_http_chunked_header_filter(wd_http_request_t *r)
{
    wd_http_core_loc_conf_t *clcf;

    if (r->headers_out.status == WD_HTTP_NOT_MODIFIED
        || r->headers_out.status == WD_HTTP_NO_CONTENT
        || r->headers_out.status < WD_HTTP_OK || r != r->main
        || r->method == WD_HTTP_HEAD)
    {
        return wd_http_next_header_filter(r);
    }

    if (r->headers_out.content_length_n == -1 || r->expect_trailers) {
        clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

        if (r->http_version >= WD_HTTP_VERSION_11
            && clcf->chunked_transfer_encoding)
        {
            if (r->expect_trailers) {
                wd_http_clear_content_length(r);
            }

            r->chunked = 1;

        } else if (r->headers_out.content_length_n == -1) {
            /* the end of the body is the end of the connection */
            r->keepalive = 0;
        }
    }

    return wd_http_next_header_filter(r);
}

/* "size CRLF" before a chunk's data. */
static wd_buf_t *
wd_http_chunk_header(wd_http_request_t *r, off_t size)
{
    wd_buf_t *b;
    u_char *p;

    b = wd_calloc_buf(r->pool);
    p = wd_pnalloc(r->pool, sizeof("0000000000000000" CRLF) - 1);

    if (b == NULL || p == NULL) {
        return NULL;
    }

    b->start = p;
    b->pos = p;
    b->last = wd_sprint_hex(p, (uint64_t) size);
    *b->last++ = CR;
    *b->last++ = LF;
    b->memory = 1;
    b->temporary = 0;

    return b;
}

static wd_int_t
wd_http_chunked_body_filter(wd_http_request_t *r, wd_chain_t *in)
{
    off_t size;
    wd_uint_t last;
    wd_buf_t *b;
    wd_chain_t *out, *cl, *tl, **ll;

    if (in == NULL || !r->chunked || r->header_only) {
        return wd_http_next_body_filter(r, in);
    }

    out = NULL;
    ll = &out;
    size = 0;
    last = 0;

    for (cl = in; cl; cl = cl->next) {
        size += wd_buf_size(cl->buf);

        if (cl->buf->last_buf) {
            last = 1;
        }

        tl = wd_alloc_chain_link(r->pool);

        if (tl == NULL) {
            return WD_ERROR;
        }

        tl->buf = cl->buf;
        *ll = tl;
        ll = &tl->next;
    }

    *ll = NULL;

    if (size) {
        b = wd_http_chunk_header(r, size);
        tl = wd_alloc_chain_link(r->pool);

        if (b == NULL || tl == NULL) {
            return WD_ERROR;
        }

        tl->buf = b;
        tl->next = out;
        out = tl;
    }

    if (last || size) {
        b = wd_calloc_buf(r->pool);
        tl = wd_alloc_chain_link(r->pool);

        if (b == NULL || tl == NULL) {
            return WD_ERROR;
        }

        b->memory = 1;

        if (last) {
            /* the data's CRLF, then the last chunk */
            b->pos = (u_char *) (size ? CRLF "0" CRLF CRLF : "0" CRLF CRLF);
            b->last = b->pos + (size ? 7 : 5);
            b->last_buf = 1;

            /* the original last_buf marker now carries no flag */
            for (cl = out; cl; cl = cl->next) {
                if (cl->buf->last_buf && cl->buf != b) {
                    wd_buf_t *copy = wd_calloc_buf(r->pool);

                    if (copy == NULL) {
                        return WD_ERROR;
                    }

                    *copy = *cl->buf;
                    copy->last_buf = 0;

                    if (!wd_buf_in_memory(copy) && !copy->in_file) {
                        /* a bare marker stays a marker, with no data */
                        copy->sync = 1;
                    }
                    cl->buf = copy;
                }
            }

        } else {
            b->pos = (u_char *) CRLF;
            b->last = b->pos + 2;
        }

        tl->buf = b;
        tl->next = NULL;
        *ll = tl;
    }

    return wd_http_next_body_filter(r, out);
}

static wd_int_t
wd_http_chunked_filter_init(wd_conf_t *cf)
{
    wd_http_next_header_filter = wd_http_top_header_filter;
    wd_http_top_header_filter = wd_http_chunked_header_filter;

    wd_http_next_body_filter = wd_http_top_body_filter;
    wd_http_top_body_filter = wd_http_chunked_body_filter;

    return WD_OK;
}
