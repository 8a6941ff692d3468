/*
 * Listening sockets: created from "listen", bound by the master, kept
 * across reloads (matched by address) and passed to a new binary.
 */

#include <wd_core.h>

wd_listening_t *
wd_create_listening(wd_conf_t *cf, struct sockaddr *sockaddr,
    socklen_t socklen)
{
    size_t len;
    wd_listening_t *ls;
    struct sockaddr *sa;
    u_char text[WD_SOCKADDR_STRLEN];

    ls = wd_array_push(&cf->cycle->listening);

    if (ls == NULL) {
        return NULL;
    }

    wd_memzero(ls, sizeof(wd_listening_t));

    sa = wd_palloc(cf->pool, socklen);

    if (sa == NULL) {
        return NULL;
    }

    wd_memcpy(sa, sockaddr, socklen);

    ls->sockaddr = sa;
    ls->socklen = socklen;

    len = wd_sock_ntop(sa, socklen, text, WD_SOCKADDR_STRLEN, 1);

    if (wd_pstrdupz(cf->pool, &ls->addr_text, text, len) != WD_OK) {
        return NULL;
    }

    ls->fd = WD_INVALID_FD;
    ls->type = SOCK_STREAM;
    ls->backlog = 511;
    ls->rcvbuf = -1;
    ls->sndbuf = -1;
    ls->keepidle = 0;
    ls->keepintvl = 0;
    ls->keepcnt = 0;
    ls->fastopen = -1;
    ls->wildcard = wd_inet_wildcard(sa);

    return ls;
}

/* Fills a listening entry from a socket inherited in $WARDEN/$NGINX. */
static wd_int_t
wd_inherit_one(wd_cycle_t *cycle, wd_fd_t fd)
{
    int value;
    socklen_t olen;
    wd_sockaddr_t sa;
    socklen_t socklen;
    wd_listening_t *ls;
    u_char text[WD_SOCKADDR_STRLEN];
    size_t len;

    socklen = sizeof(wd_sockaddr_t);

    if (getsockname(fd, &sa.sockaddr, &socklen) == -1) {
        wd_log_error(WD_LOG_CRIT, cycle->log, wd_errno,
                     "getsockname() of the inherited socket #%d failed", fd);
        return WD_DECLINED;
    }

    ls = wd_array_push(&cycle->listening);

    if (ls == NULL) {
        return WD_ERROR;
    }

    wd_memzero(ls, sizeof(wd_listening_t));

    ls->sockaddr = wd_palloc(cycle->pool, socklen);

    if (ls->sockaddr == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(ls->sockaddr, &sa, socklen);
    ls->socklen = socklen;
    ls->fd = fd;
    ls->inherited = 1;
    ls->type = SOCK_STREAM;
    ls->rcvbuf = -1;
    ls->sndbuf = -1;
    ls->backlog = 511;

    len = wd_sock_ntop(ls->sockaddr, socklen, text, WD_SOCKADDR_STRLEN, 1);

    if (wd_pstrdupz(cycle->pool, &ls->addr_text, text, len) != WD_OK) {
        return WD_ERROR;
    }

    olen = sizeof(int);

    if (getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &value, &olen) == 0) {
        ls->reuseport = value ? 1 : 0;
    }

    return WD_OK;
}

/*
 * Reads "fd;fd;..." from WARDEN (or NGINX, when a running nginx upgrades
 * itself to warden) and adopts those sockets.
 */
wd_int_t
wd_set_inherited_sockets(wd_cycle_t *cycle)
{
    u_char *p, *v, *inherited;
    wd_int_t s, rc;
    const char *var;

    var = "WARDEN";
    inherited = (u_char *) getenv(var);

    if (inherited == NULL) {
        var = "NGINX";
        inherited = (u_char *) getenv(var);
    }

    if (inherited == NULL) {
        return WD_OK;
    }

    wd_log_error(WD_LOG_NOTICE, cycle->log, 0,
                 "using inherited sockets from \"%s\"", inherited);

    if (wd_array_init(&cycle->listening, cycle->pool, 10,
                      sizeof(wd_listening_t)) != WD_OK)
    {
        return WD_ERROR;
    }

    for (p = inherited, v = p; *p; p++) {
        if (*p != ':' && *p != ';') {
            continue;
        }

        s = wd_atoi(v, p - v);
        v = p + 1;

        if (s == WD_ERROR || s > INT_MAX) {
            wd_log_error(WD_LOG_EMERG, cycle->log, 0,
                         "invalid socket number \"%s\" in %s environment "
                         "variable, ignoring the rest of the variable",
                         v, var);
            break;
        }

        rc = wd_inherit_one(cycle, (wd_fd_t) s);

        if (rc == WD_ERROR) {
            return WD_ERROR;
        }
    }

    if (v != p) {
        wd_log_error(WD_LOG_EMERG, cycle->log, 0,
                     "invalid socket number \"%s\" in %s environment "
                     "variable, ignoring it", v, var);
    }

    wd_inherited = 1;

    return WD_OK;
}

/* Takes the old cycle's socket for each address the new cycle lists. */
static void
wd_listening_take_old(wd_cycle_t *cycle)
{
    wd_uint_t i, n;
    wd_listening_t *ls, *nls;
    wd_cycle_t *old;

    old = cycle->old_cycle;

    if (old == NULL || old->listening.nelts == 0) {
        return;
    }

    ls = old->listening.elts;
    nls = cycle->listening.elts;

    for (i = 0; i < old->listening.nelts; i++) {
        ls[i].remain = 0;
    }

    for (n = 0; n < cycle->listening.nelts; n++) {
        for (i = 0; i < old->listening.nelts; i++) {
            if (ls[i].ignore || ls[i].remain || ls[i].fd == WD_INVALID_FD) {
                continue;
            }

            if (ls[i].type != nls[n].type
                || wd_cmp_sockaddr(nls[n].sockaddr, nls[n].socklen,
                                   ls[i].sockaddr, ls[i].socklen, 1)
                       != WD_OK)
            {
                continue;
            }

            /* a reuseport copy belongs to one worker slot */
            if (ls[i].reuseport != nls[n].reuseport
                || ls[i].worker != nls[n].worker)
            {
                continue;
            }

            nls[n].fd = ls[i].fd;
            nls[n].inherited = ls[i].inherited;
            nls[n].previous = &ls[i];
            ls[i].remain = 1;

            if (ls[i].backlog != nls[n].backlog) {
                nls[n].listen = 1;
            }

            if (ls[i].deferred_accept && !nls[n].deferred_accept) {
                nls[n].delete_deferred = 1;

            } else if (!ls[i].deferred_accept && nls[n].deferred_accept) {
                nls[n].add_deferred = 1;
            }

            break;
        }
    }
}

static wd_int_t
wd_listening_socket_options(wd_cycle_t *cycle, wd_listening_t *ls, int s)
{
    int one;

    one = 1;

    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int)) == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "setsockopt(SO_REUSEADDR) %s failed",
                     ls->addr_text.data);
        return WD_ERROR;
    }

    if (ls->reuseport
        && setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(int)) == -1)
    {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "setsockopt(SO_REUSEPORT) %s failed",
                     ls->addr_text.data);
        return WD_ERROR;
    }

    if (ls->sockaddr->sa_family == AF_INET6) {
        int ipv6only = ls->ipv6only;

        if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &ipv6only, sizeof(int))
            == -1)
        {
            wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                         "setsockopt(IPV6_V6ONLY) %s failed, ignored",
                         ls->addr_text.data);
        }
    }

    return WD_OK;
}

/* Creates and binds one socket; WD_AGAIN when the address is busy. */
static wd_int_t
wd_open_one_listening(wd_cycle_t *cycle, wd_listening_t *ls)
{
    int s;
    wd_err_t err;

    s = socket(ls->sockaddr->sa_family, ls->type | SOCK_CLOEXEC, 0);

    if (s == -1) {
        wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                     "socket() %s failed", ls->addr_text.data);
        return WD_ERROR;
    }

    if (wd_listening_socket_options(cycle, ls, s) != WD_OK
        || wd_nonblocking(s) != WD_OK)
    {
        close(s);
        return WD_ERROR;
    }

    if (bind(s, ls->sockaddr, ls->socklen) == -1) {
        err = wd_errno;

        if (err != WD_EADDRINUSE || !wd_test_config) {
            wd_log_error(WD_LOG_EMERG, cycle->log, err, "bind() to %s failed",
                         ls->addr_text.data);
        }

        close(s);

        return (err == WD_EADDRINUSE) ? WD_AGAIN : WD_ERROR;
    }

    if (ls->sockaddr->sa_family == AF_UNIX) {
        u_char *name = (u_char *) ((struct sockaddr_un *) ls->sockaddr)
                           ->sun_path;

        /* everyone may connect, as with a TCP port */
        (void) chmod((char *) name, 0666);

        /* -t only checks that the socket can be made */
        if (wd_test_config && unlink((char *) name) == -1) {
            wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                         "unlink() %s failed", name);
        }
    }

    if (ls->type == SOCK_STREAM && listen(s, ls->backlog) == -1) {
        err = wd_errno;

        if (err != WD_EADDRINUSE || !wd_test_config) {
            wd_log_error(WD_LOG_EMERG, cycle->log, err,
                         "listen() to %s, backlog %d failed",
                         ls->addr_text.data, ls->backlog);
        }

        close(s);

        return (err == WD_EADDRINUSE) ? WD_AGAIN : WD_ERROR;
    }

    ls->listen = 1;
    ls->fd = s;
    ls->open = 1;

    return WD_OK;
}

wd_int_t
wd_open_listening_sockets(wd_cycle_t *cycle)
{
    wd_uint_t i, tries, busy;
    wd_int_t rc;
    wd_listening_t *ls;

    wd_listening_take_old(cycle);

    /* five tries, half a second apart: the old owner may be exiting */
    for (tries = 5; tries; tries--) {
        busy = 0;
        ls = cycle->listening.elts;

        for (i = 0; i < cycle->listening.nelts; i++) {
            if (ls[i].ignore || ls[i].fd != WD_INVALID_FD) {
                continue;
            }

            rc = wd_open_one_listening(cycle, &ls[i]);

            if (rc == WD_ERROR) {
                return WD_ERROR;
            }

            if (rc == WD_AGAIN && !wd_test_config) {
                busy = 1;
            }
        }

        if (!busy) {
            return WD_OK;
        }

        wd_log_error(WD_LOG_NOTICE, cycle->log, 0, "try again to bind()");
        wd_msleep(500);
    }

    wd_log_error(WD_LOG_EMERG, cycle->log, 0, "still could not bind()");

    return WD_ERROR;
}

static void
wd_configure_keepalive(wd_cycle_t *cycle, wd_listening_t *ls)
{
    int value;

    if (ls->keepalive) {
        value = (ls->keepalive == 1) ? 1 : 0;

        if (setsockopt(ls->fd, SOL_SOCKET, SO_KEEPALIVE, &value, sizeof(int))
            == -1)
        {
            wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                         "setsockopt(SO_KEEPALIVE, %d) %s failed, ignored",
                         value, ls->addr_text.data);
        }
    }

    if (ls->keepidle
        && setsockopt(ls->fd, IPPROTO_TCP, TCP_KEEPIDLE, &ls->keepidle,
                      sizeof(int)) == -1)
    {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "setsockopt(TCP_KEEPIDLE, %d) %s failed, ignored",
                     ls->keepidle, ls->addr_text.data);
    }

    if (ls->keepintvl
        && setsockopt(ls->fd, IPPROTO_TCP, TCP_KEEPINTVL, &ls->keepintvl,
                      sizeof(int)) == -1)
    {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "setsockopt(TCP_KEEPINTVL, %d) %s failed, ignored",
                     ls->keepintvl, ls->addr_text.data);
    }

    if (ls->keepcnt
        && setsockopt(ls->fd, IPPROTO_TCP, TCP_KEEPCNT, &ls->keepcnt,
                      sizeof(int)) == -1)
    {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "setsockopt(TCP_KEEPCNT, %d) %s failed, ignored",
                     ls->keepcnt, ls->addr_text.data);
    }
}

/* Socket options that may change on reload without rebinding. */
void
wd_configure_listening_sockets(wd_cycle_t *cycle)
{
    int value;
    wd_uint_t i;
    wd_listening_t *ls;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == WD_INVALID_FD || ls[i].type != SOCK_STREAM
            || ls[i].sockaddr->sa_family == AF_UNIX)
        {
            continue;
        }

        if (ls[i].rcvbuf != -1
            && setsockopt(ls[i].fd, SOL_SOCKET, SO_RCVBUF, &ls[i].rcvbuf,
                          sizeof(int)) == -1)
        {
            wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                         "setsockopt(SO_RCVBUF, %d) %s failed, ignored",
                         ls[i].rcvbuf, ls[i].addr_text.data);
        }

        if (ls[i].sndbuf != -1
            && setsockopt(ls[i].fd, SOL_SOCKET, SO_SNDBUF, &ls[i].sndbuf,
                          sizeof(int)) == -1)
        {
            wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                         "setsockopt(SO_SNDBUF, %d) %s failed, ignored",
                         ls[i].sndbuf, ls[i].addr_text.data);
        }

        wd_configure_keepalive(cycle, &ls[i]);

        if (ls[i].listen && !ls[i].open
            && listen(ls[i].fd, ls[i].backlog) == -1)
        {
            wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                         "listen() to %s, backlog %d failed, ignored",
                         ls[i].addr_text.data, ls[i].backlog);
        }

        if (ls[i].add_deferred || ls[i].delete_deferred
            || (ls[i].deferred_accept && ls[i].open))
        {
            value = ls[i].deferred_accept ? 1 : 0;

            if (setsockopt(ls[i].fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &value,
                           sizeof(int)) == -1)
            {
                wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                             "setsockopt(TCP_DEFER_ACCEPT, %d) for %s "
                             "failed, ignored",
                             value, ls[i].addr_text.data);
            }
        }
    }
}

void
wd_close_listening_sockets(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_listening_t *ls;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == WD_INVALID_FD) {
            continue;
        }

        if (close(ls[i].fd) == -1) {
            wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                         "close() socket %s failed", ls[i].addr_text.data);
        }

        /* the socket file goes with the socket, unless it was inherited
         * from a binary that still runs */
        if (ls[i].sockaddr->sa_family == AF_UNIX
            && wd_process <= WD_PROCESS_MASTER && wd_new_binary == 0
            && (!ls[i].inherited || getppid() != wd_parent))
        {
            (void) unlink(((struct sockaddr_un *) ls[i].sockaddr)->sun_path);
        }

        ls[i].fd = WD_INVALID_FD;
    }

    cycle->listening.nelts = 0;
}

/* "listen ... reuseport" gives each worker its own copy of the socket:
 * done once the whole configuration (worker_processes) is known. */
wd_int_t
wd_clone_listening(wd_cycle_t *cycle, wd_listening_t *unused)
{
    wd_int_t n;
    wd_uint_t i, count;
    wd_listening_t ols, *copy;
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);
    count = cycle->listening.nelts;

    for (i = 0; i < count; i++) {
        /* the array may move while it grows: copy the entry first */
        ols = ((wd_listening_t *) cycle->listening.elts)[i];

        if (!ols.reuseport || ols.worker != 0) {
            continue;
        }

        for (n = 1; n < ccf->worker_processes; n++) {
            copy = wd_array_push(&cycle->listening);

            if (copy == NULL) {
                return WD_ERROR;
            }

            *copy = ols;
            copy->worker = (wd_uint_t) n;
        }
    }

    return WD_OK;
}
