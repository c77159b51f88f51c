/*
 * One executor on several CPUs: host threads play the CPUs (each runs its
 * worker with executor_run_until), and other threads play devices and
 * remote CPUs that wake, spawn and cancel.  The fake HAL's halt really
 * blocks until an IPI, so a lost wake-up shows as a halt that times out.
 *
 * Built into the ASan/UBSan binary and into the ThreadSanitizer one (make
 * test runs both), so a data race fails a case even when the schedule was
 * benign.  Every case checks exactly-once: each task polled as often as it
 * should be, never by two workers at once, none lost.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "test/host/fake_hal.h"
#include "test/ktest/ktest.h"

#include "hal/hal.h"
#include "sched/async.h"
#include "sched/atomic_waker.h"
#include "sched/channel.h"
#include "sched/combinators.h"
#include "sched/executor.h"
#include "sched/local_queue.h"

KTEST_SUITE_FLAGS(sched_mt, KTEST_HOST_ONLY);

#ifdef COOP_TSAN
#define SCALE 10	/* ThreadSanitizer runs threads ~10x slower */
#else
#define SCALE 1
#endif

#define WAIT_S 120	/* a generous bound for anything to finish, busy machine */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void nap_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* ---- the machine: an executor and one thread per CPU ------------------------------ */

struct machine;

struct cpu_thread {
	struct machine *m;
	unsigned cpu;
	pthread_t th;
	bool ok;
};

struct machine {
	struct executor ex;
	unsigned ncpus;
	_Atomic bool stop;
	unsigned long timeouts_before;
	struct cpu_thread cpu[8];
};

/* Stop when told, or when a halt timed out: a lost wake-up, which the case
 * then reports (mt_stop). */
static bool machine_done(void *arg)
{
	struct machine *m = arg;

	return atomic_load(&m->stop) || fake_hal_halt_timeouts() != m->timeouts_before;
}

static void *cpu_main(void *arg)
{
	struct cpu_thread *c = arg;

	fake_hal_set_cpu(c->cpu);
	c->ok = executor_run_until(&c->m->ex, machine_done, c->m, ~0ul);
	return NULL;
}

static bool machine_start(struct machine *m, unsigned ncpus)
{
	m->ncpus = ncpus;
	atomic_store(&m->stop, false);
	fake_hal_set_cpu_count(ncpus);
	fake_hal_set_halt_timeout_ms(10000);
	fake_hal_reset_cpus();
	m->timeouts_before = fake_hal_halt_timeouts();
	if (!executor_setup_workers(&m->ex, ncpus))
		return false;
	for (unsigned i = 0; i < ncpus; i++) {
		m->cpu[i] = (struct cpu_thread){ .m = m, .cpu = i };
		if (pthread_create(&m->cpu[i].th, NULL, cpu_main, &m->cpu[i]))
			return false;
	}
	return true;
}

/* Waits (on the main thread, which runs no worker) until cond(arg). */
static bool wait_for(bool (*cond)(void *arg), void *arg)
{
	uint64_t limit = now_ns() + (uint64_t)WAIT_S * 1000000000ull;

	while (!cond(arg)) {
		if (now_ns() > limit)
			return false;
		nap_us(200);
	}
	return true;
}

/* Stops the CPUs; returns how many halts timed out meanwhile (lost wakes). */
static unsigned long machine_stop(struct machine *m)
{
	atomic_store(&m->stop, true);
	executor_kick(&m->ex);
	for (unsigned i = 0; i < m->ncpus; i++)
		pthread_join(m->cpu[i].th, NULL);
	return fake_hal_halt_timeouts() - m->timeouts_before;
}

/* No IPI storm: a CPU gets at most one IPI each time it says it will halt
 * (idle.h), however many wakes there were. */
static unsigned storms(struct machine *m)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < m->ncpus; i++)
		bad += fake_hal_cpu_counts(i).ipis > executor_worker_stats(&m->ex, i).sleeps;
	return bad;
}

static void machine_teardown(struct machine *m)
{
	executor_teardown(&m->ex);
	fake_hal_set_cpu_count(1);
}

static bool no_live_tasks(void *arg)
{
	return executor_stats(&((struct machine *)arg)->ex).live == 0;
}

static void diag_spread(struct ktest *_kt, struct machine *m, const char *what)
{
	char line[160];
	int at = 0;

	for (unsigned i = 0; i < m->ncpus && at < (int)sizeof line - 40; i++) {
		struct sched_stats s = executor_worker_stats(&m->ex, i);
		at += snprintf(line + at, sizeof line - at, " cpu%u %llu/%llu/%llu", i,
			       (unsigned long long)s.polls, (unsigned long long)s.steals,
			       (unsigned long long)s.idle_waits);
	}
	ktest_diag(_kt, "%s: polls/steals/halts%s", what, line);
}

/* ---- the local queue on its own ------------------------------------------------------ */

static struct task fake_tasks[600];

KTEST(sched_mt, local_queue_steals_half_in_one_step)
{
	static struct local_queue a, b;
	struct task *first, *last, *t;
	uint32_t n;

	lq_init(&a);
	lq_init(&b);
	for (int i = 0; i < 10; i++)
		ASSERT_TRUE(lq_push(&a, &fake_tasks[i]));
	t = lq_steal_into(&a, &b, &n);
	EXPECT_EQ(n, 5);			/* half, rounded up */
	EXPECT_TRUE(t == &fake_tasks[4]);	/* the newest taken runs now */
	EXPECT_EQ(lq_len(&b), 4);
	EXPECT_TRUE(lq_pop(&b) == &fake_tasks[0]);	/* oldest first */
	for (int i = 5; i < 10; i++)
		EXPECT_TRUE(lq_pop(&a) == &fake_tasks[i]);
	EXPECT_TRUE(lq_pop(&a) == NULL);
	EXPECT_TRUE(lq_steal_into(&a, &b, &n) == NULL);	/* nothing to take */

	/* Full: the older half and the newcomer leave as one chain. */
	lq_init(&a);
	for (uint32_t i = 0; i < LQ_SLOTS; i++)
		ASSERT_TRUE(lq_push(&a, &fake_tasks[i]));
	EXPECT_FALSE(lq_push(&a, &fake_tasks[LQ_SLOTS]));
	n = lq_overflow(&a, &fake_tasks[LQ_SLOTS], &first, &last);
	EXPECT_EQ(n, LQ_SLOTS / 2 + 1);
	EXPECT_TRUE(first == &fake_tasks[0]);
	EXPECT_TRUE(last == &fake_tasks[LQ_SLOTS]);
	EXPECT_TRUE(fake_tasks[LQ_SLOTS / 2 - 1].link.next == &fake_tasks[LQ_SLOTS].link);
	EXPECT_EQ(lq_len(&a), LQ_SLOTS / 2);
	EXPECT_TRUE(lq_pop(&a) == &fake_tasks[LQ_SLOTS / 2]);
}

/* An owner pushing and popping while thieves steal: each item comes out
 * exactly once. */
enum { LQ_ITEMS = 400000 / SCALE, LQ_THIEVES = 2 };

static struct task lq_items[LQ_ITEMS];
static _Atomic unsigned char lq_seen[LQ_ITEMS];
static struct local_queue lq_owner, lq_loot[LQ_THIEVES];
static _Atomic bool lq_owner_done;
static _Atomic unsigned long lq_dups, lq_taken;

static void lq_consume(struct task *t)
{
	if (atomic_fetch_add(&lq_seen[t - lq_items], 1))
		atomic_fetch_add(&lq_dups, 1);
	atomic_fetch_add(&lq_taken, 1);
}

static void *lq_thief(void *arg)
{
	struct local_queue *mine = arg;
	struct task *t;
	uint32_t n;

	while (!atomic_load(&lq_owner_done) || lq_len(&lq_owner)) {
		if ((t = lq_steal_into(&lq_owner, mine, &n)))
			lq_consume(t);
		while ((t = lq_pop(mine)))
			lq_consume(t);
	}
	return NULL;
}

KTEST(sched_mt, local_queue_owner_and_thieves_take_each_task_once)
{
	pthread_t th[LQ_THIEVES];
	struct task *t, *first, *last;
	unsigned long overflowed = 0;

	lq_init(&lq_owner);
	atomic_store(&lq_owner_done, false);
	atomic_store(&lq_dups, 0);
	atomic_store(&lq_taken, 0);
	for (int i = 0; i < LQ_ITEMS; i++)
		atomic_store(&lq_seen[i], 0);
	for (int i = 0; i < LQ_THIEVES; i++) {
		lq_init(&lq_loot[i]);
		ASSERT_EQ(pthread_create(&th[i], NULL, lq_thief, &lq_loot[i]), 0);
	}
	for (int i = 0; i < LQ_ITEMS; i++) {
		while (!lq_push(&lq_owner, &lq_items[i])) {
			uint32_t n = lq_overflow(&lq_owner, &lq_items[i], &first, &last);
			if (n) {	/* what overflows is consumed here */
				for (struct rq_node *l = &first->link; n--; l = l->next)
					lq_consume(container_of(l, struct task, link));
				overflowed++;
				break;
			}
		}
		if (i % 3 == 0 && (t = lq_pop(&lq_owner)))
			lq_consume(t);
	}
	while ((t = lq_pop(&lq_owner)))
		lq_consume(t);
	atomic_store(&lq_owner_done, true);
	for (int i = 0; i < LQ_THIEVES; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < LQ_THIEVES; i++)
		while ((t = lq_pop(&lq_loot[i])))
			lq_consume(t);
	EXPECT_EQ(atomic_load(&lq_dups), 0);
	EXPECT_EQ(atomic_load(&lq_taken), LQ_ITEMS);
	ktest_diag(_kt, "%d items, %lu overflows, none twice, none lost", LQ_ITEMS, overflowed);
}

/* ---- tasks that yield, polled exactly once per turn ---------------------------------- */

struct counted {
	struct future base;
	_Atomic int in_poll;
	_Atomic unsigned overlaps;
	unsigned polls, yields;
	unsigned cpus_seen;		/* bit per CPU that polled it */
};

static _Atomic unsigned long total_overlaps;

static enum poll counted_poll(struct future *f, struct context *cx)
{
	struct counted *c = (struct counted *)f;

	if (atomic_exchange(&c->in_poll, 1))
		atomic_fetch_add(&total_overlaps, 1);	/* two workers at once */
	c->polls++;
	c->cpus_seen |= 1u << hal_cpu_id();
	atomic_store(&c->in_poll, 0);
	if (c->polls > c->yields)
		return POLL_READY;
	waker_wake_by_ref(cx->waker);	/* yield */
	return POLL_PENDING;
}

static const struct future_ops counted_ops = { .name = "counted", .poll = counted_poll };

/* Spawns n counted tasks from inside a task, then finishes. */
struct spawner {
	struct future base;
	unsigned n, yields;
	struct task_handle *out;
};

static enum poll spawner_poll(struct future *f, struct context *cx)
{
	struct spawner *s = (struct spawner *)f;

	for (unsigned i = 0; i < s->n; i++) {
		struct counted c = { .base = { &counted_ops }, .yields = s->yields + i % 7 };
		s->out[i] = spawn_on(cx->executor, &c.base, sizeof(c));
	}
	return POLL_READY;
}

static const struct future_ops spawner_ops = { .name = "spawner", .poll = spawner_poll };

enum { YIELD_TASKS = 1000 / SCALE, YIELDS = 100 };

KTEST(sched_mt, every_task_polled_once_per_turn_on_four_cpus)
{
	static struct task_handle h[2 * YIELD_TASKS];
	static struct machine m;
	unsigned wrong = 0, moved = 0;

	atomic_store(&total_overlaps, 0);
	ASSERT_TRUE(machine_start(&m, 4));
	/* Half from a task (local queues), half from outside (inject). */
	struct spawner s = { .base = { &spawner_ops }, .n = YIELD_TASKS, .yields = YIELDS,
			     .out = h };
	ASSERT_NE(spawn_detached_on(&m.ex, &s.base, sizeof(s)), 0);
	for (unsigned i = 0; i < YIELD_TASKS; i++) {
		struct counted c = { .base = { &counted_ops }, .yields = YIELDS + i % 7 };
		h[YIELD_TASKS + i] = spawn_on(&m.ex, &c.base, sizeof(c));
	}
	EXPECT_TRUE(wait_for(no_live_tasks, &m));
	EXPECT_EQ(machine_stop(&m), 0);
	for (unsigned i = 0; i < 2 * YIELD_TASKS; i++) {
		struct counted *c;
		if (!h[i].task) {	/* the spawner had not run: counted below */
			wrong++;
			continue;
		}
		c = (struct counted *)task_output(&h[i]);
		wrong += !task_is_done(&h[i]) || c->polls != c->yields + 1;
		moved += __builtin_popcount(c->cpus_seen) > 1;
		task_detach(&h[i]);
	}
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(atomic_load(&total_overlaps), 0);
	EXPECT_EQ(storms(&m), 0);
	struct sched_stats st = executor_stats(&m.ex);
	EXPECT_EQ(st.live, 0);
	EXPECT_EQ(st.completed, 2 * YIELD_TASKS + 1);
	diag_spread(_kt, &m, "yielders");
	ktest_diag(_kt, "%u tasks ran on more than one CPU", moved);
	machine_teardown(&m);
}

/* ---- an idle CPU steals from a busy one ---------------------------------------------- */

enum { HOGGED = 20 };
static _Atomic unsigned hog_done;

struct quick_task {
	struct future base;
};

static enum poll quick_poll(struct future *f, struct context *cx)
{
	(void)f, (void)cx;
	atomic_fetch_add(&hog_done, 1);
	return POLL_READY;
}

static const struct future_ops quick_ops = { .name = "quick", .poll = quick_poll };

/* Spawns HOGGED tasks onto its own CPU, then holds that CPU (one long
 * poll) until all but the one in the LIFO slot (which cannot be stolen) ran:
 * only another CPU can have run them, stolen from the local queue or handed
 * to it while it was parked (worker.c: hand_off). */
struct hog {
	struct future base;
	bool all_stolen;
	unsigned cpu;
};

static enum poll hog_poll(struct future *f, struct context *cx)
{
	struct hog *h = (struct hog *)f;
	uint64_t limit = now_ns() + (uint64_t)WAIT_S * 1000000000ull;

	h->cpu = hal_cpu_id();
	for (int i = 0; i < HOGGED; i++) {
		struct quick_task q = { .base = { &quick_ops } };
		spawn_detached_on(cx->executor, &q.base, sizeof(q));
	}
	while (atomic_load(&hog_done) < HOGGED - 1 && now_ns() < limit)
		nap_us(100);
	h->all_stolen = atomic_load(&hog_done) >= HOGGED - 1;
	return POLL_READY;
}

static const struct future_ops hog_ops = { .name = "hog", .poll = hog_poll };

KTEST(sched_mt, idle_cpu_takes_work_from_a_busy_one)
{
	static struct machine m;

	atomic_store(&hog_done, 0);
	ASSERT_TRUE(machine_start(&m, 2));
	struct hog hg = { .base = { &hog_ops } };
	struct task_handle h = spawn_on(&m.ex, &hg.base, sizeof(hg));
	EXPECT_TRUE(wait_for(no_live_tasks, &m));
	EXPECT_EQ(machine_stop(&m), 0);
	struct hog *out = (struct hog *)task_output(&h);
	EXPECT_TRUE(out->all_stolen);
	EXPECT_EQ(atomic_load(&hog_done), HOGGED);
	struct sched_stats thief = executor_worker_stats(&m.ex, 1 - out->cpu);
	EXPECT_GE(thief.polls, HOGGED - 1);
	diag_spread(_kt, &m, "hog");
	task_detach(&h);
	machine_teardown(&m);
}

/* ---- channels between tasks on different CPUs ------------------------------------------ */

enum { PAIRS = 16, MESSAGES = 20000 / SCALE };

struct pinger {
	ASYNC_STATE;
	struct channel *out, *in;
	uint64_t i, v, bad;
	struct chan_send_future send;
	struct chan_recv_future recv;
};

ASYNC_FN(pinger, struct pinger)
{
	ASYNC_BEGIN();
	for (self->i = 0; self->i < MESSAGES; self->i++) {
		self->v = self->i * 2;
		chan_send_init(&self->send, self->out, &self->v);
		AWAIT(&self->send);
		chan_recv_init(&self->recv, self->in, &self->v);
		AWAIT(&self->recv);
		self->bad += self->v != self->i * 2 + 1;
	}
	ASYNC_END();
}

ASYNC_FN(ponger, struct pinger)
{
	ASYNC_BEGIN();
	for (self->i = 0; self->i < MESSAGES; self->i++) {
		chan_recv_init(&self->recv, self->in, &self->v);
		AWAIT(&self->recv);
		self->bad += self->v != self->i * 2;
		self->v++;
		chan_send_init(&self->send, self->out, &self->v);
		AWAIT(&self->send);
	}
	ASYNC_END();
}

KTEST(sched_mt, ping_pong_pairs_across_cpus)
{
	static struct machine m;
	static struct channel ch[PAIRS][2];
	static struct task_handle h[PAIRS][2];
	uint64_t bad = 0;

	ASSERT_TRUE(machine_start(&m, 4));
	for (int p = 0; p < PAIRS; p++) {
		ASSERT_TRUE(chan_init(&ch[p][0], sizeof(uint64_t), 1));
		ASSERT_TRUE(chan_init(&ch[p][1], sizeof(uint64_t), 1));
		struct pinger a = { ASYNC_INIT(pinger), .out = &ch[p][0], .in = &ch[p][1] };
		struct pinger b = { ASYNC_INIT(ponger), .out = &ch[p][1], .in = &ch[p][0] };
		h[p][0] = spawn_on(&m.ex, &a.base, sizeof(a));
		h[p][1] = spawn_on(&m.ex, &b.base, sizeof(b));
	}
	EXPECT_TRUE(wait_for(no_live_tasks, &m));
	EXPECT_EQ(machine_stop(&m), 0);
	for (int p = 0; p < PAIRS; p++)
		for (int k = 0; k < 2; k++) {
			struct pinger *x = (struct pinger *)task_output(&h[p][k]);
			EXPECT_TRUE(task_is_done(&h[p][k]));
			EXPECT_EQ(x->i, MESSAGES);
			bad += x->bad;
			task_detach(&h[p][k]);
		}
	EXPECT_EQ(bad, 0);
	for (int p = 0; p < PAIRS; p++) {
		chan_destroy(&ch[p][0]);
		chan_destroy(&ch[p][1]);
	}
	diag_spread(_kt, &m, "ping-pong");
	machine_teardown(&m);
}

/* ---- join, cancel and select across CPUs ------------------------------------------------ */

enum { GROUPS = 200 / SCALE + 20, CHILDREN = 8 };

static _Atomic unsigned drops, joined_ok, cancelled_seen;

/* Waits on a channel nobody sends to, or yields a few times and ends. */
struct child {
	ASYNC_STATE;
	struct channel *never;
	int turns;
	uint64_t v;
	struct chan_recv_future recv;
};

static void child_cleanup(struct child *c)
{
	(void)c;
	atomic_fetch_add(&drops, 1);
}

ASYNC_FN_CLEANUP(child, struct child, child_cleanup)
{
	ASYNC_BEGIN();
	while (self->turns-- > 0)
		YIELD();
	if (self->never) {
		chan_recv_init(&self->recv, self->never, &self->v);
		AWAIT(&self->recv);
	}
	ASYNC_END();
}

/* Spawns children, cancels the ones that wait forever, joins them all. */
struct parent {
	ASYNC_STATE;
	struct channel *never;
	int k;
	struct task_handle kids[CHILDREN];
	struct join_future join;
};

ASYNC_FN(parent, struct parent)
{
	ASYNC_BEGIN();
	for (self->k = 0; self->k < CHILDREN; self->k++) {
		struct child c = { ASYNC_INIT(child), .turns = self->k,
				   .never = self->k % 2 ? self->never : NULL };
		self->kids[self->k] = spawn_on(cx->executor, &c.base, sizeof(c));
	}
	YIELD();	/* let them spread */
	for (self->k = 0; self->k < CHILDREN; self->k++)
		if (self->k % 2)
			task_cancel(&self->kids[self->k]);
	for (self->k = 0; self->k < CHILDREN; self->k++) {
		join_init(&self->join, &self->kids[self->k]);
		AWAIT(&self->join);
		if (task_was_cancelled(&self->kids[self->k]))
			atomic_fetch_add(&cancelled_seen, 1);
		else
			atomic_fetch_add(&joined_ok, 1);
		task_detach(&self->kids[self->k]);
	}
	ASYNC_END();
}

KTEST(sched_mt, joins_and_cancels_cross_cpus)
{
	static struct machine m;
	static struct channel never;

	atomic_store(&drops, 0);
	atomic_store(&joined_ok, 0);
	atomic_store(&cancelled_seen, 0);
	ASSERT_TRUE(chan_init(&never, sizeof(uint64_t), 1));
	ASSERT_TRUE(machine_start(&m, 4));
	for (int g = 0; g < GROUPS; g++) {
		struct parent p = { ASYNC_INIT(parent), .never = &never };
		ASSERT_NE(spawn_detached_on(&m.ex, &p.base, sizeof(p)), 0);
	}
	EXPECT_TRUE(wait_for(no_live_tasks, &m));
	EXPECT_EQ(machine_stop(&m), 0);
	EXPECT_EQ(atomic_load(&joined_ok), GROUPS * CHILDREN / 2);
	EXPECT_EQ(atomic_load(&cancelled_seen), GROUPS * CHILDREN / 2);
	EXPECT_EQ(atomic_load(&drops), GROUPS * CHILDREN / 2);	/* one drop each */
	EXPECT_TRUE(waitq_is_empty(&never.receivers));
	EXPECT_EQ(executor_stats(&m.ex).cancelled, GROUPS * CHILDREN / 2);
	diag_spread(_kt, &m, "joins");
	chan_destroy(&never);
	machine_teardown(&m);
}

/* Cancels from threads that run no worker, racing the tasks' own ends. */
enum { CANCEL_TASKS = 20000 / SCALE };

struct loop3 {
	ASYNC_STATE;
	int i, finished;
	_Atomic int in_poll;
};

static _Atomic unsigned long loop_overlaps;

ASYNC_FN(loop3, struct loop3)
{
	if (cx && atomic_exchange(&self->in_poll, 1))
		atomic_fetch_add(&loop_overlaps, 1);
	if (cx)
		atomic_store(&self->in_poll, 0);
	ASYNC_BEGIN();
	for (self->i = 0; self->i < 3; self->i++)
		YIELD();
	self->finished = 1;
	ASYNC_END();
}

static struct task_handle cancel_h[CANCEL_TASKS];
static _Atomic int cancel_spawned;

static void *canceller(void *arg)
{
	uintptr_t from = (uintptr_t)arg;

	for (int i = (int)from; i < CANCEL_TASKS; i += 2) {
		while (atomic_load_explicit(&cancel_spawned, memory_order_acquire) <= i)
			;
		task_cancel(&cancel_h[i]);
	}
	return NULL;
}

KTEST(sched_mt, cancels_from_other_threads_end_each_task_once)
{
	static struct machine m;
	pthread_t th[2];
	unsigned finished = 0, cancelled = 0, both = 0;

	atomic_store(&cancel_spawned, 0);
	atomic_store(&loop_overlaps, 0);
	ASSERT_TRUE(machine_start(&m, 2));
	for (uintptr_t k = 0; k < 2; k++)
		ASSERT_EQ(pthread_create(&th[k], NULL, canceller, (void *)k), 0);
	for (int i = 0; i < CANCEL_TASKS; i++) {
		struct loop3 q = { ASYNC_INIT(loop3) };
		cancel_h[i] = spawn_on(&m.ex, &q.base, sizeof(q));
		atomic_store_explicit(&cancel_spawned, i + 1, memory_order_release);
	}
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	EXPECT_TRUE(wait_for(no_live_tasks, &m));
	EXPECT_EQ(machine_stop(&m), 0);
	for (int i = 0; i < CANCEL_TASKS; i++) {
		bool done = ((struct loop3 *)task_output(&cancel_h[i]))->finished;
		bool c = task_was_cancelled(&cancel_h[i]);
		EXPECT_TRUE(task_is_done(&cancel_h[i]));
		finished += done && !c;
		cancelled += c && !done;
		both += done && c;
		task_detach(&cancel_h[i]);
	}
	EXPECT_EQ(both, 0);
	EXPECT_EQ(finished + cancelled, CANCEL_TASKS);
	EXPECT_EQ(atomic_load(&loop_overlaps), 0);
	ktest_diag(_kt, "%u finished, %u cancelled, %u both", finished, cancelled, both);
	machine_teardown(&m);
}

/* ---- timers armed on every CPU, ticked from another thread ------------------------------ */

enum { SLEEPERS = 400 / SCALE + 40 };

static _Atomic uint64_t fake_now;
static _Atomic unsigned early, woke;

struct napper {
	ASYNC_STATE;
	uint64_t ms, start;
	struct sleep_future nap;
	struct yield_future y;
	struct future *either[2];
	struct select_future sel;
};

ASYNC_FN(napper, struct napper)
{
	ASYNC_BEGIN();
	self->start = timerq_now(executor_timers(cx->executor));
	sleep_ms_init(&self->nap, self->ms);
	AWAIT(&self->nap);
	if (timerq_now(executor_timers(cx->executor)) < self->start + self->ms)
		atomic_fetch_add(&early, 1);
	/* And a sleep that loses a select to a yield: its timer must go,
	 * whichever CPU armed it. */
	sleep_ms_init(&self->nap, 1000000);
	yield_now_init(&self->y);
	self->either[0] = &self->nap.base;
	self->either[1] = &self->y.base;
	select_init(&self->sel, self->either, 2);
	AWAIT(&self->sel);
	atomic_fetch_add(&woke, 1);
	ASYNC_END();
}

struct ticker_arg {
	struct machine *m;
	_Atomic bool stop;
};

static void *ticker(void *arg)
{
	struct ticker_arg *a = arg;

	while (!atomic_load(&a->stop)) {
		executor_timer_tick(&a->m->ex, atomic_fetch_add(&fake_now, 1) + 1);
		nap_us(50);
	}
	return NULL;
}

KTEST(sched_mt, timers_fire_whichever_cpu_armed_them)
{
	static struct machine m;
	struct ticker_arg ta = { .m = &m };
	pthread_t th;

	atomic_store(&fake_now, 0);
	atomic_store(&early, 0);
	atomic_store(&woke, 0);
	ASSERT_TRUE(machine_start(&m, 4));
	for (int i = 0; i < SLEEPERS; i++) {
		struct napper n = { ASYNC_INIT(napper), .ms = 1 + i % 40 };
		ASSERT_NE(spawn_detached_on(&m.ex, &n.base, sizeof(n)), 0);
	}
	ASSERT_EQ(pthread_create(&th, NULL, ticker, &ta), 0);
	EXPECT_TRUE(wait_for(no_live_tasks, &m));
	atomic_store(&ta.stop, true);
	pthread_join(th, NULL);
	EXPECT_EQ(machine_stop(&m), 0);
	EXPECT_EQ(atomic_load(&woke), SLEEPERS);
	EXPECT_EQ(atomic_load(&early), 0);
	EXPECT_EQ(timerq_len(executor_timers(&m.ex)), 0);	/* losers removed theirs */
	diag_spread(_kt, &m, "sleepers");
	machine_teardown(&m);
}

/* ---- `spawn N`: a task spawns sleepers while the other CPUs are idle -------------------
 *
 * As the shell's `spawn 4` on four CPUs: one task spawns a few demo tasks that
 * each sleep, then note the CPU they end on.  The tasks are short and the
 * other workers parked, so unless a task goes straight to an idle CPU, the
 * spawning worker runs every first poll before a thief has woken, and the
 * timer wakes each task where the timers are run: all on one CPU.
 */
enum { DEMOS = 4, DEMO_ROUNDS = 5 };

static _Atomic unsigned demo_done, demo_on_cpu[8];

struct demo {
	ASYNC_STATE;
	uint64_t ms;
	struct sleep_future nap;
};

ASYNC_FN(demo, struct demo)
{
	ASYNC_BEGIN();
	sleep_ms_init(&self->nap, self->ms);
	AWAIT(&self->nap);
	atomic_fetch_add(&demo_on_cpu[hal_cpu_id()], 1);
	atomic_fetch_add(&demo_done, 1);
	ASYNC_END();
}

struct demo_spawner {
	struct future base;
};

static enum poll demo_spawner_poll(struct future *f, struct context *cx)
{
	(void)f;
	for (unsigned i = 0; i < DEMOS; i++) {
		struct demo d = { ASYNC_INIT(demo), .ms = 2 + 3 * i };
		spawn_detached_on(cx->executor, &d.base, sizeof(d));
	}
	return POLL_READY;
}

static const struct future_ops demo_spawner_ops = { .name = "spawn", .poll = demo_spawner_poll };

/* Every worker but at most one (the spawner's, later) has halted. */
static bool cpus_idle(void *arg)
{
	struct machine *m = arg;
	unsigned halted = 0;

	for (unsigned i = 0; i < m->ncpus; i++)
		halted += fake_hal_cpu_counts(i).halts > 0;
	return halted == m->ncpus;
}

static bool demos_done(void *arg)
{
	return atomic_load(&demo_done) == *(unsigned *)arg;
}

KTEST(sched_mt, spawned_sleepers_spread_over_idle_cpus)
{
	static struct machine m;
	struct ticker_arg ta = { .m = &m };
	unsigned want = 0, cpus_used = 0;
	pthread_t th;

	atomic_store(&fake_now, 0);
	atomic_store(&demo_done, 0);
	for (unsigned c = 0; c < 8; c++)
		atomic_store(&demo_on_cpu[c], 0);
	ASSERT_TRUE(machine_start(&m, 4));
	ASSERT_EQ(pthread_create(&th, NULL, ticker, &ta), 0);
	for (unsigned r = 0; r < DEMO_ROUNDS; r++) {
		struct demo_spawner sp = { .base = { &demo_spawner_ops } };
		EXPECT_TRUE(wait_for(cpus_idle, &m));
		ASSERT_NE(spawn_detached_on(&m.ex, &sp.base, sizeof(sp)), 0);
		want += DEMOS;
		EXPECT_TRUE(wait_for(demos_done, &want));
	}
	atomic_store(&ta.stop, true);
	pthread_join(th, NULL);
	EXPECT_EQ(machine_stop(&m), 0);
	for (unsigned c = 0; c < 4; c++)
		cpus_used += atomic_load(&demo_on_cpu[c]) != 0;
	ktest_diag(_kt, "%u sleepers ended by CPU: %u %u %u %u", want,
		   atomic_load(&demo_on_cpu[0]), atomic_load(&demo_on_cpu[1]),
		   atomic_load(&demo_on_cpu[2]), atomic_load(&demo_on_cpu[3]));
	/* Each round's four could have ended on four CPUs; all on one CPU in
	 * every round is what the bug looked like. */
	EXPECT_GE(cpus_used, 2);
	EXPECT_EQ(storms(&m), 0);
	machine_teardown(&m);
}

/* ---- devices on other threads wake tasks through atomic wakers -------------------------- */

enum { DEVICES = 8, DEVICE_EVENTS = 100000 / SCALE };

static struct atomic_waker dev_aw[DEVICES];
static _Atomic unsigned dev_pending[DEVICES];

struct reader {
	struct future base;
	int idx;
	unsigned got;
};

static enum poll reader_poll(struct future *f, struct context *cx)
{
	struct reader *r = (struct reader *)f;

	for (;;) {
		r->got += atomic_exchange(&dev_pending[r->idx], 0);
		if (r->got >= DEVICE_EVENTS)
			return POLL_READY;
		atomic_waker_register(&dev_aw[r->idx], cx->waker);
		if (atomic_load(&dev_pending[r->idx]) == 0)
			return POLL_PENDING;
	}
}

static const struct future_ops reader_ops = { .name = "reader", .poll = reader_poll };

static void *device(void *arg)
{
	int idx = (int)(uintptr_t)arg;

	for (int i = 0; i < DEVICE_EVENTS; i++) {
		atomic_fetch_add(&dev_pending[idx], 1);
		atomic_waker_wake(&dev_aw[idx]);
		if (i % 64 == 0)
			nap_us(10);	/* let the readers catch up and sleep */
	}
	return NULL;
}

KTEST(sched_mt, device_threads_wake_readers_on_any_cpu)
{
	static struct machine m;
	struct task_handle h[DEVICES];
	pthread_t th[DEVICES];
	unsigned total = 0;

	ASSERT_TRUE(machine_start(&m, 2));
	for (int i = 0; i < DEVICES; i++) {
		atomic_waker_init(&dev_aw[i]);
		atomic_store(&dev_pending[i], 0);
		struct reader r = { .base = { &reader_ops }, .idx = i };
		h[i] = spawn_on(&m.ex, &r.base, sizeof(r));
	}
	for (uintptr_t i = 0; i < DEVICES; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, device, (void *)i), 0);
	for (int i = 0; i < DEVICES; i++)
		pthread_join(th[i], NULL);
	EXPECT_TRUE(wait_for(no_live_tasks, &m));
	EXPECT_EQ(machine_stop(&m), 0);
	for (int i = 0; i < DEVICES; i++) {
		total += ((struct reader *)task_output(&h[i]))->got;
		task_detach(&h[i]);
		atomic_waker_destroy(&dev_aw[i]);
	}
	EXPECT_EQ(total, DEVICES * DEVICE_EVENTS);
	EXPECT_EQ(storms(&m), 0);
	diag_spread(_kt, &m, "readers");
	ktest_diag(_kt, "%d wakes from %d device threads: %lu + %lu IPIs", DEVICES * DEVICE_EVENTS,
		   DEVICES, fake_hal_cpu_counts(0).ipis, fake_hal_cpu_counts(1).ipis);
	machine_teardown(&m);
}

/* ---- ids and the task list while tasks end on any CPU ------------------------------------- */

struct idler {
	struct future base;
};

static enum poll idler_poll(struct future *f, struct context *cx)
{
	(void)f, (void)cx;
	return POLL_PENDING;	/* waits until cancelled */
}

static const struct future_ops idler_ops = { .name = "idler", .poll = idler_poll };

struct listing {
	unsigned n, dup;
	unsigned per_cpu[8];
	uint8_t seen[8192];
};

static void list_one(const struct task_info *t, void *arg)
{
	struct listing *l = arg;

	l->n++;
	if (t->id < sizeof l->seen) {
		l->dup += l->seen[t->id];
		l->seen[t->id] = 1;
	}
	if (t->cpu < 8)
		l->per_cpu[t->cpu]++;
}

/* Idlers spawned from tasks on every CPU; ids unique, all listed, and
 * cancelled from elsewhere, every table gives its memory back. */
struct idle_spawner {
	struct future base;
	unsigned n;
};

static enum poll idle_spawner_poll(struct future *f, struct context *cx)
{
	struct idle_spawner *s = (struct idle_spawner *)f;

	for (unsigned i = 0; i < s->n; i++) {
		struct idler d = { .base = { &idler_ops } };
		spawn_detached_on(cx->executor, &d.base, sizeof(d));
	}
	return POLL_READY;
}

static const struct future_ops idle_spawner_ops = { .name = "spawn_idlers", .poll = idle_spawner_poll };

struct polled_once {
	struct machine *m;
	unsigned want;
};

static bool all_polled(void *arg)
{
	struct polled_once *p = arg;
	struct sched_stats s = executor_stats(&p->m->ex);

	return s.completed == 4 && s.polls >= p->want;
}

KTEST(sched_mt, ids_stay_unique_and_every_task_is_listed)
{
	static struct machine m;
	static struct listing l;
	struct polled_once p = { .m = &m, .want = 4 + 4 * 250 };

	l = (struct listing){ 0 };
	ASSERT_TRUE(machine_start(&m, 4));
	for (int i = 0; i < 4; i++) {
		struct idle_spawner s = { .base = { &idle_spawner_ops }, .n = 250 };
		ASSERT_NE(spawn_detached_on(&m.ex, &s.base, sizeof(s)), 0);
	}
	EXPECT_TRUE(wait_for(all_polled, &p));
	sched_for_each_task(&m.ex, list_one, &l);	/* while the CPUs run */
	EXPECT_EQ(l.n, 1000);
	EXPECT_EQ(l.dup, 0);
	EXPECT_EQ(machine_stop(&m), 0);
	ktest_diag(_kt, "1000 idlers listed by CPU: %u %u %u %u", l.per_cpu[0], l.per_cpu[1],
		   l.per_cpu[2], l.per_cpu[3]);
	machine_teardown(&m);	/* cancels them all */
}

/* ---- work for one CPU: executor_call_cpu ---------------------------------------------
 *
 * The main thread (no worker: another CPU, or a device) asks each CPU in
 * turn to run a call, while the CPUs are halted or busy with spinning
 * tasks.  Each call must run once, on the CPU asked, in its worker's loop
 * (a spawn there starts there), and a halted CPU must wake for it.
 */
enum { CALL_ROUNDS = 4000 / SCALE };

static _Atomic uint32_t call_asked[8], call_ran[8], call_wrong_cpu, call_spawned_elsewhere;

struct call_child {
	struct future base;
	unsigned cpu;
};

static enum poll call_child_poll(struct future *f, struct context *cx)
{
	(void)cx;
	/* Its first poll is where it was spawned: the LIFO slot of that
	 * CPU (a thief would need a second ready task to take it). */
	if (hal_cpu_id() != ((struct call_child *)f)->cpu)
		atomic_fetch_add(&call_spawned_elsewhere, 1);
	return POLL_READY;
}

static const struct future_ops call_child_ops = { .name = "call_child", .poll = call_child_poll };

static struct machine *call_machine;

static void on_cpu_call(unsigned cpu)
{
	struct call_child c = { { &call_child_ops }, cpu };

	if (hal_cpu_id() != cpu)
		atomic_fetch_add(&call_wrong_cpu, 1);
	/* Answers every call made before it looked (they coalesce). */
	atomic_store(&call_ran[cpu], atomic_load(&call_asked[cpu]));
	spawn_detached_on(&call_machine->ex, &c.base, sizeof(c));
}

struct call_round {
	unsigned cpu;
	uint32_t want;
};

static bool call_answered(void *arg)
{
	struct call_round *r = arg;

	return atomic_load(&call_ran[r->cpu]) >= r->want ||
	       fake_hal_halt_timeouts() != call_machine->timeouts_before;
}

KTEST(sched_mt, calls_run_on_the_cpu_asked)
{
	static struct machine m;
	uint32_t lost = 0;

	for (int i = 0; i < 8; i++) {
		atomic_store(&call_asked[i], 0);
		atomic_store(&call_ran[i], 0);
	}
	atomic_store(&call_wrong_cpu, 0);
	atomic_store(&call_spawned_elsewhere, 0);
	call_machine = &m;
	m.ex.cpu_call = NULL;
	ASSERT_TRUE(machine_start(&m, 4));
	fake_hal_set_halt_timeout_ms(2000);	/* a lost call shows in 2 s */
	m.ex.cpu_call = on_cpu_call;	/* before any call: the threads see it */
	EXPECT_FALSE(executor_call_cpu(&m.ex, 4));	/* no such worker */
	for (uint32_t r = 0; r < CALL_ROUNDS; r++) {
		struct call_round round = { r % 4, 0 };
		round.want = atomic_fetch_add(&call_asked[round.cpu], 1) + 1;
		ASSERT_TRUE(executor_call_cpu(&m.ex, round.cpu));
		if (!wait_for(call_answered, &round))
			lost++;
		if (fake_hal_halt_timeouts() != m.timeouts_before)
			break;	/* a CPU slept through its call: fail now */
		if (r % 16 == 0)
			nap_us(300);	/* let the CPUs halt now and then */
	}
	EXPECT_TRUE(wait_for(no_live_tasks, &m));
	EXPECT_EQ(machine_stop(&m), 0);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(atomic_load(&call_wrong_cpu), 0);
	EXPECT_EQ(atomic_load(&call_spawned_elsewhere), 0);
	EXPECT_EQ(storms(&m), 0);
	diag_spread(_kt, &m, "calls");
	machine_teardown(&m);
}

/* ---- the sleep/IPI handshake: no lost wake-up ----------------------------------------------
 *
 * Round after round, a reader task waits for an event and its CPU halts; a
 * device thread (another CPU) raises the event the moment the reader has
 * said it waits, so its wake races the halt.  The two sides run the
 * handshake of idle.h: the idle CPU stores "sleeping", fences and looks at
 * its queue; the waker pushes, fences and reads "sleeping".  Without either
 * fence the two reads can both miss (x86 lets a load pass an earlier store),
 * the CPU halts with the task queued and no IPI comes: the halt times out.
 * A timeout counts as a lost wake-up only if the waker had finished its
 * wake for the round the reader still waits on (a waker that was merely
 * slow to run is not a loss).
 */
enum { LW_ROUNDS = 40000 / SCALE, LW_TIMEOUT_MS = 20 };

static struct atomic_waker lw_aw;
static _Atomic uint32_t lw_events;	/* raised by the device */
static _Atomic uint32_t lw_armed;	/* the round the reader waits for */
static _Atomic uint32_t lw_woken;	/* the last round whose wake returned */
static _Atomic unsigned long lw_lost, lw_stalls;

struct lw_reader {
	struct future base;
};

static enum poll lw_poll(struct future *f, struct context *cx)
{
	(void)f;
	for (;;) {
		uint32_t seen = atomic_load(&lw_events);
		if (seen >= LW_ROUNDS)
			return POLL_READY;
		atomic_waker_register(&lw_aw, cx->waker);
		if (atomic_load(&lw_events) != seen)
			continue;
		atomic_store(&lw_armed, seen + 1);	/* go: the device may fire */
		return POLL_PENDING;
	}
}

static const struct future_ops lw_ops = { .name = "lw_reader", .poll = lw_poll };

static _Atomic bool lw_quit;

static void *lw_device(void *arg)
{
	(void)arg;
	for (uint32_t r = 1; r <= LW_ROUNDS; r++) {
		while (atomic_load(&lw_armed) != r)
			if (atomic_load(&lw_quit))
				return NULL;
			else
				__builtin_ia32_pause();
		/* A varying head start for the reader, to sweep the window
		 * around its halt. */
		for (volatile uint32_t spin = 0; spin < (r * 7u) % 257u; spin++)
			;
		atomic_fetch_add(&lw_events, 1);
		atomic_waker_wake(&lw_aw);
		atomic_store(&lw_woken, r);
	}
	return NULL;
}

/* Runs on the halted CPU when its halt timed out.  Lost: the device's wake
 * for the round we wait on had returned, and its IPI (which it sends before
 * it says so) did not come, not even just now. */
static void lw_stalled(void)
{
	atomic_fetch_add(&lw_stalls, 1);
	if (atomic_load(&lw_woken) == atomic_load(&lw_armed) && !fake_hal_ipi_pending(hal_cpu_id()))
		atomic_fetch_add(&lw_lost, 1);
}

static bool lw_done(void *arg)
{
	return executor_stats(arg).live == 0 || atomic_load(&lw_lost) > 10;
}

KTEST(sched_mt, sleep_ipi_handshake_loses_no_wakeup)
{
	struct executor ex;
	pthread_t th;

	atomic_store(&lw_events, 0);
	atomic_store(&lw_armed, 0);
	atomic_store(&lw_woken, 0);
	atomic_store(&lw_lost, 0);
	atomic_store(&lw_stalls, 0);
	atomic_store(&lw_quit, false);
	atomic_waker_init(&lw_aw);
	fake_hal_reset_cpus();
	fake_hal_set_halt_timeout_ms(LW_TIMEOUT_MS);
	fake_hal_set_stall_hook(lw_stalled);
	executor_setup(&ex);
	struct lw_reader r = { .base = { &lw_ops } };
	spawn_detached_on(&ex, &r.base, sizeof(r));
	ASSERT_EQ(pthread_create(&th, NULL, lw_device, NULL), 0);
	bool ok = executor_run_until(&ex, lw_done, &ex, 100ul * LW_ROUNDS);
	atomic_store(&lw_quit, true);		/* if we gave up early */
	pthread_join(th, NULL);
	fake_hal_set_stall_hook(NULL);
	fake_hal_set_halt_timeout_ms(10000);

	struct fake_hal_cpu_counts c = fake_hal_cpu_counts(0);
	EXPECT_TRUE(ok);
	EXPECT_EQ(atomic_load(&lw_lost), 0);
	/* No storm: at most one IPI each time the CPU said it would sleep. */
	EXPECT_LE(c.ipis, executor_stats(&ex).sleeps);
	ktest_diag(_kt, "%d rounds: %lu halts, %lu IPIs, %lu halts timed out, %lu lost wake-ups",
		   LW_ROUNDS, c.halts, c.ipis, atomic_load(&lw_stalls), atomic_load(&lw_lost));
	atomic_waker_destroy(&lw_aw);
	executor_teardown(&ex);
}

/* ---- the hand-off (worker.c: hand_off; idle.c: idle_claim) -------------------------- */

enum { HJ_TASKS = 32, HJ_CHUNKS = 20, HJ_ROUNDS = 200 / SCALE };

static _Atomic unsigned hj_left, hj_chunks_on[8];

struct hj_task {
	struct future base;
	unsigned chunk;
	uint64_t x;
};

static enum poll hj_poll(struct future *f, struct context *cx)
{
	struct hj_task *t = (struct hj_task *)f;

	for (int i = 0; i < 20000; i++) {
		t->x ^= t->x << 13; t->x ^= t->x >> 7; t->x ^= t->x << 17;
	}
	atomic_fetch_add(&hj_chunks_on[hal_cpu_id()], 1);
	if (++t->chunk == HJ_CHUNKS) {
		atomic_fetch_sub(&hj_left, 1);
		return POLL_READY;
	}
	waker_wake_by_ref(cx->waker);
	return POLL_PENDING;
}

static const struct future_ops hj_ops = { .name = "hj", .poll = hj_poll };

static enum poll hj_root_poll(struct future *f, struct context *cx)
{
	(void)f;
	for (unsigned i = 0; i < HJ_TASKS; i++) {
		struct hj_task t = { .base = { &hj_ops }, .x = i + 1 };
		spawn_detached_on(cx->executor, &t.base, sizeof t);
	}
	return POLL_READY;
}

static const struct future_ops hj_root_ops = { .name = "hjroot", .poll = hj_root_poll };

static bool hj_all_parked(void *arg)
{
	struct machine *m = arg;

	for (unsigned c = 0; c < m->ncpus; c++)
		if (!atomic_load(&m->ex.workers[c].idle.parked))
			return false;
	return executor_stats(&m->ex).live == 0;
}

static bool hj_done(void *arg)
{
	(void)arg;
	return atomic_load(&hj_left) == 0;
}

KTEST(sched_mt, handed_workers_steal_and_park_again)
{
	static struct machine m;
	unsigned rounds_with_steals = 0, bad_state = 0, busy_others = 0;

	ASSERT_TRUE(machine_start(&m, 4));
	for (unsigned r = 0; r < HJ_ROUNDS; r++) {
		struct future root = { &hj_root_ops };
		struct sched_stats before, after;
		unsigned chunks[4];

		ASSERT_TRUE(wait_for(hj_all_parked, &m));
		/* Every worker parked: the idle word must say so exactly. */
		uint32_t st = atomic_load(&m.ex.idle.state);
		if (st != 0)
			bad_state++;
		for (unsigned c = 0; c < 4; c++)
			if (!atomic_load(&m.ex.workers[c].idle.parked))
				bad_state++;
		for (unsigned c = 0; c < 4; c++)
			atomic_store(&hj_chunks_on[c], 0);
		before = executor_stats(&m.ex);
		atomic_store(&hj_left, HJ_TASKS);
		ASSERT_NE(spawn_detached_on(&m.ex, &root, sizeof root), 0);
		ASSERT_TRUE(wait_for(hj_done, NULL));
		after = executor_stats(&m.ex);
		for (unsigned c = 0; c < 4; c++)
			chunks[c] = atomic_load(&hj_chunks_on[c]);
		rounds_with_steals += after.steals != before.steals;
		for (unsigned c = 0; c < 4; c++)
			busy_others += chunks[c] > HJ_CHUNKS;
		if (r < 5 || r % 40 == 0)
			ktest_diag(_kt, "round %u: chunks %u %u %u %u, steals %llu, state %#x", r,
				   chunks[0], chunks[1], chunks[2], chunks[3],
				   (unsigned long long)(after.steals - before.steals), st);
	}
	ASSERT_TRUE(wait_for(hj_all_parked, &m));
	ktest_diag(_kt, "%u rounds with steals, %u cpu-rounds past one task, %u bad idle states",
		   rounds_with_steals, busy_others, bad_state);
	EXPECT_EQ(bad_state, 0);
	EXPECT_EQ(machine_stop(&m), 0);
	EXPECT_EQ(storms(&m), 0);
	machine_teardown(&m);
}

/* Two of three workers handed a task at spawn run late (vCPUs the host has
 * not scheduled yet).  The third, on time, finishes its handed task while
 * the spawner still has ~29 tasks queued: it must take some of them. */
static struct executor *hj_ex;

static void hj_spawn_call(unsigned cpu)
{
	struct executor *ex = hj_ex;

	(void)cpu;
	for (unsigned i = 0; i < HJ_TASKS; i++) {
		struct hj_task t = { .base = { &hj_ops }, .x = i + 1 };
		spawn_detached_on(ex, &t.base, sizeof t);
	}
}

static bool hj_all_halted(void *arg)
{
	struct machine *m = arg;

	if (!hj_all_parked(m))
		return false;
	for (unsigned c = 0; c < m->ncpus; c++)
		if (!atomic_load(&m->ex.workers[c].idle.sleep.sleeping))
			return false;
	return true;
}

KTEST(sched_mt, a_prompt_cpu_steals_while_handed_ones_run_late)
{
	static struct machine m;
	struct sched_stats before, w1;
	unsigned chunks[4];

	ASSERT_TRUE(machine_start(&m, 4));
	hj_ex = &m.ex;
	m.ex.cpu_call = hj_spawn_call;
	ASSERT_TRUE(wait_for(hj_all_halted, &m));
	nap_us(5000);		/* into the futex wait, all four */
	fake_hal_set_wake_delay_us(2, 400000);
	fake_hal_set_wake_delay_us(3, 400000);
	for (unsigned c = 0; c < 4; c++)
		atomic_store(&hj_chunks_on[c], 0);
	before = executor_worker_stats(&m.ex, 1);
	atomic_store(&hj_left, HJ_TASKS);
	/* Worker 0 spawns them from its loop: the first to run next there,
	 * then one each handed to 1, 2 and 3, the rest on 0's queue. */
	ASSERT_TRUE(executor_call_cpu(&m.ex, 0));
	ASSERT_TRUE(wait_for(hj_done, NULL));
	fake_hal_set_wake_delay_us(2, 0);
	fake_hal_set_wake_delay_us(3, 0);
	w1 = executor_worker_stats(&m.ex, 1);
	for (unsigned c = 0; c < 4; c++)
		chunks[c] = atomic_load(&hj_chunks_on[c]);
	ktest_diag(_kt, "chunks by CPU %u %u %u %u; worker 1: %llu steals",
		   chunks[0], chunks[1], chunks[2], chunks[3],
		   (unsigned long long)(w1.steals - before.steals));
	diag_spread(_kt, &m, "late");
	/* Worker 0 had ~28 tasks queued when worker 1 finished its handed
	 * one: worker 1 must have searched and stolen, not idled through it
	 * (it did when the two late ones counted as searchers). */
	EXPECT_GE(w1.steals - before.steals, 1);
	EXPECT_EQ(machine_stop(&m), 0);
	EXPECT_EQ(storms(&m), 0);
	m.ex.cpu_call = NULL;
	machine_teardown(&m);
}
