/*
 * clock.c — hal_clock_ns() and hal_timer_arm() (see clock.h).
 *
 * The clock is shared: the TSC is read without a lock (every CPU's TSC
 * counts the same, and `clk` only changes under clock_lock on the boot
 * CPU), and the reference counter, once it is the clock, is widened under
 * clock_lock.  The timer is each CPU's own local APIC timer: its state is
 * per CPU and changes only with interrupts off, so the timer interrupt and
 * the code it interrupts take turns.  The watch and the housekeeping tick
 * run on the boot CPU only.
 */
#include "hal/time/clock.h"

#include <stddef.h>

#include "hal/cpu.h"
#include "hal/irq/irq.h"
#include "hal/irq/vectors.h"
#include "hal/smp/spinlock.h"
#include "hal/time/clock_math.h"
#include "hal/time/lapic_timer.h"
#include "hal/time/pit.h"

#define NO_DEADLINE UINT64_MAX
#define HOUSEKEEPING_NS 1000000000ull /* at least one interrupt a second when needed */
#define WATCH_NS 1000000000ull
#define WATCH_MAX_BRACKET_NS 100000ull /* reads further apart than this are not judged */
#define PIT_MAX_COUNT 0xffffu

/* The clock: TSC, or the reference counter once the TSC has failed. */
static struct {
	bool use_ref;
	uint64_t tsc_hz, tsc_origin;
	uint64_t tsc_offset_ns;		/* the clock at tsc_origin */
	struct clock_scale tsc_scale;
	const struct refclock *ref;
	struct counter64 ref_count;	/* widened reference reading */
	struct clock_scale ref_scale;
	uint64_t ref_origin_ns;		/* the clock when the reference took over */
	uint64_t ref_origin_count;
} clk;

/* Guards clk's reference widening and its switch to the reference. */
static struct spinlock clock_lock = SPINLOCK_INIT("clock");

/* The event timer: which kind (the same on every CPU), and each CPU's. */
static struct {
	enum clock_timer kind;
	uint64_t hz;			/* one-shot counting rate */
	bool housekeeping;		/* the boot CPU ticks at least once a second */
	const struct clock_hook *hook;	/* one pointer: see clock_set_hook */
} tmr;

static HAL_PER_CPU struct cpu_timer {
	uint64_t requested;		/* the deadline asked for, or NO_DEADLINE */
	enum clock_timer programmed;	/* the mode this CPU's LVT is in */
	uint64_t interrupts, early;
} cpu_tmr;

/* The TSC watch. */
static struct watch_state {
	bool on;
	struct clock_watchdog wd;
	uint64_t next_ns;
	uint64_t failed_ns;
	bool failure_untold;
	bool force_fail;
} watch;

static const struct tsc_info *tsc_info;

/* ---- the clock ------------------------------------------------------------- */

/* The reference counter widened; interrupts must be off. */
static uint64_t ref_total(void)
{
	return counter64_update(&clk.ref_count, clk.ref->read());
}

uint64_t hal_clock_ns(void)
{
	if (!__atomic_load_n(&clk.use_ref, __ATOMIC_ACQUIRE))
		return clk.tsc_offset_ns + clock_scale_ns(clk.tsc_scale, hal_cycles() - clk.tsc_origin);
	spin_lock(&clock_lock);
	uint64_t ns = clk.ref_origin_ns +
		      clock_scale_ns(clk.ref_scale, ref_total() - clk.ref_origin_count);
	spin_unlock(&clock_lock);
	return ns;
}

uint64_t clock_tsc_to_ns(uint64_t tsc)
{
	return clk.tsc_offset_ns + clock_scale_ns(clk.tsc_scale, tsc - clk.tsc_origin);
}

/* From now on the reference counter is the clock, continuing from the
 * TSC's last value so that time never steps back. */
static void switch_to_ref(uint64_t now_ns)
{
	spin_lock(&clock_lock);
	clk.ref_origin_count = ref_total();
	clk.ref_origin_ns = now_ns;
	/* Release: a CPU that sees use_ref sees the origin it counts from. */
	__atomic_store_n(&clk.use_ref, true, __ATOMIC_RELEASE);
	spin_unlock(&clock_lock);
	watch.on = false;
	watch.failed_ns = now_ns;
	watch.failure_untold = true;
	if (tmr.kind == CLOCK_TIMER_DEADLINE) {
		/* TSC deadlines mean nothing once the TSC is not trusted.  The
		 * other CPUs change mode at their next arm (program()). */
		tmr.hz = lapic_timer_measure(clk.ref, clk.tsc_hz);
		__atomic_store_n(&tmr.kind, CLOCK_TIMER_ONESHOT, __ATOMIC_RELEASE);
		lapic_timer_setup(false);
		cpu_tmr.programmed = CLOCK_TIMER_ONESHOT;
	}
}

/* ---- housekeeping: the watch, and keeping a narrow counter widened --------- */

static void watch_step(uint64_t now_ns)
{
	uint64_t a, b, ref;

	if (now_ns < watch.next_ns)
		return;
	watch.next_ns = now_ns + WATCH_NS;
	a = hal_cycles();
	ref = ref_total();
	b = hal_cycles();
	if (ticks_to_ns(b - a, clk.tsc_hz) > WATCH_MAX_BRACKET_NS && !watch.force_fail)
		return; /* this CPU was held up mid-read: judge next time */
	if (watch.force_fail) {
		watch.wd.strikes = WATCHDOG_STRIKES;
		switch_to_ref(now_ns);
		return;
	}
	if (watchdog_check(&watch.wd, a + (b - a) / 2, clk.tsc_hz, ref, clk.ref->hz))
		switch_to_ref(now_ns);
}

static void housekeeping(uint64_t now_ns)
{
	if (watch.on) {
		watch_step(now_ns);
	} else if (clk.use_ref) {
		spin_lock(&clock_lock);
		(void)ref_total();
		spin_unlock(&clock_lock);
	}
}

/* The boot CPU keeps the watch and the narrow counter's widening. */
static bool keeps_house(void)
{
	return tmr.housekeeping && hal_cpu_id() == 0;
}

/* ---- the event timer ---------------------------------------------------------- */

/* This CPU's timer, for `deadline`; interrupts off. */
static void program(uint64_t deadline)
{
	uint64_t now = hal_clock_ns(), target = deadline;
	enum clock_timer kind = __atomic_load_n(&tmr.kind, __ATOMIC_ACQUIRE);

	if (kind != cpu_tmr.programmed && kind != CLOCK_TIMER_PIT) {
		lapic_timer_setup(kind == CLOCK_TIMER_DEADLINE);
		cpu_tmr.programmed = kind;
	}
	if (keeps_house() && (target == NO_DEADLINE || target - now > HOUSEKEEPING_NS) &&
	    target > now)
		target = now + HOUSEKEEPING_NS;
	if (target == NO_DEADLINE) {
		if (kind == CLOCK_TIMER_PIT)
			pit_oneshot_stop();
		else
			lapic_timer_stop();
		return;
	}
	uint64_t delta = target > now ? target - now : 0;
	switch (kind) {
	case CLOCK_TIMER_DEADLINE:
		lapic_timer_arm_tsc(clk.tsc_origin +
				    ns_to_ticks_up(target - clk.tsc_offset_ns, clk.tsc_hz));
		break;
	case CLOCK_TIMER_ONESHOT:
		lapic_timer_arm_ticks(ns_to_ticks_up(delta, tmr.hz));
		break;
	case CLOCK_TIMER_PIT: {
		uint64_t n = ns_to_ticks_up(delta, PIT_INPUT_HZ);
		pit_oneshot_start(n < 1 ? 1 : n > PIT_MAX_COUNT ? PIT_MAX_COUNT : (uint16_t)n);
		break;
	}
	case CLOCK_TIMER_NONE:
		break;
	}
}

void hal_timer_arm(uint64_t deadline_ns)
{
	hal_irqflags_t f = hal_irq_save();

	cpu_tmr.requested = deadline_ns;
	program(deadline_ns);
	hal_irq_restore(f);
}

static void run_hook(uint64_t now);

static void on_timer_interrupt(void *ctx)
{
	uint64_t now;

	(void)ctx;
	cpu_tmr.interrupts++;
	now = hal_clock_ns();
	if (keeps_house())
		housekeeping(now);
	if (cpu_tmr.requested == NO_DEADLINE || now < cpu_tmr.requested) {
		/* Early: the hardware could not count that far in one go, the
		 * one-shot rate's rounding fired a little before the deadline,
		 * or this is the housekeeping tick. */
		cpu_tmr.early++;
		program(cpu_tmr.requested);
		return;
	}
	cpu_tmr.requested = NO_DEADLINE;
	if (keeps_house())
		program(NO_DEADLINE);
	run_hook(now);
}

static void run_hook(uint64_t now)
{
	const struct clock_hook *h = __atomic_load_n(&tmr.hook, __ATOMIC_ACQUIRE);

	if (h)
		h->fn(now, h->ctx);
}

void clock_run_hook_for_test(void)
{
	run_hook(hal_clock_ns());
}

const struct clock_hook *clock_set_hook(const struct clock_hook *hook)
{
	return __atomic_exchange_n(&tmr.hook, hook, __ATOMIC_ACQ_REL);
}

/* ---- set-up ------------------------------------------------------------------- */

static bool timer_setup(const struct clock_setup *s)
{
	if (s->lapic) {
		bool deadline = s->tsc->deadline_timer && !s->force_oneshot && !clk.use_ref;
		if (deadline) {
			tmr.kind = CLOCK_TIMER_DEADLINE;
			tmr.hz = clk.tsc_hz;
		} else {
			tmr.kind = CLOCK_TIMER_ONESHOT;
			tmr.hz = s->tsc->crystal_hz ? s->tsc->crystal_hz / LAPIC_TIMER_DIVIDER
						    : lapic_timer_measure(clk.ref, clk.tsc_hz);
			if (!tmr.hz)
				return false;
		}
		lapic_timer_setup(deadline);
		cpu_tmr.programmed = tmr.kind;
		irq_register_vector(VEC_LAPIC_TIMER, "timer", on_timer_interrupt, NULL);
		return true;
	}
	tmr.kind = CLOCK_TIMER_PIT;
	tmr.hz = PIT_INPUT_HZ;
	irq_register(0, on_timer_interrupt, NULL);
	return true;
}

bool clock_init(const struct clock_setup *s)
{
	tsc_info = s->tsc;
	clk.ref = s->ref;
	clk.tsc_hz = s->tsc->hz;
	clk.tsc_origin = hal_cycles();
	clk.tsc_scale = clock_scale_for(clk.tsc_hz);
	if (s->ref) {
		counter64_init(&clk.ref_count, s->ref->bits, s->ref->read());
		clk.ref_scale = clock_scale_for(s->ref->hz);
	}
	if (!clk.tsc_hz) {
		if (!s->ref)
			return false;
		clk.use_ref = true; /* the reference counts from 0 */
	}
	watch.on = !clk.use_ref && s->ref && !s->tsc->invariant;
	if (watch.on) {
		watch.wd = (struct clock_watchdog){ .tsc = hal_cycles(), .ref = ref_total() };
		watch.next_ns = WATCH_NS;
	}
	cpu_tmr.requested = NO_DEADLINE;
	tmr.housekeeping = watch.on || (clk.use_ref && clk.ref->bits < 64);
	if (!timer_setup(s))
		return false;
	program(NO_DEADLINE);
	return true;
}

bool clock_cpu_init(void)
{
	enum clock_timer kind = __atomic_load_n(&tmr.kind, __ATOMIC_ACQUIRE);

	if (kind != CLOCK_TIMER_DEADLINE && kind != CLOCK_TIMER_ONESHOT)
		return false;
	lapic_timer_setup(kind == CLOCK_TIMER_DEADLINE);
	cpu_tmr.programmed = kind;
	cpu_tmr.requested = NO_DEADLINE;
	program(NO_DEADLINE);
	return true;
}

/* ---- reporting ------------------------------------------------------------------ */

const char *clock_timer_name(enum clock_timer t)
{
	static const char *const names[] = {
		[CLOCK_TIMER_NONE] = "none",
		[CLOCK_TIMER_DEADLINE] = "local APIC, TSC-deadline mode",
		[CLOCK_TIMER_ONESHOT] = "local APIC, one-shot mode",
		[CLOCK_TIMER_PIT] = "PIT channel 0, one-shot mode",
	};
	return names[t];
}

void clock_get_status(struct clock_status *st)
{
	hal_irqflags_t f = hal_irq_save();

	*st = (struct clock_status){
		.clock = clk.use_ref ? clk.ref->name : "TSC",
		.clock_hz = clk.use_ref ? clk.ref->hz : clk.tsc_hz,
		.tsc_source = tsc_info ? tsc_info->source : "none",
		.tsc_measured = tsc_info && tsc_info->measured,
		.tsc_hz = clk.tsc_hz,
		.tsc_invariant = tsc_info && tsc_info->invariant,
		.watching = watch.on,
		.ref = clk.ref ? clk.ref->name : NULL,
		.ref_hz = clk.ref ? clk.ref->hz : 0,
		.last_drift_ppm = watch.wd.last_ppm,
		.tsc_failed_ns = watch.failed_ns,
		.timer = tmr.kind,
		.timer_hz = tmr.hz,
		.interrupts = cpu_tmr.interrupts,
		.early = cpu_tmr.early,
		.housekeeping = tmr.housekeeping,
	};
	hal_irq_restore(f);
}

uint64_t clock_interrupts(void)
{
	return cpu_tmr.interrupts;
}

unsigned clock_timer_vector(void)
{
	return tmr.kind == CLOCK_TIMER_PIT ? irq_isa_vector(0) : VEC_LAPIC_TIMER;
}

uint64_t clock_tsc_hz(void)
{
	return clk.tsc_hz;
}

bool clock_tsc_failure_pending(void)
{
	return __atomic_load_n(&watch.failure_untold, __ATOMIC_ACQUIRE);
}

bool clock_take_tsc_failure(void)
{
	hal_irqflags_t f = hal_irq_save();
	bool untold = watch.failure_untold;

	watch.failure_untold = false;
	hal_irq_restore(f);
	return untold;
}

const struct refclock *clock_reference(void)
{
	return clk.ref;
}

void clock_restore_tsc_for_test(void)
{
	hal_irqflags_t f = hal_irq_save();

	if (clk.use_ref && clk.tsc_hz) {
		uint64_t now = hal_clock_ns();
		/* Other CPUs read the clock meanwhile: they count on the
		 * reference until use_ref goes off, with the TSC's new origin
		 * already in place (release). */
		spin_lock(&clock_lock);
		clk.tsc_offset_ns = now;
		clk.tsc_origin = hal_cycles();
		__atomic_store_n(&clk.use_ref, false, __ATOMIC_RELEASE);
		watch = (struct watch_state){ .on = !tsc_info->invariant, .next_ns = clk.tsc_offset_ns };
		watch.wd = (struct clock_watchdog){ .tsc = hal_cycles(), .ref = ref_total() };
		spin_unlock(&clock_lock);
		tmr.housekeeping = watch.on;
		program(cpu_tmr.requested);
	}
	hal_irq_restore(f);
}

void clock_condemn_tsc_for_test(void)
{
	hal_irqflags_t f = hal_irq_save();

	if (clk.ref && !clk.use_ref) {
		watch.on = true;
		watch.force_fail = true;
		watch.next_ns = 0;
		tmr.housekeeping = true;
		program(cpu_tmr.requested);
	}
	hal_irq_restore(f);
}
