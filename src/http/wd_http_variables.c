/*
 * Variables: registration and lookup.  The core's own variables are in
 * wd_http_core_variables.c.
 */

#include <wd_http.h>

wd_http_variable_value_t wd_http_variable_null_value = {
    0, 1, 0, 0, 0, (u_char *) ""
};

wd_http_variable_value_t wd_http_variable_true_value = {
    1, 1, 0, 0, 0, (u_char *) "1"
};

static wd_uint_t
wd_http_variable_name_eq(wd_str_t *a, wd_str_t *b)
{
    return a->len == b->len && wd_strncasecmp(a->data, b->data, a->len) == 0;
}

static wd_http_variable_t *
wd_http_find_declared(wd_array_t *a, wd_str_t *name)
{
    wd_uint_t i;
    wd_http_variable_t *v;

    v = a->elts;

    for (i = 0; i < a->nelts; i++) {
        if (wd_http_variable_name_eq(&v[i].name, name)) {
            return &v[i];
        }
    }

    return NULL;
}

/* Declared variables, by name, while configuring (keys in cmcf). */
static wd_array_t *
wd_http_declared(wd_conf_t *cf, wd_uint_t prefix)
{
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    if (prefix) {
        if (cmcf->prefix_variables.elts == NULL
            && wd_array_init(&cmcf->prefix_variables, cf->pool, 8,
                             sizeof(wd_http_variable_t)) != WD_OK)
        {
            return NULL;
        }
        return &cmcf->prefix_variables;
    }

    if (cmcf->variables_keys == NULL) {
        cmcf->variables_keys = wd_pcalloc(cf->pool,
                                          sizeof(wd_hash_keys_arrays_t));

        if (cmcf->variables_keys == NULL
            || wd_array_init(&cmcf->variables_keys->keys, cf->pool, 256,
                             sizeof(wd_http_variable_t)) != WD_OK)
        {
            return NULL;
        }
    }

    return &cmcf->variables_keys->keys;
}

wd_http_variable_t *
wd_http_add_variable(wd_conf_t *cf, wd_str_t *name, wd_uint_t flags)
{
    wd_array_t *declared;
    wd_http_variable_t *v;

    if (name->len == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid variable name \"$\"");
        return NULL;
    }

    declared = wd_http_declared(cf, flags & WD_HTTP_VAR_PREFIX);

    if (declared == NULL) {
        return NULL;
    }

    v = wd_http_find_declared(declared, name);

    if (v) {
        if (!(v->flags & WD_HTTP_VAR_CHANGEABLE)) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "the duplicate \"%.*s\" variable",
                              wd_str_fmt(name));
            return NULL;
        }

        if (!(flags & WD_HTTP_VAR_WEAK)) {
            v->flags &= ~WD_HTTP_VAR_WEAK;
        }

        return v;
    }

    v = wd_array_push(declared);

    if (v == NULL) {
        return NULL;
    }

    v->name.len = name->len;
    v->name.data = wd_pnalloc(cf->pool, name->len);

    if (v->name.data == NULL) {
        return NULL;
    }

    wd_strlow(v->name.data, name->data, name->len);

    v->set_handler = NULL;
    v->get_handler = NULL;
    v->data = 0;
    v->flags = flags;
    v->index = 0;

    return v;
}

wd_int_t
wd_http_get_variable_index(wd_conf_t *cf, wd_str_t *name)
{
    wd_uint_t i;
    wd_http_variable_t *v;
    wd_http_core_main_conf_t *cmcf;

    if (name->len == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid variable name \"$\"");
        return WD_ERROR;
    }

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    v = cmcf->variables.elts;

    if (v == NULL) {
        if (wd_array_init(&cmcf->variables, cf->pool, 8,
                          sizeof(wd_http_variable_t)) != WD_OK)
        {
            return WD_ERROR;
        }

    } else {
        for (i = 0; i < cmcf->variables.nelts; i++) {
            if (wd_http_variable_name_eq(&v[i].name, name)) {
                return (wd_int_t) i;
            }
        }
    }

    v = wd_array_push(&cmcf->variables);

    if (v == NULL) {
        return WD_ERROR;
    }

    v->name.len = name->len;
    v->name.data = wd_pnalloc(cf->pool, name->len);

    if (v->name.data == NULL) {
        return WD_ERROR;
    }

    wd_strlow(v->name.data, name->data, name->len);

    v->set_handler = NULL;
    v->get_handler = NULL;
    v->data = 0;
    v->flags = 0;
    v->index = cmcf->variables.nelts - 1;

    return (wd_int_t) v->index;
}

wd_http_variable_value_t *
wd_http_get_indexed_variable(wd_http_request_t *r, wd_uint_t index)
{
    wd_http_variable_t *v;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);

    if (cmcf->variables.nelts <= index) {
        wd_log_error(WD_LOG_ALERT, r->connection->log, 0,
                     "unknown variable index: %lu", (unsigned long) index);
        return NULL;
    }

    if (r->variables[index].not_found || r->variables[index].valid) {
        return &r->variables[index];
    }

    v = cmcf->variables.elts;

    if (v[index].get_handler(r, &r->variables[index], v[index].data)
        == WD_OK)
    {
        if (v[index].flags & WD_HTTP_VAR_NOCACHEABLE) {
            r->variables[index].no_cacheable = 1;
        }

        return &r->variables[index];
    }

    r->variables[index].valid = 0;
    r->variables[index].not_found = 1;

    return NULL;
}

wd_http_variable_value_t *
wd_http_get_flushed_variable(wd_http_request_t *r, wd_uint_t index)
{
    wd_http_variable_value_t *v;

    v = &r->variables[index];

    if (v->valid || v->not_found) {
        if (!v->no_cacheable) {
            return v;
        }

        v->valid = 0;
        v->not_found = 0;
    }

    return wd_http_get_indexed_variable(r, index);
}

/* A prefix family ("http_", "arg_", ...) that name belongs to. */
static wd_http_variable_t *
wd_http_find_prefix(wd_array_t *prefixes, wd_str_t *name)
{
    wd_uint_t i;
    wd_http_variable_t *pv;

    pv = prefixes->elts;

    for (i = 0; i < prefixes->nelts; i++) {
        if (name->len >= pv[i].name.len
            && wd_strncasecmp(name->data, pv[i].name.data, pv[i].name.len)
                   == 0)
        {
            return &pv[i];
        }
    }

    return NULL;
}

wd_http_variable_value_t *
wd_http_get_variable(wd_http_request_t *r, wd_str_t *name, wd_uint_t key)
{
    wd_http_variable_t *v;
    wd_http_variable_value_t *vv;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);

    v = wd_hash_find(&cmcf->variables_hash, key, name->data, name->len);

    if (v) {
        if (v->flags & WD_HTTP_VAR_INDEXED) {
            return wd_http_get_flushed_variable(r, v->index);
        }

        vv = wd_palloc(r->pool, sizeof(wd_http_variable_value_t));

        if (vv && v->get_handler(r, vv, v->data) == WD_OK) {
            return vv;
        }

        return NULL;
    }

    vv = wd_palloc(r->pool, sizeof(wd_http_variable_value_t));

    if (vv == NULL) {
        return NULL;
    }

    v = wd_http_find_prefix(&cmcf->prefix_variables, name);

    if (v) {
        if (v->get_handler(r, vv, (uintptr_t) name) == WD_OK) {
            return vv;
        }

        return NULL;
    }

    vv->not_found = 1;

    return vv;
}

/* Binds each index a directive asked for to a declared variable (or a
 * prefix family); an undeclared name fails the configuration. */
static wd_int_t
wd_http_bind_indexed(wd_conf_t *cf, wd_http_core_main_conf_t *cmcf)
{
    wd_uint_t i;
    wd_http_variable_t *v, *av, *pv;

    v = cmcf->variables.elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {
        av = cmcf->variables_keys
                 ? wd_http_find_declared(&cmcf->variables_keys->keys,
                                         &v[i].name)
                 : NULL;

        if (av) {
            v[i].get_handler = av->get_handler;
            v[i].data = av->data;
            av->flags |= WD_HTTP_VAR_INDEXED;
            v[i].flags = av->flags;
            av->index = i;

            if (av->get_handler == NULL) {
                wd_log_error(WD_LOG_EMERG, cf->log, 0,
                             "variable \"%.*s\" cannot be used",
                             wd_str_fmt(&v[i].name));
                return WD_ERROR;
            }

            continue;
        }

        pv = wd_http_find_prefix(&cmcf->prefix_variables, &v[i].name);

        if (pv) {
            v[i].get_handler = pv->get_handler;
            v[i].data = (uintptr_t) &v[i].name;
            v[i].flags = pv->flags;
            continue;
        }

        wd_log_error(WD_LOG_EMERG, cf->log, 0, "unknown \"%.*s\" variable",
                     wd_str_fmt(&v[i].name));
        return WD_ERROR;
    }

    return WD_OK;
}

wd_int_t
wd_http_variables_init_vars(wd_conf_t *cf)
{
    wd_uint_t i, n;
    wd_array_t *keys;
    wd_hash_key_t *hk;
    wd_http_variable_t *av;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    if (cmcf->prefix_variables.elts == NULL
        && wd_array_init(&cmcf->prefix_variables, cf->pool, 1,
                         sizeof(wd_http_variable_t)) != WD_OK)
    {
        return WD_ERROR;
    }

    if (wd_http_bind_indexed(cf, cmcf) != WD_OK) {
        return WD_ERROR;
    }

    if (cmcf->variables_keys == NULL) {
        return WD_OK;
    }

    /* the run-time lookup by name ($http_x in a map, ...) */
    keys = wd_array_create(cf->temp_pool, 256, sizeof(wd_hash_key_t));

    if (keys == NULL) {
        return WD_ERROR;
    }

    av = cmcf->variables_keys->keys.elts;
    n = cmcf->variables_keys->keys.nelts;

    for (i = 0; i < n; i++) {
        if (av[i].flags & WD_HTTP_VAR_NOHASH) {
            continue;
        }

        hk = wd_array_push(keys);

        if (hk == NULL) {
            return WD_ERROR;
        }

        hk->key = av[i].name;
        hk->key_hash = wd_hash_key(av[i].name.data, av[i].name.len);
        hk->value = &av[i];
    }

    return wd_hash_init(&cmcf->variables_hash, cf->pool, keys->elts,
                        keys->nelts);
}

/* Whether header name matches a variable's name ("x_real_ip" for
 * "X-Real-IP"): case-insensitive, '-' read as '_'. */
static wd_uint_t
wd_http_header_name_matches(wd_str_t *key, u_char *name, size_t len)
{
    u_char ch;
    size_t n;

    if (key->len != len) {
        return 0;
    }

    for (n = 0; n < len; n++) {
        ch = key->data[n];

        if (ch >= 'A' && ch <= 'Z') {
            ch |= 0x20;

        } else if (ch == '-') {
            ch = '_';
        }

        if (name[n] != ch) {
            return 0;
        }
    }

    return 1;
}

/* Visits each header of the list named like the variable; returns how
 * many, and with out set, joins their values into it. */
static wd_uint_t
wd_http_join_headers(wd_list_part_t *part, u_char *name, size_t len,
    u_char sep, u_char *out, size_t *total)
{
    wd_uint_t i, count;
    wd_table_elt_t *header;

    count = 0;
    *total = 0;
    header = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].hash == 0
            || !wd_http_header_name_matches(&header[i].key, name, len))
        {
            continue;
        }

        if (count) {
            if (out) {
                *out++ = sep;
                *out++ = ' ';
            }
            *total += 2;
        }

        if (out) {
            out = wd_cpymem(out, header[i].value.data, header[i].value.len);
        }

        *total += header[i].value.len;
        count++;
    }

    return count;
}

wd_int_t
wd_http_variable_unknown_header(wd_http_request_t *r,
    wd_http_variable_value_t *v, wd_str_t *var, wd_list_part_t *part,
    size_t prefix)
{
    u_char sep, *name, *data;
    size_t len, total;
    wd_uint_t count;

    name = var->data + prefix;
    len = var->len - prefix;

    /* several Cookie headers join with ";", everything else with "," */
    sep = (len == 6 && wd_strncmp(name, "cookie", 6) == 0) ? ';' : ',';

    count = wd_http_join_headers(part, name, len, sep, NULL, &total);

    if (count == 0) {
        v->not_found = 1;
        return WD_OK;
    }

    data = wd_pnalloc(r->pool, total);

    if (data == NULL) {
        return WD_ERROR;
    }

    (void) wd_http_join_headers(part, name, len, sep, data, &total);

    v->len = total;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = data;

    return WD_OK;
}

static wd_int_t
wd_http_variable_not_found(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    v->not_found = 1;
    return WD_OK;
}

/* Binds named captures "(?<name>...)" to variables of that name. */
static wd_int_t
wd_http_regex_named(wd_conf_t *cf, wd_regex_compile_t *rc,
    wd_http_regex_t *re)
{
    u_char *p;
    wd_int_t i;
    wd_str_t name;
    wd_http_variable_t *v;

    re->variables = wd_palloc(cf->pool, rc->named_captures
                                            * sizeof(wd_http_regex_variable_t));

    if (re->variables == NULL) {
        return WD_ERROR;
    }

    re->nvariables = (wd_uint_t) rc->named_captures;
    p = rc->names;

    for (i = 0; i < rc->named_captures; i++) {
        re->variables[i].capture = 2 * ((p[0] << 8) + p[1]);

        name.data = &p[2];
        name.len = wd_strlen(name.data);

        v = wd_http_add_variable(cf, &name, WD_HTTP_VAR_CHANGEABLE);

        if (v == NULL) {
            return WD_ERROR;
        }

        re->variables[i].index = wd_http_get_variable_index(cf, &name);

        if (re->variables[i].index == WD_ERROR) {
            return WD_ERROR;
        }

        v->get_handler = wd_http_variable_not_found;

        p += rc->name_size;
    }

    return WD_OK;
}

wd_http_regex_t *
wd_http_regex_compile(wd_conf_t *cf, wd_regex_compile_t *rc)
{
    wd_http_regex_t *re;
    wd_http_core_main_conf_t *cmcf;

    rc->pool = cf->pool;

    if (wd_regex_compile(rc) != WD_OK) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "%.*s", wd_str_fmt(&rc->err));
        return NULL;
    }

    re = wd_pcalloc(cf->pool, sizeof(wd_http_regex_t));

    if (re == NULL) {
        return NULL;
    }

    re->regex = rc->regex;
    re->ncaptures = (wd_uint_t) rc->captures;
    re->name = rc->pattern;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);
    cmcf->ncaptures = wd_max(cmcf->ncaptures, re->ncaptures);

    if (rc->named_captures && wd_http_regex_named(cf, rc, re) != WD_OK) {
        return NULL;
    }

    return re;
}

wd_int_t
wd_http_regex_exec(wd_http_request_t *r, wd_http_regex_t *re, wd_str_t *s)
{
    wd_int_t rc;
    wd_uint_t i, len;
    wd_http_variable_value_t *vv;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);

    len = 0;

    if (re->ncaptures || re->nvariables) {
        len = cmcf->ncaptures;

        if (r->captures == NULL || r->realloc_captures) {
            r->realloc_captures = 0;
            r->captures = wd_palloc(r->pool, len * sizeof(int));

            if (r->captures == NULL) {
                return WD_ERROR;
            }
        }
    }

    rc = wd_regex_exec(re->regex, s, r->captures, len);

    if (rc == WD_REGEX_NO_MATCHED) {
        return WD_DECLINED;
    }

    if (rc < 0) {
        wd_log_error(WD_LOG_ALERT, r->connection->log, 0,
                     "pcre2_match() failed: %ld on \"%.*s\" using \"%.*s\"",
                     (long) rc, wd_str_fmt(s), wd_str_fmt(&re->name));
        return WD_ERROR;
    }

    for (i = 0; i < re->nvariables; i++) {
        wd_uint_t n = re->variables[i].capture;
        wd_int_t start, end;

        vv = &r->variables[re->variables[i].index];

        start = (n + 1 < len) ? r->captures[n] : -1;
        end = (n + 1 < len) ? r->captures[n + 1] : -1;

        if (start < 0) {
            vv->valid = 0;
            vv->not_found = 1;
            continue;
        }

        vv->len = (unsigned) (end - start);
        vv->valid = 1;
        vv->no_cacheable = 0;
        vv->not_found = 0;
        vv->data = &s->data[start];
    }

    if (len) {
        r->ncaptures = (wd_uint_t) rc * 2;
        r->captures_data = s->data;
    }

    return WD_OK;
}
