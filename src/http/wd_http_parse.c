/*
 * The HTTP/1.x parsers: request line, header lines, status line, chunked
 * bodies, and the URI helpers (normalization, arguments, safe redirects).
 *
 * They are pure functions of their input: no allocation, no I/O, no read
 * past b->last.  The incremental ones are state machines that handle one
 * byte per step and keep their state in r->state (ctx->state), so input may
 * arrive a byte at a time; the contracts are in wd_http.h.  They follow RFC
 * 9110/9112 strictly where a lenient reading would let two parsers disagree
 * about where a message ends (request smuggling): bare CR, obs-fold,
 * whitespace before a colon, CTLs and bad chunk sizes are rejected.
 */

#include <wd_core.h>
#include <wd_http.h>


/* Byte classes. */
#define WD_HTTP_C_TCHAR 0x01    /* token (RFC 9110 §5.6.2) */
#define WD_HTTP_C_HOST 0x02     /* reg-name: unreserved, sub-delims */
#define WD_HTTP_C_SCHEME 0x04   /* RFC 3986 §3.1, after the first ALPHA */

#define T WD_HTTP_C_TCHAR
#define H WD_HTTP_C_HOST
#define S WD_HTTP_C_SCHEME

static const u_char wd_http_chars[256] = {
    ['!'] = T | H,
    ['#'] = T,
    ['$'] = T | H,
    ['%'] = T,
    ['&'] = T | H,
    ['\''] = T | H,
    ['('] = H,
    [')'] = H,
    ['*'] = T | H,
    ['+'] = T | H | S,
    [','] = H,
    ['-'] = T | H | S,
    ['.'] = T | H | S,
    ['0' ... '9'] = T | H | S,
    [';'] = H,
    ['='] = H,
    ['A' ... 'Z'] = T | H | S,
    ['^'] = T,
    ['_'] = T | H,
    ['`'] = T,
    ['a' ... 'z'] = T | H | S,
    ['|'] = T,
    ['~'] = T | H,
};

#undef T
#undef H
#undef S

#define wd_http_is_tchar(c) (wd_http_chars[c] & WD_HTTP_C_TCHAR)

/* A header name's byte lowercased, or 0 for one that is not a tchar or
 * is '_' (whose fate depends on underscores_in_headers). */
static const u_char wd_http_name_lc[256] = {
    ['!'] = '!', ['#'] = '#', ['$'] = '$', ['%'] = '%', ['&'] = '&',
    ['\''] = '\'', ['*'] = '*', ['+'] = '+', ['-'] = '-', ['.'] = '.',
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
    ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
    ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
    ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
    ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
    ['Z'] = 'z', ['^'] = '^', ['`'] = '`',
    ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e',
    ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j',
    ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o',
    ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't',
    ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y',
    ['z'] = 'z', ['|'] = '|', ['~'] = '~',
};
#define wd_http_is_host(c) (wd_http_chars[c] & WD_HTTP_C_HOST)
#define wd_http_is_scheme(c) (wd_http_chars[c] & WD_HTTP_C_SCHEME)
#define wd_http_is_ctl(c) ((c) < 0x20 || (c) == 0x7f)
#define wd_http_is_digit(c) ((c) >= '0' && (c) <= '9')
#define wd_http_is_alpha(c) (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z')
#define wd_http_is_ows(c) ((c) == ' ' || (c) == '\t')
/* VCHAR or obs-text: inside a field value, not SP, HTAB or another CTL */
#define wd_http_is_value_byte(c) ((c) > 0x20 && (c) != 0x7f)

/* Methods are tokens, but lowercase ones are refused as nginx does: "get"
 * is far more likely an attack or a broken client than a method. */
#define wd_http_is_method_char(c)                                              \
    (wd_http_is_tchar(c) && !((c) >= 'a' && (c) <= 'z'))

#define WD_HTTP_METHOD_MAX_LEN 32


static wd_int_t
wd_http_hex_digit(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* ---- the request line ------------------------------------------------ */

/* The states, grouped by the function that handles them (in this order:
 * wd_http_rl_step() dispatches on the ranges). */
enum {
    WD_RL_START = 0,            /* before the method, skipping empty lines */
    WD_RL_START_LF,             /* CR of an empty line seen */
    WD_RL_METHOD,

    WD_RL_TARGET,               /* the byte after the method's SP */
    WD_RL_ASTERISK,

    WD_RL_SCHEME,
    WD_RL_SCHEME_SLASH,
    WD_RL_SCHEME_SLASH_SLASH,
    WD_RL_HOST_START,
    WD_RL_HOST,
    WD_RL_HOST_IP_LITERAL,
    WD_RL_HOST_END,             /* after the ']' of an IP literal */
    WD_RL_PORT,

    WD_RL_AFTER_SLASH,
    WD_RL_PATH,
    WD_RL_ARGS,

    WD_RL_AFTER_TARGET,         /* the byte after the target's SP */
    WD_RL_PROTOCOL,             /* in "HTTP/" */
    WD_RL_MAJOR,
    WD_RL_DOT,
    WD_RL_MINOR,
    WD_RL_LINE_END,
    WD_RL_ALMOST_DONE           /* CR seen */
};


static void
wd_http_rl_reset(wd_http_request_t *r, u_char *p)
{
    r->request_start = p;
    r->method_end = NULL;
    r->method = 0;
    r->uri_start = NULL;
    r->uri_end = NULL;
    r->uri_ext = NULL;
    r->args_start = NULL;
    r->request_end = NULL;
    r->schema_start = NULL;
    r->schema_end = NULL;
    r->host_start = NULL;
    r->host_end = NULL;
    r->port_start = NULL;
    r->port_end = NULL;
    r->http_protocol.data = NULL;
    r->http_protocol.len = 0;
    r->http_major = 0;
    r->http_minor = 0;
    r->complex_uri = 0;
    r->quoted_uri = 0;
    r->plus_in_uri = 0;
    r->empty_path_in_uri = 0;
}


static wd_uint_t
wd_http_method_id(u_char *m, size_t len)
{
    wd_uint_t i;

    static const struct {
        const char *name;
        wd_uint_t id;
    } methods[] = {
        { "GET", WD_HTTP_GET },
        { "HEAD", WD_HTTP_HEAD },
        { "POST", WD_HTTP_POST },
        { "PUT", WD_HTTP_PUT },
        { "DELETE", WD_HTTP_DELETE },
        { "MKCOL", WD_HTTP_MKCOL },
        { "COPY", WD_HTTP_COPY },
        { "MOVE", WD_HTTP_MOVE },
        { "OPTIONS", WD_HTTP_OPTIONS },
        { "PROPFIND", WD_HTTP_PROPFIND },
        { "PROPPATCH", WD_HTTP_PROPPATCH },
        { "LOCK", WD_HTTP_LOCK },
        { "UNLOCK", WD_HTTP_UNLOCK },
        { "PATCH", WD_HTTP_PATCH },
        { "TRACE", WD_HTTP_TRACE },
        { "CONNECT", WD_HTTP_CONNECT },
    };

    for (i = 0; i < wd_nelems(methods); i++) {
        if (wd_strlen(methods[i].name) == len
            && wd_memcmp(methods[i].name, m, len) == 0)
        {
            return methods[i].id;
        }
    }

    return WD_HTTP_UNKNOWN;
}


/* The request line ends at p (CR or LF); with CR, the LF must follow. */
static wd_int_t
wd_http_rl_line_end(wd_http_request_t *r, u_char *p)
{
    r->request_end = p;

    if (*p == LF) {
        return WD_OK;
    }

    r->state = WD_RL_ALMOST_DONE;
    return WD_AGAIN;
}


/* The target ends at p: SP before the version, or CR/LF (HTTP/0.9). */
static wd_int_t
wd_http_rl_target_end(wd_http_request_t *r, u_char *p)
{
    r->uri_end = p;

    if (*p == ' ') {
        r->state = WD_RL_AFTER_TARGET;
        return WD_AGAIN;
    }

    if (*p == CR || *p == LF) {
        return wd_http_rl_line_end(r, p);
    }

    return WD_HTTP_PARSE_INVALID_REQUEST;
}


static wd_int_t
wd_http_rl_method(wd_http_request_t *r, u_char *p)
{
    u_char ch = *p;

    switch (r->state) {

    case WD_RL_START:
        /* RFC 9112 §2.2: empty lines before the request line are ignored */
        if (ch == CR) {
            r->state = WD_RL_START_LF;
            return WD_AGAIN;
        }

        if (ch == LF) {
            return WD_AGAIN;
        }

        if (!wd_http_is_method_char(ch)) {
            return WD_HTTP_PARSE_INVALID_METHOD;
        }

        wd_http_rl_reset(r, p);
        r->state = WD_RL_METHOD;
        return WD_AGAIN;

    case WD_RL_START_LF:
        if (ch != LF) {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        r->state = WD_RL_START;
        return WD_AGAIN;

    default: /* WD_RL_METHOD */
        if (ch == ' ') {
            r->method_end = p;
            r->method_name.data = r->request_start;
            r->method_name.len = p - r->request_start;
            r->method = wd_http_method_id(r->request_start,
                r->method_name.len);
            r->state = WD_RL_TARGET;
            return WD_AGAIN;
        }

        if (!wd_http_is_method_char(ch)
            || p - r->request_start >= WD_HTTP_METHOD_MAX_LEN)
        {
            return WD_HTTP_PARSE_INVALID_METHOD;
        }

        return WD_AGAIN;
    }
}


/* What may follow the authority of an absolute-form target. */
static wd_int_t
wd_http_rl_authority_end(wd_http_request_t *r, u_char *p)
{
    switch (*p) {

    case '/':
        r->uri_start = p;
        r->state = WD_RL_AFTER_SLASH;
        return WD_AGAIN;

    case '?':
        r->uri_start = p;
        r->args_start = p + 1;
        r->empty_path_in_uri = 1;
        r->state = WD_RL_ARGS;
        return WD_AGAIN;

    case ' ':
    case CR:
    case LF:
        r->uri_start = p;
        r->empty_path_in_uri = 1;
        return wd_http_rl_target_end(r, p);

    default:
        return WD_HTTP_PARSE_INVALID_REQUEST;
    }
}


/* The byte after the host: a port, or the rest of the target. */
static wd_int_t
wd_http_rl_host_end(wd_http_request_t *r, u_char *p)
{
    if (*p == ':') {
        r->port_start = p + 1;
        r->state = WD_RL_PORT;
        return WD_AGAIN;
    }

    if (r->method == WD_HTTP_CONNECT) {
        /* RFC 9110 §9.3.6: the port is required */
        return WD_HTTP_PARSE_INVALID_REQUEST;
    }

    return wd_http_rl_authority_end(r, p);
}


static wd_int_t
wd_http_rl_port(wd_http_request_t *r, u_char *p)
{
    size_t len;
    wd_int_t port;

    if (wd_http_is_digit(*p)) {
        return (p - r->port_start < 5) ? WD_AGAIN
                                       : WD_HTTP_PARSE_INVALID_REQUEST;
    }

    r->port_end = p;
    len = p - r->port_start;

    /* "http://host:/" is a valid URI, but CONNECT needs a port */
    if (len > 0 || r->method == WD_HTTP_CONNECT) {
        port = wd_atoi(r->port_start, len);

        if (port < 0 || port > 65535) {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }
    }

    if (r->method == WD_HTTP_CONNECT) {
        return wd_http_rl_target_end(r, p);
    }

    return wd_http_rl_authority_end(r, p);
}


/* The scheme and authority of absolute-form, and authority-form. */
static wd_int_t
wd_http_rl_authority(wd_http_request_t *r, u_char *p)
{
    u_char ch = *p;

    switch (r->state) {

    case WD_RL_SCHEME:
        if (ch == ':') {
            r->schema_end = p;
            r->state = WD_RL_SCHEME_SLASH;
            return WD_AGAIN;
        }

        return wd_http_is_scheme(ch) ? WD_AGAIN
                                     : WD_HTTP_PARSE_INVALID_REQUEST;

    case WD_RL_SCHEME_SLASH:
    case WD_RL_SCHEME_SLASH_SLASH:
        if (ch != '/') {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        r->state++;
        r->host_start = p + 1;
        return WD_AGAIN;

    case WD_RL_HOST_START:
        /* RFC 9110 §4.2.1: an empty host is invalid; '@' (userinfo) too,
         * as no byte outside reg-name is taken */
        if (ch == '[') {
            r->state = WD_RL_HOST_IP_LITERAL;
            return WD_AGAIN;
        }

        if (!wd_http_is_host(ch)) {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        r->state = WD_RL_HOST;
        return WD_AGAIN;

    case WD_RL_HOST:
        if (wd_http_is_host(ch)) {
            return WD_AGAIN;
        }

        r->host_end = p;
        return wd_http_rl_host_end(r, p);

    case WD_RL_HOST_IP_LITERAL:
        if (ch == ']' && p - r->host_start > 1) {
            r->host_end = p + 1;
            r->state = WD_RL_HOST_END;
            return WD_AGAIN;
        }

        return (wd_http_is_host(ch) || ch == ':')
                   ? WD_AGAIN
                   : WD_HTTP_PARSE_INVALID_REQUEST;

    case WD_RL_HOST_END:
        return wd_http_rl_host_end(r, p);

    default: /* WD_RL_PORT */
        return wd_http_rl_port(r, p);
    }
}


/* The first byte of the target chooses its form (RFC 9112 §3.2). */
static wd_int_t
wd_http_rl_target(wd_http_request_t *r, u_char *p)
{
    u_char ch = *p;

    if (r->state == WD_RL_ASTERISK) {
        return wd_http_rl_target_end(r, p);
    }

    if (r->method == WD_HTTP_CONNECT) {
        /* authority-form, and only it */
        r->uri_start = p;
        r->host_start = p;
        r->state = WD_RL_HOST_START;
        return wd_http_rl_authority(r, p);
    }

    if (ch == '/') {
        r->uri_start = p;
        r->state = WD_RL_AFTER_SLASH;
        return WD_AGAIN;
    }

    /* asterisk-form is for a server-wide OPTIONS only (RFC 9112 §3.2.4) */
    if (ch == '*' && r->method == WD_HTTP_OPTIONS) {
        r->uri_start = p;
        r->state = WD_RL_ASTERISK;
        return WD_AGAIN;
    }

    if (wd_http_is_alpha(ch)) {
        r->schema_start = p;
        r->state = WD_RL_SCHEME;
        return WD_AGAIN;
    }

    return WD_HTTP_PARSE_INVALID_REQUEST;
}


/* A byte of the path or the query that is not plain. */
static wd_int_t
wd_http_rl_uri_special(wd_http_request_t *r, u_char *p)
{
    switch (*p) {

    case '?':
        if (r->state != WD_RL_ARGS) {
            r->args_start = p + 1;
            r->state = WD_RL_ARGS;
        }

        return WD_AGAIN;

    case '#':
        /* a fragment is never sent (RFC 9112 §3.2.1): flagged here and
         * refused by wd_http_parse_complex_uri() */
        r->complex_uri = 1;
        break;

    case '%':
        if (r->state != WD_RL_ARGS) {
            r->quoted_uri = 1;
            r->complex_uri = 1;
        }

        break;

    case '+':
        if (r->state != WD_RL_ARGS) {
            r->plus_in_uri = 1;
        }

        break;

    case ' ':
    case CR:
    case LF:
        return wd_http_rl_target_end(r, p);

    default:
        /* CTLs, DEL */
        return WD_HTTP_PARSE_INVALID_REQUEST;
    }

    if (r->state == WD_RL_AFTER_SLASH) {
        r->state = WD_RL_PATH;
    }

    return WD_AGAIN;
}


/* The path and query of origin-form and absolute-form. */
static wd_int_t
wd_http_rl_path(wd_http_request_t *r, u_char *p)
{
    u_char ch = *p;

    if (r->state != WD_RL_ARGS) {

        switch (ch) {

        case '/':
            if (r->state == WD_RL_AFTER_SLASH) {
                r->complex_uri = 1;     /* "//" */
            }

            r->uri_ext = NULL;
            r->state = WD_RL_AFTER_SLASH;
            return WD_AGAIN;

        case '.':
            if (r->state == WD_RL_AFTER_SLASH) {
                r->complex_uri = 1;     /* "/.", "/..", "/.name" */
            } else {
                r->uri_ext = p + 1;
            }

            r->state = WD_RL_PATH;
            return WD_AGAIN;
        }
    }

    if (ch > 0x20 && ch != 0x7f && ch != '?' && ch != '#' && ch != '%'
        && ch != '+')
    {
        /* obs-text and the bytes browsers send unescaped ('"', '<', '\\',
         * '^', '{', '|', ...) are taken as nginx takes them */
        if (r->state == WD_RL_AFTER_SLASH) {
            r->state = WD_RL_PATH;
        }

        return WD_AGAIN;
    }

    return wd_http_rl_uri_special(r, p);
}


/* " HTTP/x.y" CRLF: exactly one SP before it, one digit each side. */
static wd_int_t
wd_http_rl_version(wd_http_request_t *r, u_char *p)
{
    u_char ch = *p;

    switch (r->state) {

    case WD_RL_AFTER_TARGET:
        if (ch != 'H') {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        r->http_protocol.data = p;
        r->state = WD_RL_PROTOCOL;
        return WD_AGAIN;

    case WD_RL_PROTOCOL:
        if (ch != "HTTP/"[p - r->http_protocol.data]) {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        if (ch == '/') {
            r->state = WD_RL_MAJOR;
        }

        return WD_AGAIN;

    case WD_RL_MAJOR:
    case WD_RL_MINOR:
        if (!wd_http_is_digit(ch)) {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        if (r->state == WD_RL_MAJOR) {
            r->http_major = ch - '0';
        } else {
            r->http_minor = ch - '0';
        }

        r->state++;
        return WD_AGAIN;

    case WD_RL_DOT:
        if (ch != '.') {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        r->state = WD_RL_MINOR;
        return WD_AGAIN;

    case WD_RL_LINE_END:
        if (ch != CR && ch != LF) {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        return wd_http_rl_line_end(r, p);

    default: /* WD_RL_ALMOST_DONE: a bare CR is invalid */
        return (ch == LF) ? WD_OK : WD_HTTP_PARSE_INVALID_REQUEST;
    }
}


/* One byte: WD_AGAIN (go on), WD_OK (the line ended at p), or an error. */
static wd_int_t
wd_http_rl_step(wd_http_request_t *r, u_char *p)
{
    if (r->state <= WD_RL_METHOD) {
        return wd_http_rl_method(r, p);
    }

    if (r->state <= WD_RL_ASTERISK) {
        return wd_http_rl_target(r, p);
    }

    if (r->state <= WD_RL_PORT) {
        return wd_http_rl_authority(r, p);
    }

    if (r->state <= WD_RL_ARGS) {
        return wd_http_rl_path(r, p);
    }

    return wd_http_rl_version(r, p);
}


/* The line is complete: check what could only be checked at its end. */
static wd_int_t
wd_http_rl_done(wd_http_request_t *r)
{
    if (r->http_protocol.data == NULL) {
        /* HTTP/0.9: "GET /path" and nothing else */
        r->http_major = 0;
        r->http_minor = 9;
        r->http_version = WD_HTTP_VERSION_9;

        return (r->method == WD_HTTP_GET) ? WD_OK
                                          : WD_HTTP_PARSE_INVALID_09_METHOD;
    }

    r->http_protocol.len = r->request_end - r->http_protocol.data;
    r->http_version = r->http_major * 1000 + r->http_minor;

    /* HTTP/1.2 .. 1.9 are 1.x (RFC 9110 §2.5); 0.x and 2.0 and above are
     * not spoken on an HTTP/1 connection: 505 */
    if (r->http_major != 1) {
        return WD_HTTP_PARSE_INVALID_VERSION;
    }

    return WD_OK;
}


wd_int_t
wd_http_parse_request_line(wd_http_request_t *r, wd_buf_t *b)
{
    u_char *p;
    wd_int_t rc;

    for (p = b->pos; p < b->last; p++) {
        rc = wd_http_rl_step(r, p);

        if (rc == WD_AGAIN) {
            continue;
        }

        r->state = WD_RL_START;

        if (rc != WD_OK) {
            b->pos = p;
            return rc;
        }

        b->pos = p + 1;
        return wd_http_rl_done(r);
    }

    b->pos = p;
    return WD_AGAIN;
}


/* ---- header lines ---------------------------------------------------- */

enum {
    WD_HL_START = 0,
    WD_HL_NAME,
    WD_HL_SPACE_BEFORE_VALUE,
    WD_HL_VALUE,
    WD_HL_SPACE_AFTER_VALUE,
    WD_HL_ALMOST_DONE,          /* CR of a field line seen */
    WD_HL_HEADER_ALMOST_DONE    /* CR of the empty line seen */
};


static void
wd_http_hl_name_byte(wd_http_request_t *r, u_char ch,
    wd_uint_t allow_underscores)
{
    u_char c;

    if (!wd_http_is_tchar(ch) || (ch == '_' && !allow_underscores)) {
        r->invalid_header = 1;
    }

    c = wd_tolower(ch);
    r->header_hash = wd_hash(r->header_hash, c);

    if (r->lowcase_index < WD_HTTP_LC_HEADER_LEN) {
        r->lowcase_header[r->lowcase_index++] = c;
    }
}


static wd_int_t
wd_http_hl_name(wd_http_request_t *r, u_char *p, wd_uint_t allow_underscores)
{
    u_char ch = *p;

    if (r->state == WD_HL_START) {

        switch (ch) {

        case CR:
            r->state = WD_HL_HEADER_ALMOST_DONE;
            return WD_AGAIN;

        case LF:
            return WD_HTTP_PARSE_HEADER_DONE;

        case ':':   /* an empty name */
        case ' ':   /* obs-fold, RFC 9112 §5.2 */
        case '\t':
            return WD_HTTP_PARSE_INVALID_HEADER;
        }

        r->header_name_start = p;
        r->header_hash = 0;
        r->lowcase_index = 0;
        r->invalid_header = 0;
        r->state = WD_HL_NAME;

    } else if (ch == ':') {
        r->header_name_end = p;
        r->state = WD_HL_SPACE_BEFORE_VALUE;
        return WD_AGAIN;
    }

    /* whitespace before the colon (RFC 9112 §5.1), no colon at all, CTLs:
     * the line cannot be skipped safely, so the request is refused */
    if (wd_http_is_ctl(ch) || ch == ' ') {
        return WD_HTTP_PARSE_INVALID_HEADER;
    }

    wd_http_hl_name_byte(r, ch, allow_underscores);
    return WD_AGAIN;
}


/* The field value: VCHAR, obs-text, SP and HTAB (RFC 9110 §5.5). */
static wd_int_t
wd_http_hl_value(wd_http_request_t *r, u_char *p)
{
    u_char ch = *p;

    if (wd_http_is_ows(ch)) {
        if (r->state == WD_HL_VALUE) {
            r->header_end = p;
            r->state = WD_HL_SPACE_AFTER_VALUE;
        }

        return WD_AGAIN;
    }

    if (ch == CR || ch == LF) {
        if (r->state == WD_HL_SPACE_BEFORE_VALUE) {
            r->header_start = p;
            r->header_end = p;

        } else if (r->state == WD_HL_VALUE) {
            r->header_end = p;
        }

        r->state = WD_HL_ALMOST_DONE;
        return (ch == LF) ? WD_OK : WD_AGAIN;
    }

    if (wd_http_is_ctl(ch)) {
        return WD_HTTP_PARSE_INVALID_HEADER;
    }

    if (r->state == WD_HL_SPACE_BEFORE_VALUE) {
        r->header_start = p;
    }

    r->state = WD_HL_VALUE;
    return WD_AGAIN;
}


/*
 * The common line whole in the buffer, in one pass: a name of tchars
 * other than '_', ':', optional OWS, a value of VCHAR/obs-text and OWS,
 * CRLF or LF.  WD_OK with the same results as the byte-at-a-time parser
 * below, or WD_DECLINED (nothing changed that it does not set again) for
 * anything else: the end of the header, an odd byte, a line cut short.
 */
/* Whether one of the eight bytes in x is a CTL (below 0x20) or DEL: the
 * bytes that may end a field value (HTAB among them, checked apart). */
static inline wd_uint_t
wd_http_has_ctl8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t highs = 0x8080808080808080ULL;
    uint64_t del;

    del = x ^ (ones * 0x7f);

    return (((x - ones * 0x20) & ~x) | ((del - ones) & ~del)) & highs;
}

/* The end of a field value's bytes (value bytes and OWS) from p: the
 * first byte that is neither, or last.  Eight bytes at a time while none
 * of them is a CTL or DEL. */
static u_char *
wd_http_value_span(u_char *p, u_char *last)
{
    uint64_t x;

    while (p < last) {
        if (last - p >= 8) {
            wd_memcpy(&x, p, 8);

            if (!wd_http_has_ctl8(x)) {
                p += 8;
                continue;
            }
        }

        if (!wd_http_is_value_byte(*p) && !wd_http_is_ows(*p)) {
            break;
        }

        p++;
    }

    return p;
}

static wd_int_t
wd_http_hl_fast(wd_http_request_t *r, wd_buf_t *b)
{
    u_char *p, *last, *name_end, *value, *end, c;
    wd_uint_t hash, idx;

    p = b->pos;
    last = b->last;
    hash = 0;
    idx = 0;

    while (p < last && (c = wd_http_name_lc[*p]) != 0) {
        hash = wd_hash(hash, c);

        if (idx < WD_HTTP_LC_HEADER_LEN) {
            r->lowcase_header[idx++] = c;
        }

        p++;
    }

    if (p == b->pos || p == last || *p != ':') {
        return WD_DECLINED;
    }

    name_end = p++;

    while (p < last && wd_http_is_ows(*p)) {
        p++;
    }

    value = p;
    p = wd_http_value_span(p, last);

    if (p == last) {
        return WD_DECLINED;
    }

    for (end = p; end > value && wd_http_is_ows(end[-1]); end--) {
        /* the OWS before the line end is not the value's */
    }

    if (*p == CR) {
        if (p + 1 == last || p[1] != LF) {
            return WD_DECLINED;
        }

        p++;

    } else if (*p != LF) {
        return WD_DECLINED;
    }

    r->header_name_start = b->pos;
    r->header_name_end = name_end;
    r->header_start = value;
    r->header_end = end;
    r->header_hash = hash;
    r->lowcase_index = idx;
    r->invalid_header = 0;
    r->state = WD_HL_START;

    b->pos = p + 1;

    return WD_OK;
}


wd_int_t
wd_http_parse_header_line(wd_http_request_t *r, wd_buf_t *b,
    wd_uint_t allow_underscores)
{
    u_char *p;
    wd_int_t rc;

    if (r->state == WD_HL_START && wd_http_hl_fast(r, b) == WD_OK) {
        return WD_OK;
    }

    for (p = b->pos; p < b->last; p++) {

        if (r->state == WD_HL_NAME) {
            /* the bulk of a name: tchars other than '_', lowercased and
             * hashed here; anything else takes the way below */
            wd_uint_t hash = r->header_hash;
            wd_uint_t idx = r->lowcase_index;
            u_char c;

            while ((c = wd_http_name_lc[*p]) != 0) {
                hash = wd_hash(hash, c);

                if (idx < WD_HTTP_LC_HEADER_LEN) {
                    r->lowcase_header[idx++] = c;
                }

                if (++p == b->last) {
                    break;
                }
            }

            r->header_hash = hash;
            r->lowcase_index = idx;

            if (p == b->last) {
                b->pos = p;
                return WD_AGAIN;
            }
        }

        if (r->state == WD_HL_VALUE) {
            /* the bulk of a value: bytes that leave the state as it is */
            while (wd_http_is_value_byte(*p)) {
                if (++p == b->last) {
                    b->pos = p;
                    return WD_AGAIN;
                }
            }
        }

        switch (r->state) {

        case WD_HL_START:
        case WD_HL_NAME:
            rc = wd_http_hl_name(r, p, allow_underscores);
            break;

        case WD_HL_ALMOST_DONE:
        case WD_HL_HEADER_ALMOST_DONE:
            /* a bare CR is invalid */
            if (*p != LF) {
                rc = WD_HTTP_PARSE_INVALID_HEADER;
            } else {
                rc = (r->state == WD_HL_ALMOST_DONE)
                         ? WD_OK
                         : WD_HTTP_PARSE_HEADER_DONE;
            }

            break;

        default:
            rc = wd_http_hl_value(r, p);
            break;
        }

        if (rc == WD_AGAIN) {
            continue;
        }

        r->state = WD_HL_START;
        b->pos = (rc == WD_HTTP_PARSE_INVALID_HEADER) ? p : p + 1;
        return rc;
    }

    b->pos = p;
    return WD_AGAIN;
}


/* ---- the status line of an upstream response ------------------------- */

enum {
    WD_SL_START = 0,
    WD_SL_PROTOCOL,             /* in "HTTP/" */
    WD_SL_MAJOR,
    WD_SL_DOT,
    WD_SL_MINOR,
    WD_SL_SPACE_BEFORE_CODE,
    WD_SL_CODE,                 /* 3 digits */
    WD_SL_CODE_END,
    WD_SL_REASON,
    WD_SL_ALMOST_DONE
};


static wd_int_t
wd_http_sl_version(wd_http_request_t *r, u_char *p, wd_http_status_t *status)
{
    u_char ch = *p;

    switch (r->state) {

    case WD_SL_START:
        if (ch != 'H') {
            return WD_ERROR;
        }

        status->start = p;
        status->code = 0;
        status->count = 0;
        r->state = WD_SL_PROTOCOL;
        return WD_AGAIN;

    case WD_SL_PROTOCOL:
        if (ch != "HTTP/"[p - status->start]) {
            return WD_ERROR;
        }

        if (ch == '/') {
            r->state = WD_SL_MAJOR;
        }

        return WD_AGAIN;

    case WD_SL_MAJOR:
        if (ch != '1') {
            return WD_ERROR;
        }

        r->http_major = 1;
        r->state = WD_SL_DOT;
        return WD_AGAIN;

    case WD_SL_DOT:
        if (ch != '.') {
            return WD_ERROR;
        }

        r->state = WD_SL_MINOR;
        return WD_AGAIN;

    default: /* WD_SL_MINOR */
        if (!wd_http_is_digit(ch)) {
            return WD_ERROR;
        }

        r->http_minor = ch - '0';
        status->http_version = 1000 + r->http_minor;
        r->state = WD_SL_SPACE_BEFORE_CODE;
        return WD_AGAIN;
    }
}


static wd_int_t
wd_http_sl_code(wd_http_request_t *r, u_char *p, wd_http_status_t *status)
{
    u_char ch = *p;

    switch (r->state) {

    case WD_SL_SPACE_BEFORE_CODE:
        if (ch != ' ') {
            return WD_ERROR;
        }

        r->state = WD_SL_CODE;
        return WD_AGAIN;

    case WD_SL_CODE:
        if (!wd_http_is_digit(ch)) {
            return WD_ERROR;
        }

        /* the first digit is not 0, so three digits make 100 or more */
        if (status->code == 0 && ch == '0') {
            return WD_ERROR;
        }

        status->code = status->code * 10 + (ch - '0');

        if (status->code >= 100) {
            r->state = WD_SL_CODE_END;
        }

        return WD_AGAIN;

    default: /* WD_SL_CODE_END */
        if (ch == ' ') {
            r->state = WD_SL_REASON;
            return WD_AGAIN;
        }

        if (ch == CR || ch == LF) {
            status->end = p;
            r->state = WD_SL_ALMOST_DONE;
            return (ch == LF) ? WD_OK : WD_AGAIN;
        }

        return WD_ERROR;
    }
}


static wd_int_t
wd_http_sl_reason(wd_http_request_t *r, u_char *p, wd_http_status_t *status)
{
    u_char ch = *p;

    if (r->state == WD_SL_ALMOST_DONE) {
        return (ch == LF) ? WD_OK : WD_ERROR;
    }

    if (ch == CR || ch == LF) {
        status->end = p;
        r->state = WD_SL_ALMOST_DONE;
        return (ch == LF) ? WD_OK : WD_AGAIN;
    }

    /* reason-phrase: HTAB, SP, VCHAR, obs-text */
    if (wd_http_is_ctl(ch) && ch != '\t') {
        return WD_ERROR;
    }

    status->count++;
    return WD_AGAIN;
}


wd_int_t
wd_http_parse_status_line(wd_http_request_t *r, wd_buf_t *b,
    wd_http_status_t *status)
{
    u_char *p;
    wd_int_t rc;

    for (p = b->pos; p < b->last; p++) {

        if (r->state <= WD_SL_MINOR) {
            rc = wd_http_sl_version(r, p, status);

        } else if (r->state <= WD_SL_CODE_END) {
            rc = wd_http_sl_code(r, p, status);

        } else {
            rc = wd_http_sl_reason(r, p, status);
        }

        if (rc == WD_AGAIN) {
            continue;
        }

        r->state = WD_SL_START;
        b->pos = (rc == WD_OK) ? p + 1 : p;
        return rc;
    }

    b->pos = p;
    return WD_AGAIN;
}


/* ---- URIs ------------------------------------------------------------ */

/* Percent-decodes [p, last) into dst; sets *len.  %00 is refused: a NUL
 * would cut the path short when it reaches the file system. */
static wd_int_t
wd_http_uri_decode(u_char *p, u_char *last, u_char *dst, size_t *len)
{
    u_char *d;
    wd_int_t hi, lo;

    for (d = dst; p < last; d++) {

        if (*p != '%') {
            *d = *p++;
            continue;
        }

        if (last - p < 3) {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        hi = wd_http_hex_digit(p[1]);
        lo = wd_http_hex_digit(p[2]);

        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        *d = (u_char) (hi * 16 + lo);
        p += 3;
    }

    *len = d - dst;
    return WD_OK;
}


/* Removes "." and ".." segments from the path u[0, *len) in place (RFC
 * 3986 §5.2.4), and empty segments but a last one when merge_slashes.
 * u[0] is '/'.  Each segment is copied with its leading '/', so the output
 * never overtakes the input. */
static wd_int_t
wd_http_uri_remove_dots(u_char *u, size_t *len, wd_uint_t merge_slashes)
{
    size_t i, e, n, w, seg;
    wd_uint_t last;

    n = *len;
    w = 0;

    for (i = 0; i < n; i = e) {
        for (e = i + 1; e < n && u[e] != '/'; e++) {
            /* void */
        }

        seg = e - i - 1;
        last = (e == n);

        if (seg == 2 && u[i + 1] == '.' && u[i + 2] == '.') {
            if (w == 0) {
                return WD_HTTP_PARSE_INVALID_REQUEST;   /* above the root */
            }

            do {
                w--;
            } while (u[w] != '/');

        } else if (!(seg == 1 && u[i + 1] == '.')
                   && !(seg == 0 && merge_slashes && !last))
        {
            wd_memmove(u + w, u + i, e - i);
            w += e - i;
            continue;
        }

        /* a "." or ".." (or merged "//") at the end leaves a directory */
        if (last) {
            u[w++] = '/';
        }
    }

    *len = w;
    return WD_OK;
}


/* The extension of the last segment of a normalized path: after its last
 * '.', unless that is its first byte ("/.profile" has none). */
static u_char *
wd_http_uri_ext(u_char *u, size_t len)
{
    u_char *p;

    for (p = u + len; p > u; p--) {
        if (p[-1] == '/') {
            return NULL;
        }

        if (p[-1] == '.') {
            return (p - 1 > u && p[-2] != '/') ? p : NULL;
        }
    }

    return NULL;
}


wd_int_t
wd_http_parse_complex_uri(wd_http_request_t *r, wd_uint_t merge_slashes)
{
    u_char *q, *path_end;
    size_t n;
    wd_int_t rc;

    /* a fragment is never sent (RFC 9112 §3.2.1); %23 is a plain '#' */
    if (wd_strlchr(r->uri_start, r->uri_end, '#') != NULL) {
        return WD_HTTP_PARSE_INVALID_REQUEST;
    }

    q = wd_strlchr(r->uri_start, r->uri_end, '?');
    path_end = q ? q : r->uri_end;

    if (path_end == r->uri_start && r->empty_path_in_uri) {
        r->uri.data[0] = '/';
        n = 1;

    } else {
        rc = wd_http_uri_decode(r->uri_start, path_end, r->uri.data, &n);

        if (rc != WD_OK) {
            return rc;
        }

        if (n == 0 || r->uri.data[0] != '/') {
            return WD_HTTP_PARSE_INVALID_REQUEST;
        }

        rc = wd_http_uri_remove_dots(r->uri.data, &n, merge_slashes);

        if (rc != WD_OK) {
            return rc;
        }
    }

    r->uri.len = n;
    r->uri_ext = wd_http_uri_ext(r->uri.data, n);

    if (q && r->args.data == NULL) {
        r->args.data = q + 1;
        r->args.len = r->uri_end - (q + 1);
    }

    return WD_OK;
}


/* A "." or ".." segment anywhere in [p, last), raw or %-encoded; a bad
 * %-escape or a NUL counts as unsafe too. */
static wd_uint_t
wd_http_uri_has_dot_segment(u_char *p, u_char *last)
{
    u_char ch;
    wd_int_t hi, lo, dots;

    /* dots: how many '.' the segment has so far, -1 if anything else */
    for (dots = 0; p < last; p++) {
        ch = *p;

        if (ch == '%') {
            hi = (last - p >= 3) ? wd_http_hex_digit(p[1]) : -1;
            lo = (last - p >= 3) ? wd_http_hex_digit(p[2]) : -1;

            if (hi < 0 || lo < 0) {
                return 1;
            }

            ch = (u_char) (hi * 16 + lo);
            p += 2;
        }

        if (ch == '\0') {
            return 1;
        }

        if (ch == '/') {
            if (dots == 1 || dots == 2) {
                return 1;
            }

            dots = 0;

        } else if (ch == '.' && dots >= 0) {
            dots += (dots < 3);

        } else {
            dots = -1;
        }
    }

    return (dots == 1 || dots == 2);
}


wd_int_t
wd_http_parse_unsafe_uri(wd_http_request_t *r, wd_str_t *uri,
    wd_str_t *args, wd_uint_t *flags)
{
    u_char *q, *last;

    last = uri->data + uri->len;
    q = (uri->len > 0) ? wd_strlchr(uri->data, last, '?') : NULL;

    if (uri->len == 0 || q == uri->data
        || wd_strlchr(uri->data, last, '\0') != NULL
        || wd_http_uri_has_dot_segment(uri->data, q ? q : last))
    {
        if (flags && (*flags & WD_HTTP_LOG_UNSAFE) && r && r->connection) {
            wd_log_error(WD_LOG_ERR, r->connection->log, 0,
                "unsafe URI \"%.*s\" was detected", wd_str_fmt(uri));
        }

        return WD_ERROR;
    }

    if (q) {
        args->data = q + 1;
        args->len = last - (q + 1);
        uri->len = q - uri->data;
    }

    return WD_OK;
}


void
wd_http_split_args(wd_http_request_t *r, wd_str_t *uri, wd_str_t *args)
{
    u_char *q;

    q = (uri->len > 0) ? wd_strlchr(uri->data, uri->data + uri->len, '?')
                       : NULL;

    if (q == NULL) {
        args->len = 0;
        args->data = NULL;
        return;
    }

    args->data = q + 1;
    args->len = uri->data + uri->len - (q + 1);
    uri->len = q - uri->data;
}


wd_int_t
wd_http_arg(wd_http_request_t *r, u_char *name, size_t len, wd_str_t *value)
{
    u_char *p, *last, *end, *eq;

    if (len == 0 || r->args.len == 0) {
        return WD_DECLINED;
    }

    p = r->args.data;
    last = p + r->args.len;

    for (;;) {
        end = wd_strlchr(p, last, '&');
        end = end ? end : last;
        eq = wd_strlchr(p, end, '=');

        if ((size_t) ((eq ? eq : end) - p) == len
            && wd_strncasecmp(p, name, len) == 0)
        {
            value->data = eq ? eq + 1 : end;
            value->len = end - value->data;
            return WD_OK;
        }

        if (end == last) {
            return WD_DECLINED;
        }

        p = end + 1;
    }
}


/* Trims SP and HTAB off both ends of [*start, *end). */
static void
wd_http_trim_ows(u_char **start, u_char **end)
{
    while (*start < *end && wd_http_is_ows(**start)) {
        (*start)++;
    }

    while (*end > *start && wd_http_is_ows((*end)[-1])) {
        (*end)--;
    }
}


/* Whether the list element [p, end) is name, or name=value (value set). */
static wd_uint_t
wd_http_list_element_is(u_char *p, u_char *end, wd_str_t *name,
    wd_str_t *value)
{
    u_char *eq, *key_end;

    eq = value ? wd_strlchr(p, end, '=') : NULL;

    if (value && eq == NULL) {
        return 0;
    }

    key_end = eq ? eq : end;
    wd_http_trim_ows(&p, &key_end);

    if ((size_t) (key_end - p) != name->len
        || wd_strncasecmp(p, name->data, name->len) != 0)
    {
        return 0;
    }

    if (value) {
        p = eq + 1;
        wd_http_trim_ows(&p, &end);
        value->data = p;
        value->len = end - p;
    }

    return 1;
}


wd_table_elt_t *
wd_http_parse_multi_header_lines(wd_http_request_t *r,
    wd_table_elt_t *headers, wd_str_t *name, wd_str_t *value)
{
    u_char *p, *last, *end;
    wd_table_elt_t *h;

    for (h = headers; h; h = h->next) {
        p = h->value.data;
        last = p + h->value.len;

        while (p < last) {
            for (end = p; end < last && *end != ',' && *end != ';'; end++) {
                /* void */
            }

            if (wd_http_list_element_is(p, end, name, value)) {
                return h;
            }

            p = (end < last) ? end + 1 : last;
        }
    }

    return NULL;
}


/* ---- chunked transfer coding (RFC 9112 §7.1) ------------------------- */

enum {
    WD_CH_SIZE_START = 0,
    WD_CH_SIZE,
    WD_CH_EXT_BWS,              /* SP after the size or a value: ';' next */
    WD_CH_EXT_NAME_START,       /* after ';' */
    WD_CH_EXT_NAME,
    WD_CH_EXT_AFTER_NAME,       /* SP after a name: '=' or ';' next */
    WD_CH_EXT_VALUE_START,      /* after '=' */
    WD_CH_EXT_TOKEN,
    WD_CH_EXT_QUOTED,
    WD_CH_EXT_QUOTED_PAIR,
    WD_CH_EXT_AFTER_QUOTED,
    WD_CH_SIZE_LF,              /* CR of the size line seen */

    WD_CH_DATA,
    WD_CH_DATA_END,             /* the CRLF after the data */
    WD_CH_DATA_LF,

    WD_CH_TRAILER_START,
    WD_CH_TRAILER_NAME,
    WD_CH_TRAILER_VALUE,
    WD_CH_TRAILER_LF,
    WD_CH_LAST_LF,              /* CR of the empty line seen */

    WD_CH_DONE,
    WD_CH_INVALID
};

#define WD_HTTP_CHUNK_SIZE_MAX_DIGITS 32    /* leading zeros included */


/* The size line is over (its LF): data follows, or the trailers. */
static wd_int_t
wd_http_ch_size_line_end(wd_http_chunked_t *ctx)
{
    ctx->count = 0;
    ctx->state = (ctx->size > 0) ? WD_CH_DATA : WD_CH_TRAILER_START;
    return WD_AGAIN;
}


/* CR or LF ending the size line in a state where it may end. */
static wd_int_t
wd_http_ch_size_eol(wd_http_chunked_t *ctx, u_char ch)
{
    if (ch == LF) {
        return wd_http_ch_size_line_end(ctx);
    }

    ctx->state = WD_CH_SIZE_LF;
    return WD_AGAIN;
}


/* What may follow a complete extension (or the size): another one, or the
 * end of the line. */
static wd_int_t
wd_http_ch_ext_next(wd_http_chunked_t *ctx, u_char ch)
{
    switch (ch) {
    case ';':
        ctx->state = WD_CH_EXT_NAME_START;
        return WD_AGAIN;
    case ' ':
    case '\t':
        ctx->state = WD_CH_EXT_BWS;
        return WD_AGAIN;
    case CR:
    case LF:
        return wd_http_ch_size_eol(ctx, ch);
    default:
        return WD_ERROR;
    }
}


static wd_int_t
wd_http_ch_size(wd_http_chunked_t *ctx, u_char ch)
{
    wd_int_t d;

    d = wd_http_hex_digit(ch);

    if (d >= 0) {
        if (ctx->state == WD_CH_SIZE_START) {
            ctx->size = 0;
            ctx->count = 0;
            ctx->state = WD_CH_SIZE;
        }

        if (ctx->size > (WD_MAX_OFF_T_VALUE - d) / 16
            || ++ctx->count > WD_HTTP_CHUNK_SIZE_MAX_DIGITS)
        {
            return WD_ERROR;
        }

        ctx->size = ctx->size * 16 + d;
        return WD_AGAIN;
    }

    /* no digit yet: "", "-1", "+5", " 5" are all invalid; after digits,
     * "0x5" is refused by wd_http_ch_ext_next() */
    if (ctx->state == WD_CH_SIZE_START) {
        return WD_ERROR;
    }

    ctx->count = (ch == CR || ch == LF) ? 0 : 1;
    return wd_http_ch_ext_next(ctx, ch);
}


/* chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): the names. */
static wd_int_t
wd_http_ch_ext_name(wd_http_chunked_t *ctx, u_char ch)
{
    switch (ctx->state) {

    case WD_CH_EXT_BWS:
        if (ch == ';') {
            ctx->state = WD_CH_EXT_NAME_START;
            return WD_AGAIN;
        }

        /* BWS is allowed before ';' only: not before the line's end */
        return wd_http_is_ows(ch) ? WD_AGAIN : WD_ERROR;

    case WD_CH_EXT_NAME_START:
        if (wd_http_is_tchar(ch)) {
            ctx->state = WD_CH_EXT_NAME;
            return WD_AGAIN;
        }

        return wd_http_is_ows(ch) ? WD_AGAIN : WD_ERROR;

    case WD_CH_EXT_NAME:
        if (wd_http_is_tchar(ch)) {
            return WD_AGAIN;
        }

        if (wd_http_is_ows(ch)) {
            ctx->state = WD_CH_EXT_AFTER_NAME;
            return WD_AGAIN;
        }

        break;

    default: /* WD_CH_EXT_AFTER_NAME */
        if (wd_http_is_ows(ch)) {
            return WD_AGAIN;
        }

        if (ch != '=' && ch != ';') {
            return WD_ERROR;
        }

        break;
    }

    if (ch == '=') {
        ctx->state = WD_CH_EXT_VALUE_START;
        return WD_AGAIN;
    }

    return wd_http_ch_ext_next(ctx, ch);
}


/* chunk-ext-val = token / quoted-string (RFC 9110 §5.6.4) */
static wd_int_t
wd_http_ch_ext_value(wd_http_chunked_t *ctx, u_char ch)
{
    switch (ctx->state) {

    case WD_CH_EXT_VALUE_START:
        if (ch == '"') {
            ctx->state = WD_CH_EXT_QUOTED;
            return WD_AGAIN;
        }

        if (wd_http_is_tchar(ch)) {
            ctx->state = WD_CH_EXT_TOKEN;
            return WD_AGAIN;
        }

        return wd_http_is_ows(ch) ? WD_AGAIN : WD_ERROR;

    case WD_CH_EXT_TOKEN:
        if (wd_http_is_tchar(ch)) {
            return WD_AGAIN;
        }

        return wd_http_ch_ext_next(ctx, ch);

    case WD_CH_EXT_QUOTED:
        if (ch == '"') {
            ctx->state = WD_CH_EXT_AFTER_QUOTED;
            return WD_AGAIN;
        }

        if (ch == '\\') {
            ctx->state = WD_CH_EXT_QUOTED_PAIR;
            return WD_AGAIN;
        }

        /* qdtext: HTAB, SP, VCHAR but '"' and '\\', obs-text */
        return (wd_http_is_ctl(ch) && ch != '\t') ? WD_ERROR : WD_AGAIN;

    case WD_CH_EXT_QUOTED_PAIR:
        if (wd_http_is_ctl(ch) && ch != '\t') {
            return WD_ERROR;
        }

        ctx->state = WD_CH_EXT_QUOTED;
        return WD_AGAIN;

    default: /* WD_CH_EXT_AFTER_QUOTED */
        return wd_http_ch_ext_next(ctx, ch);
    }
}


/* The CRLF after chunk data, and the size line's LF. */
static wd_int_t
wd_http_ch_line_ends(wd_http_chunked_t *ctx, u_char ch)
{
    switch (ctx->state) {

    case WD_CH_DATA_END:
        if (ch == CR) {
            ctx->state = WD_CH_DATA_LF;
            return WD_AGAIN;
        }

        /* fall through */

    case WD_CH_DATA_LF:
        if (ch != LF) {
            return WD_ERROR;    /* more data than the size said */
        }

        ctx->state = WD_CH_SIZE_START;
        return WD_AGAIN;

    default: /* WD_CH_SIZE_LF: a bare CR is invalid */
        return (ch == LF) ? wd_http_ch_size_line_end(ctx) : WD_ERROR;
    }
}


/* Keeps a byte of a trailer field line for the caller; the empty line
 * ending the section is not kept.  The buffer comes at the first byte, so
 * a response without trailers costs nothing, and ctx->count (checked
 * before) keeps the bytes within it. */
static wd_int_t
wd_http_ch_keep(wd_http_chunked_t *ctx, u_char ch)
{
    if (ctx->state == WD_CH_LAST_LF
        || (ctx->state == WD_CH_TRAILER_START && (ch == CR || ch == LF)))
    {
        return WD_OK;
    }

    if (ctx->trailers.data == NULL) {
        ctx->trailers.data = wd_pnalloc(ctx->trailer_pool,
                                        WD_HTTP_CHUNK_TRAILER_MAX);

        if (ctx->trailers.data == NULL) {
            return WD_ERROR;
        }
    }

    ctx->trailers.data[ctx->trailers.len++] = ch;

    return WD_OK;
}


/* trailer-section = *( field-line CRLF ) CRLF: checked like a header
 * line (no obs-fold, no CTL, a token name and a colon), then skipped or,
 * with a trailer_pool, kept. */
static wd_int_t
wd_http_ch_trailer(wd_http_chunked_t *ctx, u_char ch)
{
    if (++ctx->count > WD_HTTP_CHUNK_TRAILER_MAX) {
        return WD_ERROR;
    }

    if (ctx->trailer_pool && wd_http_ch_keep(ctx, ch) != WD_OK) {
        return WD_ERROR;
    }

    switch (ctx->state) {

    case WD_CH_TRAILER_START:
        if (ch == CR || ch == LF) {
            ctx->state = WD_CH_LAST_LF;
            return (ch == LF) ? WD_DONE : WD_AGAIN;
        }

        ctx->state = WD_CH_TRAILER_NAME;
        return wd_http_is_tchar(ch) ? WD_AGAIN : WD_ERROR;

    case WD_CH_TRAILER_NAME:
        if (ch == ':') {
            ctx->state = WD_CH_TRAILER_VALUE;
            return WD_AGAIN;
        }

        return wd_http_is_tchar(ch) ? WD_AGAIN : WD_ERROR;

    case WD_CH_TRAILER_VALUE:
        if (ch == CR || ch == LF) {
            ctx->state = (ch == LF) ? WD_CH_TRAILER_START : WD_CH_TRAILER_LF;
            return WD_AGAIN;
        }

        return (wd_http_is_ctl(ch) && ch != '\t') ? WD_ERROR : WD_AGAIN;

    case WD_CH_TRAILER_LF:
        ctx->state = WD_CH_TRAILER_START;
        return (ch == LF) ? WD_AGAIN : WD_ERROR;

    default: /* WD_CH_LAST_LF */
        return (ch == LF) ? WD_DONE : WD_ERROR;
    }
}


static wd_int_t
wd_http_ch_step(wd_http_chunked_t *ctx, u_char ch)
{
    wd_uint_t s = ctx->state;

    if (s <= WD_CH_SIZE) {
        return wd_http_ch_size(ctx, ch);
    }

    if (s <= WD_CH_EXT_AFTER_QUOTED && ch != CR && ch != LF
        && ++ctx->count > WD_HTTP_CHUNK_EXT_MAX)
    {
        return WD_ERROR;
    }

    if (s <= WD_CH_EXT_AFTER_NAME) {
        return wd_http_ch_ext_name(ctx, ch);
    }

    if (s <= WD_CH_EXT_AFTER_QUOTED) {
        return wd_http_ch_ext_value(ctx, ch);
    }

    if (s <= WD_CH_DATA_LF) {
        return wd_http_ch_line_ends(ctx, ch);
    }

    return wd_http_ch_trailer(ctx, ch);
}


static off_t
wd_http_ch_add(off_t a, off_t b)
{
    return (a > WD_MAX_OFF_T_VALUE - b) ? WD_MAX_OFF_T_VALUE : a + b;
}


/* A lower bound of what is still to come, with the shortest framing:
 * "\n" after the data or size line, then the last chunk "0\n\n". */
static off_t
wd_http_ch_length(wd_http_chunked_t *ctx)
{
    switch (ctx->state) {
    case WD_CH_SIZE_START:
        return 3;
    case WD_CH_DATA:
        return wd_http_ch_add(ctx->size, 4);
    case WD_CH_DATA_END:
    case WD_CH_DATA_LF:
        return 4;
    case WD_CH_TRAILER_START:
    case WD_CH_LAST_LF:
        return 1;
    case WD_CH_TRAILER_NAME:
    case WD_CH_TRAILER_VALUE:
    case WD_CH_TRAILER_LF:
        return 2;
    case WD_CH_DONE:
        return 0;
    default:
        /* in the size line: "\n" then data, or "\n" ending the trailers */
        return (ctx->size > 0) ? wd_http_ch_add(ctx->size, 5) : 2;
    }
}


wd_int_t
wd_http_parse_chunked(wd_http_request_t *r, wd_buf_t *b,
    wd_http_chunked_t *ctx)
{
    wd_int_t rc;

    for (;;) {

        if (ctx->state == WD_CH_DATA) {
            if (ctx->size > 0) {
                ctx->length = wd_http_ch_length(ctx);
                return (b->pos < b->last) ? WD_OK : WD_AGAIN;
            }

            ctx->state = WD_CH_DATA_END;
        }

        if (ctx->state == WD_CH_DONE || ctx->state == WD_CH_INVALID) {
            return (ctx->state == WD_CH_DONE) ? WD_DONE : WD_ERROR;
        }

        if (b->pos == b->last) {
            ctx->length = wd_http_ch_length(ctx);
            return WD_AGAIN;
        }

        rc = wd_http_ch_step(ctx, *b->pos);

        if (rc == WD_ERROR) {
            ctx->state = WD_CH_INVALID;
            return WD_ERROR;
        }

        b->pos++;

        if (rc == WD_DONE) {
            ctx->state = WD_CH_DONE;
            ctx->length = 0;
            return WD_DONE;
        }
    }
}
