/*
 * lapic_regs.h — the local APIC's registers, in either of its two access
 * modes (Intel SDM vol. 3A, chapter 11; "10" in older editions):
 *
 *   xAPIC   a 4 KiB MMIO page, 32-bit registers at 16-byte offsets
 *   x2APIC  MSRs 0x800 + offset / 16; the ICR is one 64-bit MSR, the
 *           destination field is 32 bits wide, and some xAPIC registers
 *           (DFR, ICR high) do not exist and fault when touched
 *
 * Everything above this layer (lapic.c, lapic_timer.c) names registers by
 * their xAPIC offset and never asks which mode is on.  Hardware is reached
 * only through the five lapic_hw_*() primitives: the kernel implements them
 * with MMIO and RDMSR/WRMSR (lapic_hw.c); host tests implement them over a
 * fake that faults, like the CPU, on every access the mode forbids
 * (test/host/fake_lapic.c), since QEMU's TCG has no x2APIC to test on.
 */
#ifndef COOP_HAL_IRQ_LAPIC_REGS_H
#define COOP_HAL_IRQ_LAPIC_REGS_H

#include <stdbool.h>
#include <stdint.h>

enum lapic_reg {
	LAPIC_ID = 0x020,
	LAPIC_VERSION = 0x030,
	LAPIC_TPR = 0x080,
	LAPIC_EOI = 0x0b0,
	LAPIC_LDR = 0x0d0,
	LAPIC_DFR = 0x0e0,	/* xAPIC only */
	LAPIC_SVR = 0x0f0,
	LAPIC_ISR0 = 0x100,	/* 8 registers, 0x100..0x170 */
	LAPIC_ESR = 0x280,
	LAPIC_ICR_LOW = 0x300,
	LAPIC_ICR_HIGH = 0x310,	/* xAPIC only */
	LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_THERMAL = 0x330,
	LAPIC_LVT_PERF = 0x340,
	LAPIC_LVT_LINT0 = 0x350,
	LAPIC_LVT_LINT1 = 0x360,
	LAPIC_LVT_ERROR = 0x370,
	LAPIC_TIMER_INITIAL = 0x380,
	LAPIC_TIMER_CURRENT = 0x390,
	LAPIC_TIMER_DIVIDE = 0x3e0,
	LAPIC_SELF_IPI = 0x3f0,	/* x2APIC only */
};

#define MSR_APIC_BASE 0x1b
#define MSR_X2APIC_FIRST 0x800
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)	/* x2APIC mode */
#define APIC_BASE_ENABLE (1ull << 11)	/* global enable */
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

/* ICR low word (SDM 11.6.1). */
#define ICR_VECTOR(v) ((uint32_t)(v) & 0xff)
#define ICR_FIXED (0u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_PENDING (1u << 12)	/* xAPIC: not yet accepted */
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_TO_SELF (1u << 18)

enum lapic_mode { LAPIC_MODE_NONE, LAPIC_MODE_XAPIC, LAPIC_MODE_X2APIC };

/* ---- the hardware primitives (lapic_hw.c, or a host fake) ------------------ */
uint32_t lapic_hw_read32(uintptr_t addr);
void lapic_hw_write32(uintptr_t addr, uint32_t v);
uint64_t lapic_hw_rdmsr(uint32_t msr);
void lapic_hw_wrmsr(uint32_t msr, uint64_t v);
/* MFENCE; LFENCE.  WRMSR to the x2APIC ICR and to IA32_TSC_DEADLINE is not
 * serializing, so without this an IPI or a timer could overtake the memory
 * writes that come before it in program order (SDM 11.12.3, 11.5.4.1). */
void lapic_hw_wrmsr_fence(void);

/* CPUID: does this CPU have a local APIC, and can it do x2APIC?  (Kernel
 * only: lapic_hw.c.) */
bool lapic_hw_cpu_has_apic(bool *x2apic);

/* ---- mode ----------------------------------------------------------------- */

/*
 * Turns the local APIC on and picks the mode, from IA32_APIC_BASE as the
 * firmware left it:
 *   - x2APIC already on: stay in it.  Leaving x2APIC for xAPIC directly is
 *     an illegal transition (#GP), and firmware that chose x2APIC may have
 *     APIC ids that xAPIC cannot name.
 *   - else x2APIC if the CPU has it and `want_x2apic`; the only legal path
 *     there is through xAPIC enabled, so that is the order of the writes.
 *   - else xAPIC, through the MMIO page at `mmio` (already mapped uncached).
 * Returns the mode now in use.
 */
enum lapic_mode lapic_regs_init(uintptr_t mmio, bool cpu_has_x2apic, bool want_x2apic);
/*
 * On another CPU, once lapic_regs_init() ran on the boot CPU: brings this
 * CPU's local APIC into mode `want` (the boot CPU's: the access functions
 * below serve every CPU the same way).  Returns the mode it is in, or
 * LAPIC_MODE_NONE if xAPIC mode would need a different register page.
 */
enum lapic_mode lapic_regs_cpu_enter(enum lapic_mode want);
enum lapic_mode lapic_regs_mode(void);
/* The local APIC's physical base as IA32_APIC_BASE reports it. */
uint64_t lapic_regs_phys_base(void);

/* ---- registers -------------------------------------------------------------- */
uint32_t lapic_read(enum lapic_reg reg);
void lapic_write(enum lapic_reg reg, uint32_t v);
/* This CPU's APIC id: bits 31:24 of the ID register in xAPIC mode, all 32
 * bits in x2APIC mode. */
uint32_t lapic_id(void);
/* Signals end of interrupt: the highest in-service vector is done. */
void lapic_eoi(void);
/* Error status since the last call.  The ESR latches only on a write, so
 * this writes it first (in both modes), then reads. */
uint32_t lapic_esr_read(void);
/*
 * Sends an IPI: `icr_low` (vector, delivery mode, level, shorthand) to the
 * CPU with APIC id `dest`.  xAPIC: ICR high (destination in bits 31:24)
 * first, since writing ICR low is what sends.  x2APIC: one 64-bit write,
 * destination in bits 63:32, after the WRMSR fence.
 */
void lapic_icr_write(uint32_t dest, uint32_t icr_low);
/* True while an xAPIC IPI has not been accepted yet (x2APIC: never). */
bool lapic_icr_pending(void);
/* Arms the TSC-deadline timer (0 disarms), after the WRMSR fence. */
void lapic_tsc_deadline_write(uint64_t tsc);

#endif
