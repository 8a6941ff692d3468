/*
 * The HTTP core module: its directives and confs (server, location,
 * listen, server_name, root, alias, timeouts, buffers, keep-alive, ...).
 * The request-time logic is in wd_http_core_phases.c.
 */

#include <wd_http.h>

static wd_int_t wd_http_core_preconfiguration(wd_conf_t *cf);
static wd_int_t wd_http_core_postconfiguration(wd_conf_t *cf);
static void *wd_http_core_create_main_conf(wd_conf_t *cf);
static char *wd_http_core_init_main_conf(wd_conf_t *cf, void *conf);
static void *wd_http_core_create_srv_conf(wd_conf_t *cf);
static char *wd_http_core_merge_srv_conf(wd_conf_t *cf, void *parent,
    void *child);
static void *wd_http_core_create_loc_conf(wd_conf_t *cf);
static char *wd_http_core_merge_loc_conf(wd_conf_t *cf, void *parent,
    void *child);

static char *wd_http_core_server(wd_conf_t *cf, wd_command_t *cmd,
    void *dummy);
static char *wd_http_core_location(wd_conf_t *cf, wd_command_t *cmd,
    void *dummy);
static char *wd_http_core_types(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_type(wd_conf_t *cf, wd_command_t *dummy,
    void *conf);
static char *wd_http_core_listen(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_server_name(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_root(wd_conf_t *cf, wd_command_t *cmd, void *conf);
static char *wd_http_core_error_page(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_try_files(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_keepalive(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_internal(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_error_log(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_server_tokens(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_open_file_cache(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_disable_symlinks(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_directio(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_core_aio(wd_conf_t *cf, wd_command_t *cmd, void *conf);
static char *wd_http_core_lowat_check(wd_conf_t *cf, void *post, void *data);
static char *wd_http_core_pool_size(wd_conf_t *cf, void *post, void *data);

wd_int_t wd_http_add_listen(wd_conf_t *cf, wd_http_core_srv_conf_t *cscf,
    wd_http_listen_opt_t *lsopt);

static wd_conf_post_t wd_http_core_lowat_post = { wd_http_core_lowat_check };
static wd_conf_post_t wd_http_core_pool_size_p = { wd_http_core_pool_size };

static wd_conf_enum_t wd_http_core_satisfy[] = {
    { wd_string("all"), WD_HTTP_SATISFY_ALL },
    { wd_string("any"), WD_HTTP_SATISFY_ANY },
    { wd_null_string, 0 }
};

static wd_conf_enum_t wd_http_core_lingering_close[] = {
    { wd_string("off"), WD_HTTP_LINGERING_OFF },
    { wd_string("on"), WD_HTTP_LINGERING_ON },
    { wd_string("always"), WD_HTTP_LINGERING_ALWAYS },
    { wd_null_string, 0 }
};

static wd_conf_enum_t wd_http_core_if_modified_since[] = {
    { wd_string("off"), WD_HTTP_IMS_OFF },
    { wd_string("exact"), WD_HTTP_IMS_EXACT },
    { wd_string("before"), WD_HTTP_IMS_BEFORE },
    { wd_null_string, 0 }
};

static wd_conf_bitmask_t wd_http_core_keepalive_disable[] = {
    { wd_string("none"), WD_HTTP_KEEPALIVE_DISABLE_NONE },
    { wd_string("msie6"), WD_HTTP_KEEPALIVE_DISABLE_MSIE6 },
    { wd_string("safari"), WD_HTTP_KEEPALIVE_DISABLE_SAFARI },
    { wd_null_string, 0 }
};

static wd_conf_enum_t wd_http_core_client_body_in_file_only[] = {
    { wd_string("off"), 0 },
    { wd_string("on"), 1 },
    { wd_string("clean"), 2 },
    { wd_null_string, 0 }
};

static wd_path_init_t wd_http_client_temp_path = {
    wd_string(WD_HTTP_CLIENT_TEMP_PATH), { 0, 0, 0 }
};

#define WD_HTTP_ANY_LOC                                                        \
    (WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF)
#define WD_HTTP_ANY_SRV (WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF)
#define WD_HTTP_LOC WD_HTTP_LOC_CONF_OFFSET
#define WD_HTTP_SRV WD_HTTP_SRV_CONF_OFFSET
#define WD_HTTP_MAIN WD_HTTP_MAIN_CONF_OFFSET

#define wd_loc_slot(name, ctx, type, setter, field)                            \
    { wd_string(name), ctx | type, setter, WD_HTTP_LOC,                        \
      offsetof(wd_http_core_loc_conf_t, field), NULL }
#define wd_srv_slot(name, ctx, type, setter, field)                            \
    { wd_string(name), ctx | type, setter, WD_HTTP_SRV,                        \
      offsetof(wd_http_core_srv_conf_t, field), NULL }
#define wd_main_slot(name, type, setter, field)                                \
    { wd_string(name), WD_HTTP_MAIN_CONF | type, setter, WD_HTTP_MAIN,         \
      offsetof(wd_http_core_main_conf_t, field), NULL }

#define WD_LIF (WD_HTTP_ANY_LOC | WD_HTTP_LIF_CONF)

static wd_command_t wd_http_core_commands[] = {

    wd_main_slot("variables_hash_max_size", WD_CONF_TAKE1,
                 wd_conf_set_num_slot, variables_hash_max_size),
    wd_main_slot("variables_hash_bucket_size", WD_CONF_TAKE1,
                 wd_conf_set_num_slot, variables_hash_bucket_size),
    wd_main_slot("server_names_hash_max_size", WD_CONF_TAKE1,
                 wd_conf_set_num_slot, server_names_hash_max_size),
    wd_main_slot("server_names_hash_bucket_size", WD_CONF_TAKE1,
                 wd_conf_set_num_slot, server_names_hash_bucket_size),

    { wd_string("server"),
      WD_HTTP_MAIN_CONF | WD_CONF_BLOCK | WD_CONF_NOARGS,
      wd_http_core_server, 0, 0, NULL },

    { wd_string("connection_pool_size"),
      WD_HTTP_ANY_SRV | WD_CONF_TAKE1,
      wd_conf_set_size_slot, WD_HTTP_SRV,
      offsetof(wd_http_core_srv_conf_t, connection_pool_size),
      &wd_http_core_pool_size_p },

    { wd_string("request_pool_size"),
      WD_HTTP_ANY_SRV | WD_CONF_TAKE1,
      wd_conf_set_size_slot, WD_HTTP_SRV,
      offsetof(wd_http_core_srv_conf_t, request_pool_size),
      &wd_http_core_pool_size_p },

    wd_srv_slot("client_header_timeout", WD_HTTP_ANY_SRV, WD_CONF_TAKE1,
                wd_conf_set_msec_slot, client_header_timeout),
    wd_srv_slot("client_header_buffer_size", WD_HTTP_ANY_SRV, WD_CONF_TAKE1,
                wd_conf_set_size_slot, client_header_buffer_size),
    wd_srv_slot("large_client_header_buffers", WD_HTTP_ANY_SRV,
                WD_CONF_TAKE2, wd_conf_set_bufs_slot,
                large_client_header_buffers),
    wd_srv_slot("ignore_invalid_headers", WD_HTTP_ANY_SRV, WD_CONF_FLAG,
                wd_conf_set_flag_slot, ignore_invalid_headers),
    wd_srv_slot("merge_slashes", WD_HTTP_ANY_SRV, WD_CONF_FLAG,
                wd_conf_set_flag_slot, merge_slashes),
    wd_srv_slot("underscores_in_headers", WD_HTTP_ANY_SRV, WD_CONF_FLAG,
                wd_conf_set_flag_slot, underscores_in_headers),

    { wd_string("location"),
      WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_BLOCK | WD_CONF_TAKE12,
      wd_http_core_location, WD_HTTP_SRV, 0, NULL },

    { wd_string("listen"),
      WD_HTTP_SRV_CONF | WD_CONF_1MORE,
      wd_http_core_listen, WD_HTTP_SRV, 0, NULL },

    { wd_string("server_name"),
      WD_HTTP_SRV_CONF | WD_CONF_1MORE,
      wd_http_core_server_name, WD_HTTP_SRV, 0, NULL },

    wd_loc_slot("types_hash_max_size", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_num_slot, types_hash_max_size),
    wd_loc_slot("types_hash_bucket_size", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_num_slot, types_hash_bucket_size),

    { wd_string("types"),
      WD_HTTP_ANY_LOC | WD_CONF_BLOCK | WD_CONF_NOARGS,
      wd_http_core_types, WD_HTTP_LOC, 0, NULL },

    wd_loc_slot("default_type", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_str_slot, default_type),

    { wd_string("root"),
      WD_LIF | WD_CONF_TAKE1,
      wd_http_core_root, WD_HTTP_LOC, 0, NULL },

    { wd_string("alias"),
      WD_HTTP_LOC_CONF | WD_CONF_TAKE1,
      wd_http_core_root, WD_HTTP_LOC, 0, NULL },

    wd_loc_slot("client_max_body_size", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_off_slot, client_max_body_size),
    wd_loc_slot("client_body_buffer_size", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_size_slot, client_body_buffer_size),
    wd_loc_slot("client_body_timeout", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_msec_slot, client_body_timeout),

    { wd_string("client_body_temp_path"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1234,
      wd_conf_set_path_slot, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, client_body_temp_path), NULL },

    { wd_string("client_body_in_file_only"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1,
      wd_conf_set_enum_slot, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, client_body_in_file_only),
      &wd_http_core_client_body_in_file_only },

    wd_loc_slot("client_body_in_single_buffer", WD_HTTP_ANY_LOC,
                WD_CONF_FLAG, wd_conf_set_flag_slot,
                client_body_in_single_buffer),
    wd_loc_slot("sendfile", WD_LIF, WD_CONF_FLAG, wd_conf_set_flag_slot,
                sendfile),
    wd_loc_slot("sendfile_max_chunk", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_size_slot, sendfile_max_chunk),
    wd_loc_slot("read_ahead", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_size_slot, read_ahead),

    { wd_string("aio"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1,
      wd_http_core_aio, WD_HTTP_LOC, 0, NULL },

    { wd_string("directio"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1,
      wd_http_core_directio, WD_HTTP_LOC, 0, NULL },

    wd_loc_slot("directio_alignment", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_off_slot, directio_alignment),
    wd_loc_slot("tcp_nopush", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, tcp_nopush),
    wd_loc_slot("tcp_nodelay", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, tcp_nodelay),
    wd_loc_slot("send_timeout", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_msec_slot, send_timeout),

    { wd_string("send_lowat"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1,
      wd_conf_set_size_slot, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, send_lowat),
      &wd_http_core_lowat_post },

    wd_loc_slot("postpone_output", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_size_slot, postpone_output),
    wd_loc_slot("limit_rate", WD_LIF, WD_CONF_TAKE1,
                wd_http_set_complex_value_size_slot, limit_rate),
    wd_loc_slot("limit_rate_after", WD_LIF, WD_CONF_TAKE1,
                wd_http_set_complex_value_size_slot, limit_rate_after),

    { wd_string("keepalive_timeout"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE12,
      wd_http_core_keepalive, WD_HTTP_LOC, 0, NULL },

    wd_loc_slot("keepalive_time", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_msec_slot, keepalive_time),
    wd_loc_slot("keepalive_requests", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_num_slot, keepalive_requests),

    { wd_string("keepalive_disable"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE12,
      wd_conf_set_bitmask_slot, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, keepalive_disable),
      &wd_http_core_keepalive_disable },

    { wd_string("satisfy"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1,
      wd_conf_set_enum_slot, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, satisfy), &wd_http_core_satisfy },

    wd_loc_slot("auth_delay", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_msec_slot, auth_delay),

    { wd_string("internal"),
      WD_HTTP_LOC_CONF | WD_CONF_NOARGS,
      wd_http_core_internal, WD_HTTP_LOC, 0, NULL },

    { wd_string("lingering_close"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1,
      wd_conf_set_enum_slot, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, lingering_close),
      &wd_http_core_lingering_close },

    wd_loc_slot("lingering_time", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_msec_slot, lingering_time),
    wd_loc_slot("lingering_timeout", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_msec_slot, lingering_timeout),
    wd_loc_slot("reset_timedout_connection", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, reset_timedout_connection),
    wd_loc_slot("absolute_redirect", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, absolute_redirect),
    wd_loc_slot("server_name_in_redirect", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, server_name_in_redirect),
    wd_loc_slot("port_in_redirect", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, port_in_redirect),
    wd_loc_slot("msie_padding", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, msie_padding),
    wd_loc_slot("msie_refresh", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, msie_refresh),
    wd_loc_slot("log_not_found", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, log_not_found),
    wd_loc_slot("log_subrequest", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, log_subrequest),
    wd_loc_slot("recursive_error_pages", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, recursive_error_pages),

    { wd_string("server_tokens"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1,
      wd_http_core_server_tokens, WD_HTTP_LOC, 0, NULL },

    { wd_string("if_modified_since"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE1,
      wd_conf_set_enum_slot, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, if_modified_since),
      &wd_http_core_if_modified_since },

    wd_loc_slot("max_ranges", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_num_slot, max_ranges),
    wd_loc_slot("chunked_transfer_encoding", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, chunked_transfer_encoding),
    wd_loc_slot("etag", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, etag),

    { wd_string("error_page"),
      WD_LIF | WD_CONF_2MORE,
      wd_http_core_error_page, WD_HTTP_LOC, 0, NULL },

    { wd_string("post_action"),
      WD_LIF | WD_CONF_TAKE1,
      wd_conf_set_str_slot, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, post_action), NULL },

    { wd_string("try_files"),
      WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_2MORE,
      wd_http_core_try_files, WD_HTTP_LOC, 0, NULL },

    { wd_string("error_log"),
      WD_HTTP_ANY_LOC | WD_CONF_1MORE,
      wd_http_core_error_log, WD_HTTP_LOC, 0, NULL },

    { wd_string("open_file_cache"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE12,
      wd_http_core_open_file_cache, WD_HTTP_LOC,
      offsetof(wd_http_core_loc_conf_t, open_file_cache), NULL },

    wd_loc_slot("open_file_cache_valid", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_sec_slot, open_file_cache_valid),
    wd_loc_slot("open_file_cache_min_uses", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_num_slot, open_file_cache_min_uses),
    wd_loc_slot("open_file_cache_errors", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, open_file_cache_errors),
    wd_loc_slot("open_file_cache_events", WD_HTTP_ANY_LOC, WD_CONF_FLAG,
                wd_conf_set_flag_slot, open_file_cache_events),

    { wd_string("disable_symlinks"),
      WD_HTTP_ANY_LOC | WD_CONF_TAKE12,
      wd_http_core_disable_symlinks, WD_HTTP_LOC, 0, NULL },

    wd_loc_slot("subrequest_output_buffer_size", WD_HTTP_ANY_LOC,
                WD_CONF_TAKE1, wd_conf_set_size_slot,
                subrequest_output_buffer_size),
    wd_loc_slot("resolver_timeout", WD_HTTP_ANY_LOC, WD_CONF_TAKE1,
                wd_conf_set_msec_slot, resolver_timeout),

    wd_null_command
};

static wd_http_module_t wd_http_core_module_ctx = {
    wd_http_core_preconfiguration,
    wd_http_core_postconfiguration,
    wd_http_core_create_main_conf,
    wd_http_core_init_main_conf,
    wd_http_core_create_srv_conf,
    wd_http_core_merge_srv_conf,
    wd_http_core_create_loc_conf,
    wd_http_core_merge_loc_conf
};

wd_module_t wd_http_core_module = {
    WD_MODULE_V1,
    &wd_http_core_module_ctx,
    wd_http_core_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_int_t
wd_http_core_preconfiguration(wd_conf_t *cf)
{
    return wd_http_variables_add_core_vars(cf);
}

wd_int_t wd_http_try_files_handler(wd_http_request_t *r);

static wd_int_t
wd_http_core_postconfiguration(wd_conf_t *cf)
{
    wd_http_handler_pt *h;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    h = wd_array_push(&cmcf->phases[WD_HTTP_PRECONTENT_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_try_files_handler;

    wd_http_top_request_body_filter = wd_http_request_body_save_filter;

    return WD_OK;
}

static void *
wd_http_core_create_main_conf(wd_conf_t *cf)
{
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_pcalloc(cf->pool, sizeof(wd_http_core_main_conf_t));

    if (cmcf == NULL) {
        return NULL;
    }

    if (wd_array_init(&cmcf->servers, cf->pool, 4,
                      sizeof(wd_http_core_srv_conf_t *)) != WD_OK)
    {
        return NULL;
    }

    cmcf->server_names_hash_max_size = WD_CONF_UNSET_UINT;
    cmcf->server_names_hash_bucket_size = WD_CONF_UNSET_UINT;
    cmcf->variables_hash_max_size = WD_CONF_UNSET_UINT;
    cmcf->variables_hash_bucket_size = WD_CONF_UNSET_UINT;

    return cmcf;
}

static char *
wd_http_core_init_main_conf(wd_conf_t *cf, void *conf)
{
    wd_http_core_main_conf_t *cmcf = conf;

    wd_conf_init_uint_value(cmcf->server_names_hash_max_size, 512);
    wd_conf_init_uint_value(cmcf->server_names_hash_bucket_size, 64);
    wd_conf_init_uint_value(cmcf->variables_hash_max_size, 1024);
    wd_conf_init_uint_value(cmcf->variables_hash_bucket_size, 64);

    if (cmcf->ncaptures) {
        cmcf->ncaptures = (cmcf->ncaptures + 1) * 3;
    }

    return WD_CONF_OK;
}

static void *
wd_http_core_create_srv_conf(wd_conf_t *cf)
{
    wd_http_core_srv_conf_t *cscf;

    cscf = wd_pcalloc(cf->pool, sizeof(wd_http_core_srv_conf_t));

    if (cscf == NULL) {
        return NULL;
    }

    if (wd_array_init(&cscf->server_names, cf->temp_pool, 4,
                      sizeof(wd_http_server_name_t)) != WD_OK)
    {
        return NULL;
    }

    cscf->connection_pool_size = WD_CONF_UNSET_SIZE;
    cscf->request_pool_size = WD_CONF_UNSET_SIZE;
    cscf->client_header_timeout = WD_CONF_UNSET_MSEC;
    cscf->client_header_buffer_size = WD_CONF_UNSET_SIZE;
    cscf->ignore_invalid_headers = WD_CONF_UNSET;
    cscf->merge_slashes = WD_CONF_UNSET;
    cscf->underscores_in_headers = WD_CONF_UNSET;

    cscf->file_name = cf->conf_file ? cf->conf_file->name.data : NULL;
    cscf->line = cf->conf_file ? cf->conf_file->line : 0;

    return cscf;
}

/* A server without "listen" listens on *:80 (or *:8000 when not root). */
static wd_int_t
wd_http_core_default_listen(wd_conf_t *cf, wd_http_core_srv_conf_t *conf)
{
    struct sockaddr_in *sin;
    wd_http_listen_opt_t lsopt;
    u_char text[WD_SOCKADDR_STRLEN];
    size_t len;

    sin = wd_pcalloc(cf->pool, sizeof(struct sockaddr_in));

    if (sin == NULL) {
        return WD_ERROR;
    }

    sin->sin_family = AF_INET;
    sin->sin_port = htons((getuid() == 0) ? 80 : 8000);
    sin->sin_addr.s_addr = INADDR_ANY;

    wd_memzero(&lsopt, sizeof(wd_http_listen_opt_t));
    lsopt.sockaddr = (struct sockaddr *) sin;
    lsopt.socklen = sizeof(struct sockaddr_in);
    lsopt.backlog = 511;
    lsopt.rcvbuf = -1;
    lsopt.sndbuf = -1;
    lsopt.wildcard = 1;

    len = wd_sock_ntop(lsopt.sockaddr, lsopt.socklen, text,
                       WD_SOCKADDR_STRLEN, 1);

    if (wd_pstrdupz(cf->pool, &lsopt.addr_text, text, len) != WD_OK) {
        return WD_ERROR;
    }

    return wd_http_add_listen(cf, conf, &lsopt);
}

static char *
wd_http_core_merge_srv_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_http_core_srv_conf_t *prev = parent;
    wd_http_core_srv_conf_t *conf = child;
    wd_http_server_name_t *sn;

    wd_conf_merge_size_value(conf->connection_pool_size,
                             prev->connection_pool_size, 48 * sizeof(void *));
    wd_conf_merge_size_value(conf->request_pool_size,
                             prev->request_pool_size, 4096);
    wd_conf_merge_msec_value(conf->client_header_timeout,
                             prev->client_header_timeout, 60000);
    wd_conf_merge_size_value(conf->client_header_buffer_size,
                             prev->client_header_buffer_size, 1024);
    wd_conf_merge_bufs_value(conf->large_client_header_buffers,
                             prev->large_client_header_buffers, 4, 8192);

    if (conf->large_client_header_buffers.size < conf->connection_pool_size)
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "the \"large_client_header_buffers\" size must be "
                          "equal to or greater than \"connection_pool_size\"");
        return WD_CONF_ERROR;
    }

    wd_conf_merge_value(conf->ignore_invalid_headers,
                        prev->ignore_invalid_headers, 1);
    wd_conf_merge_value(conf->merge_slashes, prev->merge_slashes, 1);
    wd_conf_merge_value(conf->underscores_in_headers,
                        prev->underscores_in_headers, 0);

    if (conf->server_names.nelts == 0) {
        /* the default server name is "" */
        sn = wd_array_push(&conf->server_names);

        if (sn == NULL) {
            return WD_CONF_ERROR;
        }

        sn->regex = NULL;
        sn->server = conf;
        wd_str_set(&sn->name, "");
    }

    sn = conf->server_names.elts;
    conf->server_name = sn[0].name;

    if (!conf->listen && wd_http_core_default_listen(cf, conf) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static void *
wd_http_core_create_loc_conf(wd_conf_t *cf)
{
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_pcalloc(cf->pool, sizeof(wd_http_core_loc_conf_t));

    if (clcf == NULL) {
        return NULL;
    }

    clcf->client_max_body_size = WD_CONF_UNSET;
    clcf->client_body_buffer_size = WD_CONF_UNSET_SIZE;
    clcf->client_body_timeout = WD_CONF_UNSET_MSEC;
    clcf->satisfy = WD_CONF_UNSET_UINT;
    clcf->auth_delay = WD_CONF_UNSET_MSEC;
    clcf->if_modified_since = WD_CONF_UNSET_UINT;
    clcf->max_ranges = WD_CONF_UNSET_UINT;
    clcf->client_body_in_file_only = WD_CONF_UNSET_UINT;
    clcf->client_body_in_single_buffer = WD_CONF_UNSET;
    clcf->internal = WD_CONF_UNSET;
    clcf->sendfile = WD_CONF_UNSET;
    clcf->sendfile_max_chunk = WD_CONF_UNSET_SIZE;
    clcf->aio = WD_CONF_UNSET;
    clcf->read_ahead = WD_CONF_UNSET_SIZE;
    clcf->directio = WD_CONF_UNSET;
    clcf->directio_alignment = WD_CONF_UNSET;
    clcf->tcp_nopush = WD_CONF_UNSET;
    clcf->tcp_nodelay = WD_CONF_UNSET;
    clcf->send_timeout = WD_CONF_UNSET_MSEC;
    clcf->send_lowat = WD_CONF_UNSET_SIZE;
    clcf->postpone_output = WD_CONF_UNSET_SIZE;
    clcf->limit_rate = WD_CONF_UNSET_PTR;
    clcf->limit_rate_after = WD_CONF_UNSET_PTR;
    clcf->keepalive_time = WD_CONF_UNSET_MSEC;
    clcf->keepalive_timeout = WD_CONF_UNSET_MSEC;
    clcf->keepalive_header = WD_CONF_UNSET;
    clcf->keepalive_requests = WD_CONF_UNSET_UINT;
    clcf->lingering_close = WD_CONF_UNSET_UINT;
    clcf->lingering_time = WD_CONF_UNSET_MSEC;
    clcf->lingering_timeout = WD_CONF_UNSET_MSEC;
    clcf->resolver_timeout = WD_CONF_UNSET_MSEC;
    clcf->reset_timedout_connection = WD_CONF_UNSET;
    clcf->absolute_redirect = WD_CONF_UNSET;
    clcf->server_name_in_redirect = WD_CONF_UNSET;
    clcf->port_in_redirect = WD_CONF_UNSET;
    clcf->msie_padding = WD_CONF_UNSET;
    clcf->msie_refresh = WD_CONF_UNSET;
    clcf->log_not_found = WD_CONF_UNSET;
    clcf->log_subrequest = WD_CONF_UNSET;
    clcf->recursive_error_pages = WD_CONF_UNSET;
    clcf->chunked_transfer_encoding = WD_CONF_UNSET;
    clcf->etag = WD_CONF_UNSET;
    clcf->server_tokens = WD_CONF_UNSET_UINT;
    clcf->types_hash_max_size = WD_CONF_UNSET_UINT;
    clcf->types_hash_bucket_size = WD_CONF_UNSET_UINT;
    clcf->open_file_cache = WD_CONF_UNSET_PTR;
    clcf->open_file_cache_valid = WD_CONF_UNSET;
    clcf->open_file_cache_min_uses = WD_CONF_UNSET_UINT;
    clcf->open_file_cache_errors = WD_CONF_UNSET;
    clcf->open_file_cache_events = WD_CONF_UNSET;
    clcf->disable_symlinks = WD_CONF_UNSET_UINT;
    clcf->subrequest_output_buffer_size = WD_CONF_UNSET_SIZE;
    clcf->error_pages = WD_CONF_UNSET_PTR;
    clcf->try_files = WD_CONF_UNSET_PTR;
    clcf->client_body_temp_path = WD_CONF_UNSET_PTR;

    return clcf;
}

static wd_str_t wd_http_core_text_html_type = wd_string("text/html");
static wd_str_t wd_http_core_image_gif_type = wd_string("image/gif");
static wd_str_t wd_http_core_image_jpeg_type = wd_string("image/jpeg");

static wd_hash_key_t wd_http_core_default_types[] = {
    { wd_string("html"), 0, &wd_http_core_text_html_type },
    { wd_string("gif"), 0, &wd_http_core_image_gif_type },
    { wd_string("jpg"), 0, &wd_http_core_image_jpeg_type },
    { wd_null_string, 0, NULL }
};

/* types{} inherit as a whole; the built-in three when none is given. */
static char *
wd_http_core_merge_types(wd_conf_t *cf, wd_http_core_loc_conf_t *prev,
    wd_http_core_loc_conf_t *conf)
{
    wd_uint_t i;
    wd_hash_key_t *type;

    if (prev->types && prev->types_hash.buckets == NULL) {
        if (wd_hash_init(&prev->types_hash, cf->pool, prev->types->elts,
                         prev->types->nelts) != WD_OK)
        {
            return WD_CONF_ERROR;
        }
    }

    if (conf->types == NULL) {
        if (prev->types) {
            conf->types = prev->types;
            conf->types_hash = prev->types_hash;
            return WD_CONF_OK;
        }

        conf->types = wd_array_create(cf->pool, 3, sizeof(wd_hash_key_t));

        if (conf->types == NULL) {
            return WD_CONF_ERROR;
        }

        for (i = 0; wd_http_core_default_types[i].key.len; i++) {
            type = wd_array_push(conf->types);

            if (type == NULL) {
                return WD_CONF_ERROR;
            }

            type->key = wd_http_core_default_types[i].key;
            type->key_hash = wd_hash_key_lc(type->key.data, type->key.len);
            type->value = wd_http_core_default_types[i].value;
        }
    }

    if (wd_hash_init(&conf->types_hash, cf->pool, conf->types->elts,
                     conf->types->nelts) != WD_OK)
    {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static void
wd_http_core_merge_timeouts(wd_http_core_loc_conf_t *prev,
    wd_http_core_loc_conf_t *conf)
{
    wd_conf_merge_msec_value(conf->client_body_timeout,
                             prev->client_body_timeout, 60000);
    wd_conf_merge_msec_value(conf->send_timeout, prev->send_timeout, 60000);
    wd_conf_merge_msec_value(conf->keepalive_time, prev->keepalive_time,
                             3600000);
    wd_conf_merge_msec_value(conf->keepalive_timeout, prev->keepalive_timeout,
                             75000);
    wd_conf_merge_sec_value(conf->keepalive_header, prev->keepalive_header,
                            0);
    wd_conf_merge_uint_value(conf->keepalive_requests,
                             prev->keepalive_requests, 1000);
    wd_conf_merge_uint_value(conf->lingering_close, prev->lingering_close,
                             WD_HTTP_LINGERING_ON);
    wd_conf_merge_msec_value(conf->lingering_time, prev->lingering_time,
                             30000);
    wd_conf_merge_msec_value(conf->lingering_timeout, prev->lingering_timeout,
                             5000);
    wd_conf_merge_msec_value(conf->resolver_timeout, prev->resolver_timeout,
                             30000);
    wd_conf_merge_msec_value(conf->auth_delay, prev->auth_delay, 0);
}

static void
wd_http_core_merge_flags(wd_http_core_loc_conf_t *prev,
    wd_http_core_loc_conf_t *conf)
{
    wd_conf_merge_value(conf->client_body_in_single_buffer,
                        prev->client_body_in_single_buffer, 0);
    wd_conf_merge_value(conf->internal, prev->internal, 0);
    wd_conf_merge_value(conf->sendfile, prev->sendfile, 0);
    wd_conf_merge_value(conf->aio, prev->aio, WD_HTTP_AIO_OFF);
    wd_conf_merge_value(conf->tcp_nopush, prev->tcp_nopush, 0);
    wd_conf_merge_value(conf->tcp_nodelay, prev->tcp_nodelay, 1);
    wd_conf_merge_value(conf->reset_timedout_connection,
                        prev->reset_timedout_connection, 0);
    wd_conf_merge_value(conf->absolute_redirect, prev->absolute_redirect, 1);
    wd_conf_merge_value(conf->server_name_in_redirect,
                        prev->server_name_in_redirect, 0);
    wd_conf_merge_value(conf->port_in_redirect, prev->port_in_redirect, 1);
    wd_conf_merge_value(conf->msie_padding, prev->msie_padding, 1);
    wd_conf_merge_value(conf->msie_refresh, prev->msie_refresh, 0);
    wd_conf_merge_value(conf->log_not_found, prev->log_not_found, 1);
    wd_conf_merge_value(conf->log_subrequest, prev->log_subrequest, 0);
    wd_conf_merge_value(conf->recursive_error_pages,
                        prev->recursive_error_pages, 0);
    wd_conf_merge_value(conf->chunked_transfer_encoding,
                        prev->chunked_transfer_encoding, 1);
    wd_conf_merge_value(conf->etag, prev->etag, 1);
    wd_conf_merge_value(conf->open_file_cache_errors,
                        prev->open_file_cache_errors, 0);
    wd_conf_merge_value(conf->open_file_cache_events,
                        prev->open_file_cache_events, 0);
}

static void
wd_http_core_merge_sizes(wd_http_core_loc_conf_t *prev,
    wd_http_core_loc_conf_t *conf)
{
    wd_conf_merge_off_value(conf->client_max_body_size,
                            prev->client_max_body_size, 1024 * 1024);
    wd_conf_merge_size_value(conf->client_body_buffer_size,
                             prev->client_body_buffer_size,
                             (size_t) 2 * getpagesize());
    wd_conf_merge_size_value(conf->sendfile_max_chunk,
                             prev->sendfile_max_chunk, 2 * 1024 * 1024);
    wd_conf_merge_size_value(conf->read_ahead, prev->read_ahead, 0);
    wd_conf_merge_off_value(conf->directio, prev->directio, -1);
    wd_conf_merge_off_value(conf->directio_alignment,
                            prev->directio_alignment, 512);
    wd_conf_merge_size_value(conf->send_lowat, prev->send_lowat, 0);
    wd_conf_merge_size_value(conf->postpone_output, prev->postpone_output,
                             1460);
    wd_conf_merge_size_value(conf->subrequest_output_buffer_size,
                             prev->subrequest_output_buffer_size,
                             (size_t) getpagesize());
    wd_conf_merge_uint_value(conf->max_ranges, prev->max_ranges,
                             WD_MAX_INT_T_VALUE);
    wd_conf_merge_uint_value(conf->types_hash_max_size,
                             prev->types_hash_max_size, 1024);
    wd_conf_merge_uint_value(conf->types_hash_bucket_size,
                             prev->types_hash_bucket_size, 64);
}

static char *
wd_http_core_merge_loc_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_http_core_loc_conf_t *prev = parent;
    wd_http_core_loc_conf_t *conf = child;

    if (conf->root.data == NULL) {
        conf->alias = prev->alias;
        conf->root = prev->root;
        conf->root_values = prev->root_values;

        if (prev->root.data == NULL) {
            wd_str_set(&conf->root, "html");

            if (wd_conf_full_name(cf->cycle, &conf->root, 0) != WD_OK) {
                return WD_CONF_ERROR;
            }
        }
    }

    if (conf->post_action.data == NULL) {
        conf->post_action = prev->post_action;
    }

    if (wd_http_core_merge_types(cf, prev, conf) != WD_CONF_OK) {
        return WD_CONF_ERROR;
    }

    if (conf->default_type.data == NULL) {
        conf->default_type = prev->default_type.data
                                 ? prev->default_type
                                 : (wd_str_t) wd_string("text/plain");
    }

    wd_http_core_merge_sizes(prev, conf);
    wd_http_core_merge_timeouts(prev, conf);
    wd_http_core_merge_flags(prev, conf);

    wd_conf_merge_ptr_value(conf->limit_rate, prev->limit_rate, NULL);
    wd_conf_merge_ptr_value(conf->limit_rate_after, prev->limit_rate_after,
                            NULL);
    wd_conf_merge_uint_value(conf->satisfy, prev->satisfy,
                             WD_HTTP_SATISFY_ALL);
    wd_conf_merge_uint_value(conf->if_modified_since,
                             prev->if_modified_since, WD_HTTP_IMS_EXACT);
    wd_conf_merge_uint_value(conf->client_body_in_file_only,
                             prev->client_body_in_file_only, 0);
    wd_conf_merge_bitmask_value(conf->keepalive_disable,
                                prev->keepalive_disable,
                                (WD_CONF_BITMASK_SET
                                 | WD_HTTP_KEEPALIVE_DISABLE_MSIE6));
    wd_conf_merge_uint_value(conf->server_tokens, prev->server_tokens,
                             WD_HTTP_SERVER_TOKENS_ON);
    wd_conf_merge_uint_value(conf->disable_symlinks, prev->disable_symlinks,
                             WD_HTTP_DISABLE_SYMLINKS_OFF);
    wd_conf_merge_ptr_value(conf->error_pages, prev->error_pages, NULL);
    wd_conf_merge_ptr_value(conf->try_files, prev->try_files, NULL);
    wd_conf_merge_ptr_value(conf->open_file_cache, prev->open_file_cache,
                            NULL);
    wd_conf_merge_sec_value(conf->open_file_cache_valid,
                            prev->open_file_cache_valid, 60);
    wd_conf_merge_uint_value(conf->open_file_cache_min_uses,
                             prev->open_file_cache_min_uses, 1);

    if (conf->error_log == NULL) {
        conf->error_log = prev->error_log ? prev->error_log
                                          : &cf->cycle->new_log;
    }

    return wd_conf_merge_path_value(cf, &conf->client_body_temp_path,
                                    prev->client_body_temp_path,
                                    &wd_http_client_temp_path);
}

wd_http_conf_ctx_t *
wd_http_core_new_ctx(wd_conf_t *cf, wd_uint_t with_srv)
{
    wd_uint_t m, mi;
    wd_http_module_t *module;
    wd_http_conf_ctx_t *ctx, *pctx;

    pctx = cf->ctx;

    ctx = wd_pcalloc(cf->pool, sizeof(wd_http_conf_ctx_t));

    if (ctx == NULL) {
        return NULL;
    }

    ctx->main_conf = pctx->main_conf;
    ctx->srv_conf = pctx->srv_conf;

    if (with_srv) {
        ctx->srv_conf = wd_pcalloc(cf->pool,
                                   sizeof(void *) * wd_http_max_module);
        if (ctx->srv_conf == NULL) {
            return NULL;
        }
    }

    ctx->loc_conf = wd_pcalloc(cf->pool, sizeof(void *) * wd_http_max_module);

    if (ctx->loc_conf == NULL) {
        return NULL;
    }

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (cf->cycle->modules[m]->type != WD_HTTP_MODULE) {
            continue;
        }

        module = cf->cycle->modules[m]->ctx;
        mi = cf->cycle->modules[m]->ctx_index;

        if (with_srv && module->create_srv_conf) {
            ctx->srv_conf[mi] = module->create_srv_conf(cf);
            if (ctx->srv_conf[mi] == NULL) {
                return NULL;
            }
        }

        if (module->create_loc_conf) {
            ctx->loc_conf[mi] = module->create_loc_conf(cf);
            if (ctx->loc_conf[mi] == NULL) {
                return NULL;
            }
        }
    }

    return ctx;
}

static char *
wd_http_core_server(wd_conf_t *cf, wd_command_t *cmd, void *dummy)
{
    char *rv;
    wd_conf_t pcf;
    wd_http_conf_ctx_t *ctx;
    wd_http_core_srv_conf_t *cscf, **cscfp;
    wd_http_core_main_conf_t *cmcf;

    ctx = wd_http_core_new_ctx(cf, 1);

    if (ctx == NULL) {
        return WD_CONF_ERROR;
    }

    cscf = ctx->srv_conf[wd_http_core_module.ctx_index];
    cscf->ctx = ctx;

    cmcf = ctx->main_conf[wd_http_core_module.ctx_index];

    cscfp = wd_array_push(&cmcf->servers);

    if (cscfp == NULL) {
        return WD_CONF_ERROR;
    }

    *cscfp = cscf;

    pcf = *cf;
    cf->ctx = ctx;
    cf->cmd_type = WD_HTTP_SRV_CONF;

    rv = wd_conf_parse(cf, NULL);

    *cf = pcf;

    return rv;
}

/* Reads the modifier and name of "location [=|~|~*|^~|@] uri". */
static char *
wd_http_core_location_name(wd_conf_t *cf, wd_http_core_loc_conf_t *clcf,
    wd_str_t **namep)
{
    u_char *mod;
    size_t len;
    wd_str_t *value, *name;
    wd_regex_compile_t rc;

    value = cf->args->elts;
    name = &value[1];

    if (cf->args->nelts == 3) {
        mod = value[1].data;
        len = value[1].len;
        name = &value[2];

    } else {
        /* "=/", "~/x", "^~/x": the modifier may stick to the name */
        mod = value[1].data;
        len = 0;

        if (mod[0] == '=') {
            len = 1;
        } else if (mod[0] == '^' && mod[1] == '~') {
            len = 2;
        } else if (mod[0] == '~') {
            len = (mod[1] == '*') ? 2 : 1;
        }

        if (len) {
            value[1].data += len;
            value[1].len -= len;
        }
    }

    *namep = name;

    if (len == 0) {
        if (name->data[0] == '@') {
            clcf->named = 1;
        }

        clcf->name = *name;
        return WD_CONF_OK;
    }

    if (len == 1 && mod[0] == '=') {
        clcf->name = *name;
        clcf->exact_match = 1;
        return WD_CONF_OK;
    }

    if (len == 2 && mod[0] == '^' && mod[1] == '~') {
        clcf->name = *name;
        clcf->noregex = 1;
        return WD_CONF_OK;
    }

    if (mod[0] == '~' && (len == 1 || (len == 2 && mod[1] == '*'))) {
        wd_memzero(&rc, sizeof(wd_regex_compile_t));
        rc.pattern = *name;
        rc.options = (len == 2) ? WD_REGEX_CASELESS : 0;

        clcf->regex = wd_http_regex_compile(cf, &rc);

        if (clcf->regex == NULL) {
            return WD_CONF_ERROR;
        }

        clcf->name = *name;
        return WD_CONF_OK;
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                      "invalid location modifier \"%.*s\"", (int) len, mod);

    return WD_CONF_ERROR;
}

/* Nesting rules: a location lives under its parent's prefix; named ones
 * only at the server level. */
static char *
wd_http_core_location_nesting(wd_conf_t *cf, wd_http_core_loc_conf_t *pclcf,
    wd_http_core_loc_conf_t *clcf)
{
    if (pclcf == NULL) {
        return WD_CONF_OK;
    }

    if (pclcf->exact_match) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "location \"%.*s\" cannot be inside "
                          "the exact location \"%.*s\"",
                          wd_str_fmt(&clcf->name), wd_str_fmt(&pclcf->name));
        return WD_CONF_ERROR;
    }

    if (pclcf->named) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "location \"%.*s\" cannot be inside "
                          "the named location \"%.*s\"",
                          wd_str_fmt(&clcf->name), wd_str_fmt(&pclcf->name));
        return WD_CONF_ERROR;
    }

    if (clcf->named) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "named location \"%.*s\" can be "
                          "on the server level only",
                          wd_str_fmt(&clcf->name));
        return WD_CONF_ERROR;
    }

    if (clcf->regex == NULL && pclcf->regex == NULL
        && (clcf->name.len < pclcf->name.len
            || wd_memcmp(clcf->name.data, pclcf->name.data, pclcf->name.len)
                   != 0))
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "location \"%.*s\" is outside location \"%.*s\"",
                          wd_str_fmt(&clcf->name), wd_str_fmt(&pclcf->name));
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static char *
wd_http_core_location(wd_conf_t *cf, wd_command_t *cmd, void *dummy)
{
    char *rv;
    wd_str_t *name;
    wd_conf_t save;
    wd_http_conf_ctx_t *ctx, *pctx;
    wd_http_core_loc_conf_t *clcf, *pclcf;

    ctx = wd_http_core_new_ctx(cf, 0);

    if (ctx == NULL) {
        return WD_CONF_ERROR;
    }

    clcf = ctx->loc_conf[wd_http_core_module.ctx_index];
    clcf->loc_conf = ctx->loc_conf;

    rv = wd_http_core_location_name(cf, clcf, &name);

    if (rv != WD_CONF_OK) {
        return rv;
    }

    pctx = cf->ctx;
    pclcf = pctx->loc_conf[wd_http_core_module.ctx_index];

    /* at the server level there is no enclosing location to check */
    rv = wd_http_core_location_nesting(cf,
                                       (cf->cmd_type == WD_HTTP_SRV_CONF)
                                           ? NULL
                                           : pclcf,
                                       clcf);

    if (rv != WD_CONF_OK) {
        return rv;
    }

    if (wd_http_add_location(cf, &pclcf->locations, clcf) != WD_OK) {
        return WD_CONF_ERROR;
    }

    save = *cf;
    cf->ctx = ctx;
    cf->cmd_type = WD_HTTP_LOC_CONF;

    rv = wd_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}

/* "types { text/html html htm; }": each line is one type and its
 * extensions. */
static char *
wd_http_core_types(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *rv;
    wd_conf_t save;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->types == NULL) {
        clcf->types = wd_array_create(cf->pool, 64, sizeof(wd_hash_key_t));

        if (clcf->types == NULL) {
            return WD_CONF_ERROR;
        }
    }

    save = *cf;
    cf->handler = wd_http_core_type;
    cf->handler_conf = conf;

    rv = wd_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}

static char *
wd_http_core_type(wd_conf_t *cf, wd_command_t *dummy, void *conf)
{
    wd_str_t *value, *content_type, *old;
    wd_uint_t i, n, hash;
    wd_hash_key_t *type;
    wd_http_core_loc_conf_t *clcf = conf;

    value = cf->args->elts;

    if (wd_strcmp(value[0].data, "include") == 0) {
        if (cf->args->nelts != 2) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid number of arguments"
                              " in \"include\" directive");
            return WD_CONF_ERROR;
        }

        return wd_conf_include(cf, dummy, conf);
    }

    content_type = wd_palloc(cf->pool, sizeof(wd_str_t));

    if (content_type == NULL) {
        return WD_CONF_ERROR;
    }

    *content_type = value[0];

    for (i = 1; i < cf->args->nelts; i++) {
        hash = wd_hash_strlow(value[i].data, value[i].data, value[i].len);

        type = clcf->types->elts;

        for (n = 0; n < clcf->types->nelts; n++) {
            if (wd_strcmp(value[i].data, type[n].key.data) == 0) {
                old = type[n].value;
                type[n].value = content_type;

                wd_conf_log_error(WD_LOG_WARN, cf, 0,
                                  "duplicate extension \"%s\", "
                                  "content type: \"%.*s\", "
                                  "previous content type: \"%.*s\"",
                                  value[i].data, wd_str_fmt(content_type),
                                  wd_str_fmt(old));
                goto next;
            }
        }

        type = wd_array_push(clcf->types);

        if (type == NULL) {
            return WD_CONF_ERROR;
        }

        type->key = value[i];
        type->key_hash = hash;
        type->value = content_type;

    next:
        continue;
    }

    return WD_CONF_OK;
}

/* "so_keepalive=idle:intvl:cnt", each part optional. */
static char *
wd_http_core_listen_keepalive(wd_conf_t *cf, wd_http_listen_opt_t *lsopt,
    u_char *p)
{
    u_char *end, *colon;
    wd_str_t part;
    wd_int_t n;
    wd_uint_t i;
    int *fields[3];

    fields[0] = &lsopt->keepidle;
    fields[1] = &lsopt->keepintvl;
    fields[2] = &lsopt->keepcnt;
    end = p + wd_strlen(p);

    for (i = 0; i < 3 && p <= end; i++) {
        colon = wd_strlchr(p, end, ':');
        part.data = p;
        part.len = (colon ? colon : end) - p;

        if (part.len) {
            n = (i == 2) ? wd_atoi(part.data, part.len)
                         : wd_parse_time(&part, 1);

            if (n == WD_ERROR || n == 0 || n > INT_MAX) {
                goto invalid;
            }

            *fields[i] = (int) n;
        }

        if (colon == NULL) {
            break;
        }

        p = colon + 1;
    }

    if (i == 3 || (lsopt->keepidle == 0 && lsopt->keepintvl == 0
                   && lsopt->keepcnt == 0))
    {
        goto invalid;
    }

    lsopt->so_keepalive = 1;

    return WD_CONF_OK;

invalid:

    wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                      "invalid so_keepalive value: \"%s\"", p);

    return WD_CONF_ERROR;
}

/* "listen" parameters after the address. */
static char *
wd_http_core_listen_param(wd_conf_t *cf, wd_http_listen_opt_t *lsopt,
    wd_str_t *v)
{
    wd_int_t n;
    wd_str_t s;
    u_char *p;

    if (wd_str_eq(v, "default_server") || wd_str_eq(v, "default")) {
        lsopt->default_server = 1;
        return WD_CONF_OK;
    }

    if (wd_str_eq(v, "bind")) {
        lsopt->set = 1;
        lsopt->bind = 1;
        return WD_CONF_OK;
    }

    if (wd_str_eq(v, "reuseport")) {
        lsopt->set = 1;
        lsopt->bind = 1;
        lsopt->reuseport = 1;
        return WD_CONF_OK;
    }

    if (wd_str_eq(v, "deferred")) {
        lsopt->set = 1;
        lsopt->bind = 1;
        lsopt->deferred_accept = 1;
        return WD_CONF_OK;
    }

    if (wd_str_eq(v, "proxy_protocol")) {
        lsopt->proxy_protocol = 1;
        return WD_CONF_OK;
    }

    if (wd_str_eq(v, "ssl") || wd_str_eq(v, "http2") || wd_str_eq(v, "quic")) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "the \"%.*s\" parameter of the \"listen\" "
                          "directive is not supported yet", wd_str_fmt(v));
        return WD_CONF_ERROR;
    }

    if (v->len > 8 && wd_strncmp(v->data, "backlog=", 8) == 0) {
        lsopt->set = 1;
        lsopt->bind = 1;
        lsopt->backlog = (int) wd_atoi(v->data + 8, v->len - 8);

        if (lsopt->backlog == WD_ERROR || lsopt->backlog == 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid backlog \"%s\"",
                              v->data);
            return WD_CONF_ERROR;
        }

        return WD_CONF_OK;
    }

    if (v->len > 7 && (wd_strncmp(v->data, "rcvbuf=", 7) == 0
                       || wd_strncmp(v->data, "sndbuf=", 7) == 0))
    {
        s.data = v->data + 7;
        s.len = v->len - 7;
        n = wd_parse_size(&s);

        if (n == WD_ERROR || n > INT_MAX) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid %.*s \"%s\"", 6,
                              v->data, s.data);
            return WD_CONF_ERROR;
        }

        lsopt->set = 1;
        lsopt->bind = 1;

        if (v->data[0] == 'r') {
            lsopt->rcvbuf = (int) n;
        } else {
            lsopt->sndbuf = (int) n;
        }

        return WD_CONF_OK;
    }

    if (v->len > 9 && wd_strncmp(v->data, "ipv6only=", 9) == 0) {
        if (wd_strcmp(v->data + 9, "on") == 0) {
            lsopt->ipv6only = 1;

        } else if (wd_strcmp(v->data + 9, "off") == 0) {
            lsopt->ipv6only = 0;

        } else {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid ipv6only flags \"%s\"", v->data + 9);
            return WD_CONF_ERROR;
        }

        lsopt->set = 1;
        lsopt->bind = 1;

        return WD_CONF_OK;
    }

    if (v->len > 13 && wd_strncmp(v->data, "so_keepalive=", 13) == 0) {
        lsopt->set = 1;
        lsopt->bind = 1;
        p = v->data + 13;

        if (wd_strcmp(p, "on") == 0) {
            lsopt->so_keepalive = 1;
            return WD_CONF_OK;
        }

        if (wd_strcmp(p, "off") == 0) {
            lsopt->so_keepalive = 2;
            return WD_CONF_OK;
        }

        return wd_http_core_listen_keepalive(cf, lsopt, p);
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                      "invalid parameter \"%.*s\"", wd_str_fmt(v));

    return WD_CONF_ERROR;
}

static char *
wd_http_core_listen(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    u_char text[WD_SOCKADDR_STRLEN];
    size_t len;
    wd_str_t *value;
    wd_uint_t i;
    wd_url_t u;
    wd_http_listen_opt_t lsopt;
    wd_http_core_srv_conf_t *cscf = conf;

    cscf->listen = 1;

    value = cf->args->elts;

    wd_memzero(&u, sizeof(wd_url_t));
    u.url = value[1];
    u.listen = 1;
    u.default_port = 80;

    if (wd_parse_url(cf->pool, &u) != WD_OK) {
        if (u.err) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "%s in \"%.*s\" of the "
                              "\"listen\" directive", u.err,
                              wd_str_fmt(&u.url));
        }
        return WD_CONF_ERROR;
    }

    wd_memzero(&lsopt, sizeof(wd_http_listen_opt_t));
    lsopt.backlog = 511;
    lsopt.rcvbuf = -1;
    lsopt.sndbuf = -1;
    lsopt.ipv6only = 1;

    for (i = 2; i < cf->args->nelts; i++) {
        if (wd_http_core_listen_param(cf, &lsopt, &value[i]) != WD_CONF_OK) {
            return WD_CONF_ERROR;
        }
    }

    /* a hostname may resolve to several addresses: listen on each */
    for (i = 0; i < u.naddrs; i++) {
        lsopt.sockaddr = u.addrs[i].sockaddr;
        lsopt.socklen = u.addrs[i].socklen;
        lsopt.wildcard = wd_inet_wildcard(lsopt.sockaddr);

        len = wd_sock_ntop(lsopt.sockaddr, lsopt.socklen, text,
                           WD_SOCKADDR_STRLEN, 1);

        if (wd_pstrdupz(cf->pool, &lsopt.addr_text, text, len) != WD_OK) {
            return WD_CONF_ERROR;
        }

        if (wd_http_add_listen(cf, cscf, &lsopt) != WD_OK) {
            return WD_CONF_ERROR;
        }
    }

    return WD_CONF_OK;
}

static char *
wd_http_core_server_name(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    u_char ch;
    wd_str_t *value;
    wd_uint_t i;
    wd_regex_compile_t rc;
    wd_http_server_name_t *sn;
    wd_http_core_srv_conf_t *cscf = conf;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        ch = value[i].data[0];

        if ((ch == '*' && (value[i].len < 3 || value[i].data[1] != '.'))
            || (ch == '.' && value[i].len < 2))
        {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "server name \"%.*s\" is invalid",
                              wd_str_fmt(&value[i]));
            return WD_CONF_ERROR;
        }

        if (wd_strchr(value[i].data, '/')) {
            wd_conf_log_error(WD_LOG_WARN, cf, 0,
                              "server name \"%.*s\" has suspicious symbols",
                              wd_str_fmt(&value[i]));
        }

        sn = wd_array_push(&cscf->server_names);

        if (sn == NULL) {
            return WD_CONF_ERROR;
        }

        sn->regex = NULL;
        sn->server = cscf;

        if (wd_strcasecmp(value[i].data, (u_char *) "$hostname") == 0) {
            sn->name = cf->cycle->hostname;

        } else {
            sn->name = value[i];
        }

        if (value[i].data[0] != '~') {
            wd_strlow(sn->name.data, sn->name.data, sn->name.len);
            continue;
        }

        if (value[i].len == 1) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "empty regex in server name \"%.*s\"",
                              wd_str_fmt(&value[i]));
            return WD_CONF_ERROR;
        }

        value[i].len--;
        value[i].data++;

        wd_memzero(&rc, sizeof(wd_regex_compile_t));
        rc.pattern = value[i];
        rc.options = WD_REGEX_CASELESS;

        sn->regex = wd_http_regex_compile(cf, &rc);

        if (sn->regex == NULL) {
            return WD_CONF_ERROR;
        }

        sn->name = value[i];
        cscf->captures = (rc.captures > 0);
    }

    return WD_CONF_OK;
}

/* "root path" and "alias path" (one of them per location). */
static char *
wd_http_core_root(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_uint_t alias;
    wd_http_compile_complex_value_t ccv;
    wd_http_core_loc_conf_t *clcf = conf;

    alias = (cmd->name.len == sizeof("alias") - 1);

    if (clcf->root.data) {
        if ((clcf->alias != 0) == alias) {
            return "is duplicate";
        }

        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"%.*s\" directive is duplicate, "
                          "\"%s\" directive was specified earlier",
                          wd_str_fmt(&cmd->name),
                          clcf->alias ? "alias" : "root");
        return WD_CONF_ERROR;
    }

    if (clcf->named && alias) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "the \"alias\" directive cannot be used "
                          "inside the named location");
        return WD_CONF_ERROR;
    }

    value = cf->args->elts;

    if (wd_strstr(value[1].data, "$document_root")
        || wd_strstr(value[1].data, "${document_root}"))
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "the $document_root variable cannot be used "
                          "in the \"%.*s\" directive",
                          wd_str_fmt(&cmd->name));
        return WD_CONF_ERROR;
    }

    if (wd_strstr(value[1].data, "$realpath_root")
        || wd_strstr(value[1].data, "${realpath_root}"))
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "the $realpath_root variable cannot be used "
                          "in the \"%.*s\" directive",
                          wd_str_fmt(&cmd->name));
        return WD_CONF_ERROR;
    }

    clcf->alias = alias ? clcf->name.len : 0;
    clcf->root = value[1];

    if (!alias && clcf->root.len > 0
        && clcf->root.data[clcf->root.len - 1] == '/')
    {
        clcf->root.len--;
    }

    if (clcf->root.data[0] != '$'
        && wd_conf_full_name(cf->cycle, &clcf->root, 0) != WD_OK)
    {
        return WD_CONF_ERROR;
    }

    if (wd_http_script_variables_count(&clcf->root) == 0) {
        return WD_CONF_OK;
    }

    clcf->root_values = wd_pcalloc(cf->pool,
                                   sizeof(wd_http_complex_value_t));

    if (clcf->root_values == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &clcf->root;
    ccv.complex_value = clcf->root_values;
    ccv.root_prefix = 1;

    if (wd_http_compile_complex_value(&ccv) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

/* "error_page 404 500 [=[code]] uri" */
static char *
wd_http_core_error_page(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    u_char *p;
    wd_int_t overwrite;
    wd_str_t *value, uri, args;
    wd_uint_t i, n;
    wd_http_err_page_t *err;
    wd_http_compile_complex_value_t ccv;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->error_pages == NULL || clcf->error_pages == WD_CONF_UNSET_PTR) {
        clcf->error_pages = wd_array_create(cf->pool, 4,
                                            sizeof(wd_http_err_page_t));
        if (clcf->error_pages == NULL) {
            return WD_CONF_ERROR;
        }
    }

    value = cf->args->elts;
    i = cf->args->nelts - 2;

    if (value[i].data[0] == '=') {
        if (i == 1) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid value \"%s\"",
                              value[i].data);
            return WD_CONF_ERROR;
        }

        if (value[i].len > 1) {
            overwrite = wd_atoi(&value[i].data[1], value[i].len - 1);

            if (overwrite == WD_ERROR) {
                wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                                  "invalid value \"%s\"", value[i].data);
                return WD_CONF_ERROR;
            }

        } else {
            overwrite = 0;
        }

        n = 2;

    } else {
        overwrite = -1;
        n = 1;
    }

    uri = value[cf->args->nelts - 1];

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    args.len = 0;
    args.data = NULL;

    if (uri.data[0] == '/' && wd_http_script_variables_count(&uri) == 0) {
        p = (u_char *) wd_strchr(uri.data, '?');

        if (p) {
            args.len = uri.len - (p + 1 - uri.data);
            args.data = p + 1;
            uri.len = p - uri.data;
        }
    }

    for (i = 1; i < cf->args->nelts - n; i++) {
        err = wd_array_push(clcf->error_pages);

        if (err == NULL) {
            return WD_CONF_ERROR;
        }

        err->status = wd_atoi(value[i].data, value[i].len);

        if (err->status == WD_ERROR || err->status == 499) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid value \"%s\"",
                              value[i].data);
            return WD_CONF_ERROR;
        }

        if (err->status < 300 || err->status > 599) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "value \"%s\" must be between 300 and 599",
                              value[i].data);
            return WD_CONF_ERROR;
        }

        err->overwrite = overwrite;

        if (overwrite == -1) {
            switch (err->status) {
            case WD_HTTP_TO_HTTPS:
            case WD_HTTPS_CERT_ERROR:
            case WD_HTTPS_NO_CERT:
            case WD_HTTP_REQUEST_HEADER_TOO_LARGE:
                err->overwrite = WD_HTTP_BAD_REQUEST;
            }
        }

        ccv.cf = cf;
        ccv.value = &uri;
        ccv.complex_value = &err->value;

        if (wd_http_compile_complex_value(&ccv) != WD_OK) {
            return WD_CONF_ERROR;
        }

        err->args = args;
    }

    return WD_CONF_OK;
}

static char *
wd_http_core_try_files(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_int_t code;
    wd_uint_t i, n;
    wd_http_try_file_t *tf;
    wd_http_compile_complex_value_t ccv;
    wd_http_core_main_conf_t *cmcf;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->try_files != WD_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);
    cmcf->ncaptures = wd_max(cmcf->ncaptures, 9);

    n = cf->args->nelts - 1;

    tf = wd_pcalloc(cf->pool, (n + 1) * sizeof(wd_http_try_file_t));

    if (tf == NULL) {
        return WD_CONF_ERROR;
    }

    clcf->try_files = tf;
    value = cf->args->elts;

    for (i = 0; i < n; i++) {
        wd_str_t name = value[i + 1];

        if (name.len && name.data[name.len - 1] == '/' && i + 1 < n) {
            tf[i].test_dir = 1;
            name.len--;
            name.data[name.len] = '\0';
        }

        if (i + 1 == n && name.data[0] == '@') {
            tf[i].named = 1;
        }

        wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &name;
        ccv.complex_value = &tf[i].value;

        if (wd_http_compile_complex_value(&ccv) != WD_OK) {
            return WD_CONF_ERROR;
        }
    }

    /* "=404" as the last parameter */
    if (tf[i - 1].value.nparts == 0 && tf[i - 1].value.value.data[0] == '=')
    {
        code = wd_atoi(tf[i - 1].value.value.data + 1,
                       tf[i - 1].value.value.len - 1);

        if (code == WD_ERROR || code > 999) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid code \"%.*s\"",
                              wd_str_fmt(&tf[i - 1].value.value));
            return WD_CONF_ERROR;
        }

        tf[i - 1].code = (wd_uint_t) code;
    }

    return WD_CONF_OK;
}

static char *
wd_http_core_keepalive(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_int_t header;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->keepalive_timeout != WD_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    clcf->keepalive_timeout = (wd_msec_t) wd_parse_time(&value[1], 0);

    if (clcf->keepalive_timeout == (wd_msec_t) WD_ERROR) {
        return "invalid value";
    }

    if (cf->args->nelts == 2) {
        return WD_CONF_OK;
    }

    header = wd_parse_time(&value[2], 1);

    if (header == WD_ERROR) {
        return "invalid value";
    }

    clcf->keepalive_header = (time_t) header;

    return WD_CONF_OK;
}

static char *
wd_http_core_internal(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->internal != WD_CONF_UNSET) {
        return "is duplicate";
    }

    clcf->internal = 1;

    return WD_CONF_OK;
}

static char *
wd_http_core_error_log(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_core_loc_conf_t *clcf = conf;

    return wd_log_set_log(cf, &clcf->error_log);
}

static char *
wd_http_core_server_tokens(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->server_tokens != WD_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (wd_strcmp(value[1].data, "on") == 0) {
        clcf->server_tokens = WD_HTTP_SERVER_TOKENS_ON;

    } else if (wd_strcmp(value[1].data, "off") == 0) {
        clcf->server_tokens = WD_HTTP_SERVER_TOKENS_OFF;

    } else if (wd_strcmp(value[1].data, "build") == 0) {
        clcf->server_tokens = WD_HTTP_SERVER_TOKENS_BUILD;

    } else {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid value \"%s\" in \"%s\" directive, "
                          "it must be \"on\", \"off\" or \"build\"",
                          value[1].data, cmd->name.data);
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static char *
wd_http_core_open_file_cache(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value, s;
    wd_int_t max;
    time_t inactive;
    wd_uint_t i;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->open_file_cache != WD_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    max = 0;
    inactive = 60;

    for (i = 1; i < cf->args->nelts; i++) {
        if (wd_strncmp(value[i].data, "max=", 4) == 0) {
            max = wd_atoi(value[i].data + 4, value[i].len - 4);

            if (max <= 0) {
                goto failed;
            }

            continue;
        }

        if (wd_strncmp(value[i].data, "inactive=", 9) == 0) {
            s.len = value[i].len - 9;
            s.data = value[i].data + 9;
            inactive = (time_t) wd_parse_time(&s, 1);

            if (inactive == (time_t) WD_ERROR) {
                goto failed;
            }

            continue;
        }

        if (wd_strcmp(value[i].data, "off") == 0) {
            clcf->open_file_cache = NULL;
            continue;
        }

    failed:

        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid \"open_file_cache\" parameter \"%s\"",
                          value[i].data);
        return WD_CONF_ERROR;
    }

    if (clcf->open_file_cache == NULL) {
        return WD_CONF_OK;
    }

    if (max == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"open_file_cache\" must have the \"max\" "
                          "parameter");
        return WD_CONF_ERROR;
    }

    clcf->open_file_cache = wd_open_file_cache_init(cf->pool,
                                                    (wd_uint_t) max, inactive);

    return clcf->open_file_cache ? WD_CONF_OK : WD_CONF_ERROR;
}

static char *
wd_http_core_disable_symlinks(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_uint_t i;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->disable_symlinks != WD_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (wd_strcmp(value[i].data, "off") == 0) {
            clcf->disable_symlinks = WD_HTTP_DISABLE_SYMLINKS_OFF;

        } else if (wd_strcmp(value[i].data, "if_not_owner") == 0) {
            clcf->disable_symlinks = WD_HTTP_DISABLE_SYMLINKS_NOTOWNER;

        } else if (wd_strcmp(value[i].data, "on") == 0) {
            clcf->disable_symlinks = WD_HTTP_DISABLE_SYMLINKS_ON;

        } else if (wd_strncmp(value[i].data, "from=", 5) == 0) {
            /* the whole path is checked: "from" only narrows it */
            continue;

        } else {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid parameter \"%s\"", value[i].data);
            return WD_CONF_ERROR;
        }
    }

    return WD_CONF_OK;
}

/* directio and aio are accepted for compatibility; files are always sent
 * with sendfile (or read with pread) without them. */
static char *
wd_http_core_directio(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->directio != WD_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (wd_strcmp(value[1].data, "off") == 0) {
        clcf->directio = -1;
        return WD_CONF_OK;
    }

    clcf->directio = wd_parse_offset(&value[1]);

    if (clcf->directio == (off_t) WD_ERROR) {
        return "invalid value";
    }

    wd_conf_log_error(WD_LOG_WARN, cf, 0,
                      "\"directio\" is ignored: files are sent with "
                      "sendfile");

    return WD_CONF_OK;
}

static char *
wd_http_core_aio(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_http_core_loc_conf_t *clcf = conf;

    if (clcf->aio != WD_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    clcf->aio = WD_HTTP_AIO_OFF;

    if (wd_strcmp(value[1].data, "off") == 0) {
        return WD_CONF_OK;
    }

    if (wd_strcmp(value[1].data, "on") == 0
        || wd_strncmp(value[1].data, "threads", 7) == 0)
    {
        wd_conf_log_error(WD_LOG_WARN, cf, 0,
                          "\"aio %s\" is ignored: warden does not block on "
                          "file I/O", value[1].data);
        return WD_CONF_OK;
    }

    return "invalid value";
}

static char *
wd_http_core_lowat_check(wd_conf_t *cf, void *post, void *data)
{
    size_t *np = data;

    if (*np > 0) {
        wd_conf_log_error(WD_LOG_WARN, cf, 0,
                          "\"send_lowat\" is not supported, ignored");
        *np = 0;
    }

    return WD_CONF_OK;
}

static char *
wd_http_core_pool_size(wd_conf_t *cf, void *post, void *data)
{
    size_t *sp = data;

    if (*sp < 64) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "the pool size must be no less than %d", 64);
        return WD_CONF_ERROR;
    }

    if (*sp % WD_POOL_ALIGNMENT) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "the pool size must be a multiple of %d",
                          WD_POOL_ALIGNMENT);
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}
