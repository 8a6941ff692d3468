/*
 * The last header filter: writes the status line and the headers into
 * one buffer and passes it to the body filters (which send it together
 * with the first body bytes).
 */

#include <wd_http.h>

static wd_int_t wd_http_header_filter_init(wd_conf_t *cf);
static wd_int_t wd_http_header_filter(wd_http_request_t *r);

static wd_http_module_t wd_http_header_filter_module_ctx = {
    NULL,
    wd_http_header_filter_init,
    NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_header_filter_module = {
    WD_MODULE_V1,
    &wd_http_header_filter_module_ctx,
    NULL,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

#define WD_SERVER_STRING "Server: warden" CRLF
#define WD_SERVER_FULL_STRING "Server: warden/0.1.0" CRLF

/* nginx's reason phrases; an empty entry prints the code alone. */
static wd_str_t wd_http_status_2xx[] = {
    wd_string("200 OK"),
    wd_string("201 Created"),
    wd_string("202 Accepted"),
    wd_null_string,
    wd_string("204 No Content"),
    wd_null_string,
    wd_string("206 Partial Content"),
};

static wd_str_t wd_http_status_3xx[] = {
    wd_string("301 Moved Permanently"),
    wd_string("302 Moved Temporarily"),
    wd_string("303 See Other"),
    wd_string("304 Not Modified"),
    wd_null_string,
    wd_null_string,
    wd_string("307 Temporary Redirect"),
    wd_string("308 Permanent Redirect"),
};

static wd_str_t wd_http_status_4xx[] = {
    wd_string("400 Bad Request"),
    wd_string("401 Unauthorized"),
    wd_string("402 Payment Required"),
    wd_string("403 Forbidden"),
    wd_string("404 Not Found"),
    wd_string("405 Not Allowed"),
    wd_string("406 Not Acceptable"),
    wd_null_string,
    wd_string("408 Request Time-out"),
    wd_string("409 Conflict"),
    wd_string("410 Gone"),
    wd_string("411 Length Required"),
    wd_string("412 Precondition Failed"),
    wd_string("413 Request Entity Too Large"),
    wd_string("414 Request-URI Too Large"),
    wd_string("415 Unsupported Media Type"),
    wd_string("416 Requested Range Not Satisfiable"),
    wd_null_string,
    wd_null_string,
    wd_null_string,
    wd_null_string,
    wd_string("421 Misdirected Request"),
    wd_null_string,
    wd_null_string,
    wd_null_string,
    wd_null_string,
    wd_null_string,
    wd_null_string,
    wd_null_string,
    wd_string("429 Too Many Requests"),
};

static wd_str_t wd_http_status_5xx[] = {
    wd_string("500 Internal Server Error"),
    wd_string("501 Not Implemented"),
    wd_string("502 Bad Gateway"),
    wd_string("503 Service Temporarily Unavailable"),
    wd_string("504 Gateway Time-out"),
    wd_string("505 HTTP Version Not Supported"),
    wd_null_string,
    wd_string("507 Insufficient Storage"),
};

/* The status line text for status, or NULL to print the bare code. */
wd_str_t *
wd_http_status_line(wd_uint_t status)
{
    wd_str_t *line;

    line = NULL;

    if (status >= 200 && status < 200 + wd_nelems(wd_http_status_2xx)) {
        line = &wd_http_status_2xx[status - 200];

    } else if (status >= 301 && status < 301 + wd_nelems(wd_http_status_3xx))
    {
        line = &wd_http_status_3xx[status - 301];

    } else if (status >= 400 && status < 400 + wd_nelems(wd_http_status_4xx))
    {
        line = &wd_http_status_4xx[status - 400];

    } else if (status >= 500 && status < 500 + wd_nelems(wd_http_status_5xx))
    {
        line = &wd_http_status_5xx[status - 500];
    }

    return (line && line->len) ? line : NULL;
}

static wd_int_t
wd_http_header_filter_init(wd_conf_t *cf)
{
    wd_http_top_header_filter = wd_http_header_filter;

    return WD_OK;
}

/* "http://host[:port]" for a relative Location under absolute_redirect. */
static wd_int_t
wd_http_absolute_location(wd_http_request_t *r, wd_str_t *host,
    in_port_t *port)
{
    wd_http_core_srv_conf_t *cscf;
    wd_http_core_loc_conf_t *clcf;

    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);
    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->server_name_in_redirect) {
        *host = cscf->server_name;

    } else if (r->headers_in.server.len) {
        *host = r->headers_in.server;

    } else {
        host->len = WD_SOCKADDR_STRLEN;
        host->data = wd_pnalloc(r->pool, WD_SOCKADDR_STRLEN);

        if (host->data == NULL) {
            return WD_ERROR;
        }

        if (wd_connection_local_sockaddr(r->connection, host, 0) != WD_OK) {
            return WD_ERROR;
        }
    }

    *port = 0;

    if (clcf->port_in_redirect) {
        if (wd_connection_local_sockaddr(r->connection, NULL, 0) != WD_OK) {
            return WD_ERROR;
        }

        *port = wd_inet_get_port(r->connection->local_sockaddr);

        if (*port == (r->http_connection->ssl ? 443 : 80)) {
            *port = 0;
        }
    }

    return WD_OK;
}

/* Bytes the header section will need. */
static size_t
wd_http_header_size(wd_http_request_t *r, wd_str_t *status_line,
    wd_http_core_loc_conf_t *clcf, size_t host_len)
{
    size_t len;
    wd_uint_t i;
    wd_list_part_t *part;
    wd_table_elt_t *header;

    len = sizeof("HTTP/1.x ") - 1 + sizeof(CRLF) - 1 + sizeof(CRLF) - 1;
    len += status_line ? status_line->len : WD_INT_T_LEN + 1;

    len += sizeof(WD_SERVER_FULL_STRING) - 1;
    len += sizeof("Date: Mon, 28 Sep 1970 06:00:00 GMT" CRLF) - 1;
    len += sizeof("Content-Type: ; charset=" CRLF) - 1
           + r->headers_out.content_type.len + r->headers_out.charset.len;
    len += sizeof("Content-Length: " CRLF) - 1 + WD_OFF_T_LEN;
    len += sizeof("Last-Modified: Mon, 28 Sep 1970 06:00:00 GMT" CRLF) - 1;
    len += sizeof("Location: http://:65535" CRLF) - 1 + host_len;

    if (r->headers_out.location) {
        len += r->headers_out.location->value.len;
    }

    len += sizeof("Transfer-Encoding: chunked" CRLF) - 1;
    len += sizeof("Connection: keep-alive" CRLF) - 1;
    len += sizeof("Keep-Alive: timeout=" CRLF) - 1 + WD_TIME_T_LEN;
    len += sizeof("Vary: Accept-Encoding" CRLF) - 1;

    part = &r->headers_out.headers.part;
    header = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].hash == 0) {
            continue;
        }

        len += header[i].key.len + sizeof(": ") - 1 + header[i].value.len
               + sizeof(CRLF) - 1;
    }

    (void) clcf;

    return len;
}

/* The same files are served again and again: their last formatted
 * modification time is kept. */
static u_char *
wd_http_last_modified(u_char *p, time_t t)
{
    static time_t cached = -1;
    static u_char text[WD_HTTP_TIME_LEN];

    if (t != cached) {
        wd_http_time(text, t);
        cached = t;
    }

    return wd_cpymem(p, text, WD_HTTP_TIME_LEN);
}

static u_char *
wd_http_write_status_line(wd_http_request_t *r, u_char *p,
    wd_str_t *status_line)
{
    p = wd_cpymem(p, "HTTP/1.1 ", sizeof("HTTP/1.x ") - 1);

    if (r->headers_out.status_line.len) {
        p = wd_cpymem(p, r->headers_out.status_line.data,
                      r->headers_out.status_line.len);

    } else if (status_line) {
        p = wd_cpymem(p, status_line->data, status_line->len);

    } else {
        p = wd_sprint_uint_pad(p, r->headers_out.status % 1000, 3);
        *p++ = ' ';
    }

    *p++ = CR;
    *p++ = LF;

    return p;
}

static u_char *
wd_http_write_fixed_headers(wd_http_request_t *r, u_char *p,
    wd_http_core_loc_conf_t *clcf)
{
    if (r->headers_out.server == NULL) {
        if (clcf->server_tokens == WD_HTTP_SERVER_TOKENS_OFF) {
            p = wd_cpymem(p, WD_SERVER_STRING, sizeof(WD_SERVER_STRING) - 1);
        } else {
            p = wd_cpymem(p, WD_SERVER_FULL_STRING,
                          sizeof(WD_SERVER_FULL_STRING) - 1);
        }
    }

    if (r->headers_out.date == NULL) {
        p = wd_cpymem(p, "Date: ", sizeof("Date: ") - 1);
        p = wd_cpymem(p, wd_cached_http_time.data, wd_cached_http_time.len);
        *p++ = CR;
        *p++ = LF;
    }

    if (r->headers_out.content_type.len) {
        p = wd_cpymem(p, "Content-Type: ", sizeof("Content-Type: ") - 1);
        p = wd_cpymem(p, r->headers_out.content_type.data,
                      r->headers_out.content_type.len);

        if (r->headers_out.content_type_len == r->headers_out.content_type.len
            && r->headers_out.charset.len)
        {
            p = wd_cpymem(p, "; charset=", sizeof("; charset=") - 1);
            p = wd_cpymem(p, r->headers_out.charset.data,
                          r->headers_out.charset.len);
        }

        *p++ = CR;
        *p++ = LF;
    }

    if (r->headers_out.content_length == NULL
        && r->headers_out.content_length_n >= 0)
    {
        p = wd_cpymem(p, "Content-Length: ", sizeof("Content-Length: ") - 1);
        p = wd_sprint_int(p, r->headers_out.content_length_n);
        *p++ = CR;
        *p++ = LF;
    }

    if (r->headers_out.last_modified == NULL
        && r->headers_out.last_modified_time != -1)
    {
        p = wd_cpymem(p, "Last-Modified: ", sizeof("Last-Modified: ") - 1);
        p = wd_http_last_modified(p, r->headers_out.last_modified_time);
        *p++ = CR;
        *p++ = LF;
    }

    return p;
}

static u_char *
wd_http_write_connection_headers(wd_http_request_t *r, u_char *p,
    wd_http_core_loc_conf_t *clcf)
{
    if (r->chunked) {
        p = wd_cpymem(p, "Transfer-Encoding: chunked" CRLF,
                      sizeof("Transfer-Encoding: chunked" CRLF) - 1);
    }

    if (r->headers_out.status == WD_HTTP_SWITCHING_PROTOCOLS) {
        p = wd_cpymem(p, "Connection: upgrade" CRLF,
                      sizeof("Connection: upgrade" CRLF) - 1);

    } else if (r->keepalive) {
        p = wd_cpymem(p, "Connection: keep-alive" CRLF,
                      sizeof("Connection: keep-alive" CRLF) - 1);

        if (clcf->keepalive_header) {
            p = wd_cpymem(p, "Keep-Alive: timeout=",
                          sizeof("Keep-Alive: timeout=") - 1);
            p = wd_sprint_int(p, clcf->keepalive_header);
            *p++ = CR;
            *p++ = LF;
        }

    } else {
        p = wd_cpymem(p, "Connection: close" CRLF,
                      sizeof("Connection: close" CRLF) - 1);
    }

    if (r->gzip_vary) {
        p = wd_cpymem(p, "Vary: Accept-Encoding" CRLF,
                      sizeof("Vary: Accept-Encoding" CRLF) - 1);
    }

    return p;
}

static u_char *
wd_http_write_list_headers(wd_http_request_t *r, u_char *p, wd_str_t *host,
    in_port_t port)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_table_elt_t *header;

    part = &r->headers_out.headers.part;
    header = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].hash == 0) {
            continue;
        }

        p = wd_cpymem(p, header[i].key.data, header[i].key.len);
        *p++ = ':';
        *p++ = ' ';

        if (&header[i] == r->headers_out.location && host->len) {
            p = wd_cpymem(p, r->http_connection->ssl ? "https://" : "http://",
                          r->http_connection->ssl ? 8 : 7);
            p = wd_cpymem(p, host->data, host->len);

            if (port) {
                *p++ = ':';
                p = wd_sprint_uint(p, port);
            }
        }

        p = wd_cpymem(p, header[i].value.data, header[i].value.len);
        *p++ = CR;
        *p++ = LF;
    }

    return p;
}

/* Statuses without a body, and headers that no longer apply. */
static wd_str_t *
wd_http_header_prepare(wd_http_request_t *r)
{
    wd_uint_t status;

    status = r->headers_out.status;

    if (r->method == WD_HTTP_HEAD) {
        r->header_only = 1;
    }

    if (r->headers_out.last_modified_time != -1
        && status != WD_HTTP_OK && status != WD_HTTP_PARTIAL_CONTENT
        && status != WD_HTTP_NOT_MODIFIED)
    {
        r->headers_out.last_modified_time = -1;
        r->headers_out.last_modified = NULL;
    }

    if (r->keepalive && (wd_terminate || wd_exiting)) {
        r->keepalive = 0;
    }

    if (status == WD_HTTP_NO_CONTENT) {
        r->header_only = 1;
        wd_str_null(&r->headers_out.content_type);
        r->headers_out.last_modified_time = -1;
        r->headers_out.last_modified = NULL;
        r->headers_out.content_length = NULL;
        r->headers_out.content_length_n = -1;
    }

    if (status == WD_HTTP_NOT_MODIFIED) {
        r->header_only = 1;
    }

    return wd_http_status_line(status);
}

static wd_int_t
wd_http_header_filter(wd_http_request_t *r)
{
    u_char *p;
    size_t len;
    wd_str_t host, *status_line;
    in_port_t port;
    wd_buf_t *b;
    wd_chain_t out;
    wd_http_core_loc_conf_t *clcf;

    if (r->header_sent) {
        return WD_OK;
    }

    r->header_sent = 1;

    if (r != r->main || r->http_version < WD_HTTP_VERSION_10) {
        return WD_OK;
    }

    status_line = wd_http_header_prepare(r);

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    wd_str_null(&host);
    port = 0;

    if (r->headers_out.location && r->headers_out.location->value.len
        && r->headers_out.location->value.data[0] == '/'
        && clcf->absolute_redirect)
    {
        if (wd_http_absolute_location(r, &host, &port) != WD_OK) {
            return WD_ERROR;
        }
    }

    len = wd_http_header_size(r, status_line, clcf, host.len);

    b = wd_create_temp_buf(r->pool, len);

    if (b == NULL) {
        return WD_ERROR;
    }

    p = wd_http_write_status_line(r, b->last, status_line);
    p = wd_http_write_fixed_headers(r, p, clcf);
    p = wd_http_write_connection_headers(r, p, clcf);
    p = wd_http_write_list_headers(r, p, &host, port);

    *p++ = CR;
    *p++ = LF;

    b->last = p;

    r->header_size = b->last - b->pos;

    if (r->header_only) {
        b->last_buf = 1;
    }

    out.buf = b;
    out.next = NULL;

    return wd_http_write_filter(r, &out);
}
