/*
 * "random [two [least_conn]]": a request goes to a peer drawn at random,
 * each peer as likely as its weight.  With "two", two different peers are
 * drawn and the one with fewer active connections for its weight gets the
 * request ("least_conn" is the only way to compare them, and the default).
 * A draw that hits an unusable or tried peer is drawn again; after 20
 * such draws the round-robin balancer chooses instead.  The peers, their
 * health, the tried set and the free handler are the round-robin
 * balancer's.
 *
 * Each worker seeds random(3) with its pid and the time when it starts,
 * so that workers do not make the same draws.
 */

#include <wd_http.h>

#define WD_HTTP_UPSTREAM_RANDOM_TRIES 20

/* A peer and where its share of the total weight starts: the peer of a
 * draw x in [0, total_weight) is the last range at or below x. */
typedef struct {
    wd_http_upstream_rr_peer_t *peer;
    wd_uint_t range;
} wd_http_upstream_random_range_t;

typedef struct {
    wd_uint_t two;
    wd_http_upstream_random_range_t *ranges;   /* one per primary peer */
} wd_http_upstream_random_srv_conf_t;

typedef struct {
    wd_http_upstream_rr_peer_data_t rrp;    /* first: the round-robin
                                             * handlers take a pointer to
                                             * the whole */
    wd_http_upstream_random_srv_conf_t *conf;
    wd_uint_t tries;            /* draws that hit an unusable peer */
} wd_http_upstream_random_peer_data_t;

static void *wd_http_upstream_random_create_conf(wd_conf_t *cf);
static char *wd_http_upstream_random(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static wd_int_t wd_http_upstream_random_init_process(wd_cycle_t *cycle);
static wd_int_t wd_http_upstream_init_random(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_init_random_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_get_random_peer(wd_peer_connection_t *pc,
    void *data);
static wd_int_t wd_http_upstream_get_random2_peer(wd_peer_connection_t *pc,
    void *data);

static wd_command_t wd_http_upstream_random_commands[] = {

    { wd_string("random"),
      WD_HTTP_UPS_CONF | WD_CONF_NOARGS | WD_CONF_TAKE12,
      wd_http_upstream_random,
      WD_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_upstream_random_module_ctx = {
    NULL,
    NULL,
    NULL,
    NULL,
    wd_http_upstream_random_create_conf,
    NULL,
    NULL,
    NULL
};

wd_module_t wd_http_upstream_random_module = {
    WD_MODULE_V1,
    &wd_http_upstream_random_module_ctx,
    wd_http_upstream_random_commands,
    WD_HTTP_MODULE,
    NULL,
    NULL,
    wd_http_upstream_random_init_process,
    NULL,
    NULL
};

static wd_int_t
wd_http_upstream_random_init_process(wd_cycle_t *cycle)
{
    struct timeval tv;

    (void) cycle;

    gettimeofday(&tv, NULL);
    srandom(((unsigned) wd_pid << 16) ^ (unsigned) tv.tv_sec
            ^ (unsigned) tv.tv_usec);

    return WD_OK;
}

static wd_int_t
wd_http_upstream_init_random(wd_conf_t *cf, wd_http_upstream_srv_conf_t *us)
{
    wd_uint_t i, total;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_rr_peers_t *peers;
    wd_http_upstream_random_range_t *ranges;
    wd_http_upstream_random_srv_conf_t *rcf;

    if (wd_http_upstream_init_round_robin(cf, us) != WD_OK) {
        return WD_ERROR;
    }

    us->peer.init = wd_http_upstream_init_random_peer;

    peers = us->peer.data;

    ranges = wd_palloc(cf->pool,
                       peers->number * sizeof(wd_http_upstream_random_range_t));

    if (ranges == NULL) {
        return WD_ERROR;
    }

    total = 0;

    for (peer = peers->peer, i = 0; peer; peer = peer->next, i++) {
        ranges[i].peer = peer;
        ranges[i].range = total;
        total += (wd_uint_t) peer->weight;
    }

    rcf = wd_http_conf_upstream_srv_conf(us, wd_http_upstream_random_module);
    rcf->ranges = ranges;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_init_random_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us)
{
    wd_http_upstream_t *u;
    wd_http_upstream_random_srv_conf_t *rcf;
    wd_http_upstream_random_peer_data_t *rp;

    u = r->upstream;
    rp = wd_pcalloc(r->pool, sizeof(wd_http_upstream_random_peer_data_t));

    if (rp == NULL) {
        return WD_ERROR;
    }

    u->peer.data = &rp->rrp;

    if (wd_http_upstream_init_round_robin_peer(r, us) != WD_OK) {
        return WD_ERROR;
    }

    rcf = wd_http_conf_upstream_srv_conf(us, wd_http_upstream_random_module);
    rp->conf = rcf;

    u->peer.get = rcf->two ? wd_http_upstream_get_random2_peer
                           : wd_http_upstream_get_random_peer;

    return WD_OK;
}

/* The number of a peer drawn at random by weight. */
static wd_uint_t
wd_http_upstream_random_draw(wd_http_upstream_random_peer_data_t *rp)
{
    wd_uint_t x, lo, hi, mid;
    wd_http_upstream_rr_peers_t *peers;

    peers = rp->rrp.peers;
    x = (wd_uint_t) random() % peers->total_weight;

    /* the last range that starts at or below x */
    lo = 0;
    hi = peers->number;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (x < rp->conf->ranges[mid].range) {
            hi = mid;

        } else {
            lo = mid;
        }
    }

    return lo;
}

/* Draws until an untried, usable peer comes up; NULL after too many
 * draws that did not. */
static wd_http_upstream_rr_peer_t *
wd_http_upstream_random_usable(wd_http_upstream_random_peer_data_t *rp,
    wd_http_upstream_rr_peer_t *other, time_t now, wd_uint_t *index)
{
    wd_uint_t i;
    wd_http_upstream_rr_peer_t *peer;

    for ( ;; ) {
        i = wd_http_upstream_random_draw(rp);
        peer = rp->conf->ranges[i].peer;

        if (peer != other && !wd_http_upstream_rr_tried(&rp->rrp, i)
            && wd_http_upstream_rr_peer_usable(peer, now))
        {
            *index = i;
            return peer;
        }

        if (++rp->tries > WD_HTTP_UPSTREAM_RANDOM_TRIES) {
            return NULL;
        }
    }
}

static wd_int_t
wd_http_upstream_get_random_peer(wd_peer_connection_t *pc, void *data)
{
    wd_uint_t index;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_random_peer_data_t *rp = data;

    if (rp->tries > WD_HTTP_UPSTREAM_RANDOM_TRIES
        || rp->rrp.peers->number < 2)
    {
        return wd_http_upstream_get_round_robin_peer(pc, &rp->rrp);
    }

    peer = wd_http_upstream_random_usable(rp, NULL, wd_time(), &index);

    if (peer == NULL) {
        return wd_http_upstream_get_round_robin_peer(pc, &rp->rrp);
    }

    wd_http_upstream_rr_take(pc, &rp->rrp, peer, index);

    return WD_OK;
}

static wd_int_t
wd_http_upstream_get_random2_peer(wd_peer_connection_t *pc, void *data)
{
    time_t now;
    wd_uint_t index, index2;
    wd_http_upstream_rr_peer_t *peer, *peer2;
    wd_http_upstream_random_peer_data_t *rp = data;

    if (rp->tries > WD_HTTP_UPSTREAM_RANDOM_TRIES
        || rp->rrp.peers->number < 2)
    {
        return wd_http_upstream_get_round_robin_peer(pc, &rp->rrp);
    }

    now = wd_time();

    peer = wd_http_upstream_random_usable(rp, NULL, now, &index);

    if (peer == NULL) {
        return wd_http_upstream_get_round_robin_peer(pc, &rp->rrp);
    }

    peer2 = wd_http_upstream_random_usable(rp, peer, now, &index2);

    if (peer2 == NULL) {
        return wd_http_upstream_get_round_robin_peer(pc, &rp->rrp);
    }

    /* the second one unless it is the more loaded for its weight */
    if (peer2->st->conns * (wd_uint_t) peer->weight
        <= peer->st->conns * (wd_uint_t) peer2->weight)
    {
        peer = peer2;
        index = index2;
    }

    wd_http_upstream_rr_take(pc, &rp->rrp, peer, index);

    return WD_OK;
}

/* ---- configuration -------------------------------------------------- */

static void *
wd_http_upstream_random_create_conf(wd_conf_t *cf)
{
    return wd_pcalloc(cf->pool, sizeof(wd_http_upstream_random_srv_conf_t));
}

/* random [two [least_conn]]; */
static char *
wd_http_upstream_random(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_upstream_random_srv_conf_t *rcf = conf;

    wd_str_t *value;

    (void) cmd;

    /* no "backup": every primary server may be drawn */
    (void) wd_http_upstream_set_balancer(cf, wd_http_upstream_init_random,
                                         0);

    rcf->two = 0;

    if (cf->args->nelts == 1) {
        return WD_CONF_OK;
    }

    value = cf->args->elts;

    if (!wd_str_eq(&value[1], "two")) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          wd_str_fmt(&value[1]));
        return WD_CONF_ERROR;
    }

    rcf->two = 1;

    if (cf->args->nelts == 3 && !wd_str_eq(&value[2], "least_conn")) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          wd_str_fmt(&value[2]));
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}
