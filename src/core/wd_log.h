/*
 * The error log: nginx's line format, levels emerg..debug, several logs
 * chained per level (error_log may appear more than once).
 */

#ifndef WD_LOG_H
#define WD_LOG_H

#define WD_LOG_STDERR 0
#define WD_LOG_EMERG 1
#define WD_LOG_ALERT 2
#define WD_LOG_CRIT 3
#define WD_LOG_ERR 4
#define WD_LOG_WARN 5
#define WD_LOG_NOTICE 6
#define WD_LOG_INFO 7
#define WD_LOG_DEBUG 8

/* Debug kinds, enabled by "error_log ... debug_http" etc. */
#define WD_LOG_DEBUG_CORE 0x010
#define WD_LOG_DEBUG_ALLOC 0x020
#define WD_LOG_DEBUG_MUTEX 0x040
#define WD_LOG_DEBUG_EVENT 0x080
#define WD_LOG_DEBUG_HTTP 0x100
#define WD_LOG_DEBUG_MAIL 0x200
#define WD_LOG_DEBUG_STREAM 0x400
#define WD_LOG_DEBUG_FIRST WD_LOG_DEBUG_CORE
#define WD_LOG_DEBUG_LAST WD_LOG_DEBUG_STREAM
#define WD_LOG_DEBUG_CONNECTION 0x80000000
#define WD_LOG_DEBUG_ALL 0x7ffffff0

#define WD_MAX_ERROR_STR 4096

/* Appends the context of a line (", client: ..., request: ...") to buf. */
typedef u_char *(*wd_log_handler_pt)(wd_log_t *log, u_char *buf, size_t len);

struct wd_log_s {
    wd_uint_t log_level;
    wd_open_file_t *file;
    wd_uint_t connection;       /* "*N" in lines; 0 for none */
    time_t disk_full_time;      /* last ENOSPC, to rate-limit retries */
    wd_log_handler_pt handler;
    void *data;                 /* the handler's context */
    const char *action;         /* " while <action>" */
    wd_log_t *next;             /* the next log, at a lower level */
};

/* The program name printed before stderr messages ("warden"). */
extern const char *wd_log_program;
/* While set, emerg..warn lines also go to stderr (start-up, -t). */
extern wd_uint_t wd_use_stderr;

void wd_log_error_core(wd_uint_t level, wd_log_t *log, wd_err_t err,
    const char *fmt, ...) wd_printf_like(4, 5);

#define wd_log_error(level, log, ...)                                          \
    do {                                                                       \
        if ((log)->log_level >= (level)) {                                     \
            wd_log_error_core(level, log, __VA_ARGS__);                        \
        }                                                                      \
    } while (0)

#ifdef WD_DEBUG
#define wd_log_debug(mask, log, ...)                                           \
    do {                                                                       \
        if ((log)->log_level & (mask)) {                                       \
            wd_log_error_core(WD_LOG_DEBUG, log, __VA_ARGS__);                 \
        }                                                                      \
    } while (0)
#else
#define wd_log_debug(mask, log, ...)
#endif

/* The first log of a process: stderr, or the error_log given by -e. */
wd_log_t *wd_log_init(u_char *prefix, u_char *error_log);
/* "warden: MESSAGE (N: text)\n" on stderr. */
void wd_log_stderr(wd_err_t err, const char *fmt, ...) wd_printf_like(2, 3);
/* Writes text to stderr as it is (version and usage output). */
void wd_log_stderr_raw(const char *text);
#define wd_write_stdout(text)                                                  \
    (void) wd_write_fd(STDOUT_FILENO, (void *) text, sizeof(text) - 1)
/* " (N: text)" at buf; returns the end. */
u_char *wd_log_errno(u_char *buf, u_char *last, wd_err_t err);
/* Parses "error_log" arguments into log (from args[1]). */
char *wd_log_set_log(wd_conf_t *cf, wd_log_t **head);
/* Copies stderr onto the error log file so stray writes are kept. */
wd_int_t wd_log_redirect_stderr(wd_cycle_t *cycle);
wd_log_t *wd_log_get_file_log(wd_log_t *head);
wd_int_t wd_log_open_default(wd_cycle_t *cycle);

extern wd_module_t wd_errlog_module;

#endif /* WD_LOG_H */
