/*
 * bench_sched — the executor on Tokio's runtime benchmark workloads:
 *
 *   yield_many     200 tasks x 1000 yields
 *   spawn_many     1,000,000 trivial tasks
 *   ping_pong      two tasks, two channels of one slot
 *   chained_spawn  each task spawns the next, depth 1000
 *
 * The peers (tokio, futures' LocalPool, a blog_os-style executor) are the
 * Rust program in test/bench/peer-rust, which scripts/bench.sh runs in the
 * same `make bench` and compares with.  Each figure here is the median of
 * REPEAT runs: host timings are noisy.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test/host/fake_hal.h"

#include "hal/hal.h"
#include "sched/async.h"
#include "sched/atomic_waker.h"
#include "sched/channel.h"
#include "sched/executor.h"

static uint64_t now_ns(void) { return hal_cycles(); }	/* fake HAL: ns clock */

static void report(const char *name, double value, const char *unit)
{
	printf("BENCH %s %.2f %s\n", name, value, unit);
}

/* ---- workloads ---------------------------------------------------------------- */

struct yielder {
	ASYNC_STATE;
	int i, n;
};

ASYNC_FN(yielder, struct yielder)
{
	ASYNC_BEGIN();
	for (self->i = 0; self->i < self->n; self->i++)
		YIELD();
	ASYNC_END();
}

struct trivial {
	ASYNC_STATE;
};

ASYNC_FN(trivial, struct trivial)
{
	ASYNC_BEGIN();
	ASYNC_END();
}

enum { YIELD_TASKS = 200, YIELDS = 1000, SPAWNS = 1000000, REPEAT = 7 };

static double yield_many(void)
{
	struct yielder y = { ASYNC_INIT(yielder), .n = YIELDS };
	struct executor ex;
	uint64_t t0;

	executor_setup(&ex);
	t0 = now_ns();
	for (int i = 0; i < YIELD_TASKS; i++)
		spawn_detached_on(&ex, &y.base, sizeof(y));
	executor_run_until_idle(&ex);
	t0 = now_ns() - t0;
	executor_teardown(&ex);
	return (double)t0 / (YIELD_TASKS * YIELDS);
}

static size_t spawn_table_bytes;

static double spawn_many(void)
{
	struct trivial t = { ASYNC_INIT(trivial) };
	struct executor ex;
	uint64_t t0;

	executor_setup(&ex);
	t0 = now_ns();
	for (int i = 0; i < SPAWNS; i++)
		spawn_detached_on(&ex, &t.base, sizeof(t));
	/* The table at its peak: every task spawned, none run yet. */
	spawn_table_bytes = (size_t)executor_table_slots(&ex) / TASK_CHUNK_SLOTS * sizeof(struct task_chunk);
	executor_run_until_idle(&ex);
	t0 = now_ns() - t0;
	executor_teardown(&ex);
	return (double)t0 / SPAWNS;
}

/* chained_spawn: each task spawns the next until the depth is reached. */
struct chain {
	ASYNC_STATE;
	int depth;
};

static int chain_reached;

ASYNC_FN(chain, struct chain)
{
	ASYNC_BEGIN();
	if (self->depth == 0) {
		chain_reached++;
	} else {
		struct chain next = { ASYNC_INIT(chain), .depth = self->depth - 1 };
		spawn_detached_on(cx->executor, &next.base, sizeof(next));
	}
	ASYNC_END();
}

static double chained_spawn(void)
{
	enum { DEPTH = 1000, CHAINS = 100 };
	struct chain c = { ASYNC_INIT(chain), .depth = DEPTH - 1 };
	struct executor ex;
	uint64_t t0;

	executor_setup(&ex);
	chain_reached = 0;
	t0 = now_ns();
	for (int r = 0; r < CHAINS; r++) {
		spawn_detached_on(&ex, &c.base, sizeof(c));
		executor_run_until_idle(&ex);
	}
	t0 = now_ns() - t0;
	executor_teardown(&ex);
	if (chain_reached != CHAINS)
		printf("# chained_spawn: chain ended %d times, expected %d\n", chain_reached,
		       CHAINS);
	return (double)t0 / ((double)DEPTH * CHAINS);
}

/* ping_pong: two tasks over two channels of one slot each.  Ping sends i
 * and waits for the answer; pong answers each number with number + 1. */
enum { PINGS = 200000 };

struct player {
	ASYNC_STATE;
	struct channel *out, *in;
	void (*done)(void);	/* called at the end, if set (the 2-worker run's latch) */
	uint64_t i, v;
	struct chan_send_future send;
	struct chan_recv_future recv;
};

ASYNC_FN(ping, struct player)
{
	ASYNC_BEGIN();
	for (self->i = 0; self->i < PINGS; self->i++) {
		self->v = self->i;
		chan_send_init(&self->send, self->out, &self->v);
		AWAIT(&self->send);
		chan_recv_init(&self->recv, self->in, &self->v);
		AWAIT(&self->recv);
	}
	if (self->done)
		self->done();
	ASYNC_END();
}

ASYNC_FN(pong, struct player)
{
	ASYNC_BEGIN();
	for (self->i = 0; self->i < PINGS; self->i++) {
		chan_recv_init(&self->recv, self->in, &self->v);
		AWAIT(&self->recv);
		self->v++;
		chan_send_init(&self->send, self->out, &self->v);
		AWAIT(&self->send);
	}
	if (self->done)
		self->done();
	ASYNC_END();
}

static double ping_pong(void)
{
	struct channel a, b;
	struct executor ex;
	uint64_t t0;

	executor_setup(&ex);
	chan_init(&a, sizeof(uint64_t), 1);
	chan_init(&b, sizeof(uint64_t), 1);
	struct player p = { ASYNC_INIT(ping), .out = &a, .in = &b };
	struct player q = { ASYNC_INIT(pong), .out = &b, .in = &a };
	t0 = now_ns();
	spawn_detached_on(&ex, &p.base, sizeof(p));
	spawn_detached_on(&ex, &q.base, sizeof(q));
	executor_run_until_idle(&ex);
	t0 = now_ns() - t0;
	if (executor_stats(&ex).live != 0)
		printf("# ping_pong: tasks did not finish\n");
	executor_teardown(&ex);
	chan_destroy(&a);
	chan_destroy(&b);
	return (double)t0 / PINGS;
}

/* ---- two CPUs: the same workloads on a 2-worker executor -------------------------------
 *
 * Two host threads play the CPUs for the whole family of runs, as Tokio's
 * multi-thread runtime keeps its two workers.  The main thread runs no
 * worker: it plays Tokio's block_on thread, spawns one root task (through
 * the inject queue) and sleeps until the root says it is done.  The root
 * does the workload from inside the executor, as the peer's
 * tokio_multi_thread2_in_task does inside tokio::spawn: it spawns the
 * tasks and waits for the last one on a latch (a count and an atomic
 * waker, where Tokio awaits JoinHandles or a oneshot).
 */
static struct executor mt_ex;
static pthread_t mt_cpu[2];
static _Atomic bool mt_stop;
static _Atomic uint32_t mt_finished;	/* a futex word: the root is done */

static bool mt_should_stop(void *arg)
{
	(void)arg;
	return atomic_load(&mt_stop);
}

static void *mt_cpu_main(void *arg)
{
	fake_hal_set_cpu((unsigned)(uintptr_t)arg);
	executor_run_until(&mt_ex, mt_should_stop, NULL, ~0ul);
	return NULL;
}

static void mt_start(void)
{
	fake_hal_set_cpu_count(2);
	if (!executor_setup_workers(&mt_ex, 2)) {
		printf("# mt: no 2-worker executor\n");
		exit(1);
	}
	atomic_store(&mt_stop, false);
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&mt_cpu[i], NULL, mt_cpu_main, (void *)i);
}

static void mt_end(void)
{
	atomic_store(&mt_stop, true);
	executor_kick(&mt_ex);
	for (int i = 0; i < 2; i++)
		pthread_join(mt_cpu[i], NULL);
	executor_teardown(&mt_ex);
	fake_hal_set_cpu_count(1);
}

static long futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, (uint32_t *)w, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

/* Main thread: spawns the root (a future of `size` bytes), waits for it. */
static uint64_t mt_run(const struct future *root, size_t size)
{
	uint64_t t0 = now_ns();

	atomic_store(&mt_finished, 0);
	spawn_detached_on(&mt_ex, root, size);
	while (!atomic_load(&mt_finished))
		futex(&mt_finished, FUTEX_WAIT, 0);
	return now_ns() - t0;
}

/* The root's last act. */
static void mt_root_done(void)
{
	atomic_store(&mt_finished, 1);
	futex(&mt_finished, FUTEX_WAKE, 1);
}

/* A count of tasks still running, and the root waiting for it to reach 0. */
static struct latch {
	_Atomic uint32_t left;
	struct atomic_waker root;
} latch;

static void latch_count_down(void)
{
	if (atomic_fetch_sub_explicit(&latch.left, 1, memory_order_acq_rel) == 1)
		atomic_waker_wake(&latch.root);
}

struct latch_wait {
	struct future base;
};

static enum poll latch_wait_poll(struct future *f, struct context *cx)
{
	(void)f;
	if (atomic_load_explicit(&latch.left, memory_order_acquire) == 0)
		return POLL_READY;
	atomic_waker_register(&latch.root, cx->waker);
	return atomic_load_explicit(&latch.left, memory_order_acquire) == 0 ? POLL_READY
									: POLL_PENDING;
}

static const struct future_ops latch_wait_ops = { .name = "latch", .poll = latch_wait_poll };

struct mt_yielder {
	ASYNC_STATE;
	int i;
};

ASYNC_FN(mt_yielder, struct mt_yielder)
{
	ASYNC_BEGIN();
	for (self->i = 0; self->i < YIELDS; self->i++)
		YIELD();
	latch_count_down();
	ASYNC_END();
}

struct mt_trivial {
	ASYNC_STATE;
};

ASYNC_FN(mt_trivial, struct mt_trivial)
{
	ASYNC_BEGIN();
	latch_count_down();
	ASYNC_END();
}

/* The root: `rounds` times, spawns n copies of *child and waits for them. */
struct mt_root {
	ASYNC_STATE;
	const struct future *child;
	size_t size;
	uint32_t n, rounds, r, i;
	struct latch_wait wait;
};

ASYNC_FN(mt_root, struct mt_root)
{
	ASYNC_BEGIN();
	for (self->r = 0; self->r < self->rounds; self->r++) {
		atomic_store(&latch.left, self->n);
		for (self->i = 0; self->i < self->n; self->i++)
			spawn_detached_on(cx->executor, self->child, self->size);
		self->wait = (struct latch_wait){ { &latch_wait_ops } };
		AWAIT(&self->wait);
	}
	mt_root_done();
	ASYNC_END();
}

static double mt_workload(const struct future *child, size_t size, uint32_t n, uint32_t rounds)
{
	struct mt_root root = { ASYNC_INIT(mt_root), .child = child, .size = size, .n = n,
				.rounds = rounds };

	return (double)mt_run(&root.base, sizeof(root));
}

static double mt_yield_many(void)
{
	struct mt_yielder y = { ASYNC_INIT(mt_yielder) };

	return mt_workload(&y.base, sizeof(y), YIELD_TASKS, 1) / (YIELD_TASKS * YIELDS);
}

static double mt_spawn_many(void)
{
	struct mt_trivial t = { ASYNC_INIT(mt_trivial) };

	return mt_workload(&t.base, sizeof(t), SPAWNS, 1) / SPAWNS;
}

/* ping_pong: the players of the one-CPU run, each counted out at its end
 * (the channels live on the main thread's stack until both are done). */
static struct channel mt_a, mt_b;

struct mt_pair_root {
	ASYNC_STATE;
	struct latch_wait wait;
};

ASYNC_FN(mt_pair_root, struct mt_pair_root)
{
	ASYNC_BEGIN();
	atomic_store(&latch.left, 2);
	{
		struct player p = { ASYNC_INIT(ping), .out = &mt_a, .in = &mt_b,
				    .done = latch_count_down };
		struct player q = { ASYNC_INIT(pong), .out = &mt_b, .in = &mt_a,
				    .done = latch_count_down };
		spawn_detached_on(cx->executor, &p.base, sizeof(p));
		spawn_detached_on(cx->executor, &q.base, sizeof(q));
	}
	self->wait = (struct latch_wait){ { &latch_wait_ops } };
	AWAIT(&self->wait);
	mt_root_done();
	ASYNC_END();
}

static double mt_ping_pong(void)
{
	struct mt_pair_root root = { ASYNC_INIT(mt_pair_root) };
	double per;

	chan_init(&mt_a, sizeof(uint64_t), 1);
	chan_init(&mt_b, sizeof(uint64_t), 1);
	per = (double)mt_run(&root.base, sizeof(root)) / PINGS;
	chan_destroy(&mt_a);
	chan_destroy(&mt_b);
	return per;
}

/* chained_spawn: each link spawns the next; the last counts the chain out. */
struct mt_chain {
	ASYNC_STATE;
	int depth;
};

ASYNC_FN(mt_chain, struct mt_chain)
{
	ASYNC_BEGIN();
	if (self->depth == 0) {
		latch_count_down();
	} else {
		struct mt_chain next = { ASYNC_INIT(mt_chain), .depth = self->depth - 1 };
		spawn_detached_on(cx->executor, &next.base, sizeof(next));
	}
	ASYNC_END();
}

static double mt_chained_spawn(void)
{
	enum { DEPTH = 1000, CHAINS = 100 };
	struct mt_chain c = { ASYNC_INIT(mt_chain), .depth = DEPTH - 1 };

	return mt_workload(&c.base, sizeof(c), 1, CHAINS) / ((double)DEPTH * CHAINS);
}

static double median(double (*fn)(void))
{
	double v[REPEAT];

	for (int i = 0; i < REPEAT; i++) {
		double x = fn();
		int j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[REPEAT / 2];
}

int main(void)
{
	atomic_waker_init(&latch.root);
	mt_start();
	report("sched_mt_yield_many", median(mt_yield_many), "ns/yield");
	report("sched_mt_spawn_many", median(mt_spawn_many), "ns/task");
	report("sched_mt_ping_pong", median(mt_ping_pong), "ns/roundtrip");
	report("sched_mt_chained_spawn", median(mt_chained_spawn), "ns/spawn");
	{
		struct sched_stats st = executor_stats(&mt_ex);
		printf("# mt: %llu polls, %llu steals (%llu tasks), %llu halts\n",
		       (unsigned long long)st.polls, (unsigned long long)st.steals,
		       (unsigned long long)st.stolen, (unsigned long long)st.idle_waits);
	}
	mt_end();

	report("sched_yield_many", median(yield_many), "ns/yield");
	report("sched_spawn_many", median(spawn_many), "ns/task");
	report("sched_ping_pong", median(ping_pong), "ns/roundtrip");
	report("sched_chained_spawn", median(chained_spawn), "ns/spawn");
	report("sched_task_header", (double)sizeof(struct task), "bytes/task");
	report("sched_task_table_slot", (double)sizeof(struct task_chunk) / TASK_CHUNK_SLOTS,
	       "bytes/task");
	/* What the table really held per task at the peak of spawn_many. */
	report("sched_task_table_at_1M", (double)spawn_table_bytes / SPAWNS, "bytes/task");
	return 0;
}
