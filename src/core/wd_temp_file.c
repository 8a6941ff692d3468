/*
 * Temporary files.
 */

#include <wd_core.h>

/* "path/3/12/0000000123" for levels 1 and 2: each level directory takes
 * digits from the end of the number. */
static void
wd_temp_file_name(wd_path_t *path, u_char *name, uint32_t n)
{
    u_char number[10], *p, *end;
    size_t i;

    wd_sprint_uint_pad(number, n, 10);
    end = number + 10;

    p = wd_cpymem(name, path->name.data, path->name.len);
    *p++ = '/';

    for (i = 0; i < 3 && path->level[i]; i++) {
        end -= path->level[i];
        p = wd_cpymem(p, end, path->level[i]);
        *p++ = '/';
    }

    p = wd_cpymem(p, number, 10);
    *p = '\0';
}

static wd_int_t
wd_create_temp_dirs(wd_path_t *path, u_char *name, wd_log_t *log)
{
    wd_err_t err;

    err = wd_create_full_path(name, 0700);

    if (err) {
        wd_log_error(WD_LOG_CRIT, log, err, "mkdir() \"%s\" failed", name);
        return WD_ERROR;
    }

    return WD_OK;
}

wd_int_t
wd_create_temp_file(wd_file_t *file, wd_path_t *path, wd_pool_t *pool,
    wd_uint_t persistent, wd_uint_t clean, wd_uint_t access)
{
    static uint32_t counter;
    wd_uint_t tries, made_dirs;
    wd_err_t err;
    wd_pool_cleanup_t *cln;
    wd_pool_cleanup_file_t *clnf;

    file->name.len = path->name.len + 1 + path->len + 10;
    file->name.data = wd_pnalloc(pool, file->name.len + 1);

    if (file->name.data == NULL) {
        return WD_ERROR;
    }

    if (file->log == NULL) {
        file->log = pool->log;
    }

    cln = wd_pool_cleanup_add(pool, sizeof(wd_pool_cleanup_file_t));

    if (cln == NULL) {
        return WD_ERROR;
    }

    if (counter == 0) {
        counter = (uint32_t) wd_pid * 1000;
    }

    made_dirs = 0;

    for (tries = 0; tries < 100; tries++) {
        /* a retry after making the level directories keeps the name */
        if (!made_dirs) {
            wd_temp_file_name(path, file->name.data, ++counter % 1000000000);
        }

        made_dirs = 0;

        file->fd = wd_open_file(file->name.data, WD_FILE_RDWR,
                                O_CREAT | O_EXCL, access ? access : 0600);

        if (file->fd != WD_INVALID_FD) {
            cln->handler = (clean || !persistent) ? wd_pool_delete_file
                                                  : wd_pool_cleanup_file;
            clnf = cln->data;
            clnf->fd = file->fd;
            clnf->name = file->name.data;
            clnf->log = pool->log;
            return WD_OK;
        }

        err = wd_errno;

        if (err == WD_EEXIST) {
            continue;
        }

        if (err == WD_ENOENT && path->len
            && wd_create_temp_dirs(path, file->name.data, file->log) == WD_OK)
        {
            made_dirs = 1;
            continue;
        }

        wd_log_error(WD_LOG_CRIT, file->log, err,
                     "open() \"%s\" failed", file->name.data);
        return WD_ERROR;
    }

    wd_log_error(WD_LOG_CRIT, file->log, 0,
                 "could not create a temporary file under \"%s\"",
                 path->name.data);

    return WD_ERROR;
}

ssize_t
wd_write_chain_to_temp_file(wd_temp_file_t *tf, wd_chain_t *chain)
{
    ssize_t n, total;
    wd_chain_t *cl;

    if (tf->file.fd == WD_INVALID_FD) {
        if (wd_create_temp_file(&tf->file, tf->path, tf->pool,
                                tf->persistent, tf->clean, tf->access)
            != WD_OK)
        {
            return WD_ERROR;
        }

        if (tf->warn) {
            wd_log_error((wd_uint_t) tf->log_level, tf->file.log, 0, "%s %s",
                         tf->warn, tf->file.name.data);
        }
    }

    total = 0;

    for (cl = chain; cl; cl = cl->next) {
        if (!wd_buf_in_memory(cl->buf) || cl->buf->pos == cl->buf->last) {
            continue;
        }

        n = wd_write_file(&tf->file, cl->buf->pos,
                          cl->buf->last - cl->buf->pos, tf->offset);

        if (n == WD_ERROR) {
            return WD_ERROR;
        }

        tf->offset += n;
        total += n;
    }

    return total;
}
