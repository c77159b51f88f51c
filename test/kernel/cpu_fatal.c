/*
 * Suites whose pass condition ends the boot: each declares the fatal event
 * it expects, triggers it, and the fault or panic path — after printing its
 * full report — ends the boot as a pass (isa-debug-exit 0x10).  The boot
 * runner also checks the report text on serial (test/boot/boots.py).
 *
 * When more than one CPU runs (the boots run -smp 2 and 4), the overflow and
 * the panic happen on the APs, the harder case: the report comes from an AP,
 * whose NMI stops the boot CPU, and it must stay one report.
 */
#include "hal/cpu.h"
#include "hal/cpu/fault.h"
#include "hal/hal.h"
#include "kernel/console/console.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(fatal_stack_overflow, KTEST_OWN_BOOT | KTEST_KERNEL_ONLY);
KTEST_SUITE_FLAGS(fatal_page_fault, KTEST_OWN_BOOT | KTEST_KERNEL_ONLY);
KTEST_SUITE_FLAGS(fatal_panic, KTEST_OWN_BOOT | KTEST_KERNEL_ONLY);

/* Each call keeps a frame alive (the add after the call forbids a tail
 * call), so this must run into the guard page below the stack. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static __attribute__((noinline)) uint64_t recurse(volatile uint64_t *depth)
{
	volatile uint64_t pad[32];
	pad[0] = ++*depth;
	return recurse(depth) + pad[0];
}
#pragma GCC diagnostic pop

#define AP_WAIT_MS 120000

static void overflow(void *arg)
{
	volatile uint64_t depth = 0;

	(void)arg;
	recurse(&depth);
}

/* Set once every AP has its call: they start together. */
static uint32_t go;

/* Runs fn on CPUs 1 .. n-1, all at once, and waits: fn must not come back
 * (the report's NMI stops this CPU while it waits). */
static void on_the_aps(struct ktest *_kt, void (*fn)(void *))
{
	static struct smp_call calls[HAL_MAX_CPUS];
	unsigned n = hal_cpu_count();

	for (unsigned i = 1; i < n; i++) {
		calls[i] = (struct smp_call){ .fn = fn };
		ASSERT_TRUE(smp_call(i, &calls[i]));
	}
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	EXPECT_FALSE(smp_call_wait(&calls[n - 1], AP_WAIT_MS));
}

KTEST(fatal_stack_overflow, overflow_lands_in_double_fault)
{
	/* The #PF on the guard page cannot push its frame onto the full stack;
	 * that second fault becomes a double fault, taken on its IST stack:
	 * CPU 1's own, if it runs. */
	ktest_expect_fatal(_kt, "#DF");
	if (hal_cpu_count() > 1) {
		static struct smp_call call = { .fn = overflow };
		ASSERT_TRUE(smp_call(1, &call));
		EXPECT_FALSE(smp_call_wait(&call, AP_WAIT_MS));
		return;
	}
	overflow(NULL);
}

/* A NULL dereference while the console lock is held: the report must take
 * the console over rather than deadlock on its own lock. */
KTEST(fatal_page_fault, null_dereference_with_console_locked)
{
	/* Through a volatile pointer, so the compiler cannot see it is NULL. */
	static volatile uintptr_t null_plus_8 = 8;
	ktest_expect_fatal(_kt, "#PF");
	con_hold_lock_for_test();
	(void)*(volatile const uint64_t *)null_plus_8;
}

static void panic_at_the_signal(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		hal_cpu_relax();
	panic("deliberate test panic (%d)", 42);
}

/* With more than one CPU, every AP panics at the same moment: one of them
 * reports, the rest are named at its end or stopped by its NMI first. */
KTEST(fatal_panic, panic_reports_file_and_line)
{
	ktest_expect_fatal(_kt, "panic");
	if (hal_cpu_count() > 1) {
		on_the_aps(_kt, panic_at_the_signal);
		return;
	}
	panic("deliberate test panic (%d)", 42);
}
