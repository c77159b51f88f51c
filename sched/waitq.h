/*
 * waitq.h — a FIFO of waiting futures, each with the waker to call.
 *
 * The nodes live inside the waiting futures' own state (no allocation), as in
 * Linux wait queues.  A node keeps a copy of its task's waker without taking
 * a reference: the node is inside the task, and the future that linked it
 * unlinks it when it completes or is dropped (the drop contract of future.h,
 * which ASYNC_FN's drop glue keeps for async functions), so while it is
 * linked its task is alive.  That saves two atomic instructions per wait
 * (clone, then drop), the largest part of a channel round trip.  The waker
 * must stay valid while linked; a task's waker is.
 *
 * Waiters are woken oldest first.  A waiter that is woken is unlinked and
 * marked `woken`: the wake is owed to it until its future is polled.  A
 * future that is dropped while a wake is owed to it passes the wake on
 * (see channel.c), so waking one waiter per event never loses an event.
 *
 * Executor context only (tasks, kernel_main): not for interrupt handlers,
 * which use atomic_waker instead.  The queue has no lock of its own: its
 * owner (a channel, the join queues) holds its lock around every call while
 * other CPUs run, and says so (`locked`).  Then a wake is in two halves
 * (future.h): the calls below unlink the waiters and begin their wakes under
 * the lock, and the caller ends them with waker_wake_end() once it has
 * unlocked.  With no lock held (one CPU) the wake happens at once, and
 * waker_wake_end() has nothing left to do.
 */
#ifndef COOP_SCHED_WAITQ_H
#define COOP_SCHED_WAITQ_H

#include <stdbool.h>

#include "sched/future.h"

struct wait_link {
	struct wait_link *next, *prev;
};

struct waiter {
	struct wait_link link;	/* next == NULL while not linked */
	struct waker waker;
	bool woken;		/* unlinked by a wake it has not answered yet */
};

/* A circular list through a sentinel.  All zero is a valid empty queue. */
struct waitq {
	struct wait_link head;
};

static inline bool waiter_linked(const struct waiter *w) { return w->link.next != NULL; }
static inline bool waitq_is_empty(const struct waitq *q)
{
	return q->head.next == NULL || q->head.next == &q->head;
}

void waitq_init(struct waitq *q);
/* Links w at the back (if not linked yet) with a copy of *waker. */
void waitq_add(struct waitq *q, struct waiter *w, const struct waker *waker);
/* Unlinks w if linked. */
void waitq_remove(struct waiter *w);
void waitq_unlink(struct waiter *w);

/* Wakes w (unlinked already), or begins to (locked). */
static inline struct waker waitq_wake_waiter(struct waiter *w, bool locked)
{
	w->woken = true;
	if (locked)
		return waker_wake_begin(&w->waker);
	waker_wake_by_ref(&w->waker);
	return (struct waker){ 0 };
}

/* Wakes the oldest waiter, or begins to (locked); the result goes to
 * waker_wake_end() (vtable NULL: nothing left to do, or no waiter).
 * Inline: with `locked` a constant false, the single-CPU case compiles to
 * the plain wake. */
static inline struct waker waitq_wake_one(struct waitq *q, bool locked)
{
	struct waiter *w;

	if (waitq_is_empty(q))
		return (struct waker){ 0 };
	w = container_of(q->head.next, struct waiter, link);
	waitq_unlink(w);
	return waitq_wake_waiter(w, locked);
}
/* The same for the oldest `max` waiters for which match(w, key) is true
 * (all of them if match is NULL), in the order they were added, into out[];
 * returns how many.  A key lets one queue be shared by waiters for
 * different events (see join in task.c). */
unsigned waitq_wake_if(struct waitq *q, bool (*match)(const struct waiter *w, const void *key),
		       const void *key, bool locked, struct waker *out, unsigned max);
/* Ends the wakes begun into w[0 .. n-1]. */
static inline void waitq_wake_end(struct waker *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		waker_wake_end(&w[i]);
}

#endif
