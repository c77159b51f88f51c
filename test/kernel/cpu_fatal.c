/*
 * Suites whose pass condition ends the boot: each declares the fatal event
 * it expects, triggers it, and the fault or panic path — after printing its
 * full report — ends the boot as a pass (isa-debug-exit 0x10).  The boot
 * runner also checks the report text on serial (test/boot/boots.py).
 */
#include "hal/cpu.h"
#include "hal/cpu/fault.h"
#include "kernel/console/console.h"
#include "kernel/panic.h"
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

KTEST(fatal_stack_overflow, overflow_lands_in_double_fault)
{
	volatile uint64_t depth = 0;
	/* The #PF on the guard page cannot push its frame onto the full stack;
	 * that second fault becomes a double fault, taken on its IST stack. */
	ktest_expect_fatal(_kt, "#DF");
	recurse(&depth);
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

KTEST(fatal_panic, panic_reports_file_and_line)
{
	ktest_expect_fatal(_kt, "panic");
	panic("deliberate test panic (%d)", 42);
}
