/*
 * Request bodies: read (Content-Length or chunked) into memory up to
 * client_body_buffer_size and into a temporary file beyond; or read a
 * buffer at a time for a module that passes it on as it comes
 * (r->request_body_no_buffering: proxy_request_buffering off); or read
 * and thrown away when nobody wants them.
 */

#include <wd_http.h>

static void wd_http_read_client_request_body_handler(wd_http_request_t *r);
static wd_int_t wd_http_do_read_client_request_body(wd_http_request_t *r);
static wd_int_t wd_http_request_body_filter(wd_http_request_t *r,
    wd_buf_t *b);
static wd_int_t wd_http_read_discarded_request_body(wd_http_request_t *r);
static wd_int_t wd_http_start_unbuffered(wd_http_request_t *r, wd_int_t rc);

static wd_int_t
wd_http_test_expect(wd_http_request_t *r)
{
    ssize_t n;
    wd_str_t *expect;
    static const char line[] = "HTTP/1.1 100 Continue" CRLF CRLF;

    if (r->expect_tested || r->headers_in.expect == NULL
        || r->http_version < WD_HTTP_VERSION_11)
    {
        return WD_OK;
    }

    r->expect_tested = 1;

    expect = &r->headers_in.expect->value;

    if (expect->len != sizeof("100-continue") - 1
        || wd_strncasecmp(expect->data, (u_char *) "100-continue",
                          sizeof("100-continue") - 1) != 0)
    {
        return WD_OK;
    }

    n = r->connection->send(r->connection, (u_char *) line,
                            sizeof(line) - 1);

    if (n == (ssize_t) sizeof(line) - 1) {
        return WD_OK;
    }

    /* we assume that such small packet should be send successfully */
    r->connection->error = 1;

    return WD_ERROR;
}

wd_int_t
wd_http_send_continue(wd_http_request_t *r)
{
    return wd_http_test_expect(r);
}

/* Appends a data buffer to the body (the buffer's memory stays valid
 * until the next spill to the temporary file). */
static wd_int_t
wd_http_body_append(wd_http_request_t *r, u_char *start, u_char *end)
{
    wd_buf_t *b;
    wd_chain_t *cl;
    wd_http_request_body_t *rb;

    rb = r->request_body;

    if (rb->free) {
        /* a link and buffer of data already sent or written out */
        cl = rb->free;
        rb->free = cl->next;
        b = cl->buf;
        wd_memzero(b, sizeof(wd_buf_t));

    } else {
        b = wd_calloc_buf(r->pool);
        cl = wd_alloc_chain_link(r->pool);

        if (b == NULL || cl == NULL) {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }

        cl->buf = b;
    }

    b->temporary = 1;
    b->start = start;
    b->pos = start;
    b->last = end;
    b->end = end;

    cl->next = NULL;

    /* appended in constant time: a chunked body of tiny chunks makes
     * many links per buffer */
    if (rb->bufs == NULL) {
        rb->bufs = cl;
    } else {
        rb->bufs_last->next = cl;
    }

    rb->bufs_last = cl;
    rb->received += end - start;

    return WD_OK;
}

/* The data in rb->bufs has gone (to the file, or on to its reader): its
 * links and buffer headers are kept for the next data, and the reading
 * buffer is read into from its start again. */
static void
wd_http_body_recycle(wd_http_request_body_t *rb)
{
    wd_chain_t *cl;

    while (rb->bufs) {
        cl = rb->bufs;
        rb->bufs = cl->next;
        cl->next = rb->free;
        rb->free = cl;
    }

    if (rb->buf) {
        rb->buf->pos = rb->buf->start;
        rb->buf->last = rb->buf->start;
    }
}

/* Writes the in-memory part of the body to the temporary file. */
static wd_int_t
wd_http_write_request_body(wd_http_request_t *r)
{
    wd_temp_file_t *tf;
    wd_http_request_body_t *rb;
    wd_http_core_loc_conf_t *clcf;

    rb = r->request_body;

    if (rb->temp_file == NULL) {
        tf = wd_pcalloc(r->pool, sizeof(wd_temp_file_t));

        if (tf == NULL) {
            return WD_ERROR;
        }

        clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

        tf->file.fd = WD_INVALID_FD;
        tf->file.log = r->connection->log;
        tf->path = clcf->client_body_temp_path;
        tf->pool = r->pool;
        tf->warn = "a client request body is buffered to a temporary file";
        tf->log_level = r->request_body_file_log_level;
        tf->persistent = r->request_body_in_persistent_file;
        tf->clean = r->request_body_in_clean_file;

        rb->temp_file = tf;
    }

    if (rb->bufs == NULL) {
        return WD_OK;
    }

    if (wd_write_chain_to_temp_file(rb->temp_file, rb->bufs) == WD_ERROR) {
        return WD_ERROR;
    }

    wd_http_body_recycle(rb);

    return WD_OK;
}

/* The body is complete: the file (if any) becomes its one buffer. */
static wd_int_t
wd_http_body_finish(wd_http_request_t *r)
{
    wd_buf_t *b;
    wd_http_request_body_t *rb;

    rb = r->request_body;

    if (rb->temp_file == NULL && !r->request_body_in_file_only) {
        return WD_OK;
    }

    if (wd_http_write_request_body(r) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rb->temp_file->file.fd == WD_INVALID_FD) {
        /* an empty body in a file: create the file all the same */
        if (wd_create_temp_file(&rb->temp_file->file, rb->temp_file->path,
                                r->pool, rb->temp_file->persistent,
                                rb->temp_file->clean, 0) != WD_OK)
        {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    b = wd_calloc_buf(r->pool);

    if (b == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->in_file = 1;
    b->file_pos = 0;
    b->file_last = rb->temp_file->offset;
    b->file = &rb->temp_file->file;

    rb->bufs = wd_alloc_chain_link(r->pool);

    if (rb->bufs == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    rb->bufs->buf = b;
    rb->bufs->next = NULL;

    return WD_OK;
}

static wd_int_t
wd_http_body_too_large(wd_http_request_t *r, off_t received, off_t size)
{
    wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                 "client intended to send too large chunked body: "
                 "%lld+%lld bytes", (long long) received, (long long) size);

    r->lingering_close = 1;

    return WD_HTTP_REQUEST_ENTITY_TOO_LARGE;
}

/* Chunked: hands the data of each chunk in b to the body. */
static wd_int_t
wd_http_chunked_body_filter(wd_http_request_t *r, wd_buf_t *b)
{
    off_t size;
    wd_int_t rc;
    wd_http_request_body_t *rb;
    wd_http_core_loc_conf_t *clcf;

    rb = r->request_body;
    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    for (;;) {
        rc = wd_http_parse_chunked(r, b, rb->chunked);

        if (rc == WD_OK) {
            /* a chunk's data starts at b->pos */
            if (clcf->client_max_body_size
                && clcf->client_max_body_size - rb->received
                       < rb->chunked->size)
            {
                return wd_http_body_too_large(r, rb->received,
                                              rb->chunked->size);
            }

            size = wd_min(rb->chunked->size, (off_t) (b->last - b->pos));

            rc = wd_http_body_append(r, b->pos, b->pos + size);

            if (rc != WD_OK) {
                return rc;
            }

            b->pos += size;
            rb->chunked->size -= size;
            continue;
        }

        if (rc == WD_DONE) {
            rb->rest = 0;
            rb->last_saved = 1;
            return WD_OK;
        }

        if (rc == WD_AGAIN) {
            /* at least this much is still to come */
            rb->rest = rb->chunked->length ? rb->chunked->length : 1;
            return WD_OK;
        }

        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "client sent invalid chunked body");

        return WD_HTTP_BAD_REQUEST;
    }
}

/* Content-Length: takes up to rb->rest bytes of b. */
static wd_int_t
wd_http_length_body_filter(wd_http_request_t *r, wd_buf_t *b)
{
    off_t size;
    wd_int_t rc;
    wd_http_request_body_t *rb;

    rb = r->request_body;

    if (rb->rest == -1) {
        rb->rest = r->headers_in.content_length_n;
    }

    if (b == NULL) {
        if (rb->rest == 0) {
            rb->last_saved = 1;
        }
        return WD_OK;
    }

    size = wd_min((off_t) (b->last - b->pos), rb->rest);

    if (size) {
        rc = wd_http_body_append(r, b->pos, b->pos + size);

        if (rc != WD_OK) {
            return rc;
        }

        b->pos += size;
        rb->rest -= size;
    }

    if (rb->rest == 0) {
        rb->last_saved = 1;
    }

    return WD_OK;
}

static wd_int_t
wd_http_request_body_filter(wd_http_request_t *r, wd_buf_t *b)
{
    if (r->headers_in.chunked) {
        if (b == NULL) {
            r->request_body->rest = 1;
            return WD_OK;
        }
        return wd_http_chunked_body_filter(r, b);
    }

    return wd_http_length_body_filter(r, b);
}

/* Kept for modules that filter the body (mirror); warden's own reading
 * stores data directly. */
wd_int_t
wd_http_request_body_save_filter(wd_http_request_t *r, wd_chain_t *in)
{
    wd_int_t rc;
    wd_chain_t *cl;

    for (cl = in; cl; cl = cl->next) {
        rc = wd_http_body_append(r, cl->buf->pos, cl->buf->last);

        if (rc != WD_OK) {
            return rc;
        }
    }

    return WD_OK;
}

static size_t
wd_http_body_buffer_size(wd_http_request_t *r, size_t preread)
{
    size_t size;
    wd_http_request_body_t *rb;
    wd_http_core_loc_conf_t *clcf;

    rb = r->request_body;
    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    size = clcf->client_body_buffer_size;

    if (!r->headers_in.chunked && rb->rest < (off_t) size) {
        size = (size_t) rb->rest;

        if (r->request_body_in_single_buf) {
            size += preread;
        }

        if (size == 0) {
            size = 1;
        }
    }

    return size;
}

/* Unbuffered: the first read is done (rc); the reader starts with what
 * came.  A body that is already whole goes as a buffered one. */
static wd_int_t
wd_http_start_unbuffered(wd_http_request_t *r, wd_int_t rc)
{
    if (rc == WD_OK) {
        r->request_body_no_buffering = 0;
        r->read_event_handler = wd_http_block_reading;

        rc = wd_http_body_finish(r);

        if (rc != WD_OK) {
            return rc;
        }
    }

    if (rc == WD_OK || rc == WD_AGAIN) {
        /* no reading until the reader asks for more: what came now must
         * stay put until it has been passed on */
        r->read_event_handler = wd_http_block_reading;
        r->request_body->post_handler(r);
        return WD_OK;
    }

    return rc;
}

wd_int_t
wd_http_read_client_request_body(wd_http_request_t *r,
    wd_http_client_body_handler_pt post_handler)
{
    size_t preread;
    wd_int_t rc;
    wd_http_request_body_t *rb;

    r->main->count++;

    if (r != r->main || r->request_body || r->discard_body) {
        /* read, streamed or thrown away already: only the first reader
         * streams a body */
        r->request_body_no_buffering = 0;

        post_handler(r);
        return WD_OK;
    }

    if (wd_http_test_expect(r) != WD_OK) {
        rc = WD_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    rb = wd_pcalloc(r->pool, sizeof(wd_http_request_body_t));

    if (rb == NULL) {
        rc = WD_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    rb->rest = -1;
    rb->post_handler = post_handler;
    r->request_body = rb;

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked) {
        r->request_body_no_buffering = 0;   /* no body: nothing to stream */
        post_handler(r);
        return WD_OK;
    }

    if (r->headers_in.chunked) {
        rb->chunked = wd_pcalloc(r->pool, sizeof(wd_http_chunked_t));

        if (rb->chunked == NULL) {
            rc = WD_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }
    }

    preread = r->header_in->last - r->header_in->pos;

    rc = wd_http_request_body_filter(r, preread ? r->header_in : NULL);

    if (rc != WD_OK) {
        goto done;
    }

    r->request_length += preread - (r->header_in->last - r->header_in->pos);

    if (rb->rest == 0 && rb->last_saved) {
        /* all of it came with the header: nothing to stream */
        r->request_body_no_buffering = 0;

        rc = wd_http_body_finish(r);

        if (rc != WD_OK) {
            goto done;
        }

        post_handler(r);
        return WD_OK;
    }

    rb->buf = wd_create_temp_buf(r->pool, wd_http_body_buffer_size(r,
                                                                   preread));

    if (rb->buf == NULL) {
        rc = WD_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    r->read_event_handler = wd_http_read_client_request_body_handler;
    r->write_event_handler = wd_http_request_empty_handler;
    r->reading_body = 1;

    rc = wd_http_do_read_client_request_body(r);

    if (r->request_body_no_buffering) {
        rc = wd_http_start_unbuffered(r, rc);
    }

done:

    if (rc >= WD_HTTP_SPECIAL_RESPONSE) {
        r->main->count--;
    }

    return rc;
}

static void
wd_http_read_client_request_body_handler(wd_http_request_t *r)
{
    wd_int_t rc;

    if (r->connection->read->timedout) {
        r->connection->timedout = 1;
        wd_http_finalize_request(r, WD_HTTP_REQUEST_TIME_OUT);
        return;
    }

    rc = wd_http_do_read_client_request_body(r);

    if (rc >= WD_HTTP_SPECIAL_RESPONSE) {
        wd_http_finalize_request(r, rc);
    }
}

static wd_int_t
wd_http_do_read_client_request_body(wd_http_request_t *r)
{
    size_t size;
    ssize_t n;
    wd_int_t rc;
    wd_connection_t *c;
    wd_http_request_body_t *rb;
    wd_http_core_loc_conf_t *clcf;

    c = r->connection;
    rb = r->request_body;

    while (rb->rest != 0 || !rb->last_saved) {
        if (rb->buf->last == rb->buf->end) {
            if (r->request_body_no_buffering) {
                /* the reader takes this buffer's data first */
                return WD_AGAIN;
            }

            /* full: its data goes to the file, and it is read into
             * again */
            if (wd_http_write_request_body(r) != WD_OK) {
                return WD_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        size = rb->buf->end - rb->buf->last;

        /* never read past the body: the next pipelined request may
         * follow it (a chunked body's length is a lower bound) */
        if (!r->headers_in.chunked && (off_t) size > rb->rest) {
            size = (size_t) rb->rest;
        }

        if (r->headers_in.chunked && rb->chunked->length > 0
            && (off_t) size > rb->chunked->length)
        {
            size = (size_t) rb->chunked->length;
        }

        if (!c->read->ready) {
            n = WD_AGAIN;
        } else {
            n = c->recv(c, rb->buf->last, size);
        }

        if (n == WD_AGAIN) {
            clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);
            wd_event_add_timer(c->read, clcf->client_body_timeout);
            return WD_AGAIN;
        }

        if (n == 0) {
            wd_log_error(WD_LOG_INFO, c->log, 0,
                         "client prematurely closed connection");
        }

        if (n == 0 || n == WD_ERROR) {
            c->error = 1;
            return WD_HTTP_BAD_REQUEST;
        }

        rb->buf->pos = rb->buf->last;
        rb->buf->last += n;
        r->request_length += n;

        rc = wd_http_request_body_filter(r, rb->buf);

        if (rc != WD_OK) {
            return rc;
        }

        /* chunk framing consumed; the data is referenced by rb->bufs */
        rb->buf->pos = rb->buf->last;
    }

    wd_event_del_timer(c->read);

    r->reading_body = 0;

    if (r->request_body_no_buffering) {
        return WD_OK;
    }

    r->read_event_handler = wd_http_block_reading;

    rc = wd_http_body_finish(r);

    if (rc != WD_OK) {
        return rc;
    }

    rb->post_handler(r);

    return WD_OK;
}

/*
 * proxy_request_buffering off: the data in r->request_body->bufs has been
 * passed on; reads what the client has sent since, up to a buffer.
 * WD_OK: the body is complete (bufs holds its last data, if any);
 * WD_AGAIN: more is to come (bufs holds what came, if anything; the
 * client's read event calls r->read_event_handler when there is more);
 * a status >= 400 for a client that sent a bad body, too much, or went
 * away or silent.
 */
wd_int_t
wd_http_read_unbuffered_request_body(wd_http_request_t *r)
{
    wd_connection_t *c;
    wd_http_request_body_t *rb;

    c = r->connection;
    rb = r->request_body;

    if (c->read->timedout) {
        c->timedout = 1;
        return WD_HTTP_REQUEST_TIME_OUT;
    }

    wd_http_body_recycle(rb);

    if (rb->rest == 0 && rb->last_saved) {
        return WD_OK;
    }

    return wd_http_do_read_client_request_body(r);
}

wd_int_t
wd_http_discard_request_body(wd_http_request_t *r)
{
    ssize_t size;
    wd_int_t rc;
    wd_event_t *rev;

    if (r != r->main || r->discard_body || r->request_body) {
        return WD_OK;
    }

    if (wd_http_test_expect(r) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    rev = r->connection->read;

    wd_event_del_timer(rev);

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return WD_OK;
    }

    r->request_body = wd_pcalloc(r->pool, sizeof(wd_http_request_body_t));

    if (r->request_body == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->request_body->rest = r->headers_in.chunked
                                ? 1
                                : r->headers_in.content_length_n;

    if (r->headers_in.chunked) {
        r->request_body->chunked = wd_pcalloc(r->pool,
                                              sizeof(wd_http_chunked_t));

        if (r->request_body->chunked == NULL) {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* what came with the header */
    size = r->header_in->last - r->header_in->pos;

    if (size || r->headers_in.chunked) {
        rc = wd_http_read_discarded_request_body(r);

        if (rc == WD_OK) {
            r->lingering_close = 0;
            return WD_OK;
        }

        if (rc >= WD_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }
    }

    r->count++;
    r->discard_body = 1;
    r->read_event_handler = wd_http_discarded_request_body_handler;

    return WD_OK;
}

void
wd_http_discarded_request_body_handler(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_msec_t timer;
    wd_event_t *rev;
    wd_connection_t *c;
    wd_http_core_loc_conf_t *clcf;

    c = r->connection;
    rev = c->read;

    if (rev->timedout) {
        c->timedout = 1;
        c->error = 1;
        wd_http_finalize_request(r, WD_ERROR);
        return;
    }

    timer = 0;

    if (r->lingering_time) {
        if (r->lingering_time <= wd_time()) {
            r->discard_body = 0;
            r->lingering_close = 0;
            wd_http_finalize_request(r, WD_ERROR);
            return;
        }

        timer = (wd_msec_t) (r->lingering_time - wd_time()) * 1000;
    }

    rc = wd_http_read_discarded_request_body(r);

    if (rc == WD_OK) {
        r->discard_body = 0;
        r->lingering_close = 0;
        r->lingering_time = 0;
        wd_http_finalize_request(r, WD_DONE);
        return;
    }

    if (rc >= WD_HTTP_SPECIAL_RESPONSE) {
        c->error = 1;
        wd_http_finalize_request(r, WD_ERROR);
        return;
    }

    /* rc == WD_AGAIN */

    if (timer) {
        clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

        if (timer > clcf->lingering_timeout) {
            timer = clcf->lingering_timeout;
        }

        wd_event_add_timer(rev, timer);
    }
}

/* Skips the body in b; WD_OK when all of it has been seen. */
static wd_int_t
wd_http_discard_buffer(wd_http_request_t *r, wd_buf_t *b)
{
    off_t size;
    wd_int_t rc;
    wd_http_request_body_t *rb;

    rb = r->request_body;

    if (!r->headers_in.chunked) {
        size = wd_min((off_t) (b->last - b->pos), rb->rest);
        b->pos += size;
        rb->rest -= size;
        return rb->rest == 0 ? WD_OK : WD_AGAIN;
    }

    for (;;) {
        rc = wd_http_parse_chunked(r, b, rb->chunked);

        if (rc == WD_OK) {
            size = wd_min(rb->chunked->size, (off_t) (b->last - b->pos));
            b->pos += size;
            rb->chunked->size -= size;
            continue;
        }

        if (rc == WD_DONE) {
            rb->rest = 0;
            return WD_OK;
        }

        if (rc == WD_AGAIN) {
            return WD_AGAIN;
        }

        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "client sent invalid chunked body");

        return WD_HTTP_BAD_REQUEST;
    }
}

static wd_int_t
wd_http_read_discarded_request_body(wd_http_request_t *r)
{
    size_t size;
    ssize_t n;
    wd_int_t rc;
    wd_buf_t b;
    u_char buffer[WD_HTTP_DISCARD_BUFFER_SIZE];

    /* the part that arrived with the header first */
    if (r->header_in->pos < r->header_in->last) {
        rc = wd_http_discard_buffer(r, r->header_in);

        if (rc != WD_AGAIN) {
            return rc;
        }
    }

    for (;;) {
        if (!r->connection->read->ready) {
            return WD_AGAIN;
        }

        /* read no more than the body has left: what follows it is the
         * next request */
        size = sizeof(buffer);

        if (!r->headers_in.chunked && r->request_body->rest < (off_t) size) {
            size = (size_t) r->request_body->rest;
        }

        if (r->headers_in.chunked && r->request_body->chunked->length > 0
            && r->request_body->chunked->length < (off_t) size)
        {
            size = (size_t) r->request_body->chunked->length;
        }

        n = r->connection->recv(r->connection, buffer, size);

        if (n == WD_AGAIN) {
            return WD_AGAIN;
        }

        if (n == WD_ERROR || n == 0) {
            r->connection->read->eof = (n == 0);
            return WD_OK;
        }

        wd_memzero(&b, sizeof(wd_buf_t));
        b.pos = buffer;
        b.last = buffer + n;
        b.temporary = 1;

        rc = wd_http_discard_buffer(r, &b);

        if (rc != WD_AGAIN) {
            return rc;
        }
    }
}
