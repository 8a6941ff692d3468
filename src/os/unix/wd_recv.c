/*
 * recv() and send() on non-blocking sockets.
 */

#include <wd_os.h>

ssize_t
wd_unix_recv(wd_connection_t *c, u_char *buf, size_t size)
{
    ssize_t n;
    wd_err_t err;
    wd_event_t *rev;

    rev = c->read;

    for (;;) {
        n = recv(c->fd, buf, size, 0);

        if (n == 0) {
            rev->ready = 0;
            rev->eof = 1;
            return 0;
        }

        if (n > 0) {
            /* a short read on an edge-triggered socket with a pending
             * EOF means the peer has nothing more to send */
            if ((size_t) n < size && !rev->pending_eof) {
                rev->ready = 0;
            }

            return n;
        }

        err = wd_socket_errno;

        if (err == WD_EAGAIN || err == WD_EINTR) {
            if (err == WD_EAGAIN) {
                rev->ready = 0;
                return WD_AGAIN;
            }
            continue;
        }

        rev->error = 1;
        wd_connection_error(c, err, "recv() failed");

        return WD_ERROR;
    }
}

ssize_t
wd_unix_send(wd_connection_t *c, u_char *buf, size_t size)
{
    ssize_t n;
    wd_err_t err;
    wd_event_t *wev;

    wev = c->write;

    for (;;) {
        n = send(c->fd, buf, size, MSG_NOSIGNAL);

        if (n > 0) {
            if ((size_t) n < size) {
                wev->ready = 0;
            }

            c->sent += n;

            return n;
        }

        err = wd_socket_errno;

        if (n == 0) {
            wd_log_error(WD_LOG_ALERT, c->log, err, "send() returned zero");
            wev->ready = 0;
            return n;
        }

        if (err == WD_EAGAIN) {
            wev->ready = 0;
            return WD_AGAIN;
        }

        if (err == WD_EINTR) {
            continue;
        }

        wev->error = 1;
        (void) wd_connection_error(c, err, "send() failed");

        return WD_ERROR;
    }
}

int
wd_tcp_nopush(wd_fd_t s)
{
    int cork;

    cork = 1;

    return setsockopt(s, IPPROTO_TCP, TCP_CORK, &cork, sizeof(int));
}

int
wd_tcp_push(wd_fd_t s)
{
    int cork;

    cork = 0;

    return setsockopt(s, IPPROTO_TCP, TCP_CORK, &cork, sizeof(int));
}
