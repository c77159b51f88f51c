/*
 * Host-only executor tests: a million tasks, stale wakers under ASan, the
 * lost-wakeup race at the moment the executor decides to halt, simulated
 * interrupts that wake tasks in the middle of a poll, and the limits of the
 * counters and tables (reference count, task ids, timer heap capacity).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "test/host/fake_hal.h"
#include "test/ktest/ktest.h"

#include "hal/hal.h"
#include "sched/async.h"
#include "sched/atomic_waker.h"
#include "sched/executor.h"

KTEST_SUITE(sched_host);

struct trivial {
	ASYNC_STATE;
};

ASYNC_FN(trivial, struct trivial)
{
	ASYNC_BEGIN();
	ASYNC_END();
}

KTEST(sched_host, million_tasks_spawn_and_complete)
{
	enum { N = 1000000 };
	struct executor ex;
	struct trivial t = { ASYNC_INIT(trivial) };
	executor_setup(&ex);
	for (int i = 0; i < N; i++)
		ASSERT_NE(spawn_detached_on(&ex, &t.base, sizeof(t)), 0);
	EXPECT_EQ(executor_stats(&ex).live, N);
	executor_run_until_idle(&ex);
	struct sched_stats s = executor_stats(&ex);
	EXPECT_EQ(s.completed, N);
	EXPECT_EQ(s.polls, N);
	EXPECT_EQ(s.live, 0);
	ktest_diag(_kt, "1,000,000 tasks: %zu header + %zu state bytes each, table %u slots",
		   sizeof(struct task), sizeof(t), executor_table_slots(&ex));
	executor_teardown(&ex);
}

/* ---- stale wakers -------------------------------------------------------- */

static struct waker kept[2];

/* Keeps a clone of its waker and finishes at once. */
struct leaver {
	ASYNC_STATE;
	int slot;
};

ASYNC_FN(leaver, struct leaver)
{
	ASYNC_BEGIN();
	kept[self->slot] = waker_clone(cx->waker);
	ASYNC_END();
}

struct napper {
	ASYNC_STATE;
	struct sleep_future nap;
};

ASYNC_FN(napper, struct napper)
{
	ASYNC_BEGIN();
	sleep_ms_init(&self->nap, 50);
	AWAIT(&self->nap);
	ASYNC_END();
}

KTEST(sched_host, stale_wakers_are_harmless)
{
	struct executor ex;
	executor_setup(&ex);
	for (int i = 0; i < 2; i++) {
		struct leaver l = { ASYNC_INIT(leaver), .slot = i };
		spawn_detached_on(&ex, &l.base, sizeof(l));
	}
	executor_run_until_idle(&ex);
	EXPECT_EQ(executor_stats(&ex).live, 0);
	struct sched_stats before = executor_stats(&ex);
	/* Under ASan, any access to freed task memory here aborts the run. */
	waker_wake_by_ref(&kept[0]);
	struct waker c = waker_clone(&kept[0]);
	waker_wake(&c);
	waker_drop(&kept[0]);
	waker_wake(&kept[1]);	/* consumes the last reference: frees the task */
	executor_run_until_idle(&ex);
	EXPECT_EQ(executor_stats(&ex).wakes, before.wakes);
	EXPECT_EQ(executor_stats(&ex).polls, before.polls);

	/* A cancelled sleeper takes its timer entry (and the reference it
	 * held) with it: nothing fires later. */
	struct napper n = { ASYNC_INIT(napper) };
	struct task_handle h = spawn_on(&ex, &n.base, sizeof(n));
	executor_run_until_idle(&ex);
	EXPECT_EQ(timerq_len(executor_timers(&ex)), 1);
	task_cancel(&h);
	task_detach(&h);
	executor_run_until_idle(&ex);
	EXPECT_EQ(timerq_len(executor_timers(&ex)), 0);
	EXPECT_EQ(executor_stats(&ex).live, 0);
	before = executor_stats(&ex);
	executor_timer_tick(&ex, 100);
	executor_run_until_idle(&ex);
	EXPECT_EQ(executor_stats(&ex).polls, before.polls);
	executor_teardown(&ex);
}

/* ---- the lost-wakeup race ------------------------------------------------
 *
 * A simulated device raises its interrupt exactly when the executor has
 * decided to halt.  If interrupts are on at that moment (the buggy order:
 * check the queue, then disable), the handler runs at once and the executor
 * halts with a task ready: a lost wakeup.  If they are off (the right order),
 * the interrupt stays pending until `sti; hlt`, which it ends at once.
 */
static struct executor race_ex;
static struct atomic_waker dev_aw;
static _Atomic unsigned dev_events;
static bool irq_pending;
static unsigned lost_wakeups, masked_deliveries, rounds_left;

static void device_irq(void)
{
	atomic_fetch_add(&dev_events, 1);
	atomic_waker_wake(&dev_aw);
}

static void on_decided_to_halt(void *arg)
{
	(void)arg;
	if (rounds_left == 0)
		return;
	rounds_left--;
	if (hal_irq_enabled())
		device_irq();		/* delivered now: about to be slept on */
	else
		irq_pending = true;	/* masked: held until sti */
}

/* Runs inside hal_wait_for_interrupt(): the CPU is halted. */
static void on_halt(void)
{
	if (!rq_is_empty(&race_ex.solo.rq))
		lost_wakeups++;		/* halted with a task ready */
	if (irq_pending) {
		irq_pending = false;
		masked_deliveries++;
		device_irq();
	}
}

struct dev_reader {
	struct future base;
	unsigned seen, target;
};

static enum poll dev_reader_poll(struct future *f, struct context *cx)
{
	struct dev_reader *r = (struct dev_reader *)f;

	for (;;) {
		r->seen = atomic_load(&dev_events);
		if (r->seen >= r->target)
			return POLL_READY;
		atomic_waker_register(&dev_aw, cx->waker);
		if (atomic_load(&dev_events) == r->seen)
			return POLL_PENDING;
	}
}

static const struct future_ops dev_reader_ops = { .name = "dev", .poll = dev_reader_poll };

static bool race_done(void *arg)
{
	return executor_stats(arg).live == 0;
}

KTEST(sched_host, idle_does_not_lose_a_wakeup)
{
	enum { ROUNDS = 100 };
	executor_setup(&race_ex);
	atomic_waker_init(&dev_aw);
	atomic_store(&dev_events, 0);
	irq_pending = false;
	lost_wakeups = masked_deliveries = 0;
	rounds_left = ROUNDS;
	race_ex.idle_probe = on_decided_to_halt;
	fake_hal_set_irq_hook(on_halt);

	struct dev_reader r = { .base = { &dev_reader_ops }, .target = ROUNDS };
	spawn_detached_on(&race_ex, &r.base, sizeof(r));
	/* Each event needs exactly one halt; a lost one would need more. */
	bool ok = executor_run_until(&race_ex, race_done, &race_ex, ROUNDS);

	fake_hal_set_irq_hook(NULL);
	EXPECT_TRUE(ok);
	EXPECT_EQ(lost_wakeups, 0);
	EXPECT_EQ(masked_deliveries, ROUNDS);
	EXPECT_EQ(executor_stats(&race_ex).idle_waits, ROUNDS);
	EXPECT_TRUE(hal_irq_enabled());
	atomic_waker_destroy(&dev_aw);
	executor_teardown(&race_ex);
}

/* ---- interrupts in the middle of a poll ------------------------------------
 *
 * The executor keeps a task marked scheduled while it polls it, and queues
 * its own wakes (yields, task-to-task) on a plain FIFO that interrupts must
 * not touch.  These cases raise a simulated interrupt inside a poll.
 */
static struct executor mid_ex;
static struct atomic_waker mid_aw;
static _Atomic unsigned mid_events;
static struct task *mid_task;
static bool mid_saw_notified, mid_saw_private_write;

static void mid_irq(void)
{
	atomic_fetch_add(&mid_events, 1);
	atomic_waker_wake(&mid_aw);
	/* The wake found the task running: it may only flag the task state,
	 * never the executor's own fields. */
	mid_saw_notified = task_state(mid_task) & TASK_NOTIFIED;
	mid_saw_private_write = mid_ex.solo.current_woken;
}

/* Checks for an event, registers, and then (the unlucky moment) the device
 * interrupts before the poll returns PENDING. */
struct mid_poller {
	struct future base;
	unsigned polls;
};

static enum poll mid_poll(struct future *f, struct context *cx)
{
	struct mid_poller *m = (struct mid_poller *)f;

	m->polls++;
	if (atomic_load(&mid_events))
		return POLL_READY;
	atomic_waker_register(&mid_aw, cx->waker);
	fake_hal_raise_irq(mid_irq);
	return POLL_PENDING;	/* the event is there, but this poll missed it */
}

static const struct future_ops mid_ops = { .name = "mid", .poll = mid_poll };

KTEST(sched_host, wake_during_poll_polls_again)
{
	executor_setup(&mid_ex);
	atomic_waker_init(&mid_aw);
	atomic_store(&mid_events, 0);
	mid_saw_notified = mid_saw_private_write = false;
	struct mid_poller m = { .base = { &mid_ops } };
	struct task_handle h = spawn_on(&mid_ex, &m.base, sizeof(m));
	mid_task = h.task;
	executor_run_until_idle(&mid_ex);	/* no other wake will come */
	EXPECT_TRUE(mid_saw_notified);
	EXPECT_FALSE(mid_saw_private_write);
	ASSERT_TRUE(task_is_done(&h));
	EXPECT_EQ(((struct mid_poller *)task_output(&h))->polls, 2);
	EXPECT_EQ(executor_stats(&mid_ex).wakes, 1);
	task_detach(&h);
	atomic_waker_destroy(&mid_aw);
	executor_teardown(&mid_ex);
}

/* Wake order across the two queues: an interrupt wakes A, then the running
 * task wakes B itself and yields.  A's wake came first, so A runs first. */
static int line_log[8];
static unsigned line_len;
static struct waker line_wakers[2];	/* A's, B's */

static void line_irq(void) { waker_wake_by_ref(&line_wakers[0]); }

struct liner {
	struct future base;
	int who;
	unsigned polls;
};

static enum poll liner_poll(struct future *f, struct context *cx)
{
	struct liner *l = (struct liner *)f;

	if (line_len < 8)
		line_log[line_len++] = l->who;
	if (l->polls++ > 0)
		return POLL_READY;
	if (l->who < 2) {		/* A and B wait to be woken */
		line_wakers[l->who] = waker_clone(cx->waker);
		return POLL_PENDING;
	}
	fake_hal_raise_irq(line_irq);		/* wakes A through the rq */
	waker_wake_by_ref(&line_wakers[1]);	/* wakes B on the local FIFO */
	waker_wake_by_ref(cx->waker);		/* and yields */
	return POLL_PENDING;
}

static const struct future_ops liner_ops = { .name = "liner", .poll = liner_poll };

KTEST(sched_host, interrupt_wakes_keep_their_place_in_line)
{
	struct executor ex;
	executor_setup(&ex);
	line_len = 0;
	for (int who = 0; who < 2; who++) {
		struct liner l = { .base = { &liner_ops }, .who = who };
		spawn_detached_on(&ex, &l.base, sizeof(l));
	}
	executor_run_until_idle(&ex);		/* A and B wait */
	struct liner t = { .base = { &liner_ops }, .who = 2 };
	spawn_detached_on(&ex, &t.base, sizeof(t));
	executor_run_until_idle(&ex);
	ASSERT_EQ(line_len, 6);
	EXPECT_EQ(line_log[2], 2);	/* T */
	EXPECT_EQ(line_log[3], 0);	/* A: woken first, by the interrupt */
	EXPECT_EQ(line_log[4], 1);	/* B */
	EXPECT_EQ(line_log[5], 2);	/* T again, behind both */
	EXPECT_EQ(executor_stats(&ex).live, 0);
	waker_drop(&line_wakers[0]);
	waker_drop(&line_wakers[1]);
	executor_teardown(&ex);
}

/* ---- limits ----------------------------------------------------------------- */

struct idle_task {
	struct future base;
};

static enum poll idle_poll(struct future *f, struct context *cx)
{
	(void)f, (void)cx;
	return POLL_PENDING;
}

static const struct future_ops idle_ops = { .name = "idle", .poll = idle_poll };

/* A count driven past 2^27 is pinned, never wrapped: a wrap would free the
 * task under the references still held. */
KTEST(sched_host, reference_count_saturates)
{
	struct executor ex;
	struct idle_task i = { .base = { &idle_ops } };
	executor_setup(&ex);
	struct task_handle h = spawn_on(&ex, &i.base, sizeof(i));
	uint32_t flags = task_state(h.task) & ~TASK_REF_MASK;
	/* Pretend 2^28 - 8 references exist, then take 16 more. */
	atomic_store(&h.task->state, flags | ((1u << 28) - 8) * TASK_REF_ONE);
	for (int k = 0; k < 16; k++)
		task_ref(h.task);
	uint32_t refs = task_state(h.task) / TASK_REF_ONE;
	EXPECT_GE(refs, 1u << 27);
	for (int k = 0; k < 16; k++)
		task_unref(h.task);	/* pinned: nothing is freed */
	EXPECT_GE(task_state(h.task) / TASK_REF_ONE, 1u << 27);
	EXPECT_EQ(task_state(h.task) & ~TASK_REF_MASK, flags);
	/* Back to the two real references, so teardown frees it. */
	atomic_store(&h.task->state, flags | 2 * TASK_REF_ONE);
	task_detach(&h);
	executor_teardown(&ex);
}

/* Task ids are slots: a live task's id is never handed out again, however
 * often the table's cursor goes round, and ids are not reused at once. */
KTEST(sched_host, task_ids_stay_unique_while_the_task_lives)
{
	enum { CHURN = 5000 };
	struct executor ex;
	struct idle_task i = { .base = { &idle_ops } };
	struct trivial t = { ASYNC_INIT(trivial) };
	executor_setup(&ex);
	struct task_handle old = spawn_on(&ex, &i.base, sizeof(i));
	uint32_t old_id = task_id(old.task), prev = 0, repeats = 0, clashes = 0;
	for (int k = 0; k < CHURN; k++) {
		uint32_t id = spawn_detached_on(&ex, &t.base, sizeof(t));
		clashes += id == old_id;
		repeats += id == prev;
		prev = id;
		executor_run_until_idle(&ex);	/* it ends: its slot is free */
	}
	EXPECT_EQ(clashes, 0);
	EXPECT_EQ(repeats, 0);
	EXPECT_LT(prev, old_id + CHURN);	/* the cursor went round */
	task_cancel(&old);
	task_detach(&old);
	executor_run_until_idle(&ex);
	EXPECT_EQ(executor_table_slots(&ex), 0);		/* every chunk given back */
	executor_teardown(&ex);
}

/* A heap at 2^31 entries cannot double: the add fails cleanly instead of
 * reallocating to 0 bytes (which freed the heap under the queue). */
KTEST(sched_host, timer_heap_refuses_to_double_past_2_to_31)
{
	struct timer_queue tq;
	struct sleep_future s;
	struct waker w = { 0 };
	timerq_init(&tq);
	tq.heap = calloc(16, sizeof(*tq.heap));
	ASSERT_NOT_NULL(tq.heap);
	tq.cap = tq.len = 1u << 31;	/* as if full at 2^31 */
	sleep_until_init(&s, 5);
	EXPECT_FALSE(timerq_add(&tq, &s.timer, 5, &w));
	EXPECT_FALSE(timer_queued(&s.timer));
	tq.len = 0;
	tq.cap = 16;
	timerq_destroy(&tq);	/* the heap is still ours to free */
}

/* The table follows the number of live tasks down again. */
KTEST(sched_host, task_table_gives_memory_back)
{
	enum { N = 100000 };
	struct executor ex;
	struct trivial t = { ASYNC_INIT(trivial) };
	executor_setup(&ex);
	for (int k = 0; k < N; k++)
		ASSERT_NE(spawn_detached_on(&ex, &t.base, sizeof(t)), 0);
	uint32_t peak = executor_table_slots(&ex);
	executor_run_until_idle(&ex);
	ktest_diag(_kt, "%d tasks: table peak %u slots, %u after they ended", N, peak,
		   executor_table_slots(&ex));
	EXPECT_GE(peak, N);
	EXPECT_LE(peak, N + N / 32 + TASK_CHUNK_SLOTS);
	EXPECT_EQ(executor_table_slots(&ex), 0);
	executor_teardown(&ex);
}
