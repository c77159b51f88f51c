/*
 * bench_wake.c — remote wake latency (see bench.h): TSC cycles from a wake
 * on this CPU, outside the executor (as an interrupt handler or a CPU that
 * runs no task would wake), to the woken task's poll on another CPU, while
 * that CPU is halted and while it is busy with a task that keeps yielding.
 *
 * The wake goes through the inject queue: halted, the other CPU needs the
 * wake-up IPI first; busy, it looks at the inject queue every 61 polls.
 * Run by the bench=parallel boot before its job, with multi-threaded TCG
 * (scripts/bench.sh): wall-clock cycles, not instruction counts.
 */
#include "kernel/bench.h"

#include "hal/hal.h"
#include "hal/time/clock.h"
#include "kernel/log.h"
#include "sched/atomic_waker.h"
#include "sched/executor.h"

#define WAKE_SAMPLES 101
#define SETTLE_MS 2		/* long enough for an idle CPU to halt */
#define WAIT_MS 20000

static struct atomic_waker wake_aw;
static _Atomic uint32_t wake_polls, wake_armed;
static _Atomic uint64_t wake_polled_at;
static _Atomic bool wake_stop, spin_stop;
static uint64_t samples[WAKE_SAMPLES];

/* The task woken: notes when it was polled, then waits again. */
static enum poll waiter_poll(struct future *f, struct context *cx)
{
	(void)f;
	if (atomic_load(&wake_stop))
		return POLL_READY;
	atomic_store(&wake_polled_at, hal_cycles());
	atomic_fetch_add(&wake_polls, 1);
	atomic_waker_register(&wake_aw, cx->waker);
	atomic_store(&wake_armed, atomic_load(&wake_polls));
	return POLL_PENDING;
}

static const struct future_ops waiter_ops = { .name = "wake_waiter", .poll = waiter_poll };

/* Keeps its CPU busy: yields until told to stop. */
static enum poll spinner_poll(struct future *f, struct context *cx)
{
	(void)f;
	if (atomic_load(&spin_stop))
		return POLL_READY;
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

static void sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* WAKE_SAMPLES wakes; the median, or 0 if a wake was never answered. */
static uint64_t measure(bool halted)
{
	for (unsigned i = 0; i < WAKE_SAMPLES; i++) {
		uint32_t n = atomic_load(&wake_polls);
		if (!wait_until(&wake_armed, n))
			return 0;
		if (halted)
			settle();
		uint64_t t0 = hal_cycles();
		atomic_waker_wake(&wake_aw);
		if (!wait_until(&wake_polls, n + 1))
			return 0;
		samples[i] = atomic_load(&wake_polled_at) - t0;
	}
	sort(samples, WAKE_SAMPLES);
	return samples[WAKE_SAMPLES / 2];
}

static void report_cycles(const char *name, uint64_t cycles)
{
	uint64_t hz = clock_tsc_hz();

	kprintf("BENCH %s %llu cycles\n", name, (unsigned long long)cycles);
	if (hz)
		kprintf("BENCH %s_ns %llu ns\n", name,
			(unsigned long long)(cycles * 1000000000ull / hz));
}

void bench_remote_wake(void)
{
	struct executor *ex = executor_global();
	struct future waiter = { &waiter_ops }, spinner = { &spinner_ops };
	uint64_t halted, busy;

	if (hal_cpu_count() < 2) {
		kprintf("bench: remote wake needs two CPUs; skipped\n");
		return;
	}
	atomic_waker_init(&wake_aw);
	atomic_store(&wake_stop, false);
	atomic_store(&spin_stop, false);
	atomic_store(&wake_polls, 0);
	atomic_store(&wake_armed, 0);
	/* From outside the executor: both start on another CPU. */
	if (!spawn_detached_on(ex, &waiter, sizeof waiter) || !wait_until(&wake_armed, 1)) {
		log_warn("bench: remote wake: the waiter never ran");
		return;
	}
	halted = measure(true);
	spawn_detached_on(ex, &spinner, sizeof spinner);
	busy = measure(false);
	atomic_store(&spin_stop, true);
	atomic_store(&wake_stop, true);
	atomic_waker_wake(&wake_aw);
	if (!halted || !busy)
		log_warn("bench: remote wake: a wake was not answered in %u ms", WAIT_MS);
	report_cycles("remote_wake_halted_median", halted);
	report_cycles("remote_wake_busy_median", busy);
}
