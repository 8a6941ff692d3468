/*
 * PROXY protocol headers: version 1 (one text line) and version 2
 * (binary, with TLVs), and the TLV lookup behind $proxy_protocol_tlv_*.
 */

#include <wd_core.h>

/* The first 12 bytes of every version 2 header. */
static const u_char wd_proxy_protocol_v2_sig[12] = {
    '\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I', 'T', '\n'
};

/* Version 2: the command, family and transport values it handles. */
#define WD_PP2_CMD_PROXY 0x1
#define WD_PP2_AF_INET 0x1
#define WD_PP2_AF_INET6 0x2
#define WD_PP2_TRANSPORT_STREAM 0x1

#define WD_PP2_INET_ADDRS 12    /* two IPv4 addresses, two ports */
#define WD_PP2_INET6_ADDRS 36   /* two IPv6 addresses, two ports */

#define WD_PP2_TLV_HEADER 3     /* type, 16-bit length */
#define WD_PP2_TYPE_SSL 0x20
#define WD_PP2_SSL_HEADER 5     /* client flags, 32-bit verify result */

#define wd_pp_uint16(p) ((wd_uint_t) (p)[0] << 8 | (p)[1])

/* Whether [p, p + len) is a valid IPv4 or IPv6 address (by family). */
static wd_uint_t
wd_proxy_protocol_valid_addr(wd_uint_t v6, u_char *p, size_t len)
{
    u_char addr6[16];

    if (v6) {
        return wd_inet6_addr(p, len, addr6) == WD_OK;
    }

    /* wd_inet_addr() cannot tell 255.255.255.255 from an error */
    return wd_inet_addr(p, len) != INADDR_NONE
           || (len == 15 && wd_memcmp(p, "255.255.255.255", 15) == 0);
}

/* Splits "SRC DST SPORT DPORT" at [p, end) into exactly four fields. */
static wd_int_t
wd_proxy_protocol_v1_fields(u_char *p, u_char *end, wd_str_t *field)
{
    u_char *sp;
    wd_uint_t i;

    for (i = 0; i < 4; i++) {
        sp = (i < 3) ? wd_strlchr(p, end, ' ') : end;

        if (sp == NULL || sp == p) {
            return WD_ERROR;
        }

        field[i].data = p;
        field[i].len = sp - p;
        p = sp + 1;
    }

    /* a fifth field, or a space at the end, would have been left over */
    return (wd_strlchr(field[3].data, end, ' ') == NULL) ? WD_OK : WD_ERROR;
}

/* The part of a version 1 line after "PROXY ", without its CRLF. */
static wd_int_t
wd_proxy_protocol_v1_line(wd_proxy_protocol_header_t *h, u_char *p,
    u_char *end)
{
    wd_int_t sport, dport;
    wd_str_t field[4];
    wd_uint_t v6;

    if (end - p >= 7 && wd_memcmp(p, "UNKNOWN", 7) == 0
        && (end - p == 7 || p[7] == ' '))
    {
        return WD_OK;
    }

    if (end - p < 5 || wd_memcmp(p, "TCP", 3) != 0
        || (p[3] != '4' && p[3] != '6') || p[4] != ' ')
    {
        return WD_ERROR;
    }

    v6 = (p[3] == '6');

    if (wd_proxy_protocol_v1_fields(p + 5, end, field) != WD_OK
        || !wd_proxy_protocol_valid_addr(v6, field[0].data, field[0].len)
        || !wd_proxy_protocol_valid_addr(v6, field[1].data, field[1].len))
    {
        return WD_ERROR;
    }

    sport = (field[2].len <= 5) ? wd_atoi(field[2].data, field[2].len) : -1;
    dport = (field[3].len <= 5) ? wd_atoi(field[3].data, field[3].len) : -1;

    if (sport < 0 || sport > 65535 || dport < 0 || dport > 65535) {
        return WD_ERROR;
    }

    /* valid addresses are at most WD_INET6_ADDRSTRLEN bytes long */
    h->pp.src_addr.data = h->src_text;
    h->pp.src_addr.len = field[0].len;
    wd_memcpy(h->src_text, field[0].data, field[0].len);

    h->pp.dst_addr.data = h->dst_text;
    h->pp.dst_addr.len = field[1].len;
    wd_memcpy(h->dst_text, field[1].data, field[1].len);

    h->pp.src_port = (in_port_t) sport;
    h->pp.dst_port = (in_port_t) dport;
    h->has_addrs = 1;

    return WD_OK;
}

static wd_int_t
wd_proxy_protocol_v1(wd_proxy_protocol_header_t *h, u_char *buf, size_t len)
{
    u_char *lf;

    h->version = 1;

    if (wd_memcmp(buf, "PROXY ", wd_min(len, 6)) != 0) {
        goto broken;
    }

    lf = wd_strlchr(buf, buf + wd_min(len, WD_PROXY_PROTOCOL_V1_MAX_HEADER),
                    '\n');

    if (lf == NULL) {
        if (len < WD_PROXY_PROTOCOL_V1_MAX_HEADER) {
            return WD_AGAIN;
        }

        goto broken;
    }

    if (lf - buf < 7 || lf[-1] != '\r'
        || wd_strlchr(buf, lf - 1, '\r') != NULL
        || wd_proxy_protocol_v1_line(h, buf + 6, lf - 1) != WD_OK)
    {
        goto broken;
    }

    h->size = lf + 1 - buf;

    return WD_OK;

broken:

    h->error = WD_PROXY_PROTOCOL_BROKEN;

    return WD_ERROR;
}

/* The address block of a version 2 PROXY command over STREAM. */
static wd_int_t
wd_proxy_protocol_v2_addrs(wd_proxy_protocol_header_t *h, u_char *p,
    size_t len, wd_uint_t family)
{
    int af;
    size_t alen, need;

    if (family == WD_PP2_AF_INET) {
        af = AF_INET;
        alen = 4;
        need = WD_PP2_INET_ADDRS;

    } else if (family == WD_PP2_AF_INET6) {
        af = AF_INET6;
        alen = 16;
        need = WD_PP2_INET6_ADDRS;

    } else {
        /* UNSPEC, UNIX or unassigned: nothing nginx would use either */
        return WD_OK;
    }

    if (len < need) {
        h->error = WD_PROXY_PROTOCOL_SHORT;
        return WD_ERROR;
    }

    h->pp.src_addr.data = h->src_text;
    h->pp.src_addr.len = wd_inet_ntop(af, p, h->src_text,
                                      WD_INET6_ADDRSTRLEN);
    h->pp.dst_addr.data = h->dst_text;
    h->pp.dst_addr.len = wd_inet_ntop(af, p + alen, h->dst_text,
                                      WD_INET6_ADDRSTRLEN);

    p += 2 * alen;
    h->pp.src_port = (in_port_t) wd_pp_uint16(p);
    h->pp.dst_port = (in_port_t) wd_pp_uint16(p + 2);

    h->pp.tlvs.data = p + 4;
    h->pp.tlvs.len = len - need;
    h->has_addrs = 1;

    return WD_OK;
}

static wd_int_t
wd_proxy_protocol_v2(wd_proxy_protocol_header_t *h, u_char *buf, size_t len)
{
    wd_uint_t command, family, transport;

    h->version = 2;

    if (wd_memcmp(buf, wd_proxy_protocol_v2_sig,
                  wd_min(len, sizeof(wd_proxy_protocol_v2_sig))) != 0)
    {
        h->error = WD_PROXY_PROTOCOL_BROKEN;
        return WD_ERROR;
    }

    if (len <= sizeof(wd_proxy_protocol_v2_sig)) {
        return WD_AGAIN;
    }

    if (buf[12] >> 4 != 2) {
        h->error = WD_PROXY_PROTOCOL_VERSION;
        h->bad_version = buf[12] >> 4;
        return WD_ERROR;
    }

    if (len < WD_PROXY_PROTOCOL_V2_HEADER) {
        return WD_AGAIN;
    }

    h->size = WD_PROXY_PROTOCOL_V2_HEADER + wd_pp_uint16(buf + 14);

    if (len < h->size) {
        return WD_AGAIN;
    }

    command = buf[12] & 0x0f;
    family = buf[13] >> 4;
    transport = buf[13] & 0x0f;

    /* LOCAL (health checks), and what nginx skips too: the connection is
     * the proxy's own */
    if (command != WD_PP2_CMD_PROXY || transport != WD_PP2_TRANSPORT_STREAM) {
        return WD_OK;
    }

    return wd_proxy_protocol_v2_addrs(h, buf + WD_PROXY_PROTOCOL_V2_HEADER,
                                      h->size - WD_PROXY_PROTOCOL_V2_HEADER,
                                      family);
}

wd_int_t
wd_proxy_protocol_parse(wd_proxy_protocol_header_t *h, u_char *buf,
    size_t len)
{
    wd_memzero(h, sizeof(wd_proxy_protocol_header_t));

    if (len == 0) {
        return WD_AGAIN;
    }

    if (buf[0] == wd_proxy_protocol_v2_sig[0]) {
        return wd_proxy_protocol_v2(h, buf, len);
    }

    return wd_proxy_protocol_v1(h, buf, len);
}

static wd_int_t
wd_proxy_protocol_dup_str(wd_pool_t *pool, wd_str_t *dst, wd_str_t *src)
{
    *dst = *src;

    if (src->len == 0) {
        dst->data = NULL;
        return WD_OK;
    }

    dst->data = wd_pnalloc(pool, src->len);

    if (dst->data == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(dst->data, src->data, src->len);

    return WD_OK;
}

wd_proxy_protocol_t *
wd_proxy_protocol_dup(wd_pool_t *pool, wd_proxy_protocol_t *pp)
{
    wd_proxy_protocol_t *copy;

    copy = wd_palloc(pool, sizeof(wd_proxy_protocol_t));

    if (copy == NULL
        || wd_proxy_protocol_dup_str(pool, &copy->src_addr, &pp->src_addr)
               != WD_OK
        || wd_proxy_protocol_dup_str(pool, &copy->dst_addr, &pp->dst_addr)
               != WD_OK
        || wd_proxy_protocol_dup_str(pool, &copy->tlvs, &pp->tlvs) != WD_OK)
    {
        return NULL;
    }

    copy->src_port = pp->src_port;
    copy->dst_port = pp->dst_port;

    return copy;
}

/* TLV names and their types; the "ssl_" ones are inside the SSL TLV. */
typedef struct {
    wd_str_t name;
    wd_uint_t type;
} wd_proxy_protocol_tlv_name_t;

static wd_proxy_protocol_tlv_name_t wd_proxy_protocol_tlv_names[] = {
    { wd_string("alpn"), 0x01 },
    { wd_string("authority"), 0x02 },
    { wd_string("unique_id"), 0x05 },
    { wd_string("ssl"), WD_PP2_TYPE_SSL },
    { wd_string("netns"), 0x30 },
    { wd_null_string, 0 }
};

static wd_proxy_protocol_tlv_name_t wd_proxy_protocol_ssl_names[] = {
    { wd_string("version"), 0x21 },
    { wd_string("cn"), 0x22 },
    { wd_string("cipher"), 0x23 },
    { wd_string("sig_alg"), 0x24 },
    { wd_string("key_alg"), 0x25 },
    { wd_null_string, 0 }
};

/* Finds the first TLV of type in the list tlvs. */
static wd_int_t
wd_proxy_protocol_find_tlv(wd_str_t *tlvs, wd_uint_t type, wd_str_t *value,
    wd_log_t *log)
{
    u_char *p, *end;
    size_t len;

    p = tlvs->data;
    end = p + tlvs->len;

    while (p < end) {
        if ((size_t) (end - p) < WD_PP2_TLV_HEADER) {
            goto broken;
        }

        len = wd_pp_uint16(p + 1);

        if ((size_t) (end - p) - WD_PP2_TLV_HEADER < len) {
            goto broken;
        }

        if (p[0] == type) {
            value->data = p + WD_PP2_TLV_HEADER;
            value->len = len;
            return WD_OK;
        }

        p += WD_PP2_TLV_HEADER + len;
    }

    return WD_DECLINED;

broken:

    wd_log_error(WD_LOG_ERR, log, 0, "broken PROXY protocol TLV");

    return WD_ERROR;
}

/* "ssl_verify": the SSL TLV's 32-bit verification result, in decimal. */
static wd_int_t
wd_proxy_protocol_ssl_verify(wd_str_t *ssl, wd_str_t *value, wd_pool_t *pool)
{
    uint32_t verify;

    verify = (uint32_t) ssl->data[1] << 24 | (uint32_t) ssl->data[2] << 16
             | (uint32_t) ssl->data[3] << 8 | ssl->data[4];

    value->data = wd_pnalloc(pool, WD_INT_T_LEN);

    if (value->data == NULL) {
        return WD_ERROR;
    }

    value->len = wd_sprint_uint(value->data, verify) - value->data;

    return WD_OK;
}

wd_int_t
wd_proxy_protocol_get_tlv(wd_proxy_protocol_t *pp, wd_str_t *name,
    wd_str_t *value, wd_pool_t *pool, wd_log_t *log)
{
    wd_int_t rc, type;
    wd_str_t n, ssl, *tlvs;
    wd_proxy_protocol_tlv_name_t *tn;

    n = *name;
    tlvs = &pp->tlvs;
    tn = wd_proxy_protocol_tlv_names;

    if (n.len >= 4 && wd_memcmp(n.data, "ssl_", 4) == 0) {
        rc = wd_proxy_protocol_find_tlv(&pp->tlvs, WD_PP2_TYPE_SSL, &ssl, log);

        if (rc != WD_OK) {
            return rc;
        }

        if (ssl.len < WD_PP2_SSL_HEADER) {
            wd_log_error(WD_LOG_ERR, log, 0, "broken PROXY protocol TLV");
            return WD_ERROR;
        }

        n.data += 4;
        n.len -= 4;

        if (wd_str_eq(&n, "verify")) {
            return wd_proxy_protocol_ssl_verify(&ssl, value, pool);
        }

        /* the sub-TLVs follow the client flags and the verify result */
        ssl.data += WD_PP2_SSL_HEADER;
        ssl.len -= WD_PP2_SSL_HEADER;
        tlvs = &ssl;
        tn = wd_proxy_protocol_ssl_names;
    }

    if (n.len >= 2 && n.data[0] == '0' && n.data[1] == 'x') {
        type = wd_hextoi(n.data + 2, n.len - 2);

        if (type == WD_ERROR) {
            wd_log_error(WD_LOG_ERR, log, 0,
                         "invalid PROXY protocol TLV \"%.*s\"",
                         wd_str_fmt(name));
            return WD_ERROR;
        }

        if (type > 0xff) {
            return WD_DECLINED;
        }

        return wd_proxy_protocol_find_tlv(tlvs, (wd_uint_t) type, value, log);
    }

    for ( /* void */ ; tn->name.len; tn++) {
        if (tn->name.len == n.len
            && wd_memcmp(tn->name.data, n.data, n.len) == 0)
        {
            return wd_proxy_protocol_find_tlv(tlvs, tn->type, value, log);
        }
    }

    wd_log_error(WD_LOG_ERR, log, 0, "unknown PROXY protocol TLV \"%.*s\"",
                 wd_str_fmt(name));

    return WD_DECLINED;
}

size_t
wd_proxy_protocol_log_text(u_char *dst, u_char *buf, size_t len)
{
    u_char c, *p, *end;
    static const u_char hex[] = "0123456789abcdef";

    p = dst;
    end = buf + wd_min(len, WD_PROXY_PROTOCOL_LOG_TEXT);

    for ( /* void */ ; buf < end; buf++) {
        c = *buf;

        if (c == '\r' || c == '\n') {
            break;
        }

        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = c;

        } else if (c < 0x20 || c > 0x7e) {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];

        } else {
            *p++ = c;
        }
    }

    return p - dst;
}
