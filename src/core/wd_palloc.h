/*
 * Pools: arenas for a cycle, a connection or a request.  Small objects are
 * carved from blocks and never freed one by one; large ones are kept on a
 * list and may be released early with wd_pfree.  Cleanup handlers run when
 * the pool is destroyed, for what the pool does not own (fds, temp files).
 */

#ifndef WD_PALLOC_H
#define WD_PALLOC_H

/* Objects larger than this get their own allocation. */
#define WD_MAX_ALLOC_FROM_POOL 4095
#define WD_DEFAULT_POOL_SIZE (16 * 1024)
#define WD_POOL_ALIGNMENT 16
#define WD_MIN_POOL_SIZE 256

typedef void (*wd_pool_cleanup_pt)(void *data);

typedef struct wd_pool_cleanup_s wd_pool_cleanup_t;

struct wd_pool_cleanup_s {
    wd_pool_cleanup_pt handler;
    void *data;
    wd_pool_cleanup_t *next;
};

typedef struct wd_pool_large_s wd_pool_large_t;

struct wd_pool_large_s {
    wd_pool_large_t *next;
    void *alloc;
};

typedef struct wd_pool_block_s wd_pool_block_t;

struct wd_pool_block_s {
    u_char *last;               /* first free byte */
    u_char *end;
    wd_pool_block_t *next;
    wd_uint_t failed;           /* times a request did not fit here */
};

struct wd_pool_s {
    wd_pool_block_t block;      /* the first block's header */
    size_t max;                 /* largest size served from blocks */
    wd_pool_block_t *current;   /* first block worth trying */
    wd_pool_large_t *large;
    wd_pool_cleanup_t *cleanup;
    wd_chain_t *chain;          /* freed chain links, for reuse */
    wd_log_t *log;
    wd_pool_t *next_free;       /* in a wd_pool_cache_t */
};

/* Pools of one size kept for reuse, so that a request does not cost a
 * malloc() and a free() of its pool (per process, not thread-safe). */
typedef struct {
    wd_pool_t *free;
    wd_uint_t n;
    wd_uint_t max;
    size_t size;
} wd_pool_cache_t;

typedef struct {
    wd_fd_t fd;
    u_char *name;
    wd_log_t *log;
} wd_pool_cleanup_file_t;

/* Plain heap allocation with an [emerg] log line on failure. */
void *wd_alloc(size_t size, wd_log_t *log);
void *wd_calloc(size_t size, wd_log_t *log);
#define wd_free free

wd_pool_t *wd_create_pool(size_t size, wd_log_t *log);
void wd_destroy_pool(wd_pool_t *pool);
/* Runs the cleanup handlers, frees the large allocations and rewinds
 * the blocks for reuse. */
void wd_reset_pool(wd_pool_t *pool);

/* A pool from the cache (or a new one when empty or of another size);
 * put runs the cleanups, rewinds the pool and keeps it (or frees it). */
wd_pool_t *wd_pool_cache_get(wd_pool_cache_t *cache, size_t size,
    wd_log_t *log);
void wd_pool_cache_put(wd_pool_cache_t *cache, wd_pool_t *pool);

void *wd_palloc(wd_pool_t *pool, size_t size);     /* aligned */
void *wd_pnalloc(wd_pool_t *pool, size_t size);    /* unaligned, for bytes */
void *wd_pcalloc(wd_pool_t *pool, size_t size);
void *wd_pmemalign(wd_pool_t *pool, size_t size, size_t alignment);
/* Releases a large allocation early; WD_DECLINED for a small one. */
wd_int_t wd_pfree(wd_pool_t *pool, void *p);

/* Adds a cleanup handler (with size bytes of data, or NULL data). */
wd_pool_cleanup_t *wd_pool_cleanup_add(wd_pool_t *p, size_t size);
void wd_pool_run_cleanup_file(wd_pool_t *p, wd_fd_t fd);
void wd_pool_cleanup_file(void *data);
void wd_pool_delete_file(void *data);

u_char *wd_pstrdup(wd_pool_t *pool, wd_str_t *src);
/* Copies the string and NUL-terminates it (len excludes the NUL). */
wd_int_t wd_pstrdupz(wd_pool_t *pool, wd_str_t *dst, u_char *src,
    size_t len);

#endif /* WD_PALLOC_H */
