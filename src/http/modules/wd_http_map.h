/*
 * The string keys of a map block: exact strings, the key "", and (after
 * "hostnames") the masks "*.example.com", ".example.com" and "mail.*".
 * Kept apart from the directives so that the rules for adding and finding
 * keys can be tested without a configuration.  Regular expressions are
 * not here: they need a request for their captures.
 */

#ifndef WD_HTTP_MAP_H
#define WD_HTTP_MAP_H

#include <wd_http.h>

/* Keys collected while a map block is read. */
typedef struct {
    wd_hash_keys_arrays_t hash;
    void *empty;                /* the value of the key "", or NULL */
} wd_http_map_keys_t;

/* The same keys, built for lookups. */
typedef struct {
    wd_hash_combined_t hash;
    void *empty;
} wd_http_map_table_t;

/* Starts an empty set of keys; what is added is allocated from pool. */
wd_int_t wd_http_map_keys_init(wd_http_map_keys_t *keys, wd_pool_t *pool);

/*
 * Adds key (matched ignoring case; any "\" prefix already removed).  With
 * hostnames, "*.S" and "P.*" are masks and ".S" stands for both S and
 * "*.S".  Returns WD_OK, WD_BUSY when the key (or part of a ".S") is
 * already there, WD_DECLINED for a malformed mask or a name with "..",
 * or WD_ERROR.
 */
wd_int_t wd_http_map_add_key(wd_http_map_keys_t *keys, wd_str_t *key,
    void *value, wd_uint_t hostnames);

/* Builds table from keys (which must outlive it: the table points into
 * them). */
wd_int_t wd_http_map_table_init(wd_http_map_table_t *table,
    wd_http_map_keys_t *keys, wd_pool_t *pool);

/*
 * The value of the key that name matches, or NULL: the exact string
 * first, then the longest "*.S" mask, then the longest "P.*" one.  low
 * must have room for len bytes; name is lowercased into it.
 */
void *wd_http_map_table_find(wd_http_map_table_t *table, u_char *name,
    size_t len, u_char *low);

#endif /* WD_HTTP_MAP_H */
