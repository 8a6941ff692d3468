/*
 * Outgoing connections.
 */

#include <wd_core.h>
#include <wd_event.h>

static wd_int_t wd_event_connect_socket_options(wd_peer_connection_t *pc,
    wd_fd_t s);

wd_int_t
wd_event_get_peer(wd_peer_connection_t *pc, void *data)
{
    (void) pc;
    (void) data;

    return WD_OK;
}

wd_int_t
wd_event_connect_peer(wd_peer_connection_t *pc)
{
    int rc;
    wd_fd_t s;
    wd_err_t err;
    wd_int_t get;
    wd_uint_t level;
    wd_connection_t *c;

    pc->connection = NULL;

    get = pc->get(pc, pc->data);

    if (get != WD_OK) {
        return get;
    }

    s = socket(pc->sockaddr->sa_family, pc->type ? pc->type : SOCK_STREAM, 0);

    if (s == (wd_fd_t) -1) {
        wd_log_error(WD_LOG_ALERT, pc->log, wd_socket_errno,
                     "socket() failed");
        return WD_ERROR;
    }

    c = wd_get_connection(s, pc->log);

    if (c == NULL) {
        if (close(s) == -1) {
            wd_log_error(WD_LOG_ALERT, pc->log, wd_socket_errno,
                         "close() socket failed");
        }

        return WD_ERROR;
    }

    c->recv = wd_io.recv;
    c->send = wd_io.send;
    c->send_chain = wd_io.send_chain;
    c->sendfile = 1;
    c->log_error = pc->log_error;
    c->start_time = wd_current_msec;
    c->sockaddr = pc->sockaddr;
    c->socklen = pc->socklen;

    if (wd_event_connect_socket_options(pc, s) != WD_OK) {
        goto failed;
    }

    if (pc->sockaddr->sa_family == AF_UNIX) {
        c->tcp_nopush = WD_TCP_NOPUSH_DISABLED;
        c->tcp_nodelay = WD_TCP_NODELAY_DISABLED;
    }

    pc->connection = c;

    if (wd_add_conn(c) != WD_OK) {
        goto failed;
    }

    rc = connect(s, pc->sockaddr, pc->socklen);

    if (rc == -1) {
        err = wd_socket_errno;

        if (err != WD_EINPROGRESS && err != WD_EAGAIN) {
            if (err == WD_ECONNREFUSED || err == WD_EINVAL
                || err == WD_ECONNRESET || err == WD_ENETDOWN
                || err == WD_ENETUNREACH || err == ENOENT
                || err == EHOSTUNREACH || err == EHOSTDOWN)
            {
                level = WD_LOG_ERR;
            } else {
                level = WD_LOG_CRIT;
            }

            wd_log_error(level, c->log, err, "connect() to %.*s failed",
                         wd_str_fmt(pc->name));

            wd_close_connection(c);
            pc->connection = NULL;

            return WD_DECLINED;
        }

        return WD_AGAIN;
    }

    /* connected at once (a local unix socket) */
    c->write->ready = 1;

    return WD_OK;

failed:

    wd_close_connection(c);
    pc->connection = NULL;

    return WD_ERROR;
}

static wd_int_t
wd_event_connect_socket_options(wd_peer_connection_t *pc, wd_fd_t s)
{
    int value;

    if (pc->rcvbuf
        && setsockopt(s, SOL_SOCKET, SO_RCVBUF, &pc->rcvbuf, sizeof(int))
               == -1)
    {
        wd_log_error(WD_LOG_ALERT, pc->log, wd_socket_errno,
                     "setsockopt(SO_RCVBUF) failed");
        return WD_ERROR;
    }

    if (pc->so_keepalive) {
        value = 1;

        if (setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &value, sizeof(int))
            == -1)
        {
            wd_log_error(WD_LOG_ALERT, pc->log, wd_socket_errno,
                         "setsockopt(SO_KEEPALIVE) failed, ignored");
        }
    }

    if (wd_nonblocking(s) == -1) {
        wd_log_error(WD_LOG_ALERT, pc->log, wd_socket_errno,
                     "fcntl(O_NONBLOCK) failed");
        return WD_ERROR;
    }

    if (pc->local == NULL) {
        return WD_OK;
    }

#if defined(IP_TRANSPARENT)
    if (pc->transparent) {
        value = 1;

        if (setsockopt(s, pc->local->sockaddr->sa_family == AF_INET6
                              ? SOL_IPV6 : SOL_IP,
                       pc->local->sockaddr->sa_family == AF_INET6
                           ? IPV6_TRANSPARENT : IP_TRANSPARENT,
                       &value, sizeof(int)) == -1)
        {
            wd_log_error(WD_LOG_ALERT, pc->log, wd_socket_errno,
                         "setsockopt(IP_TRANSPARENT) failed, ignored");
        }
    }
#endif

    if (pc->local->sockaddr->sa_family != AF_UNIX
        && wd_inet_get_port(pc->local->sockaddr) == 0)
    {
        value = 1;
        /* the port is chosen at connect(), so many upstream connections
         * can share one local address */
        (void) setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &value,
                          sizeof(int));
    }

    if (bind(s, pc->local->sockaddr, pc->local->socklen) == -1) {
        wd_log_error(WD_LOG_CRIT, pc->log, wd_socket_errno,
                     "bind(%.*s) failed", wd_str_fmt(&pc->local->name));
        return WD_DECLINED;
    }

    return WD_OK;
}
