/*
 * The realip module: when a request comes from a trusted proxy
 * ("set_real_ip_from"), the client address (and port) become the ones the
 * proxy passed on, in a header ("real_ip_header") or the PROXY protocol
 * header; $remote_addr, the access log and the error log's "client:"
 * then show the real client.  Runs in the post-read phase (server-level
 * settings) and again in the preaccess phase (location-level ones), at
 * most once per request.  $realip_remote_addr and $realip_remote_port keep
 * the address the connection really came from.
 */

#include <wd_http.h>

#define WD_HTTP_REALIP_XREALIP 0
#define WD_HTTP_REALIP_XFWD 1
#define WD_HTTP_REALIP_HEADER 2
#define WD_HTTP_REALIP_PROXY 3

typedef struct {
    wd_array_t *from;           /* wd_cidr_t; NULL: trust no one */
    wd_uint_t type;             /* WD_HTTP_REALIP_* */
    wd_uint_t hash;             /* WD_HTTP_REALIP_HEADER: of header */
    wd_str_t header;            /* lowercased */
    wd_flag_t recursive;
} wd_http_realip_loc_conf_t;

/* The connection's own address while the request shows another; also
 * the data of the request pool's cleanup that puts it back. */
typedef struct {
    wd_connection_t *connection;
    struct sockaddr *sockaddr;
    socklen_t socklen;
    wd_str_t addr_text;
} wd_http_realip_ctx_t;

static wd_int_t wd_http_realip_handler(wd_http_request_t *r);
static void wd_http_realip_cleanup(void *data);
static char *wd_http_realip_from(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_realip_header(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static void *wd_http_realip_create_loc_conf(wd_conf_t *cf);
static char *wd_http_realip_merge_loc_conf(wd_conf_t *cf, void *parent,
    void *child);
static wd_int_t wd_http_realip_add_variables(wd_conf_t *cf);
static wd_int_t wd_http_realip_init(wd_conf_t *cf);

static wd_command_t wd_http_realip_commands[] = {

    { wd_string("set_real_ip_from"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_TAKE1,
      wd_http_realip_from,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { wd_string("real_ip_header"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_TAKE1,
      wd_http_realip_header,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { wd_string("real_ip_recursive"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      WD_HTTP_LOC_CONF_OFFSET,
      offsetof(wd_http_realip_loc_conf_t, recursive),
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_realip_module_ctx = {
    wd_http_realip_add_variables,
    wd_http_realip_init,
    NULL, NULL, NULL, NULL,
    wd_http_realip_create_loc_conf,
    wd_http_realip_merge_loc_conf
};

wd_module_t wd_http_realip_module = {
    WD_MODULE_V1,
    &wd_http_realip_module_ctx,
    wd_http_realip_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

/*
 * The request's context, also after an internal redirect cleared
 * r->ctx: the cleanup that restores the address still holds it, so the
 * preaccess phase of the new location does not replace it a second time.
 */
static wd_http_realip_ctx_t *
wd_http_realip_get_ctx(wd_http_request_t *r)
{
    wd_pool_cleanup_t *cln;
    wd_http_realip_ctx_t *ctx;

    ctx = wd_http_get_module_ctx(r, wd_http_realip_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == wd_http_realip_cleanup) {
                return cln->data;
            }
        }
    }

    return ctx;
}

/* The first request header called rlcf->header (any case). */
static wd_table_elt_t *
wd_http_realip_find_header(wd_http_request_t *r,
    wd_http_realip_loc_conf_t *rlcf)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_table_elt_t *h;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].hash == rlcf->hash && h[i].key.len == rlcf->header.len
                && wd_memcmp(h[i].lowcase_key, rlcf->header.data,
                             rlcf->header.len) == 0)
            {
                return &h[i];
            }
        }
    }

    return NULL;
}

/*
 * X-Forwarded-For, which may come in several header lines: they read as
 * one list, so the last line is looked at first, and (recursive) the
 * lines before it only while every address so far was trusted.
 */
static wd_int_t
wd_http_realip_forwarded_for(wd_http_request_t *r, wd_addr_t *addr,
    wd_http_realip_loc_conf_t *rlcf)
{
    wd_int_t rc;
    wd_uint_t n, i;
    wd_table_elt_t *h, **lines;

    n = 0;

    for (h = r->headers_in.x_forwarded_for; h->next; h = h->next) {
        n++;
    }

    if (!rlcf->recursive || n == 0) {
        return wd_inet_forwarded_addr(r->pool, addr, h->value.data,
                                      h->value.len, rlcf->from,
                                      (wd_uint_t) rlcf->recursive);
    }

    lines = wd_palloc(r->pool, (n + 1) * sizeof(wd_table_elt_t *));

    if (lines == NULL) {
        return WD_ERROR;
    }

    for (h = r->headers_in.x_forwarded_for, i = 0; h; h = h->next) {
        lines[i++] = h;
    }

    rc = WD_DECLINED;

    for (i = n + 1; i-- > 0; /* void */) {
        rc = wd_inet_forwarded_addr(r->pool, addr, lines[i]->value.data,
                                    lines[i]->value.len, rlcf->from, 1);

        if (rc != WD_OK) {
            /* the walk stopped in this line; if it took nothing from it,
             * what the later lines gave stands */
            return (rc == WD_DECLINED && i < n) ? WD_DONE : rc;
        }
    }

    return rc;
}

/* Makes addr the request's client address until the request ends. */
static wd_int_t
wd_http_realip_set_addr(wd_http_request_t *r, wd_addr_t *addr)
{
    size_t len;
    u_char *p, text[WD_SOCKADDR_STRLEN];
    wd_connection_t *c;
    wd_pool_cleanup_t *cln;
    wd_http_realip_ctx_t *ctx;

    c = r->connection;

    len = wd_sock_ntop(addr->sockaddr, addr->socklen, text,
                       WD_SOCKADDR_STRLEN, 0);

    cln = wd_pool_cleanup_add(r->pool, sizeof(wd_http_realip_ctx_t));
    p = wd_pnalloc(r->pool, len);

    if (len == 0 || cln == NULL || p == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    wd_memcpy(p, text, len);

    ctx = cln->data;
    ctx->connection = c;
    ctx->sockaddr = c->sockaddr;
    ctx->socklen = c->socklen;
    ctx->addr_text = c->addr_text;

    cln->handler = wd_http_realip_cleanup;
    wd_http_set_ctx(r, ctx, wd_http_realip_module);

    c->sockaddr = addr->sockaddr;
    c->socklen = addr->socklen;
    c->addr_text.len = len;
    c->addr_text.data = p;

    return WD_DECLINED;
}

static wd_int_t
wd_http_realip_handler(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_str_t *value;
    wd_addr_t addr;
    wd_table_elt_t *h;
    wd_connection_t *c;
    wd_http_realip_loc_conf_t *rlcf;

    rlcf = wd_http_get_module_loc_conf(r, wd_http_realip_module);

    if (rlcf->from == NULL || wd_http_realip_get_ctx(r) != NULL) {
        return WD_DECLINED;
    }

    c = r->connection;
    addr.sockaddr = c->sockaddr;
    addr.socklen = c->socklen;
    value = NULL;

    switch (rlcf->type) {

    case WD_HTTP_REALIP_XFWD:
        if (r->headers_in.x_forwarded_for == NULL) {
            return WD_DECLINED;
        }

        break;

    case WD_HTTP_REALIP_PROXY:
        if (c->proxy_protocol == NULL) {
            return WD_DECLINED;
        }

        value = &c->proxy_protocol->src_addr;
        break;

    default:
        h = (rlcf->type == WD_HTTP_REALIP_XREALIP)
                ? r->headers_in.x_real_ip
                : wd_http_realip_find_header(r, rlcf);

        if (h == NULL) {
            return WD_DECLINED;
        }

        value = &h->value;
    }

    if (value) {
        rc = wd_inet_forwarded_addr(r->pool, &addr, value->data, value->len,
                                    rlcf->from, (wd_uint_t) rlcf->recursive);
    } else {
        rc = wd_http_realip_forwarded_for(r, &addr, rlcf);
    }

    if (rc == WD_ERROR) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == WD_DECLINED) {
        return WD_DECLINED;
    }

    if (rlcf->type == WD_HTTP_REALIP_PROXY) {
        wd_inet_set_port(addr.sockaddr, c->proxy_protocol->src_port);
    }

    return wd_http_realip_set_addr(r, &addr);
}

static void
wd_http_realip_cleanup(void *data)
{
    wd_http_realip_ctx_t *ctx = data;
    wd_connection_t *c;

    c = ctx->connection;

    c->sockaddr = ctx->sockaddr;
    c->socklen = ctx->socklen;
    c->addr_text = ctx->addr_text;
}

/* The CIDR of exactly one address (a resolved host name). */
static void
wd_http_realip_host_cidr(struct sockaddr *sa, wd_cidr_t *cidr)
{
    wd_memzero(cidr, sizeof(wd_cidr_t));
    cidr->family = sa->sa_family;

    if (sa->sa_family == AF_INET6) {
        cidr->u.in6.addr = ((struct sockaddr_in6 *) sa)->sin6_addr;
        wd_memset(cidr->u.in6.mask.s6_addr, 0xff, 16);

    } else {
        cidr->u.in.addr = ((struct sockaddr_in *) sa)->sin_addr.s_addr;
        cidr->u.in.mask = 0xffffffff;
    }
}

/* "set_real_ip_from address | CIDR | unix: | host name" */
static char *
wd_http_realip_from(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_int_t rc;
    wd_str_t *value;
    wd_url_t u;
    wd_uint_t i;
    wd_cidr_t c, *cidr;
    wd_http_realip_loc_conf_t *rlcf = conf;

    value = cf->args->elts;

    if (rlcf->from == NULL) {
        rlcf->from = wd_array_create(cf->pool, 2, sizeof(wd_cidr_t));

        if (rlcf->from == NULL) {
            return WD_CONF_ERROR;
        }
    }

    if (wd_str_eq(&value[1], "unix:")) {
        c.family = AF_UNIX;
        rc = WD_OK;

    } else {
        rc = wd_ptocidr(&value[1], &c);
    }

    if (rc != WD_ERROR) {
        if (rc == WD_DONE) {
            wd_conf_log_error(WD_LOG_WARN, cf, 0,
                              "low address bits of %.*s are meaningless",
                              wd_str_fmt(&value[1]));
        }

        cidr = wd_array_push(rlcf->from);

        if (cidr == NULL) {
            return WD_CONF_ERROR;
        }

        *cidr = c;

        return WD_CONF_OK;
    }

    /* a host name: each of its addresses, resolved now */
    wd_memzero(&u, sizeof(wd_url_t));
    u.host = value[1];

    if (wd_inet_resolve_host(cf->pool, &u) != WD_OK) {
        if (u.err) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "%s in set_real_ip_from \"%.*s\"", u.err,
                              wd_str_fmt(&u.host));
        }

        return WD_CONF_ERROR;
    }

    for (i = 0; i < u.naddrs; i++) {
        cidr = wd_array_push(rlcf->from);

        if (cidr == NULL) {
            return WD_CONF_ERROR;
        }

        wd_http_realip_host_cidr(u.addrs[i].sockaddr, cidr);
    }

    return WD_CONF_OK;
}

/* "real_ip_header X-Real-IP | X-Forwarded-For | proxy_protocol | name" */
static char *
wd_http_realip_header(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_http_realip_loc_conf_t *rlcf = conf;

    if (rlcf->type != WD_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* the names are compared as nginx does, case-sensitively: another
     * spelling is looked up like any other header */
    if (wd_str_eq(&value[1], "X-Real-IP")) {
        rlcf->type = WD_HTTP_REALIP_XREALIP;

    } else if (wd_str_eq(&value[1], "X-Forwarded-For")) {
        rlcf->type = WD_HTTP_REALIP_XFWD;

    } else if (wd_str_eq(&value[1], "proxy_protocol")) {
        rlcf->type = WD_HTTP_REALIP_PROXY;

    } else {
        rlcf->type = WD_HTTP_REALIP_HEADER;
        rlcf->header.len = value[1].len;
        rlcf->header.data = wd_pnalloc(cf->pool, value[1].len);

        if (rlcf->header.data == NULL) {
            return WD_CONF_ERROR;
        }

        rlcf->hash = wd_hash_strlow(rlcf->header.data, value[1].data,
                                    value[1].len);
    }

    return WD_CONF_OK;
}

static void *
wd_http_realip_create_loc_conf(wd_conf_t *cf)
{
    wd_http_realip_loc_conf_t *conf;

    conf = wd_pcalloc(cf->pool, sizeof(wd_http_realip_loc_conf_t));

    if (conf == NULL) {
        return NULL;
    }

    /* from = NULL, header = { 0, NULL } */
    conf->type = WD_CONF_UNSET_UINT;
    conf->recursive = WD_CONF_UNSET;

    return conf;
}

/* A level's set_real_ip_from list replaces its parent's, not adds to it. */
static char *
wd_http_realip_merge_loc_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_http_realip_loc_conf_t *prev = parent;
    wd_http_realip_loc_conf_t *conf = child;

    if (conf->from == NULL) {
        conf->from = prev->from;
    }

    if (conf->type == WD_CONF_UNSET_UINT) {
        conf->type = prev->type;
        conf->hash = prev->hash;
        conf->header = prev->header;
    }

    wd_conf_merge_uint_value(conf->type, prev->type, WD_HTTP_REALIP_XREALIP);
    wd_conf_merge_value(conf->recursive, prev->recursive, 0);

    return WD_CONF_OK;
}

static wd_int_t
wd_http_realip_remote_addr_variable(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_str_t *addr_text;
    wd_http_realip_ctx_t *ctx;

    ctx = wd_http_realip_get_ctx(r);
    addr_text = ctx ? &ctx->addr_text : &r->connection->addr_text;

    v->len = addr_text->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = addr_text->data;

    return WD_OK;
}

static wd_int_t
wd_http_realip_remote_port_variable(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    in_port_t port;
    wd_http_realip_ctx_t *ctx;

    ctx = wd_http_realip_get_ctx(r);
    port = wd_inet_get_port(ctx ? ctx->sockaddr : r->connection->sockaddr);

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->len = 0;
    v->data = (u_char *) "";

    if (port == 0) {
        return WD_OK;
    }

    v->data = wd_pnalloc(r->pool, sizeof("65535") - 1);

    if (v->data == NULL) {
        return WD_ERROR;
    }

    v->len = wd_sprint_uint(v->data, port) - v->data;

    return WD_OK;
}

static wd_http_variable_t wd_http_realip_vars[] = {

    { wd_string("realip_remote_addr"), NULL,
      wd_http_realip_remote_addr_variable, 0, 0, 0 },

    { wd_string("realip_remote_port"), NULL,
      wd_http_realip_remote_port_variable, 0, 0, 0 },

    wd_http_null_variable
};

static wd_int_t
wd_http_realip_add_variables(wd_conf_t *cf)
{
    wd_http_variable_t *var, *v;

    for (v = wd_http_realip_vars; v->name.len; v++) {
        var = wd_http_add_variable(cf, &v->name, v->flags);

        if (var == NULL) {
            return WD_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return WD_OK;
}

static wd_int_t
wd_http_realip_init(wd_conf_t *cf)
{
    wd_http_handler_pt *h;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    /* post-read sees the server's settings; preaccess the location's */
    h = wd_array_push(&cmcf->phases[WD_HTTP_POST_READ_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_realip_handler;

    h = wd_array_push(&cmcf->phases[WD_HTTP_PREACCESS_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_realip_handler;

    return WD_OK;
}
