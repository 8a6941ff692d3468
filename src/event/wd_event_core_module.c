/*
 * The event core module: worker_connections, use, multi_accept,
 * accept_mutex; the worker's connection pool and its event loop.
 */

#include <wd_event.h>

wd_os_io_t wd_io;
wd_uint_t wd_event_flags;
wd_uint_t wd_accept_disabled;
wd_atomic_t *wd_connection_counter;

/* Until the shared zone exists (single-process start-up), count here. */
static wd_atomic_t wd_local_connection_counter = 1;

wd_atomic_t *wd_stat_accepted;
wd_atomic_t *wd_stat_handled;
wd_atomic_t *wd_stat_requests;
wd_atomic_t *wd_stat_active;
wd_atomic_t *wd_stat_reading;
wd_atomic_t *wd_stat_writing;
wd_atomic_t *wd_stat_waiting;

static void *wd_event_core_create_conf(wd_cycle_t *cycle);
static char *wd_event_core_init_conf(wd_cycle_t *cycle, void *conf);
static char *wd_event_connections(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static char *wd_event_use(wd_conf_t *cf, wd_command_t *cmd, void *conf);
static char *wd_event_debug_connection(wd_conf_t *cf, wd_command_t *cmd,
    void *conf);
static wd_int_t wd_event_module_init(wd_cycle_t *cycle);
static wd_int_t wd_event_core_init_process(wd_cycle_t *cycle);

static wd_str_t wd_event_core_name = wd_string("event_core");

static wd_command_t wd_event_core_commands[] = {

    { wd_string("worker_connections"),
      WD_EVENT_CONF | WD_CONF_TAKE1,
      wd_event_connections,
      0,
      0,
      NULL },

    { wd_string("use"),
      WD_EVENT_CONF | WD_CONF_TAKE1,
      wd_event_use,
      0,
      0,
      NULL },

    { wd_string("multi_accept"),
      WD_EVENT_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      0,
      offsetof(wd_event_conf_t, multi_accept),
      NULL },

    { wd_string("accept_mutex"),
      WD_EVENT_CONF | WD_CONF_FLAG,
      wd_conf_set_flag_slot,
      0,
      offsetof(wd_event_conf_t, accept_mutex),
      NULL },

    { wd_string("accept_mutex_delay"),
      WD_EVENT_CONF | WD_CONF_TAKE1,
      wd_conf_set_msec_slot,
      0,
      offsetof(wd_event_conf_t, accept_mutex_delay),
      NULL },

    { wd_string("debug_connection"),
      WD_EVENT_CONF | WD_CONF_TAKE1,
      wd_event_debug_connection,
      0,
      0,
      NULL },

    wd_null_command
};

static wd_event_module_t wd_event_core_module_ctx = {
    &wd_event_core_name,
    wd_event_core_create_conf,
    wd_event_core_init_conf
};

wd_module_t wd_event_core_module = {
    WD_MODULE_V1,
    &wd_event_core_module_ctx,
    wd_event_core_commands,
    WD_EVENT_MODULE,
    NULL,
    wd_event_module_init,
    wd_event_core_init_process,
    NULL,
    NULL
};

static void *
wd_event_core_create_conf(wd_cycle_t *cycle)
{
    wd_event_conf_t *ecf;

    ecf = wd_palloc(cycle->pool, sizeof(wd_event_conf_t));

    if (ecf == NULL) {
        return NULL;
    }

    ecf->connections = WD_CONF_UNSET_UINT;
    ecf->use = WD_CONF_UNSET_UINT;
    ecf->multi_accept = WD_CONF_UNSET;
    ecf->accept_mutex = WD_CONF_UNSET;
    ecf->accept_mutex_delay = WD_CONF_UNSET_MSEC;

    if (wd_array_init(&ecf->debug_connection, cycle->pool, 4,
                      sizeof(wd_cidr_t)) != WD_OK)
    {
        return NULL;
    }

    return ecf;
}

static char *
wd_event_core_init_conf(wd_cycle_t *cycle, void *conf)
{
    wd_event_conf_t *ecf = conf;

    wd_conf_init_uint_value(ecf->connections, 512);
    cycle->connection_n = ecf->connections;

    wd_conf_init_uint_value(ecf->use, 0);
    wd_conf_init_value(ecf->multi_accept, 0);
    wd_conf_init_value(ecf->accept_mutex, 0);
    wd_conf_init_msec_value(ecf->accept_mutex_delay, 500);

    return WD_CONF_OK;
}

static char *
wd_event_connections(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_int_t n;
    wd_event_conf_t *ecf = conf;

    if (ecf->connections != WD_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    n = wd_atoi(value[1].data, value[1].len);

    if (n == WD_ERROR) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid number \"%s\"",
                          value[1].data);
        return WD_CONF_ERROR;
    }

    ecf->connections = (wd_uint_t) n;
    cf->cycle->connection_n = ecf->connections;

    return WD_CONF_OK;
}

static char *
wd_event_use(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
    wd_str_t *value;
    wd_uint_t i;
    wd_event_module_t *module;
    wd_event_conf_t *ecf = conf;

    if (ecf->use != WD_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; cf->cycle->modules[i]; i++) {
        if (cf->cycle->modules[i]->type != WD_EVENT_MODULE) {
            continue;
        }

        module = cf->cycle->modules[i]->ctx;

        if (module->name->len == value[1].len
            && wd_strcmp(module->name->data, value[1].data) == 0
            && module->name != &wd_event_core_name)
        {
            ecf->use = cf->cycle->modules[i]->ctx_index;
            return WD_CONF_OK;
        }
    }

    wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid event type \"%s\"",
                      value[1].data);

    return WD_CONF_ERROR;
}

static char *
wd_event_debug_connection(wd_conf_t *cf, wd_command_t *cmd, void *conf)
{
#ifdef WD_DEBUG
    wd_str_t *value;
    wd_cidr_t *cidr;
    wd_event_conf_t *ecf = conf;

    value = cf->args->elts;
    cidr = wd_array_push(&ecf->debug_connection);

    if (cidr == NULL) {
        return WD_CONF_ERROR;
    }

    if (wd_strcmp(value[1].data, "unix:") == 0) {
        cidr->family = AF_UNIX;
        return WD_CONF_OK;
    }

    if (wd_ptocidr(&value[1], cidr) == WD_ERROR) {
        wd_conf_log_error(WD_LOG_EMERG, cf, 0, "invalid parameter \"%s\"",
                          value[1].data);
        return WD_CONF_ERROR;
    }

    return WD_CONF_OK;
#else
    wd_conf_log_error(WD_LOG_WARN, cf, 0,
                      "\"debug_connection\" is ignored, you need to rebuild "
                      "warden using --with-debug option to enable it");

    return WD_CONF_OK;
#endif
}

/* The shared counters live for the master's lifetime, so a reload does
 * not reset what stub_status reports. */
static wd_int_t
wd_event_module_init(wd_cycle_t *cycle)
{
    static wd_shm_t shm;
    wd_atomic_t **counters[] = {
        &wd_connection_counter, &wd_stat_accepted, &wd_stat_handled, &wd_stat_requests,
        &wd_stat_active, &wd_stat_reading, &wd_stat_writing,
        &wd_stat_waiting
    };
    wd_uint_t i;
    struct rlimit rlmt;
    wd_core_conf_t *ccf;
    wd_event_conf_t *ecf;

    ccf = wd_core_conf(cycle);
    ecf = wd_event_get_conf(cycle->conf_ctx, wd_event_core_module);

    if (ccf->rlimit_nofile == WD_CONF_UNSET
        && getrlimit(RLIMIT_NOFILE, &rlmt) == 0
        && rlmt.rlim_cur != RLIM_INFINITY
        && ecf->connections > (wd_uint_t) rlmt.rlim_cur)
    {
        wd_log_error(WD_LOG_WARN, cycle->log, 0,
                     "%lu worker_connections exceed open file resource "
                     "limit: %lu", (unsigned long) ecf->connections,
                     (unsigned long) rlmt.rlim_cur);
    }

    if (wd_connection_counter == NULL) {
        wd_connection_counter = &wd_local_connection_counter;
    }

    if (wd_test_config || shm.addr) {
        return WD_OK;
    }

    shm.size = wd_nelems(counters) * WD_CACHE_LINE;
    wd_str_set(&shm.name, "warden_shared_zone");
    shm.log = cycle->log;

    if (wd_shm_alloc(&shm) != WD_OK) {
        return WD_ERROR;
    }

    for (i = 0; i < wd_nelems(counters); i++) {
        *counters[i] = (wd_atomic_t *) (shm.addr + i * WD_CACHE_LINE);
    }

    *wd_connection_counter = 1;

    return WD_OK;
}

/* A connection slot for each listening socket, with the accept event. */
static wd_int_t
wd_event_listen_init(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_event_t *rev;
    wd_listening_t *ls;
    wd_connection_t *c;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].reuseport && ls[i].worker != wd_worker) {
            continue;
        }

        if (ls[i].fd == WD_INVALID_FD) {
            continue;
        }

        c = wd_get_connection(ls[i].fd, cycle->log);

        if (c == NULL) {
            return WD_ERROR;
        }

        c->log = &ls[i].log;
        c->listening = &ls[i];
        ls[i].connection = c;

        rev = c->read;
        rev->log = c->log;
        rev->accept = 1;
        rev->handler = wd_event_accept;

        if (wd_add_event(rev, !ls[i].reuseport) != WD_OK) {
            return WD_ERROR;
        }
    }

    return WD_OK;
}

static wd_int_t
wd_event_alloc_connections(wd_cycle_t *cycle)
{
    wd_uint_t i;
    wd_connection_t *c, *next;

    /* the arrays' sizes must not wrap around */
    if (cycle->connection_n == 0
        || cycle->connection_n > SIZE_MAX / sizeof(wd_connection_t))
    {
        wd_log_error(WD_LOG_EMERG, cycle->log, 0,
                     "%lu worker_connections cannot be allocated",
                     (unsigned long) cycle->connection_n);
        return WD_ERROR;
    }

    cycle->connections = wd_alloc(sizeof(wd_connection_t)
                                  * cycle->connection_n, cycle->log);
    cycle->read_events = wd_alloc(sizeof(wd_event_t) * cycle->connection_n,
                                  cycle->log);
    cycle->write_events = wd_alloc(sizeof(wd_event_t) * cycle->connection_n,
                                   cycle->log);

    if (cycle->connections == NULL || cycle->read_events == NULL
        || cycle->write_events == NULL)
    {
        return WD_ERROR;
    }

    wd_memzero(cycle->connections,
               sizeof(wd_connection_t) * cycle->connection_n);
    wd_memzero(cycle->read_events, sizeof(wd_event_t) * cycle->connection_n);
    wd_memzero(cycle->write_events, sizeof(wd_event_t) * cycle->connection_n);

    for (i = 0; i < cycle->connection_n; i++) {
        cycle->read_events[i].closed = 1;
        cycle->read_events[i].instance = 1;
        cycle->write_events[i].closed = 1;
        cycle->write_events[i].write = 1;
    }

    c = cycle->connections;
    next = NULL;
    i = cycle->connection_n;

    do {
        i--;
        c[i].data = next;
        c[i].read = &cycle->read_events[i];
        c[i].write = &cycle->write_events[i];
        c[i].fd = WD_INVALID_FD;
        next = &c[i];
    } while (i);

    cycle->free_connections = next;
    cycle->free_connection_n = cycle->connection_n;

    return WD_OK;
}

static wd_int_t
wd_event_core_init_process(wd_cycle_t *cycle)
{
    return wd_event_process_init(cycle);
}

wd_int_t
wd_event_process_init(wd_cycle_t *cycle)
{
    wd_core_conf_t *ccf;

    ccf = wd_core_conf(cycle);

    wd_queue_init(&wd_posted_accept_events);
    wd_queue_init(&wd_posted_next_events);
    wd_queue_init(&wd_posted_events);

    if (wd_event_timer_init(cycle->log) != WD_OK) {
        return WD_ERROR;
    }

    if (wd_epoll_init(cycle, ccf->timer_resolution) != WD_OK) {
        exit(2);
    }

    if (wd_event_alloc_connections(cycle) != WD_OK) {
        return WD_ERROR;
    }

    return wd_event_listen_init(cycle);
}

void
wd_process_events_and_timers(wd_cycle_t *cycle)
{
    wd_msec_t timer;

    timer = wd_event_find_timer();

    /* posted events for the next iteration: poll, do not sleep */
    if (!wd_queue_empty(&wd_posted_next_events)) {
        wd_event_move_posted_next(cycle);
        timer = 0;
    }

    (void) wd_epoll_process_events(cycle, timer);

    wd_event_process_posted(cycle, &wd_posted_accept_events);

    wd_event_expire_timers();

    wd_event_process_posted(cycle, &wd_posted_events);
}
