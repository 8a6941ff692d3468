/*
 * Opening files, directly or through open_file_cache.
 *
 * A cache entry keeps a file's descriptor (once used min_uses times) and
 * metadata, or the error of a failed open (open_file_cache_errors), and
 * is checked again with stat() after "valid" seconds.  Requests hold
 * references; an entry replaced while in use closes when the last
 * request lets it go.
 */

#include <wd_core.h>

typedef struct wd_cached_open_file_s wd_cached_open_file_t;

struct wd_cached_open_file_s {
    wd_rbtree_node_t node;      /* keyed by the name's hash */
    wd_queue_t queue;           /* most recently used first */

    u_char *name;
    size_t len;

    time_t created;             /* last checked */
    time_t accessed;

    wd_fd_t fd;
    wd_err_t err;
    const char *failed;

    ino_t uniq;
    time_t mtime;
    off_t size;

    wd_uint_t uses;
    wd_uint_t min_uses;         /* uses before the descriptor is kept */
    wd_uint_t count;            /* requests using fd right now */
    wd_uint_t disable_symlinks;

    unsigned is_dir:1;
    unsigned is_file:1;
    unsigned is_link:1;
    unsigned is_exec:1;
    unsigned close:1;           /* close when count drops to 0 */
};

struct wd_open_file_cache_s {
    wd_rbtree_t rbtree;
    wd_rbtree_node_t sentinel;
    wd_queue_t expire_queue;
    wd_uint_t current;
    wd_uint_t max;
    time_t inactive;
};

typedef struct {
    wd_open_file_cache_t *cache;
    wd_cached_open_file_t *file;
    wd_log_t *log;
} wd_open_file_cache_cleanup_t;

/* Opens every component below "/" with O_NOFOLLOW, so no symlink on
 * the way is followed (disable_symlinks on), or only those owned by
 * the owner of the target (if_not_owner). */
static wd_fd_t
wd_open_file_nofollow(u_char *name, wd_uint_t policy, wd_err_t *err)
{
    u_char *p, *cp, *end;
    int dirfd, fd, flags;
    struct stat lsb, sb;

    end = name + wd_strlen(name);
    dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (dirfd == -1) {
        *err = wd_errno;
        return WD_INVALID_FD;
    }

    for (p = name + 1; p < end; p = cp + 1) {
        for (cp = p; cp < end && *cp != '/'; cp++) { /* void */ }

        *cp = '\0';

        flags = (cp == end) ? O_RDONLY | O_NONBLOCK
                            : O_RDONLY | O_DIRECTORY;

        fd = openat(dirfd, (char *) p, flags | O_NOFOLLOW | O_CLOEXEC);

        if (fd == -1 && wd_errno == WD_ELOOP
            && policy == WD_DISABLE_SYMLINKS_NOTOWNER
            && fstatat(dirfd, (char *) p, &lsb, AT_SYMLINK_NOFOLLOW) == 0)
        {
            fd = openat(dirfd, (char *) p, flags | O_CLOEXEC);

            if (fd != -1 && (fstat(fd, &sb) == -1
                             || sb.st_uid != lsb.st_uid))
            {
                /* refused as a symlink, as O_NOFOLLOW refuses one */
                close(fd);
                fd = -1;
                wd_set_errno(WD_ELOOP);
            }
        }

        if (cp != end) {
            *cp = '/';
        }

        *err = wd_errno;
        close(dirfd);

        if (fd == -1) {
            return WD_INVALID_FD;
        }

        dirfd = fd;
    }

    return dirfd;
}

/* Fills of from a real open(): fd and metadata, or the error. */
static wd_int_t
wd_open_and_stat_file(wd_str_t *name, wd_open_file_info_t *of)
{
    wd_fd_t fd;
    wd_err_t err;
    struct stat fi;

    if (of->test_dir || of->test_only) {
        if (stat((char *) name->data, &fi) == -1) {
            of->err = wd_errno;
            of->failed = "stat()";
            return WD_ERROR;
        }

        if (of->test_only || S_ISDIR(fi.st_mode)) {
            of->fd = WD_INVALID_FD;
            goto info;
        }
    }

    if (of->log) {
        fd = wd_open_file(name->data, WD_FILE_APPEND, WD_FILE_CREATE_OR_OPEN,
                          WD_FILE_DEFAULT_ACCESS);
        err = (fd == -1) ? wd_errno : 0;

    } else if (of->disable_symlinks == WD_DISABLE_SYMLINKS_OFF
               || name->data[0] != '/')
    {
        fd = open((char *) name->data, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        err = (fd == -1) ? wd_errno : 0;

    } else {
        fd = wd_open_file_nofollow(name->data, of->disable_symlinks, &err);
    }

    if (fd == WD_INVALID_FD) {
        of->err = err;
        of->failed = (of->disable_symlinks == WD_DISABLE_SYMLINKS_OFF
                      || name->data[0] != '/')
                         ? "open()"
                         : "openat()";
        return WD_ERROR;
    }

    if (fstat(fd, &fi) == -1) {
        of->err = wd_errno;
        of->failed = "fstat()";
        close(fd);
        return WD_ERROR;
    }

    if (S_ISDIR(fi.st_mode)) {
        /* a directory is answered with a redirect, never sent */
        close(fd);
        fd = WD_INVALID_FD;
    }

    of->fd = fd;

info:

    of->uniq = fi.st_ino;
    of->mtime = fi.st_mtime;
    of->size = fi.st_size;
    of->is_dir = S_ISDIR(fi.st_mode);
    of->is_file = S_ISREG(fi.st_mode);
    of->is_link = S_ISLNK(fi.st_mode);
    of->is_exec = (fi.st_mode & S_IXUSR) ? 1 : 0;

    return WD_OK;
}

static void
wd_close_plain_file(void *data)
{
    wd_pool_cleanup_file_t *c = data;

    if (c->fd != WD_INVALID_FD && close(c->fd) == -1) {
        wd_log_error(WD_LOG_ALERT, c->log, wd_errno, "close() \"%s\" failed",
                     c->name);
    }
}

static wd_int_t
wd_open_uncached(wd_str_t *name, wd_open_file_info_t *of, wd_pool_t *pool)
{
    wd_pool_cleanup_t *cln;
    wd_pool_cleanup_file_t *clnf;

    cln = wd_pool_cleanup_add(pool, sizeof(wd_pool_cleanup_file_t));

    if (cln == NULL) {
        return WD_ERROR;
    }

    if (wd_open_and_stat_file(name, of) != WD_OK) {
        return WD_ERROR;
    }

    if (of->fd != WD_INVALID_FD) {
        cln->handler = wd_close_plain_file;
        clnf = cln->data;
        clnf->fd = of->fd;
        clnf->name = name->data;
        clnf->log = pool->log;
    }

    return WD_OK;
}

static void
wd_open_file_cache_free(wd_open_file_cache_t *cache,
    wd_cached_open_file_t *file)
{
    if (file->fd != WD_INVALID_FD) {
        (void) close(file->fd);
    }

    wd_free(file->name);
    wd_free(file);
}

/* Drops an entry from the cache; it lives on while requests use it. */
static void
wd_open_file_cache_remove(wd_open_file_cache_t *cache,
    wd_cached_open_file_t *file)
{
    wd_queue_remove(&file->queue);
    wd_rbtree_delete(&cache->rbtree, &file->node);
    cache->current--;

    if (file->count) {
        file->close = 1;
        return;
    }

    wd_open_file_cache_free(cache, file);
}

static void
wd_open_file_cache_expire(wd_open_file_cache_t *cache, wd_uint_t force)
{
    wd_uint_t n;
    wd_queue_t *q;
    wd_cached_open_file_t *file;

    /* a couple at a time, least recently used first */
    for (n = 0; n < 2 && !wd_queue_empty(&cache->expire_queue); n++) {
        q = wd_queue_last(&cache->expire_queue);
        file = wd_queue_data(q, wd_cached_open_file_t, queue);

        if (!force && wd_time() - file->accessed <= cache->inactive) {
            return;
        }

        force = 0;
        wd_open_file_cache_remove(cache, file);
    }
}

static void
wd_open_file_cache_cleanup(void *data)
{
    wd_open_file_cache_t *cache = data;
    wd_queue_t *q;
    wd_cached_open_file_t *file;

    while (!wd_queue_empty(&cache->expire_queue)) {
        q = wd_queue_last(&cache->expire_queue);
        file = wd_queue_data(q, wd_cached_open_file_t, queue);

        wd_queue_remove(&file->queue);
        wd_rbtree_delete(&cache->rbtree, &file->node);
        cache->current--;

        if (file->count) {
            /* requests still hold it: they free it */
            file->close = 1;
            continue;
        }

        wd_open_file_cache_free(cache, file);
    }
}

wd_open_file_cache_t *
wd_open_file_cache_init(wd_pool_t *pool, wd_uint_t max, time_t inactive)
{
    wd_pool_cleanup_t *cln;
    wd_open_file_cache_t *cache;

    cache = wd_palloc(pool, sizeof(wd_open_file_cache_t));
    cln = wd_pool_cleanup_add(pool, 0);

    if (cache == NULL || cln == NULL) {
        return NULL;
    }

    wd_rbtree_init(&cache->rbtree, &cache->sentinel, wd_rbtree_insert_value);
    wd_queue_init(&cache->expire_queue);

    cache->current = 0;
    cache->max = max;
    cache->inactive = inactive;

    cln->handler = wd_open_file_cache_cleanup;
    cln->data = cache;

    return cache;
}

static wd_cached_open_file_t *
wd_open_file_lookup(wd_open_file_cache_t *cache, wd_str_t *name,
    uint32_t hash)
{
    wd_rbtree_node_t *node, *sentinel;
    wd_cached_open_file_t *file;

    node = cache->rbtree.root;
    sentinel = cache->rbtree.sentinel;

    while (node != sentinel) {
        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        file = (wd_cached_open_file_t *) node;

        if (file->len == name->len
            && wd_memcmp(file->name, name->data, name->len) == 0)
        {
            return file;
        }

        /* equal hashes go right (wd_rbtree_insert_value) */
        node = node->right;
    }

    return NULL;
}

static void
wd_cached_to_info(wd_cached_open_file_t *file, wd_open_file_info_t *of)
{
    of->fd = file->fd;
    of->err = file->err;
    of->failed = file->failed;
    of->uniq = file->uniq;
    of->mtime = file->mtime;
    of->size = file->size;
    of->is_dir = file->is_dir;
    of->is_file = file->is_file;
    of->is_link = file->is_link;
    of->is_exec = file->is_exec;
}

static void
wd_info_to_cached(wd_open_file_info_t *of, wd_cached_open_file_t *file)
{
    file->fd = of->fd;
    file->err = of->err;
    file->failed = of->failed;
    file->uniq = of->uniq;
    file->mtime = of->mtime;
    file->size = of->size;
    file->is_dir = of->is_dir;
    file->is_file = of->is_file;
    file->is_link = of->is_link;
    file->is_exec = of->is_exec;
    file->disable_symlinks = of->disable_symlinks;
    file->created = wd_time();
}

static void
wd_open_file_cache_release(void *data)
{
    wd_open_file_cache_cleanup_t *c = data;

    c->file->count--;

    if (c->file->count) {
        return;
    }

    if (c->file->close) {
        wd_open_file_cache_free(c->cache, c->file);
        return;
    }

    /* not used often enough yet to keep its descriptor open */
    if (c->file->uses < c->file->min_uses && c->file->fd != WD_INVALID_FD) {
        (void) close(c->file->fd);
        c->file->fd = WD_INVALID_FD;
    }
}

/* Adds a fresh entry for name with what of holds. */
static wd_cached_open_file_t *
wd_open_file_cache_add(wd_open_file_cache_t *cache, wd_str_t *name,
    uint32_t hash, wd_open_file_info_t *of, wd_log_t *log)
{
    wd_cached_open_file_t *file;

    if (cache->current >= cache->max) {
        wd_open_file_cache_expire(cache, 1);
    }

    file = wd_calloc(sizeof(wd_cached_open_file_t), log);

    if (file == NULL) {
        return NULL;
    }

    file->name = wd_alloc(name->len, log);

    if (file->name == NULL) {
        wd_free(file);
        return NULL;
    }

    wd_memcpy(file->name, name->data, name->len);
    file->len = name->len;
    file->node.key = hash;
    file->fd = WD_INVALID_FD;

    wd_rbtree_insert(&cache->rbtree, &file->node);
    wd_queue_insert_head(&cache->expire_queue, &file->queue);
    cache->current++;

    wd_info_to_cached(of, file);

    return file;
}

wd_int_t
wd_open_cached_file(wd_open_file_cache_t *cache, wd_str_t *name,
    wd_open_file_info_t *of, wd_pool_t *pool)
{
    uint32_t hash;
    wd_int_t rc;
    wd_uint_t uses;
    wd_pool_cleanup_t *cln;
    wd_cached_open_file_t *file;
    wd_open_file_cache_cleanup_t *ofcln;

    of->fd = WD_INVALID_FD;
    of->err = 0;

    if (cache == NULL) {
        return wd_open_uncached(name, of, pool);
    }

    cln = wd_pool_cleanup_add(pool, sizeof(wd_open_file_cache_cleanup_t));

    if (cln == NULL) {
        return WD_ERROR;
    }

    wd_open_file_cache_expire(cache, 0);

    hash = (uint32_t) wd_hash_key(name->data, name->len);
    file = wd_open_file_lookup(cache, name, hash);

    if (file && wd_time() - file->created < of->valid
        && file->disable_symlinks == of->disable_symlinks
        && (file->fd != WD_INVALID_FD || file->err || file->is_dir))
    {
        /* fresh: use it as it is */
        file->uses++;
        file->accessed = wd_time();
        wd_queue_remove(&file->queue);
        wd_queue_insert_head(&cache->expire_queue, &file->queue);

        wd_cached_to_info(file, of);

        if (file->err) {
            return WD_ERROR;
        }

        goto found;
    }

    uses = 0;

    if (file) {
        /* stale, or its descriptor was not kept: start it again, but
         * remember how often it was asked for */
        uses = file->uses;
        wd_open_file_cache_remove(cache, file);
    }

    /* the file as it is now */
    rc = wd_open_and_stat_file(name, of);

    if (rc != WD_OK && (!of->errors || of->err == 0)) {
        return WD_ERROR;
    }

    file = wd_open_file_cache_add(cache, name, hash, of, pool->log);

    if (file == NULL) {
        if (of->fd != WD_INVALID_FD) {
            close(of->fd);
        }
        return WD_ERROR;
    }

    file->uses = uses + 1;
    file->min_uses = of->min_uses;
    file->accessed = wd_time();

    if (rc != WD_OK) {
        file->fd = WD_INVALID_FD;
        return WD_ERROR;
    }

found:

    file->count++;

    ofcln = cln->data;
    ofcln->cache = cache;
    ofcln->file = file;
    ofcln->log = pool->log;
    cln->handler = wd_open_file_cache_release;

    return WD_OK;
}
