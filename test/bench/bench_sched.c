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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/hal.h"
#include "sched/async.h"
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
