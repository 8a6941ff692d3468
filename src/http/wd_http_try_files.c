/*
 * try_files: the first existing file (or directory, for "dir/") of the
 * list becomes the URI; else the last item: a URI to redirect to
 * internally, a named location, or "=code".
 */

#include <wd_http.h>

/* The path of one item: root + the evaluated value, with an alias
 * prefix replaced as for the request's own URI. */
static u_char *
wd_http_try_files_path(wd_http_request_t *r, wd_http_try_file_t *tf,
    wd_str_t *path, size_t *root, wd_str_t *value)
{
    u_char *p;
    size_t alias;
    wd_str_t saved;
    wd_http_core_loc_conf_t *clcf;

    if (wd_http_complex_value(r, &tf->value, value) != WD_OK) {
        return NULL;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    /* map the value as if it were the URI */
    saved = r->uri;
    r->uri = *value;

    alias = clcf->alias;

    if (alias && !clcf->regex
        && (value->len < alias
            || wd_memcmp(value->data, clcf->name.data, alias) != 0))
    {
        /* not under the location: the value is relative to the root */
        r->uri = saved;
        p = wd_pnalloc(r->pool, clcf->root.len + value->len + 1);

        if (p == NULL) {
            return NULL;
        }

        path->data = p;
        *root = clcf->root.len;
        p = wd_cpymem(p, clcf->root.data, clcf->root.len);
        p = wd_cpymem(p, value->data, value->len);
        *p = '\0';
        path->len = p - path->data + 1;
        return p;
    }

    p = wd_http_map_uri_to_path(r, path, root, 0);

    r->uri = saved;

    return p;
}

static wd_uint_t
wd_http_try_files_exists(wd_http_request_t *r, wd_str_t *path,
    wd_uint_t test_dir)
{
    struct stat sb;
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (stat((char *) path->data, &sb) == -1) {
        return 0;
    }

    if (clcf->disable_symlinks != WD_HTTP_DISABLE_SYMLINKS_OFF) {
        struct stat lsb;

        if (lstat((char *) path->data, &lsb) == -1 || S_ISLNK(lsb.st_mode)) {
            return 0;
        }
    }

    return test_dir ? S_ISDIR(sb.st_mode) : !S_ISDIR(sb.st_mode);
}

/* The last item: where the request goes when nothing existed. */
static wd_int_t
wd_http_try_files_fallback(wd_http_request_t *r, wd_http_try_file_t *tf)
{
    wd_str_t value, args;

    if (tf->code) {
        return (wd_int_t) tf->code;
    }

    if (wd_http_complex_value(r, &tf->value, &value) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (tf->named) {
        (void) wd_http_named_location(r, &value);

    } else {
        wd_http_split_args(r, &value, &args);
        (void) wd_http_internal_redirect(r, &value, &args);
    }

    /* the redirect holds its own reference to the request */
    wd_http_finalize_request(r, WD_DONE);

    return WD_DONE;
}

wd_int_t
wd_http_try_files_handler(wd_http_request_t *r)
{
    size_t root;
    wd_str_t path, value;
    wd_http_try_file_t *tf;
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->try_files == NULL) {
        return WD_DECLINED;
    }

    for (tf = clcf->try_files; tf[1].value.value.data; tf++) {
        if (wd_http_try_files_path(r, tf, &path, &root, &value) == NULL) {
            if (r->err_status == WD_HTTP_NOT_FOUND) {
                r->err_status = 0;
                continue;
            }
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (!wd_http_try_files_exists(r, &path, tf->test_dir)) {
            continue;
        }

        /* found: it becomes the request's URI, then the content phase (a
         * directory found as "dir/" stays "dir": static redirects it) */
        r->uri = value;

        wd_http_set_exten(r);

        return WD_DECLINED;
    }

    return wd_http_try_files_fallback(r, tf);
}
