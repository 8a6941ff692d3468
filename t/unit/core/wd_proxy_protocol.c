/*
 * Unit tests of src/core/wd_proxy_protocol.c: version 1 and 2 headers,
 * whole and a byte at a time, what is rejected and why, the TLV lookup
 * and the text of a "broken header" message.
 */

#include "../wd_unit.h"

static wd_pool_t *pool;
static wd_proxy_protocol_header_t h;

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

#define str_is(s, text)                                                        \
    do {                                                                       \
        ck_assert_uint_eq((s)->len, strlen(text));                             \
        ck_assert_mem_eq((s)->data, text, (s)->len);                           \
    } while (0)

/* Parses len bytes (an exact-size copy, so ASan sees any overread). */
static wd_int_t
parse(const void *data, size_t len)
{
    u_char *buf;

    buf = wd_pnalloc(pool, len ? len : 1);
    memcpy(buf, data, len);

    return wd_proxy_protocol_parse(&h, buf, len);
}

static wd_int_t
parse_str(const char *text)
{
    return parse(text, strlen(text));
}

/* Every proper prefix of a valid header asks for more. */
static void
prefixes_again(const void *data, size_t len)
{
    size_t n;

    for (n = 0; n < len; n++) {
        ck_assert_msg(parse(data, n) == WD_AGAIN, "prefix of %zu bytes", n);
    }
}

#define broken(text)                                                           \
    do {                                                                       \
        ck_assert_int_eq(parse_str(text), WD_ERROR);                           \
        ck_assert_uint_eq(h.error, WD_PROXY_PROTOCOL_BROKEN);                  \
    } while (0)

START_TEST(test_v1_tcp4)
{
    static const char line[] = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443"
                               "\r\nGET / HTTP/1.1\r\n";

    ck_assert_int_eq(parse_str(line), WD_OK);
    ck_assert_uint_eq(h.version, 1);
    ck_assert_uint_eq(h.size, 45);
    ck_assert_uint_eq(h.has_addrs, 1);
    str_is(&h.pp.src_addr, "192.0.2.1");
    str_is(&h.pp.dst_addr, "198.51.100.2");
    ck_assert_uint_eq(h.pp.src_port, 56324);
    ck_assert_uint_eq(h.pp.dst_port, 443);
    ck_assert_uint_eq(h.pp.tlvs.len, 0);

    prefixes_again(line, 45);

    ck_assert_int_eq(parse_str("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535"
                               "\r\n"), WD_OK);
    str_is(&h.pp.dst_addr, "255.255.255.255");
    ck_assert_uint_eq(h.pp.src_port, 0);
    ck_assert_uint_eq(h.pp.dst_port, 65535);
}
END_TEST

START_TEST(test_v1_tcp6)
{
    static const char line[] = "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.9 1 2"
                               "\r\n";

    ck_assert_int_eq(parse_str(line), WD_OK);
    ck_assert_uint_eq(h.size, sizeof(line) - 1);
    str_is(&h.pp.src_addr, "2001:db8::1");
    str_is(&h.pp.dst_addr, "::ffff:192.0.2.9");
    ck_assert_uint_eq(h.pp.src_port, 1);
    ck_assert_uint_eq(h.pp.dst_port, 2);

    /* the longest address text there is, both ways */
    ck_assert_int_eq(parse_str("PROXY TCP6 "
                               "0000:0000:0000:0000:0000:ffff:255.255.255.255 "
                               "0000:0000:0000:0000:0000:ffff:255.255.255.255 "
                               "1 2\r\n"), WD_ERROR);  /* longer than 107 */
    ck_assert_int_eq(parse_str("PROXY TCP6 "
                               "0000:0000:0000:0000:0000:ffff:255.255.255.255 "
                               "::1 65535 65535\r\n"), WD_OK);
    ck_assert_uint_eq(h.pp.src_addr.len, WD_INET6_ADDRSTRLEN);
}
END_TEST

START_TEST(test_v1_unknown)
{
    ck_assert_int_eq(parse_str("PROXY UNKNOWN\r\nGET"), WD_OK);
    ck_assert_uint_eq(h.size, 15);
    ck_assert_uint_eq(h.has_addrs, 0);

    ck_assert_int_eq(parse_str("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"),
                     WD_OK);
    ck_assert_uint_eq(h.has_addrs, 0);

    broken("PROXY UNKNOWNX\r\n");
    broken("PROXY UNKNOWN\r\r\n");
}
END_TEST

START_TEST(test_v1_broken)
{
    /* not PROXY at all, seen as soon as a byte differs */
    broken("GET / HTTP/1.1\r\n");
    broken("G");
    broken("PROXX");
    broken("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n");

    /* line ends */
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\r\n");
    broken("PROXY TCP4 1.2.3.4\r1.2.3.4 1 2\r\n");
    broken("PROXY \r\n");
    broken("PROXY\r\n");

    /* protocol and fields */
    broken("PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n");
    broken("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n");
    broken("PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 1  2\r\n");
    broken("PROXY TCP4\r\n");

    /* addresses of the wrong family, or not addresses */
    broken("PROXY TCP4 ::1 1.2.3.4 1 2\r\n");
    broken("PROXY TCP6 1.2.3.4 ::1 1 2\r\n");
    broken("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n");
    broken("PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n");
    broken("PROXY TCP4 localhost 1.2.3.4 1 2\r\n");
    broken("PROXY TCP6 fe80::1%lo ::1 1 2\r\n");
    broken("PROXY TCP6 [::1] ::1 1 2\r\n");

    /* ports */
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 1 000080\r\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 0x1 2\r\n");
    broken("PROXY TCP4 1.2.3.4 1.2.3.4 1 2a\r\n");
}
END_TEST

START_TEST(test_v1_too_long)
{
    char line[200];

    /* 105 bytes and CRLF: the longest a line may be */
    memset(line, 0, sizeof(line));
    strcpy(line, "PROXY UNKNOWN ");
    memset(line + 14, 'x', 105 - 14);
    strcpy(line + 105, "\r\n");
    ck_assert_int_eq(parse_str(line), WD_OK);
    ck_assert_uint_eq(h.size, WD_PROXY_PROTOCOL_V1_MAX_HEADER);

    /* one more, and the LF is past the limit */
    memset(line + 14, 'x', 106 - 14);
    strcpy(line + 106, "\r\n");
    broken(line);

    /* no LF within the limit: no use waiting for more */
    line[106] = 'x';
    ck_assert_int_eq(parse(line, 106), WD_AGAIN);
    ck_assert_int_eq(parse(line, 107), WD_ERROR);
    ck_assert_uint_eq(h.error, WD_PROXY_PROTOCOL_BROKEN);
}
END_TEST

/* A version 2 header: the signature, then the rest as given. */
static size_t
v2(u_char *out, u_char ver_cmd, u_char fam, const u_char *body,
    size_t len)
{
    static const u_char sig[] = "\r\n\r\n\0\r\nQUIT\n";

    memcpy(out, sig, 12);
    out[12] = ver_cmd;
    out[13] = fam;
    out[14] = (u_char) (len >> 8);
    out[15] = (u_char) len;
    memcpy(out + 16, body, len);

    return 16 + len;
}

static const u_char inet_body[] = {
    192, 0, 2, 1,   198, 51, 100, 2,   0xdc, 0x04,   0x01, 0xbb,
    /* TLVs: ALPN "h2", authority "example.com", 0xEA "vpce-1" */
    0x01, 0x00, 0x02, 'h', '2',
    0x02, 0x00, 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
    0xea, 0x00, 0x06, 'v', 'p', 'c', 'e', '-', '1'
};

START_TEST(test_v2_inet)
{
    u_char buf[256];
    size_t n;

    n = v2(buf, 0x21, 0x11, inet_body, sizeof(inet_body));
    buf[n] = 'G';

    ck_assert_int_eq(parse(buf, n + 1), WD_OK);
    ck_assert_uint_eq(h.version, 2);
    ck_assert_uint_eq(h.size, n);
    ck_assert_uint_eq(h.has_addrs, 1);
    str_is(&h.pp.src_addr, "192.0.2.1");
    str_is(&h.pp.dst_addr, "198.51.100.2");
    ck_assert_uint_eq(h.pp.src_port, 56324);
    ck_assert_uint_eq(h.pp.dst_port, 443);
    ck_assert_uint_eq(h.pp.tlvs.len, sizeof(inet_body) - 12);

    prefixes_again(buf, n);

    /* once 16 bytes are in, the size is known */
    ck_assert_int_eq(parse(buf, 16), WD_AGAIN);
    ck_assert_uint_eq(h.size, n);
    ck_assert_int_eq(parse(buf, 15), WD_AGAIN);
    ck_assert_uint_eq(h.size, 0);
}
END_TEST

START_TEST(test_v2_inet6)
{
    u_char buf[128], body[36];
    size_t n;

    memset(body, 0, sizeof(body));
    body[0] = 0x20;
    body[1] = 0x01;
    body[2] = 0x0d;
    body[3] = 0xb8;
    body[15] = 1;
    body[16 + 10] = 0xff;
    body[16 + 11] = 0xff;
    body[16 + 12] = 10;
    body[16 + 15] = 7;
    body[32] = 0xff;
    body[33] = 0xff;
    body[35] = 80;

    n = v2(buf, 0x21, 0x21, body, sizeof(body));

    ck_assert_int_eq(parse(buf, n), WD_OK);
    str_is(&h.pp.src_addr, "2001:db8::1");
    str_is(&h.pp.dst_addr, "::ffff:10.0.0.7");
    ck_assert_uint_eq(h.pp.src_port, 65535);
    ck_assert_uint_eq(h.pp.dst_port, 80);
    ck_assert_uint_eq(h.pp.tlvs.len, 0);
}
END_TEST

START_TEST(test_v2_no_addrs)
{
    u_char buf[300], body[216];
    size_t n;

    memset(body, 'u', sizeof(body));

    /* LOCAL: the proxy's own connection (a health check) */
    n = v2(buf, 0x20, 0x11, inet_body, 12);
    ck_assert_int_eq(parse(buf, n), WD_OK);
    ck_assert_uint_eq(h.size, n);
    ck_assert_uint_eq(h.has_addrs, 0);

    /* LOCAL with nothing after the fixed part */
    n = v2(buf, 0x20, 0x00, inet_body, 0);
    ck_assert_int_eq(parse(buf, n), WD_OK);
    ck_assert_uint_eq(h.size, 16);
    ck_assert_uint_eq(h.has_addrs, 0);

    /* UNSPEC, UNIX, DGRAM, an unassigned command: skipped, as nginx does */
    n = v2(buf, 0x21, 0x00, inet_body, 0);
    ck_assert_int_eq(parse(buf, n), WD_OK);
    ck_assert_uint_eq(h.has_addrs, 0);
    n = v2(buf, 0x21, 0x31, body, sizeof(body));
    ck_assert_int_eq(parse(buf, n), WD_OK);
    ck_assert_uint_eq(h.has_addrs, 0);
    n = v2(buf, 0x21, 0x12, inet_body, 12);
    ck_assert_int_eq(parse(buf, n), WD_OK);
    ck_assert_uint_eq(h.has_addrs, 0);
    n = v2(buf, 0x2f, 0x11, inet_body, 12);
    ck_assert_int_eq(parse(buf, n), WD_OK);
    ck_assert_uint_eq(h.has_addrs, 0);
}
END_TEST

START_TEST(test_v2_errors)
{
    u_char buf[128];
    size_t n;

    /* another version */
    n = v2(buf, 0x11, 0x11, inet_body, 12);
    ck_assert_int_eq(parse(buf, n), WD_ERROR);
    ck_assert_uint_eq(h.error, WD_PROXY_PROTOCOL_VERSION);
    ck_assert_uint_eq(h.bad_version, 1);

    /* seen as soon as the version byte is in */
    ck_assert_int_eq(parse(buf, 13), WD_ERROR);
    ck_assert_uint_eq(h.error, WD_PROXY_PROTOCOL_VERSION);

    buf[12] = 0x31;
    ck_assert_int_eq(parse(buf, n), WD_ERROR);
    ck_assert_uint_eq(h.bad_version, 3);

    /* fewer address bytes than the family needs */
    n = v2(buf, 0x21, 0x11, inet_body, 11);
    ck_assert_int_eq(parse(buf, n), WD_ERROR);
    ck_assert_uint_eq(h.error, WD_PROXY_PROTOCOL_SHORT);
    n = v2(buf, 0x21, 0x21, inet_body, 35);
    ck_assert_int_eq(parse(buf, n), WD_ERROR);
    ck_assert_uint_eq(h.error, WD_PROXY_PROTOCOL_SHORT);

    /* a signature that goes wrong */
    n = v2(buf, 0x21, 0x11, inet_body, 12);
    buf[7] = 'q';
    ck_assert_int_eq(parse(buf, n), WD_ERROR);
    ck_assert_uint_eq(h.error, WD_PROXY_PROTOCOL_BROKEN);
    ck_assert_int_eq(parse(buf, 7), WD_AGAIN);
    ck_assert_int_eq(parse(buf, 8), WD_ERROR);
    ck_assert_int_eq(parse_str("\r\nGET"), WD_ERROR);
    ck_assert_uint_eq(h.error, WD_PROXY_PROTOCOL_BROKEN);
}
END_TEST

START_TEST(test_v2_large)
{
    u_char *buf;
    size_t n;

    /* the largest header there is: all of it must be waited for */
    buf = wd_pnalloc(pool, WD_PROXY_PROTOCOL_MAX_HEADER);
    memset(buf, 0, WD_PROXY_PROTOCOL_MAX_HEADER);
    n = v2(buf, 0x21, 0x11, inet_body, 12);
    buf[14] = 0xff;
    buf[15] = 0xff;

    ck_assert_int_eq(parse(buf, WD_PROXY_PROTOCOL_MAX_HEADER - 1), WD_AGAIN);
    ck_assert_uint_eq(h.size, WD_PROXY_PROTOCOL_MAX_HEADER);
    ck_assert_int_eq(parse(buf, WD_PROXY_PROTOCOL_MAX_HEADER), WD_OK);
    ck_assert_uint_eq(h.pp.tlvs.len, 65535 - 12);
    (void) n;
}
END_TEST

START_TEST(test_dup)
{
    wd_proxy_protocol_t *pp;
    u_char buf[256];
    size_t n;

    n = v2(buf, 0x21, 0x11, inet_body, sizeof(inet_body));
    ck_assert_int_eq(parse(buf, n), WD_OK);

    pp = wd_proxy_protocol_dup(pool, &h.pp);
    ck_assert_ptr_nonnull(pp);
    memset(&h, 0, sizeof(h));

    str_is(&pp->src_addr, "192.0.2.1");
    str_is(&pp->dst_addr, "198.51.100.2");
    ck_assert_uint_eq(pp->src_port, 56324);
    ck_assert_uint_eq(pp->tlvs.len, sizeof(inet_body) - 12);
    ck_assert_mem_eq(pp->tlvs.data, inet_body + 12, pp->tlvs.len);
}
END_TEST

/* Looks a TLV up by name in tlvs (a copy of len bytes). */
static wd_int_t
tlv(const u_char *tlvs, size_t len, const char *name, wd_str_t *value)
{
    wd_str_t n;
    wd_proxy_protocol_t pp;

    memset(&pp, 0, sizeof(pp));
    pp.tlvs.data = wd_pnalloc(pool, len ? len : 1);
    memcpy(pp.tlvs.data, tlvs, len);
    pp.tlvs.len = len;
    n.data = (u_char *) name;
    n.len = strlen(name);

    return wd_proxy_protocol_get_tlv(&pp, &n, value, pool,
                                     wd_unit_quiet_log());
}

static const u_char ssl_tlvs[] = {
    0x05, 0x00, 0x03, 'i', 'd', '1',
    0x20, 0x00, 0x18,
    0x07, 0x00, 0x00, 0x01, 0x02,       /* client flags, verify 258 */
    0x21, 0x00, 0x07, 'T', 'L', 'S', 'v', '1', '.', '3',
    0x22, 0x00, 0x00,                   /* an empty CN */
    0x25, 0x00, 0x03, 'R', 'S', 'A',
    0x30, 0x00, 0x02, 'n', 's'
};

START_TEST(test_tlv_lookup)
{
    wd_str_t v;

    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "alpn", &v),
                     WD_OK);
    str_is(&v, "h2");
    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12,
                         "authority", &v), WD_OK);
    str_is(&v, "example.com");
    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "0xea", &v),
                     WD_OK);
    str_is(&v, "vpce-1");
    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "0xEA", &v),
                     WD_OK);
    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "0x01", &v),
                     WD_OK);
    str_is(&v, "h2");

    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "unique_id",
                         &v), WD_DECLINED);
    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "0x100",
                         &v), WD_DECLINED);
    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "bogus",
                         &v), WD_DECLINED);
    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "0xzz",
                         &v), WD_ERROR);
    ck_assert_int_eq(tlv(inet_body + 12, sizeof(inet_body) - 12, "0x", &v),
                     WD_ERROR);
    ck_assert_int_eq(tlv((const u_char *) "", 0, "alpn", &v), WD_DECLINED);
    ck_assert_int_eq(tlv((const u_char *) "", 0, "ssl_cn", &v), WD_DECLINED);
}
END_TEST

START_TEST(test_tlv_ssl)
{
    wd_str_t v;

    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "unique_id", &v), WD_OK);
    str_is(&v, "id1");
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl_version", &v),
                     WD_OK);
    str_is(&v, "TLSv1.3");
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl_0x21", &v), WD_OK);
    str_is(&v, "TLSv1.3");
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl_cn", &v), WD_OK);
    ck_assert_uint_eq(v.len, 0);
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl_key_alg", &v),
                     WD_OK);
    str_is(&v, "RSA");
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl_cipher", &v),
                     WD_DECLINED);
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl_verify", &v),
                     WD_OK);
    str_is(&v, "258");
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl", &v), WD_OK);
    ck_assert_uint_eq(v.len, 0x18);
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "netns", &v), WD_OK);
    str_is(&v, "ns");

    /* a sub-TLV name is not a top-level one, nor the other way round */
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "0x21", &v),
                     WD_DECLINED);
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl_alpn", &v),
                     WD_DECLINED);
    ck_assert_int_eq(tlv(ssl_tlvs, sizeof(ssl_tlvs), "ssl_", &v),
                     WD_DECLINED);
}
END_TEST

START_TEST(test_tlv_broken)
{
    wd_str_t v;
    static const u_char cut_header[] = { 0x01, 0x00, 0x02, 'h', '2', 0x02 };
    static const u_char cut_value[] = { 0x01, 0x00, 0x09, 'h', '2' };
    static const u_char short_ssl[] = { 0x20, 0x00, 0x04, 0, 0, 0, 0 };
    static const u_char cut_sub[] = {
        0x20, 0x00, 0x08, 0, 0, 0, 0, 0, 0x21, 0x00, 0x05
    };

    /* the first match comes before the damage */
    ck_assert_int_eq(tlv(cut_header, sizeof(cut_header), "alpn", &v), WD_OK);
    ck_assert_int_eq(tlv(cut_header, sizeof(cut_header), "authority", &v),
                     WD_ERROR);
    ck_assert_int_eq(tlv(cut_value, sizeof(cut_value), "alpn", &v), WD_ERROR);
    ck_assert_int_eq(tlv(short_ssl, sizeof(short_ssl), "ssl_verify", &v),
                     WD_ERROR);
    ck_assert_int_eq(tlv(short_ssl, sizeof(short_ssl), "ssl", &v), WD_OK);
    ck_assert_int_eq(tlv(cut_sub, sizeof(cut_sub), "ssl_version", &v),
                     WD_ERROR);
    ck_assert_int_eq(tlv(cut_sub, sizeof(cut_sub), "ssl_verify", &v), WD_OK);
    str_is(&v, "0");
}
END_TEST

START_TEST(test_log_text)
{
    u_char out[4 * WD_PROXY_PROTOCOL_LOG_TEXT], in[300];
    size_t n;

    n = wd_proxy_protocol_log_text(out, (u_char *) "GET / HTTP/1.1\r\nHost",
                                   20);
    ck_assert_uint_eq(n, 14);
    ck_assert_mem_eq(out, "GET / HTTP/1.1", 14);

    n = wd_proxy_protocol_log_text(out, (u_char *) "a\"b\\c\x01\xff\nx", 10);
    ck_assert_uint_eq(n, 15);
    ck_assert_mem_eq(out, "a\\\"b\\\\c\\x01\\xff", 15);

    n = wd_proxy_protocol_log_text(out, (u_char *) "\r\n\r\n", 4);
    ck_assert_uint_eq(n, 0);

    /* at most WD_PROXY_PROTOCOL_LOG_TEXT bytes, each at most 4 wide */
    memset(in, 0, sizeof(in));
    n = wd_proxy_protocol_log_text(out, in, sizeof(in));
    ck_assert_uint_eq(n, sizeof(out));
    memset(in, 'a', sizeof(in));
    n = wd_proxy_protocol_log_text(out, in, sizeof(in));
    ck_assert_uint_eq(n, WD_PROXY_PROTOCOL_LOG_TEXT);
}
END_TEST

static Suite *
proxy_protocol_suite(void)
{
    Suite *s;
    TCase *tc;

    s = suite_create("wd_proxy_protocol");

    tc = tcase_create("version 1");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_v1_tcp4);
    tcase_add_test(tc, test_v1_tcp6);
    tcase_add_test(tc, test_v1_unknown);
    tcase_add_test(tc, test_v1_broken);
    tcase_add_test(tc, test_v1_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("version 2");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_v2_inet);
    tcase_add_test(tc, test_v2_inet6);
    tcase_add_test(tc, test_v2_no_addrs);
    tcase_add_test(tc, test_v2_errors);
    tcase_add_test(tc, test_v2_large);
    tcase_add_test(tc, test_dup);
    suite_add_tcase(s, tc);

    tc = tcase_create("TLVs and log text");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_tlv_lookup);
    tcase_add_test(tc, test_tlv_ssl);
    tcase_add_test(tc, test_tlv_broken);
    tcase_add_test(tc, test_log_text);
    suite_add_tcase(s, tc);

    return s;
}

WD_UNIT_MAIN(proxy_protocol_suite)
