/*
 * autoindex: for a URI ending in "/" that no index file answered, a
 * listing of the directory in HTML, XML, JSON or JSONP.  The index module
 * runs before this handler, the static module after it.  The listing
 * itself is made by wd_http_autoindex_listing() (wd_http_autoindex.h).
 */

#include <wd_http_autoindex.h>

#define WD_HTTP_AUTOINDEX_NAME_LEN 50   /* the HTML name column */
#define WD_HTTP_AUTOINDEX_CALLBACK_LEN 128

typedef struct {
    wd_flag_t enable;
    wd_uint_t format;
    wd_flag_t localtime;
    wd_flag_t exact_size;
} wd_http_autoindex_loc_conf_t;

/* The listing being written: a chain of pool buffers. */
typedef struct {
    wd_pool_t *pool;
    wd_chain_t *first;
    wd_chain_t **last;          /* where the next link goes */
    wd_buf_t *b;                /* the buffer being filled */
} wd_http_autoindex_out_t;

static wd_int_t wd_http_autoindex_init(wd_conf_t *cf);
static void *wd_http_autoindex_create_loc_conf(wd_conf_t *cf);
static char *wd_http_autoindex_merge_loc_conf(wd_conf_t *cf, void *parent,
    void *child);

static wd_conf_enum_t wd_http_autoindex_formats[] = {
    { wd_string("html"), WD_HTTP_AUTOINDEX_HTML },
    { wd_string("json"), WD_HTTP_AUTOINDEX_JSON },
    { wd_string("jsonp"), WD_HTTP_AUTOINDEX_JSONP },
    { wd_string("xml"), WD_HTTP_AUTOINDEX_XML },
    { wd_null_string, 0 }
};

#define WD_HTTP_AUTOINDEX_CONTEXTS                                             \
    (WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF)

static wd_command_t wd_http_autoindex_commands[] = {

    { wd_string("autoindex"),
      WD_HTTP_AUTOINDEX_CONTEXTS | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      WD_HTTP_LOC_CONF_OFFSET,
      offsetof(wd_http_autoindex_loc_conf_t, enable),
      NULL },

    { wd_string("autoindex_format"),
      WD_HTTP_AUTOINDEX_CONTEXTS | WD_CONF_TAKE1,
      wd_conf_set_enum_slot,
      WD_HTTP_LOC_CONF_OFFSET,
      offsetof(wd_http_autoindex_loc_conf_t, format),
      &wd_http_autoindex_formats },

    { wd_string("autoindex_localtime"),
      WD_HTTP_AUTOINDEX_CONTEXTS | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      WD_HTTP_LOC_CONF_OFFSET,
      offsetof(wd_http_autoindex_loc_conf_t, localtime),
      NULL },

    { wd_string("autoindex_exact_size"),
      WD_HTTP_AUTOINDEX_CONTEXTS | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      WD_HTTP_LOC_CONF_OFFSET,
      offsetof(wd_http_autoindex_loc_conf_t, exact_size),
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_autoindex_module_ctx = {
    NULL,
    wd_http_autoindex_init,
    NULL, NULL, NULL, NULL,
    wd_http_autoindex_create_loc_conf,
    wd_http_autoindex_merge_loc_conf
};

wd_module_t wd_http_autoindex_module = {
    WD_MODULE_V1,
    &wd_http_autoindex_module_ctx,
    wd_http_autoindex_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static const char *wd_http_autoindex_months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* ---- output buffers ---------------------------------------------------- */

/* Room for len more bytes: the end of the current buffer, or of a new one
 * linked after it.  NULL when out of memory. */
static u_char *
wd_http_autoindex_reserve(wd_http_autoindex_out_t *o, size_t len)
{
    wd_buf_t *b;
    wd_chain_t *cl;

    if (o->b && (size_t) (o->b->end - o->b->last) >= len) {
        return o->b->last;
    }

    b = wd_create_temp_buf(o->pool,
                           wd_max(len, WD_HTTP_AUTOINDEX_BUF_SIZE));
    cl = wd_alloc_chain_link(o->pool);

    if (b == NULL || cl == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;
    *o->last = cl;
    o->last = &cl->next;
    o->b = b;

    return b->last;
}

/* Appends a fixed text. */
static wd_int_t
wd_http_autoindex_text(wd_http_autoindex_out_t *o, u_char *text, size_t len)
{
    u_char *p;

    p = wd_http_autoindex_reserve(o, len);

    if (p == NULL) {
        return WD_ERROR;
    }

    o->b->last = wd_cpymem(p, text, len);

    return WD_OK;
}

#define wd_http_autoindex_literal(o, s)                                        \
    wd_http_autoindex_text(o, (u_char *) s, sizeof(s) - 1)

/* n right-aligned in width columns (wider if it needs more). */
static u_char *
wd_http_autoindex_right(u_char *p, uint64_t n, size_t width)
{
    u_char digits[WD_OFF_T_LEN], *end;
    size_t len;

    end = wd_sprint_uint(digits, n);
    len = end - digits;

    for (; width > len; width--) {
        *p++ = ' ';
    }

    return wd_cpymem(p, digits, len);
}

/* ---- HTML -------------------------------------------------------------- */

/* How many bytes the first n characters of a UTF-8 name take. */
static size_t
wd_http_autoindex_utf8_prefix(u_char *name, size_t len, size_t n)
{
    u_char *p, *last;

    p = name;
    last = name + len;

    while (n-- && p < last) {
        if (*p < 0x80) {
            p++;

        } else if (wd_utf8_decode(&p, last - p) > 0x10ffff) {
            break;
        }
    }

    return p - name;
}

/* The name's text and the padding after it: the name HTML-escaped, with
 * "/" for a directory when that fits the column, or its first 47
 * characters and "..>" when the name is longer than the column. */
static u_char *
wd_http_autoindex_html_name(u_char *p, wd_http_autoindex_entry_t *e,
    wd_uint_t utf8)
{
    size_t len, width, n;

    len = utf8 ? wd_utf8_length(e->name.data, e->name.len) : e->name.len;

    if (len > WD_HTTP_AUTOINDEX_NAME_LEN) {
        n = WD_HTTP_AUTOINDEX_NAME_LEN - 3;

        if (len != e->name.len) {
            n = wd_http_autoindex_utf8_prefix(e->name.data, e->name.len, n);
        }

        p = (u_char *) wd_escape_html(p, e->name.data, n);
        p = wd_cpymem(p, "..&gt;", sizeof("..&gt;") - 1);
        width = WD_HTTP_AUTOINDEX_NAME_LEN;

    } else {
        p = (u_char *) wd_escape_html(p, e->name.data, e->name.len);
        width = len;

        if (e->dir && len < WD_HTTP_AUTOINDEX_NAME_LEN) {
            *p++ = '/';
            width++;
        }
    }

    p = wd_cpymem(p, "</a>", sizeof("</a>") - 1);

    for (n = width; n <= WD_HTTP_AUTOINDEX_NAME_LEN; n++) {
        *p++ = ' ';
    }

    return p;
}

/* "26-Nov-2026 17:33", in UTC or local time. */
static u_char *
wd_http_autoindex_html_date(u_char *p, time_t t, wd_uint_t localtime)
{
    wd_tm_t tm;

    if (!localtime || localtime_r(&t, &tm) == NULL) {
        wd_gmtime(t, &tm);
    }

    p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_mday, 2);
    *p++ = '-';
    p = wd_cpymem(p, wd_http_autoindex_months[tm.tm_mon], 3);
    *p++ = '-';
    p = wd_sprint_int(p, (int64_t) tm.tm_year + 1900);
    *p++ = ' ';
    p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_hour, 2);
    *p++ = ':';

    return wd_sprint_uint_pad(p, (uint64_t) tm.tm_min, 2);
}

/* The size column: 19 wide with exact sizes, else 7 wide, rounded to
 * the nearest K (from 10000 bytes), M or G. */
static u_char *
wd_http_autoindex_html_size(u_char *p, wd_http_autoindex_entry_t *e,
    wd_uint_t exact)
{
    uint64_t size, unit;
    size_t len;
    u_char scale;

    *p++ = ' ';

    if (e->dir) {
        len = exact ? 18 : 6;
        wd_memset(p, ' ', len);
        p += len;
        *p++ = '-';
        return p;
    }

    size = (uint64_t) e->size;

    if (exact) {
        return wd_http_autoindex_right(p, size, 19);
    }

    if (size >= 1024 * 1024 * 1024) {
        unit = 1024 * 1024 * 1024;
        scale = 'G';

    } else if (size >= 1024 * 1024) {
        unit = 1024 * 1024;
        scale = 'M';

    } else if (size >= 10000) {
        unit = 1024;
        scale = 'K';

    } else {
        return wd_http_autoindex_right(p, size, 7);
    }

    p = wd_http_autoindex_right(p, size / unit + (size % unit >= unit / 2),
                                6);
    *p++ = scale;

    return p;
}

static wd_int_t
wd_http_autoindex_html_entry(wd_http_autoindex_out_t *o,
    wd_http_autoindex_entry_t *e, wd_http_autoindex_opts_t *opts)
{
    u_char *p;
    size_t uri, html;

    uri = 2 * wd_escape_uri(NULL, e->name.data, e->name.len,
                            WD_ESCAPE_URI_COMPONENT);
    html = wd_escape_html(NULL, e->name.data, e->name.len);

    p = wd_http_autoindex_reserve(o,
            sizeof("<a href=\"/\"></a>..&gt;" CRLF) + 2 * e->name.len + uri
                + html + WD_HTTP_AUTOINDEX_NAME_LEN + 1
                + sizeof(" 28-Sep-1970 12:00") + WD_INT_T_LEN
                + 1 + WD_OFF_T_LEN);

    if (p == NULL) {
        return WD_ERROR;
    }

    p = wd_cpymem(p, "<a href=\"", sizeof("<a href=\"") - 1);
    p = (u_char *) wd_escape_uri(p, e->name.data, e->name.len,
                                 WD_ESCAPE_URI_COMPONENT);

    if (e->dir) {
        *p++ = '/';
    }

    *p++ = '"';
    *p++ = '>';

    p = wd_http_autoindex_html_name(p, e, opts->utf8);
    p = wd_http_autoindex_html_date(p, e->mtime, opts->localtime);
    p = wd_http_autoindex_html_size(p, e, opts->exact_size);
    *p++ = CR;
    *p++ = LF;

    o->b->last = p;

    return WD_OK;
}

/* "<html>...<h1>Index of /uri/</h1><hr><pre>" and the "../" line. */
static wd_int_t
wd_http_autoindex_html_head(wd_http_autoindex_out_t *o, wd_str_t *uri)
{
    u_char *p;
    size_t len;

    len = uri->len + wd_escape_html(NULL, uri->data, uri->len);

    p = wd_http_autoindex_reserve(o, 2 * len + 256);

    if (p == NULL) {
        return WD_ERROR;
    }

    p = wd_cpymem(p, "<html>" CRLF "<head><title>Index of ",
                  sizeof("<html>" CRLF "<head><title>Index of ") - 1);
    p = (u_char *) wd_escape_html(p, uri->data, uri->len);
    p = wd_cpymem(p, "</title></head>" CRLF "<body>" CRLF "<h1>Index of ",
                  sizeof("</title></head>" CRLF "<body>" CRLF "<h1>Index of ")
                      - 1);
    p = (u_char *) wd_escape_html(p, uri->data, uri->len);
    p = wd_cpymem(p, "</h1><hr><pre><a href=\"../\">../</a>" CRLF,
                  sizeof("</h1><hr><pre><a href=\"../\">../</a>" CRLF) - 1);

    o->b->last = p;

    return WD_OK;
}

static wd_int_t
wd_http_autoindex_html(wd_http_autoindex_out_t *o, wd_str_t *uri,
    wd_http_autoindex_opts_t *opts, wd_array_t *entries)
{
    wd_uint_t i;
    wd_http_autoindex_entry_t *e;

    if (wd_http_autoindex_html_head(o, uri) != WD_OK) {
        return WD_ERROR;
    }

    e = entries->elts;

    for (i = 0; i < entries->nelts; i++) {
        if (wd_http_autoindex_html_entry(o, &e[i], opts) != WD_OK) {
            return WD_ERROR;
        }
    }

    return wd_http_autoindex_literal(o, "</pre><hr></body>" CRLF
                                        "</html>" CRLF);
}

/* ---- JSON and JSONP ---------------------------------------------------- */

static wd_int_t
wd_http_autoindex_json_entry(wd_http_autoindex_out_t *o,
    wd_http_autoindex_entry_t *e, wd_uint_t first)
{
    u_char *p;
    size_t len;

    len = e->name.len + wd_escape_json(NULL, e->name.data, e->name.len);

    p = wd_http_autoindex_reserve(o,
            sizeof("," CRLF "{ \"name\":\"\", \"type\":\"directory\", "
                   "\"mtime\":\"\", \"size\": }") + len + WD_HTTP_TIME_LEN
                + WD_INT_T_LEN + WD_OFF_T_LEN);

    if (p == NULL) {
        return WD_ERROR;
    }

    if (!first) {
        p = wd_cpymem(p, "," CRLF, sizeof("," CRLF) - 1);
    }

    p = wd_cpymem(p, "{ \"name\":\"", sizeof("{ \"name\":\"") - 1);
    p = (u_char *) wd_escape_json(p, e->name.data, e->name.len);
    p = wd_cpymem(p, "\", \"type\":\"", sizeof("\", \"type\":\"") - 1);

    if (e->dir) {
        p = wd_cpymem(p, "directory", sizeof("directory") - 1);

    } else if (e->file) {
        p = wd_cpymem(p, "file", sizeof("file") - 1);

    } else {
        p = wd_cpymem(p, "other", sizeof("other") - 1);
    }

    p = wd_cpymem(p, "\", \"mtime\":\"", sizeof("\", \"mtime\":\"") - 1);
    p = wd_http_time(p, e->mtime);
    *p++ = '"';

    if (e->file) {
        p = wd_cpymem(p, ", \"size\":", sizeof(", \"size\":") - 1);
        p = wd_sprint_int(p, (int64_t) e->size);
    }

    p = wd_cpymem(p, " }", 2);

    o->b->last = p;

    return WD_OK;
}

/* "[", the entries separated by ",", "]"; for JSONP wrapped in
 * "cb(...);" after a "callback" comment line. */
static wd_int_t
wd_http_autoindex_json(wd_http_autoindex_out_t *o,
    wd_http_autoindex_opts_t *opts, wd_array_t *entries)
{
    wd_uint_t i;
    wd_str_t *cb;
    wd_http_autoindex_entry_t *e;

    cb = &opts->callback;

    if (cb->len
        && (wd_http_autoindex_literal(o, "/* callback */" CRLF) != WD_OK
            || wd_http_autoindex_text(o, cb->data, cb->len) != WD_OK
            || wd_http_autoindex_literal(o, "(") != WD_OK))
    {
        return WD_ERROR;
    }

    if (wd_http_autoindex_literal(o, "[" CRLF) != WD_OK) {
        return WD_ERROR;
    }

    e = entries->elts;

    for (i = 0; i < entries->nelts; i++) {
        if (wd_http_autoindex_json_entry(o, &e[i], i == 0) != WD_OK) {
            return WD_ERROR;
        }
    }

    if (entries->nelts && wd_http_autoindex_literal(o, CRLF) != WD_OK) {
        return WD_ERROR;
    }

    return cb->len ? wd_http_autoindex_literal(o, "]);")
                   : wd_http_autoindex_literal(o, "]");
}

/* ---- XML --------------------------------------------------------------- */

/* "2026-11-26T17:33:12Z" */
static u_char *
wd_http_autoindex_xml_date(u_char *p, time_t t)
{
    wd_tm_t tm;

    wd_gmtime(t, &tm);

    p = wd_sprint_int(p, (int64_t) tm.tm_year + 1900);
    *p++ = '-';
    p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_mon + 1, 2);
    *p++ = '-';
    p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_mday, 2);
    *p++ = 'T';
    p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_hour, 2);
    *p++ = ':';
    p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_min, 2);
    *p++ = ':';
    p = wd_sprint_uint_pad(p, (uint64_t) tm.tm_sec, 2);
    *p++ = 'Z';

    return p;
}

static wd_int_t
wd_http_autoindex_xml_entry(wd_http_autoindex_out_t *o,
    wd_http_autoindex_entry_t *e)
{
    u_char *p;
    const char *tag;
    size_t len, tag_len;

    tag = e->dir ? "directory" : (e->file ? "file" : "other");
    tag_len = wd_strlen(tag);
    len = e->name.len + wd_escape_html(NULL, e->name.data, e->name.len);

    p = wd_http_autoindex_reserve(o,
            sizeof("< mtime=\"1970-09-28T12:00:00Z\" size=\"\"></>" CRLF)
                + 2 * tag_len + WD_INT_T_LEN + WD_OFF_T_LEN + len);

    if (p == NULL) {
        return WD_ERROR;
    }

    *p++ = '<';
    p = wd_cpymem(p, tag, tag_len);
    p = wd_cpymem(p, " mtime=\"", sizeof(" mtime=\"") - 1);
    p = wd_http_autoindex_xml_date(p, e->mtime);
    *p++ = '"';

    if (e->file) {
        p = wd_cpymem(p, " size=\"", sizeof(" size=\"") - 1);
        p = wd_sprint_int(p, (int64_t) e->size);
        *p++ = '"';
    }

    *p++ = '>';
    p = (u_char *) wd_escape_html(p, e->name.data, e->name.len);
    *p++ = '<';
    *p++ = '/';
    p = wd_cpymem(p, tag, tag_len);
    *p++ = '>';
    *p++ = CR;
    *p++ = LF;

    o->b->last = p;

    return WD_OK;
}

static wd_int_t
wd_http_autoindex_xml(wd_http_autoindex_out_t *o, wd_array_t *entries)
{
    wd_uint_t i;
    wd_http_autoindex_entry_t *e;

    if (wd_http_autoindex_literal(o, "<?xml version=\"1.0\"?>" CRLF
                                     "<list>" CRLF) != WD_OK)
    {
        return WD_ERROR;
    }

    e = entries->elts;

    for (i = 0; i < entries->nelts; i++) {
        if (wd_http_autoindex_xml_entry(o, &e[i]) != WD_OK) {
            return WD_ERROR;
        }
    }

    return wd_http_autoindex_literal(o, "</list>" CRLF);
}

/* ---- the listing ------------------------------------------------------- */

/* Directories first, then names in byte order. */
static int
wd_http_autoindex_cmp(const void *one, const void *two)
{
    const wd_http_autoindex_entry_t *a = one;
    const wd_http_autoindex_entry_t *b = two;

    if (a->dir != b->dir) {
        return a->dir ? -1 : 1;
    }

    return wd_strcmp(a->name.data, b->name.data);
}

wd_chain_t *
wd_http_autoindex_listing(wd_pool_t *pool, wd_str_t *uri,
    wd_http_autoindex_opts_t *opts, wd_array_t *entries)
{
    wd_int_t rc;
    wd_http_autoindex_out_t o;

    if (entries->nelts > 1) {
        wd_qsort(entries->elts, entries->nelts,
                 sizeof(wd_http_autoindex_entry_t), wd_http_autoindex_cmp);
    }

    o.pool = pool;
    o.first = NULL;
    o.last = &o.first;
    o.b = NULL;

    switch (opts->format) {

    case WD_HTTP_AUTOINDEX_XML:
        rc = wd_http_autoindex_xml(&o, entries);
        break;

    case WD_HTTP_AUTOINDEX_JSON:
    case WD_HTTP_AUTOINDEX_JSONP:
        rc = wd_http_autoindex_json(&o, opts, entries);
        break;

    default:
        rc = wd_http_autoindex_html(&o, uri, opts, entries);
        break;
    }

    if (rc != WD_OK) {
        return NULL;
    }

    o.b->last_in_chain = 1;

    return o.first;
}

/* ---- reading the directory --------------------------------------------- */

/* The status for a failed directory call on path, logged as nginx does. */
static wd_int_t
wd_http_autoindex_error(wd_http_request_t *r, const char *call, u_char *path,
    wd_err_t err)
{
    wd_int_t rc;
    wd_uint_t level;

    if (err == WD_ENOENT || err == WD_ENOTDIR || err == WD_ENAMETOOLONG) {
        level = WD_LOG_ERR;
        rc = WD_HTTP_NOT_FOUND;

    } else if (err == WD_EACCES) {
        level = WD_LOG_ERR;
        rc = WD_HTTP_FORBIDDEN;

    } else {
        level = WD_LOG_CRIT;
        rc = WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    wd_log_error(level, r->connection->log, err, "%s() \"%s\" failed", call,
                 path);

    return rc;
}

static void
wd_http_autoindex_close(wd_http_request_t *r, wd_dir_t *dir, u_char *path)
{
    if (wd_close_dir(dir) == -1) {
        wd_log_error(WD_LOG_ALERT, r->connection->log, wd_errno,
                     "closedir() \"%s\" failed", path);
    }
}

/* Fills dir->info for the entry at fname.  A dangling or looping symbolic
 * link is listed as the link itself.  WD_DECLINED: leave the entry out
 * (it is gone, or it cannot be looked at); else WD_OK or a status. */
static wd_int_t
wd_http_autoindex_stat(wd_http_request_t *r, wd_dir_t *dir, u_char *fname)
{
    wd_err_t err;

    if (wd_de_info(fname, dir) == WD_OK) {
        return WD_OK;
    }

    err = wd_errno;

    if (err != WD_ENOENT && err != WD_ELOOP) {
        wd_log_error(WD_LOG_CRIT, r->connection->log, err,
                     "stat() \"%s\" failed", fname);

        return (err == WD_EACCES) ? WD_DECLINED
                                  : WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (wd_link_info(fname, &dir->info) == 0) {
        dir->valid_info = 1;
        return WD_OK;
    }

    err = wd_errno;

    if (err == WD_ENOENT) {
        /* removed since it was read */
        return WD_DECLINED;
    }

    wd_log_error(WD_LOG_CRIT, r->connection->log, err,
                 "lstat() \"%s\" failed", fname);

    return WD_HTTP_INTERNAL_SERVER_ERROR;
}

/* Adds the entry just read to entries; fname has room for the
 * directory's path, "/" and the longest name (dir_len bytes of it are the
 * path). */
static wd_int_t
wd_http_autoindex_add(wd_http_request_t *r, wd_dir_t *dir, u_char *fname,
    size_t dir_len, wd_array_t *entries)
{
    size_t len;
    wd_int_t rc;
    wd_http_autoindex_entry_t *e;

    len = wd_de_namelen(dir);
    wd_memcpy(fname + dir_len + 1, wd_de_name(dir), len + 1);

    rc = wd_http_autoindex_stat(r, dir, fname);

    if (rc != WD_OK) {
        return rc;
    }

    e = wd_array_push(entries);

    if (e == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    e->name.len = len;
    e->name.data = wd_pnalloc(r->pool, len + 1);

    if (e->name.data == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    wd_memcpy(e->name.data, fname + dir_len + 1, len + 1);

    e->mtime = wd_de_mtime(dir);
    e->size = wd_de_size(dir);
    e->dir = wd_de_is_dir(dir);
    e->file = wd_de_is_file(dir);

    return WD_OK;
}

/* Reads the entries of the open directory at path (its length without
 * the NUL) into entries, and closes it.  WD_OK or a status. */
static wd_int_t
wd_http_autoindex_read(wd_http_request_t *r, wd_dir_t *dir, wd_str_t *path,
    wd_array_t *entries)
{
    u_char *fname;
    wd_int_t rc;

    rc = WD_HTTP_INTERNAL_SERVER_ERROR;

    /* NAME_MAX bounds every name readdir() returns */
    fname = wd_pnalloc(r->pool, path->len + 1 + NAME_MAX + 1);

    if (fname == NULL
        || wd_array_init(entries, r->pool, 64,
                         sizeof(wd_http_autoindex_entry_t)) != WD_OK)
    {
        goto failed;
    }

    wd_memcpy(fname, path->data, path->len);
    fname[path->len] = '/';

    for (;;) {
        rc = wd_read_dir(dir);

        if (rc == WD_DONE) {
            rc = WD_OK;
            break;
        }

        if (rc == WD_ERROR) {
            rc = wd_http_autoindex_error(r, "readdir", path->data, wd_errno);
            break;
        }

        if (wd_de_name(dir)[0] == '.') {
            continue;
        }

        rc = wd_http_autoindex_add(r, dir, fname, path->len, entries);

        if (rc != WD_OK && rc != WD_DECLINED) {
            break;
        }

        rc = WD_OK;
    }

failed:

    wd_http_autoindex_close(r, dir, path->data);

    return rc;
}

/* ---- the handler ------------------------------------------------------- */

/* The JSONP callback: empty (plain JSON) when the "callback" argument is
 * missing or empty; a 400 unless it is up to 128 of [A-Za-z0-9_.]. */
static wd_int_t
wd_http_autoindex_callback(wd_http_request_t *r, wd_str_t *cb)
{
    u_char c;
    size_t i;

    if (wd_http_arg(r, (u_char *) "callback", 8, cb) != WD_OK) {
        cb->len = 0;
        return WD_OK;
    }

    if (cb->len > WD_HTTP_AUTOINDEX_CALLBACK_LEN) {
        wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                     "client sent too long callback name: \"%.*s\"",
                     wd_str_fmt(cb));
        return WD_HTTP_BAD_REQUEST;
    }

    for (i = 0; i < cb->len; i++) {
        c = cb->data[i];

        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            continue;
        }

        if ((c >= '0' && c <= '9') || c == '_' || c == '.') {
            continue;
        }

        wd_log_error(WD_LOG_INFO, r->connection->log, 0,
                     "client sent invalid callback name: \"%.*s\"",
                     wd_str_fmt(cb));
        return WD_HTTP_BAD_REQUEST;
    }

    return WD_OK;
}

/* The listing's options from the conf and, for JSONP, the request:
 * WD_OK or a status. */
static wd_int_t
wd_http_autoindex_opts(wd_http_request_t *r,
    wd_http_autoindex_loc_conf_t *alcf, wd_http_autoindex_opts_t *opts)
{
    wd_int_t rc;

    wd_memzero(opts, sizeof(wd_http_autoindex_opts_t));
    opts->format = alcf->format;
    opts->localtime = alcf->localtime ? 1 : 0;
    opts->exact_size = alcf->exact_size ? 1 : 0;

    if (opts->format != WD_HTTP_AUTOINDEX_JSONP) {
        return WD_OK;
    }

    rc = wd_http_autoindex_callback(r, &opts->callback);

    if (rc == WD_OK && opts->callback.len == 0) {
        opts->format = WD_HTTP_AUTOINDEX_JSON;
    }

    return rc;
}

/* Opens the directory r->uri maps to; path is its name, NUL-terminated,
 * without the trailing slash (len without the NUL). */
static wd_int_t
wd_http_autoindex_open(wd_http_request_t *r, wd_str_t *path, wd_dir_t *dir)
{
    u_char *last;
    size_t root;

    last = wd_http_map_uri_to_path(r, path, &root, 0);

    if (last == NULL) {
        return r->err_status == WD_HTTP_NOT_FOUND
                   ? WD_HTTP_NOT_FOUND
                   : WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    path->len = last - path->data;

    if (path->len > 1) {
        path->len--;
        path->data[path->len] = '\0';
    }

    if (wd_open_dir(path, dir) != WD_OK) {
        return wd_http_autoindex_error(r, "opendir", path->data, wd_errno);
    }

    return WD_OK;
}

static wd_int_t
wd_http_autoindex_send_header(wd_http_request_t *r,
    wd_http_autoindex_opts_t *opts)
{
    wd_int_t rc;
    wd_str_t *charset;

    r->headers_out.status = WD_HTTP_OK;
    r->headers_out.content_type_lowcase = NULL;

    switch (opts->format) {

    case WD_HTTP_AUTOINDEX_XML:
        wd_str_set(&r->headers_out.content_type, "text/xml");
        wd_str_set(&r->headers_out.charset, "utf-8");
        break;

    case WD_HTTP_AUTOINDEX_JSON:
        wd_str_set(&r->headers_out.content_type, "application/json");
        break;

    case WD_HTTP_AUTOINDEX_JSONP:
        wd_str_set(&r->headers_out.content_type, "application/javascript");
        break;

    default:
        wd_str_set(&r->headers_out.content_type, "text/html");
        break;
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = wd_http_send_header(r);

    /* a charset filter may have set it while the header went out */
    charset = &r->headers_out.charset;
    opts->utf8 = wd_str_caseeq(charset, "utf-8");

    return rc;
}

/* Sends the listing of entries in the opts' format. */
static wd_int_t
wd_http_autoindex_send(wd_http_request_t *r, wd_http_autoindex_opts_t *opts,
    wd_array_t *entries)
{
    wd_chain_t *out, *cl;

    out = wd_http_autoindex_listing(r->pool, &r->uri, opts, entries);

    if (out == NULL) {
        return WD_ERROR;
    }

    for (cl = out; cl->next; cl = cl->next) { /* void */ }

    cl->buf->last_buf = (r == r->main) ? 1 : 0;

    return wd_http_output_filter(r, out);
}

static wd_int_t
wd_http_autoindex_handler(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_str_t path;
    wd_dir_t dir;
    wd_array_t entries;
    wd_http_autoindex_opts_t opts;
    wd_http_autoindex_loc_conf_t *alcf;

    if (r->uri.len == 0 || r->uri.data[r->uri.len - 1] != '/') {
        return WD_DECLINED;
    }

    if (!(r->method & (WD_HTTP_GET | WD_HTTP_HEAD))) {
        return WD_DECLINED;
    }

    alcf = wd_http_get_module_loc_conf(r, wd_http_autoindex_module);

    if (!alcf->enable) {
        return WD_DECLINED;
    }

    rc = wd_http_autoindex_opts(r, alcf, &opts);

    if (rc != WD_OK) {
        return rc;
    }

    rc = wd_http_discard_request_body(r);

    if (rc != WD_OK) {
        return rc;
    }

    rc = wd_http_autoindex_open(r, &path, &dir);

    if (rc != WD_OK) {
        return rc;
    }

    /* read it all before the header goes out, so that an error can
     * still be answered with its status; HEAD needs no entries */
    if (r->method == WD_HTTP_HEAD) {
        wd_http_autoindex_close(r, &dir, path.data);
        entries.nelts = 0;

    } else {
        rc = wd_http_autoindex_read(r, &dir, &path, &entries);

        if (rc != WD_OK) {
            return rc;
        }
    }

    rc = wd_http_autoindex_send_header(r, &opts);

    if (rc == WD_ERROR || rc > WD_OK || r->header_only) {
        return rc;
    }

    return wd_http_autoindex_send(r, &opts, &entries);
}

/* ---- configuration ----------------------------------------------------- */

static void *
wd_http_autoindex_create_loc_conf(wd_conf_t *cf)
{
    wd_http_autoindex_loc_conf_t *conf;

    conf = wd_palloc(cf->pool, sizeof(wd_http_autoindex_loc_conf_t));

    if (conf == NULL) {
        return NULL;
    }

    conf->enable = WD_CONF_UNSET;
    conf->format = WD_CONF_UNSET_UINT;
    conf->localtime = WD_CONF_UNSET;
    conf->exact_size = WD_CONF_UNSET;

    return conf;
}

static char *
wd_http_autoindex_merge_loc_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_http_autoindex_loc_conf_t *prev = parent;
    wd_http_autoindex_loc_conf_t *conf = child;

    (void) cf;

    wd_conf_merge_value(conf->enable, prev->enable, 0);
    wd_conf_merge_uint_value(conf->format, prev->format,
                             WD_HTTP_AUTOINDEX_HTML);
    wd_conf_merge_value(conf->localtime, prev->localtime, 0);
    wd_conf_merge_value(conf->exact_size, prev->exact_size, 1);

    return WD_CONF_OK;
}

static wd_int_t
wd_http_autoindex_init(wd_conf_t *cf)
{
    wd_http_handler_pt *h;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    h = wd_array_push(&cmcf->phases[WD_HTTP_CONTENT_PHASE].handlers);

    if (h == NULL) {
        return WD_ERROR;
    }

    *h = wd_http_autoindex_handler;

    return WD_OK;
}
