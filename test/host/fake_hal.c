/*
 * The host's stand-in for hal/: portable code runs against it in unit tests,
 * fuzzers and benchmarks.  Interrupts are simulated: the "interrupt flag" is a
 * per-thread bool, and a test can install a hook that plays the part of an
 * interrupt arriving while the CPU waits in hal_wait_for_interrupt().
 */
#include "hal/hal.h"
#include "test/host/fake_hal.h"

#include <sched.h>
#include <stdlib.h>
#include <time.h>

static _Thread_local bool irq_on = true;
static _Thread_local unsigned irq_depth;	/* simulated handlers running */
static fake_hal_irq_hook_fn irq_hook;
static _Thread_local fake_hal_irq_hook_fn window_hook;
static unsigned long waits;

hal_irqflags_t hal_irq_save(void)
{
	hal_irqflags_t was = irq_on;
	irq_on = false;
	return was;
}

/* Interrupts going back on: a pending interrupt would be taken now. */
static void irqs_on(void)
{
	bool was_on = irq_on;

	irq_on = true;
	if (!was_on && window_hook)
		fake_hal_raise_irq(window_hook);
}

void hal_irq_restore(hal_irqflags_t flags)
{
	if (flags)
		irqs_on();
	else
		irq_on = false;
}

void hal_irq_enable(void) { irqs_on(); }
void hal_irq_disable(void) { irq_on = false; }
bool hal_irq_enabled(void) { return irq_on; }
bool hal_in_interrupt(void) { return irq_depth != 0; }

void fake_hal_raise_irq(void (*handler)(void))
{
	/* Like the CPU: the handler runs with interrupts masked. */
	bool was_on = irq_on;

	irq_on = false;
	irq_depth++;
	handler();
	irq_depth--;
	irq_on = was_on;
}

void hal_wait_for_interrupt(void)
{
	irq_on = true;
	waits++;
	if (irq_hook)
		fake_hal_raise_irq(irq_hook);
	else
		sched_yield();
}

void hal_cpu_relax(void) { sched_yield(); }

uint64_t hal_cycles(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A clock that moves only when a test says so, and the deadline the code
 * under test last asked the "timer" for. */
static uint64_t clock_ns;
static uint64_t armed_ns = HAL_NO_DEADLINE;
static unsigned long arm_calls;

uint64_t hal_clock_ns(void) { return clock_ns; }

void hal_timer_arm(uint64_t deadline_ns)
{
	armed_ns = deadline_ns;
	arm_calls++;
}

void fake_hal_set_clock_ns(uint64_t ns) { clock_ns = ns; }
uint64_t fake_hal_armed_ns(void) { return armed_ns; }
unsigned long fake_hal_arm_calls(void) { return arm_calls; }

void fake_hal_set_irq_hook(fake_hal_irq_hook_fn fn) { irq_hook = fn; }
void fake_hal_set_irq_window_hook(fake_hal_irq_hook_fn fn) { window_hook = fn; }
unsigned long fake_hal_wait_count(void) { return waits; }

void hal_halt_forever(void)
{
	abort();
}

/* ---- CPUs: threads play them ------------------------------------------------ */

static _Thread_local unsigned this_cpu;
static unsigned cpu_count = 1;

unsigned hal_cpu_id(void) { return this_cpu; }
unsigned hal_cpu_count(void) { return __atomic_load_n(&cpu_count, __ATOMIC_RELAXED); }
void hal_cpu_wake(unsigned cpu) { (void)cpu; }
void fake_hal_set_cpu(unsigned cpu) { this_cpu = cpu; }
void fake_hal_set_cpu_count(unsigned n) { __atomic_store_n(&cpu_count, n, __ATOMIC_RELAXED); }

/* Interrupt-disable nesting, per thread, as the kernel's is per CPU. */
static _Thread_local unsigned push_depth;
static _Thread_local bool push_outer_on;

void hal_irq_push_off(void)
{
	bool was = irq_on;

	irq_on = false;
	if (push_depth++ == 0)
		push_outer_on = was;
}

void hal_irq_pop_off(void)
{
	if (push_depth == 0)
		abort();	/* a test bug: unbalanced */
	if (--push_depth == 0)
		irq_on = push_outer_on;
}
