/*
 * worker.h — inside the executor: what executor.c (tasks: spawn, wake,
 * poll, end) and worker.c (each CPU's loop: find work, steal, park) share.
 * Not for use outside sched/.
 */
#ifndef COOP_SCHED_WORKER_H
#define COOP_SCHED_WORKER_H

#include "sched/executor.h"

/* The worker whose loop runs on this CPU (NULL outside any loop).  In an
 * interrupt handler it is the worker the handler interrupted. */
extern HAL_PER_CPU __typeof__(struct worker *) sched_running;

/* This CPU's worker of ex, if its loop runs here and we are not in an
 * interrupt handler: then the worker's plain fields are ours to use. */
static inline struct worker *worker_here(const struct executor *ex)
{
	struct worker *w = sched_running;

	return w && w->ex == ex && !hal_in_interrupt() ? w : NULL;
}

static inline struct task *worker_current(const struct worker *w)
{
	return atomic_load_explicit(&((struct worker *)w)->current, memory_order_relaxed);
}

static inline bool executor_solo(const struct executor *ex) { return ex->nworkers == 1; }

/* Counters: only the worker writes its own, so no atomic instruction. */
static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* Queues a scheduled task (its S bit set by the caller) ... */
/* ... woken or spawned by w's own loop: the LIFO slot (one worker: the FIFO). */
void worker_queue_local(struct worker *w, struct task *t);
/* ... that yielded, or was woken during its poll: the back of w's queue. */
void worker_queue_yielded(struct worker *w, struct task *t);
/* ... from anywhere else.  `irq_here`: this CPU's worker of ex, when we are
 * an interrupt handler that interrupted it, else NULL. */
void worker_queue_remote(struct executor *ex, struct worker *irq_here, struct task *t);

/* executor.c: polls t on w (w's loop). */
void task_poll(struct worker *w, struct task *t);

#endif
