/*
 * Configuration-time hash tables with exact and wildcard keys.
 */

#include <wd_core.h>

wd_uint_t
wd_hash_key(u_char *data, size_t len)
{
    wd_uint_t key;

    for (key = 0; len; len--) {
        key = wd_hash(key, *data++);
    }

    return key;
}

wd_uint_t
wd_hash_key_lc(u_char *data, size_t len)
{
    wd_uint_t key;

    for (key = 0; len; len--) {
        key = wd_hash(key, wd_tolower(*data));
        data++;
    }

    return key;
}

wd_uint_t
wd_hash_strlow(u_char *dst, u_char *src, size_t n)
{
    wd_uint_t key;

    for (key = 0; n; n--) {
        *dst = wd_tolower(*src);
        key = wd_hash(key, *dst);
        dst++;
        src++;
    }

    return key;
}

/* Mixes the key so that linear probing spreads clustered hashes. */
static wd_uint_t
wd_hash_slot(wd_uint_t key, wd_uint_t mask)
{
    key ^= key >> 17;
    key *= 0x9e3779b1U;
    key ^= key >> 15;

    return key & mask;
}

static wd_int_t
wd_hash_alloc(wd_hash_t *hash, wd_pool_t *pool, wd_uint_t n)
{
    wd_uint_t size;

    for (size = 4; size < 2 * n; size <<= 1) { /* void */ }

    hash->buckets = wd_pcalloc(pool, size * sizeof(wd_hash_key_t));

    if (hash->buckets == NULL) {
        return WD_ERROR;
    }

    hash->mask = size - 1;
    hash->nelts = 0;

    return WD_OK;
}

/* Returns the bucket holding the key, or the empty bucket where it goes. */
static wd_hash_key_t *
wd_hash_bucket(wd_hash_t *hash, wd_uint_t key, u_char *name, size_t len)
{
    wd_uint_t i;
    wd_hash_key_t *b;

    for (i = wd_hash_slot(key, hash->mask);; i = (i + 1) & hash->mask) {
        b = &hash->buckets[i];

        if (b->key.data == NULL) {
            return b;
        }

        if (b->key_hash == key && b->key.len == len
            && wd_memcmp(b->key.data, name, len) == 0)
        {
            return b;
        }
    }
}

wd_int_t
wd_hash_init(wd_hash_t *hash, wd_pool_t *pool, wd_hash_key_t *keys,
    wd_uint_t n)
{
    wd_uint_t i;
    wd_hash_key_t *b;

    if (wd_hash_alloc(hash, pool, n) != WD_OK) {
        return WD_ERROR;
    }

    for (i = 0; i < n; i++) {
        b = wd_hash_bucket(hash, keys[i].key_hash, keys[i].key.data,
                           keys[i].key.len);

        if (b->key.data == NULL) {
            *b = keys[i];
            hash->nelts++;
        }
    }

    return WD_OK;
}

void *
wd_hash_find(wd_hash_t *hash, wd_uint_t key, u_char *name, size_t len)
{
    wd_hash_key_t *b;

    if (hash->buckets == NULL) {
        return NULL;
    }

    b = wd_hash_bucket(hash, key, name, len);

    return b->value;
}

wd_int_t
wd_hash_keys_array_init(wd_hash_keys_arrays_t *ha, wd_pool_t *pool)
{
    wd_memzero(ha, sizeof(wd_hash_keys_arrays_t));
    ha->pool = pool;

    if (wd_array_init(&ha->keys, pool, 16, sizeof(wd_hash_key_t)) != WD_OK
        || wd_array_init(&ha->head, pool, 4, sizeof(wd_hash_key_t)) != WD_OK
        || wd_array_init(&ha->tail, pool, 4, sizeof(wd_hash_key_t)) != WD_OK)
    {
        return WD_ERROR;
    }

    return WD_OK;
}

static wd_hash_key_t *
wd_hash_keys_find(wd_array_t *a, wd_hash_keys_index_t *ix, wd_uint_t key,
    u_char *name, size_t len)
{
    wd_uint_t i, n;
    wd_hash_key_t *k;

    if (ix->slots == NULL) {
        return NULL;
    }

    k = a->elts;

    for (i = wd_hash_slot(key, ix->mask);; i = (i + 1) & ix->mask) {
        n = ix->slots[i];

        if (n == 0) {
            return NULL;
        }

        if (k[n - 1].key_hash == key && k[n - 1].key.len == len
            && wd_memcmp(k[n - 1].key.data, name, len) == 0)
        {
            return &k[n - 1];
        }
    }
}

static void
wd_hash_keys_index_put(wd_hash_keys_index_t *ix, wd_array_t *a, wd_uint_t n)
{
    wd_uint_t i;
    wd_hash_key_t *k;

    k = a->elts;

    for (i = wd_hash_slot(k[n].key_hash, ix->mask); ix->slots[i];
         i = (i + 1) & ix->mask)
    {
        /* void */
    }

    ix->slots[i] = n + 1;
}

/* Indexes the array's last element; the index is rebuilt twice as large
 * when it would be more than half full. */
static wd_int_t
wd_hash_keys_index_add(wd_hash_keys_index_t *ix, wd_array_t *a,
    wd_pool_t *pool)
{
    wd_uint_t n, size;

    if (ix->slots && 2 * a->nelts <= ix->mask + 1) {
        wd_hash_keys_index_put(ix, a, a->nelts - 1);
        return WD_OK;
    }

    for (size = 16; size < 4 * a->nelts; size <<= 1) { /* void */ }

    ix->slots = wd_pcalloc(pool, size * sizeof(wd_uint_t));

    if (ix->slots == NULL) {
        return WD_ERROR;
    }

    ix->mask = size - 1;

    for (n = 0; n < a->nelts; n++) {
        wd_hash_keys_index_put(ix, a, n);
    }

    return WD_OK;
}

static wd_int_t
wd_hash_keys_push(wd_array_t *a, wd_hash_keys_index_t *ix, wd_pool_t *pool,
    u_char *name, size_t len, void *value)
{
    wd_hash_key_t *k;

    k = wd_array_push(a);

    if (k == NULL) {
        return WD_ERROR;
    }

    k->key.data = wd_pnalloc(pool, len + 1);

    if (k->key.data == NULL) {
        return WD_ERROR;
    }

    k->key.len = len;
    k->key_hash = wd_hash_strlow(k->key.data, name, len);
    k->key.data[len] = '\0';
    k->value = value;

    return wd_hash_keys_index_add(ix, a, pool);
}

/* Adds "*.S" (exact_too = 0) or ".S" (exact_too = 1) under suffix S. */
static wd_int_t
wd_hash_add_head(wd_hash_keys_arrays_t *ha, u_char *suffix, size_t len,
    void *value, wd_uint_t exact_too)
{
    u_char *lc;
    wd_uint_t key;
    wd_hash_key_t *k;
    wd_hash_wc_entry_t *e;

    lc = wd_pnalloc(ha->pool, len);

    if (lc == NULL) {
        return WD_ERROR;
    }

    key = wd_hash_strlow(lc, suffix, len);
    k = wd_hash_keys_find(&ha->head, &ha->head_index, key, lc, len);

    if (k == NULL) {
        e = wd_pcalloc(ha->pool, sizeof(wd_hash_wc_entry_t));

        if (e == NULL
            || wd_hash_keys_push(&ha->head, &ha->head_index, ha->pool, lc,
                                 len, e) != WD_OK)
        {
            return WD_ERROR;
        }

    } else {
        e = k->value;

        if (e->subdomains != NULL) {
            return WD_BUSY;
        }
    }

    e->subdomains = value;

    if (exact_too) {
        e->itself = value;
    }

    return WD_OK;
}

/* A wildcard has one '*' at a label border at either end, or starts with
 * a dot; anything else with a '*' in it is malformed. */
static wd_int_t
wd_hash_add_wildcard(wd_hash_keys_arrays_t *ha, wd_str_t *key, void *value)
{
    u_char *name, *lc;
    size_t len;
    wd_uint_t hk;

    name = key->data;
    len = key->len;

    if (len > 2 && name[0] == '*' && name[1] == '.'
        && memchr(name + 1, '*', len - 1) == NULL)
    {
        return wd_hash_add_head(ha, name + 2, len - 2, value, 0);
    }

    if (len > 1 && name[0] == '.' && memchr(name, '*', len) == NULL) {
        return wd_hash_add_head(ha, name + 1, len - 1, value, 1);
    }

    if (len > 2 && name[len - 1] == '*' && name[len - 2] == '.'
        && memchr(name, '*', len - 1) == NULL)
    {
        lc = wd_pnalloc(ha->pool, len - 2);

        if (lc == NULL) {
            return WD_ERROR;
        }

        hk = wd_hash_strlow(lc, name, len - 2);

        if (wd_hash_keys_find(&ha->tail, &ha->tail_index, hk, lc, len - 2)) {
            return WD_BUSY;
        }

        return wd_hash_keys_push(&ha->tail, &ha->tail_index, ha->pool, lc,
                                 len - 2, value);
    }

    return WD_DECLINED;
}

wd_int_t
wd_hash_add_key(wd_hash_keys_arrays_t *ha, wd_str_t *key, void *value,
    wd_uint_t flags)
{
    u_char *lc;
    wd_uint_t hk;
    wd_hash_key_t *k;

    if (key->len == 0) {
        return WD_DECLINED;
    }

    if ((flags & WD_HASH_WILDCARD_KEY)
        && (key->data[0] == '.' || memchr(key->data, '*', key->len)))
    {
        return wd_hash_add_wildcard(ha, key, value);
    }

    lc = wd_pnalloc(ha->pool, key->len);

    if (lc == NULL) {
        return WD_ERROR;
    }

    hk = wd_hash_strlow(lc, key->data, key->len);
    k = wd_hash_keys_find(&ha->keys, &ha->keys_index, hk, lc, key->len);

    if (k) {
        return WD_BUSY;
    }

    return wd_hash_keys_push(&ha->keys, &ha->keys_index, ha->pool, lc,
                             key->len, value);
}

wd_int_t
wd_hash_combined_init(wd_hash_combined_t *hash, wd_hash_keys_arrays_t *ha,
    wd_pool_t *pool)
{
    if (wd_hash_init(&hash->hash, pool, ha->keys.elts, ha->keys.nelts)
        != WD_OK
        || wd_hash_init(&hash->head, pool, ha->head.elts, ha->head.nelts)
               != WD_OK
        || wd_hash_init(&hash->tail, pool, ha->tail.elts, ha->tail.nelts)
               != WD_OK)
    {
        return WD_ERROR;
    }

    return WD_OK;
}

/* Tries "a.b.c" itself (".S" entries), then "b.c", then "c". */
void *
wd_hash_find_wc_head(wd_hash_t *head, u_char *name, size_t len)
{
    u_char *p, *last;
    wd_hash_wc_entry_t *e;

    if (head->nelts == 0) {
        return NULL;
    }

    e = wd_hash_find(head, wd_hash_key(name, len), name, len);

    if (e && e->itself) {
        return e->itself;
    }

    last = name + len;

    for (p = name; p < last; p++) {
        if (*p != '.' || p + 1 == last) {
            continue;
        }

        e = wd_hash_find(head, wd_hash_key(p + 1, last - p - 1), p + 1,
                         last - p - 1);

        if (e && e->subdomains) {
            return e->subdomains;
        }
    }

    return NULL;
}

/* For "P.*", tries "a.b.c" without its last label, then without two. */
void *
wd_hash_find_wc_tail(wd_hash_t *tail, u_char *name, size_t len)
{
    void *value;
    size_t n;

    if (tail->nelts == 0) {
        return NULL;
    }

    for (n = len; n > 0; n--) {
        if (name[n - 1] != '.' || n == 1) {
            continue;
        }

        value = wd_hash_find(tail, wd_hash_key(name, n - 1), name, n - 1);

        if (value) {
            return value;
        }
    }

    return NULL;
}

void *
wd_hash_find_combined(wd_hash_combined_t *hash, wd_uint_t key, u_char *name,
    size_t len)
{
    void *value;

    value = wd_hash_find(&hash->hash, key, name, len);

    if (value) {
        return value;
    }

    value = wd_hash_find_wc_head(&hash->head, name, len);

    if (value) {
        return value;
    }

    return wd_hash_find_wc_tail(&hash->tail, name, len);
}
