/*
 * lapic.h — the local APIC: per-CPU set-up, inter-processor interrupts and
 * its error status (Intel SDM vol. 3A, chapter 11).
 *
 * The register-level work is in lapic_regs.c, so this file, like that one,
 * runs on the host over a fake for tests.  Interrupt handlers for the
 * APIC's own vectors (error, spurious) are installed by irq.c.
 */
#ifndef COOP_HAL_IRQ_LAPIC_H
#define COOP_HAL_IRQ_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/irq/lapic_regs.h"

/* A LINT pin the MADT wires to NMI (for every CPU or for this one). */
struct lapic_nmi_pin {
	uint8_t lint;	/* 0 or 1 */
	bool active_low;
};

struct lapic_setup {
	uintptr_t mmio;		/* the xAPIC page, mapped uncached */
	bool cpu_has_x2apic;
	bool want_x2apic;
};

/*
 * Brings this CPU's local APIC up for coop's use: enabled (mode chosen by
 * lapic_regs_init), task priority 0, every LVT masked but the error LVT,
 * errors cleared, software-enabled with the spurious vector.  LINT0 stays
 * masked (irq.c unmasks it for virtual-wire mode).  Returns the mode.
 */
enum lapic_mode lapic_setup_cpu(const struct lapic_setup *s);
/* The same on another CPU, in the mode the boot CPU chose; returns
 * LAPIC_MODE_NONE if this CPU's local APIC cannot run in it. */
enum lapic_mode lapic_setup_ap(void);
/* Programs the LINT pins the MADT wires to NMI for this CPU (which one
 * that is, the caller knows from lapic_id()). */
void lapic_set_nmi_pins(const struct lapic_nmi_pin *pins, unsigned n);
/* The number of LVT entries this local APIC has (version register). */
unsigned lapic_lvt_count(void);

enum lapic_ipi {
	LAPIC_IPI_FIXED,	 /* `vector` on the target */
	LAPIC_IPI_NMI,
	LAPIC_IPI_INIT,		 /* INIT, asserted (level-triggered) */
	LAPIC_IPI_INIT_DEASSERT, /* the de-assert older CPUs want after INIT */
	LAPIC_IPI_STARTUP,	 /* SIPI: `vector` = page number of the entry */
};

/* The ICR low word for an IPI of this kind. */
uint32_t lapic_ipi_icr(enum lapic_ipi kind, uint8_t vector);

/*
 * Sends an IPI to the CPU with APIC id `dest` and waits (bounded) for the
 * local APIC to accept it.  Returns the error status the APIC reported for
 * it (0: sent; SDM 11.5.3 lists the bits), or LAPIC_IPI_TIMEOUT if it was
 * never accepted.
 */
#define LAPIC_IPI_TIMEOUT 0x80000000u
uint32_t lapic_send_ipi(uint32_t dest, enum lapic_ipi kind, uint8_t vector);

#endif
