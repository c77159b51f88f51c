/*
 * mmu.c — CPU feature detection and protection bits.  CPUID leaves and bit
 * positions are from the Intel SDM vol. 2A (CPUID) and vol. 3A ch. 4 and 11.
 */
#include "hal/cpu/mmu.h"

#include "hal/cpu.h"

void cpu_features_read(struct cpu_features *f)
{
	uint32_t r[4];

	hal_cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	hal_cpuid(1, 0, r);
	f->pat = r[3] & (1u << 16);
	f->pge = r[3] & (1u << 13);
	f->smep = f->smap = false;
	if (max_leaf >= 7) {
		hal_cpuid(7, 0, r);
		f->smep = r[1] & (1u << 7);
		f->smap = r[1] & (1u << 20);
	}
	hal_cpuid(0x80000000, 0, r);
	uint32_t max_ext = r[0];
	f->nx = f->pages_1g = f->invariant_tsc = false;
	f->max_phys_bits = 36;
	if (max_ext >= 0x80000001) {
		hal_cpuid(0x80000001, 0, r);
		f->nx = r[3] & (1u << 20);
		f->pages_1g = r[3] & (1u << 26);
	}
	if (max_ext >= 0x80000007) {
		hal_cpuid(0x80000007, 0, r);
		f->invariant_tsc = r[3] & (1u << 8);
	}
	if (max_ext >= 0x80000008) {
		hal_cpuid(0x80000008, 0, r);
		f->max_phys_bits = r[0] & 0xff;
	}
	f->la57_on = hal_read_cr4() & CR4_LA57;
}

static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

void mmu_enable_nx(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
}

uint64_t mmu_enable_protections(const struct cpu_features *f)
{
	uint64_t cr4 = hal_read_cr4(), added = 0;

	write_cr0(hal_read_cr0() | CR0_WP);
	if (f->pge)
		added |= CR4_PGE;
	if (f->smep)
		added |= CR4_SMEP;
	if (f->smap)
		added |= CR4_SMAP;
	write_cr4(cr4 | added);
	return added;
}

void mmu_disable_user_protections(void)
{
	write_cr4(hal_read_cr4() & ~(CR4_SMEP | CR4_SMAP));
}

/* PAT entries are one byte each: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-. */
#define PAT_UC 0x00ull
#define PAT_WC 0x01ull
#define PAT_WT 0x04ull
#define PAT_WB 0x06ull
#define PAT_UC_MINUS 0x07ull

void mmu_setup_pat(void)
{
	/* Power-on default is WB WT UC- UC, twice; only entry 1 changes. */
	uint64_t pat = PAT_WB | PAT_WC << 8 | PAT_UC_MINUS << 16 | PAT_UC << 24 |
		       PAT_WB << 32 | PAT_WT << 40 | PAT_UC_MINUS << 48 | PAT_UC << 56;
	wrmsr(MSR_PAT, pat);
}
