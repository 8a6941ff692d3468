/*
 * The proxy module: proxy_pass and its directives.  It builds the HTTP/1.x
 * request for the upstream, parses the status line and header of the
 * response, and takes the body's framing (Content-Length, chunked, or up
 * to the close) off before the upstream core relays it.
 */

#include <wd_http.h>
#include <wd_os.h>

/* A proxy_set_header line, compiled. */
typedef struct {
    wd_str_t key;
    wd_uint_t hash;             /* of the lowercased key */
    wd_http_complex_value_t value;
} wd_http_proxy_header_t;

/* proxy_redirect REDIRECT REPLACEMENT */
typedef struct {
    wd_str_t redirect;          /* static text; or the regex source */
    wd_http_regex_t *regex;
    wd_http_complex_value_t replacement;
    unsigned is_default:1;
} wd_http_proxy_rewrite_t;

typedef struct {
    wd_http_upstream_conf_t upstream;

    wd_array_t *headers_source; /* wd_keyval_t of proxy_set_header */
    wd_array_t *headers;        /* wd_http_proxy_header_t, merged */

    wd_http_complex_value_t *body_value;   /* proxy_set_body */
    wd_http_complex_value_t *method;       /* proxy_method */
    wd_http_complex_value_t *url_value;    /* proxy_pass with variables */

    wd_str_t url;               /* proxy_pass as written */
    wd_str_t location;          /* the location's name, for URI changes */
    wd_str_t host;              /* $proxy_host */
    wd_str_t port;              /* $proxy_port */
    wd_str_t uri;               /* proxy_pass's URI part */
    wd_str_t schema;

    wd_array_t *redirects;      /* wd_http_proxy_rewrite_t; NULL: off */
    wd_array_t *cookie_domains; /* wd_http_proxy_rewrite_t; NULL: off */
    wd_array_t *cookie_paths;

    wd_uint_t http_version;
    wd_flag_t redirect;         /* 0: proxy_redirect off */
} wd_http_proxy_loc_conf_t;

/* A request's state while its response is parsed. */
typedef struct {
    wd_http_status_t status;
    wd_http_chunked_t chunked;
    wd_uint_t state;            /* 0: status line, 1: headers */
    wd_str_t uri;               /* the upstream request's URI */

    /* proxy_request_buffering off with a chunked body: each part goes
     * as a chunk; its links are freed when the next part is framed */
    wd_chain_t *body_part;
    wd_buf_t chunk_head;
    wd_buf_t chunk_tail;
    u_char chunk_size[sizeof("ffffffffffffffff" CRLF) - 1];
} wd_http_proxy_ctx_t;

static wd_int_t wd_http_proxy_handler(wd_http_request_t *r);
static wd_int_t wd_http_proxy_eval(wd_http_request_t *r,
    wd_http_proxy_ctx_t *ctx, wd_http_proxy_loc_conf_t *plcf);
static wd_int_t wd_http_proxy_create_request(wd_http_request_t *r);
static wd_int_t wd_http_proxy_body_part(wd_http_request_t *r, wd_chain_t *in,
    wd_uint_t last, wd_chain_t **out);
static wd_int_t wd_http_proxy_reinit_request(wd_http_request_t *r);
static wd_int_t wd_http_proxy_process_status_line(wd_http_request_t *r);
static wd_int_t wd_http_proxy_process_header(wd_http_request_t *r);
static wd_int_t wd_http_proxy_input_filter_init(void *data);
static wd_int_t wd_http_proxy_length_filter(void *data, wd_buf_t *b,
    ssize_t bytes);
static wd_int_t wd_http_proxy_chunked_filter(void *data, wd_buf_t *b,
    ssize_t bytes);
static wd_int_t wd_http_proxy_close_filter(void *data, wd_buf_t *b,
    ssize_t bytes);
static wd_int_t wd_http_proxy_add_trailers(wd_http_request_t *r,
    wd_str_t *section);
static wd_int_t wd_http_proxy_rewrite_redirect(wd_http_request_t *r,
    wd_table_elt_t *h, size_t prefix);
static wd_int_t wd_http_proxy_rewrite_cookie(wd_http_request_t *r,
    wd_table_elt_t *h);
static char *wd_http_proxy_cookie_rewrite(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);

static wd_int_t wd_http_proxy_add_variables(wd_conf_t *cf);
static void *wd_http_proxy_create_loc_conf(wd_conf_t *cf);
static char *wd_http_proxy_merge_loc_conf(wd_conf_t *cf, void *parent,
    void *child);
static wd_int_t wd_http_proxy_merge_redirects(wd_conf_t *cf,
    wd_http_proxy_loc_conf_t *conf, wd_http_proxy_loc_conf_t *prev);
static char *wd_http_proxy_pass(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_proxy_redirect(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_proxy_set_complex(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_proxy_next_upstream(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);

static wd_conf_enum_t wd_http_proxy_http_version[] = {
    { wd_string("1.0"), WD_HTTP_VERSION_10 },
    { wd_string("1.1"), WD_HTTP_VERSION_11 },
    { wd_null_string, 0 }
};

static wd_conf_bitmask_t wd_http_proxy_next_upstream_masks[] = {
    { wd_string("error"), WD_HTTP_UPSTREAM_FT_ERROR },
    { wd_string("timeout"), WD_HTTP_UPSTREAM_FT_TIMEOUT },
    { wd_string("invalid_header"), WD_HTTP_UPSTREAM_FT_INVALID_HEADER },
    { wd_string("non_idempotent"), WD_HTTP_UPSTREAM_FT_NON_IDEMPOTENT },
    { wd_string("http_500"), WD_HTTP_UPSTREAM_FT_HTTP_500 },
    { wd_string("http_502"), WD_HTTP_UPSTREAM_FT_HTTP_502 },
    { wd_string("http_503"), WD_HTTP_UPSTREAM_FT_HTTP_503 },
    { wd_string("http_504"), WD_HTTP_UPSTREAM_FT_HTTP_504 },
    { wd_string("http_403"), WD_HTTP_UPSTREAM_FT_HTTP_403 },
    { wd_string("http_404"), WD_HTTP_UPSTREAM_FT_HTTP_404 },
    { wd_string("http_429"), WD_HTTP_UPSTREAM_FT_HTTP_429 },
    { wd_string("off"), WD_HTTP_UPSTREAM_FT_OFF },
    { wd_null_string, 0 }
};

/* Response headers the client does not get unless proxy_pass_header. */
static wd_str_t wd_http_proxy_hide_headers[] = {
    wd_string("Date"),
    wd_string("Server"),
    wd_string("X-Pad"),
    wd_string("X-Accel-Expires"),
    wd_string("X-Accel-Redirect"),
    wd_string("X-Accel-Limit-Rate"),
    wd_string("X-Accel-Buffering"),
    wd_string("X-Accel-Charset"),
    wd_null_string
};

/* Request headers the upstream never gets from the client: the
 * hop-by-hop ones and those the proxy writes itself. */
static wd_str_t wd_http_proxy_hop_headers[] = {
    wd_string("Connection"),
    wd_string("Keep-Alive"),
    wd_string("Proxy-Connection"),
    wd_string("TE"),
    wd_string("Trailer"),
    wd_string("Transfer-Encoding"),
    wd_string("Upgrade"),
    wd_string("Expect"),
    wd_string("Content-Length"),
    wd_null_string
};

static wd_path_init_t wd_http_proxy_temp_path = {
    wd_string(WD_HTTP_PROXY_TEMP_PATH), { 1, 2, 0 }
};

/* The lowercase hashes of wd_http_proxy_hop_headers, made at start. */
static wd_uint_t wd_http_proxy_hop_hash[sizeof(wd_http_proxy_hop_headers)
                                        / sizeof(wd_str_t)];

/* Response headers the proxy looks at, found by their lowercase hash. */
enum {
    WD_PROXY_H_CONTENT_LENGTH = 1,
    WD_PROXY_H_TRANSFER_ENCODING,
    WD_PROXY_H_CONNECTION,
    WD_PROXY_H_KEEP_ALIVE,
    WD_PROXY_H_LAST_MODIFIED,
    WD_PROXY_H_X_ACCEL_REDIRECT,
    WD_PROXY_H_X_ACCEL_LIMIT_RATE,
    WD_PROXY_H_X_ACCEL_BUFFERING,
    WD_PROXY_H_LOCATION,
    WD_PROXY_H_UPGRADE
};

typedef struct {
    wd_str_t name;              /* lowercase */
    wd_uint_t id;
    wd_uint_t hash;
} wd_http_proxy_known_header_t;

static wd_http_proxy_known_header_t wd_http_proxy_known_headers[] = {
    { wd_string("content-length"), WD_PROXY_H_CONTENT_LENGTH, 0 },
    { wd_string("transfer-encoding"), WD_PROXY_H_TRANSFER_ENCODING, 0 },
    { wd_string("connection"), WD_PROXY_H_CONNECTION, 0 },
    { wd_string("keep-alive"), WD_PROXY_H_KEEP_ALIVE, 0 },
    { wd_string("last-modified"), WD_PROXY_H_LAST_MODIFIED, 0 },
    { wd_string("x-accel-redirect"), WD_PROXY_H_X_ACCEL_REDIRECT, 0 },
    { wd_string("x-accel-limit-rate"), WD_PROXY_H_X_ACCEL_LIMIT_RATE, 0 },
    { wd_string("x-accel-buffering"), WD_PROXY_H_X_ACCEL_BUFFERING, 0 },
    { wd_string("location"), WD_PROXY_H_LOCATION, 0 },
    { wd_string("upgrade"), WD_PROXY_H_UPGRADE, 0 },
    { wd_null_string, 0, 0 }
};

/* Whether header h (with its lowercase hash and key) is name. */
#define wd_http_proxy_header_is(h, name, name_hash)                            \
    ((h)->hash == (name_hash) && (h)->key.len == (name)->len                  \
     && wd_strncasecmp((h)->key.data, (name)->data, (name)->len) == 0)

#define wd_proxy_offset(field) offsetof(wd_http_proxy_loc_conf_t, field)
#define wd_proxy_up(field)                                                     \
    offsetof(wd_http_proxy_loc_conf_t, upstream.field)

static wd_command_t wd_http_proxy_commands[] = {

    { wd_string("proxy_pass"),
      WD_HTTP_LOC_CONF | WD_HTTP_LIF_CONF | WD_HTTP_LMT_CONF | WD_CONF_TAKE1,
      wd_http_proxy_pass, WD_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { wd_string("proxy_redirect"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE12,
      wd_http_proxy_redirect, WD_HTTP_LOC_CONF_OFFSET, 0, NULL },

    { wd_string("proxy_cookie_domain"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE12,
      wd_http_proxy_cookie_rewrite, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_offset(cookie_domains), NULL },

    { wd_string("proxy_cookie_path"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE12,
      wd_http_proxy_cookie_rewrite, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_offset(cookie_paths), NULL },

    { wd_string("proxy_set_header"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE2,
      wd_conf_set_keyval_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_offset(headers_source), NULL },

    { wd_string("proxy_set_body"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_http_proxy_set_complex, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_offset(body_value), NULL },

    { wd_string("proxy_method"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_http_proxy_set_complex, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_offset(method), NULL },

    { wd_string("proxy_http_version"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_enum_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_offset(http_version), wd_http_proxy_http_version },

    { wd_string("proxy_pass_request_headers"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(pass_request_headers), NULL },

    { wd_string("proxy_pass_request_body"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(pass_request_body), NULL },

    { wd_string("proxy_buffering"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(buffering), NULL },

    { wd_string("proxy_request_buffering"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(request_buffering), NULL },

    { wd_string("proxy_ignore_client_abort"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(ignore_client_abort), NULL },

    { wd_string("proxy_intercept_errors"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(intercept_errors), NULL },

    { wd_string("proxy_force_ranges"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(force_ranges), NULL },

    { wd_string("proxy_socket_keepalive"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(socket_keepalive), NULL },

    { wd_string("proxy_bind"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE12,
      wd_http_upstream_bind_set_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(local), NULL },

    { wd_string("proxy_connect_timeout"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_msec_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(connect_timeout), NULL },

    { wd_string("proxy_send_timeout"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_msec_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(send_timeout), NULL },

    { wd_string("proxy_read_timeout"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_msec_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(read_timeout), NULL },

    { wd_string("proxy_next_upstream"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_1MORE,
      wd_http_proxy_next_upstream, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(next_upstream), wd_http_proxy_next_upstream_masks },

    { wd_string("proxy_next_upstream_tries"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_num_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(next_upstream_tries), NULL },

    { wd_string("proxy_next_upstream_timeout"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_msec_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(next_upstream_timeout), NULL },

    { wd_string("proxy_buffer_size"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_size_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(buffer_size), NULL },

    { wd_string("proxy_buffers"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE2,
      wd_conf_set_bufs_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(bufs), NULL },

    { wd_string("proxy_busy_buffers_size"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_size_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(busy_buffers_size_conf), NULL },

    { wd_string("proxy_max_temp_file_size"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_size_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(max_temp_file_size_conf), NULL },

    { wd_string("proxy_temp_file_write_size"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_size_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(temp_file_write_size_conf), NULL },

    { wd_string("proxy_temp_path"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1234,
      wd_conf_set_path_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(temp_path), NULL },

    { wd_string("proxy_limit_rate"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_http_set_complex_value_size_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(limit_rate), NULL },

    { wd_string("proxy_hide_header"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_str_array_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(hide_headers), NULL },

    { wd_string("proxy_pass_header"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_TAKE1,
      wd_conf_set_str_array_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(pass_headers), NULL },

    { wd_string("proxy_ignore_headers"),
      WD_HTTP_MAIN_CONF | WD_HTTP_SRV_CONF | WD_HTTP_LOC_CONF
          | WD_CONF_1MORE,
      wd_conf_set_bitmask_slot, WD_HTTP_LOC_CONF_OFFSET,
      wd_proxy_up(ignore_headers), wd_http_upstream_ignore_headers_masks },

    wd_null_command
};

static wd_http_module_t wd_http_proxy_module_ctx = {
    wd_http_proxy_add_variables,
    NULL,
    NULL, NULL, NULL, NULL,
    wd_http_proxy_create_loc_conf,
    wd_http_proxy_merge_loc_conf
};

wd_module_t wd_http_proxy_module = {
    WD_MODULE_V1,
    &wd_http_proxy_module_ctx,
    wd_http_proxy_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

/* ---- the request ---------------------------------------------------- */

static wd_int_t
wd_http_proxy_handler(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_http_upstream_t *u;
    wd_http_proxy_ctx_t *ctx;
    wd_http_proxy_loc_conf_t *plcf;

    if (wd_http_upstream_create(r) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = wd_pcalloc(r->pool, sizeof(wd_http_proxy_ctx_t));

    if (ctx == NULL) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    wd_http_set_ctx(r, ctx, wd_http_proxy_module);

    plcf = wd_http_get_module_loc_conf(r, wd_http_proxy_module);
    u = r->upstream;

    if (plcf->url_value == NULL) {
        u->schema = plcf->schema;

    } else if (wd_http_proxy_eval(r, ctx, plcf) != WD_OK) {
        return WD_HTTP_INTERNAL_SERVER_ERROR;
    }

    u->conf = &plcf->upstream;
    u->buffering = (plcf->upstream.buffering == 1);

    u->create_request = wd_http_proxy_create_request;
    u->reinit_request = wd_http_proxy_reinit_request;
    u->process_header = wd_http_proxy_process_status_line;
    u->input_filter_init = wd_http_proxy_input_filter_init;
    u->input_filter_ctx = r;
    u->rewrite_redirect = plcf->redirects ? wd_http_proxy_rewrite_redirect
                                          : NULL;
    u->rewrite_cookie = (plcf->cookie_domains || plcf->cookie_paths)
                            ? wd_http_proxy_rewrite_cookie : NULL;

    /* an unbuffered chunked body goes up chunked, which needs HTTP/1.1;
     * with HTTP/1.0 it is buffered whatever the directive says */
    if (!plcf->upstream.request_buffering && plcf->body_value == NULL
        && plcf->upstream.pass_request_body
        && (!r->headers_in.chunked
            || plcf->http_version == WD_HTTP_VERSION_11))
    {
        r->request_body_no_buffering = 1;
        u->body_part = wd_http_proxy_body_part;
    }

    rc = wd_http_read_client_request_body(r, wd_http_upstream_init);

    if (rc >= WD_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return WD_DONE;
}

/* proxy_pass with variables: the URL for this request. */
static wd_int_t
wd_http_proxy_eval(wd_http_request_t *r, wd_http_proxy_ctx_t *ctx,
    wd_http_proxy_loc_conf_t *plcf)
{
    wd_str_t proxy;
    wd_url_t url;
    size_t add;
    wd_http_upstream_t *u;

    (void) ctx;

    if (wd_http_complex_value(r, plcf->url_value, &proxy) != WD_OK) {
        return WD_ERROR;
    }

    u = r->upstream;

    if (proxy.len > 7 && wd_strncasecmp(proxy.data, (u_char *) "http://", 7)
                             == 0)
    {
        add = 7;

    } else {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "invalid URL prefix in \"%.*s\"", wd_str_fmt(&proxy));
        return WD_ERROR;
    }

    wd_str_set(&u->schema, "http://");

    wd_memzero(&url, sizeof(wd_url_t));
    url.url.len = proxy.len - add;
    url.url.data = proxy.data + add;
    url.default_port = 80;
    url.uri_part = 1;
    url.no_resolve = 1;

    if (wd_parse_url(r->pool, &url) != WD_OK) {
        if (url.err) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "%s in upstream \"%.*s\"", url.err,
                         wd_str_fmt(&url.url));
        }

        return WD_ERROR;
    }

    u->uri = url.uri;

    u->resolved = wd_pcalloc(r->pool, sizeof(wd_http_upstream_resolved_t));

    if (u->resolved == NULL) {
        return WD_ERROR;
    }

    if (url.addrs) {
        u->resolved->addrs = url.addrs;
        u->resolved->naddrs = url.naddrs;
    }

    u->resolved->host = url.host;
    u->resolved->port = url.port ? url.port : 80;
    u->resolved->no_port = url.no_port;

    return WD_OK;
}

/* The URI the upstream gets: see "proxy_pass" in docs/http_proxy.md. */
static wd_int_t
wd_http_proxy_request_uri(wd_http_request_t *r,
    wd_http_proxy_loc_conf_t *plcf, wd_str_t *uri)
{
    u_char *p;
    size_t len, loc_len, escape;
    wd_uint_t with_uri;
    wd_http_upstream_t *u;

    u = r->upstream;

    if (plcf->url_value && u->uri.len) {
        /* a URI part in the evaluated URL replaces the request's */
        *uri = u->uri;
        return WD_OK;
    }

    if ((plcf->url_value || plcf->uri.len == 0) && r->valid_unparsed_uri) {
        /* no URI part, with or without variables: as the client sent it */
        *uri = r->unparsed_uri;
        return WD_OK;
    }

    /* after "rewrite ... break" (valid_location off) the URI part is
     * ignored and the whole rewritten URI is passed */
    with_uri = !plcf->url_value && plcf->uri.len && r->valid_location;

    loc_len = (with_uri && plcf->location.len <= r->uri.len)
                  ? plcf->location.len : 0;

    escape = 2 * wd_escape_uri(NULL, r->uri.data + loc_len,
                               r->uri.len - loc_len, WD_ESCAPE_URI);

    len = plcf->uri.len + r->uri.len - loc_len + escape + 1 + r->args.len;

    p = wd_pnalloc(r->pool, len);

    if (p == NULL) {
        return WD_ERROR;
    }

    uri->data = p;

    if (with_uri) {
        p = wd_cpymem(p, plcf->uri.data, plcf->uri.len);
    }

    if (escape) {
        p = (u_char *) wd_escape_uri(p, r->uri.data + loc_len,
                                     r->uri.len - loc_len, WD_ESCAPE_URI);
    } else {
        p = wd_cpymem(p, r->uri.data + loc_len, r->uri.len - loc_len);
    }

    if (r->args.len) {
        *p++ = '?';
        p = wd_cpymem(p, r->args.data, r->args.len);
    }

    uri->len = p - uri->data;

    return WD_OK;
}

/* Whether the client's header h is one the proxy writes itself. */
static wd_uint_t
wd_http_proxy_header_replaced(wd_http_proxy_loc_conf_t *plcf,
    wd_table_elt_t *h)
{
    wd_uint_t i;
    wd_str_t *hop;
    wd_http_proxy_header_t *ph;

    for (hop = wd_http_proxy_hop_headers, i = 0; hop->len; hop++, i++) {
        if (wd_http_proxy_header_is(h, hop, wd_http_proxy_hop_hash[i])) {
            return 1;
        }
    }

    ph = plcf->headers->elts;

    for (i = 0; i < plcf->headers->nelts; i++) {
        if (wd_http_proxy_header_is(h, &ph[i].key, ph[i].hash)) {
            return 1;
        }
    }

    return 0;
}

static wd_int_t
wd_http_proxy_create_request(wd_http_request_t *r)
{
    u_char *p;
    size_t len;
    off_t body_len;
    wd_buf_t *b;
    wd_str_t method, uri, *values, body;
    wd_uint_t i, n;
    wd_chain_t *cl, *body_cl, **ll;
    wd_list_part_t *part;
    wd_table_elt_t *h;
    wd_http_upstream_t *u;
    wd_http_proxy_ctx_t *ctx;
    wd_http_proxy_header_t *ph;
    wd_http_proxy_loc_conf_t *plcf;

    u = r->upstream;
    plcf = wd_http_get_module_loc_conf(r, wd_http_proxy_module);
    ctx = wd_http_get_module_ctx(r, wd_http_proxy_module);

    if (plcf->method) {
        if (wd_http_complex_value(r, plcf->method, &method) != WD_OK) {
            return WD_ERROR;
        }

    } else {
        method = r->method_name;
    }

    u->method = method;

    if (wd_http_proxy_request_uri(r, plcf, &uri) != WD_OK) {
        return WD_ERROR;
    }

    ctx->uri = uri;
    u->uri = uri;

    if (plcf->url_value == NULL) {
        u->uri = plcf->uri.len ? plcf->uri : uri;
        u->uri = uri;
    }

    /* the body, and its length for Content-Length */
    body_cl = NULL;
    body_len = -1;

    if (plcf->body_value) {
        if (wd_http_complex_value(r, plcf->body_value, &body) != WD_OK) {
            return WD_ERROR;
        }

        b = wd_calloc_buf(r->pool);
        body_cl = wd_alloc_chain_link(r->pool);

        if (b == NULL || body_cl == NULL) {
            return WD_ERROR;
        }

        b->pos = body.data;
        b->last = body.data + body.len;
        b->start = b->pos;
        b->end = b->last;
        b->memory = 1;
        body_cl->buf = b;
        body_cl->next = NULL;
        body_len = (off_t) body.len;

    } else if (r->request_body_no_buffering) {
        /* the first part; the rest follows as it comes */
        if (wd_http_proxy_body_part(r, r->request_body->bufs, 0, &body_cl)
            != WD_OK)
        {
            return WD_ERROR;
        }

        ctx->body_part = NULL;      /* kept for a retry: never freed */
        body_len = r->headers_in.chunked ? -1
                                         : r->headers_in.content_length_n;

    } else if (plcf->upstream.pass_request_body && r->request_body
               && (r->headers_in.content_length_n >= 0
                   || r->headers_in.chunked))
    {
        body_len = 0;
        ll = &body_cl;

        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            body_len += wd_buf_size(cl->buf);

            *ll = wd_alloc_chain_link(r->pool);

            if (*ll == NULL) {
                return WD_ERROR;
            }

            (*ll)->buf = cl->buf;
            ll = &(*ll)->next;
        }

        *ll = NULL;
    }

    /* evaluate proxy_set_header values first: their lengths are needed */
    ph = plcf->headers->elts;
    n = plcf->headers->nelts;
    values = wd_palloc(r->pool, (n ? n : 1) * sizeof(wd_str_t));

    if (values == NULL) {
        return WD_ERROR;
    }

    len = method.len + 1 + uri.len + sizeof(" HTTP/1.1" CRLF) - 1
          + sizeof(CRLF) - 1;

    for (i = 0; i < n; i++) {
        if (wd_http_complex_value(r, &ph[i].value, &values[i]) != WD_OK) {
            return WD_ERROR;
        }

        if (values[i].len) {
            len += ph[i].key.len + 2 + values[i].len + 2;
        }
    }

    if (body_len >= 0) {
        len += sizeof("Content-Length: " CRLF) - 1 + WD_OFF_T_LEN;
    }

    if (r->request_body_no_buffering && r->headers_in.chunked) {
        len += sizeof("Transfer-Encoding: chunked" CRLF) - 1;
    }

    if (plcf->upstream.pass_request_headers) {
        part = &r->headers_in.headers.part;
        h = part->elts;

        for (i = 0; /* void */; i++) {
            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }

                part = part->next;
                h = part->elts;
                i = 0;
            }

            if (h[i].hash && !wd_http_proxy_header_replaced(plcf, &h[i])) {
                len += h[i].key.len + 2 + h[i].value.len + 2;
            }
        }
    }

    b = wd_create_temp_buf(r->pool, len);

    if (b == NULL) {
        return WD_ERROR;
    }

    p = b->last;
    p = wd_cpymem(p, method.data, method.len);
    *p++ = ' ';
    p = wd_cpymem(p, uri.data, uri.len);

    if (plcf->http_version == WD_HTTP_VERSION_11) {
        p = wd_cpymem(p, " HTTP/1.1" CRLF, sizeof(" HTTP/1.1" CRLF) - 1);
    } else {
        p = wd_cpymem(p, " HTTP/1.0" CRLF, sizeof(" HTTP/1.0" CRLF) - 1);
    }

    for (i = 0; i < n; i++) {
        if (values[i].len == 0) {
            continue;               /* an empty value removes the header */
        }

        p = wd_cpymem(p, ph[i].key.data, ph[i].key.len);
        *p++ = ':';
        *p++ = ' ';
        p = wd_cpymem(p, values[i].data, values[i].len);
        *p++ = CR;
        *p++ = LF;
    }

    if (body_len >= 0) {
        p = wd_cpymem(p, "Content-Length: ", sizeof("Content-Length: ") - 1);
        p = wd_sprint_int(p, body_len);
        *p++ = CR;
        *p++ = LF;
    }

    if (r->request_body_no_buffering && r->headers_in.chunked) {
        p = wd_cpymem(p, "Transfer-Encoding: chunked" CRLF,
                      sizeof("Transfer-Encoding: chunked" CRLF) - 1);
    }

    if (plcf->upstream.pass_request_headers) {
        part = &r->headers_in.headers.part;
        h = part->elts;

        for (i = 0; /* void */; i++) {
            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }

                part = part->next;
                h = part->elts;
                i = 0;
            }

            if (h[i].hash == 0 || wd_http_proxy_header_replaced(plcf, &h[i]))
            {
                continue;
            }

            p = wd_cpymem(p, h[i].key.data, h[i].key.len);
            *p++ = ':';
            *p++ = ' ';
            p = wd_cpymem(p, h[i].value.data, h[i].value.len);
            *p++ = CR;
            *p++ = LF;
        }
    }

    *p++ = CR;
    *p++ = LF;

    b->last = p;

    cl = wd_alloc_chain_link(r->pool);

    if (cl == NULL) {
        return WD_ERROR;
    }

    cl->buf = b;
    cl->next = body_cl;

    /* the last buffer ends the request */
    u->request_bufs = cl;

    return WD_OK;
}

/* A link for buffer b at *ll. */
static wd_chain_t **
wd_http_proxy_link(wd_http_request_t *r, wd_chain_t **ll, wd_buf_t *b)
{
    *ll = wd_alloc_chain_link(r->pool);

    if (*ll == NULL) {
        return NULL;
    }

    (*ll)->buf = b;
    (*ll)->next = NULL;

    return &(*ll)->next;
}

/* Sets b to send the bytes p .. p + n, which outlive it. */
static void
wd_http_proxy_set_buf(wd_buf_t *b, u_char *p, size_t n)
{
    wd_memzero(b, sizeof(wd_buf_t));
    b->memory = 1;
    b->start = p;
    b->pos = p;
    b->last = p + n;
    b->end = p + n;
}

/*
 * The next part of an unbuffered request body, framed for the upstream:
 * as it is after a Content-Length, or as one chunk (and the last chunk
 * after the body's end) when the client sent it chunked.  The first part
 * (ctx->body_part still NULL) gets framing buffers of its own, since a
 * retry sends it again; later ones reuse the context's.
 */
static wd_int_t
wd_http_proxy_body_part(wd_http_request_t *r, wd_chain_t *in, wd_uint_t last,
    wd_chain_t **out)
{
    off_t size;
    u_char *p;
    wd_uint_t first;
    wd_buf_t *head, *tail;
    wd_chain_t *cl, *next, **ll;
    wd_http_upstream_t *u;
    wd_http_proxy_ctx_t *ctx;

    static u_char crlf_last[] = CRLF "0" CRLF CRLF;

    ctx = wd_http_get_module_ctx(r, wd_http_proxy_module);
    u = r->upstream;
    first = (u->request_bufs == NULL);

    /* the previous part was sent whole */
    for (cl = ctx->body_part; cl; cl = next) {
        next = cl->next;
        wd_free_chain(r->pool, cl);
    }

    size = 0;

    for (cl = in; cl; cl = cl->next) {
        size += wd_buf_size(cl->buf);
    }

    head = &ctx->chunk_head;
    tail = &ctx->chunk_tail;

    if (first) {
        head = wd_calloc_buf(r->pool);
        tail = wd_calloc_buf(r->pool);

        if (head == NULL || tail == NULL) {
            return WD_ERROR;
        }
    }

    ll = out;
    *ll = NULL;

    if (r->headers_in.chunked && size) {
        p = first ? wd_pnalloc(r->pool, sizeof(ctx->chunk_size))
                  : ctx->chunk_size;

        if (p == NULL) {
            return WD_ERROR;
        }

        wd_http_proxy_set_buf(head, p,
                              wd_cpymem(wd_sprint_hex(p, (uint64_t) size),
                                        CRLF, 2) - p);

        if ((ll = wd_http_proxy_link(r, ll, head)) == NULL) {
            return WD_ERROR;
        }
    }

    for (cl = in; cl; cl = cl->next) {
        if ((ll = wd_http_proxy_link(r, ll, cl->buf)) == NULL) {
            return WD_ERROR;
        }
    }

    if (r->headers_in.chunked && (size || last)) {
        /* the data's CRLF, and the last chunk after the last data */
        if (size && last) {
            wd_http_proxy_set_buf(tail, crlf_last, sizeof(crlf_last) - 1);
        } else if (size) {
            wd_http_proxy_set_buf(tail, crlf_last, 2);
        } else {
            wd_http_proxy_set_buf(tail, crlf_last + 2, sizeof(crlf_last) - 3);
        }

        if (wd_http_proxy_link(r, ll, tail) == NULL) {
            return WD_ERROR;
        }
    }

    ctx->body_part = *out;

    return WD_OK;
}

static wd_int_t
wd_http_proxy_reinit_request(wd_http_request_t *r)
{
    wd_http_proxy_ctx_t *ctx;
    wd_http_upstream_t *u;

    ctx = wd_http_get_module_ctx(r, wd_http_proxy_module);
    u = r->upstream;

    if (ctx == NULL) {
        return WD_OK;
    }

    wd_memzero(&ctx->status, sizeof(wd_http_status_t));
    wd_memzero(&ctx->chunked, sizeof(wd_http_chunked_t));
    ctx->state = 0;
    r->state = 0;

    u->process_header = wd_http_proxy_process_status_line;
    u->input_filter = NULL;

    return WD_OK;
}

/* ---- the response header -------------------------------------------- */

static wd_int_t
wd_http_proxy_process_status_line(wd_http_request_t *r)
{
    wd_int_t rc;
    wd_uint_t major, minor;
    wd_http_upstream_t *u;
    wd_http_proxy_ctx_t *ctx;

    u = r->upstream;
    ctx = wd_http_get_module_ctx(r, wd_http_proxy_module);

    /* the status parser keeps the version in r: the client's is kept */
    major = r->http_major;
    minor = r->http_minor;

    rc = wd_http_parse_status_line(r, &u->buffer, &ctx->status);

    r->http_major = major;
    r->http_minor = minor;

    if (rc == WD_AGAIN) {
        return rc;
    }

    if (rc == WD_ERROR) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "upstream sent no valid HTTP/1.0 header");
        return WD_HTTP_UPSTREAM_INVALID_HEADER;
    }

    if (ctx->status.code >= 100 && ctx->status.code < 200
        && ctx->status.code != WD_HTTP_SWITCHING_PROTOCOLS)
    {
        /* an interim response (100 Continue, 103): the final one follows */
        ctx->state = 2;
        u->process_header = wd_http_proxy_process_header;
        return wd_http_proxy_process_header(r);
    }

    u->headers_in.status_n = ctx->status.code;
    u->headers_in.status_line.len = ctx->status.end - ctx->status.start;
    u->headers_in.status_line.data = wd_pnalloc(r->pool,
                                                u->headers_in.status_line.len);

    if (u->headers_in.status_line.data == NULL) {
        return WD_ERROR;
    }

    /* "HTTP/1.1 200 OK": the client gets "200 OK" after its own version */
    {
        u_char *s = ctx->status.start + sizeof("HTTP/1.x ") - 1;

        u->headers_in.status_line.len = ctx->status.end - s;
        wd_memcpy(u->headers_in.status_line.data, s,
                  u->headers_in.status_line.len);
    }

    if (u->state && u->state->status == 0) {
        u->state->status = ctx->status.code;
    }

    if (ctx->status.http_version < WD_HTTP_VERSION_11) {
        u->headers_in.connection_close = 1;
    }

    ctx->state = 1;
    u->process_header = wd_http_proxy_process_header;

    return wd_http_proxy_process_header(r);
}

/* Checks and records a header the upstream core cares about. */
static wd_int_t
wd_http_proxy_note_header(wd_http_request_t *r, wd_http_upstream_t *u,
    wd_table_elt_t *h)
{
    off_t n;
    u_char *p, *e;
    wd_str_t close = wd_string("close");
    wd_http_proxy_known_header_t *kh;
    wd_http_upstream_headers_in_t *hin;

    hin = &u->headers_in;

    for (kh = wd_http_proxy_known_headers; kh->id; kh++) {
        if (kh->hash == h->hash && kh->name.len == h->key.len
            && wd_memcmp(kh->name.data, h->lowcase_key, h->key.len) == 0)
        {
            break;
        }
    }

    switch (kh->id) {

    case WD_PROXY_H_CONTENT_LENGTH:
        n = wd_atoof(h->value.data, h->value.len);

        if (n == -1) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "upstream sent invalid \"Content-Length\" header: "
                         "\"%.*s: %.*s\"", wd_str_fmt(&h->key),
                         wd_str_fmt(&h->value));
            return WD_HTTP_UPSTREAM_INVALID_HEADER;
        }

        if (hin->content_length) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "upstream sent duplicate header line: \"%.*s: %.*s\", "
                         "previous value: \"%.*s: %.*s\"",
                         wd_str_fmt(&h->key), wd_str_fmt(&h->value),
                         wd_str_fmt(&hin->content_length->key),
                         wd_str_fmt(&hin->content_length->value));
            return WD_HTTP_UPSTREAM_INVALID_HEADER;
        }

        hin->content_length = h;
        hin->content_length_n = n;
        return WD_OK;

    case WD_PROXY_H_TRANSFER_ENCODING:
        if (hin->transfer_encoding) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "upstream sent duplicate header line: \"%.*s: %.*s\", "
                         "previous value: \"%.*s: %.*s\"",
                         wd_str_fmt(&h->key), wd_str_fmt(&h->value),
                         wd_str_fmt(&hin->transfer_encoding->key),
                         wd_str_fmt(&hin->transfer_encoding->value));
            return WD_HTTP_UPSTREAM_INVALID_HEADER;
        }

        hin->transfer_encoding = h;

        if (wd_str_caseeq(&h->value, "chunked")) {
            hin->chunked = 1;
            return WD_OK;
        }

        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "upstream sent unknown \"Transfer-Encoding\": \"%.*s\"",
                     wd_str_fmt(&h->value));
        return WD_HTTP_UPSTREAM_INVALID_HEADER;

    case WD_PROXY_H_CONNECTION:
        hin->connection = h;

        if (wd_http_parse_multi_header_lines(r, h, &close, NULL)) {
            hin->connection_close = 1;
        }

        return WD_OK;

    case WD_PROXY_H_KEEP_ALIVE:
        hin->keep_alive = h;
        p = wd_strlcasestrn(h->value.data, h->value.data + h->value.len,
                            (u_char *) "timeout=", 8 - 1);

        if (p) {
            for (e = p + 8; e < h->value.data + h->value.len
                            && *e >= '0' && *e <= '9'; e++)
            {
                /* void */
            }

            hin->keep_alive_timeout = wd_atotm(p + 8, e - (p + 8));
        }

        return WD_OK;

    case WD_PROXY_H_LAST_MODIFIED:
        /* its time is parsed only when a conditional request needs it */
        hin->last_modified = h;
        return WD_OK;

    case WD_PROXY_H_X_ACCEL_REDIRECT:
        hin->x_accel_redirect = h;
        return WD_OK;

    case WD_PROXY_H_X_ACCEL_LIMIT_RATE:
        hin->x_accel_limit_rate = h;
        return WD_OK;

    case WD_PROXY_H_X_ACCEL_BUFFERING:
        hin->x_accel_buffering = h;
        return WD_OK;

    case WD_PROXY_H_LOCATION:
        hin->location = h;
        return WD_OK;

    case WD_PROXY_H_UPGRADE:
        hin->upgrade = h;
        return WD_OK;

    default:
        return WD_OK;
    }
}

static wd_int_t
wd_http_proxy_process_header(wd_http_request_t *r)
{
    u_char *p;
    wd_int_t rc;
    wd_table_elt_t *h;
    wd_http_upstream_t *u;
    wd_http_proxy_ctx_t *ctx;
    wd_http_proxy_loc_conf_t *plcf;

    u = r->upstream;
    ctx = wd_http_get_module_ctx(r, wd_http_proxy_module);

    for (;;) {
        rc = wd_http_parse_header_line(r, &u->buffer, 1);

        if (rc == WD_OK) {
            if (ctx->state == 2) {
                continue;           /* an interim response's headers */
            }

            if (r->invalid_header) {
                wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                             "upstream sent invalid header: \"%.*s\"",
                             (int) (r->header_end - r->header_name_start),
                             r->header_name_start);
                return WD_HTTP_UPSTREAM_INVALID_HEADER;
            }

            h = wd_list_push(&u->headers_in.headers);

            if (h == NULL) {
                return WD_ERROR;
            }

            h->hash = r->header_hash;
            h->key.len = r->header_name_end - r->header_name_start;
            h->value.len = r->header_end - r->header_start;
            h->next = NULL;

            /* a copy: the buffer is reused for the body */
            p = wd_pnalloc(r->pool, h->key.len + 1 + h->value.len + 1
                                        + h->key.len);

            if (p == NULL) {
                return WD_ERROR;
            }

            h->key.data = p;
            p = wd_cpymem(p, r->header_name_start, h->key.len);
            *p++ = '\0';
            h->value.data = p;
            p = wd_cpymem(p, r->header_start, h->value.len);
            *p++ = '\0';
            h->lowcase_key = p;

            if (h->key.len <= WD_HTTP_LC_HEADER_LEN) {
                wd_memcpy(p, r->lowcase_header, h->key.len);
            } else {
                wd_strlow(p, h->key.data, h->key.len);
            }

            rc = wd_http_proxy_note_header(r, u, h);

            if (rc != WD_OK) {
                return rc;
            }

            continue;
        }

        if (rc == WD_HTTP_PARSE_HEADER_DONE) {
            if (ctx->state == 2) {
                /* after an interim response: the final status line */
                ctx->state = 0;
                u->process_header = wd_http_proxy_process_status_line;
                return wd_http_proxy_process_status_line(r);
            }

            break;
        }

        if (rc == WD_AGAIN) {
            return WD_AGAIN;
        }

        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "upstream sent invalid header: \"%.*s\"",
                     (int) wd_min((size_t) (u->buffer.last
                                            - (r->header_name_start
                                                   ? r->header_name_start
                                                   : u->buffer.pos)),
                                  (size_t) 256),
                     r->header_name_start ? r->header_name_start
                                          : u->buffer.pos);

        return WD_HTTP_UPSTREAM_INVALID_HEADER;
    }

    if (u->headers_in.chunked && u->headers_in.content_length) {
        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "upstream sent \"Content-Length\" and "
                     "\"Transfer-Encoding\" headers at the same time");
        return WD_HTTP_UPSTREAM_INVALID_HEADER;
    }

    if (u->headers_in.chunked) {
        u->headers_in.content_length_n = -1;
    }

    plcf = wd_http_get_module_loc_conf(r, wd_http_proxy_module);

    if (u->headers_in.status_n == WD_HTTP_SWITCHING_PROTOCOLS) {
        u->keepalive = 0;

        if (r->headers_in.upgrade && plcf->http_version == WD_HTTP_VERSION_11)
        {
            u->upgrade = 1;

        } else {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                         "upstream sent \"101 Switching Protocols\" "
                         "to a request that did not ask to upgrade");
            return WD_HTTP_UPSTREAM_INVALID_HEADER;
        }

        u->headers_in.content_length_n = -1;
        return WD_OK;
    }

    u->keepalive = !u->headers_in.connection_close;

    if (r->method == WD_HTTP_HEAD || u->headers_in.status_n == 204
        || u->headers_in.status_n == 304)
    {
        /* no body follows, whatever Content-Length says */
        u->length = 0;
        u->done = 1;

        if (u->buffer.pos != u->buffer.last) {
            u->keepalive = 0;
        }

    } else if (u->headers_in.chunked) {
        u->length = 1;

    } else {
        u->length = u->headers_in.content_length_n;

        if (u->length == -1) {
            u->keepalive = 0;
        }
    }

    return WD_OK;
}

/* ---- the body ------------------------------------------------------- */

static wd_int_t
wd_http_proxy_input_filter_init(void *data)
{
    wd_http_request_t *r = data;
    wd_http_upstream_t *u;
    wd_http_proxy_ctx_t *ctx;

    u = r->upstream;
    ctx = wd_http_get_module_ctx(r, wd_http_proxy_module);

    if (u->headers_in.chunked) {
        wd_memzero(&ctx->chunked, sizeof(wd_http_chunked_t));
        /* kept for $upstream_trailer_*; a retry zeroes it all again */
        ctx->chunked.trailer_pool = r->pool;
        u->input_filter = wd_http_proxy_chunked_filter;
        u->length = 1;

    } else if (u->length == -1) {
        u->input_filter = wd_http_proxy_close_filter;

    } else {
        u->input_filter = wd_http_proxy_length_filter;

        if (u->length == 0) {
            u->done = 1;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_http_proxy_length_filter(void *data, wd_buf_t *b, ssize_t bytes)
{
    wd_http_request_t *r = data;
    u_char *start;
    off_t take;
    wd_http_upstream_t *u;

    u = r->upstream;
    start = b->last - bytes;
    take = wd_min((off_t) bytes, u->length);

    if (wd_http_upstream_add_slice(u, r->pool, b, start, start + take)
        != WD_OK)
    {
        return WD_ERROR;
    }

    u->length -= take;
    u->state->response_length += take;

    if (take < bytes) {
        wd_log_error(WD_LOG_WARN, r->connection->log, 0,
                     "upstream sent more data than specified in "
                     "\"Content-Length\" header");
        u->keepalive = 0;
        b->last = start + take;
    }

    if (u->length == 0) {
        u->done = 1;
    }

    return WD_OK;
}

static wd_int_t
wd_http_proxy_close_filter(void *data, wd_buf_t *b, ssize_t bytes)
{
    wd_http_request_t *r = data;
    wd_http_upstream_t *u;

    u = r->upstream;
    u->state->response_length += bytes;

    return wd_http_upstream_add_slice(u, r->pool, b, b->last - bytes,
                                      b->last);
}

static wd_int_t
wd_http_proxy_chunked_filter(void *data, wd_buf_t *b, ssize_t bytes)
{
    wd_http_request_t *r = data;
    off_t n;
    wd_int_t rc;
    wd_buf_t in;
    wd_http_upstream_t *u;
    wd_http_proxy_ctx_t *ctx;

    u = r->upstream;
    ctx = wd_http_get_module_ctx(r, wd_http_proxy_module);

    in = *b;
    in.pos = b->last - bytes;

    /* as nginx: $upstream_response_length counts the chunk framing */
    u->state->response_length += bytes;

    for (;;) {
        rc = wd_http_parse_chunked(r, &in, &ctx->chunked);

        if (rc == WD_OK) {
            n = wd_min(ctx->chunked.size, (off_t) (in.last - in.pos));

            if (wd_http_upstream_add_slice(u, r->pool, b, in.pos,
                                           in.pos + n) != WD_OK)
            {
                return WD_ERROR;
            }

            in.pos += n;
            ctx->chunked.size -= n;
            continue;
        }

        if (rc == WD_DONE) {
            u->length = 0;
            u->done = 1;

            if (wd_http_proxy_add_trailers(r, &ctx->chunked.trailers)
                != WD_OK)
            {
                return WD_ERROR;
            }

            if (in.pos != in.last) {
                wd_log_error(WD_LOG_WARN, r->connection->log, 0,
                             "upstream sent data after final chunk");
                u->keepalive = 0;
            }

            return WD_OK;
        }

        if (rc == WD_AGAIN) {
            return WD_OK;
        }

        wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                     "upstream sent invalid chunked response");
        u->keepalive = 0;

        return WD_ERROR;
    }
}

/* One trailer field line [p, end), its line end left out, as a
 * u->headers_in.trailers entry filled like the header ones (a hash and a
 * lowercase copy of the name, NUL-terminated name and value), so that
 * $upstream_trailer_x_checksum finds "X-Checksum".  The parser checked the
 * line: a token, a colon, a value without CTLs. */
static wd_int_t
wd_http_proxy_add_trailer(wd_http_request_t *r, u_char *p, u_char *end)
{
    u_char *colon;
    wd_table_elt_t *h;
    wd_http_upstream_t *u;

    u = r->upstream;
    colon = wd_strlchr(p, end, ':');

    if (colon == NULL) {
        return WD_ERROR;
    }

    h = wd_list_push(&u->headers_in.trailers);

    if (h == NULL) {
        return WD_ERROR;
    }

    h->key.data = p;
    h->key.len = colon - p;
    h->lowcase_key = wd_pnalloc(r->pool, h->key.len);

    if (h->lowcase_key == NULL) {
        return WD_ERROR;
    }

    h->hash = wd_hash_strlow(h->lowcase_key, h->key.data, h->key.len);
    h->next = NULL;

    for (p = colon + 1; p < end && (*p == ' ' || *p == '\t'); p++) {
        /* void */
    }

    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    h->value.data = p;
    h->value.len = end - p;

    /* the kept section is the request's own: terminate in place */
    *colon = '\0';
    *end = '\0';

    return WD_OK;
}

/* Splits the trailer section the chunked parser kept into fields for
 * $upstream_trailer_*.  The client does not get them (as nginx). */
static wd_int_t
wd_http_proxy_add_trailers(wd_http_request_t *r, wd_str_t *section)
{
    u_char *p, *lf, *end, *last;

    p = section->data;
    last = p + section->len;

    while (p < last) {
        lf = wd_strlchr(p, last, LF);

        if (lf == NULL) {
            return WD_ERROR;        /* the parser keeps whole lines only */
        }

        end = (lf > p && lf[-1] == CR) ? lf - 1 : lf;

        if (wd_http_proxy_add_trailer(r, p, end) != WD_OK) {
            return WD_ERROR;
        }

        p = lf + 1;
    }

    /* taken: a parser that says WD_DONE again adds nothing twice */
    section->len = 0;

    return WD_OK;
}

/* ---- proxy_redirect ------------------------------------------------- */

static wd_int_t
wd_http_proxy_rewrite_redirect(wd_http_request_t *r, wd_table_elt_t *h,
    size_t prefix)
{
    u_char *p;
    size_t len;
    wd_str_t value, replacement;
    wd_uint_t i;
    wd_http_proxy_rewrite_t *pr;
    wd_http_proxy_loc_conf_t *plcf;

    plcf = wd_http_get_module_loc_conf(r, wd_http_proxy_module);

    pr = plcf->redirects->elts;
    value.data = h->value.data + prefix;
    value.len = h->value.len - prefix;

    for (i = 0; i < plcf->redirects->nelts; i++) {
        if (pr[i].regex) {
            if (wd_http_regex_exec(r, pr[i].regex, &value) != WD_OK) {
                continue;
            }

            len = value.len;        /* the whole value is replaced */

        } else {
            if (value.len < pr[i].redirect.len
                || wd_strncasecmp(value.data, pr[i].redirect.data,
                                  pr[i].redirect.len) != 0)
            {
                continue;
            }

            len = pr[i].redirect.len;
        }

        if (wd_http_complex_value(r, &pr[i].replacement, &replacement)
            != WD_OK)
        {
            return WD_ERROR;
        }

        p = wd_pnalloc(r->pool, h->value.len - len + replacement.len);

        if (p == NULL) {
            return WD_ERROR;
        }

        h->value.data = p;
        p = wd_cpymem(p, value.data - prefix, prefix);
        p = wd_cpymem(p, replacement.data, replacement.len);
        p = wd_cpymem(p, value.data + len, value.len - len);
        h->value.len = p - h->value.data;

        return WD_OK;
    }

    return WD_DECLINED;
}

/* ---- proxy_cookie_domain, proxy_cookie_path ------------------------- */

/* Rewrites the value of the "name=" attribute of a Set-Cookie line with
 * the first rule that matches it. */
static wd_int_t
wd_http_proxy_rewrite_cookie_attr(wd_http_request_t *r, wd_table_elt_t *h,
    wd_array_t *rules, const char *name, wd_uint_t domain)
{
    u_char *p, *start, *end, *last, *np;
    size_t nlen, len;
    wd_str_t value, match, replacement;
    wd_uint_t i;
    wd_http_proxy_rewrite_t *pr;

    nlen = wd_strlen(name);
    last = h->value.data + h->value.len;
    start = NULL;

    /* attributes follow the first ';' */
    for (p = wd_strlchr(h->value.data, last, ';'); p && p < last; p++) {
        while (p < last && (*p == ';' || *p == ' ' || *p == '\t')) {
            p++;
        }

        if ((size_t) (last - p) > nlen
            && wd_strncasecmp(p, (u_char *) name, nlen) == 0)
        {
            start = p + nlen;
            break;
        }

        p = wd_strlchr(p, last, ';');

        if (p == NULL) {
            break;
        }

        p--;
    }

    if (start == NULL) {
        return WD_DECLINED;
    }

    end = wd_strlchr(start, last, ';');

    if (end == NULL) {
        end = last;
    }

    value.data = start;
    value.len = end - start;
    match = value;

    if (domain && match.len && match.data[0] == '.') {
        /* a leading dot does not count */
        match.data++;
        match.len--;
    }

    pr = rules->elts;

    for (i = 0; i < rules->nelts; i++) {
        if (pr[i].regex) {
            if (wd_http_regex_exec(r, pr[i].regex, &match) != WD_OK) {
                continue;
            }

            len = match.len;

        } else if (domain) {
            wd_str_t want = pr[i].redirect;

            if (want.len && want.data[0] == '.') {
                want.data++;
                want.len--;
            }

            if (match.len != want.len
                || wd_strncasecmp(match.data, want.data, want.len) != 0)
            {
                continue;
            }

            len = match.len;

        } else {
            if (match.len < pr[i].redirect.len
                || wd_memcmp(match.data, pr[i].redirect.data,
                             pr[i].redirect.len) != 0)
            {
                continue;
            }

            len = pr[i].redirect.len;
        }

        if (wd_http_complex_value(r, &pr[i].replacement, &replacement)
            != WD_OK)
        {
            return WD_ERROR;
        }

        np = wd_pnalloc(r->pool, h->value.len - len + replacement.len);

        if (np == NULL) {
            return WD_ERROR;
        }

        p = wd_cpymem(np, h->value.data, match.data - h->value.data);
        p = wd_cpymem(p, replacement.data, replacement.len);
        p = wd_cpymem(p, match.data + len, last - (match.data + len));

        h->value.data = np;
        h->value.len = p - np;

        return WD_OK;
    }

    return WD_DECLINED;
}

static wd_int_t
wd_http_proxy_rewrite_cookie(wd_http_request_t *r, wd_table_elt_t *h)
{
    wd_http_proxy_loc_conf_t *plcf;

    plcf = wd_http_get_module_loc_conf(r, wd_http_proxy_module);

    if (plcf->cookie_domains
        && wd_http_proxy_rewrite_cookie_attr(r, h, plcf->cookie_domains,
                                             "domain=", 1) == WD_ERROR)
    {
        return WD_ERROR;
    }

    if (plcf->cookie_paths
        && wd_http_proxy_rewrite_cookie_attr(r, h, plcf->cookie_paths,
                                             "path=", 0) == WD_ERROR)
    {
        return WD_ERROR;
    }

    return WD_OK;
}

/* proxy_cookie_domain off | DOMAIN REPLACEMENT (proxy_cookie_path alike) */
static char *
wd_http_proxy_cookie_rewrite(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *p = conf;

    wd_str_t *value;
    wd_array_t **rules;
    wd_regex_compile_t rc;
    wd_http_proxy_rewrite_t *pr;
    wd_http_compile_complex_value_t ccv;

    rules = (wd_array_t **) (p + cmd->offset);
    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (!wd_str_eq(&value[1], "off")) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid parameter \"%.*s\"",
                              wd_str_fmt(&value[1]));
            return WD_CONF_ERROR;
        }

        if (*rules != WD_CONF_UNSET_PTR) {
            return "is duplicate";
        }

        *rules = NULL;
        return WD_CONF_OK;
    }

    if (*rules == NULL) {
        return "is duplicate";
    }

    if (*rules == WD_CONF_UNSET_PTR) {
        *rules = wd_array_create(cf->pool, 1, sizeof(wd_http_proxy_rewrite_t));

        if (*rules == NULL) {
            return WD_CONF_ERROR;
        }
    }

    pr = wd_array_push(*rules);

    if (pr == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(pr, sizeof(wd_http_proxy_rewrite_t));

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &pr->replacement;

    if (wd_http_compile_complex_value(&ccv) != WD_OK) {
        return WD_CONF_ERROR;
    }

    if (value[1].len && value[1].data[0] == '~') {
        wd_memzero(&rc, sizeof(wd_regex_compile_t));
        rc.pattern.data = value[1].data + 1;
        rc.pattern.len = value[1].len - 1;

        if (rc.pattern.len && rc.pattern.data[0] == '*') {
            rc.pattern.data++;
            rc.pattern.len--;
            rc.options = WD_REGEX_CASELESS;

        } else if (cmd->offset == wd_proxy_offset(cookie_domains)) {
            rc.options = WD_REGEX_CASELESS;     /* domains have no case */
        }

        pr->regex = wd_http_regex_compile(cf, &rc);

        return pr->regex ? WD_CONF_OK : WD_CONF_ERROR;
    }

    pr->redirect = value[1];

    return WD_CONF_OK;
}

/* ---- variables ------------------------------------------------------ */

static wd_int_t
wd_http_proxy_host_variable(wd_http_request_t *r, wd_http_variable_value_t *v,
    uintptr_t data)
{
    wd_str_t *s;
    wd_http_upstream_t *u;
    wd_http_proxy_loc_conf_t *plcf;

    plcf = wd_http_get_module_loc_conf(r, wd_http_proxy_module);
    u = r->upstream;

    if (plcf->url_value && u && u->resolved && u->resolved->naddrs
        && u->resolved->addrs[0].sockaddr->sa_family == AF_UNIX)
    {
        /* a unix socket named by variables: as without them */
        if (data) {
            v->not_found = 1;
            return WD_OK;
        }

        v->len = sizeof("localhost") - 1;
        v->data = (u_char *) "localhost";
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;

        return WD_OK;
    }

    if (plcf->url_value && u && u->resolved) {
        /* with variables: the host (and port unless default) just made */
        u_char *p = wd_pnalloc(r->pool, u->resolved->host.len + 1
                                            + WD_INT_T_LEN);

        if (p == NULL) {
            return WD_ERROR;
        }

        v->data = p;

        if (data) {
            p = wd_sprint_uint(p, u->resolved->port);

        } else {
            p = wd_cpymem(p, u->resolved->host.data, u->resolved->host.len);

            if (!u->resolved->no_port && u->resolved->port != 80) {
                *p++ = ':';
                p = wd_sprint_uint(p, u->resolved->port);
            }
        }

        v->len = p - v->data;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;

        return WD_OK;
    }

    s = data ? &plcf->port : &plcf->host;

    if (s->len == 0) {
        v->not_found = 1;
        return WD_OK;
    }

    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return WD_OK;
}

static wd_int_t
wd_http_proxy_add_x_forwarded_for_variable(wd_http_request_t *r,
    wd_http_variable_value_t *v, uintptr_t data)
{
    u_char *p;
    size_t len;
    wd_table_elt_t *h, *xfwd;

    (void) data;

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    xfwd = r->headers_in.x_forwarded_for;
    len = 0;

    for (h = xfwd; h; h = h->next) {
        len += h->value.len + sizeof(", ") - 1;
    }

    if (len == 0) {
        v->len = r->connection->addr_text.len;
        v->data = r->connection->addr_text.data;
        return WD_OK;
    }

    len += r->connection->addr_text.len;

    p = wd_pnalloc(r->pool, len);

    if (p == NULL) {
        return WD_ERROR;
    }

    v->data = p;

    for (h = xfwd; h; h = h->next) {
        p = wd_cpymem(p, h->value.data, h->value.len);
        *p++ = ',';
        *p++ = ' ';
    }

    p = wd_cpymem(p, r->connection->addr_text.data,
                  r->connection->addr_text.len);

    v->len = p - v->data;

    return WD_OK;
}

static wd_http_variable_t wd_http_proxy_vars[] = {
    { wd_string("proxy_host"), NULL, wd_http_proxy_host_variable, 0,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("proxy_port"), NULL, wd_http_proxy_host_variable, 1,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    { wd_string("proxy_add_x_forwarded_for"), NULL,
      wd_http_proxy_add_x_forwarded_for_variable, 0,
      WD_HTTP_VAR_NOCACHEABLE, 0 },
    wd_http_null_variable
};

static wd_int_t
wd_http_proxy_add_variables(wd_conf_t *cf)
{
    wd_uint_t i;
    wd_http_variable_t *var, *v;
    wd_http_proxy_known_header_t *kh;

    for (i = 0; wd_http_proxy_hop_headers[i].len; i++) {
        wd_http_proxy_hop_hash[i] =
            wd_hash_key_lc(wd_http_proxy_hop_headers[i].data,
                           wd_http_proxy_hop_headers[i].len);
    }

    for (kh = wd_http_proxy_known_headers; kh->id; kh++) {
        kh->hash = wd_hash_key(kh->name.data, kh->name.len);
    }

    for (v = wd_http_proxy_vars; v->name.len; v++) {
        var = wd_http_add_variable(cf, &v->name, v->flags);

        if (var == NULL) {
            return WD_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return WD_OK;
}

/* ---- configuration -------------------------------------------------- */

static void *
wd_http_proxy_create_loc_conf(wd_conf_t *cf)
{
    wd_http_proxy_loc_conf_t *conf;

    conf = wd_pcalloc(cf->pool, sizeof(wd_http_proxy_loc_conf_t));

    if (conf == NULL) {
        return NULL;
    }

    conf->upstream.connect_timeout = WD_CONF_UNSET_MSEC;
    conf->upstream.send_timeout = WD_CONF_UNSET_MSEC;
    conf->upstream.read_timeout = WD_CONF_UNSET_MSEC;
    conf->upstream.next_upstream_timeout = WD_CONF_UNSET_MSEC;
    conf->upstream.next_upstream_tries = WD_CONF_UNSET_UINT;

    conf->upstream.buffer_size = WD_CONF_UNSET_SIZE;
    conf->upstream.busy_buffers_size_conf = WD_CONF_UNSET_SIZE;
    conf->upstream.max_temp_file_size_conf = WD_CONF_UNSET_SIZE;
    conf->upstream.temp_file_write_size_conf = WD_CONF_UNSET_SIZE;

    conf->upstream.buffering = WD_CONF_UNSET;
    conf->upstream.request_buffering = WD_CONF_UNSET;
    conf->upstream.pass_request_headers = WD_CONF_UNSET;
    conf->upstream.pass_request_body = WD_CONF_UNSET;
    conf->upstream.ignore_client_abort = WD_CONF_UNSET;
    conf->upstream.intercept_errors = WD_CONF_UNSET;
    conf->upstream.socket_keepalive = WD_CONF_UNSET;
    conf->upstream.force_ranges = WD_CONF_UNSET;

    conf->upstream.limit_rate = WD_CONF_UNSET_PTR;
    conf->upstream.temp_path = WD_CONF_UNSET_PTR;
    conf->upstream.local = WD_CONF_UNSET_PTR;
    conf->upstream.hide_headers = WD_CONF_UNSET_PTR;
    conf->upstream.pass_headers = WD_CONF_UNSET_PTR;

    conf->headers_source = WD_CONF_UNSET_PTR;
    conf->body_value = WD_CONF_UNSET_PTR;
    conf->method = WD_CONF_UNSET_PTR;
    conf->redirects = WD_CONF_UNSET_PTR;
    conf->cookie_domains = WD_CONF_UNSET_PTR;
    conf->cookie_paths = WD_CONF_UNSET_PTR;

    conf->http_version = WD_CONF_UNSET_UINT;
    conf->redirect = WD_CONF_UNSET;

    /* bufs.num stays 0 until set; ignore_headers and next_upstream are
     * bitmasks: 0 is "unset" */

    wd_str_set(&conf->upstream.module, "proxy");

    return conf;
}

/* The proxy_set_header list of a level: the level's own, or the
 * inherited one; with the defaults for headers nobody set. */
static wd_int_t
wd_http_proxy_merge_headers(wd_conf_t *cf, wd_http_proxy_loc_conf_t *conf,
    wd_http_proxy_loc_conf_t *prev)
{
    wd_uint_t i, j;
    wd_keyval_t *src;
    wd_http_proxy_header_t *ph;
    wd_http_compile_complex_value_t ccv;

    static wd_keyval_t defaults[] = {
        { wd_string("Host"), wd_string("$proxy_host") },
        { wd_string("Connection"), wd_string("close") },
        { wd_null_string, wd_null_string }
    };

    if (conf->headers_source == WD_CONF_UNSET_PTR) {
        conf->headers_source = prev->headers_source;

        if (conf->headers_source == WD_CONF_UNSET_PTR) {
            conf->headers_source = NULL;
        }

        if (prev->headers && conf->headers_source == prev->headers_source) {
            conf->headers = prev->headers;
            return WD_OK;
        }
    }

    conf->headers = wd_array_create(cf->pool, 4,
                                    sizeof(wd_http_proxy_header_t));

    if (conf->headers == NULL) {
        return WD_ERROR;
    }

    for (j = 0; j < 2; j++) {
        wd_uint_t n;

        if (j == 0) {
            src = conf->headers_source ? conf->headers_source->elts : NULL;
            n = conf->headers_source ? conf->headers_source->nelts : 0;

        } else {
            src = defaults;
            n = 2;
        }

        for (i = 0; i < n; i++) {
            wd_uint_t k, dup = 0;

            ph = conf->headers->elts;

            for (k = 0; k < conf->headers->nelts; k++) {
                if (ph[k].key.len == src[i].key.len
                    && wd_strncasecmp(ph[k].key.data, src[i].key.data,
                                      src[i].key.len) == 0)
                {
                    dup = 1;
                    break;
                }
            }

            if (dup && j == 1) {
                continue;
            }

            ph = wd_array_push(conf->headers);

            if (ph == NULL) {
                return WD_ERROR;
            }

            ph->key = src[i].key;
            ph->hash = wd_hash_key_lc(src[i].key.data, src[i].key.len);

            wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
            ccv.cf = cf;
            ccv.value = &src[i].value;
            ccv.complex_value = &ph->value;

            if (wd_http_compile_complex_value(&ccv) != WD_OK) {
                return WD_ERROR;
            }
        }
    }

    return WD_OK;
}

/* proxy_redirect of a level: off, its own rules, the inherited ones, or
 * the default made from its proxy_pass (the URL, or the URL and "/"
 * without a URI part, becomes the location, or "/"), as nginx. */
static wd_int_t
wd_http_proxy_merge_redirects(wd_conf_t *cf, wd_http_proxy_loc_conf_t *conf,
    wd_http_proxy_loc_conf_t *prev)
{
    u_char *p;
    wd_http_proxy_rewrite_t *pr;

    wd_conf_merge_value(conf->redirect, prev->redirect, 1);

    if (conf->redirect == 0) {
        conf->redirects = NULL;
        return WD_OK;
    }

    if (conf->redirects == WD_CONF_UNSET_PTR) {
        conf->redirects = prev->redirects;

        if (conf->redirects && conf->redirects != WD_CONF_UNSET_PTR
            && conf->redirects->nelts == 1
            && ((wd_http_proxy_rewrite_t *) conf->redirects->elts)
                   ->is_default)
        {
            /* the parent's default is made from the parent's proxy_pass */
            conf->redirects = NULL;
        }
    }

    if (conf->redirects != WD_CONF_UNSET_PTR && conf->redirects != NULL) {
        return WD_OK;
    }

    conf->redirects = NULL;

    if (conf->url.len == 0 || conf->url_value) {
        return WD_OK;
    }

    conf->redirects = wd_array_create(cf->pool, 1,
                                      sizeof(wd_http_proxy_rewrite_t));

    if (conf->redirects == NULL) {
        return WD_ERROR;
    }

    pr = wd_array_push(conf->redirects);

    if (pr == NULL) {
        return WD_ERROR;
    }

    wd_memzero(pr, sizeof(wd_http_proxy_rewrite_t));
    pr->is_default = 1;

    if (conf->uri.len) {
        pr->redirect = conf->url;
        pr->replacement.value = conf->location;
        return WD_OK;
    }

    p = wd_pnalloc(cf->pool, conf->url.len + 1);

    if (p == NULL) {
        return WD_ERROR;
    }

    pr->redirect.data = p;
    p = wd_cpymem(p, conf->url.data, conf->url.len);
    *p++ = '/';
    pr->redirect.len = p - pr->redirect.data;
    wd_str_set(&pr->replacement.value, "/");

    return WD_OK;
}

static char *
wd_http_proxy_merge_loc_conf(wd_conf_t *cf, void *parent, void *child)
{
    wd_http_proxy_loc_conf_t *prev = parent;
    wd_http_proxy_loc_conf_t *conf = child;

    size_t size;
    wd_http_core_loc_conf_t *clcf;

    wd_conf_merge_msec_value(conf->upstream.connect_timeout,
                             prev->upstream.connect_timeout, 60000);
    wd_conf_merge_msec_value(conf->upstream.send_timeout,
                             prev->upstream.send_timeout, 60000);
    wd_conf_merge_msec_value(conf->upstream.read_timeout,
                             prev->upstream.read_timeout, 60000);
    wd_conf_merge_msec_value(conf->upstream.next_upstream_timeout,
                             prev->upstream.next_upstream_timeout, 0);
    wd_conf_merge_uint_value(conf->upstream.next_upstream_tries,
                             prev->upstream.next_upstream_tries, 0);

    wd_conf_merge_value(conf->upstream.buffering, prev->upstream.buffering, 1);
    wd_conf_merge_value(conf->upstream.request_buffering,
                        prev->upstream.request_buffering, 1);
    wd_conf_merge_value(conf->upstream.pass_request_headers,
                        prev->upstream.pass_request_headers, 1);
    wd_conf_merge_value(conf->upstream.pass_request_body,
                        prev->upstream.pass_request_body, 1);
    wd_conf_merge_value(conf->upstream.ignore_client_abort,
                        prev->upstream.ignore_client_abort, 0);
    wd_conf_merge_value(conf->upstream.intercept_errors,
                        prev->upstream.intercept_errors, 0);
    wd_conf_merge_value(conf->upstream.socket_keepalive,
                        prev->upstream.socket_keepalive, 0);
    wd_conf_merge_value(conf->upstream.force_ranges,
                        prev->upstream.force_ranges, 0);

    wd_conf_merge_ptr_value(conf->upstream.limit_rate,
                            prev->upstream.limit_rate, NULL);
    wd_conf_merge_ptr_value(conf->upstream.local, prev->upstream.local, NULL);

    wd_conf_merge_size_value(conf->upstream.buffer_size,
                             prev->upstream.buffer_size,
                             (size_t) wd_pagesize);

    if (conf->upstream.bufs.num == 0) {
        conf->upstream.bufs = prev->upstream.bufs;

        if (conf->upstream.bufs.num == 0) {
            conf->upstream.bufs.num = 8;
            conf->upstream.bufs.size = (size_t) wd_pagesize;
        }
    }

    if (conf->upstream.bufs.num < 2) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "there must be at least 2 \"proxy_buffers\"");
        return WD_CONF_ERROR;
    }

    size = wd_max(conf->upstream.buffer_size, conf->upstream.bufs.size);

    wd_conf_merge_size_value(conf->upstream.busy_buffers_size_conf,
                             prev->upstream.busy_buffers_size_conf,
                             2 * size);
    conf->upstream.busy_buffers_size = conf->upstream.busy_buffers_size_conf;

    if (conf->upstream.busy_buffers_size < size) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"proxy_busy_buffers_size\" must be equal to or "
                          "greater than the maximum of the value of "
                          "\"proxy_buffer_size\" and one of the "
                          "\"proxy_buffers\"");
        return WD_CONF_ERROR;
    }

    if (conf->upstream.busy_buffers_size
        > (conf->upstream.bufs.num - 1) * conf->upstream.bufs.size)
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"proxy_busy_buffers_size\" must be less than "
                          "the size of all \"proxy_buffers\" minus one "
                          "buffer");
        return WD_CONF_ERROR;
    }

    wd_conf_merge_size_value(conf->upstream.temp_file_write_size_conf,
                             prev->upstream.temp_file_write_size_conf,
                             2 * size);
    conf->upstream.temp_file_write_size =
        conf->upstream.temp_file_write_size_conf;

    wd_conf_merge_size_value(conf->upstream.max_temp_file_size_conf,
                             prev->upstream.max_temp_file_size_conf,
                             1024 * 1024 * 1024);
    conf->upstream.max_temp_file_size =
        conf->upstream.max_temp_file_size_conf;

    if (conf->upstream.max_temp_file_size != 0
        && conf->upstream.max_temp_file_size < size)
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"proxy_max_temp_file_size\" must be equal to "
                          "zero to disable temporary files usage or must be "
                          "equal to or greater than the maximum of the value "
                          "of \"proxy_buffer_size\" and one of the "
                          "\"proxy_buffers\"");
        return WD_CONF_ERROR;
    }

    if (conf->upstream.ignore_headers == 0) {
        conf->upstream.ignore_headers = prev->upstream.ignore_headers;
    }

    if (conf->upstream.next_upstream == 0) {
        conf->upstream.next_upstream = prev->upstream.next_upstream
                                           ? prev->upstream.next_upstream
                                           : (WD_CONF_BITMASK_SET
                                              | WD_HTTP_UPSTREAM_FT_ERROR
                                              | WD_HTTP_UPSTREAM_FT_TIMEOUT);
    }

    if (conf->upstream.next_upstream & WD_HTTP_UPSTREAM_FT_OFF) {
        conf->upstream.next_upstream = WD_CONF_BITMASK_SET
                                       | WD_HTTP_UPSTREAM_FT_OFF;
    }

    if (wd_conf_merge_path_value(cf, &conf->upstream.temp_path,
                                 prev->upstream.temp_path,
                                 &wd_http_proxy_temp_path) != WD_CONF_OK)
    {
        return WD_CONF_ERROR;
    }

    if (wd_http_upstream_hide_headers_hash(cf, &conf->upstream,
                                           &prev->upstream,
                                           wd_http_proxy_hide_headers)
        != WD_OK)
    {
        return WD_CONF_ERROR;
    }

    wd_conf_merge_ptr_value(conf->body_value, prev->body_value, NULL);
    wd_conf_merge_ptr_value(conf->method, prev->method, NULL);
    wd_conf_merge_uint_value(conf->http_version, prev->http_version,
                             WD_HTTP_VERSION_10);

    /* the parent's proxy_pass, unless this level has its own: one with
     * variables has a url_value and no group */
    if (conf->upstream.upstream == NULL && conf->url_value == NULL) {
        conf->upstream.upstream = prev->upstream.upstream;
        conf->url = prev->url;
        conf->url_value = prev->url_value;
        conf->host = prev->host;
        conf->port = prev->port;
        conf->uri = prev->uri;
        conf->schema = prev->schema;
        conf->location = prev->location;
    }

    if (wd_http_proxy_merge_redirects(cf, conf, prev) != WD_OK) {
        return WD_CONF_ERROR;
    }

    wd_conf_merge_ptr_value(conf->cookie_domains, prev->cookie_domains, NULL);
    wd_conf_merge_ptr_value(conf->cookie_paths, prev->cookie_paths, NULL);

    clcf = wd_http_conf_get_module_loc_conf(cf, wd_http_core_module);

    if (clcf->noname && conf->upstream.upstream == NULL
        && prev->upstream.upstream)
    {
        /* an "if" block inherits its location's proxy_pass */
        conf->upstream.upstream = prev->upstream.upstream;
    }

    if (wd_http_proxy_merge_headers(cf, conf, prev) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

/* $proxy_host and $proxy_port of a proxy_pass without variables: the
 * host with its port unless 80, or "localhost" and no port for a unix
 * socket, as nginx. */
static wd_int_t
wd_http_proxy_set_host(wd_conf_t *cf, wd_http_proxy_loc_conf_t *plcf,
    wd_url_t *u)
{
    u_char *p;

    if (u->family == AF_UNIX) {
        wd_str_set(&plcf->host, "localhost");
        wd_str_null(&plcf->port);
        return WD_OK;
    }

    plcf->host = u->host;

    if (!u->no_port && u->port != 80) {
        p = wd_pnalloc(cf->pool, u->host.len + 1 + 5);

        if (p == NULL) {
            return WD_ERROR;
        }

        plcf->host.data = p;
        p = wd_cpymem(p, u->host.data, u->host.len);
        *p++ = ':';
        p = wd_sprint_uint(p, u->port);
        plcf->host.len = p - plcf->host.data;
    }

    p = wd_pnalloc(cf->pool, 5);

    if (p == NULL) {
        return WD_ERROR;
    }

    plcf->port.data = p;
    plcf->port.len = wd_sprint_uint(p, u->port ? u->port : 80) - p;

    return WD_OK;
}

static char *
wd_http_proxy_pass(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_proxy_loc_conf_t *plcf = conf;

    size_t add;
    wd_str_t *value, *url;
    wd_url_t u;
    wd_http_core_loc_conf_t *clcf;
    wd_http_compile_complex_value_t ccv;

    (void) cmd;

    if (plcf->upstream.upstream || plcf->url_value) {
        return "is duplicate";
    }

    clcf = wd_http_conf_get_module_loc_conf(cf, wd_http_core_module);
    clcf->handler = wd_http_proxy_handler;

    if (clcf->name.len && clcf->name.data[clcf->name.len - 1] == '/') {
        clcf->auto_redirect = 1;
    }

    value = cf->args->elts;
    url = &value[1];

    plcf->url = *url;
    plcf->location = clcf->name;

    if (wd_http_script_variables_count(url)) {
        plcf->url_value = wd_palloc(cf->pool, sizeof(wd_http_complex_value_t));

        if (plcf->url_value == NULL) {
            return WD_CONF_ERROR;
        }

        wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = url;
        ccv.complex_value = plcf->url_value;

        if (wd_http_compile_complex_value(&ccv) != WD_OK) {
            return WD_CONF_ERROR;
        }

        return WD_CONF_OK;
    }

    if (url->len > 7 && wd_strncasecmp(url->data, (u_char *) "http://", 7)
                            == 0)
    {
        add = 7;

    } else if (url->len > 8
               && wd_strncasecmp(url->data, (u_char *) "https://", 8) == 0)
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "https protocol requires SSL support");
        return WD_CONF_ERROR;

    } else {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid URL prefix");
        return WD_CONF_ERROR;
    }

    wd_memzero(&u, sizeof(wd_url_t));

    u.url.len = url->len - add;
    u.url.data = url->data + add;
    u.default_port = 80;
    u.uri_part = 1;
    u.no_resolve = 0;

    /* an upstream block's name is resolved as a group, not as a host */
    {
        wd_uint_t i;
        size_t hlen;
        wd_http_upstream_srv_conf_t **uscfp;
        wd_http_upstream_main_conf_t *umcf;

        umcf = wd_http_conf_get_module_main_conf(cf, wd_http_upstream_module);
        uscfp = umcf->upstreams.elts;

        for (hlen = 0; hlen < u.url.len && u.url.data[hlen] != '/'
                       && u.url.data[hlen] != ':'; hlen++)
        {
            /* void */
        }

        for (i = 0; i < umcf->upstreams.nelts; i++) {
            if ((uscfp[i]->flags & WD_HTTP_UPSTREAM_CREATE)
                && uscfp[i]->host.len == hlen
                && wd_strncasecmp(uscfp[i]->host.data, u.url.data, hlen) == 0)
            {
                u.no_resolve = 1;
            }
        }
    }

    plcf->upstream.upstream = wd_http_upstream_add(cf, &u, 0);

    if (plcf->upstream.upstream == NULL) {
        return WD_CONF_ERROR;
    }

    wd_str_set(&plcf->schema, "http://");

    if (wd_http_proxy_set_host(cf, plcf, &u) != WD_OK) {
        return WD_CONF_ERROR;
    }

    plcf->uri = u.uri;

    if (u.uri.len
        && (clcf->named || clcf->regex || clcf->noname || clcf->lmt_excpt))
    {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "\"proxy_pass\" cannot have URI part in location "
                          "given by regular expression, or inside named "
                          "location, or inside \"if\" statement, or inside "
                          "\"limit_except\" block");
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

/* proxy_redirect default | off | REDIRECT REPLACEMENT */
static char *
wd_http_proxy_redirect(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_proxy_loc_conf_t *plcf = conf;

    wd_str_t *value;
    wd_http_proxy_rewrite_t *pr;
    wd_regex_compile_t rc;
    wd_http_compile_complex_value_t ccv;

    (void) cmd;

    value = cf->args->elts;

    if (cf->args->nelts == 2 && wd_str_eq(&value[1], "off")) {
        if (plcf->redirects != WD_CONF_UNSET_PTR && plcf->redirects) {
            return "is duplicate";
        }

        plcf->redirects = NULL;
        plcf->redirect = 0;
        return WD_CONF_OK;
    }

    if (plcf->redirects == NULL) {
        return "is duplicate";
    }

    plcf->redirect = 1;

    if (plcf->redirects == WD_CONF_UNSET_PTR) {
        plcf->redirects = wd_array_create(cf->pool, 1,
                                          sizeof(wd_http_proxy_rewrite_t));

        if (plcf->redirects == NULL) {
            return WD_CONF_ERROR;
        }
    }

    pr = wd_array_push(plcf->redirects);

    if (pr == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(pr, sizeof(wd_http_proxy_rewrite_t));

    if (cf->args->nelts == 2) {
        if (!wd_str_eq(&value[1], "default")) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid parameter \"%.*s\"",
                              wd_str_fmt(&value[1]));
            return WD_CONF_ERROR;
        }

        if (plcf->url_value) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "\"proxy_redirect default\" cannot be used "
                              "with \"proxy_pass\" directive with variables");
            return WD_CONF_ERROR;
        }

        if (plcf->url.len == 0) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "\"proxy_redirect default\" should be placed "
                              "after the \"proxy_pass\" directive");
            return WD_CONF_ERROR;
        }

        pr->redirect = plcf->url;
        pr->replacement.value = plcf->location;

        return WD_CONF_OK;
    }

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &pr->replacement;

    if (wd_http_compile_complex_value(&ccv) != WD_OK) {
        return WD_CONF_ERROR;
    }

    if (value[1].len && value[1].data[0] == '~') {
        wd_memzero(&rc, sizeof(wd_regex_compile_t));

        rc.pattern.data = value[1].data + 1;
        rc.pattern.len = value[1].len - 1;

        if (rc.pattern.len && rc.pattern.data[0] == '*') {
            rc.pattern.data++;
            rc.pattern.len--;
            rc.options = WD_REGEX_CASELESS;
        }

        pr->regex = wd_http_regex_compile(cf, &rc);

        if (pr->regex == NULL) {
            return WD_CONF_ERROR;
        }

        return WD_CONF_OK;
    }

    pr->redirect = value[1];

    return WD_CONF_OK;
}

static char *
wd_http_proxy_set_complex(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *p = conf;

    wd_str_t *value;
    wd_http_complex_value_t **cv;
    wd_http_compile_complex_value_t ccv;

    cv = (wd_http_complex_value_t **) (p + cmd->offset);

    if (*cv != WD_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *cv = wd_palloc(cf->pool, sizeof(wd_http_complex_value_t));

    if (*cv == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = *cv;

    if (wd_http_compile_complex_value(&ccv) != WD_OK) {
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static char *
wd_http_proxy_next_upstream(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    char *rv;

    rv = wd_conf_set_bitmask_slot(cf, cmd, conf);

    if (rv != WD_CONF_OK) {
        return rv;
    }

    return WD_CONF_OK;
}
