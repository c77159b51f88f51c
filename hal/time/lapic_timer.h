/*
 * lapic_timer.h — the local APIC timer as a one-shot event timer (Intel SDM
 * vol. 3A, 11.5.4): either TSC-deadline mode (fire when the TSC reaches a
 * value) or one-shot mode (count down from an initial count at the bus or
 * crystal clock divided by 16).  Register access goes through
 * lapic_regs.h, so this file runs on the host over the fake too.
 */
#ifndef COOP_HAL_TIME_LAPIC_TIMER_H
#define COOP_HAL_TIME_LAPIC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/time/refclock.h"

#define LAPIC_TIMER_DIVIDER 16
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_DEADLINE (2u << 17)
#define LVT_TIMER_MASK (3u << 17)

/* Programs the timer LVT with coop's timer vector, in TSC-deadline or
 * one-shot mode, and leaves it disarmed. */
void lapic_timer_setup(bool deadline_mode);
/* One-shot: fire after `ticks` (clamped to 1 .. 2^32 - 1) of the divided clock. */
void lapic_timer_arm_ticks(uint64_t ticks);
/* TSC-deadline: fire when the TSC reaches `tsc` (in the past: at once). */
void lapic_timer_arm_tsc(uint64_t tsc);
void lapic_timer_stop(void);

/*
 * The one-shot mode's counting rate (after the divider), measured over
 * five windows of about 10 ms against the reference counter `ref`, or the
 * TSC at tsc_hz if ref is NULL; the median.  Leaves the timer stopped, in
 * one-shot mode.
 */
uint64_t lapic_timer_measure(const struct refclock *ref, uint64_t tsc_hz);

#endif
