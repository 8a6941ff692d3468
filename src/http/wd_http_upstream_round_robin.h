/*
 * The round-robin balancer (smooth weighted), which the other balancers
 * build on: the peers of a group, their passive health (max_fails,
 * fail_timeout), max_conns, backup servers, and a request's tried set.
 */

#ifndef WD_HTTP_UPSTREAM_ROUND_ROBIN_H
#define WD_HTTP_UPSTREAM_ROUND_ROBIN_H

typedef struct wd_http_upstream_rr_peer_s wd_http_upstream_rr_peer_t;

/* What changes as a peer serves: in the worker's memory, or with "zone"
 * in shared memory, the same for every worker. */
typedef struct {
    wd_int_t current_weight;
    wd_int_t effective_weight;

    wd_uint_t conns;

    wd_uint_t fails;
    time_t accessed;            /* last failure */
    time_t checked;             /* last time it was tried while failing */

    /* active health checks (health_check) */
    wd_uint_t hc_unhealthy;
    wd_uint_t hc_fails;
    wd_uint_t hc_passes;
    wd_msec_t hc_next;          /* wall clock ms of the next check */
    wd_uint_t hc_busy;          /* pid of the worker checking it */
    wd_msec_t hc_busy_since;
} wd_http_upstream_rr_state_t;

struct wd_http_upstream_rr_peer_s {
    struct sockaddr *sockaddr;
    socklen_t socklen;
    wd_str_t name;              /* "127.0.0.1:8080" */
    wd_str_t server;            /* the "server" line's name */

    wd_int_t weight;
    wd_uint_t max_conns;
    wd_uint_t max_fails;
    time_t fail_timeout;
    wd_uint_t down;             /* "down" */

    wd_http_upstream_rr_state_t *st;    /* &local, or a zone's slot */
    wd_http_upstream_rr_state_t local;

    wd_http_upstream_rr_peer_t *next;
};

typedef struct wd_http_upstream_rr_peers_s wd_http_upstream_rr_peers_t;

struct wd_http_upstream_rr_peers_s {
    wd_uint_t number;
    wd_uint_t total_weight;
    wd_uint_t tries;            /* peers that are not down */

    unsigned single:1;
    unsigned weighted:1;

    wd_str_t *name;             /* the group */
    wd_atomic_t *lock;          /* the zone's lock (its holder's pid, 0:
                                 * free), NULL without "zone" */

    wd_http_upstream_rr_peers_t *next;  /* the backup peers */
    wd_http_upstream_rr_peer_t *peer;
};

typedef struct {
    wd_uint_t config;
    wd_http_upstream_rr_peers_t *peers;
    wd_http_upstream_rr_peer_t *current;
    uintptr_t *tried;           /* bitmap over the larger of the lists */
    uintptr_t data;
} wd_http_upstream_rr_peer_data_t;

wd_int_t wd_http_upstream_init_round_robin(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us);
wd_int_t wd_http_upstream_init_round_robin_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us);
/* Peers for a proxy_pass target with variables that named addresses. */
wd_int_t wd_http_upstream_create_round_robin_peer(wd_http_request_t *r,
    wd_http_upstream_resolved_t *ur);
wd_int_t wd_http_upstream_get_round_robin_peer(wd_peer_connection_t *pc,
    void *data);
void wd_http_upstream_free_round_robin_peer(wd_peer_connection_t *pc,
    void *data, wd_uint_t state);

/* The peer that value lands on when each peer counts weight times
 * (value modulo the total weight), and its number in *index. */
wd_http_upstream_rr_peer_t *wd_http_upstream_rr_peer_at(
    wd_http_upstream_rr_peers_t *peers, wd_uint_t value, wd_uint_t *index);

/* The zone's lock around a change of shared peer state (no-ops without
 * a zone).  A lock whose holder died is taken over. */
void wd_http_upstream_rr_peers_lock(wd_http_upstream_rr_peers_t *peers);
void wd_http_upstream_rr_peers_unlock(wd_http_upstream_rr_peers_t *peers);

/* Whether peer may take a request now (up, under max_conns, not failed
 * within fail_timeout, healthy); updates checked for a failed one. */
wd_uint_t wd_http_upstream_rr_peer_usable(wd_http_upstream_rr_peer_t *peer,
    time_t now);

/* Gives peer (number index in rrp->peers) to pc for this try, as the
 * round-robin balancer does: counts the connection, marks the peer tried
 * and, if it had failed and its fail_timeout is over, starts a new
 * window.  For the balancers that choose a peer their own way. */
void wd_http_upstream_rr_take(wd_peer_connection_t *pc,
    wd_http_upstream_rr_peer_data_t *rrp, wd_http_upstream_rr_peer_t *peer,
    wd_uint_t index);

/* Smooth weighted round robin over the peers a balancer offers: each
 * offered peer gains its effective weight; the pick is the one that gained
 * most, and it pays back the total.  Used by round robin itself and by
 * least_conn and hash consistent among their ties. */
typedef struct {
    wd_http_upstream_rr_peer_t *best;
    wd_int_t total;
    wd_uint_t index;            /* best's number in the peers list */
} wd_http_upstream_swrr_t;

static inline void
wd_http_upstream_swrr_offer(wd_http_upstream_swrr_t *sw,
    wd_http_upstream_rr_peer_t *peer, wd_uint_t index)
{
    peer->st->current_weight += peer->st->effective_weight;
    sw->total += peer->st->effective_weight;

    if (peer->st->effective_weight < peer->weight) {
        peer->st->effective_weight++;     /* recovering from a failure */
    }

    if (sw->best == NULL
        || peer->st->current_weight > sw->best->st->current_weight)
    {
        sw->best = peer;
        sw->index = index;
    }
}

/* The pick (NULL if nothing was offered), its number in *index. */
static inline wd_http_upstream_rr_peer_t *
wd_http_upstream_swrr_pick(wd_http_upstream_swrr_t *sw, wd_uint_t *index)
{
    if (sw->best) {
        sw->best->st->current_weight -= sw->total;
        *index = sw->index;
    }

    return sw->best;
}

#define wd_http_upstream_rr_tried(rrp, n)                                      \
    ((rrp)->tried[(n) / (8 * sizeof(uintptr_t))]                               \
     & ((uintptr_t) 1 << ((n) % (8 * sizeof(uintptr_t)))))
#define wd_http_upstream_rr_set_tried(rrp, n)                                  \
    (rrp)->tried[(n) / (8 * sizeof(uintptr_t))] |=                             \
        ((uintptr_t) 1 << ((n) % (8 * sizeof(uintptr_t))))

#endif /* WD_HTTP_UPSTREAM_ROUND_ROBIN_H */
