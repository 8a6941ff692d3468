/*
 * Growable arrays.
 */

#include <wd_core.h>

wd_array_t *
wd_array_create(wd_pool_t *p, wd_uint_t n, size_t size)
{
    wd_array_t *a;

    a = wd_palloc(p, sizeof(wd_array_t));

    if (a == NULL) {
        return NULL;
    }

    if (wd_array_init(a, p, n, size) != WD_OK) {
        return NULL;
    }

    return a;
}

/* Gives the memory back to the pool when the array is its last object. */
void
wd_array_destroy(wd_array_t *a)
{
    wd_pool_block_t *b;

    b = &a->pool->block;

    if ((u_char *) a->elts + a->size * a->nalloc == b->last) {
        b->last -= a->size * a->nalloc;
    }

    if ((u_char *) a + sizeof(wd_array_t) == b->last) {
        b->last = (u_char *) a;
    }
}

/* Grows in place when the array ends the pool's first block, else copies. */
static wd_int_t
wd_array_grow(wd_array_t *a, wd_uint_t n)
{
    void *elts;
    size_t size, have;
    wd_uint_t nalloc;
    wd_pool_block_t *b;

    size = n * a->size;
    have = a->size * a->nalloc;
    b = &a->pool->block;

    if ((u_char *) a->elts + have == b->last
        && b->last + size <= b->end)
    {
        b->last += size;
        a->nalloc += n;
        return WD_OK;
    }

    nalloc = 2 * wd_max(n, a->nalloc);

    elts = wd_palloc(a->pool, nalloc * a->size);

    if (elts == NULL) {
        return WD_ERROR;
    }

    if (have) {
        wd_memcpy(elts, a->elts, have);
    }

    a->elts = elts;
    a->nalloc = nalloc;

    return WD_OK;
}

void *
wd_array_push(wd_array_t *a)
{
    return wd_array_push_n(a, 1);
}

void *
wd_array_push_n(wd_array_t *a, wd_uint_t n)
{
    void *elt;

    if (a->nelts + n > a->nalloc) {
        if (wd_array_grow(a, n) != WD_OK) {
            return NULL;
        }
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts += n;

    return elt;
}
