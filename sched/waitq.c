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

static void unlink(struct waiter *w)
{
	w->link.prev->next = w->link.next;
	w->link.next->prev = w->link.prev;
	w->link.next = w->link.prev = NULL;
}

void waitq_remove(struct waiter *w)
{
	if (waiter_linked(w))
		unlink(w);
}

static struct waiter *waiter_of(struct wait_link *l)
{
	return container_of(l, struct waiter, link);
}

/* Unlinked already. */
static void wake(struct waiter *w)
{
	w->woken = true;
	waker_wake_by_ref(&w->waker);
}

bool waitq_wake_one(struct waitq *q)
{
	struct waiter *w;

	if (waitq_is_empty(q))
		return false;
	w = waiter_of(q->head.next);
	unlink(w);
	wake(w);
	return true;
}

void waitq_wake_all(struct waitq *q)
{
	waitq_wake_if(q, NULL, NULL);
}

void waitq_wake_if(struct waitq *q, bool (*match)(const struct waiter *w, const void *key),
		   const void *key)
{
	struct wait_link woken = { &woken, &woken }, *l, *next;

	if (waitq_is_empty(q))
		return;
	/* Move the matches to a private list first, in order: a wake may run
	 * code that adds to this queue again. */
	for (l = q->head.next; l != &q->head; l = next) {
		next = l->next;
		if (match && !match(waiter_of(l), key))
			continue;
		l->prev->next = l->next;
		l->next->prev = l->prev;
		l->prev = woken.prev;
		l->next = &woken;
		woken.prev->next = l;
		woken.prev = l;
	}
	while (woken.next != &woken) {
		struct waiter *w = waiter_of(woken.next);

		woken.next = w->link.next;
		w->link.next = w->link.prev = NULL;
		wake(w);
	}
}
