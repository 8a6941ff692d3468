/*
 * The HTTP core: its confs at the three levels, listen sockets and
 * virtual servers, locations, the phases, and the core's helpers.
 */

#ifndef WD_HTTP_CORE_MODULE_H
#define WD_HTTP_CORE_MODULE_H

#define WD_HTTP_GZIP_PROXIED_OFF 0x0002

#define WD_HTTP_AIO_OFF 0
#define WD_HTTP_LINGERING_OFF 0
#define WD_HTTP_LINGERING_ON 1
#define WD_HTTP_LINGERING_ALWAYS 2

#define WD_HTTP_IMS_OFF 0
#define WD_HTTP_IMS_EXACT 1
#define WD_HTTP_IMS_BEFORE 2

#define WD_HTTP_KEEPALIVE_DISABLE_NONE 0x0002
#define WD_HTTP_KEEPALIVE_DISABLE_MSIE6 0x0004
#define WD_HTTP_KEEPALIVE_DISABLE_SAFARI 0x0008

#define WD_HTTP_SERVER_TOKENS_OFF 0
#define WD_HTTP_SERVER_TOKENS_ON 1
#define WD_HTTP_SERVER_TOKENS_BUILD 2

#define WD_HTTP_SATISFY_ALL 0
#define WD_HTTP_SATISFY_ANY 1

#define WD_HTTP_DISABLE_SYMLINKS_OFF 0
#define WD_HTTP_DISABLE_SYMLINKS_ON 1
#define WD_HTTP_DISABLE_SYMLINKS_NOTOWNER 2

/* The options of one "listen" directive. */
typedef struct {
    struct sockaddr *sockaddr;
    socklen_t socklen;
    wd_str_t addr_text;

    unsigned set:1;             /* a socket option was given */
    unsigned default_server:1;
    unsigned bind:1;
    unsigned wildcard:1;
    unsigned ssl:1;
    unsigned http2:1;
    unsigned ipv6only:1;
    unsigned deferred_accept:1;
    unsigned reuseport:1;
    unsigned so_keepalive:2;
    unsigned proxy_protocol:1;

    int backlog;
    int rcvbuf;
    int sndbuf;
    int keepidle;
    int keepintvl;
    int keepcnt;
} wd_http_listen_opt_t;

typedef enum {
    WD_HTTP_POST_READ_PHASE = 0,
    WD_HTTP_SERVER_REWRITE_PHASE,
    WD_HTTP_FIND_CONFIG_PHASE,
    WD_HTTP_REWRITE_PHASE,
    WD_HTTP_POST_REWRITE_PHASE,
    WD_HTTP_PREACCESS_PHASE,
    WD_HTTP_ACCESS_PHASE,
    WD_HTTP_POST_ACCESS_PHASE,
    WD_HTTP_PRECONTENT_PHASE,
    WD_HTTP_CONTENT_PHASE,
    WD_HTTP_LOG_PHASE
} wd_http_phases;

typedef struct wd_http_phase_handler_s wd_http_phase_handler_t;

/* Runs a phase handler and decides where the request goes next. */
typedef wd_int_t (*wd_http_phase_handler_pt)(wd_http_request_t *r,
    wd_http_phase_handler_t *ph);

struct wd_http_phase_handler_s {
    wd_http_phase_handler_pt checker;
    wd_http_handler_pt handler;
    wd_uint_t next;             /* the first handler of the next phase */
};

typedef struct {
    wd_http_phase_handler_t *handlers;
    wd_uint_t server_rewrite_index;
    wd_uint_t location_rewrite_index;
} wd_http_phase_engine_t;

typedef struct {
    wd_array_t handlers;        /* wd_http_handler_pt */
} wd_http_phase_t;

typedef struct {
    wd_array_t servers;         /* wd_http_core_srv_conf_t * */

    wd_http_phase_engine_t phase_engine;

    wd_hash_t headers_in_hash;
    wd_hash_t variables_hash;

    wd_array_t variables;       /* wd_http_variable_t, by index */
    wd_array_t prefix_variables;
    wd_uint_t ncaptures;

    wd_uint_t server_names_hash_max_size;
    wd_uint_t server_names_hash_bucket_size;
    wd_uint_t variables_hash_max_size;
    wd_uint_t variables_hash_bucket_size;

    wd_hash_keys_arrays_t *variables_keys;

    wd_array_t *ports;          /* wd_http_conf_port_t */

    wd_http_phase_t phases[WD_HTTP_LOG_PHASE + 1];
} wd_http_core_main_conf_t;

typedef struct {
    wd_array_t server_names;    /* wd_http_server_name_t */

    wd_http_conf_ctx_t *ctx;    /* the server{} block's confs */

    u_char *file_name;
    wd_uint_t line;

    wd_str_t server_name;       /* the first name, for redirects */

    size_t connection_pool_size;
    size_t request_pool_size;
    size_t client_header_buffer_size;

    wd_bufs_t large_client_header_buffers;

    wd_msec_t client_header_timeout;

    wd_flag_t ignore_invalid_headers;
    wd_flag_t merge_slashes;
    wd_flag_t underscores_in_headers;

    unsigned listen:1;          /* has a "listen" of its own */
    unsigned captures:1;        /* a regex name with captures */

    wd_http_core_loc_conf_t **named_locations;
} wd_http_core_srv_conf_t;

typedef struct {
    wd_http_regex_t *regex;     /* NULL: a plain name */
    wd_http_core_srv_conf_t *server;
    wd_str_t name;
} wd_http_server_name_t;

/* The virtual servers reachable on one address. */
typedef struct {
    wd_hash_combined_t names;
    wd_http_core_srv_conf_t *empty;     /* the first to name "" */
    wd_uint_t nregex;
    wd_http_server_name_t *regex;
} wd_http_virtual_names_t;

typedef struct {
    wd_http_core_srv_conf_t *default_server;
    wd_http_virtual_names_t *virtual_names;

    unsigned ssl:1;
    unsigned http2:1;
    unsigned proxy_protocol:1;
} wd_http_addr_conf_t;

/* A listening socket's addresses (one, or several on a wildcard). */
typedef struct {
    wd_sockaddr_t sockaddr;
    socklen_t socklen;
    wd_http_addr_conf_t conf;
} wd_http_in_addr_t;

typedef struct {
    wd_http_in_addr_t *addrs;
    wd_uint_t naddrs;           /* >1: look the address up per connection */
} wd_http_port_t;

/* Configuration-time collection of listen addresses. */
typedef struct {
    int family;
    in_port_t port;
    wd_array_t addrs;           /* wd_http_conf_addr_t */
} wd_http_conf_port_t;

typedef struct {
    wd_http_listen_opt_t opt;

    unsigned protocols:3;
    unsigned protocols_set:1;
    unsigned protocols_changed:1;

    wd_uint_t nregex;
    wd_http_server_name_t *regex;

    wd_http_core_srv_conf_t *default_server;
    wd_array_t servers;         /* wd_http_core_srv_conf_t * */
} wd_http_conf_addr_t;

/* error_page CODE ... [=RESPONSE] URI */
typedef struct {
    wd_int_t status;
    wd_int_t overwrite;         /* -1 keep, 0 the target's, else a code */
    wd_http_complex_value_t value;
    wd_str_t args;
} wd_http_err_page_t;

/* One try_files item. */
typedef struct {
    wd_http_complex_value_t value;
    wd_uint_t code;             /* "=404" as the last item */
    unsigned test_dir:1;        /* "dir/" checks a directory */
    unsigned named:1;           /* "@fallback" */
} wd_http_try_file_t;

/* A node of the prefix-location trie. */
typedef struct wd_http_location_node_s wd_http_location_node_t;

struct wd_http_location_node_s {
    u_char *label;              /* the bytes on the edge into this node */
    size_t len;
    wd_http_core_loc_conf_t *exact;     /* "location = /x" */
    wd_http_core_loc_conf_t *inclusive; /* "location /x" or "^~ /x" */
    wd_http_location_node_t **children; /* sorted by first byte */
    wd_uint_t nchildren;
};

typedef struct {
    wd_uint_t mask;             /* methods let through limit_except */
} wd_http_limit_except_t;

struct wd_http_core_loc_conf_s {
    wd_str_t name;              /* the location's text ("/", "@x") */
    wd_str_t escaped_name;

    wd_http_regex_t *regex;

    unsigned noname:1;          /* "if", "limit_except" */
    unsigned lmt_excpt:1;
    unsigned named:1;

    unsigned exact_match:1;
    unsigned noregex:1;         /* "^~" */

    unsigned auto_redirect:1;   /* "/dir" gets 301 to "/dir/" */
    unsigned gzip_disable_msie6:2;
    unsigned gzip_disable_degradation:2;

    wd_http_location_node_t *static_locations;
    wd_http_core_loc_conf_t **regex_locations;

    void **loc_conf;            /* this location's confs */

    uint32_t limit_except;
    void **limit_except_loc_conf;

    wd_http_handler_pt handler; /* the content handler (proxy, return) */

    size_t alias;               /* length of the location name replaced */
    wd_str_t root;              /* root or alias */
    wd_str_t post_action;

    wd_array_t *root_lengths;   /* root/alias with variables */
    wd_http_complex_value_t *root_values;

    wd_array_t *types;          /* wd_hash_key_t, while configuring */
    wd_hash_t types_hash;
    wd_str_t default_type;

    off_t client_max_body_size;
    off_t directio;
    off_t directio_alignment;

    size_t client_body_buffer_size;
    size_t send_lowat;
    size_t postpone_output;
    size_t sendfile_max_chunk;
    size_t read_ahead;
    size_t subrequest_output_buffer_size;

    wd_http_complex_value_t *limit_rate;
    wd_http_complex_value_t *limit_rate_after;

    wd_msec_t client_body_timeout;
    wd_msec_t send_timeout;
    wd_msec_t keepalive_time;
    wd_msec_t keepalive_timeout;
    wd_msec_t lingering_time;
    wd_msec_t lingering_timeout;
    wd_msec_t resolver_timeout;
    wd_msec_t auth_delay;

    time_t keepalive_header;    /* "Keep-Alive: timeout=N" */

    wd_uint_t keepalive_requests;
    wd_uint_t keepalive_disable;
    wd_uint_t satisfy;
    wd_uint_t lingering_close;
    wd_uint_t if_modified_since;
    wd_uint_t max_ranges;
    wd_uint_t client_body_in_file_only;
    wd_uint_t disable_symlinks;
    wd_uint_t server_tokens;

    wd_flag_t client_body_in_single_buffer;
    wd_flag_t internal;
    wd_flag_t sendfile;
    wd_flag_t aio;
    wd_flag_t tcp_nopush;
    wd_flag_t tcp_nodelay;
    wd_flag_t reset_timedout_connection;
    wd_flag_t absolute_redirect;
    wd_flag_t server_name_in_redirect;
    wd_flag_t port_in_redirect;
    wd_flag_t msie_padding;
    wd_flag_t msie_refresh;
    wd_flag_t log_not_found;
    wd_flag_t log_subrequest;
    wd_flag_t recursive_error_pages;
    wd_flag_t chunked_transfer_encoding;
    wd_flag_t etag;

    wd_array_t *error_pages;    /* wd_http_err_page_t */
    wd_http_try_file_t *try_files;

    wd_path_t *client_body_temp_path;

    void *open_file_cache;      /* wd_open_file_cache_t */
    time_t open_file_cache_valid;
    wd_uint_t open_file_cache_min_uses;
    wd_flag_t open_file_cache_errors;
    wd_flag_t open_file_cache_events;

    wd_log_t *error_log;

    wd_uint_t types_hash_max_size;
    wd_uint_t types_hash_bucket_size;

    wd_queue_t *locations;      /* while configuring */
};

/* A location in its parent's list, while configuring. */
typedef struct {
    wd_queue_t queue;
    wd_http_core_loc_conf_t *exact;
    wd_http_core_loc_conf_t *inclusive;
    wd_str_t *name;
    u_char *file_name;
    wd_uint_t line;
} wd_http_location_queue_t;

/* Phase checkers. */
wd_int_t wd_http_core_generic_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph);
wd_int_t wd_http_core_rewrite_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph);
wd_int_t wd_http_core_find_config_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph);
wd_int_t wd_http_core_post_rewrite_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph);
wd_int_t wd_http_core_access_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph);
wd_int_t wd_http_core_post_access_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph);
wd_int_t wd_http_core_content_phase(wd_http_request_t *r,
    wd_http_phase_handler_t *ph);

void wd_http_core_run_phases(wd_http_request_t *r);

/* Sets loc_conf for r->uri (wd_http_core_locations.c). */
wd_int_t wd_http_core_find_location(wd_http_request_t *r);
/* Builds a level's trie and regex list from its queue of locations. */
wd_int_t wd_http_init_locations(wd_conf_t *cf,
    wd_http_core_srv_conf_t *cscf, wd_http_core_loc_conf_t *pclcf);
wd_int_t wd_http_init_static_location_trees(wd_conf_t *cf,
    wd_http_core_loc_conf_t *pclcf);
wd_int_t wd_http_add_location(wd_conf_t *cf, wd_queue_t **locations,
    wd_http_core_loc_conf_t *clcf);
/* The confs of a new context ("server", "location", "if") whose main
 * (and, without with_srv, server) level is cf's; each module's
 * create_loc_conf (and create_srv_conf) has run. */
wd_http_conf_ctx_t *wd_http_core_new_ctx(wd_conf_t *cf, wd_uint_t with_srv);
#define WD_HTTP_LOCATION_PREFIX 0
#define WD_HTTP_LOCATION_EXACT 1
#define WD_HTTP_LOCATION_AUTO_REDIRECT 2

/* Finds the longest prefix location (or an exact one) for uri in a
 * trie; match tells which kind (WD_HTTP_LOCATION_*). */
wd_http_core_loc_conf_t *wd_http_location_trie_find(
    wd_http_location_node_t *root, u_char *uri, size_t len,
    wd_uint_t *match);
wd_int_t wd_http_location_trie_insert(wd_pool_t *pool,
    wd_http_location_node_t *root, wd_http_core_loc_conf_t *clcf);

/* Applies a location's settings (limit_rate, keep-alive, ...) to r. */
void wd_http_update_location_config(wd_http_request_t *r);

/* The file name for r->uri under root or alias; reserved is extra room
 * at the end for the caller (index file names). */
u_char *wd_http_map_uri_to_path(wd_http_request_t *r, wd_str_t *name,
    size_t *root_length, size_t reserved);
/* The response for a failed wd_open_cached_file(), logged as nginx
 * does (404 silently when log_not_found is off). */
wd_int_t wd_http_open_file_error(wd_http_request_t *r,
    wd_open_file_info_t *of, wd_str_t *path, wd_flag_t log_not_found);
/* Decodes Basic credentials into headers_in.user/passwd. */
wd_int_t wd_http_auth_basic_user(wd_http_request_t *r);
wd_int_t wd_http_set_content_type(wd_http_request_t *r);
void wd_http_set_exten(wd_http_request_t *r);
wd_int_t wd_http_set_etag(wd_http_request_t *r);
void wd_http_weak_etag(wd_http_request_t *r);
/* return / redirect: code with text, or a Location. */
wd_int_t wd_http_send_response(wd_http_request_t *r, wd_uint_t status,
    wd_str_t *ct, wd_http_complex_value_t *cv);
wd_int_t wd_http_internal_redirect(wd_http_request_t *r, wd_str_t *uri,
    wd_str_t *args);
wd_int_t wd_http_named_location(wd_http_request_t *r, wd_str_t *name);

/* Response header helpers. */
wd_table_elt_t *wd_http_add_response_header(wd_http_request_t *r,
    const char *name, size_t name_len, u_char *value, size_t value_len);

#define wd_http_clear_content_length(r)                                        \
    r->headers_out.content_length_n = -1;                                      \
    if (r->headers_out.content_length) {                                       \
        r->headers_out.content_length->hash = 0;                               \
        r->headers_out.content_length = NULL;                                  \
    }

#define wd_http_clear_accept_ranges(r)                                         \
    r->allow_ranges = 0;                                                       \
    if (r->headers_out.accept_ranges) {                                        \
        r->headers_out.accept_ranges->hash = 0;                                \
        r->headers_out.accept_ranges = NULL;                                   \
    }

#define wd_http_clear_last_modified(r)                                         \
    r->headers_out.last_modified_time = -1;                                    \
    if (r->headers_out.last_modified) {                                        \
        r->headers_out.last_modified->hash = 0;                                \
        r->headers_out.last_modified = NULL;                                   \
    }

#define wd_http_clear_location(r)                                              \
    if (r->headers_out.location) {                                             \
        r->headers_out.location->hash = 0;                                     \
        r->headers_out.location = NULL;                                        \
    }

#define wd_http_clear_etag(r)                                                  \
    if (r->headers_out.etag) {                                                 \
        r->headers_out.etag->hash = 0;                                         \
        r->headers_out.etag = NULL;                                            \
    }

#endif /* WD_HTTP_CORE_MODULE_H */
