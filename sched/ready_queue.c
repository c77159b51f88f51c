/*
 * ready_queue.c — lock-free intrusive MPSC queue (Vyukov).
 *
 * The list runs from tail (oldest) to head (newest).  A permanent stub node
 * means producers never see an empty list, so a push is just "swing head to
 * me, then link the old head to me".  The consumer re-inserts the stub when it
 * is about to take the last real node, so that node can be handed out while
 * the list stays non-empty.
 *
 * Memory ordering: the exchange is acq_rel so that a node's fields written
 * before rq_push() (n->next = NULL, the task state) are visible to whoever
 * follows the link; the link store is release and the consumer's loads of
 * ->next are acquire, which publishes the node to the consumer.
 */
#include "sched/ready_queue.h"

#include <stddef.h>

void rq_init(struct ready_queue *q)
{
	atomic_store_explicit(&q->stub.next, NULL, memory_order_relaxed);
	atomic_store_explicit(&q->head, &q->stub, memory_order_relaxed);
	q->tail = &q->stub;
}

void rq_push_chain(struct ready_queue *q, struct rq_node *first, struct rq_node *last)
{
	struct rq_node *prev;

	atomic_store_explicit(&last->next, NULL, memory_order_relaxed);
	prev = atomic_exchange_explicit(&q->head, last, memory_order_acq_rel);
	/* The in-flight window: head is last, but prev does not link to the
	 * chain yet.  The release store also publishes the chain's own links. */
	atomic_store_explicit(&prev->next, first, memory_order_release);
}

void rq_push(struct ready_queue *q, struct rq_node *n)
{
	rq_push_chain(q, n, n);
}

static struct rq_node *next_of(struct rq_node *n)
{
	return atomic_load_explicit(&n->next, memory_order_acquire);
}

struct rq_node *rq_pop_slow(struct ready_queue *q)
{
	struct rq_node *tail = q->tail, *next = next_of(tail);

	if (tail == &q->stub) {		/* skip the stub */
		if (!next)
			return NULL;
		q->tail = next;
		tail = next;
		next = next_of(next);
	}
	if (next) {
		q->tail = next;
		return tail;
	}
	/* tail is the last linked node.  If head moved on, a push is in
	 * flight: its link will appear shortly. */
	if (tail != atomic_load_explicit(&q->head, memory_order_acquire))
		return NULL;
	/* Put the stub behind tail, so tail can leave without emptying the
	 * list. */
	rq_push(q, &q->stub);
	next = next_of(tail);
	if (next) {
		q->tail = next;
		return tail;
	}
	return NULL;
}

bool rq_is_empty(struct ready_queue *q)
{
	return q->tail == &q->stub && !next_of(&q->stub) &&
	       atomic_load_explicit(&q->head, memory_order_acquire) == &q->stub;
}
