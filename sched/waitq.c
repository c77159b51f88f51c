/*
 * waitq.c — see waitq.h.  A circular doubly linked list through the queue's
 * own link, so adding at the back, taking from the front and removing from
 * anywhere are all O(1).
 */
#include "sched/waitq.h"

#include <stddef.h>

void waitq_init(struct waitq *q)
{
	q->head.next = q->head.prev = &q->head;
}

void waitq_add(struct waitq *q, struct waiter *w, const struct waker *waker)
{
	if (waiter_linked(w))
		return;
	if (!q->head.next)
		waitq_init(q);
	w->waker = *waker;
	w->woken = false;
	w->link.prev = q->head.prev;
	w->link.next = &q->head;
	q->head.prev->next = &w->link;
	q->head.prev = &w->link;
}

void waitq_unlink(struct waiter *w)
{
	w->link.prev->next = w->link.next;
	w->link.next->prev = w->link.prev;
	w->link.next = w->link.prev = NULL;
}

void waitq_remove(struct waiter *w)
{
	if (waiter_linked(w))
		waitq_unlink(w);
}

static struct waiter *waiter_of(struct wait_link *l)
{
	return container_of(l, struct waiter, link);
}

unsigned waitq_wake_if(struct waitq *q, bool (*match)(const struct waiter *w, const void *key),
		       const void *key, bool locked, struct waker *out, unsigned max)
{
	struct wait_link *l, *next;
	unsigned n = 0;

	if (waitq_is_empty(q))
		return 0;
	for (l = q->head.next; l != &q->head && n < max; l = next) {
		next = l->next;
		if (match && !match(waiter_of(l), key))
			continue;
		waitq_unlink(waiter_of(l));
		out[n++] = waitq_wake_waiter(waiter_of(l), locked);
	}
	return n;
}
