/*
 * The HTTP layer: module hooks, the three conf levels, requests, phases,
 * filters, variables.  HTTP modules include this header only.
 */

#ifndef WD_HTTP_H
#define WD_HTTP_H

#include <wd_core.h>
#include <wd_event.h>

typedef struct wd_http_request_s wd_http_request_t;
typedef struct wd_http_core_loc_conf_s wd_http_core_loc_conf_t;
typedef struct wd_http_log_ctx_s wd_http_log_ctx_t;
typedef struct wd_http_chunked_s wd_http_chunked_t;

/* Appends a request's context to an error-log line. */
typedef u_char *(*wd_http_log_handler_pt)(wd_http_request_t *r,
    wd_http_request_t *sr, u_char *buf, size_t len);

/* Module hooks of an HTTP module. */
typedef struct {
    wd_int_t (*preconfiguration)(wd_conf_t *cf);   /* add variables */
    wd_int_t (*postconfiguration)(wd_conf_t *cf);  /* phases, filters */

    void *(*create_main_conf)(wd_conf_t *cf);
    char *(*init_main_conf)(wd_conf_t *cf, void *conf);

    void *(*create_srv_conf)(wd_conf_t *cf);
    char *(*merge_srv_conf)(wd_conf_t *cf, void *prev, void *conf);

    void *(*create_loc_conf)(wd_conf_t *cf);
    char *(*merge_loc_conf)(wd_conf_t *cf, void *prev, void *conf);
} wd_http_module_t;

#define WD_HTTP_MODULE 0x50545448       /* "HTTP" */

/* Contexts of HTTP directives. */
#define WD_HTTP_MAIN_CONF 0x02000000
#define WD_HTTP_SRV_CONF 0x04000000
#define WD_HTTP_LOC_CONF 0x08000000
#define WD_HTTP_UPS_CONF 0x10000000
#define WD_HTTP_SIF_CONF 0x20000000     /* "if" in server */
#define WD_HTTP_LIF_CONF 0x40000000     /* "if" in location */
#define WD_HTTP_LMT_CONF 0x80000000     /* limit_except */

/* The confs of one context: every HTTP module's struct at each level. */
typedef struct {
    void **main_conf;
    void **srv_conf;
    void **loc_conf;
} wd_http_conf_ctx_t;

#define WD_HTTP_MAIN_CONF_OFFSET offsetof(wd_http_conf_ctx_t, main_conf)
#define WD_HTTP_SRV_CONF_OFFSET offsetof(wd_http_conf_ctx_t, srv_conf)
#define WD_HTTP_LOC_CONF_OFFSET offsetof(wd_http_conf_ctx_t, loc_conf)

#define wd_http_get_module_ctx(r, module) (r)->ctx[module.ctx_index]
#define wd_http_set_ctx(r, c, module) (r)->ctx[module.ctx_index] = c;

#define wd_http_get_module_main_conf(r, module)                                \
    (r)->main_conf[module.ctx_index]
#define wd_http_get_module_srv_conf(r, module) (r)->srv_conf[module.ctx_index]
#define wd_http_get_module_loc_conf(r, module) (r)->loc_conf[module.ctx_index]

#define wd_http_conf_get_module_main_conf(cf, module)                          \
    ((wd_http_conf_ctx_t *) cf->ctx)->main_conf[module.ctx_index]
#define wd_http_conf_get_module_srv_conf(cf, module)                           \
    ((wd_http_conf_ctx_t *) cf->ctx)->srv_conf[module.ctx_index]
#define wd_http_conf_get_module_loc_conf(cf, module)                           \
    ((wd_http_conf_ctx_t *) cf->ctx)->loc_conf[module.ctx_index]

#define wd_http_cycle_get_module_main_conf(cycle, module)                      \
    (cycle->conf_ctx[wd_http_module.index]                                     \
         ? ((wd_http_conf_ctx_t *) cycle->conf_ctx[wd_http_module.index])      \
               ->main_conf[module.ctx_index]                                   \
         : NULL)

/* Several values of one request header ("Cookie", "X-Forwarded-For") are
 * linked through next. */
typedef struct wd_table_elt_s wd_table_elt_t;

struct wd_table_elt_s {
    wd_uint_t hash;             /* 0: deleted */
    wd_str_t key;
    wd_str_t value;
    u_char *lowcase_key;
    wd_table_elt_t *next;
};

extern wd_module_t wd_http_module;
extern wd_module_t wd_http_core_module;

#include <wd_http_variables.h>
#include <wd_http_request.h>
#include <wd_http_script.h>
#include <wd_http_core_module.h>
#include <wd_http_upstream.h>
#include <wd_http_upstream_round_robin.h>

/* The filter chains: a module inserts itself at postconfiguration by
 * saving the current top and replacing it. */
typedef wd_int_t (*wd_http_output_header_filter_pt)(wd_http_request_t *r);
typedef wd_int_t (*wd_http_output_body_filter_pt)(wd_http_request_t *r,
    wd_chain_t *chain);
typedef wd_int_t (*wd_http_request_body_filter_pt)(wd_http_request_t *r,
    wd_chain_t *chain);

extern wd_http_output_header_filter_pt wd_http_top_header_filter;
extern wd_http_output_body_filter_pt wd_http_top_body_filter;
extern wd_http_request_body_filter_pt wd_http_top_request_body_filter;

/* Sends the response header through the header filters. */
wd_int_t wd_http_send_header(wd_http_request_t *r);
/* Sends body buffers through the body filters (in NULL: flush). */
wd_int_t wd_http_output_filter(wd_http_request_t *r, wd_chain_t *in);
/* The last body filter: writes to the socket. */
wd_int_t wd_http_write_filter(wd_http_request_t *r, wd_chain_t *in);

/* A complete response for a status: the error page (or error_page
 * target) with the right headers. */
wd_int_t wd_http_special_response_handler(wd_http_request_t *r,
    wd_int_t error);
/* For a header filter: replaces the response with error's special
 * response and returns WD_ERROR once that went out (or its own error), so
 * that the handler sends nothing more and the connection is closed. */
wd_int_t wd_http_filter_finalize_request(wd_http_request_t *r,
    wd_module_t *m, wd_int_t error);
void wd_http_clean_header(wd_http_request_t *r);
/* Sends "HTTP/1.1 100 Continue" when the client asked for it. */
wd_int_t wd_http_send_continue(wd_http_request_t *r);

/*
 * The HTTP/1.x parsers (wd_http_parse.c).  They allocate nothing and read
 * only [b->pos, b->last); the incremental ones keep their state in r->state
 * (ctx->state) so the input may arrive a byte at a time in the same buffer,
 * and the pointers they set point into that buffer.  For the line parsers
 * r->state is 0 before a line and again after any result but WD_AGAIN.
 * After an error the message must not be parsed further; b->pos is then
 * the offending byte.
 */

/* The request line (RFC 9112 §3), after any empty lines.  WD_OK: b->pos
 * is past its LF, and request_start, method_end, method, method_name,
 * uri_start/uri_end, args_start, uri_ext, request_end, http_protocol,
 * http_major/minor/version and the uri flags are set (wd_http_request.h).
 * Errors: WD_HTTP_PARSE_INVALID_METHOD, _INVALID_REQUEST, _INVALID_VERSION
 * (HTTP/0.x or 2.x and above: answer 505), _INVALID_09_METHOD. */
wd_int_t wd_http_parse_request_line(wd_http_request_t *r, wd_buf_t *b);

/* One header line.  WD_OK: header_name_start/end, header_start/end (the
 * value without surrounding SP/HTAB), header_hash (wd_hash() of the
 * lowercased name), lowcase_header/lowcase_index (the first
 * WD_HTTP_LC_HEADER_LEN bytes of it and min(name length, that)), and
 * invalid_header = 1 when the name has a byte outside tchar ('_' counts as
 * one unless allow_underscores): the caller ignores or rejects the line.
 * WD_HTTP_PARSE_HEADER_DONE: the empty line ending the header.
 * WD_HTTP_PARSE_INVALID_HEADER: NUL, bare CR, a CTL (HTAB aside) in the
 * value, a CTL or DEL in the name, whitespace before the colon, no colon,
 * an empty name, or a line starting with SP/HTAB (obs-fold).  A line may
 * end in CRLF or a bare LF. */
wd_int_t wd_http_parse_header_line(wd_http_request_t *r, wd_buf_t *b,
    wd_uint_t allow_underscores);

/* Builds r->uri from [uri_start, uri_end): the path (up to the first '?')
 * percent-decoded, "." and ".." segments removed (RFC 3986 §5.2.4), "//"
 * merged when merge_slashes.  r->uri.data must have room for uri_end -
 * uri_start bytes, one more when empty_path_in_uri (the path is then "/").
 * Sets r->uri.len, r->uri_ext (into r->uri.data, NULL: no extension), and
 * r->args when r->args.data is NULL.  WD_HTTP_PARSE_INVALID_REQUEST for a
 * bad %-escape, %00, '#', a path not starting with '/', or ".." above the
 * root.  A decoded "%2F" separates segments; '\' is an ordinary byte. */
wd_int_t wd_http_parse_complex_uri(wd_http_request_t *r,
    wd_uint_t merge_slashes);

#define WD_HTTP_LOG_UNSAFE 1

/* Checks a URI from an upstream header (X-Accel-Redirect) before an
 * internal redirect to it: WD_ERROR (logged at "error" when *flags has
 * WD_HTTP_LOG_UNSAFE) for an empty URI or one starting with '?', NUL, a
 * bad %-escape, or a "." or ".." segment, raw or %-encoded.  On WD_OK,
 * when uri has a '?', args is
 * set to what follows it and uri shortened; else args is left alone. */
wd_int_t wd_http_parse_unsafe_uri(wd_http_request_t *r, wd_str_t *uri,
    wd_str_t *args, wd_uint_t *flags);

/* Finds an element in the values of a header and the headers linked by
 * its next (elements are separated by ',' or ';', with optional SP/HTAB
 * around them); names compare case-insensitively.  With value NULL the
 * element must be name itself ("close" in "keep-alive, Close"); else it
 * must be "name=value" (a cookie), and value is set to the text after '='.
 * Returns the header line where it was found, or NULL. */
wd_table_elt_t *wd_http_parse_multi_header_lines(wd_http_request_t *r,
    wd_table_elt_t *headers, wd_str_t *name, wd_str_t *value);

/* The value of the first argument called name (case-insensitively) in
 * r->args ("a=1&b=2", split on '&' only), as sent (still %-encoded; empty
 * for "a&b"): WD_OK or WD_DECLINED. */
wd_int_t wd_http_arg(wd_http_request_t *r, u_char *name, size_t len,
    wd_str_t *value);
/* Splits "uri?args" at the first '?': args is what follows it (len 0,
 * data NULL when there is none) and uri is shortened. */
void wd_http_split_args(wd_http_request_t *r, wd_str_t *uri, wd_str_t *args);

/* Chunked transfer coding (RFC 9112 §7.1), for request bodies and
 * upstream responses.  The caller zeroes the context before the body; to
 * keep the trailer section it then sets ctx->trailer_pool.
 * wd_http_parse_chunked() returns:
 *   WD_OK     b->pos is at chunk data and ctx->size (> 0) is what is left
 *             of this chunk: the caller takes n = min(size, b->last -
 *             b->pos) bytes, advances b->pos and subtracts n from
 *             ctx->size, and calls again;
 *   WD_DONE   the last chunk and the trailer section (checked) were read:
 *             b->pos is past the final LF.  With a trailer_pool,
 *             ctx->trailers holds the section's field lines as received,
 *             each with its line end (CRLF or LF), the empty line left
 *             out; len 0 (data NULL) when there were none;
 *   WD_AGAIN  all of b was read: call again with more input;
 *   WD_ERROR  invalid: an empty, signed, "0x", space-padded, non-hex or
 *             overflowing size, an over-long extension or trailer
 *             section, a bad trailer line, no line end after the data,
 *             or a bare CR; or no memory for the kept trailers.
 * ctx->length is then a lower bound of the bytes still to come (data and
 * framing), for preallocation.  Line ends are CRLF or a bare LF.  Once it
 * returned WD_DONE or WD_ERROR it returns that again until the context is
 * zeroed.  r is not used (it may be a zeroed request). */
#define WD_HTTP_CHUNK_EXT_MAX 4096      /* extensions of one size line */
#define WD_HTTP_CHUNK_TRAILER_MAX 8192  /* the whole trailer section */

struct wd_http_chunked_s {
    wd_uint_t state;
    off_t size;                 /* of the chunk being read */
    off_t length;               /* what is known to follow */
    wd_uint_t count;            /* bytes of the current size line's digits
                                 * or extensions, or of the trailers */
    wd_pool_t *trailer_pool;    /* NULL: the trailers are skipped; else a
                                 * WD_HTTP_CHUNK_TRAILER_MAX buffer for them
                                 * comes from it at their first byte */
    wd_str_t trailers;          /* the field lines kept so far */
};

wd_int_t wd_http_parse_chunked(wd_http_request_t *r, wd_buf_t *b,
    wd_http_chunked_t *ctx);

/* HTTP status line of an upstream response: "HTTP/1.x NNN reason", 100 <=
 * NNN <= 999, the reason optional (and the SP before it).  WD_OK: b->pos
 * is past its LF; start is the line's first byte, end its CR or LF,
 * code the status, count the reason's length (it ends at end),
 * http_version major * 1000 + minor (also in r->http_major/minor).
 * WD_AGAIN: more input; WD_ERROR: not a status line (another major than
 * 1, a code not 3 digits or below 100, a CTL, no SP after the version). */
typedef struct {
    wd_uint_t http_version;
    wd_uint_t code;
    wd_uint_t count;
    u_char *start;
    u_char *end;
} wd_http_status_t;

wd_int_t wd_http_parse_status_line(wd_http_request_t *r, wd_buf_t *b,
    wd_http_status_t *status);

/* Request lifecycle (wd_http_request.c). */
void wd_http_init_connection(wd_connection_t *c);
void wd_http_close_connection(wd_connection_t *c);
wd_int_t wd_http_process_request_uri(wd_http_request_t *r);
wd_int_t wd_http_process_request_header(wd_http_request_t *r);
void wd_http_process_request(wd_http_request_t *r);
void wd_http_handler(wd_http_request_t *r);
void wd_http_run_posted_requests(wd_connection_t *c);
wd_int_t wd_http_post_request(wd_http_request_t *r, void *pr);
/* Ends a request with rc: WD_DONE, WD_OK, WD_ERROR, WD_AGAIN or a
 * status (sends its special response). */
void wd_http_finalize_request(wd_http_request_t *r, wd_int_t rc);
void wd_http_free_request(wd_http_request_t *r, wd_int_t rc);
void wd_http_close_request(wd_http_request_t *r, wd_int_t rc);
void wd_http_terminate_request(wd_http_request_t *r, wd_int_t rc);
void wd_http_empty_handler(wd_event_t *wev);
void wd_http_request_empty_handler(wd_http_request_t *r);
void wd_http_block_reading(wd_http_request_t *r);
void wd_http_test_reading(wd_http_request_t *r);
wd_int_t wd_http_set_virtual_server(wd_http_request_t *r, wd_str_t *host);
wd_int_t wd_http_validate_host(wd_str_t *host, wd_pool_t *pool,
    wd_uint_t alloc);
u_char *wd_http_log_error_handler(wd_http_request_t *r,
    wd_http_request_t *sr, u_char *buf, size_t len);

/* Request bodies (wd_http_request_body.c). */
wd_int_t wd_http_read_client_request_body(wd_http_request_t *r,
    wd_http_client_body_handler_pt post_handler);
wd_int_t wd_http_read_unbuffered_request_body(wd_http_request_t *r);
wd_int_t wd_http_discard_request_body(wd_http_request_t *r);
void wd_http_discarded_request_body_handler(wd_http_request_t *r);
wd_int_t wd_http_request_body_save_filter(wd_http_request_t *r,
    wd_chain_t *in);

/* Configuration helpers shared by modules (wd_http_core_module.c). */
char *wd_http_types_slot(wd_conf_t *cf, wd_command_t *cmd, void *conf);
char *wd_http_merge_types(wd_conf_t *cf, wd_array_t **keys,
    wd_hash_t *types_hash, wd_array_t **prev_keys, wd_hash_t *prev_types_hash,
    wd_str_t *default_types);
wd_int_t wd_http_set_default_types(wd_conf_t *cf, wd_array_t **types,
    wd_str_t *default_type);

extern wd_str_t wd_http_html_default_types[];
extern wd_uint_t wd_http_max_module;

/* Fixed texts. */
#define WD_HTTP_VERSION_9 9
#define WD_HTTP_VERSION_10 1000
#define WD_HTTP_VERSION_11 1001
#define WD_HTTP_VERSION_20 2000

#define WD_HTTP_LF_IN_HEADER_WARN 1

#endif /* WD_HTTP_H */
