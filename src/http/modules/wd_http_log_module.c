/*
 * Access logs: log_format, access_log and open_log_file_cache.
 *
 * A format is compiled once, at configuration time, into ops: literal
 * text, or a variable with the format's escaping.  At the end of a
 * request (the log phase) each access_log of the location where the
 * request ended gets one line, built in two passes over the ops (length,
 * then text) from values looked up once, and written with one write() or
 * appended to the log's buffer.  A log without buffer= still gets a small
 * one that is written out at the end of the event loop's turn: the lines
 * of all the requests that ended in one turn go in one write(), before
 * the worker waits again.  A buffer is written out when a line does
 * not fit, when its flush= timer fires (or its turn ends), before the
 * files are reopened (the open file's flush hook) and when the worker
 * exits; with gzip= each
 * write is a complete gzip member, so the file can be read by zcat at any
 * time.  Logs whose name has variables are opened per line, through
 * open_log_file_cache when one is configured.
 */

#include <wd_http.h>
#include <zlib.h>

#define WD_HTTP_LOG_ESCAPE_DEFAULT 0    /* '"', '\', bytes < 32 or > 126 */
#define WD_HTTP_LOG_ESCAPE_JSON 1
#define WD_HTTP_LOG_ESCAPE_NONE 2

#define WD_HTTP_LOG_BUF_SIZE 65536      /* gzip= without buffer= */
#define WD_HTTP_LOG_TURN_SIZE 16384     /* the lines of one loop turn */

/* A piece of a format: literal text, or the value of a variable. */
/* Writes a value at p without escaping (it never needs any). */
typedef u_char *(*wd_http_log_op_run_pt)(wd_http_request_t *r, u_char *p);

typedef struct {
    wd_str_t text;              /* data NULL: a variable */
    wd_uint_t index;            /* the variable's */
    wd_uint_t escape;           /* WD_HTTP_LOG_ESCAPE_* */
    wd_http_log_op_run_pt run;  /* a variable written directly, or NULL */
    size_t len;                 /* ... and its longest value */
} wd_http_log_op_t;

typedef struct {
    wd_str_t name;
    wd_array_t *ops;            /* wd_http_log_op_t */
    wd_uint_t nvars;            /* of the ops, how many are variables */
} wd_http_log_fmt_t;

typedef struct {
    wd_array_t formats;         /* wd_http_log_fmt_t *; [0] is "combined" */
    wd_uint_t combined_used;    /* compile "combined" after the config */
} wd_http_log_main_conf_t;

/* The buffer of a buffered log file, shared by every access_log that
 * writes to the file (the open file's data). */
typedef struct {
    u_char *start;
    u_char *pos;
    u_char *last;
    wd_event_t *event;          /* the flush= timer, or the end of the
                                 * turn; NULL without either */
    wd_msec_t flush;
    wd_int_t gzip;              /* compression level; 0: none */
    unsigned turn:1;            /* no buffer=: written out each turn */
    time_t error_log_time;      /* of the last alert, for a turn buffer */
} wd_http_log_buf_t;

/* One access_log directive. */
typedef struct {
    wd_open_file_t *file;       /* NULL when the name has variables */
    wd_http_complex_value_t *name;      /* ... and then the name */
    wd_http_log_fmt_t *format;
    wd_http_complex_value_t *filter;    /* if=, or NULL */
    time_t disk_full_time;      /* last ENOSPC: no writes in that second */
    time_t error_log_time;      /* last alert about this log */
} wd_http_log_t;

typedef struct {
    wd_array_t *logs;           /* wd_http_log_t; NULL: inherited */
    wd_open_file_cache_t *open_file_cache;  /* UNSET_PTR: inherited */
    time_t open_file_cache_valid;
    wd_uint_t open_file_cache_min_uses;
    wd_uint_t off;              /* "access_log off" at this level */
} wd_http_log_loc_conf_t;

/* The access_log parameters after path and format. */
typedef struct {
    ssize_t size;               /* buffer=; 0: unbuffered */
    wd_msec_t flush;
    wd_int_t gzip;
} wd_http_log_params_t;

static char *wd_http_log_set_format(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_log_set_log(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_log_open_file_cache(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static void *wd_http_log_create_main_conf(wd_conf_t *cf);
static void *wd_http_log_create_loc_conf(wd_conf_t *cf);
static char *wd_http_log_merge_loc_conf(wd_conf_t *cf, void *parent,
    void *child);
static wd_int_t wd_http_log_init(wd_conf_t *cf);
static void wd_http_log_exit_process(wd_cycle_t *cycle);
static void wd_http_log_flush(wd_open_file_t *file, wd_log_t *log);
static void wd_http_log_write_failed(wd_log_t *log, u_char *name, ssize_t n,
    size_t len, wd_err_t err, time_t *last);

static wd_str_t wd_http_log_combined_name = wd_string("combined");

static wd_str_t wd_http_log_combined = wd_string(
    "$remote_addr - $remote_user [$time_local] "
    "\"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\"");

static wd_str_t wd_http_log_default_path = wd_string(WD_HTTP_LOG_PATH);

#define WD_HTTP_LOG_LOC_CONTEXTS                                               \
    (WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF                   \
     | WD_HTTP_LIF_CONF | WD_HTTP_LMT_CONF)

static wd_command_t wd_http_log_commands[] = {

    { wd_string("log_format"),
      WD_HTTP_MAIN_CONF | WD_CONF_2MORE,
      wd_http_log_set_format,
      WD_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { wd_string("access_log"),
      WD_HTTP_LOG_LOC_CONTEXTS | WD_CONF_1MORE,
      wd_http_log_set_log,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { wd_string("open_log_file_cache"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1234,
      wd_http_log_open_file_cache,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_log_module_ctx = {
    NULL,
    wd_http_log_init,
    wd_http_log_create_main_conf,
    NULL,
    NULL,
    NULL,
    wd_http_log_create_loc_conf,
    wd_http_log_merge_loc_conf
};

wd_module_t wd_http_log_module = {
    WD_MODULE_V1,
    &wd_http_log_module_ctx,
    wd_http_log_commands,
    WD_HTTP_MODULE,
    NULL,
    NULL,
    NULL,
    wd_http_log_exit_process,
    NULL
};


/* ---- escaping ----------------------------------------------------------- */

/* Bytes the default escaping writes as \\xXX: controls, '"', '\\\\', and
 * everything from 0x7f up (a byte table: one load per byte). */
static const u_char wd_http_log_unsafe_tab[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

#define wd_http_log_unsafe(ch) wd_http_log_unsafe_tab[ch]

static u_char *
wd_http_log_escape(wd_uint_t escape, u_char *dst, u_char *src, size_t len)
{
    static const u_char hex[] = "0123456789ABCDEF";
    size_t i;

    switch (escape) {

    case WD_HTTP_LOG_ESCAPE_NONE:
        return wd_cpymem(dst, src, len);

    case WD_HTTP_LOG_ESCAPE_JSON:
        return (u_char *) wd_escape_json(dst, src, len);

    default:
        for (i = 0; i < len; /* void */) {
            size_t run = i;

            /* copy the run of safe bytes in one go */
            while (run < len && !wd_http_log_unsafe(src[run])) {
                run++;
            }

            dst = wd_cpymem(dst, src + i, run - i);
            i = run;

            if (i == len) {
                break;
            }

            *dst++ = '\\';
            *dst++ = 'x';
            *dst++ = hex[src[i] >> 4];
            *dst++ = hex[src[i] & 0xf];
            i++;
        }
        return dst;
    }
}


/* ---- building a line ---------------------------------------------------- */

/* Looks up the variables of fmt once for the line, so that its length
 * and its text agree; a variable not found gets data NULL. */
static void
wd_http_log_values(wd_http_request_t *r, wd_http_log_fmt_t *fmt,
    wd_str_t *values)
{
    wd_uint_t i, k;
    wd_http_log_op_t *op;
    wd_http_variable_value_t *vv;

    op = fmt->ops->elts;

    for (k = 0, i = 0; i < fmt->ops->nelts; i++) {
        if (op[i].text.data || op[i].run) {
            continue;
        }

        vv = wd_http_get_flushed_variable(r, op[i].index);

        if (vv == NULL || vv->not_found) {
            wd_str_null(&values[k]);

        } else {
            values[k].len = vv->len;
            values[k].data = vv->len ? vv->data : (u_char *) "";
        }

        k++;
    }
}

/* At most how long a line of fmt (without its LF) is for these values:
 * the worst case of each escaping, so that a line is built in one pass
 * over its values. */
static size_t
wd_http_log_line_len(wd_http_log_fmt_t *fmt, wd_str_t *values)
{
    size_t len;
    wd_uint_t i;
    wd_http_log_op_t *op;

    op = fmt->ops->elts;

    for (len = 0, i = 0; i < fmt->ops->nelts; i++) {
        if (op[i].text.data) {
            len += op[i].text.len;
            continue;
        }

        if (op[i].run) {
            len += op[i].len;
            continue;
        }

        switch (op[i].escape) {
        case WD_HTTP_LOG_ESCAPE_NONE:
            len += values->len;
            break;
        case WD_HTTP_LOG_ESCAPE_JSON:
            len += values->len * (sizeof("\\u00XX") - 1);
            break;
        default:
            /* not found is "-" */
            len += values->data ? values->len * (sizeof("\\xXX") - 1) : 1;
        }

        values++;
    }

    return len;
}

/* Writes a line of fmt and its LF at p; returns the end. */
static u_char *
wd_http_log_line(wd_http_request_t *r, u_char *p, wd_http_log_fmt_t *fmt,
    wd_str_t *values)
{
    wd_uint_t i;
    wd_http_log_op_t *op;

    op = fmt->ops->elts;

    for (i = 0; i < fmt->ops->nelts; i++) {
        if (op[i].text.data) {
            p = wd_cpymem(p, op[i].text.data, op[i].text.len);
            continue;
        }

        if (op[i].run) {
            p = op[i].run(r, p);
            continue;
        }

        if (values->data) {
            p = wd_http_log_escape(op[i].escape, p, values->data,
                                   values->len);

        } else if (op[i].escape == WD_HTTP_LOG_ESCAPE_DEFAULT) {
            *p++ = '-';
        }

        values++;
    }

    *p++ = LF;

    return p;
}


/* ---- writing ------------------------------------------------------------ */

/* One write(): O_APPEND makes a whole line land at the end at once. */
static ssize_t
wd_http_log_write_once(wd_fd_t fd, u_char *buf, size_t len)
{
    ssize_t n;

    do {
        n = write(fd, buf, len);
    } while (n == -1 && wd_errno == WD_EINTR);

    return n;
}

/* The window for compressing len bytes: no larger than the data needs,
 * as a deflate state takes (1 << (wbits + 2)) + (1 << (memlevel + 9))
 * bytes, 256k at the largest. */
static int
wd_http_log_gzip_wbits(size_t len)
{
    int wbits;

    for (wbits = MAX_WBITS; wbits > 9; wbits--) {
        if (len > ((size_t) 1 << (wbits - 1))) {
            break;
        }
    }

    return wbits;
}

/*
 * Writes buf as one gzip member with one write().  Returns len when the
 * whole member was written, else -1 with errno set (0 for a short write
 * or a zlib failure, which is logged here).
 */
static ssize_t
wd_http_log_gzip(wd_fd_t fd, u_char *buf, size_t len, wd_int_t level,
    wd_log_t *log)
{
    int rc, wbits;
    u_char *out;
    size_t size;
    ssize_t n;
    wd_err_t err;
    z_stream zs;

    wd_memzero(&zs, sizeof(z_stream));
    wbits = wd_http_log_gzip_wbits(len);

    /* +16: a gzip header and trailer around the deflate data */
    rc = deflateInit2(&zs, (int) level, Z_DEFLATED, wbits + 16,
                      wd_max(wbits - 7, 1), Z_DEFAULT_STRATEGY);

    if (rc != Z_OK) {
        wd_log_error(WD_LOG_ALERT, log, 0, "deflateInit2() failed: %d", rc);
        wd_set_errno(0);
        return -1;
    }

    size = deflateBound(&zs, len);
    out = wd_alloc(size, log);

    if (out == NULL) {
        (void) deflateEnd(&zs);
        wd_set_errno(0);
        return -1;
    }

    zs.next_in = buf;
    zs.avail_in = len;
    zs.next_out = out;
    zs.avail_out = size;

    rc = deflate(&zs, Z_FINISH);
    size -= zs.avail_out;
    (void) deflateEnd(&zs);

    if (rc != Z_STREAM_END) {
        wd_log_error(WD_LOG_ALERT, log, 0, "deflate(Z_FINISH) failed: %d",
                     rc);
        wd_free(out);
        wd_set_errno(0);
        return -1;
    }

    n = wd_http_log_write_once(fd, out, size);
    err = (n == -1) ? wd_errno : 0;
    wd_free(out);

    if (n != (ssize_t) size) {
        wd_set_errno(err);
        return -1;
    }

    return (ssize_t) len;
}

/* Writes to a log file, compressed when its buffer says gzip. */
static ssize_t
wd_http_log_write_file(wd_open_file_t *file, u_char *buf, size_t len,
    wd_log_t *log)
{
    wd_http_log_buf_t *buffer;

    buffer = file->data;

    if (buffer && buffer->gzip) {
        return wd_http_log_gzip(file->fd, buf, len, buffer->gzip, log);
    }

    return wd_http_log_write_once(file->fd, buf, len);
}

/* Whether the request's root directory is missing.  A log whose name has
 * variables is then neither written nor created: the name is often built
 * from $host, and this keeps unknown hosts from creating files. */
static wd_uint_t
wd_http_log_root_missing(wd_http_request_t *r)
{
    size_t root;
    wd_str_t path;
    wd_open_file_info_t of;
    wd_http_core_loc_conf_t *clcf;

    if (wd_http_map_uri_to_path(r, &path, &root, 0) == NULL) {
        return 1;
    }

    path.data[root] = '\0';
    path.len = root;

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    wd_memzero(&of, sizeof(wd_open_file_info_t));
    of.valid = clcf->open_file_cache_valid;
    of.min_uses = clcf->open_file_cache_min_uses;
    of.disable_symlinks = clcf->disable_symlinks;
    of.test_dir = 1;
    of.test_only = 1;
    of.errors = 1;

    if (wd_open_cached_file(clcf->open_file_cache, &path, &of, r->pool)
        != WD_OK)
    {
        if (of.err) {
            wd_log_error(WD_LOG_ERR, r->connection->log, of.err,
                         "testing \"%s\" existence failed", path.data);
        }
        return 1;
    }

    if (!of.is_dir) {
        wd_log_error(WD_LOG_ERR, r->connection->log, WD_ENOTDIR,
                     "testing \"%s\" existence failed", path.data);
        return 1;
    }

    return 0;
}

/*
 * Writes to a log whose name has variables: the name is evaluated and the
 * file opened (through open_log_file_cache) for this line.  Returns len
 * when there is nothing to report (written, or skipped and already
 * logged), else what write() returned; *name is set for the report.
 */
static ssize_t
wd_http_log_script_write(wd_http_request_t *r, wd_http_log_t *log,
    u_char **name, u_char *buf, size_t len)
{
    wd_str_t path;
    wd_open_file_info_t of;
    wd_http_log_loc_conf_t *llcf;

    if (!r->root_tested && wd_http_log_root_missing(r)) {
        return (ssize_t) len;
    }

    if (wd_http_complex_value(r, log->name, &path) != WD_OK) {
        return (ssize_t) len;
    }

    *name = path.data;

    llcf = wd_http_get_module_loc_conf(r, wd_http_log_module);

    wd_memzero(&of, sizeof(wd_open_file_info_t));
    of.log = 1;
    of.valid = llcf->open_file_cache_valid;
    of.min_uses = llcf->open_file_cache_min_uses;

    if (wd_open_cached_file(llcf->open_file_cache, &path, &of, r->pool)
        != WD_OK)
    {
        if (of.err) {
            wd_log_error(WD_LOG_CRIT, r->connection->log, of.err,
                         "%s \"%s\" failed", of.failed, path.data);
        }
        return (ssize_t) len;
    }

    return wd_http_log_write_once(of.fd, buf, len);
}

/* Writes buf to a log; failures are logged at most once a minute per
 * log, and after ENOSPC the log is left alone for the rest of the
 * second, so a full disk costs little. */
static void
wd_http_log_write(wd_http_request_t *r, wd_http_log_t *log, u_char *buf,
    size_t len)
{
    u_char *name;
    ssize_t n;
    wd_err_t err;

    if (log->name) {
        name = NULL;
        n = wd_http_log_script_write(r, log, &name, buf, len);

    } else {
        name = log->file->name.data;
        n = wd_http_log_write_file(log->file, buf, len, r->connection->log);
    }

    if (n == (ssize_t) len) {
        return;
    }

    err = (n == -1) ? wd_errno : 0;

    if (err == WD_ENOSPC) {
        log->disk_full_time = wd_time();
    }

    wd_http_log_write_failed(r->connection->log, name, n, len, err,
                             &log->error_log_time);
}

/* The alert for a write of len bytes that wrote n (-1: failed with err);
 * with last, at most once a minute (a full disk fails every write). */
static void
wd_http_log_write_failed(wd_log_t *log, u_char *name, ssize_t n, size_t len,
    wd_err_t err, time_t *last)
{
    if (last) {
        if (wd_time() - *last < 60) {
            return;
        }

        *last = wd_time();
    }

    if (n == -1) {
        wd_log_error(WD_LOG_ALERT, log, err, "write() to \"%s\" failed",
                     name);
        return;
    }

    wd_log_error(WD_LOG_ALERT, log, 0,
                 "write() to \"%s\" was incomplete: %zd of %zu", name, n,
                 len);
}


/* ---- buffers ------------------------------------------------------------ */

/* The context of a turn's alert: no request is left to name. */
static u_char *
wd_http_log_turn_context(wd_log_t *log, u_char *buf, size_t len)
{
    return wd_slprintf(buf, buf + len, " while %s", log->action);
}

/* The open file's flush hook: writes out what the buffer holds. */
static void
wd_http_log_flush(wd_open_file_t *file, wd_log_t *log)
{
    size_t len;
    ssize_t n;
    wd_err_t err;
    wd_log_t turn_log;
    wd_http_log_buf_t *buffer;

    buffer = file->data;
    len = buffer->pos - buffer->start;

    if (buffer->event && buffer->event->timer_set) {
        wd_event_del_timer(buffer->event);
    }

    if (len == 0) {
        return;
    }

    buffer->pos = buffer->start;

    n = wd_http_log_write_file(file, buffer->start, len, log);

    if (n == (ssize_t) len) {
        return;
    }

    err = (n == -1) ? wd_errno : 0;

    if (!buffer->turn) {
        wd_http_log_write_failed(log, file->name.data, n, len, err, NULL);
        return;
    }

    /* a turn's lines: alerted as a line written alone would be, though
     * no request is left to name */
    turn_log = *log;
    turn_log.action = "logging request";
    turn_log.handler = wd_http_log_turn_context;
    turn_log.data = NULL;

    wd_http_log_write_failed(&turn_log, file->name.data, n, len, err,
                             &buffer->error_log_time);
}

static void
wd_http_log_on_flush_timer(wd_event_t *ev)
{
    wd_http_log_flush(ev->data, ev->log);
}

/*
 * Appends a line of len bytes (LF included) to a log's buffer, writing
 * out what the buffer holds first when the line does not fit.  Returns
 * WD_DECLINED for a line longer than the whole buffer: the caller writes
 * it on its own.
 */
static wd_int_t
wd_http_log_buffer_line(wd_http_request_t *r, wd_http_log_t *log,
    wd_str_t *values, size_t len)
{
    wd_http_log_buf_t *buffer;

    buffer = log->file->data;

    if (len > (size_t) (buffer->last - buffer->pos)) {
        wd_http_log_write(r, log, buffer->start,
                          buffer->pos - buffer->start);
        buffer->pos = buffer->start;
    }

    if (len > (size_t) (buffer->last - buffer->pos)) {
        if (buffer->event && buffer->event->timer_set) {
            wd_event_del_timer(buffer->event);
        }
        return WD_DECLINED;
    }

    if (buffer->event && buffer->pos == buffer->start) {
        if (buffer->turn) {
            /* written out once this turn's events are handled */
            wd_post_event(buffer->event, &wd_posted_events);
        } else {
            wd_event_add_timer(buffer->event, buffer->flush);
        }
    }

    buffer->pos = wd_http_log_line(r, buffer->pos, log->format, values);

    return WD_OK;
}


/* ---- the log phase ------------------------------------------------------ */

static u_char wd_http_log_scratch[8192];

/* if=: a value that is empty or "0" skips the line. */
static wd_uint_t
wd_http_log_wanted(wd_http_request_t *r, wd_http_complex_value_t *filter)
{
    wd_str_t val;

    if (filter == NULL) {
        return 1;
    }

    if (wd_http_complex_value(r, filter, &val) != WD_OK) {
        return 0;
    }

    return !(val.len == 0 || (val.len == 1 && val.data[0] == '0'));
}

static void
wd_http_log_request(wd_http_request_t *r, wd_http_log_t *log)
{
    u_char *line, *p;
    size_t len;
    wd_str_t local[16], *values;

    values = local;

    if (log->format->nvars > sizeof(local) / sizeof(wd_str_t)) {
        values = wd_palloc(r->pool, log->format->nvars * sizeof(wd_str_t));

        if (values == NULL) {
            return;
        }
    }

    wd_http_log_values(r, log->format, values);

    len = wd_http_log_line_len(log->format, values) + 1;

    if (log->file && log->file->data
        && wd_http_log_buffer_line(r, log, values, len) == WD_OK)
    {
        return;
    }

    /* most lines fit the worker's scratch buffer: no allocation */
    line = (len <= sizeof(wd_http_log_scratch)) ? wd_http_log_scratch
                                                 : wd_pnalloc(r->pool, len);

    if (line == NULL) {
        return;
    }

    p = wd_http_log_line(r, line, log->format, values);

    wd_http_log_write(r, log, line, p - line);
}

static wd_int_t
wd_http_log_handler(wd_http_request_t *r)
{
    wd_uint_t i;
    wd_http_log_t *log;
    wd_http_log_loc_conf_t *llcf;

    llcf = wd_http_get_module_loc_conf(r, wd_http_log_module);

    if (llcf->off || llcf->logs == NULL) {
        return WD_OK;
    }

    log = llcf->logs->elts;

    for (i = 0; i < llcf->logs->nelts; i++) {
        if (wd_time() == log[i].disk_full_time) {
            continue;
        }

        if (wd_http_log_wanted(r, log[i].filter)) {
            wd_http_log_request(r, &log[i]);
        }
    }

    return WD_OK;
}

/* A worker that exits writes out its buffers. */
static void
wd_http_log_exit_process(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_list_part_t *part;
    wd_open_file_t *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].flush == wd_http_log_flush
            && file[i].fd != WD_INVALID_FD)
        {
            wd_http_log_flush(&file[i], cycle->log);
        }
    }
}


/* ---- log_format --------------------------------------------------------- */

static wd_uint_t
wd_http_log_name_char(u_char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
           || (ch >= '0' && ch <= '9') || ch == '_';
}

static wd_int_t
wd_http_log_add_text(wd_array_t *ops, u_char *data, size_t len)
{
    wd_http_log_op_t *op;

    op = wd_array_push(ops);

    if (op == NULL) {
        return WD_ERROR;
    }

    op->text.data = data;
    op->text.len = len;
    op->index = 0;
    op->escape = WD_HTTP_LOG_ESCAPE_NONE;
    op->run = NULL;
    op->len = 0;

    return WD_OK;
}

/* Variables the log writes directly, as text that never needs escaping:
 * no lookup and no allocation per line. */

static u_char *
wd_http_log_time_local(wd_http_request_t *r, u_char *p)
{
    return wd_cpymem(p, wd_cached_http_log_time.data,
                     wd_cached_http_log_time.len);
}

static u_char *
wd_http_log_iso8601(wd_http_request_t *r, u_char *p)
{
    return wd_cpymem(p, wd_cached_http_log_iso8601.data,
                     wd_cached_http_log_iso8601.len);
}

static u_char *
wd_http_log_msec(wd_http_request_t *r, u_char *p)
{
    wd_time_t *tp;

    tp = wd_timeofday();

    p = wd_sprint_uint(p, (uint64_t) tp->sec);
    *p++ = '.';

    return wd_sprint_uint_pad(p, tp->msec, 3);
}

static u_char *
wd_http_log_status(wd_http_request_t *r, u_char *p)
{
    wd_uint_t status;

    status = r->err_status ? r->err_status : r->headers_out.status;

    return wd_sprint_uint_pad(p, status % 1000, 3);
}

static u_char *
wd_http_log_body_bytes_sent(wd_http_request_t *r, u_char *p)
{
    off_t sent;

    sent = r->connection->sent - (off_t) r->header_size;

    return wd_sprint_uint(p, sent > 0 ? (uint64_t) sent : 0);
}

static u_char *
wd_http_log_bytes_sent(wd_http_request_t *r, u_char *p)
{
    return wd_sprint_uint(p, (uint64_t) r->connection->sent);
}

static u_char *
wd_http_log_request_length(wd_http_request_t *r, u_char *p)
{
    return wd_sprint_uint(p, (uint64_t) r->request_length);
}

static u_char *
wd_http_log_request_time(wd_http_request_t *r, u_char *p)
{
    int64_t ms;
    wd_time_t *tp;

    tp = wd_timeofday();
    ms = (int64_t) (tp->sec - r->start_sec) * 1000
         + ((int64_t) tp->msec - (int64_t) r->start_msec);

    if (ms < 0) {
        ms = 0;
    }

    p = wd_sprint_uint(p, (uint64_t) ms / 1000);
    *p++ = '.';

    return wd_sprint_uint_pad(p, (uint64_t) ms % 1000, 3);
}

static u_char *
wd_http_log_remote_addr(wd_http_request_t *r, u_char *p)
{
    return wd_cpymem(p, r->connection->addr_text.data,
                     r->connection->addr_text.len);
}

static u_char *
wd_http_log_pipe(wd_http_request_t *r, u_char *p)
{
    *p++ = r->pipeline ? 'p' : '.';

    return p;
}

typedef struct {
    wd_str_t name;
    wd_http_log_op_run_pt run;
    size_t len;
} wd_http_log_direct_t;

static wd_http_log_direct_t wd_http_log_direct[] = {
    { wd_string("time_local"), wd_http_log_time_local,
      sizeof("28/Sep/1970:12:00:00 +0600") - 1 },
    { wd_string("time_iso8601"), wd_http_log_iso8601,
      sizeof("1970-09-28T12:00:00+06:00") - 1 },
    { wd_string("msec"), wd_http_log_msec, WD_TIME_T_LEN + 4 },
    { wd_string("status"), wd_http_log_status, 3 },
    { wd_string("body_bytes_sent"), wd_http_log_body_bytes_sent,
      WD_OFF_T_LEN },
    { wd_string("bytes_sent"), wd_http_log_bytes_sent, WD_OFF_T_LEN },
    { wd_string("request_length"), wd_http_log_request_length,
      WD_OFF_T_LEN },
    { wd_string("request_time"), wd_http_log_request_time,
      WD_TIME_T_LEN + 4 },
    { wd_string("remote_addr"), wd_http_log_remote_addr,
      WD_SOCKADDR_STRLEN },
    { wd_string("pipe"), wd_http_log_pipe, 1 },
    { wd_null_string, NULL, 0 }
};

static wd_http_log_direct_t *
wd_http_log_find_direct(wd_str_t *name)
{
    wd_http_log_direct_t *d;

    for (d = wd_http_log_direct; d->name.len; d++) {
        if (d->name.len == name->len
            && wd_strncasecmp(d->name.data, name->data, name->len) == 0)
        {
            return d;
        }
    }

    return NULL;
}

static wd_int_t
wd_http_log_add_variable(wd_conf_t *cf, wd_http_log_fmt_t *fmt,
    wd_str_t *name, wd_uint_t escape)
{
    wd_int_t index;
    wd_http_log_op_t *op;
    wd_http_log_direct_t *direct;

    op = wd_array_push(fmt->ops);

    if (op == NULL) {
        return WD_ERROR;
    }

    wd_str_null(&op->text);
    op->escape = escape;
    op->run = NULL;
    op->len = 0;

    direct = wd_http_log_find_direct(name);

    if (direct) {
        /* remote_addr is text an escaping could change only in raw
         * bytes, which addresses do not have */
        op->run = direct->run;
        op->len = direct->len;
        op->index = 0;
        return WD_OK;
    }

    index = wd_http_get_variable_index(cf, name);

    if (index == WD_ERROR) {
        return WD_ERROR;
    }

    op->index = (wd_uint_t) index;

    fmt->nvars++;

    return WD_OK;
}

/*
 * Reads "$name" or "${name}" at *pos (the '$') into name and moves *pos
 * past it.  An "[emerg]" and WD_ERROR for a missing "}" or a '$' that no
 * name follows.
 */
static wd_int_t
wd_http_log_parse_variable(wd_conf_t *cf, u_char **pos, u_char *last,
    wd_str_t *name)
{
    u_char *dollar, *p;
    wd_uint_t bracket;

    dollar = *pos;
    p = dollar + 1;
    bracket = 0;

    if (p < last && *p == '{') {
        bracket = 1;
        p++;
    }

    name->data = p;

    while (p < last && wd_http_log_name_char(*p)) {
        p++;
    }

    name->len = p - name->data;

    if (bracket) {
        if (p == last || *p != '}') {
            if (p < last || name->len) {
                wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                                  "the closing bracket in \"%.*s\" "
                                  "variable is missing", wd_str_fmt(name));
                return WD_ERROR;
            }
            goto invalid;
        }
        p++;
    }

    if (name->len == 0) {
        goto invalid;
    }

    *pos = p;

    return WD_OK;

invalid:

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                      (int) (last - dollar), dollar);
    return WD_ERROR;
}

/* Compiles one string of a format into ops. */
static wd_int_t
wd_http_log_compile(wd_conf_t *cf, wd_http_log_fmt_t *fmt, wd_str_t *s,
    wd_uint_t escape)
{
    u_char *p, *last, *text;
    wd_str_t name;

    p = s->data;
    last = p + s->len;

    while (p < last) {
        if (*p != '$') {
            for (text = p; p < last && *p != '$'; p++) { /* void */ }

            if (wd_http_log_add_text(fmt->ops, text, p - text) != WD_OK) {
                return WD_ERROR;
            }

            continue;
        }

        if (wd_http_log_parse_variable(cf, &p, last, &name) != WD_OK
            || wd_http_log_add_variable(cf, fmt, &name, escape) != WD_OK)
        {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

/* "escape=..." as the second argument of log_format. */
static wd_int_t
wd_http_log_parse_escape(wd_conf_t *cf, wd_str_t *value, wd_uint_t *escape)
{
    wd_str_t s;

    s.data = value->data + sizeof("escape=") - 1;
    s.len = value->len - (sizeof("escape=") - 1);

    if (wd_str_eq(&s, "default")) {
        *escape = WD_HTTP_LOG_ESCAPE_DEFAULT;

    } else if (wd_str_eq(&s, "json")) {
        *escape = WD_HTTP_LOG_ESCAPE_JSON;

    } else if (wd_str_eq(&s, "none")) {
        *escape = WD_HTTP_LOG_ESCAPE_NONE;

    } else {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "unknown log format escaping \"%.*s\"",
                          wd_str_fmt(&s));
        return WD_ERROR;
    }

    return WD_OK;
}

static wd_http_log_fmt_t *
wd_http_log_new_format(wd_conf_t *cf, wd_http_log_main_conf_t *lmcf,
    wd_str_t *name)
{
    wd_http_log_fmt_t *fmt, **slot;

    fmt = wd_pcalloc(cf->pool, sizeof(wd_http_log_fmt_t));
    slot = wd_array_push(&lmcf->formats);

    if (fmt == NULL || slot == NULL) {
        return NULL;
    }

    fmt->name = *name;
    fmt->ops = wd_array_create(cf->pool, 16, sizeof(wd_http_log_op_t));

    if (fmt->ops == NULL) {
        return NULL;
    }

    *slot = fmt;

    return fmt;
}

static char *
wd_http_log_set_format(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_log_main_conf_t *lmcf = conf;

    wd_str_t *value;
    wd_uint_t i, escape;
    wd_http_log_fmt_t **fmts, *fmt;

    value = cf->args->elts;
    fmts = lmcf->formats.elts;

    for (i = 0; i < lmcf->formats.nelts; i++) {
        if (wd_str_cmp(&fmts[i]->name, &value[1]) == 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "duplicate \"log_format\" name \"%.*s\"",
                              wd_str_fmt(&value[1]));
            return WD_CONF_ERROR;
        }
    }

    fmt = wd_http_log_new_format(cf, lmcf, &value[1]);

    if (fmt == NULL) {
        return WD_CONF_ERROR;
    }

    escape = WD_HTTP_LOG_ESCAPE_DEFAULT;
    i = 2;

    if (wd_strncmp(value[2].data, "escape=", 7) == 0) {
        if (wd_http_log_parse_escape(cf, &value[2], &escape) != WD_OK) {
            return WD_CONF_ERROR;
        }
        i = 3;
    }

    for (/* void */; i < cf->args->nelts; i++) {
        if (wd_http_log_compile(cf, fmt, &value[i], escape) != WD_OK) {
            return WD_CONF_ERROR;
        }
    }

    return WD_CONF_OK;
}


/* ---- access_log --------------------------------------------------------- */

/* The file of a log: a cycle's open file, or, when the name has
 * variables, a complex value under the prefix. */
static wd_int_t
wd_http_log_set_path(wd_conf_t *cf, wd_http_log_t *log, wd_str_t *value)
{
    wd_str_t path;
    wd_http_compile_complex_value_t ccv;

    if (wd_http_script_variables_count(value) == 0) {
        log->file = wd_conf_open_file(cf->cycle, value);
        return (log->file == NULL) ? WD_ERROR : WD_OK;
    }

    /* relative to the prefix, also when a variable comes first; later
     * messages quote the full name, as nginx's do */
    if (wd_conf_full_name(cf->cycle, value, 0) != WD_OK) {
        return WD_ERROR;
    }

    path = *value;

    log->name = wd_palloc(cf->pool, sizeof(wd_http_complex_value_t));

    if (log->name == NULL) {
        return WD_ERROR;
    }

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &path;
    ccv.complex_value = log->name;
    ccv.zero = 1;

    return wd_http_compile_complex_value(&ccv);
}

/* Finds a format by name (case-insensitively, as nginx does). */
static wd_int_t
wd_http_log_find_format(wd_conf_t *cf, wd_http_log_t *log, wd_str_t *name)
{
    wd_uint_t i;
    wd_http_log_fmt_t **fmts;
    wd_http_log_main_conf_t *lmcf;

    lmcf = wd_http_conf_get_module_main_conf(cf, wd_http_log_module);
    fmts = lmcf->formats.elts;

    for (i = 0; i < lmcf->formats.nelts; i++) {
        if (fmts[i]->name.len == name->len
            && wd_strncasecmp(fmts[i]->name.data, name->data, name->len) == 0)
        {
            log->format = fmts[i];
            lmcf->combined_used |= (i == 0);
            return WD_OK;
        }
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "unknown log format \"%.*s\"",
                      wd_str_fmt(name));
    return WD_ERROR;
}

/* Reads "prefix=value" parameters: "buffer=", "flush=", "gzip[=]". */
static wd_int_t
wd_http_log_parse_buffering(wd_conf_t *cf, wd_str_t *value,
    wd_http_log_params_t *params)
{
    wd_str_t s;

    if (wd_strncmp(value->data, "buffer=", 7) == 0) {
        s.data = value->data + 7;
        s.len = value->len - 7;
        params->size = wd_parse_size(&s);

        if (params->size == WD_ERROR || params->size == 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid buffer size \"%.*s\"", wd_str_fmt(&s));
            return WD_ERROR;
        }

        return WD_OK;
    }

    if (wd_strncmp(value->data, "flush=", 6) == 0) {
        s.data = value->data + 6;
        s.len = value->len - 6;
        params->flush = (wd_msec_t) wd_parse_time(&s, 0);

        if (params->flush == (wd_msec_t) WD_ERROR || params->flush == 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid flush time \"%.*s\"", wd_str_fmt(&s));
            return WD_ERROR;
        }

        return WD_OK;
    }

    /* "gzip" or "gzip=level": buffered, 64k unless buffer= says */
    if (params->size == 0) {
        params->size = WD_HTTP_LOG_BUF_SIZE;
    }

    if (value->len == 4) {
        params->gzip = Z_BEST_SPEED;
        return WD_OK;
    }

    s.data = value->data + 5;
    s.len = value->len - 5;
    params->gzip = wd_atoi(s.data, s.len);

    if (params->gzip < 1 || params->gzip > 9) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid compression level \"%.*s\"",
                          wd_str_fmt(&s));
        return WD_ERROR;
    }

    return WD_OK;
}

static wd_int_t
wd_http_log_set_filter(wd_conf_t *cf, wd_http_log_t *log, wd_str_t *value)
{
    wd_str_t *s;
    wd_http_compile_complex_value_t ccv;

    s = wd_palloc(cf->pool, sizeof(wd_str_t));
    log->filter = wd_palloc(cf->pool, sizeof(wd_http_complex_value_t));

    if (s == NULL || log->filter == NULL) {
        return WD_ERROR;
    }

    s->data = value->data + 3;
    s->len = value->len - 3;

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = s;
    ccv.complex_value = log->filter;

    return wd_http_compile_complex_value(&ccv);
}

static wd_int_t
wd_http_log_parse_params(wd_conf_t *cf, wd_http_log_t *log,
    wd_http_log_params_t *params)
{
    wd_str_t *value;
    wd_uint_t i;

    value = cf->args->elts;

    for (i = 3; i < cf->args->nelts; i++) {
        if (wd_strncmp(value[i].data, "buffer=", 7) == 0
            || wd_strncmp(value[i].data, "flush=", 6) == 0
            || (wd_strncmp(value[i].data, "gzip", 4) == 0
                && (value[i].len == 4 || value[i].data[4] == '=')))
        {
            if (wd_http_log_parse_buffering(cf, &value[i], params) != WD_OK) {
                return WD_ERROR;
            }
            continue;
        }

        if (wd_strncmp(value[i].data, "if=", 3) == 0) {
            if (wd_http_log_set_filter(cf, log, &value[i]) != WD_OK) {
                return WD_ERROR;
            }
            continue;
        }

        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          wd_str_fmt(&value[i]));
        return WD_ERROR;
    }

    return WD_OK;
}

static wd_http_log_buf_t *
wd_http_log_create_buffer(wd_conf_t *cf, wd_open_file_t *file,
    wd_http_log_params_t *params)
{
    size_t size;
    wd_http_log_buf_t *buffer;

    buffer = wd_pcalloc(cf->pool, sizeof(wd_http_log_buf_t));

    if (buffer == NULL) {
        return NULL;
    }

    size = params->size ? (size_t) params->size : WD_HTTP_LOG_TURN_SIZE;
    buffer->start = wd_pnalloc(cf->pool, size);

    if (buffer->start == NULL) {
        return NULL;
    }

    buffer->pos = buffer->start;
    buffer->last = buffer->start + size;
    buffer->gzip = params->gzip;
    buffer->turn = (params->size == 0);

    if (params->flush || buffer->turn) {
        buffer->event = wd_pcalloc(cf->pool, sizeof(wd_event_t));

        if (buffer->event == NULL) {
            return NULL;
        }

        buffer->event->data = file;
        buffer->event->handler = wd_http_log_on_flush_timer;
        buffer->event->log = &cf->cycle->new_log;
        buffer->event->cancelable = 1;
        buffer->flush = params->flush;
    }

    return buffer;
}

/* Attaches a buffer to the log's file, or checks that the one already
 * there (from another access_log to the same file) is the same. */
static wd_int_t
wd_http_log_set_buffer(wd_conf_t *cf, wd_http_log_t *log, wd_str_t *path,
    wd_http_log_params_t *params)
{
    wd_http_log_buf_t *buffer;

    if (log->name) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "buffered logs cannot have variables in name");
        return WD_ERROR;
    }

    buffer = log->file->data;

    if (buffer && params->size == 0) {
        return WD_OK;       /* no buffer=: whatever the file has does */
    }

    if (buffer && !buffer->turn) {
        if (buffer->last - buffer->start != params->size
            || buffer->flush != params->flush
            || buffer->gzip != params->gzip)
        {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "access_log \"%.*s\" already defined "
                              "with conflicting parameters",
                              wd_str_fmt(path));
            return WD_ERROR;
        }

        return WD_OK;
    }

    buffer = wd_http_log_create_buffer(cf, log->file, params);

    if (buffer == NULL) {
        return WD_ERROR;
    }

    log->file->data = buffer;
    log->file->flush = wd_http_log_flush;

    return WD_OK;
}

/* A new, zeroed log at the end of a level's list. */
static wd_http_log_t *
wd_http_log_add(wd_conf_t *cf, wd_http_log_loc_conf_t *llcf)
{
    wd_http_log_t *log;

    if (llcf->logs == NULL) {
        llcf->logs = wd_array_create(cf->pool, 2, sizeof(wd_http_log_t));

        if (llcf->logs == NULL) {
            return NULL;
        }
    }

    log = wd_array_push(llcf->logs);

    if (log != NULL) {
        wd_memzero(log, sizeof(wd_http_log_t));
    }

    return log;
}

static char *
wd_http_log_set_log(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_log_loc_conf_t *llcf = conf;

    wd_str_t *value;
    wd_http_log_t *log;
    wd_http_log_params_t params;

    value = cf->args->elts;

    if (wd_strcmp(value[1].data, "off") == 0) {
        llcf->off = 1;

        if (cf->args->nelts == 2) {
            return WD_CONF_OK;
        }

        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          wd_str_fmt(&value[2]));
        return WD_CONF_ERROR;
    }

    if (wd_strncmp(value[1].data, "syslog:", 7) == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "logging to \"syslog\" is not supported");
        return WD_CONF_ERROR;
    }

    log = wd_http_log_add(cf, llcf);

    if (log == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(&params, sizeof(wd_http_log_params_t));

    if (wd_http_log_set_path(cf, log, &value[1]) != WD_OK
        || wd_http_log_find_format(cf, log,
                                   cf->args->nelts >= 3
                                       ? &value[2]
                                       : &wd_http_log_combined_name)
               != WD_OK
        || wd_http_log_parse_params(cf, log, &params) != WD_OK)
    {
        return WD_CONF_ERROR;
    }

    if (params.flush && params.size == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "no buffer is defined for access_log \"%.*s\"",
                          wd_str_fmt(&value[1]));
        return WD_CONF_ERROR;
    }

    /* without buffer= (and a fixed name): the turn's buffer */
    if ((params.size || log->name == NULL)
        && wd_http_log_set_buffer(cf, log, &value[1], &params) != WD_OK)
    {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}


/* ---- open_log_file_cache ------------------------------------------------ */

/* One "name=value" parameter; WD_DECLINED for an unknown one. */
static wd_int_t
wd_http_log_cache_param(wd_str_t *value, wd_int_t *max, time_t *inactive,
    wd_int_t *min_uses, time_t *valid)
{
    wd_str_t s;

    if (wd_strncmp(value->data, "max=", 4) == 0) {
        *max = wd_atoi(value->data + 4, value->len - 4);
        return (*max == WD_ERROR) ? WD_ERROR : WD_OK;
    }

    if (wd_strncmp(value->data, "inactive=", 9) == 0) {
        s.data = value->data + 9;
        s.len = value->len - 9;
        *inactive = wd_parse_time(&s, 1);
        return (*inactive == WD_ERROR) ? WD_ERROR : WD_OK;
    }

    if (wd_strncmp(value->data, "min_uses=", 9) == 0) {
        *min_uses = wd_atoi(value->data + 9, value->len - 9);
        return (*min_uses == WD_ERROR) ? WD_ERROR : WD_OK;
    }

    if (wd_strncmp(value->data, "valid=", 6) == 0) {
        s.data = value->data + 6;
        s.len = value->len - 6;
        *valid = wd_parse_time(&s, 1);
        return (*valid == WD_ERROR) ? WD_ERROR : WD_OK;
    }

    return WD_DECLINED;
}

static char *
wd_http_log_open_file_cache(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_log_loc_conf_t *llcf = conf;

    time_t inactive, valid;
    wd_int_t max, min_uses, rc;
    wd_str_t *value;
    wd_uint_t i, off;

    if (llcf->open_file_cache != WD_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    max = 0;
    inactive = 10;
    min_uses = 1;
    valid = 60;
    off = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        rc = wd_http_log_cache_param(&value[i], &max, &inactive, &min_uses,
                                     &valid);

        if (rc == WD_DECLINED && wd_strcmp(value[i].data, "off") == 0) {
            off = 1;
            continue;
        }

        if (rc != WD_OK) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid \"open_log_file_cache\" parameter "
                              "\"%.*s\"", wd_str_fmt(&value[i]));
            return WD_CONF_ERROR;
        }
    }

    if (off) {
        llcf->open_file_cache = NULL;
        return WD_CONF_OK;
    }

    if (max == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"open_log_file_cache\" must have \"max\" "
                          "parameter");
        return WD_CONF_ERROR;
    }

    llcf->open_file_cache = wd_open_file_cache_init(cf->pool, max, inactive);

    if (llcf->open_file_cache == NULL) {
        return WD_CONF_ERROR;
    }

    llcf->open_file_cache_valid = valid;
    llcf->open_file_cache_min_uses = min_uses;

    return WD_CONF_OK;
}


/* ---- configuration hooks ------------------------------------------------ */

static void *
wd_http_log_create_main_conf(wd_conf_t *cf)
{
    wd_http_log_main_conf_t *lmcf;

    lmcf = wd_pcalloc(cf->pool, sizeof(wd_http_log_main_conf_t));

    if (lmcf == NULL) {
        return NULL;
    }

    if (wd_array_init(&lmcf->formats, cf->pool, 4,
                      sizeof(wd_http_log_fmt_t *)) != WD_OK)
    {
        return NULL;
    }

    /* "combined" is compiled only if used, so that an unused one adds
     * no variables */
    if (wd_http_log_new_format(cf, lmcf, &wd_http_log_combined_name)
        == NULL)
    {
        return NULL;
    }

    return lmcf;
}

static void *
wd_http_log_create_loc_conf(wd_conf_t *cf)
{
    wd_http_log_loc_conf_t *llcf;

    llcf = wd_pcalloc(cf->pool, sizeof(wd_http_log_loc_conf_t));

    if (llcf == NULL) {
        return NULL;
    }

    llcf->open_file_cache = WD_CONF_UNSET_PTR;

    return llcf;
}

/* A level without access_log gets its parent's list (or "off"); the top
 * level without one logs to logs/access.log in "combined". */
static char *
wd_http_log_merge_loc_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_http_log_loc_conf_t *prev = parent;
    wd_http_log_loc_conf_t *conf = child;

    wd_http_log_t *log;
    wd_http_log_fmt_t **fmts;
    wd_http_log_main_conf_t *lmcf;

    if (conf->open_file_cache == WD_CONF_UNSET_PTR) {
        conf->open_file_cache = prev->open_file_cache;
        conf->open_file_cache_valid = prev->open_file_cache_valid;
        conf->open_file_cache_min_uses = prev->open_file_cache_min_uses;

        if (conf->open_file_cache == WD_CONF_UNSET_PTR) {
            conf->open_file_cache = NULL;
        }
    }

    if (conf->logs || conf->off) {
        return WD_CONF_OK;
    }

    conf->logs = prev->logs;
    conf->off = prev->off;

    if (conf->logs || conf->off) {
        return WD_CONF_OK;
    }

    log = wd_http_log_add(cf, conf);

    if (log == NULL) {
        return WD_CONF_ERROR;
    }

    log->file = wd_conf_open_file(cf->cycle, &wd_http_log_default_path);

    if (log->file == NULL) {
        return WD_CONF_ERROR;
    }

    lmcf = wd_http_conf_get_module_main_conf(cf, wd_http_log_module);
    fmts = lmcf->formats.elts;
    log->format = fmts[0];
    lmcf->combined_used = 1;

    return WD_CONF_OK;
}

static wd_int_t
wd_http_log_init(wd_conf_t *cf)
{
    wd_http_handler_pt *h;
    wd_http_log_fmt_t **fmts;
    wd_http_log_main_conf_t *lmcf;
    wd_http_core_main_conf_t *cmcf;

    lmcf = wd_http_conf_get_module_main_conf(cf, wd_http_log_module);

    if (lmcf->combined_used) {
        fmts = lmcf->formats.elts;

        if (wd_http_log_compile(cf, fmts[0], &wd_http_log_combined,
                                WD_HTTP_LOG_ESCAPE_DEFAULT) != WD_OK)
        {
            return WD_ERROR;
        }
    }

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    h = wd_array_push(&cmcf->phases[WD_HTTP_LOG_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_log_handler;

    return WD_OK;
}
