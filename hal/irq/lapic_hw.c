/*
 * lapic_hw.c — the local APIC primitives of lapic_regs.h on the real CPU:
 * 32-bit MMIO loads and stores (the page is mapped uncached; `volatile`
 * keeps the compiler from merging or reordering them) and RDMSR/WRMSR.
 */
#include "hal/irq/lapic_regs.h"

#include "hal/cpu.h"

uint32_t lapic_hw_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

void lapic_hw_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

uint64_t lapic_hw_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

/* The "memory" clobber keeps the compiler from moving a handler's stores
 * past its x2APIC EOI write. */
void lapic_hw_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

void lapic_hw_wrmsr_fence(void)
{
	__asm__ volatile("mfence; lfence" ::: "memory");
}

bool lapic_hw_cpu_has_apic(bool *x2apic)
{
	uint32_t r[4];

	hal_cpuid(1, 0, r);
	*x2apic = r[2] & (1u << 21);
	return r[3] & (1u << 9);
}
