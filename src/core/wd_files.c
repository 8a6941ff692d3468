/*
 * File helpers.
 */

#include <wd_core.h>

ssize_t
wd_read_file(wd_file_t *file, u_char *buf, size_t size, off_t offset)
{
    ssize_t n;

    for (;;) {
        n = pread(file->fd, buf, size, offset);

        if (n == -1 && wd_errno == WD_EINTR) {
            continue;
        }

        break;
    }

    if (n == -1) {
        wd_log_error(WD_LOG_CRIT, file->log, wd_errno,
                     "pread() \"%s\" failed", file->name.data);
        return -1;
    }

    file->offset += n;

    return n;
}

ssize_t
wd_write_file(wd_file_t *file, u_char *buf, size_t size, off_t offset)
{
    ssize_t n;
    size_t written;

    for (written = 0; written < size; written += n) {
        n = pwrite(file->fd, buf + written, size - written, offset + written);

        if (n == -1) {
            if (wd_errno == WD_EINTR) {
                n = 0;
                continue;
            }

            wd_log_error(WD_LOG_CRIT, file->log, wd_errno,
                         "pwrite() \"%s\" failed", file->name.data);
            return -1;
        }
    }

    file->offset += written;

    return (ssize_t) written;
}

ssize_t
wd_write_fd(wd_fd_t fd, void *buf, size_t n)
{
    ssize_t rc;
    size_t written;

    for (written = 0; written < n; written += rc) {
        rc = write(fd, (u_char *) buf + written, n - written);

        if (rc == -1) {
            if (wd_errno == WD_EINTR) {
                rc = 0;
                continue;
            }
            return -1;
        }
    }

    return (ssize_t) written;
}

wd_int_t
wd_read_whole_file(wd_pool_t *pool, u_char *name, size_t max, u_char **out,
    size_t *len)
{
    wd_fd_t fd;
    struct stat sb;
    u_char *buf;
    ssize_t n;
    size_t size, have;
    wd_err_t err;

    /* O_NONBLOCK: a FIFO (or a serial line) must not block the open;
     * like any non-regular file it reads as its st_size, i.e. empty */
    fd = wd_open_file(name, WD_FILE_RDONLY | WD_FILE_NONBLOCK | O_NOCTTY,
                      WD_FILE_OPEN, 0);

    if (fd == WD_INVALID_FD) {
        return WD_ERROR;
    }

    if (fstat(fd, &sb) == -1) {
        goto failed;
    }

    if (S_ISDIR(sb.st_mode)) {
        wd_set_errno(WD_EISDIR);
        goto failed;
    }

    if ((size_t) sb.st_size > max) {
        close(fd);
        return WD_DECLINED;
    }

    size = (size_t) sb.st_size;
    buf = wd_pnalloc(pool, size + 1);

    if (buf == NULL) {
        goto failed;
    }

    for (have = 0; have < size; have += n) {
        n = read(fd, buf + have, size - have);

        if (n == -1 && wd_errno == WD_EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            if (n == 0) {
                break;          /* the file shrank while we read it */
            }
            goto failed;
        }
    }

    close(fd);

    buf[have] = '\0';
    *out = buf;
    *len = have;

    return WD_OK;

failed:

    err = wd_errno;
    close(fd);
    wd_set_errno(err);

    return WD_ERROR;
}

wd_int_t
wd_open_glob(wd_glob_t *gl)
{
    int n;

    n = glob((char *) gl->pattern, 0, NULL, &gl->pglob);

    if (n == 0) {
        return WD_OK;
    }

    if (n == GLOB_NOMATCH && gl->test) {
        return WD_OK;
    }

    return WD_ERROR;
}

wd_int_t
wd_read_glob(wd_glob_t *gl, wd_str_t *name)
{
    size_t count;

    count = (size_t) gl->pglob.gl_pathc;

    if (gl->n < count) {
        name->len = wd_strlen(gl->pglob.gl_pathv[gl->n]);
        name->data = (u_char *) gl->pglob.gl_pathv[gl->n];
        gl->n++;
        return WD_OK;
    }

    return WD_DONE;
}

void
wd_close_glob(wd_glob_t *gl)
{
    globfree(&gl->pglob);
}

wd_int_t
wd_open_dir(wd_str_t *name, wd_dir_t *dir)
{
    dir->dir = opendir((const char *) name->data);

    if (dir->dir == NULL) {
        return WD_ERROR;
    }

    dir->valid_info = 0;

    return WD_OK;
}

wd_int_t
wd_read_dir(wd_dir_t *dir)
{
    wd_set_errno(0);

    dir->de = readdir(dir->dir);

    if (dir->de) {
        dir->type = dir->de->d_type;
        return WD_OK;
    }

    return (wd_errno == 0) ? WD_DONE : WD_ERROR;
}

wd_int_t
wd_de_info(u_char *name, wd_dir_t *dir)
{
    dir->type = 0;

    if (stat((const char *) name, &dir->info) == -1) {
        return WD_ERROR;
    }

    dir->valid_info = 1;

    return WD_OK;
}

wd_err_t
wd_create_full_path(u_char *dir, wd_uint_t access)
{
    u_char *p, ch;
    wd_err_t err;

    err = 0;

    for (p = dir + 1; *p; p++) {
        ch = *p;

        if (ch != '/') {
            continue;
        }

        *p = '\0';

        if (wd_create_dir(dir, access) == -1) {
            err = wd_errno;

            if (err != WD_EEXIST) {
                *p = '/';
                return err;
            }

            err = 0;
        }

        *p = '/';
    }

    return err;
}

wd_int_t
wd_nonblocking(wd_fd_t fd)
{
    int flags;

    flags = fcntl(fd, F_GETFL);

    if (flags == -1) {
        return WD_ERROR;
    }

    return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ? WD_ERROR : WD_OK;
}

wd_int_t
wd_blocking(wd_fd_t fd)
{
    int flags;

    flags = fcntl(fd, F_GETFL);

    if (flags == -1) {
        return WD_ERROR;
    }

    return fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ? WD_ERROR : WD_OK;
}
