/*
 * bench_wake.c — remote wake latency (see bench.h): TSC cycles from a wake
 * on this CPU (A), outside the executor (as an interrupt handler or a CPU
 * that runs no task would wake), to the woken task's poll on another CPU
 * (B), while B is halted and while it is busy with a task that keeps
 * yielding.
 *
 * The wake goes through the inject queue: halted, B needs the wake-up IPI
 * first; busy, it looks at the inject queue every 61 polls.  Run by the
 * bench=parallel boot before its job, with multi-threaded TCG
 * (scripts/bench.sh), so these are wall-clock cycles of two vCPU threads
 * on a shared host, not instruction counts (-icount runs the vCPUs round
 * robin, 100 ms of virtual time each, so a spinning A would hold up B).
 * To make them readable, each figure is split where one CPU's own clock
 * can time its own part:
 *   end to end    A's clock at the wake -> B's clock at the poll: min,
 *                 median, p90, max of WAKE_SAMPLES wakes;
 *   on A          the wake call itself (queue, fence, IPI if B sleeps);
 *   on B, halted  the wake IPI's entry on B -> the poll (B's own path);
 *   on B, busy    B's first poll that began after the wake did -> the
 *                 poll of the woken task, and how many polls of the busy
 *                 task ran in between.
 * End to end less A's and B's parts is the IPI's delivery and the host
 * waking a halted vCPU thread (halted), or B's queue turn (busy).
 */
#include "kernel/bench.h"

#include "hal/hal.h"
#include "hal/irq/irq.h"
#include "hal/irq/vectors.h"
#include "hal/time/clock.h"
#include "kernel/lib/fmt.h"
#include "kernel/log.h"
#include "sched/atomic_waker.h"
#include "sched/executor.h"

#define WAKE_SAMPLES 201
#define SETTLE_MS 2		/* long enough for an idle CPU to halt */
#define WAIT_MS 20000

static struct atomic_waker wake_aw;
/* A numbers each wake (wake_seq); the waiter answers it (wake_answered)
 * on the first poll that finds a new number, so a spare poll (a wake
 * owed from before) is not taken for the answer. */
static _Atomic uint32_t wake_seq, wake_answered, wake_armed;
static _Atomic uint64_t wake_polled_at, wake_ipi_at, wake_polls_between;
static _Atomic bool wake_stop, spin_stop;
/* Busy case: set by A as its wake begins; the spinner notes when it first
 * sees it, and counts its polls until the waiter's. */
static _Atomic uint32_t wake_begun;
static _Atomic uint64_t spin_seen_at;
static _Atomic uint32_t spin_polls_after;

struct wake_samples {
	uint64_t e2e[WAKE_SAMPLES], on_a[WAKE_SAMPLES], on_b[WAKE_SAMPLES];
	uint64_t polls_between[WAKE_SAMPLES];
	unsigned n_on_b;	/* samples whose B part could be timed */
};

static struct wake_samples halted_s, busy_s;

/* The task woken: notes when it was polled (and when B last took the wake
 * IPI), then waits again. */
static enum poll waiter_poll(struct future *f, struct context *cx)
{
	(void)f;
	if (atomic_load(&wake_stop))
		return POLL_READY;
	uint32_t seq = atomic_load(&wake_seq);
	if (seq != atomic_load(&wake_answered)) {
		atomic_store(&wake_polled_at, hal_cycles());
		atomic_store(&wake_ipi_at, irq_entry_cycles[VEC_IPI_WAKE]);
		atomic_store(&wake_polls_between, atomic_load(&spin_polls_after));
		atomic_store(&wake_answered, seq);
	}
	atomic_waker_register(&wake_aw, cx->waker);
	atomic_store(&wake_armed, seq);
	return POLL_PENDING;
}

static const struct future_ops waiter_ops = { .name = "wake_waiter", .poll = waiter_poll };

/* Keeps its CPU busy: yields until told to stop. */
static enum poll spinner_poll(struct future *f, struct context *cx)
{
	(void)f;
	if (atomic_load(&spin_stop))
		return POLL_READY;
	if (atomic_load_explicit(&wake_begun, memory_order_acquire)) {
		if (!atomic_load_explicit(&spin_seen_at, memory_order_relaxed))
			atomic_store_explicit(&spin_seen_at, hal_cycles(), memory_order_relaxed);
		else
			atomic_fetch_add_explicit(&spin_polls_after, 1, memory_order_relaxed);
	}
	waker_wake_by_ref(cx->waker);
	return POLL_PENDING;
}

static const struct future_ops spinner_ops = { .name = "wake_spinner", .poll = spinner_poll };

static bool wait_until(_Atomic uint32_t *word, uint32_t value)
{
	uint64_t end = hal_clock_ms() + WAIT_MS;

	while (atomic_load(word) < value)
		if (hal_clock_ms() > end)
			return false;
		else
			hal_cpu_relax();
	return true;
}

static void settle(void)
{
	uint64_t end = hal_clock_ms() + SETTLE_MS;

	while (hal_clock_ms() < end)
		hal_cpu_relax();
}

/* One wake and its answer, timed in parts (see the top of the file). */
static bool one_wake(bool halted, struct wake_samples *s, unsigned i)
{
	uint32_t n = atomic_load(&wake_seq);

	if (!wait_until(&wake_armed, n))	/* registered for the next wake */
		return false;
	if (halted)
		settle();
	atomic_store(&spin_seen_at, 0);
	atomic_store(&spin_polls_after, 0);
	uint64_t t0 = hal_cycles();
	atomic_store(&wake_seq, n + 1);
	atomic_store_explicit(&wake_begun, 1, memory_order_release);
	atomic_waker_wake(&wake_aw);
	uint64_t t1 = hal_cycles();
	if (!wait_until(&wake_answered, n + 1))
		return false;
	atomic_store(&wake_begun, 0);
	uint64_t polled = atomic_load(&wake_polled_at);
	uint64_t from = halted ? atomic_load(&wake_ipi_at) : atomic_load(&spin_seen_at);
	s->e2e[i] = polled - t0;
	s->on_a[i] = t1 - t0;
	s->polls_between[i] = atomic_load(&wake_polls_between);
	/* Halted: only if B took a wake IPI for this wake (it could also
	 * have woken for its timer).  Busy: if the spinner saw the wake. */
	if (from >= t0 && from <= polled)
		s->on_b[s->n_on_b++] = polled - from;
	return true;
}

static bool measure(bool halted, struct wake_samples *s)
{
	s->n_on_b = 0;
	for (unsigned i = 0; i < WAKE_SAMPLES; i++)
		if (!one_wake(halted, s, i))
			return false;
	bench_sort(s->e2e, WAKE_SAMPLES);
	bench_sort(s->on_a, WAKE_SAMPLES);
	bench_sort(s->on_b, s->n_on_b);
	bench_sort(s->polls_between, WAKE_SAMPLES);
	return true;
}

static void report_cycles(const char *name, const char *what, uint64_t cycles)
{
	uint64_t hz = clock_tsc_hz();

	kprintf("BENCH %s%s %llu cycles\n", name, what, (unsigned long long)cycles);
	if (hz)
		kprintf("BENCH %s%s_ns %llu ns\n", name, what,
			(unsigned long long)(cycles * 1000000000ull / hz));
}

/* min, median, p90 (and max) of n sorted samples. */
static void report_spread(const char *name, const uint64_t *v, unsigned n, bool with_max)
{
	if (!n) {
		kprintf("bench: %s: no sample\n", name);
		return;
	}
	report_cycles(name, "_min", v[0]);
	report_cycles(name, "_median", v[n / 2]);
	report_cycles(name, "_p90", v[n * 9 / 10]);
	if (with_max)
		report_cycles(name, "_max", v[n - 1]);
}

static void report_samples(const char *name, const struct wake_samples *s, bool halted)
{
	char part[48];

	report_spread(name, s->e2e, WAKE_SAMPLES, true);
	fmt_snprintf(part, sizeof part, "%s_on_a", name);
	report_spread(part, s->on_a, WAKE_SAMPLES, false);
	fmt_snprintf(part, sizeof part, "%s_on_b", name);
	report_spread(part, s->on_b, s->n_on_b, false);
	kprintf("BENCH %s_on_b_timed %u of %u\n", name, s->n_on_b, WAKE_SAMPLES);
	if (!halted)
		kprintf("BENCH %s_polls_between_median %llu polls\n", name,
			(unsigned long long)s->polls_between[WAKE_SAMPLES / 2]);
}

void bench_remote_wake(void)
{
	struct executor *ex = executor_global();
	struct future waiter = { &waiter_ops }, spinner = { &spinner_ops };
	bool ok;

	if (hal_cpu_count() < 2) {
		kprintf("bench: remote wake needs two CPUs; skipped\n");
		return;
	}
	atomic_waker_init(&wake_aw);
	atomic_store(&wake_stop, false);
	atomic_store(&spin_stop, false);
	atomic_store(&wake_seq, 1);
	atomic_store(&wake_answered, 0);
	atomic_store(&wake_armed, 0);
	atomic_store(&wake_begun, 0);
	/* From outside the executor: both start on another CPU. */
	if (!spawn_detached_on(ex, &waiter, sizeof waiter) || !wait_until(&wake_armed, 1)) {
		log_warn("bench: remote wake: the waiter never ran");
		return;
	}
	ok = measure(true, &halted_s);
	spawn_detached_on(ex, &spinner, sizeof spinner);
	ok = ok && measure(false, &busy_s);
	atomic_store(&spin_stop, true);
	atomic_store(&wake_stop, true);
	atomic_waker_wake(&wake_aw);
	if (!ok) {
		log_warn("bench: remote wake: a wake was not answered in %u ms", WAIT_MS);
		return;
	}
	report_samples("remote_wake_halted", &halted_s, true);
	report_samples("remote_wake_busy", &busy_s, false);
}
