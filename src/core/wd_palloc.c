/*
 * Pool allocator.
 */

#include <wd_core.h>

static void *wd_palloc_small(wd_pool_t *pool, size_t size, wd_uint_t align);
static void *wd_palloc_block(wd_pool_t *pool, size_t size);
static void *wd_palloc_large(wd_pool_t *pool, size_t size);

void *
wd_alloc(size_t size, wd_log_t *log)
{
    void *p;

    p = malloc(size);

    if (p == NULL) {
        wd_log_error(WD_LOG_EMERG, log, wd_errno, "malloc(%zu) failed", size);
    }

    return p;
}

void *
wd_calloc(size_t size, wd_log_t *log)
{
    void *p;

    p = wd_alloc(size, log);

    if (p) {
        wd_memzero(p, size);
    }

    return p;
}

static void *
wd_memalign(size_t alignment, size_t size, wd_log_t *log)
{
    void *p;
    int err;

    err = posix_memalign(&p, alignment, size);

    if (err) {
        wd_log_error(WD_LOG_EMERG, log, err,
                     "posix_memalign(%zu, %zu) failed", alignment, size);
        return NULL;
    }

    return p;
}

wd_pool_t *
wd_create_pool(size_t size, wd_log_t *log)
{
    wd_pool_t *p;

    if (size < WD_MIN_POOL_SIZE) {
        size = WD_MIN_POOL_SIZE;
    }

    p = wd_memalign(WD_POOL_ALIGNMENT, size, log);

    if (p == NULL) {
        return NULL;
    }

    p->block.last = (u_char *) p + sizeof(wd_pool_t);
    p->block.end = (u_char *) p + size;
    p->block.next = NULL;
    p->block.failed = 0;

    size -= sizeof(wd_pool_t);
    p->max = wd_min(size, WD_MAX_ALLOC_FROM_POOL);

    p->current = &p->block;
    p->large = NULL;
    p->cleanup = NULL;
    p->chain = NULL;
    p->log = log;
    p->next_free = NULL;

    return p;
}

void
wd_destroy_pool(wd_pool_t *pool)
{
    wd_pool_cleanup_t *c;
    wd_pool_large_t *l;
    wd_pool_block_t *b, *next;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    for (l = pool->large; l; l = l->next) {
        if (l->alloc) {
            wd_free(l->alloc);
        }
    }

    for (b = pool->block.next; b; b = next) {
        next = b->next;
        wd_free(b);
    }

    wd_free(pool);
}

void
wd_reset_pool(wd_pool_t *pool)
{
    wd_pool_cleanup_t *c;
    wd_pool_large_t *l;
    wd_pool_block_t *b;

    /* the cleanup records live in the blocks about to be rewound: run
     * them now, as destroy would, instead of keeping a dangling list */
    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    pool->cleanup = NULL;

    for (l = pool->large; l; l = l->next) {
        if (l->alloc) {
            wd_free(l->alloc);
        }
    }

    pool->block.last = (u_char *) pool + sizeof(wd_pool_t);
    pool->block.failed = 0;

    for (b = pool->block.next; b; b = b->next) {
        b->last = (u_char *) b + sizeof(wd_pool_block_t);
        b->failed = 0;
    }

    pool->current = &pool->block;
    pool->large = NULL;
    pool->chain = NULL;
}

wd_pool_t *
wd_pool_cache_get(wd_pool_cache_t *cache, size_t size, wd_log_t *log)
{
    wd_pool_t *p;

    if (cache->size != size) {
        return wd_create_pool(size, log);
    }

    p = cache->free;

    if (p == NULL) {
        return wd_create_pool(size, log);
    }

    cache->free = p->next_free;
    cache->n--;
    p->next_free = NULL;
    p->log = log;

    return p;
}

void
wd_pool_cache_put(wd_pool_cache_t *cache, wd_pool_t *pool)
{
    wd_pool_cleanup_t *c;

    if (cache->size == 0) {
        cache->size = (size_t) (pool->block.end - (u_char *) pool);
    }

    if (cache->n >= cache->max
        || cache->size != (size_t) (pool->block.end - (u_char *) pool))
    {
        wd_destroy_pool(pool);
        return;
    }

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    pool->cleanup = NULL;
    wd_reset_pool(pool);

    pool->next_free = cache->free;
    cache->free = pool;
    cache->n++;
}

void *
wd_palloc(wd_pool_t *pool, size_t size)
{
    if (size <= pool->max) {
        return wd_palloc_small(pool, size, 1);
    }

    return wd_palloc_large(pool, size);
}

void *
wd_pnalloc(wd_pool_t *pool, size_t size)
{
    if (size <= pool->max) {
        return wd_palloc_small(pool, size, 0);
    }

    return wd_palloc_large(pool, size);
}

static void *
wd_palloc_small(wd_pool_t *pool, size_t size, wd_uint_t align)
{
    u_char *m;
    wd_pool_block_t *b;

    for (b = pool->current; b; b = b->next) {
        m = b->last;

        if (align) {
            m = wd_align_ptr(m, WD_ALIGNMENT);
        }

        if (m <= b->end && (size_t) (b->end - m) >= size) {
            b->last = m + size;
            return m;
        }
    }

    return wd_palloc_block(pool, size);
}

/* Adds a block the size of the first one.  A block that failed to serve
 * several requests is skipped from then on, so searches stay short. */
static void *
wd_palloc_block(wd_pool_t *pool, size_t size)
{
    u_char *m;
    size_t psize;
    wd_pool_block_t *b, *last;

    psize = (size_t) (pool->block.end - (u_char *) pool);

    b = wd_memalign(WD_POOL_ALIGNMENT, psize, pool->log);

    if (b == NULL) {
        return NULL;
    }

    b->end = (u_char *) b + psize;
    b->next = NULL;
    b->failed = 0;

    m = (u_char *) b + sizeof(wd_pool_block_t);
    m = wd_align_ptr(m, WD_ALIGNMENT);
    b->last = m + size;

    for (last = pool->current; last->next; last = last->next) {
        if (last->failed++ > 4) {
            pool->current = last->next;
        }
    }

    last->next = b;

    return m;
}

static void *
wd_palloc_large(wd_pool_t *pool, size_t size)
{
    void *p;
    wd_uint_t n;
    wd_pool_large_t *large;

    p = wd_alloc(size, pool->log);

    if (p == NULL) {
        return NULL;
    }

    /* reuse a slot freed by wd_pfree, looking only at the first few */
    n = 0;

    for (large = pool->large; large && n < 3; large = large->next, n++) {
        if (large->alloc == NULL) {
            large->alloc = p;
            return p;
        }
    }

    large = wd_palloc_small(pool, sizeof(wd_pool_large_t), 1);

    if (large == NULL) {
        wd_free(p);
        return NULL;
    }

    large->alloc = p;
    large->next = pool->large;
    pool->large = large;

    return p;
}

void *
wd_pmemalign(wd_pool_t *pool, size_t size, size_t alignment)
{
    void *p;
    wd_pool_large_t *large;

    p = wd_memalign(alignment, size, pool->log);

    if (p == NULL) {
        return NULL;
    }

    large = wd_palloc_small(pool, sizeof(wd_pool_large_t), 1);

    if (large == NULL) {
        wd_free(p);
        return NULL;
    }

    large->alloc = p;
    large->next = pool->large;
    pool->large = large;

    return p;
}

wd_int_t
wd_pfree(wd_pool_t *pool, void *p)
{
    wd_pool_large_t *l;

    for (l = pool->large; l; l = l->next) {
        if (p == l->alloc) {
            wd_free(l->alloc);
            l->alloc = NULL;
            return WD_OK;
        }
    }

    return WD_DECLINED;
}

void *
wd_pcalloc(wd_pool_t *pool, size_t size)
{
    void *p;

    p = wd_palloc(pool, size);

    if (p) {
        wd_memzero(p, size);
    }

    return p;
}

wd_pool_cleanup_t *
wd_pool_cleanup_add(wd_pool_t *p, size_t size)
{
    wd_pool_cleanup_t *c;

    c = wd_palloc(p, sizeof(wd_pool_cleanup_t));

    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = wd_palloc(p, size);

        if (c->data == NULL) {
            return NULL;
        }

    } else {
        c->data = NULL;
    }

    c->handler = NULL;
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}

/* Closes fd now and disarms its cleanup handler. */
void
wd_pool_run_cleanup_file(wd_pool_t *p, wd_fd_t fd)
{
    wd_pool_cleanup_t *c;
    wd_pool_cleanup_file_t *cf;

    for (c = p->cleanup; c; c = c->next) {
        if (c->handler == wd_pool_cleanup_file) {
            cf = c->data;

            if (cf->fd == fd) {
                c->handler(cf);
                c->handler = NULL;
                return;
            }
        }
    }
}

void
wd_pool_cleanup_file(void *data)
{
    wd_pool_cleanup_file_t *c = data;

    if (close(c->fd) == -1) {
        wd_log_error(WD_LOG_ALERT, c->log, wd_errno,
                     "close() \"%s\" failed", c->name);
    }
}

void
wd_pool_delete_file(void *data)
{
    wd_pool_cleanup_file_t *c = data;
    wd_err_t err;

    if (unlink((char *) c->name) == -1) {
        err = wd_errno;

        if (err != WD_ENOENT) {
            wd_log_error(WD_LOG_CRIT, c->log, err,
                         "unlink() \"%s\" failed", c->name);
        }
    }

    wd_pool_cleanup_file(data);
}

u_char *
wd_pstrdup(wd_pool_t *pool, wd_str_t *src)
{
    u_char *dst;

    dst = wd_pnalloc(pool, src->len);

    if (dst == NULL) {
        return NULL;
    }

    wd_memcpy(dst, src->data, src->len);

    return dst;
}

wd_int_t
wd_pstrdupz(wd_pool_t *pool, wd_str_t *dst, u_char *src, size_t len)
{
    dst->data = wd_pnalloc(pool, len + 1);

    if (dst->data == NULL) {
        return WD_ERROR;
    }

    if (len) {
        wd_memcpy(dst->data, src, len);
    }

    dst->data[len] = '\0';
    dst->len = len;

    return WD_OK;
}
