/*
 * Sending a chain: memory buffers with writev(), file buffers with
 * sendfile(), so file contents never pass through user space.  With
 * tcp_nopush, TCP_CORK holds headers back to leave with the file's first
 * bytes in one packet.
 */

#include <wd_os.h>

wd_chain_t *
wd_output_chain_to_iovec(wd_iovec_t *vec, wd_chain_t *in, size_t limit,
    wd_log_t *log)
{
    size_t total, size;
    u_char *prev;
    wd_uint_t n;
    struct iovec *iov;

    iov = NULL;
    prev = NULL;
    total = 0;
    n = 0;

    for (; in && total < limit; in = in->next) {
        if (wd_buf_special(in->buf)) {
            continue;
        }

        if (in->buf->in_file) {
            break;
        }

        if (!wd_buf_in_memory(in->buf)) {
            wd_log_error(WD_LOG_ALERT, log, 0,
                         "bad buf in output chain t:%d r:%d f:%d %p %p-%p",
                         in->buf->temporary, in->buf->recycled,
                         in->buf->in_file, (void *) in->buf->start,
                         (void *) in->buf->pos, (void *) in->buf->last);
            return (wd_chain_t *) WD_ERROR;
        }

        size = in->buf->last - in->buf->pos;

        if (size > limit - total) {
            size = limit - total;
        }

        if (prev == in->buf->pos) {
            iov->iov_len += size;

        } else {
            if (n == vec->nalloc) {
                break;
            }

            iov = &vec->iovs[n++];
            iov->iov_base = (void *) in->buf->pos;
            iov->iov_len = size;
        }

        prev = in->buf->pos + size;
        total += size;
    }

    vec->count = n;
    vec->size = total;

    return in;
}

ssize_t
wd_writev(wd_connection_t *c, wd_iovec_t *vec)
{
    ssize_t n;
    wd_err_t err;

    for (;;) {
        n = writev(c->fd, vec->iovs, (int) vec->count);

        if (n != -1) {
            return n;
        }

        err = wd_errno;

        if (err == WD_EAGAIN) {
            return WD_AGAIN;
        }

        if (err == WD_EINTR) {
            continue;
        }

        c->write->error = 1;
        wd_connection_error(c, err, "writev() failed");

        return WD_ERROR;
    }
}

/* Headers whose file part follows at once: MSG_MORE holds them in the
 * socket so that they leave in one segment with the file's first bytes,
 * as a cork would, without the two setsockopt() calls.  Anything held
 * goes out with the next send, or as ACKs arrive if that one would block. */
static ssize_t
wd_writev_more(wd_connection_t *c, wd_iovec_t *vec)
{
    ssize_t n;
    wd_err_t err;
    struct msghdr msg;

    wd_memzero(&msg, sizeof(struct msghdr));
    msg.msg_iov = vec->iovs;
    msg.msg_iovlen = vec->count;

    for (;;) {
        n = sendmsg(c->fd, &msg, MSG_MORE | MSG_NOSIGNAL);

        if (n != -1) {
            return n;
        }

        err = wd_errno;

        if (err == WD_EAGAIN) {
            return WD_AGAIN;
        }

        if (err == WD_EINTR) {
            continue;
        }

        c->write->error = 1;
        wd_connection_error(c, err, "sendmsg() failed");

        return WD_ERROR;
    }
}

/* Joins consecutive buffers of one file region into a single span. */
static off_t
wd_chain_coalesce_file(wd_chain_t **in, off_t limit)
{
    off_t total, size, aligned, fprev;
    wd_fd_t fd;
    wd_chain_t *cl;

    total = 0;
    cl = *in;
    fd = cl->buf->file->fd;

    do {
        size = cl->buf->file_last - cl->buf->file_pos;

        if (size > limit - total) {
            size = limit - total;

            /* end on a page boundary, for the page cache's sake */
            aligned = (cl->buf->file_pos + size + wd_pagesize - 1)
                      & ~((off_t) wd_pagesize - 1);

            if (aligned <= cl->buf->file_last) {
                size = aligned - cl->buf->file_pos;
            }

            total += size;
            break;
        }

        total += size;
        fprev = cl->buf->file_pos + size;
        cl = cl->next;

    } while (cl && cl->buf->in_file && total < limit
             && fd == cl->buf->file->fd && fprev == cl->buf->file_pos);

    *in = cl;

    return total;
}

/* sendfile() of size bytes from the file buffer: bytes sent, WD_AGAIN
 * (nothing sent), or WD_ERROR. */
static ssize_t
wd_linux_sendfile(wd_connection_t *c, wd_buf_t *file, size_t size)
{
    ssize_t n;
    off_t offset;
    wd_err_t err;

    offset = file->file_pos;

    for (;;) {
        n = sendfile(c->fd, file->file->fd, &offset, size);

        if (n > 0) {
            return n;
        }

        if (n == 0) {
            /* the file got shorter than the response promised */
            wd_log_error(WD_LOG_ALERT, c->log, 0,
                         "sendfile() reported that \"%s\" was truncated at "
                         "%lld", file->file->name.data,
                         (long long) file->file_pos);
            return WD_ERROR;
        }

        err = wd_errno;

        if (err == WD_EAGAIN) {
            return WD_AGAIN;
        }

        if (err == WD_EINTR) {
            continue;
        }

        c->write->error = 1;
        wd_connection_error(c, err, "sendfile() failed");

        return WD_ERROR;
    }
}

static wd_int_t
wd_linux_cork(wd_connection_t *c)
{
    if (c->tcp_nopush != WD_TCP_NOPUSH_UNSET) {
        return WD_OK;
    }

    if (wd_tcp_nopush(c->fd) == -1) {
        /* EOPNOTSUPP on unix sockets: just send without corking */
        c->tcp_nopush = WD_TCP_NOPUSH_DISABLED;
        return WD_OK;
    }

    c->tcp_nopush = WD_TCP_NOPUSH_SET;

    return WD_OK;
}

wd_chain_t *
wd_linux_sendfile_chain(wd_connection_t *c, wd_chain_t *in, off_t limit)
{
    off_t send, prev_send, file_size;
    ssize_t n;
    wd_buf_t *file;
    wd_chain_t *cl;
    wd_iovec_t header;
    struct iovec headers[WD_IOVS_PREALLOCATE];

    if (!c->write->ready) {
        return in;
    }

    if (limit == 0 || limit > WD_SENDFILE_MAXSIZE - (off_t) wd_pagesize) {
        limit = WD_SENDFILE_MAXSIZE - wd_pagesize;
    }

    send = 0;
    header.iovs = headers;
    header.nalloc = WD_IOVS_PREALLOCATE;

    for (;;) {
        prev_send = send;

        cl = wd_output_chain_to_iovec(&header, in, limit - send, c->log);

        if (cl == (wd_chain_t *) WD_ERROR) {
            return cl;
        }

        send += header.size;

        if (header.count == 0 && cl && cl->buf->in_file && send < limit) {
            file = cl->buf;
            file_size = wd_chain_coalesce_file(&cl, limit - send);
            send += file_size;

            n = wd_linux_sendfile(c, file, (size_t) file_size);

        } else if (header.count) {
            /* headers followed by a file: cork them together (tcp_nopush),
             * or else send them with MSG_MORE when the file goes next */
            if (cl && cl->buf->in_file
                && c->tcp_nopush == WD_TCP_NOPUSH_UNSET)
            {
                (void) wd_linux_cork(c);
            }

            if (cl && cl->buf->in_file && send < limit
                && c->tcp_nopush != WD_TCP_NOPUSH_SET)
            {
                n = wd_writev_more(c, &header);

            } else {
                n = wd_writev(c, &header);
            }

        } else {
            return in;
        }

        if (n == WD_ERROR) {
            return (wd_chain_t *) WD_ERROR;
        }

        if (n == WD_AGAIN) {
            n = 0;
        }

        c->sent += n;

        in = wd_chain_update_sent(in, n);

        if (send - prev_send != n) {
            c->write->ready = 0;
            return in;
        }

        if (send >= limit || in == NULL) {
            return in;
        }
    }
}
