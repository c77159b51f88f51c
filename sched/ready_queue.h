/*
 * ready_queue.h — the executor's run queue: an intrusive, lock-free,
 * unbounded multi-producer single-consumer FIFO (Dmitry Vyukov's design).
 *
 * Producers (wakers: tasks, interrupt handlers, other host threads) call
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
/* Consumer only.  NULL when empty or while a push is in flight. */
struct rq_node *rq_pop(struct ready_queue *q);
/* Consumer only.  True only if nothing is queued or being queued. */
bool rq_is_empty(struct ready_queue *q);

#endif
