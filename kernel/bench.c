/*
 * bench.c — see bench.h.  Cycles are TSC cycles (hal_cycles).  Under QEMU
 * with `-icount shift=0` the TSC advances by one per guest instruction, so
 * there the cycle figures count instructions (bench loop_iter checks it).
 */
#include "kernel/bench.h"

#include "hal/dev/ps2.h"
#include "hal/dev/qemu.h"
#include "hal/hal.h"
#include "hal/irq/irq.h"
#include "hal/time/clock.h"
#include "kernel/console/console.h"
#include "kernel/console/status.h"
#include "kernel/input/input.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/parallel.h"
#include "mm/heap.h"
#include "mm/mm.h"
#include "sched/channel.h"
#include "sched/executor.h"
#include "sched/local_queue.h"

#define LOOP_ITERS 1000000u
#define YIELD_TASKS 100u
#define YIELDS_PER_TASK 1000u
#define SPAWN_TASKS 10000u
#define PINGPONG_ROUNDS 10000u
#define LIVE_TASKS_MAX 1000000u

static struct executor bex; /* private: the benchmarks own every task on it */

/* `BENCH name value unit` with two decimals of num / den. */
static void report_ratio(const char *name, uint64_t num, uint64_t den, const char *unit)
{
	uint64_t hundredths = den ? num * 100 / den : 0;

	kprintf("BENCH %s %llu.%02llu %s\n", name, (unsigned long long)(hundredths / 100),
		(unsigned long long)(hundredths % 100), unit);
}

static void report(const char *name, uint64_t value, const char *unit)
{
	kprintf("BENCH %s %llu %s\n", name, (unsigned long long)value, unit);
}

/* ---- a loop of known length: what is a TSC cycle worth? ------------------ */

static volatile uint64_t loop_sink;

static void bench_loop(void)
{
	uint64_t t0 = hal_cycles();

	for (uint64_t i = 0; i < LOOP_ITERS; i++)
		loop_sink = i; /* store, add, compare, branch: 4 instructions */
	report_ratio("loop_iter", hal_cycles() - t0, LOOP_ITERS, "cycles");
}

/* ---- yield: a wake, a queue push and pop, and a poll --------------------- */

struct yielder {
	ASYNC_STATE;
	uint32_t left;
};

ASYNC_FN(yielder, struct yielder)
{
	ASYNC_BEGIN();
	while (self->left) {
		self->left--;
		YIELD();
	}
	ASYNC_END();
}

static void bench_yield(void)
{
	struct yielder y = { ASYNC_INIT(yielder), .left = YIELDS_PER_TASK };
	uint64_t t0;

	executor_setup(&bex);
	t0 = hal_cycles();
	for (unsigned i = 0; i < YIELD_TASKS; i++)
		spawn_detached_on(&bex, &y.base, sizeof y);
	executor_run_until_idle(&bex);
	report_ratio("yield", hal_cycles() - t0, YIELD_TASKS * YIELDS_PER_TASK, "cycles");
	executor_teardown(&bex);
}

/* ---- spawn: allocate, queue, poll once, finish, free --------------------- */

struct nop {
	ASYNC_STATE;
};

ASYNC_FN(nop, struct nop)
{
	ASYNC_BEGIN();
	ASYNC_END();
}

static void bench_spawn(void)
{
	struct nop n = { ASYNC_INIT(nop) };
	uint64_t t0;

	executor_setup(&bex);
	t0 = hal_cycles();
	for (unsigned i = 0; i < SPAWN_TASKS; i++)
		spawn_detached_on(&bex, &n.base, sizeof n);
	executor_run_until_idle(&bex);
	report_ratio("spawn_complete", hal_cycles() - t0, SPAWN_TASKS, "cycles");
	executor_teardown(&bex);
}

/* ---- channel ping-pong: two tasks, two channels of one slot -------------- */

struct player {
	ASYNC_STATE;
	struct channel *out, *in;
	uint32_t left;
	uint64_t ball;
	struct chan_send_future send;
	struct chan_recv_future recv;
};

ASYNC_FN(pinger, struct player)
{
	ASYNC_BEGIN();
	for (; self->left; self->left--) {
		chan_send_init(&self->send, self->out, &self->ball);
		AWAIT(&self->send);
		chan_recv_init(&self->recv, self->in, &self->ball);
		AWAIT(&self->recv);
	}
	ASYNC_END();
}

ASYNC_FN(ponger, struct player)
{
	ASYNC_BEGIN();
	for (; self->left; self->left--) {
		chan_recv_init(&self->recv, self->in, &self->ball);
		AWAIT(&self->recv);
		self->ball++;
		chan_send_init(&self->send, self->out, &self->ball);
		AWAIT(&self->send);
	}
	ASYNC_END();
}

/* ---- steal: a thief takes half of a full local queue ----------------------- */

/* The CAS that claims the half and the copy, per task taken, with no one
 * contending (the cost a steal adds to each task it moves). */
#define STEAL_ROUNDS 200u

static void bench_steal(void)
{
	static struct local_queue victim, thief;
	static struct task tasks[LQ_SLOTS];
	uint64_t cycles = 0, taken = 0;

	for (unsigned r = 0; r < STEAL_ROUNDS; r++) {
		uint32_t got = 0;
		lq_init(&victim);
		lq_init(&thief);
		for (unsigned i = 0; i < LQ_SLOTS; i++)
			lq_push(&victim, &tasks[i]);
		uint64_t t0 = hal_cycles();
		if (lq_steal_into(&victim, &thief, &got))
			taken += got;
		cycles += hal_cycles() - t0;
	}
	report_ratio("steal_per_task", cycles, taken, "cycles");
}

static void bench_pingpong(void)
{
	static struct channel a, b;
	struct player ping = { ASYNC_INIT(pinger), .out = &a, .in = &b,
			       .left = PINGPONG_ROUNDS };
	struct player pong = { ASYNC_INIT(ponger), .out = &b, .in = &a,
			       .left = PINGPONG_ROUNDS };
	uint64_t t0;

	if (!chan_init(&a, sizeof(uint64_t), 1) || !chan_init(&b, sizeof(uint64_t), 1)) {
		kprintf("bench: pingpong: out of memory\n");
		return;
	}
	executor_setup(&bex);
	t0 = hal_cycles();
	spawn_detached_on(&bex, &ping.base, sizeof ping);
	spawn_detached_on(&bex, &pong.base, sizeof pong);
	executor_run_until_idle(&bex);
	report_ratio("chan_roundtrip", hal_cycles() - t0, PINGPONG_ROUNDS, "cycles");
	executor_teardown(&bex);
	chan_destroy(&a);
	chan_destroy(&b);
}

/* ---- how many pending tasks fit in memory -------------------------------- */

/* Never ready and registers no waker: only cancellation (the executor's
 * teardown) ends it.  The smallest task an async function can be. */
struct parked {
	ASYNC_STATE;
};

static enum poll parked_poll(struct future *f, struct context *cx)
{
	(void)f, (void)cx;
	return POLL_PENDING;
}

static const struct future_ops parked_ops = { .name = "parked", .poll = parked_poll };

static size_t heap_used(void)
{
	struct heap_stats s;

	kmalloc_stats(&s);
	return s.used;
}

static void bench_live_tasks(void)
{
	struct parked p = { .base = { &parked_ops } };
	size_t before = heap_used(), after;
	uint32_t n = 0;
	uint64_t t0;

	executor_setup(&bex);
	t0 = hal_cycles();
	while (n < LIVE_TASKS_MAX && spawn_detached_on(&bex, &p.base, sizeof p))
		n++;
	executor_run_until_idle(&bex); /* each is polled once and stays pending */
	report_ratio("live_spawn_poll", hal_cycles() - t0, n, "cycles");
	after = heap_used();
	report("live_tasks", n, n == LIVE_TASKS_MAX ? "tasks(cap)" : "tasks(heap-full)");
	report_ratio("live_task_bytes", after - before, n, "bytes");
	executor_teardown(&bex);
	kprintf("bench: freed %u tasks, heap used %zu -> %zu -> %zu bytes\n", n, before,
		after, heap_used());
}

/* ---- synchronous part, then timer IRQ -> task poll latency --------------- */

void bench_sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void report_latency(uint64_t *v, unsigned n)
{
	uint64_t hz = clock_tsc_hz();

	bench_sort(v, n);
	report("irq0_to_poll_min", v[0], "cycles");
	report("irq0_to_poll_median", v[n / 2], "cycles");
	report("irq0_to_poll_max", v[n - 1], "cycles");
	if (hz)
		report("irq0_to_poll_median_ns", v[n / 2] * 1000000000ull / hz, "ns");
}

/*
 * Full-screen redraws with the framebuffer mapped write-combining (the
 * kernel's choice), uncached, and write-back.  On real hardware WC should
 * beat UC by a wide margin; QEMU's TCG does not model memory types, so
 * there the three should match -- which the figures then show.
 */
static void bench_framebuffer(void)
{
	static const struct { const char *name; unsigned flag; } modes[] = {
		{ "fb_redraw_wc", PT_WC }, { "fb_redraw_uc", PT_UC }, { "fb_redraw_wb", 0 },
	};
	uint64_t cycles[3];

	if (!con_has_framebuffer() || !mm_framebuffer_set_caching(PT_WC))
		return;
	for (unsigned m = 0; m < 3; m++) {
		mm_framebuffer_set_caching(modes[m].flag);
		uint64_t t0 = hal_cycles();
		for (int i = 0; i < 4; i++)
			con_redraw();
		cycles[m] = (hal_cycles() - t0) / 4;
		report(modes[m].name, cycles[m], "cycles");
	}
	mm_framebuffer_set_caching(PT_WC);
	report_ratio("fb_redraw_uc_over_wc", cycles[1], cycles[0], "ratio");
}

static void report_kbd_latency(uint64_t *v, unsigned n)
{
	bench_sort(v, n);
	report("kbd_irq_to_poll_min", v[0], "cycles");
	report("kbd_irq_to_poll_median", v[n / 2], "cycles");
	report("kbd_irq_to_poll_max", v[n - 1], "cycles");
}

ASYNC_FN(bench, struct bench_future)
{
	ASYNC_BEGIN();
	kprintf("bench: running (TSC %llu kHz)\n", (unsigned long long)(clock_tsc_hz() / 1000));
	bench_loop();
	bench_framebuffer();
	bench_yield();
	bench_spawn();
	bench_pingpong();
	bench_steal();
	bench_live_tasks();
	bench_contended();
	for (self->i = 0; self->i < BENCH_LATENCY_SAMPLES; self->i++) {
		sleep_ms_init(&self->nap, 1);
		AWAIT(&self->nap);
		/* Polled because the timer interrupt found the deadline due. */
		self->samples[self->i] = hal_cycles() - irq_entry_cycles[clock_timer_vector()];
	}
	report_latency(self->samples, BENCH_LATENCY_SAMPLES);
	/* Keyboard IRQ entry to the keyboard task's poll: the 8042 injects an
	 * ACK byte (the decoder ignores it) as if the keyboard had sent it. */
	if (!keyboard_present())
		ASYNC_RETURN();
	for (self->i = 0; self->i < BENCH_KBD_SAMPLES; self->i++) {
		self->waited_from = hal_cycles();
		if (!ps2_inject_byte(0xfa))
			ASYNC_RETURN();
		while (keyboard_last_poll_cycles() < self->waited_from)
			YIELD();
		self->samples[self->i] =
			keyboard_last_poll_cycles() - irq_entry_cycles[irq_isa_vector(1)];
	}
	report_kbd_latency(self->samples, BENCH_KBD_SAMPLES);
	ASYNC_END();
}

void bench_init(struct bench_future *b)
{
	memset(b, 0, sizeof *b);
	b->base.ops = &bench_ops;
}

/* ---- bench=all ----------------------------------------------------------- */

struct bench_main {
	ASYNC_STATE;
	struct bench_future bench;
	struct sleep_future nap;
	uint64_t irqs, start_ms;
	struct key_bench keys;
};

/* Timer interrupts per second while idle as a normal boot idles: the
 * status line redraws once a second and nothing else is due. */
#define IDLE_MS 10000

ASYNC_FN(bench_main, struct bench_main)
{
	ASYNC_BEGIN();
	bench_init(&self->bench);
	AWAIT(&self->bench);
	key_bench_init(&self->keys);
	AWAIT(&self->keys);
	status_start();
	self->irqs = clock_interrupts();
	self->start_ms = hal_clock_ms();
	sleep_ms_init(&self->nap, IDLE_MS);
	AWAIT(&self->nap);
	report_ratio("timer_irqs_idle_per_s", (clock_interrupts() - self->irqs) * 1000,
		     hal_clock_ms() - self->start_ms, "irqs/s");
	kprintf("bench: done\n");
	hal_qemu_exit(QEMU_EXIT_SUCCESS);
	kprintf("bench: halted (no isa-debug-exit device)\n");
	hal_halt_forever();
	ASYNC_END();
}

/* bench=parallel: the job on every CPU, then the end of the boot. */
struct parallel_main {
	ASYNC_STATE;
	struct parallel_future job;
};

ASYNC_FN(parallel_main, struct parallel_main)
{
	ASYNC_BEGIN();
	AWAIT(&self->job);
	kprintf("bench: done\n");
	hal_qemu_exit(QEMU_EXIT_SUCCESS);
	hal_halt_forever();
	ASYNC_END();
}

void bench_boot(const char *selection)
{
	static struct bench_main init = { ASYNC_INIT(bench_main) };
	struct task_handle h;

	if (strcmp(selection, "smp") == 0) {
		bench_contended();
		kprintf("bench: done\n");
		hal_qemu_exit(QEMU_EXIT_SUCCESS);
		return;
	}
	if (strcmp(selection, "parallel") == 0) {
		static struct parallel_job job;
		static struct parallel_main pm = { ASYNC_INIT(parallel_main) };
		bench_remote_wake();
		parallel_default(&job);
		parallel_init(&pm.job, &job, false);
		h = SPAWN(pm);
		task_detach(&h);
		return;
	}
	if (strcmp(selection, "live") == 0) {
		bench_live_boot();
		return;
	}
	if (strcmp(selection, "all") != 0)
		log_warn("bench=%s: the selections are 'all', 'smp', 'parallel' and 'live'; "
			 "running all",
			 selection);
	h = SPAWN(init);
	if (!h.task)
		log_error("bench: out of memory");
	task_detach(&h);
}
