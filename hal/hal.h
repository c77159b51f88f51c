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
#include <stdatomic.h>

typedef uint64_t hal_irqflags_t;

/*
 * HAL_PER_CPU: a variable with one copy per CPU.
 *
 * In the kernel each CPU's GS base points its copy of the ".percpu" section
 * (hal/cpu/percpu.h): the variable is read and written through GS, one
 * instruction, and needs no lock against other CPUs (only against this
 * CPU's interrupt handlers, as any global).  On the host, threads play the
 * part of CPUs (and of devices), so it is thread-local.
 *
 * The qualifier must bind to the variable itself, so a pointer is declared
 * through __typeof__:
 *
 *     static HAL_PER_CPU unsigned depth;
 *     static HAL_PER_CPU __typeof__(struct executor *) running;
 *
 * (`HAL_PER_CPU struct executor *running` would make the pointed-to
 * executor per-CPU, which the compiler refuses.)  The address of a per-CPU
 * variable (&depth) is that of the template, not of this CPU's copy.
 */
#ifdef COOP_HOST
#define HAL_PER_CPU _Thread_local
#else
#define HAL_PER_CPU __seg_gs __attribute__((section(".percpu")))
#endif

/* The most CPUs the kernel runs on; CPU indexes are 0 .. HAL_MAX_CPUS-1. */
#define HAL_MAX_CPUS 64

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
/* Interrupt-disable sections that nest, per CPU (xv6's push_off/pop_off):
 * the outermost push remembers whether interrupts were on, the matching pop
 * puts that back.  Spinlocks use them. */
void hal_irq_push_off(void);
void hal_irq_pop_off(void);
/* CPUs: see below.  The fake HAL: the id is the thread's (0 unless a test
 * says otherwise), the count 1 unless a test sets it, a wake does nothing. */
unsigned hal_cpu_id(void);
void hal_cpu_wake(unsigned cpu);
/* Inline: sched/ asks on every lock.  C11's atomic_load_explicit, since
 * clang (the fuzz build) refuses the __atomic builtins on _Atomic objects. */
extern _Atomic unsigned hal_host_cpu_count;
static inline unsigned hal_cpu_count(void)
{
	return atomic_load_explicit(&hal_host_cpu_count, memory_order_relaxed);
}
#else
#include "hal/cpu.h"
#endif

/*
 * CPUs (hal/cpu/percpu.c, hal/cpu/smp.c).
 *
 * hal_cpu_id(): this CPU's index, 0 .. hal_cpu_count()-1; one load through
 *   GS.  The boot CPU is 0.  Stable for the caller: nothing migrates between
 *   CPUs in the middle of a function (there is no preemption).
 * hal_cpu_count(): how many CPUs run the kernel.  1 until the other CPUs are
 *   started; it only grows, and CPUs 0 .. count-1 are all running.
 * hal_cpu_wake(cpu): sends `cpu` the wake-up IPI, which ends its
 *   hal_wait_for_interrupt() (or, if it is not halted, costs it one empty
 *   interrupt).  Safe from any context, interrupt handlers included.
 */

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
