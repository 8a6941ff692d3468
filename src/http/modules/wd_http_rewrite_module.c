/*
 * The rewrite module: "rewrite", "return", "set", "break", "if",
 * "rewrite_log" and "uninitialized_variable_warn".
 *
 * The directives of a level (server or location) become a list of codes
 * run in order, in the server-rewrite phase for the server level and in
 * the rewrite phase for a location.  The directives inside an "if" block
 * are part of the list of the level the "if" is in: when the condition
 * fails the run jumps past them, and when it holds (in a location) the
 * request takes the block's configuration and carries on from the first
 * of them through to the end of the list, as nginx does.
 */

#include <wd_http.h>
#include <wd_http_rewrite.h>

#define WD_HTTP_RW_RETURN 0
#define WD_HTTP_RW_REWRITE 1
#define WD_HTTP_RW_BREAK 2
#define WD_HTTP_RW_SET 3
#define WD_HTTP_RW_IF 4

/* a code's answer: stop this level's list, the request goes on */
#define WD_HTTP_RW_STOP -100

#define WD_HTTP_RW_FLAG_NONE 0
#define WD_HTTP_RW_FLAG_LAST 1
#define WD_HTTP_RW_FLAG_BREAK 2

#define WD_HTTP_RW_COND_VAR 0       /* ($x) */
#define WD_HTTP_RW_COND_EQ 1        /* ($x = text), ($x != text) */
#define WD_HTTP_RW_COND_REGEX 2     /* ($x ~ re), ~*, !~, !~* */
#define WD_HTTP_RW_COND_FILE 3      /* (-f path), -d, -e, -x, !-f ... */

typedef struct {
    wd_uint_t type;             /* WD_HTTP_RW_* */
    void *data;                 /* the directive's struct below */
} wd_http_rewrite_code_t;

typedef struct {
    wd_uint_t status;
    wd_http_complex_value_t text;
    unsigned has_text:1;
} wd_http_rewrite_return_t;

typedef struct {
    wd_http_regex_t *regex;
    wd_http_complex_value_t uri;    /* the replacement up to its '?' */
    wd_http_complex_value_t args;   /* after it */
    wd_uint_t status;           /* 301 or 302: a redirect; 0: a new URI */
    wd_uint_t flag;             /* WD_HTTP_RW_FLAG_* */
    unsigned has_args:1;
    unsigned add_args:1;
} wd_http_rewrite_rule_t;

typedef struct {
    wd_uint_t index;
    wd_http_set_variable_pt set_handler;    /* $args, $limit_rate */
    uintptr_t data;
    wd_http_complex_value_t value;
} wd_http_rewrite_set_t;

typedef struct {
    wd_uint_t op;               /* WD_HTTP_RW_COND_* */
    wd_uint_t negate;
    u_char test;                /* 'f', 'd', 'e' or 'x' */
    wd_http_complex_value_t left;   /* the variable, or the path */
    wd_http_complex_value_t right;
    wd_http_regex_t *regex;
    void **loc_conf;            /* the block's; NULL at the server level */
    wd_uint_t next;             /* the code after the block */
} wd_http_rewrite_if_t;

typedef struct {
    wd_array_t *codes;          /* NULL: nothing at this level; an "if"
                                   block shares its level's */
    wd_flag_t log;
    wd_flag_t uninitialized_variable_warn;
} wd_http_rewrite_loc_conf_t;

static void *wd_http_rewrite_create_loc_conf(wd_conf_t *cf);
static char *wd_http_rewrite_merge_loc_conf(wd_conf_t *cf, void *parent,
    void *child);
static wd_int_t wd_http_rewrite_init(wd_conf_t *cf);
static char *wd_http_rewrite_return(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_rewrite(wd_conf_t *cf, wd_command_t *cmd, void *conf);
static char *wd_http_rewrite_break(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_rewrite_set(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_rewrite_if(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);

#define WD_HTTP_RW_CONTEXTS                                                    \
    (WD_HTTP_SRV_CONF | WD_HTTP_SIF_CONF | WD_HTTP_LOC_CONF | WD_HTTP_LIF_CONF)

static wd_command_t wd_http_rewrite_commands[] = {

    { wd_string("return"),
      WD_HTTP_RW_CONTEXTS | WD_CONF_TAKE12,
      wd_http_rewrite_return,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { wd_string("rewrite"),
      WD_HTTP_RW_CONTEXTS | WD_CONF_TAKE23,
      wd_http_rewrite,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { wd_string("break"),
      WD_HTTP_RW_CONTEXTS | WD_CONF_NOARGS,
      wd_http_rewrite_break,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { wd_string("set"),
      WD_HTTP_RW_CONTEXTS | WD_CONF_TAKE2,
      wd_http_rewrite_set,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    /* as in nginx, an "if" cannot be inside another */
    { wd_string("if"),
      WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_BLOCK | WD_CONF_1MORE,
      wd_http_rewrite_if,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { wd_string("rewrite_log"),
      WD_HTTP_MAIN_CONF | WD_HTTP_RW_CONTEXTS | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      WD_HTTP_LOC_CONF_OFFSET,
      offsetof(wd_http_rewrite_loc_conf_t, log),
      NULL },

    { wd_string("uninitialized_variable_warn"),
      WD_HTTP_MAIN_CONF | WD_HTTP_RW_CONTEXTS | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      WD_HTTP_LOC_CONF_OFFSET,
      offsetof(wd_http_rewrite_loc_conf_t, uninitialized_variable_warn),
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

/* ---- URI and query assembly (no request: see wd_http_rewrite.h) ---- */

void
wd_http_rewrite_split(wd_str_t *replacement, wd_http_rewrite_split_t *split)
{
    u_char *q;
    size_t len;

    len = replacement->len;
    split->add_args = 1;
    split->has_args = 0;

    if (len && replacement->data[len - 1] == '?') {
        len--;
        split->add_args = 0;
    }

    q = len ? memchr(replacement->data, '?', len) : NULL;

    split->uri.data = replacement->data;

    if (q == NULL) {
        split->uri.len = len;
        split->args.data = replacement->data + len;
        split->args.len = 0;
        return;
    }

    split->has_args = 1;
    split->uri.len = q - replacement->data;
    split->args.data = q + 1;
    split->args.len = len - split->uri.len - 1;
}

wd_int_t
wd_http_rewrite_args(wd_pool_t *pool, wd_str_t *args, wd_uint_t has_args,
    wd_uint_t add_args, wd_str_t *old, wd_str_t *out)
{
    u_char *p;

    if (!has_args) {
        if (add_args) {
            *out = *old;
        } else {
            out->len = 0;
            out->data = NULL;
        }
        return WD_OK;
    }

    if (!add_args || old->len == 0) {
        *out = *args;
        return WD_OK;
    }

    p = wd_pnalloc(pool, args->len + 1 + old->len);

    if (p == NULL) {
        return WD_ERROR;
    }

    out->data = p;
    p = wd_cpymem(p, args->data, args->len);
    *p++ = '&';
    p = wd_cpymem(p, old->data, old->len);
    out->len = p - out->data;

    return WD_OK;
}

wd_int_t
wd_http_rewrite_location(wd_pool_t *pool, wd_str_t *uri, wd_str_t *args,
    wd_uint_t has_args, wd_uint_t add_args, wd_str_t *old, wd_str_t *out)
{
    u_char *p;
    size_t len;

    add_args = add_args && old->len;

    len = uri->len + (has_args ? 1 + args->len : 0)
          + (add_args ? 1 + old->len : 0);

    p = wd_pnalloc(pool, len ? len : 1);

    if (p == NULL) {
        return WD_ERROR;
    }

    out->data = p;
    p = wd_cpymem(p, uri->data, uri->len);

    if (has_args) {
        *p++ = '?';
        p = wd_cpymem(p, args->data, args->len);
    }

    if (add_args) {
        *p++ = has_args ? '&' : '?';
        p = wd_cpymem(p, old->data, old->len);
    }

    out->len = p - out->data;

    return WD_OK;
}

/* ---- run time ---- */

static wd_int_t
wd_http_rewrite_run_return(wd_http_request_t *r, wd_http_rewrite_return_t *ret)
{
    if (ret->status == WD_HTTP_CLOSE) {
        return WD_HTTP_CLOSE;
    }

    if (ret->status < WD_HTTP_BAD_REQUEST || ret->has_text) {
        return wd_http_send_response(r, ret->status, NULL, &ret->text);
    }

    return (wd_int_t) ret->status;
}

/* Runs re on s, with the "rewrite_log" line; WD_OK on a match. */
static wd_int_t
wd_http_rewrite_match(wd_http_request_t *r, wd_http_rewrite_loc_conf_t *rlcf,
    wd_http_regex_t *re, wd_str_t *s)
{
    wd_int_t rc;

    rc = wd_http_regex_exec(r, re, s);

    if (rc == WD_ERROR || !rlcf->log) {
        return rc;
    }

    wd_log_error(WD_LOG_NOTICE, r->connection->log, 0,
                 "\"%.*s\" %s \"%.*s\"", wd_str_fmt(&re->name),
                 (rc == WD_OK) ? "matches" : "does not match", wd_str_fmt(s));

    return rc;
}

static wd_int_t
wd_http_rewrite_redirect(wd_http_request_t *r,
    wd_http_rewrite_loc_conf_t *rlcf, wd_http_rewrite_rule_t *rule,
    wd_str_t *uri, wd_str_t *args)
{
    wd_str_t location;
    wd_table_elt_t *h;

    if (wd_http_rewrite_location(r->pool, uri, args, rule->has_args,
                                 rule->add_args, &r->args, &location)
        != WD_OK)
    {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rlcf->log) {
        wd_log_error(WD_LOG_NOTICE, r->connection->log, 0,
                     "rewritten redirect: \"%.*s\"", wd_str_fmt(&location));
    }

    h = wd_http_add_response_header(r, "Location", 8, location.data,
                                    location.len);

    if (h == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    wd_http_clear_location(r);
    r->headers_out.location = h;

    return (wd_int_t) rule->status;
}

static wd_int_t
wd_http_rewrite_new_uri(wd_http_request_t *r,
    wd_http_rewrite_loc_conf_t *rlcf, wd_http_rewrite_rule_t *rule,
    wd_str_t *uri, wd_str_t *args)
{
    wd_str_t new_args;

    if (uri->len == 0) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "the rewritten URI has a zero length");
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (wd_http_rewrite_args(r->pool, args, rule->has_args, rule->add_args,
                             &r->args, &new_args)
        != WD_OK)
    {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rlcf->log) {
        wd_log_error(WD_LOG_NOTICE, r->connection->log, 0,
                     "rewritten data: \"%.*s\", args: \"%.*s\"",
                     wd_str_fmt(uri), wd_str_fmt(&new_args));
    }

    r->uri = *uri;
    r->args = new_args;
    wd_http_set_exten(r);

    r->internal = 1;
    r->valid_unparsed_uri = 0;

    if (rule->flag == WD_HTTP_RW_FLAG_BREAK) {
        /* stays in this location: its URI part no longer applies */
        r->valid_location = 0;
        r->uri_changed = 0;
        return WD_HTTP_RW_STOP;
    }

    r->uri_changed = 1;

    return (rule->flag == WD_HTTP_RW_FLAG_LAST) ? WD_HTTP_RW_STOP
                                                 : WD_DECLINED;
}

static wd_int_t
wd_http_rewrite_run_rule(wd_http_request_t *r,
    wd_http_rewrite_loc_conf_t *rlcf, wd_http_rewrite_rule_t *rule)
{
    wd_int_t rc;
    wd_str_t uri, args;
    wd_uint_t escape;

    rc = wd_http_rewrite_match(r, rlcf, rule->regex, &r->uri);

    if (rc == WD_DECLINED) {
        return WD_DECLINED;
    }

    if (rc != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* captures come from the decoded URI: where they go into a query or
     * a URL, what the client had escaped is escaped again */
    escape = r->quoted_uri || r->plus_in_uri;

    rc = (escape && rule->status)
             ? wd_http_complex_value_escaped(r, &rule->uri, &uri)
             : wd_http_complex_value(r, &rule->uri, &uri);

    if (rc != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    wd_str_null(&args);

    if (rule->has_args) {
        rc = escape ? wd_http_complex_value_escaped(r, &rule->args, &args)
                    : wd_http_complex_value(r, &rule->args, &args);

        if (rc != WD_OK) {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (rule->status) {
        return wd_http_rewrite_redirect(r, rlcf, rule, &uri, &args);
    }

    return wd_http_rewrite_new_uri(r, rlcf, rule, &uri, &args);
}

static wd_int_t
wd_http_rewrite_run_set(wd_http_request_t *r, wd_http_rewrite_set_t *set)
{
    wd_str_t value;
    wd_http_variable_value_t *vv, tmp;

    if (wd_http_complex_value(r, &set->value, &value) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    vv = set->set_handler ? &tmp : &r->variables[set->index];

    vv->len = value.len;
    vv->valid = 1;
    vv->no_cacheable = 0;
    vv->not_found = 0;
    vv->escape = 0;
    vv->data = value.data;

    if (set->set_handler) {
        set->set_handler(r, vv, set->data);
    }

    return WD_DECLINED;
}

static wd_int_t
wd_http_rewrite_run_break(wd_http_request_t *r)
{
    if (r->uri_changed) {
        r->valid_location = 0;
        r->uri_changed = 0;
    }

    return WD_HTTP_RW_STOP;
}

static wd_int_t
wd_http_rewrite_test_file(wd_http_request_t *r, wd_http_rewrite_if_t *ifc,
    wd_str_t *path)
{
    struct stat sb;
    wd_uint_t yes;

    if (wd_file_info(path->data, &sb) == -1) {
        return ifc->negate ? WD_OK : WD_DECLINED;
    }

    switch (ifc->test) {
    case 'f':
        yes = S_ISREG(sb.st_mode);
        break;
    case 'd':
        yes = S_ISDIR(sb.st_mode);
        break;
    case 'x':
        yes = (sb.st_mode & S_IXUSR) != 0;
        break;
    default: /* 'e' */
        yes = 1;
        break;
    }

    return (yes ^ ifc->negate) ? WD_OK : WD_DECLINED;
}

/* WD_OK if the condition holds, WD_DECLINED if not, or WD_ERROR. */
static wd_int_t
wd_http_rewrite_test(wd_http_request_t *r, wd_http_rewrite_loc_conf_t *rlcf,
    wd_http_rewrite_if_t *ifc)
{
    wd_int_t rc;
    wd_str_t left, right;
    wd_uint_t yes;

    if (wd_http_complex_value(r, &ifc->left, &left) != WD_OK) {
        return WD_ERROR;
    }

    switch (ifc->op) {

    case WD_HTTP_RW_COND_VAR:
        yes = !(left.len == 0 || (left.len == 1 && left.data[0] == '0'));
        break;

    case WD_HTTP_RW_COND_EQ:
        if (wd_http_complex_value(r, &ifc->right, &right) != WD_OK) {
            return WD_ERROR;
        }

        yes = (left.len == right.len
               && wd_memcmp(left.data, right.data, left.len) == 0);
        yes ^= ifc->negate;
        break;

    case WD_HTTP_RW_COND_REGEX:
        rc = wd_http_rewrite_match(r, rlcf, ifc->regex, &left);

        if (rc == WD_ERROR) {
            return WD_ERROR;
        }

        yes = (rc == WD_OK) ^ ifc->negate;
        break;

    default:
        return wd_http_rewrite_test_file(r, ifc, &left);
    }

    return yes ? WD_OK : WD_DECLINED;
}

/* Runs one code: WD_DECLINED goes on to the next, WD_HTTP_RW_STOP ends
 * the list, anything else is the request's answer. */
static wd_int_t
wd_http_rewrite_run(wd_http_request_t *r, wd_http_rewrite_loc_conf_t *rlcf,
    wd_http_rewrite_code_t *code)
{
    switch (code->type) {
    case WD_HTTP_RW_RETURN:
        return wd_http_rewrite_run_return(r, code->data);
    case WD_HTTP_RW_REWRITE:
        return wd_http_rewrite_run_rule(r, rlcf, code->data);
    case WD_HTTP_RW_SET:
        return wd_http_rewrite_run_set(r, code->data);
    default: /* WD_HTTP_RW_BREAK */
        return wd_http_rewrite_run_break(r);
    }
}

static wd_int_t
wd_http_rewrite_handler(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_uint_t i, n;
    wd_http_rewrite_if_t *ifc;
    wd_http_rewrite_code_t *codes;
    wd_http_core_srv_conf_t *cscf;
    wd_http_core_main_conf_t *cmcf;
    wd_http_rewrite_loc_conf_t *rlcf;

    cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);
    cscf = wd_http_get_module_srv_conf(r, wd_http_core_module);

    if ((wd_uint_t) r->phase_handler == cmcf->phase_engine.location_rewrite_index
        && r->loc_conf == cscf->ctx->loc_conf)
    {
        /* no location matched: the server level's list already ran */
        return WD_DECLINED;
    }

    rlcf = wd_http_get_module_loc_conf(r, wd_http_rewrite_module);

    if (rlcf->codes == NULL) {
        return WD_DECLINED;
    }

    codes = rlcf->codes->elts;
    n = rlcf->codes->nelts;

    for (i = 0; i < n; /* void */) {
        if (codes[i].type != WD_HTTP_RW_IF) {
            rc = wd_http_rewrite_run(r, rlcf, &codes[i]);

            if (rc == WD_DECLINED) {
                i++;
                continue;
            }

            return (rc == WD_HTTP_RW_STOP) ? WD_DECLINED : rc;
        }

        ifc = codes[i].data;
        rc = wd_http_rewrite_test(r, rlcf, ifc);

        if (rc == WD_ERROR) {
            return WD_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == WD_DECLINED) {
            i = ifc->next;
            continue;
        }

        if (ifc->loc_conf) {
            r->loc_conf = ifc->loc_conf;
            wd_http_update_location_config(r);
        }

        i++;
    }

    return WD_DECLINED;
}

/* The value of a variable "set" declares, until a "set" runs. */
static wd_int_t
wd_http_rewrite_var(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    wd_http_variable_t *var;
    wd_http_core_main_conf_t *cmcf;
    wd_http_rewrite_loc_conf_t *rlcf;

    rlcf = wd_http_get_module_loc_conf(r, wd_http_rewrite_module);

    if (rlcf->uninitialized_variable_warn) {
        cmcf = wd_http_get_module_main_conf(r, wd_http_core_module);
        var = cmcf->variables.elts;

        wd_log_error(WD_LOG_WARN, r->connection->log, 0,
                     "using uninitialized \"%.*s\" variable",
                     wd_str_fmt(&var[data].name));
    }

    *v = wd_http_variable_null_value;

    return WD_OK;
}

/* ---- configuration ---- */

static void *
wd_http_rewrite_create_loc_conf(wd_conf_t *cf)
{
    wd_http_rewrite_loc_conf_t *rlcf;

    rlcf = wd_pcalloc(cf->pool, sizeof(wd_http_rewrite_loc_conf_t));

    if (rlcf == NULL) {
        return NULL;
    }

    rlcf->log = WD_CONF_UNSET;
    rlcf->uninitialized_variable_warn = WD_CONF_UNSET;

    return rlcf;
}

/* The directives themselves are not inherited: the server level's list
 * already ran in the server-rewrite phase, and a location's list is its
 * own (an "if" block shares its level's list, set when it was read). */
static char *
wd_http_rewrite_merge_loc_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_http_rewrite_loc_conf_t *prev = parent;
    wd_http_rewrite_loc_conf_t *conf = child;

    wd_conf_merge_value(conf->log, prev->log, 0);
    wd_conf_merge_value(conf->uninitialized_variable_warn,
                        prev->uninitialized_variable_warn, 1);

    return WD_CONF_OK;
}

static wd_int_t
wd_http_rewrite_push(wd_conf_t *cf, wd_http_rewrite_loc_conf_t *rlcf,
    wd_uint_t type, void *data)
{
    wd_http_rewrite_code_t *code;

    if (rlcf->codes == NULL) {
        rlcf->codes = wd_array_create(cf->pool, 4,
                                      sizeof(wd_http_rewrite_code_t));

        if (rlcf->codes == NULL) {
            return WD_ERROR;
        }
    }

    code = wd_array_push(rlcf->codes);

    if (code == NULL) {
        return WD_ERROR;
    }

    code->type = type;
    code->data = data;

    return WD_OK;
}

static wd_int_t
wd_http_rewrite_compile(wd_conf_t *cf, wd_str_t *value,
    wd_http_complex_value_t *cv, wd_uint_t zero)
{
    wd_http_compile_complex_value_t ccv;

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = cv;
    ccv.zero = zero;

    return wd_http_compile_complex_value(&ccv);
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
        if (wd_http_rewrite_compile(cf, text, &ret->text, 0) != WD_OK) {
            return WD_CONF_ERROR;
        }

        ret->has_text = 1;
    }

    if (wd_http_rewrite_push(cf, conf, WD_HTTP_RW_RETURN, ret) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

/* "last", "break", "redirect" or "permanent" into rule. */
static char *
wd_http_rewrite_flag(wd_conf_t *cf, wd_str_t *v, wd_http_rewrite_rule_t *rule)
{
    if (v->len == 4 && wd_strncmp(v->data, "last", 4) == 0) {
        rule->flag = WD_HTTP_RW_FLAG_LAST;

    } else if (v->len == 5 && wd_strncmp(v->data, "break", 5) == 0) {
        rule->flag = WD_HTTP_RW_FLAG_BREAK;

    } else if (v->len == 8 && wd_strncmp(v->data, "redirect", 8) == 0) {
        rule->status = WD_HTTP_MOVED_TEMPORARILY;

    } else if (v->len == 9 && wd_strncmp(v->data, "permanent", 9) == 0) {
        rule->status = WD_HTTP_MOVED_PERMANENTLY;

    } else {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          wd_str_fmt(v));
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static char *
wd_http_rewrite(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_regex_compile_t rc;
    wd_http_rewrite_rule_t *rule;
    wd_http_rewrite_split_t split;

    rule = wd_pcalloc(cf->pool, sizeof(wd_http_rewrite_rule_t));

    if (rule == NULL) {
        return WD_CONF_ERROR;
    }

    value = cf->args->elts;

    wd_memzero(&rc, sizeof(wd_regex_compile_t));
    rc.pattern = value[1];

    rule->regex = wd_http_regex_compile(cf, &rc);

    if (rule->regex == NULL) {
        return WD_CONF_ERROR;
    }

    if (cf->args->nelts == 4
        && wd_http_rewrite_flag(cf, &value[3], rule) != WD_CONF_OK)
    {
        return WD_CONF_ERROR;
    }

    if (rule->status == 0 && wd_http_rewrite_is_url(&value[2])) {
        rule->status = WD_HTTP_MOVED_TEMPORARILY;
    }

    wd_http_rewrite_split(&value[2], &split);

    rule->has_args = split.has_args;
    rule->add_args = split.add_args;

    if (wd_http_rewrite_compile(cf, &split.uri, &rule->uri, 0) != WD_OK
        || wd_http_rewrite_compile(cf, &split.args, &rule->args, 0) != WD_OK)
    {
        return WD_CONF_ERROR;
    }

    if (wd_http_rewrite_push(cf, conf, WD_HTTP_RW_REWRITE, rule) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static char *
wd_http_rewrite_break(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    if (wd_http_rewrite_push(cf, conf, WD_HTTP_RW_BREAK, NULL) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static char *
wd_http_rewrite_set(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_int_t index;
    wd_str_t *value, name;
    wd_http_variable_t *v;
    wd_http_rewrite_set_t *set;

    value = cf->args->elts;

    if (value[1].len < 2 || value[1].data[0] != '$') {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid variable name \"%.*s\"",
                          wd_str_fmt(&value[1]));
        return WD_CONF_ERROR;
    }

    name.data = value[1].data + 1;
    name.len = value[1].len - 1;

    set = wd_pcalloc(cf->pool, sizeof(wd_http_rewrite_set_t));

    if (set == NULL) {
        return WD_CONF_ERROR;
    }

    v = wd_http_add_variable(cf, &name,
                             WD_HTTP_VAR_CHANGEABLE | WD_HTTP_VAR_WEAK);

    if (v == NULL) {
        return WD_CONF_ERROR;
    }

    index = wd_http_get_variable_index(cf, &name);

    if (index == WD_ERROR) {
        return WD_CONF_ERROR;
    }

    if (v->get_handler == NULL) {
        v->get_handler = wd_http_rewrite_var;
        v->data = (uintptr_t) index;
    }

    set->index = (wd_uint_t) index;
    set->set_handler = v->set_handler;
    set->data = v->data;

    if (wd_http_rewrite_compile(cf, &value[2], &set->value, 0) != WD_OK) {
        return WD_CONF_ERROR;
    }

    if (wd_http_rewrite_push(cf, conf, WD_HTTP_RW_SET, set) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static char *
wd_http_rewrite_invalid_condition(wd_conf_t *cf, wd_str_t *v)
{
    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid condition \"%.*s\"",
                      wd_str_fmt(v));
    return WD_CONF_ERROR;
}

/* "$x OP value": =, !=, ~, ~*, !~, !~* */
static char *
wd_http_rewrite_compare(wd_conf_t *cf, wd_http_rewrite_if_t *ifc,
    wd_str_t *op, wd_str_t *right)
{
    u_char *p;
    size_t len;
    wd_regex_compile_t rc;

    p = op->data;
    len = op->len;

    if ((len == 1 && p[0] == '=') || (len == 2 && p[0] == '!' && p[1] == '='))
    {
        ifc->op = WD_HTTP_RW_COND_EQ;
        ifc->negate = (len == 2);

        if (wd_http_rewrite_compile(cf, right, &ifc->right, 0) != WD_OK) {
            return WD_CONF_ERROR;
        }

        return WD_CONF_OK;
    }

    if (len && p[0] == '!') {
        ifc->negate = 1;
        p++;
        len--;
    }

    if (!((len == 1 && p[0] == '~') || (len == 2 && p[0] == '~'
                                        && p[1] == '*')))
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "unexpected \"%.*s\" in condition", wd_str_fmt(op));
        return WD_CONF_ERROR;
    }

    wd_memzero(&rc, sizeof(wd_regex_compile_t));
    rc.pattern = *right;
    rc.options = (len == 2) ? WD_REGEX_CASELESS : 0;

    ifc->op = WD_HTTP_RW_COND_REGEX;
    ifc->regex = wd_http_regex_compile(cf, &rc);

    return ifc->regex ? WD_CONF_OK : WD_CONF_ERROR;
}

/* "-f path", "!-d path", ... */
static char *
wd_http_rewrite_file_test(wd_conf_t *cf, wd_http_rewrite_if_t *ifc,
    wd_str_t *op, wd_str_t *path)
{
    u_char t;

    t = op->data[op->len - 1];

    if (t != 'f' && t != 'd' && t != 'e' && t != 'x') {
        return wd_http_rewrite_invalid_condition(cf, op);
    }

    ifc->op = WD_HTTP_RW_COND_FILE;
    ifc->test = t;
    ifc->negate = (op->data[0] == '!');

    if (wd_http_rewrite_compile(cf, path, &ifc->left, 1) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

/* The words between "if (" and ")"; the parentheses may stand alone
 * or stick to the first and last word. */
static char *
wd_http_rewrite_condition(wd_conf_t *cf, wd_http_rewrite_if_t *ifc)
{
    u_char *p;
    size_t len;
    wd_str_t *value;
    wd_uint_t cur, last;

    value = cf->args->elts;
    last = cf->args->nelts - 1;
    cur = 1;

    if (value[1].len == 0 || value[1].data[0] != '(') {
        return wd_http_rewrite_invalid_condition(cf, &value[1]);
    }

    if (value[1].len == 1) {
        cur = 2;
    } else {
        value[1].data++;
        value[1].len--;
    }

    if (cur > last || value[last].len == 0
        || value[last].data[value[last].len - 1] != ')')
    {
        return wd_http_rewrite_invalid_condition(cf, &value[last]);
    }

    if (value[last].len == 1) {
        last--;
    } else {
        value[last].len--;
    }

    if (cur > last) {
        return wd_http_rewrite_invalid_condition(cf, &value[cur]);
    }

    p = value[cur].data;
    len = value[cur].len;

    if (len > 1 && p[0] == '$') {
        if (last != cur && last - cur != 2) {
            return wd_http_rewrite_invalid_condition(cf, &value[cur]);
        }

        if (wd_http_rewrite_compile(cf, &value[cur], &ifc->left, 0) != WD_OK) {
            return WD_CONF_ERROR;
        }

        if (last == cur) {
            ifc->op = WD_HTTP_RW_COND_VAR;
            return WD_CONF_OK;
        }

        return wd_http_rewrite_compare(cf, ifc, &value[cur + 1], &value[last]);
    }

    if ((len == 2 && p[0] == '-') || (len == 3 && p[0] == '!' && p[1] == '-'))
    {
        if (last - cur != 1) {
            return wd_http_rewrite_invalid_condition(cf, &value[cur]);
        }

        return wd_http_rewrite_file_test(cf, ifc, &value[cur], &value[last]);
    }

    return wd_http_rewrite_invalid_condition(cf, &value[cur]);
}

/* "if (condition) { ... }": the block is an unnamed location inheriting
 * the enclosing level's settings; its rewrite directives go into the
 * enclosing level's list, after the "if" code that can skip them. */
static char *
wd_http_rewrite_if(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *rv;
    wd_conf_t save;
    wd_uint_t in_server;
    wd_http_conf_ctx_t *ctx, *pctx;
    wd_http_rewrite_if_t *ifc;
    wd_http_core_loc_conf_t *clcf, *pclcf;
    wd_http_rewrite_loc_conf_t *rlcf = conf, *nrlcf;

    ifc = wd_pcalloc(cf->pool, sizeof(wd_http_rewrite_if_t));

    if (ifc == NULL) {
        return WD_CONF_ERROR;
    }

    if (wd_http_rewrite_condition(cf, ifc) != WD_CONF_OK) {
        return WD_CONF_ERROR;
    }

    ctx = wd_http_core_new_ctx(cf, 0);

    if (ctx == NULL) {
        return WD_CONF_ERROR;
    }

    pctx = cf->ctx;
    pclcf = pctx->loc_conf[wd_http_core_module.ctx_index];

    clcf = ctx->loc_conf[wd_http_core_module.ctx_index];
    clcf->loc_conf = ctx->loc_conf;
    clcf->name = pclcf->name;
    clcf->noname = 1;

    if (wd_http_add_location(cf, &pclcf->locations, clcf) != WD_OK) {
        return WD_CONF_ERROR;
    }

    if (wd_http_rewrite_push(cf, rlcf, WD_HTTP_RW_IF, ifc) != WD_OK) {
        return WD_CONF_ERROR;
    }

    nrlcf = ctx->loc_conf[wd_http_rewrite_module.ctx_index];
    nrlcf->codes = rlcf->codes;

    /* at the server level the request keeps the server's settings */
    in_server = (cf->cmd_type == WD_HTTP_SRV_CONF);
    ifc->loc_conf = in_server ? NULL : ctx->loc_conf;

    save = *cf;
    cf->ctx = ctx;
    cf->cmd_type = in_server ? WD_HTTP_SIF_CONF : WD_HTTP_LIF_CONF;

    rv = wd_conf_parse(cf, NULL);

    *cf = save;

    ifc->next = rlcf->codes->nelts;

    return rv;
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
