/*
 * The error log.  A line is
 *   2026/11/26 16:35:14 [error] 1234#1234: *5 message (2: text), context
 * and while the process still owns a terminal (start-up, -t), emerg..warn
 * lines also appear on stderr as "warden: [emerg] message".
 */

#include <wd_core.h>

const char *wd_log_program = "warden";
wd_uint_t wd_use_stderr = 1;

static wd_open_file_t wd_log_file;
static wd_log_t wd_log;

static const wd_str_t wd_err_levels[] = {
    wd_null_string,
    wd_string("emerg"),
    wd_string("alert"),
    wd_string("crit"),
    wd_string("error"),
    wd_string("warn"),
    wd_string("notice"),
    wd_string("info"),
    wd_string("debug")
};

static const char *wd_debug_levels[] = {
    "debug_core", "debug_alloc", "debug_mutex", "debug_event",
    "debug_http", "debug_mail", "debug_stream"
};

u_char *
wd_log_errno(u_char *buf, u_char *last, wd_err_t err)
{
    u_char *p;

    if (buf > last - 50) {
        /* leave room for the error text */
        buf = last - 50;
        *buf++ = '.';
        *buf++ = '.';
        *buf++ = '.';
    }

    p = wd_slprintf(buf, last, " (%d: ", err);
    p = wd_strerror(err, p, last - p);

    if (p < last) {
        *p++ = ')';
    }

    return p;
}

/* Writes the line to every log of the chain whose level admits it;
 * returns whether one of them was stderr. */
static wd_uint_t
wd_log_write_chain(wd_uint_t level, wd_log_t *log, u_char *line, size_t len)
{
    wd_uint_t wrote_stderr;
    ssize_t n;

    wrote_stderr = 0;

    for (; log; log = log->next) {
        if (log->log_level < level) {
            break;
        }

        if (log->file == NULL || log->file->fd == WD_INVALID_FD) {
            continue;
        }

        /* after ENOSPC, retry only once a second */
        if (wd_time() == log->disk_full_time) {
            continue;
        }

        n = wd_write_fd(log->file->fd, line, len);

        if (n == -1 && wd_errno == WD_ENOSPC) {
            log->disk_full_time = wd_time();
        }

        if (log->file->fd == STDERR_FILENO) {
            wrote_stderr = 1;
        }
    }

    return wrote_stderr;
}

void
wd_log_error_core(wd_uint_t level, wd_log_t *log, wd_err_t err,
    const char *fmt, ...)
{
    u_char errstr[WD_MAX_ERROR_STR], *p, *last, *msg;
    va_list args;
    wd_uint_t wrote_stderr;

    last = errstr + WD_MAX_ERROR_STR;

    p = wd_cpymem(errstr, wd_cached_err_log_time.data,
                  wd_cached_err_log_time.len);
    p = wd_slprintf(p, last, " [%s] %ld#%ld: ", wd_err_levels[level].data,
                    (long) wd_pid, (long) wd_pid);

    if (log->connection) {
        p = wd_slprintf(p, last, "*%lu ", (unsigned long) log->connection);
    }

    msg = p;

    va_start(args, fmt);
    p = wd_vslprintf(p, last, fmt, args);
    va_end(args);

    if (err) {
        p = wd_log_errno(p, last, err);
    }

    if (level != WD_LOG_DEBUG && log->handler) {
        p = log->handler(log, p, last - p);
    }

    if (p > last - 1) {
        p = last - 1;
    }

    *p++ = LF;

    wrote_stderr = wd_log_write_chain(level, log, errstr, p - errstr);

    if (!wd_use_stderr || level > WD_LOG_WARN || wrote_stderr) {
        return;
    }

    /* the terminal form drops the time and the pid */
    {
        u_char head[64], *h;

        h = wd_slprintf(head, head + sizeof(head), "%s: [%s] ",
                        wd_log_program, wd_err_levels[level].data);

        (void) wd_write_fd(STDERR_FILENO, head, h - head);
        (void) wd_write_fd(STDERR_FILENO, msg, p - msg);
    }
}

void
wd_log_stderr(wd_err_t err, const char *fmt, ...)
{
    u_char errstr[WD_MAX_ERROR_STR], *p, *last;
    va_list args;

    last = errstr + WD_MAX_ERROR_STR;

    p = wd_slprintf(errstr, last, "%s: ", wd_log_program);

    va_start(args, fmt);
    p = wd_vslprintf(p, last, fmt, args);
    va_end(args);

    if (err) {
        p = wd_log_errno(p, last, err);
    }

    if (p > last - 1) {
        p = last - 1;
    }

    *p++ = LF;

    (void) wd_write_fd(STDERR_FILENO, errstr, p - errstr);
}

void
wd_log_stderr_raw(const char *text)
{
    (void) wd_write_fd(STDERR_FILENO, (void *) text, wd_strlen(text));
}

wd_log_t *
wd_log_init(u_char *prefix, u_char *error_log)
{
    u_char *name, *p;
    size_t plen, nlen;

    p = NULL;                   /* the full name, when we built one */

    wd_log.file = &wd_log_file;
    wd_log.log_level = WD_LOG_NOTICE;
    wd_log_file.fd = STDERR_FILENO;

    name = error_log ? error_log : (u_char *) WD_ERROR_LOG_PATH;

    if (wd_strcmp(name, "stderr") == 0 || name[0] == '\0') {
        return &wd_log;
    }

    nlen = wd_strlen(name);

    if (name[0] != '/') {
        if (prefix == NULL) {
            prefix = (u_char *) WD_PREFIX;
        }

        plen = wd_strlen(prefix);

        p = malloc(plen + nlen + 2);

        if (p == NULL) {
            return NULL;
        }

        wd_memcpy(p, prefix, plen);

        if (plen && prefix[plen - 1] != '/') {
            p[plen++] = '/';
        }

        wd_memcpy(p + plen, name, nlen + 1);
        name = p;
    }

    wd_log_file.fd = wd_open_file(name, WD_FILE_APPEND, WD_FILE_CREATE_OR_OPEN,
                                  WD_FILE_DEFAULT_ACCESS);

    if (wd_log_file.fd == WD_INVALID_FD) {
        wd_log_stderr(wd_errno,
                      "[alert] could not open error log file: "
                      "open() \"%s\" failed", name);
        wd_log_file.fd = STDERR_FILENO;
    }

    /* not "name != WD_ERROR_LOG_PATH": two equal literals need not
     * share an address, and the literal would then be freed */
    free(p);

    return &wd_log;
}

/* Puts new into the chain so that more verbose logs come first; the
 * head struct stays the head (it may be embedded in the cycle). */
static void
wd_log_insert(wd_log_t *head, wd_log_t *new_log)
{
    wd_log_t tmp;

    if (new_log->log_level > head->log_level) {
        tmp = *head;
        *head = *new_log;
        *new_log = tmp;
        head->next = new_log;
        return;
    }

    while (head->next) {
        if (new_log->log_level > head->next->log_level) {
            new_log->next = head->next;
            head->next = new_log;
            return;
        }

        head = head->next;
    }

    head->next = new_log;
}

static char *
wd_log_set_levels(wd_conf_t *cf, wd_log_t *log)
{
    wd_uint_t i, n, d, found;
    wd_str_t *value;

    if (cf->args->nelts == 2) {
        log->log_level = WD_LOG_ERR;
        return WD_CONF_OK;
    }

    value = cf->args->elts;

    for (i = 2; i < cf->args->nelts; i++) {
        found = 0;

        for (n = 1; n <= WD_LOG_DEBUG; n++) {
            if (value[i].len == wd_err_levels[n].len
                && wd_strcmp(value[i].data, wd_err_levels[n].data) == 0)
            {
                if (log->log_level != 0) {
                    wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                                      "duplicate log level \"%s\"",
                                      value[i].data);
                    return WD_CONF_ERROR;
                }

                log->log_level = n;
                found = 1;
                break;
            }
        }

        for (n = 0, d = WD_LOG_DEBUG_FIRST; d <= WD_LOG_DEBUG_LAST;
             d <<= 1, n++)
        {
            if (wd_strcmp(value[i].data, wd_debug_levels[n]) == 0) {
                if (log->log_level & ~WD_LOG_DEBUG_ALL) {
                    wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                                      "invalid log level \"%s\"",
                                      value[i].data);
                    return WD_CONF_ERROR;
                }

                log->log_level |= d;
                found = 1;
                break;
            }
        }

        if (!found) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid log level \"%s\"", value[i].data);
            return WD_CONF_ERROR;
        }
    }

    if (log->log_level == WD_LOG_DEBUG) {
        log->log_level = WD_LOG_DEBUG_ALL;
    }

    return WD_CONF_OK;
}

char *
wd_log_set_log(wd_conf_t *cf, wd_log_t **head)
{
    wd_log_t *new_log;
    wd_str_t *value, name;

    if (*head != NULL && (*head)->log_level == 0) {
        new_log = *head;        /* the embedded head, still unused */

    } else {
        new_log = wd_pcalloc(cf->pool, sizeof(wd_log_t));

        if (new_log == NULL) {
            return WD_CONF_ERROR;
        }

        if (*head == NULL) {
            *head = new_log;
        }
    }

    value = cf->args->elts;

    if (wd_strcmp(value[1].data, "stderr") == 0) {
        wd_str_null(&name);
        cf->cycle->log_use_stderr = 1;

    } else if (wd_strncmp(value[1].data, "memory:", 7) == 0
               || wd_strncmp(value[1].data, "syslog:", 7) == 0)
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "logging to \"%.*s\" is not supported", 6,
                          value[1].data);
        return WD_CONF_ERROR;

    } else {
        name = value[1];
    }

    new_log->file = wd_conf_open_file(cf->cycle, &name);

    if (new_log->file == NULL) {
        return WD_CONF_ERROR;
    }

    if (wd_log_set_levels(cf, new_log) != WD_CONF_OK) {
        return WD_CONF_ERROR;
    }

    if (*head != new_log) {
        wd_log_insert(*head, new_log);
    }

    return WD_CONF_OK;
}

/* With no error_log at the main level, the compiled-in file at "error". */
wd_int_t
wd_log_open_default(wd_cycle_t *cycle)
{
    wd_str_t name;

    if (cycle->new_log.file != NULL) {
        return WD_OK;
    }

    if (cycle->error_log.len == 0
        || wd_strcmp(cycle->error_log.data, "stderr") == 0)
    {
        wd_str_null(&name);
        cycle->log_use_stderr = 1;

    } else {
        name = cycle->error_log;
    }

    cycle->new_log.file = wd_conf_open_file(cycle, &name);

    if (cycle->new_log.file == NULL) {
        return WD_ERROR;
    }

    cycle->new_log.log_level = WD_LOG_ERR;

    return WD_OK;
}

wd_log_t *
wd_log_get_file_log(wd_log_t *head)
{
    wd_log_t *log;

    for (log = head; log; log = log->next) {
        if (log->file != NULL) {
            return log;
        }
    }

    return NULL;
}

wd_int_t
wd_log_redirect_stderr(wd_cycle_t *cycle)
{
    wd_fd_t fd;

    if (cycle->log_use_stderr) {
        return WD_OK;
    }

    fd = wd_log_get_file_log(cycle->log)->file->fd;

    if (fd != STDERR_FILENO && dup2(fd, STDERR_FILENO) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "dup2(STDERR) failed");
        return WD_ERROR;
    }

    return WD_OK;
}

static char *
wd_errlog_set(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_log_t *head;

    head = &cf->cycle->new_log;

    return wd_log_set_log(cf, &head);
}

static wd_command_t wd_errlog_commands[] = {

    { wd_string("error_log"),
      WD_MAIN_CONF | WD_CONF_1MORE,
      wd_errlog_set,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_core_module_t wd_errlog_module_ctx = {
    wd_string("errlog"),
    NULL,
    NULL
};

wd_module_t wd_errlog_module = {
    WD_MODULE_V1,
    &wd_errlog_module_ctx,
    wd_errlog_commands,
    WD_CORE_MODULE,
    NULL, NULL, NULL, NULL, NULL
};
