/*
 * A request: what the client sent, what goes back, and the state of its
 * trip through the phases and filters.
 */

#ifndef WD_HTTP_REQUEST_H
#define WD_HTTP_REQUEST_H

#define WD_HTTP_MAX_URI_CHANGES 10
#define WD_HTTP_MAX_SUBREQUESTS 50

/* Header lines this long are too long for the log's request line. */
#define WD_HTTP_LC_HEADER_LEN 32

#define WD_HTTP_DISCARD_BUFFER_SIZE 4096
#define WD_HTTP_LINGERING_BUFFER_SIZE 4096

/* Methods, as bits so limit_except and friends can mask them. */
#define WD_HTTP_UNKNOWN 0x00000001
#define WD_HTTP_GET 0x00000002
#define WD_HTTP_HEAD 0x00000004
#define WD_HTTP_POST 0x00000008
#define WD_HTTP_PUT 0x00000010
#define WD_HTTP_DELETE 0x00000020
#define WD_HTTP_MKCOL 0x00000040
#define WD_HTTP_COPY 0x00000080
#define WD_HTTP_MOVE 0x00000100
#define WD_HTTP_OPTIONS 0x00000200
#define WD_HTTP_PROPFIND 0x00000400
#define WD_HTTP_PROPPATCH 0x00000800
#define WD_HTTP_LOCK 0x00001000
#define WD_HTTP_UNLOCK 0x00002000
#define WD_HTTP_PATCH 0x00004000
#define WD_HTTP_TRACE 0x00008000
#define WD_HTTP_CONNECT 0x00010000

#define WD_HTTP_CONNECTION_CLOSE 1
#define WD_HTTP_CONNECTION_KEEP_ALIVE 2

/* Parser results beyond WD_OK and WD_AGAIN. */
#define WD_HTTP_PARSE_HEADER_DONE 1
#define WD_HTTP_CLIENT_ERROR 10
#define WD_HTTP_PARSE_INVALID_METHOD 10
#define WD_HTTP_PARSE_INVALID_REQUEST 11
#define WD_HTTP_PARSE_INVALID_VERSION 12
#define WD_HTTP_PARSE_INVALID_09_METHOD 13
#define WD_HTTP_PARSE_INVALID_HEADER 14

/* Status codes. */
#define WD_HTTP_CONTINUE 100
#define WD_HTTP_SWITCHING_PROTOCOLS 101
#define WD_HTTP_PROCESSING 102

#define WD_HTTP_OK 200
#define WD_HTTP_CREATED 201
#define WD_HTTP_ACCEPTED 202
#define WD_HTTP_NO_CONTENT 204
#define WD_HTTP_PARTIAL_CONTENT 206

#define WD_HTTP_SPECIAL_RESPONSE 300
#define WD_HTTP_MOVED_PERMANENTLY 301
#define WD_HTTP_MOVED_TEMPORARILY 302
#define WD_HTTP_SEE_OTHER 303
#define WD_HTTP_NOT_MODIFIED 304
#define WD_HTTP_TEMPORARY_REDIRECT 307
#define WD_HTTP_PERMANENT_REDIRECT 308

#define WD_HTTP_BAD_REQUEST 400
#define WD_HTTP_UNAUTHORIZED 401
#define WD_HTTP_FORBIDDEN 403
#define WD_HTTP_NOT_FOUND 404
#define WD_HTTP_NOT_ALLOWED 405
#define WD_HTTP_REQUEST_TIME_OUT 408
#define WD_HTTP_CONFLICT 409
#define WD_HTTP_LENGTH_REQUIRED 411
#define WD_HTTP_PRECONDITION_FAILED 412
#define WD_HTTP_REQUEST_ENTITY_TOO_LARGE 413
#define WD_HTTP_REQUEST_URI_TOO_LARGE 414
#define WD_HTTP_UNSUPPORTED_MEDIA_TYPE 415
#define WD_HTTP_RANGE_NOT_SATISFIABLE 416
#define WD_HTTP_MISDIRECTED_REQUEST 421
#define WD_HTTP_TOO_MANY_REQUESTS 429

/* nginx's own codes, never sent as such. */
#define WD_HTTP_CLOSE 444                   /* close without a response */
#define WD_HTTP_NGINX_CODES 494
#define WD_HTTP_REQUEST_HEADER_TOO_LARGE 494
#define WD_HTTPS_CERT_ERROR 495
#define WD_HTTPS_NO_CERT 496
#define WD_HTTP_TO_HTTPS 497
#define WD_HTTP_CLIENT_CLOSED_REQUEST 499

#define WD_HTTP_INTERNAL_SERVER_ERROR 500
#define WD_HTTP_NOT_IMPLEMENTED 501
#define WD_HTTP_BAD_GATEWAY 502
#define WD_HTTP_SERVICE_UNAVAILABLE 503
#define WD_HTTP_GATEWAY_TIME_OUT 504
#define WD_HTTP_VERSION_NOT_SUPPORTED 505
#define WD_HTTP_INSUFFICIENT_STORAGE 507

/* Why the connection is kept busy: buffered output of these kinds. */
#define WD_HTTP_LOWLEVEL_BUFFERED 0xf0
#define WD_HTTP_WRITE_BUFFERED 0x10
#define WD_HTTP_GZIP_BUFFERED 0x20
#define WD_HTTP_SSI_BUFFERED 0x01
#define WD_HTTP_SUB_BUFFERED 0x02
#define WD_HTTP_COPY_BUFFERED 0x04

/* The state of a request, for stub_status and the log's action text. */
typedef enum {
    WD_HTTP_INITING_REQUEST_STATE = 0,
    WD_HTTP_READING_REQUEST_STATE,
    WD_HTTP_PROCESS_REQUEST_STATE,
    WD_HTTP_CONNECT_UPSTREAM_STATE,
    WD_HTTP_WRITING_UPSTREAM_STATE,
    WD_HTTP_READING_UPSTREAM_STATE,
    WD_HTTP_WRITING_REQUEST_STATE,
    WD_HTTP_LINGERING_CLOSE_STATE,
    WD_HTTP_KEEPALIVE_STATE
} wd_http_state_e;

/* How a known request header is stored (wd_http_headers_in table). */
typedef struct {
    wd_str_t name;
    wd_uint_t offset;
    wd_int_t (*handler)(wd_http_request_t *r, wd_table_elt_t *h,
        wd_uint_t offset);
} wd_http_header_t;

typedef struct {
    wd_list_t headers;          /* wd_table_elt_t */

    wd_table_elt_t *host;
    wd_table_elt_t *connection;
    wd_table_elt_t *if_modified_since;
    wd_table_elt_t *if_unmodified_since;
    wd_table_elt_t *if_match;
    wd_table_elt_t *if_none_match;
    wd_table_elt_t *user_agent;
    wd_table_elt_t *referer;
    wd_table_elt_t *content_length;
    wd_table_elt_t *content_range;
    wd_table_elt_t *content_type;
    wd_table_elt_t *range;
    wd_table_elt_t *if_range;
    wd_table_elt_t *transfer_encoding;
    wd_table_elt_t *te;
    wd_table_elt_t *expect;
    wd_table_elt_t *upgrade;
    wd_table_elt_t *accept_encoding;
    wd_table_elt_t *via;
    wd_table_elt_t *authorization;
    wd_table_elt_t *keep_alive;
    wd_table_elt_t *x_forwarded_for;
    wd_table_elt_t *x_real_ip;
    wd_table_elt_t *accept;
    wd_table_elt_t *accept_language;
    wd_table_elt_t *cookie;

    wd_str_t user;              /* from Basic authorization */
    wd_str_t passwd;

    wd_str_t server;            /* the host the request names */
    off_t content_length_n;
    time_t keep_alive_n;

    unsigned connection_type:2;
    unsigned chunked:1;
    unsigned multi:1;
    unsigned multi_linked:1;
    unsigned msie:1;
    unsigned msie6:1;
    unsigned opera:1;
    unsigned gecko:1;
    unsigned chrome:1;
    unsigned safari:1;
    unsigned konqueror:1;
} wd_http_headers_in_t;

typedef struct {
    wd_list_t headers;          /* wd_table_elt_t, extra headers */
    wd_list_t trailers;

    wd_uint_t status;
    wd_str_t status_line;

    wd_table_elt_t *server;
    wd_table_elt_t *date;
    wd_table_elt_t *content_length;
    wd_table_elt_t *content_encoding;
    wd_table_elt_t *location;
    wd_table_elt_t *refresh;
    wd_table_elt_t *last_modified;
    wd_table_elt_t *content_range;
    wd_table_elt_t *accept_ranges;
    wd_table_elt_t *www_authenticate;
    wd_table_elt_t *expires;
    wd_table_elt_t *etag;
    wd_table_elt_t *cache_control;
    wd_table_elt_t *link;

    wd_str_t *override_charset;

    size_t content_type_len;    /* without "; charset=" */
    wd_str_t content_type;
    wd_str_t charset;
    u_char *content_type_lowcase;
    wd_uint_t content_type_hash;

    off_t content_length_n;     /* -1: unknown */
    off_t content_offset;
    time_t date_time;
    time_t last_modified_time;  /* -1: none */
} wd_http_headers_out_t;

typedef void (*wd_http_client_body_handler_pt)(wd_http_request_t *r);

typedef struct {
    wd_temp_file_t *temp_file;
    wd_chain_t *bufs;           /* the body, in memory and/or the file */
    wd_chain_t *bufs_last;      /* the last link of bufs, when it has any */
    wd_buf_t *buf;
    off_t rest;                 /* bytes still to read, -1 unknown */
    off_t received;
    wd_chain_t *free;
    wd_chain_t *busy;
    wd_http_chunked_t *chunked;
    wd_http_client_body_handler_pt post_handler;
    unsigned filter_need_buffering:1;
    unsigned last_sent:1;
    unsigned last_saved:1;
} wd_http_request_body_t;

/* The HTTP state of a connection, which outlives its requests. */
typedef struct {
    void *addr_conf;            /* wd_http_addr_conf_t: the default server */
    wd_http_conf_ctx_t *conf_ctx;

    wd_chain_t *busy;           /* large header buffers in use */
    wd_int_t nbusy;
    wd_chain_t *free;

    unsigned ssl:1;
    unsigned proxy_protocol:1;
} wd_http_connection_t;

typedef void (*wd_http_event_handler_pt)(wd_http_request_t *r);
typedef void (*wd_http_cleanup_pt)(void *data);

typedef struct wd_http_cleanup_s wd_http_cleanup_t;

struct wd_http_cleanup_s {
    wd_http_cleanup_pt handler;
    void *data;
    wd_http_cleanup_t *next;
};

typedef struct wd_http_posted_request_s wd_http_posted_request_t;

struct wd_http_posted_request_s {
    wd_http_request_t *request;
    wd_http_posted_request_t *next;
};

typedef wd_int_t (*wd_http_handler_pt)(wd_http_request_t *r);

struct wd_http_request_s {
    wd_connection_t *connection;

    void **ctx;                 /* each module's per-request state */
    void **main_conf;
    void **srv_conf;
    void **loc_conf;

    wd_http_event_handler_pt read_event_handler;
    wd_http_event_handler_pt write_event_handler;

    void *upstream;             /* wd_http_upstream_t */
    wd_array_t *upstream_states;

    wd_pool_t *pool;
    wd_buf_t *header_in;        /* where the request header was read */

    wd_http_headers_in_t headers_in;
    wd_http_headers_out_t headers_out;

    wd_http_request_body_t *request_body;

    time_t lingering_time;
    time_t start_sec;
    wd_msec_t start_msec;

    wd_uint_t method;
    wd_uint_t http_version;

    wd_str_t request_line;
    wd_str_t uri;               /* decoded, normalized */
    wd_str_t args;
    wd_str_t exten;             /* the file extension of uri */
    wd_str_t unparsed_uri;      /* as the client sent it */

    wd_str_t method_name;
    wd_str_t http_protocol;
    wd_str_t schema;

    wd_chain_t *out;            /* output the write filter holds */
    wd_http_request_t *main;
    wd_http_request_t *parent;
    wd_http_posted_request_t *posted_requests;

    wd_int_t phase_handler;     /* index into the phase engine */
    wd_http_handler_pt content_handler;
    wd_uint_t access_code;

    wd_http_variable_value_t *variables;

    wd_uint_t ncaptures;
    int *captures;              /* of the last regex match */
    u_char *captures_data;

    size_t limit_rate;
    size_t limit_rate_after;

    size_t header_size;         /* of the response header */
    off_t request_length;       /* bytes read from the client */

    wd_uint_t err_status;

    wd_http_connection_t *http_connection;

    wd_http_log_handler_pt log_handler;
    wd_http_cleanup_t *cleanup;

    unsigned count:16;          /* references; the request ends at 0 */
    unsigned subrequests:8;
    unsigned blocked:8;

    unsigned http_state:4;
    unsigned complex_uri:1;     /* "%", "/.", "//" seen in the uri */
    unsigned quoted_uri:1;
    unsigned plus_in_uri:1;
    unsigned empty_path_in_uri:1;
    unsigned invalid_header:1;
    unsigned add_uri_to_alias:1;
    unsigned valid_location:1;
    unsigned valid_unparsed_uri:1;
    unsigned uri_changed:1;
    unsigned uri_changes:4;

    unsigned request_body_in_single_buf:1;
    unsigned request_body_in_file_only:1;
    unsigned request_body_in_persistent_file:1;
    unsigned request_body_in_clean_file:1;
    unsigned request_body_file_group_access:1;
    unsigned request_body_file_log_level:3;
    unsigned request_body_no_buffering:1;

    unsigned subrequest_in_memory:1;
    unsigned waited:1;
    unsigned gzip_tested:1;
    unsigned gzip_ok:1;
    unsigned gzip_vary:1;
    unsigned realloc_captures:1;
    unsigned proxy:1;
    unsigned limit_rate_set:1;
    unsigned limit_rate_after_set:1;
    unsigned pipeline:1;        /* another request follows in the buffer */
    unsigned chunked:1;         /* the response is sent chunked */
    unsigned header_only:1;     /* HEAD, 304, 204: no body */
    unsigned expect_trailers:1;
    unsigned keepalive:1;
    unsigned lingering_close:1;
    unsigned discard_body:1;
    unsigned reading_body:1;
    unsigned internal:1;        /* after an internal redirect */
    unsigned error_page:1;
    unsigned filter_finalize:1;
    unsigned post_action:1;
    unsigned request_complete:1;
    unsigned request_output:1;
    unsigned header_sent:1;
    unsigned expect_tested:1;
    unsigned root_tested:1;
    unsigned done:1;
    unsigned logged:1;
    unsigned terminated:1;
    unsigned buffered:4;
    unsigned main_filter_need_in_memory:1;
    unsigned filter_need_in_memory:1;
    unsigned filter_need_temporary:1;
    unsigned preserve_body:1;
    unsigned allow_ranges:1;
    unsigned subrequest_ranges:1;
    unsigned single_range:1;
    unsigned disable_not_modified:1;
    unsigned stat_reading:1;
    unsigned stat_writing:1;
    unsigned stat_processing:1;
    unsigned background:1;
    unsigned health_check:1;

    /* the parser's state (wd_http_parse.c); every end is exclusive */
    wd_uint_t state;
    wd_uint_t header_hash;
    wd_uint_t lowcase_index;
    u_char lowcase_header[WD_HTTP_LC_HEADER_LEN];

    u_char *header_name_start;
    u_char *header_name_end;    /* the colon */
    u_char *header_start;       /* the value, without SP/HTAB around it */
    u_char *header_end;

    u_char *uri_start;          /* the request-target ("/", "*", "?" of
                                 * "http://h?a", host of CONNECT) */
    u_char *uri_end;
    u_char *uri_ext;            /* after the last '.' of the last segment;
                                 * NULL: none */
    u_char *args_start;         /* after the '?'; NULL: none */
    u_char *request_start;      /* the method */
    u_char *request_end;        /* the CR or LF ending the request line */
    u_char *method_end;         /* the SP after the method (not the last
                                 * byte of it as in nginx) */
    u_char *schema_start;       /* absolute-form only */
    u_char *schema_end;         /* the ':' */
    u_char *host_start;         /* absolute- and authority-form; "[...]"
                                 * kept for an IP literal */
    u_char *host_end;
    u_char *port_start;         /* after the ':'; NULL: no port */
    u_char *port_end;

    unsigned http_minor:16;
    unsigned http_major:16;
};

/* The log handler context of a request's connection. */
struct wd_http_log_ctx_s {
    wd_connection_t *connection;
    wd_http_request_t *request;
    wd_http_request_t *current_request;
};

extern wd_http_header_t wd_http_headers_in[];
extern wd_http_header_t wd_http_headers_out[];

wd_http_cleanup_t *wd_http_cleanup_add(wd_http_request_t *r, size_t size);

#define wd_http_ephemeral(r) (void *) (&r->uri_start)

#define wd_http_set_log_request(log, r)                                        \
    ((wd_http_log_ctx_t *) log->data)->current_request = r

#endif /* WD_HTTP_REQUEST_H */
