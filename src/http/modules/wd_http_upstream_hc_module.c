/*
 * Active health checks: "health_check" in a location that proxies to an
 * upstream group in a shared zone, and "match" blocks that say what a
 * healthy answer looks like.
 *
 * Every worker runs a timer per check, but each peer's next check time
 * and a "being checked" mark live in the zone, so one worker at a time
 * checks a peer.  The verdict (fails/passes in a row) is kept in the
 * zone too, where the balancer reads it: an unhealthy peer gets no
 * requests until "passes" checks in a row succeed again.
 */

#include <wd_http.h>

#if (WD_HAVE_HTTP_PROXY)
extern wd_module_t wd_http_proxy_module;
#endif

/* header tests of a match block */
#define WD_HC_HEADER_PRESENT 0
#define WD_HC_HEADER_ABSENT 1
#define WD_HC_HEADER_EQ 2
#define WD_HC_HEADER_NE 3
#define WD_HC_HEADER_RE 4
#define WD_HC_HEADER_NRE 5

/* only this much of an answer is looked at */
#define WD_HC_MAX_RESPONSE (256 * 1024 + 16 * 1024)

typedef struct {
    wd_uint_t low;
    wd_uint_t high;
} wd_http_hc_range_t;

typedef struct {
    wd_uint_t op;
    wd_str_t name;
    wd_str_t value;
    wd_regex_t *regex;
} wd_http_hc_header_test_t;

typedef struct {
    wd_str_t name;
    wd_array_t *status;         /* wd_http_hc_range_t; NULL: any */
    wd_uint_t status_not;
    wd_array_t *headers;        /* wd_http_hc_header_test_t */
    wd_regex_t *body;
    wd_uint_t body_not;
    u_char *file;
    wd_uint_t line;
} wd_http_hc_match_t;

typedef struct {
    wd_http_upstream_srv_conf_t *uscf;
    wd_http_upstream_conf_t *ucf;   /* the location's proxy timeouts */
    void **loc_conf;

    wd_msec_t interval;
    wd_msec_t jitter;
    wd_uint_t fails;
    wd_uint_t passes;
    wd_str_t uri;
    in_port_t port;
    wd_str_t match_name;
    wd_http_hc_match_t *match;
    unsigned mandatory:1;
    unsigned persistent:1;

    u_char *file;
    wd_uint_t line;

    wd_event_t *timer;          /* per worker */
    wd_connection_t dummy;      /* the timer's event data */
} wd_http_hc_t;

typedef struct {
    wd_array_t checks;          /* wd_http_hc_t */
    wd_array_t matches;         /* wd_http_hc_match_t */
} wd_http_hc_main_conf_t;

/* One check of one peer, in a worker. */
typedef struct {
    wd_http_hc_t *hc;
    wd_http_upstream_rr_peers_t *peers;
    wd_http_upstream_rr_peer_t *peer;
    wd_pool_t *pool;
    wd_peer_connection_t pc;
    wd_sockaddr_t sockaddr;
    wd_buf_t *request;
    wd_buf_t *response;
} wd_http_hc_check_t;

static void *wd_http_hc_create_main_conf(wd_conf_t *cf);
static wd_int_t wd_http_hc_postconfiguration(wd_conf_t *cf);
static wd_int_t wd_http_hc_init_process(wd_cycle_t *cycle);
static char *wd_http_hc_health_check(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_hc_match_block(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_http_hc_match_line(wd_conf_t *cf, wd_command_t *dummy,
    void *conf);
static void wd_http_hc_timer_handler(wd_event_t *ev);
static void wd_http_hc_start(wd_http_hc_t *hc,
    wd_http_upstream_rr_peers_t *peers, wd_http_upstream_rr_peer_t *peer);
static void wd_http_hc_handler(wd_event_t *ev);
static void wd_http_hc_finish(wd_http_hc_check_t *chk, const char *failure);
static const char *wd_http_hc_verdict(wd_http_hc_check_t *chk);

static wd_command_t wd_http_hc_commands[] = {

    { wd_string("health_check"),
      WD_HTTP_LOC_CONF | WD_CONF_ANY,
      wd_http_hc_health_check,
      WD_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { wd_string("match"),
      WD_HTTP_MAIN_CONF | WD_CONF_BLOCK | WD_CONF_TAKE1,
      wd_http_hc_match_block,
      WD_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    wd_null_command
};

static wd_http_module_t wd_http_hc_module_ctx = {
    NULL,
    wd_http_hc_postconfiguration,
    wd_http_hc_create_main_conf,
    NULL,
    NULL, NULL, NULL, NULL
};

wd_module_t wd_http_upstream_hc_module = {
    WD_MODULE_V1,
    &wd_http_hc_module_ctx,
    wd_http_hc_commands,
    WD_HTTP_MODULE,
    NULL,
    NULL,
    wd_http_hc_init_process,
    NULL,
    NULL
};

/* ---- configuration ------------------------------------------------- */

static void *
wd_http_hc_create_main_conf(wd_conf_t *cf)
{
    wd_http_hc_main_conf_t *hmcf;

    hmcf = wd_pcalloc(cf->pool, sizeof(wd_http_hc_main_conf_t));

    if (hmcf == NULL) {
        return NULL;
    }

    if (wd_array_init(&hmcf->checks, cf->pool, 2, sizeof(wd_http_hc_t))
            != WD_OK
        || wd_array_init(&hmcf->matches, cf->pool, 2,
                         sizeof(wd_http_hc_match_t)) != WD_OK)
    {
        return NULL;
    }

    return hmcf;
}

/* health_check [interval=T] [jitter=T] [fails=N] [passes=N] [uri=URI]
 *     [port=N] [match=NAME] [mandatory [persistent]] */
static char *
wd_http_hc_health_check(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_int_t n;
    wd_str_t *value, s;
    wd_uint_t i;
    wd_http_hc_t *hc;
    wd_http_hc_main_conf_t *hmcf;

    (void) cmd;
    (void) conf;

    hmcf = wd_http_conf_get_module_main_conf(cf, wd_http_upstream_hc_module);

    hc = wd_array_push(&hmcf->checks);

    if (hc == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(hc, sizeof(wd_http_hc_t));

    hc->loc_conf = ((wd_http_conf_ctx_t *) cf->ctx)->loc_conf;
    hc->interval = 5000;
    hc->fails = 1;
    hc->passes = 1;
    wd_str_set(&hc->uri, "/");
    hc->file = (u_char *) cf->conf_file->name.data;
    hc->line = cf->conf_file->line;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        s = value[i];

        if (wd_strncmp(s.data, "interval=", 9) == 0
            || wd_strncmp(s.data, "jitter=", 7) == 0)
        {
            size_t skip = (s.data[0] == 'i') ? 9 : 7;
            wd_str_t t = { s.len - skip, s.data + skip };

            n = wd_parse_time(&t, 0);

            if (n == WD_ERROR || (skip == 9 && n == 0)) {
                goto invalid;
            }

            if (skip == 9) {
                hc->interval = (wd_msec_t) n;
            } else {
                hc->jitter = (wd_msec_t) n;
            }

            continue;
        }

        if (wd_strncmp(s.data, "fails=", 6) == 0
            || wd_strncmp(s.data, "passes=", 7) == 0)
        {
            size_t skip = (s.data[0] == 'f') ? 6 : 7;

            n = wd_atoi(s.data + skip, s.len - skip);

            if (n == WD_ERROR || n == 0) {
                goto invalid;
            }

            if (skip == 6) {
                hc->fails = (wd_uint_t) n;
            } else {
                hc->passes = (wd_uint_t) n;
            }

            continue;
        }

        if (wd_strncmp(s.data, "uri=", 4) == 0) {
            hc->uri.data = s.data + 4;
            hc->uri.len = s.len - 4;

            if (hc->uri.len == 0 || hc->uri.data[0] != '/') {
                goto invalid;
            }

            continue;
        }

        if (wd_strncmp(s.data, "port=", 5) == 0) {
            n = wd_atoi(s.data + 5, s.len - 5);

            if (n == WD_ERROR || n < 1 || n > 65535) {
                goto invalid;
            }

            hc->port = (in_port_t) n;
            continue;
        }

        if (wd_strncmp(s.data, "match=", 6) == 0) {
            hc->match_name.data = s.data + 6;
            hc->match_name.len = s.len - 6;
            continue;
        }

        if (wd_str_eq(&s, "mandatory")) {
            hc->mandatory = 1;
            continue;
        }

        if (wd_str_eq(&s, "persistent") && hc->mandatory) {
            hc->persistent = 1;
            continue;
        }

        goto invalid;
    }

    return WD_CONF_OK;

invalid:

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                      wd_str_fmt(&s));
    return WD_CONF_ERROR;
}

/* match NAME { status ...; header ...; body ...; } */
static char *
wd_http_hc_match_block(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_http_hc_main_conf_t *hmcf = conf;

    char *rv;
    wd_str_t *value;
    wd_uint_t i;
    wd_conf_t save;
    wd_http_hc_match_t *m;

    (void) cmd;

    value = cf->args->elts;
    m = hmcf->matches.elts;

    for (i = 0; i < hmcf->matches.nelts; i++) {
        if (m[i].name.len == value[1].len
            && wd_memcmp(m[i].name.data, value[1].data, value[1].len) == 0)
        {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "duplicate match \"%.*s\"",
                              wd_str_fmt(&value[1]));
            return WD_CONF_ERROR;
        }
    }

    m = wd_array_push(&hmcf->matches);

    if (m == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(m, sizeof(wd_http_hc_match_t));
    m->name = value[1];
    m->file = (u_char *) cf->conf_file->name.data;
    m->line = cf->conf_file->line;

    save = *cf;
    cf->handler = wd_http_hc_match_line;
    cf->handler_conf = (char *) m;

    rv = wd_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}

static wd_regex_t *
wd_http_hc_regex(wd_conf_t *cf, wd_str_t *pattern)
{
    wd_regex_compile_t rc;

    wd_memzero(&rc, sizeof(wd_regex_compile_t));
    rc.pattern = *pattern;
    rc.pool = cf->pool;

    if (wd_regex_compile(&rc) != WD_OK) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "%.*s", wd_str_fmt(&rc.err));
        return NULL;
    }

    return rc.regex;
}

static char *
wd_http_hc_match_status(wd_conf_t *cf, wd_http_hc_match_t *m)
{
    u_char *dash;
    wd_str_t *value;
    wd_uint_t i, first;
    wd_int_t lo, hi;
    wd_http_hc_range_t *range;

    value = cf->args->elts;
    first = 1;

    if (cf->args->nelts > 1 && wd_str_eq(&value[1], "!")) {
        m->status_not = 1;
        first = 2;
    }

    if (first >= cf->args->nelts) {
        goto invalid_args;
    }

    m->status = wd_array_create(cf->pool, 2, sizeof(wd_http_hc_range_t));

    if (m->status == NULL) {
        return WD_CONF_ERROR;
    }

    for (i = first; i < cf->args->nelts; i++) {
        dash = wd_strlchr(value[i].data, value[i].data + value[i].len, '-');

        if (dash) {
            lo = wd_atoi(value[i].data, dash - value[i].data);
            hi = wd_atoi(dash + 1, value[i].data + value[i].len - dash - 1);
        } else {
            lo = wd_atoi(value[i].data, value[i].len);
            hi = lo;
        }

        if (lo < 100 || hi > 999 || hi < lo) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid status \"%.*s\"",
                              wd_str_fmt(&value[i]));
            return WD_CONF_ERROR;
        }

        range = wd_array_push(m->status);

        if (range == NULL) {
            return WD_CONF_ERROR;
        }

        range->low = (wd_uint_t) lo;
        range->high = (wd_uint_t) hi;
    }

    return WD_CONF_OK;

invalid_args:

    wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                      "invalid number of arguments in \"status\" directive");
    return WD_CONF_ERROR;
}

static char *
wd_http_hc_match_header(wd_conf_t *cf, wd_http_hc_match_t *m)
{
    wd_str_t *value;
    wd_uint_t n;
    wd_http_hc_header_test_t *t;

    value = cf->args->elts;
    n = cf->args->nelts;

    if (m->headers == NULL) {
        m->headers = wd_array_create(cf->pool, 2,
                                     sizeof(wd_http_hc_header_test_t));

        if (m->headers == NULL) {
            return WD_CONF_ERROR;
        }
    }

    t = wd_array_push(m->headers);

    if (t == NULL) {
        return WD_CONF_ERROR;
    }

    wd_memzero(t, sizeof(wd_http_hc_header_test_t));

    if (n == 2) {
        t->op = WD_HC_HEADER_PRESENT;
        t->name = value[1];
        return WD_CONF_OK;
    }

    if (n == 3 && wd_str_eq(&value[1], "!")) {
        t->op = WD_HC_HEADER_ABSENT;
        t->name = value[2];
        return WD_CONF_OK;
    }

    if (n != 4) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                          "invalid number of arguments in \"header\" "
                          "directive");
        return WD_CONF_ERROR;
    }

    t->name = value[1];
    t->value = value[3];

    if (wd_str_eq(&value[2], "=")) {
        t->op = WD_HC_HEADER_EQ;
    } else if (wd_str_eq(&value[2], "!=")) {
        t->op = WD_HC_HEADER_NE;
    } else if (wd_str_eq(&value[2], "~") || wd_str_eq(&value[2], "!~")) {
        t->op = (value[2].data[0] == '!') ? WD_HC_HEADER_NRE
                                          : WD_HC_HEADER_RE;
        t->regex = wd_http_hc_regex(cf, &value[3]);

        if (t->regex == NULL) {
            return WD_CONF_ERROR;
        }

    } else {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          wd_str_fmt(&value[2]));
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
}

static char *
wd_http_hc_match_line(wd_conf_t *cf, wd_command_t *dummy, void *conf)
{
    wd_http_hc_match_t *m = conf;

    wd_str_t *value;

    (void) dummy;

    value = cf->args->elts;

    if (wd_str_eq(&value[0], "status")) {
        return wd_http_hc_match_status(cf, m);
    }

    if (wd_str_eq(&value[0], "header")) {
        if (cf->args->nelts < 2) {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid number of arguments in \"header\" "
                              "directive");
            return WD_CONF_ERROR;
        }

        return wd_http_hc_match_header(cf, m);
    }

    if (wd_str_eq(&value[0], "body")) {
        if (cf->args->nelts != 3
            || (!wd_str_eq(&value[1], "~") && !wd_str_eq(&value[1], "!~")))
        {
            wd_conf_log_error(WD_LOG_EMERG, cf, 0,
                              "invalid \"body\" test, expected "
                              "\"body ~ REGEX\" or \"body !~ REGEX\"");
            return WD_CONF_ERROR;
        }

        if (m->body) {
            return "is duplicate";
        }

        m->body_not = (value[1].data[0] == '!');
        m->body = wd_http_hc_regex(cf, &value[2]);

        return m->body ? WD_CONF_OK : WD_CONF_ERROR;
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "unknown directive \"%.*s\"",
                      wd_str_fmt(&value[0]));

    return WD_CONF_ERROR;
}

/* Once the locations are merged: which group each check watches. */
static wd_int_t
wd_http_hc_postconfiguration(wd_conf_t *cf)
{
    wd_uint_t i, j;
    wd_http_hc_t *hc;
    wd_http_hc_match_t *m;
    wd_http_hc_main_conf_t *hmcf;

    hmcf = wd_http_conf_get_module_main_conf(cf, wd_http_upstream_hc_module);
    hc = hmcf->checks.elts;
    m = hmcf->matches.elts;

    for (i = 0; i < hmcf->checks.nelts; i++) {
#if (WD_HAVE_HTTP_PROXY)
        hc[i].ucf = hc[i].loc_conf[wd_http_proxy_module.ctx_index];
        hc[i].uscf = hc[i].ucf->upstream;
#endif

        if (hc[i].uscf == NULL) {
            wd_log_error(WD_LOG_EMERG, cf->log, 0,
                         "\"health_check\" needs \"proxy_pass\" to an "
                         "upstream group in %s:%lu", hc[i].file,
                         (unsigned long) hc[i].line);
            return WD_ERROR;
        }

        if (hc[i].uscf->shm_zone == NULL) {
            wd_log_error(WD_LOG_EMERG, cf->log, 0,
                         "upstream \"%.*s\" must reside in shared memory "
                         "(\"zone\") for \"health_check\" in %s:%lu",
                         wd_str_fmt(&hc[i].uscf->host), hc[i].file,
                         (unsigned long) hc[i].line);
            return WD_ERROR;
        }

        if (hc[i].match_name.len) {
            for (j = 0; j < hmcf->matches.nelts; j++) {
                if (m[j].name.len == hc[i].match_name.len
                    && wd_memcmp(m[j].name.data, hc[i].match_name.data,
                                 m[j].name.len) == 0)
                {
                    hc[i].match = &m[j];
                    break;
                }
            }

            if (hc[i].match == NULL) {
                wd_log_error(WD_LOG_EMERG, cf->log, 0,
                             "match \"%.*s\" not found in %s:%lu",
                             wd_str_fmt(&hc[i].match_name), hc[i].file,
                             (unsigned long) hc[i].line);
                return WD_ERROR;
            }
        }

        if (hc[i].mandatory) {
            hc[i].uscf->hc_mandatory = 1;
        }
    }

    return WD_OK;
}

/* ---- running the checks --------------------------------------------- */

static wd_msec_t
wd_http_hc_now(void)
{
    wd_time_t *tp = wd_timeofday();

    return (wd_msec_t) tp->sec * 1000 + tp->msec;
}

static wd_int_t
wd_http_hc_init_process(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_http_hc_t *hc;
    wd_http_hc_main_conf_t *hmcf;

    hmcf = wd_http_cycle_get_module_main_conf(cycle,
                                              wd_http_upstream_hc_module);

    if (hmcf == NULL) {
        return WD_OK;
    }

    hc = hmcf->checks.elts;

    for (i = 0; i < hmcf->checks.nelts; i++) {
        hc[i].timer = wd_pcalloc(cycle->pool, sizeof(wd_event_t));

        if (hc[i].timer == NULL) {
            return WD_ERROR;
        }

        hc[i].dummy.data = &hc[i];
        hc[i].timer->data = &hc[i].dummy;
        hc[i].timer->handler = wd_http_hc_timer_handler;
        hc[i].timer->log = cycle->log;
        hc[i].timer->cancelable = 1;

        /* soon after start, spread over the workers */
        wd_event_add_timer(hc[i].timer, 10 + (wd_msec_t) (random() % 200));
    }

    return WD_OK;
}

static void
wd_http_hc_timer_handler(wd_event_t *ev)
{
    wd_msec_t now, wait;
    wd_connection_t *c;
    wd_http_hc_t *hc;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_rr_peers_t *peers;
    wd_http_upstream_rr_state_t *st;
    wd_uint_t take;

    c = ev->data;
    hc = c->data;

    if (wd_exiting || wd_terminate) {
        return;
    }

    for (peers = hc->uscf->peer.data; peers; peers = peers->next) {
        for (peer = peers->peer; peer; peer = peer->next) {
            now = wd_http_hc_now();
            take = 0;
            st = peer->st;

            wd_http_upstream_rr_peers_lock(peers);

            /* a mark left by a worker that died is given up */
            if (st->hc_busy
                && now - st->hc_busy_since > hc->interval
                       + hc->ucf->connect_timeout + hc->ucf->read_timeout)
            {
                st->hc_busy = 0;
            }

            if (!st->hc_busy && now >= st->hc_next && !peer->down) {
                st->hc_busy = (wd_uint_t) wd_pid;
                st->hc_busy_since = now;
                st->hc_next = now + hc->interval
                              + (hc->jitter ? (wd_msec_t) random()
                                                  % hc->jitter : 0);
                take = 1;
            }

            wd_http_upstream_rr_peers_unlock(peers);

            if (take) {
                wd_http_hc_start(hc, peers, peer);
            }
        }
    }

    wait = wd_max(hc->interval / 4, (wd_msec_t) 50);
    wd_event_add_timer(ev, wd_min(wait, (wd_msec_t) 1000));
}

static void
wd_http_hc_start(wd_http_hc_t *hc, wd_http_upstream_rr_peers_t *peers,
    wd_http_upstream_rr_peer_t *peer)
{
    u_char *p;
    size_t len;
    wd_int_t rc;
    wd_pool_t *pool;
    wd_connection_t *c;
    wd_http_hc_check_t *chk;

    pool = wd_create_pool(4096, wd_cycle->log);

    if (pool == NULL) {
        return;
    }

    chk = wd_pcalloc(pool, sizeof(wd_http_hc_check_t));

    if (chk == NULL) {
        wd_destroy_pool(pool);
        return;
    }

    chk->hc = hc;
    chk->peers = peers;
    chk->peer = peer;
    chk->pool = pool;

    wd_memcpy(&chk->sockaddr, peer->sockaddr, peer->socklen);

    if (hc->port) {
        wd_inet_set_port(&chk->sockaddr.sockaddr, hc->port);
    }

    len = sizeof("GET  HTTP/1.0" CRLF "Host: " CRLF
                 "User-Agent: warden-health-check" CRLF
                 "Connection: close" CRLF CRLF) - 1
          + hc->uri.len + hc->uscf->host.len;

    chk->request = wd_create_temp_buf(pool, len);
    chk->response = wd_create_temp_buf(pool, 16384);

    if (chk->request == NULL || chk->response == NULL) {
        wd_destroy_pool(pool);
        return;
    }

    p = chk->request->last;
    p = wd_cpymem(p, "GET ", 4);
    p = wd_cpymem(p, hc->uri.data, hc->uri.len);
    p = wd_cpymem(p, " HTTP/1.0" CRLF "Host: ",
                  sizeof(" HTTP/1.0" CRLF "Host: ") - 1);
    p = wd_cpymem(p, hc->uscf->host.data, hc->uscf->host.len);
    p = wd_cpymem(p, CRLF "User-Agent: warden-health-check" CRLF
                     "Connection: close" CRLF CRLF,
                  sizeof(CRLF "User-Agent: warden-health-check" CRLF
                         "Connection: close" CRLF CRLF) - 1);
    chk->request->last = p;

    chk->pc.sockaddr = &chk->sockaddr.sockaddr;
    chk->pc.socklen = peer->socklen;
    chk->pc.name = &peer->name;
    chk->pc.get = wd_event_get_peer;
    chk->pc.log = wd_cycle->log;
    chk->pc.log_error = WD_ERROR_ERR;

    rc = wd_event_connect_peer(&chk->pc);

    if (rc == WD_ERROR || rc == WD_BUSY || rc == WD_DECLINED) {
        wd_http_hc_finish(chk, "connect() failed");
        return;
    }

    c = chk->pc.connection;
    c->data = chk;
    c->read->handler = wd_http_hc_handler;
    c->write->handler = wd_http_hc_handler;

    /* a check in progress does not hold up a graceful shutdown */
    c->read->cancelable = 1;
    c->write->cancelable = 1;

    wd_event_add_timer(c->write, hc->ucf->connect_timeout);

    if (rc == WD_OK) {
        wd_http_hc_handler(c->write);
    }
}

static void
wd_http_hc_handler(wd_event_t *ev)
{
    int err;
    ssize_t n;
    socklen_t len;
    wd_buf_t *b;
    wd_connection_t *c;
    wd_http_hc_check_t *chk;

    c = ev->data;
    chk = c->data;

    if (ev->timedout) {
        wd_http_hc_finish(chk, "timed out");
        return;
    }

    if (chk->request->pos < chk->request->last) {
        if (!c->write->ready) {
            return;
        }

        err = 0;
        len = sizeof(int);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1
            || err)
        {
            wd_http_hc_finish(chk, "connect() failed");
            return;
        }

        n = c->send(c, chk->request->pos,
                    chk->request->last - chk->request->pos);

        if (n == WD_ERROR) {
            wd_http_hc_finish(chk, "send() failed");
            return;
        }

        if (n > 0) {
            chk->request->pos += n;
        }

        if (chk->request->pos < chk->request->last) {
            return;
        }

        wd_event_del_timer(c->write);
        wd_event_add_timer(c->read, chk->hc->ucf->read_timeout);
    }

    b = chk->response;

    for (;;) {
        if (b->last == b->end) {
            size_t size = (size_t) (b->end - b->start);
            wd_buf_t *nb;

            if (size >= WD_HC_MAX_RESPONSE) {
                break;              /* enough to judge */
            }

            nb = wd_create_temp_buf(chk->pool,
                                    wd_min(size * 2,
                                           (size_t) WD_HC_MAX_RESPONSE));

            if (nb == NULL) {
                wd_http_hc_finish(chk, "out of memory");
                return;
            }

            nb->last = wd_cpymem(nb->last, b->pos, b->last - b->pos);
            chk->response = nb;
            b = nb;
        }

        n = c->recv(c, b->last, b->end - b->last);

        if (n == WD_AGAIN) {
            if (wd_handle_read_event(c->read) != WD_OK) {
                wd_http_hc_finish(chk, "recv() failed");
            }

            return;
        }

        if (n == WD_ERROR) {
            wd_http_hc_finish(chk, "recv() failed");
            return;
        }

        if (n == 0) {
            break;
        }

        b->last += n;
    }

    wd_http_hc_finish(chk, wd_http_hc_verdict(chk));
}

/* Finds header name in [p, end) of a response header block. */
static wd_uint_t
wd_http_hc_header_test(wd_http_request_t *r, wd_buf_t *b,
    wd_http_hc_header_test_t *t)
{
    wd_int_t rc;
    wd_str_t value;
    wd_uint_t found, ok;
    wd_buf_t hb;

    hb = *b;
    r->state = 0;
    found = 0;
    ok = 0;

    for (;;) {
        rc = wd_http_parse_header_line(r, &hb, 1);

        if (rc != WD_OK) {
            break;
        }

        if ((size_t) (r->header_name_end - r->header_name_start)
                != t->name.len
            || wd_strncasecmp(r->header_name_start, t->name.data,
                              t->name.len) != 0)
        {
            continue;
        }

        found = 1;
        value.data = r->header_start;
        value.len = r->header_end - r->header_start;

        switch (t->op) {
        case WD_HC_HEADER_EQ:
            ok |= (value.len == t->value.len
                   && wd_memcmp(value.data, t->value.data, value.len) == 0);
            break;
        case WD_HC_HEADER_NE:
            ok |= !(value.len == t->value.len
                    && wd_memcmp(value.data, t->value.data, value.len) == 0);
            break;
        case WD_HC_HEADER_RE:
            ok |= (wd_regex_exec(t->regex, &value, NULL, 0) >= 0);
            break;
        case WD_HC_HEADER_NRE:
            ok |= (wd_regex_exec(t->regex, &value, NULL, 0)
                   == WD_REGEX_NO_MATCHED);
            break;
        default:
            break;
        }
    }

    switch (t->op) {
    case WD_HC_HEADER_PRESENT:
        return found;
    case WD_HC_HEADER_ABSENT:
        return !found;
    default:
        return found && ok;
    }
}

/* NULL when the answer is healthy, else why not. */
static const char *
wd_http_hc_verdict(wd_http_hc_check_t *chk)
{
    wd_int_t rc;
    wd_uint_t i, in;
    wd_str_t body;
    wd_buf_t b, headers;
    wd_http_request_t *r;
    wd_http_status_t status;
    wd_http_hc_match_t *m;
    wd_http_hc_range_t *range;
    wd_http_hc_header_test_t *t;

    r = wd_pcalloc(chk->pool, sizeof(wd_http_request_t));

    if (r == NULL) {
        return "out of memory";
    }

    b = *chk->response;
    wd_memzero(&status, sizeof(wd_http_status_t));

    if (wd_http_parse_status_line(r, &b, &status) != WD_OK) {
        return "invalid status line";
    }

    headers = b;

    for (;;) {
        rc = wd_http_parse_header_line(r, &b, 1);

        if (rc == WD_OK) {
            continue;
        }

        if (rc == WD_HTTP_PARSE_HEADER_DONE) {
            break;
        }

        return "invalid header";
    }

    headers.last = b.pos;
    body.data = b.pos;
    body.len = b.last - b.pos;

    m = chk->hc->match;

    if (m == NULL) {
        return (status.code >= 200 && status.code < 400) ? NULL
                                                         : "status";
    }

    if (m->status) {
        range = m->status->elts;
        in = 0;

        for (i = 0; i < m->status->nelts; i++) {
            if (status.code >= range[i].low && status.code <= range[i].high) {
                in = 1;
                break;
            }
        }

        if (in == m->status_not) {
            return "status";
        }
    }

    if (m->headers) {
        t = m->headers->elts;

        for (i = 0; i < m->headers->nelts; i++) {
            if (!wd_http_hc_header_test(r, &headers, &t[i])) {
                return "header";
            }
        }
    }

    if (m->body) {
        rc = wd_regex_exec(m->body, &body, NULL, 0);

        if ((rc >= 0) == m->body_not) {
            return "body";
        }
    }

    return NULL;
}

static void
wd_http_hc_finish(wd_http_hc_check_t *chk, const char *failure)
{
    wd_http_hc_t *hc;
    wd_http_upstream_rr_peer_t *peer;
    wd_http_upstream_rr_state_t *st;
    wd_uint_t became;

    hc = chk->hc;
    peer = chk->peer;
    st = peer->st;
    became = 0;

    if (chk->pc.connection) {
        wd_close_connection(chk->pc.connection);
        chk->pc.connection = NULL;
    }

    wd_http_upstream_rr_peers_lock(chk->peers);

    if (failure) {
        st->hc_passes = 0;
        st->hc_fails++;

        if (!st->hc_unhealthy && st->hc_fails >= hc->fails) {
            st->hc_unhealthy = 1;
            became = 1;
        }

    } else {
        st->hc_fails = 0;
        st->hc_passes++;

        if (st->hc_unhealthy && st->hc_passes >= hc->passes) {
            st->hc_unhealthy = 0;
            became = 2;
        }
    }

    if (st->hc_busy == (wd_uint_t) wd_pid) {
        st->hc_busy = 0;
    }

    wd_http_upstream_rr_peers_unlock(chk->peers);

    if (failure) {
        wd_log_error(became ? WD_LOG_WARN : WD_LOG_INFO, wd_cycle->log, 0,
                     "health check of peer %.*s in upstream \"%.*s\" "
                     "failed: %s%s", wd_str_fmt(&peer->name),
                     wd_str_fmt(&hc->uscf->host), failure,
                     became ? ", the peer is unhealthy" : "");

    } else if (became) {
        wd_log_error(WD_LOG_NOTICE, wd_cycle->log, 0,
                     "peer %.*s in upstream \"%.*s\" is healthy",
                     wd_str_fmt(&peer->name), wd_str_fmt(&hc->uscf->host));
    }

    wd_destroy_pool(chk->pool);
}
