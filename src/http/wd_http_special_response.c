/*
 * Responses for error and redirect statuses: error_page targets, or the
 * built-in HTML pages, byte for byte as nginx sends them (with warden's
 * name in the footer).
 */

#include <wd_http.h>

wd_str_t *wd_http_status_line(wd_uint_t status);

static const char wd_http_error_tail[] =
    "<hr><center>warden</center>" CRLF
    "</body>" CRLF
    "</html>" CRLF;

static const char wd_http_error_full_tail[] =
    "<hr><center>warden/0.1.0</center>" CRLF
    "</body>" CRLF
    "</html>" CRLF;

static const char wd_http_msie_padding[] =
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF;

static const char wd_http_msie_refresh_head[] =
    "<html><head><meta http-equiv=\"Refresh\" content=\"0; URL=";

static const char wd_http_msie_refresh_tail[] =
    "\"></head><body></body></html>" CRLF;

/* The page of a status whose title is its status line. */
#define wd_http_page(title)                                                    \
    "<html>" CRLF                                                              \
    "<head><title>" title "</title></head>" CRLF                               \
    "<body>" CRLF                                                              \
    "<center><h1>" title "</h1></center>" CRLF

/* The nginx-only 49x codes answer as 400 with an explanation. */
#define wd_http_page_400(reason)                                               \
    "<html>" CRLF                                                              \
    "<head><title>400 " reason "</title></head>" CRLF                          \
    "<body>" CRLF                                                              \
    "<center><h1>400 Bad Request</h1></center>" CRLF                           \
    "<center>" reason "</center>" CRLF

typedef struct {
    wd_uint_t status;
    wd_str_t page;
} wd_http_error_page_t;

static wd_http_error_page_t wd_http_error_pages[] = {
    { 301, wd_string(wd_http_page("301 Moved Permanently")) },
    { 302, wd_string(wd_http_page("302 Found")) },
    { 303, wd_string(wd_http_page("303 See Other")) },
    { 307, wd_string(wd_http_page("307 Temporary Redirect")) },
    { 308, wd_string(wd_http_page("308 Permanent Redirect")) },

    { 400, wd_string(wd_http_page("400 Bad Request")) },
    { 401, wd_string(wd_http_page("401 Authorization Required")) },
    { 402, wd_string(wd_http_page("402 Payment Required")) },
    { 403, wd_string(wd_http_page("403 Forbidden")) },
    { 404, wd_string(wd_http_page("404 Not Found")) },
    { 405, wd_string(wd_http_page("405 Not Allowed")) },
    { 406, wd_string(wd_http_page("406 Not Acceptable")) },
    { 408, wd_string(wd_http_page("408 Request Time-out")) },
    { 409, wd_string(wd_http_page("409 Conflict")) },
    { 410, wd_string(wd_http_page("410 Gone")) },
    { 411, wd_string(wd_http_page("411 Length Required")) },
    { 412, wd_string(wd_http_page("412 Precondition Failed")) },
    { 413, wd_string(wd_http_page("413 Request Entity Too Large")) },
    { 414, wd_string(wd_http_page("414 Request-URI Too Large")) },
    { 415, wd_string(wd_http_page("415 Unsupported Media Type")) },
    { 416, wd_string(wd_http_page("416 Requested Range Not Satisfiable")) },
    { 421, wd_string(wd_http_page("421 Misdirected Request")) },
    { 429, wd_string(wd_http_page("429 Too Many Requests")) },

    { 494, wd_string(wd_http_page_400("Request Header Or Cookie Too Large")) },
    { 495, wd_string(wd_http_page_400("The SSL certificate error")) },
    { 496, wd_string(wd_http_page_400("No required SSL certificate was sent")) },
    { 497, wd_string(wd_http_page_400(
                         "The plain HTTP request was sent to HTTPS port")) },

    { 500, wd_string(wd_http_page("500 Internal Server Error")) },
    { 501, wd_string(wd_http_page("501 Not Implemented")) },
    { 502, wd_string(wd_http_page("502 Bad Gateway")) },
    { 503, wd_string(wd_http_page("503 Service Temporarily Unavailable")) },
    { 504, wd_string(wd_http_page("504 Gateway Time-out")) },
    { 505, wd_string(wd_http_page("505 HTTP Version Not Supported")) },
    { 507, wd_string(wd_http_page("507 Insufficient Storage")) },
};

static wd_str_t *
wd_http_error_page_text(wd_uint_t status)
{
    wd_uint_t i;

    for (i = 0; i < wd_nelems(wd_http_error_pages); i++) {
        if (wd_http_error_pages[i].status == status) {
            return &wd_http_error_pages[i].page;
        }
    }

    return NULL;
}

static wd_chain_t *
wd_http_memory_link(wd_http_request_t *r, const char *text, size_t len)
{
    wd_buf_t *b;
    wd_chain_t *cl;

    b = wd_calloc_buf(r->pool);
    cl = wd_alloc_chain_link(r->pool);

    if (b == NULL || cl == NULL) {
        return NULL;
    }

    b->pos = (u_char *) text;
    b->last = (u_char *) text + len;
    b->memory = 1;

    cl->buf = b;
    cl->next = NULL;

    return cl;
}

static wd_int_t
wd_http_send_special_response(wd_http_request_t *r,
    wd_http_core_loc_conf_t *clcf, wd_uint_t status)
{
    wd_str_t *page;
    const char *tail;
    size_t tail_len;
    wd_uint_t padding;
    wd_int_t rc;
    wd_chain_t *out, **ll;

    /* the 49x codes are sent as 400 */
    page = wd_http_error_page_text(status);

    if (status >= 494 && status <= 497) {
        r->err_status = WD_HTTP_BAD_REQUEST;
    }

    if (clcf->server_tokens == WD_HTTP_SERVER_TOKENS_OFF) {
        tail = wd_http_error_tail;
        tail_len = sizeof(wd_http_error_tail) - 1;
    } else {
        tail = wd_http_error_full_tail;
        tail_len = sizeof(wd_http_error_full_tail) - 1;
    }

    padding = 0;

    if (page) {
        r->headers_out.content_length_n = (off_t) (page->len + tail_len);

        if (clcf->msie_padding && status >= 400
            && (r->headers_in.msie || r->headers_in.chrome))
        {
            r->headers_out.content_length_n += sizeof(wd_http_msie_padding)
                                               - 1;
            padding = 1;
        }

        wd_str_set(&r->headers_out.content_type, "text/html");
        r->headers_out.content_type_len = sizeof("text/html") - 1;
        r->headers_out.content_type_lowcase = NULL;

    } else {
        r->headers_out.content_length_n = 0;
    }

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    wd_http_clear_accept_ranges(r);
    wd_http_clear_last_modified(r);
    wd_http_clear_etag(r);

    rc = wd_http_send_header(r);

    if (rc == WD_ERROR || r->header_only) {
        return rc;
    }

    if (page == NULL) {
        out = wd_http_memory_link(r, "", 0);

        if (out == NULL) {
            return WD_ERROR;
        }

        out->buf->memory = 0;
        out->buf->last_buf = 1;

        return wd_http_output_filter(r, out);
    }

    out = wd_http_memory_link(r, (const char *) page->data, page->len);

    if (out == NULL) {
        return WD_ERROR;
    }

    ll = &out->next;

    *ll = wd_http_memory_link(r, tail, tail_len);

    if (*ll == NULL) {
        return WD_ERROR;
    }

    if (padding) {
        ll = &(*ll)->next;
        *ll = wd_http_memory_link(r, wd_http_msie_padding,
                                  sizeof(wd_http_msie_padding) - 1);

        if (*ll == NULL) {
            return WD_ERROR;
        }
    }

    (*ll)->buf->last_buf = 1;

    return wd_http_output_filter(r, out);
}

/* msie_refresh: a page that redirects old MSIE with a meta refresh. */
static wd_int_t
wd_http_send_refresh(wd_http_request_t *r)
{
    u_char *p, *location;
    size_t len, size;
    uintptr_t escape;
    wd_int_t rc;
    wd_chain_t *out;

    r->err_status = WD_HTTP_OK;

    location = r->headers_out.location->value.data;
    len = r->headers_out.location->value.len;

    escape = 2 * wd_escape_uri(NULL, location, len, WD_ESCAPE_REFRESH);

    size = sizeof(wd_http_msie_refresh_head) - 1 + escape + len
           + sizeof(wd_http_msie_refresh_tail) - 1;

    r->headers_out.content_length_n = (off_t) size;
    wd_str_set(&r->headers_out.content_type, "text/html");
    r->headers_out.content_type_len = sizeof("text/html") - 1;

    r->headers_out.location->hash = 0;
    r->headers_out.location = NULL;

    wd_http_clear_accept_ranges(r);
    wd_http_clear_last_modified(r);
    wd_http_clear_etag(r);

    rc = wd_http_send_header(r);

    if (rc == WD_ERROR || r->header_only) {
        return rc;
    }

    p = wd_pnalloc(r->pool, size);

    if (p == NULL) {
        return WD_ERROR;
    }

    out = wd_http_memory_link(r, (const char *) p, size);

    if (out == NULL) {
        return WD_ERROR;
    }

    p = wd_cpymem(p, wd_http_msie_refresh_head,
                  sizeof(wd_http_msie_refresh_head) - 1);

    if (escape == 0) {
        p = wd_cpymem(p, location, len);
    } else {
        p = (u_char *) wd_escape_uri(p, location, len, WD_ESCAPE_REFRESH);
    }

    wd_memcpy(p, wd_http_msie_refresh_tail,
              sizeof(wd_http_msie_refresh_tail) - 1);

    out->buf->last_buf = 1;

    return wd_http_output_filter(r, out);
}

static wd_uint_t
wd_http_is_redirect_status(wd_int_t status)
{
    return status == 301 || status == 302 || status == 303 || status == 307
           || status == 308;
}

static wd_int_t
wd_http_send_error_page(wd_http_request_t *r, wd_http_err_page_t *err_page)
{
    wd_int_t overwrite;
    wd_str_t uri, args;
    wd_table_elt_t *location;
    wd_http_core_loc_conf_t *clcf;

    overwrite = err_page->overwrite;

    if (overwrite && overwrite != WD_HTTP_OK) {
        r->expect_tested = 1;
    }

    if (overwrite >= 0) {
        r->err_status = (wd_uint_t) overwrite;
    }

    if (wd_http_complex_value(r, &err_page->value, &uri) != WD_OK) {
        return WD_ERROR;
    }

    if (uri.len && uri.data[0] == '/') {
        if (err_page->value.nparts) {
            wd_http_split_args(r, &uri, &args);
        } else {
            args = err_page->args;
        }

        if (r->method != WD_HTTP_HEAD) {
            r->method = WD_HTTP_GET;
            wd_str_set(&r->method_name, "GET");
        }

        return wd_http_internal_redirect(r, &uri, &args);
    }

    if (uri.len && uri.data[0] == '@') {
        return wd_http_named_location(r, &uri);
    }

    r->expect_tested = 1;

    if (wd_http_discard_request_body(r) != WD_OK) {
        r->keepalive = 0;
    }

    location = wd_http_add_response_header(r, "Location", 8, uri.data,
                                           uri.len);

    if (location == NULL) {
        return WD_ERROR;
    }

    if (!wd_http_is_redirect_status(overwrite)) {
        r->err_status = WD_HTTP_MOVED_TEMPORARILY;
    }

    wd_http_clear_location(r);
    r->headers_out.location = location;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->msie_refresh && r->headers_in.msie
        && r->err_status == WD_HTTP_MOVED_TEMPORARILY)
    {
        return wd_http_send_refresh(r);
    }

    return wd_http_send_special_response(r, clcf, r->err_status);
}

/* Responses that should not keep the connection (the request may not
 * have been read cleanly). */
static void
wd_http_special_connection(wd_http_request_t *r, wd_int_t error)
{
    switch (error) {
    case WD_HTTP_BAD_REQUEST:
    case WD_HTTP_REQUEST_ENTITY_TOO_LARGE:
    case WD_HTTP_REQUEST_URI_TOO_LARGE:
    case WD_HTTP_REQUEST_HEADER_TOO_LARGE:
    case WD_HTTPS_CERT_ERROR:
    case WD_HTTPS_NO_CERT:
    case WD_HTTP_TO_HTTPS:
    case WD_HTTP_INTERNAL_SERVER_ERROR:
    case WD_HTTP_NOT_IMPLEMENTED:
        r->keepalive = 0;
        break;
    }

    switch (error) {
    case WD_HTTP_BAD_REQUEST:
    case WD_HTTP_REQUEST_HEADER_TOO_LARGE:
    case WD_HTTPS_CERT_ERROR:
    case WD_HTTPS_NO_CERT:
    case WD_HTTP_TO_HTTPS:
        r->lingering_close = 0;
        break;
    }
}

wd_int_t
wd_http_special_response_handler(wd_http_request_t *r, wd_int_t error)
{
    wd_uint_t i;
    wd_http_err_page_t *err_page;
    wd_http_core_loc_conf_t *clcf;

    r->err_status = (wd_uint_t) error;

    wd_http_special_connection(r, error);

    r->headers_out.content_type.len = 0;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (!r->error_page && clcf->error_pages && r->uri_changes != 0) {
        if (!clcf->recursive_error_pages) {
            r->error_page = 1;
        }

        err_page = clcf->error_pages->elts;

        for (i = 0; i < clcf->error_pages->nelts; i++) {
            if (err_page[i].status == error) {
                return wd_http_send_error_page(r, &err_page[i]);
            }
        }
    }

    r->expect_tested = 1;

    if (wd_http_discard_request_body(r) != WD_OK) {
        r->keepalive = 0;
    }

    if (clcf->msie_refresh && r->headers_in.msie && r->headers_out.location
        && (error == WD_HTTP_MOVED_PERMANENTLY
            || error == WD_HTTP_MOVED_TEMPORARILY))
    {
        return wd_http_send_refresh(r);
    }

    return wd_http_send_special_response(r, clcf, (wd_uint_t) error);
}

wd_int_t
wd_http_filter_finalize_request(wd_http_request_t *r, wd_module_t *m,
    wd_int_t error)
{
    wd_int_t rc;

    wd_http_clean_header(r);

    rc = wd_http_special_response_handler(r, error);

    r->filter_finalize = 1;

    /* The caller of the header filter must not go on to send its own
     * body after this response: an error stops it, and the connection
     * is closed once this response is out (as nginx does). */
    if (rc == WD_OK || rc == WD_DONE) {
        return WD_ERROR;
    }

    return rc;
}

void
wd_http_clean_header(wd_http_request_t *r)
{
    wd_memzero(&r->headers_out.status, sizeof(wd_http_headers_out_t)
                                           - offsetof(wd_http_headers_out_t,
                                                      status));

    r->headers_out.headers.part.nelts = 0;
    r->headers_out.headers.part.next = NULL;
    r->headers_out.headers.last = &r->headers_out.headers.part;

    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;
}
