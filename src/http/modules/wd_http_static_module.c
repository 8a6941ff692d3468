/*
 * Static files: the file that root/alias maps the URI to, sent with
 * sendfile; a directory without the trailing slash is redirected.
 */

#include <wd_http.h>

static wd_int_t wd_http_static_init(wd_conf_t *cf);

static wd_http_module_t wd_http_static_module_ctx = {
    NULL,
    wd_http_static_init,
    NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_static_module = {
    WD_MODULE_V1,
    &wd_http_static_module_ctx,
    NULL,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

/* "/dir" is a directory: 301 to "/dir/" (with the arguments). */
static wd_int_t
wd_http_static_redirect(wd_http_request_t *r)
{
    u_char *location, *p;
    size_t len;
    wd_table_elt_t *h;

    len = r->uri.len + 1;

    if (!r->valid_unparsed_uri || r->args.len) {
        len += r->args.len + 1;
    }

    location = wd_pnalloc(r->pool, len);

    if (location == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = wd_cpymem(location, r->uri.data, r->uri.len);
    *p++ = '/';

    if (r->args.len) {
        *p++ = '?';
        p = wd_cpymem(p, r->args.data, r->args.len);
    }

    h = wd_http_add_response_header(r, "Location", 8, location,
                                    p - location);

    if (h == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    wd_http_clear_location(r);
    r->headers_out.location = h;

    return WD_HTTP_MOVED_PERMANENTLY;
}

static wd_int_t
wd_http_static_handler(wd_http_request_t *r)
{
    u_char *last;
    size_t root;
    wd_int_t rc;
    wd_str_t path;
    wd_buf_t *b;
    wd_chain_t out;
    wd_open_file_info_t of;
    wd_http_core_loc_conf_t *clcf;

    if (!(r->method & (WD_HTTP_GET | WD_HTTP_HEAD | WD_HTTP_POST))) {
        return WD_HTTP_NOT_ALLOWED;
    }

    if (r->uri.len == 0 || r->uri.data[r->uri.len - 1] == '/') {
        return WD_DECLINED;
    }

    last = wd_http_map_uri_to_path(r, &path, &root, 0);

    if (last == NULL) {
        return r->err_status == WD_HTTP_NOT_FOUND
                   ? WD_HTTP_NOT_FOUND
                   : WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    path.len = last - path.data;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    wd_memzero(&of, sizeof(wd_open_file_info_t));
    of.directio = clcf->directio;
    of.valid = clcf->open_file_cache_valid;
    of.min_uses = clcf->open_file_cache_min_uses;
    of.errors = clcf->open_file_cache_errors;
    of.events = clcf->open_file_cache_events;
    of.disable_symlinks = clcf->disable_symlinks;

    if (wd_open_cached_file(clcf->open_file_cache, &path, &of, r->pool)
        != WD_OK)
    {
        return wd_http_open_file_error(r, &of, &path, clcf->log_not_found);
    }

    r->root_tested = !r->error_page;

    if (of.is_dir) {
        return wd_http_static_redirect(r);
    }

    if (!of.is_file) {
        wd_log_error(WD_LOG_CRIT, r->connection->log, 0,
                     "\"%s\" is not a regular file", path.data);
        return WD_HTTP_NOT_FOUND;
    }

    if (r->method == WD_HTTP_POST) {
        return WD_HTTP_NOT_ALLOWED;
    }

    rc = wd_http_discard_request_body(r);

    if (rc != WD_OK) {
        return rc;
    }

    r->headers_out.status = WD_HTTP_OK;
    r->headers_out.content_length_n = of.size;
    r->headers_out.last_modified_time = of.mtime;

    if (wd_http_set_etag(r) != WD_OK
        || wd_http_set_content_type(r) != WD_OK)
    {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->allow_ranges = 1;

    b = wd_calloc_buf(r->pool);

    if (b == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->file = wd_pcalloc(r->pool, sizeof(wd_file_t));

    if (b->file == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = wd_http_send_header(r);

    if (rc == WD_ERROR || rc > WD_OK || r->header_only) {
        return rc;
    }

    b->file_pos = 0;
    b->file_last = of.size;

    b->in_file = b->file_last ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = (b->last_buf || b->in_file) ? 0 : 1;

    b->file->fd = of.fd;
    b->file->name = path;
    b->file->log = r->connection->log;

    out.buf = b;
    out.next = NULL;

    return wd_http_output_filter(r, &out);
}

static wd_int_t
wd_http_static_init(wd_conf_t *cf)
{
    wd_http_handler_pt *h;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    h = wd_array_push(&cmcf->phases[WD_HTTP_CONTENT_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_static_handler;

    return WD_OK;
}
