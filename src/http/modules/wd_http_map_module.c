/*
 * The map module: "map SOURCE $name { KEY VALUE; ... }" declares $name,
 * whose value is chosen by looking SOURCE (a string with variables) up
 * among the keys: an exact string (ignoring case), then a hostname mask
 * (with "hostnames"), then the regular expressions in the order they were
 * written, else "default" (or "").  Nothing runs until a request uses
 * $name; the result is then kept for the rest of the request, unless the
 * block says "volatile".  A value may hold variables and the captures of
 * the regular expression that matched.
 *
 * map_hash_max_size and map_hash_bucket_size are accepted for nginx's
 * sake: the tables size themselves (wd_hash.c), so there is nothing to
 * tune.
 */

#include <wd_http.h>
#include <wd_http_map.h>

/* How deep maps may use each other ("map $a $b", "map $b $c", ...)
 * before the chain is taken for a loop: "map $x $x" would otherwise
 * recurse until the worker's stack ran out. */
#define WD_HTTP_MAP_MAX_DEPTH 64

/* Sources up to this long are lowercased on the stack for the lookup. */
#define WD_HTTP_MAP_LOW_BUF 256

typedef struct {
    wd_uint_t hash_max_size;    /* accepted, not used */
    wd_uint_t hash_bucket_size; /* accepted, not used */
} wd_http_map_conf_t;

typedef struct {
    wd_http_regex_t *regex;
    wd_http_complex_value_t *value;
} wd_http_map_regex_t;

/* One map block, as requests use it.  Values are complex values; one
 * without variables is returned as it is, without a copy. */
typedef struct {
    wd_http_complex_value_t source;
    wd_http_map_table_t table;
    wd_http_map_regex_t *regex;
    wd_uint_t nregex;
    wd_http_complex_value_t *default_value; /* NULL: "" */
    wd_str_t name;              /* of the variable, for the error log */
    unsigned hostnames:1;       /* a trailing dot of SOURCE is ignored */
} wd_http_map_t;

/* What a map block collects while it is read. */
typedef struct {
    wd_http_map_keys_t keys;
    wd_array_t regexes;         /* wd_http_map_regex_t */
    wd_http_complex_value_t *default_value;
    wd_uint_t nkeys;            /* keys and regexes so far */
    unsigned hostnames:1;
    unsigned no_cacheable:1;    /* "volatile" */
} wd_http_map_ctx_t;

static void *wd_http_map_create_conf(wd_conf_t *cf);
static char *wd_http_map_init_conf(wd_conf_t *cf, void *conf);
static char *wd_http_map_block(wd_conf_t *cf, wd_command_t *cmd, void *conf);

static wd_command_t wd_http_map_commands[] = {

    { wd_string("map"),
      WD_HTTP_MAIN_CONF | WD_CONF_BLOCK | WD_CONF_TAKE2,
      wd_http_map_block,
      WD_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { wd_string("map_hash_max_size"),
      WD_HTTP_MAIN_CONF | WD_CONF_TAKE1,
      wd_conf_set_num_slot,
      WD_HTTP_MAIN_CONF_OFFSET,
      offsetof(wd_http_map_conf_t, hash_max_size),
      NULL },

    { wd_string("map_hash_bucket_size"),
      WD_HTTP_MAIN_CONF | WD_CONF_TAKE1,
      wd_conf_set_num_slot,
      WD_HTTP_MAIN_CONF_OFFSET,
      offsetof(wd_http_map_conf_t, hash_bucket_size),
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_map_module_ctx = {
    NULL,
    NULL,
    wd_http_map_create_conf,
    wd_http_map_init_conf,
    NULL, NULL, NULL, NULL
};

wd_module_t wd_http_map_module = {
    WD_MODULE_V1,
    &wd_http_map_module_ctx,
    wd_http_map_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};


/* ---- the keys (wd_http_map.h) ------------------------------------------ */

wd_int_t
wd_http_map_keys_init(wd_http_map_keys_t *keys, wd_pool_t *pool)
{
    keys->empty = NULL;

    return wd_hash_keys_array_init(&keys->hash, pool);
}

static wd_uint_t
wd_http_map_has_empty_label(wd_str_t *name)
{
    size_t i;

    for (i = 1; i < name->len; i++) {
        if (name->data[i] == '.' && name->data[i - 1] == '.') {
            return 1;
        }
    }

    return 0;
}

wd_int_t
wd_http_map_add_key(wd_http_map_keys_t *keys, wd_str_t *key, void *value,
    wd_uint_t hostnames)
{
    wd_int_t rc;
    wd_str_t name;

    /* the hash tables take no empty key: it gets a slot of its own */
    if (key->len == 0) {
        if (keys->empty) {
            return WD_BUSY;
        }

        keys->empty = value;
        return WD_OK;
    }

    if (!hostnames) {
        return wd_hash_add_key(&keys->hash, key, value, 0);
    }

    if (wd_http_map_has_empty_label(key)) {
        return WD_DECLINED;
    }

    /* a lone "." is no mask: nginx takes it as a string */
    if (key->len == 1 && key->data[0] == '.') {
        return wd_hash_add_key(&keys->hash, key, value, 0);
    }

    if (key->data[0] != '.' || memchr(key->data, '*', key->len) != NULL) {
        return wd_hash_add_key(&keys->hash, key, value, WD_HASH_WILDCARD_KEY);
    }

    /*
     * ".S" is S and "*.S" at once.  S goes into the exact table too, so
     * that an exact "S" elsewhere in the block is a conflict, as in nginx.
     */
    name.data = key->data + 1;
    name.len = key->len - 1;

    rc = wd_hash_add_key(&keys->hash, &name, value, 0);

    if (rc != WD_OK) {
        return rc;
    }

    return wd_hash_add_key(&keys->hash, key, value, WD_HASH_WILDCARD_KEY);
}

wd_int_t
wd_http_map_table_init(wd_http_map_table_t *table, wd_http_map_keys_t *keys,
    wd_pool_t *pool)
{
    table->empty = keys->empty;

    return wd_hash_combined_init(&table->hash, &keys->hash, pool);
}

void *
wd_http_map_table_find(wd_http_map_table_t *table, u_char *name, size_t len,
    u_char *low)
{
    wd_uint_t key;

    if (len == 0) {
        return table->empty;
    }

    key = wd_hash_strlow(low, name, len);

    return wd_hash_find_combined(&table->hash, key, low, len);
}


/* ---- requests ---------------------------------------------------------- */

/*
 * The value for the source s: a string key, else the first regular
 * expression that matches (its captures are then the request's), else
 * NULL.  As in nginx, an empty source is not tried against the regular
 * expressions, and one that fails to run ends the search.
 */
static wd_int_t
wd_http_map_find(wd_http_request_t *r, wd_http_map_t *map, wd_str_t *s,
    wd_http_complex_value_t **value)
{
    u_char buf[WD_HTTP_MAP_LOW_BUF], *low;
    wd_int_t rc;
    wd_uint_t i;

    low = (s->len <= sizeof(buf)) ? buf : wd_pnalloc(r->pool, s->len);

    if (low == NULL) {
        return WD_ERROR;
    }

    *value = wd_http_map_table_find(&map->table, s->data, s->len, low);

    if (*value || s->len == 0) {
        return WD_OK;
    }

    for (i = 0; i < map->nregex; i++) {
        rc = wd_http_regex_exec(r, map->regex[i].regex, s);

        if (rc == WD_OK) {
            *value = map->regex[i].value;
            return WD_OK;
        }

        if (rc != WD_DECLINED) {
            break;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_http_map_evaluate(wd_http_request_t *r, wd_http_map_t *map,
    wd_http_variable_value_t *v)
{
    wd_str_t source, result;
    wd_http_complex_value_t *value;

    if (wd_http_complex_value(r, &map->source, &source) != WD_OK) {
        return WD_ERROR;
    }

    /* "example.com." is the same host as "example.com" */
    if (map->hostnames && source.len && source.data[source.len - 1] == '.') {
        source.len--;
    }

    if (wd_http_map_find(r, map, &source, &value) != WD_OK) {
        return WD_ERROR;
    }

    if (value == NULL) {
        value = map->default_value;
    }

    if (value == NULL) {
        wd_str_set(&result, "");

    } else if (wd_http_complex_value(r, value, &result) != WD_OK) {
        return WD_ERROR;
    }

    v->len = result.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->escape = 0;
    v->data = result.data;

    return WD_OK;
}

static wd_int_t
wd_http_map_variable(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    wd_int_t rc;
    wd_http_map_t *map = (wd_http_map_t *) data;

    /* requests are served one at a time per worker: a counter is enough */
    static wd_uint_t depth;

    if (depth >= WD_HTTP_MAP_MAX_DEPTH) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "cycle while evaluating map variable \"$%.*s\"",
                     wd_str_fmt(&map->name));
        v->valid = 0;
        v->not_found = 1;
        return WD_OK;
    }

    depth++;
    rc = wd_http_map_evaluate(r, map, v);
    depth--;

    return rc;
}


/* ---- configuration ----------------------------------------------------- */

static void *
wd_http_map_create_conf(wd_conf_t *cf)
{
    wd_http_map_conf_t *mcf;

    mcf = wd_palloc(cf->pool, sizeof(wd_http_map_conf_t));

    if (mcf == NULL) {
        return NULL;
    }

    mcf->hash_max_size = WD_CONF_UNSET_UINT;
    mcf->hash_bucket_size = WD_CONF_UNSET_UINT;

    return mcf;
}

static char *
wd_http_map_init_conf(wd_conf_t *cf, void *conf)
{
    wd_http_map_conf_t *mcf = conf;

    wd_conf_init_uint_value(mcf->hash_max_size, 2048);
    wd_conf_init_uint_value(mcf->hash_bucket_size, 64);

    return WD_CONF_OK;
}

static wd_http_complex_value_t *
wd_http_map_value(wd_conf_t *cf, wd_str_t *text)
{
    wd_http_complex_value_t *cv;
    wd_http_compile_complex_value_t ccv;

    cv = wd_palloc(cf->pool, sizeof(wd_http_complex_value_t));

    if (cv == NULL) {
        return NULL;
    }

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = text;
    ccv.complex_value = cv;

    if (wd_http_compile_complex_value(&ccv) != WD_OK) {
        return NULL;
    }

    return cv;
}

/* "~regex value;" or "~*regex value;" (ignoring case). */
static char *
wd_http_map_regex(wd_conf_t *cf, wd_http_map_ctx_t *ctx, wd_str_t *key,
    wd_http_complex_value_t *value)
{
    wd_regex_compile_t rc;
    wd_http_map_regex_t *re;

    wd_memzero(&rc, sizeof(wd_regex_compile_t));
    rc.pattern.data = key->data + 1;
    rc.pattern.len = key->len - 1;

    if (rc.pattern.len && rc.pattern.data[0] == '*') {
        rc.pattern.data++;
        rc.pattern.len--;
        rc.options = WD_REGEX_CASELESS;
    }

    re = wd_array_push(&ctx->regexes);

    if (re == NULL) {
        return WD_CONF_ERROR;
    }

    re->regex = wd_http_regex_compile(cf, &rc);

    if (re->regex == NULL) {
        return WD_CONF_ERROR;
    }

    re->value = value;

    return WD_CONF_OK;
}

/* A string key; a leading "\" only keeps it from being read as a
 * parameter ("\default") or a regular expression ("\~"). */
static char *
wd_http_map_string(wd_conf_t *cf, wd_http_map_ctx_t *ctx, wd_str_t *key,
    wd_http_complex_value_t *value)
{
    wd_int_t rc;
    wd_str_t name;

    name = *key;

    if (name.len && name.data[0] == '\\') {
        name.data++;
        name.len--;
    }

    rc = wd_http_map_add_key(&ctx->keys, &name, value, ctx->hostnames);

    if (rc == WD_OK) {
        return WD_CONF_OK;
    }

    /* nginx's messages name the key without its backslash, and a
     * conflicting one in lowercase */
    if (rc == WD_DECLINED) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid hostname or wildcard \"%.*s\"",
                          wd_str_fmt(&name));

    } else if (rc == WD_BUSY) {
        wd_strlow(name.data, name.data, name.len);
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "conflicting parameter \"%.*s\"", wd_str_fmt(&name));
    }

    return WD_CONF_ERROR;
}

/* The one-word lines of a block: "hostnames" and "volatile". */
static char *
wd_http_map_flag(wd_conf_t *cf, wd_http_map_ctx_t *ctx, wd_str_t *word)
{
    if (wd_strcmp(word->data, "hostnames") == 0) {
        if (ctx->nkeys) {
            wd_conf_log_error(WD_LOG_WARN, cf, 0,
                              "the \"hostnames\" parameter should be "
                              "specified before the values: the keys above "
                              "it are not masks");
        }

        ctx->hostnames = 1;
        return WD_CONF_OK;
    }

    if (wd_strcmp(word->data, "volatile") == 0) {
        ctx->no_cacheable = 1;
        return WD_CONF_OK;
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                      "invalid number of the map parameters");

    return WD_CONF_ERROR;
}

/* One line of a map block (the conf parser's handler while it is read). */
static char *
wd_http_map_line(wd_conf_t *cf, wd_command_t *dummy, void *conf)
{
    wd_str_t *value;
    wd_http_map_ctx_t *ctx = conf;
    wd_http_complex_value_t *cv;

    value = cf->args->elts;

    if (cf->args->nelts == 1) {
        return wd_http_map_flag(cf, ctx, &value[0]);
    }

    if (cf->args->nelts != 2) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid number of the map parameters");
        return WD_CONF_ERROR;
    }

    if (wd_strcmp(value[0].data, "include") == 0) {
        return wd_conf_include(cf, dummy, conf);
    }

    cv = wd_http_map_value(cf, &value[1]);

    if (cv == NULL) {
        return WD_CONF_ERROR;
    }

    if (wd_strcmp(value[0].data, "default") == 0) {
        if (ctx->default_value) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "duplicate default map parameter");
            return WD_CONF_ERROR;
        }

        ctx->default_value = cv;
        return WD_CONF_OK;
    }

    ctx->nkeys++;

    if (value[0].len && value[0].data[0] == '~') {
        return wd_http_map_regex(cf, ctx, &value[0], cv);
    }

    return wd_http_map_string(cf, ctx, &value[0], cv);
}

/* Reads the block into ctx, with each line going to wd_http_map_line. */
static char *
wd_http_map_read_block(wd_conf_t *cf, wd_http_map_ctx_t *ctx)
{
    char *rv;
    wd_conf_t save;

    wd_memzero(ctx, sizeof(wd_http_map_ctx_t));

    if (wd_http_map_keys_init(&ctx->keys, cf->pool) != WD_OK
        || wd_array_init(&ctx->regexes, cf->pool, 4,
                         sizeof(wd_http_map_regex_t)) != WD_OK)
    {
        return WD_CONF_ERROR;
    }

    save = *cf;
    cf->handler = wd_http_map_line;
    cf->handler_conf = ctx;

    rv = wd_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}

/* "map SOURCE $name { ... }" */
static char *
wd_http_map_block(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *rv;
    wd_str_t *value, name;
    wd_http_map_t *map;
    wd_http_variable_t *var;
    wd_http_map_ctx_t ctx;
    wd_http_compile_complex_value_t ccv;

    value = cf->args->elts;

    map = wd_pcalloc(cf->pool, sizeof(wd_http_map_t));

    if (map == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &map->source;

    if (wd_http_compile_complex_value(&ccv) != WD_OK) {
        return WD_CONF_ERROR;
    }

    name = value[2];

    if (name.len == 0 || name.data[0] != '$') {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid variable name \"%.*s\"",
                          wd_str_fmt(&name));
        return WD_CONF_ERROR;
    }

    name.data++;
    name.len--;

    /* declared now, so that "map ... $uri" fails on this line */
    if (wd_http_add_variable(cf, &name, WD_HTTP_VAR_CHANGEABLE) == NULL) {
        return WD_CONF_ERROR;
    }

    rv = wd_http_map_read_block(cf, &ctx);

    if (rv != WD_CONF_OK) {
        return rv;
    }

    if (wd_http_map_table_init(&map->table, &ctx.keys, cf->pool) != WD_OK) {
        return WD_CONF_ERROR;
    }

    map->regex = ctx.regexes.elts;
    map->nregex = ctx.regexes.nelts;
    map->default_value = ctx.default_value;
    map->name = name;
    map->hostnames = ctx.hostnames;

    /* looked up again: captures named in the block may have declared
     * variables since, and the declarations may have moved */
    var = wd_http_add_variable(cf, &name, WD_HTTP_VAR_CHANGEABLE);

    if (var == NULL) {
        return WD_CONF_ERROR;
    }

    var->get_handler = wd_http_map_variable;
    var->data = (uintptr_t) map;

    /* a later map of the same variable replaces an earlier one whole */
    if (ctx.no_cacheable) {
        var->flags |= WD_HTTP_VAR_NOCACHEABLE;

    } else {
        var->flags &= ~WD_HTTP_VAR_NOCACHEABLE;
    }

    return WD_CONF_OK;
}
