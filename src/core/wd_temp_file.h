/*
 * Temporary files for request bodies and buffered upstream responses,
 * created under a wd_path_t with its hashed subdirectory levels.
 */

#ifndef WD_TEMP_FILE_H
#define WD_TEMP_FILE_H

typedef struct {
    wd_file_t file;
    off_t offset;               /* bytes written so far */
    wd_path_t *path;
    wd_pool_t *pool;
    const char *warn;           /* logged once when the file is created */

    wd_uint_t access;           /* 0: owner only */

    unsigned log_level:8;
    unsigned persistent:1;      /* keep the file after the request */
    unsigned clean:1;           /* delete on cleanup even if persistent */
} wd_temp_file_t;

/* Creates a uniquely named file under path (making level directories as
 * needed); it is closed, and unless persistent unlinked, with the pool. */
wd_int_t wd_create_temp_file(wd_file_t *file, wd_path_t *path,
    wd_pool_t *pool, wd_uint_t persistent, wd_uint_t clean,
    wd_uint_t access);
/* Appends the chain's memory buffers to the file (creating it first). */
ssize_t wd_write_chain_to_temp_file(wd_temp_file_t *tf, wd_chain_t *chain);

#endif /* WD_TEMP_FILE_H */
