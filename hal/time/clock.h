/*
 * clock.h — coop's clock and its one event timer.
 *
 * The clock (hal_clock_ns in hal.h) is the TSC, scaled to nanoseconds: it
 * runs with interrupts off, so no time is lost to them.  Where CPUID does
 * not mark the TSC invariant, the timer interrupt compares it with the
 * reference counter (HPET or ACPI PM timer) about once a second; if the two
 * disagree by more than 1 % twice running, the reference counter becomes
 * the clock from then on ("counting" instead of trusting the TSC).
 *
 * The event timer is tickless: hal_timer_arm() programs one interrupt, for
 * the next deadline only.  It is the local APIC timer, in TSC-deadline mode
 * where the CPU has it and the TSC is the clock, else one-shot; with no
 * local APIC at all, PIT channel 0 in one-shot mode.  A deadline beyond
 * what the hardware can count (PIT: 55 ms) is reached in several steps, and
 * when a reference counter must be read regularly (the TSC watch, or a
 * 24-bit PM timer that wraps every 4.7 s) the timer fires at least once a
 * second: that is the "slow housekeeping tick", and only then.
 */
#ifndef COOP_HAL_TIME_CLOCK_H
#define COOP_HAL_TIME_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/hal.h"
#include "hal/time/refclock.h"
#include "hal/time/tsc.h"

enum clock_timer { CLOCK_TIMER_NONE, CLOCK_TIMER_DEADLINE, CLOCK_TIMER_ONESHOT, CLOCK_TIMER_PIT };

struct clock_setup {
	const struct tsc_info *tsc;
	const struct refclock *ref;	/* HPET or PM timer; NULL if none */
	bool lapic;			/* the local APIC is up: use its timer */
	bool force_oneshot;		/* do not use TSC-deadline mode */
};

/*
 * Starts the clock at 0 ns and sets up the event timer; interrupts off.
 * False if there is neither a TSC frequency nor a reference counter, or
 * no timer could be set up (the caller says why and what it does).
 */
bool clock_init(const struct clock_setup *s);

/* On an AP, once its local APIC is up: its own timer, in the boot CPU's
 * mode and rate, disarmed.  False if the boot CPU has no local APIC timer. */
bool clock_cpu_init(void);

/* Runs in the timer interrupt once a requested deadline has passed (on the
 * CPU whose timer it was). */
typedef void (*clock_hook_fn)(uint64_t now_ns, void *ctx);

struct clock_hook {
	clock_hook_fn fn;
	void *ctx;
};

/*
 * Installs the hook (NULL for none) in one store, so that a timer
 * interrupt sees the old hook or the new one whole, never the new function
 * with the old context.  *hook must stay valid while installed.  Returns
 * the hook it replaces (tests borrow the timer and give it back).
 */
const struct clock_hook *clock_set_hook(const struct clock_hook *hook);
/* Tests: runs the hook as the timer interrupt would. */
void clock_run_hook_for_test(void);

struct clock_status {
	const char *clock;	/* "TSC", "HPET", "ACPI PM timer" */
	uint64_t clock_hz;
	const char *tsc_source;	/* where the TSC's frequency came from */
	bool tsc_measured;	/* against tsc_source, else read from it */
	uint64_t tsc_hz;
	bool tsc_invariant;
	bool watching;		/* the TSC is being checked against `ref` */
	const char *ref;	/* NULL if none */
	uint64_t ref_hz;
	int64_t last_drift_ppm;	/* at the last watch */
	uint64_t tsc_failed_ns;	/* when the watch condemned the TSC, or 0 */
	enum clock_timer timer;
	uint64_t timer_hz;	/* one-shot counting rate (TSC rate for deadline) */
	uint64_t interrupts;	/* timer interrupts taken */
	uint64_t early;		/* of which re-armed: before a deadline, or housekeeping */
	bool housekeeping;	/* fires at least once a second */
};
void clock_get_status(struct clock_status *st);
/* Timer interrupts this CPU took so far, and the vector they arrive on.
 * (clock_get_status() too counts this CPU's.) */
uint64_t clock_interrupts(void);
unsigned clock_timer_vector(void);
/* The TSC's frequency (0 before clock_init or if unknown). */
uint64_t clock_tsc_hz(void);
const char *clock_timer_name(enum clock_timer t);

/* True once after the watch condemned the TSC (for one log line). */
bool clock_take_tsc_failure(void);
/* True while that has happened and not been taken (any context). */
bool clock_tsc_failure_pending(void);

/* For tests: the nanoseconds on hal_clock_ns when `tsc` was read. */
uint64_t clock_tsc_to_ns(uint64_t tsc);
/* The reference counter (HPET or PM timer), or NULL. */
const struct refclock *clock_reference(void);
/* For tests: give the watch a verdict as if the TSC had drifted (the
 * reference takes over), and undo that (the TSC is the clock again,
 * continuing from the reference's time). */
void clock_condemn_tsc_for_test(void);
void clock_restore_tsc_for_test(void);

#endif
