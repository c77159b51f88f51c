/*
 * ioapic.h — I/O APICs: each routes its input pins (global system
 * interrupts, GSIs, from gsi_base on) to a vector on a CPU (Intel 82093AA
 * datasheet; ICH/PCH datasheets, "I/O APIC").
 *
 * Two MMIO registers give indirect access to the rest: write the register
 * number to IOREGSEL, then read or write IOWIN.  Each input has a 64-bit
 * redirection entry (two registers).
 */
#ifndef COOP_HAL_IRQ_IOAPIC_H
#define COOP_HAL_IRQ_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_MAX 16

#define IOAPIC_RTE_POLARITY_LOW (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RTE_LEVEL (1ull << 15)
#define IOAPIC_RTE_MASKED (1ull << 16)

/* A redirection entry: fixed delivery, physical destination mode. */
static inline uint64_t ioapic_rte(uint8_t vector, uint8_t dest_apic_id, bool active_low,
				  bool level, bool masked)
{
	return vector | (active_low ? IOAPIC_RTE_POLARITY_LOW : 0) |
	       (level ? IOAPIC_RTE_LEVEL : 0) | (masked ? IOAPIC_RTE_MASKED : 0) |
	       (uint64_t)dest_apic_id << 56;
}

struct ioapic {
	uint32_t madt_id;	/* the id the MADT gives it */
	uint32_t hw_id;		/* the id its own ID register holds */
	uint32_t gsi_base;
	uint32_t inputs;	/* redirection entries: GSIs gsi_base.. */
	uint32_t version;
	uintptr_t mmio;
};

/*
 * Takes an IOAPIC into use: reads its version and input count and masks
 * every input.  Returns false (and takes nothing) if its GSIs overlap an
 * IOAPIC already added, or if the registers read back as all ones (nothing
 * answers at that address).
 */
bool ioapic_add(uint32_t madt_id, uintptr_t mmio, uint32_t gsi_base);
unsigned ioapic_count(void);
const struct ioapic *ioapic_at(unsigned i);
/* The IOAPIC whose inputs include gsi, or NULL. */
const struct ioapic *ioapic_for_gsi(uint32_t gsi);

/* Points gsi at `vector` on the CPU with APIC id `dest`, unmasked.
 * False if no IOAPIC has that GSI or the id does not fit in 8 bits. */
bool ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest, bool active_low, bool level);
void ioapic_set_masked(uint32_t gsi, bool masked);
/* The redirection entry as the IOAPIC holds it (0 if no such GSI). */
uint64_t ioapic_read_rte(uint32_t gsi);

#endif
