/*
 * The core's embedded variables ($uri, $remote_addr, $status, $http_*,
 * $arg_*, $cookie_*, $sent_http_*, ...), with nginx's values.
 */

#include <wd_http.h>
#include <openssl/rand.h>

#define WD_HTTP_VAR_NC (WD_HTTP_VAR_NOCACHEABLE)
#define WD_HTTP_VAR_CH (WD_HTTP_VAR_CHANGEABLE | WD_HTTP_VAR_NOCACHEABLE)

/* Fills v with text (not copied). */
static wd_int_t
wd_http_variable_set(wd_http_variable_value_t *v, u_char *data, size_t len)
{
    v->len = (unsigned) len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = data;

    return WD_OK;
}

static wd_int_t
wd_http_variable_str(wd_http_variable_value_t *v, wd_str_t *s)
{
    if (s->data == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_set(v, s->data, s->len);
}

/* A number printed into request memory. */
static wd_int_t
wd_http_variable_number(wd_http_request_t *r, wd_http_variable_value_t *v,
    int64_t n)
{
    u_char *p;

    p = wd_pnalloc(r->pool, WD_INT_T_LEN);

    if (p == NULL) {
        return WD_ERROR;
    }

    return wd_http_variable_set(v, p, wd_sprint_int(p, n) - p);
}

/* A field of the request, by offset: a wd_str_t. */
static wd_int_t
wd_http_variable_request(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    return wd_http_variable_str(v, (wd_str_t *) ((char *) r + data));
}

/* A known request header's value, by offset in headers_in. */
static wd_int_t
wd_http_variable_header(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    wd_table_elt_t *h;

    h = *(wd_table_elt_t **) ((char *) &r->headers_in + data);

    if (h == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_set(v, h->value.data, h->value.len);
}

static wd_int_t
wd_http_variable_unknown_header_in(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_unknown_header(r, v, (wd_str_t *) data,
                                           &r->headers_in.headers.part,
                                           sizeof("http_") - 1);
}

static wd_int_t wd_http_variable_sent_known(wd_http_request_t *r,
    wd_http_variable_value_t *v, wd_str_t *name);

static wd_int_t
wd_http_variable_unknown_header_out(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_str_t *name = (wd_str_t *) data;

    if (wd_http_variable_sent_known(r, v, name) == WD_OK) {
        return WD_OK;
    }

    return wd_http_variable_unknown_header(r, v, name,
                                           &r->headers_out.headers.part,
                                           sizeof("sent_http_") - 1);
}

static wd_int_t
wd_http_variable_unknown_trailer_out(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_unknown_header(r, v, (wd_str_t *) data,
                                           &r->headers_out.trailers.part,
                                           sizeof("sent_trailer_") - 1);
}

/* Finds "name=value" in the Cookie headers. */
static wd_int_t
wd_http_variable_cookie(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    u_char *p, *last, *start;
    wd_str_t *var, name;
    wd_table_elt_t *h;

    var = (wd_str_t *) data;
    name.data = var->data + sizeof("cookie_") - 1;
    name.len = var->len - (sizeof("cookie_") - 1);

    for (h = r->headers_in.cookie; h; h = h->next) {
        p = h->value.data;
        last = p + h->value.len;

        while (p < last) {
            while (p < last && (*p == ' ' || *p == '\t' || *p == ';')) {
                p++;
            }

            start = p;

            while (p < last && *p != ';') {
                p++;
            }

            if ((size_t) (p - start) > name.len && start[name.len] == '='
                && wd_strncasecmp(start, name.data, name.len) == 0)
            {
                return wd_http_variable_set(v, start + name.len + 1,
                                            p - start - name.len - 1);
            }
        }
    }

    v->not_found = 1;

    return WD_OK;
}

static wd_int_t
wd_http_variable_argument(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    wd_str_t *name, value;

    name = (wd_str_t *) data;

    if (wd_http_arg(r, name->data + sizeof("arg_") - 1,
                    name->len - (sizeof("arg_") - 1), &value) != WD_OK)
    {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_set(v, value.data, value.len);
}

static wd_int_t
wd_http_variable_host(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    wd_http_core_srv_conf_t *cscf;

    if (r->headers_in.server.len) {
        return wd_http_variable_set(v, r->headers_in.server.data,
                                    r->headers_in.server.len);
    }

    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);

    return wd_http_variable_set(v, cscf->server_name.data,
                                cscf->server_name.len);
}

static wd_int_t
wd_http_variable_binary_remote_addr(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    struct sockaddr *sa;

    sa = r->connection->sockaddr;

    switch (sa->sa_family) {
    case AF_INET:
        return wd_http_variable_set(v,
            (u_char *) &((struct sockaddr_in *) sa)->sin_addr, 4);
    case AF_INET6:
        return wd_http_variable_set(v,
            (u_char *) &((struct sockaddr_in6 *) sa)->sin6_addr, 16);
    default:
        return wd_http_variable_set(v, r->connection->addr_text.data,
                                    r->connection->addr_text.len);
    }
}

static wd_int_t
wd_http_variable_remote_addr(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_set(v, r->connection->addr_text.data,
                                r->connection->addr_text.len);
}

static wd_int_t
wd_http_variable_remote_port(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    in_port_t port;

    port = wd_inet_get_port(r->connection->sockaddr);

    if (port == 0) {
        return wd_http_variable_set(v, (u_char *) "", 0);
    }

    return wd_http_variable_number(r, v, port);
}

static wd_int_t
wd_http_variable_server_addr(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_str_t s;
    u_char addr[WD_SOCKADDR_STRLEN];

    s.len = WD_SOCKADDR_STRLEN;
    s.data = addr;

    if (wd_connection_local_sockaddr(r->connection, &s, 0) != WD_OK) {
        return WD_ERROR;
    }

    s.data = wd_pnalloc(r->pool, s.len);

    if (s.data == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(s.data, addr, s.len);

    return wd_http_variable_set(v, s.data, s.len);
}

static wd_int_t
wd_http_variable_server_port(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    in_port_t port;

    if (wd_connection_local_sockaddr(r->connection, NULL, 0) != WD_OK) {
        return WD_ERROR;
    }

    port = wd_inet_get_port(r->connection->local_sockaddr);

    if (port == 0) {
        return wd_http_variable_set(v, (u_char *) "", 0);
    }

    return wd_http_variable_number(r, v, port);
}

/* $proxy_protocol_addr and friends: a field of c->proxy_protocol, by
 * offset; empty without a PROXY protocol header that gave addresses. */
static wd_int_t
wd_http_variable_proxy_protocol_addr(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_proxy_protocol_t *pp;

    pp = r->connection->proxy_protocol;

    if (pp == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_str(v, (wd_str_t *) ((char *) pp + data));
}

static wd_int_t
wd_http_variable_proxy_protocol_port(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    in_port_t port;
    wd_proxy_protocol_t *pp;

    pp = r->connection->proxy_protocol;

    if (pp == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    /* port 0 shows as empty, as $remote_port does */
    port = *(in_port_t *) ((char *) pp + data);

    if (port == 0) {
        return wd_http_variable_set(v, (u_char *) "", 0);
    }

    return wd_http_variable_number(r, v, port);
}

static wd_int_t
wd_http_variable_proxy_protocol_tlv(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_int_t rc;
    wd_str_t *var, name, value;

    if (r->connection->proxy_protocol == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    var = (wd_str_t *) data;
    name.data = var->data + sizeof("proxy_protocol_tlv_") - 1;
    name.len = var->len - (sizeof("proxy_protocol_tlv_") - 1);

    rc = wd_proxy_protocol_get_tlv(r->connection->proxy_protocol, &name,
                                   &value, r->pool, r->connection->log);

    if (rc == WD_DECLINED) {
        v->not_found = 1;
        return WD_OK;
    }

    if (rc != WD_OK) {
        return WD_ERROR;
    }

    return wd_http_variable_set(v, value.data, value.len);
}

/* The port the client asked for (Host or request line), if any. */
static wd_int_t
wd_http_variable_request_port(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    u_char *p, *last;
    wd_str_t *host;

    host = r->headers_in.host ? &r->headers_in.host->value : NULL;

    if (r->port_start && r->port_end > r->port_start) {
        return wd_http_variable_set(v, r->port_start,
                                    r->port_end - r->port_start);
    }

    if (host == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    last = host->data + host->len;

    for (p = last; p > host->data; p--) {
        if (p[-1] == ':') {
            return data ? wd_http_variable_set(v, (u_char *) ":", 1)
                        : wd_http_variable_set(v, p, last - p);
        }

        if (p[-1] == ']' || p[-1] < '0' || p[-1] > '9') {
            break;
        }
    }

    if (data) {
        return wd_http_variable_set(v, (u_char *) "", 0);
    }

    v->not_found = 1;

    return WD_OK;
}

static wd_int_t
wd_http_variable_scheme(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->http_connection && r->http_connection->ssl) {
        return wd_http_variable_set(v, (u_char *) "https", 5);
    }

    return wd_http_variable_set(v, (u_char *) "http", 4);
}

static wd_int_t
wd_http_variable_https(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->http_connection && r->http_connection->ssl) {
        return wd_http_variable_set(v, (u_char *) "on", 2);
    }

    return wd_http_variable_set(v, (u_char *) "", 0);
}

static wd_int_t
wd_http_variable_is_args(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    return r->args.len ? wd_http_variable_set(v, (u_char *) "?", 1)
                       : wd_http_variable_set(v, (u_char *) "", 0);
}

static wd_int_t
wd_http_variable_document_root(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_str_t path;
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->root_values == NULL) {
        return wd_http_variable_set(v, clcf->root.data, clcf->root.len);
    }

    if (wd_http_complex_value(r, clcf->root_values, &path) != WD_OK) {
        return WD_ERROR;
    }

    return wd_http_variable_set(v, path.data, path.len);
}

static wd_int_t
wd_http_variable_realpath_root(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    u_char *real;
    char buf[PATH_MAX];
    wd_http_variable_value_t root;

    if (wd_http_variable_document_root(r, &root, 0) != WD_OK) {
        return WD_ERROR;
    }

    real = wd_pnalloc(r->pool, root.len + 1);

    if (real == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(real, root.data, root.len);
    real[root.len] = '\0';

    if (realpath((char *) real, buf) == NULL) {
        wd_log_error(WD_LOG_CRIT, r->connection->log, wd_errno,
                     "realpath() \"%s\" failed", real);
        return WD_ERROR;
    }

    real = wd_pnalloc(r->pool, strlen(buf));

    if (real == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(real, buf, strlen(buf));

    return wd_http_variable_set(v, real, strlen(buf));
}

static wd_int_t
wd_http_variable_request_filename(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    size_t root;
    wd_str_t path;

    if (wd_http_map_uri_to_path(r, &path, &root, 0) == NULL) {
        return WD_ERROR;
    }

    return wd_http_variable_set(v, path.data, path.len - 1);
}

static wd_int_t
wd_http_variable_server_name(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_http_core_srv_conf_t *cscf;

    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);

    return wd_http_variable_set(v, cscf->server_name.data,
                                cscf->server_name.len);
}

static wd_int_t
wd_http_variable_request_method(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    if (r->main->method_name.data == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_set(v, r->main->method_name.data,
                                r->main->method_name.len);
}

static wd_int_t
wd_http_variable_remote_user(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    if (wd_http_auth_basic_user(r) != WD_OK) {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_set(v, r->headers_in.user.data,
                                r->headers_in.user.len);
}

static wd_int_t
wd_http_variable_bytes_sent(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_number(r, v, r->connection->sent);
}

static wd_int_t
wd_http_variable_body_bytes_sent(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    off_t sent;

    sent = r->connection->sent - (off_t) r->header_size;

    return wd_http_variable_number(r, v, sent > 0 ? sent : 0);
}

static wd_int_t
wd_http_variable_pipe(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    return wd_http_variable_set(v, (u_char *) (r->pipeline ? "p" : "."), 1);
}

static wd_int_t
wd_http_variable_status(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    u_char *p;
    wd_uint_t status;

    status = r->err_status ? r->err_status : r->headers_out.status;

    p = wd_pnalloc(r->pool, 3);

    if (p == NULL) {
        return WD_ERROR;
    }

    wd_sprint_uint_pad(p, status % 1000, 3);

    return wd_http_variable_set(v, p, 3);
}

static wd_int_t
wd_http_variable_request_completion(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return r->request_complete ? wd_http_variable_set(v, (u_char *) "OK", 2)
                               : wd_http_variable_set(v, (u_char *) "", 0);
}

static wd_int_t
wd_http_variable_request_body(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    u_char *p;
    size_t len;
    wd_buf_t *buf;
    wd_chain_t *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL
        || r->request_body->temp_file)
    {
        v->not_found = 1;
        return WD_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        buf = cl->buf;
        len += buf->last - buf->pos;
    }

    p = wd_pnalloc(r->pool, len);

    if (p == NULL) {
        return WD_ERROR;
    }

    v->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        buf = cl->buf;
        p = wd_cpymem(p, buf->pos, buf->last - buf->pos);
    }

    return wd_http_variable_set(v, v->data, len);
}

static wd_int_t
wd_http_variable_request_body_file(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    if (r->request_body == NULL || r->request_body->temp_file == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_set(v,
                                r->request_body->temp_file->file.name.data,
                                r->request_body->temp_file->file.name.len);
}

static wd_int_t
wd_http_variable_request_length(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_number(r, v, r->request_length);
}

/* "1.234": seconds with milliseconds since start. */
static wd_int_t
wd_http_variable_msec_since(wd_http_request_t *r,
    wd_http_variable_value_t *v, int64_t ms)
{
    u_char *p, *q;

    if (ms < 0) {
        ms = 0;
    }

    p = wd_pnalloc(r->pool, WD_TIME_T_LEN + 4);

    if (p == NULL) {
        return WD_ERROR;
    }

    q = wd_sprint_uint(p, (uint64_t) ms / 1000);
    *q++ = '.';
    q = wd_sprint_uint_pad(q, (uint64_t) ms % 1000, 3);

    return wd_http_variable_set(v, p, q - p);
}

static wd_int_t
wd_http_variable_request_time(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_time_t *tp;

    tp = wd_timeofday();

    return wd_http_variable_msec_since(r, v,
        (int64_t) (tp->sec - r->start_sec) * 1000
        + ((int64_t) tp->msec - (int64_t) r->start_msec));
}

static wd_int_t
wd_http_variable_connection_time(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_msec_since(r, v,
        (int64_t) (wd_current_msec - r->connection->start_time));
}

static wd_int_t
wd_http_variable_request_id(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    u_char *id, random[16];

    id = wd_pnalloc(r->pool, 32);

    if (id == NULL) {
        return WD_ERROR;
    }

    if (RAND_bytes(random, 16) != 1) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0, "RAND_bytes() failed");
        return WD_ERROR;
    }

    wd_hex_dump(id, random, 16);

    return wd_http_variable_set(v, id, 32);
}

static wd_int_t
wd_http_variable_connection(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_number(r, v, (int64_t) r->connection->number);
}

static wd_int_t
wd_http_variable_connection_requests(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_number(r, v, (int64_t) r->connection->requests);
}

static wd_int_t
wd_http_variable_limit_rate(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_number(r, v, (int64_t) r->limit_rate);
}

static void
wd_http_variable_set_limit_rate(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    ssize_t n;
    wd_str_t val;

    val.len = v->len;
    val.data = v->data;

    n = wd_parse_size(&val);

    if (n == WD_ERROR) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "invalid $limit_rate \"%.*s\"", wd_str_fmt(&val));
        return;
    }

    r->limit_rate = (size_t) n;
    r->limit_rate_set = 1;
}

/* "set $args ...": the request's query changes, and with it what the
 * proxy passes upstream. */
static void
wd_http_variable_set_args(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    r->args.len = v->len;
    r->args.data = v->data;
    r->valid_unparsed_uri = 0;
}

static wd_int_t
wd_http_variable_time(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    wd_str_t *cached = (wd_str_t *) data;
    u_char *p;

    p = wd_pnalloc(r->pool, cached->len);

    if (p == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(p, cached->data, cached->len);

    return wd_http_variable_set(v, p, cached->len);
}

static wd_int_t
wd_http_variable_msec(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    u_char *p, *q;
    wd_time_t *tp;

    p = wd_pnalloc(r->pool, WD_TIME_T_LEN + 4);

    if (p == NULL) {
        return WD_ERROR;
    }

    tp = wd_timeofday();

    q = wd_sprint_uint(p, (uint64_t) tp->sec);
    *q++ = '.';
    q = wd_sprint_uint_pad(q, tp->msec, 3);

    return wd_http_variable_set(v, p, q - p);
}

static wd_int_t
wd_http_variable_pid(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    return wd_http_variable_number(r, v, wd_pid);
}

static wd_int_t
wd_http_variable_hostname(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    return wd_http_variable_set(v, wd_cycle->hostname.data,
                                wd_cycle->hostname.len);
}

static wd_int_t
wd_http_variable_nginx_version(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    return wd_http_variable_set(v, (u_char *) "1.28.0", 6);
}

static wd_int_t
wd_http_variable_content_length(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    if (r->headers_in.content_length) {
        return wd_http_variable_set(v, r->headers_in.content_length->value.data,
                                    r->headers_in.content_length->value.len);
    }

    if (r->reading_body == 0 && r->request_body && r->headers_in.chunked) {
        return wd_http_variable_number(r, v, r->request_body->received);
    }

    v->not_found = 1;

    return WD_OK;
}

static wd_int_t
wd_http_variable_tcpinfo(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    uint32_t value;
    socklen_t len;
    struct tcp_info ti;

    len = sizeof(struct tcp_info);

    if (getsockopt(r->connection->fd, IPPROTO_TCP, TCP_INFO, &ti, &len)
        == -1)
    {
        v->not_found = 1;
        return WD_OK;
    }

    switch (data) {
    case 0:
        value = ti.tcpi_rtt;
        break;
    case 1:
        value = ti.tcpi_rttvar;
        break;
    case 2:
        value = ti.tcpi_snd_cwnd;
        break;
    default:
        value = ti.tcpi_rcv_space;
        break;
    }

    return wd_http_variable_number(r, v, value);
}

/* The response headers nginx computes rather than stores. */
static wd_int_t
wd_http_variable_sent_known(wd_http_request_t *r, wd_http_variable_value_t *v,
    wd_str_t *name)
{
    u_char *p;
    wd_str_t n;
    wd_http_core_loc_conf_t *clcf;

    n.data = name->data + sizeof("sent_http_") - 1;
    n.len = name->len - (sizeof("sent_http_") - 1);

    if (wd_str_eq(&n, "content_type")) {
        if (r->headers_out.content_type.len == 0) {
            v->not_found = 1;
            return WD_OK;
        }

        return wd_http_variable_set(v, r->headers_out.content_type.data,
                                    r->headers_out.content_type.len);
    }

    if (wd_str_eq(&n, "content_length")) {
        if (r->headers_out.content_length_n < 0) {
            if (r->headers_out.content_length) {
                return wd_http_variable_set(v,
                    r->headers_out.content_length->value.data,
                    r->headers_out.content_length->value.len);
            }
            v->not_found = 1;
            return WD_OK;
        }

        return wd_http_variable_number(r, v,
                                       r->headers_out.content_length_n);
    }

    if (wd_str_eq(&n, "last_modified")) {
        if (r->headers_out.last_modified_time < 0) {
            return WD_DECLINED;
        }

        p = wd_pnalloc(r->pool, WD_HTTP_TIME_LEN);

        if (p == NULL) {
            return WD_ERROR;
        }

        return wd_http_variable_set(v, p,
            wd_http_time(p, r->headers_out.last_modified_time) - p);
    }

    if (wd_str_eq(&n, "connection")) {
        if (r->keepalive) {
            return wd_http_variable_set(v, (u_char *) "keep-alive", 10);
        }
        return wd_http_variable_set(v, (u_char *) "close", 5);
    }

    if (wd_str_eq(&n, "keep_alive")) {
        clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

        if (!r->keepalive || clcf->keepalive_header == 0) {
            v->not_found = 1;
            return WD_OK;
        }

        p = wd_pnalloc(r->pool, sizeof("timeout=") - 1 + WD_TIME_T_LEN);

        if (p == NULL) {
            return WD_ERROR;
        }

        return wd_http_variable_set(v, p,
            wd_slprintf(p, p + sizeof("timeout=") - 1 + WD_TIME_T_LEN,
                        "timeout=%ld", (long) clcf->keepalive_header) - p);
    }

    if (wd_str_eq(&n, "transfer_encoding")) {
        if (r->chunked) {
            return wd_http_variable_set(v, (u_char *) "chunked", 7);
        }
        v->not_found = 1;
        return WD_OK;
    }

    return WD_DECLINED;
}

#define wd_req_var(name, field)                                                \
    { wd_string(name), NULL, wd_http_variable_request,                         \
      offsetof(wd_http_request_t, field), 0, 0 }
#define wd_hdr_var(name, field)                                                \
    { wd_string(name), NULL, wd_http_variable_header,                          \
      offsetof(wd_http_headers_in_t, field), 0, 0 }
#define wd_fn_var(name, fn, flags) { wd_string(name), NULL, fn, 0, flags, 0 }
#define wd_fn_var_data(name, fn, data, flags)                                  \
    { wd_string(name), NULL, fn, (uintptr_t) (data), flags, 0 }

static wd_http_variable_t wd_http_core_variables[] = {
    wd_hdr_var("http_host", host),
    wd_hdr_var("http_user_agent", user_agent),
    wd_hdr_var("http_referer", referer),
    wd_hdr_var("content_type", content_type),

    wd_fn_var("content_length", wd_http_variable_content_length, 0),
    wd_fn_var("host", wd_http_variable_host, 0),
    wd_fn_var("binary_remote_addr", wd_http_variable_binary_remote_addr, 0),
    wd_fn_var("remote_addr", wd_http_variable_remote_addr, 0),
    wd_fn_var("remote_port", wd_http_variable_remote_port, 0),
    wd_fn_var("server_addr", wd_http_variable_server_addr, 0),
    wd_fn_var("server_port", wd_http_variable_server_port, 0),
    wd_fn_var_data("proxy_protocol_addr", wd_http_variable_proxy_protocol_addr,
                   offsetof(wd_proxy_protocol_t, src_addr), 0),
    wd_fn_var_data("proxy_protocol_port", wd_http_variable_proxy_protocol_port,
                   offsetof(wd_proxy_protocol_t, src_port), 0),
    wd_fn_var_data("proxy_protocol_server_addr",
                   wd_http_variable_proxy_protocol_addr,
                   offsetof(wd_proxy_protocol_t, dst_addr), 0),
    wd_fn_var_data("proxy_protocol_server_port",
                   wd_http_variable_proxy_protocol_port,
                   offsetof(wd_proxy_protocol_t, dst_port), 0),
    wd_fn_var_data("request_port", wd_http_variable_request_port, 0, 0),
    wd_fn_var_data("is_request_port", wd_http_variable_request_port, 1, 0),

    wd_req_var("server_protocol", http_protocol),
    wd_fn_var("scheme", wd_http_variable_scheme, 0),
    wd_fn_var("https", wd_http_variable_https, 0),
    wd_req_var("request_uri", unparsed_uri),

    { wd_string("uri"), NULL, wd_http_variable_request,
      offsetof(wd_http_request_t, uri), WD_HTTP_VAR_NC, 0 },
    { wd_string("document_uri"), NULL, wd_http_variable_request,
      offsetof(wd_http_request_t, uri), WD_HTTP_VAR_NC, 0 },

    wd_req_var("request", request_line),

    wd_fn_var("document_root", wd_http_variable_document_root,
              WD_HTTP_VAR_NC),
    wd_fn_var("realpath_root", wd_http_variable_realpath_root,
              WD_HTTP_VAR_NC),

    { wd_string("query_string"), NULL, wd_http_variable_request,
      offsetof(wd_http_request_t, args), WD_HTTP_VAR_NC, 0 },
    { wd_string("args"), wd_http_variable_set_args, wd_http_variable_request,
      offsetof(wd_http_request_t, args), WD_HTTP_VAR_CH, 0 },

    wd_fn_var("is_args", wd_http_variable_is_args, WD_HTTP_VAR_NC),
    wd_fn_var("request_filename", wd_http_variable_request_filename,
              WD_HTTP_VAR_NC),
    wd_fn_var("server_name", wd_http_variable_server_name, 0),
    wd_fn_var("request_method", wd_http_variable_request_method, 0),
    wd_fn_var("remote_user", wd_http_variable_remote_user, 0),
    wd_fn_var("bytes_sent", wd_http_variable_bytes_sent, 0),
    wd_fn_var("body_bytes_sent", wd_http_variable_body_bytes_sent, 0),
    wd_fn_var("pipe", wd_http_variable_pipe, 0),
    wd_fn_var("request_completion", wd_http_variable_request_completion, 0),
    wd_fn_var("request_body", wd_http_variable_request_body,
              WD_HTTP_VAR_NC),
    wd_fn_var("request_body_file", wd_http_variable_request_body_file, 0),
    wd_fn_var("request_length", wd_http_variable_request_length,
              WD_HTTP_VAR_NC),
    wd_fn_var("request_time", wd_http_variable_request_time,
              WD_HTTP_VAR_NC),
    wd_fn_var("request_id", wd_http_variable_request_id, 0),
    wd_fn_var("status", wd_http_variable_status, WD_HTTP_VAR_NC),
    wd_fn_var("connection", wd_http_variable_connection, 0),
    wd_fn_var("connection_requests", wd_http_variable_connection_requests,
              0),
    wd_fn_var("connection_time", wd_http_variable_connection_time,
              WD_HTTP_VAR_NC),
    wd_fn_var("nginx_version", wd_http_variable_nginx_version, 0),
    wd_fn_var("hostname", wd_http_variable_hostname, 0),
    wd_fn_var("pid", wd_http_variable_pid, 0),
    wd_fn_var("msec", wd_http_variable_msec, WD_HTTP_VAR_NC),
    wd_fn_var_data("time_iso8601", wd_http_variable_time,
                   &wd_cached_http_log_iso8601, WD_HTTP_VAR_NC),
    wd_fn_var_data("time_local", wd_http_variable_time,
                   &wd_cached_http_log_time, WD_HTTP_VAR_NC),
    wd_fn_var_data("tcpinfo_rtt", wd_http_variable_tcpinfo, 0,
                   WD_HTTP_VAR_NC),
    wd_fn_var_data("tcpinfo_rttvar", wd_http_variable_tcpinfo, 1,
                   WD_HTTP_VAR_NC),
    wd_fn_var_data("tcpinfo_snd_cwnd", wd_http_variable_tcpinfo, 2,
                   WD_HTTP_VAR_NC),
    wd_fn_var_data("tcpinfo_rcv_space", wd_http_variable_tcpinfo, 3,
                   WD_HTTP_VAR_NC),

    wd_fn_var("http_", wd_http_variable_unknown_header_in,
              WD_HTTP_VAR_PREFIX),
    wd_fn_var("sent_http_", wd_http_variable_unknown_header_out,
              WD_HTTP_VAR_PREFIX),
    wd_fn_var("sent_trailer_", wd_http_variable_unknown_trailer_out,
              WD_HTTP_VAR_PREFIX),
    wd_fn_var("cookie_", wd_http_variable_cookie, WD_HTTP_VAR_PREFIX),
    wd_fn_var("proxy_protocol_tlv_", wd_http_variable_proxy_protocol_tlv,
              WD_HTTP_VAR_PREFIX),
    wd_fn_var("arg_", wd_http_variable_argument,
              WD_HTTP_VAR_PREFIX | WD_HTTP_VAR_NOCACHEABLE),

    wd_http_null_variable
};

wd_int_t
wd_http_variables_add_core_vars(wd_conf_t *cf)
{
    wd_http_variable_t *cv, *v;

    for (cv = wd_http_core_variables; cv->name.len; cv++) {
        v = wd_http_add_variable(cf, &cv->name, cv->flags);

        if (v == NULL) {
            return WD_ERROR;
        }

        *v = *cv;
    }

    /* $limit_rate can be set */
    {
        wd_str_t name = wd_string("limit_rate");

        v = wd_http_add_variable(cf, &name, WD_HTTP_VAR_CH);

        if (v == NULL) {
            return WD_ERROR;
        }

        v->get_handler = wd_http_variable_limit_rate;
        v->set_handler = wd_http_variable_set_limit_rate;
    }

    return WD_OK;
}

/* Decodes "Authorization: Basic base64(user:password)". */
wd_int_t
wd_http_auth_basic_user(wd_http_request_t *r)
{
    wd_str_t auth, encoded;
    wd_uint_t len;
    wd_table_elt_t *h;

    if (r->headers_in.user.len == 0 && r->headers_in.user.data != NULL) {
        return WD_DECLINED;
    }

    if (r->headers_in.user.data) {
        return WD_OK;
    }

    h = r->headers_in.authorization;

    if (h == NULL) {
        r->headers_in.user.data = (u_char *) "";
        return WD_DECLINED;
    }

    encoded = h->value;

    if (encoded.len < sizeof("Basic ") - 1
        || wd_strncasecmp(encoded.data, (u_char *) "Basic ", 6) != 0)
    {
        r->headers_in.user.data = (u_char *) "";
        return WD_DECLINED;
    }

    encoded.len -= 6;
    encoded.data += 6;

    while (encoded.len && encoded.data[0] == ' ') {
        encoded.len--;
        encoded.data++;
    }

    if (encoded.len == 0) {
        r->headers_in.user.data = (u_char *) "";
        return WD_DECLINED;
    }

    auth.len = wd_base64_decoded_length(encoded.len);
    auth.data = wd_pnalloc(r->pool, auth.len + 1);

    if (auth.data == NULL) {
        return WD_ERROR;
    }

    if (wd_decode_base64(&auth, &encoded) != WD_OK) {
        r->headers_in.user.data = (u_char *) "";
        return WD_DECLINED;
    }

    auth.data[auth.len] = '\0';

    for (len = 0; len < auth.len; len++) {
        if (auth.data[len] == ':') {
            break;
        }
    }

    if (len == 0 || len == auth.len) {
        r->headers_in.user.data = (u_char *) "";
        return WD_DECLINED;
    }

    r->headers_in.user.len = len;
    r->headers_in.user.data = auth.data;
    r->headers_in.passwd.len = auth.len - len - 1;
    r->headers_in.passwd.data = &auth.data[len + 1];

    return WD_OK;
}
