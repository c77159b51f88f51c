/*
 * percpu.h — what each CPU owns, reached through its GS base.
 *
 * Every variable declared HAL_PER_CPU (hal/hal.h) lands in the ".percpu"
 * section.  That section is only a template (it sits in .rodata, so a stray
 * write to it faults): each CPU gets a copy of it, its "per-CPU area", and
 * its GS base holds (area - template), so that `%gs:var(%rip)` is this
 * CPU's copy of var.  The boot CPU's area is a static buffer; an AP's is
 * allocated before it is started.
 *
 *     template (.rodata)            CPU 0 area (.bss)         CPU 1 area (heap)
 *   __percpu_start +--------+     +--------------+          +--------------+
 *                  | hal_   |     | hal_this_cpu |          | hal_this_cpu |
 *                  | this_  | --> |  index 0     |          |  index 1     |
 *                  | cpu    |     | running ...  |          | running ...  |
 *                  | ...    |     +--------------+          +--------------+
 *   __percpu_end   +--------+      GS base = area - __percpu_start
 *
 * struct hal_cpu is the block every CPU has: its number, APIC id, trap
 * depth, interrupt-disable depth and saved flags, and the counters the
 * `cpus` command shows.  Other layers keep their own HAL_PER_CPU variables
 * (the executor running on this CPU lives in sched/).  Only this CPU writes
 * its block, except where a field says otherwise.
 */
/* hal.h first, outside the guard: hal.h includes hal/cpu.h, which
 * includes this file and needs all of it, whichever of the three a source
 * includes first. */
#include "hal/hal.h"

#ifndef COOP_HAL_CPU_PERCPU_H
#define COOP_HAL_CPU_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most a per-CPU area may hold (efi/coop.lds checks the template). */
#define PERCPU_AREA_MAX 4096

enum hal_cpu_state {
	HAL_CPU_OFF,		/* not started (yet) */
	HAL_CPU_STARTING,	/* INIT/SIPI sent, not answered */
	HAL_CPU_ONLINE,		/* running the kernel */
	HAL_CPU_STOPPED,	/* halted for good (panic, reset) */
};

struct hal_cpu {
	struct hal_cpu *self;	/* this block's address, without GS */
	uintptr_t gs_base;	/* area - __percpu_start */
	unsigned index;		/* 0 .. hal_cpu_count()-1 */
	uint32_t apic_id;
	unsigned trap_depth;	/* handlers running: hal_in_interrupt() */
	unsigned irq_depth;	/* hal_irq_push_off() nesting */
	uint64_t irq_outer_flags; /* RFLAGS at the outermost push */
	uint64_t halted_cycles;	/* TSC cycles spent halted (idle), */
	uint64_t halt_tsc;	/* and when the halt now going on began (or 0) */
	uint64_t online_tsc;	/* TSC when it came online */
	/* Written by other CPUs too (__atomic builtins): */
	uint32_t state;		/* enum hal_cpu_state */
	uint32_t tlb_pending; /* a TLB shootdown waits for this CPU */
} __attribute__((aligned(64)));

extern HAL_PER_CPU struct hal_cpu hal_this_cpu __attribute__((visibility("hidden")));

/* Every CPU's block by index (NULL where none was prepared), and how many
 * are online: CPUs 0 .. hal_cpus_online-1. */
extern struct hal_cpu *hal_cpus[HAL_MAX_CPUS];
extern unsigned hal_cpus_online __attribute__((visibility("hidden")));

/* The template: efi/coop.lds. */
extern const char __percpu_start[], __percpu_end[];

static inline size_t percpu_area_size(void)
{
	return (size_t)(__percpu_end - __percpu_start);
}

/* This CPU's copy of the per-CPU variable whose template address is
 * `template` (write `(uintptr_t)&var`), as an ordinary pointer: for code
 * that needs a real address (lgdt, another CPU). */
static inline void *percpu_ptr(uintptr_t template_addr)
{
	return (void *)(hal_this_cpu.gs_base + template_addr);
}

static inline void *percpu_ptr_of(const struct hal_cpu *c, uintptr_t template_addr)
{
	return (void *)(c->gs_base + template_addr);
}

/*
 * The boot CPU, first thing: its area is the static one, GS points at it,
 * and it is CPU 0, online (its APIC id comes later: percpu_set_apic_id).
 */
void percpu_init_boot(void);
void percpu_set_apic_id(uint32_t apic_id);
/* Makes `area` (percpu_area_size() bytes, 64-aligned) a fresh copy of the
 * template, for the CPU with APIC id `apic_id`; returns its block.  Its
 * index is given when it comes online (hal/cpu/smp.c). */
struct hal_cpu *percpu_prepare(void *area, uint32_t apic_id);
/* On the CPU itself: point GS at its area. */
void percpu_load(const struct hal_cpu *c);

#endif
