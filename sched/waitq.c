/*
 * waitq.c — see waitq.h.  An hlist (head pointer plus `pprev`), so the head
 * costs one word and removal is O(1).
 */
#include "sched/waitq.h"

#include <stddef.h>

void waitq_add(struct waitq *q, struct waiter *w, const struct waker *waker)
{
	if (waiter_linked(w))
		return;
	w->waker = waker_clone(waker);
	w->next = q->first;
	if (w->next)
		w->next->pprev = &w->next;
	q->first = w;
	w->pprev = &q->first;
}

void waitq_remove(struct waiter *w)
{
	if (!waiter_linked(w))
		return;
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	w->pprev = NULL;
	waker_drop(&w->waker);
}

void waitq_wake_all(struct waitq *q)
{
	waitq_wake_if(q, NULL, NULL);
}

void waitq_wake_if(struct waitq *q, bool (*match)(const struct waiter *w, const void *key),
		   const void *key)
{
	struct waiter *woken = NULL, *w, *next;

	/* Unlink the matches onto a private list.  The queue is newest first,
	 * so pushing each onto `woken` leaves them oldest first: waiters run
	 * in the order they waited. */
	for (w = q->first; w; w = next) {
		next = w->next;
		if (match && !match(w, key))
			continue;
		*w->pprev = next;
		if (next)
			next->pprev = w->pprev;
		w->pprev = NULL;
		w->next = woken;
		woken = w;
	}
	while (woken) {
		struct waker wk = woken->waker;

		/* Waking drops the waiter's reference to its task, which may
		 * free the memory holding *woken: finish with it first. */
		next = woken->next;
		woken->waker.vtable = NULL;
		waker_wake(&wk);
		woken = next;
	}
}
