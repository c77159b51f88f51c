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
	struct waiter *rev = NULL, *w = q->first;

	/* Reverse to oldest-first, so waiters run in the order they waited. */
	q->first = NULL;
	while (w) {
		struct waiter *next = w->next;
		w->next = rev;
		rev = w;
		w = next;
	}
	while (rev) {
		struct waiter *next = rev->next;
		struct waker wk = rev->waker;

		/* Waking drops the waiter's reference to its task, which may
		 * free the memory holding *rev: finish with it first. */
		rev->pprev = NULL;
		rev->waker.vtable = NULL;
		waker_wake(&wk);
		rev = next;
	}
}
