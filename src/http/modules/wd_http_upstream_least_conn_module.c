/*
 * "least_conn": a request goes to the peer with the fewest active
 * connections for its weight (conns / weight, compared as cross products
 * so that no division rounds); peers that tie share the requests by
 * smooth weighted round robin.  Backup peers take over when no primary
 * one is usable.  Everything else (the peers, their health, the tried set,
 * the free handler) is the round-robin balancer's.
 */

#include <wd_http.h>

static char *wd_http_upstream_least_conn(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static wd_int_t wd_http_upstream_init_least_conn(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_init_least_conn_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_get_least_conn_peer(wd_peer_connection_t *pc,
    void *data);

static wd_command_t wd_http_upstream_least_conn_commands[] = {

    { wd_string("least_conn"),
      WD_HTTP_UPS_CONF | WD_CONF_NOARGS,
      wd_http_upstream_least_conn,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_upstream_least_conn_module_ctx = {
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_upstream_least_conn_module = {
    WD_MODULE_V1,
    &wd_http_upstream_least_conn_module_ctx,
    wd_http_upstream_least_conn_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static wd_int_t
wd_http_upstream_init_least_conn(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us)
{
    if (wd_http_upstream_init_round_robin(cf, us) != WD_OK) {
        return WD_ERROR;
    }

    us->peer.init = wd_http_upstream_init_least_conn_peer;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_init_least_conn_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us)
{
    wd_http_upstream_t *u;

    if (wd_http_upstream_init_round_robin_peer(r, us) != WD_OK) {
        return WD_ERROR;
    }

    u = r->upstream;
    u->peer.get = wd_http_upstream_get_least_conn_peer;

    return WD_OK;
}

/* -1, 0 or 1 as a's load (conns per unit of weight) is below, equal to
 * or above b's. */
static int
wd_http_upstream_least_conn_cmp(wd_http_upstream_rr_peer_t *a,
    wd_http_upstream_rr_peer_t *b)
{
    wd_uint_t la, lb;

    la = a->st->conns * (wd_uint_t) b->weight;
    lb = b->st->conns * (wd_uint_t) a->weight;

    return (la > lb) - (la < lb);
}

/* Among the usable, untried peers of the list, the least loaded one; of
 * several as loaded, the one smooth weighted round robin picks.  NULL if
 * no peer is usable. */
static wd_http_upstream_rr_peer_t *
wd_http_upstream_least_conn_pick(wd_http_upstream_rr_peer_data_t *rrp,
    wd_http_upstream_rr_peers_t *peers, wd_uint_t *index)
{
    time_t now;
    wd_uint_t i, many;
    wd_http_upstream_swrr_t sw;
    wd_http_upstream_rr_peer_t *peer, *least;

    now = wd_time();
    least = NULL;
    many = 0;

    for (peer = peers->peer, i = 0; peer; peer = peer->next, i++) {
        if (wd_http_upstream_rr_tried(rrp, i)
            || !wd_http_upstream_rr_peer_usable(peer, now))
        {
            continue;
        }

        if (least == NULL
            || wd_http_upstream_least_conn_cmp(peer, least) < 0)
        {
            least = peer;
            many = 0;
            *index = i;

        } else if (wd_http_upstream_least_conn_cmp(peer, least) == 0) {
            many = 1;
        }
    }

    if (least == NULL || !many) {
        return least;
    }

    /* the ties, from the first of them on, by smooth weighted round robin */
    wd_memzero(&sw, sizeof(wd_http_upstream_swrr_t));

    for (peer = least, i = *index; peer; peer = peer->next, i++) {
        if (wd_http_upstream_rr_tried(rrp, i)
            || wd_http_upstream_least_conn_cmp(peer, least) != 0
            || !wd_http_upstream_rr_peer_usable(peer, now))
        {
            continue;
        }

        wd_http_upstream_swrr_offer(&sw, peer, i);
    }

    return wd_http_upstream_swrr_pick(&sw, index);
}

static wd_int_t
wd_http_upstream_get_least_conn_peer(wd_peer_connection_t *pc, void *data)
{
    wd_uint_t index;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_rr_peers_t *peers, *primary;
    wd_http_upstream_rr_peer_data_t *rrp = data;

    if (rrp->peers->single) {
        return wd_http_upstream_get_round_robin_peer(pc, rrp);
    }

    primary = rrp->peers;
    peers = primary;
    index = 0;
    peer = wd_http_upstream_least_conn_pick(rrp, peers, &index);

    if (peer == NULL && peers->next) {
        /* no primary peer is usable: the backups take over, and the
         * tried bits count backup peers from now on */
        rrp->peers = peers->next;
        wd_memzero(rrp->tried, ((rrp->peers->number
                                 + 8 * sizeof(uintptr_t) - 1)
                                / (8 * sizeof(uintptr_t)))
                                   * sizeof(uintptr_t));

        peers = rrp->peers;
        peer = wd_http_upstream_least_conn_pick(rrp, peers, &index);
    }

    if (peer == NULL) {
        /* nothing is left: the peers count as live again, so that the
         * next request tries them instead of failing at once (a server
         * that comes back is used without waiting for fail_timeout) */
        for (peers = primary; peers; peers = peers->next) {
            for (peer = peers->peer; peer; peer = peer->next) {
                peer->st->fails = 0;
            }
        }

        pc->name = rrp->peers->name;
        pc->down = 1;
        return WD_BUSY;
    }

    wd_http_upstream_rr_take(pc, rrp, peer, index);

    return WD_OK;
}

/* least_conn; */
static char *
wd_http_upstream_least_conn(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    (void) cmd;
    (void) conf;

    (void) wd_http_upstream_set_balancer(cf, wd_http_upstream_init_least_conn,
                                         1);

    return WD_CONF_OK;
}
