/*
 * fake_lapic.c — see fake_lapic.h.
 */
#include "test/host/fake_lapic.h"

#include <string.h>

#include "hal/hal.h"
#include "hal/irq/lapic_regs.h"

struct fake_lapic fake_lapic;
static bool fence_pending;

#define REG(off) fake_lapic.regs[(off) / 4]

static void fault(const char *what)
{
	if (!fake_lapic.faults++)
		fake_lapic.first_fault = what;
}

static bool enabled(void) { return fake_lapic.apic_base & APIC_BASE_ENABLE; }
static bool x2(void) { return enabled() && (fake_lapic.apic_base & APIC_BASE_EXTD); }

void fake_lapic_reset(uint64_t apic_base, bool has_x2apic, uint32_t id)
{
	memset(&fake_lapic, 0, sizeof fake_lapic);
	fake_lapic.apic_base = apic_base;
	fake_lapic.has_x2apic = has_x2apic;
	fake_lapic.id = id;
	fake_lapic.timer_hz = 62500000;
	REG(LAPIC_VERSION) = 0x00050014; /* 6 LVT entries */
	REG(LAPIC_ID) = id << 24;
	fence_pending = false;
}

/* ---- the registers, by xAPIC offset, either way in --------------------------- */

static void send(uint32_t dest, uint32_t low, bool fenced)
{
	if (fake_lapic.sends < FAKE_LAPIC_MAX_SENDS)
		fake_lapic.sent[fake_lapic.sends] = (struct fake_ipi){ dest, low, fenced };
	fake_lapic.sends++;
	if (fake_lapic.refuse && dest == fake_lapic.refuse_dest)
		fake_lapic.pending_errors |= 0x04; /* send accept error (SDM 11.5.3) */
}

static uint32_t timer_current(void)
{
	uint64_t initial = REG(LAPIC_TIMER_INITIAL), elapsed;

	if (!initial)
		return 0;
	elapsed = (hal_cycles() - fake_lapic.timer_loaded_ns) * fake_lapic.timer_hz / 1000000000u;
	return elapsed >= initial ? 0 : (uint32_t)(initial - elapsed);
}

static uint32_t reg_read(uint32_t off)
{
	if (off == LAPIC_TIMER_CURRENT)
		return timer_current();
	if (off == LAPIC_ID && x2())
		return fake_lapic.id;
	return REG(off);
}

static void reg_write(uint32_t off, uint32_t v)
{
	switch (off) {
	case LAPIC_ID:
	case LAPIC_VERSION:
	case LAPIC_TIMER_CURRENT:
		fault("write to a read-only register");
		return;
	case LAPIC_EOI:
		if (x2() && v != 0)
			fault("x2APIC EOI written with a value other than 0");
		return;
	case LAPIC_ESR:
		fake_lapic.esr_writes++;
		REG(LAPIC_ESR) = fake_lapic.pending_errors;
		fake_lapic.pending_errors = 0;
		return;
	case LAPIC_ICR_LOW:
		REG(off) = v & ~ICR_PENDING;
		send(REG(LAPIC_ICR_HIGH) >> 24, v, false);
		return;
	case LAPIC_TIMER_INITIAL:
		fake_lapic.timer_loaded_ns = hal_cycles();
		break;
	}
	REG(off) = v;
}

/* ---- MMIO: the xAPIC page ---------------------------------------------------- */

static uint32_t mmio_offset(uintptr_t addr)
{
	uint32_t off = (uint32_t)(addr - FAKE_LAPIC_MMIO_BASE);

	if (addr < FAKE_LAPIC_MMIO_BASE || off >= 0x400 || off % 16)
		fault("MMIO access outside the register page");
	if (!enabled() || x2())
		fault("MMIO access while not in xAPIC mode");
	return off & 0x3f0;
}

uint32_t lapic_hw_read32(uintptr_t addr) { return reg_read(mmio_offset(addr)); }
void lapic_hw_write32(uintptr_t addr, uint32_t v) { reg_write(mmio_offset(addr), v); }

/* ---- MSRs ----------------------------------------------------------------------- */

/* x2APIC registers that do not exist (SDM table 11-6): the MSRs for
 * offsets 0x00-0x10, 0x40-0x70, APR 0x90, RRD 0xc0, DFR 0xe0, 0x290-0x2e0,
 * ICR high 0x310 and 0x3a0-0x3d0. */
static bool x2apic_reserved(uint32_t off)
{
	return off < LAPIC_ID || (off > LAPIC_VERSION && off < LAPIC_TPR) || off == 0x090 ||
	       off == 0x0c0 || off == LAPIC_DFR || (off > LAPIC_ESR && off < 0x2f0) ||
	       off == LAPIC_ICR_HIGH || (off > LAPIC_TIMER_CURRENT && off < LAPIC_TIMER_DIVIDE);
}

static bool apic_base_legal(uint64_t from, uint64_t to)
{
	bool en0 = from & APIC_BASE_ENABLE, x0 = from & APIC_BASE_EXTD;
	bool en1 = to & APIC_BASE_ENABLE, x1 = to & APIC_BASE_EXTD;

	if (x1 && !fake_lapic.has_x2apic)
		return false;
	if (x1 && !en1)
		return false; /* EXTD without EN is an invalid state */
	if (en0 && x0 && en1 && !x1)
		return false; /* x2APIC -> xAPIC */
	if (!en0 && en1 && x1)
		return false; /* disabled -> x2APIC */
	return true;
}

uint64_t lapic_hw_rdmsr(uint32_t msr)
{
	if (msr == MSR_APIC_BASE)
		return fake_lapic.apic_base;
	if (msr == MSR_TSC_DEADLINE)
		return fake_lapic.tsc_deadline;
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_FIRST + 0x3f || !x2()) {
		fault("RDMSR of an x2APIC register outside x2APIC mode");
		return 0;
	}
	uint32_t off = (msr - MSR_X2APIC_FIRST) << 4;
	if (x2apic_reserved(off) || off == LAPIC_EOI || off == LAPIC_SELF_IPI)
		fault("RDMSR of a reserved or write-only x2APIC register");
	if (off == LAPIC_ICR_LOW)
		return REG(LAPIC_ICR_LOW);
	return reg_read(off);
}

void lapic_hw_wrmsr(uint32_t msr, uint64_t v)
{
	bool fenced = fence_pending;

	fence_pending = false;
	if (msr == MSR_APIC_BASE) {
		fake_lapic.apic_base_writes++;
		if (!apic_base_legal(fake_lapic.apic_base, v))
			fault("illegal IA32_APIC_BASE transition");
		fake_lapic.apic_base = v;
		return;
	}
	if (msr == MSR_TSC_DEADLINE) {
		fake_lapic.tsc_deadline = v;
		fake_lapic.deadline_fenced = fenced;
		return;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_FIRST + 0x3f || !x2()) {
		fault("WRMSR of an x2APIC register outside x2APIC mode");
		return;
	}
	uint32_t off = (msr - MSR_X2APIC_FIRST) << 4;
	if (x2apic_reserved(off) || off == LAPIC_LDR) {
		fault("WRMSR of a reserved or read-only x2APIC register");
		return;
	}
	if (off == LAPIC_ICR_LOW) {
		REG(LAPIC_ICR_LOW) = (uint32_t)v;
		send((uint32_t)(v >> 32), (uint32_t)v, fenced);
		return;
	}
	if (off == LAPIC_SELF_IPI) {
		send(fake_lapic.id, ICR_FIXED | ICR_VECTOR(v), fenced);
		return;
	}
	if (v >> 32)
		fault("WRMSR of a 32-bit x2APIC register with high bits set");
	reg_write(off, (uint32_t)v);
}

void lapic_hw_wrmsr_fence(void) { fence_pending = true; }
