/*
 * The worker's connection slots: taking and returning them, closing,
 * and reusing idle keep-alive connections when slots run out.
 */

#include <wd_event.h>

static void wd_drain_connections(wd_cycle_t *cycle);

/* Logs "worker_connections are not enough" at most once a second, so
 * a flood cannot fill the disk with the same line. */
static void
wd_log_connections_exhausted(wd_cycle_t *cycle, wd_log_t *log)
{
    static time_t last;

    if (last == wd_time()) {
        return;
    }

    last = wd_time();

    wd_log_error(WD_LOG_ALERT, log, 0, "%lu worker_connections are not enough",
                 (unsigned long) cycle->connection_n);
}

wd_connection_t *
wd_get_connection(wd_fd_t s, wd_log_t *log)
{
    wd_uint_t instance;
    wd_event_t *rev, *wev;
    wd_connection_t *c;

    if (wd_cycle->files && (wd_uint_t) s >= wd_cycle->files_n) {
        wd_log_error(WD_LOG_ALERT, log, 0,
                     "the new socket has number %d, but only %lu files are "
                     "available", s, (unsigned long) wd_cycle->files_n);
        return NULL;
    }

    c = wd_cycle->free_connections;

    if (c == NULL) {
        wd_drain_connections(wd_cycle);
        c = wd_cycle->free_connections;
    }

    if (c == NULL) {
        wd_log_connections_exhausted(wd_cycle, log);
        return NULL;
    }

    wd_cycle->free_connections = c->data;
    wd_cycle->free_connection_n--;

    rev = c->read;
    wev = c->write;

    wd_memzero(c, sizeof(wd_connection_t));

    c->read = rev;
    c->write = wev;
    c->fd = s;
    c->log = log;

    instance = rev->instance;

    wd_memzero(rev, sizeof(wd_event_t));
    wd_memzero(wev, sizeof(wd_event_t));

    /* stale epoll events for the previous user of this slot are told
     * apart by the flipped instance bit */
    rev->instance = !instance;
    wev->instance = !instance;

    rev->data = c;
    wev->data = c;
    wev->write = 1;
    rev->available = 0;

    return c;
}

void
wd_free_connection(wd_connection_t *c)
{
    c->data = wd_cycle->free_connections;
    wd_cycle->free_connections = c;
    wd_cycle->free_connection_n++;
}

void
wd_close_connection(wd_connection_t *c)
{
    wd_err_t err;
    wd_fd_t fd;
    wd_uint_t level;

    if (c->fd == WD_INVALID_FD) {
        wd_log_error(WD_LOG_ALERT, c->log, 0, "connection already closed");
        return;
    }

    wd_event_del_timer(c->read);
    wd_event_del_timer(c->write);

    if (c->read->active || c->write->active) {
        wd_del_conn(c, WD_CLOSE_EVENT);
    }

    if (c->read->posted) {
        wd_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        wd_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    wd_reusable_connection(c, 0);

    wd_free_connection(c);

    fd = c->fd;
    c->fd = WD_INVALID_FD;

    if (close(fd) == -1) {
        err = wd_errno;

        /* a reset peer is the peer's business, not ours */
        level = (err == WD_ECONNRESET || err == WD_ENOTCONN) ? WD_LOG_INFO
                                                             : WD_LOG_CRIT;

        wd_log_error(level, c->log, err, "close() socket %d failed", fd);
    }
}

void
wd_reusable_connection(wd_connection_t *c, wd_uint_t reusable)
{
    if (c->reusable) {
        wd_queue_remove(&c->queue);
        wd_cycle->reusable_connections_n--;
        wd_atomic_fetch_add(wd_stat_waiting, -1);
    }

    c->reusable = reusable;

    if (reusable) {
        wd_queue_insert_head(&wd_cycle->reusable_connections_queue,
                             &c->queue);
        wd_cycle->reusable_connections_n++;
        wd_atomic_fetch_add(wd_stat_waiting, 1);
    }
}

/* Closes up to 32 idle keep-alive connections, oldest first, by running
 * their read handlers with c->close set. */
static void
wd_drain_connections(wd_cycle_t *cycle)
{
    wd_uint_t i, n;
    wd_queue_t *q;
    wd_connection_t *c;

    if (cycle->reusable_connections_n == 0) {
        return;
    }

    if (cycle->connections_reuse_time != wd_time()) {
        cycle->connections_reuse_time = wd_time();

        wd_log_error(WD_LOG_WARN, cycle->log, 0,
                     "%lu worker_connections are not enough, "
                     "reusing connections",
                     (unsigned long) cycle->connection_n);
    }

    n = wd_max(wd_min(32, cycle->reusable_connections_n / 8), 1);

    for (i = 0; i < n; i++) {
        if (wd_queue_empty(&cycle->reusable_connections_queue)) {
            break;
        }

        q = wd_queue_last(&cycle->reusable_connections_queue);
        c = wd_queue_data(q, wd_connection_t, queue);

        c->close = 1;
        c->read->handler(c->read);
    }
}

/* On graceful shutdown: idle connections close now. */
void
wd_close_idle_connections(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_connection_t *c;

    c = cycle->connections;

    for (i = 0; i < cycle->connection_n; i++) {
        if (c[i].fd != WD_INVALID_FD && c[i].idle) {
            c[i].close = 1;
            c[i].read->handler(c[i].read);
        }
    }
}

wd_int_t
wd_connection_local_sockaddr(wd_connection_t *c, wd_str_t *s,
    wd_uint_t port)
{
    socklen_t len;
    wd_sockaddr_t sa;

    if (c->local_sockaddr == NULL || wd_inet_wildcard(c->local_sockaddr)) {
        len = sizeof(wd_sockaddr_t);

        if (getsockname(c->fd, &sa.sockaddr, &len) == -1) {
            wd_connection_error(c, wd_errno, "getsockname() failed");
            return WD_ERROR;
        }

        c->local_sockaddr = wd_palloc(c->pool, len);

        if (c->local_sockaddr == NULL) {
            return WD_ERROR;
        }

        wd_memcpy(c->local_sockaddr, &sa, len);
        c->local_socklen = len;
    }

    if (s == NULL) {
        return WD_OK;
    }

    s->len = wd_sock_ntop(c->local_sockaddr, c->local_socklen, s->data,
                          s->len, port);

    return WD_OK;
}

wd_int_t
wd_tcp_nodelay(wd_connection_t *c)
{
    int one;

    if (c->tcp_nodelay != WD_TCP_NODELAY_UNSET) {
        return WD_OK;
    }

    /*
     * an upstream connection has no c->sockaddr: wd_event_connect_peer()
     * has already marked one to a unix socket as disabled
     */

    if (c->sockaddr && c->sockaddr->sa_family == AF_UNIX) {
        c->tcp_nodelay = WD_TCP_NODELAY_DISABLED;
        return WD_OK;
    }

    one = 1;

    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int)) == -1)
    {
        wd_connection_error(c, wd_errno, "setsockopt(TCP_NODELAY) failed");
        return WD_ERROR;
    }

    c->tcp_nodelay = WD_TCP_NODELAY_SET;

    return WD_OK;
}

wd_int_t
wd_connection_error(wd_connection_t *c, wd_err_t err, const char *text)
{
    wd_uint_t level;

    /* Winsock-era EINVAL on a shut-down socket means nothing here */
    if (err == WD_EINVAL && c->log_error == WD_ERROR_IGNORE_EINVAL) {
        return 0;
    }

    if (err == WD_ECONNRESET
        && c->log_error == WD_ERROR_IGNORE_ECONNRESET)
    {
        return 0;
    }

    switch (err) {

    case WD_ECONNRESET:
    case WD_EPIPE:
    case WD_ENOTCONN:
    case WD_ETIMEDOUT:
    case WD_ECONNREFUSED:
    case WD_ENETDOWN:
    case WD_ENETUNREACH:
    case WD_EHOSTDOWN:
    case WD_EHOSTUNREACH:
        switch (c->log_error) {
        case WD_ERROR_IGNORE_EINVAL:
        case WD_ERROR_IGNORE_ECONNRESET:
        case WD_ERROR_INFO:
            level = WD_LOG_INFO;
            break;
        default:
            level = WD_LOG_ERR;
        }
        break;

    default:
        level = WD_LOG_ALERT;
    }

    wd_log_error(level, c->log, err, "%s", text);

    return WD_ERROR;
}

/* Releases TCP_CORK so that what is queued leaves now. */
wd_int_t
wd_tcp_push_cork(wd_connection_t *c)
{
    int cork;

    cork = 0;

    if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &cork, sizeof(int)) == -1) {
        wd_connection_error(c, wd_errno, "setsockopt(TCP_CORK) failed");
        return WD_ERROR;
    }

    c->tcp_nopush = WD_TCP_NOPUSH_UNSET;

    return WD_OK;
}
