/*
 * The async primitives: timers, channel back-pressure, join/select
 * combinators, the atomic waker slot and the SPSC byte ring.  Time is driven
 * by hand with executor_timer_tick(), so the cases are exact and fast.
 */
#include "test/ktest/ktest.h"

#include "sched/async.h"
#include "sched/atomic_waker.h"
#include "sched/channel.h"
#include "sched/combinators.h"
#include "sched/executor.h"
#include "sched/ring.h"

KTEST_SUITE(sched_prims);

static int order[16];
static unsigned norder;

struct sleeper {
	ASYNC_STATE;
	int who;
	uint64_t ms;
	struct sleep_future nap;
};

ASYNC_FN(sleeper, struct sleeper)
{
	ASYNC_BEGIN();
	sleep_ms_init(&self->nap, self->ms);
	AWAIT(&self->nap);
	if (norder < 16)
		order[norder++] = self->who;
	ASYNC_END();
}

KTEST(sched_prims, timers_fire_in_deadline_order)
{
	static const uint64_t delays[] = { 50, 10, 30, 10, 20 };
	static const int expect[] = { 1, 3, 4, 2, 0 };	/* equal deadlines: FIFO */
	struct executor ex;
	executor_setup(&ex);
	norder = 0;
	for (int i = 0; i < 5; i++) {
		struct sleeper s = { ASYNC_INIT(sleeper), .who = i, .ms = delays[i] };
		spawn_detached_on(&ex, &s.base, sizeof(s));
	}
	executor_run_until_idle(&ex);
	EXPECT_EQ(timerq_len(executor_timers(&ex)), 5);
	executor_timer_tick(&ex, 9);
	executor_run_until_idle(&ex);
	EXPECT_EQ(norder, 0);	/* nothing early */
	uint64_t polls = executor_stats(&ex).polls;
	for (uint64_t t = 10; t <= 60; t += 5) {
		executor_timer_tick(&ex, t);
		executor_run_until_idle(&ex);
	}
	ASSERT_EQ(norder, 5);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(order[i], expect[i]);
	EXPECT_EQ(executor_stats(&ex).polls - polls, 5);	/* one poll each */
	EXPECT_EQ(timerq_len(executor_timers(&ex)), 0);
	executor_teardown(&ex);
}

/* Sends 1..n into a channel. */
struct producer {
	ASYNC_STATE;
	struct channel *ch;
	int i, n, item;
	struct chan_send_future send;
};

ASYNC_FN(producer, struct producer)
{
	ASYNC_BEGIN();
	for (self->i = 1; self->i <= self->n; self->i++) {
		self->item = self->i;
		chan_send_init(&self->send, self->ch, &self->item);
		AWAIT(&self->send);
	}
	ASYNC_END();
}

struct consumer {
	ASYNC_STATE;
	struct channel *ch;
	int got[8], n, item;
	struct chan_recv_future recv;
};

ASYNC_FN(consumer, struct consumer)
{
	ASYNC_BEGIN();
	for (;;) {
		chan_recv_init(&self->recv, self->ch, &self->item);
		AWAIT(&self->recv);
		if (!self->recv.ok)
			break;
		if (self->n < 8)
			self->got[self->n++] = self->item;
	}
	ASYNC_END();
}

KTEST(sched_prims, channel_back_pressure)
{
	struct executor ex;
	struct channel ch;
	executor_setup(&ex);
	ASSERT_TRUE(chan_init(&ch, sizeof(int), 2));
	struct producer p = { ASYNC_INIT(producer), .ch = &ch, .n = 5 };
	struct task_handle ph = spawn_on(&ex, &p.base, sizeof(p));
	executor_run_until_idle(&ex);
	EXPECT_EQ(chan_len(&ch), 2);		/* full: the producer waits */
	EXPECT_FALSE(task_is_done(&ph));
	EXPECT_EQ(executor_task_polls(&ex, ph.task), 1);	/* and is not polled again */
	executor_run_until_idle(&ex);
	EXPECT_EQ(executor_task_polls(&ex, ph.task), 1);

	struct consumer c = { ASYNC_INIT(consumer), .ch = &ch };
	struct task_handle chh = spawn_on(&ex, &c.base, sizeof(c));
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_is_done(&ph));
	EXPECT_FALSE(task_is_done(&chh));	/* receiver waits when empty */
	chan_close(&ch);
	executor_run_until_idle(&ex);
	ASSERT_TRUE(task_is_done(&chh));
	struct consumer *out = (struct consumer *)task_output(&chh);
	ASSERT_EQ(out->n, 5);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(out->got[i], i + 1);
	task_detach(&ph);
	task_detach(&chh);
	chan_destroy(&ch);
	executor_teardown(&ex);
}

/* Selects between two channels and a timer. */
struct chooser {
	ASYNC_STATE;
	struct channel *a, *b;
	int ia, ib;
	struct chan_recv_future ra, rb;
	struct sleep_future timeout;
	struct future *futs[3];
	struct select_future sel;
};

ASYNC_FN(chooser, struct chooser)
{
	ASYNC_BEGIN();
	chan_recv_init(&self->ra, self->a, &self->ia);
	chan_recv_init(&self->rb, self->b, &self->ib);
	sleep_ms_init(&self->timeout, 100);
	self->futs[0] = &self->ra.base;
	self->futs[1] = &self->rb.base;
	self->futs[2] = &self->timeout.base;
	select_init(&self->sel, self->futs, 3);
	AWAIT(&self->sel);
	ASYNC_END();
}

KTEST(sched_prims, select_takes_first_and_drops_the_rest)
{
	struct executor ex;
	struct channel a, b;
	int v = 99;
	executor_setup(&ex);
	ASSERT_TRUE(chan_init(&a, sizeof(int), 1));
	ASSERT_TRUE(chan_init(&b, sizeof(int), 1));
	struct chooser c = { ASYNC_INIT(chooser), .a = &a, .b = &b };
	struct task_handle h = spawn_on(&ex, &c.base, sizeof(c));
	executor_run_until_idle(&ex);
	EXPECT_FALSE(waitq_is_empty(&a.receivers));	/* both registered */
	EXPECT_FALSE(waitq_is_empty(&b.receivers));
	EXPECT_TRUE(chan_try_send(&b, &v));
	executor_run_until_idle(&ex);
	ASSERT_TRUE(task_is_done(&h));
	struct chooser *out = (struct chooser *)task_output(&h);
	EXPECT_EQ(out->sel.winner, 1);
	EXPECT_EQ(out->ib, 99);
	EXPECT_TRUE(waitq_is_empty(&a.receivers));		/* loser dropped: unregistered */
	EXPECT_EQ(chan_len(&a), 0);
	task_detach(&h);
	chan_destroy(&a);
	chan_destroy(&b);
	executor_teardown(&ex);
}

struct joiner_all {
	ASYNC_STATE;
	struct yield_future y;
	struct sleep_future s1, s2;
	struct future *futs[3];
	struct join_all_future all;
};

ASYNC_FN(joiner_all, struct joiner_all)
{
	ASYNC_BEGIN();
	yield_now_init(&self->y);
	sleep_ms_init(&self->s1, 5);
	sleep_ms_init(&self->s2, 10);
	self->futs[0] = &self->y.base;
	self->futs[1] = &self->s1.base;
	self->futs[2] = &self->s2.base;
	join_all_init(&self->all, self->futs, 3);
	AWAIT(&self->all);
	ASYNC_END();
}

KTEST(sched_prims, join_all_waits_for_every_child)
{
	struct executor ex;
	executor_setup(&ex);
	struct joiner_all j = { ASYNC_INIT(joiner_all) };
	struct task_handle h = spawn_on(&ex, &j.base, sizeof(j));
	executor_run_until_idle(&ex);
	EXPECT_EQ(((struct joiner_all *)task_output(&h))->all.pending, 2);	/* yield done */
	/* Started at clock 0, so sleep_ms(n) ends at n + 1 (never early). */
	executor_timer_tick(&ex, 5);
	executor_run_until_idle(&ex);
	EXPECT_EQ(((struct joiner_all *)task_output(&h))->all.pending, 2);
	executor_timer_tick(&ex, 6);
	executor_run_until_idle(&ex);
	EXPECT_EQ(((struct joiner_all *)task_output(&h))->all.pending, 1);
	EXPECT_FALSE(task_is_done(&h));
	executor_timer_tick(&ex, 11);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_is_done(&h));
	task_detach(&h);
	executor_teardown(&ex);
}

/* Waits on an "interrupt source": a byte ring plus an atomic waker. */
static struct byte_ring irq_ring;
static struct atomic_waker irq_aw;

/* The IRQ -> task pattern: pop, else register, then check again (a byte
 * that arrived between the pop and the register must not be slept on). */
struct read_byte_future {
	struct future base;
	uint8_t byte;
};

static enum poll read_byte_poll(struct future *f, struct context *cx)
{
	struct read_byte_future *r = (struct read_byte_future *)f;

	if (byte_ring_pop(&irq_ring, &r->byte))
		return POLL_READY;
	atomic_waker_register(&irq_aw, cx->waker);
	return byte_ring_pop(&irq_ring, &r->byte) ? POLL_READY : POLL_PENDING;
}

static const struct future_ops read_byte_ops = { .name = "read_byte", .poll = read_byte_poll };

struct reader {
	ASYNC_STATE;
	unsigned sum, count;
	struct read_byte_future rd;
};

ASYNC_FN(reader, struct reader)
{
	ASYNC_BEGIN();
	while (self->count < 3) {
		self->rd = (struct read_byte_future){ .base = { &read_byte_ops } };
		AWAIT(&self->rd);
		self->sum += self->rd.byte;
		self->count++;
	}
	ASYNC_END();
}

static void fake_irq(uint8_t b)
{
	byte_ring_push(&irq_ring, b);
	atomic_waker_wake(&irq_aw);
}

KTEST(sched_prims, atomic_waker_wakes_the_registered_task)
{
	static uint8_t buf[4];
	struct executor ex;
	executor_setup(&ex);
	ASSERT_TRUE(byte_ring_init(&irq_ring, buf, 4));
	atomic_waker_init(&irq_aw);
	atomic_waker_wake(&irq_aw);	/* nobody registered: harmless */
	struct reader r = { ASYNC_INIT(reader) };
	struct task_handle h = spawn_on(&ex, &r.base, sizeof(r));
	executor_run_until_idle(&ex);
	EXPECT_EQ(executor_task_polls(&ex, h.task), 1);
	fake_irq(10);
	fake_irq(20);
	executor_run_until_idle(&ex);
	EXPECT_EQ(((struct reader *)task_output(&h))->count, 2);
	fake_irq(30);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_is_done(&h));
	EXPECT_EQ(((struct reader *)task_output(&h))->sum, 60);
	task_detach(&h);
	atomic_waker_destroy(&irq_aw);
	executor_teardown(&ex);
}

KTEST(sched_prims, byte_ring_is_bounded_and_fifo)
{
	uint8_t buf[8], b = 0;
	struct byte_ring r;
	EXPECT_FALSE(byte_ring_init(&r, buf, 6));
	ASSERT_TRUE(byte_ring_init(&r, buf, 8));
	EXPECT_FALSE(byte_ring_pop(&r, &b));
	unsigned dropped = 0;
	for (int round = 0; round < 3; round++) {	/* wraps around */
		for (int i = 0; i < 10; i++)
			dropped += !byte_ring_push(&r, (uint8_t)(round * 16 + i));
		EXPECT_EQ(byte_ring_len(&r), 8);
		for (int i = 0; i < 8; i++) {
			ASSERT_TRUE(byte_ring_pop(&r, &b));
			EXPECT_EQ(b, round * 16 + i);
		}
		EXPECT_FALSE(byte_ring_pop(&r, &b));
	}
	EXPECT_EQ(dropped, 6);
}

KTEST(sched_prims, ready_queue_is_fifo)
{
	struct ready_queue q;
	struct rq_node n[4];
	rq_init(&q);
	EXPECT_TRUE(rq_is_empty(&q));
	EXPECT_NULL(rq_pop(&q));
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 4; i++)
			rq_push(&q, &n[i]);
		EXPECT_FALSE(rq_is_empty(&q));
		for (int i = 0; i < 4; i++)
			EXPECT_EQ((uintptr_t)rq_pop(&q), (uintptr_t)&n[i]);
		EXPECT_NULL(rq_pop(&q));
		EXPECT_TRUE(rq_is_empty(&q));
	}
}
