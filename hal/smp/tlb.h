/*
 * tlb.h — TLB shootdowns: after a page-table change that takes away or
 * narrows a mapping, every CPU must drop what its TLB remembers of it.
 *
 * A new mapping needs none: the CPU caches no translation for a page that
 * is not present (Intel SDM vol. 3A, 4.10.4.3), so it walks the tables
 * afresh.  Unmapping, remapping or changing permissions or caching does:
 * this CPU flushes with INVLPG, and the others are sent an IPI each and
 * waited for.  A CPU that spins with interrupts off (for a lock) answers
 * from hal_cpu_relax(), so a shootdown from a CPU that holds a lock cannot
 * deadlock with one that waits for it.  Stopped CPUs are not waited for.
 */
#ifndef COOP_HAL_SMP_TLB_H
#define COOP_HAL_SMP_TLB_H

#include <stdint.h>

/* Above this many pages, each CPU flushes its whole TLB instead. */
#define TLB_FLUSH_ALL_PAGES 32

/*
 * Drops [va, va + pages * 4 KiB) from every CPU's TLB (pages == 0: the
 * whole TLB, global pages too) and returns when all have done it.  Call it
 * after the page-table change and before the frames it freed are reused.
 */
void tlb_shootdown(uintptr_t va, uint64_t pages);
/* The same on this CPU only (benchmarks: a shootdown's floor). */
void tlb_flush_this_cpu(uintptr_t va, uint64_t pages);

/* Shootdowns this CPU sent, and answered (the `cpus` command, tests). */
struct tlb_stats {
	uint64_t sent, answered;
};
struct tlb_stats tlb_stats(unsigned cpu);

/* Sets up the IPI's handler (once, on the boot CPU). */
void tlb_init(void);

#endif
