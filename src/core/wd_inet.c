/*
 * Address parsing and formatting.
 */

#include <wd_core.h>

in_addr_t
wd_inet_addr(u_char *text, size_t len)
{
    u_char *p, c;
    in_addr_t addr;
    wd_uint_t octet, n, digits;

    addr = 0;
    octet = 0;
    n = 0;
    digits = 0;

    for (p = text; p < text + len; p++) {
        c = *p;

        if (c >= '0' && c <= '9') {
            octet = octet * 10 + (c - '0');
            digits++;

            if (octet > 255 || digits > 3) {
                return INADDR_NONE;
            }

            continue;
        }

        if (c == '.' && digits) {
            addr = (addr << 8) + octet;
            octet = 0;
            digits = 0;
            n++;
            continue;
        }

        return INADDR_NONE;
    }

    if (n == 3 && digits) {
        addr = (addr << 8) + octet;
        return htonl(addr);
    }

    return INADDR_NONE;
}

wd_int_t
wd_inet6_addr(u_char *p, size_t len, u_char *addr)
{
    char buf[WD_INET6_ADDRSTRLEN + 1];

    if (len == 0 || len > WD_INET6_ADDRSTRLEN) {
        return WD_ERROR;
    }

    wd_memcpy(buf, p, len);
    buf[len] = '\0';

    return inet_pton(AF_INET6, buf, addr) == 1 ? WD_OK : WD_ERROR;
}

size_t
wd_inet_ntop(int family, void *addr, u_char *text, size_t len)
{
    char buf[INET6_ADDRSTRLEN];
    size_t n;

    if (inet_ntop(family, addr, buf, sizeof(buf)) == NULL) {
        return 0;
    }

    n = wd_min(strlen(buf), len);
    wd_memcpy(text, buf, n);

    return n;
}

size_t
wd_sock_ntop(struct sockaddr *sa, socklen_t socklen, u_char *text,
    size_t len, wd_uint_t port)
{
    u_char *p, *last;
    size_t n;
    struct sockaddr_in *sin;
    struct sockaddr_in6 *sin6;
    struct sockaddr_un *saun;

    last = text + len;

    switch (sa->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) sa;
        p = text + wd_inet_ntop(AF_INET, &sin->sin_addr, text, len);

        if (port) {
            p = wd_slprintf(p, last, ":%u", ntohs(sin->sin_port));
        }

        return p - text;

    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        p = text;

        if (port && p < last) {
            *p++ = '[';
        }

        p += wd_inet_ntop(AF_INET6, &sin6->sin6_addr, p, last - p);

        if (port) {
            p = wd_slprintf(p, last, "]:%u", ntohs(sin6->sin6_port));
        }

        return p - text;

    case AF_UNIX:
        saun = (struct sockaddr_un *) sa;

        if (socklen <= (socklen_t) offsetof(struct sockaddr_un, sun_path)) {
            return wd_slprintf(text, last, "unix:") - text;
        }

        n = wd_strnlen(saun->sun_path,
                       socklen - offsetof(struct sockaddr_un, sun_path));

        return wd_slprintf(text, last, "unix:%.*s", (int) n, saun->sun_path)
               - text;

    default:
        return 0;
    }
}

static wd_int_t
wd_ptocidr6(wd_str_t *addr, wd_int_t bits, wd_cidr_t *cidr)
{
    u_char *a, *m;
    wd_uint_t i, s;
    wd_int_t rc;

    if (wd_inet6_addr(addr->data, addr->len, cidr->u.in6.addr.s6_addr)
        != WD_OK)
    {
        return WD_ERROR;
    }

    if (bits == -1) {
        bits = 128;
    }

    if (bits > 128) {
        return WD_ERROR;
    }

    cidr->family = AF_INET6;
    a = cidr->u.in6.addr.s6_addr;
    m = cidr->u.in6.mask.s6_addr;
    rc = WD_OK;

    for (i = 0; i < 16; i++) {
        s = (bits > 8) ? 8 : (wd_uint_t) bits;
        bits -= s;
        m[i] = (u_char) ~(0xffu >> s);

        if (a[i] != (a[i] & m[i])) {
            rc = WD_DONE;
            a[i] &= m[i];
        }
    }

    return rc;
}

wd_int_t
wd_ptocidr(wd_str_t *text, wd_cidr_t *cidr)
{
    u_char *slash;
    wd_str_t addr;
    wd_int_t bits;
    in_addr_t a, mask;

    addr = *text;
    bits = -1;
    slash = wd_strlchr(text->data, text->data + text->len, '/');

    if (slash) {
        addr.len = slash - text->data;
        bits = wd_atoi(slash + 1, text->data + text->len - slash - 1);

        if (bits == WD_ERROR) {
            return WD_ERROR;
        }
    }

    if (wd_strlchr(addr.data, addr.data + addr.len, ':')) {
        return wd_ptocidr6(&addr, bits, cidr);
    }

    a = wd_inet_addr(addr.data, addr.len);

    if (a == INADDR_NONE && !(addr.len == 15
        && wd_strncmp(addr.data, "255.255.255.255", 15) == 0))
    {
        return WD_ERROR;
    }

    if (bits == -1) {
        bits = 32;
    }

    if (bits > 32) {
        return WD_ERROR;
    }

    cidr->family = AF_INET;
    mask = bits ? htonl((uint32_t) (0xffffffffULL << (32 - bits))) : 0;
    cidr->u.in.mask = mask;
    cidr->u.in.addr = a & mask;

    return (a == (a & mask)) ? WD_OK : WD_DONE;
}

wd_int_t
wd_cidr_match(struct sockaddr *sa, wd_array_t *cidrs)
{
    u_char *p;
    wd_uint_t i, n;
    in_addr_t inaddr;
    wd_cidr_t *cidr;
    struct in6_addr *inaddr6;

    cidr = cidrs->elts;

    for (i = 0; i < cidrs->nelts; i++) {
        if (cidr[i].family != sa->sa_family) {
            continue;
        }

        switch (sa->sa_family) {

        case AF_INET:
            inaddr = ((struct sockaddr_in *) sa)->sin_addr.s_addr;

            if ((inaddr & cidr[i].u.in.mask) == cidr[i].u.in.addr) {
                return WD_OK;
            }

            break;

        case AF_INET6:
            inaddr6 = &((struct sockaddr_in6 *) sa)->sin6_addr;
            p = inaddr6->s6_addr;

            for (n = 0; n < 16; n++) {
                if ((p[n] & cidr[i].u.in6.mask.s6_addr[n])
                    != cidr[i].u.in6.addr.s6_addr[n])
                {
                    break;
                }
            }

            if (n == 16) {
                return WD_OK;
            }

            break;

        case AF_UNIX:
            return WD_OK;
        }
    }

    return WD_DECLINED;
}

wd_int_t
wd_parse_addr(wd_pool_t *pool, wd_addr_t *addr, u_char *text, size_t len)
{
    in_addr_t inaddr;
    struct sockaddr_in *sin;
    struct sockaddr_in6 *sin6;
    struct in6_addr inaddr6;

    inaddr = wd_inet_addr(text, len);

    if (inaddr != INADDR_NONE) {
        sin = wd_pcalloc(pool, sizeof(struct sockaddr_in));

        if (sin == NULL) {
            return WD_ERROR;
        }

        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = inaddr;
        addr->sockaddr = (struct sockaddr *) sin;
        addr->socklen = sizeof(struct sockaddr_in);
        return WD_OK;
    }

    if (wd_inet6_addr(text, len, inaddr6.s6_addr) == WD_OK) {
        sin6 = wd_pcalloc(pool, sizeof(struct sockaddr_in6));

        if (sin6 == NULL) {
            return WD_ERROR;
        }

        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = inaddr6;
        addr->sockaddr = (struct sockaddr *) sin6;
        addr->socklen = sizeof(struct sockaddr_in6);
        return WD_OK;
    }

    return WD_DECLINED;
}

wd_int_t
wd_parse_addr_port(wd_pool_t *pool, wd_addr_t *addr, u_char *text,
    size_t len)
{
    u_char *host, *colon, *last;
    size_t host_len;
    wd_int_t rc, port;

    rc = wd_parse_addr(pool, addr, text, len);

    if (rc != WD_DECLINED) {
        return rc;
    }

    last = text + len;

    if (len && text[0] == '[') {
        colon = wd_strlchr(text, last, ']');

        if (colon == NULL || last - colon < 2 || colon[1] != ':') {
            return WD_DECLINED;
        }

        host = text + 1;
        host_len = colon - host;
        colon++;

    } else {
        colon = wd_strlchr(text, last, ':');

        if (colon == NULL) {
            return WD_DECLINED;
        }

        host = text;
        host_len = colon - text;
    }

    port = wd_atoi(colon + 1, last - colon - 1);

    if (port < 1 || port > 65535) {
        return WD_DECLINED;
    }

    rc = wd_parse_addr(pool, addr, host, host_len);

    if (rc != WD_OK) {
        return rc;
    }

    wd_inet_set_port(addr->sockaddr, (in_port_t) port);

    return WD_OK;
}

wd_int_t
wd_inet_forwarded_addr(wd_pool_t *pool, wd_addr_t *addr, u_char *value,
    size_t len, wd_array_t *trusted, wd_uint_t recursive)
{
    u_char *p, *last;
    wd_addr_t next;
    wd_uint_t found;

    last = value + len;
    found = 0;

    do {
        if (wd_cidr_match(addr->sockaddr, trusted) != WD_OK) {
            goto done;
        }

        /* the last element: what follows the last ' ' or ',' */
        while (last > value && (last[-1] == ' ' || last[-1] == ',')) {
            last--;
        }

        for (p = last; p > value && p[-1] != ' ' && p[-1] != ','; p--) {
            /* void */
        }

        if (p == last) {
            goto done;
        }

        switch (wd_parse_addr_port(pool, &next, p, last - p)) {
        case WD_OK:
            break;
        case WD_ERROR:
            return WD_ERROR;
        default:
            goto done;
        }

        *addr = next;
        found = 1;
        last = p;

    } while (recursive && last > value);

    return WD_OK;

done:

    return found ? WD_DONE : WD_DECLINED;
}

static wd_int_t
wd_parse_unix_url(wd_pool_t *pool, wd_url_t *u)
{
    u_char *path, *last;
    size_t len;
    struct sockaddr_un *saun;

    path = u->url.data + 5;
    last = u->url.data + u->url.len;

    if (u->uri_part) {
        /* "unix:/path:/uri": the socket path ends at the next ':' */
        u_char *colon = wd_strlchr(path, last, ':');

        if (colon) {
            u->uri.data = colon + 1;
            u->uri.len = last - colon - 1;
            last = colon;
        }
    }

    len = last - path;

    if (len == 0) {
        u->err = "no path in the unix domain socket";
        return WD_ERROR;
    }

    u->host.data = path;
    u->host.len = len;

    saun = &u->sockaddr.sockaddr_un;

    if (len + 1 > sizeof(saun->sun_path)) {
        u->err = "too long path in the unix domain socket";
        return WD_ERROR;
    }

    u->socklen = sizeof(struct sockaddr_un);
    saun->sun_family = AF_UNIX;
    wd_memcpy(saun->sun_path, path, len);
    saun->sun_path[len] = '\0';
    u->family = AF_UNIX;

    u->addrs = wd_pcalloc(pool, sizeof(wd_addr_t));

    if (u->addrs == NULL) {
        return WD_ERROR;
    }

    saun = wd_pcalloc(pool, sizeof(struct sockaddr_un));

    if (saun == NULL) {
        return WD_ERROR;
    }

    *saun = u->sockaddr.sockaddr_un;
    u->naddrs = 1;
    u->addrs[0].sockaddr = (struct sockaddr *) saun;
    u->addrs[0].socklen = sizeof(struct sockaddr_un);
    u->addrs[0].name.len = len + 5;
    u->addrs[0].name.data = u->url.data;

    return WD_OK;
}

/* Parses the ":port" at [p, last); WD_DECLINED when there is none. */
static wd_int_t
wd_parse_port(wd_url_t *u, u_char *p, u_char *last)
{
    wd_int_t port;

    port = wd_atoi(p, last - p);

    if (port < 1 || port > 65535) {
        u->err = "invalid port";
        return WD_ERROR;
    }

    u->port = (in_port_t) port;
    u->port_text.data = p;
    u->port_text.len = last - p;

    return WD_OK;
}

/* Stores one numeric address with the port into u->addrs. */
static wd_int_t
wd_url_add_addr(wd_pool_t *pool, wd_url_t *u, struct sockaddr *sa,
    socklen_t socklen)
{
    u_char *text;
    size_t len;
    wd_addr_t *addr;
    struct sockaddr *copy;

    if (u->addrs == NULL) {
        u->addrs = wd_pcalloc(pool, 16 * sizeof(wd_addr_t));

        if (u->addrs == NULL) {
            return WD_ERROR;
        }
    }

    if (u->naddrs == 16) {
        return WD_OK;           /* enough addresses for one name */
    }

    copy = wd_pcalloc(pool, socklen);
    text = wd_pnalloc(pool, WD_SOCKADDR_STRLEN);

    if (copy == NULL || text == NULL) {
        return WD_ERROR;
    }

    wd_memcpy(copy, sa, socklen);
    wd_inet_set_port(copy, u->port);

    len = wd_sock_ntop(copy, socklen, text, WD_SOCKADDR_STRLEN, 1);

    addr = &u->addrs[u->naddrs++];
    addr->sockaddr = copy;
    addr->socklen = socklen;
    addr->name.data = text;
    addr->name.len = len;

    return WD_OK;
}

wd_int_t
wd_inet_resolve_host(wd_pool_t *pool, wd_url_t *u)
{
    char host[NI_MAXHOST];
    int rc;
    struct addrinfo hints, *res, *rp;

    if (u->host.len >= sizeof(host)) {
        u->err = "host not found";
        return WD_ERROR;
    }

    wd_memcpy(host, u->host.data, u->host.len);
    host[u->host.len] = '\0';

    wd_memzero(&hints, sizeof(struct addrinfo));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;

    rc = getaddrinfo(host, NULL, &hints, &res);

    if (rc != 0) {
        u->err = "host not found";
        return WD_ERROR;
    }

    /* IPv4 first, as the operator most likely means it */
    for (rp = res; rp; rp = rp->ai_next) {
        if (rp->ai_family == AF_INET
            && wd_url_add_addr(pool, u, rp->ai_addr, rp->ai_addrlen) != WD_OK)
        {
            goto failed;
        }
    }

    for (rp = res; rp; rp = rp->ai_next) {
        if (rp->ai_family == AF_INET6
            && wd_url_add_addr(pool, u, rp->ai_addr, rp->ai_addrlen) != WD_OK)
        {
            goto failed;
        }
    }

    freeaddrinfo(res);

    if (u->naddrs == 0) {
        u->err = "host not found";
        return WD_ERROR;
    }

    return WD_OK;

failed:

    freeaddrinfo(res);

    return WD_ERROR;
}

/* Fills u->sockaddr from a numeric host (or "*") and the port. */
static wd_int_t
wd_url_numeric(wd_url_t *u)
{
    in_addr_t inaddr;
    struct sockaddr_in *sin;
    struct sockaddr_in6 *sin6;

    if (u->host.len == 1 && u->host.data[0] == '*') {
        u->host.len = 0;
    }

    if (u->host.len == 0 || u->family == AF_INET6) {
        if (u->family == AF_INET6) {
            sin6 = &u->sockaddr.sockaddr_in6;
            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons(u->port);
            u->socklen = sizeof(struct sockaddr_in6);

            if (wd_inet6_addr(u->host.data, u->host.len,
                              sin6->sin6_addr.s6_addr) != WD_OK)
            {
                u->err = "invalid IPv6 address";
                return WD_ERROR;
            }

            u->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
            return WD_OK;
        }

        sin = &u->sockaddr.sockaddr_in;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(u->port);
        sin->sin_addr.s_addr = INADDR_ANY;
        u->socklen = sizeof(struct sockaddr_in);
        u->family = AF_INET;
        u->wildcard = 1;
        return WD_OK;
    }

    inaddr = wd_inet_addr(u->host.data, u->host.len);

    if (inaddr == INADDR_NONE) {
        return WD_DECLINED;
    }

    sin = &u->sockaddr.sockaddr_in;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(u->port);
    sin->sin_addr.s_addr = inaddr;
    u->socklen = sizeof(struct sockaddr_in);
    u->family = AF_INET;
    u->wildcard = (inaddr == INADDR_ANY);

    return WD_OK;
}

/* Splits "host[:port][/uri]" or "[v6][:port][/uri]" into its parts. */
static wd_int_t
wd_url_split(wd_url_t *u)
{
    u_char *host, *last, *uri, *colon, *bracket;

    host = u->url.data;
    last = host + u->url.len;

    if (host < last && *host == '[') {
        bracket = wd_strlchr(host, last, ']');

        if (bracket == NULL) {
            u->err = "invalid host";
            return WD_ERROR;
        }

        u->family = AF_INET6;
        u->host.data = host + 1;
        u->host.len = bracket - host - 1;
        host = bracket + 1;

    } else {
        u->host.data = host;
    }

    uri = wd_strlchr(host, last, '/');

    if (uri) {
        if (!u->uri_part) {
            u->err = "invalid host";
            return WD_ERROR;
        }

        u->uri.data = uri;
        u->uri.len = last - uri;
        last = uri;
    }

    colon = wd_strlchr(host, last, ':');

    if (u->family != AF_INET6) {
        u->host.len = (colon ? colon : last) - u->host.data;

    } else if (host != (colon ? colon : last)) {
        u->err = "invalid host";
        return WD_ERROR;
    }

    if (colon) {
        return wd_parse_port(u, colon + 1, last);
    }

    /* "listen 8080": a bare number is a port */
    if (u->listen && u->family != AF_INET6) {
        wd_int_t port = wd_atoi(u->host.data, u->host.len);

        if (port != WD_ERROR) {
            if (port < 1 || port > 65535) {
                u->err = "invalid port";
                return WD_ERROR;
            }

            u->port = (in_port_t) port;
            u->port_text = u->host;
            u->host.len = 0;
            return WD_OK;
        }
    }

    u->no_port = 1;
    u->port = u->default_port;

    return WD_OK;
}

wd_int_t
wd_parse_url(wd_pool_t *pool, wd_url_t *u)
{
    wd_int_t rc;

    /* ">=": "unix:" alone is a socket without a path, not a host */
    if (u->url.len >= 5
        && wd_strncasecmp(u->url.data, (u_char *) "unix:", 5) == 0)
    {
        return wd_parse_unix_url(pool, u);
    }

    if (wd_url_split(u) != WD_OK) {
        return WD_ERROR;
    }

    if (u->host.len == 0 && !u->listen) {
        u->err = "no host";
        return WD_ERROR;
    }

    rc = wd_url_numeric(u);

    if (rc == WD_ERROR) {
        return WD_ERROR;
    }

    if (rc == WD_OK) {
        return wd_url_add_addr(pool, u, &u->sockaddr.sockaddr, u->socklen);
    }

    if (u->no_resolve) {
        return WD_OK;
    }

    if (wd_inet_resolve_host(pool, u) != WD_OK) {
        return WD_ERROR;
    }

    wd_memcpy(&u->sockaddr, u->addrs[0].sockaddr, u->addrs[0].socklen);
    u->socklen = u->addrs[0].socklen;
    u->family = u->sockaddr.sockaddr.sa_family;

    return WD_OK;
}

wd_int_t
wd_cmp_sockaddr(struct sockaddr *sa1, socklen_t slen1, struct sockaddr *sa2,
    socklen_t slen2, wd_uint_t cmp_port)
{
    struct sockaddr_in *sin1, *sin2;
    struct sockaddr_in6 *sin61, *sin62;
    struct sockaddr_un *saun1, *saun2;

    if (sa1->sa_family != sa2->sa_family) {
        return WD_DECLINED;
    }

    switch (sa1->sa_family) {

    case AF_INET:
        sin1 = (struct sockaddr_in *) sa1;
        sin2 = (struct sockaddr_in *) sa2;

        if (cmp_port && sin1->sin_port != sin2->sin_port) {
            return WD_DECLINED;
        }

        return sin1->sin_addr.s_addr == sin2->sin_addr.s_addr ? WD_OK
                                                              : WD_DECLINED;

    case AF_INET6:
        sin61 = (struct sockaddr_in6 *) sa1;
        sin62 = (struct sockaddr_in6 *) sa2;

        if (cmp_port && sin61->sin6_port != sin62->sin6_port) {
            return WD_DECLINED;
        }

        return wd_memcmp(&sin61->sin6_addr, &sin62->sin6_addr, 16) == 0
                   ? WD_OK
                   : WD_DECLINED;

    case AF_UNIX:
        saun1 = (struct sockaddr_un *) sa1;
        saun2 = (struct sockaddr_un *) sa2;

        if (slen1 != slen2) {
            return WD_DECLINED;
        }

        return wd_strncmp(saun1->sun_path, saun2->sun_path,
                          sizeof(saun1->sun_path)) == 0
                   ? WD_OK
                   : WD_DECLINED;

    default:
        return WD_DECLINED;
    }
}

in_port_t
wd_inet_get_port(struct sockaddr *sa)
{
    switch (sa->sa_family) {
    case AF_INET:
        return ntohs(((struct sockaddr_in *) sa)->sin_port);
    case AF_INET6:
        return ntohs(((struct sockaddr_in6 *) sa)->sin6_port);
    default:
        return 0;
    }
}

void
wd_inet_set_port(struct sockaddr *sa, in_port_t port)
{
    switch (sa->sa_family) {
    case AF_INET:
        ((struct sockaddr_in *) sa)->sin_port = htons(port);
        break;
    case AF_INET6:
        ((struct sockaddr_in6 *) sa)->sin6_port = htons(port);
        break;
    default:
        break;
    }
}

wd_uint_t
wd_inet_wildcard(struct sockaddr *sa)
{
    switch (sa->sa_family) {
    case AF_INET:
        return ((struct sockaddr_in *) sa)->sin_addr.s_addr == INADDR_ANY;
    case AF_INET6:
        return IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *) sa)
                                            ->sin6_addr);
    default:
        return 0;
    }
}
