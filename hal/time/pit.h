/*
 * pit.h — the 8253/8254 Programmable Interval Timer.  Channel 0 on IRQ 0
 * drives the kernel's tick; channel 2, polled with interrupts off, is the
 * independent reference the TSC is calibrated against.
 */
#ifndef COOP_HAL_PIT_H
#define COOP_HAL_PIT_H

#include <stdint.h>

#define PIT_INPUT_HZ 1193182u

typedef void (*pit_tick_hook_fn)(uint64_t ticks, void *ctx);

struct pit_tick_hook {
	pit_tick_hook_fn fn;
	void *ctx;
};

/* Starts channel 0 at `hz` (rounded to the nearest divisor) on IRQ 0. */
void pit_init(unsigned hz);
/* The rate actually programmed, in millihertz (1000 Hz asks give 1000152). */
uint64_t pit_rate_mhz(void);
uint64_t pit_ticks(void);
/* Time since pit_init, from the tick count and the exact divisor. */
uint64_t pit_uptime_ns(void);
uint64_t pit_uptime_ms(void);
/* Installs the hook the IRQ calls on every tick (the executor's timer
 * queue), NULL for none, in one store: a tick sees the old hook or the new
 * one whole.  *hook must stay valid while installed.  Returns the old one. */
const struct pit_tick_hook *pit_set_tick_hook(const struct pit_tick_hook *hook);

/* Tests: calls the tick hook as the next tick would (the count stays). */
void pit_run_tick_hook_for_test(void);

/* Measures the TSC against PIT channel 2, without interrupts; Hz. */
uint64_t tsc_calibrate(void);
uint64_t tsc_hz(void);

#endif
