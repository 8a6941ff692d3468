/*
 * The last body filter: holds small writes back (postpone_output),
 * paces the response (limit_rate), and sends with the connection's
 * send_chain (writev + sendfile).
 */

#include <wd_http.h>

static wd_int_t wd_http_write_filter_init(wd_conf_t *cf);

static wd_http_module_t wd_http_write_filter_module_ctx = {
    NULL,
    wd_http_write_filter_init,
    NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_write_filter_module = {
    WD_MODULE_V1,
    &wd_http_write_filter_module_ctx,
    NULL,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

wd_int_t
wd_http_send_header(wd_http_request_t *r)
{
    if (r->post_action) {
        return WD_OK;
    }

    if (r->header_sent) {
        wd_log_error(WD_LOG_ALERT, r->connection->log, 0,
                     "header already sent");
        return WD_ERROR;
    }

    if (r->err_status) {
        r->headers_out.status = r->err_status;
        r->headers_out.status_line.len = 0;
    }

    return wd_http_top_header_filter(r);
}

wd_int_t
wd_http_output_filter(wd_http_request_t *r, wd_chain_t *in)
{
    wd_int_t rc;
    wd_connection_t *c;

    c = r->connection;

    rc = wd_http_top_body_filter(r, in);

    if (rc == WD_ERROR) {
        /* the connection is broken: nothing more is sent on it */
        c->error = 1;
    }

    return rc;
}

/* Appends in to r->out; sets what the whole chain holds. */
static wd_int_t
wd_http_write_collect(wd_http_request_t *r, wd_chain_t *in, off_t *size,
    wd_uint_t *flush, wd_uint_t *last, wd_uint_t *sync)
{
    wd_chain_t *cl, *ln, **ll;

    *size = 0;
    *flush = 0;
    *last = 0;
    *sync = 0;

    ll = &r->out;

    for (cl = r->out; cl; cl = cl->next) {
        ll = &cl->next;
        *size += wd_buf_size(cl->buf);
        *flush |= cl->buf->flush || cl->buf->recycled;
        *sync |= cl->buf->sync;
        *last |= cl->buf->last_buf;
    }

    for (ln = in; ln; ln = ln->next) {
        cl = wd_alloc_chain_link(r->pool);

        if (cl == NULL) {
            return WD_ERROR;
        }

        cl->buf = ln->buf;
        *ll = cl;
        ll = &cl->next;

        *size += wd_buf_size(cl->buf);
        *flush |= cl->buf->flush || cl->buf->recycled;
        *sync |= cl->buf->sync;
        *last |= cl->buf->last_buf;
    }

    *ll = NULL;

    return WD_OK;
}

/* How much limit_rate lets out now; 0 for no limit, -1 to wait. */
static off_t
wd_http_write_rate_limit(wd_http_request_t *r, wd_http_core_loc_conf_t *clcf)
{
    off_t limit;
    wd_msec_t delay;
    wd_connection_t *c;

    c = r->connection;

    if (!r->limit_rate_set) {
        r->limit_rate = wd_http_complex_value_size(r, clcf->limit_rate, 0);
        r->limit_rate_set = 1;
    }

    if (r->limit_rate == 0) {
        return 0;
    }

    if (!r->limit_rate_after_set) {
        r->limit_rate_after = wd_http_complex_value_size(r,
                                                         clcf->limit_rate_after,
                                                         0);
        r->limit_rate_after_set = 1;
    }

    limit = (off_t) r->limit_rate * (wd_time() - r->start_sec + 1)
            - (c->sent - (off_t) r->limit_rate_after);

    if (limit <= 0) {
        c->write->delayed = 1;
        delay = (wd_msec_t) (-limit * 1000 / (off_t) r->limit_rate + 1);
        wd_event_add_timer(c->write, delay);
        c->buffered |= WD_HTTP_WRITE_BUFFERED;
        return -1;
    }

    return limit;
}

/* After sending, waits as long as the bytes just sent deserve. */
static void
wd_http_write_rate_pause(wd_http_request_t *r, off_t before)
{
    off_t sent, nsent, after;
    wd_msec_t delay;
    wd_connection_t *c;

    c = r->connection;

    if (r->limit_rate == 0) {
        return;
    }

    after = (off_t) r->limit_rate_after;
    sent = before > after ? before - after : 0;
    nsent = c->sent > after ? c->sent - after : 0;

    delay = (wd_msec_t) ((nsent - sent) * 1000 / (off_t) r->limit_rate);

    if (delay > 0) {
        c->write->delayed = 1;
        wd_event_add_timer(c->write, delay);
    }
}

wd_int_t
wd_http_write_filter(wd_http_request_t *r, wd_chain_t *in)
{
    off_t size, limit, sent;
    wd_uint_t last, flush, sync;
    wd_chain_t *cl, *chain;
    wd_connection_t *c;
    wd_http_core_loc_conf_t *clcf;

    c = r->connection;

    if (c->error) {
        return WD_ERROR;
    }

    if (wd_http_write_collect(r, in, &size, &flush, &last, &sync) != WD_OK) {
        return WD_ERROR;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    /* small output waits for more, unless it must go now */
    if (!last && !flush && in && size < (off_t) clcf->postpone_output) {
        return WD_OK;
    }

    if (c->write->delayed) {
        c->buffered |= WD_HTTP_WRITE_BUFFERED;
        return WD_AGAIN;
    }

    if (size == 0 && !(c->buffered & WD_HTTP_LOWLEVEL_BUFFERED)) {
        /* only markers: drop them */
        for (cl = r->out; cl; /* void */) {
            chain = cl->next;
            wd_free_chain(r->pool, cl);
            cl = chain;
        }

        r->out = NULL;
        c->buffered &= ~WD_HTTP_WRITE_BUFFERED;

        return WD_OK;
    }

    limit = wd_http_write_rate_limit(r, clcf);

    if (limit < 0) {
        return WD_AGAIN;
    }

    if (clcf->sendfile_max_chunk
        && (limit == 0 || limit > (off_t) clcf->sendfile_max_chunk))
    {
        limit = (off_t) clcf->sendfile_max_chunk;
    }

    sent = c->sent;

    chain = c->send_chain(c, r->out, limit);

    if (chain == (wd_chain_t *) WD_ERROR) {
        c->error = 1;
        return WD_ERROR;
    }

    wd_http_write_rate_pause(r, sent);

    /* more to send and the socket still takes it: continue next loop
     * iteration, after other connections had their turn */
    if (chain && c->write->ready && !c->write->delayed) {
        wd_post_event(c->write, &wd_posted_next_events);
    }

    for (cl = r->out; cl && cl != chain; /* void */) {
        wd_chain_t *next = cl->next;

        wd_free_chain(r->pool, cl);
        cl = next;
    }

    r->out = chain;

    if (chain) {
        c->buffered |= WD_HTTP_WRITE_BUFFERED;
        return WD_AGAIN;
    }

    c->buffered &= ~WD_HTTP_WRITE_BUFFERED;

    return WD_OK;
}

static wd_int_t
wd_http_write_filter_init(wd_conf_t *cf)
{
    wd_http_top_body_filter = wd_http_write_filter;

    return WD_OK;
}
