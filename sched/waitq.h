/*
 * waitq.h — a list of waiting futures, each with the waker to call.
 *
 * The nodes live inside the waiting futures' own state (no allocation), as in
 * Linux wait queues.  Each node owns a cloned waker, i.e. a reference to the
 * task that contains it, so a node can never outlive its memory even if its
 * task is cancelled without unlinking it.
 *
 * Executor context only (tasks, kernel_main): not for interrupt handlers,
 * which use atomic_waker instead.
 */
#ifndef COOP_SCHED_WAITQ_H
#define COOP_SCHED_WAITQ_H

#include <stdbool.h>

#include "sched/future.h"

struct waiter {
	struct waiter *next;
	struct waiter **pprev;	/* NULL while not linked */
	struct waker waker;
};

struct waitq {
	struct waiter *first;	/* newest first; woken oldest first */
};

static inline bool waiter_linked(const struct waiter *w) { return w->pprev != NULL; }

/* Links w (if not linked yet) with a clone of *waker. */
void waitq_add(struct waitq *q, struct waiter *w, const struct waker *waker);
/* Unlinks w if linked, dropping its waker. */
void waitq_remove(struct waiter *w);
/* Unlinks every waiter and wakes them in the order they were added. */
void waitq_wake_all(struct waitq *q);
/* The same for just the waiters for which match(w, key) is true: lets one
 * queue be shared by waiters for different events (see join in task.c). */
void waitq_wake_if(struct waitq *q, bool (*match)(const struct waiter *w, const void *key),
		   const void *key);

#endif
