/*
 * Lists of parts.
 */

#include <wd_core.h>

wd_list_t *
wd_list_create(wd_pool_t *pool, wd_uint_t n, size_t size)
{
    wd_list_t *list;

    list = wd_palloc(pool, sizeof(wd_list_t));

    if (list == NULL) {
        return NULL;
    }

    if (wd_list_init(list, pool, n, size) != WD_OK) {
        return NULL;
    }

    return list;
}

void *
wd_list_push(wd_list_t *l)
{
    void *elt;
    wd_list_part_t *last;

    last = l->last;

    if (last->nelts == l->nalloc) {
        last = wd_palloc(l->pool, sizeof(wd_list_part_t));

        if (last == NULL) {
            return NULL;
        }

        last->elts = wd_palloc(l->pool, l->nalloc * l->size);

        if (last->elts == NULL) {
            return NULL;
        }

        last->nelts = 0;
        last->next = NULL;

        l->last->next = last;
        l->last = last;
    }

    elt = (u_char *) last->elts + l->size * last->nelts;
    last->nelts++;

    return elt;
}
