/*
 * Byte ranges (RFC 9110 §14), shared by the two range filters: the header
 * filter decides (206, 416 or the whole response) and leaves its decision
 * in a wd_http_range_ctx_t; the body filter cuts that out of the body.
 * They are two modules because they sit at two places in the chains, as
 * in nginx: the header filter runs after the filters that may change the
 * body (gzip clears allow_ranges), the body filter before any filter
 * reads file data into memory, so a range of a file stays a range of
 * that file and is sent with sendfile.
 */

#ifndef WD_HTTP_RANGE_H
#define WD_HTTP_RANGE_H

#include <wd_http.h>

/* The digits of the boundary between the parts of a multipart/byteranges
 * body: zero-padded to 20, as nginx makes them. */
#define WD_HTTP_RANGE_BOUNDARY_LEN 20

typedef struct {
    off_t start;                /* the first byte */
    off_t end;                  /* one past the last byte */
    wd_str_t content_range;     /* multipart: "S-E/LEN" CRLF CRLF */
} wd_http_range_t;

typedef struct {
    wd_array_t ranges;          /* wd_http_range_t, in the order asked */
    off_t offset;               /* body bytes the body filter has seen */

    /* multipart: CRLF "--BOUNDARY" CRLF ["Content-Type: T" CRLF]
     * "Content-Range: bytes " before each part's content_range */
    wd_str_t boundary_header;
    wd_str_t boundary;          /* the digits alone */
    wd_uint_t current;          /* multipart: the part being sent */

    unsigned started:1;         /* multipart: its header went out */
    unsigned done:1;            /* the end of the response went out */
} wd_http_range_ctx_t;

/*
 * Parses a ranges-specifier (what follows "bytes=") against a body of
 * length bytes, as nginx does: SP is allowed around the numbers and the
 * dashes, each range is clipped to the body, and ranges starting past
 * its end are dropped.  Appends the satisfiable ranges to ranges (of
 * wd_http_range_t) in the order given.  Returns
 *   WD_OK                           send these ranges;
 *   WD_DECLINED                     send the whole body: more than max
 *                                   ranges, a range of an empty body, or
 *                                   ranges adding up to more than the body
 *                                   (overlaps: the amplification guard);
 *   WD_HTTP_RANGE_NOT_SATISFIABLE   a syntax error, or no range left;
 *   WD_ERROR                        no memory.
 * Pure: no request, no logging; the array's pool is the only allocator.
 */
wd_int_t wd_http_range_parse(wd_str_t *spec, off_t length, wd_uint_t max,
    wd_array_t *ranges);

extern wd_module_t wd_http_range_header_filter_module;
extern wd_module_t wd_http_range_body_filter_module;

#endif /* WD_HTTP_RANGE_H */
