/*
 * Conditional requests (RFC 9110 §13): evaluates If-Match,
 * If-Unmodified-Since, If-None-Match and If-Modified-Since against the
 * validators of a 200 response (its ETag and Last-Modified) and answers
 * 412 Precondition Failed or 304 Not Modified instead.  If-Range belongs
 * to the range filter.  It runs first among the header filters, so the
 * response it sees is the one the content handler made.
 */

#include <wd_http.h>

static wd_int_t wd_http_not_modified_filter_init(wd_conf_t *cf);

static wd_http_module_t wd_http_not_modified_filter_module_ctx = {
    NULL,
    wd_http_not_modified_filter_init,
    NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_not_modified_filter_module = {
    WD_MODULE_V1,
    &wd_http_not_modified_filter_module_ctx,
    NULL,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_http_output_header_filter_pt wd_http_next_header_filter;

/* ---- entity-tags: pure functions ------------------------------------ */

/* Removes the "W/" of a weak tag; returns whether there was one. */
static wd_uint_t
wd_http_etag_unweak(wd_str_t *tag)
{
    if (tag->len > 2 && tag->data[0] == 'W' && tag->data[1] == '/') {
        tag->data += 2;
        tag->len -= 2;
        return 1;
    }

    return 0;
}

/* The entity-tag that starts at *pp (after OWS and commas): [W/]"...".
 * *pp is left past the next comma.  A malformed element yields a tag
 * that matches nothing (len 0). */
static void
wd_http_etag_next(u_char **pp, u_char *last, wd_str_t *tag)
{
    u_char *p, *start;

    p = *pp;

    while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
        p++;
    }

    start = p;

    if (last - p > 2 && p[0] == 'W' && p[1] == '/') {
        p += 2;
    }

    tag->len = 0;
    tag->data = start;

    /* opaque-tag: DQUOTE *etagc DQUOTE; etagc may be a comma */
    if (p < last && *p == '"') {
        p = wd_strlchr(p + 1, last, '"');

        if (p) {
            p++;
            tag->len = p - start;

            while (p < last && (*p == ' ' || *p == '\t')) {
                p++;
            }

            if (p < last && *p != ',') {
                tag->len = 0;
            }

        } else {
            p = last;
        }
    }

    p = wd_strlchr(p, last, ',');

    *pp = p ? p + 1 : last;
}

/*
 * Whether value, "*" or a list of entity-tags, names the current
 * representation, whose tag is etag (NULL: it has none).  Weak
 * comparison ignores "W/" on both sides; strong comparison never matches
 * a weak tag (RFC 9110 §8.8.3.2).  "*" names any representation.
 */
static wd_uint_t
wd_http_etag_match(wd_str_t *value, wd_str_t *etag, wd_uint_t weak)
{
    u_char *p, *last;
    wd_str_t tag, mine;

    if (value->len == 1 && value->data[0] == '*') {
        return 1;
    }

    if (etag == NULL) {
        return 0;
    }

    mine = *etag;

    if (wd_http_etag_unweak(&mine) && !weak) {
        return 0;
    }

    p = value->data;
    last = p + value->len;

    while (p < last) {
        wd_http_etag_next(&p, last, &tag);

        if (wd_http_etag_unweak(&tag) && !weak) {
            continue;
        }

        if (tag.len && tag.len == mine.len
            && wd_memcmp(tag.data, mine.data, tag.len) == 0)
        {
            return 1;
        }
    }

    return 0;
}

/* ---- the preconditions, in RFC 9110 §13.2.2's order ------------------ */

static wd_str_t *
wd_http_current_etag(wd_http_request_t *r)
{
    return r->headers_out.etag ? &r->headers_out.etag->value : NULL;
}

/* Steps 1 and 2: If-Match, or else If-Unmodified-Since (ignored without
 * Last-Modified or with an invalid date).  0: 412. */
static wd_uint_t
wd_http_precondition_holds(wd_http_request_t *r)
{
    time_t date, mtime;

    if (r->headers_in.if_match) {
        return wd_http_etag_match(&r->headers_in.if_match->value,
                                  wd_http_current_etag(r), 0);
    }

    mtime = r->headers_out.last_modified_time;

    if (r->headers_in.if_unmodified_since == NULL || mtime == -1) {
        return 1;
    }

    date = wd_parse_http_time(r->headers_in.if_unmodified_since->value.data,
                              r->headers_in.if_unmodified_since->value.len);

    return date == -1 || mtime <= date;
}

/* Steps 3 and 4: If-None-Match, or else If-Modified-Since as the
 * if_modified_since directive says.  1: 304. */
static wd_uint_t
wd_http_not_modified(wd_http_request_t *r)
{
    time_t date, mtime;
    wd_http_core_loc_conf_t *clcf;

    if (r->headers_in.if_none_match) {
        return wd_http_etag_match(&r->headers_in.if_none_match->value,
                                  wd_http_current_etag(r), 1);
    }

    mtime = r->headers_out.last_modified_time;

    if (r->headers_in.if_modified_since == NULL || mtime == -1) {
        return 0;
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->if_modified_since == WD_HTTP_IMS_OFF) {
        return 0;
    }

    date = wd_parse_http_time(r->headers_in.if_modified_since->value.data,
                              r->headers_in.if_modified_since->value.len);

    if (date == -1) {
        return 0;
    }

    if (clcf->if_modified_since == WD_HTTP_IMS_EXACT) {
        return date == mtime;
    }

    return mtime <= date;
}

/* The 304 keeps the validators and drops what describes a body. */
static void
wd_http_not_modified_response(wd_http_request_t *r)
{
    r->headers_out.status = WD_HTTP_NOT_MODIFIED;
    r->headers_out.status_line.len = 0;
    r->headers_out.content_type.len = 0;

    wd_http_clear_content_length(r);
    wd_http_clear_accept_ranges(r);

    if (r->headers_out.content_encoding) {
        r->headers_out.content_encoding->hash = 0;
        r->headers_out.content_encoding = NULL;
    }
}

static wd_int_t
wd_http_not_modified_header_filter(wd_http_request_t *r)
{
    /* only a retrieval can be answered from the client's copy; the
     * method of anything else has already been performed */
    if (r->headers_out.status != WD_HTTP_OK || r != r->main
        || r->disable_not_modified
        || !(r->method & (WD_HTTP_GET | WD_HTTP_HEAD)))
    {
        return wd_http_next_header_filter(r);
    }

    if (!wd_http_precondition_holds(r)) {
        return wd_http_filter_finalize_request(r,
                   &wd_http_not_modified_filter_module,
                   WD_HTTP_PRECONDITION_FAILED);
    }

    if (wd_http_not_modified(r)) {
        wd_http_not_modified_response(r);
    }

    return wd_http_next_header_filter(r);
}

static wd_int_t
wd_http_not_modified_filter_init(wd_conf_t *cf)
{
    wd_http_next_header_filter = wd_http_top_header_filter;
    wd_http_top_header_filter = wd_http_not_modified_header_filter;

    return WD_OK;
}
