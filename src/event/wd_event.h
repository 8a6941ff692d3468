/*
 * The event layer: events, connections, timers, posted events, the epoll
 * loop, accepting, and the I/O function table the OS layer fills in.
 */

#ifndef WD_EVENT_H
#define WD_EVENT_H

#include <wd_core.h>

struct wd_event_s {
    void *data;                 /* the connection */
    wd_event_handler_pt handler;

    unsigned write:1;
    unsigned accept:1;
    unsigned instance:1;        /* detects stale epoll events of a reused
                                   connection slot */
    unsigned active:1;          /* registered with epoll */
    unsigned ready:1;           /* I/O may proceed without blocking */
    unsigned eof:1;
    unsigned error:1;
    unsigned timedout:1;
    unsigned timer_set:1;
    unsigned delayed:1;         /* held back by a rate limit */
    unsigned pending_eof:1;     /* EPOLLRDHUP seen */
    unsigned posted:1;
    unsigned closed:1;
    unsigned cancelable:1;      /* its timer need not delay shutdown */
    unsigned channel:1;

    int available;              /* bytes known readable, -1 unknown */

    wd_log_t *log;
    wd_rbtree_node_t timer;
    wd_queue_t queue;           /* in a posted list */
};

typedef ssize_t (*wd_recv_pt)(wd_connection_t *c, u_char *buf, size_t size);
typedef ssize_t (*wd_send_pt)(wd_connection_t *c, u_char *buf, size_t size);
/* Sends up to limit bytes of the chain; returns what is left to send. */
typedef wd_chain_t *(*wd_send_chain_pt)(wd_connection_t *c, wd_chain_t *in,
    off_t limit);

typedef struct {
    wd_recv_pt recv;
    wd_send_pt send;
    wd_send_chain_pt send_chain;
} wd_os_io_t;

/* Filled in by the OS layer at start-up. */
extern wd_os_io_t wd_io;

#define WD_ERROR_ALERT 0
#define WD_ERROR_ERR 1
#define WD_ERROR_INFO 2
#define WD_ERROR_IGNORE_ECONNRESET 3
#define WD_ERROR_IGNORE_EINVAL 4

#define WD_TCP_NODELAY_UNSET 0
#define WD_TCP_NODELAY_SET 1
#define WD_TCP_NODELAY_DISABLED 2
#define WD_TCP_NOPUSH_UNSET 0
#define WD_TCP_NOPUSH_SET 1
#define WD_TCP_NOPUSH_DISABLED 2

struct wd_connection_s {
    void *data;                 /* the protocol's state */
    wd_event_t *read;
    wd_event_t *write;

    wd_fd_t fd;

    wd_recv_pt recv;
    wd_send_pt send;
    wd_send_chain_pt send_chain;

    wd_listening_t *listening;

    off_t sent;

    wd_log_t *log;
    wd_pool_t *pool;

    struct sockaddr *sockaddr;
    socklen_t socklen;
    wd_str_t addr_text;

    struct sockaddr *local_sockaddr;
    socklen_t local_socklen;

    /* what the PROXY protocol header said, if it gave addresses */
    wd_proxy_protocol_t *proxy_protocol;

    wd_buf_t *buffer;

    wd_queue_t queue;           /* in the reusable list */

    wd_uint_t number;
    wd_msec_t start_time;
    wd_uint_t requests;

    unsigned buffered:8;
    unsigned log_error:3;       /* WD_ERROR_* */
    unsigned timedout:1;
    unsigned error:1;
    unsigned destroyed:1;
    unsigned idle:1;
    unsigned reusable:1;
    unsigned close:1;
    unsigned shared:1;
    unsigned sendfile:1;
    unsigned tcp_nodelay:2;
    unsigned tcp_nopush:2;
    unsigned need_last_buf:1;
};

/* The event core module's conf ("events { }"). */
typedef struct {
    wd_uint_t connections;
    wd_uint_t use;
    wd_flag_t multi_accept;
    wd_flag_t accept_mutex;
    wd_msec_t accept_mutex_delay;
    wd_array_t debug_connection;    /* wd_cidr_t */
} wd_event_conf_t;

#define WD_EVENT_MODULE 0x544E5645  /* "EVNT" */
#define WD_EVENT_CONF 0x02000000

typedef struct {
    wd_str_t *name;
    void *(*create_conf)(wd_cycle_t *cycle);
    char *(*init_conf)(wd_cycle_t *cycle, void *conf);
} wd_event_module_t;

extern wd_module_t wd_events_module;
extern wd_module_t wd_event_core_module;
extern wd_uint_t wd_event_flags;
extern wd_uint_t wd_accept_disabled;
/* Numbers connections ("*N" in logs) across all workers. */
extern wd_atomic_t *wd_connection_counter;
/* Counters shared by all workers (stub_status), in shared memory. */
extern wd_atomic_t *wd_stat_accepted;
extern wd_atomic_t *wd_stat_handled;
extern wd_atomic_t *wd_stat_requests;
extern wd_atomic_t *wd_stat_active;
extern wd_atomic_t *wd_stat_reading;
extern wd_atomic_t *wd_stat_writing;
extern wd_atomic_t *wd_stat_waiting;

#define wd_event_get_conf(conf_ctx, module)                                   \
    (*(wd_get_conf(conf_ctx, wd_events_module)))[module.ctx_index]

/* The worker's loop: one epoll wait, expired timers, posted events. */
void wd_process_events_and_timers(wd_cycle_t *cycle);

/* Event registration (epoll, edge-triggered). */
wd_int_t wd_epoll_init(wd_cycle_t *cycle, wd_msec_t timer);
void wd_epoll_done(wd_cycle_t *cycle);
/* Registers fd for both directions once; events are edge-triggered. */
wd_int_t wd_add_conn(wd_connection_t *c);
wd_int_t wd_del_conn(wd_connection_t *c, wd_uint_t flags);
/* Level-triggered readiness for listening and channel sockets. */
wd_int_t wd_add_event(wd_event_t *ev, wd_uint_t exclusive);
wd_int_t wd_del_event(wd_event_t *ev, wd_uint_t flags);
wd_int_t wd_epoll_process_events(wd_cycle_t *cycle, wd_msec_t timer);
/* Signals blocked elsewhere are taken only while waiting, with this mask
 * (set by the process loop; NULL keeps the current mask). */
extern sigset_t *wd_event_wait_sigmask;

#define WD_CLOSE_EVENT 1        /* the fd is about to be closed */

/* With edge triggering there is nothing to re-arm; these exist so that
 * callers state their intent and are kept for symmetry with nginx. */
wd_int_t wd_handle_read_event(wd_event_t *rev);
wd_int_t wd_handle_write_event(wd_event_t *wev);

/* Timers, kept in a red-black tree by expiry. */
#define WD_TIMER_INFINITE (wd_msec_t) - 1
#define WD_TIMER_LAZY_DELAY 300

wd_int_t wd_event_timer_init(wd_log_t *log);
wd_msec_t wd_event_find_timer(void);
void wd_event_expire_timers(void);
/* Whether only cancelable timers remain (graceful shutdown may end). */
wd_uint_t wd_event_no_timers_left(void);
void wd_event_del_timer(wd_event_t *ev);
void wd_event_add_timer(wd_event_t *ev, wd_msec_t timer);

/* Posted events run after the current batch of I/O events. */
extern wd_queue_t wd_posted_accept_events;
extern wd_queue_t wd_posted_next_events;
extern wd_queue_t wd_posted_events;

void wd_post_event(wd_event_t *ev, wd_queue_t *q);
void wd_delete_posted_event(wd_event_t *ev);
void wd_event_process_posted(wd_cycle_t *cycle, wd_queue_t *posted);
void wd_event_move_posted_next(wd_cycle_t *cycle);

/* Accepting (wd_event_accept.c). */
void wd_event_accept(wd_event_t *ev);
/* Makes a connection of socket s as if accepted on ls (registers it with
 * epoll); the caller then runs ls->handler.  Any connected, non-blocking
 * socket will do: fuzzers and tests pass one end of a socketpair. */
wd_connection_t *wd_event_new_connection(wd_listening_t *ls, wd_fd_t s,
    struct sockaddr *sa, socklen_t socklen, wd_log_t *log);
wd_int_t wd_enable_accept_events(wd_cycle_t *cycle);
wd_int_t wd_disable_accept_events(wd_cycle_t *cycle);

/* Connections (wd_connection.c). */
wd_connection_t *wd_get_connection(wd_fd_t s, wd_log_t *log);
void wd_free_connection(wd_connection_t *c);
void wd_close_connection(wd_connection_t *c);
void wd_close_idle_connections(wd_cycle_t *cycle);
/* Marks an idle keep-alive connection as one that may be closed when
 * the worker runs out of connections. */
void wd_reusable_connection(wd_connection_t *c, wd_uint_t reusable);
wd_int_t wd_connection_local_sockaddr(wd_connection_t *c, wd_str_t *s,
    wd_uint_t port);
wd_int_t wd_tcp_nodelay(wd_connection_t *c);
wd_int_t wd_tcp_push_cork(wd_connection_t *c);
/* Logs a socket error at the level the connection asks for. */
wd_int_t wd_connection_error(wd_connection_t *c, wd_err_t err,
    const char *text);

/* Sets up a worker's connections, events and listening sockets. */
wd_int_t wd_event_process_init(wd_cycle_t *cycle);

#include <wd_event_connect.h>

#endif /* WD_EVENT_H */
