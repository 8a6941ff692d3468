/*
 * Unit tests of src/core/wd_inet.c: "host:port" URLs as listen and
 * upstream directives give them, unix sockets, CIDRs and matching, the
 * text forms of addresses, and the forwarded-address lists realip reads.
 */

#include "../wd_unit.h"

static wd_pool_t *pool;
static wd_url_t url;

static void
setup(void)
{
    pool = wd_create_pool(WD_DEFAULT_POOL_SIZE, wd_unit_quiet_log());
    ck_assert_ptr_nonnull(pool);
}

static void
teardown(void)
{
    wd_destroy_pool(pool);
}

/* Parses text (an exact-size copy in the pool) with the given flags. */
static wd_int_t
parse_url(const char *text, wd_uint_t listen, wd_uint_t uri_part,
    in_port_t default_port)
{
    size_t len = strlen(text);

    memset(&url, 0, sizeof(url));
    url.url.data = wd_pnalloc(pool, len);
    memcpy(url.url.data, text, len);
    url.url.len = len;
    url.listen = listen;
    url.uri_part = uri_part;
    url.default_port = default_port;

    return wd_parse_url(pool, &url);
}

#define str_is(s, text)                                                        \
    do {                                                                       \
        ck_assert_uint_eq((s)->len, strlen(text));                             \
        ck_assert_mem_eq((s)->data, text, (s)->len);                           \
    } while (0)

#define url_error(text, listen, why)                                           \
    do {                                                                       \
        ck_assert_int_eq(parse_url(text, listen, 0, 0), WD_ERROR);             \
        ck_assert_ptr_nonnull(url.err);                                        \
        ck_assert_str_eq(url.err, why);                                        \
    } while (0)

START_TEST(test_url_ipv4)
{
    struct sockaddr_in *sin;

    ck_assert_int_eq(parse_url("127.0.0.1:80", 0, 0, 0), WD_OK);
    ck_assert_int_eq(url.family, AF_INET);
    ck_assert_uint_eq(url.port, 80);
    ck_assert_uint_eq(url.no_port, 0);
    ck_assert_uint_eq(url.wildcard, 0);
    str_is(&url.host, "127.0.0.1");
    str_is(&url.port_text, "80");

    sin = &url.sockaddr.sockaddr_in;
    ck_assert_int_eq(sin->sin_family, AF_INET);
    ck_assert_uint_eq(ntohs(sin->sin_port), 80);
    ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);
    ck_assert_uint_eq(url.socklen, sizeof(struct sockaddr_in));

    ck_assert_uint_eq(url.naddrs, 1);
    str_is(&url.addrs[0].name, "127.0.0.1:80");
    ck_assert_uint_eq(wd_inet_get_port(url.addrs[0].sockaddr), 80);

    /* no port: the default one */
    ck_assert_int_eq(parse_url("10.1.2.3", 0, 0, 8080), WD_OK);
    ck_assert_uint_eq(url.no_port, 1);
    ck_assert_uint_eq(url.port, 8080);
    str_is(&url.addrs[0].name, "10.1.2.3:8080");

    ck_assert_int_eq(parse_url("0.0.0.0:65535", 0, 0, 0), WD_OK);
    ck_assert_uint_eq(url.wildcard, 1);
    ck_assert_uint_eq(url.port, 65535);
}
END_TEST

START_TEST(test_url_listen_port_only)
{
    struct sockaddr_in *sin;

    /* "listen 80" */
    ck_assert_int_eq(parse_url("80", 1, 0, 0), WD_OK);
    ck_assert_int_eq(url.family, AF_INET);
    ck_assert_uint_eq(url.port, 80);
    ck_assert_uint_eq(url.wildcard, 1);
    ck_assert_uint_eq(url.host.len, 0);
    str_is(&url.port_text, "80");

    sin = &url.sockaddr.sockaddr_in;
    ck_assert_uint_eq(sin->sin_addr.s_addr, htonl(INADDR_ANY));
    ck_assert_uint_eq(ntohs(sin->sin_port), 80);
    str_is(&url.addrs[0].name, "0.0.0.0:80");

    /* "listen *:8080" */
    ck_assert_int_eq(parse_url("*:8080", 1, 0, 0), WD_OK);
    ck_assert_uint_eq(url.wildcard, 1);
    ck_assert_uint_eq(url.port, 8080);

    /* "listen :8080" */
    ck_assert_int_eq(parse_url(":8080", 1, 0, 0), WD_OK);
    ck_assert_uint_eq(url.wildcard, 1);
}
END_TEST

START_TEST(test_url_ipv6)
{
    struct sockaddr_in6 *sin6;
    u_char loopback[16] = { 0 };

    loopback[15] = 1;

    ck_assert_int_eq(parse_url("[::1]:8080", 0, 0, 0), WD_OK);
    ck_assert_int_eq(url.family, AF_INET6);
    ck_assert_uint_eq(url.port, 8080);
    str_is(&url.host, "::1");

    sin6 = &url.sockaddr.sockaddr_in6;
    ck_assert_int_eq(sin6->sin6_family, AF_INET6);
    ck_assert_uint_eq(ntohs(sin6->sin6_port), 8080);
    ck_assert_mem_eq(sin6->sin6_addr.s6_addr, loopback, 16);
    ck_assert_uint_eq(url.socklen, sizeof(struct sockaddr_in6));
    str_is(&url.addrs[0].name, "[::1]:8080");

    ck_assert_int_eq(parse_url("[::1]", 0, 0, 80), WD_OK);
    ck_assert_uint_eq(url.no_port, 1);
    ck_assert_uint_eq(url.port, 80);

    ck_assert_int_eq(parse_url("[::]:443", 1, 0, 0), WD_OK);
    ck_assert_uint_eq(url.wildcard, 1);
    str_is(&url.addrs[0].name, "[::]:443");

    ck_assert_int_eq(parse_url("[2001:db8::1]:1", 0, 0, 0), WD_OK);
    str_is(&url.addrs[0].name, "[2001:db8::1]:1");
}
END_TEST

START_TEST(test_url_unix)
{
    struct sockaddr_un *saun;
    char longpath[200];

    ck_assert_int_eq(parse_url("unix:/tmp/x.sock", 0, 0, 0), WD_OK);
    ck_assert_int_eq(url.family, AF_UNIX);
    str_is(&url.host, "/tmp/x.sock");
    saun = &url.sockaddr.sockaddr_un;
    ck_assert_int_eq(saun->sun_family, AF_UNIX);
    ck_assert_str_eq(saun->sun_path, "/tmp/x.sock");
    ck_assert_uint_eq(url.naddrs, 1);
    str_is(&url.addrs[0].name, "unix:/tmp/x.sock");

    /* with a URI after it, as proxy_pass writes it */
    ck_assert_int_eq(parse_url("unix:/tmp/x.sock:/api/", 0, 1, 0), WD_OK);
    str_is(&url.host, "/tmp/x.sock");
    str_is(&url.uri, "/api/");
    str_is(&url.addrs[0].name, "unix:/tmp/x.sock");

    memset(longpath, 'a', sizeof(longpath));
    memcpy(longpath, "unix:/", 6);
    longpath[sizeof(longpath) - 1] = '\0';
    url_error(longpath, 0, "too long path in the unix domain socket");

    /* bug: "unix:" alone was taken for host "unix" with an empty port */
    url_error("unix:", 0, "no path in the unix domain socket");
    url_error("unix:", 1, "no path in the unix domain socket");
}
END_TEST

START_TEST(test_url_name)
{
    struct sockaddr_in *sin;
    wd_uint_t i, v4;

    ck_assert_int_eq(parse_url("localhost:80", 0, 0, 0), WD_OK);
    ck_assert_uint_ge(url.naddrs, 1);
    str_is(&url.host, "localhost");

    /* IPv4 addresses come first, each with the port */
    for (i = 0, v4 = 1; i < url.naddrs; i++) {
        ck_assert_uint_eq(wd_inet_get_port(url.addrs[i].sockaddr), 80);

        if (url.addrs[i].sockaddr->sa_family == AF_INET6) {
            v4 = 0;
        } else {
            ck_assert_uint_eq(v4, 1);
        }
    }

    if (url.addrs[0].sockaddr->sa_family == AF_INET) {
        sin = (struct sockaddr_in *) url.addrs[0].sockaddr;
        ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);
        str_is(&url.addrs[0].name, "127.0.0.1:80");
        ck_assert_int_eq(url.family, AF_INET);
    }

    /* no_resolve leaves names alone */
    memset(&url, 0, sizeof(url));
    wd_str_set(&url.url, "backend.example:8080");
    url.no_resolve = 1;
    ck_assert_int_eq(wd_parse_url(pool, &url), WD_OK);
    ck_assert_uint_eq(url.naddrs, 0);
    str_is(&url.host, "backend.example");
    ck_assert_uint_eq(url.port, 8080);
}
END_TEST

START_TEST(test_url_uri_part)
{
    ck_assert_int_eq(parse_url("127.0.0.1:8080/path/x", 0, 1, 0), WD_OK);
    str_is(&url.uri, "/path/x");
    ck_assert_uint_eq(url.port, 8080);

    ck_assert_int_eq(parse_url("127.0.0.1/", 0, 1, 80), WD_OK);
    str_is(&url.uri, "/");
    ck_assert_uint_eq(url.no_port, 1);

    url_error("127.0.0.1:8080/path", 0, "invalid host");
}
END_TEST

START_TEST(test_url_bad_ports)
{
    url_error("127.0.0.1:0", 0, "invalid port");
    url_error("127.0.0.1:65536", 0, "invalid port");
    url_error("127.0.0.1:abc", 0, "invalid port");
    url_error("127.0.0.1:", 0, "invalid port");
    url_error("127.0.0.1:-1", 0, "invalid port");
    url_error("127.0.0.1:80:81", 0, "invalid port");
    url_error("127.0.0.1: 80", 0, "invalid port");
    url_error("[::1]:0", 0, "invalid port");
    url_error("[::1]:", 0, "invalid port");
    url_error("70000", 1, "invalid port");
    url_error("0", 1, "invalid port");
    url_error("*:99999", 1, "invalid port");
}
END_TEST

START_TEST(test_url_bad_hosts)
{
    url_error(":80", 0, "no host");
    url_error("", 0, "no host");
    url_error("[::1", 0, "invalid host");
    url_error("[::1]x:80", 0, "invalid host");
    url_error("[::1]x", 0, "invalid host");
    url_error("[zz]:80", 0, "invalid IPv6 address");
    url_error("[]:80", 0, "no host");
    url_error("[1.2.3.4]:80", 0, "invalid IPv6 address");
}
END_TEST

START_TEST(test_inet_addr)
{
    static const struct {
        const char *text;
        uint32_t want;          /* host order; INADDR_NONE for invalid */
    } cases[] = {
        { "1.2.3.4", 0x01020304 },
        { "0.0.0.0", 0 },
        { "127.0.0.1", 0x7f000001 },
        { "01.2.3.004", 0x01020304 },
        { "255.255.255.254", 0xfffffffe },
        { "1.2.3.4.5", INADDR_NONE },
        { "1..2.3", INADDR_NONE },
        { "1.2.3.", INADDR_NONE },
        { ".1.2.3", INADDR_NONE },
        { "1.2.3", INADDR_NONE },
        { "256.1.1.1", INADDR_NONE },
        { "1.2.3.0004", INADDR_NONE },
        { "1.2.3.4 ", INADDR_NONE },
        { "a.b.c.d", INADDR_NONE },
        { "", INADDR_NONE },
    };
    size_t i;
    in_addr_t a;

    for (i = 0; i < wd_nelems(cases); i++) {
        a = wd_inet_addr((u_char *) cases[i].text, strlen(cases[i].text));
        ck_assert_msg(a == (cases[i].want == INADDR_NONE
                            ? INADDR_NONE : htonl(cases[i].want)),
                      "wd_inet_addr(\"%s\")", cases[i].text);
    }
}
END_TEST

static wd_int_t
cidr(const char *text, wd_cidr_t *c)
{
    wd_str_t s;
    wd_int_t rc;

    s.len = strlen(text);
    s.data = malloc(s.len ? s.len : 1);
    memcpy(s.data, text, s.len);
    memset(c, 0, sizeof(wd_cidr_t));

    rc = wd_ptocidr(&s, c);
    free(s.data);

    return rc;
}

START_TEST(test_ptocidr_v4)
{
    wd_cidr_t c;

    ck_assert_int_eq(cidr("192.168.1.0/24", &c), WD_OK);
    ck_assert_uint_eq(c.family, AF_INET);
    ck_assert_uint_eq(ntohl(c.u.in.addr), 0xc0a80100);
    ck_assert_uint_eq(ntohl(c.u.in.mask), 0xffffff00);

    /* host bits set: WD_DONE, and they are cleared */
    ck_assert_int_eq(cidr("192.168.1.5/24", &c), WD_DONE);
    ck_assert_uint_eq(ntohl(c.u.in.addr), 0xc0a80100);

    ck_assert_int_eq(cidr("10.0.0.1", &c), WD_OK);
    ck_assert_uint_eq(ntohl(c.u.in.mask), 0xffffffff);
    ck_assert_int_eq(cidr("10.0.0.1/32", &c), WD_OK);

    ck_assert_int_eq(cidr("0.0.0.0/0", &c), WD_OK);
    ck_assert_uint_eq(c.u.in.mask, 0);
    ck_assert_int_eq(cidr("1.2.3.4/0", &c), WD_DONE);
    ck_assert_uint_eq(c.u.in.addr, 0);

    ck_assert_int_eq(cidr("255.255.255.255", &c), WD_OK);
    ck_assert_uint_eq(c.u.in.addr, 0xffffffff);
    ck_assert_int_eq(cidr("10.1.0.0/15", &c), WD_DONE);
    ck_assert_uint_eq(ntohl(c.u.in.mask), 0xfffe0000);

    ck_assert_int_eq(cidr("1.2.3.4/33", &c), WD_ERROR);
    ck_assert_int_eq(cidr("1.2.3.4/", &c), WD_ERROR);
    ck_assert_int_eq(cidr("1.2.3.4/x", &c), WD_ERROR);
    ck_assert_int_eq(cidr("1.2.3.4/-1", &c), WD_ERROR);
    ck_assert_int_eq(cidr("1.2.3/8", &c), WD_ERROR);
    ck_assert_int_eq(cidr("256.0.0.0/8", &c), WD_ERROR);
    ck_assert_int_eq(cidr("", &c), WD_ERROR);
    ck_assert_int_eq(cidr("/8", &c), WD_ERROR);
}
END_TEST

START_TEST(test_ptocidr_v6)
{
    wd_cidr_t c;
    u_char want[16];

    ck_assert_int_eq(cidr("::1", &c), WD_OK);
    ck_assert_uint_eq(c.family, AF_INET6);
    memset(want, 0xff, 16);
    ck_assert_mem_eq(c.u.in6.mask.s6_addr, want, 16);

    ck_assert_int_eq(cidr("2001:db8::/32", &c), WD_OK);
    memset(want, 0, 16);
    memset(want, 0xff, 4);
    ck_assert_mem_eq(c.u.in6.mask.s6_addr, want, 16);

    ck_assert_int_eq(cidr("2001:db8::/33", &c), WD_OK);
    ck_assert_uint_eq(c.u.in6.mask.s6_addr[4], 0x80);
    ck_assert_uint_eq(c.u.in6.mask.s6_addr[5], 0);

    ck_assert_int_eq(cidr("2001:db8::1/32", &c), WD_DONE);
    memset(want, 0, 16);
    want[0] = 0x20;
    want[1] = 0x01;
    want[2] = 0x0d;
    want[3] = 0xb8;
    ck_assert_mem_eq(c.u.in6.addr.s6_addr, want, 16);

    ck_assert_int_eq(cidr("fe80::1/64", &c), WD_DONE);
    ck_assert_int_eq(cidr("::/0", &c), WD_OK);
    ck_assert_int_eq(cidr("::ffff:1.2.3.4/128", &c), WD_OK);

    ck_assert_int_eq(cidr("2001:db8::/129", &c), WD_ERROR);
    ck_assert_int_eq(cidr("2001:zz8::/32", &c), WD_ERROR);
    ck_assert_int_eq(cidr("1:2:3:4:5:6:7:8:9", &c), WD_ERROR);
}
END_TEST

START_TEST(test_cidr_match)
{
    wd_array_t cidrs;
    wd_cidr_t *c;
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr_un saun;

    ck_assert_int_eq(wd_array_init(&cidrs, pool, 4, sizeof(wd_cidr_t)), WD_OK);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);

    /* empty list: nothing matches */
    ck_assert_int_eq(wd_cidr_match((struct sockaddr *) &sin, &cidrs),
                     WD_DECLINED);

    c = wd_array_push(&cidrs);
    ck_assert_int_eq(cidr("192.168.0.0/16", c), WD_OK);
    c = wd_array_push(&cidrs);
    ck_assert_int_eq(cidr("10.0.0.0/8", c), WD_OK);
    c = wd_array_push(&cidrs);
    ck_assert_int_eq(cidr("2001:db8::/32", c), WD_OK);

    ck_assert_int_eq(wd_cidr_match((struct sockaddr *) &sin, &cidrs), WD_OK);
    inet_pton(AF_INET, "11.0.0.1", &sin.sin_addr);
    ck_assert_int_eq(wd_cidr_match((struct sockaddr *) &sin, &cidrs),
                     WD_DECLINED);
    inet_pton(AF_INET, "192.168.255.255", &sin.sin_addr);
    ck_assert_int_eq(wd_cidr_match((struct sockaddr *) &sin, &cidrs), WD_OK);

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8:ffff::5", &sin6.sin6_addr);
    ck_assert_int_eq(wd_cidr_match((struct sockaddr *) &sin6, &cidrs), WD_OK);
    inet_pton(AF_INET6, "2001:db9::", &sin6.sin6_addr);
    ck_assert_int_eq(wd_cidr_match((struct sockaddr *) &sin6, &cidrs),
                     WD_DECLINED);

    /* unix sockets match only a "unix:" entry */
    memset(&saun, 0, sizeof(saun));
    saun.sun_family = AF_UNIX;
    ck_assert_int_eq(wd_cidr_match((struct sockaddr *) &saun, &cidrs),
                     WD_DECLINED);
    c = wd_array_push(&cidrs);
    memset(c, 0, sizeof(wd_cidr_t));
    c->family = AF_UNIX;
    ck_assert_int_eq(wd_cidr_match((struct sockaddr *) &saun, &cidrs), WD_OK);
}
END_TEST

START_TEST(test_sock_ntop)
{
    u_char text[WD_SOCKADDR_STRLEN];
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr_un saun;
    size_t n;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(8080);
    inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);

    n = wd_sock_ntop((struct sockaddr *) &sin, sizeof(sin), text,
                     sizeof(text), 1);
    ck_assert_uint_eq(n, 14);
    ck_assert_mem_eq(text, "192.0.2.1:8080", n);
    n = wd_sock_ntop((struct sockaddr *) &sin, sizeof(sin), text,
                     sizeof(text), 0);
    ck_assert_uint_eq(n, 9);

    /* a short buffer is never overrun */
    memset(text, 'x', sizeof(text));
    n = wd_sock_ntop((struct sockaddr *) &sin, sizeof(sin), text, 6, 1);
    ck_assert_uint_le(n, 6);
    ck_assert_uint_eq(text[6], 'x');

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(443);
    inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
    n = wd_sock_ntop((struct sockaddr *) &sin6, sizeof(sin6), text,
                     sizeof(text), 1);
    ck_assert_uint_eq(n, 17);
    ck_assert_mem_eq(text, "[2001:db8::1]:443", n);
    n = wd_sock_ntop((struct sockaddr *) &sin6, sizeof(sin6), text,
                     sizeof(text), 0);
    ck_assert_mem_eq(text, "2001:db8::1", n);

    memset(&saun, 0, sizeof(saun));
    saun.sun_family = AF_UNIX;
    strcpy(saun.sun_path, "/tmp/s");
    n = wd_sock_ntop((struct sockaddr *) &saun, sizeof(saun), text,
                     sizeof(text), 1);
    ck_assert_mem_eq(text, "unix:/tmp/s", n);
    ck_assert_uint_eq(n, 11);

    /* an unnamed unix socket */
    n = wd_sock_ntop((struct sockaddr *) &saun, sizeof(sa_family_t), text,
                     sizeof(text), 1);
    ck_assert_mem_eq(text, "unix:", n);
    ck_assert_uint_eq(n, 5);
}
END_TEST

START_TEST(test_cmp_sockaddr)
{
    struct sockaddr_in a, b;
    struct sockaddr_in6 c;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(80);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    b = a;

    ck_assert_int_eq(wd_cmp_sockaddr((struct sockaddr *) &a, sizeof(a),
                                     (struct sockaddr *) &b, sizeof(b), 1),
                     WD_OK);

    b.sin_port = htons(81);
    ck_assert_int_eq(wd_cmp_sockaddr((struct sockaddr *) &a, sizeof(a),
                                     (struct sockaddr *) &b, sizeof(b), 1),
                     WD_DECLINED);
    ck_assert_int_eq(wd_cmp_sockaddr((struct sockaddr *) &a, sizeof(a),
                                     (struct sockaddr *) &b, sizeof(b), 0),
                     WD_OK);

    memset(&c, 0, sizeof(c));
    c.sin6_family = AF_INET6;
    ck_assert_int_eq(wd_cmp_sockaddr((struct sockaddr *) &a, sizeof(a),
                                     (struct sockaddr *) &c, sizeof(c), 0),
                     WD_DECLINED);

    ck_assert_uint_eq(wd_inet_wildcard((struct sockaddr *) &a), 0);
    ck_assert_uint_eq(wd_inet_wildcard((struct sockaddr *) &c), 1);
    wd_inet_set_port((struct sockaddr *) &c, 9000);
    ck_assert_uint_eq(wd_inet_get_port((struct sockaddr *) &c), 9000);
}
END_TEST

START_TEST(test_parse_addr)
{
    wd_addr_t addr;

    ck_assert_int_eq(wd_parse_addr(pool, &addr, (u_char *) "1.2.3.4", 7),
                     WD_OK);
    ck_assert_int_eq(addr.sockaddr->sa_family, AF_INET);
    ck_assert_uint_eq(addr.socklen, sizeof(struct sockaddr_in));

    ck_assert_int_eq(wd_parse_addr(pool, &addr, (u_char *) "::1", 3), WD_OK);
    ck_assert_int_eq(addr.sockaddr->sa_family, AF_INET6);

    ck_assert_int_eq(wd_parse_addr(pool, &addr, (u_char *) "localhost", 9),
                     WD_DECLINED);
    ck_assert_int_eq(wd_parse_addr(pool, &addr, (u_char *) "", 0),
                     WD_DECLINED);
}
END_TEST

/* wd_parse_addr_port() of text: the address and port, as "a|port". */
static const char *
addr_port(const char *text)
{
    static char out[WD_SOCKADDR_STRLEN + 16];
    u_char buf[WD_SOCKADDR_STRLEN];
    size_t n;
    wd_int_t rc;
    wd_addr_t addr;

    rc = wd_parse_addr_port(pool, &addr, (u_char *) text, strlen(text));

    if (rc != WD_OK) {
        snprintf(out, sizeof(out), "rc %d", (int) rc);
        return out;
    }

    n = wd_sock_ntop(addr.sockaddr, addr.socklen, buf, sizeof(buf), 0);
    snprintf(out, sizeof(out), "%.*s|%u", (int) n, buf,
             (unsigned) wd_inet_get_port(addr.sockaddr));

    return out;
}

START_TEST(test_parse_addr_port)
{
    ck_assert_str_eq(addr_port("192.0.2.1"), "192.0.2.1|0");
    ck_assert_str_eq(addr_port("192.0.2.1:8080"), "192.0.2.1|8080");
    ck_assert_str_eq(addr_port("2001:db8::1"), "2001:db8::1|0");
    ck_assert_str_eq(addr_port("[2001:db8::1]:443"), "2001:db8::1|443");
    ck_assert_str_eq(addr_port("::ffff:1.2.3.4"), "::ffff:1.2.3.4|0");
    ck_assert_str_eq(addr_port("1.2.3.4:65535"), "1.2.3.4|65535");

    ck_assert_str_eq(addr_port(""), "rc -5");
    ck_assert_str_eq(addr_port("1.2.3.4:0"), "rc -5");
    ck_assert_str_eq(addr_port("1.2.3.4:65536"), "rc -5");
    ck_assert_str_eq(addr_port("1.2.3.4:"), "rc -5");
    ck_assert_str_eq(addr_port("1.2.3.4:80:81"), "rc -5");
    ck_assert_str_eq(addr_port("[2001:db8::1]"), "rc -5");
    ck_assert_str_eq(addr_port("[2001:db8::1]:"), "rc -5");
    ck_assert_str_eq(addr_port("[2001:db8::1]80"), "rc -5");
    ck_assert_str_eq(addr_port("[2001:db8::1"), "rc -5");
    ck_assert_str_eq(addr_port("example.com:80"), "rc -5");
    ck_assert_str_eq(addr_port("unknown"), "rc -5");
    ck_assert_str_eq(addr_port("1.2.3.4 "), "rc -5");
}
END_TEST

/* wd_inet_forwarded_addr() from 127.0.0.1, trusting 127.0.0.1 and
 * 10.0.0.0/8: "rc address|port". */
static const char *
forwarded(const char *value, wd_uint_t recursive)
{
    static char out[WD_SOCKADDR_STRLEN + 32];
    u_char buf[WD_SOCKADDR_STRLEN];
    size_t n;
    wd_int_t rc;
    wd_addr_t addr;
    wd_cidr_t *c;
    wd_array_t *trusted;
    struct sockaddr_in sin;

    trusted = wd_array_create(pool, 2, sizeof(wd_cidr_t));
    c = wd_array_push(trusted);
    ck_assert_int_eq(cidr("127.0.0.1", c), WD_OK);
    c = wd_array_push(trusted);
    ck_assert_int_eq(cidr("10.0.0.0/8", c), WD_OK);
    c = wd_array_push(trusted);
    ck_assert_int_eq(cidr("2001:db8::/32", c), WD_OK);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(1234);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sockaddr = (struct sockaddr *) &sin;
    addr.socklen = sizeof(sin);

    rc = wd_inet_forwarded_addr(pool, &addr, (u_char *) value, strlen(value),
                                trusted, recursive);

    n = wd_sock_ntop(addr.sockaddr, addr.socklen, buf, sizeof(buf), 0);
    snprintf(out, sizeof(out), "%s %.*s|%u",
             rc == WD_OK ? "ok" : rc == WD_DONE ? "done"
                                  : rc == WD_DECLINED ? "declined" : "error",
             (int) n, buf, (unsigned) wd_inet_get_port(addr.sockaddr));

    return out;
}

START_TEST(test_forwarded_addr)
{
    /* not recursive: the last element, whatever it is */
    ck_assert_str_eq(forwarded("192.0.2.1", 0), "ok 192.0.2.1|0");
    ck_assert_str_eq(forwarded("192.0.2.1, 10.0.0.2", 0), "ok 10.0.0.2|0");
    ck_assert_str_eq(forwarded("10.0.0.2 ,192.0.2.1:81,, ", 0),
                     "ok 192.0.2.1|81");
    ck_assert_str_eq(forwarded("[2001:db8::7]:8443", 0),
                     "ok 2001:db8::7|8443");

    /* recursive: leftwards while trusted ("ok": to the list's start) */
    ck_assert_str_eq(forwarded("192.0.2.1, 10.0.0.2", 1), "ok 192.0.2.1|0");
    ck_assert_str_eq(forwarded("198.51.100.1, 192.0.2.1, 10.0.0.2", 1),
                     "done 192.0.2.1|0");
    ck_assert_str_eq(forwarded("10.0.0.3, 10.0.0.2", 1), "ok 10.0.0.3|0");
    ck_assert_str_eq(forwarded("10.0.0.3", 1), "ok 10.0.0.3|0");
    ck_assert_str_eq(forwarded("192.0.2.9,2001:db8::1 10.0.0.2", 1),
                     "ok 192.0.2.9|0");

    /* what is not an address stops the walk where it is */
    ck_assert_str_eq(forwarded("192.0.2.1, junk, 10.0.0.2", 1),
                     "done 10.0.0.2|0");
    ck_assert_str_eq(forwarded(", 10.0.0.2", 1), "done 10.0.0.2|0");
    ck_assert_str_eq(forwarded("junk", 1), "declined 127.0.0.1|1234");
    ck_assert_str_eq(forwarded("192.0.2.1, junk", 0),
                     "declined 127.0.0.1|1234");
    ck_assert_str_eq(forwarded("", 1), "declined 127.0.0.1|1234");
    ck_assert_str_eq(forwarded(" , ,", 0), "declined 127.0.0.1|1234");
    ck_assert_str_eq(forwarded("1.2.3.4:0", 0), "declined 127.0.0.1|1234");
}
END_TEST

START_TEST(test_forwarded_untrusted)
{
    wd_addr_t addr;
    wd_array_t *trusted;
    wd_cidr_t *c;
    struct sockaddr_in sin;

    trusted = wd_array_create(pool, 1, sizeof(wd_cidr_t));
    c = wd_array_push(trusted);
    ck_assert_int_eq(cidr("10.0.0.0/8", c), WD_OK);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sockaddr = (struct sockaddr *) &sin;
    addr.socklen = sizeof(sin);

    ck_assert_int_eq(wd_inet_forwarded_addr(pool, &addr, (u_char *) "1.2.3.4",
                                            7, trusted, 0), WD_DECLINED);
    ck_assert_ptr_eq(addr.sockaddr, (struct sockaddr *) &sin);
}
END_TEST

START_TEST(test_resolve_host)
{
    wd_url_t u;

    memset(&u, 0, sizeof(u));
    u.host.data = (u_char *) "localhost";
    u.host.len = 9;

    ck_assert_int_eq(wd_inet_resolve_host(pool, &u), WD_OK);
    ck_assert_uint_ge(u.naddrs, 1);
    ck_assert_int_eq(u.addrs[0].sockaddr->sa_family, AF_INET);

    memset(&u, 0, sizeof(u));
    u.host.data = (u_char *) "10.0.0.0/33";
    u.host.len = 11;

    ck_assert_int_eq(wd_inet_resolve_host(pool, &u), WD_ERROR);
    ck_assert_str_eq(u.err, "host not found");
}
END_TEST

static Suite *
inet_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_inet");

    tc = tcase_create("urls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_url_ipv4);
    tcase_add_test(tc, test_url_listen_port_only);
    tcase_add_test(tc, test_url_ipv6);
    tcase_add_test(tc, test_url_unix);
    tcase_add_test(tc, test_url_name);
    tcase_add_test(tc, test_url_uri_part);
    tcase_add_test(tc, test_url_bad_ports);
    tcase_add_test(tc, test_url_bad_hosts);
    suite_add_tcase(s, tc);

    tc = tcase_create("addresses");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_inet_addr);
    tcase_add_test(tc, test_ptocidr_v4);
    tcase_add_test(tc, test_ptocidr_v6);
    tcase_add_test(tc, test_cidr_match);
    tcase_add_test(tc, test_sock_ntop);
    tcase_add_test(tc, test_cmp_sockaddr);
    tcase_add_test(tc, test_parse_addr);
    tcase_add_test(tc, test_parse_addr_port);
    tcase_add_test(tc, test_forwarded_addr);
    tcase_add_test(tc, test_forwarded_untrusted);
    tcase_add_test(tc, test_resolve_host);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(inet_suite)
