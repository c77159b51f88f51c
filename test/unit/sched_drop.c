/*
 * Cancellation and drop: what a cancelled task leaves behind (nothing), what
 * a task that finished reports (finished), and the limits of the primitives:
 * "never" sleeps, join_all past 64 children, channel wakes that stay linear.
 * Each case is the scenario of a defect found in review (issue 10).
 */
#include "test/ktest/ktest.h"

#include "sched/async.h"
#include "sched/byte_stream.h"
#include "sched/channel.h"
#include "sched/combinators.h"
#include "sched/executor.h"

KTEST_SUITE(sched_drop);

/* ---- a cancel during the last poll ------------------------------------------ */

static struct task_handle self_cancel_handle;

/* Cancels itself during its poll, then finishes anyway. */
struct self_canceller {
	ASYNC_STATE;
	int output;
	int drops;
};

ASYNC_FN(self_canceller, struct self_canceller)
{
	ASYNC_BEGIN();
	task_cancel(&self_cancel_handle);
	self->output = 42;
	ASYNC_END();
}

KTEST(sched_drop, cancel_during_last_poll_reports_completed)
{
	struct executor ex;
	executor_setup(&ex);
	struct self_canceller s = { ASYNC_INIT(self_canceller) };
	self_cancel_handle = spawn_on(&ex, &s.base, sizeof(s));
	ASSERT_NOT_NULL(self_cancel_handle.task);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_is_done(&self_cancel_handle));
	EXPECT_FALSE(task_was_cancelled(&self_cancel_handle));
	EXPECT_EQ(((struct self_canceller *)task_output(&self_cancel_handle))->output, 42);
	EXPECT_EQ(executor_stats(&ex).completed, 1);
	EXPECT_EQ(executor_stats(&ex).cancelled, 0);
	task_detach(&self_cancel_handle);
	executor_teardown(&ex);
}

/* ---- cancelling an async function mid-await ------------------------------------ */

struct waits_on_channel {
	ASYNC_STATE;
	struct channel *ch;
	int item;
	struct chan_recv_future recv;
};

ASYNC_FN(waits_on_channel, struct waits_on_channel)
{
	ASYNC_BEGIN();
	chan_recv_init(&self->recv, self->ch, &self->item);
	AWAIT(&self->recv);
	ASYNC_END();
}

KTEST(sched_drop, cancelled_async_fn_leaves_no_waiter)
{
	struct executor ex;
	struct channel ch;
	executor_setup(&ex);
	ASSERT_TRUE(chan_init(&ch, sizeof(int), 1));
	struct waits_on_channel w = { ASYNC_INIT(waits_on_channel), .ch = &ch };
	struct task_handle h = spawn_on(&ex, &w.base, sizeof(w));
	executor_run_until_idle(&ex);
	EXPECT_FALSE(waitq_is_empty(&ch.receivers));
	task_cancel(&h);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_was_cancelled(&h));
	EXPECT_TRUE(waitq_is_empty(&ch.receivers));	/* the awaited recv was dropped */
	task_detach(&h);
	chan_destroy(&ch);
	executor_teardown(&ex);
}

/* Waiting on an interrupt-fed stream: the task's waker sits in the
 * stream's atomic-waker slot, with a reference to the task. */
struct waits_on_stream {
	ASYNC_STATE;
	struct byte_stream *s;
	struct byte_stream_wait wait;
};

ASYNC_FN(waits_on_stream, struct waits_on_stream)
{
	ASYNC_BEGIN();
	byte_stream_wait_init(&self->wait, self->s);
	AWAIT(&self->wait);
	ASYNC_END();
}

KTEST(sched_drop, cancelled_stream_reader_empties_the_waker_slot)
{
	static uint8_t buf[16];
	static struct byte_stream stream;
	struct executor ex;
	executor_setup(&ex);
	ASSERT_TRUE(byte_stream_init(&stream, buf, sizeof buf));
	struct waits_on_stream w = { ASYNC_INIT(waits_on_stream), .s = &stream };
	struct task_handle h = spawn_on(&ex, &w.base, sizeof(w));
	executor_run_until_idle(&ex);
	EXPECT_TRUE(waker_is_set(&stream.reader.waker));
	task_cancel(&h);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_was_cancelled(&h));
	EXPECT_FALSE(waker_is_set(&stream.reader.waker));
	EXPECT_EQ((task_state(h.task) & TASK_REF_MASK) / TASK_REF_ONE, 1);	/* the handle's */
	task_detach(&h);
	atomic_waker_destroy(&stream.reader);
	executor_teardown(&ex);
}

/* An async function that sleeps, nested as a select loser. */
struct naps {
	ASYNC_STATE;
	struct sleep_future nap;
};

ASYNC_FN(naps, struct naps)
{
	ASYNC_BEGIN();
	sleep_ms_init(&self->nap, 1000);
	AWAIT(&self->nap);
	ASYNC_END();
}

/* select(async fn awaiting a channel, async fn sleeping, yield) per round:
 * the yield wins, both async functions are dropped as losers. */
struct select_loop {
	ASYNC_STATE;
	struct channel *ch;
	int rounds;
	struct waits_on_channel waiter;
	struct naps napper;
	struct yield_future y;
	struct future *futs[3];
	struct select_future sel;
};

ASYNC_FN(select_loop, struct select_loop)
{
	ASYNC_BEGIN();
	for (; self->rounds > 0; self->rounds--) {
		self->waiter = (struct waits_on_channel){ ASYNC_INIT(waits_on_channel),
							  .ch = self->ch };
		self->napper = (struct naps){ ASYNC_INIT(naps) };
		yield_now_init(&self->y);
		self->futs[0] = &self->waiter.base;
		self->futs[1] = &self->napper.base;
		self->futs[2] = &self->y.base;
		select_init(&self->sel, self->futs, 3);
		AWAIT(&self->sel);
	}
	ASYNC_END();
}

KTEST(sched_drop, select_losers_that_are_async_fns_unregister)
{
	enum { ROUNDS = 1000 };
	struct executor ex;
	struct channel ch;
	executor_setup(&ex);
	ASSERT_TRUE(chan_init(&ch, sizeof(int), 1));
	struct select_loop l = { ASYNC_INIT(select_loop), .ch = &ch, .rounds = ROUNDS };
	struct task_handle h = spawn_on(&ex, &l.base, sizeof(l));
	executor_run_until_idle(&ex);
	ASSERT_TRUE(task_is_done(&h));
	EXPECT_TRUE(waitq_is_empty(&ch.receivers));
	EXPECT_EQ(timerq_len(executor_timers(&ex)), 0);	/* one per round before */
	EXPECT_EQ((task_state(h.task) & TASK_REF_MASK) / TASK_REF_ONE, 1);	/* the handle's */
	task_detach(&h);
	chan_destroy(&ch);
	executor_teardown(&ex);
}

/* ---- sleeps ---------------------------------------------------------------------- */

/* select(yield, sleep) in a loop: the sleep loses every round. */
struct sleep_loser {
	ASYNC_STATE;
	int rounds;
	struct sleep_future nap;
	struct yield_future y;
	struct future *futs[2];
	struct select_future sel;
};

ASYNC_FN(sleep_loser, struct sleep_loser)
{
	ASYNC_BEGIN();
	for (; self->rounds > 0; self->rounds--) {
		sleep_ms_init(&self->nap, 50);
		yield_now_init(&self->y);
		self->futs[0] = &self->nap.base;
		self->futs[1] = &self->y.base;
		select_init(&self->sel, self->futs, 2);
		AWAIT(&self->sel);
	}
	ASYNC_END();
}

KTEST(sched_drop, dropped_sleep_removes_its_timer)
{
	enum { ROUNDS = 20000 };
	struct executor ex;
	executor_setup(&ex);
	struct sleep_loser s = { ASYNC_INIT(sleep_loser), .rounds = ROUNDS };
	struct task_handle h = spawn_on(&ex, &s.base, sizeof(s));
	executor_run_until_idle(&ex);
	ASSERT_TRUE(task_is_done(&h));
	EXPECT_EQ(timerq_len(executor_timers(&ex)), 0);
	EXPECT_LE(executor_timers(&ex)->cap, 16);	/* storage given back */
	task_detach(&h);
	executor_teardown(&ex);
}

struct long_sleeper {
	ASYNC_STATE;
	uint64_t ms;
	struct sleep_future nap;
};

ASYNC_FN(long_sleeper, struct long_sleeper)
{
	ASYNC_BEGIN();
	sleep_ms_init(&self->nap, self->ms);
	AWAIT(&self->nap);
	ASYNC_END();
}

KTEST(sched_drop, huge_sleeps_never_end)
{
	static const uint64_t ms[] = { UINT64_MAX, UINT64_MAX - 1, UINT64_MAX / 2 + 1 };
	struct task_handle h[3];
	struct executor ex;
	executor_setup(&ex);
	executor_timer_tick(&ex, 5);
	for (int i = 0; i < 3; i++) {
		struct long_sleeper s = { ASYNC_INIT(long_sleeper), .ms = ms[i] };
		h[i] = spawn_on(&ex, &s.base, sizeof(s));
	}
	executor_run_until_idle(&ex);
	executor_timer_tick(&ex, UINT64_MAX / 2);
	executor_run_until_idle(&ex);
	for (int i = 0; i < 3; i++) {
		EXPECT_FALSE(task_is_done(&h[i]));
		task_detach(&h[i]);
	}
	executor_teardown(&ex);
}

/* ---- join_all past 64 children --------------------------------------------------- */

struct counted {
	struct future base;
	unsigned polls;
};

static enum poll counted_poll(struct future *f, struct context *cx)
{
	struct counted *c = (struct counted *)f;

	if (c->polls++ == 0) {
		waker_wake_by_ref(cx->waker);
		return POLL_PENDING;
	}
	return POLL_READY;
}

static const struct future_ops counted_ops = { .name = "counted", .poll = counted_poll };

enum { MANY = 100 };

struct many_joiner {
	ASYNC_STATE;
	struct counted kids[MANY];
	struct future *futs[MANY];
	struct join_all_future all;
};

ASYNC_FN(many_joiner, struct many_joiner)
{
	ASYNC_BEGIN();
	for (int i = 0; i < MANY; i++) {
		self->kids[i] = (struct counted){ .base = { &counted_ops } };
		self->futs[i] = &self->kids[i].base;
	}
	join_all_init(&self->all, self->futs, MANY);
	AWAIT(&self->all);
	ASYNC_END();
}

KTEST(sched_drop, join_all_waits_for_more_than_64_children)
{
	struct executor ex;
	executor_setup(&ex);
	struct many_joiner j = { ASYNC_INIT(many_joiner) };
	struct task_handle h = spawn_on(&ex, &j.base, sizeof(j));
	executor_run_until_idle(&ex);
	ASSERT_TRUE(task_is_done(&h));
	struct many_joiner *out = (struct many_joiner *)task_output(&h);
	for (int i = 0; i < MANY; i++)
		EXPECT_EQ(out->kids[i].polls, 2);
	task_detach(&h);
	executor_teardown(&ex);
}

/* ---- channels: one wake per free slot ------------------------------------------- */

struct one_send {
	ASYNC_STATE;
	struct channel *ch;
	int item;
	struct chan_send_future send;
};

ASYNC_FN(one_send, struct one_send)
{
	ASYNC_BEGIN();
	chan_send_init(&self->send, self->ch, &self->item);
	AWAIT(&self->send);
	ASYNC_END();
}

struct drain {
	ASYNC_STATE;
	struct channel *ch;
	int item, got;
	struct chan_recv_future recv;
};

ASYNC_FN(drain, struct drain)
{
	ASYNC_BEGIN();
	for (;;) {
		chan_recv_init(&self->recv, self->ch, &self->item);
		AWAIT(&self->recv);
		if (!self->recv.ok)
			break;
		self->got++;
	}
	ASYNC_END();
}

KTEST(sched_drop, draining_blocked_senders_is_linear)
{
	enum { SENDERS = 2000 };
	struct executor ex;
	struct channel ch;
	executor_setup(&ex);
	ASSERT_TRUE(chan_init(&ch, sizeof(int), 1));
	for (int i = 0; i < SENDERS; i++) {
		struct one_send s = { ASYNC_INIT(one_send), .ch = &ch, .item = i };
		spawn_detached_on(&ex, &s.base, sizeof(s));
	}
	executor_run_until_idle(&ex);	/* one sent, the rest wait */
	uint64_t polls = executor_stats(&ex).polls;
	struct drain d = { ASYNC_INIT(drain), .ch = &ch };
	struct task_handle h = spawn_on(&ex, &d.base, sizeof(d));
	executor_run_until_idle(&ex);
	EXPECT_EQ(((struct drain *)task_output(&h))->got, SENDERS);
	polls = executor_stats(&ex).polls - polls;
	ktest_diag(_kt, "%d blocked senders drained in %llu polls", SENDERS,
		   (unsigned long long)polls);
	EXPECT_LE(polls, 3 * SENDERS);
	chan_close(&ch);
	executor_run_until_idle(&ex);
	task_detach(&h);
	chan_destroy(&ch);
	executor_teardown(&ex);
}

/* A woken sender that is cancelled before it runs passes its wake on. */
KTEST(sched_drop, cancelled_woken_sender_passes_the_wake_on)
{
	struct executor ex;
	struct channel ch;
	int item = 7, out = 0;
	executor_setup(&ex);
	ASSERT_TRUE(chan_init(&ch, sizeof(int), 1));
	ASSERT_TRUE(chan_try_send(&ch, &item));
	struct one_send a = { ASYNC_INIT(one_send), .ch = &ch, .item = 1 };
	struct one_send b = { ASYNC_INIT(one_send), .ch = &ch, .item = 2 };
	struct task_handle ha = spawn_on(&ex, &a.base, sizeof(a));
	struct task_handle hb = spawn_on(&ex, &b.base, sizeof(b));
	executor_run_until_idle(&ex);	/* both wait, a first */
	ASSERT_TRUE(chan_try_recv(&ch, &out));	/* room for one: wakes a */
	task_cancel(&ha);			/* a is dropped before it runs */
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_was_cancelled(&ha));
	EXPECT_TRUE(task_is_done(&hb));		/* b got a's wake */
	ASSERT_TRUE(chan_try_recv(&ch, &out));
	EXPECT_EQ(out, 2);
	task_detach(&ha);
	task_detach(&hb);
	chan_destroy(&ch);
	executor_teardown(&ex);
}

/* ---- statistics --------------------------------------------------------------------- */

struct forever {
	struct future base;
};

static enum poll forever_poll(struct future *f, struct context *cx)
{
	(void)f, (void)cx;
	return POLL_PENDING;
}

static const struct future_ops forever_ops = { .name = "forever", .poll = forever_poll };

KTEST(sched_drop, a_cancel_is_not_counted_as_a_wake)
{
	struct executor ex;
	executor_setup(&ex);
	struct forever f = { .base = { &forever_ops } };
	struct task_handle h = spawn_on(&ex, &f.base, sizeof(f));
	executor_run_until_idle(&ex);
	task_cancel(&h);
	executor_run_until_idle(&ex);
	EXPECT_EQ(executor_stats(&ex).cancelled, 1);
	EXPECT_EQ(executor_stats(&ex).wakes, 0);
	task_detach(&h);
	executor_teardown(&ex);
}
