/*
 * worker.h — inside the executor: what executor.c (instances, spawning,
 * counters), wake.c (wakers) and worker.c (each CPU's loop: poll, find
 * work, steal, park) share.  Not for use outside sched/.
 */
#ifndef COOP_SCHED_WORKER_H
#define COOP_SCHED_WORKER_H

#include "sched/executor.h"

/* The worker whose loop runs on this CPU (NULL outside any loop).  In an
 * interrupt handler it is the worker the handler interrupted. */
extern HAL_PER_CPU __typeof__(struct worker *) sched_running
	__attribute__((visibility("hidden")));	/* no GOT load on the hot paths */

/* With one worker, it is ex->solo, and solo_here() finds out whether its
 * loop runs on this CPU with one compare. */
static inline bool solo_here(const struct executor *ex)
{
	return sched_running == &ex->solo;
}

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

static inline struct task *task_of(struct rq_node *n)
{
	return container_of(n, struct task, link);
}

/* The worker whose table holds t (where it was spawned), and t's slot there. */
static inline struct worker *home_of(struct executor *ex, const struct task *t, uint32_t *slot)
{
	*slot = t->slot >> ex->shard_bits;
	return &ex->workers[t->slot & ((1u << ex->shard_bits) - 1)];
}

/* Counters: only the worker writes its own, so no atomic instruction.  With
 * two or more workers other CPUs read them meanwhile (stat_get), so the
 * store is a relaxed atomic one; with one worker (solo, a constant where
 * this is inlined) only its own context reads them, and a plain add, one
 * instruction, does. */
static inline void stat_add(uint64_t *c, uint64_t n, bool solo)
{
	if (solo)
		*c += n;
	else
		__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline uint64_t stat_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* ---- queueing a scheduled task (its S bit set by the caller) ---------------------- */

/* One worker: tasks woken by interrupts go first, so the FIFO keeps the
 * order of the wakes. */
static inline void drain_rq_to_fifo(struct worker *w)
{
	struct rq_node *n;

	while ((n = rq_pop(&w->rq)))
		fifo_push(&w->fifo, n);
}

void worker_queue_local_shared(struct worker *w, struct task *t);
/* Two or more workers (worker.c): a task spawned by w's loop goes to a
 * parked worker if w has one to run next already; a task woken by w's loop
 * itself (not by a task it polls: the timers) to the CPU that polled it last
 * if that one is parked.  False: not handed off (the first queues it
 * locally then; for the second, the caller does). */
bool worker_queue_spawn_shared(struct worker *w, struct task *t);
bool worker_queue_to_last_cpu(struct worker *w, struct task *t);
void worker_queue_yielded_shared(struct worker *w, struct task *t);

/* Woken or spawned by w's own loop: the LIFO slot (one worker: the FIFO). */
static inline void worker_queue_local(struct worker *w, struct task *t)
{
	if (!executor_solo(w->ex)) {
		worker_queue_local_shared(w, t);
		return;
	}
	drain_rq_to_fifo(w);
	fifo_push(&w->fifo, &t->link);
}

/* Yielded, or woken during its poll: the back of w's queue. */
static inline void worker_queue_yielded(struct worker *w, struct task *t)
{
	if (!executor_solo(w->ex)) {
		worker_queue_yielded_shared(w, t);
		return;
	}
	drain_rq_to_fifo(w);
	fifo_push(&w->fifo, &t->link);
}

/* From anywhere else.  irq_here: this CPU's worker of ex, when we are an
 * interrupt handler that interrupted it, else NULL. */
void worker_queue_remote(struct executor *ex, struct worker *irq_here, struct task *t);

/* wake.c: fills in the executor's waker vtables. */
void wake_setup(struct executor *ex);
/* worker.c: ends t (its future dropped if cancelled), counted on w. */
void task_retire(struct worker *w, struct task *t, bool cancelled);

#endif
