/*
 * tlb.c — TLB shootdowns (see tlb.h).
 *
 * One shootdown at a time (shootdown_lock): the initiator writes the range,
 * then sets each target's tlb_pending (release: the range is visible to a
 * CPU that sees its flag) and sends it the IPI; a target flushes, then
 * clears its flag (release: its flush happened before the initiator sees
 * the flag clear).  The initiator spins until every flag is clear.
 */
#include "hal/smp/tlb.h"

#include "hal/cpu.h"
#include "hal/cpu/mmu.h"
#include "hal/irq/irq.h"
#include "hal/irq/vectors.h"
#include "hal/smp/smp.h"
#include "hal/smp/spinlock.h"

#define PAGE 4096u

static struct spinlock shootdown_lock = SPINLOCK_INIT("TLB shootdown");
static struct {
	uintptr_t va;
	uint64_t pages;
} request;
static HAL_PER_CPU struct tlb_stats stats;

static void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}

static void flush_local(uintptr_t va, uint64_t pages)
{
	if (pages && pages <= TLB_FLUSH_ALL_PAGES) {
		for (uint64_t i = 0; i < pages; i++)
			mmu_invlpg(va + i * PAGE);
		return;
	}
	/* Turning CR4.PGE off and on again drops every entry, global ones
	 * too (a CR3 reload keeps those). */
	uint64_t cr4 = hal_read_cr4();
	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		mmu_write_cr3(hal_read_cr3());
	}
}

void hal_tlb_answer(void)
{
	/* The acquire load that found the flag set (hal_cpu_relax, or the
	 * handler) pairs with the initiator's release: `request` is current. */
	flush_local(request.va, request.pages);
	stats.answered++;
	__atomic_store_n(&hal_this_cpu.self->tlb_pending, 0, __ATOMIC_RELEASE);
}

static void on_ipi(void *ctx)
{
	(void)ctx;
	if (__atomic_load_n(&hal_this_cpu.self->tlb_pending, __ATOMIC_ACQUIRE))
		hal_tlb_answer();
}

static bool waits_for(const struct hal_cpu *c)
{
	return __atomic_load_n(&c->tlb_pending, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != HAL_CPU_STOPPED;
}

void tlb_flush_this_cpu(uintptr_t va, uint64_t pages)
{
	flush_local(va, pages);
}

void tlb_shootdown(uintptr_t va, uint64_t pages)
{
	unsigned n = hal_cpu_count(), me;

	flush_local(va, pages);
	if (n == 1)
		return;
	spin_lock(&shootdown_lock);
	me = hal_cpu_id();
	request.va = va;
	request.pages = pages;
	for (unsigned i = 0; i < n; i++) {
		if (i == me)
			continue;
		__atomic_store_n(&hal_cpus[i]->tlb_pending, 1, __ATOMIC_RELEASE);
		(void)smp_send_ipi(i, VEC_IPI_TLB);
	}
	for (unsigned i = 0; i < n; i++)
		while (i != me && waits_for(hal_cpus[i]))
			hal_cpu_relax();
	stats.sent++;
	spin_unlock(&shootdown_lock);
}

struct tlb_stats tlb_stats(unsigned cpu)
{
	const struct tlb_stats *s = percpu_ptr_of(hal_cpus[cpu], (uintptr_t)&stats);
	return *s;
}

void tlb_init(void)
{
	irq_register_vector(VEC_IPI_TLB, "TLB shootdown", on_ipi, NULL);
}
