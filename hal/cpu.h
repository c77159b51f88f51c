/*
 * cpu.h — x86-64 implementations of the hal.h primitives, as inline asm.
 * Only hal/ may include this directly; everyone else includes hal/hal.h.
 */
#ifndef COOP_HAL_CPU_H
#define COOP_HAL_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/cpu/percpu.h"

#define HAL_RFLAGS_IF (1ull << 9)

static inline uint64_t hal_read_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f)::"memory");
	return f;
}

static inline void hal_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hal_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline bool hal_irq_enabled(void) { return hal_read_rflags() & HAL_RFLAGS_IF; }

/* Trap handlers running on this CPU (hal/cpu/trap.c counts them in and out). */
static inline bool hal_in_interrupt(void) { return hal_this_cpu.trap_depth != 0; }

static inline uint64_t hal_irq_save(void)
{
	uint64_t f = hal_read_rflags();
	hal_irq_disable();
	return f;
}

static inline void hal_irq_restore(uint64_t flags)
{
	if (flags & HAL_RFLAGS_IF)
		hal_irq_enable();
}

void hal_irq_push_off(void);
void hal_irq_pop_off(void);

static inline uint64_t hal_cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* `sti` takes effect after the next instruction, so no interrupt can slip in
 * between it and `hlt`: the pair is one atomic "enable and wait".  The time
 * halted is this CPU's idle time (the `cpus` command). */
static inline void hal_wait_for_interrupt(void)
{
	uint64_t t0 = hal_cycles();

	hal_this_cpu.halt_tsc = t0;
	__asm__ volatile("sti; hlt" ::: "memory");
	hal_this_cpu.halt_tsc = 0;
	hal_this_cpu.halted_cycles += hal_cycles() - t0;
}

/* hal/cpu/tlb.c: flushes what a TLB shootdown asked of this CPU. */
void hal_tlb_answer(void);

/* Spin-wait hint (`pause`).  A CPU that spins may have interrupts off (a
 * spinlock's waiter): it still answers a TLB shootdown aimed at it, so the
 * CPU that changed the page tables is not kept waiting by a CPU that waits
 * for a lock the first one holds. */
static inline void hal_cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
	if (__atomic_load_n(&hal_this_cpu.self->tlb_pending, __ATOMIC_ACQUIRE))
		hal_tlb_answer();
}

/* This CPU's index (hal.h). */
static inline unsigned hal_cpu_id(void) { return hal_this_cpu.index; }

/* CPUs running the kernel.  Acquire: pairs with the release that brings a
 * CPU online (hal/cpu/smp.c), so its block in hal_cpus[] is visible. */
static inline unsigned hal_cpu_count(void)
{
	return __atomic_load_n(&hal_cpus_online, __ATOMIC_ACQUIRE);
}

/* hal/cpu/smp.c */
void hal_cpu_wake(unsigned cpu);

__attribute__((noreturn)) static inline void hal_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#define HAL_READ_CR(n)                                                         \
	static inline uint64_t hal_read_cr##n(void)                            \
	{                                                                      \
		uint64_t v;                                                    \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));              \
		return v;                                                      \
	}
HAL_READ_CR(0)
HAL_READ_CR(2)
HAL_READ_CR(3)
HAL_READ_CR(4)
#undef HAL_READ_CR

struct hal_segments {
	uint16_t cs, ss, ds, es, fs, gs, tr;
};

static inline void hal_read_segments(struct hal_segments *s)
{
	__asm__ volatile("mov %%cs, %0" : "=r"(s->cs));
	__asm__ volatile("mov %%ss, %0" : "=r"(s->ss));
	__asm__ volatile("mov %%ds, %0" : "=r"(s->ds));
	__asm__ volatile("mov %%es, %0" : "=r"(s->es));
	__asm__ volatile("mov %%fs, %0" : "=r"(s->fs));
	__asm__ volatile("mov %%gs, %0" : "=r"(s->gs));
	__asm__ volatile("str %0" : "=r"(s->tr));
}

/* CPUID leaf/subleaf into r[0..3] = EAX, EBX, ECX, EDX. */
static inline void hal_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* Breakpoint trap: the #BP handler reports it and execution continues. */
static inline void hal_breakpoint(void) { __asm__ volatile("int3"); }

#endif
