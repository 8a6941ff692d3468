/*
 * The upstream core: "upstream" blocks, and the life of a request sent to
 * an upstream server on behalf of a protocol module (proxy): peer choice,
 * connect, send, read the header, relay the body, retries, keep-alive
 * connections, and the $upstream_* variables.
 */

#ifndef WD_HTTP_UPSTREAM_H
#define WD_HTTP_UPSTREAM_H

/* proxy_next_upstream conditions (also what went wrong with a peer). */
#define WD_HTTP_UPSTREAM_FT_ERROR 0x00000002
#define WD_HTTP_UPSTREAM_FT_TIMEOUT 0x00000004
#define WD_HTTP_UPSTREAM_FT_INVALID_HEADER 0x00000008
#define WD_HTTP_UPSTREAM_FT_HTTP_500 0x00000010
#define WD_HTTP_UPSTREAM_FT_HTTP_502 0x00000020
#define WD_HTTP_UPSTREAM_FT_HTTP_503 0x00000040
#define WD_HTTP_UPSTREAM_FT_HTTP_504 0x00000080
#define WD_HTTP_UPSTREAM_FT_HTTP_403 0x00000100
#define WD_HTTP_UPSTREAM_FT_HTTP_404 0x00000200
#define WD_HTTP_UPSTREAM_FT_HTTP_429 0x00000400
#define WD_HTTP_UPSTREAM_FT_NON_IDEMPOTENT 0x00004000
/* proxy_buffering off: at most this much is relayed for one connection
 * in one turn of the event loop before the others get theirs */
#define WD_HTTP_UPSTREAM_TURN_MAX (64 * 1024)

#define WD_HTTP_UPSTREAM_FT_NOLIVE 0x40000000
#define WD_HTTP_UPSTREAM_FT_OFF 0x80000000

#define WD_HTTP_UPSTREAM_FT_STATUS                                             \
    (WD_HTTP_UPSTREAM_FT_HTTP_500 | WD_HTTP_UPSTREAM_FT_HTTP_502               \
     | WD_HTTP_UPSTREAM_FT_HTTP_503 | WD_HTTP_UPSTREAM_FT_HTTP_504             \
     | WD_HTTP_UPSTREAM_FT_HTTP_403 | WD_HTTP_UPSTREAM_FT_HTTP_404             \
     | WD_HTTP_UPSTREAM_FT_HTTP_429)

/* process_header's answer for a response it cannot use. */
#define WD_HTTP_UPSTREAM_INVALID_HEADER 40

/* proxy_ignore_headers */
#define WD_HTTP_UPSTREAM_IGN_XA_REDIRECT 0x00000002
#define WD_HTTP_UPSTREAM_IGN_XA_EXPIRES 0x00000004
#define WD_HTTP_UPSTREAM_IGN_EXPIRES 0x00000008
#define WD_HTTP_UPSTREAM_IGN_CACHE_CONTROL 0x00000010
#define WD_HTTP_UPSTREAM_IGN_SET_COOKIE 0x00000020
#define WD_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE 0x00000040
#define WD_HTTP_UPSTREAM_IGN_XA_BUFFERING 0x00000080
#define WD_HTTP_UPSTREAM_IGN_XA_CHARSET 0x00000100
#define WD_HTTP_UPSTREAM_IGN_VARY 0x00000200

/* Which "server" parameters an upstream block's balancer allows. */
#define WD_HTTP_UPSTREAM_CREATE 0x0001      /* an explicit upstream {} */
#define WD_HTTP_UPSTREAM_WEIGHT 0x0002
#define WD_HTTP_UPSTREAM_MAX_FAILS 0x0004
#define WD_HTTP_UPSTREAM_FAIL_TIMEOUT 0x0008
#define WD_HTTP_UPSTREAM_DOWN 0x0010
#define WD_HTTP_UPSTREAM_BACKUP 0x0020
#define WD_HTTP_UPSTREAM_MAX_CONNS 0x0100

/* One try of a request at one peer: what the $upstream_* lists show. */
typedef struct {
    wd_uint_t status;
    wd_msec_t response_time;
    wd_msec_t connect_time;     /* (wd_msec_t) -1: not connected */
    wd_msec_t header_time;      /* (wd_msec_t) -1: no header */
    off_t response_length;
    off_t bytes_received;
    off_t bytes_sent;
    wd_str_t *peer;
} wd_http_upstream_state_t;

typedef struct {
    wd_hash_t headers_in_hash;  /* how each upstream header is handled */
    wd_array_t upstreams;       /* wd_http_upstream_srv_conf_t * */
} wd_http_upstream_main_conf_t;

typedef struct wd_http_upstream_srv_conf_s wd_http_upstream_srv_conf_t;

typedef wd_int_t (*wd_http_upstream_init_pt)(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us);
typedef wd_int_t (*wd_http_upstream_init_peer_pt)(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us);

/* The balancer of a group: init_upstream at configuration time, init for
 * each request (sets r->upstream->peer.get/free/data). */
typedef struct {
    wd_http_upstream_init_pt init_upstream;
    wd_http_upstream_init_peer_pt init;
    void *data;
} wd_http_upstream_peer_t;

/* A "server" line of an upstream block. */
typedef struct {
    wd_str_t name;
    wd_addr_t *addrs;
    wd_uint_t naddrs;
    wd_uint_t weight;
    wd_uint_t max_conns;
    wd_uint_t max_fails;
    time_t fail_timeout;
    unsigned down:1;
    unsigned backup:1;
} wd_http_upstream_server_t;

struct wd_http_upstream_srv_conf_s {
    wd_http_upstream_peer_t peer;
    void **srv_conf;            /* the block's confs, for balancer modules */

    wd_array_t *servers;        /* wd_http_upstream_server_t */

    wd_uint_t flags;
    wd_str_t host;              /* the block's name, or proxy_pass's host */
    u_char *file_name;
    wd_uint_t line;
    in_port_t port;
    wd_uint_t no_port;          /* proxy_pass named no port */

    wd_shm_zone_t *shm_zone;    /* "zone" */

    unsigned hc_mandatory:1;    /* new peers wait for a passed check */
};

typedef struct {
    wd_addr_t *addr;
    wd_http_complex_value_t *value;
    unsigned transparent:1;
} wd_http_upstream_local_t;

/* The upstream part of a protocol module's location conf. */
typedef struct {
    wd_http_upstream_srv_conf_t *upstream;

    wd_msec_t connect_timeout;
    wd_msec_t send_timeout;
    wd_msec_t read_timeout;
    wd_msec_t next_upstream_timeout;

    size_t buffer_size;
    size_t busy_buffers_size;
    size_t max_temp_file_size;
    size_t temp_file_write_size;
    size_t busy_buffers_size_conf;
    size_t max_temp_file_size_conf;
    size_t temp_file_write_size_conf;

    wd_bufs_t bufs;

    wd_uint_t ignore_headers;
    wd_uint_t next_upstream;
    wd_uint_t next_upstream_tries;

    wd_flag_t buffering;
    wd_flag_t request_buffering;
    wd_flag_t pass_request_headers;
    wd_flag_t pass_request_body;
    wd_flag_t ignore_client_abort;
    wd_flag_t intercept_errors;
    wd_flag_t socket_keepalive;
    wd_flag_t force_ranges;

    wd_http_complex_value_t *limit_rate;
    wd_path_t *temp_path;

    wd_hash_t hide_headers_hash;
    wd_array_t *hide_headers;   /* wd_str_t */
    wd_array_t *pass_headers;   /* wd_str_t */

    wd_http_upstream_local_t *local;

    wd_str_t module;            /* "proxy", for messages */
} wd_http_upstream_conf_t;

/* How the upstream core treats one response header. */
typedef struct {
    wd_str_t name;
    wd_int_t (*handler)(wd_http_request_t *r, wd_table_elt_t *h,
        wd_uint_t offset);
    wd_uint_t offset;
    wd_int_t (*copy_handler)(wd_http_request_t *r, wd_table_elt_t *h,
        wd_uint_t offset);
    wd_uint_t conf;
    wd_uint_t redirect;         /* rewritten by proxy_redirect */
} wd_http_upstream_header_t;

typedef struct {
    wd_list_t headers;          /* wd_table_elt_t, as received */
    wd_list_t trailers;

    wd_uint_t status_n;
    wd_str_t status_line;

    wd_table_elt_t *date;
    wd_table_elt_t *server;
    wd_table_elt_t *connection;
    wd_table_elt_t *location;
    wd_table_elt_t *refresh;
    wd_table_elt_t *content_type;
    wd_table_elt_t *content_length;
    wd_table_elt_t *last_modified;
    wd_table_elt_t *transfer_encoding;
    wd_table_elt_t *keep_alive;
    wd_table_elt_t *x_accel_redirect;
    wd_table_elt_t *x_accel_limit_rate;
    wd_table_elt_t *x_accel_buffering;
    wd_table_elt_t *set_cookie;
    wd_table_elt_t *upgrade;

    off_t content_length_n;     /* -1: none */
    time_t last_modified_time;
    time_t keep_alive_timeout;  /* "Keep-Alive: timeout=N", -1: none */

    unsigned connection_close:1;
    unsigned chunked:1;
} wd_http_upstream_headers_in_t;

/* A proxy_pass target named by variables, resolved per request. */
typedef struct {
    wd_str_t host;
    in_port_t port;
    wd_uint_t no_port;
    wd_addr_t *addrs;
    wd_uint_t naddrs;
} wd_http_upstream_resolved_t;

typedef struct wd_http_upstream_s wd_http_upstream_t;

typedef void (*wd_http_upstream_handler_pt)(wd_http_request_t *r,
    wd_http_upstream_t *u);

struct wd_http_upstream_s {
    wd_http_upstream_handler_pt read_event_handler;
    wd_http_upstream_handler_pt write_event_handler;

    wd_peer_connection_t peer;

    wd_chain_t *request_bufs;   /* the request to send, built once */
    wd_chain_t *request_out;    /* what is left of it on this try */

    wd_http_upstream_conf_t *conf;
    wd_http_upstream_srv_conf_t *upstream;

    wd_http_upstream_headers_in_t headers_in;
    wd_http_upstream_resolved_t *resolved;

    wd_buf_t buffer;            /* the header, then the body's first bytes */
    wd_buf_t *tunnel_up;        /* after a 101: client to upstream bytes */

    off_t length;               /* body bytes still expected, -1: unknown */

    /* the body's way to the client: raw read buffers, and slices of them
     * (without framing) given to the output filters */
    wd_chain_t *raw_free;       /* read buffers to reuse */
    wd_chain_t *raw_all;        /* every read buffer, for the busy test */
    wd_uint_t raw_n;            /* read buffers made so far */
    wd_chain_t *out_bufs;       /* slices waiting for the filters */
    wd_chain_t **last_out;
    wd_chain_t *busy_bufs;
    wd_chain_t *free_bufs;
    wd_buf_tag_t tag;

    /* buffering on and every buffer waiting for the client: the body
     * goes on through a temporary file */
    wd_temp_file_t *temp_file;
    wd_buf_t *temp_buf;         /* read into, written out at once */

    /* the protocol module's hooks */
    wd_int_t (*create_request)(wd_http_request_t *r);
    wd_int_t (*reinit_request)(wd_http_request_t *r);
    /* a request body streamed as it comes (r->request_body_no_buffering):
     * frames the part in (NULL: none) into *out; last: the body ends
     * with it.  The previous part has been sent whole by then. */
    wd_int_t (*body_part)(wd_http_request_t *r, wd_chain_t *in,
        wd_uint_t last, wd_chain_t **out);
    wd_int_t (*process_header)(wd_http_request_t *r);
    void (*finalize_request)(wd_http_request_t *r, wd_int_t rc);
    wd_int_t (*rewrite_redirect)(wd_http_request_t *r, wd_table_elt_t *h,
        size_t prefix);
    wd_int_t (*rewrite_cookie)(wd_http_request_t *r, wd_table_elt_t *h);
    /* input_filter_init once the header is in; input_filter takes bytes
     * just read at b->last - bytes .. b->last of raw buffer b and adds
     * slices to out_bufs with wd_http_upstream_add_slice() */
    wd_int_t (*input_filter_init)(void *data);
    wd_int_t (*input_filter)(void *data, wd_buf_t *b, ssize_t bytes);
    void *input_filter_ctx;

    wd_msec_t start_time;       /* of this try */
    wd_msec_t first_try_time;   /* for next_upstream_timeout */
    wd_http_upstream_state_t *state;

    wd_str_t method;
    wd_str_t schema;            /* "http://" */
    wd_str_t uri;

    wd_http_cleanup_pt *cleanup;

    off_t limit_rate;

    unsigned buffering:1;
    unsigned keepalive:1;       /* the connection may serve another request */
    unsigned upgrade:1;         /* 101: a tunnel */
    unsigned request_sent:1;
    unsigned request_body_sent:1;
    unsigned body_streaming:1;  /* more of the body is to come from the
                                 * client */
    unsigned body_let_go:1;     /* a streamed part was sent and dropped:
                                 * this try cannot be repeated */
    unsigned header_sent:1;
    unsigned response_byte:1;   /* any byte came on this connection */
    unsigned fresh_retry:1;     /* the cached connection failed silently:
                                 * retry once on a new one */
    unsigned no_cache_peer:1;   /* do not take a cached connection */
    unsigned error:1;
    unsigned eof:1;             /* the upstream closed its side */
    unsigned done:1;            /* the body is complete */
    unsigned client_eof:1;      /* (tunnel) the client closed its side */
};

/* A slice of raw buffer b from pos to last, appended to u->out_bufs. */
wd_int_t wd_http_upstream_add_slice(wd_http_upstream_t *u, wd_pool_t *pool,
    wd_buf_t *b, u_char *pos, u_char *last);

wd_int_t wd_http_upstream_create(wd_http_request_t *r);
/* Copies the response header to r->headers_out: WD_OK, or a status. */
wd_int_t wd_http_upstream_process_headers(wd_http_request_t *r,
    wd_http_upstream_t *u);
/* For X-Accel-Redirect: copies only the headers that go with the new
 * location's response (Content-Type, Set-Cookie, ...), as nginx. */
wd_int_t wd_http_upstream_copy_redirect_headers(wd_http_request_t *r,
    wd_http_upstream_t *u);
/* Keeps the upstream's WWW-Authenticate for an intercepted 401. */
void wd_http_upstream_copy_www_authenticate(wd_http_request_t *r,
    wd_http_upstream_t *u);
void wd_http_upstream_init(wd_http_request_t *r);

/* Finds or creates the upstream group named by u->url (an explicit
 * upstream block with that name, or an implicit one of its addresses). */
wd_http_upstream_srv_conf_t *wd_http_upstream_add(wd_conf_t *cf,
    wd_url_t *u, wd_uint_t flags);

/* For a balancing directive (least_conn, hash, ...): makes init the
 * group's balancer (warning "load balancing method redefined" over an
 * earlier one) and sets the "server" parameters it allows, "backup" only
 * if backup.  Returns the group. */
wd_http_upstream_srv_conf_t *wd_http_upstream_set_balancer(wd_conf_t *cf,
    wd_http_upstream_init_pt init, wd_uint_t backup);

char *wd_http_upstream_bind_set_slot(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
char *wd_http_upstream_param_set_slot(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
/* Builds hide_headers_hash from conf's and prev's lists and the module's
 * default hidden headers. */
wd_int_t wd_http_upstream_hide_headers_hash(wd_conf_t *cf,
    wd_http_upstream_conf_t *conf, wd_http_upstream_conf_t *prev,
    wd_str_t *default_hide_headers);

#define wd_http_conf_upstream_srv_conf(uscf, module)                           \
    uscf->srv_conf[module.ctx_index]

extern wd_module_t wd_http_upstream_module;
extern wd_conf_bitmask_t wd_http_upstream_cache_method_mask[];
extern wd_conf_bitmask_t wd_http_upstream_ignore_headers_masks[];

#endif /* WD_HTTP_UPSTREAM_H */
