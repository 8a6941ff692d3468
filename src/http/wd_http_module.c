/*
 * The "http { }" block: creates every HTTP module's confs, reads the
 * block, merges server and location levels, builds the location tries,
 * the phase engine and the listening sockets.
 */

#include <wd_http.h>

static char *wd_http_block(wd_conf_t *cf, wd_command_t *cmd, void *conf);

wd_uint_t wd_http_max_module;

wd_http_output_header_filter_pt wd_http_top_header_filter;
wd_http_output_body_filter_pt wd_http_top_body_filter;
wd_http_request_body_filter_pt wd_http_top_request_body_filter;

wd_str_t wd_http_html_default_types[] = {
    wd_string("text/html"),
    wd_null_string
};

static wd_command_t wd_http_commands[] = {

    { wd_string("http"),
      WD_MAIN_CONF | WD_CONF_BLOCK | WD_CONF_NOARGS,
      wd_http_block,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_core_module_t wd_http_module_ctx = {
    wd_string("http"),
    NULL,
    NULL
};

wd_module_t wd_http_module = {
    WD_MODULE_V1,
    &wd_http_module_ctx,
    wd_http_commands,
    WD_CORE_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

wd_int_t wd_http_optimize_servers(wd_conf_t *cf,
    wd_http_core_main_conf_t *cmcf, wd_array_t *ports);

static wd_int_t
wd_http_create_confs(wd_conf_t *cf, wd_http_conf_ctx_t *ctx)
{
    wd_uint_t m, mi;
    wd_module_t **modules;
    wd_http_module_t *module;

    modules = cf->cycle->modules;

    for (m = 0; modules[m]; m++) {
        if (modules[m]->type != WD_HTTP_MODULE) {
            continue;
        }

        module = modules[m]->ctx;
        mi = modules[m]->ctx_index;

        if (module->create_main_conf) {
            ctx->main_conf[mi] = module->create_main_conf(cf);
            if (ctx->main_conf[mi] == NULL) {
                return WD_ERROR;
            }
        }

        if (module->create_srv_conf) {
            ctx->srv_conf[mi] = module->create_srv_conf(cf);
            if (ctx->srv_conf[mi] == NULL) {
                return WD_ERROR;
            }
        }

        if (module->create_loc_conf) {
            ctx->loc_conf[mi] = module->create_loc_conf(cf);
            if (ctx->loc_conf[mi] == NULL) {
                return WD_ERROR;
            }
        }
    }

    return WD_OK;
}

/* Calls one hook (preconfiguration or postconfiguration) of every HTTP
 * module. */
static wd_int_t
wd_http_run_hooks(wd_conf_t *cf, wd_uint_t post)
{
    wd_uint_t m;
    wd_module_t **modules;
    wd_http_module_t *module;
    wd_int_t (*hook)(wd_conf_t *cf);

    modules = cf->cycle->modules;

    for (m = 0; modules[m]; m++) {
        if (modules[m]->type != WD_HTTP_MODULE) {
            continue;
        }

        module = modules[m]->ctx;
        hook = post ? module->postconfiguration : module->preconfiguration;

        if (hook && hook(cf) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

/* Merges one module's location confs down a level's queue, recursively. */
static char *
wd_http_merge_locations(wd_conf_t *cf, wd_queue_t *locations,
    void **loc_conf, wd_http_module_t *module, wd_uint_t ctx_index)
{
    char *rv;
    wd_queue_t *q;
    wd_http_core_loc_conf_t *clcf;
    wd_http_location_queue_t *lq;

    if (locations == NULL) {
        return WD_CONF_OK;
    }

    for (q = wd_queue_head(locations); q != wd_queue_sentinel(locations);
         q = wd_queue_next(q))
    {
        lq = (wd_http_location_queue_t *) q;

        clcf = lq->exact ? lq->exact : lq->inclusive;

        rv = module->merge_loc_conf(cf, loc_conf[ctx_index],
                                    clcf->loc_conf[ctx_index]);

        if (rv != WD_CONF_OK) {
            return rv;
        }

        rv = wd_http_merge_locations(cf, clcf->locations, clcf->loc_conf,
                                     module, ctx_index);

        if (rv != WD_CONF_OK) {
            return rv;
        }
    }

    return WD_CONF_OK;
}

static char *
wd_http_merge_servers(wd_conf_t *cf, wd_http_core_main_conf_t *cmcf,
    wd_http_module_t *module, wd_uint_t ctx_index)
{
    char *rv;
    wd_uint_t s;
    wd_http_conf_ctx_t *ctx, saved;
    wd_http_core_loc_conf_t *clcf;
    wd_http_core_srv_conf_t **cscfp;

    cscfp = cmcf->servers.elts;
    ctx = (wd_http_conf_ctx_t *) cf->ctx;
    saved = *ctx;
    rv = WD_CONF_OK;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        /* merges see the server's confs as the current context */
        ctx->srv_conf = cscfp[s]->ctx->srv_conf;

        if (module->merge_srv_conf) {
            rv = module->merge_srv_conf(cf, saved.srv_conf[ctx_index],
                                        cscfp[s]->ctx->srv_conf[ctx_index]);
            if (rv != WD_CONF_OK) {
                goto failed;
            }
        }

        if (module->merge_loc_conf) {
            ctx->loc_conf = cscfp[s]->ctx->loc_conf;

            rv = module->merge_loc_conf(cf, saved.loc_conf[ctx_index],
                                        cscfp[s]->ctx->loc_conf[ctx_index]);
            if (rv != WD_CONF_OK) {
                goto failed;
            }

            clcf = cscfp[s]->ctx->loc_conf[wd_http_core_module.ctx_index];

            rv = wd_http_merge_locations(cf, clcf->locations,
                                         cscfp[s]->ctx->loc_conf, module,
                                         ctx_index);
            if (rv != WD_CONF_OK) {
                goto failed;
            }
        }
    }

failed:

    *ctx = saved;

    return rv;
}

static char *
wd_http_init_and_merge(wd_conf_t *cf, wd_http_conf_ctx_t *ctx,
    wd_http_core_main_conf_t *cmcf)
{
    char *rv;
    wd_uint_t m, mi;
    wd_module_t **modules;
    wd_http_module_t *module;

    modules = cf->cycle->modules;

    for (m = 0; modules[m]; m++) {
        if (modules[m]->type != WD_HTTP_MODULE) {
            continue;
        }

        module = modules[m]->ctx;
        mi = modules[m]->ctx_index;

        if (module->init_main_conf) {
            rv = module->init_main_conf(cf, ctx->main_conf[mi]);
            if (rv != WD_CONF_OK) {
                return rv;
            }
        }

        rv = wd_http_merge_servers(cf, cmcf, module, mi);

        if (rv != WD_CONF_OK) {
            return rv;
        }
    }

    return WD_CONF_OK;
}

static wd_int_t
wd_http_init_phases(wd_conf_t *cf, wd_http_core_main_conf_t *cmcf)
{
    wd_uint_t i;

    for (i = 0; i <= WD_HTTP_LOG_PHASE; i++) {
        if (wd_array_init(&cmcf->phases[i].handlers, cf->pool, 2,
                          sizeof(wd_http_handler_pt)) != WD_OK)
        {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_http_init_headers_in_hash(wd_conf_t *cf, wd_http_core_main_conf_t *cmcf)
{
    wd_uint_t n;
    wd_array_t headers_in;
    wd_hash_key_t *hk;
    wd_http_header_t *header;

    if (wd_array_init(&headers_in, cf->temp_pool, 32, sizeof(wd_hash_key_t))
        != WD_OK)
    {
        return WD_ERROR;
    }

    for (header = wd_http_headers_in; header->name.len; header++) {
        hk = wd_array_push(&headers_in);

        if (hk == NULL) {
            return WD_ERROR;
        }

        hk->key.len = header->name.len;
        hk->key.data = wd_pnalloc(cf->pool, header->name.len);

        if (hk->key.data == NULL) {
            return WD_ERROR;
        }

        hk->key_hash = wd_hash_strlow(hk->key.data, header->name.data,
                                      header->name.len);
        hk->value = header;
    }

    n = headers_in.nelts;

    return wd_hash_init(&cmcf->headers_in_hash, cf->pool, headers_in.elts, n);
}

/* The checker of each phase; the content phase's handlers and the
 * find-config/rewrite loop get their own. */
static wd_http_phase_handler_pt
wd_http_phase_checker(wd_uint_t phase)
{
    switch (phase) {
    case WD_HTTP_SERVER_REWRITE_PHASE:
    case WD_HTTP_REWRITE_PHASE:
        return wd_http_core_rewrite_phase;
    case WD_HTTP_ACCESS_PHASE:
        return wd_http_core_access_phase;
    case WD_HTTP_CONTENT_PHASE:
        return wd_http_core_content_phase;
    default:
        return wd_http_core_generic_phase;
    }
}

/*
 * Lays every phase's handlers out in one array; each knows the index of
 * the next phase's first handler, so a checker can skip the rest of its
 * phase.  find-config, post-rewrite and post-access are the core's own
 * single entries.
 */
static wd_int_t
wd_http_init_phase_handlers(wd_conf_t *cf, wd_http_core_main_conf_t *cmcf)
{
    wd_int_t j;
    wd_uint_t i, n, count, nh, find_config_index;
    wd_http_handler_pt *h;
    wd_http_phase_handler_t *ph;

    count = 3;  /* find config, post rewrite, post access */

    for (i = 0; i < WD_HTTP_LOG_PHASE; i++) {
        count += cmcf->phases[i].handlers.nelts;
    }

    ph = wd_pcalloc(cf->pool, (count + 1) * sizeof(wd_http_phase_handler_t));

    if (ph == NULL) {
        return WD_ERROR;
    }

    cmcf->phase_engine.handlers = ph;
    n = 0;
    find_config_index = 0;

    for (i = 0; i < WD_HTTP_LOG_PHASE; i++) {
        h = cmcf->phases[i].handlers.elts;
        nh = cmcf->phases[i].handlers.nelts;

        switch (i) {

        case WD_HTTP_SERVER_REWRITE_PHASE:
            cmcf->phase_engine.server_rewrite_index = n;
            break;

        case WD_HTTP_FIND_CONFIG_PHASE:
            find_config_index = n;
            ph->checker = wd_http_core_find_config_phase;
            n++;
            ph++;
            continue;

        case WD_HTTP_REWRITE_PHASE:
            cmcf->phase_engine.location_rewrite_index = n;
            break;

        case WD_HTTP_POST_REWRITE_PHASE:
            ph->checker = wd_http_core_post_rewrite_phase;
            ph->next = find_config_index;
            n++;
            ph++;
            continue;

        case WD_HTTP_POST_ACCESS_PHASE:
            ph->checker = wd_http_core_post_access_phase;
            ph->next = n;
            n++;
            ph++;
            continue;

        default:
            break;
        }

        /* handlers registered later run first, as in nginx */
        for (j = (wd_int_t) nh - 1; j >= 0; j--) {
            ph->checker = wd_http_phase_checker(i);
            ph->handler = h[j];
            ph->next = n + nh;
            ph++;
        }

        n += nh;
    }

    return WD_OK;
}

static wd_int_t
wd_http_init_all_locations(wd_conf_t *cf, wd_http_core_main_conf_t *cmcf)
{
    wd_uint_t s;
    wd_http_core_loc_conf_t *clcf;
    wd_http_core_srv_conf_t **cscfp;

    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        clcf = cscfp[s]->ctx->loc_conf[wd_http_core_module.ctx_index];

        if (wd_http_init_locations(cf, cscfp[s], clcf) != WD_OK) {
            return WD_ERROR;
        }

        if (wd_http_init_static_location_trees(cf, clcf) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

static char *
wd_http_block(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *rv;
    wd_conf_t pcf;
    wd_http_conf_ctx_t *ctx;
    wd_http_core_main_conf_t *cmcf;

    if (*(wd_http_conf_ctx_t **) conf) {
        return "is duplicate";
    }

    ctx = wd_pcalloc(cf->pool, sizeof(wd_http_conf_ctx_t));

    if (ctx == NULL) {
        return WD_CONF_ERROR;
    }

    *(wd_http_conf_ctx_t **) conf = ctx;

    wd_http_max_module = wd_count_modules(cf->cycle, WD_HTTP_MODULE);

    ctx->main_conf = wd_pcalloc(cf->pool, sizeof(void *) * wd_http_max_module);
    ctx->srv_conf = wd_pcalloc(cf->pool, sizeof(void *) * wd_http_max_module);
    ctx->loc_conf = wd_pcalloc(cf->pool, sizeof(void *) * wd_http_max_module);

    if (ctx->main_conf == NULL || ctx->srv_conf == NULL
        || ctx->loc_conf == NULL)
    {
        return WD_CONF_ERROR;
    }

    if (wd_http_create_confs(cf, ctx) != WD_OK) {
        return WD_CONF_ERROR;
    }

    pcf = *cf;
    cf->ctx = ctx;

    if (wd_http_run_hooks(cf, 0) != WD_OK) {
        return WD_CONF_ERROR;
    }

    cf->module_type = WD_HTTP_MODULE;
    cf->cmd_type = WD_HTTP_MAIN_CONF;

    rv = wd_conf_parse(cf, NULL);

    if (rv != WD_CONF_OK) {
        goto failed;
    }

    cmcf = ctx->main_conf[wd_http_core_module.ctx_index];

    rv = wd_http_init_and_merge(cf, ctx, cmcf);

    if (rv != WD_CONF_OK) {
        goto failed;
    }

    if (wd_http_init_all_locations(cf, cmcf) != WD_OK
        || wd_http_init_phases(cf, cmcf) != WD_OK
        || wd_http_init_headers_in_hash(cf, cmcf) != WD_OK
        || wd_http_run_hooks(cf, 1) != WD_OK
        || wd_http_variables_init_vars(cf) != WD_OK)
    {
        rv = WD_CONF_ERROR;
        goto failed;
    }

    /* the rest works on the http{} level's context */
    *cf = pcf;

    if (wd_http_init_phase_handlers(cf, cmcf) != WD_OK) {
        return WD_CONF_ERROR;
    }

    if (wd_http_optimize_servers(cf, cmcf, cmcf->ports) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;

failed:

    *cf = pcf;

    return rv;
}
