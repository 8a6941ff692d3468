/*
 * Directory listings, as the autoindex module sends them: the entries of
 * a directory in HTML, XML, JSON or JSONP, byte for byte as nginx writes
 * them.  Kept apart from the handler (which reads the directory) so that
 * the formats can be tested without a server.
 */

#ifndef WD_HTTP_AUTOINDEX_H
#define WD_HTTP_AUTOINDEX_H

#include <wd_http.h>

#define WD_HTTP_AUTOINDEX_HTML 0
#define WD_HTTP_AUTOINDEX_JSON 1
#define WD_HTTP_AUTOINDEX_JSONP 2
#define WD_HTTP_AUTOINDEX_XML 3

/* The listing is written into buffers of this size; an entry never
 * straddles two, so one that needs more gets a buffer of its own. */
#define WD_HTTP_AUTOINDEX_BUF_SIZE 16384

typedef struct {
    wd_str_t name;              /* NUL-terminated */
    time_t mtime;
    off_t size;
    unsigned dir:1;
    unsigned file:1;            /* a regular file; "other" if neither */
} wd_http_autoindex_entry_t;

/* What one listing looks like. */
typedef struct {
    wd_uint_t format;           /* WD_HTTP_AUTOINDEX_* */
    wd_str_t callback;          /* JSONP: the function; empty: plain JSON */
    unsigned localtime:1;       /* HTML dates in local time, not UTC */
    unsigned exact_size:1;      /* HTML sizes in bytes, not K, M or G */
    unsigned utf8:1;            /* HTML names measured in characters */
} wd_http_autoindex_opts_t;

/*
 * The listing of entries (of wd_http_autoindex_entry_t, sorted here:
 * directories first, then the names in byte order) as a chain of buffers
 * from pool; the last buffer has last_in_chain set, the caller sets
 * last_buf.  uri is the "Index of" title of HTML.  HTML shows a name in a
 * 50-column field: longer ones are cut to 47 and "..>", a directory's
 * "/" only when it fits.  NULL when out of memory.
 */
wd_chain_t *wd_http_autoindex_listing(wd_pool_t *pool, wd_str_t *uri,
    wd_http_autoindex_opts_t *opts, wd_array_t *entries);

#endif /* WD_HTTP_AUTOINDEX_H */
