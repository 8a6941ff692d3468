/*
 * Intrusive doubly-linked circular queues: a wd_queue_t member inside the
 * element links it; the head is a wd_queue_t of its own.
 */

#ifndef WD_QUEUE_H
#define WD_QUEUE_H

typedef struct wd_queue_s wd_queue_t;

struct wd_queue_s {
    wd_queue_t *prev;
    wd_queue_t *next;
};

#define wd_queue_init(q)                                                       \
    (q)->prev = q;                                                             \
    (q)->next = q

#define wd_queue_empty(h) (h == (h)->prev)

#define wd_queue_insert_head(h, x)                                             \
    (x)->next = (h)->next;                                                     \
    (x)->next->prev = x;                                                       \
    (x)->prev = h;                                                             \
    (h)->next = x

#define wd_queue_insert_tail(h, x)                                             \
    (x)->prev = (h)->prev;                                                     \
    (x)->prev->next = x;                                                       \
    (x)->next = h;                                                             \
    (h)->prev = x

#define wd_queue_head(h) (h)->next
#define wd_queue_last(h) (h)->prev
#define wd_queue_sentinel(h) (h)
#define wd_queue_next(q) (q)->next
#define wd_queue_prev(q) (q)->prev

#define wd_queue_remove(x)                                                     \
    (x)->next->prev = (x)->prev;                                               \
    (x)->prev->next = (x)->next

/* The element that holds the link q as its member named link. */
#define wd_queue_data(q, type, link)                                           \
    (type *) ((u_char *) q - offsetof(type, link))

#endif /* WD_QUEUE_H */
