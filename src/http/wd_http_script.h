/*
 * Complex values: strings with variables ("$uri.html", "${host}_x",
 * "$1"), compiled once into parts and evaluated per request.
 */

#ifndef WD_HTTP_SCRIPT_H
#define WD_HTTP_SCRIPT_H

#define WD_HTTP_CV_TEXT 0
#define WD_HTTP_CV_VARIABLE 1
#define WD_HTTP_CV_CAPTURE 2

typedef struct {
    wd_uint_t type;             /* WD_HTTP_CV_* */
    wd_str_t text;              /* WD_HTTP_CV_TEXT */
    wd_uint_t index;            /* variable index, or capture number */
} wd_http_cv_part_t;

typedef struct {
    wd_str_t value;             /* the source; the result if no parts */
    wd_http_cv_part_t *parts;
    wd_uint_t nparts;           /* 0: a constant */
    unsigned zero:1;            /* results end with a NUL (not counted) */
    unsigned root_prefix:1;     /* a relative result is under the prefix */
    unsigned conf_prefix:1;     /* ... under the configuration directory */
    unsigned captures:1;        /* uses $1..$9 */
} wd_http_complex_value_t;

typedef struct {
    wd_conf_t *cf;
    wd_str_t *value;
    wd_http_complex_value_t *complex_value;

    unsigned zero:1;
    unsigned conf_prefix:1;
    unsigned root_prefix:1;
} wd_http_compile_complex_value_t;

/* Compiles ccv->value into ccv->complex_value; an "[emerg]" on error. */
wd_int_t wd_http_compile_complex_value(wd_http_compile_complex_value_t *ccv);
/* Evaluates val for r into value (allocated from r->pool). */
wd_int_t wd_http_complex_value(wd_http_request_t *r,
    wd_http_complex_value_t *val, wd_str_t *value);
/* As wd_http_complex_value, but $1..$9 are escaped as query arguments
 * (what "rewrite" does where the client's URI had escapes). */
wd_int_t wd_http_complex_value_escaped(wd_http_request_t *r,
    wd_http_complex_value_t *val, wd_str_t *value);
/* A size from a complex value (limit_rate $x): default on error. */
size_t wd_http_complex_value_size(wd_http_request_t *r,
    wd_http_complex_value_t *val, size_t default_value);
/* How many variables ("$") a string refers to. */
wd_uint_t wd_http_script_variables_count(wd_str_t *value);

char *wd_http_set_complex_value_slot(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
char *wd_http_set_complex_value_zero_slot(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
char *wd_http_set_complex_value_size_slot(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);

#endif /* WD_HTTP_SCRIPT_H */
