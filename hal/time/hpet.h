/*
 * hpet.h — the High Precision Event Timer's main counter (IA-PC HPET
 * specification 1.0a), as a reference clock.  coop uses none of its
 * comparators: the local APIC timer raises the interrupts.
 */
#ifndef COOP_HAL_TIME_HPET_H
#define COOP_HAL_TIME_HPET_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/time/refclock.h"

/*
 * Checks the HPET whose registers are mapped (uncached) at `mmio`, starts
 * its main counter if the firmware left it stopped, and describes it in
 * *out.  False, with the reason in *why, if the registers make no sense
 * (all ones, a period of 0 or over 100 ns) or the counter does not move.
 */
bool hpet_init(uintptr_t mmio, struct refclock *out, const char **why);
/* The number of comparators, from the capabilities register. */
unsigned hpet_timers(void);

#endif
