/*
 * fake_lapic.h — a local APIC in software, behind the lapic_hw_*()
 * primitives of hal/irq/lapic_regs.h, for host tests of the register
 * layer, set-up, IPIs and timer (QEMU 7.2's TCG has no x2APIC).
 *
 * It counts as a fault every access the real CPU refuses (Intel SDM vol.
 * 3A, 11.12): an x2APIC MSR while not in x2APIC mode; the MMIO page while
 * in it; DFR, ICR-high and the other registers x2APIC lacks; a write to a
 * read-only register; EOI with a value other than 0; and every illegal
 * IA32_APIC_BASE transition (x2APIC straight back to xAPIC, disabled
 * straight to x2APIC, x2APIC on a CPU without it).
 */
#ifndef COOP_TEST_HOST_FAKE_LAPIC_H
#define COOP_TEST_HOST_FAKE_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_LAPIC_MMIO_BASE 0x10000000u /* where the "page" is "mapped" */
#define FAKE_LAPIC_MAX_SENDS 16

struct fake_ipi {
	uint32_t dest, icr_low;
	bool fenced; /* an MFENCE;LFENCE came before it (x2APIC) */
};

struct fake_lapic {
	uint64_t apic_base;		/* IA32_APIC_BASE */
	bool has_x2apic;
	uint32_t id;			/* this CPU's APIC id */
	uint32_t regs[0x400 / 4];	/* by xAPIC offset / 4 */
	uint32_t pending_errors;	/* latched into ESR on the next ESR write */
	uint64_t tsc_deadline;
	bool deadline_fenced;
	unsigned faults;
	const char *first_fault;
	unsigned apic_base_writes;
	unsigned esr_writes;
	unsigned sends;
	struct fake_ipi sent[FAKE_LAPIC_MAX_SENDS];
	bool refuse;			/* IPIs to refuse_dest latch a send-accept error */
	uint32_t refuse_dest;
	uint64_t timer_hz;		/* one-shot counting rate after the divider */
	uint64_t timer_loaded_ns;	/* fake clock when the initial count was set */
};

extern struct fake_lapic fake_lapic;

/* A fresh APIC: IA32_APIC_BASE as the firmware left it, x2APIC capability,
 * APIC id, and the one-shot counting rate (62.5 MHz like QEMU's at /16). */
void fake_lapic_reset(uint64_t apic_base, bool has_x2apic, uint32_t id);

#endif
