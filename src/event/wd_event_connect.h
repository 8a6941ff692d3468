/*
 * Outgoing connections: a peer chosen by a balancer, and a non-blocking
 * connect() to it registered with the event loop.
 */

#ifndef WD_EVENT_CONNECT_H
#define WD_EVENT_CONNECT_H

/* What the balancer learnt about a peer, passed back to free(). */
#define WD_PEER_KEEPALIVE 1
#define WD_PEER_NEXT 2
#define WD_PEER_FAILED 4

typedef struct wd_peer_connection_s wd_peer_connection_t;

/* Picks a peer into pc->sockaddr/socklen/name: WD_OK, WD_BUSY (every
 * peer is down or full), WD_DONE (pc->connection is a cached one), or
 * WD_ERROR. */
typedef wd_int_t (*wd_event_get_peer_pt)(wd_peer_connection_t *pc,
    void *data);
/* Gives the peer back; state is a mask of WD_PEER_*. */
typedef void (*wd_event_free_peer_pt)(wd_peer_connection_t *pc, void *data,
    wd_uint_t state);
/* Called once a new connection is up, to tell the balancer about it. */
typedef void (*wd_event_notify_peer_pt)(wd_peer_connection_t *pc,
    void *data, wd_uint_t type);

struct wd_peer_connection_s {
    wd_connection_t *connection;

    struct sockaddr *sockaddr;
    socklen_t socklen;
    wd_str_t *name;             /* "127.0.0.1:8080", for logs */

    wd_uint_t tries;            /* peers still allowed for this request */
    wd_msec_t start_time;

    wd_event_get_peer_pt get;
    wd_event_free_peer_pt free;
    wd_event_notify_peer_pt notify;
    void *data;

    wd_addr_t *local;           /* proxy_bind */

    int rcvbuf;
    int type;                   /* SOCK_STREAM */

    wd_log_t *log;

    unsigned cached:1;          /* pc->connection came from a cache */
    unsigned transparent:1;
    unsigned so_keepalive:1;
    unsigned down:1;            /* no peer is up: WD_BUSY means 503 */
    unsigned log_error:2;       /* WD_ERROR_* for the new connection */
};

/* Opens a socket and starts connecting to pc's peer, which pc->get picks
 * first.  WD_OK: connected; WD_AGAIN: in progress (wait for a write
 * event); WD_BUSY: no live peer; WD_DECLINED: this peer failed at once
 * (connection refused, ...), try the next; WD_DONE: a cached connection;
 * WD_ERROR: a local failure. */
wd_int_t wd_event_connect_peer(wd_peer_connection_t *pc);

/* The get handler of a single fixed address (pc->data unused). */
wd_int_t wd_event_get_peer(wd_peer_connection_t *pc, void *data);

#endif /* WD_EVENT_CONNECT_H */
