/*
 * The executor against a second thread playing another CPU or an interrupt
 * handler: wakes, cancels, waker-slot teardown and timer ticks that race the
 * executor's own work.  The fake HAL's halt really blocks until an IPI, so a
 * wake that forgets to send one hangs the executor until the halt timeout.  These cases are built twice: into the ASan/UBSan test
 * binary and into a ThreadSanitizer one (make test runs both), so a data race
 * fails them even when the schedule happened to be benign.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "test/host/fake_hal.h"
#include "test/ktest/ktest.h"

#include "hal/hal.h"
#include "sched/async.h"
#include "sched/atomic_waker.h"
#include "sched/executor.h"

KTEST_SUITE_FLAGS(sched_threads, KTEST_HOST_ONLY);

#ifdef COOP_TSAN
#define SCALE 10	/* ThreadSanitizer runs threads ~10x slower */
#define HANDSHAKE_SCALE 100	/* and spin handshakes slower still */
#else
#define SCALE 1
#define HANDSHAKE_SCALE 1
#endif

/*
 * A wait for the other thread spins first, since the races these tests look
 * for happen only while both threads run at once; then it yields, so that on a
 * busy machine (make test runs QEMU boots beside us) a thread whose partner is
 * descheduled does not burn its whole time slice spinning.
 */
static void backoff(unsigned *spins)
{
	if (++*spins > 256)
		sched_yield();
}

static void wait_for_value(_Atomic uint64_t *word, uint64_t want)
{
	unsigned spins = 0;

	while (atomic_load_explicit(word, memory_order_acquire) != want)
		backoff(&spins);
}

/* ---- interrupt storm: a second thread wakes tasks through atomic wakers -- */

/* A multiple of STORM_TASKS: each task ends once it has counted its share,
 * so a share one event larger would leave that event uncounted (TSan's
 * 100,000 / 64 did once in make test: 99,991 counted, when late events
 * came after their tasks had their 1,562). */
enum { STORM_TASKS = 64, STORM_EVENTS = STORM_TASKS * (16000 / SCALE) };

static struct atomic_waker storm_aw[STORM_TASKS];
static _Atomic unsigned storm_pending[STORM_TASKS];

struct storm_task {
	struct future base;
	int idx;
	unsigned got, polls;
};

static enum poll storm_poll(struct future *f, struct context *cx)
{
	struct storm_task *s = (struct storm_task *)f;

	s->polls++;
	for (;;) {
		s->got += atomic_exchange(&storm_pending[s->idx], 0);
		if (s->got >= STORM_EVENTS / STORM_TASKS)
			return POLL_READY;
		atomic_waker_register(&storm_aw[s->idx], cx->waker);
		if (atomic_load(&storm_pending[s->idx]) == 0)
			return POLL_PENDING;
	}
}

static const struct future_ops storm_ops = { .name = "storm", .poll = storm_poll };

static void *storm_thread(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < STORM_EVENTS; i++) {
		unsigned idx = (i * 2654435761u) % STORM_TASKS;
		atomic_fetch_add(&storm_pending[idx], 1);
		atomic_waker_wake(&storm_aw[idx]);	/* the "interrupt handler" */
	}
	return NULL;
}

struct storm_done {
	struct executor *ex;
	unsigned long timeouts_before;
};

/* Done when every task is; a halt that no wake ended (the fake HAL's
 * timeout) means a wakeup was lost: stop and fail. */
static bool storm_is_done(void *arg)
{
	struct storm_done *d = arg;

	return executor_stats(d->ex).live == 0 ||
	       fake_hal_halt_timeouts() != d->timeouts_before;
}

KTEST(sched_threads, interrupt_storm_from_second_thread)
{
	struct executor ex;
	struct task_handle h[STORM_TASKS];
	pthread_t th;
	executor_setup(&ex);
	for (int i = 0; i < STORM_TASKS; i++) {
		atomic_waker_init(&storm_aw[i]);
		atomic_store(&storm_pending[i], 0);
		struct storm_task s = { .base = { &storm_ops }, .idx = i };
		h[i] = spawn_on(&ex, &s.base, sizeof(s));
	}
	executor_run_until_idle(&ex);	/* everyone registered */
	ASSERT_EQ(pthread_create(&th, NULL, storm_thread, NULL), 0);
	struct storm_done d = { .ex = &ex, .timeouts_before = fake_hal_halt_timeouts() };
	EXPECT_TRUE(executor_run_until(&ex, storm_is_done, &d, 100000000));
	EXPECT_EQ(fake_hal_halt_timeouts(), d.timeouts_before);
	pthread_join(th, NULL);
	executor_run_until_idle(&ex);

	unsigned total = 0, polls = 0;
	for (int i = 0; i < STORM_TASKS; i++) {
		struct storm_task *s = (struct storm_task *)task_output(&h[i]);
		EXPECT_TRUE(task_is_done(&h[i]));
		total += s->got;
		polls += s->polls;
		task_detach(&h[i]);
		atomic_waker_destroy(&storm_aw[i]);
	}
	EXPECT_EQ(total, STORM_EVENTS);
	EXPECT_EQ(executor_stats(&ex).live, 0);
	ktest_diag(_kt, "%d wakes from a second thread -> %u polls, %lu idle waits",
		   STORM_EVENTS, polls, (unsigned long)executor_stats(&ex).idle_waits);
	executor_teardown(&ex);
}

/* ---- atomic_waker_destroy against a wake on another CPU -------------------
 *
 * The stored waker is a heap cell of its own (clone allocates, drop frees), so
 * a destroy that frees it while the other thread is inside wake_by_ref is a
 * heap-use-after-free that ASan reports, and a race that TSan reports.  The
 * wake dawdles a little before touching the cell: a slow handler on another
 * CPU, which widens the window the destroy must not slip into.
 */
struct cell {
	_Atomic unsigned wakes;
};

static _Atomic unsigned long cells_live;

static struct waker cell_clone(const struct waker *w);
static void cell_wake_by_ref(const struct waker *w)
{
	for (volatile int i = 0; i < 50; i++)
		;
	atomic_fetch_add(&((struct cell *)w->data)->wakes, 1);
}
static void cell_drop(struct waker *w)
{
	free(w->data);
	atomic_fetch_sub(&cells_live, 1);
}
static void cell_wake(struct waker *w)
{
	cell_wake_by_ref(w);
	cell_drop(w);
}
static const struct waker_vtable cell_vt = {
	.clone = cell_clone, .wake = cell_wake, .wake_by_ref = cell_wake_by_ref, .drop = cell_drop,
};

static struct waker cell_clone(const struct waker *w)
{
	struct cell *c = calloc(1, sizeof(*c));
	(void)w;
	atomic_fetch_add(&cells_live, 1);
	return (struct waker){ .data = c, .vtable = &cell_vt };
}

enum { AW_ROUNDS = 200000 / SCALE };

static struct atomic_waker race_aw;
static _Atomic bool race_stop;

static void *waking_thread(void *arg)
{
	unsigned long *wakes = arg;
	while (!atomic_load_explicit(&race_stop, memory_order_relaxed)) {
		atomic_waker_wake(&race_aw);
		(*wakes)++;
	}
	return NULL;
}

KTEST(sched_threads, atomic_waker_destroy_races_a_wake)
{
	struct cell proto = { 0 };
	struct waker w = { .data = &proto, .vtable = &cell_vt };
	unsigned long wakes = 0;
	pthread_t th;

	atomic_store(&race_stop, false);
	atomic_store(&cells_live, 0);
	atomic_waker_init(&race_aw);
	ASSERT_EQ(pthread_create(&th, NULL, waking_thread, &wakes), 0);
	for (int i = 0; i < AW_ROUNDS; i++) {
		atomic_waker_register(&race_aw, &w);	/* clones: a fresh cell */
		atomic_waker_destroy(&race_aw);		/* drops it */
	}
	atomic_store(&race_stop, true);
	pthread_join(th, NULL);
	EXPECT_EQ(atomic_load(&cells_live), 0);
	ktest_diag(_kt, "%d register/destroy rounds against %lu wakes", AW_ROUNDS, wakes);
}

/* ---- the tick and the executor publish to each other ------------------------
 *
 * Each round the executor adds a timer due now while the tick thread moves the
 * clock to that moment.  One of them must see the other's store and raise
 * `due`; with only acquire/release both loads can come from before the other
 * side's store (the store buffer), and the timer is missed.
 */
enum { TICK_ROUNDS = 2000000 / HANDSHAKE_SCALE };

static struct timer_queue tick_tq;
static _Atomic uint64_t tick_round;	/* set by the executor side: go */
static _Atomic uint64_t tick_done;	/* set by the tick side: done */

static void *ticking_thread(void *arg)
{
	(void)arg;
	for (uint64_t r = 1; r <= TICK_ROUNDS; r++) {
		wait_for_value(&tick_round, r);
		timerq_tick(&tick_tq, r);
		atomic_store_explicit(&tick_done, r, memory_order_release);
	}
	return NULL;
}

static struct waker noop_clone(const struct waker *w) { return *w; }
static void noop_waker(struct waker *w) { (void)w; }
static void noop_by_ref(const struct waker *w) { (void)w; }
static const struct waker_vtable noop_vt = {
	.clone = noop_clone, .wake = noop_waker, .wake_by_ref = noop_by_ref, .drop = noop_waker,
};

KTEST(sched_threads, tick_and_executor_never_both_miss_a_timer)
{
	struct waker w = { .data = NULL, .vtable = &noop_vt };
	struct sleep_future s;
	unsigned long missed = 0;
	pthread_t th;

	timerq_init(&tick_tq);
	atomic_store(&tick_round, 0);
	atomic_store(&tick_done, 0);
	ASSERT_EQ(pthread_create(&th, NULL, ticking_thread, NULL), 0);
	for (uint64_t r = 1; r <= TICK_ROUNDS; r++) {
		sleep_until_init(&s, r);
		atomic_store_explicit(&tick_round, r, memory_order_release);
		timerq_add(&tick_tq, &s.timer, r, &w);	/* races the tick to r */
		wait_for_value(&tick_done, r);
		if (!timerq_due(&tick_tq))
			missed++;
		timerq_run_expired(&tick_tq);
		timerq_remove(&s.timer);
	}
	pthread_join(th, NULL);
	EXPECT_EQ(missed, 0);
	ktest_diag(_kt, "%lu of %d timers missed by both sides", missed, TICK_ROUNDS);
	timerq_destroy(&tick_tq);
}

/* ---- cancels from another thread while the task runs ---------------------------- */

enum { CANCEL_TASKS = 20000 / HANDSHAKE_SCALE };

struct quick {
	ASYNC_STATE;
	int i;
	int finished;	/* the poll returned READY */
};

ASYNC_FN(quick, struct quick)
{
	ASYNC_BEGIN();
	for (self->i = 0; self->i < 3; self->i++)
		YIELD();
	self->finished = 1;
	ASYNC_END();
}

static struct task_handle cancel_h[CANCEL_TASKS];
static _Atomic int cancel_spawned;

static void *cancelling_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < CANCEL_TASKS; i++) {
		unsigned spins = 0;

		while (atomic_load_explicit(&cancel_spawned, memory_order_acquire) <= i)
			backoff(&spins);
		task_cancel(&cancel_h[i]);
	}
	return NULL;
}

/* A task either finished (its output is there and it says so) or was
 * cancelled (no output): never both. */
KTEST(sched_threads, cross_thread_cancel_never_marks_a_finished_task)
{
	struct executor ex;
	pthread_t th;
	unsigned finished = 0, cancelled = 0, both = 0;

	executor_setup(&ex);
	atomic_store(&cancel_spawned, 0);
	ASSERT_EQ(pthread_create(&th, NULL, cancelling_thread, NULL), 0);
	for (int i = 0; i < CANCEL_TASKS; i++) {
		struct quick q = { ASYNC_INIT(quick) };
		cancel_h[i] = spawn_on(&ex, &q.base, sizeof(q));
		atomic_store_explicit(&cancel_spawned, i + 1, memory_order_release);
		executor_run_until_idle(&ex);
	}
	pthread_join(th, NULL);
	executor_run_until_idle(&ex);
	for (int i = 0; i < CANCEL_TASKS; i++) {
		bool done = ((struct quick *)task_output(&cancel_h[i]))->finished;
		bool c = task_was_cancelled(&cancel_h[i]);
		EXPECT_TRUE(task_is_done(&cancel_h[i]));
		finished += done && !c;
		cancelled += c && !done;
		both += done && c;
		task_detach(&cancel_h[i]);
	}
	EXPECT_EQ(both, 0);
	EXPECT_EQ(finished + cancelled, CANCEL_TASKS);
	ktest_diag(_kt, "%u finished, %u cancelled, %u both", finished, cancelled, both);
	executor_teardown(&ex);
}
