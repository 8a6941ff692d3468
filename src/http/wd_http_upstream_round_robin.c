/*
 * The round-robin balancer.  Each pick adds every usable peer's
 * effective weight to its current weight and takes the peer with the
 * largest current weight, which then loses the total: weights 5, 1, 1
 * give a a b a c a a, spread rather than in bursts.  A failure lowers a
 * peer's effective weight, which grows back with each success.
 */

#include <wd_http.h>

static wd_http_upstream_rr_peers_t *wd_http_upstream_rr_build(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us, wd_uint_t backup);
static void wd_http_upstream_rr_account(wd_peer_connection_t *pc,
    wd_http_upstream_rr_peer_t *peer, wd_uint_t single, wd_uint_t state);
static wd_http_upstream_rr_peer_t *wd_http_upstream_rr_pick(
    wd_http_upstream_rr_peer_data_t *rrp, wd_http_upstream_rr_peers_t *peers,
    wd_uint_t *index);

wd_int_t
wd_http_upstream_init_round_robin(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us)
{
    wd_http_upstream_rr_peers_t *peers, *backup;

    us->peer.init = wd_http_upstream_init_round_robin_peer;

    peers = wd_http_upstream_rr_build(cf, us, 0);

    if (peers == NULL) {
        return WD_ERROR;
    }

    if (peers->number == 0) {
        wd_log_error(WD_LOG_EMERG, cf->log, 0,
                     "no servers in upstream \"%.*s\" in %s:%lu",
                     wd_str_fmt(&us->host), us->file_name,
                     (unsigned long) us->line);
        return WD_ERROR;
    }

    backup = wd_http_upstream_rr_build(cf, us, 1);

    if (backup == NULL) {
        return WD_ERROR;
    }

    if (backup->number) {
        peers->next = backup;
        peers->single = 0;
    }

    us->peer.data = peers;

    return WD_OK;
}

/* The primary (backup = 0) or backup peers of a group: one peer per
 * address of each server line. */
static wd_http_upstream_rr_peers_t *
wd_http_upstream_rr_build(wd_conf_t *cf, wd_http_upstream_srv_conf_t *us,
    wd_uint_t backup)
{
    wd_uint_t i, j, n, w, t;
    wd_http_upstream_server_t *server;
    wd_http_upstream_rr_peer_t *peer, **link;
    wd_http_upstream_rr_peers_t *peers;

    peers = wd_pcalloc(cf->pool, sizeof(wd_http_upstream_rr_peers_t));

    if (peers == NULL) {
        return NULL;
    }

    peers->name = &us->host;

    if (us->servers == NULL) {
        return peers;
    }

    server = us->servers->elts;
    n = 0;
    w = 0;
    t = 0;

    for (i = 0; i < us->servers->nelts; i++) {
        if (server[i].backup != backup) {
            continue;
        }

        n += server[i].naddrs;
        w += server[i].naddrs * server[i].weight;

        if (!server[i].down) {
            t += server[i].naddrs;
        }
    }

    if (n == 0) {
        return peers;
    }

    peer = wd_pcalloc(cf->pool, sizeof(wd_http_upstream_rr_peer_t) * n);

    if (peer == NULL) {
        return NULL;
    }

    peers->single = (n == 1);
    peers->number = n;
    peers->weighted = (w != n);
    peers->total_weight = w;
    peers->tries = t;

    n = 0;
    link = &peers->peer;

    for (i = 0; i < us->servers->nelts; i++) {
        if (server[i].backup != backup) {
            continue;
        }

        for (j = 0; j < server[i].naddrs; j++) {
            peer[n].sockaddr = server[i].addrs[j].sockaddr;
            peer[n].socklen = server[i].addrs[j].socklen;
            peer[n].name = server[i].addrs[j].name;
            peer[n].server = server[i].name;
            peer[n].weight = (wd_int_t) server[i].weight;
            peer[n].st = &peer[n].local;
            peer[n].st->effective_weight = (wd_int_t) server[i].weight;
            peer[n].max_fails = server[i].max_fails;
            peer[n].fail_timeout = server[i].fail_timeout;
            peer[n].max_conns = server[i].max_conns;
            peer[n].down = server[i].down;

            *link = &peer[n];
            link = &peer[n].next;
            n++;
        }
    }

    return peers;
}

static wd_int_t
wd_http_upstream_rr_alloc_tried(wd_http_request_t *r,
    wd_http_upstream_rr_peer_data_t *rrp, wd_http_upstream_rr_peers_t *peers)
{
    wd_uint_t n;

    n = peers->number;

    if (peers->next && peers->next->number > n) {
        n = peers->next->number;
    }

    n = (n + (8 * sizeof(uintptr_t) - 1)) / (8 * sizeof(uintptr_t));

    if (n == 1) {
        rrp->tried = &rrp->data;
        rrp->data = 0;
        return WD_OK;
    }

    rrp->tried = wd_pcalloc(r->pool, n * sizeof(uintptr_t));

    return rrp->tried ? WD_OK : WD_ERROR;
}

wd_int_t
wd_http_upstream_init_round_robin_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us)
{
    wd_http_upstream_t *u;
    wd_http_upstream_rr_peers_t *peers;
    wd_http_upstream_rr_peer_data_t *rrp;

    u = r->upstream;
    rrp = u->peer.data;

    if (rrp == NULL) {
        rrp = wd_pcalloc(r->pool, sizeof(wd_http_upstream_rr_peer_data_t));

        if (rrp == NULL) {
            return WD_ERROR;
        }

        u->peer.data = rrp;
    }

    peers = us->peer.data;
    rrp->peers = peers;
    rrp->current = NULL;

    if (wd_http_upstream_rr_alloc_tried(r, rrp, peers) != WD_OK) {
        return WD_ERROR;
    }

    u->peer.get = wd_http_upstream_get_round_robin_peer;
    u->peer.free = wd_http_upstream_free_round_robin_peer;
    u->peer.tries = peers->tries + (peers->next ? peers->next->tries : 0);

    return WD_OK;
}

wd_int_t
wd_http_upstream_create_round_robin_peer(wd_http_request_t *r,
    wd_http_upstream_resolved_t *ur)
{
    wd_uint_t i;
    wd_http_upstream_t *u;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_rr_peers_t *peers;
    wd_http_upstream_rr_peer_data_t *rrp;

    u = r->upstream;

    rrp = wd_pcalloc(r->pool, sizeof(wd_http_upstream_rr_peer_data_t));
    peers = wd_pcalloc(r->pool, sizeof(wd_http_upstream_rr_peers_t));
    peer = wd_pcalloc(r->pool, sizeof(wd_http_upstream_rr_peer_t)
                                   * ur->naddrs);

    if (rrp == NULL || peers == NULL || peer == NULL) {
        return WD_ERROR;
    }

    peers->single = (ur->naddrs == 1);
    peers->number = ur->naddrs;
    peers->tries = ur->naddrs;
    peers->total_weight = ur->naddrs;
    peers->name = &ur->host;
    peers->peer = peer;

    for (i = 0; i < ur->naddrs; i++) {
        peer[i].sockaddr = ur->addrs[i].sockaddr;
        peer[i].socklen = ur->addrs[i].socklen;
        peer[i].name = ur->addrs[i].name;
        peer[i].weight = 1;
        peer[i].st = &peer[i].local;
        peer[i].st->effective_weight = 1;
        peer[i].max_fails = 1;
        peer[i].fail_timeout = 10;
        peer[i].next = (i + 1 < ur->naddrs) ? &peer[i + 1] : NULL;
    }

    rrp->peers = peers;

    if (wd_http_upstream_rr_alloc_tried(r, rrp, peers) != WD_OK) {
        return WD_ERROR;
    }

    u->peer.data = rrp;
    u->peer.get = wd_http_upstream_get_round_robin_peer;
    u->peer.free = wd_http_upstream_free_round_robin_peer;
    u->peer.tries = ur->naddrs;

    return WD_OK;
}

wd_uint_t
wd_http_upstream_rr_peer_usable(wd_http_upstream_rr_peer_t *peer, time_t now)
{
    if (peer->down || peer->st->hc_unhealthy) {
        return 0;
    }

    if (peer->max_conns && peer->st->conns >= peer->max_conns) {
        return 0;
    }

    if (peer->max_fails && peer->st->fails >= peer->max_fails
        && now - peer->st->checked <= peer->fail_timeout)
    {
        return 0;
    }

    return 1;
}

static wd_http_upstream_rr_peer_t *
wd_http_upstream_rr_pick(wd_http_upstream_rr_peer_data_t *rrp,
    wd_http_upstream_rr_peers_t *peers, wd_uint_t *index)
{
    time_t now;
    wd_uint_t i;
    wd_http_upstream_swrr_t sw;
    wd_http_upstream_rr_peer_t *peer, *best;

    now = wd_time();
    wd_memzero(&sw, sizeof(wd_http_upstream_swrr_t));

    for (peer = peers->peer, i = 0; peer; peer = peer->next, i++) {
        /* a lone server can be asked again: a request that failed on a
         * cached keep-alive connection goes again on a new one */
        if (!peers->single && wd_http_upstream_rr_tried(rrp, i)) {
            continue;
        }

        if (peers->single) {
            /* a lone server is never held back for its failures */
            if (peer->down || peer->st->hc_unhealthy
                || (peer->max_conns && peer->st->conns >= peer->max_conns))
            {
                continue;
            }

        } else if (!wd_http_upstream_rr_peer_usable(peer, now)) {
            continue;
        }

        wd_http_upstream_swrr_offer(&sw, peer, i);
    }

    best = wd_http_upstream_swrr_pick(&sw, index);

    if (best == NULL) {
        return NULL;
    }

    /* a failed peer that gets a request again starts a new window */
    if (now - best->st->checked > best->fail_timeout) {
        best->st->checked = now;
    }

    return best;
}

wd_int_t
wd_http_upstream_get_round_robin_peer(wd_peer_connection_t *pc, void *data)
{
    wd_uint_t index;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_rr_peers_t *peers;
    wd_http_upstream_rr_peer_data_t *rrp;

    rrp = data;
    pc->cached = 0;
    pc->connection = NULL;

    peers = rrp->peers;

    wd_http_upstream_rr_peers_lock(peers);
    peer = wd_http_upstream_rr_pick(rrp, peers, &index);
    wd_http_upstream_rr_peers_unlock(peers);

    if (peer == NULL && peers->next) {
        /* every primary peer is down or tried: the backups take over */
        rrp->peers = peers->next;

        /* the tried bits now count backup peers */
        wd_memzero(rrp->tried, ((rrp->peers->number
                                 + 8 * sizeof(uintptr_t) - 1)
                                / (8 * sizeof(uintptr_t)))
                                   * sizeof(uintptr_t));

        peers = rrp->peers;

        wd_http_upstream_rr_peers_lock(peers);
        peer = wd_http_upstream_rr_pick(rrp, peers, &index);
        wd_http_upstream_rr_peers_unlock(peers);
    }

    if (peer == NULL) {
        pc->name = peers->name;
        pc->down = 1;
        return WD_BUSY;
    }

    rrp->current = peer;
    wd_http_upstream_rr_set_tried(rrp, index);

    pc->sockaddr = peer->sockaddr;
    pc->socklen = peer->socklen;
    pc->name = &peer->name;

    wd_http_upstream_rr_peers_lock(peers);
    peer->st->conns++;
    wd_http_upstream_rr_peers_unlock(peers);

    return WD_OK;
}

void
wd_http_upstream_free_round_robin_peer(wd_peer_connection_t *pc, void *data,
    wd_uint_t state)
{
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_rr_peer_data_t *rrp;

    rrp = data;
    peer = rrp->current;

    if (peer == NULL) {
        pc->tries = 0;
        return;
    }

    rrp->current = NULL;

    wd_http_upstream_rr_peers_lock(rrp->peers);
    wd_http_upstream_rr_account(pc, peer, rrp->peers->single, state);
    wd_http_upstream_rr_peers_unlock(rrp->peers);

    if (rrp->peers->single) {
        /* nowhere else to go */
        pc->tries = 0;
        return;
    }

    if (pc->tries) {
        pc->tries--;
    }
}

/* A request's end at peer: its connection count, and a failure or a
 * success for passive health. */
static void
wd_http_upstream_rr_account(wd_peer_connection_t *pc,
    wd_http_upstream_rr_peer_t *peer, wd_uint_t single, wd_uint_t state)
{
    time_t now;

    peer->st->conns--;

    if (single) {
        return;
    }

    if (state & WD_PEER_FAILED) {
        now = wd_time();

        peer->st->fails++;
        peer->st->accessed = now;
        peer->st->checked = now;

        if (peer->max_fails) {
            peer->st->effective_weight -= peer->weight
                                          / (wd_int_t) peer->max_fails;

            if (peer->st->fails >= peer->max_fails) {
                wd_log_error(WD_LOG_WARN, pc->log, 0,
                             "upstream server temporarily disabled");
            }
        }

        if (peer->st->effective_weight < 0) {
            peer->st->effective_weight = 0;
        }

    } else if (peer->st->accessed < peer->st->checked) {
        /* it answered after a failure: it is back */
        peer->st->fails = 0;
    }
}

void
wd_http_upstream_rr_peers_lock(wd_http_upstream_rr_peers_t *peers)
{
    wd_uint_t i, holder, me;

    if (peers->lock == NULL) {
        return;
    }

    me = (wd_uint_t) getpid();

    for (;;) {
        holder = *peers->lock;

        if (holder == 0 && wd_atomic_cmp_set(peers->lock, 0, me)) {
            return;
        }

        for (i = 0; i < 64; i++) {
            wd_cpu_pause();
        }

        holder = *peers->lock;

        if (holder == 0) {
            continue;
        }

        /* the lock holds its holder's pid: a worker killed while it held
         * the lock must not wedge the others */
        if (kill((pid_t) holder, 0) == -1 && errno == ESRCH) {
            (void) wd_atomic_cmp_set(peers->lock, holder, 0);
            continue;
        }

        sched_yield();
    }
}

void
wd_http_upstream_rr_peers_unlock(wd_http_upstream_rr_peers_t *peers)
{
    if (peers->lock) {
        wd_memory_barrier();
        *peers->lock = 0;
    }
}

void
wd_http_upstream_rr_take(wd_peer_connection_t *pc,
    wd_http_upstream_rr_peer_data_t *rrp, wd_http_upstream_rr_peer_t *peer,
    wd_uint_t index)
{
    time_t now;

    now = wd_time();

    if (now - peer->st->checked > peer->fail_timeout) {
        peer->st->checked = now;
    }

    rrp->current = peer;
    wd_http_upstream_rr_set_tried(rrp, index);

    pc->cached = 0;
    pc->connection = NULL;
    pc->sockaddr = peer->sockaddr;
    pc->socklen = peer->socklen;
    pc->name = &peer->name;

    wd_http_upstream_rr_peers_lock(rrp->peers);
    peer->st->conns++;
    wd_http_upstream_rr_peers_unlock(rrp->peers);
}

wd_http_upstream_rr_peer_t *
wd_http_upstream_rr_peer_at(wd_http_upstream_rr_peers_t *peers,
    wd_uint_t value, wd_uint_t *index)
{
    wd_uint_t w, i;
    wd_http_upstream_rr_peer_t *peer;

    w = value % peers->total_weight;

    for (peer = peers->peer, i = 0; w >= (wd_uint_t) peer->weight; i++) {
        w -= (wd_uint_t) peer->weight;
        peer = peer->next;
    }

    *index = i;

    return peer;
}
