/*
 * pci.c — see pci.h.
 */
#include "kernel/pci.h"

#include "hal/dev/pci.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "mm/mm.h"

#define BUS_SPAN (1ull << 20)	/* 32 devices x 8 functions x 4 KiB */

/* One MCFG range: buses bus_start..bus_end of a segment, whose bus 0 would
 * be at `base` (ACPI 5.2.6 / PCI Firmware 4.1.2). */
static void add_window(const struct acpi_mcfg_range *r)
{
	uint64_t pa = r->base + r->bus_start * BUS_SPAN;
	uint64_t size = (r->bus_end - r->bus_start + 1ull) * BUS_SPAN;
	volatile void *va = r->bus_end >= r->bus_start ? mm_map_mmio(pa, size) : NULL;

	if (!va || !pci_add_ecam((uintptr_t)va, r->segment, r->bus_start, r->bus_end))
		log_warn("pci: cannot use the MCFG window for segment %u buses %u-%u at 0x%llx",
			 r->segment, r->bus_start, r->bus_end, (unsigned long long)pa);
}

void pci_start(void)
{
	const struct acpi_info *acpi = platform_acpi();

	if (acpi && acpi->has_mcfg)
		for (uint32_t i = 0; i < acpi->mcfg.count; i++)
			add_window(&acpi->mcfg.ranges[i]);
	if (pci_init() == PCI_ACCESS_NONE) {
		log_warn("pci: no configuration access (no MCFG, no ports 0xCF8); no PCI devices");
		return;
	}
	kprintf("pci: %u functions (%s)\n", pci_scan(NULL, 0), pci_access_name());
}
