/*
 * Complex values: "text $var ${var}text $1" compiled into parts.
 */

#include <wd_http.h>

wd_uint_t
wd_http_script_variables_count(wd_str_t *value)
{
    wd_uint_t i, n;

    for (n = 0, i = 0; i < value->len; i++) {
        if (value->data[i] == '$') {
            n++;
        }
    }

    return n;
}

static wd_uint_t
wd_http_script_name_char(u_char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
           || (ch >= '0' && ch <= '9') || ch == '_';
}

/* Reads the variable name after a '$' at v[i]; returns its end index or
 * 0 on a syntax error. */
static wd_uint_t
wd_http_script_name(wd_str_t *v, wd_uint_t i, wd_str_t *name,
    wd_uint_t *bracket)
{
    wd_uint_t start;

    *bracket = 0;

    if (i < v->len && v->data[i] == '{') {
        *bracket = 1;
        i++;
    }

    start = i;

    while (i < v->len && wd_http_script_name_char(v->data[i])) {
        i++;
    }

    name->data = &v->data[start];
    name->len = i - start;

    if (*bracket) {
        if (i >= v->len || v->data[i] != '}') {
            return 0;
        }
        i++;
    }

    return i;
}

static wd_http_cv_part_t *
wd_http_cv_push(wd_array_t *parts, wd_uint_t type)
{
    wd_http_cv_part_t *part;

    part = wd_array_push(parts);

    if (part) {
        wd_memzero(part, sizeof(wd_http_cv_part_t));
        part->type = type;
    }

    return part;
}

static wd_int_t
wd_http_cv_add_text(wd_array_t *parts, u_char *data, size_t len)
{
    wd_http_cv_part_t *part;

    if (len == 0) {
        return WD_OK;
    }

    part = wd_http_cv_push(parts, WD_HTTP_CV_TEXT);

    if (part == NULL) {
        return WD_ERROR;
    }

    part->text.data = data;
    part->text.len = len;

    return WD_OK;
}

/* Adds a "$name" part: a capture for a digit, else a variable index. */
static wd_int_t
wd_http_cv_add_variable(wd_http_compile_complex_value_t *ccv,
    wd_array_t *parts, wd_str_t *name)
{
    wd_int_t index;
    wd_http_cv_part_t *part;

    if (name->len == 1 && name->data[0] >= '0' && name->data[0] <= '9') {
        part = wd_http_cv_push(parts, WD_HTTP_CV_CAPTURE);

        if (part == NULL) {
            return WD_ERROR;
        }

        part->index = name->data[0] - '0';
        ccv->complex_value->captures = 1;
        return WD_OK;
    }

    index = wd_http_get_variable_index(ccv->cf, name);

    if (index == WD_ERROR) {
        return WD_ERROR;
    }

    part = wd_http_cv_push(parts, WD_HTTP_CV_VARIABLE);

    if (part == NULL) {
        return WD_ERROR;
    }

    part->index = (wd_uint_t) index;

    return WD_OK;
}

wd_int_t
wd_http_compile_complex_value(wd_http_compile_complex_value_t *ccv)
{
    wd_str_t *v, name;
    wd_uint_t i, end, text, bracket;
    wd_array_t parts;
    wd_http_complex_value_t *cv;

    v = ccv->value;
    cv = ccv->complex_value;

    wd_memzero(cv, sizeof(wd_http_complex_value_t));
    cv->value = *v;
    cv->zero = ccv->zero;
    cv->root_prefix = ccv->root_prefix;
    cv->conf_prefix = ccv->conf_prefix;

    if (wd_http_script_variables_count(v) == 0) {
        if (ccv->conf_prefix || ccv->root_prefix) {
            if (wd_conf_full_name(ccv->cf->cycle, &cv->value,
                                  ccv->conf_prefix) != WD_OK)
            {
                return WD_ERROR;
            }
        }
        return WD_OK;
    }

    if (wd_array_init(&parts, ccv->cf->pool, 4, sizeof(wd_http_cv_part_t))
        != WD_OK)
    {
        return WD_ERROR;
    }

    for (i = 0, text = 0; i < v->len; /* void */) {
        if (v->data[i] != '$') {
            i++;
            continue;
        }

        if (wd_http_cv_add_text(&parts, &v->data[text], i - text) != WD_OK) {
            return WD_ERROR;
        }

        end = wd_http_script_name(v, i + 1, &name, &bracket);

        if (end == 0) {
            wd_conf_log_error(WD_LOG_EMERG, ccv->cf, 0,
                              "the closing bracket in \"%.*s\" "
                              "variable is missing", wd_str_fmt(&name));
            return WD_ERROR;
        }

        if (name.len == 0) {
            wd_conf_log_error(WD_LOG_EMERG, ccv->cf, 0,
                              "invalid variable name in \"%.*s\"",
                              wd_str_fmt(v));
            return WD_ERROR;
        }

        /* "$12" is capture 1 followed by the text "2" */
        if (!bracket && name.data[0] >= '0' && name.data[0] <= '9') {
            end = i + 2;
            name.len = 1;
        }

        if (wd_http_cv_add_variable(ccv, &parts, &name) != WD_OK) {
            return WD_ERROR;
        }

        i = end;
        text = end;
    }

    if (wd_http_cv_add_text(&parts, &v->data[text], v->len - text) != WD_OK) {
        return WD_ERROR;
    }

    cv->parts = parts.elts;
    cv->nparts = parts.nelts;

    if (cv->captures) {
        wd_http_core_main_conf_t *cmcf;

        cmcf = wd_http_conf_get_module_main_conf(ccv->cf, wd_http_core_module);
        cmcf->ncaptures = wd_max(cmcf->ncaptures, 9);
    }

    return WD_OK;
}

/* The text of part for r (empty when a variable or capture is unset). */
static void
wd_http_cv_part_value(wd_http_request_t *r, wd_http_cv_part_t *part,
    wd_str_t *out)
{
    wd_uint_t n;
    wd_http_variable_value_t *vv;

    out->len = 0;
    out->data = NULL;

    switch (part->type) {

    case WD_HTTP_CV_TEXT:
        *out = part->text;
        return;

    case WD_HTTP_CV_CAPTURE:
        n = 2 * part->index;

        if (n + 1 < r->ncaptures && r->captures && r->captures[n] >= 0) {
            out->data = r->captures_data + r->captures[n];
            out->len = r->captures[n + 1] - r->captures[n];
        }

        return;

    default:
        vv = wd_http_get_flushed_variable(r, part->index);

        if (vv && !vv->not_found) {
            out->data = vv->data;
            out->len = vv->len;
        }

        return;
    }
}

/* A capture's text escaped as a query argument ("&" as "%26"). */
static wd_int_t
wd_http_cv_escape_capture(wd_http_request_t *r, wd_str_t *part)
{
    u_char *p;
    uintptr_t n;

    n = wd_escape_uri(NULL, part->data, part->len, WD_ESCAPE_ARGS);

    if (n == 0) {
        return WD_OK;
    }

    p = wd_pnalloc(r->pool, part->len + 2 * n);

    if (p == NULL) {
        return WD_ERROR;
    }

    (void) wd_escape_uri(p, part->data, part->len, WD_ESCAPE_ARGS);

    part->data = p;
    part->len += 2 * n;

    return WD_OK;
}

static wd_int_t
wd_http_cv_eval(wd_http_request_t *r, wd_http_complex_value_t *val,
    wd_str_t *value, wd_uint_t escape)
{
    u_char *p;
    size_t len;
    wd_uint_t i;
    wd_str_t part, *parts, local[8];

    if (val->nparts == 0) {
        *value = val->value;
        return WD_OK;
    }

    /* each variable is evaluated once: values are kept between passes */
    parts = (val->nparts <= 8) ? local
                               : wd_palloc(r->pool, val->nparts
                                                        * sizeof(wd_str_t));

    if (parts == NULL) {
        return WD_ERROR;
    }

    for (len = 0, i = 0; i < val->nparts; i++) {
        wd_http_cv_part_value(r, &val->parts[i], &part);

        if (escape && part.len && val->parts[i].type == WD_HTTP_CV_CAPTURE
            && wd_http_cv_escape_capture(r, &part) != WD_OK)
        {
            return WD_ERROR;
        }

        parts[i] = part;
        len += part.len;
    }

    p = wd_pnalloc(r->pool, len + (val->zero ? 1 : 0));

    if (p == NULL) {
        return WD_ERROR;
    }

    value->data = p;
    value->len = len;

    for (i = 0; i < val->nparts; i++) {
        if (parts[i].len) {
            p = wd_cpymem(p, parts[i].data, parts[i].len);
        }
    }

    if (val->zero) {
        *p = '\0';
    }

    if ((val->root_prefix || val->conf_prefix) && len && value->data[0] != '/')
    {
        wd_str_t prefix;

        prefix = val->conf_prefix ? wd_cycle->conf_prefix : wd_cycle->prefix;

        if (wd_get_full_name(r->pool, &prefix, value) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

wd_int_t
wd_http_complex_value(wd_http_request_t *r, wd_http_complex_value_t *val,
    wd_str_t *value)
{
    return wd_http_cv_eval(r, val, value, 0);
}

wd_int_t
wd_http_complex_value_escaped(wd_http_request_t *r,
    wd_http_complex_value_t *val, wd_str_t *value)
{
    return wd_http_cv_eval(r, val, value, 1);
}

size_t
wd_http_complex_value_size(wd_http_request_t *r,
    wd_http_complex_value_t *val, size_t default_value)
{
    ssize_t size;
    wd_str_t value;

    if (val == NULL) {
        return default_value;
    }

    if (wd_http_complex_value(r, val, &value) != WD_OK) {
        return default_value;
    }

    size = wd_parse_size(&value);

    if (size == WD_ERROR) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "invalid size \"%.*s\"", wd_str_fmt(&value));
        return default_value;
    }

    return (size_t) size;
}

static char *
wd_http_set_complex_value(wd_conf_t *cf, wd_command_t *cmd, void *conf,
    wd_uint_t zero, wd_uint_t size)
{
    wd_str_t *value;
    ssize_t n;
    wd_http_complex_value_t **cv;
    wd_http_compile_complex_value_t ccv;

    cv = (wd_http_complex_value_t **) ((char *) conf + cmd->offset);

    if (*cv != NULL && *cv != WD_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *cv = wd_palloc(cf->pool, sizeof(wd_http_complex_value_t));

    if (*cv == NULL) {
        return WD_CONF_ERROR;
    }

    value = cf->args->elts;

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = *cv;
    ccv.zero = zero;

    if (wd_http_compile_complex_value(&ccv) != WD_OK) {
        return WD_CONF_ERROR;
    }

    if (size && (*cv)->nparts == 0) {
        n = wd_parse_size(&value[1]);

        if (n == WD_ERROR) {
            return "invalid value";
        }
    }

    return WD_CONF_OK;
}

char *
wd_http_set_complex_value_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    return wd_http_set_complex_value(cf, cmd, conf, 0, 0);
}

char *
wd_http_set_complex_value_zero_slot(wd_conf_t *cf, wd_command_t *cmd,
    void *conf)
{
    return wd_http_set_complex_value(cf, cmd, conf, 1, 0);
}

char *
wd_http_set_complex_value_size_slot(wd_conf_t *cf, wd_command_t *cmd,
    void *conf)
{
    return wd_http_set_complex_value(cf, cmd, conf, 0, 1);
}
