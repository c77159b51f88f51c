/*
 * task.h — a spawned future: a 32-byte header followed by the future itself,
 * in one kmalloc block.
 *
 * Lifetime is reference counted.  References are held by the executor (while
 * the task is alive, or sitting in the ready queue), by each task_handle, and
 * by each waker clone.  The memory is freed when the last one goes, so a waker
 * that outlives its task (a "stale" waker) still points at a valid header,
 * sees TASK_DONE, and does nothing.
 *
 * The whole scheduling state is one atomic word, so a wake is a single
 * compare-and-swap and a poll starts with a single fetch-add:
 *
 *     63            32 31         8 7        0
 *     +---------------+------------+----------+
 *     |  poll count   |  refcount  |  flags   |
 *     +---------------+------------+----------+
 */
#ifndef COOP_SCHED_TASK_H
#define COOP_SCHED_TASK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/future.h"
#include "sched/ready_queue.h"
#include "sched/waitq.h"

#define TASK_QUEUED	(1ull << 0)	/* in the ready queue: a wake is pending */
#define TASK_DONE	(1ull << 1)	/* finished or cancelled: never polled again */
#define TASK_CANCELLED	(1ull << 2)	/* cancel requested */
#define TASK_REF_ONE	(1ull << 8)
#define TASK_REF_MASK	(0xffffffull << 8)
#define TASK_POLL_ONE	(1ull << 32)

struct task {
	struct rq_node link;		/* ready-queue link */
	_Atomic uint64_t state;		/* flags | refcount | poll count */
	struct waitq joiners;		/* join futures waiting for the end */
	uint32_t id;			/* unique per executor, never 0 */
	uint32_t slot;			/* index in the executor's task table */
	/* the task's future follows: task_future() */
};

/* The executor's per-task cost (the budget is 32 bytes). */
_Static_assert(sizeof(struct task) == 32, "task header must stay 32 bytes");

static inline struct future *task_future(struct task *t)
{
	return (struct future *)(t + 1);
}

static inline uint64_t task_state(const struct task *t)
{
	return atomic_load_explicit(&((struct task *)t)->state, memory_order_acquire);
}

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
 * task that already finished stays finished.  Safe from any context. */
void task_cancel(const struct task_handle *h);
bool task_is_done(const struct task_handle *h);
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
	struct waiter waiter;
};

void join_init(struct join_future *j, const struct task_handle *h);

#endif
