/*
 * The request headers warden knows by name: where each is kept, and the
 * checks that reject ambiguous requests (duplicate Host, Content-Length,
 * Transfer-Encoding or Authorization).
 */

#include <wd_http.h>

static wd_int_t wd_http_process_header_line(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_process_unique_header_line(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_process_host(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset);
static wd_int_t wd_http_process_connection(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_process_user_agent(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_process_multi(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);

#define wd_hin(field) offsetof(wd_http_headers_in_t, field)

wd_http_header_t wd_http_headers_in[] = {
    { wd_string("Host"), wd_hin(host), wd_http_process_host },
    { wd_string("Connection"), wd_hin(connection),
      wd_http_process_connection },
    { wd_string("If-Modified-Since"), wd_hin(if_modified_since),
      wd_http_process_unique_header_line },
    { wd_string("If-Unmodified-Since"), wd_hin(if_unmodified_since),
      wd_http_process_unique_header_line },
    { wd_string("If-Match"), wd_hin(if_match),
      wd_http_process_unique_header_line },
    { wd_string("If-None-Match"), wd_hin(if_none_match),
      wd_http_process_unique_header_line },
    { wd_string("User-Agent"), wd_hin(user_agent),
      wd_http_process_user_agent },
    { wd_string("Referer"), wd_hin(referer), wd_http_process_header_line },
    { wd_string("Content-Length"), wd_hin(content_length),
      wd_http_process_unique_header_line },
    { wd_string("Content-Range"), wd_hin(content_range),
      wd_http_process_unique_header_line },
    { wd_string("Content-Type"), wd_hin(content_type),
      wd_http_process_header_line },
    { wd_string("Range"), wd_hin(range), wd_http_process_header_line },
    { wd_string("If-Range"), wd_hin(if_range),
      wd_http_process_unique_header_line },
    { wd_string("Transfer-Encoding"), wd_hin(transfer_encoding),
      wd_http_process_unique_header_line },
    { wd_string("TE"), wd_hin(te), wd_http_process_header_line },
    { wd_string("Expect"), wd_hin(expect),
      wd_http_process_unique_header_line },
    { wd_string("Upgrade"), wd_hin(upgrade), wd_http_process_header_line },
    { wd_string("Accept-Encoding"), wd_hin(accept_encoding),
      wd_http_process_header_line },
    { wd_string("Via"), wd_hin(via), wd_http_process_header_line },
    { wd_string("Authorization"), wd_hin(authorization),
      wd_http_process_unique_header_line },
    { wd_string("Keep-Alive"), wd_hin(keep_alive),
      wd_http_process_header_line },
    { wd_string("X-Forwarded-For"), wd_hin(x_forwarded_for),
      wd_http_process_multi },
    { wd_string("X-Real-IP"), wd_hin(x_real_ip), wd_http_process_header_line },
    { wd_string("Accept"), wd_hin(accept), wd_http_process_header_line },
    { wd_string("Accept-Language"), wd_hin(accept_language),
      wd_http_process_header_line },
    { wd_string("Cookie"), wd_hin(cookie), wd_http_process_multi },
    { wd_null_string, 0, NULL }
};

#define wd_http_header_slot(r, offset)                                         \
    ((wd_table_elt_t **) ((char *) &(r)->headers_in + (offset)))

/* The first value wins; the rest stay in the list only. */
static wd_int_t
wd_http_process_header_line(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    wd_table_elt_t **ph;

    ph = wd_http_header_slot(r, offset);

    if (*ph == NULL) {
        *ph = h;
    }

    return WD_OK;
}

/* Values linked together ("Cookie", "X-Forwarded-For"). */
static wd_int_t
wd_http_process_multi(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    wd_table_elt_t **ph;

    for (ph = wd_http_header_slot(r, offset); *ph; ph = &(*ph)->next) {
        /* void */
    }

    *ph = h;
    h->next = NULL;

    return WD_OK;
}

/* A second copy of these is an attack or a broken client: 400. */
static wd_int_t
wd_http_process_unique_header_line(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    wd_table_elt_t **ph;

    ph = wd_http_header_slot(r, offset);

    if (*ph == NULL) {
        *ph = h;
        return WD_OK;
    }

    wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                 "client sent duplicate header line: \"%.*s: %.*s\", "
                 "previous value: \"%.*s: %.*s\"",
                 wd_str_fmt(&h->key), wd_str_fmt(&h->value),
                 wd_str_fmt(&(*ph)->key), wd_str_fmt(&(*ph)->value));

    wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);

    return WD_ERROR;
}

static wd_int_t
wd_http_process_host(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    wd_int_t rc;
    wd_str_t host;

    if (r->headers_in.host) {
        wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                     "client sent duplicate host header: \"%.*s: %.*s\", "
                     "previous value: \"%.*s: %.*s\"",
                     wd_str_fmt(&h->key), wd_str_fmt(&h->value),
                     wd_str_fmt(&r->headers_in.host->key),
                     wd_str_fmt(&r->headers_in.host->value));
        wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
        return WD_ERROR;
    }

    r->headers_in.host = h;
    h->next = NULL;

    host = h->value;

    rc = wd_http_validate_host(&host, r->pool, 0);

    if (rc == WD_DECLINED) {
        wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                     "client sent invalid host header");
        wd_http_finalize_request(r, WD_HTTP_BAD_REQUEST);
        return WD_ERROR;
    }

    if (rc == WD_ERROR) {
        wd_http_close_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_ERROR;
    }

    /* a host from an absolute request-target wins */
    if (r->headers_in.server.len) {
        return WD_OK;
    }

    if (wd_http_set_virtual_server(r, &host) == WD_ERROR) {
        return WD_ERROR;
    }

    r->headers_in.server = host;

    return WD_OK;
}

static wd_int_t
wd_http_process_connection(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    if (wd_http_process_header_line(r, h, offset) != WD_OK) {
        return WD_ERROR;
    }

    if (wd_strlcasestrn(h->value.data, h->value.data + h->value.len,
                        (u_char *) "close", 5))
    {
        r->headers_in.connection_type = WD_HTTP_CONNECTION_CLOSE;

    } else if (wd_strlcasestrn(h->value.data, h->value.data + h->value.len,
                               (u_char *) "keep-alive", 10))
    {
        r->headers_in.connection_type = WD_HTTP_CONNECTION_KEEP_ALIVE;
    }

    return WD_OK;
}

/* The few browser quirks the core still acts on (MSIE keep-alive and
 * padding, Safari keep-alive). */
static wd_int_t
wd_http_process_user_agent(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    u_char *ua, *user_agent, *last;

    if (wd_http_process_header_line(r, h, offset) != WD_OK) {
        return WD_ERROR;
    }

    user_agent = h->value.data;
    last = user_agent + h->value.len;

    ua = wd_strlcasestrn(user_agent, last, (u_char *) "msie ", 5);

    if (ua && ua + 8 < last) {
        r->headers_in.msie = 1;

        if (ua[4] == ' ' && ua[5] < '7' && ua[6] == '.') {
            r->headers_in.msie6 = 1;
        }
    }

    if (wd_strlcasestrn(user_agent, last, (u_char *) "opera", 5)) {
        r->headers_in.opera = 1;
        r->headers_in.msie = 0;
        r->headers_in.msie6 = 0;
    }

    if (!r->headers_in.msie && !r->headers_in.opera) {
        if (wd_strlcasestrn(user_agent, last, (u_char *) "gecko/", 6)) {
            r->headers_in.gecko = 1;

        } else if (wd_strlcasestrn(user_agent, last, (u_char *) "chrome/",
                                   7))
        {
            r->headers_in.chrome = 1;

        } else if (wd_strlcasestrn(user_agent, last, (u_char *) "safari/",
                                   7)
                   && wd_strlcasestrn(user_agent, last,
                                      (u_char *) "mac os x", 8))
        {
            r->headers_in.safari = 1;

        } else if (wd_strlcasestrn(user_agent, last,
                                   (u_char *) "konqueror", 9))
        {
            r->headers_in.konqueror = 1;
        }
    }

    return WD_OK;
}
