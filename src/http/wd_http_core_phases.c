/*
 * The request's trip through the phases, and the core's request-time
 * helpers: location settings, URI to file mapping, content types,
 * internal redirects, named locations, try_files, "return".
 */

#include <wd_http.h>

void
wd_http_handler(wd_http_request_t *r)
{
    wd_http_core_main_conf_t *cmcf;

    r->connection->log->action = NULL;

    if (!r->internal) {
        switch (r->headers_in.connection_type) {
        case 0:
            r->keepalive = (r->http_version > WD_HTTP_VERSION_10);
            break;
        case WD_HTTP_CONNECTION_CLOSE:
            r->keepalive = 0;
            break;
        case WD_HTTP_CONNECTION_KEEP_ALIVE:
            r->keepalive = 1;
            break;
        }

        r->lingering_close = (r->headers_in.content_length_n > 0
                              || r->headers_in.chunked);
        r->phase_handler = 0;

    } else {
        cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);
        r->phase_handler = cmcf->phase_engine.server_rewrite_index;
    }

    r->valid_location = 1;
    r->write_event_handler = wd_http_core_run_phases;
    wd_http_core_run_phases(r);
}

void
wd_http_core_run_phases(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_http_phase_handler_t *ph;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);
    ph = cmcf->phase_engine.handlers;

    while (ph[r->phase_handler].checker) {
        rc = ph[r->phase_handler].checker(r, &ph[r->phase_handler]);

        if (rc == WD_OK) {
            return;
        }
    }
}

wd_int_t
wd_http_core_generic_phase(wd_http_request_t *r, wd_http_phase_handler_t *ph)
{
    wd_int_t rc;

    rc = ph->handler(r);

    if (rc == WD_OK) {
        r->phase_handler = ph->next;
        return WD_AGAIN;
    }

    if (rc == WD_DECLINED) {
        r->phase_handler++;
        return WD_AGAIN;
    }

    if (rc == WD_AGAIN || rc == WD_DONE) {
        return WD_OK;
    }

    wd_http_finalize_request(r, rc);

    return WD_OK;
}

wd_int_t
wd_http_core_rewrite_phase(wd_http_request_t *r, wd_http_phase_handler_t *ph)
{
    wd_int_t rc;

    rc = ph->handler(r);

    if (rc == WD_DECLINED) {
        r->phase_handler++;
        return WD_AGAIN;
    }

    if (rc == WD_DONE) {
        return WD_OK;
    }

    wd_http_finalize_request(r, rc);

    return WD_OK;
}

/* "/dir" for a "location /dir/" that proxies: 301 to "/dir/". */
static void
wd_http_core_auto_redirect(wd_http_request_t *r)
{
    u_char *p;
    size_t len;
    wd_table_elt_t *h;

    len = r->uri.len + 1 + (r->args.len ? r->args.len + 1 : 0);
    p = wd_pnalloc(r->pool, len);

    if (p == NULL) {
        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    h = wd_http_add_response_header(r, "Location", 8, p, len);

    if (h == NULL) {
        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = wd_cpymem(p, r->uri.data, r->uri.len);
    *p++ = '/';

    if (r->args.len) {
        *p++ = '?';
        wd_memcpy(p, r->args.data, r->args.len);
    }

    wd_http_clear_location(r);
    r->headers_out.location = h;

    wd_http_finalize_request(r, WD_HTTP_MOVED_PERMANENTLY);
}

wd_int_t
wd_http_core_find_config_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph)
{
    wd_int_t rc;
    wd_http_core_loc_conf_t *clcf;

    r->content_handler = NULL;
    r->uri_changed = 0;

    rc = wd_http_core_find_location(r);

    if (rc == WD_ERROR) {
        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_OK;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (!r->internal && clcf->internal) {
        wd_http_finalize_request(r, WD_HTTP_NOT_FOUND);
        return WD_OK;
    }

    wd_http_update_location_config(r);

    if (r->headers_in.content_length_n != -1 && !r->discard_body
        && clcf->client_max_body_size
        && clcf->client_max_body_size < r->headers_in.content_length_n)
    {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "client intended to send too large body: %lld bytes",
                     (long long) r->headers_in.content_length_n);

        r->expect_tested = 1;
        (void) wd_http_discard_request_body(r);
        wd_http_finalize_request(r, WD_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return WD_OK;
    }

    if (rc == WD_DONE) {
        wd_http_core_auto_redirect(r);
        return WD_OK;
    }

    r->phase_handler++;

    return WD_AGAIN;
}

wd_int_t
wd_http_core_post_rewrite_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph)
{
    wd_http_core_srv_conf_t *cscf;

    if (!r->uri_changed) {
        r->phase_handler++;
        return WD_AGAIN;
    }

    /* uri_changes starts at WD_HTTP_MAX_URI_CHANGES + 1 */
    r->uri_changes--;

    if (r->uri_changes == 0) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle "
                     "while processing \"%.*s\"", wd_str_fmt(&r->uri));

        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_OK;
    }

    /* the new URI is looked up from the server level again */
    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);
    r->loc_conf = cscf->ctx->loc_conf;

    r->phase_handler = ph->next;

    return WD_AGAIN;
}

wd_int_t
wd_http_core_access_phase(wd_http_request_t *r, wd_http_phase_handler_t *ph)
{
    wd_int_t rc;
    wd_http_core_loc_conf_t *clcf;

    if (r != r->main) {
        r->phase_handler = ph->next;
        return WD_AGAIN;
    }

    rc = ph->handler(r);

    if (rc == WD_DECLINED) {
        r->phase_handler++;
        return WD_AGAIN;
    }

    if (rc == WD_AGAIN || rc == WD_DONE) {
        return WD_OK;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->satisfy == WD_HTTP_SATISFY_ALL) {
        if (rc == WD_OK) {
            r->phase_handler++;
            return WD_AGAIN;
        }

    } else {
        if (rc == WD_OK) {
            r->access_code = 0;
            r->phase_handler = ph->next;
            return WD_AGAIN;
        }

        if (rc == WD_HTTP_FORBIDDEN || rc == WD_HTTP_UNAUTHORIZED) {
            if (r->access_code != WD_HTTP_UNAUTHORIZED) {
                r->access_code = (wd_uint_t) rc;
            }

            r->phase_handler++;
            return WD_AGAIN;
        }
    }

    wd_http_finalize_request(r, rc);

    return WD_OK;
}

wd_int_t
wd_http_core_post_access_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph)
{
    wd_int_t access_code;

    access_code = (wd_int_t) r->access_code;

    if (access_code) {
        r->access_code = 0;

        if (access_code == WD_HTTP_FORBIDDEN) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "access forbidden by rule");
        }

        wd_http_finalize_request(r, access_code);
        return WD_OK;
    }

    r->phase_handler++;

    return WD_AGAIN;
}

/* No content handler took the request. */
static wd_int_t
wd_http_core_no_handler(wd_http_request_t *r)
{
    wd_str_t path;
    size_t root;

    if (r->uri.len && r->uri.data[r->uri.len - 1] == '/') {
        if (wd_http_map_uri_to_path(r, &path, &root, 0) != NULL) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "directory index of \"%s\" is forbidden", path.data);
        }

        return WD_HTTP_FORBIDDEN;
    }

    wd_log_error(WD_LOG_ERR, r->connection->log, 0, "no handler found");

    return WD_HTTP_NOT_FOUND;
}

wd_int_t
wd_http_core_content_phase(wd_http_request_t *r, wd_http_phase_handler_t *ph)
{
    wd_int_t rc;

    if (r->content_handler) {
        r->write_event_handler = wd_http_request_empty_handler;
        wd_http_finalize_request(r, r->content_handler(r));
        return WD_OK;
    }

    rc = ph->handler(r);

    if (rc != WD_DECLINED) {
        wd_http_finalize_request(r, rc);
        return WD_OK;
    }

    ph++;

    if (ph->checker) {
        r->phase_handler++;
        return WD_AGAIN;
    }

    wd_http_finalize_request(r, wd_http_core_no_handler(r));

    return WD_OK;
}

/* Gives the connection the location's error_log, keeping its context. */
static void
wd_http_set_connection_log(wd_connection_t *c, wd_log_t *log)
{
    c->log->file = log->file;
    c->log->next = log->next;
    c->log->log_level = log->log_level;
}

static void
wd_http_update_keepalive(wd_http_request_t *r, wd_http_core_loc_conf_t *clcf)
{
    if (!r->keepalive) {
        return;
    }

    if (clcf->keepalive_timeout == 0) {
        r->keepalive = 0;

    } else if (r->connection->requests >= clcf->keepalive_requests) {
        r->keepalive = 0;

    } else if (wd_current_msec - r->connection->start_time
               > clcf->keepalive_time)
    {
        r->keepalive = 0;

    } else if (r->headers_in.msie6 && r->method == WD_HTTP_POST
               && (clcf->keepalive_disable
                   & WD_HTTP_KEEPALIVE_DISABLE_MSIE6))
    {
        r->keepalive = 0;

    } else if (r->headers_in.safari
               && (clcf->keepalive_disable
                   & WD_HTTP_KEEPALIVE_DISABLE_SAFARI))
    {
        r->keepalive = 0;
    }
}

void
wd_http_update_location_config(wd_http_request_t *r)
{
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (r->method & clcf->limit_except) {
        r->loc_conf = clcf->limit_except_loc_conf;
        clcf = r->loc_conf[wd_http_core_module.ctx_index];
    }

    if (r == r->main) {
        wd_http_set_connection_log(r->connection, clcf->error_log);
    }

    r->connection->sendfile = clcf->sendfile ? 1 : 0;

    if (clcf->client_body_in_file_only) {
        r->request_body_in_file_only = 1;
        r->request_body_in_persistent_file = 1;
        r->request_body_in_clean_file = (clcf->client_body_in_file_only == 2);
        r->request_body_file_log_level = WD_LOG_NOTICE;

    } else {
        r->request_body_file_log_level = WD_LOG_WARN;
    }

    r->request_body_in_single_buf = clcf->client_body_in_single_buffer;

    wd_http_update_keepalive(r, clcf);

    if (!clcf->tcp_nopush) {
        /* disable TCP_NOPUSH/TCP_CORK use */
        r->connection->tcp_nopush = WD_TCP_NOPUSH_DISABLED;
    }

    if (clcf->handler) {
        r->content_handler = clcf->handler;
    }
}

/* With an alias, the location prefix is replaced; a join such as
 * "alias /x/;" in "location /files" with "/files../" would make a ".."
 * segment, which nginx follows and warden refuses. */
static wd_uint_t
wd_http_alias_escapes(wd_str_t *root, u_char *rest, size_t len)
{
    size_t dots;

    if (root->len == 0 || root->data[root->len - 1] != '/') {
        return 0;
    }

    for (dots = 0; dots < len && rest[dots] == '.'; dots++) { /* void */ }

    return (dots == 1 || dots == 2) && (dots == len || rest[dots] == '/');
}

u_char *
wd_http_map_uri_to_path(wd_http_request_t *r, wd_str_t *path,
    size_t *root_length, size_t reserved)
{
    u_char *last;
    size_t alias, tail;
    wd_str_t root;
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    alias = clcf->alias;

    if (alias && !r->valid_location) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "\"alias\" cannot be used in location \"%.*s\" "
                     "where URI was rewritten", wd_str_fmt(&clcf->name));
        return NULL;
    }

    /* a regex location's alias names the whole file */
    if (alias && clcf->regex) {
        alias = r->uri.len;
    }

    if (alias > r->uri.len) {
        alias = r->uri.len;
    }

    if (clcf->root_values) {
        if (wd_http_complex_value(r, clcf->root_values, &root) != WD_OK) {
            return NULL;
        }

    } else {
        root = clcf->root;
    }

    tail = r->uri.len - alias;

    if (alias && wd_http_alias_escapes(&root, r->uri.data + alias, tail)) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "\"%.*s\" leaves the alias \"%.*s\"", wd_str_fmt(&r->uri),
                     wd_str_fmt(&root));
        r->err_status = WD_HTTP_NOT_FOUND;
        return NULL;
    }

    path->len = root.len + tail + reserved + 1;
    path->data = wd_pnalloc(r->pool, path->len);

    if (path->data == NULL) {
        return NULL;
    }

    *root_length = root.len;

    last = wd_cpymem(path->data, root.data, root.len);
    last = wd_cpymem(last, r->uri.data + alias, tail);
    *last = '\0';

    path->len = last - path->data + 1;

    return last;
}

void
wd_http_set_exten(wd_http_request_t *r)
{
    wd_int_t i;

    wd_str_null(&r->exten);

    for (i = (wd_int_t) r->uri.len - 1; i > 1; i--) {
        if (r->uri.data[i] == '.' && r->uri.data[i - 1] != '/') {
            r->exten.len = r->uri.len - i - 1;
            r->exten.data = &r->uri.data[i + 1];
            return;
        }

        if (r->uri.data[i] == '/') {
            return;
        }
    }
}

wd_int_t
wd_http_set_content_type(wd_http_request_t *r)
{
    u_char c, *exten, lowcase[32];
    wd_str_t *type;
    wd_uint_t i, hash;
    wd_http_core_loc_conf_t *clcf;

    if (r->headers_out.content_type.len) {
        return WD_OK;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (r->exten.len && r->exten.len <= sizeof(lowcase)) {
        hash = 0;
        exten = lowcase;

        for (i = 0; i < r->exten.len; i++) {
            c = wd_tolower(r->exten.data[i]);
            hash = wd_hash(hash, c);
            lowcase[i] = c;
        }

        type = wd_hash_find(&clcf->types_hash, hash, exten, r->exten.len);

        if (type) {
            r->headers_out.content_type_len = type->len;
            r->headers_out.content_type = *type;
            return WD_OK;
        }
    }

    r->headers_out.content_type_len = clcf->default_type.len;
    r->headers_out.content_type = clcf->default_type;

    return WD_OK;
}

/* ETag: "<mtime hex>-<size hex>", as nginx makes them. */
wd_int_t
wd_http_set_etag(wd_http_request_t *r)
{
    u_char *p;
    wd_table_elt_t *etag;
    wd_http_core_loc_conf_t *clcf;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (!clcf->etag) {
        return WD_OK;
    }

    p = wd_pnalloc(r->pool, WD_OFF_T_LEN + WD_TIME_T_LEN + 3);

    if (p == NULL) {
        return WD_ERROR;
    }

    etag = wd_http_add_response_header(r, "ETag", 4, p, 0);

    if (etag == NULL) {
        return WD_ERROR;
    }

    etag->value.data = p;
    *p++ = '"';
    p = wd_sprint_hex(p, (uint64_t) r->headers_out.last_modified_time);
    *p++ = '-';
    p = wd_sprint_hex(p, (uint64_t) r->headers_out.content_length_n);
    *p++ = '"';
    etag->value.len = p - etag->value.data;

    wd_http_clear_etag(r);
    r->headers_out.etag = etag;

    return WD_OK;
}

void
wd_http_weak_etag(wd_http_request_t *r)
{
    u_char *p;
    wd_table_elt_t *etag;

    etag = r->headers_out.etag;

    if (etag == NULL) {
        return;
    }

    if (etag->value.len > 2 && etag->value.data[0] == 'W'
        && etag->value.data[1] == '/')
    {
        return;
    }

    if (etag->value.len < 1 || etag->value.data[0] != '"') {
        wd_http_clear_etag(r);
        return;
    }

    p = wd_pnalloc(r->pool, etag->value.len + 2);

    if (p == NULL) {
        wd_http_clear_etag(r);
        return;
    }

    p[0] = 'W';
    p[1] = '/';
    wd_memcpy(p + 2, etag->value.data, etag->value.len);

    etag->value.len += 2;
    etag->value.data = p;
}

wd_table_elt_t *
wd_http_add_response_header(wd_http_request_t *r, const char *name,
    size_t name_len, u_char *value, size_t value_len)
{
    wd_table_elt_t *h;

    h = wd_list_push(&r->headers_out.headers);

    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->next = NULL;
    h->key.len = name_len;
    h->key.data = (u_char *) name;
    h->value.len = value_len;
    h->value.data = value;
    h->lowcase_key = NULL;

    return h;
}

static wd_uint_t
wd_http_is_redirect(wd_uint_t status)
{
    return status == WD_HTTP_MOVED_PERMANENTLY
           || status == WD_HTTP_MOVED_TEMPORARILY
           || status == WD_HTTP_SEE_OTHER
           || status == WD_HTTP_TEMPORARY_REDIRECT
           || status == WD_HTTP_PERMANENT_REDIRECT;
}

wd_int_t
wd_http_send_response(wd_http_request_t *r, wd_uint_t status, wd_str_t *ct,
    wd_http_complex_value_t *cv)
{
    wd_int_t rc;
    wd_str_t val;
    wd_buf_t *b;
    wd_chain_t out;
    wd_table_elt_t *h;

    rc = wd_http_discard_request_body(r);

    if (rc != WD_OK) {
        return rc;
    }

    if (!wd_http_is_redirect(status)) {
        /* the text may say "$status" */
        r->headers_out.status = status;
    }

    if (wd_http_complex_value(r, cv, &val) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (wd_http_is_redirect(status)) {
        h = wd_http_add_response_header(r, "Location", 8, val.data, val.len);

        if (h == NULL) {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }

        wd_http_clear_location(r);
        r->headers_out.location = h;

        return (wd_int_t) status;
    }

    r->headers_out.status = status;

    if (status == WD_HTTP_NO_CONTENT) {
        r->header_only = 1;
        return wd_http_send_header(r);
    }

    r->headers_out.content_length_n = (off_t) val.len;

    if (ct) {
        r->headers_out.content_type_len = ct->len;
        r->headers_out.content_type = *ct;

    } else if (wd_http_set_content_type(r) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = wd_calloc_buf(r->pool);

    if (b == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = val.data;
    b->last = val.data + val.len;
    b->memory = val.len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = (b->last_buf || b->memory) ? 0 : 1;

    out.buf = b;
    out.next = NULL;

    rc = wd_http_send_header(r);

    if (rc == WD_ERROR || rc > WD_OK || r->header_only) {
        return rc;
    }

    return wd_http_output_filter(r, &out);
}

wd_int_t
wd_http_internal_redirect(wd_http_request_t *r, wd_str_t *uri,
    wd_str_t *args)
{
    wd_http_core_srv_conf_t *cscf;

    r->uri_changes--;

    if (r->uri_changes == 0) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle "
                     "while internally redirecting to \"%.*s\"",
                     wd_str_fmt(uri));

        r->main->count++;
        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_DONE;
    }

    r->uri = *uri;

    if (args) {
        r->args = *args;
    } else {
        wd_str_null(&r->args);
    }

    wd_http_set_exten(r);

    /* the modules start over for the new URI */
    wd_memzero(r->ctx, sizeof(void *) * wd_http_max_module);

    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);
    r->loc_conf = cscf->ctx->loc_conf;

    wd_http_update_location_config(r);

    r->internal = 1;
    r->valid_unparsed_uri = 0;
    r->add_uri_to_alias = 0;
    r->main->count++;

    wd_http_handler(r);

    return WD_DONE;
}

wd_int_t
wd_http_named_location(wd_http_request_t *r, wd_str_t *name)
{
    wd_http_core_srv_conf_t *cscf;
    wd_http_core_loc_conf_t **clcfp;
    wd_http_core_main_conf_t *cmcf;

    r->main->count++;
    r->uri_changes--;

    if (r->uri_changes == 0) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle "
                     "while redirect to named location \"%.*s\"",
                     wd_str_fmt(name));

        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_DONE;
    }

    if (r->uri.len == 0) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "empty URI in redirect to named location \"%.*s\"",
                     wd_str_fmt(name));

        wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);
        return WD_DONE;
    }

    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);

    for (clcfp = cscf->named_locations; clcfp && *clcfp; clcfp++) {
        if (name->len != (*clcfp)->name.len
            || wd_memcmp(name->data, (*clcfp)->name.data, name->len) != 0)
        {
            continue;
        }

        r->loc_conf = (*clcfp)->loc_conf;

        /* clear the modules contexts */
        wd_memzero(r->ctx, sizeof(void *) * wd_http_max_module);

        wd_http_update_location_config(r);

        cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);

        r->phase_handler = cmcf->phase_engine.location_rewrite_index;
        r->write_event_handler = wd_http_core_run_phases;
        r->internal = 1;
        r->valid_location = 0;

        wd_http_core_run_phases(r);

        return WD_DONE;
    }

    wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                 "could not find named location \"%.*s\"", wd_str_fmt(name));

    wd_http_finalize_request(r, WD_HTTP_INTERNAL_SERVER_ERROR);

    return WD_DONE;
}

wd_http_cleanup_t *
wd_http_cleanup_add(wd_http_request_t *r, size_t size)
{
    wd_http_cleanup_t *cln;

    r = r->main;

    cln = wd_palloc(r->pool, sizeof(wd_http_cleanup_t));

    if (cln == NULL) {
        return NULL;
    }

    if (size) {
        cln->data = wd_palloc(r->pool, size);

        if (cln->data == NULL) {
            return NULL;
        }

    } else {
        cln->data = NULL;
    }

    cln->handler = NULL;
    cln->next = r->cleanup;
    r->cleanup = cln;

    return cln;
}

/* The status and log line for a file that could not be opened: 404 for
 * a missing one, 403 when access is denied, 500 otherwise. */
wd_int_t
wd_http_open_file_error(wd_http_request_t *r, wd_open_file_info_t *of,
    wd_str_t *path, wd_flag_t log_not_found)
{
    wd_int_t rc;
    wd_uint_t level;

    switch (of->err) {

    case 0:
        return WD_HTTP_INTERNAL_SERVER_ERROR;

    case WD_ENOENT:
    case WD_ENOTDIR:
    case WD_ENAMETOOLONG:
        level = WD_LOG_ERR;
        rc = WD_HTTP_NOT_FOUND;
        break;

    case WD_EACCES:
    case WD_EMLINK:
    case WD_ELOOP:
        level = WD_LOG_ERR;
        rc = WD_HTTP_FORBIDDEN;
        break;

    default:
        level = WD_LOG_CRIT;
        rc = WD_HTTP_INTERNAL_SERVER_ERROR;
        break;
    }

    if (rc != WD_HTTP_NOT_FOUND || log_not_found) {
        wd_log_error(level, r->connection->log, of->err, "%s \"%s\" failed",
                     of->failed, path->data);
    }

    return rc;
}
