/*
 * Lists of fixed-size parts: elements never move once pushed, so pointers
 * to them stay valid (request headers are kept in one).
 */

#ifndef WD_LIST_H
#define WD_LIST_H

typedef struct wd_list_part_s wd_list_part_t;

struct wd_list_part_s {
    void *elts;
    wd_uint_t nelts;
    wd_list_part_t *next;
};

typedef struct {
    wd_list_part_t *last;
    wd_list_part_t part;
    size_t size;
    wd_uint_t nalloc;
    wd_pool_t *pool;
} wd_list_t;

wd_list_t *wd_list_create(wd_pool_t *pool, wd_uint_t n, size_t size);
void *wd_list_push(wd_list_t *list);

static inline wd_int_t
wd_list_init(wd_list_t *list, wd_pool_t *pool, wd_uint_t n, size_t size)
{
    list->part.elts = wd_palloc(pool, n * size);

    if (list->part.elts == NULL) {
        return WD_ERROR;
    }

    list->part.nelts = 0;
    list->part.next = NULL;
    list->last = &list->part;
    list->size = size;
    list->nalloc = n;
    list->pool = pool;

    return WD_OK;
}

#endif /* WD_LIST_H */
