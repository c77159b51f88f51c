/*
 * ready_queue.h — the executor's two run queues.
 *
 * struct ready_queue: an intrusive, lock-free, unbounded multi-producer
 * single-consumer FIFO (Dmitry Vyukov's design), for wakes that come from
 * interrupt handlers and other host threads.
 *
 * struct run_fifo: a plain linked FIFO that only the executor touches (from
 * its own loop, never from an interrupt), for wakes it does itself: spawns,
 * yields, one task waking another.  It needs no atomic instructions at all.
 *
 * A node is in at most one queue at a time, so both use the same link.
 *
 * Producers of the ready_queue (interrupt handlers, other threads) call
 * rq_push(), which is wait-free: one atomic exchange and one store, no loop,
 * no allocation, so it can never fail, block, or lose a wake.  The single
 * consumer is the executor.
 *
 * Between a producer's exchange and its store, the queue is briefly "in
 * flight": rq_pop() returns NULL although rq_is_empty() is false.  On one CPU
 * that window never reaches the consumer (the interrupted producer is the
 * executor itself); with real threads the consumer spins until it closes.
 */
#ifndef COOP_SCHED_READY_QUEUE_H
#define COOP_SCHED_READY_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct rq_node {
	struct rq_node *_Atomic next;
};

struct ready_queue {
	struct rq_node *_Atomic head;	/* producers: newest node */
	struct rq_node *tail;		/* consumer: oldest node */
	struct rq_node stub;		/* keeps the list non-empty */
};

void rq_init(struct ready_queue *q);
/* Any context, any thread.  n must not already be in the queue. */
void rq_push(struct ready_queue *q, struct rq_node *n);
/* The same for a chain first .. last already linked through ->next: one
 * exchange for all of them. */
void rq_push_chain(struct ready_queue *q, struct rq_node *first, struct rq_node *last);
struct rq_node *rq_pop_slow(struct ready_queue *q);
/* Consumer only.  NULL when empty or while a push is in flight. */
static inline struct rq_node *rq_pop(struct ready_queue *q)
{
	/* Inline, the usual case: nothing was pushed since the last pop. */
	if (q->tail == &q->stub && !atomic_load_explicit(&q->stub.next, memory_order_acquire))
		return NULL;
	return rq_pop_slow(q);
}
/* Consumer only.  True only if nothing is queued or being queued. */
bool rq_is_empty(struct ready_queue *q);

struct run_fifo {
	struct rq_node *head, *tail;	/* oldest, newest; NULL when empty */
};

static inline void fifo_init(struct run_fifo *f) { f->head = f->tail = NULL; }
static inline bool fifo_is_empty(const struct run_fifo *f) { return f->head == NULL; }

/* The link is an atomic type for the ready_queue's sake; relaxed accesses
 * compile to plain loads and stores. */
static inline void fifo_push(struct run_fifo *f, struct rq_node *n)
{
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	if (f->tail)
		atomic_store_explicit(&f->tail->next, n, memory_order_relaxed);
	else
		f->head = n;
	f->tail = n;
}

static inline struct rq_node *fifo_pop(struct run_fifo *f)
{
	struct rq_node *n = f->head;

	if (n) {
		f->head = atomic_load_explicit(&n->next, memory_order_relaxed);
		if (!f->head)
			f->tail = NULL;
	}
	return n;
}

#endif
