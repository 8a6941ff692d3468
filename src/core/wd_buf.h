/*
 * Buffers and chains: a response body is a chain of buffers, each pointing
 * into memory ([pos, last)) or into a file ([file_pos, file_last)).
 */

#ifndef WD_BUF_H
#define WD_BUF_H

typedef void *wd_buf_tag_t;

typedef struct wd_buf_s wd_buf_t;

struct wd_buf_s {
    u_char *pos;
    u_char *last;
    off_t file_pos;
    off_t file_last;

    u_char *start;              /* the memory block, for reuse */
    u_char *end;
    wd_buf_tag_t tag;           /* the module that owns the buffer */
    wd_file_t *file;
    wd_buf_t *shadow;           /* the buffer this one was copied from */

    unsigned temporary:1;       /* memory that filters may change */
    unsigned memory:1;          /* read-only memory */
    unsigned in_file:1;
    unsigned flush:1;           /* send everything up to here now */
    unsigned sync:1;            /* a marker carrying no data */
    unsigned last_buf:1;        /* the end of the response */
    unsigned last_in_chain:1;   /* the end of a subrequest's part */
    unsigned recycled:1;
    unsigned last_shadow:1;
    unsigned temp_file:1;

    int num;
};

struct wd_chain_s {
    wd_buf_t *buf;
    wd_chain_t *next;
};

typedef struct {
    wd_int_t num;
    size_t size;
} wd_bufs_t;

#define wd_buf_in_memory(b) ((b)->temporary || (b)->memory)
#define wd_buf_in_memory_only(b) (wd_buf_in_memory(b) && !(b)->in_file)
#define wd_buf_special(b)                                                      \
    (((b)->flush || (b)->last_buf || (b)->sync) && !wd_buf_in_memory(b)        \
     && !(b)->in_file)
#define wd_buf_sync_only(b)                                                    \
    ((b)->sync && !wd_buf_in_memory(b) && !(b)->in_file && !(b)->flush         \
     && !(b)->last_buf)
#define wd_buf_size(b)                                                         \
    (wd_buf_in_memory(b) ? (off_t) ((b)->last - (b)->pos)                      \
                         : ((b)->file_last - (b)->file_pos))

#define wd_alloc_buf(pool) wd_palloc(pool, sizeof(wd_buf_t))
#define wd_calloc_buf(pool) wd_pcalloc(pool, sizeof(wd_buf_t))

wd_buf_t *wd_create_temp_buf(wd_pool_t *pool, size_t size);
wd_chain_t *wd_create_chain_of_bufs(wd_pool_t *pool, wd_bufs_t *bufs);

/* Chain links come from the pool's free list when one is there. */
wd_chain_t *wd_alloc_chain_link(wd_pool_t *pool);
#define wd_free_chain(pool, cl) wd_pfree_chain_link(pool, cl)
void wd_pfree_chain_link(wd_pool_t *pool, wd_chain_t *cl);

/* Appends copies of the links of in to *chain. */
wd_int_t wd_chain_add_copy(wd_pool_t *pool, wd_chain_t **chain,
    wd_chain_t *in);
wd_chain_t *wd_chain_get_free_buf(wd_pool_t *p, wd_chain_t **free);
/* Moves the sent links of *out to *busy, and fully consumed busy links
 * with this tag to *free. */
void wd_chain_update_chains(wd_pool_t *p, wd_chain_t **free,
    wd_chain_t **busy, wd_chain_t **out, wd_buf_tag_t tag);
/* Marks sent bytes as consumed; returns the first link not fully sent. */
wd_chain_t *wd_chain_update_sent(wd_chain_t *in, off_t sent);

#endif /* WD_BUF_H */
