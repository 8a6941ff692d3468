/*
 * The "events { }" block: a context holding every event module's conf.
 */

#include <wd_event.h>

static char *wd_events_block(wd_conf_t *cf, wd_command_t *cmd, void *conf);
static char *wd_events_init_conf(wd_cycle_t *cycle, void *conf);

static wd_command_t wd_events_commands[] = {

    { wd_string("events"),
      WD_MAIN_CONF | WD_CONF_BLOCK | WD_CONF_NOARGS,
      wd_events_block,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_core_module_t wd_events_module_ctx = {
    wd_string("events"),
    NULL,
    wd_events_init_conf
};

wd_module_t wd_events_module = {
    WD_MODULE_V1,
    &wd_events_module_ctx,
    wd_events_commands,
    WD_CORE_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_int_t
wd_events_create_confs(wd_conf_t *cf, void **ctx)
{
    wd_uint_t i;
    wd_event_module_t *m;

    for (i = 0; cf->cycle->modules[i]; i++) {
        if (cf->cycle->modules[i]->type != WD_EVENT_MODULE) {
            continue;
        }

        m = cf->cycle->modules[i]->ctx;

        if (m->create_conf) {
            ctx[cf->cycle->modules[i]->ctx_index] = m->create_conf(cf->cycle);

            if (ctx[cf->cycle->modules[i]->ctx_index] == NULL) {
                return WD_ERROR;
            }
        }
    }

    return WD_OK;
}

static char *
wd_events_init_confs(wd_conf_t *cf, void **ctx)
{
    char *rv;
    wd_uint_t i;
    wd_event_module_t *m;

    for (i = 0; cf->cycle->modules[i]; i++) {
        if (cf->cycle->modules[i]->type != WD_EVENT_MODULE) {
            continue;
        }

        m = cf->cycle->modules[i]->ctx;

        if (m->init_conf) {
            rv = m->init_conf(cf->cycle,
                              ctx[cf->cycle->modules[i]->ctx_index]);

            if (rv != WD_CONF_OK) {
                return rv;
            }
        }
    }

    return WD_CONF_OK;
}

static char *
wd_events_block(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *rv;
    void ***ctx;
    wd_uint_t n;
    wd_conf_t pcf;

    if (*(void **) conf) {
        return "is duplicate";
    }

    n = wd_count_modules(cf->cycle, WD_EVENT_MODULE);

    ctx = wd_pcalloc(cf->pool, sizeof(void *));

    if (ctx == NULL) {
        return WD_CONF_ERROR;
    }

    *ctx = wd_pcalloc(cf->pool, n * sizeof(void *));

    if (*ctx == NULL) {
        return WD_CONF_ERROR;
    }

    *(void **) conf = ctx;

    if (wd_events_create_confs(cf, *ctx) != WD_OK) {
        return WD_CONF_ERROR;
    }

    pcf = *cf;
    cf->ctx = ctx;
    cf->module_type = WD_EVENT_MODULE;
    cf->cmd_type = WD_EVENT_CONF;

    rv = wd_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv != WD_CONF_OK) {
        return rv;
    }

    return wd_events_init_confs(cf, *ctx);
}

static char *
wd_events_init_conf(wd_cycle_t *cycle, void *conf)
{
    if (wd_get_conf(cycle->conf_ctx, wd_events_module) == NULL) {
        wd_log_error(WD_LOG_EMERG, cycle->log, 0,
                     "no \"events\" section in configuration");
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}
