/* Test controls for the host's fake HAL (test/host/fake_hal.c). */
#ifndef COOP_TEST_HOST_FAKE_HAL_H
#define COOP_TEST_HOST_FAKE_HAL_H

#include <stdbool.h>
#include <stdint.h>

/* Called from hal_wait_for_interrupt(), as if an interrupt had arrived; the
 * halt then returns at once instead of blocking. */
typedef void (*fake_hal_irq_hook_fn)(void);
void fake_hal_set_irq_hook(fake_hal_irq_hook_fn fn);
/* Called on this thread each time interrupts go from off to on (through
 * hal_irq_restore or hal_irq_enable), as if an interrupt had been pending;
 * it runs like fake_hal_raise_irq's handler.  NULL: none. */
void fake_hal_set_irq_window_hook(fake_hal_irq_hook_fn fn);
/* Runs handler now, on this thread, as an interrupt handler would run:
 * hal_in_interrupt() is true and interrupts are off inside it. */
void fake_hal_raise_irq(void (*handler)(void));
/* How many times portable code has waited for an interrupt. */
unsigned long fake_hal_wait_count(void);

/* hal_clock_ns() returns what the test last set (0 at first). */
void fake_hal_set_clock_ns(uint64_t ns);
/* The deadline last passed to hal_timer_arm(), and how often it was called. */
uint64_t fake_hal_armed_ns(void);
unsigned long fake_hal_arm_calls(void);
/* CPUs.  The calling thread plays CPU `cpu` (hal_cpu_id()); count is what
 * hal_cpu_count() says (1 until a test says more). */
void fake_hal_set_cpu(unsigned cpu);
void fake_hal_set_cpu_count(unsigned n);
/* A halt gives up after ms without an IPI (default 10 s): it counts a
 * timeout, calls the stall hook (if any) on the halted thread, and returns
 * as if woken. */
void fake_hal_set_halt_timeout_ms(unsigned ms);
void fake_hal_set_stall_hook(fake_hal_irq_hook_fn fn);
/* After each halt ends, CPU `cpu` runs again only us microseconds later, as a
 * vCPU that the host schedules late (0: at once). */
void fake_hal_set_wake_delay_us(unsigned cpu, unsigned us);

struct fake_hal_cpu_counts {
	unsigned long ipis;	/* hal_cpu_wake() calls aimed at the CPU */
	unsigned long halts;	/* halts that blocked */
	unsigned long timeouts;	/* of those, ended by the timeout */
};
struct fake_hal_cpu_counts fake_hal_cpu_counts(unsigned cpu);
/* An IPI sent to cpu and not yet taken by a halt. */
bool fake_hal_ipi_pending(unsigned cpu);
/* Timeouts over all CPUs. */
unsigned long fake_hal_halt_timeouts(void);
/* Zeroes every CPU's counters and pending IPIs (between tests). */
void fake_hal_reset_cpus(void);

#endif
