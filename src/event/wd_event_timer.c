/*
 * Timers: a red-black tree keyed by expiry time in milliseconds.
 */

#include <wd_event.h>

static wd_rbtree_t wd_event_timer_rbtree;
static wd_rbtree_node_t wd_event_timer_sentinel;

wd_int_t
wd_event_timer_init(wd_log_t *log)
{
    wd_rbtree_init(&wd_event_timer_rbtree, &wd_event_timer_sentinel,
                   wd_rbtree_insert_timer_value);

    return WD_OK;
}

/* Milliseconds to the nearest timer, or WD_TIMER_INFINITE. */
wd_msec_t
wd_event_find_timer(void)
{
    wd_msec_int_t timer;
    wd_rbtree_node_t *node, *root, *sentinel;

    if (wd_event_timer_rbtree.root == &wd_event_timer_sentinel) {
        return WD_TIMER_INFINITE;
    }

    root = wd_event_timer_rbtree.root;
    sentinel = wd_event_timer_rbtree.sentinel;

    node = wd_rbtree_min(root, sentinel);

    timer = (wd_msec_int_t) (node->key - wd_current_msec);

    return (wd_msec_t) (timer > 0 ? timer : 0);
}

void
wd_event_expire_timers(void)
{
    wd_event_t *ev;
    wd_rbtree_node_t *node, *root, *sentinel;

    sentinel = wd_event_timer_rbtree.sentinel;

    for (;;) {
        root = wd_event_timer_rbtree.root;

        if (root == sentinel) {
            return;
        }

        node = wd_rbtree_min(root, sentinel);

        if ((wd_msec_int_t) (node->key - wd_current_msec) > 0) {
            return;
        }

        ev = (wd_event_t *) ((char *) node - offsetof(wd_event_t, timer));

        wd_rbtree_delete(&wd_event_timer_rbtree, &ev->timer);

        ev->timer_set = 0;
        ev->timedout = 1;

        ev->handler(ev);
    }
}

wd_uint_t
wd_event_no_timers_left(void)
{
    wd_event_t *ev;
    wd_rbtree_node_t *node, *root, *sentinel;

    sentinel = wd_event_timer_rbtree.sentinel;
    root = wd_event_timer_rbtree.root;

    if (root == sentinel) {
        return 1;
    }

    for (node = wd_rbtree_min(root, sentinel); node;
         node = wd_rbtree_next(&wd_event_timer_rbtree, node))
    {
        ev = (wd_event_t *) ((char *) node - offsetof(wd_event_t, timer));

        if (!ev->cancelable) {
            return 0;
        }
    }

    return 1;
}

void
wd_event_del_timer(wd_event_t *ev)
{
    if (!ev->timer_set) {
        return;
    }

    wd_rbtree_delete(&wd_event_timer_rbtree, &ev->timer);
    ev->timer_set = 0;
}

/* Re-arming a timer that would move by less than WD_TIMER_LAZY_DELAY ms
 * keeps the old one: most timers are pushed back on every read, and the
 * tree operations would cost more than the precision is worth. */
void
wd_event_add_timer(wd_event_t *ev, wd_msec_t timer)
{
    wd_msec_t key;
    wd_msec_int_t diff;

    key = wd_current_msec + timer;

    if (ev->timer_set) {
        diff = (wd_msec_int_t) (key - ev->timer.key);

        if (wd_abs(diff) < WD_TIMER_LAZY_DELAY) {
            return;
        }

        wd_event_del_timer(ev);
    }

    ev->timer.key = key;

    wd_rbtree_insert(&wd_event_timer_rbtree, &ev->timer);

    ev->timer_set = 1;
}
