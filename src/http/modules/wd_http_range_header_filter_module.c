/*
 * Range requests, the header half: turns a 200 into a 206 (one range, or
 * multipart/byteranges) or a 416 when the client sent "Range: bytes=...",
 * and advertises "Accept-Ranges: bytes" otherwise.  The body half is
 * wd_http_range_body_filter_module.c; what they share, wd_http_range.h.
 */

#include <wd_http_range.h>

static wd_int_t wd_http_range_header_filter_init(wd_conf_t *cf);

static wd_http_module_t wd_http_range_header_filter_module_ctx = {
    NULL,
    wd_http_range_header_filter_init,
    NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_range_header_filter_module = {
    WD_MODULE_V1,
    &wd_http_range_header_filter_module_ctx,
    NULL,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_http_output_header_filter_pt wd_http_next_header_filter;

/* ---- the ranges-specifier: pure functions --------------------------- */

static u_char *
wd_http_range_skip_sp(u_char *p, u_char *last)
{
    while (p < last && *p == ' ') {
        p++;
    }

    return p;
}

/* Decimal digits at *pp; WD_ERROR when there are none or they overflow. */
static wd_int_t
wd_http_range_number(u_char **pp, u_char *last, off_t *n)
{
    u_char *p;
    off_t value, digit;

    p = *pp;

    if (p == last || *p < '0' || *p > '9') {
        return WD_ERROR;
    }

    for (value = 0; p < last && *p >= '0' && *p <= '9'; p++) {
        digit = *p - '0';

        if (value > (WD_MAX_OFF_T_VALUE - digit) / 10) {
            return WD_ERROR;
        }

        value = value * 10 + digit;
    }

    *pp = p;
    *n = value;

    return WD_OK;
}

/* One byte-range-spec ("S-E", "S-" or "-N") at *pp as [start, end)
 * clipped to length; *pp is left at the ',' after it or at last.
 * WD_ERROR: not a byte-range-spec. */
static wd_int_t
wd_http_range_spec(u_char **pp, u_char *last, off_t length, off_t *start,
    off_t *end)
{
    u_char *p;
    off_t n;

    p = wd_http_range_skip_sp(*pp, last);

    if (p < last && *p == '-') {
        p++;

        if (wd_http_range_number(&p, last, &n) != WD_OK) {
            return WD_ERROR;
        }

        *start = (n < length) ? length - n : 0;
        *end = length;

    } else {
        if (wd_http_range_number(&p, last, start) != WD_OK) {
            return WD_ERROR;
        }

        p = wd_http_range_skip_sp(p, last);

        if (p == last || *p != '-') {
            return WD_ERROR;
        }

        p = wd_http_range_skip_sp(p + 1, last);

        if (p == last || *p == ',') {
            *end = length;

        } else {
            if (wd_http_range_number(&p, last, &n) != WD_OK) {
                return WD_ERROR;
            }

            *end = (n < length) ? n + 1 : length;
        }
    }

    p = wd_http_range_skip_sp(p, last);

    if (p < last && *p != ',') {
        return WD_ERROR;
    }

    *pp = p;

    return WD_OK;
}

wd_int_t
wd_http_range_parse(wd_str_t *spec, off_t length, wd_uint_t max,
    wd_array_t *ranges)
{
    u_char *p, *last;
    off_t start, end, size;
    wd_uint_t n;
    wd_http_range_t *range;

    p = spec->data;
    last = p + spec->len;
    size = 0;
    n = 0;

    for (;;) {
        if (wd_http_range_spec(&p, last, length, &start, &end) != WD_OK) {
            return WD_HTTP_RANGE_NOT_SATISFIABLE;
        }

        if (start < end) {
            if (size > WD_MAX_OFF_T_VALUE - (end - start)) {
                return WD_HTTP_RANGE_NOT_SATISFIABLE;
            }

            size += end - start;

            if (n++ == max) {
                return WD_DECLINED;
            }

            /* past the body's size the answer is the whole body (or a
             * 416 for a later syntax error): nothing more to keep */
            if (size <= length) {
                range = wd_array_push(ranges);

                if (range == NULL) {
                    return WD_ERROR;
                }

                range->start = start;
                range->end = end;
                wd_str_null(&range->content_range);
            }

        } else if (start == 0) {
            /* "0-..." of an empty body: it is all there is */
            return WD_DECLINED;
        }

        if (p == last) {
            break;
        }

        p++;
    }

    if (size > length) {
        return WD_DECLINED;
    }

    return ranges->nelts ? WD_OK : WD_HTTP_RANGE_NOT_SATISFIABLE;
}

/* ---- the filter ----------------------------------------------------- */

/* Whether the validator in If-Range (absent: yes) still names this
 * response.  An entity-tag compares strongly (RFC 9110 §13.1.5): a weak
 * tag on either side never matches; a date must equal Last-Modified. */
static wd_uint_t
wd_http_range_if_range(wd_http_request_t *r)
{
    time_t t;
    wd_str_t *value, *etag;

    if (r->headers_in.if_range == NULL) {
        return 1;
    }

    value = &r->headers_in.if_range->value;

    if (value->len >= 2 && value->data[value->len - 1] == '"') {
        if (r->headers_out.etag == NULL) {
            return 0;
        }

        etag = &r->headers_out.etag->value;

        return value->data[0] == '"' && etag->len == value->len
               && wd_memcmp(etag->data, value->data, value->len) == 0;
    }

    if (r->headers_out.last_modified_time == -1) {
        return 0;
    }

    t = wd_parse_http_time(value->data, value->len);

    return t != -1 && t == r->headers_out.last_modified_time;
}

/* "Content-Range: bytes ..." in the response header. */
static wd_int_t
wd_http_range_content_range(wd_http_request_t *r, wd_http_range_t *range)
{
    u_char *p, *start;
    off_t length;
    wd_table_elt_t *h;

    length = r->headers_out.content_length_n;

    start = wd_pnalloc(r->pool, sizeof("bytes -/") - 1 + 3 * WD_OFF_T_LEN);

    if (start == NULL) {
        return WD_ERROR;
    }

    p = wd_cpymem(start, "bytes ", sizeof("bytes ") - 1);

    if (range) {
        p = wd_sprint_int(p, range->start);
        *p++ = '-';
        p = wd_sprint_int(p, range->end - 1);

    } else {
        *p++ = '*';
    }

    *p++ = '/';
    p = wd_sprint_int(p, length);

    h = wd_http_add_response_header(r, "Content-Range", 13, start, p - start);

    if (h == NULL) {
        return WD_ERROR;
    }

    r->headers_out.content_range = h;

    return WD_OK;
}

static wd_int_t
wd_http_range_singlepart_header(wd_http_request_t *r, wd_http_range_ctx_t *ctx)
{
    wd_http_range_t *range;

    range = ctx->ranges.elts;

    if (wd_http_range_content_range(r, range) != WD_OK) {
        return WD_ERROR;
    }

    wd_http_clear_content_length(r);

    r->headers_out.content_length_n = range->end - range->start;
    r->headers_out.content_offset = range->start;

    return wd_http_next_header_filter(r);
}

/* A new boundary: 20 digits that differ from one response to the next
 * and cannot be guessed from earlier ones (a part's bytes could
 * otherwise be made to contain it).  splitmix64 over a per-process
 * sequence seeded from the pid and the clock. */
static uint64_t
wd_http_range_boundary(void)
{
    static uint64_t seq;
    uint64_t z;

    if (seq == 0) {
        seq = ((uint64_t) wd_pid << 40) ^ ((uint64_t) wd_time() << 10)
              ^ (uint64_t) wd_current_msec;
    }

    seq += 0x9e3779b97f4a7c15ULL;

    z = seq;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;

    return z ^ (z >> 31);
}

/* The text before each part's "S-E/LEN": CRLF "--B" CRLF, the part's
 * Content-Type (the response's, with its charset), "Content-Range: bytes ". */
static wd_int_t
wd_http_range_boundary_header(wd_http_request_t *r, wd_http_range_ctx_t *ctx)
{
    u_char *p;
    size_t len;
    wd_uint_t charset;
    wd_str_t *type;

    type = &r->headers_out.content_type;
    charset = r->headers_out.content_type_len == type->len
              && r->headers_out.charset.len;

    len = sizeof(CRLF "--" CRLF "Content-Range: bytes ") - 1
          + WD_HTTP_RANGE_BOUNDARY_LEN;

    if (type->len) {
        len += sizeof("Content-Type: " CRLF) - 1 + type->len;
    }

    if (charset) {
        len += sizeof("; charset=") - 1 + r->headers_out.charset.len;
    }

    p = wd_pnalloc(r->pool, len);

    if (p == NULL) {
        return WD_ERROR;
    }

    ctx->boundary_header.data = p;

    p = wd_cpymem(p, CRLF "--", sizeof(CRLF "--") - 1);
    p = wd_cpymem(p, ctx->boundary.data, ctx->boundary.len);
    p = wd_cpymem(p, CRLF, sizeof(CRLF) - 1);

    if (type->len) {
        p = wd_cpymem(p, "Content-Type: ", sizeof("Content-Type: ") - 1);
        p = wd_cpymem(p, type->data, type->len);

        if (charset) {
            p = wd_cpymem(p, "; charset=", sizeof("; charset=") - 1);
            p = wd_cpymem(p, r->headers_out.charset.data,
                          r->headers_out.charset.len);
        }

        p = wd_cpymem(p, CRLF, sizeof(CRLF) - 1);
    }

    p = wd_cpymem(p, "Content-Range: bytes ",
                  sizeof("Content-Range: bytes ") - 1);

    ctx->boundary_header.len = p - ctx->boundary_header.data;

    return WD_OK;
}

/* Each part's "S-E/LEN" CRLF CRLF; returns the whole body's length. */
static off_t
wd_http_range_parts(wd_http_request_t *r, wd_http_range_ctx_t *ctx)
{
    u_char *p;
    off_t total;
    wd_uint_t i;
    wd_http_range_t *range;

    /* the closing CRLF "--B--" CRLF */
    total = sizeof(CRLF "----" CRLF) - 1 + WD_HTTP_RANGE_BOUNDARY_LEN;

    range = ctx->ranges.elts;

    for (i = 0; i < ctx->ranges.nelts; i++) {
        p = wd_pnalloc(r->pool, 3 * WD_OFF_T_LEN + sizeof("-/" CRLF CRLF));

        if (p == NULL) {
            return -1;
        }

        range[i].content_range.data = p;

        p = wd_sprint_int(p, range[i].start);
        *p++ = '-';
        p = wd_sprint_int(p, range[i].end - 1);
        *p++ = '/';
        p = wd_sprint_int(p, r->headers_out.content_length_n);
        p = wd_cpymem(p, CRLF CRLF, sizeof(CRLF CRLF) - 1);

        range[i].content_range.len = p - range[i].content_range.data;

        total += ctx->boundary_header.len + range[i].content_range.len
                 + (range[i].end - range[i].start);
    }

    return total;
}

static wd_int_t
wd_http_range_multipart_header(wd_http_request_t *r, wd_http_range_ctx_t *ctx)
{
    u_char *p;
    off_t total;
    size_t len;

    p = wd_pnalloc(r->pool, WD_HTTP_RANGE_BOUNDARY_LEN);

    if (p == NULL) {
        return WD_ERROR;
    }

    wd_sprint_uint_pad(p, wd_http_range_boundary(), WD_HTTP_RANGE_BOUNDARY_LEN);
    ctx->boundary.data = p;
    ctx->boundary.len = WD_HTTP_RANGE_BOUNDARY_LEN;

    if (wd_http_range_boundary_header(r, ctx) != WD_OK) {
        return WD_ERROR;
    }

    total = wd_http_range_parts(r, ctx);

    if (total == -1) {
        return WD_ERROR;
    }

    len = sizeof("multipart/byteranges; boundary=") - 1
          + WD_HTTP_RANGE_BOUNDARY_LEN;

    p = wd_pnalloc(r->pool, len);

    if (p == NULL) {
        return WD_ERROR;
    }

    r->headers_out.content_type.data = p;
    p = wd_cpymem(p, "multipart/byteranges; boundary=",
                  sizeof("multipart/byteranges; boundary=") - 1);
    wd_memcpy(p, ctx->boundary.data, ctx->boundary.len);

    r->headers_out.content_type.len = len;
    r->headers_out.content_type_len = len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    wd_http_clear_content_length(r);
    r->headers_out.content_length_n = total;

    return wd_http_next_header_filter(r);
}

static wd_int_t
wd_http_range_not_satisfiable(wd_http_request_t *r)
{
    r->headers_out.status = WD_HTTP_RANGE_NOT_SATISFIABLE;

    if (wd_http_range_content_range(r, NULL) != WD_OK) {
        return WD_ERROR;
    }

    wd_http_clear_content_length(r);

    return WD_HTTP_RANGE_NOT_SATISFIABLE;
}

/* Whether the response may be sent in ranges at all. */
static wd_uint_t
wd_http_range_allowed(wd_http_request_t *r)
{
    return r->http_version >= WD_HTTP_VERSION_10
           && r->headers_out.status == WD_HTTP_OK
           && (r == r->main || r->subrequest_ranges)
           && r->headers_out.content_length_n != -1 && r->allow_ranges;
}

/* The request asks for byte ranges of this very response. */
static wd_uint_t
wd_http_range_requested(wd_http_request_t *r)
{
    wd_str_t *value;

    if (r->headers_in.range == NULL) {
        return 0;
    }

    value = &r->headers_in.range->value;

    return value->len > sizeof("bytes=") - 1
           && wd_strncasecmp(value->data, (u_char *) "bytes=",
                             sizeof("bytes=") - 1)
                  == 0
           && wd_http_range_if_range(r);
}

static wd_int_t
wd_http_range_accept(wd_http_request_t *r)
{
    wd_table_elt_t *h;

    if (r->headers_out.accept_ranges == NULL) {
        h = wd_http_add_response_header(r, "Accept-Ranges", 13,
                                        (u_char *) "bytes", 5);

        if (h == NULL) {
            return WD_ERROR;
        }

        r->headers_out.accept_ranges = h;
    }

    return wd_http_next_header_filter(r);
}

static wd_int_t
wd_http_range_header_filter(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_str_t spec;
    wd_http_range_ctx_t *ctx;
    wd_http_core_loc_conf_t *clcf;

    if (!wd_http_range_allowed(r)) {
        return wd_http_next_header_filter(r);
    }

    clcf = wd_http_get_module_loc_conf(r, wd_http_core_module);

    if (clcf->max_ranges == 0) {
        return wd_http_next_header_filter(r);
    }

    if (!wd_http_range_requested(r)) {
        return wd_http_range_accept(r);
    }

    ctx = wd_pcalloc(r->pool, sizeof(wd_http_range_ctx_t));

    if (ctx == NULL
        || wd_array_init(&ctx->ranges, r->pool, 1, sizeof(wd_http_range_t))
               != WD_OK)
    {
        return WD_ERROR;
    }

    spec.data = r->headers_in.range->value.data + sizeof("bytes=") - 1;
    spec.len = r->headers_in.range->value.len - (sizeof("bytes=") - 1);

    rc = wd_http_range_parse(&spec, r->headers_out.content_length_n,
                             r->single_range ? 1 : clcf->max_ranges,
                             &ctx->ranges);

    switch (rc) {
    case WD_OK:
        break;
    case WD_DECLINED:
        return wd_http_range_accept(r);
    case WD_HTTP_RANGE_NOT_SATISFIABLE:
        return wd_http_range_not_satisfiable(r);
    default:
        return WD_ERROR;
    }

    wd_http_set_ctx(r, ctx, wd_http_range_body_filter_module);

    r->headers_out.status = WD_HTTP_PARTIAL_CONTENT;
    r->headers_out.status_line.len = 0;

    if (ctx->ranges.nelts == 1) {
        return wd_http_range_singlepart_header(r, ctx);
    }

    return wd_http_range_multipart_header(r, ctx);
}

static wd_int_t
wd_http_range_header_filter_init(wd_conf_t *cf)
{
    wd_http_next_header_filter = wd_http_top_header_filter;
    wd_http_top_header_filter = wd_http_range_header_filter;

    return WD_OK;
}
