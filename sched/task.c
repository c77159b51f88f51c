/*
 * task.c — task references, handles and the join future.
 * Scheduling (wake, poll, completion) is in executor.c.
 */
#include "sched/task.h"

#include "mm/heap.h"
#include "sched/executor.h"

/* Bit 31 set: the count has passed 2^27, far from any real use. */
#define REF_TOO_MANY (1u << 31)

/* Pins the count at TASK_REF_SATURATED, keeping the flags.  Other CPUs may
 * move the count meanwhile; it stays in the saturated range (2^26 from
 * either edge), as refcount_t does. */
static void saturate(struct task *t)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(
		&t->state, &old, (old & ~TASK_REF_MASK) | TASK_REF_SATURATED,
		memory_order_relaxed, memory_order_relaxed))
		;
}

void task_ref(struct task *t)
{
	uint32_t old = atomic_fetch_add_explicit(&t->state, TASK_REF_ONE, memory_order_relaxed);

	if (__builtin_expect(old >= REF_TOO_MANY, 0))
		saturate(t);
}

void task_unref(struct task *t)
{
	uint32_t old = atomic_fetch_sub_explicit(&t->state, TASK_REF_ONE,
						 memory_order_acq_rel);
	if (__builtin_expect(old >= REF_TOO_MANY, 0))
		saturate(t);	/* saturated: never freed */
	else if ((old & TASK_REF_MASK) == TASK_REF_ONE)
		kfree(t);
}

void task_detach(struct task_handle *h)
{
	if (h->task)
		task_unref(h->task);
	h->task = NULL;
}

void task_cancel(const struct task_handle *h)
{
	struct task *t = h->task;
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed);

	do {
		if (old & TASK_DONE)
			return;	/* finished first: it stays finished */
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, old | TASK_CANCELLED,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	/* The executor finishes it the next time it comes off the queue. */
	executor_wake_task(h->ex, h->task);
}

bool task_is_done(const struct task_handle *h)
{
	return task_state(h->task) & TASK_DONE;
}

bool task_was_cancelled(const struct task_handle *h)
{
	return (task_state(h->task) & (TASK_DONE | TASK_CANCELLED)) ==
	       (TASK_DONE | TASK_CANCELLED);
}

/* ---- join ---------------------------------------------------------------
 *
 * Few tasks are ever joined, so the wait queue is not in every task header:
 * join futures wait in a small hash table of queues in the task's executor,
 * keyed by task slot (Linux's wait_on_bit() does the same), and an ending task
 * wakes only the waiters that name it.
 */

static enum poll join_poll(struct future *f, struct context *cx)
{
	struct join_future *j = (struct join_future *)f;

	if (task_state(j->task) & TASK_DONE)
		return POLL_READY;
	/* Joiners are woken by the executor when the task ends (same thread as
	 * this poll), so there is no window between the check and the add. */
	waitq_add(executor_join_queue(j->ex, j->task), &j->waiter, cx->waker);
	return POLL_PENDING;
}

/* Dropping a join stops waiting; it does not cancel the task. */
static void join_drop(struct future *f)
{
	waitq_remove(&((struct join_future *)f)->waiter);
}

static const struct future_ops join_ops = {
	.name = "join", .poll = join_poll, .drop = join_drop,
};

void join_init(struct join_future *j, const struct task_handle *h)
{
	*j = (struct join_future){ .base = { &join_ops }, .task = h->task, .ex = h->ex };
}

static bool joins_task(const struct waiter *w, const void *task)
{
	return container_of(w, struct join_future, waiter)->task == task;
}

void task_wake_joiners(struct executor *ex, struct task *t)
{
	struct waitq *q = executor_join_queue(ex, t);

	if (!waitq_is_empty(q))
		waitq_wake_if(q, joins_task, t);
}
