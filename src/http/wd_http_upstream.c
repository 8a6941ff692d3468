/*
 * The upstream module: "upstream" blocks and their "server" lines, the
 * groups proxy_pass names implicitly, how an upstream's response header
 * reaches the client's, and the $upstream_* variables.
 */

#include <wd_http.h>

static wd_int_t wd_http_upstream_add_variables(wd_conf_t *cf);
static void *wd_http_upstream_create_main_conf(wd_conf_t *cf);
static char *wd_http_upstream_init_main_conf(wd_conf_t *cf, void *conf);
static char *wd_http_upstream(wd_conf_t *cf, wd_command_t *cmd, void *dummy);
static char *wd_http_upstream_server(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);

static wd_int_t wd_http_upstream_copy_header(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_upstream_copy_content_type(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_upstream_copy_last_modified(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_upstream_copy_location(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_upstream_copy_set_cookie(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);
static wd_int_t wd_http_upstream_skip_header(wd_http_request_t *r,
    wd_table_elt_t *h, wd_uint_t offset);

/* How each response header goes to the client; unlisted ones are copied
 * as they are.  The hop-by-hop ones stay between warden and the upstream;
 * Content-Length is written again by the header filter from the length. */
static wd_http_upstream_header_t wd_http_upstream_headers_in[] = {
    { wd_string("Content-Type"), NULL, 0,
      wd_http_upstream_copy_content_type, 0, 0 },
    { wd_string("Content-Length"), NULL, 0,
      wd_http_upstream_skip_header, 0, 0 },
    { wd_string("Date"), NULL,
      offsetof(wd_http_headers_out_t, date),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("Server"), NULL,
      offsetof(wd_http_headers_out_t, server),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("Last-Modified"), NULL, 0,
      wd_http_upstream_copy_last_modified, 0, 0 },
    { wd_string("Location"), NULL, 0, wd_http_upstream_copy_location, 0, 1 },
    { wd_string("Refresh"), NULL,
      offsetof(wd_http_headers_out_t, refresh),
      wd_http_upstream_copy_location, 0, 1 },
    { wd_string("Set-Cookie"), NULL, 0, wd_http_upstream_copy_set_cookie,
      0, 0 },
    { wd_string("Content-Encoding"), NULL,
      offsetof(wd_http_headers_out_t, content_encoding),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("Accept-Ranges"), NULL,
      offsetof(wd_http_headers_out_t, accept_ranges),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("Content-Range"), NULL,
      offsetof(wd_http_headers_out_t, content_range),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("ETag"), NULL,
      offsetof(wd_http_headers_out_t, etag),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("Expires"), NULL,
      offsetof(wd_http_headers_out_t, expires),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("Cache-Control"), NULL,
      offsetof(wd_http_headers_out_t, cache_control),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("WWW-Authenticate"), NULL,
      offsetof(wd_http_headers_out_t, www_authenticate),
      wd_http_upstream_copy_header, 0, 0 },
    { wd_string("Connection"), NULL, 0, wd_http_upstream_skip_header, 0, 0 },
    { wd_string("Keep-Alive"), NULL, 0, wd_http_upstream_skip_header, 0, 0 },
    { wd_string("Transfer-Encoding"), NULL, 0, wd_http_upstream_skip_header,
      0, 0 },
    { wd_string("Upgrade"), NULL, 0, wd_http_upstream_skip_header, 0, 0 },
    { wd_string("Proxy-Connection"), NULL, 0, wd_http_upstream_skip_header,
      0, 0 },
    { wd_string("Trailer"), NULL, 0, wd_http_upstream_skip_header, 0, 0 },
    { wd_string("TE"), NULL, 0, wd_http_upstream_skip_header, 0, 0 },
    { wd_null_string, NULL, 0, NULL, 0, 0 }
};

static wd_command_t wd_http_upstream_commands[] = {

    { wd_string("upstream"),
      WD_HTTP_MAIN_CONF | WD_CONF_BLOCK | WD_CONF_TAKE1,
      wd_http_upstream,
      0,
      0,
      NULL },

    { wd_string("server"),
      WD_HTTP_UPS_CONF | WD_CONF_1MORE,
      wd_http_upstream_server,
      WD_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_upstream_module_ctx = {
    wd_http_upstream_add_variables,
    NULL,
    wd_http_upstream_create_main_conf,
    wd_http_upstream_init_main_conf,
    NULL, NULL, NULL, NULL
};

wd_module_t wd_http_upstream_module = {
    WD_MODULE_V1,
    &wd_http_upstream_module_ctx,
    wd_http_upstream_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

wd_conf_bitmask_t wd_http_upstream_ignore_headers_masks[] = {
    { wd_string("X-Accel-Redirect"), WD_HTTP_UPSTREAM_IGN_XA_REDIRECT },
    { wd_string("X-Accel-Expires"), WD_HTTP_UPSTREAM_IGN_XA_EXPIRES },
    { wd_string("X-Accel-Limit-Rate"), WD_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE },
    { wd_string("X-Accel-Buffering"), WD_HTTP_UPSTREAM_IGN_XA_BUFFERING },
    { wd_string("X-Accel-Charset"), WD_HTTP_UPSTREAM_IGN_XA_CHARSET },
    { wd_string("Expires"), WD_HTTP_UPSTREAM_IGN_EXPIRES },
    { wd_string("Cache-Control"), WD_HTTP_UPSTREAM_IGN_CACHE_CONTROL },
    { wd_string("Set-Cookie"), WD_HTTP_UPSTREAM_IGN_SET_COOKIE },
    { wd_string("Vary"), WD_HTTP_UPSTREAM_IGN_VARY },
    { wd_null_string, 0 }
};

/* ---- configuration ------------------------------------------------- */

static void *
wd_http_upstream_create_main_conf(wd_conf_t *cf)
{
    wd_http_upstream_main_conf_t *umcf;

    umcf = wd_pcalloc(cf->pool, sizeof(wd_http_upstream_main_conf_t));

    if (umcf == NULL) {
        return NULL;
    }

    if (wd_array_init(&umcf->upstreams, cf->pool, 4,
                      sizeof(wd_http_upstream_srv_conf_t *)) != WD_OK)
    {
        return NULL;
    }

    return umcf;
}

static char *
wd_http_upstream_init_main_conf(wd_conf_t *cf, void *conf)
{
    wd_http_upstream_main_conf_t *umcf = conf;

    wd_uint_t i, n;
    wd_hash_key_t *keys;
    wd_http_upstream_header_t *header;
    wd_http_upstream_srv_conf_t **uscfp;
    wd_http_upstream_init_pt init;

    uscfp = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        init = uscfp[i]->peer.init_upstream
                   ? uscfp[i]->peer.init_upstream
                   : wd_http_upstream_init_round_robin;

        if (init(cf, uscfp[i]) != WD_OK) {
            return WD_CONF_ERROR;
        }
    }

    for (n = 0; wd_http_upstream_headers_in[n].name.len; n++) {
        /* void */
    }

    keys = wd_palloc(cf->pool, n * sizeof(wd_hash_key_t));

    if (keys == NULL) {
        return WD_CONF_ERROR;
    }

    for (i = 0; i < n; i++) {
        header = &wd_http_upstream_headers_in[i];

        keys[i].key.len = header->name.len;
        keys[i].key.data = wd_pnalloc(cf->pool, header->name.len);

        if (keys[i].key.data == NULL) {
            return WD_CONF_ERROR;
        }

        keys[i].key_hash = wd_hash_strlow(keys[i].key.data, header->name.data,
                                          header->name.len);
        keys[i].value = header;
    }

    if (wd_hash_init(&umcf->headers_in_hash, cf->pool, keys, n) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

/* upstream NAME { ... } */
static char *
wd_http_upstream(wd_conf_t *cf, wd_command_t *cmd, void *dummy)
{
    char *rv;
    void *mconf;
    wd_str_t *value;
    wd_url_t u;
    wd_uint_t m;
    wd_conf_t pcf;
    wd_http_module_t *module;
    wd_http_conf_ctx_t *ctx, *http_ctx;
    wd_http_upstream_srv_conf_t *uscf;

    (void) cmd;
    (void) dummy;

    value = cf->args->elts;

    wd_memzero(&u, sizeof(wd_url_t));
    u.host = value[1];
    u.no_resolve = 1;
    u.no_port = 1;

    uscf = wd_http_upstream_add(cf, &u,
                                WD_HTTP_UPSTREAM_CREATE
                                | WD_HTTP_UPSTREAM_WEIGHT
                                | WD_HTTP_UPSTREAM_MAX_CONNS
                                | WD_HTTP_UPSTREAM_MAX_FAILS
                                | WD_HTTP_UPSTREAM_FAIL_TIMEOUT
                                | WD_HTTP_UPSTREAM_DOWN
                                | WD_HTTP_UPSTREAM_BACKUP);

    if (uscf == NULL) {
        return WD_CONF_ERROR;
    }

    ctx = wd_pcalloc(cf->pool, sizeof(wd_http_conf_ctx_t));

    if (ctx == NULL) {
        return WD_CONF_ERROR;
    }

    http_ctx = cf->ctx;
    ctx->main_conf = http_ctx->main_conf;

    ctx->srv_conf = wd_pcalloc(cf->pool, sizeof(void *) * wd_http_max_module);
    ctx->loc_conf = wd_pcalloc(cf->pool, sizeof(void *) * wd_http_max_module);

    if (ctx->srv_conf == NULL || ctx->loc_conf == NULL) {
        return WD_CONF_ERROR;
    }

    ctx->srv_conf[wd_http_upstream_module.ctx_index] = uscf;
    uscf->srv_conf = ctx->srv_conf;

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (cf->cycle->modules[m]->type != WD_HTTP_MODULE) {
            continue;
        }

        module = cf->cycle->modules[m]->ctx;

        if (module->create_srv_conf) {
            mconf = module->create_srv_conf(cf);

            if (mconf == NULL) {
                return WD_CONF_ERROR;
            }

            ctx->srv_conf[cf->cycle->modules[m]->ctx_index] = mconf;
        }

        if (module->create_loc_conf) {
            mconf = module->create_loc_conf(cf);

            if (mconf == NULL) {
                return WD_CONF_ERROR;
            }

            ctx->loc_conf[cf->cycle->modules[m]->ctx_index] = mconf;
        }
    }

    uscf->servers = wd_array_create(cf->pool, 4,
                                    sizeof(wd_http_upstream_server_t));

    if (uscf->servers == NULL) {
        return WD_CONF_ERROR;
    }

    pcf = *cf;
    cf->ctx = ctx;
    cf->cmd_type = WD_HTTP_UPS_CONF;

    rv = wd_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv != WD_CONF_OK) {
        return rv;
    }

    if (uscf->servers->nelts == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "no servers are inside upstream");
        return WD_CONF_ERROR;
    }

    return rv;
}

/* A number after "name=" in a server parameter, or -1. */
static wd_int_t
wd_http_upstream_param(wd_str_t *arg, size_t skip)
{
    return wd_atoi(arg->data + skip, arg->len - skip);
}

/* server ADDRESS [weight=N] [max_conns=N] [max_fails=N]
 *     [fail_timeout=TIME] [backup] [down] */
static char *
wd_http_upstream_server(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_upstream_srv_conf_t *uscf = conf;

    time_t fail_timeout;
    wd_str_t *value, s;
    wd_url_t u;
    wd_int_t weight, max_fails, max_conns;
    wd_uint_t i;
    wd_http_upstream_server_t *us;

    (void) cmd;

    us = wd_array_push(uscf->servers);

    if (us == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(us, sizeof(wd_http_upstream_server_t));

    value = cf->args->elts;

    weight = 1;
    max_fails = 1;
    max_conns = 0;
    fail_timeout = 10;

    for (i = 2; i < cf->args->nelts; i++) {

        if (wd_strncmp(value[i].data, "weight=", 7) == 0) {
            if (!(uscf->flags & WD_HTTP_UPSTREAM_WEIGHT)) {
                goto not_supported;
            }

            weight = wd_http_upstream_param(&value[i], 7);

            if (weight == WD_ERROR || weight == 0) {
                goto invalid;
            }

            continue;
        }

        if (wd_strncmp(value[i].data, "max_conns=", 10) == 0) {
            if (!(uscf->flags & WD_HTTP_UPSTREAM_MAX_CONNS)) {
                goto not_supported;
            }

            max_conns = wd_http_upstream_param(&value[i], 10);

            if (max_conns == WD_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (wd_strncmp(value[i].data, "max_fails=", 10) == 0) {
            if (!(uscf->flags & WD_HTTP_UPSTREAM_MAX_FAILS)) {
                goto not_supported;
            }

            max_fails = wd_http_upstream_param(&value[i], 10);

            if (max_fails == WD_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (wd_strncmp(value[i].data, "fail_timeout=", 13) == 0) {
            if (!(uscf->flags & WD_HTTP_UPSTREAM_FAIL_TIMEOUT)) {
                goto not_supported;
            }

            s.len = value[i].len - 13;
            s.data = &value[i].data[13];

            fail_timeout = wd_parse_time(&s, 1);

            if (fail_timeout == (time_t) WD_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (wd_str_eq(&value[i], "backup")) {
            if (!(uscf->flags & WD_HTTP_UPSTREAM_BACKUP)) {
                goto not_supported;
            }

            us->backup = 1;
            continue;
        }

        if (wd_str_eq(&value[i], "down")) {
            if (!(uscf->flags & WD_HTTP_UPSTREAM_DOWN)) {
                goto not_supported;
            }

            us->down = 1;
            continue;
        }

        goto invalid;
    }

    wd_memzero(&u, sizeof(wd_url_t));

    u.url = value[1];
    u.default_port = 80;

    if (wd_parse_url(cf->pool, &u) != WD_OK) {
        if (u.err) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "%s in upstream \"%.*s\"",
                              u.err, wd_str_fmt(&u.url));
        }

        return WD_CONF_ERROR;
    }

    us->name = u.url;
    us->addrs = u.addrs;
    us->naddrs = u.naddrs;
    us->weight = (wd_uint_t) weight;
    us->max_fails = (wd_uint_t) max_fails;
    us->max_conns = (wd_uint_t) max_conns;
    us->fail_timeout = fail_timeout;

    return WD_CONF_OK;

invalid:

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                      wd_str_fmt(&value[i]));

    return WD_CONF_ERROR;

not_supported:

    wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                      "balancing method does not support parameter \"%.*s\"",
                      wd_str_fmt(&value[i]));

    return WD_CONF_ERROR;
}

wd_http_upstream_srv_conf_t *
wd_http_upstream_add(wd_conf_t *cf, wd_url_t *u, wd_uint_t flags)
{
    wd_uint_t i;
    wd_http_upstream_server_t *us;
    wd_http_upstream_srv_conf_t *uscf, **uscfp;
    wd_http_upstream_main_conf_t *umcf;

    if (!(flags & WD_HTTP_UPSTREAM_CREATE)) {
        if (wd_parse_url(cf->pool, u) != WD_OK) {
            if (u->err) {
                wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                                  "%s in upstream \"%.*s\"", u->err,
                                  wd_str_fmt(&u->url));
            }

            return NULL;
        }
    }

    umcf = wd_http_conf_get_module_main_conf(cf, wd_http_upstream_module);
    uscfp = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        if (uscfp[i]->host.len != u->host.len
            || wd_strncasecmp(uscfp[i]->host.data, u->host.data, u->host.len)
                   != 0)
        {
            continue;
        }

        if ((flags & WD_HTTP_UPSTREAM_CREATE)
            && (uscfp[i]->flags & WD_HTTP_UPSTREAM_CREATE))
        {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "duplicate upstream \"%.*s\"",
                              wd_str_fmt(&u->host));
            return NULL;
        }

        if ((uscfp[i]->flags & WD_HTTP_UPSTREAM_CREATE) && !u->no_port) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "upstream \"%.*s\" may not have port %u",
                              wd_str_fmt(&u->host), (unsigned) u->port);
            return NULL;
        }

        if ((flags & WD_HTTP_UPSTREAM_CREATE) && !uscfp[i]->no_port) {
            wd_log_error(WD_LOG_EMERG, cf->log, 0,
                         "upstream \"%.*s\" may not have port %u in %s:%lu",
                         wd_str_fmt(&u->host), (unsigned) uscfp[i]->port,
                         uscfp[i]->file_name, (unsigned long) uscfp[i]->line);
            return NULL;
        }

        if (uscfp[i]->port && u->port && uscfp[i]->port != u->port) {
            continue;
        }

        if (flags & WD_HTTP_UPSTREAM_CREATE) {
            /* proxy_pass named it before the block came */
            uscfp[i]->flags = flags;
            uscfp[i]->port = 0;
        }

        return uscfp[i];
    }

    uscf = wd_pcalloc(cf->pool, sizeof(wd_http_upstream_srv_conf_t));

    if (uscf == NULL) {
        return NULL;
    }

    uscf->flags = flags;
    uscf->host = u->host;
    uscf->file_name = (u_char *) cf->conf_file->name.data;
    uscf->line = cf->conf_file->line;
    uscf->port = u->port;
    uscf->no_port = u->no_port;

    if (!(flags & WD_HTTP_UPSTREAM_CREATE) && u->naddrs) {
        /* proxy_pass http://host:port: a group of one server line with
         * every address of the host */
        uscf->servers = wd_array_create(cf->pool, 1,
                                        sizeof(wd_http_upstream_server_t));

        if (uscf->servers == NULL) {
            return NULL;
        }

        us = wd_array_push(uscf->servers);

        if (us == NULL) {
            return NULL;
        }

        wd_memzero(us, sizeof(wd_http_upstream_server_t));

        us->addrs = u->addrs;
        us->naddrs = u->naddrs;
        us->weight = 1;
        us->max_fails = 1;
        us->fail_timeout = 10;
        us->name = u->url;
    }

    uscfp = wd_array_push(&umcf->upstreams);

    if (uscfp == NULL) {
        return NULL;
    }

    *uscfp = uscf;

    return uscf;
}

wd_http_upstream_srv_conf_t *
wd_http_upstream_set_balancer(wd_conf_t *cf, wd_http_upstream_init_pt init,
    wd_uint_t backup)
{
    wd_http_upstream_srv_conf_t *uscf;

    uscf = wd_http_conf_get_module_srv_conf(cf, wd_http_upstream_module);

    if (uscf->peer.init_upstream) {
        wd_conf_log_error(WD_LOG_WARN, cf, 0,
                          "load balancing method redefined");
    }

    uscf->peer.init_upstream = init;

    uscf->flags = WD_HTTP_UPSTREAM_CREATE
                  | WD_HTTP_UPSTREAM_WEIGHT
                  | WD_HTTP_UPSTREAM_MAX_CONNS
                  | WD_HTTP_UPSTREAM_MAX_FAILS
                  | WD_HTTP_UPSTREAM_FAIL_TIMEOUT
                  | WD_HTTP_UPSTREAM_DOWN
                  | (backup ? WD_HTTP_UPSTREAM_BACKUP : 0);

    return uscf;
}

/* proxy_bind address [transparent] | off */
char *
wd_http_upstream_bind_set_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *p = conf;

    wd_str_t *value;
    wd_addr_t *addr;
    wd_http_upstream_local_t *local, **plocal;
    wd_http_compile_complex_value_t ccv;

    plocal = (wd_http_upstream_local_t **) (p + cmd->offset);

    if (*plocal != WD_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && wd_str_eq(&value[1], "off")) {
        *plocal = NULL;
        return WD_CONF_OK;
    }

    local = wd_pcalloc(cf->pool, sizeof(wd_http_upstream_local_t));

    if (local == NULL) {
        return WD_CONF_ERROR;
    }

    *plocal = local;

    if (wd_http_script_variables_count(&value[1])) {
        local->value = wd_palloc(cf->pool, sizeof(wd_http_complex_value_t));

        if (local->value == NULL) {
            return WD_CONF_ERROR;
        }

        wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[1];
        ccv.complex_value = local->value;

        if (wd_http_compile_complex_value(&ccv) != WD_OK) {
            return WD_CONF_ERROR;
        }

    } else {
        addr = wd_palloc(cf->pool, sizeof(wd_addr_t));

        if (addr == NULL) {
            return WD_CONF_ERROR;
        }

        if (wd_parse_addr(cf->pool, addr, value[1].data, value[1].len)
            != WD_OK)
        {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid address \"%.*s\"",
                              wd_str_fmt(&value[1]));
            return WD_CONF_ERROR;
        }

        addr->name = value[1];
        local->addr = addr;
    }

    if (cf->args->nelts > 2) {
        if (wd_str_eq(&value[2], "transparent")) {
            local->transparent = 1;

        } else {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid parameter \"%.*s\"",
                              wd_str_fmt(&value[2]));
            return WD_CONF_ERROR;
        }
    }

    return WD_CONF_OK;
}

wd_int_t
wd_http_upstream_hide_headers_hash(wd_conf_t *cf,
    wd_http_upstream_conf_t *conf, wd_http_upstream_conf_t *prev,
    wd_str_t *default_hide_headers)
{
    wd_str_t *h, *pass;
    wd_uint_t i, j, n, np;
    wd_array_t keys;
    wd_hash_key_t *hk;

    if (conf->hide_headers == WD_CONF_UNSET_PTR
        && conf->pass_headers == WD_CONF_UNSET_PTR)
    {
        conf->hide_headers = prev->hide_headers;
        conf->pass_headers = prev->pass_headers;
        conf->hide_headers_hash = prev->hide_headers_hash;

        if (conf->hide_headers_hash.buckets) {
            return WD_OK;
        }

    } else {
        if (conf->hide_headers == WD_CONF_UNSET_PTR) {
            conf->hide_headers = prev->hide_headers;
        }

        if (conf->pass_headers == WD_CONF_UNSET_PTR) {
            conf->pass_headers = prev->pass_headers;
        }
    }

    if (wd_array_init(&keys, cf->temp_pool ? cf->temp_pool : cf->pool, 8,
                      sizeof(wd_hash_key_t)) != WD_OK)
    {
        return WD_ERROR;
    }

    pass = (conf->pass_headers && conf->pass_headers != WD_CONF_UNSET_PTR)
               ? conf->pass_headers->elts : NULL;
    np = pass ? conf->pass_headers->nelts : 0;

    for (n = 0; n < 2; n++) {
        wd_array_t *list;

        if (n == 0) {
            h = default_hide_headers;

            for (i = 0; h[i].len; i++) { /* void */ }

            j = i;

        } else {
            list = conf->hide_headers;

            if (list == NULL || list == WD_CONF_UNSET_PTR) {
                break;
            }

            h = list->elts;
            j = list->nelts;
        }

        for (i = 0; i < j; i++) {
            wd_uint_t k, skip = 0;

            for (k = 0; k < np; k++) {
                if (h[i].len == pass[k].len
                    && wd_strncasecmp(h[i].data, pass[k].data, h[i].len) == 0)
                {
                    skip = 1;
                    break;
                }
            }

            if (skip) {
                continue;
            }

            hk = wd_array_push(&keys);

            if (hk == NULL) {
                return WD_ERROR;
            }

            hk->key.len = h[i].len;
            hk->key.data = wd_pnalloc(cf->pool, h[i].len);

            if (hk->key.data == NULL) {
                return WD_ERROR;
            }

            hk->key_hash = wd_hash_strlow(hk->key.data, h[i].data, h[i].len);
            hk->value = (void *) 1;
        }
    }

    return wd_hash_init(&conf->hide_headers_hash, cf->pool, keys.elts,
                        keys.nelts);
}

/* ---- the response header -------------------------------------------- */

static wd_table_elt_t *
wd_http_upstream_push_header(wd_http_request_t *r, wd_table_elt_t *h)
{
    wd_table_elt_t *ho;

    ho = wd_list_push(&r->headers_out.headers);

    if (ho == NULL) {
        return NULL;
    }

    *ho = *h;
    ho->next = NULL;

    return ho;
}

static wd_int_t
wd_http_upstream_copy_header(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    wd_table_elt_t *ho, **ph;

    ho = wd_http_upstream_push_header(r, h);

    if (ho == NULL) {
        return WD_ERROR;
    }

    if (offset) {
        ph = (wd_table_elt_t **) ((char *) &r->headers_out + offset);

        if (*ph == NULL) {
            *ph = ho;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_http_upstream_skip_header(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    (void) r;
    (void) h;
    (void) offset;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_copy_content_type(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    (void) offset;

    r->headers_out.content_type = h->value;
    r->headers_out.content_type_len = h->value.len;
    r->headers_out.content_type_lowcase = NULL;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_copy_last_modified(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    wd_table_elt_t *ho;

    (void) offset;

    ho = wd_http_upstream_push_header(r, h);

    if (ho == NULL) {
        return WD_ERROR;
    }

    r->headers_out.last_modified = ho;
    r->headers_out.last_modified_time = -1;

    /* the time is needed only to answer a conditional request */
    if (r->headers_in.if_modified_since || r->headers_in.if_unmodified_since
        || r->headers_in.if_range)
    {
        r->headers_out.last_modified_time = wd_parse_http_time(h->value.data,
                                                               h->value.len);
    }

    return WD_OK;
}

static wd_int_t
wd_http_upstream_copy_location(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    wd_int_t rc;
    wd_table_elt_t *ho;
    wd_http_upstream_t *u;

    u = r->upstream;

    ho = wd_http_upstream_push_header(r, h);

    if (ho == NULL) {
        return WD_ERROR;
    }

    rc = WD_DECLINED;

    if (u->rewrite_redirect) {
        if (offset) {
            /* "Refresh: 5; url=http://...": the URL after "url=" */
            u_char *p = wd_strlcasestrn(ho->value.data,
                                        ho->value.data + ho->value.len,
                                        (u_char *) "url=", 4 - 1);

            rc = p ? u->rewrite_redirect(r, ho,
                                         (size_t) (p + 4 - ho->value.data))
                   : WD_DECLINED;
        } else {
            rc = u->rewrite_redirect(r, ho, 0);
        }

        if (rc == WD_ERROR) {
            return WD_ERROR;
        }
    }

    if (offset) {
        r->headers_out.refresh = ho;

    } else if (rc == WD_OK
               || (ho->value.len && ho->value.data[0] != '/'))
    {
        /* a relative Location from the upstream is not made absolute;
         * one that proxy_redirect rewrote is, as nginx */
        r->headers_out.location = ho;
    }

    return WD_OK;
}

static wd_int_t
wd_http_upstream_copy_set_cookie(wd_http_request_t *r, wd_table_elt_t *h,
    wd_uint_t offset)
{
    wd_table_elt_t *ho;
    wd_http_upstream_t *u;

    (void) offset;

    u = r->upstream;

    ho = wd_http_upstream_push_header(r, h);

    if (ho == NULL) {
        return WD_ERROR;
    }

    if (u->rewrite_cookie && u->rewrite_cookie(r, ho) == WD_ERROR) {
        return WD_ERROR;
    }

    return WD_OK;
}

void
wd_http_upstream_copy_www_authenticate(wd_http_request_t *r,
    wd_http_upstream_t *u)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_table_elt_t *h, *ho;

    part = &u->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("WWW-Authenticate") - 1
            && wd_strncasecmp(h[i].key.data, (u_char *) "WWW-Authenticate",
                              h[i].key.len) == 0)
        {
            ho = wd_http_upstream_push_header(r, &h[i]);

            if (ho && r->headers_out.www_authenticate == NULL) {
                r->headers_out.www_authenticate = ho;
            }
        }
    }
}

wd_int_t
wd_http_upstream_copy_redirect_headers(wd_http_request_t *r,
    wd_http_upstream_t *u)
{
    wd_uint_t i;
    wd_str_t *k;
    wd_list_part_t *part;
    wd_table_elt_t *h;
    wd_http_upstream_header_t *hh;
    wd_http_upstream_main_conf_t *umcf;

    /* what nginx keeps: the rest describes the upstream's own response */
    static wd_str_t keep[] = {
        wd_string("Content-Type"),
        wd_string("Set-Cookie"),
        wd_string("Content-Disposition"),
        wd_string("Cache-Control"),
        wd_string("Expires"),
        wd_string("Accept-Ranges"),
        wd_null_string
    };

    umcf = wd_http_get_module_main_conf(r, wd_http_upstream_module);

    part = &u->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        for (k = keep; k->len; k++) {
            if (h[i].key.len == k->len
                && wd_strncasecmp(h[i].key.data, k->data, k->len) == 0)
            {
                break;
            }
        }

        if (h[i].hash == 0 || k->len == 0) {
            continue;
        }

        hh = wd_hash_find(&umcf->headers_in_hash, h[i].hash,
                          h[i].lowcase_key, h[i].key.len);

        if (hh ? hh->copy_handler(r, &h[i], hh->offset) != WD_OK
               : wd_http_upstream_push_header(r, &h[i]) == NULL)
        {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

wd_int_t
wd_http_upstream_process_headers(wd_http_request_t *r, wd_http_upstream_t *u)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_table_elt_t *h;
    wd_http_upstream_header_t *hh;
    wd_http_upstream_main_conf_t *umcf;

    umcf = wd_http_get_module_main_conf(r, wd_http_upstream_module);

    part = &u->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0) {
            continue;
        }

        if (wd_hash_find(&u->conf->hide_headers_hash, h[i].hash,
                         h[i].lowcase_key, h[i].key.len))
        {
            continue;
        }

        hh = wd_hash_find(&umcf->headers_in_hash, h[i].hash,
                          h[i].lowcase_key, h[i].key.len);

        if (hh) {
            if (u->upgrade && hh->name.len == sizeof("Upgrade") - 1
                && wd_strncasecmp(hh->name.data, (u_char *) "Upgrade", 7)
                       == 0)
            {
                /* a 101 names the protocol the tunnel carries */
                if (wd_http_upstream_push_header(r, &h[i]) == NULL) {
                    return WD_HTTP_INTERNAL_SERVER_ERROR;
                }

                continue;
            }

            if (hh->copy_handler(r, &h[i], hh->offset) != WD_OK) {
                return WD_HTTP_INTERNAL_SERVER_ERROR;
            }

            continue;
        }

        if (wd_http_upstream_push_header(r, &h[i]) == NULL) {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    r->headers_out.status = u->headers_in.status_n;
    r->headers_out.status_line = u->headers_in.status_line;
    r->headers_out.content_length_n = u->headers_in.content_length_n;

    r->disable_not_modified = 1;

    if (u->headers_in.x_accel_limit_rate
        && !(u->conf->ignore_headers & WD_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE))
    {
        wd_int_t n = wd_atoi(u->headers_in.x_accel_limit_rate->value.data,
                             u->headers_in.x_accel_limit_rate->value.len);

        if (n != WD_ERROR) {
            r->limit_rate = (size_t) n;
            r->limit_rate_set = 1;

        } else if (wd_str_eq(&u->headers_in.x_accel_limit_rate->value,
                             "off"))
        {
            r->limit_rate = 0;
            r->limit_rate_set = 1;
        }
    }

    if (u->headers_in.x_accel_buffering
        && !(u->conf->ignore_headers & WD_HTTP_UPSTREAM_IGN_XA_BUFFERING))
    {
        if (wd_str_caseeq(&u->headers_in.x_accel_buffering->value, "yes")) {
            u->buffering = 1;

        } else if (wd_str_caseeq(&u->headers_in.x_accel_buffering->value,
                                 "no"))
        {
            u->buffering = 0;
        }
    }

    if (u->conf->force_ranges == 1) {
        r->allow_ranges = 1;
        r->single_range = 1;
    }

    return WD_OK;
}

/* ---- variables ------------------------------------------------------ */

#define WD_UPSTREAM_VAR_ADDR 0
#define WD_UPSTREAM_VAR_STATUS 1
#define WD_UPSTREAM_VAR_RESPONSE_TIME 2
#define WD_UPSTREAM_VAR_CONNECT_TIME 3
#define WD_UPSTREAM_VAR_HEADER_TIME 4
#define WD_UPSTREAM_VAR_RESPONSE_LENGTH 5
#define WD_UPSTREAM_VAR_BYTES_RECEIVED 6
#define WD_UPSTREAM_VAR_BYTES_SENT 7

/* One state's part of a variable, written at p. */
static u_char *
wd_http_upstream_state_text(u_char *p, wd_http_upstream_state_t *st,
    uintptr_t what)
{
    wd_msec_t ms;

    switch (what) {

    case WD_UPSTREAM_VAR_ADDR:
        if (st->peer) {
            return wd_cpymem(p, st->peer->data, st->peer->len);
        }

        *p++ = '-';
        return p;

    case WD_UPSTREAM_VAR_STATUS:
        if (st->status) {
            return wd_sprint_uint(p, st->status);
        }

        *p++ = '-';
        return p;

    case WD_UPSTREAM_VAR_RESPONSE_TIME:
    case WD_UPSTREAM_VAR_CONNECT_TIME:
    case WD_UPSTREAM_VAR_HEADER_TIME:
        ms = (what == WD_UPSTREAM_VAR_RESPONSE_TIME) ? st->response_time
             : (what == WD_UPSTREAM_VAR_CONNECT_TIME) ? st->connect_time
                                                      : st->header_time;

        if (ms == (wd_msec_t) -1) {
            *p++ = '-';
            return p;
        }

        p = wd_sprint_uint(p, ms / 1000);
        *p++ = '.';
        ms %= 1000;
        *p++ = (u_char) ('0' + ms / 100);
        *p++ = (u_char) ('0' + ms / 10 % 10);
        *p++ = (u_char) ('0' + ms % 10);
        return p;

    case WD_UPSTREAM_VAR_RESPONSE_LENGTH:
        return wd_sprint_int(p, st->response_length);

    case WD_UPSTREAM_VAR_BYTES_RECEIVED:
        return wd_sprint_int(p, st->bytes_received);

    default:
        return wd_sprint_int(p, st->bytes_sent);
    }
}

/* Each try's value, ", " between tries. */
static wd_int_t
wd_http_upstream_state_variable(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    u_char *p;
    size_t len;
    wd_uint_t i;
    wd_http_upstream_state_t *st;

    if (r->upstream_states == NULL || r->upstream_states->nelts == 0) {
        v->not_found = 1;
        return WD_OK;
    }

    st = r->upstream_states->elts;
    len = 0;

    for (i = 0; i < r->upstream_states->nelts; i++) {
        len += (st[i].peer ? st[i].peer->len : 0) + WD_OFF_T_LEN + 4 + 2;
    }

    p = wd_pnalloc(r->pool, len);

    if (p == NULL) {
        return WD_ERROR;
    }

    v->data = p;

    for (i = 0; i < r->upstream_states->nelts; i++) {
        if (i) {
            *p++ = ',';
            *p++ = ' ';
        }

        p = wd_http_upstream_state_text(p, &st[i], data);
    }

    v->len = p - v->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_header_variable(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_http_upstream_t *u = r->upstream;

    if (u == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_unknown_header(r, v, (wd_str_t *) data,
                                           &u->headers_in.headers.part,
                                           sizeof("upstream_http_") - 1);
}

static wd_int_t
wd_http_upstream_trailer_variable(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    wd_http_upstream_t *u = r->upstream;

    if (u == NULL) {
        v->not_found = 1;
        return WD_OK;
    }

    return wd_http_variable_unknown_header(r, v, (wd_str_t *) data,
                                           &u->headers_in.trailers.part,
                                           sizeof("upstream_trailer_") - 1);
}

static wd_http_variable_t wd_http_upstream_vars[] = {
    { wd_string("upstream_addr"), NULL, wd_http_upstream_state_variable,
      WD_UPSTREAM_VAR_ADDR, WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("upstream_status"), NULL, wd_http_upstream_state_variable,
      WD_UPSTREAM_VAR_STATUS, WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("upstream_response_time"), NULL,
      wd_http_upstream_state_variable, WD_UPSTREAM_VAR_RESPONSE_TIME,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("upstream_connect_time"), NULL,
      wd_http_upstream_state_variable, WD_UPSTREAM_VAR_CONNECT_TIME,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("upstream_header_time"), NULL,
      wd_http_upstream_state_variable, WD_UPSTREAM_VAR_HEADER_TIME,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("upstream_response_length"), NULL,
      wd_http_upstream_state_variable, WD_UPSTREAM_VAR_RESPONSE_LENGTH,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("upstream_bytes_received"), NULL,
      wd_http_upstream_state_variable, WD_UPSTREAM_VAR_BYTES_RECEIVED,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("upstream_bytes_sent"), NULL,
      wd_http_upstream_state_variable, WD_UPSTREAM_VAR_BYTES_SENT,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("upstream_http_"), NULL, wd_http_upstream_header_variable,
      0, WD_HTTP_VAR_NOCACHEABLE | WD_HTTP_VAR_PREFIX, 0 },
    { wd_string("upstream_trailer_"), NULL,
      wd_http_upstream_trailer_variable, 0,
      WD_HTTP_VAR_NOCACHEABLE | WD_HTTP_VAR_PREFIX, 0 },
    wd_http_null_variable
};

static wd_int_t
wd_http_upstream_add_variables(wd_conf_t *cf)
{
    wd_http_variable_t *var, *v;

    for (v = wd_http_upstream_vars; v->name.len; v++) {
        var = wd_http_add_variable(cf, &v->name, v->flags);

        if (var == NULL) {
            return WD_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return WD_OK;
}
