/*
 * The rewrite module.  For now its "return" directive: "return code
 * [text]", "return code URL", "return URL"; run in the server-rewrite
 * phase (server level) or the rewrite phase (location level).
 */

#include <wd_http.h>

typedef struct {
    wd_uint_t status;
    wd_http_complex_value_t text;
    unsigned has_text:1;
} wd_http_rewrite_return_t;

typedef struct {
    wd_http_rewrite_return_t *ret;  /* NULL: nothing at this level */
} wd_http_rewrite_loc_conf_t;

static void *wd_http_rewrite_create_loc_conf(wd_conf_t *cf);
static char *wd_http_rewrite_merge_loc_conf(wd_conf_t *cf, void *parent,
    void *child);
static wd_int_t wd_http_rewrite_init(wd_conf_t *cf);
static char *wd_http_rewrite_return(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);

static wd_command_t wd_http_rewrite_commands[] = {

    { wd_string("return"),
      WD_HTTP_SRV_CONF | WD_HTTP_SIF_CONF | WD_HTTP_LOC_CONF
          | WD_HTTP_LIF_CONF | WD_CONF_TAKE12,
      wd_http_rewrite_return,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_rewrite_module_ctx = {
    NULL,
    wd_http_rewrite_init,
    NULL, NULL, NULL, NULL,
    wd_http_rewrite_create_loc_conf,
    wd_http_rewrite_merge_loc_conf
};

wd_module_t wd_http_rewrite_module = {
    WD_MODULE_V1,
    &wd_http_rewrite_module_ctx,
    wd_http_rewrite_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_int_t
wd_http_rewrite_handler(wd_http_request_t *r)
{
    wd_http_rewrite_return_t *ret;
    wd_http_rewrite_loc_conf_t *rlcf;

    rlcf = wd_http_get_module_loc_conf(r, wd_http_rewrite_module);
    ret = rlcf->ret;

    if (ret == NULL) {
        return WD_DECLINED;
    }

    if (ret->status == WD_HTTP_CLOSE) {
        return WD_HTTP_CLOSE;
    }

    if (ret->status < WD_HTTP_BAD_REQUEST || ret->has_text) {
        return wd_http_send_response(r, ret->status, NULL, &ret->text);
    }

    return (wd_int_t) ret->status;
}

static void *
wd_http_rewrite_create_loc_conf(wd_conf_t *cf)
{
    return wd_pcalloc(cf->pool, sizeof(wd_http_rewrite_loc_conf_t));
}

/* A location does not inherit its server's "return": the server-level
 * one already ran in the server-rewrite phase. */
static char *
wd_http_rewrite_merge_loc_conf(wd_conf_t *cf, void *parent, void *child)
{
    return WD_CONF_OK;
}

static wd_uint_t
wd_http_rewrite_is_url(wd_str_t *v)
{
    return (v->len > 7 && wd_strncmp(v->data, "http://", 7) == 0)
           || (v->len > 8 && wd_strncmp(v->data, "https://", 8) == 0)
           || (v->len >= 7 && wd_strncmp(v->data, "$scheme", 7) == 0);
}

static char *
wd_http_rewrite_return(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_int_t n;
    wd_str_t *value, *text;
    wd_http_rewrite_return_t *ret;
    wd_http_compile_complex_value_t ccv;
    wd_http_rewrite_loc_conf_t *rlcf = conf;

    if (rlcf->ret) {
        /* only the first return of a level can ever run */
        return WD_CONF_OK;
    }

    ret = wd_pcalloc(cf->pool, sizeof(wd_http_rewrite_return_t));

    if (ret == NULL) {
        return WD_CONF_ERROR;
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && wd_http_rewrite_is_url(&value[1])) {
        ret->status = WD_HTTP_MOVED_TEMPORARILY;
        text = &value[1];

    } else {
        n = wd_atoi(value[1].data, value[1].len);

        if (n == WD_ERROR || n > 999) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid return code \"%s\"", value[1].data);
            return WD_CONF_ERROR;
        }

        ret->status = (wd_uint_t) n;
        text = (cf->args->nelts == 3) ? &value[2] : NULL;
    }

    if (text) {
        wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = text;
        ccv.complex_value = &ret->text;

        if (wd_http_compile_complex_value(&ccv) != WD_OK) {
            return WD_CONF_ERROR;
        }

        ret->has_text = 1;
    }

    rlcf->ret = ret;

    return WD_CONF_OK;
}

static wd_int_t
wd_http_rewrite_init(wd_conf_t *cf)
{
    wd_http_handler_pt *h;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    h = wd_array_push(&cmcf->phases[WD_HTTP_SERVER_REWRITE_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_rewrite_handler;

    h = wd_array_push(&cmcf->phases[WD_HTTP_REWRITE_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_rewrite_handler;

    return WD_OK;
}
