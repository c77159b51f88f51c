/*
 * hal.h — the contract between portable code and the machine.
 *
 * Portable code (kernel/ logic, mm/, sched/) includes only this header to
 * reach the CPU.  The kernel build gets the x86-64 implementation from
 * hal/cpu.h (inline asm lives in hal/ and nowhere else); the host build links
 * test/host/fake_hal.c, which lets tests simulate interrupts.
 */
#ifndef COOP_HAL_HAL_H
#define COOP_HAL_HAL_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t hal_irqflags_t;

/*
 * HAL_PER_CPU: a variable with one copy per CPU.  The kernel runs on one
 * CPU, so that is a plain global; on the host, threads play the part of
 * other CPUs (a second thread stands in for a device or another core), so
 * it is thread-local.
 */
#ifdef COOP_HOST
#define HAL_PER_CPU _Thread_local
#else
#define HAL_PER_CPU
#endif

#ifdef COOP_HOST
/* Disables interrupts and returns the previous state, for hal_irq_restore().
 * Save/restore pairs nest, so critical sections compose. */
hal_irqflags_t hal_irq_save(void);
void hal_irq_restore(hal_irqflags_t flags);
void hal_irq_enable(void);
void hal_irq_disable(void);
bool hal_irq_enabled(void);
/* True while the CPU runs an interrupt or exception handler. */
bool hal_in_interrupt(void);
/*
 * Precondition: interrupts are disabled.  Enables them and waits for the next
 * interrupt as one step (`sti; hlt`), so an interrupt that arrives after the
 * caller found nothing to do cannot be missed.  Returns with interrupts on.
 */
void hal_wait_for_interrupt(void);
/* Spin-wait hint (`pause`). */
void hal_cpu_relax(void);
/* A monotonic cycle counter (TSC). */
uint64_t hal_cycles(void);
/* Stops the CPU for good, interrupts off. */
void hal_halt_forever(void) __attribute__((noreturn));
#else
#include "hal/cpu.h"
#endif

/*
 * Time (hal/time/clock.c; simulated by the host's fake HAL).
 *
 * hal_clock_ns() counts nanoseconds since the clock started, from the TSC:
 * it keeps counting while interrupts are off, and never goes backwards.
 * hal_timer_arm() asks for one timer interrupt at or soon after deadline_ns
 * (HAL_NO_DEADLINE: none); each call replaces the last.  The timer is
 * tickless: between deadlines it stays quiet.
 */
#define HAL_NO_DEADLINE UINT64_MAX
uint64_t hal_clock_ns(void);
void hal_timer_arm(uint64_t deadline_ns);

static inline uint64_t hal_clock_ms(void)
{
	return hal_clock_ns() / 1000000;
}

#endif
