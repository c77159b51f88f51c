/*
 * tsc.h — the time-stamp counter: how fast it runs, and whether that can
 * be trusted.
 *
 * Where the frequency comes from, best first:
 *   1. CPUID leaf 0x15 (TSC/crystal ratio and crystal frequency): exact.
 *   2. Measured against the HPET, or else the ACPI PM timer.
 *   3. CPUID leaf 0x16 (nominal base frequency): close, not exact.
 *   4. Measured against PIT channel 2.
 * A TSC that CPUID does not mark invariant may change speed with the
 * CPU's power state; clock.c keeps checking such a TSC (see there).
 */
#ifndef COOP_HAL_TIME_TSC_H
#define COOP_HAL_TIME_TSC_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/time/refclock.h"

struct tsc_info {
	uint64_t hz;
	const char *source;	/* where hz came from, for the boot log */
	bool measured;		/* against `source`, else read from it */
	bool invariant;		/* CPUID 0x80000007 EDX[8] */
	bool deadline_timer;	/* CPUID 1 ECX[24]: TSC-deadline mode of the local APIC timer */
	uint64_t crystal_hz;	/* CPUID 0x15 ECX, 0 if not given: the local APIC timer's clock */
};

/*
 * Finds the TSC's frequency from the sources above, given the reference
 * counters that exist (either may be NULL) and whether to try the PIT.
 * Interrupts must be off.  On total failure hz is 0.
 */
void tsc_init(struct tsc_info *t, const struct refclock *ref, bool try_pit);

/*
 * TSC ticks per second measured against `ref` over five windows of
 * `window_ns`: the median (a window spoilt by a stall or a jump of either
 * clock is an outlier).  0 if the reference does not advance.
 */
uint64_t tsc_measure(const struct refclock *ref, uint64_t window_ns);

#endif
