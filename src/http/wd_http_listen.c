/*
 * "listen" addresses and virtual servers: collected while the
 * configuration is read, then turned into listening sockets, each with
 * the servers (and their names) it can reach.
 */

#include <wd_http.h>

static wd_http_conf_port_t *
wd_http_find_conf_port(wd_conf_t *cf, wd_http_core_main_conf_t *cmcf,
    wd_http_listen_opt_t *lsopt)
{
    int family;
    in_port_t port;
    wd_uint_t i;
    wd_http_conf_port_t *ports;

    if (cmcf->ports == NULL) {
        cmcf->ports = wd_array_create(cf->temp_pool, 2,
                                      sizeof(wd_http_conf_port_t));

        if (cmcf->ports == NULL) {
            return NULL;
        }
    }

    family = lsopt->sockaddr->sa_family;
    port = wd_inet_get_port(lsopt->sockaddr);
    ports = cmcf->ports->elts;

    for (i = 0; i < cmcf->ports->nelts; i++) {
        if (ports[i].port == port && ports[i].family == family) {
            return &ports[i];
        }
    }

    ports = wd_array_push(cmcf->ports);

    if (ports == NULL) {
        return NULL;
    }

    ports->family = family;
    ports->port = port;

    if (wd_array_init(&ports->addrs, cf->temp_pool, 2,
                      sizeof(wd_http_conf_addr_t)) != WD_OK)
    {
        return NULL;
    }

    return ports;
}

static wd_int_t
wd_http_add_server(wd_conf_t *cf, wd_http_core_srv_conf_t *cscf,
    wd_http_conf_addr_t *addr)
{
    wd_uint_t i;
    wd_http_core_srv_conf_t **server;

    server = addr->servers.elts;

    for (i = 0; i < addr->servers.nelts; i++) {
        if (server[i] == cscf) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0, "a duplicate listen %.*s",
                              wd_str_fmt(&addr->opt.addr_text));
            return WD_ERROR;
        }
    }

    server = wd_array_push(&addr->servers);

    if (server == NULL) {
        return WD_ERROR;
    }

    *server = cscf;

    return WD_OK;
}

/*
 * The protocol parameters (for now only "proxy_protocol") of listens of
 * one address apply to all of them, like nginx; nginx warns when they
 * differ in a way that looks like a mistake: the listen with the socket
 * options lacks a protocol another listen adds, or the listens disagree
 * more than once.
 */
static void
wd_http_check_protocols(wd_conf_t *cf, wd_http_conf_addr_t *addr,
    wd_http_listen_opt_t *lsopt)
{
    wd_uint_t now, before, warn;

    now = lsopt->proxy_protocol;
    before = addr->opt.proxy_protocol;
    warn = 0;

    if ((now | before) != before) {
        /* this listen adds a protocol */
        warn = (addr->opt.set && !lsopt->set) || addr->protocols_changed
               || (now | before) != now;
        addr->protocols = before;
        addr->protocols_set = 1;
        addr->protocols_changed = 1;

    } else if ((now | before) != now) {
        /* this listen lacks one the address has */
        warn = lsopt->set || (addr->protocols_set && now != addr->protocols);
        addr->protocols = now;
        addr->protocols_set = 1;
        addr->protocols_changed = 1;

    } else {
        /* the same as the address has */
        warn = (lsopt->set && addr->protocols_changed)
               || (addr->protocols_set && now != addr->protocols);
        addr->protocols = now;
        addr->protocols_set = 1;
    }

    if (warn) {
        wd_conf_log_error(WD_LOG_WARN, cf, 0,
                          "protocol options redefined for %.*s",
                          wd_str_fmt(&addr->opt.addr_text));
    }
}

/* The same address in a second listen: options may be given once. */
static wd_int_t
wd_http_merge_addr(wd_conf_t *cf, wd_http_core_srv_conf_t *cscf,
    wd_http_conf_addr_t *addr, wd_http_listen_opt_t *lsopt)
{
    wd_uint_t ssl, http2, proxy_protocol;

    if (lsopt->set && addr->opt.set) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "duplicate listen options for %.*s",
                          wd_str_fmt(&addr->opt.addr_text));
        return WD_ERROR;
    }

    if (wd_http_add_server(cf, cscf, addr) != WD_OK) {
        return WD_ERROR;
    }

    wd_http_check_protocols(cf, addr, lsopt);

    /* what any of the listens asked for, whichever gave the options */
    ssl = addr->opt.ssl | lsopt->ssl;
    http2 = addr->opt.http2 | lsopt->http2;
    proxy_protocol = addr->opt.proxy_protocol | lsopt->proxy_protocol;

    if (lsopt->set) {
        addr->opt = *lsopt;
    }

    if (lsopt->default_server) {
        if (addr->default_server && addr->opt.default_server
            && addr->default_server != cscf)
        {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "a duplicate default server for %.*s",
                              wd_str_fmt(&addr->opt.addr_text));
            return WD_ERROR;
        }

        addr->opt.default_server = 1;
        addr->default_server = cscf;
    }

    addr->opt.ssl = ssl;
    addr->opt.http2 = http2;
    addr->opt.proxy_protocol = proxy_protocol;

    return WD_OK;
}

/* Records a server's "listen" (called by the directive and, for servers
 * without one, by the core's merge). */
wd_int_t
wd_http_add_listen(wd_conf_t *cf, wd_http_core_srv_conf_t *cscf,
    wd_http_listen_opt_t *lsopt)
{
    wd_uint_t i;
    wd_http_conf_addr_t *addr;
    wd_http_conf_port_t *port;
    wd_http_core_main_conf_t *cmcf;

    cmcf = wd_http_conf_get_module_main_conf(cf, wd_http_core_module);

    port = wd_http_find_conf_port(cf, cmcf, lsopt);

    if (port == NULL) {
        return WD_ERROR;
    }

    addr = port->addrs.elts;

    for (i = 0; i < port->addrs.nelts; i++) {
        if (wd_cmp_sockaddr(lsopt->sockaddr, lsopt->socklen,
                            addr[i].opt.sockaddr, addr[i].opt.socklen, 0)
            == WD_OK)
        {
            return wd_http_merge_addr(cf, cscf, &addr[i], lsopt);
        }
    }

    addr = wd_array_push(&port->addrs);

    if (addr == NULL) {
        return WD_ERROR;
    }

    wd_memzero(addr, sizeof(wd_http_conf_addr_t));
    addr->opt = *lsopt;
    addr->default_server = cscf;

    if (wd_array_init(&addr->servers, cf->temp_pool, 4,
                      sizeof(wd_http_core_srv_conf_t *)) != WD_OK)
    {
        return WD_ERROR;
    }

    return wd_http_add_server(cf, cscf, addr);
}

/* Adds one server's names to the address's tables. */
static wd_int_t
wd_http_add_server_names(wd_conf_t *cf, wd_hash_keys_arrays_t *ha,
    wd_array_t *regexes, wd_http_conf_addr_t *addr,
    wd_http_core_srv_conf_t *cscf, wd_http_core_srv_conf_t **empty)
{
    wd_int_t rc;
    wd_uint_t n;
    wd_http_server_name_t *name, *re;

    name = cscf->server_names.elts;

    for (n = 0; n < cscf->server_names.nelts; n++) {
        if (name[n].regex) {
            re = wd_array_push(regexes);

            if (re == NULL) {
                return WD_ERROR;
            }

            *re = name[n];
            continue;
        }

        if (name[n].name.len == 0) {
            /* "" names the server for requests without a Host */
            rc = (*empty == NULL) ? WD_OK : WD_BUSY;

            if (*empty == NULL) {
                *empty = name[n].server;
            }

        } else {
            rc = wd_hash_add_key(ha, &name[n].name, name[n].server,
                                 WD_HASH_WILDCARD_KEY);
        }

        if (rc == WD_ERROR) {
            return WD_ERROR;
        }

        if (rc == WD_DECLINED) {
            wd_log_error(WD_LOG_EMERG, cf->log, 0,
                         "invalid server name or wildcard \"%.*s\" on %.*s",
                         wd_str_fmt(&name[n].name),
                         wd_str_fmt(&addr->opt.addr_text));
            return WD_ERROR;
        }

        if (rc == WD_BUSY) {
            wd_log_error(WD_LOG_WARN, cf->log, 0,
                         "conflicting server name \"%.*s\" on %.*s, ignored",
                         wd_str_fmt(&name[n].name),
                         wd_str_fmt(&addr->opt.addr_text));
        }
    }

    return WD_OK;
}

static wd_int_t
wd_http_server_names(wd_conf_t *cf, wd_http_conf_addr_t *addr,
    wd_http_virtual_names_t **out)
{
    wd_uint_t s;
    wd_array_t regexes;
    wd_hash_keys_arrays_t ha;
    wd_http_virtual_names_t *vn;
    wd_http_core_srv_conf_t **cscfp, *empty;

    *out = NULL;
    empty = NULL;

    /* the keys stay referenced by the tables: they live in cf->pool */
    if (wd_hash_keys_array_init(&ha, cf->pool) != WD_OK
        || wd_array_init(&regexes, cf->temp_pool, 2,
                         sizeof(wd_http_server_name_t)) != WD_OK)
    {
        return WD_ERROR;
    }

    cscfp = addr->servers.elts;

    for (s = 0; s < addr->servers.nelts; s++) {
        if (wd_http_add_server_names(cf, &ha, &regexes, addr, cscfp[s],
                                     &empty) != WD_OK)
        {
            return WD_ERROR;
        }
    }

    if (ha.keys.nelts == 0 && ha.head.nelts == 0 && ha.tail.nelts == 0
        && regexes.nelts == 0 && empty == addr->default_server)
    {
        return WD_OK;
    }

    vn = wd_pcalloc(cf->pool, sizeof(wd_http_virtual_names_t));

    if (vn == NULL) {
        return WD_ERROR;
    }

    vn->empty = empty;

    if (wd_hash_combined_init(&vn->names, &ha, cf->pool) != WD_OK) {
        return WD_ERROR;
    }

    if (regexes.nelts) {
        vn->nregex = regexes.nelts;
        vn->regex = wd_palloc(cf->pool,
                              regexes.nelts * sizeof(wd_http_server_name_t));

        if (vn->regex == NULL) {
            return WD_ERROR;
        }

        wd_memcpy(vn->regex, regexes.elts,
                  regexes.nelts * sizeof(wd_http_server_name_t));
    }

    *out = vn;

    return WD_OK;
}

static wd_int_t
wd_http_init_addr_conf(wd_conf_t *cf, wd_http_conf_addr_t *addr,
    wd_http_in_addr_t *in)
{
    wd_memcpy(&in->sockaddr, addr->opt.sockaddr, addr->opt.socklen);
    in->socklen = addr->opt.socklen;
    in->conf.default_server = addr->default_server;
    in->conf.ssl = addr->opt.ssl;
    in->conf.http2 = addr->opt.http2;
    in->conf.proxy_protocol = addr->opt.proxy_protocol;

    return wd_http_server_names(cf, addr, &in->conf.virtual_names);
}

static wd_listening_t *
wd_http_add_listening(wd_conf_t *cf, wd_http_conf_addr_t *addr)
{
    wd_listening_t *ls;
    wd_http_core_srv_conf_t *cscf;

    ls = wd_create_listening(cf, addr->opt.sockaddr, addr->opt.socklen);

    if (ls == NULL) {
        return NULL;
    }

    ls->addr_text = addr->opt.addr_text;
    ls->handler = wd_http_init_connection;

    cscf = addr->default_server;
    ls->pool_size = cscf->connection_pool_size;
    ls->post_accept_timeout = cscf->client_header_timeout;

    /* lines about a connection before its server is known go to the
     * default server's error_log */
    ls->logp = ((wd_http_core_loc_conf_t *)
                    cscf->ctx->loc_conf[wd_http_core_module.ctx_index])
                   ->error_log;
    ls->log = *ls->logp;
    ls->log.data = &ls->addr_text;
    ls->log.handler = NULL;

    ls->backlog = addr->opt.backlog;
    ls->rcvbuf = addr->opt.rcvbuf;
    ls->sndbuf = addr->opt.sndbuf;
    ls->keepalive = addr->opt.so_keepalive;
    ls->keepidle = addr->opt.keepidle;
    ls->keepintvl = addr->opt.keepintvl;
    ls->keepcnt = addr->opt.keepcnt;
    ls->ipv6only = addr->opt.ipv6only;
    ls->deferred_accept = addr->opt.deferred_accept;
    ls->reuseport = addr->opt.reuseport;
    ls->wildcard = addr->opt.wildcard;

    return ls;
}

/* Bound, specific addresses first; the wildcard (if any) last. */
static int
wd_http_cmp_conf_addrs(const void *one, const void *two)
{
    const wd_http_conf_addr_t *first = one, *second = two;

    if (first->opt.wildcard != second->opt.wildcard) {
        return first->opt.wildcard ? 1 : -1;
    }

    if (first->opt.bind != second->opt.bind) {
        return first->opt.bind ? -1 : 1;
    }

    return 0;
}

/*
 * One port: addresses with "bind" (and everything, when there is no
 * wildcard) get a socket each; the rest share the wildcard's socket and
 * find their address per connection with getsockname().
 */
static wd_int_t
wd_http_init_listening(wd_conf_t *cf, wd_http_conf_port_t *port)
{
    wd_uint_t i, last, bind_wildcard, n;
    wd_listening_t *ls;
    wd_http_port_t *hport;
    wd_http_conf_addr_t *addr;

    addr = port->addrs.elts;
    last = port->addrs.nelts;

    bind_wildcard = addr[last - 1].opt.wildcard;

    for (i = 0; i < last; /* void */) {
        if (bind_wildcard && !addr[i].opt.bind && !addr[i].opt.wildcard) {
            i++;
            continue;
        }

        ls = wd_http_add_listening(cf, &addr[i]);

        if (ls == NULL) {
            return WD_ERROR;
        }

        hport = wd_pcalloc(cf->pool, sizeof(wd_http_port_t));

        if (hport == NULL) {
            return WD_ERROR;
        }

        ls->servers = hport;

        if (addr[i].opt.wildcard && bind_wildcard) {
            /* the wildcard serves every address not bound on its own */
            hport->naddrs = 0;

            for (n = 0; n < last; n++) {
                if (!addr[n].opt.bind || n == i) {
                    hport->naddrs++;
                }
            }

            hport->addrs = wd_pcalloc(cf->pool, hport->naddrs
                                                  * sizeof(wd_http_in_addr_t));

            if (hport->addrs == NULL) {
                return WD_ERROR;
            }

            hport->naddrs = 0;

            for (n = 0; n < last; n++) {
                if ((!addr[n].opt.bind || n == i)
                    && wd_http_init_addr_conf(cf, &addr[n],
                                              &hport->addrs[hport->naddrs++])
                           != WD_OK)
                {
                    return WD_ERROR;
                }
            }

        } else {
            hport->naddrs = 1;
            hport->addrs = wd_pcalloc(cf->pool, sizeof(wd_http_in_addr_t));

            if (hport->addrs == NULL
                || wd_http_init_addr_conf(cf, &addr[i], hport->addrs) != WD_OK)
            {
                return WD_ERROR;
            }
        }

        i++;
    }

    return WD_OK;
}

wd_int_t
wd_http_optimize_servers(wd_conf_t *cf, wd_http_core_main_conf_t *cmcf,
    wd_array_t *ports)
{
    wd_uint_t p;
    wd_http_conf_port_t *port;

    if (ports == NULL) {
        return WD_OK;
    }

    port = ports->elts;

    for (p = 0; p < ports->nelts; p++) {
        qsort(port[p].addrs.elts, port[p].addrs.nelts,
              sizeof(wd_http_conf_addr_t), wd_http_cmp_conf_addrs);

        if (wd_http_init_listening(cf, &port[p]) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}
