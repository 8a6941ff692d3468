/*
 * Addresses: parsing "host:port", "[::1]:80", "unix:/path", CIDRs; text
 * forms of socket addresses; comparisons.
 */

#ifndef WD_INET_H
#define WD_INET_H

#define WD_INET_ADDRSTRLEN (sizeof("255.255.255.255") - 1)
#define WD_INET6_ADDRSTRLEN                                                    \
    (sizeof("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") - 1)
#define WD_UNIX_ADDRSTRLEN                                                     \
    (sizeof("unix:") - 1 + sizeof(struct sockaddr_un)                         \
     - offsetof(struct sockaddr_un, sun_path))
#define WD_SOCKADDR_STRLEN WD_UNIX_ADDRSTRLEN
#define WD_SOCKADDRLEN sizeof(wd_sockaddr_t)

typedef union {
    struct sockaddr sockaddr;
    struct sockaddr_in sockaddr_in;
    struct sockaddr_in6 sockaddr_in6;
    struct sockaddr_un sockaddr_un;
} wd_sockaddr_t;

typedef struct {
    in_addr_t addr;
    in_addr_t mask;
} wd_in_cidr_t;

typedef struct {
    struct in6_addr addr;
    struct in6_addr mask;
} wd_in6_cidr_t;

typedef struct {
    wd_uint_t family;           /* AF_INET, AF_INET6, AF_UNIX */
    union {
        wd_in_cidr_t in;
        wd_in6_cidr_t in6;
    } u;
} wd_cidr_t;

typedef struct {
    struct sockaddr *sockaddr;
    socklen_t socklen;
    wd_str_t name;              /* "127.0.0.1:80" */
} wd_addr_t;

/* The input and output of wd_parse_url. */
typedef struct {
    wd_str_t url;               /* in */
    wd_str_t host;
    wd_str_t port_text;
    wd_str_t uri;

    in_port_t port;
    in_port_t default_port;     /* in: used when the url has none */
    int family;

    unsigned listen:1;          /* in: "listen" rules (port alone, "*") */
    unsigned uri_part:1;        /* in: a "/uri" may follow */
    unsigned no_resolve:1;      /* in: do not resolve names */
    unsigned no_port:1;         /* out: the url had no port */
    unsigned wildcard:1;        /* out: "*" or INADDR_ANY */

    socklen_t socklen;
    wd_sockaddr_t sockaddr;     /* out: the first address */

    wd_addr_t *addrs;           /* out: every resolved address */
    wd_uint_t naddrs;

    char *err;                  /* out: why parsing failed */
} wd_url_t;

/* INADDR_NONE when text is not a dotted quad. */
in_addr_t wd_inet_addr(u_char *text, size_t len);
/* Parses an IPv6 address (no brackets) into 16 bytes. */
wd_int_t wd_inet6_addr(u_char *p, size_t len, u_char *addr);
/* Text of an address, with ":port" when port is set ("[::1]:80"). */
size_t wd_sock_ntop(struct sockaddr *sa, socklen_t socklen, u_char *text,
    size_t len, wd_uint_t port);
size_t wd_inet_ntop(int family, void *addr, u_char *text, size_t len);
/* WD_OK, WD_DONE (host bits were set and got cleared), or WD_ERROR. */
wd_int_t wd_ptocidr(wd_str_t *text, wd_cidr_t *cidr);
/* WD_OK when sa is in one of cidrs (wd_cidr_t), else WD_DECLINED. */
wd_int_t wd_cidr_match(struct sockaddr *sa, wd_array_t *cidrs);
/* A numeric address without a port. WD_DECLINED when not numeric. */
wd_int_t wd_parse_addr(wd_pool_t *pool, wd_addr_t *addr, u_char *text,
    size_t len);
/* A numeric address with an optional port: "192.0.2.1:80", "[::1]:80",
 * or what wd_parse_addr takes (the port is then 0).  WD_DECLINED when the
 * text is neither, or the port is not 1..65535. */
wd_int_t wd_parse_addr_port(wd_pool_t *pool, wd_addr_t *addr, u_char *text,
    size_t len);
/*
 * The client address a proxy passed on in a list like X-Forwarded-For
 * ("a, b, c", the nearest proxy's peer last).  Only while addr is in
 * trusted is the last element of the list taken as the new addr; with
 * recursive the walk goes on leftwards.  WD_OK: addr was replaced and the
 * walk ended with the list (or after one step, without recursive);
 * WD_DONE: replaced, then stopped at an untrusted or malformed element;
 * WD_DECLINED: not replaced (addr untrusted, or the last element is not
 * an address); WD_ERROR: out of memory.  New addresses are in pool.
 */
wd_int_t wd_inet_forwarded_addr(wd_pool_t *pool, wd_addr_t *addr,
    u_char *value, size_t len, wd_array_t *trusted, wd_uint_t recursive);
wd_int_t wd_parse_url(wd_pool_t *pool, wd_url_t *u);
/* Resolves u->host (a name) into u->addrs with u->port, IPv4 first, at
 * most 16; WD_ERROR with u->err set when it does not resolve. */
wd_int_t wd_inet_resolve_host(wd_pool_t *pool, wd_url_t *u);
/* WD_OK when equal (ports compared when cmp_port), WD_DECLINED if not. */
wd_int_t wd_cmp_sockaddr(struct sockaddr *sa1, socklen_t slen1,
    struct sockaddr *sa2, socklen_t slen2, wd_uint_t cmp_port);
in_port_t wd_inet_get_port(struct sockaddr *sa);
void wd_inet_set_port(struct sockaddr *sa, in_port_t port);
wd_uint_t wd_inet_wildcard(struct sockaddr *sa);

#endif /* WD_INET_H */
