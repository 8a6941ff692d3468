/*
 * The OS layer: start-up checks, daemonizing, signals, the master and
 * worker processes, process titles, and the socket I/O functions the
 * event layer calls through wd_io.
 */

#ifndef WD_OS_H
#define WD_OS_H

#include <wd_core.h>
#include <wd_event.h>

#define WD_IOVS_PREALLOCATE 64
/* Linux sends at most this much per sendfile() call. */
#define WD_SENDFILE_MAXSIZE 2147479552L

typedef struct {
    struct iovec *iovs;
    wd_uint_t count;
    size_t size;
    wd_uint_t nalloc;
} wd_iovec_t;

extern wd_uint_t wd_pagesize;
extern int wd_argc;
extern char **wd_argv;
extern char **wd_os_argv;
extern char **wd_os_environ;
extern char **wd_environ_copy;

wd_int_t wd_os_init(wd_log_t *log);
void wd_os_status(wd_log_t *log);
wd_int_t wd_daemon(wd_log_t *log);
/* Copies argv and environ so the process title may overwrite them. */
wd_int_t wd_save_argv(int argc, char *const *argv);
void wd_setproctitle(const char *title);

wd_int_t wd_init_signals(wd_log_t *log);
void wd_master_process_cycle(wd_cycle_t *cycle);
void wd_single_process_cycle(wd_cycle_t *cycle);

ssize_t wd_unix_recv(wd_connection_t *c, u_char *buf, size_t size);
ssize_t wd_unix_send(wd_connection_t *c, u_char *buf, size_t size);
wd_chain_t *wd_linux_sendfile_chain(wd_connection_t *c, wd_chain_t *in,
    off_t limit);

/* Collects memory buffers from in into vec, at most limit bytes, up to
 * the first file buffer; returns the first link not collected. */
wd_chain_t *wd_output_chain_to_iovec(wd_iovec_t *vec, wd_chain_t *in,
    size_t limit, wd_log_t *log);
/* writev() of vec: bytes sent, WD_AGAIN, or WD_ERROR. */
ssize_t wd_writev(wd_connection_t *c, wd_iovec_t *vec);

int wd_tcp_nopush(wd_fd_t s);
int wd_tcp_push(wd_fd_t s);

#endif /* WD_OS_H */
