/*
 * Buffers and chains.
 */

#include <wd_core.h>

wd_buf_t *
wd_create_temp_buf(wd_pool_t *pool, size_t size)
{
    wd_buf_t *b;

    b = wd_calloc_buf(pool);

    if (b == NULL) {
        return NULL;
    }

    b->start = wd_palloc(pool, size);

    if (b->start == NULL) {
        return NULL;
    }

    b->pos = b->start;
    b->last = b->start;
    b->end = b->last + size;
    b->temporary = 1;

    return b;
}

/* Chain links are small and churn per write; the pool keeps the freed
 * ones on its own list for reuse. */
wd_chain_t *
wd_alloc_chain_link(wd_pool_t *pool)
{
    wd_chain_t *cl;

    cl = pool->chain;

    if (cl) {
        pool->chain = cl->next;
        return cl;
    }

    return wd_palloc(pool, sizeof(wd_chain_t));
}

void
wd_pfree_chain_link(wd_pool_t *pool, wd_chain_t *cl)
{
    cl->next = pool->chain;
    pool->chain = cl;
}

wd_chain_t *
wd_create_chain_of_bufs(wd_pool_t *pool, wd_bufs_t *bufs)
{
    u_char *p;
    wd_int_t i;
    wd_buf_t *b;
    wd_chain_t *chain, *cl, **ll;

    p = wd_palloc(pool, bufs->num * bufs->size);

    if (p == NULL) {
        return NULL;
    }

    ll = &chain;

    for (i = 0; i < bufs->num; i++) {
        b = wd_calloc_buf(pool);
        cl = wd_alloc_chain_link(pool);

        if (b == NULL || cl == NULL) {
            return NULL;
        }

        b->pos = p;
        b->last = p;
        b->temporary = 1;
        b->start = p;
        p += bufs->size;
        b->end = p;

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;
    }

    *ll = NULL;

    return chain;
}

wd_int_t
wd_chain_add_copy(wd_pool_t *pool, wd_chain_t **chain, wd_chain_t *in)
{
    wd_chain_t *cl, **ll;

    ll = chain;

    for (cl = *chain; cl; cl = cl->next) {
        ll = &cl->next;
    }

    while (in) {
        cl = wd_alloc_chain_link(pool);

        if (cl == NULL) {
            *ll = NULL;
            return WD_ERROR;
        }

        cl->buf = in->buf;
        *ll = cl;
        ll = &cl->next;
        in = in->next;
    }

    *ll = NULL;

    return WD_OK;
}

wd_chain_t *
wd_chain_get_free_buf(wd_pool_t *p, wd_chain_t **free)
{
    wd_chain_t *cl;

    if (*free) {
        cl = *free;
        *free = cl->next;
        cl->next = NULL;
        return cl;
    }

    cl = wd_alloc_chain_link(p);

    if (cl == NULL) {
        return NULL;
    }

    cl->buf = wd_calloc_buf(p);

    if (cl->buf == NULL) {
        return NULL;
    }

    cl->next = NULL;

    return cl;
}

void
wd_chain_update_chains(wd_pool_t *p, wd_chain_t **free, wd_chain_t **busy,
    wd_chain_t **out, wd_buf_tag_t tag)
{
    wd_chain_t *cl;

    if (*out) {
        if (*busy == NULL) {
            *busy = *out;

        } else {
            for (cl = *busy; cl->next; cl = cl->next) { /* void */ }
            cl->next = *out;
        }

        *out = NULL;
    }

    while (*busy) {
        cl = *busy;

        if (cl->buf->tag != tag) {
            *busy = cl->next;
            continue;
        }

        if (wd_buf_size(cl->buf) != 0) {
            break;
        }

        cl->buf->pos = cl->buf->start;
        cl->buf->last = cl->buf->start;

        *busy = cl->next;
        cl->next = *free;
        *free = cl;
    }

    (void) p;
}

wd_chain_t *
wd_chain_update_sent(wd_chain_t *in, off_t sent)
{
    off_t size;

    for (; in; in = in->next) {
        if (wd_buf_special(in->buf)) {
            continue;
        }

        if (sent == 0) {
            break;
        }

        size = wd_buf_size(in->buf);

        if (sent >= size) {
            sent -= size;

            if (wd_buf_in_memory(in->buf)) {
                in->buf->pos = in->buf->last;
            }

            if (in->buf->in_file) {
                in->buf->file_pos = in->buf->file_last;
            }

            continue;
        }

        if (wd_buf_in_memory(in->buf)) {
            in->buf->pos += (size_t) sent;
        }

        if (in->buf->in_file) {
            in->buf->file_pos += sent;
        }

        break;
    }

    return in;
}
