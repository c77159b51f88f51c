/*
 * task.h — a spawned future: a 16-byte header followed by the future itself,
 * in one kmalloc block.
 *
 * Lifetime is reference counted.  References are held by the executor (until
 * the task ends), by each task_handle, and by each waker clone.  The memory
 * is freed when the last one goes, so a waker that outlives its task (a
 * "stale" waker) still points at a valid header, sees TASK_DONE, and does
 * nothing.
 *
 * What other CPUs and interrupt handlers may change is one atomic word:
 *
 *     31                       4   3   2   1   0
 *     +-------------------------+---+---+---+---+
 *     | refcount (up to 2^28-1) | C | D | N | S |
 *     +-------------------------+---+---+---+---+
 *       S scheduled  N notified  D done  C cancelled
 *
 * Everything else in the header belongs to the executor alone.
 *
 * How S and N move:
 *
 *   wake, S clear:  set S, queue the task (exactly one queue entry)
 *   wake, S set:    set N (the task is queued or being polled already)
 *   pop:            N set?  clear it: this poll answers that wake too
 *   poll PENDING:   N set?  clear N and queue again (the wake may have come
 *                           after the poll looked); else clear S: waiting
 *   poll READY:     set D and clear C in one step; later wakes do nothing
 *
 * S stays set during the poll, so the running task waking itself (a yield)
 * needs no atomic instruction: the executor notes it in a plain flag and
 * queues the task after the poll.  So a task is queued once however many
 * wakes it gets, and no wake is lost.
 *
 * C before D means "cancel requested"; with D it means "ended by a cancel".
 * A cancel that arrives while the task's last poll is running loses: the
 * poll returns READY, D is set and C cleared in the same atomic step, and the
 * task reports that it finished.
 *
 * The count saturates instead of wrapping: a count that reaches 2^27 is
 * pinned at TASK_REF_SATURATED and the task is never freed (a leak, where a
 * wrap would have freed it under its users), as Linux's refcount_t does.
 */
#ifndef COOP_SCHED_TASK_H
#define COOP_SCHED_TASK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/future.h"
#include "sched/ready_queue.h"
#include "sched/waitq.h"

#define TASK_SCHEDULED	(1u << 0)	/* queued or being polled */
#define TASK_NOTIFIED	(1u << 1)	/* woken again while scheduled */
#define TASK_DONE	(1u << 2)	/* finished or cancelled: never polled again */
#define TASK_CANCELLED	(1u << 3)	/* cancel requested / ended by a cancel */
#define TASK_REF_ONE	(1u << 4)
#define TASK_REF_MASK	(~(TASK_REF_ONE - 1))
#define TASK_REF_SATURATED (3u << 30)	/* a count past 2^27 is pinned here */

struct task {
	struct rq_node link;		/* run-queue link */
	_Atomic uint32_t state;		/* flags | refcount, as drawn above */
	uint32_t slot;			/* in the executor's task table */
	/* the task's future follows: task_future() */
};

/* 16 bytes; the executor's table adds 12 per task (task_table.h).  The
 * poll count lives in the table, the id is the slot. */
_Static_assert(sizeof(struct task) == 16, "task header must stay 16 bytes");

static inline struct future *task_future(struct task *t)
{
	return (struct future *)(t + 1);
}

static inline uint32_t task_state(const struct task *t)
{
	return atomic_load_explicit(&((struct task *)t)->state, memory_order_acquire);
}

/* Unique among the executor's live tasks; reused only after the table's
 * cursor went round (task_table.h).  Never 0. */
static inline uint32_t task_id(const struct task *t) { return t->slot + 1; }

void task_ref(struct task *t);
/* Drops a reference; frees the task with the last one.  Not from an IRQ. */
void task_unref(struct task *t);

/*
 * What spawn() returns: a reference to the task, to await (join_init),
 * cancel, or read the output from.  Release it with task_detach(); the task
 * runs on regardless.
 */
struct task_handle {
	struct task *task;	/* NULL if spawn failed (out of memory) */
	struct executor *ex;
};

void task_detach(struct task_handle *h);
/* Requests cancellation: the task is not polled again; its future's drop op
 * runs and its joiners wake.  Takes effect when the executor next runs; a
 * task that finished first (even in a poll running at this moment) stays
 * finished.  Safe from any context. */
void task_cancel(const struct task_handle *h);
bool task_is_done(const struct task_handle *h);
/* True once the task ended by a cancel (false while it still runs). */
bool task_was_cancelled(const struct task_handle *h);
/* The task's future, where its output lives.  Valid while h is held. */
static inline struct future *task_output(const struct task_handle *h)
{
	return task_future(h->task);
}

/* Awaits the end of a task (join).  READY once the task finished or was
 * cancelled; then task_was_cancelled() tells which.  *h must stay valid
 * while the join future is in use. */
struct join_future {
	struct future base;
	struct task *task;
	struct executor *ex;	/* the task's: its joiners wait there */
	struct waiter waiter;
	bool counted;		/* in ex->joins_waiting (task.c) */
};

void join_init(struct join_future *j, const struct task_handle *h);
/* Executor only: t has ended; wakes the join futures waiting for it (the
 * executor skips the call while no join waits: task.c). */
void task_wake_joiners(struct executor *ex, struct task *t);

#endif
