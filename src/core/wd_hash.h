/*
 * Read-only hash tables built at configuration time: exact keys, and the
 * wildcard forms server names use ("*.example.com", ".example.com",
 * "www.example.*").  Lookups take the key already lowercased and hashed.
 */

#ifndef WD_HASH_H
#define WD_HASH_H

typedef struct {
    wd_str_t key;           /* lowercase */
    wd_uint_t key_hash;
    void *value;
} wd_hash_key_t;

/* Open addressing with linear probing, at most half full. */
typedef struct {
    wd_hash_key_t *buckets;
    wd_uint_t mask;
    wd_uint_t nelts;
} wd_hash_t;

/* Both head-wildcard forms of one suffix share an entry. */
typedef struct {
    void *subdomains;       /* "*.S" or ".S": any name below S */
    void *itself;           /* ".S": S itself */
} wd_hash_wc_entry_t;

typedef struct {
    wd_hash_t hash;         /* exact names */
    wd_hash_t head;         /* suffix S -> wd_hash_wc_entry_t */
    wd_hash_t tail;         /* prefix P of "P.*" -> value */
} wd_hash_combined_t;

/* Where the keys of one of the arrays below are, by hash, so that adding
 * a key finds a duplicate without a scan.  A slot holds an element's
 * index + 1; 0 is free. */
typedef struct {
    wd_uint_t *slots;
    wd_uint_t mask;
} wd_hash_keys_index_t;

/* Keys collected while the configuration is read. */
typedef struct {
    wd_array_t keys;        /* wd_hash_key_t, exact */
    wd_array_t head;        /* wd_hash_key_t, value: wd_hash_wc_entry_t */
    wd_array_t tail;        /* wd_hash_key_t */
    wd_pool_t *pool;
    wd_hash_keys_index_t keys_index;
    wd_hash_keys_index_t head_index;
    wd_hash_keys_index_t tail_index;
} wd_hash_keys_arrays_t;

#define WD_HASH_WILDCARD_KEY 1  /* the key may be a wildcard */

#define wd_hash(key, c) ((wd_uint_t) (key) * 31 + (c))

wd_uint_t wd_hash_key(u_char *data, size_t len);
wd_uint_t wd_hash_key_lc(u_char *data, size_t len);
/* Lowercases src into dst and returns the hash of the result. */
wd_uint_t wd_hash_strlow(u_char *dst, u_char *src, size_t n);

/* Builds hash from n keys (copied pointers, keys must outlive it).
 * Duplicate keys: the first one wins. */
wd_int_t wd_hash_init(wd_hash_t *hash, wd_pool_t *pool, wd_hash_key_t *keys,
    wd_uint_t n);
void *wd_hash_find(wd_hash_t *hash, wd_uint_t key, u_char *name, size_t len);

wd_int_t wd_hash_keys_array_init(wd_hash_keys_arrays_t *ha, wd_pool_t *pool);
/* Adds a key (lowercased, copied).  Returns WD_OK, WD_BUSY for a key that
 * is already there, or WD_DECLINED for a malformed wildcard. */
wd_int_t wd_hash_add_key(wd_hash_keys_arrays_t *ha, wd_str_t *key,
    void *value, wd_uint_t flags);
wd_int_t wd_hash_combined_init(wd_hash_combined_t *hash,
    wd_hash_keys_arrays_t *ha, wd_pool_t *pool);
/* Exact match, then the longest head wildcard, then the longest tail one. */
void *wd_hash_find_combined(wd_hash_combined_t *hash, wd_uint_t key,
    u_char *name, size_t len);
void *wd_hash_find_wc_head(wd_hash_t *head, u_char *name, size_t len);
void *wd_hash_find_wc_tail(wd_hash_t *tail, u_char *name, size_t len);

#endif /* WD_HASH_H */
