/*
 * Executor semantics: wakes queue a task once, in FIFO order; pending tasks
 * are never polled without a wake; yields are fair; spawn from tasks; join
 * and cancel; the task listing.  Each case uses its own executor instance,
 * so the suite also runs in-kernel beside the kernel's executor.
 */
#include "test/ktest/ktest.h"

#include "sched/async.h"
#include "sched/executor.h"

KTEST_SUITE(sched_executor);

/* A log of which task ran, in order. */
static int run_log[64];
static unsigned run_len;

static void log_run(int who)
{
	if (run_len < 64)
		run_log[run_len++] = who;
}

/* Parks until `release` is set; keeps a clone of its waker for the test.
 * Written by hand (no async macros) to show the raw poll contract. */
struct parked {
	struct future base;
	int who;
	unsigned polls;
	bool release;
	struct waker waker;
};

static enum poll parked_poll(struct future *f, struct context *cx)
{
	struct parked *p = (struct parked *)f;

	p->polls++;
	log_run(p->who);
	if (p->release)
		return POLL_READY;
	if (!waker_is_set(&p->waker))
		p->waker = waker_clone(cx->waker);
	return POLL_PENDING;
}

static void parked_drop(struct future *f)
{
	waker_drop(&((struct parked *)f)->waker);
}

static const struct future_ops parked_ops = {
	.name = "parked", .poll = parked_poll, .drop = parked_drop,
};

static struct task_handle spawn_parked(struct executor *ex, int who)
{
	struct parked p = { .base = { &parked_ops }, .who = who };
	return spawn_on(ex, &p.base, sizeof(p));
}

static struct parked *parked_of(struct task_handle *h)
{
	return (struct parked *)task_output(h);
}

KTEST(sched_executor, many_wakes_queue_once)
{
	struct executor ex;
	executor_setup(&ex);
	struct task_handle h = spawn_parked(&ex, 1);
	ASSERT_NOT_NULL(h.task);
	executor_run_until_idle(&ex);
	EXPECT_EQ(parked_of(&h)->polls, 1);

	uint64_t wakes_before = executor_stats(&ex).wakes;
	for (int i = 0; i < 5; i++)
		waker_wake_by_ref(&parked_of(&h)->waker);
	executor_run_until_idle(&ex);
	EXPECT_EQ(executor_stats(&ex).wakes - wakes_before, 1);
	EXPECT_EQ(parked_of(&h)->polls, 2);

	parked_of(&h)->release = true;
	waker_wake_by_ref(&parked_of(&h)->waker);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_is_done(&h));
	EXPECT_FALSE(task_was_cancelled(&h));
	waker_drop(&parked_of(&h)->waker);
	task_detach(&h);
	executor_teardown(&ex);
}

KTEST(sched_executor, pending_task_is_never_polled_without_a_wake)
{
	struct executor ex;
	executor_setup(&ex);
	struct task_handle h = spawn_parked(&ex, 1);
	for (int i = 0; i < 10; i++)
		executor_run_until_idle(&ex);
	EXPECT_EQ(parked_of(&h)->polls, 1);
	EXPECT_EQ(executor_stats(&ex).polls, 1);
	task_cancel(&h);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_was_cancelled(&h));
	EXPECT_EQ(parked_of(&h)->polls, 1);	/* cancelled tasks are not polled */
	task_detach(&h);
	executor_teardown(&ex);
}

KTEST(sched_executor, wakes_run_in_wake_order)
{
	struct executor ex;
	struct task_handle h[3];
	executor_setup(&ex);
	for (int i = 0; i < 3; i++)
		h[i] = spawn_parked(&ex, i);
	executor_run_until_idle(&ex);
	run_len = 0;
	waker_wake_by_ref(&parked_of(&h[2])->waker);
	waker_wake_by_ref(&parked_of(&h[0])->waker);
	waker_wake_by_ref(&parked_of(&h[2])->waker);	/* already queued */
	waker_wake_by_ref(&parked_of(&h[1])->waker);
	executor_run_until_idle(&ex);
	ASSERT_EQ(run_len, 3);
	EXPECT_EQ(run_log[0], 2);
	EXPECT_EQ(run_log[1], 0);
	EXPECT_EQ(run_log[2], 1);
	for (int i = 0; i < 3; i++)
		task_detach(&h[i]);
	executor_teardown(&ex);	/* cancels them; parked_drop drops the wakers */
}

/* Yields three times, logging each poll. */
struct yielder {
	ASYNC_STATE;
	int who, i;
};

ASYNC_FN(yielder, struct yielder)
{
	ASYNC_BEGIN();
	for (self->i = 0; self->i < 3; self->i++) {
		log_run(self->who);
		YIELD();
	}
	log_run(self->who);
	ASYNC_END();
}

KTEST(sched_executor, yield_goes_behind_ready_tasks)
{
	struct executor ex;
	executor_setup(&ex);
	run_len = 0;
	for (int i = 0; i < 3; i++) {
		struct yielder y = { ASYNC_INIT(yielder), .who = i };
		EXPECT_NE(spawn_detached_on(&ex, &y.base, sizeof(y)), 0);
	}
	executor_run_until_idle(&ex);
	ASSERT_EQ(run_len, 12);
	for (unsigned i = 0; i < 12; i++)
		EXPECT_EQ(run_log[i], (int)(i % 3));	/* round robin */
	EXPECT_EQ(executor_stats(&ex).completed, 3);
	EXPECT_EQ(executor_stats(&ex).live, 0);
	executor_teardown(&ex);
}

/* A child that computes something; its parent spawns and joins it. */
struct child {
	ASYNC_STATE;
	int in, out;
};

ASYNC_FN(child, struct child)
{
	ASYNC_BEGIN();
	YIELD();
	self->out = self->in * 2;
	ASYNC_END();
}

struct parent {
	ASYNC_STATE;
	struct task_handle h;
	struct join_future join;
	int result;
	uint32_t my_id;
};

ASYNC_FN(parent, struct parent)
{
	ASYNC_BEGIN();
	self->my_id = task_id(sched_current_task());
	struct child c = { ASYNC_INIT(child), .in = 21 };
	self->h = SPAWN(c);	/* onto the executor running us */
	join_init(&self->join, &self->h);
	AWAIT(&self->join);
	self->result = ((struct child *)task_output(&self->h))->out;
	task_detach(&self->h);
	ASYNC_END();
}

KTEST(sched_executor, spawn_inside_task_and_join)
{
	struct executor ex;
	executor_setup(&ex);
	struct parent p = { ASYNC_INIT(parent) };
	struct task_handle h = spawn_on(&ex, &p.base, sizeof(p));
	EXPECT_NULL(sched_current_task());
	executor_run_until_idle(&ex);
	ASSERT_TRUE(task_is_done(&h));
	struct parent *out = (struct parent *)task_output(&h);
	EXPECT_EQ(out->result, 42);
	EXPECT_EQ(out->my_id, task_id(h.task));
	EXPECT_EQ(executor_stats(&ex).spawned, 2);
	EXPECT_EQ(executor_stats(&ex).completed, 2);
	task_detach(&h);
	executor_teardown(&ex);
}

/* Joins a task given to it; records whether it was cancelled. */
struct joiner {
	ASYNC_STATE;
	struct task_handle target;
	struct join_future join;
	int saw_cancelled;
};

ASYNC_FN(joiner, struct joiner)
{
	ASYNC_BEGIN();
	join_init(&self->join, &self->target);
	AWAIT(&self->join);
	self->saw_cancelled = task_was_cancelled(&self->target);
	ASYNC_END();
}

KTEST(sched_executor, cancel_wakes_joiners_and_drops_the_future)
{
	struct executor ex;
	executor_setup(&ex);
	struct task_handle victim = spawn_parked(&ex, 7);
	struct joiner j = { ASYNC_INIT(joiner), .target = victim };
	struct task_handle jh = spawn_on(&ex, &j.base, sizeof(j));
	executor_run_until_idle(&ex);
	EXPECT_FALSE(task_is_done(&jh));
	EXPECT_TRUE(waker_is_set(&parked_of(&victim)->waker));

	task_cancel(&victim);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_is_done(&victim));
	EXPECT_TRUE(task_was_cancelled(&victim));
	EXPECT_FALSE(waker_is_set(&parked_of(&victim)->waker));	/* drop op ran */
	ASSERT_TRUE(task_is_done(&jh));
	EXPECT_EQ(((struct joiner *)task_output(&jh))->saw_cancelled, 1);
	EXPECT_EQ(executor_stats(&ex).cancelled, 1);

	task_cancel(&jh);	/* already finished: stays finished */
	EXPECT_FALSE(task_was_cancelled(&jh));
	task_detach(&victim);
	task_detach(&jh);
	executor_teardown(&ex);
}

static void count_task(const struct task_info *info, void *arg)
{
	unsigned *seen = arg;
	if (ktest_str_equal(info->name, "parked") && info->state == TASK_WAITING &&
	    info->polls == 1)
		seen[0]++;
	if (ktest_str_equal(info->name, "yielder") && info->state == TASK_READY &&
	    info->polls == 0)
		seen[1]++;
}

KTEST(sched_executor, listing_shows_live_tasks)
{
	struct executor ex;
	unsigned seen[2] = { 0, 0 };
	executor_setup(&ex);
	struct task_handle a = spawn_parked(&ex, 0), b = spawn_parked(&ex, 1);
	executor_run_until_idle(&ex);
	struct yielder y = { ASYNC_INIT(yielder) };
	uint32_t yid = spawn_detached_on(&ex, &y.base, sizeof(y));
	EXPECT_EQ(yid, task_id(b.task) + 1);
	sched_for_each_task(&ex, count_task, seen);
	EXPECT_EQ(seen[0], 2);
	EXPECT_EQ(seen[1], 1);
	EXPECT_EQ(executor_stats(&ex).live, 3);
	EXPECT_STREQ(task_run_state_name(TASK_WAITING), "waiting");
	task_detach(&a);
	task_detach(&b);
	executor_teardown(&ex);
	EXPECT_EQ(executor_stats(&ex).live, 0);
}
