/*
 * lapic_timer.c — the local APIC timer (see lapic_timer.h).
 */
#include "hal/time/lapic_timer.h"

#include "hal/hal.h"
#include "hal/irq/lapic_regs.h"
#include "hal/irq/vectors.h"
#include "hal/time/clock_math.h"
#include "hal/time/refclock.h"

#define DIVIDE_BY_16 0x3u
#define LVT_MASKED (1u << 16)
#define MAX_COUNT 0xffffffffull
#define MEASURE_NS 10000000ull
#define TRIES 5

static HAL_PER_CPU bool deadline;	/* this CPU's timer mode */

void lapic_timer_setup(bool deadline_mode)
{
	deadline = deadline_mode;
	lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_16);
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER |
				     (deadline_mode ? LVT_TIMER_DEADLINE : LVT_TIMER_ONESHOT));
	lapic_timer_stop();
}

void lapic_timer_arm_ticks(uint64_t ticks)
{
	if (ticks < 1)
		ticks = 1;
	if (ticks > MAX_COUNT)
		ticks = MAX_COUNT;
	lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)ticks);
}

void lapic_timer_arm_tsc(uint64_t tsc)
{
	/* 0 would disarm: a deadline at TSC 0 is long past anyway. */
	lapic_tsc_deadline_write(tsc ? tsc : 1);
}

void lapic_timer_stop(void)
{
	if (deadline)
		lapic_tsc_deadline_write(0);
	else
		lapic_write(LAPIC_TIMER_INITIAL, 0);
}

/* What the one-shot rate is measured against: the reference counter if
 * there is one (the TSC may be what is wrong), else the TSC. */
struct timebase {
	const struct refclock *ref;
	struct counter64 count;
	uint64_t tsc_hz;
};

static uint64_t timebase_ns(struct timebase *tb)
{
	if (!tb->ref)
		return ticks_to_ns(hal_cycles(), tb->tsc_hz);
	return ticks_to_ns(counter64_update(&tb->count, tb->ref->read()), tb->ref->hz);
}

/* One measurement over MEASURE_NS: counts per second, 0 if it failed.
 * Each count read is bracketed by two clock reads, and the rate uses the
 * midpoints. */
static uint64_t measure_once(struct timebase *tb)
{
	uint64_t a0 = timebase_ns(tb), count0, b0, a1, count1, b1;

	lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)MAX_COUNT);
	a0 = timebase_ns(tb);
	count0 = lapic_read(LAPIC_TIMER_CURRENT);
	b0 = timebase_ns(tb);
	while (timebase_ns(tb) - b0 < MEASURE_NS)
		hal_cpu_relax();
	a1 = timebase_ns(tb);
	count1 = lapic_read(LAPIC_TIMER_CURRENT);
	b1 = timebase_ns(tb);
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	uint64_t ns = (a1 + b1) / 2 - (a0 + b0) / 2;
	/* A window held up ten times over tells nothing (and would overflow). */
	if (!ns || ns > 10 * MEASURE_NS || count0 <= count1)
		return 0;
	return (count0 - count1) * NS_PER_S / ns;
}

uint64_t lapic_timer_measure(const struct refclock *ref, uint64_t tsc_hz)
{
	struct timebase tb = { .ref = ref, .tsc_hz = tsc_hz };
	uint64_t rates[TRIES];
	int n = 0;

	if (ref)
		counter64_init(&tb.count, ref->bits, ref->read());
	lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER | LVT_TIMER_ONESHOT);
	deadline = false;
	for (int i = 0; i < TRIES; i++) {
		uint64_t hz = measure_once(&tb);
		if (hz)
			rates[n++] = hz;
	}
	if (!n)
		return 0;
	/* The median: a window that a stall or a jumping clock spoilt is
	 * an outlier either way. */
	return median_u64(rates, n);
}
