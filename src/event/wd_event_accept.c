/*
 * Accepting connections on a listening socket.
 */

#include <wd_event.h>

static void wd_close_accepted_connection(wd_connection_t *c);

static void
wd_event_accept_error(wd_event_t *ev, wd_err_t err)
{
    wd_uint_t level;

    level = WD_LOG_ALERT;

    if (err == WD_ECONNABORTED) {
        level = WD_LOG_ERR;

    } else if (err == WD_EMFILE || err == WD_ENFILE) {
        level = WD_LOG_CRIT;
    }

    wd_log_error(level, ev->log, err, "accept4() failed");
}

wd_connection_t *
wd_event_new_connection(wd_listening_t *ls, wd_fd_t s, struct sockaddr *sa,
    socklen_t socklen, wd_log_t *elog)
{
    size_t text_len;
    u_char text[WD_SOCKADDR_STRLEN];
    wd_log_t *log;
    wd_connection_t *c;

    c = wd_get_connection(s, elog);

    if (c == NULL) {
        if (close(s) == -1) {
            wd_log_error(WD_LOG_ALERT, elog, wd_errno,
                         "close() socket failed");
        }
        return NULL;
    }

    wd_atomic_fetch_add(wd_stat_active, 1);

    /* the address text takes only its own length: an idle keep-alive
     * connection is little more than its pool */
    text_len = wd_sock_ntop(sa, socklen, text, WD_SOCKADDR_STRLEN, 0);

    c->pool = wd_create_pool(ls->pool_size, elog);
    c->sockaddr = c->pool ? wd_palloc(c->pool, socklen) : NULL;
    log = c->pool ? wd_palloc(c->pool, sizeof(wd_log_t)) : NULL;
    c->addr_text.data = c->pool ? wd_pnalloc(c->pool, text_len) : NULL;

    if (c->sockaddr == NULL || log == NULL || c->addr_text.data == NULL) {
        wd_close_accepted_connection(c);
        return NULL;
    }

    wd_memcpy(c->sockaddr, sa, socklen);
    c->socklen = socklen;

    *log = ls->log;
    c->log = log;
    c->pool->log = log;

    c->recv = wd_io.recv;
    c->send = wd_io.send;
    c->send_chain = wd_io.send_chain;

    c->log_error = WD_ERROR_INFO;
    c->listening = ls;
    c->local_sockaddr = ls->sockaddr;
    c->local_socklen = ls->socklen;
    c->start_time = wd_current_msec;

    c->read->log = log;
    c->write->log = log;
    c->write->ready = 1;

    if (ls->deferred_accept) {
        c->read->ready = 1;
    }

    c->number = wd_atomic_fetch_add(wd_connection_counter, 1);
    wd_atomic_fetch_add(wd_stat_handled, 1);

    c->addr_text.len = text_len;
    wd_memcpy(c->addr_text.data, text, text_len);

    if (wd_add_conn(c) == WD_ERROR) {
        wd_close_accepted_connection(c);
        return NULL;
    }

    log->data = NULL;
    log->handler = NULL;

    return c;
}

void
wd_event_accept(wd_event_t *ev)
{
    socklen_t socklen;
    wd_err_t err;
    wd_fd_t s;
    wd_uint_t multi;
    wd_sockaddr_t sa;
    wd_connection_t *c, *lc;
    wd_event_conf_t *ecf;

    ecf = wd_event_get_conf(wd_cycle->conf_ctx, wd_event_core_module);
    lc = ev->data;
    multi = (wd_uint_t) ecf->multi_accept;

    /* level-triggered: without multi_accept, one per wake-up is enough */
    do {
        socklen = sizeof(wd_sockaddr_t);

        s = accept4(lc->fd, &sa.sockaddr, &socklen,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (s == -1) {
            err = wd_errno;

            if (err == WD_EAGAIN) {
                return;
            }

            wd_event_accept_error(ev, err);

            if (err == WD_ECONNABORTED && multi) {
                continue;
            }

            return;
        }

        wd_atomic_fetch_add(wd_stat_accepted, 1);

        c = wd_event_new_connection(lc->listening, s, &sa.sockaddr, socklen,
                                    ev->log);

        if (c == NULL) {
            return;
        }

        lc->listening->handler(c);

    } while (multi);
}

static void
wd_close_accepted_connection(wd_connection_t *c)
{
    wd_fd_t fd;

    wd_free_connection(c);

    fd = c->fd;
    c->fd = WD_INVALID_FD;

    if (close(fd) == -1) {
        wd_log_error(WD_LOG_ALERT, c->log, wd_errno,
                     "close() socket failed");
    }

    if (c->pool) {
        wd_destroy_pool(c->pool);
    }

    wd_atomic_fetch_add(wd_stat_active, -1);
}

wd_int_t
wd_enable_accept_events(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_listening_t *ls;
    wd_connection_t *c;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        c = ls[i].connection;

        if (c == NULL || c->read->active) {
            continue;
        }

        if (wd_add_event(c->read, !ls[i].reuseport) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

wd_int_t
wd_disable_accept_events(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_listening_t *ls;
    wd_connection_t *c;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        c = ls[i].connection;

        if (c == NULL || !c->read->active) {
            continue;
        }

        if (wd_del_event(c->read, 0) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}
