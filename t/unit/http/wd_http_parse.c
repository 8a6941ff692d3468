/*
 * Unit tests of src/http/wd_http_parse.c: the request line, header lines,
 * the status line, chunked bodies and the URI helpers.
 *
 * Every incremental parser is run on each input whole and a byte at a time
 * in the same buffer (chunked bodies also split at every byte), and the
 * runs must agree on everything they report.  Inputs are copied into
 * buffers of exactly their size, so the sanitizer build catches a read
 * past the end.
 */

#include <check.h>

#include <wd_core.h>
#include <wd_http.h>


/* A literal with its length (it may hold NUL bytes). */
#define L(lit) .in = (lit), .len = sizeof(lit) - 1

/* An offset into buf, -1 for NULL. */
#define OFF(ptr) ((ptr) ? (long) ((u_char *) (ptr) - buf) : -1L)

static wd_uint_t ncases;


static u_char *
copy(const char *in, size_t len)
{
    u_char *buf;

    buf = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, in, len);
    return buf;
}


/* "[s, e)" as a C string in dst; "(null)" when s is -1. */
static const char *
part(char *dst, u_char *buf, long s, long e)
{
    if (s < 0 || e < 0) {
        return "(null)";
    }

    memcpy(dst, buf + s, e - s);
    dst[e - s] = '\0';
    return dst;
}


/* ---- the request line ------------------------------------------------ */

typedef struct {
    wd_int_t rc;
    long consumed;
    long request_start, method_end, uri_start, uri_end, uri_ext, args_start;
    long request_end, schema_start, schema_end, host_start, host_end;
    long port_start, port_end, protocol, protocol_len;
    long method, version, major, minor;
    long complex_uri, quoted_uri, plus_in_uri, empty_path;
} rl_t;


static void
rl_snapshot(rl_t *o, wd_http_request_t *r, u_char *buf, wd_buf_t *b,
    wd_int_t rc)
{
    memset(o, 0, sizeof(rl_t));
    o->rc = rc;
    o->consumed = b->pos - buf;
    o->request_start = OFF(r->request_start);
    o->method_end = OFF(r->method_end);
    o->uri_start = OFF(r->uri_start);
    o->uri_end = OFF(r->uri_end);
    o->uri_ext = OFF(r->uri_ext);
    o->args_start = OFF(r->args_start);
    o->request_end = OFF(r->request_end);
    o->schema_start = OFF(r->schema_start);
    o->schema_end = OFF(r->schema_end);
    o->host_start = OFF(r->host_start);
    o->host_end = OFF(r->host_end);
    o->port_start = OFF(r->port_start);
    o->port_end = OFF(r->port_end);
    o->protocol = OFF(r->http_protocol.data);
    o->protocol_len = r->http_protocol.len;
    o->method = r->method;
    o->version = r->http_version;
    o->major = r->http_major;
    o->minor = r->http_minor;
    o->complex_uri = r->complex_uri;
    o->quoted_uri = r->quoted_uri;
    o->plus_in_uri = r->plus_in_uri;
    o->empty_path = r->empty_path_in_uri;
}


/* One run over buf (whole, or growing b.last a byte at a time). */
static void
rl_run(u_char *buf, size_t len, int bytewise, rl_t *o)
{
    wd_buf_t b;
    wd_int_t rc;
    wd_http_request_t r;

    memset(&r, 0, sizeof(r));
    memset(&b, 0, sizeof(b));
    b.start = b.pos = buf;
    b.last = bytewise ? buf : buf + len;

    for (;;) {
        if (bytewise && b.last < buf + len) {
            b.last++;
        }

        rc = wd_http_parse_request_line(&r, &b);

        if (rc != WD_AGAIN) {
            ck_assert_int_eq(r.state, 0);
            break;
        }

        ck_assert_ptr_eq(b.pos, b.last);

        if (!bytewise || b.last == buf + len) {
            break;
        }
    }

    rl_snapshot(o, &r, buf, &b, rc);
}


/* Both runs, which must agree; the caller frees the returned buffer. */
static u_char *
rl_parse(const char *in, size_t len, rl_t *o)
{
    rl_t bytes;
    u_char *buf;

    buf = copy(in, len);
    rl_run(buf, len, 1, &bytes);
    rl_run(buf, len, 0, o);

    ck_assert_msg(memcmp(o, &bytes, sizeof(rl_t)) == 0,
        "whole and bytewise runs differ on \"%.*s\": rc %ld/%ld",
        (int) len, in, (long) o->rc, (long) bytes.rc);

    ncases++;
    return buf;
}


typedef struct {
    const char *in;
    size_t len;
    wd_int_t rc;
    wd_uint_t method;           /* 0: not checked */
    wd_uint_t version;          /* 0: not checked */
    const char *uri;            /* [uri_start, uri_end); NULL: unchecked */
    const char *args;           /* [args_start, uri_end); "-": none */
    const char *ext;            /* [uri_ext, end of path); "-": none */
    const char *schema;
    const char *host;
    const char *port;           /* "-": none */
    const char *flags;          /* c q p e: complex, quoted, plus, empty */
} rl_case_t;


static const rl_case_t rl_cases[] = {
    /* origin-form */
    { L("GET / HTTP/1.1\r\n"), WD_OK, WD_HTTP_GET, 1001, "/", "-", "-",
        .flags = "" },
    { L("GET /index.html HTTP/1.0\r\n"), WD_OK, WD_HTTP_GET, 1000,
        "/index.html", "-", "html" },
    { L("GET /a.b/c.tar.gz?x=1&y=/z.q HTTP/1.1\r\n"), WD_OK,
        .uri = "/a.b/c.tar.gz?x=1&y=/z.q", .args = "x=1&y=/z.q",
        .ext = "gz", .flags = "" },
    { L("GET /a.d/ HTTP/1.1\r\n"), WD_OK, .ext = "-" },
    { L("GET /a.d/e HTTP/1.1\r\n"), WD_OK, .ext = "-" },
    { L("GET /a. HTTP/1.1\r\n"), WD_OK, .ext = "" },
    { L("GET /? HTTP/1.1\r\n"), WD_OK, .uri = "/?", .args = "" },
    { L("GET /a?b?c/d HTTP/1.1\r\n"), WD_OK, .args = "b?c/d" },
    { L("GET /\"<>\\^`{|}[]'!$&()*,;=:@~ HTTP/1.1\r\n"), WD_OK,
        .flags = "" },
    { L("GET /\xc3\xa9t\xe9 HTTP/1.1\r\n"), WD_OK, .uri = "/\xc3\xa9t\xe9" },
    { L("GET /a HTTP/1.1\n"), WD_OK, .uri = "/a" },
    { L("\r\n\r\nGET / HTTP/1.1\r\n"), WD_OK, WD_HTTP_GET, 1001, "/" },
    { L("\n\n\r\nGET / HTTP/1.1\n"), WD_OK, WD_HTTP_GET, 1001, "/" },
    { L("GET / HTTP/1.0\r\n"), WD_OK, .version = 1000 },
    { L("GET / HTTP/1.2\r\n"), WD_OK, .version = 1002 },
    { L("GET / HTTP/1.9\r\n"), WD_OK, .version = 1009 },

    /* flags */
    { L("GET /a%20b HTTP/1.1\r\n"), WD_OK, .flags = "cq" },
    { L("GET /a//b HTTP/1.1\r\n"), WD_OK, .flags = "c" },
    { L("GET // HTTP/1.1\r\n"), WD_OK, .flags = "c" },
    { L("GET /a/./b HTTP/1.1\r\n"), WD_OK, .flags = "c" },
    { L("GET /a/../b HTTP/1.1\r\n"), WD_OK, .flags = "c" },
    { L("GET /.. HTTP/1.1\r\n"), WD_OK, .flags = "c" },
    { L("GET /.hidden HTTP/1.1\r\n"), WD_OK, .flags = "c", .ext = "-" },
    { L("GET /a.b HTTP/1.1\r\n"), WD_OK, .flags = "" },
    { L("GET /a+b HTTP/1.1\r\n"), WD_OK, .flags = "p" },
    { L("GET /a?b+c HTTP/1.1\r\n"), WD_OK, .flags = "" },
    { L("GET /a?%41//./ HTTP/1.1\r\n"), WD_OK, .flags = "" },
    { L("GET /a#b HTTP/1.1\r\n"), WD_OK, .flags = "c" },
    { L("GET /a?b#c HTTP/1.1\r\n"), WD_OK, .flags = "c" },
    { L("GET /%2e%2e%2f HTTP/1.1\r\n"), WD_OK, .flags = "cq" },
    { L("GET /a\\..\\b HTTP/1.1\r\n"), WD_OK, .flags = "" },

    /* absolute-form */
    { L("GET http://example.com/a?b HTTP/1.1\r\n"), WD_OK, WD_HTTP_GET,
        1001, "/a?b", "b", .schema = "http", .host = "example.com",
        .port = "-", .flags = "" },
    { L("GET http://example.com:8080/ HTTP/1.1\r\n"), WD_OK, .uri = "/",
        .host = "example.com", .port = "8080" },
    { L("GET HTTPS://Ex-1.example.COM:443/x.y HTTP/1.1\r\n"), WD_OK,
        .schema = "HTTPS", .host = "Ex-1.example.COM", .port = "443",
        .ext = "y" },
    { L("GET http://example.com HTTP/1.1\r\n"), WD_OK, .uri = "",
        .host = "example.com", .flags = "e" },
    { L("GET http://example.com:81 HTTP/1.1\r\n"), WD_OK, .uri = "",
        .port = "81", .flags = "e" },
    { L("GET http://example.com?x=1 HTTP/1.1\r\n"), WD_OK, .uri = "?x=1",
        .args = "x=1", .flags = "e" },
    { L("GET http://h:/ HTTP/1.1\r\n"), WD_OK, .host = "h", .port = "" },
    { L("GET http://[::1]:80/ HTTP/1.1\r\n"), WD_OK, .host = "[::1]",
        .port = "80" },
    { L("GET http://[2001:db8::7]/ HTTP/1.1\r\n"), WD_OK,
        .host = "[2001:db8::7]", .port = "-" },
    { L("GET http://127.0.0.1:65535/ HTTP/1.1\r\n"), WD_OK,
        .host = "127.0.0.1", .port = "65535" },
    { L("GET svn+ssh.x-y://h/ HTTP/1.1\r\n"), WD_OK, .schema = "svn+ssh.x-y" },
    { L("GET http://example.com//a HTTP/1.1\r\n"), WD_OK, .uri = "//a",
        .flags = "c" },

    /* asterisk-form and authority-form */
    { L("OPTIONS * HTTP/1.1\r\n"), WD_OK, WD_HTTP_OPTIONS, 1001, "*" },
    { L("CONNECT example.com:443 HTTP/1.1\r\n"), WD_OK, WD_HTTP_CONNECT,
        1001, "example.com:443", "-", .host = "example.com", .port = "443" },
    { L("CONNECT [::1]:8443 HTTP/1.1\r\n"), WD_OK, .host = "[::1]",
        .port = "8443" },
    { L("CONNECT 10.0.0.1:1 HTTP/1.1\r\n"), WD_OK, .host = "10.0.0.1" },

    /* HTTP/0.9 */
    { L("GET /\r\n"), WD_OK, WD_HTTP_GET, 9, "/" },
    { L("GET /a?b\n"), WD_OK, WD_HTTP_GET, 9, "/a?b", "b" },
    { L("GET http://h/x\r\n"), WD_OK, WD_HTTP_GET, 9, "/x", .host = "h" },
    { L("GET http://h\r\n"), WD_OK, .version = 9, .uri = "", .flags = "e" },
    { L("POST /\r\n"), WD_HTTP_PARSE_INVALID_09_METHOD, WD_HTTP_POST, 9 },
    { L("HEAD /\n"), WD_HTTP_PARSE_INVALID_09_METHOD },
    { L("OPTIONS *\r\n"), WD_HTTP_PARSE_INVALID_09_METHOD },
    { L("CONNECT h:1\r\n"), WD_HTTP_PARSE_INVALID_09_METHOD },

    /* versions */
    { L("GET / HTTP/2.0\r\n"), WD_HTTP_PARSE_INVALID_VERSION, .version = 2000 },
    { L("GET / HTTP/3.0\r\n"), WD_HTTP_PARSE_INVALID_VERSION },
    { L("GET / HTTP/9.9\r\n"), WD_HTTP_PARSE_INVALID_VERSION },
    { L("GET / HTTP/0.9\r\n"), WD_HTTP_PARSE_INVALID_VERSION },
    { L("GET / HTTP/1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1.\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / http/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / Http/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/01.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1.01\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1.10\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/11.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1000.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1.1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1.x\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/ 1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTPS/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / XHTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },

    /* spaces */
    { L("GET  / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /  HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1.1 \r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / \r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /a b HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET\t/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("GET /\tHTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L(" GET / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("GET / HTTP/1.1\t\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },

    /* line ends */
    { L("GET / HTTP/1.1\rX"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1.1\r\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /\rX"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("\rGET / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /a\rb HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET / HTTP/1.1"), WD_AGAIN },
    { L("GET / HTTP/1.1\r"), WD_AGAIN },
    { L("GET /"), WD_AGAIN },
    { L("\r\n\r\n"), WD_AGAIN },
    { L(""), WD_AGAIN },

    /* methods */
    { L("get / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("Get / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("GET/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("G(T / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("G\x00T / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("\xc7\x45T / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456 / HTTP/1.1\r\n"),
        WD_HTTP_PARSE_INVALID_METHOD },
    { L(" / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_METHOD },
    { L("GET\r\n"), WD_HTTP_PARSE_INVALID_METHOD },

    /* targets */
    { L("GET * HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("OPTIONS *x HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("OPTIONS */ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET example.com:443 HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET a HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET 1http://h/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET ?a HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET %2F HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /a\x00 HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /a\x01 HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /a\x1f HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /a\x7f HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /?a\x00 HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /?a\x0b HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET /\x00\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http:///a HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http:// HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://user@h/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://u:p@h/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http:/h/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http:h/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET ht~tp://h/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://h:123456/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://h:65536/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://h:8x/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://h:80:80/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://h%41/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://h#/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://h\\/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://[]/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://[::1/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://[::1]x/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("GET http://h\x00/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("CONNECT / HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("CONNECT example.com HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("CONNECT example.com: HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("CONNECT h:99999 HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("CONNECT h:443/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("CONNECT http://h/ HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
    { L("CONNECT * HTTP/1.1\r\n"), WD_HTTP_PARSE_INVALID_REQUEST },
};


static void
rl_check_str(const char *what, const rl_case_t *c, u_char *buf, long s,
    long e, const char *expect)
{
    char tmp[256];

    if (expect == NULL) {
        return;
    }

    if (strcmp(expect, "-") == 0) {
        ck_assert_msg(s == -1, "%s of \"%.*s\" should be unset", what,
            (int) c->len, c->in);
        return;
    }

    ck_assert_msg(s >= 0 && strcmp(part(tmp, buf, s, e), expect) == 0,
        "%s of \"%.*s\": \"%s\", not \"%s\"", what, (int) c->len, c->in,
        part(tmp, buf, s, e), expect);
}


static void
rl_check_case(const rl_case_t *c)
{
    rl_t o;
    u_char *buf;
    long ext_end;
    char flags[8], *f;

    buf = rl_parse(c->in, c->len, &o);

    ck_assert_msg(o.rc == c->rc, "\"%.*s\": rc %ld, not %ld", (int) c->len,
        c->in, (long) o.rc, (long) c->rc);

    if (c->method) {
        ck_assert_int_eq(o.method, c->method);
    }

    if (c->version) {
        ck_assert_int_eq(o.version, c->version);
    }

    ext_end = (o.args_start >= 0) ? o.args_start - 1 : o.uri_end;

    rl_check_str("uri", c, buf, o.uri_start, o.uri_end, c->uri);
    rl_check_str("args", c, buf, o.args_start, o.uri_end, c->args);
    rl_check_str("ext", c, buf, o.uri_ext, ext_end, c->ext);
    rl_check_str("schema", c, buf, o.schema_start, o.schema_end, c->schema);
    rl_check_str("host", c, buf, o.host_start, o.host_end, c->host);
    rl_check_str("port", c, buf, o.port_start, o.port_end, c->port);

    if (c->flags) {
        f = flags;
        f += sprintf(f, "%s", o.complex_uri ? "c" : "");
        f += sprintf(f, "%s", o.quoted_uri ? "q" : "");
        f += sprintf(f, "%s", o.plus_in_uri ? "p" : "");
        sprintf(f, "%s", o.empty_path ? "e" : "");
        ck_assert_msg(strcmp(flags, c->flags) == 0,
            "flags of \"%.*s\": \"%s\", not \"%s\"", (int) c->len, c->in,
            flags, c->flags);
    }

    free(buf);
}


START_TEST(rl_table)
{
    rl_check_case(&rl_cases[_i]);
}
END_TEST


START_TEST(rl_simple_fields)
{
    rl_t o;
    u_char *buf;
    char tmp[64];
    static const char in[] = "\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n";

    buf = rl_parse(in, sizeof(in) - 1, &o);

    ck_assert_int_eq(o.rc, WD_OK);
    ck_assert_int_eq(o.consumed, 19);     /* past the LF, not further */
    ck_assert_int_eq(o.request_start, 2);
    ck_assert_str_eq(part(tmp, buf, o.request_start, o.method_end), "GET");
    ck_assert_str_eq(part(tmp, buf, o.request_start, o.request_end),
        "GET /x HTTP/1.1");
    ck_assert_str_eq(part(tmp, buf, o.protocol, o.protocol + o.protocol_len),
        "HTTP/1.1");
    ck_assert_int_eq(o.major, 1);
    ck_assert_int_eq(o.minor, 1);
    free(buf);
}
END_TEST


/* Every method name, known ones by their bit, others as UNKNOWN. */
START_TEST(rl_methods)
{
    char in[64];
    wd_uint_t i;
    rl_t o;

    static const struct {
        const char *name;
        wd_uint_t id;
    } m[] = {
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
        { "FOO", WD_HTTP_UNKNOWN },
        { "M-SEARCH", WD_HTTP_UNKNOWN },
        { "GETS", WD_HTTP_UNKNOWN },
        { "GE", WD_HTTP_UNKNOWN },
        { "BREW_1.0!#$%&'*+^`|~", WD_HTTP_UNKNOWN },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", WD_HTTP_UNKNOWN },
    };

    for (i = 0; i < wd_nelems(m); i++) {
        snprintf(in, sizeof(in), "%s /p HTTP/1.1\r\n", m[i].name);
        free(rl_parse(in, strlen(in), &o));
        ck_assert_msg(o.rc == WD_OK && o.method == (long) m[i].id, "method %s",
            m[i].name);
        ck_assert_int_eq(o.method_end, (long) strlen(m[i].name));
    }

    free(rl_parse("CONNECT h:1 HTTP/1.1\r\n", 22, &o));
    ck_assert_int_eq(o.method, WD_HTTP_CONNECT);
}
END_TEST


/* Each byte in the path, the query and the method, against the RFC. */
START_TEST(rl_every_byte)
{
    char in[64];
    int c, ok;
    rl_t o;

    for (c = 0; c < 256; c++) {
        snprintf(in, sizeof(in), "GET /a%cb?c HTTP/1.1\r\n", 'X');
        in[6] = (char) c;
        free(rl_parse(in, 21, &o));
        /* LF ends an HTTP/0.9 line */
        ok = (c > 0x20 && c != 0x7f) || c == '\n';
        ck_assert_msg((o.rc == WD_OK) == ok, "byte 0x%02x in a path", c);
        ck_assert(o.rc != WD_OK || o.version == (c == '\n' ? 9 : 1001));

        memcpy(in, "GET /a?bXc HTTP/1.1\r\n", 21);
        in[8] = (char) c;
        free(rl_parse(in, 21, &o));
        ck_assert_msg((o.rc == WD_OK) == ok, "byte 0x%02x in a query", c);

        memcpy(in, "GXT / HTTP/1.1\r\n", 16);
        in[1] = (char) c;
        free(rl_parse(in, 16, &o));
        ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
             || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
        ck_assert_msg((o.rc == WD_OK) == ok, "byte 0x%02x in a method", c);
    }
}
END_TEST


/* A long target parses (the caller's buffer is the only bound). */
START_TEST(rl_long_uri)
{
    size_t n;
    char *in;
    rl_t o;

    n = 100 * 1024;
    in = malloc(n + 32);
    memcpy(in, "GET /", 5);
    memset(in + 5, 'a', n);
    memcpy(in + 5 + n, " HTTP/1.1\r\n", 11);
    free(rl_parse(in, n + 16, &o));
    ck_assert_int_eq(o.rc, WD_OK);
    ck_assert_int_eq(o.uri_end - o.uri_start, (long) n + 1);
    free(in);
}
END_TEST


/* ---- header lines ---------------------------------------------------- */

/* A transcript of parsing a header block: one line per result. */
static void
hl_run(u_char *buf, size_t len, int bytewise, wd_uint_t underscores,
    char *out, size_t size)
{
    char *o, *last;
    wd_buf_t b;
    wd_int_t rc;
    wd_http_request_t r;

    memset(&r, 0, sizeof(r));
    memset(&b, 0, sizeof(b));
    b.start = b.pos = buf;
    b.last = bytewise ? buf : buf + len;
    o = out;
    last = out + size;
    *o = '\0';

    for (;;) {
        if (bytewise && b.last < buf + len) {
            b.last++;
        }

        rc = wd_http_parse_header_line(&r, &b, underscores);

        if (rc == WD_AGAIN) {
            ck_assert_ptr_eq(b.pos, b.last);

            if (!bytewise || b.last == buf + len) {
                o += snprintf(o, last - o, "again@%ld", (long) (b.pos - buf));
                return;
            }

            continue;
        }

        ck_assert_int_eq(r.state, 0);

        if (rc != WD_OK) {
            snprintf(o, last - o, "rc=%ld@%ld", (long) rc,
                (long) (b.pos - buf));
            return;
        }

        ck_assert_uint_eq(r.header_hash,
            wd_hash_key_lc(r.header_name_start,
                r.header_name_end - r.header_name_start));
        ck_assert_uint_eq(r.lowcase_index,
            wd_min((size_t) (r.header_name_end - r.header_name_start),
                WD_HTTP_LC_HEADER_LEN));

        o += snprintf(o, last - o, "[%.*s|%.*s|%d|%.*s]",
            (int) (r.header_name_end - r.header_name_start),
            r.header_name_start, (int) (r.header_end - r.header_start),
            r.header_start, r.invalid_header, (int) r.lowcase_index,
            r.lowcase_header);
    }
}


/* The transcript of in, checked equal in both runs. */
static char *
hl_parse(const char *in, size_t len, wd_uint_t underscores)
{
    u_char *buf;
    size_t size;
    char *whole, *bytes;

    size = len * 4 + 256;
    whole = malloc(size);
    bytes = malloc(size);
    buf = copy(in, len);

    hl_run(buf, len, 0, underscores, whole, size);
    hl_run(buf, len, 1, underscores, bytes, size);

    ck_assert_msg(strcmp(whole, bytes) == 0,
        "whole and bytewise runs differ on \"%.*s\": %s / %s", (int) len, in,
        whole, bytes);

    free(bytes);
    free(buf);
    ncases++;
    return whole;
}


typedef struct {
    const char *in;
    size_t len;
    const char *out;
} hl_case_t;

#define HDONE(at) "rc=1@" #at
#define HBAD(at) "rc=14@" #at


static const hl_case_t hl_cases[] = {
    { L("Host: example.com\r\n\r\n"),
        "[Host|example.com|0|host]" HDONE(21) },
    { L("Host:example.com\r\n\r\nGET"),
        "[Host|example.com|0|host]" HDONE(20) },
    { L("X: \t a \t b \t \r\n\r\n"), "[X|a \t b|0|x]" HDONE(17) },
    { L("X-Empty:\r\nY:   \r\nZ:\t\n\r\n"),
        "[X-Empty||0|x-empty][Y||0|y][Z||0|z]" HDONE(23) },
    { L("A: 1\nB: 2\n\n"), "[A|1|0|a][B|2|0|b]" HDONE(11) },
    { L("A: 1\r\nB: 2\n\r\n"), "[A|1|0|a][B|2|0|b]" HDONE(13) },
    { L("Content-Length: 5\r\n\r\n"),
        "[Content-Length|5|0|content-length]" HDONE(21) },
    { L("X: a:b: c\r\n\r\n"), "[X|a:b: c|0|x]" HDONE(13) },
    { L("X: \"q\" (c) \xff\xfe\x80\r\n\r\n"),
        "[X|\"q\" (c) \xff\xfe\x80|0|x]" HDONE(18) },
    { L("!#$%&'*+-.^`|~09az: v\r\n\r\n"),
        "[!#$%&'*+-.^`|~09az|v|0|!#$%&'*+-.^`|~09az]" HDONE(25) },
    { L("\r\n"), HDONE(2) },
    { L("\n"), HDONE(1) },
    { L("Host: a\r\n"), "[Host|a|0|host]again@9" },
    { L("Host: a"), "again@7" },

    /* names the caller may ignore */
    { L("X@Y: 1\r\n\r\n"), "[X@Y|1|1|x@y]" HDONE(10) },
    { L("X(Y): 1\r\n\r\n"), "[X(Y)|1|1|x(y)]" HDONE(11) },
    { L("X\xc3\xa9: 1\r\n\r\n"), "[X\xc3\xa9|1|1|x\xc3\xa9]" HDONE(10) },
    { L("X\"Y: 1\r\nZ: 2\r\n\r\n"), "[X\"Y|1|1|x\"y][Z|2|0|z]" HDONE(16) },

    /* smuggling and garbage: refused */
    { L("Host : a\r\n"), HBAD(4) },
    { L("Host\t: a\r\n"), HBAD(4) },
    { L("Ho st: a\r\n"), HBAD(2) },
    { L(" Host: a\r\n"), HBAD(0) },
    { L("\tHost: a\r\n"), HBAD(0) },
    { L("A: 1\r\n b\r\n\r\n"), "[A|1|0|a]" HBAD(6) },
    { L("A: 1\r\n\tb\r\n\r\n"), "[A|1|0|a]" HBAD(6) },
    { L("NoColon\r\n\r\n"), HBAD(7) },
    { L("NoColon\n"), HBAD(7) },
    { L(": value\r\n"), HBAD(0) },
    { L("X: a\x00" "b\r\n"), HBAD(4) },
    { L("X\x00: a\r\n"), HBAD(1) },
    { L("\x00X: a\r\n"), HBAD(0) },
    { L("X: a\rb\r\n"), HBAD(5) },
    { L("X: a\r\r\n"), HBAD(5) },
    { L("X:\r \r\n"), HBAD(3) },
    { L("X: a\r"), "again@5" },
    { L("\r\r\n"), HBAD(1) },
    { L("\rX: a\r\n"), HBAD(1) },
    { L("X: a\x01\r\n"), HBAD(4) },
    { L("X: \x1b[31m\r\n"), HBAD(3) },
    { L("X: a\x7f\r\n"), HBAD(4) },
    { L("X: a\x0b\r\n"), HBAD(4) },
    { L("X\x7f: a\r\n"), HBAD(1) },
    { L("X\x01Y: a\r\n"), HBAD(1) },
    { L("X\tY: a\r\n"), HBAD(1) },
    { L("X\rY: a\r\n"), HBAD(1) },
};


START_TEST(hl_table)
{
    char *out;
    const hl_case_t *c = &hl_cases[_i];

    out = hl_parse(c->in, c->len, 0);
    ck_assert_msg(strcmp(out, c->out) == 0, "\"%.*s\": %s, not %s",
        (int) c->len, c->in, out, c->out);
    free(out);
}
END_TEST


START_TEST(hl_underscores)
{
    char *out;

    out = hl_parse("X_Y: 1\r\n\r\n", 10, 0);
    ck_assert_str_eq(out, "[X_Y|1|1|x_y]" HDONE(10));
    free(out);

    out = hl_parse("X_Y: 1\r\n\r\n", 10, 1);
    ck_assert_str_eq(out, "[X_Y|1|0|x_y]" HDONE(10));
    free(out);
}
END_TEST


/* Each byte of a name and of a value, against RFC 9110 §5. */
START_TEST(hl_every_byte)
{
    int c, bad, inv;
    char in[16], want[64], *out;

    for (c = 0; c < 256; c++) {
        memcpy(in, "AXB: v\r\n\r\n", 10);
        in[1] = (char) c;
        out = hl_parse(in, 10, 1);

        bad = c < 0x20 || c == 0x7f || c == ' ' || c == ':';
        inv = !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9')
                || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL));

        if (c == ':') {
            /* "A:B: v": name "A", value "B: v" */
            snprintf(want, sizeof(want), "[A|B: v|0|a]" HDONE(10));
        } else if (bad) {
            snprintf(want, sizeof(want), HBAD(1));
        } else {
            snprintf(want, sizeof(want), "[A%cB|v|%d|a%cb]" HDONE(10), c,
                inv, wd_tolower(c));
        }

        ck_assert_msg(strcmp(out, want) == 0, "name byte 0x%02x: %s", c, out);
        free(out);

        memcpy(in, "A: vXw\r\n\r\n", 10);
        in[4] = (char) c;
        out = hl_parse(in, 10, 1);
        bad = (c < 0x20 && c != '\t') || c == 0x7f;

        if (c == '\n') {
            /* "A: v" ends; "w" has no colon */
            snprintf(want, sizeof(want), "[A|v|0|a]" HBAD(6));
        } else if (c == '\r') {
            snprintf(want, sizeof(want), HBAD(5));  /* bare CR */
        } else if (bad) {
            snprintf(want, sizeof(want), HBAD(4));
        } else {
            snprintf(want, sizeof(want), "[A|v%cw|0|a]" HDONE(10), c);
        }

        ck_assert_msg(strcmp(out, want) == 0, "value byte 0x%02x: %s", c,
            out);
        free(out);
    }
}
END_TEST


/* 100 KB names and values parse; the lowercased copy is clamped. */
START_TEST(hl_long_lines)
{
    size_t n;
    u_char *buf;
    char *in;
    wd_buf_t b;
    wd_int_t rc;
    wd_http_request_t r;

    n = 100 * 1024;
    in = malloc(n + 32);

    memcpy(in, "X: ", 3);
    memset(in + 3, 'v', n);
    memcpy(in + 3 + n, "\r\n\r\n", 4);
    free(hl_parse(in, n + 7, 0));

    memset(in, 'N', n);
    memcpy(in + n, ": v\r\n\r\n", 7);
    free(hl_parse(in, n + 7, 0));

    buf = copy(in, n + 7);
    memset(&r, 0, sizeof(r));
    memset(&b, 0, sizeof(b));
    b.pos = buf;
    b.last = buf + n + 7;
    rc = wd_http_parse_header_line(&r, &b, 0);
    ck_assert_int_eq(rc, WD_OK);
    ck_assert_int_eq(r.header_name_end - r.header_name_start, (long) n);
    ck_assert_uint_eq(r.lowcase_index, WD_HTTP_LC_HEADER_LEN);
    ck_assert_int_eq(r.lowcase_header[WD_HTTP_LC_HEADER_LEN - 1], 'n');
    ck_assert_uint_eq(r.header_hash, wd_hash_key_lc(buf, n));
    free(buf);
    free(in);
}
END_TEST


/* ---- the status line ------------------------------------------------- */

typedef struct {
    const char *in;
    size_t len;
    wd_int_t rc;
    wd_uint_t code;
    wd_uint_t version;
    const char *reason;
} sl_case_t;


static const sl_case_t sl_cases[] = {
    { L("HTTP/1.1 200 OK\r\n"), WD_OK, 200, 1001, "OK" },
    { L("HTTP/1.0 404 Not Found\n"), WD_OK, 404, 1000, "Not Found" },
    { L("HTTP/1.1 200\r\n"), WD_OK, 200, 1001, "" },
    { L("HTTP/1.1 204 \r\n"), WD_OK, 204, 1001, "" },
    { L("HTTP/1.1 100 Continue\r\n"), WD_OK, 100, 1001, "Continue" },
    { L("HTTP/1.1 999 x\ty \xff\r\n"), WD_OK, 999, 1001, "x\ty \xff" },
    { L("HTTP/1.1 503  Two  Spaces\r\n"), WD_OK, 503, 1001, " Two  Spaces" },
    { L("HTTP/1.9 200 OK\r\n"), WD_OK, 200, 1009, "OK" },
    { L("HTTP/1.1 200 OK"), WD_AGAIN },
    { L("HTTP/1.1 200 OK\r"), WD_AGAIN },
    { L("HTTP/1.1 20 OK\r\n"), WD_ERROR },
    { L("HTTP/1.1 2000 OK\r\n"), WD_ERROR },
    { L("HTTP/1.1 099 OK\r\n"), WD_ERROR },
    { L("HTTP/1.1 000\r\n"), WD_ERROR },
    { L("HTTP/1.1 2x0 OK\r\n"), WD_ERROR },
    { L("HTTP/1.1 -20 OK\r\n"), WD_ERROR },
    { L("HTTP/1.1\r\n"), WD_ERROR },
    { L("HTTP/1.1200 OK\r\n"), WD_ERROR },
    { L("HTTP/1.1  200 OK\r\n"), WD_ERROR },
    { L("HTTP/2.0 200 OK\r\n"), WD_ERROR },
    { L("HTTP/0.9 200 OK\r\n"), WD_ERROR },
    { L("HTTP/1 200 OK\r\n"), WD_ERROR },
    { L("HTTP/1.12 200 OK\r\n"), WD_ERROR },
    { L("http/1.1 200 OK\r\n"), WD_ERROR },
    { L("ICY 200 OK\r\n"), WD_ERROR },
    { L(" HTTP/1.1 200 OK\r\n"), WD_ERROR },
    { L("\r\nHTTP/1.1 200 OK\r\n"), WD_ERROR },
    { L("HTTP/1.1 200 O\x00K\r\n"), WD_ERROR },
    { L("HTTP/1.1 200 O\x7fK\r\n"), WD_ERROR },
    { L("HTTP/1.1 200 OK\rX"), WD_ERROR },
    { L("HTTP/1.1 200\rX"), WD_ERROR },
};


static void
sl_run(u_char *buf, size_t len, int bytewise, char *out, size_t size)
{
    wd_buf_t b;
    wd_int_t rc;
    wd_http_status_t st;
    wd_http_request_t r;

    memset(&r, 0, sizeof(r));
    memset(&st, 0, sizeof(st));
    memset(&b, 0, sizeof(b));
    b.pos = buf;
    b.last = bytewise ? buf : buf + len;

    for (;;) {
        if (bytewise && b.last < buf + len) {
            b.last++;
        }

        rc = wd_http_parse_status_line(&r, &b, &st);

        if (rc != WD_AGAIN || !bytewise || b.last == buf + len) {
            break;
        }
    }

    if (rc != WD_OK) {
        snprintf(out, size, "rc=%ld@%ld", (long) rc, (long) (b.pos - buf));
        return;
    }

    ck_assert_ptr_eq(st.start, buf);
    ck_assert_int_eq(r.http_major, 1);
    ck_assert_uint_eq(st.http_version, 1000 + r.http_minor);
    snprintf(out, size, "%lu %lu [%.*s] %ld", (unsigned long) st.code,
        (unsigned long) st.http_version, (int) st.count, st.end - st.count,
        (long) (b.pos - buf));
}


START_TEST(sl_table)
{
    u_char *buf;
    char whole[256], bytes[256], want[256];
    const sl_case_t *c = &sl_cases[_i];

    buf = copy(c->in, c->len);
    sl_run(buf, c->len, 0, whole, sizeof(whole));
    sl_run(buf, c->len, 1, bytes, sizeof(bytes));
    free(buf);
    ncases++;

    ck_assert_msg(strcmp(whole, bytes) == 0, "\"%.*s\": %s / %s",
        (int) c->len, c->in, whole, bytes);

    if (c->rc == WD_OK) {
        snprintf(want, sizeof(want), "%lu %lu [%s] %ld",
            (unsigned long) c->code, (unsigned long) c->version, c->reason,
            (long) c->len);
        ck_assert_msg(strcmp(whole, want) == 0, "\"%.*s\": %s, not %s",
            (int) c->len, c->in, whole, want);
    } else {
        snprintf(want, sizeof(want), "rc=%ld@", (long) c->rc);
        ck_assert_msg(strncmp(whole, want, strlen(want)) == 0,
            "\"%.*s\": %s, not %s", (int) c->len, c->in, whole, want);
    }
}
END_TEST


/* ---- chunked bodies -------------------------------------------------- */

typedef struct {
    wd_int_t rc;
    long consumed;
    size_t body_len;
    char body[512];
    size_t trailers_len;        /* kept, when the run asked for them */
    char trailers[WD_HTTP_CHUNK_TRAILER_MAX];
} ch_t;


/* Decodes buf fed in pieces: cut[0..ncut) are where each piece ends.
 * Checks ctx->length against what really follows when total is known.
 * With keep, the trailers are kept, in a pool whose every block is too
 * small for them: their buffer is a malloc() of its own, so the sanitizer
 * build catches a write past it. */
static void
ch_run(u_char *buf, size_t len, size_t *cuts, size_t ncut, long total,
    wd_uint_t keep, ch_t *o)
{
    size_t k, n;
    wd_buf_t b;
    wd_int_t rc;
    wd_pool_t *pool;
    wd_http_chunked_t ctx;
    wd_http_request_t r;

    memset(o, 0, sizeof(ch_t));
    memset(&ctx, 0, sizeof(ctx));
    memset(&r, 0, sizeof(r));
    memset(&b, 0, sizeof(b));
    pool = NULL;

    if (keep) {
        pool = wd_create_pool(1024, NULL);
        ck_assert_ptr_nonnull(pool);
        ctx.trailer_pool = pool;
    }

    b.pos = buf;
    k = 0;
    b.last = buf + (ncut ? cuts[0] : len);

    for (;;) {
        rc = wd_http_parse_chunked(&r, &b, &ctx);

        if ((rc == WD_OK || rc == WD_AGAIN) && total >= 0) {
            ck_assert_msg(ctx.length <= total - (b.pos - buf),
                "length %lld > %ld still to come", (long long) ctx.length,
                total - (long) (b.pos - buf));
        }

        if (rc == WD_OK) {
            ck_assert(ctx.size > 0);
            n = wd_min((size_t) ctx.size, (size_t) (b.last - b.pos));
            ck_assert(n > 0);
            ck_assert(o->body_len + n <= sizeof(o->body));
            memcpy(o->body + o->body_len, b.pos, n);
            o->body_len += n;
            b.pos += n;
            ctx.size -= n;
            continue;
        }

        if (rc == WD_AGAIN) {
            ck_assert_ptr_eq(b.pos, b.last);

            if (++k < ncut) {
                b.last = buf + cuts[k];
                continue;
            }

            if (b.last < buf + len) {
                b.last = buf + len;
                continue;
            }
        }

        break;
    }

    o->rc = rc;
    o->consumed = b.pos - buf;

    ck_assert(ctx.trailers.len <= WD_HTTP_CHUNK_TRAILER_MAX);
    ck_assert(keep || ctx.trailers.data == NULL);

    if (rc == WD_DONE && ctx.trailers.len) {
        o->trailers_len = ctx.trailers.len;
        memcpy(o->trailers, ctx.trailers.data, ctx.trailers.len);
    }

    if (pool) {
        wd_destroy_pool(pool);
    }
}


/* Whole, a byte at a time, and split in two at every byte: all agree,
 * trailers kept.  Without keeping them, the result is the same. */
static void
ch_parse(const char *in, size_t len, ch_t *o)
{
    static ch_t other;
    size_t i, *cuts;
    u_char *buf;
    long total;

    buf = copy(in, len);
    cuts = malloc((len + 1) * sizeof(size_t));

    ch_run(buf, len, NULL, 0, -1, 1, o);
    total = (o->rc == WD_DONE) ? o->consumed : -1;
    ch_run(buf, len, NULL, 0, total, 1, o);

    ch_run(buf, len, NULL, 0, total, 0, &other);
    ck_assert(other.trailers_len == 0);
    other.trailers_len = o->trailers_len;
    memcpy(other.trailers, o->trailers, o->trailers_len);
    ck_assert_msg(memcmp(o, &other, sizeof(ch_t)) == 0,
        "keeping the trailers changes the result on \"%.*s\"", (int) len,
        in);

    for (i = 0; i < len; i++) {
        cuts[i] = i + 1;
    }

    ch_run(buf, len, cuts, len, total, 1, &other);
    ck_assert_msg(memcmp(o, &other, sizeof(ch_t)) == 0,
        "whole and bytewise runs differ on \"%.*s\"", (int) len, in);

    for (i = 0; i <= len; i++) {
        cuts[0] = i;
        ch_run(buf, len, cuts, 1, total, 1, &other);
        ck_assert_msg(memcmp(o, &other, sizeof(ch_t)) == 0,
            "whole and split at %zu differ on \"%.*s\"", i, (int) len, in);
    }

    free(cuts);
    free(buf);
    ncases++;
}


typedef struct {
    const char *in;
    size_t len;
    wd_int_t rc;
    const char *body;
    long consumed;              /* -1: not checked */
    const char *trailers;       /* kept on WD_DONE; NULL: not checked */
} ch_case_t;

#define CH_BAD(lit, at) { L(lit), WD_ERROR, NULL, at }


static const ch_case_t ch_cases[] = {
    { L("5\r\nhello\r\n0\r\n\r\n"), WD_DONE, "hello", 15, "" },
    { L("0\r\n\r\n"), WD_DONE, "", 5, "" },
    { L("0\r\n\r\nGET / HTTP/1.1\r\n"), WD_DONE, "", 5, "" },
    { L("5\nhello\n0\n\n"), WD_DONE, "hello", 11, "" },
    { L("3\r\nabc\r\n5;name=val\r\n12345\r\nA;x;y=\"q\\\"s;\"\r\n"
        "0123456789\r\n0;last\r\nTrailer: t\r\nX-Y:\tz z \r\n\r\n"),
        WD_DONE, "abc123450123456789", -1, "Trailer: t\r\nX-Y:\tz z \r\n" },
    { L("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n"), WD_DONE,
        "01234567890123456789", -1 },
    { L("0005\r\nhello\r\n000\r\n\r\n"), WD_DONE, "hello", -1 },
    { L("1\r\n\x00\r\n0\r\n\r\n"), WD_DONE, NULL, -1 },
    { L("5 ;a=b\r\nhello\r\n0\r\n\r\n"), WD_DONE, "hello", -1 },
    { L("5;a=b ;c\r\nhello\r\n0\r\n\r\n"), WD_DONE, "hello", -1 },
    { L("5; a = b\r\nhello\r\n0\r\n\r\n"), WD_DONE, "hello", -1 },
    { L("5;a=\"\"\r\nhello\r\n0\r\n\r\n"), WD_DONE, "hello", -1 },
    { L("5;a=\"x\\\ty\xff\"\r\nhello\r\n0\r\n\r\n"), WD_DONE, "hello", -1 },
    { L("5;a;b;c\r\nhello\r\n0;z=\"1\"\r\n\r\n"), WD_DONE, "hello", -1 },
    { L("0\r\nA: 1\nB: \r\n\n"), WD_DONE, "", -1, "A: 1\nB: \r\n" },

    /* trailers kept */
    { L("2\r\nok\r\n0\r\nX-Checksum: abc\r\n\r\n"), WD_DONE, "ok", 29,
        "X-Checksum: abc\r\n" },
    { L("0\r\nX-Checksum:abc\r\nx-other: \t1 2\t \r\nZ:\r\n\r\nNEXT"),
        WD_DONE, "", 42, "X-Checksum:abc\r\nx-other: \t1 2\t \r\nZ:\r\n" },
    { L("0\nA:1\nB:2\n\nNEXT"), WD_DONE, "", 11, "A:1\nB:2\n" },
    { L("0\r\nA: \xff\x80\r\n\r\n"), WD_DONE, "", 12, "A: \xff\x80\r\n" },

    /* incomplete */
    { L("5\r\nhel"), WD_AGAIN, "hel", 6 },
    { L("5\r\nhello\r\n0\r\n"), WD_AGAIN, "hello", -1 },
    { L("5\r\nhello\r\n0\r\nX: y\r\n"), WD_AGAIN, "hello", -1 },
    { L("7fffffffffffffff\r\n"), WD_AGAIN, "", -1 },
    { L(""), WD_AGAIN, "", 0 },

    /* sizes */
    CH_BAD("-1\r\n", 0),
    CH_BAD("+5\r\nhello\r\n0\r\n\r\n", 0),
    CH_BAD("0x5\r\nhello\r\n0\r\n\r\n", 1),
    CH_BAD(" 5\r\nhello\r\n0\r\n\r\n", 0),
    CH_BAD("\t5\r\n", 0),
    CH_BAD("5 \r\nhello\r\n0\r\n\r\n", 2),
    CH_BAD("5\t\r\n", 2),
    CH_BAD("5 5\r\n", 2),
    CH_BAD("\r\nhello\r\n", 0),
    CH_BAD("g\r\n", 0),
    CH_BAD("5g\r\n", 1),
    CH_BAD("5.0\r\n", 1),
    CH_BAD("fffffffffffffffffff\r\n", 15),
    CH_BAD("8000000000000000\r\n", 15),
    CH_BAD("10000000000000000\r\n", 16),
    CH_BAD("000000000000000000000000000000005\r\n", 32),

    /* line ends */
    CH_BAD("5\rhello\r\n", 2),
    CH_BAD("5\r\nhelloX\r\n0\r\n\r\n", 8),
    CH_BAD("5\r\nhello\r\r\n", 9),
    CH_BAD("5\r\nhello\rX", 9),
    CH_BAD("5\r\nhello0\r\n\r\n", 8),
    CH_BAD("5\r\nhello\r\n\r\n", 10),
    CH_BAD("5\r\nhello\r\n0\r\r\n", 12),
    CH_BAD("0\r\n\r\r\n", 4),

    /* extensions */
    CH_BAD("5;\r\nhello\r\n", 2),
    CH_BAD("5;a=\r\nhello\r\n", 4),
    CH_BAD("5;a=b \r\nhello\r\n", 6),
    CH_BAD("5;a \r\nhello\r\n", 4),
    CH_BAD("5;=b\r\n", 2),
    CH_BAD("5;a=b=c\r\n", 5),
    CH_BAD("5;a=\"x\"y\r\n", 7),
    CH_BAD("5;a=\"x\r\nhello\r\n", 6),
    CH_BAD("5;a=\"\x01\"\r\n", 5),
    CH_BAD("5;a=\"\\\x00\"\r\n", 6),
    CH_BAD("5;a@b\r\n", 3),
    CH_BAD("5;a=b@\r\n", 5),
    CH_BAD("5;a=b,c\r\n", 5),
    CH_BAD("5;a=\x00\r\n", 4),
    CH_BAD("5\x00\r\n", 1),

    /* trailers */
    CH_BAD("0\r\n X: a\r\n\r\n", 3),
    CH_BAD("0\r\nX: a\r\n\tb\r\n\r\n", 9),
    CH_BAD("0\r\nX : a\r\n\r\n", 4),
    CH_BAD("0\r\nX\r\n\r\n", 4),
    CH_BAD("0\r\n: a\r\n\r\n", 3),
    CH_BAD("0\r\nX: a\x00\r\n\r\n", 7),
    CH_BAD("0\r\nX: a\rb\r\n\r\n", 8),
    CH_BAD("0\r\nX: a\x7f\r\n\r\n", 7),
    CH_BAD("0\r\nX@: a\r\n\r\n", 4),
};


START_TEST(ch_table)
{
    ch_t o;
    const ch_case_t *c = &ch_cases[_i];

    ch_parse(c->in, c->len, &o);

    ck_assert_msg(o.rc == c->rc, "\"%.*s\": rc %ld, not %ld", (int) c->len,
        c->in, (long) o.rc, (long) c->rc);

    if (c->body) {
        ck_assert_msg(o.body_len == strlen(c->body)
                          && memcmp(o.body, c->body, o.body_len) == 0,
            "\"%.*s\": body \"%.*s\"", (int) c->len, c->in, (int) o.body_len,
            o.body);
    }

    if (c->consumed >= 0) {
        ck_assert_msg(o.consumed == c->consumed, "\"%.*s\": stopped at %ld",
            (int) c->len, c->in, o.consumed);
    }

    if (c->trailers) {
        ck_assert_msg(o.trailers_len == strlen(c->trailers)
                          && memcmp(o.trailers, c->trailers, o.trailers_len)
                                 == 0,
            "\"%.*s\": trailers \"%.*s\"", (int) c->len, c->in,
            (int) o.trailers_len, o.trailers);
    }
}
END_TEST


/* Extensions up to WD_HTTP_CHUNK_EXT_MAX bytes, trailers up to
 * WD_HTTP_CHUNK_TRAILER_MAX. */
START_TEST(ch_bounds)
{
    ch_t o;
    char *in;
    size_t n, len;

    in = malloc(3 * WD_HTTP_CHUNK_TRAILER_MAX);

    for (n = WD_HTTP_CHUNK_EXT_MAX; n <= WD_HTTP_CHUNK_EXT_MAX + 1; n++) {
        /* "5;" + a name of n - 1 bytes: n bytes of extensions */
        in[0] = '5';
        in[1] = ';';
        memset(in + 2, 'e', n - 1);
        len = 1 + n;
        len += sprintf(in + len, "\r\nhello\r\n0\r\n\r\n");
        ch_parse(in, len, &o);

        if (n == WD_HTTP_CHUNK_EXT_MAX) {
            ck_assert_int_eq(o.rc, WD_DONE);
        } else {
            ck_assert_int_eq(o.rc, WD_ERROR);
            ck_assert_int_eq(o.consumed, (long) n);
        }
    }

    /* "0\r\n" then trailers: "X: vvv\r\n" lines, then "\r\n" */
    len = sprintf(in, "0\r\n");
    while (len + 40 < 3 + WD_HTTP_CHUNK_TRAILER_MAX) {
        len += sprintf(in + len, "X: %030d\r\n", 0);
    }
    len += sprintf(in + len, "\r\n");
    ch_parse(in, len, &o);
    ck_assert_int_eq(o.rc, WD_DONE);

    len -= 2;
    len += sprintf(in + len, "X: %0*d\r\n\r\n", 60, 0);
    ch_parse(in, len, &o);
    ck_assert_int_eq(o.rc, WD_ERROR);

    free(in);
}
END_TEST


/* The kept trailers at the bound: a section of WD_HTTP_CHUNK_TRAILER_MAX
 * bytes, its empty line a CRLF or a bare LF, is kept whole but that line;
 * one byte more is an error. */
START_TEST(ch_trailer_bound)
{
    static ch_t o;
    char *in;
    size_t len, field, eol;

    in = malloc(WD_HTTP_CHUNK_TRAILER_MAX + 16);

    for (eol = 1; eol <= 2; eol++) {
        for (field = WD_HTTP_CHUNK_TRAILER_MAX - eol;
             field <= WD_HTTP_CHUNK_TRAILER_MAX - eol + 1;
             field++)
        {
            /* "0\r\n", then "X: vvv\r\n" of field bytes, then the end */
            len = sprintf(in, "0\r\nX: ");
            memset(in + len, 'v', field - 5);
            len += field - 5;
            len += sprintf(in + len, "\r\n%s", (eol == 2) ? "\r\n" : "\n");
            ch_parse(in, len, &o);

            if (field + eol > WD_HTTP_CHUNK_TRAILER_MAX) {
                ck_assert_int_eq(o.rc, WD_ERROR);
                ck_assert_int_eq(o.consumed, 3 + WD_HTTP_CHUNK_TRAILER_MAX);
                continue;
            }

            ck_assert_int_eq(o.rc, WD_DONE);
            ck_assert_uint_eq(o.trailers_len, field);
            ck_assert(memcmp(o.trailers, in + 3, field) == 0);
        }
    }

    free(in);
}
END_TEST


/* A big chunk: ctx->length stays a lower bound and the sizes add up. */
START_TEST(ch_big_sizes)
{
    u_char buf[64];
    wd_buf_t b;
    wd_http_chunked_t ctx;
    wd_http_request_t r;

    memset(&ctx, 0, sizeof(ctx));
    memset(&r, 0, sizeof(r));
    memcpy(buf, "7fffffffffffffff\r\nab", 20);
    b.pos = buf;
    b.last = buf + 20;

    ck_assert_int_eq(wd_http_parse_chunked(&r, &b, &ctx), WD_OK);
    ck_assert(ctx.size == WD_MAX_OFF_T_VALUE);
    ck_assert(ctx.length == WD_MAX_OFF_T_VALUE);  /* saturated */
    ck_assert_ptr_eq(b.pos, buf + 18);

    b.pos += 2;
    ctx.size -= 2;
    ck_assert_int_eq(wd_http_parse_chunked(&r, &b, &ctx), WD_AGAIN);
    ck_assert(ctx.length == WD_MAX_OFF_T_VALUE);

    /* after the end, the result stays */
    memset(&ctx, 0, sizeof(ctx));
    memcpy(buf, "0\r\n\r\n0", 6);
    b.pos = buf;
    b.last = buf + 6;
    ck_assert_int_eq(wd_http_parse_chunked(&r, &b, &ctx), WD_DONE);
    ck_assert_int_eq(wd_http_parse_chunked(&r, &b, &ctx), WD_DONE);
    ck_assert_ptr_eq(b.pos, buf + 5);
    ck_assert(ctx.length == 0);
}
END_TEST


/* ---- complex URIs ---------------------------------------------------- */

typedef struct {
    const char *in;
    size_t len;
    const char *merged;         /* with merge_slashes; NULL: invalid */
    const char *unmerged;       /* without; NULL: invalid */
    const char *ext;            /* NULL: none */
} cu_case_t;


static const cu_case_t cu_cases[] = {
    { L("/"), "/", "/", NULL },
    { L("/a/b"), "/a/b", "/a/b", NULL },
    { L("/a/./b"), "/a/b", "/a/b", NULL },
    { L("/a/../b"), "/b", "/b", NULL },
    { L("/a/b/.."), "/a/", "/a/", NULL },
    { L("/a/b/."), "/a/b/", "/a/b/", NULL },
    { L("/a/b/./"), "/a/b/", "/a/b/", NULL },
    { L("/."), "/", "/", NULL },
    { L("/./"), "/", "/", NULL },
    { L("/a/.."), "/", "/", NULL },
    { L("/a/b/../../c"), "/c", "/c", NULL },
    { L("/a/./../b/./c/."), "/b/c/", "/b/c/", NULL },
    { L("/..."), "/...", "/...", "" },
    { L("/a/.../.."), "/a/", "/a/", NULL },
    { L("/.a/..b/c.."), "/.a/..b/c..", "/.a/..b/c..", "" },
    { L("//a"), "/a", "//a", NULL },
    { L("/a//b"), "/a/b", "/a//b", NULL },
    { L("/a//"), "/a/", "/a//", NULL },
    { L("//"), "/", "//", NULL },
    { L("/a//../b"), "/b", "/a/b", NULL },
    { L("/a/b//.."), "/a/", "/a/b/", NULL },

    /* traversal */
    { L("/.."), NULL, NULL },
    { L("/../"), NULL, NULL },
    { L("/../a"), NULL, NULL },
    { L("/a/../../"), NULL, NULL },
    { L("/a/../.."), NULL, NULL },
    { L("/a/b/../../../c"), NULL, NULL },
    { L("/%2e%2e%2f"), NULL, NULL },
    { L("/%2e%2e/"), NULL, NULL },
    { L("/%2E%2E/"), NULL, NULL },
    { L("/.%2e/"), NULL, NULL },
    { L("/%2e./"), NULL, NULL },
    { L("/a%2f..%2f..%2fetc"), NULL, NULL },
    { L("/a/%2e%2e/b"), "/b", "/b", NULL },
    { L("/a%2F..%2Fb"), "/b", "/b", NULL },
    { L("/..%5c"), "/..\\", "/..\\", "\\" },
    { L("/..%5c..%5cetc%5cpasswd"), "/..\\..\\etc\\passwd",
        "/..\\..\\etc\\passwd", "\\etc\\passwd" },
    { L("/..\\x"), "/..\\x", "/..\\x", "\\x" },

    /* escapes */
    { L("/%41%62%7e"), "/Ab~", "/Ab~", NULL },
    { L("/a%20b.HTM"), "/a b.HTM", "/a b.HTM", "HTM" },
    { L("/%c3%a9"), "/\xc3\xa9", "/\xc3\xa9", NULL },
    { L("/a%3Fb?c=%2e"), "/a?b", "/a?b", NULL },
    { L("/a%23b"), "/a#b", "/a#b", NULL },
    { L("/a%2Eb"), "/a.b", "/a.b", "b" },
    { L("%2Fa"), "/a", "/a", NULL },
    { L("/a%0d%0a"), "/a\r\n", "/a\r\n", NULL },
    { L("/a%00"), NULL, NULL },
    { L("/a%00b"), NULL, NULL },
    { L("/a%"), NULL, NULL },
    { L("/a%4"), NULL, NULL },
    { L("/a%4?b"), NULL, NULL },
    { L("/a%zz"), NULL, NULL },
    { L("/a%4g"), NULL, NULL },
    { L("/a%%41"), NULL, NULL },
    { L("/a#b"), NULL, NULL },
    { L("/a?b#c"), NULL, NULL },
    { L("a/b"), NULL, NULL },
    { L("%41/b"), NULL, NULL },

    /* extensions */
    { L("/a/b.html"), "/a/b.html", "/a/b.html", "html" },
    { L("/a/b.tar.gz?x.y"), "/a/b.tar.gz", "/a/b.tar.gz", "gz" },
    { L("/a/.hidden"), "/a/.hidden", "/a/.hidden", NULL },
    { L("/a.b/c"), "/a.b/c", "/a.b/c", NULL },
    { L("/a/b."), "/a/b.", "/a/b.", "" },
    { L("/a.x/./b.y/.."), "/a.x/", "/a.x/", NULL },
};


/* One normalization of in: "rc" or "uri|ext|args". */
static void
cu_run(const cu_case_t *c, wd_uint_t merge, wd_uint_t empty_path, char *out,
    size_t size)
{
    u_char *buf;
    wd_int_t rc;
    wd_http_request_t r;

    buf = copy(c->in, c->len);
    memset(&r, 0, sizeof(r));
    r.uri_start = buf;
    r.uri_end = buf + c->len;
    r.empty_path_in_uri = empty_path;
    r.uri.data = malloc(c->len + empty_path);

    rc = wd_http_parse_complex_uri(&r, merge);

    if (rc != WD_OK) {
        snprintf(out, size, "rc=%ld", (long) rc);
    } else {
        ck_assert(r.uri.len <= c->len + empty_path);
        snprintf(out, size, "%.*s|%.*s|%.*s", (int) r.uri.len, r.uri.data,
            r.uri_ext ? (int) (r.uri.data + r.uri.len - r.uri_ext) : 6,
            r.uri_ext ? (char *) r.uri_ext : "(none)", (int) r.args.len,
            r.args.data ? (char *) r.args.data : "");
    }

    free(r.uri.data);
    free(buf);
    ncases++;
}


START_TEST(cu_table)
{
    char out[256], want[256];
    const char *args, *expect;
    const cu_case_t *c = &cu_cases[_i];
    wd_uint_t merge;

    args = memchr(c->in, '?', c->len);
    args = args ? args + 1 : "";

    for (merge = 0; merge < 2; merge++) {
        expect = merge ? c->merged : c->unmerged;
        cu_run(c, merge, 0, out, sizeof(out));

        if (expect == NULL) {
            snprintf(want, sizeof(want), "rc=%d",
                WD_HTTP_PARSE_INVALID_REQUEST);
        } else {
            snprintf(want, sizeof(want), "%s|%s|%.*s", expect,
                c->ext ? c->ext : "(none)",
                (int) (c->in + c->len - args), args);
        }

        ck_assert_msg(strcmp(out, want) == 0, "\"%s\" merge %lu: %s, not %s",
            c->in, (unsigned long) merge, out, want);
    }
}
END_TEST


/* The path of "http://host?args" is "/", which needs the extra byte. */
START_TEST(cu_empty_path)
{
    char out[64];
    static const cu_case_t c1 = { L("?a=1"), NULL, NULL, NULL };
    static const cu_case_t c2 = { L(""), NULL, NULL, NULL };

    cu_run(&c1, 1, 1, out, sizeof(out));
    ck_assert_str_eq(out, "/|(none)|a=1");
    cu_run(&c2, 1, 1, out, sizeof(out));
    ck_assert_str_eq(out, "/|(none)|");
}
END_TEST


/* The parsed request line feeds wd_http_parse_complex_uri(). */
START_TEST(cu_after_request_line)
{
    u_char *buf;
    wd_buf_t b;
    wd_http_request_t r;
    static const char in[] = "GET http://h/a/%2e%2e/b.c?q=1 HTTP/1.1\r\n";

    buf = copy(in, sizeof(in) - 1);
    memset(&r, 0, sizeof(r));
    b.pos = buf;
    b.last = buf + sizeof(in) - 1;
    ck_assert_int_eq(wd_http_parse_request_line(&r, &b), WD_OK);
    ck_assert(r.complex_uri);

    r.uri.data = malloc(r.uri_end - r.uri_start);
    ck_assert_int_eq(wd_http_parse_complex_uri(&r, 1), WD_OK);
    ck_assert_int_eq(r.uri.len, 4);
    ck_assert(memcmp(r.uri.data, "/b.c", 4) == 0);
    ck_assert_ptr_eq(r.uri_ext, r.uri.data + 3);
    ck_assert_int_eq(r.args.len, 3);
    ck_assert(memcmp(r.args.data, "q=1", 3) == 0);
    free(r.uri.data);
    free(buf);
}
END_TEST


/* ---- unsafe URIs, arguments, header lists ---------------------------- */

typedef struct {
    const char *in;
    size_t len;
    wd_int_t rc;
    const char *uri;
    const char *args;           /* NULL: left alone */
} uu_case_t;


static const uu_case_t uu_cases[] = {
    { L("/a/b"), WD_OK, "/a/b", NULL },
    { L("/a?b=1&c=/../"), WD_OK, "/a", "b=1&c=/../" },
    { L("/a?"), WD_OK, "/a", "" },
    { L("/.hidden/a..b/.../c."), WD_OK, "/.hidden/a..b/.../c.", NULL },
    { L("/..%5c"), WD_OK, "/..%5c", NULL },
    { L("/..\\"), WD_OK, "/..\\", NULL },
    { L("/%41"), WD_OK, "/%41", NULL },
    { L("a/b"), WD_OK, "a/b", NULL },
    { L(""), WD_ERROR },
    { L("?a"), WD_ERROR },
    { L("/.."), WD_ERROR },
    { L("/../a"), WD_ERROR },
    { L("/a/.."), WD_ERROR },
    { L("/a/../b"), WD_ERROR },
    { L("/a/./b"), WD_ERROR },
    { L("/a/."), WD_ERROR },
    { L("./a"), WD_ERROR },
    { L("../a"), WD_ERROR },
    { L("."), WD_ERROR },
    { L(".."), WD_ERROR },
    { L("/a/..?x"), WD_ERROR },
    { L("/%2e%2e/a"), WD_ERROR },
    { L("/%2E./a"), WD_ERROR },
    { L("/.%2e"), WD_ERROR },
    { L("/a%2f..%2fb"), WD_ERROR },
    { L("/a%2F.%2Fb"), WD_ERROR },
    { L("/a%00"), WD_ERROR },
    { L("/a\x00" "b"), WD_ERROR },
    { L("/a?b\x00"), WD_ERROR },
    { L("/a%zz"), WD_ERROR },
    { L("/a%4"), WD_ERROR },
};


START_TEST(uu_table)
{
    u_char *buf;
    wd_int_t rc;
    wd_str_t uri, args;
    wd_uint_t flags;
    const uu_case_t *c = &uu_cases[_i];

    buf = copy(c->in, c->len);
    uri.data = buf;
    uri.len = c->len;
    args.data = (u_char *) "untouched";
    args.len = 9;
    flags = 0;

    rc = wd_http_parse_unsafe_uri(NULL, &uri, &args, &flags);
    ncases++;

    ck_assert_msg(rc == c->rc, "\"%.*s\": rc %ld", (int) c->len, c->in,
        (long) rc);

    if (rc == WD_OK) {
        ck_assert_int_eq(uri.len, strlen(c->uri));
        ck_assert(memcmp(uri.data, c->uri, uri.len) == 0);

        if (c->args) {
            ck_assert_int_eq(args.len, strlen(c->args));
            ck_assert(memcmp(args.data, c->args, args.len) == 0);
        } else {
            ck_assert_int_eq(args.len, 9);
        }
    } else {
        ck_assert_int_eq(uri.len, c->len);
    }

    free(buf);
}
END_TEST


START_TEST(args_lookup)
{
    wd_str_t v;
    wd_http_request_t r;

    memset(&r, 0, sizeof(r));

    ck_assert_int_eq(wd_http_arg(&r, (u_char *) "a", 1, &v), WD_DECLINED);

    r.args.data = (u_char *) "a=1&Bb=2&c&&d=&e=x=y&bb=3&a%20b=4";
    r.args.len = strlen((char *) r.args.data);

#define ARG_IS(name, val)                                                      \
    do {                                                                       \
        ck_assert_int_eq(wd_http_arg(&r, (u_char *) name, strlen(name), &v),  \
            WD_OK);                                                            \
        ck_assert_int_eq(v.len, strlen(val));                                  \
        ck_assert(memcmp(v.data, val, v.len) == 0);                            \
        ncases++;                                                              \
    } while (0)

    ARG_IS("a", "1");
    ARG_IS("bb", "2");
    ARG_IS("BB", "2");
    ARG_IS("c", "");
    ARG_IS("d", "");
    ARG_IS("e", "x=y");
    ARG_IS("a%20b", "4");

    ck_assert_int_eq(wd_http_arg(&r, (u_char *) "b", 1, &v), WD_DECLINED);
    ck_assert_int_eq(wd_http_arg(&r, (u_char *) "a=1", 3, &v), WD_DECLINED);
    ck_assert_int_eq(wd_http_arg(&r, (u_char *) "x", 1, &v), WD_DECLINED);
    ck_assert_int_eq(wd_http_arg(&r, (u_char *) "", 0, &v), WD_DECLINED);

    r.args.data = (u_char *) "x=1&";
    r.args.len = 4;
    ARG_IS("x", "1");
    ck_assert_int_eq(wd_http_arg(&r, (u_char *) "y", 1, &v), WD_DECLINED);
}
END_TEST


START_TEST(args_split)
{
    wd_str_t uri, args;

#define SPLIT(in, u, a)                                                        \
    do {                                                                       \
        uri.data = (u_char *) in;                                              \
        uri.len = strlen(in);                                                  \
        wd_http_split_args(NULL, &uri, &args);                                 \
        ck_assert_int_eq(uri.len, strlen(u));                                  \
        ck_assert(memcmp(uri.data, u, uri.len) == 0);                          \
        ck_assert_int_eq(args.len, strlen(a));                                 \
        ck_assert(args.len == 0 || memcmp(args.data, a, args.len) == 0);       \
        ncases++;                                                              \
    } while (0)

    SPLIT("/a?b=1", "/a", "b=1");
    SPLIT("/a?b?c", "/a", "b?c");
    SPLIT("/a?", "/a", "");
    SPLIT("?x", "", "x");
    SPLIT("/a", "/a", "");
    ck_assert_ptr_null(args.data);
    SPLIT("", "", "");
}
END_TEST


START_TEST(multi_header)
{
    wd_str_t name, value;
    wd_table_elt_t h1, h2;

    memset(&h1, 0, sizeof(h1));
    memset(&h2, 0, sizeof(h2));
    h1.next = &h2;

#define HV(h, s)                                                               \
    (h).value.data = (u_char *) (s);                                           \
    (h).value.len = strlen(s)
#define NAME(s)                                                                \
    name.data = (u_char *) (s);                                                \
    name.len = strlen(s)

    HV(h1, "keep-alive, Close");
    HV(h2, "Upgrade,\tfoo ;bar");

    NAME("close");
    ck_assert_ptr_eq(wd_http_parse_multi_header_lines(NULL, &h1, &name, NULL),
        &h1);
    NAME("KEEP-ALIVE");
    ck_assert_ptr_eq(wd_http_parse_multi_header_lines(NULL, &h1, &name, NULL),
        &h1);
    NAME("upgrade");
    ck_assert_ptr_eq(wd_http_parse_multi_header_lines(NULL, &h1, &name, NULL),
        &h2);
    NAME("foo");
    ck_assert_ptr_eq(wd_http_parse_multi_header_lines(NULL, &h1, &name, NULL),
        &h2);
    NAME("bar");
    ck_assert_ptr_eq(wd_http_parse_multi_header_lines(NULL, &h1, &name, NULL),
        &h2);
    NAME("clos");
    ck_assert_ptr_null(wd_http_parse_multi_header_lines(NULL, &h1, &name,
        NULL));
    NAME("closed");
    ck_assert_ptr_null(wd_http_parse_multi_header_lines(NULL, &h1, &name,
        NULL));
    NAME("");
    ck_assert_ptr_null(wd_http_parse_multi_header_lines(NULL, &h1, &name,
        NULL));

    /* cookies */
    HV(h1, "a=1; bb = 2 ;c=");
    HV(h2, "d=x=y,e");
    NAME("bb");
    ck_assert_ptr_eq(wd_http_parse_multi_header_lines(NULL, &h1, &name,
        &value), &h1);
    ck_assert_int_eq(value.len, 1);
    ck_assert_int_eq(value.data[0], '2');
    NAME("c");
    ck_assert_ptr_eq(wd_http_parse_multi_header_lines(NULL, &h1, &name,
        &value), &h1);
    ck_assert_int_eq(value.len, 0);
    NAME("d");
    ck_assert_ptr_eq(wd_http_parse_multi_header_lines(NULL, &h1, &name,
        &value), &h2);
    ck_assert_int_eq(value.len, 3);
    NAME("b");
    ck_assert_ptr_null(wd_http_parse_multi_header_lines(NULL, &h1, &name,
        &value));
    NAME("e");
    ck_assert_ptr_null(wd_http_parse_multi_header_lines(NULL, &h1, &name,
        &value));
    ncases += 13;
}
END_TEST


/* ---- the suite ------------------------------------------------------- */

static Suite *
parse_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_http_parse");

    tc = tcase_create("request line");
    tcase_add_loop_test(tc, rl_table, 0, wd_nelems(rl_cases));
    tcase_add_test(tc, rl_simple_fields);
    tcase_add_test(tc, rl_methods);
    tcase_add_test(tc, rl_every_byte);
    tcase_add_test(tc, rl_long_uri);
    suite_add_tcase(s, tc);

    tc = tcase_create("header lines");
    tcase_add_loop_test(tc, hl_table, 0, wd_nelems(hl_cases));
    tcase_add_test(tc, hl_underscores);
    tcase_add_test(tc, hl_every_byte);
    tcase_add_test(tc, hl_long_lines);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("status line");
    tcase_add_loop_test(tc, sl_table, 0, wd_nelems(sl_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("chunked");
    tcase_add_loop_test(tc, ch_table, 0, wd_nelems(ch_cases));
    tcase_add_test(tc, ch_bounds);
    tcase_add_test(tc, ch_trailer_bound);
    tcase_add_test(tc, ch_big_sizes);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("complex uri");
    tcase_add_loop_test(tc, cu_table, 0, wd_nelems(cu_cases));
    tcase_add_test(tc, cu_empty_path);
    tcase_add_test(tc, cu_after_request_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("helpers");
    tcase_add_loop_test(tc, uu_table, 0, wd_nelems(uu_cases));
    tcase_add_test(tc, args_lookup);
    tcase_add_test(tc, args_split);
    tcase_add_test(tc, multi_header);
    suite_add_tcase(s, tc);

    return s;
}


int
main(void)
{
    int failed;
    SRunner *sr;

    sr = srunner_create(parse_suite());
    /* one process: the table tests are many and fast */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    printf("cases checked: %lu\n", (unsigned long) ncases);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
