/*
 * The epoll event module.  Connections are registered once for both
 * directions, edge-triggered; listening and channel sockets are
 * level-triggered (listening ones with EPOLLEXCLUSIVE, so one worker
 * wakes per connection).
 */

#include <wd_event.h>

typedef struct {
    wd_uint_t events;
} wd_epoll_conf_t;

sigset_t *wd_event_wait_sigmask;

static int wd_epoll_fd = -1;
static struct epoll_event *wd_epoll_list;
static wd_uint_t wd_epoll_nevents;

static void *wd_epoll_create_conf(wd_cycle_t *cycle);
static char *wd_epoll_init_conf(wd_cycle_t *cycle, void *conf);

static wd_str_t wd_epoll_name = wd_string("epoll");

static wd_command_t wd_epoll_commands[] = {

    { wd_string("epoll_events"),
      WD_EVENT_CONF | WD_CONF_TAKE1,
      wd_conf_set_num_slot,
      0,
      offsetof(wd_epoll_conf_t, events),
      NULL },

    wd_null_command
};

static wd_event_module_t wd_epoll_module_ctx = {
    &wd_epoll_name,
    wd_epoll_create_conf,
    wd_epoll_init_conf
};

wd_module_t wd_epoll_module = {
    WD_MODULE_V1,
    &wd_epoll_module_ctx,
    wd_epoll_commands,
    WD_EVENT_MODULE,
    NULL, NULL, NULL, NULL, NULL
};

static void *
wd_epoll_create_conf(wd_cycle_t *cycle)
{
    wd_epoll_conf_t *epcf;

    epcf = wd_palloc(cycle->pool, sizeof(wd_epoll_conf_t));

    if (epcf == NULL) {
        return NULL;
    }

    epcf->events = WD_CONF_UNSET_UINT;

    return epcf;
}

static char *
wd_epoll_init_conf(wd_cycle_t *cycle, void *conf)
{
    wd_epoll_conf_t *epcf = conf;

    wd_conf_init_uint_value(epcf->events, 512);

    return WD_CONF_OK;
}

wd_int_t
wd_epoll_init(wd_cycle_t *cycle, wd_msec_t timer)
{
    wd_epoll_conf_t *epcf;

    epcf = wd_event_get_conf(cycle->conf_ctx, wd_epoll_module);

    if (wd_epoll_fd == -1) {
        wd_epoll_fd = epoll_create1(EPOLL_CLOEXEC);

        if (wd_epoll_fd == -1) {
            wd_log_error(WD_LOG_EMERG, cycle->log, wd_errno,
                         "epoll_create() failed");
            return WD_ERROR;
        }
    }

    if (wd_epoll_nevents < epcf->events) {
        if (wd_epoll_list) {
            wd_free(wd_epoll_list);
        }

        wd_epoll_list = wd_alloc(sizeof(struct epoll_event) * epcf->events,
                                 cycle->log);

        if (wd_epoll_list == NULL) {
            return WD_ERROR;
        }
    }

    wd_epoll_nevents = epcf->events;

    return WD_OK;
}

void
wd_epoll_done(wd_cycle_t *cycle)
{
    if (wd_epoll_fd != -1 && close(wd_epoll_fd) == -1) {
        wd_log_error(WD_LOG_ALERT, cycle->log, wd_errno,
                     "epoll close() failed");
    }

    wd_epoll_fd = -1;
    wd_free(wd_epoll_list);
    wd_epoll_list = NULL;
    wd_epoll_nevents = 0;
}

/* The connection pointer with the slot's instance bit in bit 0. */
static void *
wd_epoll_tag(wd_connection_t *c)
{
    return (void *) ((uintptr_t) c | c->read->instance);
}

wd_int_t
wd_add_conn(wd_connection_t *c)
{
    struct epoll_event ee;

    ee.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ee.data.ptr = wd_epoll_tag(c);

    if (epoll_ctl(wd_epoll_fd, EPOLL_CTL_ADD, c->fd, &ee) == -1) {
        wd_log_error(WD_LOG_ALERT, c->log, wd_errno,
                     "epoll_ctl(EPOLL_CTL_ADD, %d) failed", c->fd);
        return WD_ERROR;
    }

    c->read->active = 1;
    c->write->active = 1;

    return WD_OK;
}

wd_int_t
wd_del_conn(wd_connection_t *c, wd_uint_t flags)
{
    struct epoll_event ee;

    /* closing the fd removes it from the epoll set by itself */
    if (!(flags & WD_CLOSE_EVENT)) {
        ee.events = 0;
        ee.data.ptr = NULL;

        if (epoll_ctl(wd_epoll_fd, EPOLL_CTL_DEL, c->fd, &ee) == -1) {
            wd_log_error(WD_LOG_ALERT, c->log, wd_errno,
                         "epoll_ctl(EPOLL_CTL_DEL, %d) failed", c->fd);
            return WD_ERROR;
        }
    }

    c->read->active = 0;
    c->write->active = 0;

    return WD_OK;
}

wd_int_t
wd_add_event(wd_event_t *ev, wd_uint_t exclusive)
{
    wd_connection_t *c;
    struct epoll_event ee;

    c = ev->data;

    ee.events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0);
    ee.data.ptr = wd_epoll_tag(c);

    if (epoll_ctl(wd_epoll_fd, EPOLL_CTL_ADD, c->fd, &ee) == -1) {
        wd_log_error(WD_LOG_ALERT, ev->log, wd_errno,
                     "epoll_ctl(EPOLL_CTL_ADD, %d) failed", c->fd);
        return WD_ERROR;
    }

    ev->active = 1;

    return WD_OK;
}

wd_int_t
wd_del_event(wd_event_t *ev, wd_uint_t flags)
{
    wd_connection_t *c;
    struct epoll_event ee;

    c = ev->data;

    if (!(flags & WD_CLOSE_EVENT)) {
        ee.events = 0;
        ee.data.ptr = NULL;

        if (epoll_ctl(wd_epoll_fd, EPOLL_CTL_DEL, c->fd, &ee) == -1) {
            wd_log_error(WD_LOG_ALERT, ev->log, wd_errno,
                         "epoll_ctl(EPOLL_CTL_DEL, %d) failed", c->fd);
            return WD_ERROR;
        }
    }

    ev->active = 0;

    return WD_OK;
}

static void
wd_epoll_dispatch(struct epoll_event *ee)
{
    uint32_t revents;
    wd_uint_t instance;
    wd_event_t *rev, *wev;
    wd_connection_t *c;

    c = ee->data.ptr;
    instance = (uintptr_t) c & 1;
    c = (wd_connection_t *) ((uintptr_t) c & (uintptr_t) ~1);

    rev = c->read;

    /* the slot was closed, or reused, earlier in this batch */
    if (c->fd == -1 || rev->instance != instance) {
        return;
    }

    revents = ee->events;

    if (revents & (EPOLLERR | EPOLLHUP)) {
        revents |= EPOLLIN | EPOLLOUT;
    }

    if ((revents & EPOLLIN) && rev->active) {
        rev->ready = 1;
        rev->available = -1;

        if (revents & EPOLLRDHUP) {
            rev->pending_eof = 1;
        }

        rev->handler(rev);

        if (c->fd == -1 || rev->instance != instance) {
            return;
        }
    }

    wev = c->write;

    if ((revents & EPOLLOUT) && wev->active) {
        wev->ready = 1;
        wev->handler(wev);
    }
}

wd_int_t
wd_epoll_process_events(wd_cycle_t *cycle, wd_msec_t timer)
{
    int events, i;
    wd_err_t err;

    events = epoll_pwait(wd_epoll_fd, wd_epoll_list, (int) wd_epoll_nevents,
                         timer == WD_TIMER_INFINITE ? -1 : (int) timer,
                         wd_event_wait_sigmask);

    err = (events == -1) ? wd_errno : 0;

    wd_time_update();

    if (err) {
        if (err == WD_EINTR) {
            return WD_OK;
        }

        wd_log_error(WD_LOG_ALERT, cycle->log, err, "epoll_wait() failed");
        return WD_ERROR;
    }

    if (events == 0 && timer == WD_TIMER_INFINITE) {
        wd_log_error(WD_LOG_ALERT, cycle->log, 0,
                     "epoll_wait() returned no events without timeout");
        return WD_ERROR;
    }

    for (i = 0; i < events; i++) {
        wd_epoll_dispatch(&wd_epoll_list[i]);
    }

    return WD_OK;
}

wd_int_t
wd_handle_read_event(wd_event_t *rev)
{
    wd_connection_t *c;

    c = rev->data;

    if (!rev->active && !rev->ready) {
        return wd_add_conn(c);
    }

    return WD_OK;
}

wd_int_t
wd_handle_write_event(wd_event_t *wev)
{
    wd_connection_t *c;

    c = wev->data;

    if (!wev->active && !wev->ready) {
        return wd_add_conn(c);
    }

    return WD_OK;
}
