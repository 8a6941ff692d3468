/*
 * "ip_hash": the client's address chooses the peer, so that one client
 * keeps talking to one server.  The key is the first three bytes of an
 * IPv4 address (a /24 goes to one server) or all sixteen of an IPv6 one.
 * The arithmetic is nginx's, so that warden and nginx in front of the same
 * servers send a client to the same one, and it depends on nothing that
 * differs between workers.  When the chosen peer is down, failed, full or
 * already tried, the hash goes on from where it stopped; after 20 such
 * steps the round-robin balancer chooses instead.
 */

#include <wd_http.h>

#define WD_HTTP_UPSTREAM_IP_HASH_TRIES 20

typedef struct {
    wd_http_upstream_rr_peer_data_t rrp;    /* first: the round-robin
                                             * handlers take a pointer to
                                             * the whole */
    wd_uint_t hash;             /* where the last step ended */
    u_char *addr;               /* the key bytes */
    wd_uint_t addrlen;
    wd_uint_t tries;            /* steps that hit an unusable peer */
} wd_http_upstream_ip_hash_peer_data_t;

static char *wd_http_upstream_ip_hash(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static wd_int_t wd_http_upstream_init_ip_hash(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_init_ip_hash_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_get_ip_hash_peer(wd_peer_connection_t *pc,
    void *data);

/* the key of a client that has no IP address (a UNIX-domain socket) */
static u_char wd_http_upstream_ip_hash_pseudo_addr[3];

static wd_command_t wd_http_upstream_ip_hash_commands[] = {

    { wd_string("ip_hash"),
      WD_HTTP_UPS_CONF | WD_CONF_NOARGS,
      wd_http_upstream_ip_hash,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_upstream_ip_hash_module_ctx = {
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_upstream_ip_hash_module = {
    WD_MODULE_V1,
    &wd_http_upstream_ip_hash_module_ctx,
    wd_http_upstream_ip_hash_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_int_t
wd_http_upstream_init_ip_hash(wd_conf_t *cf, wd_http_upstream_srv_conf_t *us)
{
    if (wd_http_upstream_init_round_robin(cf, us) != WD_OK) {
        return WD_ERROR;
    }

    us->peer.init = wd_http_upstream_init_ip_hash_peer;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_init_ip_hash_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us)
{
    struct sockaddr *sa;
    wd_http_upstream_t *u;
    wd_http_upstream_ip_hash_peer_data_t *iphp;

    u = r->upstream;
    iphp = wd_pcalloc(r->pool, sizeof(wd_http_upstream_ip_hash_peer_data_t));

    if (iphp == NULL) {
        return WD_ERROR;
    }

    u->peer.data = &iphp->rrp;

    if (wd_http_upstream_init_round_robin_peer(r, us) != WD_OK) {
        return WD_ERROR;
    }

    u->peer.get = wd_http_upstream_get_ip_hash_peer;

    sa = r->connection->sockaddr;

    switch (sa->sa_family) {

    case AF_INET:
        iphp->addr = (u_char *) &((struct sockaddr_in *) sa)->sin_addr.s_addr;
        iphp->addrlen = 3;
        break;

    case AF_INET6:
        iphp->addr = ((struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
        iphp->addrlen = 16;
        break;

    default:
        iphp->addr = wd_http_upstream_ip_hash_pseudo_addr;
        iphp->addrlen = 3;
    }

    iphp->hash = 89;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_get_ip_hash_peer(wd_peer_connection_t *pc, void *data)
{
    time_t now;
    wd_uint_t i, hash, index;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_ip_hash_peer_data_t *iphp = data;

    if (iphp->tries > WD_HTTP_UPSTREAM_IP_HASH_TRIES
        || iphp->rrp.peers->number < 2)
    {
        return wd_http_upstream_get_round_robin_peer(pc, &iphp->rrp);
    }

    now = wd_time();
    hash = iphp->hash;

    for ( ;; ) {
        for (i = 0; i < iphp->addrlen; i++) {
            hash = (hash * 113 + iphp->addr[i]) % 6271;
        }

        peer = wd_http_upstream_rr_peer_at(iphp->rrp.peers, hash, &index);

        if (!wd_http_upstream_rr_tried(&iphp->rrp, index)
            && wd_http_upstream_rr_peer_usable(peer, now))
        {
            break;
        }

        if (++iphp->tries > WD_HTTP_UPSTREAM_IP_HASH_TRIES) {
            return wd_http_upstream_get_round_robin_peer(pc, &iphp->rrp);
        }
    }

    iphp->hash = hash;
    wd_http_upstream_rr_take(pc, &iphp->rrp, peer, index);

    return WD_OK;
}

/* ip_hash; */
static char *
wd_http_upstream_ip_hash(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    (void) cmd;
    (void) conf;

    /* no "backup": the hash chooses among the primary servers only */
    (void) wd_http_upstream_set_balancer(cf, wd_http_upstream_init_ip_hash,
                                         0);

    return WD_CONF_OK;
}
