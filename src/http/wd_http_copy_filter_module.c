/*
 * The copy filter: reads file buffers into memory when they cannot be
 * sent with sendfile ("sendfile off", or a later filter that needs the
 * bytes, such as gzip).  It keeps at most output_buffers in flight, so
 * a large file is streamed, never read whole.
 */

#include <wd_http.h>

typedef struct {
    wd_bufs_t bufs;             /* output_buffers */
} wd_http_copy_conf_t;

typedef struct {
    wd_chain_t *in;             /* what is still to be copied */
    wd_chain_t *free;           /* memory buffers the writer released */
    wd_chain_t *busy;           /* buffers handed down, not yet sent */
    wd_int_t allocated;
} wd_http_copy_ctx_t;

static void *wd_http_copy_create_conf(wd_conf_t *cf);
static char *wd_http_copy_merge_conf(wd_conf_t *cf, void *parent,
    void *child);
static wd_int_t wd_http_copy_filter_init(wd_conf_t *cf);

static wd_command_t wd_http_copy_filter_commands[] = {

    { wd_string("output_buffers"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE2,
      wd_conf_set_bufs_slot,
      WD_HTTP_LOC_CONF_OFFSET,
      offsetof(wd_http_copy_conf_t, bufs),
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_copy_filter_module_ctx = {
    NULL,
    wd_http_copy_filter_init,
    NULL, NULL, NULL, NULL,
    wd_http_copy_create_conf,
    wd_http_copy_merge_conf
};

wd_module_t wd_http_copy_filter_module = {
    WD_MODULE_V1,
    &wd_http_copy_filter_module_ctx,
    wd_http_copy_filter_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_http_output_body_filter_pt wd_http_next_body_filter;

/* Whether a chain holds file data that must be read into memory. */
static wd_uint_t
wd_http_copy_needed(wd_http_request_t *r, wd_chain_t *in)
{
    wd_chain_t *cl;

    if (r->connection->sendfile && !r->filter_need_in_memory) {
        return 0;
    }

    for (cl = in; cl; cl = cl->next) {
        if (cl->buf->in_file && !wd_buf_in_memory(cl->buf)) {
            return 1;
        }
    }

    return 0;
}

/* A free memory buffer, or NULL when output_buffers are all in use. */
static wd_buf_t *
wd_http_copy_get_buf(wd_http_request_t *r, wd_http_copy_ctx_t *ctx)
{
    wd_buf_t *b;
    wd_chain_t *cl;
    wd_http_copy_conf_t *conf;

    if (ctx->free) {
        cl = ctx->free;
        ctx->free = cl->next;
        b = cl->buf;
        wd_free_chain(r->pool, cl);
        b->pos = b->start;
        b->last = b->start;
        return b;
    }

    conf = wd_http_get_module_loc_conf(r, wd_http_copy_filter_module);

    if (ctx->allocated >= conf->bufs.num) {
        return NULL;
    }

    b = wd_create_temp_buf(r->pool, conf->bufs.size);

    if (b == NULL) {
        return NULL;
    }

    b->tag = (wd_buf_tag_t) &wd_http_copy_filter_module;
    b->recycled = 1;
    ctx->allocated++;

    return b;
}

/* Reads the next part of the file buffer at ctx->in into a new memory
 * buffer; WD_AGAIN when no buffer is free. */
static wd_int_t
wd_http_copy_one(wd_http_request_t *r, wd_http_copy_ctx_t *ctx,
    wd_chain_t ***ll)
{
    off_t size;
    ssize_t n;
    wd_buf_t *src, *b;
    wd_chain_t *cl;

    src = ctx->in->buf;

    b = wd_http_copy_get_buf(r, ctx);

    if (b == NULL) {
        return WD_AGAIN;
    }

    size = wd_min((off_t) (b->end - b->start), src->file_last - src->file_pos);

    n = wd_read_file(src->file, b->start, (size_t) size, src->file_pos);

    if (n == WD_ERROR) {
        return WD_ERROR;
    }

    if (n != size) {
        wd_log_error(WD_LOG_ALERT, r->connection->log, 0,
                     "read only %zd of %lld from \"%s\"", n,
                     (long long) size, src->file->name.data);
        return WD_ERROR;
    }

    b->last = b->start + n;
    src->file_pos += n;

    if (src->file_pos == src->file_last) {
        b->last_buf = src->last_buf;
        b->last_in_chain = src->last_in_chain;
        b->flush = src->flush;
        ctx->in = ctx->in->next;
    }

    cl = wd_alloc_chain_link(r->pool);

    if (cl == NULL) {
        return WD_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;
    **ll = cl;
    *ll = &cl->next;

    return WD_OK;
}

/* Moves what is ready from ctx->in to *ll: memory and special buffers
 * as they are, file data read into free buffers while there are some. */
static wd_int_t
wd_http_copy_collect(wd_http_request_t *r, wd_http_copy_ctx_t *ctx,
    wd_chain_t **ll)
{
    wd_int_t rc;
    wd_chain_t *cl;

    while (ctx->in) {
        if (ctx->in->buf->in_file && !wd_buf_in_memory(ctx->in->buf)
            && ctx->in->buf->file_pos < ctx->in->buf->file_last)
        {
            rc = wd_http_copy_one(r, ctx, &ll);

            if (rc != WD_OK) {
                return (rc == WD_AGAIN) ? WD_OK : rc;
            }

            continue;
        }

        cl = wd_alloc_chain_link(r->pool);

        if (cl == NULL) {
            return WD_ERROR;
        }

        cl->buf = ctx->in->buf;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;
        ctx->in = ctx->in->next;
    }

    return WD_OK;
}

/*
 * Each round reads as much as the free buffers hold and passes it on.
 * The copied buffers are "recycled", which makes the write filter send
 * them at once; when none is free, the writer's next call (in NULL)
 * finds them sent and the copying goes on.
 */
static wd_int_t
wd_http_copy_filter(wd_http_request_t *r, wd_chain_t *in)
{
    wd_int_t rc;
    wd_chain_t *out;
    wd_http_copy_ctx_t *ctx;

    ctx = wd_http_get_module_ctx(r, wd_http_copy_filter_module);

    if (ctx == NULL) {
        if (!wd_http_copy_needed(r, in)) {
            return wd_http_next_body_filter(r, in);
        }

        ctx = wd_pcalloc(r->pool, sizeof(wd_http_copy_ctx_t));

        if (ctx == NULL) {
            return WD_ERROR;
        }

        wd_http_set_ctx(r, ctx, wd_http_copy_filter_module);
    }

    if (in && wd_chain_add_copy(r->pool, &ctx->in, in) != WD_OK) {
        return WD_ERROR;
    }

    for (;;) {
        out = NULL;

        if (wd_http_copy_collect(r, ctx, &out) != WD_OK) {
            return WD_ERROR;
        }

        rc = wd_http_next_body_filter(r, out);

        wd_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &out,
                               (wd_buf_tag_t) &wd_http_copy_filter_module);

        if (rc == WD_ERROR) {
            return rc;
        }

        if (ctx->in == NULL) {
            r->buffered &= ~WD_HTTP_COPY_BUFFERED;
            return rc;
        }

        r->buffered |= WD_HTTP_COPY_BUFFERED;

        if (ctx->free == NULL) {
            return WD_AGAIN;
        }
    }
}

static void *
wd_http_copy_create_conf(wd_conf_t *cf)
{
    return wd_pcalloc(cf->pool, sizeof(wd_http_copy_conf_t));
}

static char *
wd_http_copy_merge_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_http_copy_conf_t *prev = parent;
    wd_http_copy_conf_t *conf = child;

    wd_conf_merge_bufs_value(conf->bufs, prev->bufs, 2, 32768);

    return WD_CONF_OK;
}

static wd_int_t
wd_http_copy_filter_init(wd_conf_t *cf)
{
    wd_http_next_body_filter = wd_http_top_body_filter;
    wd_http_top_body_filter = wd_http_copy_filter;

    return WD_OK;
}
