/*
 * "hash KEY [consistent]": the value of KEY (text with variables, such as
 * $request_uri) chooses the peer, so that requests with the same key go
 * to the same server.
 *
 * The plain method sums Cache::Memcached hash steps and takes the sum
 * modulo the total weight; a peer that cannot take the request (down,
 * failed, full, tried) makes it take another step.  Adding or removing a
 * server moves most keys.
 *
 * "consistent" places every server on a ketama ring, 160 points per unit
 * of weight, and a key goes to the server of the first point at or after
 * its CRC-32; an unusable server passes the key to the next point.
 * Removing a server moves only the keys that were its own.
 *
 * After 20 steps (or with a single server) the round-robin balancer
 * chooses instead.  The peers, their health, the tried set and the free
 * handler are the round-robin balancer's.
 */

#include <wd_http.h>
#include <wd_crc32.h>
#include <wd_http_upstream_hash.h>

#define WD_HTTP_UPSTREAM_HASH_TRIES 20

typedef struct {
    wd_http_complex_value_t key;
    wd_http_upstream_chash_points_t *points;   /* "consistent" */
} wd_http_upstream_hash_srv_conf_t;

typedef struct {
    wd_http_upstream_rr_peer_data_t rrp;    /* first: the round-robin
                                             * handlers take a pointer to
                                             * the whole */
    wd_http_upstream_hash_srv_conf_t *conf;
    wd_str_t key;
    wd_uint_t tries;            /* steps that hit an unusable peer */
    wd_uint_t rehash;           /* plain: steps taken */
    wd_uint_t hash;             /* plain: the sum of the steps;
                                 * consistent: the point reached */
} wd_http_upstream_hash_peer_data_t;

static void *wd_http_upstream_hash_create_conf(wd_conf_t *cf);
static char *wd_http_upstream_hash(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static wd_int_t wd_http_upstream_init_hash(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_init_hash_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_get_hash_peer(wd_peer_connection_t *pc,
    void *data);
static wd_int_t wd_http_upstream_init_chash(wd_conf_t *cf,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_init_chash_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us);
static wd_int_t wd_http_upstream_get_chash_peer(wd_peer_connection_t *pc,
    void *data);

static wd_command_t wd_http_upstream_hash_commands[] = {

    { wd_string("hash"),
      WD_HTTP_UPS_CONF | WD_CONF_TAKE12,
      wd_http_upstream_hash,
      WD_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_upstream_hash_module_ctx = {
    NULL,
    NULL,
    NULL,
    NULL,
    wd_http_upstream_hash_create_conf,
    NULL,
    NULL,
    NULL
};

wd_module_t wd_http_upstream_hash_module = {
    WD_MODULE_V1,
    &wd_http_upstream_hash_module_ctx,
    wd_http_upstream_hash_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

/* ---- the arithmetic (wd_http_upstream_hash.h) ----------------------- */

uint32_t
wd_http_upstream_hash_step(wd_uint_t rehash, wd_str_t *key)
{
    u_char buf[WD_INT_T_LEN];
    size_t n;
    uint32_t crc;

    crc = wd_crc32_init();

    if (rehash > 0) {
        n = (size_t) (wd_sprint_uint(buf, rehash) - buf);
        crc = wd_crc32_update(crc, buf, n);
    }

    crc = wd_crc32_final(wd_crc32_update(crc, key->data, key->len));

    return (crc >> 16) & 0x7fff;
}

uint32_t
wd_http_upstream_chash_server(wd_str_t *server)
{
    u_char c;
    size_t j, host_len, port_len;
    uint32_t crc;

    crc = wd_crc32_init();

    if (server->len >= 5
        && wd_strncasecmp(server->data, (u_char *) "unix:", 5) == 0)
    {
        crc = wd_crc32_update(crc, server->data + 5, server->len - 5);
        return wd_crc32_update(crc, (u_char *) "", 1);
    }

    /* a port is the digits after the last colon; "[::1]:80" has one,
     * "[::1]" and "example.com" have none */
    host_len = server->len;
    port_len = 0;

    for (j = 0; j < server->len; j++) {
        c = server->data[server->len - 1 - j];

        if (c == ':') {
            host_len = server->len - 1 - j;
            port_len = j;
            break;
        }

        if (c < '0' || c > '9') {
            break;
        }
    }

    crc = wd_crc32_update(crc, server->data, host_len);
    crc = wd_crc32_update(crc, (u_char *) "", 1);

    return wd_crc32_update(crc, server->data + server->len - port_len,
                           port_len);
}

static int
wd_http_upstream_chash_cmp(const void *one, const void *two)
{
    const wd_http_upstream_chash_point_t *a = one, *b = two;

    if (a->hash != b->hash) {
        return a->hash < b->hash ? -1 : 1;
    }

    /* the peers' names lie in one array, in the order of the list: the
     * earlier peer sorts first and keeps the point */
    return ((uintptr_t) a->server > (uintptr_t) b->server)
           - ((uintptr_t) a->server < (uintptr_t) b->server);
}

wd_http_upstream_chash_points_t *
wd_http_upstream_chash_build(wd_pool_t *pool,
    wd_http_upstream_rr_peers_t *peers)
{
    u_char prev[4];
    uint32_t base, hash;
    wd_uint_t i, j, n, max;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_chash_points_t *points;

    max = (SIZE_MAX - sizeof(wd_http_upstream_chash_points_t))
          / sizeof(wd_http_upstream_chash_point_t)
          / WD_HTTP_UPSTREAM_CHASH_POINTS;

    if (peers->total_weight > max) {
        return NULL;
    }

    n = peers->total_weight * WD_HTTP_UPSTREAM_CHASH_POINTS;

    points = wd_palloc(pool, sizeof(wd_http_upstream_chash_points_t)
                                 + n * sizeof(wd_http_upstream_chash_point_t));

    if (points == NULL) {
        return NULL;
    }

    n = 0;

    for (peer = peers->peer; peer; peer = peer->next) {
        base = wd_http_upstream_chash_server(&peer->server);
        wd_memzero(prev, sizeof(prev));
        max = (wd_uint_t) peer->weight * WD_HTTP_UPSTREAM_CHASH_POINTS;

        for (j = 0; j < max; j++) {
            hash = wd_crc32_final(wd_crc32_update(base, prev, 4));

            points->point[n].hash = hash;
            points->point[n].server = &peer->server;
            n++;

            prev[0] = (u_char) (hash & 0xff);
            prev[1] = (u_char) ((hash >> 8) & 0xff);
            prev[2] = (u_char) ((hash >> 16) & 0xff);
            prev[3] = (u_char) (hash >> 24);
        }
    }

    qsort(points->point, n, sizeof(wd_http_upstream_chash_point_t),
          wd_http_upstream_chash_cmp);

    for (i = 0, j = 1; j < n; j++) {
        if (points->point[j].hash != points->point[i].hash) {
            points->point[++i] = points->point[j];
        }
    }

    points->number = n ? i + 1 : 0;

    return points;
}

wd_uint_t
wd_http_upstream_chash_find(wd_http_upstream_chash_points_t *points,
    uint32_t hash)
{
    wd_uint_t lo, hi, mid;

    lo = 0;
    hi = points->number;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (points->point[mid].hash < hash) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}

/* ---- the plain method ----------------------------------------------- */

static wd_int_t
wd_http_upstream_init_hash(wd_conf_t *cf, wd_http_upstream_srv_conf_t *us)
{
    if (wd_http_upstream_init_round_robin(cf, us) != WD_OK) {
        return WD_ERROR;
    }

    us->peer.init = wd_http_upstream_init_hash_peer;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_init_hash_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us)
{
    wd_http_upstream_t *u;
    wd_http_upstream_hash_srv_conf_t *hcf;
    wd_http_upstream_hash_peer_data_t *hp;

    u = r->upstream;
    hp = wd_pcalloc(r->pool, sizeof(wd_http_upstream_hash_peer_data_t));

    if (hp == NULL) {
        return WD_ERROR;
    }

    u->peer.data = &hp->rrp;

    if (wd_http_upstream_init_round_robin_peer(r, us) != WD_OK) {
        return WD_ERROR;
    }

    u->peer.get = wd_http_upstream_get_hash_peer;

    hcf = wd_http_conf_upstream_srv_conf(us, wd_http_upstream_hash_module);

    if (wd_http_complex_value(r, &hcf->key, &hp->key) != WD_OK) {
        return WD_ERROR;
    }

    hp->conf = hcf;

    return WD_OK;
}

static wd_int_t
wd_http_upstream_get_hash_peer(wd_peer_connection_t *pc, void *data)
{
    time_t now;
    wd_uint_t index;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_hash_peer_data_t *hp = data;

    if (hp->tries > WD_HTTP_UPSTREAM_HASH_TRIES || hp->rrp.peers->single) {
        return wd_http_upstream_get_round_robin_peer(pc, &hp->rrp);
    }

    now = wd_time();

    for ( ;; ) {
        hp->hash += wd_http_upstream_hash_step(hp->rehash, &hp->key);
        hp->rehash++;

        peer = wd_http_upstream_rr_peer_at(hp->rrp.peers, hp->hash, &index);

        if (!wd_http_upstream_rr_tried(&hp->rrp, index)
            && wd_http_upstream_rr_peer_usable(peer, now))
        {
            break;
        }

        if (++hp->tries > WD_HTTP_UPSTREAM_HASH_TRIES) {
            return wd_http_upstream_get_round_robin_peer(pc, &hp->rrp);
        }
    }

    wd_http_upstream_rr_take(pc, &hp->rrp, peer, index);

    return WD_OK;
}

/* ---- consistent ----------------------------------------------------- */

static wd_int_t
wd_http_upstream_init_chash(wd_conf_t *cf, wd_http_upstream_srv_conf_t *us)
{
    wd_http_upstream_hash_srv_conf_t *hcf;

    if (wd_http_upstream_init_round_robin(cf, us) != WD_OK) {
        return WD_ERROR;
    }

    us->peer.init = wd_http_upstream_init_chash_peer;

    hcf = wd_http_conf_upstream_srv_conf(us, wd_http_upstream_hash_module);
    hcf->points = wd_http_upstream_chash_build(cf->pool, us->peer.data);

    if (hcf->points == NULL) {
        wd_log_error(WD_LOG_EMERG, cf->log, 0,
                     "no memory for the hash ring of upstream \"%.*s\" "
                     "in %s:%lu",
                     wd_str_fmt(&us->host), us->file_name,
                     (unsigned long) us->line);
        return WD_ERROR;
    }

    return WD_OK;
}

static wd_int_t
wd_http_upstream_init_chash_peer(wd_http_request_t *r,
    wd_http_upstream_srv_conf_t *us)
{
    wd_http_upstream_t *u;
    wd_http_upstream_hash_peer_data_t *hp;

    if (wd_http_upstream_init_hash_peer(r, us) != WD_OK) {
        return WD_ERROR;
    }

    u = r->upstream;
    u->peer.get = wd_http_upstream_get_chash_peer;

    hp = u->peer.data;
    hp->hash = wd_http_upstream_chash_find(hp->conf->points,
                                           wd_crc32(hp->key.data,
                                                    hp->key.len));

    return WD_OK;
}

/* Among the usable, untried peers named server (a name with several
 * addresses has a peer for each), the one smooth weighted round robin
 * picks; NULL if there is none. */
static wd_http_upstream_rr_peer_t *
wd_http_upstream_chash_pick(wd_http_upstream_rr_peer_data_t *rrp,
    wd_str_t *server, time_t now, wd_uint_t *index)
{
    wd_uint_t i;
    wd_http_upstream_swrr_t sw;
    wd_http_upstream_rr_peer_t *peer;

    wd_memzero(&sw, sizeof(wd_http_upstream_swrr_t));

    for (peer = rrp->peers->peer, i = 0; peer; peer = peer->next, i++) {
        if (peer->server.len != server->len
            || wd_memcmp(peer->server.data, server->data, server->len) != 0
            || wd_http_upstream_rr_tried(rrp, i)
            || !wd_http_upstream_rr_peer_usable(peer, now))
        {
            continue;
        }

        wd_http_upstream_swrr_offer(&sw, peer, i);
    }

    return wd_http_upstream_swrr_pick(&sw, index);
}

static wd_int_t
wd_http_upstream_get_chash_peer(wd_peer_connection_t *pc, void *data)
{
    time_t now;
    wd_uint_t index;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_chash_points_t *points;
    wd_http_upstream_hash_peer_data_t *hp = data;

    if (hp->tries > WD_HTTP_UPSTREAM_HASH_TRIES || hp->rrp.peers->single) {
        return wd_http_upstream_get_round_robin_peer(pc, &hp->rrp);
    }

    now = wd_time();
    points = hp->conf->points;
    index = 0;

    for ( ;; ) {
        peer = wd_http_upstream_chash_pick(
            &hp->rrp, points->point[hp->hash % points->number].server, now,
            &index);

        if (peer) {
            break;
        }

        hp->hash++;

        if (++hp->tries > WD_HTTP_UPSTREAM_HASH_TRIES) {
            return wd_http_upstream_get_round_robin_peer(pc, &hp->rrp);
        }
    }

    wd_http_upstream_rr_take(pc, &hp->rrp, peer, index);

    return WD_OK;
}

/* ---- configuration -------------------------------------------------- */

static void *
wd_http_upstream_hash_create_conf(wd_conf_t *cf)
{
    return wd_pcalloc(cf->pool, sizeof(wd_http_upstream_hash_srv_conf_t));
}

/* hash KEY [consistent]; */
static char *
wd_http_upstream_hash(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_upstream_hash_srv_conf_t *hcf = conf;

    wd_str_t *value;
    wd_http_upstream_srv_conf_t *uscf;
    wd_http_compile_complex_value_t ccv;

    (void) cmd;

    value = cf->args->elts;

    wd_memzero(&ccv, sizeof(wd_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &hcf->key;

    if (wd_http_compile_complex_value(&ccv) != WD_OK) {
        return WD_CONF_ERROR;
    }

    /* no "backup": the key chooses among the primary servers only */
    uscf = wd_http_upstream_set_balancer(cf, wd_http_upstream_init_hash, 0);

    if (cf->args->nelts == 3 && wd_str_eq(&value[2], "consistent")) {
        uscf->peer.init_upstream = wd_http_upstream_init_chash;

    } else if (cf->args->nelts == 3) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          wd_str_fmt(&value[2]));
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}
