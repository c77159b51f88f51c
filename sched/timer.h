/*
 * timer.h — sleep_ms() and deadline futures on a tick-driven timer queue.
 *
 * Time is a millisecond counter fed by executor_timer_tick(ex, now_ms), which
 * the PIT interrupt calls (through sched_timer_tick()).  The tick is O(1): it
 * stores `now` and compares it with the earliest deadline, nothing more.
 * When a deadline has passed it raises a flag; the executor then pops the
 * expired entries from a binary min-heap (O(log n) each) and wakes them.
 * So 100,000 sleepers cost a tick the same as one.
 *
 * Entries with equal deadlines fire in the order they were added.
 */
#ifndef COOP_SCHED_TIMER_H
#define COOP_SCHED_TIMER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/future.h"

struct timer_entry {
	uint64_t deadline;
	uint64_t seq;		/* tie-break: FIFO among equal deadlines */
	struct waker waker;
};

struct timer_queue {
	struct timer_entry *heap;	/* min-heap on (deadline, seq) */
	uint32_t len, cap;
	uint64_t next_seq;
	_Atomic uint64_t now_ms;	/* written by the tick (IRQ) */
	_Atomic uint64_t earliest;	/* heap[0].deadline, or UINT64_MAX */
	_Atomic bool due;		/* tick saw now >= earliest */
};

void timerq_init(struct timer_queue *tq);
/* Drops every pending entry's waker and frees the heap. */
void timerq_destroy(struct timer_queue *tq);
/* IRQ-safe, O(1).  now_ms must not go backwards. */
void timerq_tick(struct timer_queue *tq, uint64_t now_ms);
static inline bool timerq_due(struct timer_queue *tq)
{
	return atomic_load_explicit(&tq->due, memory_order_acquire);
}
static inline uint64_t timerq_now(struct timer_queue *tq)
{
	return atomic_load_explicit(&tq->now_ms, memory_order_acquire);
}
/* Executor context.  Wakes (in deadline order) every entry that expired. */
void timerq_run_expired(struct timer_queue *tq);
/* Executor context.  Registers a clone of *waker; false if out of memory. */
bool timerq_add(struct timer_queue *tq, uint64_t deadline, const struct waker *waker);
static inline uint32_t timerq_len(const struct timer_queue *tq) { return tq->len; }

/* A future that becomes READY once the executor's clock reaches a deadline. */
struct sleep_future {
	struct future base;
	uint64_t deadline;
	uint64_t delay;		/* sleep_ms: deadline = now + delay at first poll;
				 * UINT64_MAX once the deadline is fixed */
	bool armed;		/* registered in the timer queue */
};

/* Sleeps for ms milliseconds, counted from the first poll. */
void sleep_ms_init(struct sleep_future *f, uint64_t ms);
/* Sleeps until the executor's clock reads at least deadline_ms. */
void sleep_until_init(struct sleep_future *f, uint64_t deadline_ms);

#endif
