/*
 * bench_sched — the executor on Tokio's runtime benchmark workloads, each
 * next to a simple peer measured in the same run:
 *
 *   yield_many     200 tasks x 1000 yields      peer: round-robin executor
 *   spawn_many     1,000,000 trivial tasks      peer: round-robin executor
 *   ping_pong      two tasks, two channels      peer: pthread mutex+condvar
 *   chained_spawn  each task spawns the next, depth 1000
 *
 * The peer executor is the Rust series' SimpleExecutor: a FIFO of futures,
 * each polled in turn until READY, with a waker that does nothing (so it
 * re-polls pending futures whether or not anything happened).
 */
#include <pthread.h>
#include <stdarg.h>
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

/* ---- the peer: a naive round-robin executor --------------------------------- */

static struct waker noop_clone(const struct waker *w) { return *w; }
static void noop_wake(struct waker *w) { (void)w; }
static void noop_wake_by_ref(const struct waker *w) { (void)w; }
static const struct waker_vtable noop_vt = { noop_clone, noop_wake, noop_wake_by_ref, noop_wake };

struct simple_executor {
	struct future **q;
	size_t cap, head, len;
};

static void simple_push(struct simple_executor *s, struct future *f)
{
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct future **q = malloc(cap * sizeof(*q));
		for (size_t i = 0; i < s->len; i++)
			q[i] = s->q[(s->head + i) % s->cap];
		free(s->q);
		s->q = q;
		s->cap = cap;
		s->head = 0;
	}
	s->q[(s->head + s->len++) % s->cap] = f;
}

static void simple_spawn(struct simple_executor *s, const struct future *init, size_t size)
{
	struct future *f = malloc(size);
	memcpy(f, init, size);
	simple_push(s, f);
}

static void simple_run(struct simple_executor *s)
{
	struct waker w = { NULL, &noop_vt };
	struct context cx = { &w, NULL };

	while (s->len) {
		struct future *f = s->q[s->head];
		s->head = (s->head + 1) % s->cap;
		s->len--;
		if (future_poll(f, &cx) == POLL_READY)
			free(f);
		else
			simple_push(s, f);
	}
	free(s->q);
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

enum { YIELD_TASKS = 200, YIELDS = 1000, SPAWNS = 1000000, ROUNDS = 5 };

static double yield_many(bool peer)
{
	struct yielder y = { ASYNC_INIT(yielder), .n = YIELDS };
	struct simple_executor s = { 0 };
	struct executor ex;
	uint64_t t0;

	executor_setup(&ex);
	t0 = now_ns();
	for (int i = 0; i < YIELD_TASKS; i++) {
		if (peer)
			simple_spawn(&s, &y.base, sizeof(y));
		else
			spawn_detached_on(&ex, &y.base, sizeof(y));
	}
	if (peer)
		simple_run(&s);
	else
		executor_run_until_idle(&ex);
	t0 = now_ns() - t0;
	executor_teardown(&ex);
	return (double)t0 / (YIELD_TASKS * YIELDS);
}

static size_t spawn_table_bytes;

static double spawn_many(bool peer)
{
	struct trivial t = { ASYNC_INIT(trivial) };
	struct simple_executor s = { 0 };
	struct executor ex;
	uint64_t t0;

	executor_setup(&ex);
	t0 = now_ns();
	for (int i = 0; i < SPAWNS; i++) {
		if (peer)
			simple_spawn(&s, &t.base, sizeof(t));
		else
			spawn_detached_on(&ex, &t.base, sizeof(t));
	}
	if (peer)
		simple_run(&s);
	else
		executor_run_until_idle(&ex);
	t0 = now_ns() - t0;
	if (!peer)
		spawn_table_bytes = (size_t)ex.table.slots / TASK_CHUNK_SLOTS * sizeof(struct task_chunk);
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
	enum { DEPTH = 1000, REPEAT = 1000 };
	struct chain c = { ASYNC_INIT(chain), .depth = DEPTH - 1 };
	struct executor ex;
	uint64_t t0;

	executor_setup(&ex);
	chain_reached = 0;
	t0 = now_ns();
	for (int r = 0; r < REPEAT; r++) {
		spawn_detached_on(&ex, &c.base, sizeof(c));
		executor_run_until_idle(&ex);
	}
	t0 = now_ns() - t0;
	executor_teardown(&ex);
	if (chain_reached != REPEAT)
		printf("# chained_spawn: chain ended %d times, expected %d\n", chain_reached,
		       REPEAT);
	return (double)t0 / ((double)DEPTH * REPEAT);
}

/* ping_pong: two tasks bounce a counter over two channels of capacity 1. */
enum { PINGS = 200000 };

struct pinger {
	ASYNC_STATE;
	struct channel *out, *in;
	int v, n;
	struct chan_send_future send;
	struct chan_recv_future recv;
};

ASYNC_FN(pinger, struct pinger)
{
	ASYNC_BEGIN();
	while (self->v < self->n) {
		if (self->v > 0 || self->n > 0) {
			chan_send_init(&self->send, self->out, &self->v);
			AWAIT(&self->send);
		}
		chan_recv_init(&self->recv, self->in, &self->v);
		AWAIT(&self->recv);
		if (!self->recv.ok)
			break;
		self->v++;
	}
	chan_close(self->out);
	ASYNC_END();
}

static double ping_pong(void)
{
	struct channel a, b;
	struct executor ex;
	uint64_t t0;

	executor_setup(&ex);
	chan_init(&a, sizeof(int), 1);
	chan_init(&b, sizeof(int), 1);
	struct pinger p = { ASYNC_INIT(pinger), .out = &a, .in = &b, .n = 2 * PINGS };
	struct pinger q = { ASYNC_INIT(pinger), .out = &b, .in = &a, .n = 2 * PINGS };
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
	/* Each task sends and receives until v reaches 2*PINGS: PINGS round trips. */
	return (double)t0 / PINGS;
}

/* The peer: two threads, one mutex, one condvar, a turn variable. */
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int pp_turn;

static void *pp_thread(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int i = 0; i < PINGS; i++) {
		pthread_mutex_lock(&pp_lock);
		while (pp_turn != me)
			pthread_cond_wait(&pp_cond, &pp_lock);
		pp_turn = !me;
		pthread_cond_signal(&pp_cond);
		pthread_mutex_unlock(&pp_lock);
	}
	return NULL;
}

static double ping_pong_threads(void)
{
	pthread_t a, b;
	uint64_t t0 = now_ns();
	pp_turn = 0;
	pthread_create(&a, NULL, pp_thread, (void *)0);
	pthread_create(&b, NULL, pp_thread, (void *)1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return (double)(now_ns() - t0) / PINGS;
}

/* Best of ROUNDS: the least disturbed run. */
static double best(double (*fn)(bool), bool peer)
{
	double b = 1e30;
	for (int i = 0; i < ROUNDS; i++) {
		double v = fn(peer);
		b = v < b ? v : b;
	}
	return b;
}

static double best0(double (*fn)(void))
{
	double b = 1e30;
	for (int i = 0; i < ROUNDS; i++) {
		double v = fn();
		b = v < b ? v : b;
	}
	return b;
}

int main(void)
{
	double y = best(yield_many, false), yp = best(yield_many, true);
	double s = best(spawn_many, false), sp = best(spawn_many, true);
	double pp = best0(ping_pong), ppt = best0(ping_pong_threads);
	double cs = best0(chained_spawn);

	report("sched_yield_many", y, "ns/yield");
	report("sched_yield_many_peer_roundrobin", yp, "ns/yield");
	report("sched_yield_many_ratio", y / yp, "x_peer");
	report("sched_spawn_many", s, "ns/task");
	report("sched_spawn_many_peer_roundrobin", sp, "ns/task");
	report("sched_spawn_many_ratio", s / sp, "x_peer");
	report("sched_ping_pong", pp, "ns/roundtrip");
	report("sched_ping_pong_peer_pthread_condvar", ppt, "ns/roundtrip");
	report("sched_ping_pong_ratio", pp / ppt, "x_peer");
	report("sched_chained_spawn", cs, "ns/spawn");
	report("sched_task_header", (double)sizeof(struct task), "bytes/task");
	report("sched_task_table_slot", (double)sizeof(struct task_chunk) / TASK_CHUNK_SLOTS,
	       "bytes/task");
	/* The table doubles as it grows: what it really held per task at the
	 * peak of spawn_many. */
	report("sched_task_table_at_1M", (double)spawn_table_bytes / SPAWNS, "bytes/task");
	return 0;
}
