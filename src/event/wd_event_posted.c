/*
 * Posted events: handlers deferred until the current batch of I/O events
 * has been dispatched.
 */

#include <wd_event.h>

wd_queue_t wd_posted_accept_events;
wd_queue_t wd_posted_next_events;
wd_queue_t wd_posted_events;

void
wd_post_event(wd_event_t *ev, wd_queue_t *q)
{
    if (ev->posted) {
        return;
    }

    ev->posted = 1;
    wd_queue_insert_tail(q, &ev->queue);
}

void
wd_delete_posted_event(wd_event_t *ev)
{
    ev->posted = 0;
    wd_queue_remove(&ev->queue);
}

void
wd_event_process_posted(wd_cycle_t *cycle, wd_queue_t *posted)
{
    wd_queue_t *q;
    wd_event_t *ev;

    while (!wd_queue_empty(posted)) {
        q = wd_queue_head(posted);
        ev = wd_queue_data(q, wd_event_t, queue);

        wd_delete_posted_event(ev);

        ev->handler(ev);
    }
}

/* Events posted "for the next iteration" become ready now and run in
 * this one (used by rate limits that yield to other connections). */
void
wd_event_move_posted_next(wd_cycle_t *cycle)
{
    wd_queue_t *q;
    wd_event_t *ev;

    for (q = wd_queue_head(&wd_posted_next_events);
         q != wd_queue_sentinel(&wd_posted_next_events);
         q = wd_queue_next(q))
    {
        ev = wd_queue_data(q, wd_event_t, queue);
        ev->ready = 1;
        ev->available = -1;
    }

    if (wd_queue_empty(&wd_posted_next_events)) {
        return;
    }

    /* splice the whole list onto the posted queue */
    wd_posted_next_events.next->prev = wd_posted_events.prev;
    wd_posted_events.prev->next = wd_posted_next_events.next;
    wd_posted_next_events.prev->next = &wd_posted_events;
    wd_posted_events.prev = wd_posted_next_events.prev;

    wd_queue_init(&wd_posted_next_events);
}
