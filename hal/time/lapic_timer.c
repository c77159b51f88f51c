/*
 * lapic_timer.c — the local APIC timer (see lapic_timer.h).
 */
#include "hal/time/lapic_timer.h"

#include "hal/hal.h"
#include "hal/irq/lapic_regs.h"
#include "hal/irq/vectors.h"
#include "hal/time/clock_math.h"

#define DIVIDE_BY_16 0x3u
#define LVT_MASKED (1u << 16)
#define MAX_COUNT 0xffffffffull
#define MEASURE_NS 10000000ull
#define TRIES 3

static bool deadline;

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

/* One measurement: counts elapsed and TSC ticks over MEASURE_NS. */
static uint64_t measure_once(uint64_t tsc_hz, uint64_t *width)
{
	uint64_t t0a = hal_cycles(), count0, t0b, t1a, count1, t1b;

	lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)MAX_COUNT);
	count0 = lapic_read(LAPIC_TIMER_CURRENT);
	t0b = hal_cycles();
	while (hal_cycles() - t0b < ns_to_ticks_up(MEASURE_NS, tsc_hz))
		hal_cpu_relax();
	t1a = hal_cycles();
	count1 = lapic_read(LAPIC_TIMER_CURRENT);
	t1b = hal_cycles();
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	*width = (t0b - t0a) + (t1b - t1a);
	uint64_t ns = ticks_to_ns((t1a + t1b) / 2 - (t0a + t0b) / 2, tsc_hz);
	return ns && count0 > count1 ? (count0 - count1) * NS_PER_S / ns : 0;
}

uint64_t lapic_timer_measure(uint64_t tsc_hz)
{
	uint64_t best = 0, best_width = ~0ull;

	lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER | LVT_TIMER_ONESHOT);
	deadline = false;
	for (int i = 0; i < TRIES; i++) {
		uint64_t width, hz = measure_once(tsc_hz, &width);
		if (hz && width < best_width) {
			best = hz;
			best_width = width;
		}
	}
	return best;
}
