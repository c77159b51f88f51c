/*
 * msi.h — the address/data pair a PCI device writes to raise a Message
 * Signalled Interrupt at a local APIC (Intel SDM vol. 3A, 11.11).
 *
 *   address  0xfee00000 | destination APIC id << 12 (physical mode,
 *            no redirection hint)
 *   data     vector | delivery mode fixed | trigger (edge, or level and
 *            asserted)
 *
 * An 8-bit destination field: APIC ids above 255 need interrupt remapping,
 * which coop does not do, so msi_compose() refuses them.
 */
#ifndef COOP_HAL_IRQ_MSI_H
#define COOP_HAL_IRQ_MSI_H

#include <stdbool.h>
#include <stdint.h>

#define MSI_ADDRESS_BASE 0xfee00000u
#define MSI_DATA_LEVEL (1u << 15)
#define MSI_DATA_ASSERT (1u << 14)

struct msi_message {
	uint32_t address;	/* the upper 32 address bits are 0 */
	uint32_t data;
};

/* False if `dest` cannot be named in an MSI without interrupt remapping,
 * or `vector` is one the CPU reserves (below 32). */
static inline bool msi_compose(uint32_t dest, uint8_t vector, bool level,
			       struct msi_message *out)
{
	if (dest > 0xff || vector < 32)
		return false;
	out->address = MSI_ADDRESS_BASE | dest << 12;
	out->data = vector | (level ? MSI_DATA_LEVEL | MSI_DATA_ASSERT : 0);
	return true;
}

#endif
