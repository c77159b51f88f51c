/*
 * cpu.h — x86-64 implementations of the hal.h primitives, as inline asm.
 * Only hal/ may include this directly; everyone else includes hal/hal.h.
 */
#ifndef COOP_HAL_CPU_H
#define COOP_HAL_CPU_H

#include <stdbool.h>
#include <stdint.h>

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

/* Trap handlers running (hal/cpu/trap.c counts them in and out). */
extern volatile unsigned hal_trap_depth;
static inline bool hal_in_interrupt(void) { return hal_trap_depth != 0; }

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

/* `sti` takes effect after the next instruction, so no interrupt can slip in
 * between it and `hlt`: the pair is one atomic "enable and wait". */
static inline void hal_wait_for_interrupt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline void hal_cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

static inline uint64_t hal_cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

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
