/*
 * Files: opened log files shared by a cycle, plain files read or sent,
 * directories, globs and paths.
 */

#ifndef WD_FILES_H
#define WD_FILES_H

typedef void (*wd_open_file_flush_pt)(wd_open_file_t *file, wd_log_t *log);

/* A file a cycle keeps open (logs); reopened on USR1. */
struct wd_open_file_s {
    wd_fd_t fd;
    wd_str_t name;              /* NUL-terminated */
    wd_open_file_flush_pt flush; /* drains a buffered access log */
    void *data;
};

struct wd_file_s {
    wd_fd_t fd;
    wd_str_t name;
    struct stat info;
    off_t offset;
    wd_log_t *log;
    unsigned valid_info:1;
    unsigned directio:1;
};

typedef struct stat wd_file_info_t;

typedef struct {
    glob_t pglob;
    size_t n;
    wd_uint_t test;             /* a pattern without wildcards */
    u_char *pattern;
    wd_log_t *log;
} wd_glob_t;

typedef struct {
    DIR *dir;
    struct dirent *de;
    struct stat info;
    unsigned type:8;
    unsigned valid_info:1;
} wd_dir_t;

#define WD_FILE_DEFAULT_ACCESS 0644
#define WD_FILE_OWNER_ACCESS 0600

#define wd_open_file(name, mode, create, access)                               \
    open((const char *) name, mode | create | O_CLOEXEC, access)
#define WD_FILE_RDONLY O_RDONLY
#define WD_FILE_WRONLY O_WRONLY
#define WD_FILE_RDWR O_RDWR
#define WD_FILE_CREATE_OR_OPEN O_CREAT
#define WD_FILE_OPEN 0
#define WD_FILE_TRUNCATE (O_CREAT | O_TRUNC)
#define WD_FILE_APPEND (O_WRONLY | O_APPEND)
#define WD_FILE_NONBLOCK O_NONBLOCK
#define WD_FILE_ERROR -1

#define wd_close_file close
#define wd_delete_file(name) unlink((const char *) name)
#define wd_file_info(file, sb) stat((const char *) file, sb)
#define wd_fd_info(fd, sb) fstat(fd, sb)
#define wd_link_info(file, sb) lstat((const char *) file, sb)
#define wd_is_dir(sb) (S_ISDIR((sb)->st_mode))
#define wd_is_file(sb) (S_ISREG((sb)->st_mode))
#define wd_is_link(sb) (S_ISLNK((sb)->st_mode))
#define wd_is_exec(sb) (((sb)->st_mode & S_IXUSR) == S_IXUSR)
#define wd_file_size(sb) (sb)->st_size
#define wd_file_mtime(sb) (sb)->st_mtime
#define wd_file_uniq(sb) (sb)->st_ino
#define wd_create_dir(name, access) mkdir((const char *) name, access)
#define wd_delete_dir(name) rmdir((const char *) name)

#define wd_path_separator(c) ((c) == '/')

/* Reads up to size bytes at offset; -1 and an [crit] line on failure. */
ssize_t wd_read_file(wd_file_t *file, u_char *buf, size_t size,
    off_t offset);
ssize_t wd_write_file(wd_file_t *file, u_char *buf, size_t size,
    off_t offset);
/* Writes all of buf to fd, retrying short writes and EINTR. */
ssize_t wd_write_fd(wd_fd_t fd, void *buf, size_t n);
#define wd_write_console wd_write_fd
#define wd_linefeed(p) *p++ = LF;

/* Reads a whole file into pool memory (at most max bytes; WD_DECLINED if
 * larger).  Returns WD_OK and fills out/len, or WD_ERROR with errno set.
 * Never blocks: a FIFO or a device reads as its st_size (empty). */
wd_int_t wd_read_whole_file(wd_pool_t *pool, u_char *name, size_t max,
    u_char **out, size_t *len);

wd_int_t wd_open_glob(wd_glob_t *gl);
wd_int_t wd_read_glob(wd_glob_t *gl, wd_str_t *name);
void wd_close_glob(wd_glob_t *gl);

wd_int_t wd_open_dir(wd_str_t *name, wd_dir_t *dir);
/* WD_OK with dir->de set, WD_DONE at the end, WD_ERROR on failure. */
wd_int_t wd_read_dir(wd_dir_t *dir);
#define wd_close_dir(d) closedir((d)->dir)
#define wd_de_name(d) ((u_char *) (d)->de->d_name)
#define wd_de_namelen(d) wd_strlen((d)->de->d_name)
wd_int_t wd_de_info(u_char *name, wd_dir_t *dir);
#define wd_de_is_dir(d) (S_ISDIR((d)->info.st_mode))
#define wd_de_is_file(d) (S_ISREG((d)->info.st_mode))
#define wd_de_is_link(d) (S_ISLNK((d)->info.st_mode))
#define wd_de_size(d) (d)->info.st_size
#define wd_de_mtime(d) (d)->info.st_mtime

/* mkdir -p of every directory in a file path (not the file itself). */
wd_err_t wd_create_full_path(u_char *dir, wd_uint_t access);

wd_int_t wd_nonblocking(wd_fd_t fd);
wd_int_t wd_blocking(wd_fd_t fd);

#endif /* WD_FILES_H */
