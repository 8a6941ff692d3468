/*
 * Opening files to send: plain open/fstat, or through a cache of open
 * descriptors and their metadata (open_file_cache), with the symlink
 * policy of disable_symlinks applied to every path component.
 */

#ifndef WD_OPEN_FILE_CACHE_H
#define WD_OPEN_FILE_CACHE_H

#define WD_DISABLE_SYMLINKS_OFF 0
#define WD_DISABLE_SYMLINKS_ON 1
#define WD_DISABLE_SYMLINKS_NOTOWNER 2

typedef struct {
    wd_fd_t fd;
    ino_t uniq;
    time_t mtime;
    off_t size;
    off_t directio;

    wd_err_t err;               /* why opening failed */
    const char *failed;         /* the call that failed: "open()", ... */

    time_t valid;               /* open_file_cache_valid */
    wd_uint_t min_uses;
    wd_uint_t disable_symlinks;

    unsigned test_dir:1;        /* only stat(), no open() for directories */
    unsigned test_only:1;       /* only stat() */
    unsigned log:1;             /* open for appending, creating it (logs) */
    unsigned errors:1;          /* cache failures too */
    unsigned events:1;
    unsigned is_dir:1;
    unsigned is_file:1;
    unsigned is_link:1;
    unsigned is_exec:1;
} wd_open_file_info_t;

typedef struct wd_open_file_cache_s wd_open_file_cache_t;

/* A cache of at most max entries, each dropped after inactive seconds
 * without use; closed with the pool. */
wd_open_file_cache_t *wd_open_file_cache_init(wd_pool_t *pool, wd_uint_t max,
    time_t inactive);
/* Opens name (NUL-terminated, len without the NUL); the descriptor is
 * released with pool.  WD_ERROR with of->err and of->failed set. */
wd_int_t wd_open_cached_file(wd_open_file_cache_t *cache, wd_str_t *name,
    wd_open_file_info_t *of, wd_pool_t *pool);

#endif /* WD_OPEN_FILE_CACHE_H */
