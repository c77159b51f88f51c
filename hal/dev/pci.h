/*
 * pci.h — PCI configuration space: finding devices, reading their identity,
 * sizing their BARs, walking their capability lists.
 *
 * Two ways in (PCI Local Bus 3.0 3.2.2.3.2; PCI Express Base 7.2.2):
 *   ECAM      each function's 4 KiB of configuration space is memory, at
 *             base + (bus << 20 | dev << 15 | fn << 12), one window per PCI
 *             segment and bus range, as the ACPI MCFG table lists them.  The
 *             kernel maps a window uncached and hands it in (pci_add_ecam).
 *   ports     configuration mechanism #1: the address to 0xCF8, the data at
 *             0xCFC; segment 0 and the first 256 bytes only.  The fallback
 *             when there is no MCFG.
 *
 * Devices are found by walking from bus 0 through the PCI-to-PCI bridges,
 * not by probing all 65,536 addresses.
 */
#ifndef COOP_HAL_DEV_PCI_H
#define COOP_HAL_DEV_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_func {
	uint16_t segment;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t header_type;		/* bits 6..0; bit 7 (multi-function) cleared */
};

/* Offsets in the common configuration header (PCI 3.0 6.1). */
enum {
	PCI_VENDOR = 0x00,
	PCI_COMMAND = 0x04,
	PCI_STATUS = 0x06,
	PCI_CLASS_REV = 0x08,
	PCI_HEADER_TYPE = 0x0e,
	PCI_BAR0 = 0x10,
	PCI_SECONDARY_BUS = 0x19,	/* type 1 (bridge) header */
	PCI_CAP_PTR = 0x34,
	PCI_INTERRUPT_LINE = 0x3c,
};

enum {
	PCI_CMD_IO = 1u << 0,
	PCI_CMD_MEMORY = 1u << 1,
	PCI_CMD_BUS_MASTER = 1u << 2,
	PCI_CMD_INTX_DISABLE = 1u << 10,
	PCI_STATUS_CAP_LIST = 1u << 4,
};

/* Capability IDs (PCI 3.0 appendix H). */
enum { PCI_CAP_MSI = 0x05, PCI_CAP_PCIE = 0x10, PCI_CAP_MSIX = 0x11 };

enum pci_access { PCI_ACCESS_NONE, PCI_ACCESS_PORTS, PCI_ACCESS_ECAM };

/* Checks for configuration mechanism #1.  Returns the access method in use
 * afterwards (ports, or ECAM if a window was added before). */
enum pci_access pci_init(void);
/* A memory-mapped configuration window (already mapped uncached at @va)
 * for @segment, buses @bus_start..@bus_end.  False if the table is full or
 * the range is empty. */
bool pci_add_ecam(uintptr_t va, uint16_t segment, uint8_t bus_start, uint8_t bus_end);
/* "ECAM (1 window)", "I/O ports 0xCF8", "none". */
const char *pci_access_name(void);

uint32_t pci_read32(const struct pci_func *f, uint16_t off);
/* The same read through one method only (0xffffffff if it cannot reach
 * @f): for checking that ECAM and the ports agree. */
uint32_t pci_read32_with(const struct pci_func *f, uint16_t off, enum pci_access how);
uint16_t pci_read16(const struct pci_func *f, uint16_t off);
uint8_t pci_read8(const struct pci_func *f, uint16_t off);
void pci_write32(const struct pci_func *f, uint16_t off, uint32_t v);
void pci_write16(const struct pci_func *f, uint16_t off, uint16_t v);

/*
 * Finds every function, in bus order, into @out (at most @max); returns how
 * many exist (which may be more than @max).  Without any access method, 0.
 */
unsigned pci_scan(struct pci_func *out, unsigned max);

struct pci_bar {
	uint64_t base;		/* bus address */
	uint64_t size;		/* 0: the BAR is not implemented */
	bool io, is64, prefetchable;
};

/*
 * Reads and sizes BAR @index (0..5) of a type 0 header: writes all ones
 * and reads back which bits stick, with the function's decoding switched
 * off meanwhile (so the BAR never answers at the probe address) and
 * interrupts off; then puts the BAR and the command register back as they
 * were.  A 64-bit BAR takes @index and @index + 1.  False for a bad index
 * or a header without BARs.
 */
bool pci_bar(const struct pci_func *f, unsigned index, struct pci_bar *out);

/* Offset of the first capability with @id, 0 if none. */
uint8_t pci_find_cap(const struct pci_func *f, uint8_t id);

/*
 * Message Signalled Interrupts (PCI 3.0 6.8).  The function writes @data to
 * @address to interrupt (msi.h composes both for a local APIC).
 *
 * pci_msi_enable: one vector through the MSI capability, INTx off.  False
 * if the function has none.
 * pci_msix_table: where the MSI-X table lives (BAR and offset) and how many
 * entries it has; false if the function has no MSI-X capability.
 * pci_msix_enable: entry 0 of the table (mapped at @table) gets the
 * message and is unmasked, the others stay masked; MSI-X on, INTx off.
 * pci_msi_disable: both off (INTx stays off too).
 */
bool pci_msi_enable(const struct pci_func *f, uint64_t address, uint32_t data);
bool pci_msix_table(const struct pci_func *f, unsigned *bar, uint32_t *offset,
		    unsigned *entries);
void pci_msix_enable(const struct pci_func *f, volatile void *table, uint64_t address,
		     uint32_t data);
void pci_msi_disable(const struct pci_func *f);

/* "USB controller (xHCI)", "VGA controller", ...; "" when unknown. */
const char *pci_class_name(uint8_t class_code, uint8_t subclass, uint8_t prog_if);

#endif
