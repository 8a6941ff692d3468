/*
 * A connection's requests: reading the request line and headers, picking
 * the virtual server, running the request, and afterwards keep-alive,
 * pipelining, lingering close or closing.
 */

#include <wd_http.h>

static void wd_http_wait_request_handler(wd_event_t *ev);
static wd_http_request_t *wd_http_create_request(wd_connection_t *c);
static void wd_http_process_request_line(wd_event_t *rev);
static void wd_http_process_request_headers(wd_event_t *rev);
static ssize_t wd_http_read_request_header(wd_http_request_t *r);
static wd_int_t wd_http_alloc_large_header_buffer(wd_http_request_t *r,
    wd_uint_t request_line);
static void wd_http_request_handler(wd_event_t *ev);
static void wd_http_set_keepalive(wd_http_request_t *r);
static void wd_http_keepalive_handler(wd_event_t *ev);
static void wd_http_set_lingering_close(wd_connection_t *c);
static void wd_http_lingering_close_handler(wd_event_t *ev);
static wd_int_t wd_http_post_action(wd_http_request_t *r);
static void wd_http_finalize_connection(wd_http_request_t *r);
static void wd_http_terminate_handler(wd_http_request_t *r);
static wd_int_t wd_http_set_write_handler(wd_http_request_t *r);
static void wd_http_writer(wd_http_request_t *r);
static u_char *wd_http_log_error(wd_log_t *log, u_char *buf, size_t len);

/* Request pools are reused rather than freed. */
static wd_pool_cache_t wd_http_request_pools = { NULL, 0, 64, 0 };

static const char *wd_http_client_errors[] = {
    "client sent invalid method",
    "client sent invalid request",
    "client sent invalid version",
    "client sent invalid method in HTTP/0.9 request"
};

/* Finds the address a connection arrived on, for a shared socket. */
static wd_http_addr_conf_t *
wd_http_connection_addr(wd_connection_t *c)
{
    wd_uint_t i;
    wd_http_port_t *port;
    wd_http_in_addr_t *addr;

    port = c->listening->servers;
    addr = port->addrs;

    if (port->naddrs == 1) {
        return &addr[0].conf;
    }

    /* several addresses share the wildcard socket: ask which one */
    if (wd_connection_local_sockaddr(c, NULL, 0) != WD_OK) {
        return NULL;
    }

    for (i = 0; i < port->naddrs - 1; i++) {
        if (wd_cmp_sockaddr(c->local_sockaddr, c->local_socklen,
                            &addr[i].sockaddr.sockaddr, addr[i].socklen, 0)
            == WD_OK)
        {
            break;
        }
    }

    return &addr[i].conf;
}

void
wd_http_init_connection(wd_connection_t *c)
{
    wd_event_t *rev;
    wd_http_log_ctx_t *ctx;
    wd_http_addr_conf_t *addr_conf;
    wd_http_connection_t *hc;

    hc = wd_pcalloc(c->pool, sizeof(wd_http_connection_t));
    ctx = wd_palloc(c->pool, sizeof(wd_http_log_ctx_t));

    if (hc == NULL || ctx == NULL) {
        wd_http_close_connection(c);
        return;
    }

    c->data = hc;

    addr_conf = wd_http_connection_addr(c);

    if (addr_conf == NULL) {
        wd_http_close_connection(c);
        return;
    }

    hc->addr_conf = addr_conf;
    hc->conf_ctx = addr_conf->default_server->ctx;

    ctx->connection = c;
    ctx->request = NULL;
    ctx->current_request = NULL;

    c->log->connection = c->number;
    c->log->handler = wd_http_log_error;
    c->log->data = ctx;
    c->log->action = "waiting for request";
    c->log_error = WD_ERROR_INFO;

    if (addr_conf->proxy_protocol) {
        hc->proxy_protocol = 1;
        c->log->action = "reading PROXY protocol";
    }

    rev = c->read;
    rev->handler = wd_http_wait_request_handler;
    c->write->handler = wd_http_empty_handler;

    if (rev->ready) {
        /* deferred accept: the request is already there */
        wd_http_wait_request_handler(rev);
        return;
    }

    wd_event_add_timer(rev, c->listening->post_accept_timeout);
    wd_reusable_connection(c, 1);
}

/*
 * Request-header buffers: an idle connection gives its buffer back, and
 * the next request on any connection takes one from the worker's free
 * list, so keep-alive traffic costs no malloc()/free() per request while
 * idle connections hold no buffer memory.
 */
typedef struct wd_http_hbuf_s wd_http_hbuf_t;

struct wd_http_hbuf_s {
    wd_http_hbuf_t *next;
};

#define WD_HTTP_FREE_HBUFS_MAX 256

static wd_http_hbuf_t *wd_http_free_hbufs;
static wd_uint_t wd_http_nfree_hbufs;
static size_t wd_http_hbuf_size;

static u_char *
wd_http_hbuf_get(size_t size, wd_log_t *log)
{
    wd_http_hbuf_t *h;

    if (size == wd_http_hbuf_size && wd_http_free_hbufs) {
        h = wd_http_free_hbufs;
        wd_http_free_hbufs = h->next;
        wd_http_nfree_hbufs--;
        return (u_char *) h;
    }

    return wd_alloc(size, log);
}

static void
wd_http_hbuf_put(u_char *p, size_t size)
{
    wd_http_hbuf_t *h;

    if (wd_http_hbuf_size == 0 && size >= sizeof(wd_http_hbuf_t)) {
        wd_http_hbuf_size = size;
    }

    if (size != wd_http_hbuf_size
        || wd_http_nfree_hbufs >= WD_HTTP_FREE_HBUFS_MAX)
    {
        wd_free(p);
        return;
    }

    h = (wd_http_hbuf_t *) p;
    h->next = wd_http_free_hbufs;
    wd_http_free_hbufs = h;
    wd_http_nfree_hbufs++;
}

/* The request-header buffer, (re)filled after keep-alive released it. */
static wd_int_t
wd_http_connection_buffer(wd_connection_t *c, size_t size)
{
    wd_buf_t *b;

    b = c->buffer;

    if (b == NULL) {
        b = wd_calloc_buf(c->pool);

        if (b == NULL) {
            return WD_ERROR;
        }

        b->temporary = 1;
        c->buffer = b;
    }

    if (b->start == NULL) {
        b->start = wd_http_hbuf_get(size, c->log);

        if (b->start == NULL) {
            return WD_ERROR;
        }

        b->pos = b->start;
        b->last = b->start;
        b->end = b->last + size;
    }

    return WD_OK;
}

static void
wd_http_connection_buffer_release(wd_connection_t *c)
{
    wd_buf_t *b;

    b = c->buffer;

    if (b == NULL || b->start == NULL) {
        return;
    }

    wd_http_hbuf_put(b->start, b->end - b->start);

    b->start = NULL;
    b->pos = NULL;
    b->last = NULL;
    b->end = NULL;
}

/*
 * The PROXY protocol header a "listen ... proxy_protocol" connection
 * starts with, read into the request-header buffer: WD_OK when it is
 * complete (b->pos is past it, and c->proxy_protocol set when it gave
 * addresses), WD_AGAIN when more of it must arrive, WD_ERROR (logged) when
 * the connection must be closed.  nginx wants the whole header in the
 * first read; here it may come in pieces, within client_header_timeout.
 */
static wd_int_t
wd_http_read_proxy_protocol(wd_connection_t *c, wd_buf_t *b)
{
    size_t len;
    wd_int_t rc;
    wd_proxy_protocol_header_t h;
    u_char text[4 * WD_PROXY_PROTOCOL_LOG_TEXT];

    rc = wd_proxy_protocol_parse(&h, b->pos, b->last - b->pos);

    if (rc == WD_AGAIN) {
        if (h.size <= (size_t) (b->end - b->pos) && b->last < b->end) {
            return WD_AGAIN;
        }

        wd_log_error(WD_LOG_ERR, c->log, 0, "header is too large");
        return WD_ERROR;
    }

    if (rc == WD_ERROR) {
        switch (h.error) {

        case WD_PROXY_PROTOCOL_VERSION:
            wd_log_error(WD_LOG_ERR, c->log, 0,
                         "unknown PROXY protocol version: %u",
                         (unsigned) h.bad_version);
            break;

        case WD_PROXY_PROTOCOL_SHORT:
            wd_log_error(WD_LOG_ERR, c->log, 0,
                         "broken header: PROXY protocol v2 addresses "
                         "truncated");
            break;

        default:
            len = wd_proxy_protocol_log_text(text, b->pos, b->last - b->pos);
            wd_log_error(WD_LOG_ERR, c->log, 0, "broken header: \"%.*s\"",
                         (int) len, text);
        }

        return WD_ERROR;
    }

    if (h.has_addrs) {
        c->proxy_protocol = wd_proxy_protocol_dup(c->pool, &h.pp);

        if (c->proxy_protocol == NULL) {
            return WD_ERROR;
        }
    }

    b->pos += h.size;

    return WD_OK;
}

static void
wd_http_wait_request_handler(wd_event_t *rev)
{
    ssize_t n;
    size_t size;
    wd_int_t rc;
    wd_buf_t *b;
    wd_connection_t *c;
    wd_http_connection_t *hc;
    wd_http_core_srv_conf_t *cscf;

    c = rev->data;

    if (rev->timedout) {
        wd_log_error(WD_LOG_INFO, c->log, WD_ETIMEDOUT, "client timed out");
        wd_http_close_connection(c);
        return;
    }

    if (c->close) {
        wd_http_close_connection(c);
        return;
    }

    hc = c->data;
    cscf = wd_http_get_module_srv_conf(hc->conf_ctx, wd_http_core_module);
    size = cscf->client_header_buffer_size;

    if (wd_http_connection_buffer(c, size) != WD_OK) {
        wd_http_close_connection(c);
        return;
    }

    b = c->buffer;

    /* (only a PROXY protocol header in pieces leaves data here) */
    n = c->recv(c, b->last, b->end - b->last);

    if (n == WD_AGAIN) {
        if (!rev->timer_set) {
            wd_event_add_timer(rev, c->listening->post_accept_timeout);
            wd_reusable_connection(c, 1);
        }

        /* an idle connection holds no buffer memory */
        if (b->pos == b->last) {
            wd_http_connection_buffer_release(c);
        }

        return;
    }

    if (n == WD_ERROR) {
        wd_http_close_connection(c);
        return;
    }

    if (n == 0) {
        wd_log_error(WD_LOG_INFO, c->log, 0, "client closed connection");
        wd_http_close_connection(c);
        return;
    }

    b->last += n;

    if (hc->proxy_protocol) {
        rc = wd_http_read_proxy_protocol(c, b);

        if (rc == WD_ERROR) {
            wd_http_close_connection(c);
            return;
        }

        if (rc == WD_OK) {
            hc->proxy_protocol = 0;
            c->log->action = "waiting for request";
        }

        if (rc == WD_AGAIN || b->pos == b->last) {
            /* the rest of the header, or the request, is still to come:
             * the timer of the accept (a deferred one has none yet)
             * bounds the whole wait */
            if (!rev->timer_set) {
                wd_event_add_timer(rev, c->listening->post_accept_timeout);
                wd_reusable_connection(c, 1);
            }

            if (b->pos == b->last) {
                wd_http_connection_buffer_release(c);
            }

            /* a read cut short by a pending EOF: read again now */
            if (rev->ready) {
                wd_post_event(rev, &wd_posted_events);
            }

            return;
        }
    }

    c->log->action = "reading client request line";

    wd_reusable_connection(c, 0);

    c->data = wd_http_create_request(c);

    if (c->data == NULL) {
        wd_http_close_connection(c);
        return;
    }

    rev->handler = wd_http_process_request_line;
    wd_http_process_request_line(rev);
}

static wd_http_request_t *
wd_http_alloc_request(wd_connection_t *c)
{
    wd_pool_t *pool;
    wd_http_request_t *r;
    wd_http_connection_t *hc;
    wd_http_core_srv_conf_t *cscf;
    wd_http_core_main_conf_t *cmcf;

    hc = c->data;
    cscf = hc->conf_ctx->srv_conf[wd_http_core_module.ctx_index];

    pool = wd_pool_cache_get(&wd_http_request_pools, cscf->request_pool_size,
                             c->log);

    if (pool == NULL) {
        return NULL;
    }

    r = wd_pcalloc(pool, sizeof(wd_http_request_t));

    if (r == NULL) {
        wd_destroy_pool(pool);
        return NULL;
    }

    r->pool = pool;
    r->http_connection = hc;
    r->connection = c;

    r->main_conf = hc->conf_ctx->main_conf;
    r->srv_conf = hc->conf_ctx->srv_conf;
    r->loc_conf = hc->conf_ctx->loc_conf;

    r->read_event_handler = wd_http_block_reading;
    r->header_in = hc->busy ? hc->busy->buf : c->buffer;

    cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);

    /* trailers stay an empty list until something adds one */
    r->headers_out.trailers.last = &r->headers_out.trailers.part;

    if (wd_list_init(&r->headers_out.headers, r->pool, 8,
                     sizeof(wd_table_elt_t)) != WD_OK)
    {
        wd_destroy_pool(r->pool);
        return NULL;
    }

    r->ctx = wd_pcalloc(r->pool, sizeof(void *) * wd_http_max_module);
    r->variables = wd_pcalloc(r->pool, cmcf->variables.nelts
                                           * sizeof(wd_http_variable_value_t));

    if (r->ctx == NULL || r->variables == NULL) {
        wd_destroy_pool(r->pool);
        return NULL;
    }

    return r;
}

static wd_http_request_t *
wd_http_create_request(wd_connection_t *c)
{
    wd_http_request_t *r;
    wd_http_log_ctx_t *ctx;

    r = wd_http_alloc_request(c);

    if (r == NULL) {
        return NULL;
    }

    c->requests++;

    r->main = r;
    r->count = 1;

    r->start_sec = wd_time();
    r->start_msec = wd_cached_time->msec;

    r->method = WD_HTTP_UNKNOWN;
    r->http_version = WD_HTTP_VERSION_10;

    r->headers_in.content_length_n = -1;
    r->headers_in.keep_alive_n = -1;
    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;

    r->uri_changes = WD_HTTP_MAX_URI_CHANGES + 1;
    r->subrequests = WD_HTTP_MAX_SUBREQUESTS + 1;

    /* $request_length counts what was read for this request: what is
     * buffered already (pipelined or just read), and every read after */
    r->request_length = r->header_in->last - r->header_in->pos;

    r->http_state = WD_HTTP_READING_REQUEST_STATE;

    ctx = c->log->data;
    ctx->request = r;
    ctx->current_request = r;

    wd_atomic_fetch_add(wd_stat_reading, 1);
    r->stat_reading = 1;
    wd_atomic_fetch_add(wd_stat_requests, 1);

    return r;
}

/* Request line parsed: what it says goes into the request. */
static wd_int_t
wd_http_request_line_done(wd_http_request_t *r)
{
    wd_str_t host;

    r->request_line.len = r->request_end - r->request_start;
    r->request_line.data = r->request_start;

    if (wd_http_process_request_uri(r) != WD_OK) {
        return WD_ERROR;
    }

    if (r->schema_end) {
        r->schema.len = r->schema_end - r->schema_start;
        r->schema.data = r->schema_start;
    }

    if (r->host_end) {
        host.len = r->host_end - r->host_start;
        host.data = r->host_start;

        if (wd_http_validate_host(&host, r->pool, 0) != WD_OK) {
            wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                         "client sent invalid host in request line");
            wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
            return WD_ERROR;
        }

        if (wd_http_set_virtual_server(r, &host) == WD_ERROR) {
            return WD_ERROR;
        }

        r->headers_in.server = host;
    }

    if (r->http_version < WD_HTTP_VERSION_10) {
        /* HTTP/0.9: no headers */
        r->request_length -= r->header_in->last - r->header_in->pos;
        if (r->headers_in.server.len == 0
            && wd_http_set_virtual_server(r, &r->headers_in.server)
                   == WD_ERROR)
        {
            return WD_ERROR;
        }

        wd_http_process_request(r);
        return WD_ERROR;
    }

    if (wd_list_init(&r->headers_in.headers, r->pool, 20,
                     sizeof(wd_table_elt_t)) != WD_OK)
    {
        wd_http_close_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_ERROR;
    }

    r->connection->log->action = "reading client request headers";

    return WD_OK;
}

/* For the logs: the request line as sent, when it could not be parsed
 * (up to its line end, or what arrived of it). */
static void
wd_http_salvage_request_line(wd_http_request_t *r)
{
    u_char *end;

    if (r->request_line.data || r->request_start == NULL) {
        return;
    }

    for (end = r->request_start; end < r->header_in->last; end++) {
        if (*end == CR || *end == LF) {
            break;
        }
    }

    r->request_line.len = end - r->request_start;
    r->request_line.data = r->request_start;

    if (r->method_name.data == NULL) {
        for (end = r->request_start; end < r->request_start
                                            + r->request_line.len; end++)
        {
            if (*end == ' ') {
                break;
            }
        }

        r->method_name.len = end - r->request_start;
        r->method_name.data = r->request_start;
    }
}

static void
wd_http_process_request_line(wd_event_t *rev)
{
    ssize_t n;
    wd_int_t rc, rv;
    wd_connection_t *c;
    wd_http_request_t *r;

    c = rev->data;
    r = c->data;

    if (rev->timedout) {
        wd_log_error(WD_LOG_INFO, c->log, WD_ETIMEDOUT, "client timed out");
        c->timedout = 1;
        wd_http_close_request(r, WD_HTTP_REQUEST_TIME_OUT);
        return;
    }

    rc = WD_AGAIN;

    for (;;) {
        if (rc == WD_AGAIN) {
            n = wd_http_read_request_header(r);

            if (n == WD_AGAIN || n == WD_ERROR) {
                break;
            }
        }

        rc = wd_http_parse_request_line(r, r->header_in);

        if (rc == WD_OK) {
            if (wd_http_request_line_done(r) != WD_OK) {
                break;
            }

            rev->handler = wd_http_process_request_headers;
            wd_http_process_request_headers(rev);
            break;
        }

        if (rc != WD_AGAIN) {
            wd_http_salvage_request_line(r);

            wd_log_error(WD_LOG_INFO, c->log, 0, "%s",
                         wd_http_client_errors[rc - WD_HTTP_CLIENT_ERROR]);

            if (rc == WD_HTTP_PARSE_INVALID_VERSION) {
                wd_http_finalize_request(r, WD_HTTP_VERSION_NOT_SUPPORTED);
            } else {
                wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
            }

            break;
        }

        /* the request line does not fit the buffer */
        if (r->header_in->pos == r->header_in->end) {
            rv = wd_http_alloc_large_header_buffer(r, 1);

            if (rv == WD_ERROR) {
                wd_http_close_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
                break;
            }

            if (rv == WD_DECLINED) {
                r->request_line.len = r->header_in->end - r->request_start;
                r->request_line.data = r->request_start;

                wd_log_error(WD_LOG_INFO, c->log, 0,
                             "client sent too long URI");
                wd_http_finalize_request(r, WD_HTTP_REQUEST_URI_TOO_LARGE);
                break;
            }
        }
    }

    wd_http_run_posted_requests(c);
}

wd_int_t
wd_http_process_request_uri(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_http_core_srv_conf_t *cscf;

    if (r->args_start) {
        r->uri.len = r->args_start - 1 - r->uri_start;
    } else {
        r->uri.len = r->uri_end - r->uri_start;
    }

    if (r->complex_uri || r->quoted_uri || r->empty_path_in_uri) {
        r->uri.data = wd_pnalloc(r->pool, r->uri_end - r->uri_start + 2);

        if (r->uri.data == NULL) {
            wd_http_close_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
            return WD_ERROR;
        }

        cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);

        rc = wd_http_parse_complex_uri(r, (wd_uint_t) cscf->merge_slashes);

        if (rc != WD_OK) {
            r->uri.len = 0;

            wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                         "client sent invalid request");
            wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
            return WD_ERROR;
        }

    } else {
        r->uri.data = r->uri_start;
    }

    /* "OPTIONS *" is valid HTTP, but there is nothing to serve for it */
    if (r->uri.len == 0 || r->uri.data[0] != '/') {
        wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                     "client sent invalid request");
        wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
        return WD_ERROR;
    }

    r->unparsed_uri.len = r->uri_end - r->uri_start;
    r->unparsed_uri.data = r->uri_start;

    r->valid_unparsed_uri = r->empty_path_in_uri ? 0 : 1;

    wd_http_set_exten(r);

    if (r->args_start && r->uri_end > r->args_start) {
        r->args.len = r->uri_end - r->args_start;
        r->args.data = r->args_start;
    }

    return WD_OK;
}

/* Stores a parsed header line and runs its handler. */
static wd_int_t
wd_http_store_header(wd_http_request_t *r)
{
    wd_table_elt_t *h;
    wd_http_header_t *hh;
    wd_http_core_main_conf_t *cmcf;

    h = wd_list_push(&r->headers_in.headers);

    if (h == NULL) {
        wd_http_close_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_ERROR;
    }

    h->hash = r->header_hash;

    h->key.len = r->header_name_end - r->header_name_start;
    h->key.data = r->header_name_start;
    h->key.data[h->key.len] = '\0';

    h->value.len = r->header_end - r->header_start;
    h->value.data = r->header_start;
    h->value.data[h->value.len] = '\0';

    h->next = NULL;

    h->lowcase_key = wd_pnalloc(r->pool, h->key.len);

    if (h->lowcase_key == NULL) {
        wd_http_close_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_ERROR;
    }

    if (h->key.len == r->lowcase_index) {
        wd_memcpy(h->lowcase_key, r->lowcase_header, h->key.len);
    } else {
        wd_strlow(h->lowcase_key, h->key.data, h->key.len);
    }

    cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);

    hh = wd_hash_find(&cmcf->headers_in_hash, h->hash, h->lowcase_key,
                      h->key.len);

    if (hh && hh->handler(r, h, hh->offset) != WD_OK) {
        return WD_ERROR;
    }

    return WD_OK;
}

/* The header section did not fit: "494 Request Header Or Cookie Too
 * Large", logging the start of the offending line. */
static void
wd_http_header_too_large(wd_http_request_t *r)
{
    u_char *p;
    size_t len;

    p = r->header_name_start;

    r->lingering_close = 1;

    if (p == NULL) {
        wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                     "client sent too large request");
        wd_http_finalize_request(r, WD_HTTP_REQUEST_HEADER_TOO_LARGE);
        return;
    }

    len = r->header_in->end - p;

    if (len > WD_MAX_ERROR_STR - 300) {
        len = WD_MAX_ERROR_STR - 300;
    }

    wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                 "client sent too long header line: \"%.*s...\"",
                 (int) wd_min(len, 256), p);

    wd_http_finalize_request(r, WD_HTTP_REQUEST_HEADER_TOO_LARGE);
}

static void
wd_http_process_request_headers(wd_event_t *rev)
{
    ssize_t n;
    wd_int_t rc, rv;
    wd_connection_t *c;
    wd_http_request_t *r;
    wd_http_core_srv_conf_t *cscf;

    c = rev->data;
    r = c->data;

    if (rev->timedout) {
        wd_log_error(WD_LOG_INFO, c->log, WD_ETIMEDOUT, "client timed out");
        c->timedout = 1;
        wd_http_close_request(r, WD_HTTP_REQUEST_TIME_OUT);
        return;
    }

    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);

    rc = WD_AGAIN;

    for (;;) {
        if (rc == WD_AGAIN) {
            if (r->header_in->pos == r->header_in->end) {
                rv = wd_http_alloc_large_header_buffer(r, 0);

                if (rv == WD_ERROR) {
                    wd_http_close_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
                    break;
                }

                if (rv == WD_DECLINED) {
                    wd_http_header_too_large(r);
                    break;
                }
            }

            n = wd_http_read_request_header(r);

            if (n == WD_AGAIN || n == WD_ERROR) {
                break;
            }
        }

        if (r->state == 0) {
            /* where the line starts, for the log of a bad one (the
             * parser moves it to the name when it finds one) */
            r->header_name_start = r->header_in->pos;
        }

        rc = wd_http_parse_header_line(r, r->header_in,
                                       (wd_uint_t)
                                           cscf->underscores_in_headers);

        if (rc == WD_OK) {
            if (r->invalid_header && cscf->ignore_invalid_headers) {
                wd_log_error(WD_LOG_INFO, c->log, 0,
                             "client sent invalid header line: \"%.*s\"",
                             (int) (r->header_end - r->header_name_start),
                             r->header_name_start);
                continue;
            }

            if (wd_http_store_header(r) != WD_OK) {
                break;
            }

            continue;
        }

        if (rc == WD_HTTP_PARSE_HEADER_DONE) {
            /* what follows the header is the body or the next request */
            r->request_length -= r->header_in->last - r->header_in->pos;
            r->http_state = WD_HTTP_PROCESS_REQUEST_STATE;

            if (wd_http_process_request_header(r) != WD_OK) {
                break;
            }

            wd_http_process_request(r);
            break;
        }

        if (rc == WD_AGAIN) {
            continue;
        }

        /* WD_HTTP_PARSE_INVALID_HEADER: the line up to the bad byte,
         * which b->pos points at (a bare CR is the byte before) */
        {
            u_char *bad = r->header_in->pos;

            if (bad > r->header_name_start && bad[-1] == CR) {
                bad--;
            }

            wd_log_error(WD_LOG_INFO, c->log, 0,
                         "client sent invalid header line: "
                         "\"%.*s\\x%02x...\"",
                         (int) wd_min((size_t) (bad - r->header_name_start),
                                      256),
                         r->header_name_start,
                         bad < r->header_in->last ? *bad : 0);
        }
        wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
        break;
    }

    wd_http_run_posted_requests(c);
}

static ssize_t
wd_http_read_request_header(wd_http_request_t *r)
{
    ssize_t n;
    wd_event_t *rev;
    wd_connection_t *c;
    wd_http_core_srv_conf_t *cscf;

    c = r->connection;
    rev = c->read;

    n = r->header_in->last - r->header_in->pos;

    if (n > 0) {
        return n;
    }

    if (rev->ready) {
        n = c->recv(c, r->header_in->last,
                    r->header_in->end - r->header_in->last);
    } else {
        n = WD_AGAIN;
    }

    if (n == WD_AGAIN) {
        if (!rev->timer_set) {
            cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);
            wd_event_add_timer(rev, cscf->client_header_timeout);
        }

        return WD_AGAIN;
    }

    if (n == 0) {
        wd_log_error(WD_LOG_INFO, c->log, 0,
                     "client prematurely closed connection");
    }

    if (n == 0 || n == WD_ERROR) {
        c->error = 1;
        c->log->action = "reading client request headers";

        wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
        return WD_ERROR;
    }

    r->header_in->last += n;
    r->request_length += n;

    return n;
}

/* Moves every parser pointer at or after old by the same offset. */
static void
wd_http_rebase_pointers(wd_http_request_t *r, u_char *old, u_char *new)
{
    u_char **fields[] = {
        &r->request_start, &r->request_end, &r->method_end, &r->uri_start,
        &r->uri_end, &r->uri_ext, &r->args_start, &r->schema_start,
        &r->schema_end, &r->host_start, &r->host_end, &r->port_start,
        &r->port_end, &r->http_protocol.data, &r->header_name_start,
        &r->header_name_end, &r->header_start, &r->header_end
    };
    wd_uint_t i;

    for (i = 0; i < wd_nelems(fields); i++) {
        if (*fields[i] && *fields[i] >= old) {
            *fields[i] = new + (*fields[i] - old);
        }
    }
}

/*
 * The line being read (request line or a header) outgrew its buffer:
 * move it into a large_client_header_buffers buffer.  WD_DECLINED when
 * the line is too long or all large buffers are used.
 */
static wd_int_t
wd_http_alloc_large_header_buffer(wd_http_request_t *r,
    wd_uint_t request_line)
{
    u_char *old;
    size_t used;
    wd_buf_t *b;
    wd_chain_t *cl;
    wd_http_connection_t *hc;
    wd_http_core_srv_conf_t *cscf;

    old = request_line ? r->request_start : r->header_name_start;

    if (r->state == 0 && old == NULL) {
        /* between lines: nothing to carry over */
        old = r->header_in->pos;
    }

    if (old == NULL) {
        old = r->header_in->pos;
    }

    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);
    used = r->header_in->pos - old;

    if (r->state != 0 && used >= cscf->large_client_header_buffers.size) {
        return WD_DECLINED;
    }

    hc = r->http_connection;

    if (hc->nbusy >= cscf->large_client_header_buffers.num) {
        return WD_DECLINED;
    }

    b = wd_create_temp_buf(r->connection->pool,
                           cscf->large_client_header_buffers.size);
    cl = wd_alloc_chain_link(r->connection->pool);

    if (b == NULL || cl == NULL) {
        return WD_ERROR;
    }

    cl->buf = b;
    cl->next = hc->busy;
    hc->busy = cl;
    hc->nbusy++;

    if (r->header_in->pos - old > b->end - b->start) {
        return WD_DECLINED;
    }

    wd_memcpy(b->start, old, r->header_in->pos - old);

    b->pos = b->start + (r->header_in->pos - old);
    b->last = b->start + (r->header_in->pos - old);

    wd_http_rebase_pointers(r, old, b->start);

    r->header_in = b;

    return WD_OK;
}

static wd_int_t
wd_http_reject(wd_http_request_t *r, wd_uint_t status, const char *msg)
{
    wd_log_error(WD_LOG_INFO, r->connection->log, 0, "%s", msg);
    wd_http_finalize_request(r, (wd_int_t) status);

    return WD_ERROR;
}

static wd_int_t
wd_http_check_transfer_encoding(wd_http_request_t *r)
{
    wd_table_elt_t *te;

    te = r->headers_in.transfer_encoding;

    if (te == NULL) {
        return WD_OK;
    }

    if (r->http_version < WD_HTTP_VERSION_11) {
        return wd_http_reject(r, WD_HTTP_BAD_REQUEST,
                              "client sent HTTP/1.0 request with "
                              "\"Transfer-Encoding\" header");
    }

    if (te->value.len == 7
        && wd_strncasecmp(te->value.data, (u_char *) "chunked", 7) == 0)
    {
        if (r->headers_in.content_length) {
            return wd_http_reject(r, WD_HTTP_BAD_REQUEST,
                                  "client sent \"Content-Length\" and "
                                  "\"Transfer-Encoding\" headers "
                                  "at the same time");
        }

        r->headers_in.chunked = 1;
        return WD_OK;
    }

    wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                 "client sent unknown \"Transfer-Encoding\": \"%.*s\"",
                 wd_str_fmt(&te->value));
    wd_http_finalize_request(r, WD_HTTP_NOT_IMPLEMENTED);

    return WD_ERROR;
}

wd_int_t
wd_http_process_request_header(wd_http_request_t *r)
{
    wd_table_elt_t *cl;

    if (r->headers_in.server.len == 0
        && wd_http_set_virtual_server(r, &r->headers_in.server) == WD_ERROR)
    {
        return WD_ERROR;
    }

    if (r->headers_in.host == NULL && r->http_version > WD_HTTP_VERSION_10) {
        return wd_http_reject(r, WD_HTTP_BAD_REQUEST,
                              "client sent HTTP/1.1 request "
                              "without \"Host\" header");
    }

    cl = r->headers_in.content_length;

    if (cl) {
        r->headers_in.content_length_n = wd_atoof(cl->value.data,
                                                  cl->value.len);

        if (r->headers_in.content_length_n == -1) {
            wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                         "client sent invalid \"Content-Length\" header");
            wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
            return WD_ERROR;
        }
    }

    if (wd_http_check_transfer_encoding(r) != WD_OK) {
        return WD_ERROR;
    }

    if (r->method == WD_HTTP_CONNECT) {
        return wd_http_reject(r, WD_HTTP_NOT_ALLOWED,
                              "client sent CONNECT method");
    }

    if (r->method == WD_HTTP_TRACE) {
        return wd_http_reject(r, WD_HTTP_NOT_ALLOWED,
                              "client sent TRACE method");
    }

    return WD_OK;
}

void
wd_http_process_request(wd_http_request_t *r)
{
    wd_connection_t *c;

    c = r->connection;

    if (c->read->timer_set) {
        wd_event_del_timer(c->read);
    }

    if (r->stat_reading) {
        wd_atomic_fetch_add(wd_stat_reading, -1);
        r->stat_reading = 0;
    }

    wd_atomic_fetch_add(wd_stat_writing, 1);
    r->stat_writing = 1;

    c->read->handler = wd_http_request_handler;
    c->write->handler = wd_http_request_handler;
    r->read_event_handler = wd_http_block_reading;

    wd_http_handler(r);

    wd_http_run_posted_requests(c);
}

/* Host syntax (RFC 3986 reg-name / IP literal), lowercased, without a
 * trailing dot or the port.  alloc: copy before changing. */
wd_int_t
wd_http_validate_host(wd_str_t *host, wd_pool_t *pool, wd_uint_t alloc)
{
    u_char *h, ch;
    size_t i, dot_pos, host_len;
    wd_uint_t in_brackets, lower;

    h = host->data;
    dot_pos = host->len;
    host_len = host->len;
    in_brackets = 0;
    lower = 0;

    for (i = 0; i < host->len; i++) {
        ch = h[i];

        switch (ch) {

        case '.':
            if (dot_pos == i - 1) {
                return WD_DECLINED;
            }
            dot_pos = i;
            break;

        case ':':
            if (in_brackets) {
                break;
            }
            host_len = i;
            i = host->len;
            break;

        case '[':
            if (i == 0) {
                in_brackets = 1;
            }
            break;

        case ']':
            if (in_brackets) {
                in_brackets = 0;
                host_len = i + 1;
            }
            break;

        case '/':
        case '\0':
            return WD_DECLINED;

        default:
            if (ch < 0x20 || ch == 0x7f || ch == '\\') {
                return WD_DECLINED;
            }

            if (ch >= 'A' && ch <= 'Z') {
                lower = 1;
            }

            break;
        }
    }

    if (in_brackets) {
        return WD_DECLINED;
    }

    if (dot_pos == host_len - 1) {
        host_len--;
    }

    if (host_len == 0) {
        return WD_DECLINED;
    }

    if (lower && alloc) {
        host->data = wd_pnalloc(pool, host_len);

        if (host->data == NULL) {
            return WD_ERROR;
        }

        wd_strlow(host->data, h, host_len);

    } else if (lower) {
        wd_strlow(h, h, host_len);
    }

    host->len = host_len;

    return WD_OK;
}

/* Matches host against the address's server names; regex captures are
 * kept for $1 and named variables. */
static wd_http_core_srv_conf_t *
wd_http_find_virtual_server(wd_http_request_t *r,
    wd_http_virtual_names_t *vn, wd_str_t *host)
{
    u_char *lc, buf[256];
    wd_uint_t i, key;
    wd_int_t n;
    wd_http_core_srv_conf_t *cscf;

    if (vn == NULL) {
        return NULL;
    }

    if (host->len == 0) {
        return vn->empty;
    }

    lc = (host->len <= sizeof(buf)) ? buf : wd_pnalloc(r->pool, host->len);

    if (lc == NULL) {
        return NULL;
    }

    key = wd_hash_strlow(lc, host->data, host->len);

    cscf = wd_hash_find_combined(&vn->names, key, lc, host->len);

    if (cscf) {
        return cscf;
    }

    for (i = 0; i < vn->nregex; i++) {
        n = wd_http_regex_exec(r, vn->regex[i].regex, host);

        if (n == WD_DECLINED) {
            continue;
        }

        if (n == WD_OK) {
            return vn->regex[i].server;
        }

        return NULL;
    }

    return NULL;
}

wd_int_t
wd_http_set_virtual_server(wd_http_request_t *r, wd_str_t *host)
{
    wd_http_connection_t *hc;
    wd_http_addr_conf_t *addr_conf;
    wd_http_core_srv_conf_t *cscf;
    wd_http_core_loc_conf_t *clcf;

    hc = r->http_connection;
    addr_conf = hc->addr_conf;

    cscf = wd_http_find_virtual_server(r, addr_conf->virtual_names, host);

    if (cscf == NULL) {
        cscf = addr_conf->default_server;
    }

    r->srv_conf = cscf->ctx->srv_conf;
    r->loc_conf = cscf->ctx->loc_conf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    r->connection->log->file = clcf->error_log->file;
    r->connection->log->next = clcf->error_log->next;
    r->connection->log->log_level = clcf->error_log->log_level;

    return WD_OK;
}

static void
wd_http_request_handler(wd_event_t *ev)
{
    wd_connection_t *c;
    wd_http_request_t *r;

    c = ev->data;
    r = c->data;

    wd_http_set_log_request(c->log, r);

    if (c->close) {
        r->main->count++;
        wd_http_terminate_request(r, 0);
        wd_http_run_posted_requests(c);
        return;
    }

    if (ev->delayed && ev->timedout) {
        ev->delayed = 0;
        ev->timedout = 0;
    }

    if (ev->write) {
        r->write_event_handler(r);
    } else {
        r->read_event_handler(r);
    }

    wd_http_run_posted_requests(c);
}

void
wd_http_run_posted_requests(wd_connection_t *c)
{
    wd_http_request_t *r;
    wd_http_posted_request_t *pr;

    for (;;) {
        if (c->destroyed) {
            return;
        }

        r = c->data;
        pr = r->main->posted_requests;

        if (pr == NULL) {
            return;
        }

        r->main->posted_requests = pr->next;

        r = pr->request;

        wd_http_set_log_request(c->log, r);

        r->write_event_handler(r);
    }
}

wd_int_t
wd_http_post_request(wd_http_request_t *r, void *unused)
{
    wd_http_posted_request_t *pr, **p;

    pr = wd_palloc(r->pool, sizeof(wd_http_posted_request_t));

    if (pr == NULL) {
        return WD_ERROR;
    }

    pr->request = r;
    pr->next = NULL;

    for (p = &r->main->posted_requests; *p; p = &(*p)->next) { /* void */ }

    *p = pr;

    return WD_OK;
}

void
wd_http_finalize_request(wd_http_request_t *r, wd_int_t rc)
{
    wd_connection_t *c;

    c = r->connection;

    if (rc == WD_DONE) {
        wd_http_finalize_connection(r);
        return;
    }

    if (rc == WD_OK && r->filter_finalize) {
        c->error = 1;
    }

    if (rc == WD_DECLINED) {
        r->content_handler = NULL;
        r->write_event_handler = wd_http_core_run_phases;
        wd_http_core_run_phases(r);
        return;
    }

    if (rc == WD_ERROR || rc == WD_HTTP_REQUEST_TIME_OUT
        || rc == WD_HTTP_CLIENT_CLOSED_REQUEST || c->error)
    {
        if (wd_http_post_action(r) == WD_OK) {
            return;
        }

        wd_http_terminate_request(r, rc);
        return;
    }

    if (rc >= WD_HTTP_SPECIAL_RESPONSE || rc == WD_HTTP_CREATED
        || rc == WD_HTTP_NO_CONTENT)
    {
        if (rc == WD_HTTP_CLOSE) {
            c->timedout = 1;
            wd_http_terminate_request(r, rc);
            return;
        }

        wd_event_del_timer(c->read);
        wd_event_del_timer(c->write);

        c->read->handler = wd_http_request_handler;
        c->write->handler = wd_http_request_handler;

        wd_http_finalize_request(r, wd_http_special_response_handler(r, rc));
        return;
    }

    if (r->buffered || c->buffered) {
        if (wd_http_set_write_handler(r) != WD_OK) {
            wd_http_terminate_request(r, 0);
        }

        return;
    }

    if (r != c->data) {
        wd_log_error(WD_LOG_ALERT, c->log, 0,
                     "http finalize non-active request: \"%.*s?%.*s\"",
                     wd_str_fmt(&r->uri), wd_str_fmt(&r->args));
        return;
    }

    r->done = 1;
    r->read_event_handler = wd_http_block_reading;
    r->write_event_handler = wd_http_request_empty_handler;

    if (!r->post_action) {
        r->request_complete = 1;
    }

    if (wd_http_post_action(r) == WD_OK) {
        return;
    }

    wd_event_del_timer(c->read);
    wd_event_del_timer(c->write);

    if (c->read->eof) {
        wd_http_close_request(r, 0);
        return;
    }

    wd_http_finalize_connection(r);
}

void
wd_http_terminate_request(wd_http_request_t *r, wd_int_t rc)
{
    wd_http_cleanup_t *cln;
    wd_http_request_t *mr;

    mr = r->main;

    for (cln = mr->cleanup; cln; cln = cln->next) {
        if (cln->handler) {
            cln->handler(cln->data);
            cln->handler = NULL;
        }
    }

    mr->cleanup = NULL;

    if (rc > 0 && (mr->headers_out.status == 0 || mr->connection->sent == 0))
    {
        mr->headers_out.status = (wd_uint_t) rc;
    }

    if (mr->write_event_handler) {
        /* the request runs: callers up the stack (an error_page's
         * redirect, a finalize after it) may still use it, so it is
         * closed from the posted requests, once they returned */
        mr->posted_requests = NULL;

        if (wd_http_post_request(mr, NULL) == WD_OK) {
            mr->write_event_handler = wd_http_terminate_handler;
            return;
        }
    }

    /* whatever still holds a reference is dropped with the request */
    mr->count = 1;
    mr->blocked = 0;

    wd_http_close_request(mr, rc);
}

static void
wd_http_terminate_handler(wd_http_request_t *r)
{
    r->count = 1;
    r->blocked = 0;

    wd_http_close_request(r, 0);
}

static void
wd_http_finalize_connection(wd_http_request_t *r)
{
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (r->main->count != 1) {
        if (r->discard_body) {
            r->read_event_handler = wd_http_discarded_request_body_handler;
            wd_event_add_timer(r->connection->read, clcf->lingering_timeout);

            if (r->lingering_time == 0) {
                r->lingering_time = wd_time()
                                    + (time_t) (clcf->lingering_time / 1000);
            }
        }

        wd_http_close_request(r, 0);
        return;
    }

    r = r->main;

    if (r->connection->read->eof) {
        wd_http_close_request(r, 0);
        return;
    }

    if (r->reading_body) {
        r->keepalive = 0;
        r->lingering_close = 1;
    }

    if (!wd_terminate && !wd_exiting && r->keepalive
        && clcf->keepalive_timeout > 0)
    {
        wd_http_set_keepalive(r);
        return;
    }

    if (clcf->lingering_close == WD_HTTP_LINGERING_ALWAYS
        || (clcf->lingering_close == WD_HTTP_LINGERING_ON
            && (r->lingering_close
                || r->header_in->pos < r->header_in->last
                || r->connection->read->ready)))
    {
        wd_http_set_lingering_close(r->connection);
        return;
    }

    wd_http_close_request(r, 0);
}

static wd_int_t
wd_http_set_write_handler(wd_http_request_t *r)
{
    wd_event_t *wev;
    wd_http_core_loc_conf_t *clcf;

    r->http_state = WD_HTTP_WRITING_REQUEST_STATE;
    r->connection->log->action = "sending response to client";

    r->read_event_handler = r->discard_body
                                ? wd_http_discarded_request_body_handler
                                : wd_http_test_reading;
    r->write_event_handler = wd_http_writer;

    wev = r->connection->write;

    if (wev->ready && wev->delayed) {
        return WD_OK;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (!wev->delayed) {
        wd_event_add_timer(wev, clcf->send_timeout);
    }

    return WD_OK;
}

static void
wd_http_writer(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_event_t *wev;
    wd_connection_t *c;
    wd_http_core_loc_conf_t *clcf;

    c = r->connection;
    wev = c->write;

    clcf = wd_http_get_module_loc_conf(r->main, wd_http_core_module);

    if (wev->timedout) {
        wd_log_error(WD_LOG_INFO, c->log, WD_ETIMEDOUT, "client timed out");
        c->timedout = 1;

        wd_http_finalize_request(r, WD_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (wev->delayed) {
        return;
    }

    rc = wd_http_output_filter(r, NULL);

    if (rc == WD_ERROR) {
        wd_http_finalize_request(r, rc);
        return;
    }

    if (r->buffered || c->buffered) {
        if (!wev->delayed) {
            wd_event_add_timer(wev, clcf->send_timeout);
        }

        return;
    }

    wd_event_del_timer(wev);

    r->write_event_handler = wd_http_request_empty_handler;

    wd_http_finalize_request(r, rc);
}

void
wd_http_block_reading(wd_http_request_t *r)
{
    /* edge-triggered: nothing to disarm, later reads see the data */
}

/* While a response is written, notice a client that went away. */
void
wd_http_test_reading(wd_http_request_t *r)
{
    int n;
    char buf[1];
    wd_err_t err;
    wd_event_t *rev;
    wd_connection_t *c;

    c = r->connection;
    rev = c->read;

    if (rev->pending_eof) {
        rev->eof = 1;
        c->error = 1;
        err = 0;
        goto closed;
    }

    n = (int) recv(c->fd, buf, 1, MSG_PEEK);

    if (n == 0) {
        rev->eof = 1;
        c->error = 1;
        err = 0;
        goto closed;
    }

    if (n == -1) {
        err = wd_socket_errno;

        if (err != WD_EAGAIN) {
            rev->eof = 1;
            c->error = 1;
            goto closed;
        }
    }

    return;

closed:

    if (err) {
        rev->error = 1;
    }

    wd_log_error(WD_LOG_INFO, c->log, err,
                 "client prematurely closed connection");

    wd_http_finalize_request(r, WD_HTTP_CLIENT_CLOSED_REQUEST);
}

/* Keeps a large header buffer holding the next (pipelined) request and
 * frees the others.  Called once the request is freed: its log line is
 * written from the header values in these buffers. */
static wd_int_t
wd_http_keepalive_buffers(wd_connection_t *c, wd_http_connection_t *hc,
    wd_buf_t *b)
{
    wd_buf_t *keep;
    wd_chain_t *cl;

    keep = NULL;

    if (b->pos < b->last && b != c->buffer) {
        keep = b;
    }

    for (cl = hc->busy; cl; cl = cl->next) {
        if (cl->buf != keep) {
            wd_pfree(c->pool, cl->buf->start);
        }
    }

    hc->busy = NULL;
    hc->nbusy = 0;

    if (keep) {
        cl = wd_alloc_chain_link(c->pool);

        if (cl == NULL) {
            return WD_ERROR;
        }

        cl->buf = keep;
        cl->next = NULL;
        hc->busy = cl;
        hc->nbusy = 1;
    }

    return WD_OK;
}

static void
wd_http_start_pipelined(wd_connection_t *c)
{
    wd_http_request_t *r;

    c->log->action = "reading client pipelined request line";

    r = wd_http_create_request(c);

    if (r == NULL) {
        wd_http_close_connection(c);
        return;
    }

    r->pipeline = 1;
    c->data = r;
    c->sent = 0;
    c->destroyed = 0;

    wd_event_del_timer(c->read);

    c->read->handler = wd_http_process_request_line;
    wd_post_event(c->read, &wd_posted_events);
}

static void
wd_http_set_keepalive(wd_http_request_t *r)
{
    wd_buf_t *b;
    wd_event_t *rev;
    wd_connection_t *c;
    wd_http_connection_t *hc;
    wd_http_core_loc_conf_t *clcf;

    c = r->connection;
    rev = c->read;
    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (r->discard_body) {
        r->write_event_handler = wd_http_request_empty_handler;
        r->lingering_time = wd_time() + (time_t) (clcf->lingering_time / 1000);
        wd_event_add_timer(rev, clcf->lingering_timeout);
        return;
    }

    c->log->action = "closing request";

    hc = r->http_connection;
    b = r->header_in;

    r->keepalive = 0;

    wd_http_free_request(r, 0);

    if (wd_http_keepalive_buffers(c, hc, b) != WD_OK) {
        wd_http_close_connection(c);
        return;
    }

    c->data = hc;
    c->write->handler = wd_http_empty_handler;

    if (b->pos < b->last) {
        wd_http_start_pipelined(c);
        return;
    }

    /* an idle connection keeps no header buffer; c->buffer is emptied
     * also when the request went on in a large buffer, or the next
     * request would find it full */
    wd_http_connection_buffer_release(c);

    /* idle: lines about this connection carry no request context */
    c->log->action = "keepalive";
    c->log->handler = NULL;

    if (c->tcp_nopush == WD_TCP_NOPUSH_SET) {
        if (wd_tcp_push_cork(c) != WD_OK) {
            wd_http_close_connection(c);
            return;
        }
    }

    if (clcf->tcp_nodelay && wd_tcp_nodelay(c) != WD_OK) {
        wd_http_close_connection(c);
        return;
    }

    /* c->destroyed stays set: no request runs until the next one */
    c->sent = 0;
    c->idle = 1;
    wd_reusable_connection(c, 1);

    rev->handler = wd_http_keepalive_handler;

    wd_event_add_timer(rev, clcf->keepalive_timeout);

    if (rev->ready) {
        wd_post_event(rev, &wd_posted_events);
    }
}

static void
wd_http_keepalive_handler(wd_event_t *rev)
{
    size_t size;
    ssize_t n;
    wd_buf_t *b;
    wd_connection_t *c;
    wd_http_connection_t *hc;
    wd_http_core_srv_conf_t *cscf;

    c = rev->data;

    if (rev->timedout || c->close) {
        wd_http_close_connection(c);
        return;
    }

    hc = c->data;
    cscf = wd_http_get_module_srv_conf(hc->conf_ctx, wd_http_core_module);
    size = cscf->client_header_buffer_size;

    if (wd_http_connection_buffer(c, size) != WD_OK) {
        wd_http_close_connection(c);
        return;
    }

    b = c->buffer;

    c->log_error = WD_ERROR_IGNORE_ECONNRESET;
    wd_set_errno(0);

    n = c->recv(c, b->last, b->end - b->last);

    c->log_error = WD_ERROR_INFO;

    if (n == WD_AGAIN) {
        if (b->pos == b->last) {
            wd_http_connection_buffer_release(c);
        }
        return;
    }

    if (n == WD_ERROR) {
        wd_http_close_connection(c);
        return;
    }

    if (n == 0) {
        wd_log_error(WD_LOG_INFO, c->log, wd_socket_errno,
                     "client %.*s closed keepalive connection",
                     wd_str_fmt(&c->addr_text));
        wd_http_close_connection(c);
        return;
    }

    b->last += n;

    c->log->handler = wd_http_log_error;
    c->log->action = "reading client request line";

    c->idle = 0;
    wd_reusable_connection(c, 0);

    c->data = wd_http_create_request(c);

    if (c->data == NULL) {
        wd_http_close_connection(c);
        return;
    }

    c->sent = 0;
    c->destroyed = 0;

    wd_event_del_timer(rev);

    rev->handler = wd_http_process_request_line;
    wd_http_process_request_line(rev);
}

static void
wd_http_set_lingering_close(wd_connection_t *c)
{
    wd_event_t *rev;
    wd_http_request_t *r;
    wd_http_core_loc_conf_t *clcf;

    r = c->data;
    rev = c->read;
    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (r->lingering_time == 0) {
        r->lingering_time = wd_time() + (time_t) (clcf->lingering_time / 1000);
    }

    rev->handler = wd_http_lingering_close_handler;

    wd_event_add_timer(rev, clcf->lingering_timeout);

    c->write->handler = wd_http_empty_handler;

    if (shutdown(c->fd, SHUT_WR) == -1 && !c->timedout) {
        wd_connection_error(c, wd_socket_errno, "shutdown() failed");
        wd_http_close_request(r, 0);
        return;
    }

    c->close = 0;

    if (rev->ready) {
        wd_http_lingering_close_handler(rev);
    }
}

/* Reads and drops what the client still sends, so that our response is
 * not destroyed by a reset; ends at EOF or after lingering_time. */
static void
wd_http_lingering_close_handler(wd_event_t *rev)
{
    ssize_t n;
    wd_msec_t timer;
    wd_connection_t *c;
    wd_http_request_t *r;
    wd_http_core_loc_conf_t *clcf;
    u_char buffer[WD_HTTP_LINGERING_BUFFER_SIZE];

    c = rev->data;
    r = c->data;

    if (rev->timedout || c->close) {
        wd_http_close_request(r, 0);
        return;
    }

    if (r->lingering_time <= wd_time()) {
        wd_http_close_request(r, 0);
        return;
    }

    timer = (wd_msec_t) (r->lingering_time - wd_time()) * 1000;

    do {
        n = c->recv(c, buffer, WD_HTTP_LINGERING_BUFFER_SIZE);

        if (n == WD_ERROR || n == 0) {
            wd_http_close_request(r, 0);
            return;
        }

    } while (rev->ready);

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (timer > clcf->lingering_timeout) {
        timer = clcf->lingering_timeout;
    }

    wd_event_add_timer(rev, timer);
}

void
wd_http_empty_handler(wd_event_t *wev)
{
}

void
wd_http_request_empty_handler(wd_http_request_t *r)
{
}

static wd_int_t
wd_http_post_action(wd_http_request_t *r)
{
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->post_action.data == NULL || r->post_action) {
        return WD_DECLINED;
    }

    if (r->http_version == WD_HTTP_VERSION_9) {
        return WD_DECLINED;
    }

    r->http_version = WD_HTTP_VERSION_9;
    r->header_only = 1;
    r->post_action = 1;

    r->read_event_handler = wd_http_block_reading;

    if (clcf->post_action.data[0] == '/') {
        wd_http_internal_redirect(r, &clcf->post_action, NULL);

    } else {
        wd_http_named_location(r, &clcf->post_action);
    }

    return WD_OK;
}

void
wd_http_close_request(wd_http_request_t *r, wd_int_t rc)
{
    wd_connection_t *c;

    r = r->main;
    c = r->connection;

    if (r->count == 0) {
        wd_log_error(WD_LOG_ALERT, c->log, 0, "http request count is zero");
    }

    r->count--;

    if (r->count || r->blocked) {
        return;
    }

    wd_http_free_request(r, rc);
    wd_http_close_connection(c);
}

/* Runs the log phase (access_log) once, then frees the request. */
void
wd_http_free_request(wd_http_request_t *r, wd_int_t rc)
{
    wd_uint_t i, n;
    wd_pool_t *pool;
    struct linger linger;
    wd_http_cleanup_t *cln;
    wd_http_handler_pt *log_handler;
    wd_http_core_loc_conf_t *clcf;
    wd_http_core_main_conf_t *cmcf;

    if (r->pool == NULL) {
        wd_log_error(WD_LOG_ALERT, r->connection->log, 0,
                     "http request already closed");
        return;
    }

    for (cln = r->cleanup; cln; cln = cln->next) {
        if (cln->handler) {
            cln->handler(cln->data);
        }
    }

    if (r->stat_reading) {
        wd_atomic_fetch_add(wd_stat_reading, -1);
    }

    if (r->stat_writing) {
        wd_atomic_fetch_add(wd_stat_writing, -1);
    }

    if (rc > 0 && (r->headers_out.status == 0 || r->connection->sent == 0)) {
        r->headers_out.status = (wd_uint_t) rc;
    }

    if (!r->logged) {
        cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);
        log_handler = cmcf->phases[WD_HTTP_LOG_PHASE].handlers.elts;
        n = cmcf->phases[WD_HTTP_LOG_PHASE].handlers.nelts;

        r->connection->log->action = "logging request";

        for (i = 0; i < n; i++) {
            log_handler[i](r);
        }

        r->logged = 1;
    }

    if (r->connection->timedout) {
        clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

        if (clcf->reset_timedout_connection) {
            linger.l_onoff = 1;
            linger.l_linger = 0;

            if (setsockopt(r->connection->fd, SOL_SOCKET, SO_LINGER, &linger,
                           sizeof(struct linger)) == -1)
            {
                wd_log_error(WD_LOG_ALERT, r->connection->log, wd_errno,
                             "setsockopt(SO_LINGER) failed");
            }
        }
    }

    r->connection->log->action = "closing request";

    /* the log context must not point at a freed request */
    ((wd_http_log_ctx_t *) r->connection->log->data)->request = NULL;
    ((wd_http_log_ctx_t *) r->connection->log->data)->current_request = NULL;

    r->request_line.len = 0;
    r->connection->destroyed = 1;

    pool = r->pool;
    r->pool = NULL;

    wd_pool_cache_put(&wd_http_request_pools, pool);
}

void
wd_http_close_connection(wd_connection_t *c)
{
    wd_pool_t *pool;

    wd_atomic_fetch_add(wd_stat_active, -1);

    c->destroyed = 1;

    wd_http_connection_buffer_release(c);

    pool = c->pool;

    wd_close_connection(c);

    wd_destroy_pool(pool);
}

/* The context of error-log lines about a connection and its request. */
static u_char *
wd_http_log_error(wd_log_t *log, u_char *buf, size_t len)
{
    u_char *p, *last;
    wd_http_request_t *r;
    wd_http_log_ctx_t *ctx;

    last = buf + len;
    p = buf;

    if (log->action) {
        p = wd_slprintf(p, last, " while %s", log->action);
    }

    ctx = log->data;

    p = wd_slprintf(p, last, ", client: %.*s",
                    wd_str_fmt(&ctx->connection->addr_text));

    r = ctx->request;

    if (r) {
        return r->log_handler ? r->log_handler(r, ctx->current_request, p,
                                               last - p)
                              : wd_http_log_error_handler(r,
                                                          ctx->current_request,
                                                          p, last - p);
    }

    return wd_slprintf(p, last, ", server: %.*s",
                       wd_str_fmt(&ctx->connection->listening->addr_text));
}

u_char *
wd_http_log_error_handler(wd_http_request_t *r, wd_http_request_t *sr,
    u_char *buf, size_t len)
{
    u_char *p, *last;
    wd_http_upstream_t *u;
    wd_http_core_srv_conf_t *cscf;

    last = buf + len;

    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);

    p = wd_slprintf(buf, last, ", server: %.*s",
                    wd_str_fmt(&cscf->server_name));

    wd_http_salvage_request_line(r);

    if (r->request_line.len) {
        p = wd_slprintf(p, last, ", request: \"%.*s\"",
                        wd_str_fmt(&r->request_line));
    }

    u = r->upstream;

    if (u && u->peer.name) {
        p = wd_slprintf(p, last, ", upstream: \"%.*s%.*s%.*s\"",
                        wd_str_fmt(&u->schema), wd_str_fmt(u->peer.name),
                        wd_str_fmt(&u->uri));
    }

    if (r->headers_in.host) {
        p = wd_slprintf(p, last, ", host: \"%.*s\"",
                        wd_str_fmt(&r->headers_in.host->value));
    }

    if (r->headers_in.referer) {
        p = wd_slprintf(p, last, ", referrer: \"%.*s\"",
                        wd_str_fmt(&r->headers_in.referer->value));
    }

    return p;
}
