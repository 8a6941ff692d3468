/*
 * A request's trip to an upstream server: connect, send the request,
 * read and check the response header, then relay the body (or, after a
 * 101, tunnel both ways) and give the connection back to the balancer.
 * Failures before the header went out try the next peer as
 * proxy_next_upstream allows; after that they cut the response short.
 */

#include <wd_http.h>

static void wd_http_upstream_cleanup(void *data);
static void wd_http_upstream_handler(wd_event_t *ev);
static void wd_http_upstream_check_broken_connection(wd_http_request_t *r);
static wd_int_t wd_http_upstream_resolve(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_connect(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_int_t wd_http_upstream_reset(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_send_request_handler(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_int_t wd_http_upstream_next_body_part(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_read_request_handler(wd_http_request_t *r);
static void wd_http_upstream_end_body(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_send_request(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_int_t wd_http_upstream_test_connect(wd_connection_t *c);
static void wd_http_upstream_process_header(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_int_t wd_http_upstream_test_next(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_int_t wd_http_upstream_intercept_errors(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_int_t wd_http_upstream_x_accel_redirect(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_send_response(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_process_body_upstream(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_process_body_downstream(wd_http_request_t *r);
static void wd_http_upstream_process_body(wd_http_request_t *r,
    wd_http_upstream_t *u, wd_uint_t from_downstream);
static void wd_http_upstream_body_failed(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_int_t wd_http_upstream_read_body(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_buf_t *wd_http_upstream_raw_buf(wd_http_request_t *r,
    wd_http_upstream_t *u, wd_uint_t tail);
static ssize_t wd_http_upstream_readv(wd_connection_t *c, wd_buf_t **bufs,
    wd_uint_t n, size_t limit);

/* Buffers one readv() may fill. */
#define WD_HTTP_UPSTREAM_READV 16
static wd_buf_t *wd_http_upstream_temp_buf(wd_http_request_t *r,
    wd_http_upstream_t *u);
static wd_int_t wd_http_upstream_spill(wd_http_request_t *r,
    wd_http_upstream_t *u, wd_chain_t **from);
static void wd_http_upstream_upgrade(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_upgraded_upstream(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_upgraded_downstream(wd_http_request_t *r);
static void wd_http_upstream_process_upgraded(wd_http_request_t *r,
    wd_uint_t from_upstream);
static void wd_http_upstream_dummy_handler(wd_http_request_t *r,
    wd_http_upstream_t *u);
static void wd_http_upstream_next(wd_http_request_t *r, wd_http_upstream_t *u,
    wd_uint_t ft_type);
static void wd_http_upstream_finalize_request(wd_http_request_t *r,
    wd_http_upstream_t *u, wd_int_t rc);
static void wd_http_upstream_flush_out(wd_http_request_t *r);
static void wd_http_upstream_close_peer(wd_http_upstream_t *u);

/* Marks what a proxy body buffer and its slices belong to. */
static int wd_http_upstream_tag;

wd_int_t
wd_http_upstream_create(wd_http_request_t *r)
{
    wd_http_upstream_t *u;
    wd_http_cleanup_t *cln;

    u = r->upstream;

    if (u && u->cleanup) {
        r->main->count++;
        wd_http_upstream_cleanup(r);
    }

    u = wd_pcalloc(r->pool, sizeof(wd_http_upstream_t));

    if (u == NULL) {
        return WD_ERROR;
    }

    r->upstream = u;

    u->peer.log = r->connection->log;
    u->peer.log_error = WD_ERROR_ERR;
    u->tag = &wd_http_upstream_tag;
    u->headers_in.content_length_n = -1;
    u->headers_in.last_modified_time = -1;
    u->headers_in.keep_alive_timeout = -1;
    u->last_out = &u->out_bufs;

    cln = wd_http_cleanup_add(r, 0);

    if (cln == NULL) {
        return WD_ERROR;
    }

    cln->handler = wd_http_upstream_cleanup;
    cln->data = r;
    u->cleanup = &cln->handler;

    return WD_OK;
}

/* The request goes away with the upstream work unfinished (the client
 * connection was closed under it). */
static void
wd_http_upstream_cleanup(void *data)
{
    wd_http_request_t *r = data;

    wd_http_upstream_finalize_request(r, r->upstream, WD_DONE);
}

void
wd_http_upstream_init(wd_http_request_t *r)
{
    wd_connection_t *c;
    wd_http_upstream_t *u;
    wd_http_upstream_conf_t *conf;
    wd_http_upstream_srv_conf_t *uscf;

    c = r->connection;
    u = r->upstream;
    conf = u->conf;

    wd_event_del_timer(c->read);

    if (!conf->ignore_client_abort) {
        r->read_event_handler = wd_http_upstream_check_broken_connection;
    }

    r->write_event_handler = wd_http_request_empty_handler;

    if (u->create_request(r) != WD_OK) {
        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u->peer.local = conf->local ? conf->local->addr : NULL;
    u->peer.transparent = conf->local ? conf->local->transparent : 0;
    u->peer.so_keepalive = (conf->socket_keepalive == 1);

    if (conf->local && conf->local->value) {
        if (wd_http_upstream_resolve(r, u) == WD_ERROR) {
            return;
        }
    }

    r->upstream_states = wd_array_create(r->pool, 1,
                                         sizeof(wd_http_upstream_state_t));

    if (r->upstream_states == NULL) {
        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (u->resolved) {
        if (wd_http_upstream_resolve(r, u) != WD_OK) {
            return;
        }

    } else {
        uscf = conf->upstream;
        u->upstream = uscf;

        if (uscf->peer.init(r, uscf) != WD_OK) {
            wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    u->first_try_time = wd_current_msec;

    if (conf->next_upstream_tries
        && u->peer.tries > conf->next_upstream_tries)
    {
        u->peer.tries = conf->next_upstream_tries;
    }

    wd_http_upstream_connect(r, u);
}

/* A proxy_pass target built from variables: an upstream block of that
 * name, or an address; a name would need a resolver, which warden has
 * not (as nginx without "resolver"). */
static wd_int_t
wd_http_upstream_resolve(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_uint_t i;
    wd_http_upstream_local_t *local;
    wd_http_upstream_resolved_t *ur;
    wd_http_upstream_srv_conf_t *uscf, **uscfp;
    wd_http_upstream_main_conf_t *umcf;
    wd_addr_t *addr;
    wd_str_t value;

    local = u->conf->local;

    if (local && local->value && u->peer.local == NULL) {
        /* proxy_bind $var: an empty value means no binding */
        if (wd_http_complex_value(r, local->value, &value) != WD_OK) {
            wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
            return WD_ERROR;
        }

        if (value.len) {
            addr = wd_palloc(r->pool, sizeof(wd_addr_t));

            if (addr == NULL
                || wd_parse_addr(r->pool, addr, value.data, value.len)
                       != WD_OK)
            {
                wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                             "invalid local address \"%.*s\"",
                             wd_str_fmt(&value));
                wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
                return WD_ERROR;
            }

            addr->name = value;
            u->peer.local = addr;
        }

        if (u->resolved == NULL) {
            return WD_OK;
        }
    }

    ur = u->resolved;
    umcf = wd_http_get_module_main_conf(r, wd_http_upstream_module);
    uscfp = umcf->upstreams.elts;

    if (ur->addrs == NULL) {
        for (i = 0; i < umcf->upstreams.nelts; i++) {
            uscf = uscfp[i];

            if (uscf->host.len == ur->host.len
                && wd_strncasecmp(uscf->host.data, ur->host.data,
                                  ur->host.len) == 0
                && ((uscf->port == 0 && ur->no_port)
                    || uscf->port == ur->port))
            {
                u->upstream = uscf;

                if (uscf->peer.init(r, uscf) != WD_OK) {
                    wd_http_finalize_request(r,
                                             WD_HTTP_INTERNAL_SERVER_ERROR);
                    return WD_ERROR;
                }

                return WD_OK;
            }
        }

        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "no resolver defined to resolve %.*s",
                     wd_str_fmt(&ur->host));

        wd_http_finalize_request(r, WD_HTTP_BAD_GATEWAY);
        return WD_ERROR;
    }

    if (wd_http_upstream_create_round_robin_peer(r, ur) != WD_OK) {
        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_ERROR;
    }

    return WD_OK;
}

static void
wd_http_upstream_handler(wd_event_t *ev)
{
    wd_connection_t *c;
    wd_http_request_t *r;
    wd_http_upstream_t *u;

    c = ev->data;
    r = c->data;
    u = r->upstream;
    c = r->connection;

    wd_http_set_log_request(c->log, r);

    if (ev->delayed && ev->timedout) {
        ev->delayed = 0;
        ev->timedout = 0;
    }

    if (ev->write) {
        u->write_event_handler(r, u);
    } else {
        u->read_event_handler(r, u);
    }

    wd_http_run_posted_requests(c);
}

/* The client went away while the upstream works: give up (499) unless
 * proxy_ignore_client_abort. */
static void
wd_http_upstream_check_broken_connection(wd_http_request_t *r)
{
    int n;
    char buf[1];
    wd_err_t err;
    wd_event_t *rev;
    wd_connection_t *c;
    wd_http_upstream_t *u;

    c = r->connection;
    rev = c->read;
    u = r->upstream;

    if (c->error) {
        return;
    }

    err = 0;

    if (!rev->pending_eof) {
        n = (int) recv(c->fd, buf, 1, MSG_PEEK);

        if (n > 0) {
            return;
        }

        if (n == -1) {
            err = wd_socket_errno;

            if (err == WD_EAGAIN) {
                return;
            }
        }
    }

    rev->eof = 1;
    c->error = 1;

    /* nginx's words, which operators grep for */
    wd_log_error(WD_LOG_INFO, c->log, err,
                 "%sclient prematurely closed connection%s",
                 rev->pending_eof ? "epoll_wait() reported that " : "",
                 u->peer.connection
                     ? ", so upstream connection is closed too" : "");

    wd_http_upstream_finalize_request(r, u,
                                      WD_HTTP_CLIENT_CLOSED_REQUEST);
}

static void
wd_http_upstream_connect(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_int_t rc;
    wd_connection_t *c;

    r->connection->log->action = "connecting to upstream";

    if (u->state && u->state->response_time == (wd_msec_t) -1) {
        u->state->response_time = wd_current_msec - u->start_time;
    }

    u->state = wd_array_push(r->upstream_states);

    if (u->state == NULL) {
        wd_http_upstream_finalize_request(r, u,
                                          WD_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    wd_memzero(u->state, sizeof(wd_http_upstream_state_t));

    u->start_time = wd_current_msec;
    u->state->response_time = (wd_msec_t) -1;
    u->state->connect_time = (wd_msec_t) -1;
    u->state->header_time = (wd_msec_t) -1;

    rc = wd_event_connect_peer(&u->peer);

    if (rc == WD_ERROR) {
        wd_http_upstream_finalize_request(r, u,
                                          WD_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u->state->peer = u->peer.name;

    if (rc == WD_BUSY) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0, "no live upstreams");
        wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_NOLIVE);
        return;
    }

    if (rc == WD_DECLINED) {
        wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_ERROR);
        return;
    }

    /* WD_OK, WD_AGAIN, or WD_DONE (a cached keep-alive connection) */

    c = u->peer.connection;
    c->requests++;
    c->data = r;
    c->log = r->connection->log;
    c->read->log = c->log;
    c->write->log = c->log;
    c->read->handler = wd_http_upstream_handler;
    c->write->handler = wd_http_upstream_handler;

    u->write_event_handler = wd_http_upstream_send_request_handler;
    u->read_event_handler = wd_http_upstream_process_header;

    if (wd_http_upstream_reset(r, u) != WD_OK) {
        wd_http_upstream_finalize_request(r, u,
                                          WD_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == WD_AGAIN) {
        wd_event_add_timer(c->write, u->conf->connect_timeout);
        return;
    }

    wd_http_upstream_send_request(r, u);
}

/* Gets the request and the response state ready for a (new) try. */
static wd_int_t
wd_http_upstream_reset(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_buf_t *b;
    wd_chain_t *cl, **ll;

    if (u->request_sent && u->reinit_request(r) != WD_OK) {
        return WD_ERROR;
    }

    u->request_sent = 0;
    u->request_body_sent = 0;
    u->body_streaming = r->request_body_no_buffering;
    u->response_byte = 0;
    u->keepalive = 0;
    u->upgrade = 0;
    u->eof = 0;
    u->done = 0;
    u->error = 0;
    u->length = -1;

    /* each try sends copies of the request's buffers, from their start */
    ll = &u->request_out;

    for (cl = u->request_bufs; cl; cl = cl->next) {
        b = wd_calloc_buf(r->pool);
        *ll = wd_alloc_chain_link(r->pool);

        if (b == NULL || *ll == NULL) {
            return WD_ERROR;
        }

        *b = *cl->buf;
        (*ll)->buf = b;
        ll = &(*ll)->next;
    }

    *ll = NULL;

    if (u->buffer.start) {
        u->buffer.pos = u->buffer.start;
        u->buffer.last = u->buffer.start;
    }

    wd_memzero(&u->headers_in, sizeof(wd_http_upstream_headers_in_t));
    u->headers_in.content_length_n = -1;
    u->headers_in.last_modified_time = -1;
    u->headers_in.keep_alive_timeout = -1;

    if (wd_list_init(&u->headers_in.headers, r->pool, 8,
                     sizeof(wd_table_elt_t)) != WD_OK
        || wd_list_init(&u->headers_in.trailers, r->pool, 2,
                        sizeof(wd_table_elt_t)) != WD_OK)
    {
        return WD_ERROR;
    }

    return WD_OK;
}

static void
wd_http_upstream_send_request_handler(wd_http_request_t *r,
    wd_http_upstream_t *u)
{
    wd_connection_t *c;

    c = u->peer.connection;

    if (c->write->timedout) {
        wd_log_error(WD_LOG_ERR, r->connection->log, WD_ETIMEDOUT,
                     "upstream timed out");
        wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_TIMEOUT);
        return;
    }

    if (u->header_sent) {
        /* the request went out and the response is on its way */
        u->write_event_handler = wd_http_upstream_dummy_handler;
        return;
    }

    wd_http_upstream_send_request(r, u);
}

static wd_int_t
wd_http_upstream_test_connect(wd_connection_t *c)
{
    int err;
    socklen_t len;

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = wd_socket_errno;
    }

    if (err) {
        c->log->action = "connecting to upstream";
        wd_connection_error(c, err, "connect() failed");
        return WD_ERROR;
    }

    return WD_OK;
}

/*
 * proxy_request_buffering off: the part of the body sent last is let go
 * and the next one read from the client.  WD_OK: u->request_out holds it
 * (or the body is over); WD_AGAIN: nothing yet, the client's next read
 * event comes back here; else the status to finalize with.
 */
static wd_int_t
wd_http_upstream_next_body_part(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_int_t rc;
    wd_http_request_body_t *rb;

    rb = r->request_body;

    for ( ;; ) {
        if (rb->bufs) {
            u->body_let_go = 1;
        }

        rc = wd_http_read_unbuffered_request_body(r);

        if (rc != WD_OK && rc != WD_AGAIN) {
            return rc;
        }

        if (rc == WD_OK || rb->bufs) {
            break;
        }

        if (!r->connection->read->ready) {
            r->read_event_handler = wd_http_upstream_read_request_handler;
            return WD_AGAIN;
        }

        /* the buffer filled up with chunk framing alone: read on */
    }

    if (u->body_part(r, rb->bufs, rc == WD_OK, &u->request_out) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == WD_OK) {
        wd_http_upstream_end_body(r, u);
    }

    return WD_OK;
}

/* The client's read event while its body is streamed: more of it, unless
 * the upstream has not taken the last part yet. */
static void
wd_http_upstream_read_request_handler(wd_http_request_t *r)
{
    wd_http_upstream_t *u;

    u = r->upstream;

    if (r->connection->read->timedout) {
        r->connection->timedout = 1;
        wd_log_error(WD_LOG_INFO, r->connection->log, WD_ETIMEDOUT,
                     "client timed out");
        wd_http_upstream_finalize_request(r, u, WD_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (u->peer.connection == NULL || u->request_out || !u->body_streaming) {
        return;
    }

    wd_http_upstream_send_request(r, u);
}

/* No more of the body is streamed on this try (all of it went, or the
 * response has come): the client's read events go back to watching for
 * an abort. */
static void
wd_http_upstream_end_body(wd_http_request_t *r, wd_http_upstream_t *u)
{
    if (!u->body_streaming) {
        return;
    }

    u->body_streaming = 0;
    wd_event_del_timer(r->connection->read);

    r->read_event_handler = u->conf->ignore_client_abort
                                ? wd_http_block_reading
                                : wd_http_upstream_check_broken_connection;
}

static void
wd_http_upstream_send_request(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_int_t rc;
    wd_chain_t *rest;
    wd_connection_t *c;

    c = u->peer.connection;

    if (u->state->connect_time == (wd_msec_t) -1) {
        if (!u->peer.cached && wd_http_upstream_test_connect(c) != WD_OK) {
            wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_ERROR);
            return;
        }

        u->state->connect_time = wd_current_msec - u->start_time;

        if (u->peer.notify) {
            u->peer.notify(&u->peer, u->peer.data, 0);
        }
    }

    r->connection->log->action = "sending request to upstream";

    for ( ;; ) {
        rest = u->request_out ? c->send_chain(c, u->request_out, 0) : NULL;
        u->request_sent = 1;

        if (rest == (wd_chain_t *) WD_ERROR) {
            wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_ERROR);
            return;
        }

        u->request_out = rest;

        if (rest) {
            /* waiting for the upstream, not for the client */
            wd_event_del_timer(r->connection->read);
            wd_event_add_timer(c->write, u->conf->send_timeout);

            if (wd_handle_write_event(c->write) != WD_OK) {
                wd_http_upstream_finalize_request(r, u,
                    WD_HTTP_INTERNAL_SERVER_ERROR);
            }

            return;
        }

        if (!u->body_streaming) {
            break;
        }

        rc = wd_http_upstream_next_body_part(r, u);

        if (rc == WD_AGAIN) {
            /* waiting for the client, not for the upstream */
            wd_event_del_timer(c->write);
            return;
        }

        if (rc != WD_OK) {
            wd_http_upstream_finalize_request(r, u, rc);
            return;
        }
    }

    /* a streamed body cut short by an early response was not all sent:
     * this connection cannot be kept */
    u->request_body_sent = !(r->request_body_no_buffering && r->reading_body);
    u->state->bytes_sent = c->sent;
    wd_event_del_timer(c->write);
    u->write_event_handler = wd_http_upstream_dummy_handler;

    /* the action stays "sending request to upstream" until a byte of the
     * response is read, as in nginx's log lines */

    if (c->read->ready || c->read->pending_eof) {
        wd_http_upstream_process_header(r, u);
        return;
    }

    wd_event_add_timer(c->read, u->conf->read_timeout);
}

static void
wd_http_upstream_process_header(wd_http_request_t *r, wd_http_upstream_t *u)
{
    ssize_t n;
    wd_int_t rc;
    wd_connection_t *c;

    c = u->peer.connection;
    r->connection->log->action = "reading response header from upstream";

    if (c->read->timedout) {
        wd_log_error(WD_LOG_ERR, r->connection->log, WD_ETIMEDOUT,
                     "upstream timed out");
        wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_TIMEOUT);
        return;
    }

    if (!u->request_sent) {
        /* the response cannot come before the request */
        if (wd_http_upstream_test_connect(c) != WD_OK) {
            wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_ERROR);
        }

        return;
    }

    if (u->buffer.start == NULL) {
        u->buffer.start = wd_palloc(r->pool, u->conf->buffer_size);

        if (u->buffer.start == NULL) {
            wd_http_upstream_finalize_request(r, u,
                                              WD_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        u->buffer.pos = u->buffer.start;
        u->buffer.last = u->buffer.start;
        u->buffer.end = u->buffer.start + u->conf->buffer_size;
        u->buffer.temporary = 1;
        u->buffer.tag = u->tag;
    }

    for (;;) {
        n = c->recv(c, u->buffer.last, u->buffer.end - u->buffer.last);

        if (n == WD_AGAIN) {
            wd_event_add_timer(c->read, u->conf->read_timeout);

            if (wd_handle_read_event(c->read) != WD_OK) {
                wd_http_upstream_finalize_request(r, u,
                    WD_HTTP_INTERNAL_SERVER_ERROR);
            }

            return;
        }

        if (n == 0) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "upstream prematurely closed connection");
        }

        if (n == WD_ERROR || n == 0) {
            wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_ERROR);
            return;
        }

        u->response_byte = 1;
        u->state->bytes_received += n;
        u->buffer.last += n;

        rc = u->process_header(r);

        if (rc != WD_AGAIN) {
            break;
        }

        if (u->buffer.last == u->buffer.end) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "upstream sent too big header");
            wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_INVALID_HEADER);
            return;
        }
    }

    if (rc == WD_HTTP_UPSTREAM_INVALID_HEADER) {
        wd_http_upstream_next(r, u, WD_HTTP_UPSTREAM_FT_INVALID_HEADER);
        return;
    }

    if (rc == WD_ERROR) {
        wd_http_upstream_finalize_request(r, u,
                                          WD_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u->state->header_time = wd_current_msec - u->start_time;
    wd_event_del_timer(c->read);

    /* what the upstream has not read of the body it will not get, as in
     * nginx: the connection is not kept, the client's is closed */
    wd_http_upstream_end_body(r, u);

    if (u->headers_in.status_n >= WD_HTTP_SPECIAL_RESPONSE) {
        if (wd_http_upstream_test_next(r, u) == WD_OK) {
            return;
        }

        if (wd_http_upstream_intercept_errors(r, u) == WD_OK) {
            return;
        }
    }

    if (u->headers_in.x_accel_redirect
        && !(u->conf->ignore_headers & WD_HTTP_UPSTREAM_IGN_XA_REDIRECT))
    {
        /* before the header is copied: the new location answers */
        (void) wd_http_upstream_x_accel_redirect(r, u);
        return;
    }

    rc = wd_http_upstream_process_headers(r, u);

    if (rc == WD_DONE) {
        return;
    }

    if (rc != WD_OK) {
        wd_http_upstream_finalize_request(r, u, rc);
        return;
    }

    wd_http_upstream_send_response(r, u);
}

/* A status that proxy_next_upstream names: try the next peer if any is
 * left, else let the response through (marking the failure). */
static wd_int_t
wd_http_upstream_test_next(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_uint_t status, mask;

    static const struct {
        wd_uint_t status;
        wd_uint_t mask;
    } next[] = {
        { 500, WD_HTTP_UPSTREAM_FT_HTTP_500 },
        { 502, WD_HTTP_UPSTREAM_FT_HTTP_502 },
        { 503, WD_HTTP_UPSTREAM_FT_HTTP_503 },
        { 504, WD_HTTP_UPSTREAM_FT_HTTP_504 },
        { 403, WD_HTTP_UPSTREAM_FT_HTTP_403 },
        { 404, WD_HTTP_UPSTREAM_FT_HTTP_404 },
        { 429, WD_HTTP_UPSTREAM_FT_HTTP_429 },
    };

    status = u->headers_in.status_n;
    mask = 0;

    for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
        if (next[i].status == status) {
            mask = next[i].mask;
            break;
        }
    }

    if (mask == 0 || !(u->conf->next_upstream & mask)) {
        return WD_DECLINED;
    }

    if (u->peer.tries > 1 && !u->body_let_go
        && !(u->conf->next_upstream_timeout
             && wd_current_msec - u->first_try_time
                    >= u->conf->next_upstream_timeout)
        && !((r->method & (WD_HTTP_POST | WD_HTTP_LOCK | WD_HTTP_PATCH))
             && !(u->conf->next_upstream
                  & WD_HTTP_UPSTREAM_FT_NON_IDEMPOTENT)))
    {
        wd_http_upstream_next(r, u, mask);
        return WD_OK;
    }

    /* the last try's answer goes to the client, still a failure for the
     * balancer when it is a 5xx */
    if (u->peer.sockaddr && u->peer.free
        && (mask & (WD_HTTP_UPSTREAM_FT_HTTP_500 | WD_HTTP_UPSTREAM_FT_HTTP_502
                    | WD_HTTP_UPSTREAM_FT_HTTP_503
                    | WD_HTTP_UPSTREAM_FT_HTTP_504)))
    {
        u->peer.free(&u->peer, u->peer.data, WD_PEER_FAILED);
        u->peer.sockaddr = NULL;
    }

    return WD_DECLINED;
}

/* proxy_intercept_errors: an error_page for the upstream's status
 * replaces its response. */
static wd_int_t
wd_http_upstream_intercept_errors(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_uint_t i, status;
    wd_http_err_page_t *err_page;
    wd_http_core_loc_conf_t *clcf;

    if (!u->conf->intercept_errors) {
        return WD_DECLINED;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->error_pages == NULL) {
        return WD_DECLINED;
    }

    status = u->headers_in.status_n;
    err_page = clcf->error_pages->elts;

    for (i = 0; i < clcf->error_pages->nelts; i++) {
        if ((wd_uint_t) err_page[i].status != status) {
            continue;
        }

        if (status == WD_HTTP_UNAUTHORIZED
            && u->headers_in.headers.part.nelts)
        {
            /* the challenge stays with the error page */
            wd_http_upstream_copy_www_authenticate(r, u);
        }

        u->state->status = status;
        wd_http_upstream_finalize_request(r, u, (wd_int_t) status);

        return WD_OK;
    }

    return WD_DECLINED;
}

static wd_int_t
wd_http_upstream_x_accel_redirect(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_str_t uri, args;
    wd_uint_t flags;
    wd_table_elt_t *h;

    h = u->headers_in.x_accel_redirect;

    wd_http_upstream_finalize_request(r, u, WD_DECLINED);

    if (wd_http_upstream_copy_redirect_headers(r, u) != WD_OK) {
        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_DONE;
    }

    /* both take a reference on the request for the new location */
    if (h->value.len && h->value.data[0] == '@') {
        wd_http_named_location(r, &h->value);
        wd_http_finalize_request(r, WD_DONE);
        return WD_DONE;
    }

    uri = h->value;
    wd_str_null(&args);
    flags = WD_HTTP_LOG_UNSAFE;

    if (wd_http_parse_unsafe_uri(r, &uri, &args, &flags) != WD_OK) {
        wd_http_finalize_request(r, WD_HTTP_NOT_FOUND);
        return WD_DONE;
    }

    if (r->method != WD_HTTP_HEAD) {
        r->method = WD_HTTP_GET;
        wd_str_set(&r->method_name, "GET");
    }

    wd_http_internal_redirect(r, &uri, &args);
    wd_http_finalize_request(r, WD_DONE);

    return WD_DONE;
}

static void
wd_http_upstream_send_response(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_int_t rc;
    wd_connection_t *c;

    c = r->connection;

    rc = wd_http_send_header(r);

    if (rc == WD_ERROR || rc > WD_OK || r->post_action) {
        wd_http_upstream_finalize_request(r, u, rc);
        return;
    }

    u->header_sent = 1;

    if (u->upgrade) {
        wd_http_upstream_upgrade(r, u);
        return;
    }

    if (r->header_only) {
        /* HEAD, 204, 304: the upstream sends no body either */
        u->done = (u->length <= 0);
        u->keepalive = u->keepalive && u->done;
        wd_http_upstream_finalize_request(r, u, WD_OK);
        return;
    }

    if (u->input_filter_init(u->input_filter_ctx) != WD_OK) {
        wd_http_upstream_finalize_request(r, u, WD_ERROR);
        return;
    }

    if (u->limit_rate == 0 && u->conf->limit_rate) {
        u->limit_rate = (off_t) wd_http_complex_value_size(r,
                                                           u->conf->limit_rate,
                                                           0);
    }

    /* the bytes that came with the header are the body's first */
    if (u->buffer.pos < u->buffer.last) {
        if (u->input_filter(u->input_filter_ctx, &u->buffer,
                            u->buffer.last - u->buffer.pos) != WD_OK)
        {
            wd_http_upstream_finalize_request(r, u, WD_ERROR);
            return;
        }
    }

    c->log->action = "reading upstream";

    u->read_event_handler = wd_http_upstream_process_body_upstream;
    u->write_event_handler = wd_http_upstream_dummy_handler;
    r->write_event_handler = wd_http_upstream_process_body_downstream;

    wd_http_upstream_process_body(r, u, 1);
}

static void
wd_http_upstream_process_body_upstream(wd_http_request_t *r,
    wd_http_upstream_t *u)
{
    wd_connection_t *c;

    c = u->peer.connection;

    if (c->read->timedout) {
        c->read->timedout = 0;

        if (c->read->delayed) {
            /* proxy_limit_rate's pause is over */
            c->read->delayed = 0;

        } else {
            wd_log_error(WD_LOG_ERR, r->connection->log, WD_ETIMEDOUT,
                         "upstream timed out");
            wd_http_upstream_finalize_request(r, u,
                                              WD_HTTP_GATEWAY_TIME_OUT);
            return;
        }
    }

    wd_http_upstream_process_body(r, u, 0);
}

static void
wd_http_upstream_process_body_downstream(wd_http_request_t *r)
{
    wd_connection_t *c;

    c = r->connection;

    if (c->write->timedout) {
        c->timedout = 1;
        wd_log_error(WD_LOG_INFO, c->log, WD_ETIMEDOUT, "client timed out");
        wd_http_upstream_finalize_request(r, r->upstream,
                                          WD_HTTP_REQUEST_TIME_OUT);
        return;
    }

    wd_http_upstream_process_body(r, r->upstream, 1);
}

/* Moves the body along: reads what the free buffers can hold, hands the
 * slices to the output filters, and finishes once the body is complete
 * and given to the filters. */
static void
wd_http_upstream_process_body(wd_http_request_t *r, wd_http_upstream_t *u,
    wd_uint_t from_downstream)
{
    off_t received, sent, start;
    wd_int_t rc;
    wd_buf_t *b;
    wd_chain_t *cl;
    wd_connection_t *c, *pc;
    wd_http_core_loc_conf_t *clcf;

    (void) from_downstream;

    c = r->connection;
    pc = u->peer.connection;
    start = u->state->bytes_received;

    for (;;) {
        received = u->state->bytes_received;
        sent = c->sent;

        if (pc && !u->done && !u->eof && !u->error) {
            rc = wd_http_upstream_read_body(r, u);

            if (rc == WD_ERROR) {
                wd_http_upstream_body_failed(r, u);
                return;
            }
        }

        if (u->done || u->eof) {
            if (u->eof && u->length > 0) {
                wd_log_error(WD_LOG_ERR, c->log, 0,
                             "upstream prematurely closed connection");
                wd_http_upstream_body_failed(r, u);
                return;
            }

            cl = wd_chain_get_free_buf(r->pool, &u->free_bufs);

            if (cl == NULL) {
                wd_http_upstream_finalize_request(r, u, WD_ERROR);
                return;
            }

            b = cl->buf;
            wd_memzero(b, sizeof(wd_buf_t));
            b->last_buf = 1;
            b->tag = u->tag;
            *u->last_out = cl;
            u->last_out = &cl->next;
        }

        if (u->out_bufs || c->buffered || r->buffered) {
            rc = wd_http_output_filter(r, u->out_bufs);

            wd_chain_update_chains(r->pool, &u->free_bufs, &u->busy_bufs,
                                   &u->out_bufs, u->tag);
            u->last_out = &u->out_bufs;

            if (rc == WD_ERROR) {
                c->error = 1;
                wd_http_upstream_finalize_request(r, u,
                    WD_HTTP_CLIENT_CLOSED_REQUEST);
                return;
            }
        }

        if (u->done || u->eof) {
            /* the whole body is with the filters: the upstream
             * connection can go, the writer sends the rest */
            wd_http_upstream_finalize_request(r, u, WD_OK);
            return;
        }

        /* again while bytes move one way or the other */
        if (pc == NULL || !pc->read->ready || pc->read->delayed
            || (u->state->bytes_received == received && c->sent == sent))
        {
            break;
        }

        if (!u->buffering
            && u->state->bytes_received - start >= WD_HTTP_UPSTREAM_TURN_MAX)
        {
            /* a fast upstream and client could keep this loop going for
             * the whole body: the other connections have their turn
             * first, and this one goes on in the next */
            wd_post_event(pc->read, &wd_posted_next_events);
            break;
        }
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (c->buffered || r->buffered || u->busy_bufs) {
        if (!c->write->delayed) {
            wd_event_add_timer(c->write, clcf->send_timeout);
        }

    } else {
        wd_event_del_timer(c->write);
    }

    if (!pc->read->ready && !pc->read->delayed) {
        wd_event_add_timer(pc->read, u->conf->read_timeout);

    } else if (!pc->read->delayed) {
        wd_event_del_timer(pc->read);
    }

    if (wd_handle_read_event(pc->read) != WD_OK
        || wd_handle_write_event(c->write) != WD_OK)
    {
        wd_http_upstream_finalize_request(r, u, WD_ERROR);
    }
}

/* The body cannot be completed: what was read before the failure (often
 * in the same read as the upstream's close) still goes to the client,
 * then the client connection is closed, so that the response is seen to
 * be cut short (no last chunk, fewer bytes than Content-Length).  A 502,
 * as in nginx, so that the header goes out even with no body byte. */
static void
wd_http_upstream_body_failed(wd_http_request_t *r, wd_http_upstream_t *u)
{
    if (u->out_bufs) {
        (void) wd_http_output_filter(r, u->out_bufs);
        u->out_bufs = NULL;
        u->last_out = &u->out_bufs;
    }

    wd_http_upstream_finalize_request(r, u, WD_HTTP_BAD_GATEWAY);
}

/* Reads the upstream into free buffers while it has data: WD_OK or
 * WD_ERROR (already logged). */
static wd_int_t
wd_http_upstream_read_body(wd_http_request_t *r, wd_http_upstream_t *u)
{
    off_t allowed, elapsed;
    size_t room, take;
    ssize_t n;
    wd_buf_t *b, *bufs[WD_HTTP_UPSTREAM_READV];
    wd_uint_t i, nbufs, spill;
    wd_msec_t delay;
    wd_chain_t **from;
    wd_connection_t *pc;

    pc = u->peer.connection;

    while (pc->read->ready && !pc->read->delayed && !u->done && !u->eof) {
        nbufs = 0;
        spill = 0;
        room = 0;

        /* with buffering on, one read fills every free buffer it can */
        for (b = wd_http_upstream_raw_buf(r, u, 1); b;
             b = (u->buffering && nbufs < WD_HTTP_UPSTREAM_READV)
                     ? wd_http_upstream_raw_buf(r, u, 0) : NULL)
        {
            b->recycled = 1;        /* taken for this read */
            bufs[nbufs++] = b;
            room += b->end - b->last;

            if (nbufs == WD_HTTP_UPSTREAM_READV) {
                break;
            }

            if (!u->headers_in.chunked && u->length > 0
                && (off_t) room >= u->length)
            {
                /* the rest of a Content-Length body fits: no buffer is
                 * taken (or allocated) that it will not fill */
                break;
            }
        }

        if (nbufs == 0) {
            if (r->connection->write->ready && !r->connection->write->delayed
                && !r->connection->error)
            {
                /* the client takes data: send before spilling to disk */
                return WD_OK;
            }

            b = wd_http_upstream_temp_buf(r, u);

            if (b == NULL) {
                return WD_OK;
            }

            bufs[nbufs++] = b;
            room = b->end - b->last;
            spill = 1;
        }

        for (i = 0; i < nbufs; i++) {
            bufs[i]->recycled = 0;
        }

        if (u->limit_rate) {
            /* proxy_limit_rate: no faster than the rate since the start */
            elapsed = (off_t) (wd_current_msec - u->start_time) + 1;
            allowed = u->limit_rate * elapsed / 1000
                      - u->state->bytes_received;

            if (allowed <= 0) {
                delay = (wd_msec_t) (-allowed * 1000 / u->limit_rate) + 1;
                pc->read->delayed = 1;
                wd_event_add_timer(pc->read, delay);
                return WD_OK;
            }

            if ((off_t) room > allowed) {
                room = (size_t) allowed;
            }
        }

        n = wd_http_upstream_readv(pc, bufs, nbufs, room);

        if (n == WD_AGAIN) {
            return WD_OK;
        }

        if (n == WD_ERROR) {
            u->error = 1;
            return WD_ERROR;
        }

        if (n == 0) {
            u->eof = 1;
            u->keepalive = 0;

            if (u->length == -1 && !u->headers_in.chunked) {
                /* a close-delimited body ends here */
                u->done = 1;
            }

            return WD_OK;
        }

        u->state->bytes_received += n;
        from = u->last_out;

        for (i = 0; i < nbufs && n > 0; i++) {
            b = bufs[i];
            take = wd_min((size_t) n, (size_t) (b->end - b->last));
            b->last += take;
            n -= take;

            if (u->input_filter(u->input_filter_ctx, b, take) != WD_OK) {
                return WD_ERROR;
            }
        }

        if (spill && wd_http_upstream_spill(r, u, from) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

/* One readv() into the room of bufs, at most limit bytes: what recv()
 * returns (bytes, 0 at the end, WD_AGAIN, WD_ERROR). */
static ssize_t
wd_http_upstream_readv(wd_connection_t *c, wd_buf_t **bufs, wd_uint_t n,
    size_t limit)
{
    size_t size;
    ssize_t got;
    wd_err_t err;
    wd_uint_t i, niov;
    struct iovec iov[WD_HTTP_UPSTREAM_READV];

    if (n == 1) {
        return c->recv(c, bufs[0]->last,
                       wd_min(limit, (size_t) (bufs[0]->end - bufs[0]->last)));
    }

    niov = 0;
    size = 0;

    for (i = 0; i < n && size < limit; i++) {
        iov[niov].iov_base = bufs[i]->last;
        iov[niov].iov_len = wd_min((size_t) (bufs[i]->end - bufs[i]->last),
                                   limit - size);
        size += iov[niov].iov_len;
        niov++;
    }

    for (;;) {
        got = readv(c->fd, iov, (int) niov);

        if (got == 0) {
            c->read->ready = 0;
            c->read->eof = 1;
            return 0;
        }

        if (got > 0) {
            if ((size_t) got < size && !c->read->pending_eof) {
                c->read->ready = 0;
            }

            return got;
        }

        err = wd_socket_errno;

        if (err == WD_EINTR) {
            continue;
        }

        if (err == WD_EAGAIN) {
            c->read->ready = 0;
            return WD_AGAIN;
        }

        c->read->error = 1;
        wd_connection_error(c, err, "readv() failed");

        return WD_ERROR;
    }
}

/* The buffer to read into when the memory ones all wait for the client
 * and a temporary file may still grow. */
static wd_buf_t *
wd_http_upstream_temp_buf(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_http_upstream_conf_t *conf;

    conf = u->conf;

    if (!u->buffering || conf->max_temp_file_size == 0
        || (u->temp_file
            && u->temp_file->offset >= (off_t) conf->max_temp_file_size))
    {
        return NULL;
    }

    if (u->temp_file == NULL) {
        u->temp_file = wd_pcalloc(r->pool, sizeof(wd_temp_file_t));

        if (u->temp_file == NULL) {
            return NULL;
        }

        u->temp_file->file.fd = WD_INVALID_FD;
        u->temp_file->file.log = r->connection->log;
        u->temp_file->path = conf->temp_path;
        u->temp_file->pool = r->pool;
        u->temp_file->log_level = WD_LOG_WARN;
        u->temp_file->warn = "an upstream response is buffered to "
                             "a temporary file";
    }

    if (u->temp_buf == NULL) {
        u->temp_buf = wd_create_temp_buf(r->pool,
                                         conf->temp_file_write_size);

        if (u->temp_buf == NULL) {
            return NULL;
        }
    }

    u->temp_buf->pos = u->temp_buf->start;
    u->temp_buf->last = u->temp_buf->start;

    return u->temp_buf;
}

/* Writes the slices the input filter just made from the temporary
 * buffer to the file, and makes them point into the file instead. */
static wd_int_t
wd_http_upstream_spill(wd_http_request_t *r, wd_http_upstream_t *u,
    wd_chain_t **from)
{
    off_t offset;
    ssize_t n;
    wd_buf_t *b;
    wd_chain_t *cl, one;

    (void) r;

    for (cl = *from; cl; cl = cl->next) {
        b = cl->buf;

        if (b->last_buf || b->pos == b->last) {
            continue;
        }

        offset = u->temp_file->offset;

        one.buf = b;
        one.next = NULL;

        n = wd_write_chain_to_temp_file(u->temp_file, &one);

        if (n == WD_ERROR) {
            return WD_ERROR;
        }

        b->file = &u->temp_file->file;
        b->file_pos = offset;
        b->file_last = offset + (b->last - b->pos);
        b->in_file = 1;
        b->temporary = 0;
        b->memory = 0;
        b->shadow = NULL;
        b->pos = NULL;
        b->last = NULL;
        b->start = NULL;
        b->end = NULL;
    }

    u->temp_buf->pos = u->temp_buf->start;
    u->temp_buf->last = u->temp_buf->start;

    return WD_OK;
}

/* A read buffer with room: the one being filled, one whose slices all
 * went out, or a new one while proxy_buffers allows (with buffering off
 * only the header buffer, reused once sent). */
static wd_buf_t *
wd_http_upstream_raw_buf(wd_http_request_t *r, wd_http_upstream_t *u,
    wd_uint_t tail)
{
    size_t size;
    wd_buf_t *b;
    wd_chain_t *cl, *raw;
    wd_uint_t limit;

    if (u->raw_all == NULL) {
        cl = wd_alloc_chain_link(r->pool);

        if (cl == NULL) {
            return NULL;
        }

        cl->buf = &u->buffer;
        cl->next = NULL;
        u->raw_all = cl;
        u->raw_n = 1;
    }

    /* the one being filled: appending keeps its earlier slices valid */
    for (raw = u->raw_all; raw->next; raw = raw->next) { /* void */ }

    if (tail && raw->buf->last < raw->buf->end) {
        return raw->buf;
    }

    /* a buffer none of whose slices is still waiting to be sent */
    for (raw = u->raw_all; raw; raw = raw->next) {
        b = raw->buf;

        if (b->recycled) {
            continue;               /* already taken for this read */
        }

        for (cl = u->busy_bufs; cl; cl = cl->next) {
            if (cl->buf->shadow == b && wd_buf_size(cl->buf)) {
                break;
            }
        }

        if (cl) {
            continue;
        }

        for (cl = u->out_bufs; cl; cl = cl->next) {
            if (cl->buf->shadow == b) {
                break;
            }
        }

        if (cl) {
            continue;
        }

        b->pos = b->start;
        b->last = b->start;

        /* reading goes on in this one: move it to the end of the list */
        if (raw->next) {
            wd_chain_t **ll;

            for (ll = &u->raw_all; *ll != raw; ll = &(*ll)->next) {
                /* void */
            }

            *ll = raw->next;

            for (cl = u->raw_all; cl->next; cl = cl->next) { /* void */ }

            cl->next = raw;
            raw->next = NULL;
        }

        return b;
    }

    limit = u->buffering ? 1 + (wd_uint_t) u->conf->bufs.num : 1;

    if (u->raw_n >= limit) {
        return NULL;
    }

    size = u->conf->bufs.size;
    b = wd_create_temp_buf(r->pool, size);
    cl = wd_alloc_chain_link(r->pool);

    if (b == NULL || cl == NULL) {
        return NULL;
    }

    b->tag = u->tag;
    cl->buf = b;
    cl->next = NULL;

    for (raw = u->raw_all; raw->next; raw = raw->next) { /* void */ }

    raw->next = cl;
    u->raw_n++;

    return b;
}

wd_int_t
wd_http_upstream_add_slice(wd_http_upstream_t *u, wd_pool_t *pool,
    wd_buf_t *raw, u_char *pos, u_char *last)
{
    wd_buf_t *b;
    wd_chain_t *cl;

    if (pos == last) {
        return WD_OK;
    }

    cl = wd_chain_get_free_buf(pool, &u->free_bufs);

    if (cl == NULL) {
        return WD_ERROR;
    }

    b = cl->buf;
    wd_memzero(b, sizeof(wd_buf_t));

    b->pos = pos;
    b->last = last;
    b->start = pos;
    b->end = last;
    b->temporary = 1;
    b->shadow = raw;
    b->tag = u->tag;
    b->flush = 1;

    *u->last_out = cl;
    u->last_out = &cl->next;

    return WD_OK;
}

/* A 101: the two connections become a tunnel. */
static void
wd_http_upstream_upgrade(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_buf_t *b, *in;
    wd_chain_t out;
    wd_connection_t *c;

    c = r->connection;

    r->keepalive = 0;
    c->log->action = "proxying upgraded connection";

    /*
     * the 101 head is small enough for the write filter to hold it back
     * (postpone_output); it must reach the client before anything the
     * tunnel copies, which bypasses the filters
     */

    b = wd_calloc_buf(r->pool);

    if (b == NULL) {
        wd_http_upstream_finalize_request(r, u, WD_ERROR);
        return;
    }

    b->flush = 1;
    out.buf = b;
    out.next = NULL;

    if (wd_http_output_filter(r, &out) == WD_ERROR) {
        wd_http_upstream_finalize_request(r, u, WD_ERROR);
        return;
    }

    u->read_event_handler = wd_http_upstream_upgraded_upstream;
    u->write_event_handler = wd_http_upstream_upgraded_upstream;
    r->read_event_handler = wd_http_upstream_upgraded_downstream;
    r->write_event_handler = wd_http_upstream_upgraded_downstream;

    /* client to upstream: what the client sent after its request */
    b = wd_create_temp_buf(r->pool, u->conf->buffer_size);

    if (b == NULL) {
        wd_http_upstream_finalize_request(r, u, WD_ERROR);
        return;
    }

    in = r->header_in;

    if (in && in->pos < in->last) {
        size_t n = wd_min((size_t) (in->last - in->pos),
                          (size_t) (b->end - b->last));

        b->last = wd_cpymem(b->last, in->pos, n);
        in->pos += n;
    }

    u->tunnel_up = b;

    if (c->tcp_nodelay == WD_TCP_NODELAY_UNSET) {
        (void) wd_tcp_nodelay(c);
    }

    if (u->peer.connection->tcp_nodelay == WD_TCP_NODELAY_UNSET) {
        (void) wd_tcp_nodelay(u->peer.connection);
    }

    wd_http_upstream_process_upgraded(r, 1);
}

static void
wd_http_upstream_upgraded_upstream(wd_http_request_t *r,
    wd_http_upstream_t *u)
{
    (void) u;
    wd_http_upstream_process_upgraded(r, 1);
}

static void
wd_http_upstream_upgraded_downstream(wd_http_request_t *r)
{
    wd_http_upstream_process_upgraded(r, 0);
}

/* Copies what one side has into the buffer towards the other, both
 * ways; an end of either side ends the tunnel once its data went out. */
static wd_int_t
wd_http_upstream_tunnel_copy(wd_connection_t *src, wd_connection_t *dst,
    wd_buf_t *b, wd_uint_t *eof)
{
    ssize_t n;

    for (;;) {
        if (b->pos < b->last && dst->write->ready) {
            n = dst->send(dst, b->pos, b->last - b->pos);

            if (n == WD_ERROR) {
                return WD_ERROR;
            }

            if (n > 0) {
                b->pos += n;

                if (b->pos == b->last) {
                    b->pos = b->start;
                    b->last = b->start;
                }

                continue;
            }
        }

        if (b->last < b->end && src->read->ready && !*eof) {
            n = src->recv(src, b->last, b->end - b->last);

            if (n == WD_AGAIN) {
                break;
            }

            if (n == WD_ERROR || n == 0) {
                *eof = 1;
                break;
            }

            b->last += n;
            continue;
        }

        break;
    }

    return WD_OK;
}

static void
wd_http_upstream_process_upgraded(wd_http_request_t *r,
    wd_uint_t from_upstream)
{
    wd_uint_t client_eof, upstream_eof;
    wd_buf_t *up, *down;
    wd_connection_t *c, *pc;
    wd_http_upstream_t *u;
    wd_http_core_loc_conf_t *clcf;

    c = r->connection;
    u = r->upstream;
    pc = u->peer.connection;

    if (pc->read->timedout || pc->write->timedout) {
        pc->read->timedout = 0;
        wd_log_error(WD_LOG_ERR, c->log, WD_ETIMEDOUT, "upstream timed out");
        wd_http_upstream_finalize_request(r, u, WD_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    if (c->write->timedout) {
        c->timedout = 1;
        wd_log_error(WD_LOG_INFO, c->log, WD_ETIMEDOUT, "client timed out");
        wd_http_upstream_finalize_request(r, u, WD_HTTP_REQUEST_TIME_OUT);
        return;
    }

    (void) from_upstream;

    down = &u->buffer;              /* upstream to client */
    up = u->tunnel_up;              /* client to upstream */

    if (c->buffered) {
        /* the rest of the 101 header goes before any tunnelled byte */
        if (wd_http_output_filter(r, NULL) == WD_ERROR) {
            wd_http_upstream_finalize_request(r, u, WD_ERROR);
            return;
        }

        if (c->buffered) {
            wd_event_add_timer(c->write, u->conf->send_timeout);
            return;
        }
    }

    client_eof = u->client_eof;
    upstream_eof = u->eof;

    if (wd_http_upstream_tunnel_copy(pc, c, down, &upstream_eof) != WD_OK
        || wd_http_upstream_tunnel_copy(c, pc, up, &client_eof) != WD_OK)
    {
        wd_http_upstream_finalize_request(r, u, WD_ERROR);
        return;
    }

    u->client_eof = client_eof;
    u->eof = upstream_eof;

    if ((u->eof && down->pos == down->last)
        || (u->client_eof && up->pos == up->last))
    {
        wd_http_upstream_finalize_request(r, u, WD_OK);
        return;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    /* any traffic restarts the idle clock */
    wd_event_add_timer(pc->read, u->conf->read_timeout);

    if (up->pos < up->last && !pc->write->ready) {
        wd_event_add_timer(pc->write, u->conf->send_timeout);
    } else {
        wd_event_del_timer(pc->write);
    }

    if (down->pos < down->last && !c->write->ready) {
        wd_event_add_timer(c->write, clcf->send_timeout);
    } else {
        wd_event_del_timer(c->write);
    }

    if (wd_handle_read_event(pc->read) != WD_OK
        || wd_handle_read_event(c->read) != WD_OK
        || wd_handle_write_event(pc->write) != WD_OK
        || wd_handle_write_event(c->write) != WD_OK)
    {
        wd_http_upstream_finalize_request(r, u, WD_ERROR);
    }
}

static void
wd_http_upstream_dummy_handler(wd_http_request_t *r, wd_http_upstream_t *u)
{
    (void) r;
    (void) u;
}

/* No server could take the request: the service is unavailable (503;
 * nginx answers 502 here).  After a try that failed, that try's answer
 * stands. */
static wd_uint_t
wd_http_upstream_nolive_status(wd_http_request_t *r)
{
    wd_http_upstream_state_t *state;

    if (r->upstream_states->nelts < 2) {
        return WD_HTTP_SERVICE_UNAVAILABLE;
    }

    state = r->upstream_states->elts;
    state += r->upstream_states->nelts - 2;

    return state->status ? state->status : WD_HTTP_BAD_GATEWAY;
}

static void
wd_http_upstream_next(wd_http_request_t *r, wd_http_upstream_t *u,
    wd_uint_t ft_type)
{
    wd_uint_t status, state;
    wd_msec_t timeout;

    /* a kept-alive connection that the upstream had closed: the request
     * never reached the application, so it goes again on a new
     * connection, whatever its method, without counting as a failure */
    if (u->peer.cached && !u->response_byte && !u->fresh_retry
        && !u->body_let_go && ft_type == WD_HTTP_UPSTREAM_FT_ERROR)
    {
        wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                     "upstream keepalive connection was closed, "
                     "retrying on a new connection");

        u->fresh_retry = 1;
        u->no_cache_peer = 1;

        if (u->peer.sockaddr) {
            u->peer.tries++;
            u->peer.free(&u->peer, u->peer.data, WD_PEER_NEXT);
            u->peer.sockaddr = NULL;
        }

        wd_http_upstream_close_peer(u);
        u->state->status = WD_HTTP_BAD_GATEWAY;
        u->state->response_time = wd_current_msec - u->start_time;
        wd_http_upstream_connect(r, u);
        return;
    }

    switch (ft_type) {
    case WD_HTTP_UPSTREAM_FT_TIMEOUT:
    case WD_HTTP_UPSTREAM_FT_HTTP_504:
        status = WD_HTTP_GATEWAY_TIME_OUT;
        break;
    case WD_HTTP_UPSTREAM_FT_HTTP_500:
        status = WD_HTTP_INTERNAL_SERVER_ERROR;
        break;
    case WD_HTTP_UPSTREAM_FT_HTTP_503:
        status = WD_HTTP_SERVICE_UNAVAILABLE;
        break;
    case WD_HTTP_UPSTREAM_FT_HTTP_403:
        status = WD_HTTP_FORBIDDEN;
        break;
    case WD_HTTP_UPSTREAM_FT_HTTP_404:
        status = WD_HTTP_NOT_FOUND;
        break;
    case WD_HTTP_UPSTREAM_FT_HTTP_429:
        status = WD_HTTP_TOO_MANY_REQUESTS;
        break;
    case WD_HTTP_UPSTREAM_FT_NOLIVE:
        status = wd_http_upstream_nolive_status(r);
        break;
    default:
        status = WD_HTTP_BAD_GATEWAY;
    }

    if (u->peer.sockaddr) {
        state = (ft_type == WD_HTTP_UPSTREAM_FT_HTTP_403
                 || ft_type == WD_HTTP_UPSTREAM_FT_HTTP_404)
                    ? WD_PEER_NEXT : WD_PEER_FAILED;

        u->peer.free(&u->peer, u->peer.data, state);
        u->peer.sockaddr = NULL;
    }

    if (r->connection->error) {
        wd_http_upstream_finalize_request(r, u,
                                          WD_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    u->state->status = status;

    timeout = u->conf->next_upstream_timeout;

    if (u->request_sent
        && (r->method & (WD_HTTP_POST | WD_HTTP_LOCK | WD_HTTP_PATCH))
        && !(u->conf->next_upstream & WD_HTTP_UPSTREAM_FT_NON_IDEMPOTENT))
    {
        u->peer.tries = 0;
    }

    if (u->body_let_go) {
        /* part of the body is gone: it cannot be sent again */
        u->peer.tries = 0;
    }

    if (ft_type == WD_HTTP_UPSTREAM_FT_NOLIVE
        || u->peer.tries == 0
        || !(u->conf->next_upstream & ft_type)
        || (timeout && wd_current_msec - u->first_try_time >= timeout))
    {
        wd_http_upstream_finalize_request(r, u, (wd_int_t) status);
        return;
    }

    wd_http_upstream_close_peer(u);
    u->fresh_retry = 0;
    u->no_cache_peer = 0;

    wd_http_upstream_connect(r, u);
}

static void
wd_http_upstream_close_peer(wd_http_upstream_t *u)
{
    if (u->peer.connection) {
        wd_close_connection(u->peer.connection);
        u->peer.connection = NULL;
    }
}

/* A response that cannot be finished (the upstream timed out or closed
 * in the body): what the filters still hold, the header say, goes out
 * before the connection closes, as nginx flushes then. */
static void
wd_http_upstream_flush_out(wd_http_request_t *r)
{
    wd_buf_t *b;
    wd_chain_t out;

    b = wd_calloc_buf(r->pool);

    if (b == NULL) {
        return;
    }

    b->flush = 1;
    out.buf = b;
    out.next = NULL;

    (void) wd_http_output_filter(r, &out);
}

static void
wd_http_upstream_finalize_request(wd_http_request_t *r,
    wd_http_upstream_t *u, wd_int_t rc)
{
    wd_buf_t *b;
    wd_chain_t out;
    wd_uint_t state;

    if (u->cleanup == NULL) {
        /* finalized already */
        return;
    }

    *u->cleanup = NULL;
    u->cleanup = NULL;

    if (u->state && u->state->response_time == (wd_msec_t) -1) {
        u->state->response_time = wd_current_msec - u->start_time;

        if (u->peer.connection) {
            u->state->bytes_sent = u->peer.connection->sent;
        }
    }

    /* only what the upstream said (or wd_http_upstream_next() made of a
     * failure): a request given up before the header, a 499 say, logs
     * "-" as $upstream_status, as in nginx */
    if (u->state && u->state->status == 0) {
        u->state->status = u->headers_in.status_n;
    }

    if (u->finalize_request) {
        u->finalize_request(r, rc);
    }

    if (u->peer.free && u->peer.sockaddr) {
        state = 0;

        if (rc == WD_HTTP_GATEWAY_TIME_OUT || u->error) {
            state = WD_PEER_FAILED;
        }

        if (u->keepalive && u->done && !u->error && rc != WD_ERROR
            && !u->upgrade)
        {
            state |= WD_PEER_KEEPALIVE;
        }

        u->peer.free(&u->peer, u->peer.data, state);
        u->peer.sockaddr = NULL;
    }

    wd_http_upstream_close_peer(u);

    if (r->request_body_no_buffering) {
        /* a streamed body went where it went: a location the request
         * goes on to (error_page, X-Accel-Redirect) sees an empty one;
         * a rest still unread is dropped by the lingering close */
        r->request_body_no_buffering = 0;
        r->request_body->bufs = NULL;

        if (r->reading_body) {
            r->read_event_handler = wd_http_block_reading;
            wd_event_del_timer(r->connection->read);
        }
    }

    if (rc == WD_DECLINED) {
        return;
    }

    r->connection->log->action = "sending to client";

    if (rc == WD_DONE) {
        /* the request is being freed: nothing more to send */
        return;
    }

    if (!u->header_sent || rc == WD_HTTP_REQUEST_TIME_OUT
        || rc == WD_HTTP_CLIENT_CLOSED_REQUEST)
    {
        wd_http_finalize_request(r, rc);
        return;
    }

    if (rc == WD_ERROR || rc >= WD_HTTP_SPECIAL_RESPONSE || u->upgrade) {
        if (rc >= WD_HTTP_SPECIAL_RESPONSE && !u->upgrade
            && !r->connection->error)
        {
            wd_http_upstream_flush_out(r);
        }

        if (rc != WD_OK || !u->upgrade) {
            r->connection->error = 1;
        }

        wd_http_finalize_request(r, u->upgrade && rc == WD_OK ? WD_DONE
                                                              : WD_ERROR);
        return;
    }

    if (r->header_only) {
        b = wd_calloc_buf(r->pool);

        if (b == NULL) {
            wd_http_finalize_request(r, WD_ERROR);
            return;
        }

        b->last_buf = 1;
        out.buf = b;
        out.next = NULL;
        rc = wd_http_output_filter(r, &out);
    }

    wd_http_finalize_request(r, rc);
}
