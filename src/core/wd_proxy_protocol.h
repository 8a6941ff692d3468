/*
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2):
 * the header a load balancer sends before the client's bytes to say who
 * the client is.  Parsing is pure: it reads a buffer, allocates nothing
 * and may be fed the header a piece at a time.
 */

#ifndef WD_PROXY_PROTOCOL_H
#define WD_PROXY_PROTOCOL_H

/* The longest version 1 line, CRLF included (the specification's limit). */
#define WD_PROXY_PROTOCOL_V1_MAX_HEADER 107
/* The fixed part of a version 2 header: signature, version and command,
 * family and transport, length of what follows. */
#define WD_PROXY_PROTOCOL_V2_HEADER 16
/* The longest possible header: version 2 with a 65535-byte remainder. */
#define WD_PROXY_PROTOCOL_MAX_HEADER (WD_PROXY_PROTOCOL_V2_HEADER + 65535)

/* What a header says about a connection (one with addresses: "UNKNOWN"
 * and "LOCAL" headers say nothing). */
typedef struct {
    wd_str_t src_addr;          /* the client: "192.0.2.1", "2001:db8::1" */
    wd_str_t dst_addr;          /* the address the client connected to */
    in_port_t src_port;
    in_port_t dst_port;
    wd_str_t tlvs;              /* version 2: the TLVs, as sent */
} wd_proxy_protocol_t;

/* Why wd_proxy_protocol_parse() returned WD_ERROR. */
typedef enum {
    WD_PROXY_PROTOCOL_BROKEN = 1,   /* not a PROXY protocol header */
    WD_PROXY_PROTOCOL_VERSION,      /* the v2 signature, another version */
    WD_PROXY_PROTOCOL_SHORT         /* v2: fewer address bytes than its
                                       family needs */
} wd_proxy_protocol_error_e;

/* The state and result of parsing one header. */
typedef struct {
    size_t size;                /* WD_OK: the header's length; WD_AGAIN:
                                   what it will be once known, else 0 */
    wd_uint_t version;          /* 1 or 2; 0 until the first byte */
    wd_uint_t error;            /* WD_ERROR: wd_proxy_protocol_error_e */
    wd_uint_t bad_version;      /* WD_PROXY_PROTOCOL_VERSION: which */
    wd_uint_t has_addrs;        /* WD_OK: pp is filled in */

    /* the addresses point into src_text and dst_text, the TLVs into the
     * parsed buffer: wd_proxy_protocol_dup() before either goes away */
    wd_proxy_protocol_t pp;
    u_char src_text[WD_INET6_ADDRSTRLEN];
    u_char dst_text[WD_INET6_ADDRSTRLEN];
} wd_proxy_protocol_header_t;

/*
 * Parses the header at the start of [buf, buf + len).  WD_OK: h->size
 * bytes are the header, and h->has_addrs says whether h->pp was filled
 * in (TCP4 or TCP6 in version 1; PROXY over STREAM for INET or INET6 in
 * version 2; anything else is accepted without addresses, as nginx does).
 * WD_AGAIN: buf holds the valid start of a header and more bytes must be
 * added to it (h->size is the whole header's size once buf shows it).
 * WD_ERROR: h->error says why.  Version 1 is checked strictly: the
 * addresses must be the family the line names, ports 0..65535.
 */
wd_int_t wd_proxy_protocol_parse(wd_proxy_protocol_header_t *h, u_char *buf,
    size_t len);

/* A copy of pp and everything it points to, in pool; NULL when out of
 * memory. */
wd_proxy_protocol_t *wd_proxy_protocol_dup(wd_pool_t *pool,
    wd_proxy_protocol_t *pp);

/*
 * The value of the TLV named name, as in nginx's $proxy_protocol_tlv_NAME:
 * "alpn", "authority", "unique_id", "ssl", "netns", a hexadecimal type
 * "0xNN"; inside the SSL TLV "ssl_version", "ssl_cn", "ssl_cipher",
 * "ssl_sig_alg", "ssl_key_alg", "ssl_0xNN", and "ssl_verify" (the
 * verification result, in decimal, allocated from pool).  WD_OK; WD_DECLINED
 * when there is no such TLV, or the name is unknown (logged); WD_ERROR
 * when the TLVs are malformed or the name is not valid hexadecimal (both
 * logged at "error"), or out of memory.
 */
wd_int_t wd_proxy_protocol_get_tlv(wd_proxy_protocol_t *pp, wd_str_t *name,
    wd_str_t *value, wd_pool_t *pool, wd_log_t *log);

/* The most a "broken header" message quotes of the input. */
#define WD_PROXY_PROTOCOL_LOG_TEXT 128

/*
 * Writes the first line of a rejected header (up to its CR or LF, at most
 * WD_PROXY_PROTOCOL_LOG_TEXT bytes of it) into dst for the error log:
 * bytes other than printable ASCII become "\xHH", '"' and '\' are escaped.
 * dst must have room for 4 * WD_PROXY_PROTOCOL_LOG_TEXT bytes; returns the
 * length written.
 */
size_t wd_proxy_protocol_log_text(u_char *dst, u_char *buf, size_t len);

#endif /* WD_PROXY_PROTOCOL_H */
