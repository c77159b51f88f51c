/*
 * mmu.h — the x86-64 MMU controls that page-table code needs from the CPU:
 * CR3, INVLPG, the PAT MSR, and the EFER/CR0/CR4 protection bits.  The page
 * tables themselves are built by portable code (mm/pagetable.c).
 */
#ifndef COOP_HAL_MMU_H
#define COOP_HAL_MMU_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_EFER 0xc0000080
#define MSR_PAT 0x277
#define EFER_NXE (1ull << 11)
#define CR0_WP (1ull << 16)
#define CR4_PGE (1ull << 7)
#define CR4_LA57 (1ull << 12) /* 5-level paging */
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

struct cpu_features {
	bool nx, pages_1g, pat, pge, smep, smap, invariant_tsc;
	bool la57_on; /* CR4.LA57: the firmware left 5-level paging on */
	uint32_t max_phys_bits;
};

void cpu_features_read(struct cpu_features *f);

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void mmu_write_cr3(uint64_t root)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(root) : "memory");
}

static inline void mmu_invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/*
 * EFER.NXE: NX bits are honoured (without it they are reserved bits and
 * fault).  Precondition for loading tables that use them.
 */
void mmu_enable_nx(void);

/*
 * Turns on the protections the kernel relies on: CR0.WP (so the kernel too
 * respects read-only pages), CR4.PGE, and SMEP/SMAP where the CPU has them.
 * Precondition: the kernel's own tables are loaded (firmware tables may mark
 * supervisor pages user, and SMEP would fault on the next fetch).  Returns
 * the CR4 bits it set, for the boot log.
 */
uint64_t mmu_enable_protections(const struct cpu_features *f);
/* Clears CR4.SMEP and SMAP, as firmware hands the CPU over: for tests that
 * replay the switch to the kernel's tables. */
void mmu_disable_user_protections(void);

/*
 * Programs the PAT so entry 1 (selected by PWT=1 in a PTE) is
 * write-combining; the other entries keep their power-on meaning for the
 * combinations the kernel uses (0 = WB, 3 = UC).  Precondition: the CPU has
 * PAT (cpu_features.pat); without it PWT means write-through.
 */
void mmu_setup_pat(void);
/* The PAT's power-on value: WB WT UC- UC, twice. */
#define MMU_PAT_POWER_ON 0x0007040600070406ull

#endif
