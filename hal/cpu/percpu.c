/*
 * percpu.c — per-CPU areas and GS (see percpu.h), and the per-CPU
 * interrupt-disable nesting behind hal_irq_push_off()/hal_irq_pop_off().
 */
#include "hal/cpu/percpu.h"

#include "hal/cpu.h"
#include "hal/cpu/mmu.h"
#include "hal/smp/spinlock.h"
#include "kernel/lib/string.h"

#define MSR_GS_BASE 0xc0000101

HAL_PER_CPU struct hal_cpu hal_this_cpu;

struct hal_cpu *hal_cpus[HAL_MAX_CPUS];
unsigned hal_cpus_online;

static uint8_t boot_area[PERCPU_AREA_MAX] __attribute__((aligned(64)));

struct hal_cpu *percpu_prepare(void *area, uint32_t apic_id)
{
	uintptr_t gs_base = (uintptr_t)area - (uintptr_t)__percpu_start;
	struct hal_cpu *c = (struct hal_cpu *)(gs_base + (uintptr_t)&hal_this_cpu);

	memcpy(area, __percpu_start, percpu_area_size());
	c->self = c;
	c->gs_base = gs_base;
	c->apic_id = apic_id;
	return c;
}

void percpu_load(const struct hal_cpu *c)
{
	wrmsr(MSR_GS_BASE, c->gs_base);
}

void percpu_init_boot(void)
{
	struct hal_cpu *c = percpu_prepare(boot_area, 0);

	c->index = 0;
	__atomic_store_n(&c->state, HAL_CPU_ONLINE, __ATOMIC_RELAXED);
	c->online_tsc = hal_cycles();
	percpu_load(c);
	hal_cpus[0] = c;
	__atomic_store_n(&hal_cpus_online, 1, __ATOMIC_RELEASE);
}

void percpu_set_apic_id(uint32_t apic_id)
{
	hal_this_cpu.apic_id = apic_id;
}

/* ---- nested interrupt-disable ------------------------------------------------ */

/*
 * The depth and the saved flags are this CPU's: an interrupt handler that
 * pushes and pops in between leaves them as it found them, and no other CPU
 * touches them, so plain per-CPU accesses are enough.
 */
void hal_irq_push_off(void)
{
	uint64_t flags = hal_irq_save();

	if (hal_this_cpu.irq_depth++ == 0)
		hal_this_cpu.irq_outer_flags = flags;
}

void hal_irq_pop_off(void)
{
	if (hal_irq_enabled())
		kernel_lock_problem(LOCK_IRQ_ENABLED_INSIDE, NULL, 0);
	if (hal_this_cpu.irq_depth == 0) {
		kernel_lock_problem(LOCK_IRQ_POP_UNBALANCED, NULL, 0);
		return;
	}
	if (--hal_this_cpu.irq_depth == 0)
		hal_irq_restore(hal_this_cpu.irq_outer_flags);
}
