/*
 * platform_clock.c — the clock part of the platform step (see platform.c):
 * which reference counter there is, how fast the TSC runs, and which timer
 * raises the interrupts.  One line says what was chosen; one more says
 * what is missing, when something is.
 */
#include "kernel/platform.h"

#include "hal/smp/spinlock.h"
#include "hal/time/clock.h"
#include "hal/time/hpet.h"
#include "hal/time/pmtimer.h"
#include "hal/time/tsc.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/shell/shell.h"
#include "kernel/smp.h"
#include "mm/mm.h"
#include "sched/atomic_waker.h"
#include "sched/executor.h"

#define HPET_PAGE 4096
#define GUESSED_TSC_HZ 1000000000ull

void platform_clock_init(const struct acpi_info *acpi, bool lapic);

static struct refclock ref;
static struct tsc_info tsc;

/* "2096.026 MHz" */
static const char *mhz(char *buf, size_t n, uint64_t hz)
{
	fmt_snprintf(buf, n, "%llu.%03llu MHz", (unsigned long long)(hz / 1000000),
		     (unsigned long long)(hz / 1000 % 1000));
	return buf;
}

static bool hpet(const struct acpi_info *acpi)
{
	const char *why;
	volatile void *mmio;

	if (!acpi || !acpi->has_hpet)
		return false;
	mmio = mm_map_mmio(acpi->hpet.address, HPET_PAGE);
	if (mmio && hpet_init((uintptr_t)mmio, &ref, &why))
		return true;
	log_warn("clock: HPET at 0x%llx: %s; not used", (unsigned long long)acpi->hpet.address,
		 mmio ? why : "cannot map it");
	return false;
}

static bool pm_timer(const struct acpi_info *acpi)
{
	const struct acpi_fadt *f = acpi && acpi->has_fadt ? &acpi->fadt : NULL;
	const char *why = "cannot map it";
	bool io;
	uint64_t addr;

	if (!f || !f->pm_timer_present)
		return false;
	io = f->pm_timer_space == ACPI_SPACE_IO;
	addr = io ? f->pm_timer_address
		  : (uint64_t)(uintptr_t)mm_map_mmio(f->pm_timer_address, 4);
	if (addr && pmtimer_init(io, addr, f->pm_timer_bits, &ref, &why))
		return true;
	log_warn("clock: ACPI PM timer at 0x%llx: %s; not used",
		 (unsigned long long)f->pm_timer_address, why);
	return false;
}

/* The HPET, else the PM timer; NULL if neither. */
static const struct refclock *reference(const struct acpi_info *acpi)
{
	return hpet(acpi) || pm_timer(acpi) ? &ref : NULL;
}

static void report(void)
{
	struct clock_status st;
	char a[24], b[24];
	bool tsc_clock;

	clock_get_status(&st);
	tsc_clock = strcmp(st.clock, "TSC") == 0;
	if (tsc_clock && !st.ref)
		log_warn("clock: no HPET and no ACPI PM timer: nothing can check the TSC once "
			 "its speed is set");
	if (tsc_clock)
		log_info("clock: TSC at %s, %s %s%s", mhz(a, sizeof a, st.tsc_hz),
			 st.tsc_measured ? "measured against the" : "from", st.tsc_source,
			 st.tsc_invariant ? ", invariant" : "");
	else
		log_warn("clock: the TSC's speed is unknown: counting the %s at %s instead",
			 st.clock, mhz(a, sizeof a, st.clock_hz));
	if (tsc_clock && st.watching)
		log_info("clock: the TSC is not marked invariant (CPUID 0x80000007): the %s "
			 "(%s) checks it every second and takes over if they disagree",
			 st.ref, mhz(b, sizeof b, st.ref_hz));
	log_info("timer: %s at %s, tickless", clock_timer_name(st.timer),
		 mhz(a, sizeof a, st.timer_hz));
}

/* ---- the TSC watch's verdict, told once --------------------------------------- */

/* The watch runs in the timer interrupt, which must not print: it wakes
 * this task, which says what happened. */
static struct atomic_waker watch_waker;
static unsigned failures_told;

static bool tell_tsc_failure(void)
{
	struct clock_status st;
	char a[24], line[160];

	if (!clock_take_tsc_failure())
		return false;
	clock_get_status(&st);
	fmt_snprintf(line, sizeof line, "clock: the TSC disagreed with the %s by %lld ppm twice "
		     "running: counting the %s at %s from now on", st.clock,
		     (long long)st.last_drift_ppm, st.clock, mhz(a, sizeof a, st.clock_hz));
	/* At the prompt, not in the middle of what someone is typing. */
	if (!shell_notice(line))
		log_warn("%s", line);
	__atomic_fetch_add(&failures_told, 1, __ATOMIC_RELEASE);
	return true;
}

unsigned platform_tsc_failures_told(void)
{
	return __atomic_load_n(&failures_told, __ATOMIC_ACQUIRE);
}

static enum poll tsc_watch_poll(struct future *f, struct context *cx)
{
	(void)f;
	if (tell_tsc_failure())
		return POLL_READY;
	atomic_waker_register(&watch_waker, cx->waker);
	return tell_tsc_failure() ? POLL_READY : POLL_PENDING;
}

static const struct future_ops tsc_watch_ops = { .name = "tsc_watch", .poll = tsc_watch_poll };

void platform_start_tasks(void)
{
	struct future watch = { &tsc_watch_ops };
	struct clock_status st;

	clock_get_status(&st);
	if (!st.watching)
		return; /* nothing to tell, ever */
	atomic_waker_init(&watch_waker);
	if (!spawn_detached_on(executor_global(), &watch, sizeof watch))
		log_warn("clock: out of memory: a failed TSC check would go unreported");
}

/* On whichever CPU's timer fired: its own executor's timers are due. */
void platform_timer_tick(uint64_t now_ns, void *ctx)
{
	(void)ctx;
	executor_timer_tick(smp_executor(), now_ns / 1000000);
	if (clock_tsc_failure_pending())
		atomic_waker_wake(&watch_waker);
}

void platform_clock_init(const struct acpi_info *acpi, bool lapic)
{
	const struct refclock *r = reference(acpi);
	struct clock_setup s = { .tsc = &tsc, .ref = r, .lapic = lapic };

	tsc_init(&tsc, r, true);
	if (!tsc.hz && !r) {
		log_error("clock: nothing to measure the TSC against (no CPUID 0x15, HPET, PM "
			  "timer or PIT): assuming 1 GHz, so every time shown is a guess");
		tsc.hz = GUESSED_TSC_HZ;
		tsc.source = "a guess";
		tsc.measured = false;
	}
	if (!clock_init(&s)) {
		log_error("timer: the local APIC timer could not be measured: no timer "
			  "interrupts, so sleeps never end");
		return;
	}
	static const struct clock_hook hook = { platform_timer_tick, NULL };

	clock_set_hook(&hook);
	/* Spinlocks report waits in milliseconds, and after 2 s. */
	spin_set_cycles_per_ms(tsc.hz / 1000);
	spin_set_wait_limit(tsc.hz * 2);
	report();
}
