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
 * which use atomic_waker instead.
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
/* Wakes the oldest waiter.  False if there was none. */
bool waitq_wake_one(struct waitq *q);
/* Unlinks every waiter and wakes them in the order they were added. */
void waitq_wake_all(struct waitq *q);
/* The same for just the waiters for which match(w, key) is true: lets one
 * queue be shared by waiters for different events (see join in task.c). */
void waitq_wake_if(struct waitq *q, bool (*match)(const struct waiter *w, const void *key),
		   const void *key);

#endif
