/*
 * lapic_regs.c — local APIC register access in xAPIC or x2APIC mode (see
 * lapic_regs.h).  No inline assembly here: the hardware is behind the
 * lapic_hw_*() primitives, so host tests run this file over a fake.
 */
#include "hal/irq/lapic_regs.h"

static enum lapic_mode mode;
static uintptr_t mmio;

static uint32_t x2apic_msr(enum lapic_reg reg)
{
	return MSR_X2APIC_FIRST + ((uint32_t)reg >> 4);
}

enum lapic_mode lapic_regs_init(uintptr_t mmio_base, bool cpu_has_x2apic, bool want_x2apic)
{
	uint64_t base = lapic_hw_rdmsr(MSR_APIC_BASE);
	bool on = base & APIC_BASE_ENABLE, x2 = on && (base & APIC_BASE_EXTD);

	mmio = mmio_base;
	if (x2) {
		mode = LAPIC_MODE_X2APIC; /* the firmware's choice: keep it */
		return mode;
	}
	if (!on) {
		base = (base & ~APIC_BASE_EXTD) | APIC_BASE_ENABLE;
		lapic_hw_wrmsr(MSR_APIC_BASE, base); /* disabled -> xAPIC */
	}
	if (cpu_has_x2apic && want_x2apic) {
		lapic_hw_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD); /* xAPIC -> x2APIC */
		mode = LAPIC_MODE_X2APIC;
	} else {
		mode = LAPIC_MODE_XAPIC;
	}
	return mode;
}

enum lapic_mode lapic_regs_cpu_enter(enum lapic_mode want)
{
	uint64_t base = lapic_hw_rdmsr(MSR_APIC_BASE);
	bool on = base & APIC_BASE_ENABLE, x2 = on && (base & APIC_BASE_EXTD);

	if (want == LAPIC_MODE_X2APIC) {
		if (!on) {
			base = (base & ~APIC_BASE_EXTD) | APIC_BASE_ENABLE;
			lapic_hw_wrmsr(MSR_APIC_BASE, base); /* disabled -> xAPIC */
		}
		if (!x2)
			lapic_hw_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
		return LAPIC_MODE_X2APIC;
	}
	if (x2) {
		/* x2APIC -> xAPIC only through disabled (SDM 11.12.5). */
		base &= ~(APIC_BASE_EXTD | APIC_BASE_ENABLE);
		lapic_hw_wrmsr(MSR_APIC_BASE, base);
		on = false;
	}
	if (!on)
		lapic_hw_wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	/* xAPIC registers are reached through the one mapped page: this CPU's
	 * must be decoded at the same address. */
	if ((base & APIC_BASE_ADDR_MASK) != lapic_regs_phys_base() || !mmio)
		return LAPIC_MODE_NONE;
	return LAPIC_MODE_XAPIC;
}

enum lapic_mode lapic_regs_mode(void) { return mode; }

uint64_t lapic_regs_phys_base(void)
{
	return lapic_hw_rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK;
}

uint32_t lapic_read(enum lapic_reg reg)
{
	if (mode == LAPIC_MODE_X2APIC)
		return (uint32_t)lapic_hw_rdmsr(x2apic_msr(reg));
	return lapic_hw_read32(mmio + reg);
}

void lapic_write(enum lapic_reg reg, uint32_t v)
{
	if (mode == LAPIC_MODE_X2APIC)
		lapic_hw_wrmsr(x2apic_msr(reg), v);
	else
		lapic_hw_write32(mmio + reg, v);
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);
	return mode == LAPIC_MODE_X2APIC ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0); /* x2APIC: any other value is a #GP */
}

uint32_t lapic_esr_read(void)
{
	lapic_write(LAPIC_ESR, 0);
	return lapic_read(LAPIC_ESR);
}

void lapic_icr_write(uint32_t dest, uint32_t icr_low)
{
	if (mode == LAPIC_MODE_X2APIC) {
		lapic_hw_wrmsr_fence();
		lapic_hw_wrmsr(x2apic_msr(LAPIC_ICR_LOW), (uint64_t)dest << 32 | icr_low);
		return;
	}
	lapic_write(LAPIC_ICR_HIGH, dest << 24);
	lapic_write(LAPIC_ICR_LOW, icr_low);
}

bool lapic_icr_pending(void)
{
	return mode == LAPIC_MODE_XAPIC && (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING);
}

void lapic_tsc_deadline_write(uint64_t tsc)
{
	lapic_hw_wrmsr_fence();
	lapic_hw_wrmsr(MSR_TSC_DEADLINE, tsc);
}
