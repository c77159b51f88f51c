/*
 * pci.h — how the kernel reaches PCI configuration space (hal/dev/pci.h):
 * through the ECAM windows the ACPI MCFG table lists, mapped uncached, and
 * configuration mechanism #1 (ports 0xCF8/0xCFC) where there is none.
 */
#ifndef COOP_KERNEL_PCI_H
#define COOP_KERNEL_PCI_H

/* Maps the MCFG's windows, checks for the ports, and says what it found:
 * "pci: 6 functions (ECAM (1 window))".  After platform_init(). */
void pci_start(void);

#endif
