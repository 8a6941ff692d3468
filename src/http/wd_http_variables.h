/*
 * Variables: named values a request computes on demand ($uri, $http_host,
 * $arg_x, captures, map results).  Names are resolved to indexes at
 * configuration time; values are cached per request.
 */

#ifndef WD_HTTP_VARIABLES_H
#define WD_HTTP_VARIABLES_H

typedef struct {
    unsigned len:28;
    unsigned valid:1;           /* computed */
    unsigned no_cacheable:1;    /* compute again on each use */
    unsigned not_found:1;
    unsigned escape:1;
    u_char *data;
} wd_http_variable_value_t;

typedef struct wd_http_variable_s wd_http_variable_t;

typedef void (*wd_http_set_variable_pt)(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data);
/* Fills v (or sets v->not_found); WD_ERROR only on allocation failure. */
typedef wd_int_t (*wd_http_get_variable_pt)(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data);

#define WD_HTTP_VAR_CHANGEABLE 1    /* "set" may assign it */
#define WD_HTTP_VAR_NOCACHEABLE 2
#define WD_HTTP_VAR_INDEXED 4
#define WD_HTTP_VAR_NOHASH 8        /* not reachable by name at run time */
#define WD_HTTP_VAR_WEAK 16
#define WD_HTTP_VAR_PREFIX 32       /* "http_", "arg_", ...: the name
                                       continues at run time */

struct wd_http_variable_s {
    wd_str_t name;
    wd_http_set_variable_pt set_handler;
    wd_http_get_variable_pt get_handler;
    uintptr_t data;
    wd_uint_t flags;
    wd_uint_t index;
};

#define wd_http_null_variable { wd_null_string, NULL, NULL, 0, 0, 0 }

/* Declares a variable (WD_HTTP_VAR_PREFIX for a family). */
wd_http_variable_t *wd_http_add_variable(wd_conf_t *cf, wd_str_t *name,
    wd_uint_t flags);
/* The index of a variable a directive uses; the name must exist by the
 * end of the configuration or -t fails with "unknown variable". */
wd_int_t wd_http_get_variable_index(wd_conf_t *cf, wd_str_t *name);
wd_http_variable_value_t *wd_http_get_indexed_variable(wd_http_request_t *r,
    wd_uint_t index);
/* As above, but recomputes a value marked no_cacheable. */
wd_http_variable_value_t *wd_http_get_flushed_variable(wd_http_request_t *r,
    wd_uint_t index);
/* Looks a variable up by lowercase name at run time (key: its hash). */
wd_http_variable_value_t *wd_http_get_variable(wd_http_request_t *r,
    wd_str_t *name, wd_uint_t key);
/* The value of header var (after prefix bytes of the name) in the list
 * of headers, several joined with ", " (or "; " for cookies). */
wd_int_t wd_http_variable_unknown_header(wd_http_request_t *r,
    wd_http_variable_value_t *v, wd_str_t *var, wd_list_part_t *part,
    size_t prefix);

/* A regex with named captures bound to variables. */
typedef struct {
    wd_uint_t capture;
    wd_int_t index;
} wd_http_regex_variable_t;

typedef struct {
    wd_regex_t *regex;
    wd_uint_t ncaptures;
    wd_http_regex_variable_t *variables;
    wd_uint_t nvariables;
    wd_str_t name;
} wd_http_regex_t;

wd_http_regex_t *wd_http_regex_compile(wd_conf_t *cf,
    wd_regex_compile_t *rc);
/* WD_OK on a match (captures kept in r), WD_DECLINED, or WD_ERROR. */
wd_int_t wd_http_regex_exec(wd_http_request_t *r, wd_http_regex_t *re,
    wd_str_t *s);

wd_int_t wd_http_variables_add_core_vars(wd_conf_t *cf);
wd_int_t wd_http_variables_init_vars(wd_conf_t *cf);

extern wd_http_variable_value_t wd_http_variable_null_value;
extern wd_http_variable_value_t wd_http_variable_true_value;

#endif /* WD_HTTP_VARIABLES_H */
