/*
 * The upstream keepalive module: "keepalive N" in an upstream block keeps
 * up to N idle connections to its servers in each worker and reuses them.
 *
 * Beyond nginx: an idle connection is dropped a moment before the
 * upstream's own "Keep-Alive: timeout=N" would close it, so a request is
 * not sent into a connection the upstream is closing; and when a reused
 * connection fails before any byte of a response (the upstream closed it
 * anyway), the upstream core retries once on a new connection.
 */

#include <wd_http.h>

typedef struct {
    wd_uint_t max_cached;
    wd_uint_t requests;
    wd_msec_t time;
    wd_msec_t timeout;

    wd_queue_t cache;           /* wd_http_upstream_keepalive_cache_t */
    wd_queue_t free;

    wd_http_upstream_init_pt original_init_upstream;
    wd_http_upstream_init_peer_pt original_init_peer;
} wd_http_upstream_keepalive_srv_conf_t;

typedef struct {
    wd_http_upstream_keepalive_srv_conf_t *conf;
    wd_queue_t queue;
    wd_connection_t *connection;
    wd_sockaddr_t sockaddr;
    socklen_t socklen;
} wd_http_upstream_keepalive_cache_t;

typedef struct {
    wd_http_upstream_keepalive_srv_conf_t *conf;
    wd_http_upstream_t *upstream;
    void *data;                 /* the balancer's */
    wd_event_get_peer_pt original_get_peer;
    wd_event_free_peer_pt original_free_peer;
} wd_http_upstream_keepalive_peer_data_t;

/* An idle connection is dropped this long before the upstream's own
 * Keep-Alive timeout (at most half of it). */
#define WD_HTTP_KEEPALIVE_MARGIN 1000

static wd_int_t wd_http_upstream_init_keepalive_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_get_keepalive_peer(wd_peer_connection_t *pc,
    void *data);
static void wd_http_upstream_free_keepalive_peer(wd_peer_connection_t *pc,
    void *data, wd_uint_t state);
static void wd_http_upstream_keepalive_close_handler(wd_event_t *ev);
static void wd_http_upstream_keepalive_close(wd_connection_t *c);
static void *wd_http_upstream_keepalive_create_conf(wd_conf_t *cf);
static char *wd_http_upstream_keepalive(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);

static wd_command_t wd_http_upstream_keepalive_commands[] = {

    { wd_string("keepalive"),
      WD_HTTP_UPS_CONF | WD_CONF_TAKE1,
      wd_http_upstream_keepalive,
      WD_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { wd_string("keepalive_time"),
      WD_HTTP_UPS_CONF | WD_CONF_TAKE1,
      wd_conf_set_msec_slot,
      WD_HTTP_SRV_CONF_OFFSET,
      offsetof(wd_http_upstream_keepalive_srv_conf_t, time),
      NULL },

    { wd_string("keepalive_timeout"),
      WD_HTTP_UPS_CONF | WD_CONF_TAKE1,
      wd_conf_set_msec_slot,
      WD_HTTP_SRV_CONF_OFFSET,
      offsetof(wd_http_upstream_keepalive_srv_conf_t, timeout),
      NULL },

    { wd_string("keepalive_requests"),
      WD_HTTP_UPS_CONF | WD_CONF_TAKE1,
      wd_conf_set_num_slot,
      WD_HTTP_SRV_CONF_OFFSET,
      offsetof(wd_http_upstream_keepalive_srv_conf_t, requests),
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_upstream_keepalive_module_ctx = {
    NULL, NULL, NULL, NULL,
    wd_http_upstream_keepalive_create_conf,
    NULL,
    NULL, NULL
};

wd_module_t wd_http_upstream_keepalive_module = {
    WD_MODULE_V1,
    &wd_http_upstream_keepalive_module_ctx,
    wd_http_upstream_keepalive_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_int_t
wd_http_upstream_init_keepalive(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us)
{
    wd_uint_t i;
    wd_http_upstream_keepalive_cache_t *cached;
    wd_http_upstream_keepalive_srv_conf_t *kcf;

    kcf = wd_http_conf_upstream_srv_conf(us,
                                         wd_http_upstream_keepalive_module);

    wd_conf_init_msec_value(kcf->time, 3600000);
    wd_conf_init_msec_value(kcf->timeout, 60000);
    wd_conf_init_uint_value(kcf->requests, 1000);

    if (kcf->original_init_upstream(cf, us) != WD_OK) {
        return WD_ERROR;
    }

    kcf->original_init_peer = us->peer.init;
    us->peer.init = wd_http_upstream_init_keepalive_peer;

    cached = wd_pcalloc(cf->pool, sizeof(wd_http_upstream_keepalive_cache_t)
                                      * kcf->max_cached);

    if (cached == NULL) {
        return WD_ERROR;
    }

    wd_queue_init(&kcf->cache);
    wd_queue_init(&kcf->free);

    for (i = 0; i < kcf->max_cached; i++) {
        cached[i].conf = kcf;
        wd_queue_insert_head(&kcf->free, &cached[i].queue);
    }

    return WD_OK;
}

static wd_int_t
wd_http_upstream_init_keepalive_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us)
{
    wd_http_upstream_t *u;
    wd_http_upstream_keepalive_peer_data_t *kp;
    wd_http_upstream_keepalive_srv_conf_t *kcf;

    kcf = wd_http_conf_upstream_srv_conf(us,
                                         wd_http_upstream_keepalive_module);

    kp = wd_palloc(r->pool, sizeof(wd_http_upstream_keepalive_peer_data_t));

    if (kp == NULL) {
        return WD_ERROR;
    }

    if (kcf->original_init_peer(r, us) != WD_OK) {
        return WD_ERROR;
    }

    u = r->upstream;

    kp->conf = kcf;
    kp->upstream = u;
    kp->data = u->peer.data;
    kp->original_get_peer = u->peer.get;
    kp->original_free_peer = u->peer.free;

    u->peer.data = kp;
    u->peer.get = wd_http_upstream_get_keepalive_peer;
    u->peer.free = wd_http_upstream_free_keepalive_peer;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_get_keepalive_peer(wd_peer_connection_t *pc, void *data)
{
    wd_http_upstream_keepalive_peer_data_t *kp = data;

    wd_int_t rc;
    wd_queue_t *q, *cache;
    wd_connection_t *c;
    wd_http_upstream_keepalive_cache_t *item;

    rc = kp->original_get_peer(pc, kp->data);

    if (rc != WD_OK || kp->upstream->no_cache_peer) {
        return rc;
    }

    cache = &kp->conf->cache;

    for (q = wd_queue_head(cache); q != wd_queue_sentinel(cache);
         q = wd_queue_next(q))
    {
        item = wd_queue_data(q, wd_http_upstream_keepalive_cache_t, queue);

        if (wd_cmp_sockaddr(&item->sockaddr.sockaddr, item->socklen,
                            pc->sockaddr, pc->socklen, 1) != WD_OK)
        {
            continue;
        }

        c = item->connection;

        wd_queue_remove(q);
        wd_queue_insert_head(&kp->conf->free, q);

        c->idle = 0;
        c->sent = 0;
        c->data = NULL;
        c->log = pc->log;
        c->read->log = pc->log;
        c->write->log = pc->log;

        wd_event_del_timer(c->read);

        pc->connection = c;
        pc->cached = 1;

        return WD_DONE;
    }

    return WD_OK;
}

static void
wd_http_upstream_free_keepalive_peer(wd_peer_connection_t *pc, void *data,
    wd_uint_t state)
{
    wd_http_upstream_keepalive_peer_data_t *kp = data;

    wd_msec_t timeout, upstream_timeout;
    wd_queue_t *q;
    wd_connection_t *c;
    wd_http_upstream_t *u;
    wd_http_upstream_keepalive_cache_t *item;

    u = kp->upstream;
    c = pc->connection;

    /* a request not sent whole (the upstream answered early) leaves the
     * upstream waiting for the rest: the next request would be read as
     * part of it */
    if (!(state & WD_PEER_KEEPALIVE) || (state & WD_PEER_FAILED)
        || !u->request_body_sent
        || c == NULL || c->read->eof || c->read->error || c->read->timedout
        || c->write->error || c->write->timedout || c->error
        || c->requests >= kp->conf->requests
        || wd_current_msec - c->start_time > kp->conf->time
        || wd_terminate || wd_exiting)
    {
        goto done;
    }

    timeout = kp->conf->timeout;
    upstream_timeout = (wd_msec_t) -1;

    if (u->headers_in.keep_alive_timeout >= 0) {
        upstream_timeout = (wd_msec_t) u->headers_in.keep_alive_timeout * 1000;

        /* leave before the upstream closes it */
        upstream_timeout -= wd_min(upstream_timeout / 2,
                                   (wd_msec_t) WD_HTTP_KEEPALIVE_MARGIN);

        if (upstream_timeout == 0) {
            goto done;
        }

        timeout = wd_min(timeout, upstream_timeout);
    }

    if (wd_queue_empty(&kp->conf->free)) {
        /* the least recently used one makes room */
        q = wd_queue_last(&kp->conf->cache);
        wd_queue_remove(q);

        item = wd_queue_data(q, wd_http_upstream_keepalive_cache_t, queue);
        wd_http_upstream_keepalive_close(item->connection);

    } else {
        q = wd_queue_head(&kp->conf->free);
        wd_queue_remove(q);

        item = wd_queue_data(q, wd_http_upstream_keepalive_cache_t, queue);
    }

    wd_queue_insert_head(&kp->conf->cache, q);

    item->connection = c;
    pc->connection = NULL;

    c->read->delayed = 0;
    wd_event_del_timer(c->write);

    if (c->read->posted) {
        /* a turn's worth of body left for the next: not for the cache */
        wd_delete_posted_event(c->read);
    }

    wd_event_add_timer(c->read, timeout);

    c->write->handler = wd_http_upstream_keepalive_close_handler;
    c->read->handler = wd_http_upstream_keepalive_close_handler;

    c->data = item;
    c->idle = 1;
    c->log = wd_cycle->log;
    c->read->log = wd_cycle->log;
    c->write->log = wd_cycle->log;

    wd_memcpy(&item->sockaddr, pc->sockaddr, pc->socklen);
    item->socklen = pc->socklen;

    if (c->read->ready) {
        /* bytes already waiting: the connection cannot be reused */
        wd_http_upstream_keepalive_close_handler(c->read);
    }

done:

    kp->original_free_peer(pc, kp->data, state);
}

/* An idle cached connection: data, an end or the timer ends it. */
static void
wd_http_upstream_keepalive_close_handler(wd_event_t *ev)
{
    int n;
    char buf[1];
    wd_connection_t *c;
    wd_http_upstream_keepalive_cache_t *item;
    wd_http_upstream_keepalive_srv_conf_t *conf;

    c = ev->data;

    if (ev->write && !c->close) {
        return;
    }

    if (!c->close && !ev->timedout) {
        n = (int) recv(c->fd, buf, 1, MSG_PEEK);

        if (n == -1 && wd_socket_errno == WD_EAGAIN) {
            ev->ready = 0;
            return;
        }
    }

    item = c->data;
    conf = item->conf;

    wd_queue_remove(&item->queue);
    wd_queue_insert_head(&conf->free, &item->queue);

    wd_http_upstream_keepalive_close(c);
}

static void
wd_http_upstream_keepalive_close(wd_connection_t *c)
{
    wd_close_connection(c);
}

static void *
wd_http_upstream_keepalive_create_conf(wd_conf_t *cf)
{
    wd_http_upstream_keepalive_srv_conf_t *conf;

    conf = wd_pcalloc(cf->pool,
                      sizeof(wd_http_upstream_keepalive_srv_conf_t));

    if (conf == NULL) {
        return NULL;
    }

    conf->time = WD_CONF_UNSET_MSEC;
    conf->timeout = WD_CONF_UNSET_MSEC;
    conf->requests = WD_CONF_UNSET_UINT;

    return conf;
}

/* keepalive CONNECTIONS */
static char *
wd_http_upstream_keepalive(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_upstream_keepalive_srv_conf_t *kcf = conf;

    wd_int_t n;
    wd_str_t *value;
    wd_http_upstream_srv_conf_t *uscf;

    if (kcf->max_cached) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = wd_atoi(value[1].data, value[1].len);

    if (n == WD_ERROR || n == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid value \"%.*s\" in \"%.*s\" directive",
                          wd_str_fmt(&value[1]), wd_str_fmt(&cmd->name));
        return WD_CONF_ERROR;
    }

    kcf->max_cached = (wd_uint_t) n;

    uscf = wd_http_conf_get_module_srv_conf(cf, wd_http_upstream_module);

    /* the balancer (set before or after this line) is wrapped at init */
    kcf->original_init_upstream = uscf->peer.init_upstream
                                      ? uscf->peer.init_upstream
                                      : wd_http_upstream_init_round_robin;

    uscf->peer.init_upstream = wd_http_upstream_init_keepalive;

    return WD_CONF_OK;
}
