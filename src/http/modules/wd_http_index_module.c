/*
 * index: for a URI ending in "/", the first index file that exists
 * becomes the request (an internal redirect).
 */

#include <wd_http.h>

typedef struct {
    wd_array_t *indices;        /* wd_http_complex_value_t */
} wd_http_index_loc_conf_t;

static void *wd_http_index_create_loc_conf(wd_conf_t *cf);
static char *wd_http_index_merge_loc_conf(wd_conf_t *cf, void *parent,
    void *child);
static wd_int_t wd_http_index_init(wd_conf_t *cf);
static char *wd_http_index_set_index(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);

static wd_command_t wd_http_index_commands[] = {

    { wd_string("index"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_1MORE,
      wd_http_index_set_index,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_index_module_ctx = {
    NULL,
    wd_http_index_init,
    NULL, NULL, NULL, NULL,
    wd_http_index_create_loc_conf,
    wd_http_index_merge_loc_conf
};

wd_module_t wd_http_index_module = {
    WD_MODULE_V1,
    &wd_http_index_module_ctx,
    wd_http_index_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

/* A file that cannot be an index: 403 for a permission problem, else
 * 404 (logged unless log_not_found is off). */
static wd_int_t
wd_http_index_error(wd_http_request_t *r, wd_http_core_loc_conf_t *clcf,
    u_char *file, wd_err_t err)
{
    if (err == WD_EACCES) {
        wd_log_error(WD_LOG_ERR, r->connection->log, err,
                     "\"%s\" is forbidden", file);
        return WD_HTTP_FORBIDDEN;
    }

    if (clcf->log_not_found) {
        wd_log_error(WD_LOG_ERR, r->connection->log, err,
                     "\"%s\" is not found", file);
    }

    return WD_HTTP_NOT_FOUND;
}

/* After the first index is missing: is the directory itself there?
 * len is the directory's path length (with its trailing slash). */
static wd_int_t
wd_http_index_test_dir(wd_http_request_t *r, wd_http_core_loc_conf_t *clcf,
    u_char *path, size_t len)
{
    wd_str_t dir;
    wd_open_file_info_t of;

    if (len > 1 && path[len - 1] == '/') {
        len--;
    }

    if (wd_pstrdupz(r->pool, &dir, path, len) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    wd_memzero(&of, sizeof(wd_open_file_info_t));
    of.test_dir = 1;
    of.test_only = 1;
    of.valid = clcf->open_file_cache_valid;
    of.errors = clcf->open_file_cache_errors;
    of.disable_symlinks = clcf->disable_symlinks;

    if (wd_open_cached_file(clcf->open_file_cache, &dir, &of, r->pool)
        != WD_OK)
    {
        if (of.err == WD_EMLINK || of.err == WD_ELOOP) {
            return WD_HTTP_FORBIDDEN;
        }

        if (of.err == WD_ENOENT) {
            return wd_http_index_error(r, clcf, dir.data, WD_ENOENT);
        }

        if (of.err == WD_EACCES) {
            return WD_OK;
        }

        if (of.err) {
            wd_log_error(WD_LOG_CRIT, r->connection->log, of.err,
                         "%s \"%s\" failed", of.failed, dir.data);
        }

        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (of.is_dir) {
        return WD_OK;
    }

    wd_log_error(WD_LOG_ALERT, r->connection->log, 0,
                 "\"%s\" is not a directory", dir.data);

    return WD_HTTP_INTERNAL_SERVER_ERROR;
}

/* Redirects to r->uri + index (or to index itself when absolute). */
static wd_int_t
wd_http_index_redirect(wd_http_request_t *r, wd_str_t *index)
{
    wd_str_t uri;

    if (index->data[0] == '/') {
        uri = *index;

    } else {
        uri.len = r->uri.len + index->len;
        uri.data = wd_pnalloc(r->pool, uri.len);

        if (uri.data == NULL) {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }

        wd_memcpy(wd_cpymem(uri.data, r->uri.data, r->uri.len), index->data,
                  index->len);
    }

    return wd_http_internal_redirect(r, &uri, &r->args);
}

static wd_int_t
wd_http_index_handler(wd_http_request_t *r)
{
    u_char *last, *dir_end;
    size_t root;
    wd_int_t rc;
    wd_uint_t i, dir_tested;
    wd_str_t path, index;
    wd_open_file_info_t of;
    wd_http_complex_value_t *cv;
    wd_http_index_loc_conf_t *ilcf;
    wd_http_core_loc_conf_t *clcf;

    if (r->uri.len == 0 || r->uri.data[r->uri.len - 1] != '/') {
        return WD_DECLINED;
    }

    if (!(r->method & (WD_HTTP_GET | WD_HTTP_HEAD | WD_HTTP_POST))) {
        return WD_DECLINED;
    }

    ilcf = wd_http_get_module_loc_conf(r, wd_http_index_module);
    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    cv = ilcf->indices->elts;
    dir_end = NULL;
    dir_tested = 0;
    path.data = NULL;

    for (i = 0; i < ilcf->indices->nelts; i++) {
        if (wd_http_complex_value(r, &cv[i], &index) != WD_OK) {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (index.len == 0) {
            continue;
        }

        /* an absolute last index is used without checking */
        if (index.data[0] == '/' && i == ilcf->indices->nelts - 1) {
            return wd_http_index_redirect(r, &index);
        }

        last = wd_http_map_uri_to_path(r, &path, &root, index.len);

        if (last == NULL) {
            return r->err_status == WD_HTTP_NOT_FOUND
                       ? WD_HTTP_NOT_FOUND
                       : WD_HTTP_INTERNAL_SERVER_ERROR;
        }

        dir_end = last;
        wd_memcpy(last, index.data, index.len);
        last[index.len] = '\0';
        path.len = last + index.len - path.data;

        wd_memzero(&of, sizeof(wd_open_file_info_t));
        of.valid = clcf->open_file_cache_valid;
        of.min_uses = clcf->open_file_cache_min_uses;
        of.test_only = 1;
        of.errors = clcf->open_file_cache_errors;
        of.disable_symlinks = clcf->disable_symlinks;

        if (wd_open_cached_file(clcf->open_file_cache, &path, &of, r->pool)
            != WD_OK)
        {
            if (of.err == 0) {
                return WD_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (of.err == WD_EMLINK || of.err == WD_ELOOP) {
                return WD_HTTP_FORBIDDEN;
            }

            if (of.err == WD_ENOTDIR || of.err == WD_ENAMETOOLONG
                || of.err == WD_EACCES)
            {
                return wd_http_index_error(r, clcf, path.data, of.err);
            }

            if (!dir_tested) {
                rc = wd_http_index_test_dir(r, clcf, path.data,
                                            dir_end - path.data);

                if (rc != WD_OK) {
                    return rc;
                }

                dir_tested = 1;
            }

            if (of.err == WD_ENOENT) {
                continue;
            }

            wd_log_error(WD_LOG_CRIT, r->connection->log, of.err,
                         "%s \"%s\" failed", of.failed, path.data);

            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }

        return wd_http_index_redirect(r, &index);
    }

    return WD_DECLINED;
}

static void *
wd_http_index_create_loc_conf(wd_conf_t *cf)
{
    wd_http_index_loc_conf_t *conf;

    conf = wd_palloc(cf->pool, sizeof(wd_http_index_loc_conf_t));

    if (conf == NULL) {
        return NULL;
    }

    conf->indices = NULL;

    return conf;
}

static char *
wd_http_index_merge_loc_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_str_t name = wd_string("index.html");
    wd_http_index_loc_conf_t *prev = parent;
    wd_http_index_loc_conf_t *conf = child;
    wd_http_complex_value_t *cv;

    if (conf->indices) {
        return WD_CONF_OK;
    }

    if (prev->indices) {
        conf->indices = prev->indices;
        return WD_CONF_OK;
    }

    conf->indices = wd_array_create(cf->pool, 1,
                                    sizeof(wd_http_complex_value_t));

    if (conf->indices == NULL) {
        return WD_CONF_ERROR;
    }

    cv = wd_array_push(conf->indices);

    if (cv == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(cv, sizeof(wd_http_complex_value_t));
    cv->value = name;

    return WD_CONF_OK;
}

static char *
wd_http_index_set_index(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_uint_t i;
    wd_http_complex_value_t *cv;
    wd_http_compile_complex_value_t ccv;
    wd_http_index_loc_conf_t *ilcf = conf;

    if (ilcf->indices == NULL) {
        ilcf->indices = wd_array_create(cf->pool, 2,
                                        sizeof(wd_http_complex_value_t));

        if (ilcf->indices == NULL) {
            return WD_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].data[0] == '/' && i != cf->args->nelts - 1) {
            wd_conf_log_error(WD_LOG_WARN, cf, 0,
                              "only the last index in \"index\" directive "
                              "should be absolute");
        }

        if (value[i].len == 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "index \"%.*s\" in \"index\" directive is "
                              "invalid", wd_str_fmt(&value[1]));
            return WD_CONF_ERROR;
        }

        cv = wd_array_push(ilcf->indices);

        if (cv == NULL) {
            return WD_CONF_ERROR;
        }

        wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = cv;

        if (wd_http_compile_complex_value(&ccv) != WD_OK) {
            return WD_CONF_ERROR;
        }
    }

    return WD_CONF_OK;
}

static wd_int_t
wd_http_index_init(wd_conf_t *cf)
{
    wd_http_handler_pt *h;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    h = wd_array_push(&cmcf->phases[WD_HTTP_CONTENT_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_index_handler;

    return WD_OK;
}
