/*
 * The upstream zone module: "zone NAME [SIZE]" in an upstream block puts
 * the changing state of the group's peers (connection counts, failures,
 * the round-robin weights, health-check verdicts) in shared memory, so
 * every worker balances and judges health the same way.
 *
 * The zone is a table of fixed-size slots, one per peer, found by a key
 * made of the group's, the server's and the address's names.  A reload
 * that keeps the zone (same name and size) finds the slots of the peers
 * it still has, so their state carries over; slots of peers no longer in
 * the configuration are reused once two generations have passed.
 */

#include <wd_http.h>

#define WD_HTTP_UPSTREAM_ZONE_KEY_LEN 160

typedef struct {
    wd_uint_t in_use;
    wd_uint_t generation;       /* the last configuration that used it */
    size_t key_len;
    u_char key[WD_HTTP_UPSTREAM_ZONE_KEY_LEN];
    wd_http_upstream_rr_state_t state;
} wd_http_upstream_zone_slot_t;

typedef struct {
    wd_atomic_t lock;
    wd_uint_t generation;
    wd_uint_t nslots;
    wd_http_upstream_zone_slot_t slots[];
} wd_http_upstream_zone_shctx_t;

static char *wd_http_upstream_zone(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static wd_int_t wd_http_upstream_init_zone(wd_shm_zone_t *shm_zone,
    void *data);

static wd_command_t wd_http_upstream_zone_commands[] = {

    { wd_string("zone"),
      WD_HTTP_UPS_CONF | WD_CONF_TAKE12,
      wd_http_upstream_zone,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_upstream_zone_module_ctx = {
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

wd_module_t wd_http_upstream_zone_module = {
    WD_MODULE_V1,
    &wd_http_upstream_zone_module_ctx,
    wd_http_upstream_zone_commands,
    WD_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

/* zone NAME [SIZE] */
static char *
wd_http_upstream_zone(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    ssize_t size;
    wd_str_t *value;
    wd_array_t *groups;
    wd_http_upstream_srv_conf_t *uscf, **g;

    (void) cmd;
    (void) conf;

    uscf = wd_http_conf_get_module_srv_conf(cf, wd_http_upstream_module);

    if (uscf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid zone name \"%.*s\"",
                          wd_str_fmt(&value[1]));
        return WD_CONF_ERROR;
    }

    size = 0;

    if (cf->args->nelts == 3) {
        size = wd_parse_size(&value[2]);

        if (size == WD_ERROR) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid zone size \"%.*s\"",
                              wd_str_fmt(&value[2]));
            return WD_CONF_ERROR;
        }

        if ((size_t) size < sizeof(wd_http_upstream_zone_shctx_t)
                                + 4 * sizeof(wd_http_upstream_zone_slot_t))
        {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "zone \"%.*s\" is too small",
                              wd_str_fmt(&value[1]));
            return WD_CONF_ERROR;
        }
    }

    uscf->shm_zone = wd_shared_memory_add(cf, &value[1], (size_t) size,
                                          &wd_http_upstream_zone_module);

    if (uscf->shm_zone == NULL) {
        return WD_CONF_ERROR;
    }

    groups = uscf->shm_zone->data;

    if (groups == NULL) {
        groups = wd_array_create(cf->pool, 1,
                                 sizeof(wd_http_upstream_srv_conf_t *));

        if (groups == NULL) {
            return WD_CONF_ERROR;
        }

        uscf->shm_zone->data = groups;
        uscf->shm_zone->init = wd_http_upstream_init_zone;
        uscf->shm_zone->noreuse = 0;
    }

    g = wd_array_push(groups);

    if (g == NULL) {
        return WD_CONF_ERROR;
    }

    *g = uscf;

    return WD_CONF_OK;
}

static wd_http_upstream_zone_slot_t *
wd_http_upstream_zone_find(wd_http_upstream_zone_shctx_t *sh, u_char *key,
    size_t len)
{
    wd_uint_t i;
    wd_http_upstream_zone_slot_t *slot, *spare;

    spare = NULL;

    for (i = 0; i < sh->nslots; i++) {
        slot = &sh->slots[i];

        if (slot->in_use && slot->key_len == len
            && wd_memcmp(slot->key, key, len) == 0)
        {
            return slot;
        }

        /* a slot no configuration of the last two generations uses */
        if (spare == NULL
            && (!slot->in_use || slot->generation + 2 <= sh->generation))
        {
            spare = slot;
        }
    }

    if (spare) {
        wd_memzero(spare, sizeof(wd_http_upstream_zone_slot_t));
        spare->key_len = len;
        wd_memcpy(spare->key, key, len);
    }

    return spare;
}

static wd_int_t
wd_http_upstream_zone_bind(wd_shm_zone_t *shm_zone,
    wd_http_upstream_zone_shctx_t *sh, wd_http_upstream_srv_conf_t *uscf,
    wd_http_upstream_rr_peers_t *peers)
{
    u_char key[WD_HTTP_UPSTREAM_ZONE_KEY_LEN], *p, *last;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_zone_slot_t *slot;

    last = key + sizeof(key);

    for (; peers; peers = peers->next) {
        peers->lock = &sh->lock;

        for (peer = peers->peer; peer; peer = peer->next) {
            if (uscf->host.len + peer->server.len + peer->name.len + 2
                > sizeof(key))
            {
                /* a cut key could match another peer's slot */
                wd_log_error(WD_LOG_EMERG, shm_zone->shm.log, 0,
                             "server \"%.*s\" of upstream \"%.*s\" has too "
                             "long a name for zone \"%.*s\"",
                             wd_str_fmt(&peer->server),
                             wd_str_fmt(&uscf->host),
                             wd_str_fmt(&shm_zone->shm.name));
                return WD_ERROR;
            }

            p = wd_slprintf(key, last, "%.*s/%.*s/%.*s",
                            wd_str_fmt(&uscf->host),
                            wd_str_fmt(&peer->server),
                            wd_str_fmt(&peer->name));

            slot = wd_http_upstream_zone_find(sh, key, (size_t) (p - key));

            if (slot == NULL) {
                wd_log_error(WD_LOG_EMERG, shm_zone->shm.log, 0,
                             "zone \"%.*s\" is too small for the servers "
                             "of upstream \"%.*s\"",
                             wd_str_fmt(&shm_zone->shm.name),
                             wd_str_fmt(&uscf->host));
                return WD_ERROR;
            }

            if (!slot->in_use) {
                /* a new peer starts as the configuration says */
                slot->state = peer->local;
                slot->state.hc_unhealthy = uscf->hc_mandatory;
                slot->in_use = 1;
            }

            slot->generation = sh->generation;

            /* a weight changed by the reload starts afresh */
            if (slot->state.effective_weight > peer->weight) {
                slot->state.effective_weight = peer->weight;
            }

            peer->st = &slot->state;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_http_upstream_init_zone(wd_shm_zone_t *shm_zone, void *data)
{
    wd_uint_t i;
    wd_array_t *groups;
    wd_http_upstream_srv_conf_t **uscfp;
    wd_http_upstream_zone_shctx_t *sh;

    (void) data;

    sh = (wd_http_upstream_zone_shctx_t *) shm_zone->shm.addr;

    if (!shm_zone->shm.exists) {
        wd_memzero(sh, sizeof(wd_http_upstream_zone_shctx_t));
        sh->nslots = (shm_zone->shm.size
                      - sizeof(wd_http_upstream_zone_shctx_t))
                     / sizeof(wd_http_upstream_zone_slot_t);
    }

    /* the old workers still run: take the lock for the new bindings (a
     * lock left by a killed worker is taken over) */
    while (!wd_atomic_cmp_set(&sh->lock, 0, (wd_uint_t) getpid())) {
        if (kill((pid_t) sh->lock, 0) == -1 && errno == ESRCH) {
            (void) wd_atomic_cmp_set(&sh->lock, sh->lock, 0);
            continue;
        }

        sched_yield();
    }

    sh->generation++;

    groups = shm_zone->data;
    uscfp = groups->elts;

    for (i = 0; i < groups->nelts; i++) {
        if (wd_http_upstream_zone_bind(shm_zone, sh, uscfp[i],
                                       uscfp[i]->peer.data) != WD_OK)
        {
            sh->lock = 0;
            return WD_ERROR;
        }
    }

    wd_memory_barrier();
    sh->lock = 0;

    return WD_OK;
}
