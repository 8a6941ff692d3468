/*
 * Growable arrays allocated from a pool.
 */

#ifndef WD_ARRAY_H
#define WD_ARRAY_H

typedef struct {
    void *elts;
    wd_uint_t nelts;
    size_t size;        /* of one element */
    wd_uint_t nalloc;
    wd_pool_t *pool;
} wd_array_t;

wd_array_t *wd_array_create(wd_pool_t *p, wd_uint_t n, size_t size);
void wd_array_destroy(wd_array_t *a);
/* Returns a slot at the end (uninitialized); doubles the array when full. */
void *wd_array_push(wd_array_t *a);
void *wd_array_push_n(wd_array_t *a, wd_uint_t n);

static inline wd_int_t
wd_array_init(wd_array_t *array, wd_pool_t *pool, wd_uint_t n, size_t size)
{
    array->nelts = 0;
    array->size = size;
    array->nalloc = n;
    array->pool = pool;

    array->elts = wd_palloc(pool, n * size);

    return (array->elts == NULL) ? WD_ERROR : WD_OK;
}

#endif /* WD_ARRAY_H */
