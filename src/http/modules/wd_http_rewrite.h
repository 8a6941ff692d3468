/*
 * The rewrite module's URI and query assembly, apart from requests so it
 * can be tested alone (t/unit/http/modules/wd_http_rewrite_module.c).
 */

#ifndef WD_HTTP_REWRITE_H
#define WD_HTTP_REWRITE_H

#include <wd_core.h>

/* A replacement split at configuration time. */
typedef struct {
    wd_str_t uri;               /* up to its first '?' */
    wd_str_t args;              /* after that '?' */
    unsigned has_args:1;        /* there was a '?' */
    unsigned add_args:1;        /* the client's query is kept: no '?'
                                   at the very end */
} wd_http_rewrite_split_t;

/* Splits "replacement" as nginx reads it: a final '?' only drops the
 * client's query; the first other '?' starts the new query. */
void wd_http_rewrite_split(wd_str_t *replacement,
    wd_http_rewrite_split_t *split);

/* The query after an internal rewrite: the replacement's (args, when
 * has_args), then "&" and the client's (old) when add_args; with neither,
 * old stays (add_args) or the query is emptied.  out may point into old
 * or args.  WD_ERROR: no memory. */
wd_int_t wd_http_rewrite_args(wd_pool_t *pool, wd_str_t *args,
    wd_uint_t has_args, wd_uint_t add_args, wd_str_t *old, wd_str_t *out);

/* A redirect's URL: uri, "?" and args when has_args, then the client's
 * query (after "&" or "?") when add_args.  WD_ERROR: no memory. */
wd_int_t wd_http_rewrite_location(wd_pool_t *pool, wd_str_t *uri,
    wd_str_t *args, wd_uint_t has_args, wd_uint_t add_args, wd_str_t *old,
    wd_str_t *out);

#endif /* WD_HTTP_REWRITE_H */
