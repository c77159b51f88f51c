/*
 * timer.h — sleep_ms() and deadline futures on a tick-driven timer queue.
 *
 * Time is a millisecond counter.  The timer interrupt calls
 * executor_timer_tick(ex, now_ms) (through sched_timer_tick()) when the
 * earliest deadline has come; with a timer_clock (the kernel's) the queue
 * also reads `now` from the clock and arms the interrupt for the earliest
 * deadline only.  The tick is O(1): it stores `now` and compares it with
 * the earliest deadline, nothing more.
 * When a deadline has passed it raises a flag; the executor then pops the
 * expired entries from a binary min-heap (O(log n) each) and wakes them.
 * So 100,000 sleepers cost a tick the same as one.
 *
 * Each entry belongs to a timer_node inside the waiting future (the sleep),
 * which holds the waker and the entry's position in the heap, so a future that
 * is dropped before its deadline removes its entry at once (O(log n)).  The
 * heap array is the only storage the queue owns; it doubles when full and
 * halves when three quarters empty.
 *
 * Entries with equal deadlines fire in the order they were added.  A deadline
 * of TIMER_NEVER never fires: sleeps that long do not enter the queue at all.
 *
 * One queue serves all the executor's CPUs.  Any of them may add, remove or
 * run expired entries (a sleep armed on one CPU may be dropped on another);
 * while other CPUs run, the heap is under the queue's lock, and the wakes of
 * expired entries happen after it is released.  The tick may come from any
 * CPU's timer interrupt: it only touches the atomics.  Whichever worker sees
 * `due` first runs the expired entries; the others skip them.
 */
#ifndef COOP_SCHED_TIMER_H
#define COOP_SCHED_TIMER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/future.h"
#include "sched/lock.h"

#define TIMER_NEVER UINT64_MAX
#define TIMER_IDLE UINT32_MAX	/* timer_node.index when not queued */

struct timer_queue;

/* Lives in the waiting future; must not move while queued.  Its fields
 * belong to the queue's lock while it is queued. */
struct timer_node {
	struct waker waker;		/* a clone, while queued */
	struct timer_queue *tq;		/* where it is queued */
	uint32_t index;			/* heap position, or TIMER_IDLE */
};

struct timer_slot {
	uint64_t deadline;
	uint64_t seq;			/* tie-break: FIFO among equal deadlines */
	struct timer_node *node;
};

/*
 * Where a queue's time comes from.  Without one (host tests), `now` is what
 * the last timerq_tick() said.  With one (the kernel), `now` is read from
 * the clock, and arm() asks for a timer interrupt at the earliest deadline
 * each time that changes: the timer is tickless, quiet while nothing is due.
 */
struct timer_clock {
	uint64_t (*now_ms)(void);
	void (*arm)(uint64_t deadline_ms);	/* UINT64_MAX: no deadline */
};

struct timer_queue {
	struct sched_lock lock;		/* the heap, while other CPUs run */
	struct timer_slot *heap;	/* min-heap on (deadline, seq) */
	uint32_t len, cap;
	uint64_t next_seq;
	_Atomic uint64_t now_ms;	/* written by the tick (IRQ) */
	_Atomic uint64_t earliest;	/* heap[0].deadline, or TIMER_NEVER */
	_Atomic bool due;		/* tick saw now >= earliest */
	const struct timer_clock *clock;	/* NULL: ticks are the clock */
	uint64_t armed_ms;		/* the deadline last passed to clock->arm */
};

void timerq_init(struct timer_queue *tq);
/* Drops every pending entry's waker and frees the heap. */
void timerq_destroy(struct timer_queue *tq);
/* IRQ-safe, O(1).  now_ms must not go backwards.  True if this tick made
 * an entry due (then someone must run the queue: executor_timer_tick). */
bool timerq_tick(struct timer_queue *tq, uint64_t now_ms);
static inline bool timerq_due(struct timer_queue *tq)
{
	return atomic_load_explicit(&tq->due, memory_order_acquire);
}
static inline uint64_t timerq_now(struct timer_queue *tq)
{
	if (tq->clock)
		return tq->clock->now_ms();
	return atomic_load_explicit(&tq->now_ms, memory_order_acquire);
}
/* Executor context: takes `now` from clock and arms it (see timer_clock). */
void timerq_set_clock(struct timer_queue *tq, const struct timer_clock *clock);
/* Executor context.  Wakes (in deadline order) every entry that expired.
 * Returns at once if another CPU is doing it. */
void timerq_run_expired(struct timer_queue *tq);
/* Executor context.  Queues node (not queued yet) with a clone of *waker;
 * false if out of memory. */
bool timerq_add(struct timer_queue *tq, struct timer_node *node, uint64_t deadline,
		const struct waker *waker);
/* Executor context.  Takes node out of its queue, if it is in one, and drops
 * its waker. */
void timerq_remove(struct timer_node *node);
/* Only where nothing else can touch the queue (tests). */
static inline bool timer_queued(const struct timer_node *n) { return n->index != TIMER_IDLE; }
static inline uint32_t timerq_len(const struct timer_queue *tq) { return tq->len; }

/* A future that becomes READY once the executor's clock reaches a deadline.
 * Dropping it before then removes its timer. */
struct sleep_future {
	struct future base;
	uint64_t ms;		/* the delay (sleep_ms), until the first poll */
	uint64_t deadline;	/* TIMER_NEVER: never */
	bool started;		/* deadline fixed */
	bool armed;		/* the timer was added (it may have fired since) */
	struct timer_node timer;
};

/* Sleeps for ms milliseconds, counted from the first poll.  A delay that
 * would pass the end of the clock means forever. */
void sleep_ms_init(struct sleep_future *f, uint64_t ms);
/* Sleeps until the executor's clock reads at least deadline_ms. */
void sleep_until_init(struct sleep_future *f, uint64_t deadline_ms);

#endif
