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
 *
 * The task may end on another CPU while a join is polled.  The end sets
 * DONE, then takes the queue's lock to wake the waiters; the join looks at
 * DONE again under that lock before it adds its waiter.  So either the join
 * sees DONE, or the end finds the waiter.
 *
 * Most tasks end unjoined, and the end should not pay for a lock to find
 * that out.  So joins that may wait are counted (ex->joins_waiting): a join
 * counts itself before it looks at DONE, an ending task sets DONE before it
 * reads the count, both sequentially consistent, so at least one sees the
 * other (the store-buffering pattern again): a zero count means no join can
 * have missed DONE, and the end skips the queue.
 */

static void stop_counting(struct join_future *j)
{
	if (j->counted)
		atomic_fetch_sub_explicit(&j->ex->joins_waiting, 1, memory_order_relaxed);
	j->counted = false;
}

static enum poll join_poll(struct future *f, struct context *cx)
{
	struct join_future *j = (struct join_future *)f;
	struct join_queue *jq;
	bool locked, done;

	if (!(task_state(j->task) & TASK_DONE)) {
		if (!j->counted)
			atomic_fetch_add_explicit(&j->ex->joins_waiting, 1, memory_order_seq_cst);
		j->counted = true;
		jq = executor_join_queue(j->ex, j->task);
		locked = sched_lock(&jq->lock);
		done = atomic_load_explicit(&j->task->state, memory_order_seq_cst) & TASK_DONE;
		if (!done)
			waitq_add(&jq->q, &j->waiter, cx->waker);
		sched_unlock(&jq->lock, locked);
		if (!done)
			return POLL_PENDING;
	}
	stop_counting(j);
	return POLL_READY;
}

/* Dropping a join stops waiting; it does not cancel the task. */
static void join_drop(struct future *f)
{
	struct join_future *j = (struct join_future *)f;
	struct join_queue *jq = executor_join_queue(j->ex, j->task);
	bool locked = sched_lock(&jq->lock);

	waitq_remove(&j->waiter);
	sched_unlock(&jq->lock, locked);
	stop_counting(j);
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

enum { JOIN_BATCH = 8 };

/* A batch at a time: the wakes begin under the lock and end after it.  The
 * executor calls this only when joins_waiting is not zero. */
void task_wake_joiners(struct executor *ex, struct task *t)
{
	struct join_queue *jq = executor_join_queue(ex, t);
	struct waker w[JOIN_BATCH];
	unsigned n;

	do {
		bool locked = sched_lock(&jq->lock);
		n = waitq_wake_if(&jq->q, joins_task, t, locked, w, JOIN_BATCH);
		sched_unlock(&jq->lock, locked);
		waitq_wake_end(w, n);
	} while (n == JOIN_BATCH);
}
