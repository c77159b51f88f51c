/*
 * pci.c — see pci.h.
 */
#include "hal/dev/pci.h"

#include <stddef.h>

#include "hal/hal.h"
#include "hal/io.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define CONFIG_ENABLE 0x80000000u
#define MAX_ECAM 8
#define NO_VENDOR 0xffff
#define BRIDGE_CLASS 0x06
#define BRIDGE_PCI 0x04
#define BRIDGE_SUBTRACTIVE 0x09	/* a PCI-to-PCI bridge too (class 06 09) */

struct ecam {
	uintptr_t va;
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

static struct ecam ecams[MAX_ECAM];
static unsigned n_ecam;
static bool have_ports;

/* ---- access ------------------------------------------------------------------ */

static volatile void *ecam_addr(const struct pci_func *f, uint16_t off)
{
	for (unsigned i = 0; i < n_ecam; i++) {
		const struct ecam *e = &ecams[i];
		if (e->segment == f->segment && f->bus >= e->bus_start && f->bus <= e->bus_end)
			return (volatile void *)(e->va + ((uintptr_t)(f->bus - e->bus_start) << 20 |
							  (uintptr_t)f->dev << 15 |
							  (uintptr_t)f->fn << 12 | (off & 0xfff)));
	}
	return NULL;
}

/* Mechanism #1 reaches segment 0's first 256 bytes only. */
static bool port_ok(const struct pci_func *f, uint16_t off)
{
	return have_ports && f->segment == 0 && off < 256;
}

static void port_select(const struct pci_func *f, uint16_t off)
{
	outl(CONFIG_ADDRESS, CONFIG_ENABLE | (uint32_t)f->bus << 16 | (uint32_t)f->dev << 11 |
				     (uint32_t)f->fn << 8 | (off & 0xfc));
}

static uint32_t port_read32(const struct pci_func *f, uint16_t off)
{
	hal_irqflags_t fl = hal_irq_save();	/* address and data: one step */
	uint32_t v;

	port_select(f, off);
	v = inl(CONFIG_DATA);
	hal_irq_restore(fl);
	return v;
}

uint32_t pci_read32(const struct pci_func *f, uint16_t off)
{
	volatile uint32_t *p = ecam_addr(f, off);

	if (p)
		return *p;
	return port_ok(f, off) ? port_read32(f, off) : 0xffffffff;
}

uint32_t pci_read32_with(const struct pci_func *f, uint16_t off, enum pci_access how)
{
	volatile uint32_t *p = how == PCI_ACCESS_ECAM ? ecam_addr(f, off) : NULL;

	if (p)
		return *p;
	return how == PCI_ACCESS_PORTS && port_ok(f, off) ? port_read32(f, off) : 0xffffffff;
}

uint16_t pci_read16(const struct pci_func *f, uint16_t off)
{
	volatile uint16_t *p = ecam_addr(f, off);
	uint16_t v = 0xffff;

	if (p)
		return *p;
	if (port_ok(f, off)) {
		hal_irqflags_t fl = hal_irq_save();
		port_select(f, off);
		v = inw(CONFIG_DATA + (off & 2));
		hal_irq_restore(fl);
	}
	return v;
}

uint8_t pci_read8(const struct pci_func *f, uint16_t off)
{
	volatile uint8_t *p = ecam_addr(f, off);
	uint8_t v = 0xff;

	if (p)
		return *p;
	if (port_ok(f, off)) {
		hal_irqflags_t fl = hal_irq_save();
		port_select(f, off);
		v = inb(CONFIG_DATA + (off & 3));
		hal_irq_restore(fl);
	}
	return v;
}

void pci_write32(const struct pci_func *f, uint16_t off, uint32_t v)
{
	volatile uint32_t *p = ecam_addr(f, off);

	if (p) {
		*p = v;
	} else if (port_ok(f, off)) {
		hal_irqflags_t fl = hal_irq_save();
		port_select(f, off);
		outl(CONFIG_DATA, v);
		hal_irq_restore(fl);
	}
}

/* A true 16-bit write: a 32-bit read-modify-write of the command register
 * would write the status register's set bits back, and they clear on 1. */
void pci_write16(const struct pci_func *f, uint16_t off, uint16_t v)
{
	volatile uint16_t *p = ecam_addr(f, off);

	if (p) {
		*p = v;
	} else if (port_ok(f, off)) {
		hal_irqflags_t fl = hal_irq_save();
		port_select(f, off);
		outw(CONFIG_DATA + (off & 2), v);
		hal_irq_restore(fl);
	}
}

/* ---- set-up -------------------------------------------------------------------- */

enum pci_access pci_init(void)
{
	/* Mechanism #1 latches the address register as written; nothing
	 * else at 0xCF8 reads back the enable bit with a register number. */
	hal_irqflags_t fl = hal_irq_save();
	uint32_t saved = inl(CONFIG_ADDRESS);
	outl(CONFIG_ADDRESS, CONFIG_ENABLE | 0x04);
	have_ports = inl(CONFIG_ADDRESS) == (CONFIG_ENABLE | 0x04);
	outl(CONFIG_ADDRESS, saved);
	hal_irq_restore(fl);
	if (n_ecam)
		return PCI_ACCESS_ECAM;
	return have_ports ? PCI_ACCESS_PORTS : PCI_ACCESS_NONE;
}

bool pci_add_ecam(uintptr_t va, uint16_t segment, uint8_t bus_start, uint8_t bus_end)
{
	if (n_ecam == MAX_ECAM || bus_end < bus_start || !va)
		return false;
	ecams[n_ecam++] = (struct ecam){ va, segment, bus_start, bus_end };
	return true;
}

const char *pci_access_name(void)
{
	if (n_ecam)
		return n_ecam == 1 ? "ECAM (1 window)" : "ECAM";
	return have_ports ? "I/O ports 0xCF8" : "none";
}

/* ---- finding devices ---------------------------------------------------------------- */

struct scan {
	struct pci_func *out;
	unsigned max, found;
	uint32_t seen[8];	/* buses already walked, against bridge loops */
};

static void read_identity(struct pci_func *f)
{
	uint32_t id = pci_read32(f, PCI_VENDOR), cls = pci_read32(f, PCI_CLASS_REV);

	f->vendor = (uint16_t)id;
	f->device = (uint16_t)(id >> 16);
	f->revision = (uint8_t)cls;
	f->prog_if = (uint8_t)(cls >> 8);
	f->subclass = (uint8_t)(cls >> 16);
	f->class_code = (uint8_t)(cls >> 24);
	f->header_type = pci_read8(f, PCI_HEADER_TYPE) & 0x7f;
}

static bool is_bridge(const struct pci_func *f)
{
	return f->header_type == 1 && f->class_code == BRIDGE_CLASS &&
	       (f->subclass == BRIDGE_PCI || f->subclass == BRIDGE_SUBTRACTIVE);
}

static void scan_bus(struct scan *s, uint16_t segment, uint8_t bus);

static void scan_function(struct scan *s, struct pci_func *f)
{
	read_identity(f);
	if (s->found < s->max)
		s->out[s->found] = *f;
	s->found++;
	if (is_bridge(f)) {
		uint8_t secondary = pci_read8(f, PCI_SECONDARY_BUS);
		if (secondary > f->bus)
			scan_bus(s, f->segment, secondary);
	}
}

static void scan_bus(struct scan *s, uint16_t segment, uint8_t bus)
{
	if (s->seen[bus / 32] & (1u << (bus % 32)))
		return;
	s->seen[bus / 32] |= 1u << (bus % 32);
	for (uint8_t dev = 0; dev < 32; dev++) {
		struct pci_func f = { .segment = segment, .bus = bus, .dev = dev };
		if (pci_read16(&f, PCI_VENDOR) == NO_VENDOR)
			continue;
		unsigned fns = pci_read8(&f, PCI_HEADER_TYPE) & 0x80 ? 8 : 1;
		for (f.fn = 0; f.fn < fns; f.fn++)
			if (pci_read16(&f, PCI_VENDOR) != NO_VENDOR)
				scan_function(s, &f);
	}
}

unsigned pci_scan(struct pci_func *out, unsigned max)
{
	struct scan s = { .out = out, .max = max };

	if (!n_ecam) {
		if (have_ports)
			scan_bus(&s, 0, 0);
		return s.found;
	}
	for (unsigned i = 0; i < n_ecam; i++) {
		for (unsigned b = 0; b < 8; b++)
			s.seen[b] = 0;	/* bus numbers are per segment */
		scan_bus(&s, ecams[i].segment, ecams[i].bus_start);
	}
	return s.found;
}

/* ---- BARs and capabilities ----------------------------------------------------------- */

static uint64_t size_from_mask(uint64_t mask)
{
	return mask ? ~mask + 1 : 0;
}

bool pci_bar(const struct pci_func *f, unsigned index, struct pci_bar *out)
{
	unsigned bars = f->header_type == 0 ? 6 : f->header_type == 1 ? 2 : 0;
	uint16_t off = (uint16_t)(PCI_BAR0 + 4 * index);
	uint32_t lo, lo_mask, hi = 0, hi_mask = 0;

	*out = (struct pci_bar){ 0 };
	if (index >= bars)
		return false;
	hal_irqflags_t fl = hal_irq_save();
	uint16_t cmd = pci_read16(f, PCI_COMMAND);
	pci_write16(f, PCI_COMMAND, cmd & (uint16_t)~(PCI_CMD_IO | PCI_CMD_MEMORY));
	lo = pci_read32(f, off);
	pci_write32(f, off, 0xffffffff);
	lo_mask = pci_read32(f, off);
	pci_write32(f, off, lo);
	out->io = lo & 1;
	out->is64 = !out->io && ((lo >> 1) & 3) == 2 && index + 1 < bars;
	if (out->is64) {
		hi = pci_read32(f, off + 4);
		pci_write32(f, off + 4, 0xffffffff);
		hi_mask = pci_read32(f, off + 4);
		pci_write32(f, off + 4, hi);
	}
	pci_write16(f, PCI_COMMAND, cmd);
	hal_irq_restore(fl);

	if (out->io) {
		uint32_t mask = lo_mask & ~3u;
		if (mask && !(mask & 0xffff0000))
			mask |= 0xffff0000;	/* 16-bit I/O decoders read 0 above */
		out->base = lo & ~3u;
		out->size = mask ? (uint32_t)(~mask + 1) : 0;
		return true;
	}
	out->prefetchable = lo & 8;
	out->base = (uint64_t)hi << 32 | (lo & ~0xfu);
	if (out->is64)
		out->size = size_from_mask((uint64_t)hi_mask << 32 | (lo_mask & ~0xfu));
	else if (lo_mask & ~0xfu)	/* an unimplemented BAR reads back 0 */
		out->size = (uint32_t)(~(lo_mask & ~0xfu) + 1);
	return true;
}

uint8_t pci_find_cap(const struct pci_func *f, uint8_t id)
{
	uint8_t at;

	if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	at = pci_read8(f, PCI_CAP_PTR) & 0xfc;
	for (unsigned hops = 0; at >= 0x40 && hops < 48; hops++) {	/* 48: loop guard */
		if (pci_read8(f, at) == id)
			return at;
		at = pci_read8(f, at + 1) & 0xfc;
	}
	return 0;
}

/* ---- message signalled interrupts ---------------------------------------------------- */

#define MSI_CTRL 2
#define MSI_CTRL_ENABLE (1u << 0)
#define MSI_CTRL_MME (7u << 4)		/* vectors enabled: 1 (000) */
#define MSI_CTRL_64BIT (1u << 7)
#define MSI_CTRL_MASKABLE (1u << 8)
#define MSIX_CTRL_ENABLE (1u << 15)
#define MSIX_CTRL_FUNCTION_MASK (1u << 14)
#define MSIX_ENTRY_MASKED 1u

static void intx_off(const struct pci_func *f)
{
	pci_write16(f, PCI_COMMAND, pci_read16(f, PCI_COMMAND) | PCI_CMD_INTX_DISABLE);
}

bool pci_msi_enable(const struct pci_func *f, uint64_t address, uint32_t data)
{
	uint8_t cap = pci_find_cap(f, PCI_CAP_MSI);
	uint16_t ctrl;
	uint16_t data_off;

	if (!cap)
		return false;
	ctrl = pci_read16(f, cap + MSI_CTRL);
	pci_write16(f, cap + MSI_CTRL, ctrl & (uint16_t)~(MSI_CTRL_ENABLE | MSI_CTRL_MME));
	pci_write32(f, cap + 4, (uint32_t)address);
	if (ctrl & MSI_CTRL_64BIT) {
		pci_write32(f, cap + 8, (uint32_t)(address >> 32));
		data_off = 12;
	} else {
		data_off = 8;
	}
	pci_write16(f, cap + data_off, (uint16_t)data);
	if (ctrl & MSI_CTRL_MASKABLE)		/* mask bits follow the data */
		pci_write32(f, cap + data_off + 4, 0);
	intx_off(f);
	pci_write16(f, cap + MSI_CTRL, (ctrl & (uint16_t)~MSI_CTRL_MME) | MSI_CTRL_ENABLE);
	return true;
}

bool pci_msix_table(const struct pci_func *f, unsigned *bar, uint32_t *offset,
		    unsigned *entries)
{
	uint8_t cap = pci_find_cap(f, PCI_CAP_MSIX);
	uint32_t table;

	if (!cap)
		return false;
	table = pci_read32(f, cap + 4);
	*bar = table & 7;
	*offset = table & ~7u;
	*entries = (pci_read16(f, cap + MSI_CTRL) & 0x7ff) + 1u;
	return true;
}

void pci_msix_enable(const struct pci_func *f, volatile void *table, uint64_t address,
		     uint32_t data)
{
	uint8_t cap = pci_find_cap(f, PCI_CAP_MSIX);
	volatile uint32_t *e = table;
	uint16_t ctrl = pci_read16(f, cap + MSI_CTRL);
	unsigned entries = (ctrl & 0x7ff) + 1u;

	/* Function-masked while the table is written (6.8.2.3). */
	pci_write16(f, cap + MSI_CTRL, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_FUNCTION_MASK);
	for (unsigned i = 0; i < entries; i++)
		e[4 * i + 3] = MSIX_ENTRY_MASKED;
	e[0] = (uint32_t)address;
	e[1] = (uint32_t)(address >> 32);
	e[2] = data;
	e[3] = 0;
	intx_off(f);
	pci_write16(f, cap + MSI_CTRL,
		    (ctrl | MSIX_CTRL_ENABLE) & (uint16_t)~MSIX_CTRL_FUNCTION_MASK);
}

void pci_msi_disable(const struct pci_func *f)
{
	uint8_t msi = pci_find_cap(f, PCI_CAP_MSI), msix = pci_find_cap(f, PCI_CAP_MSIX);

	if (msi)
		pci_write16(f, msi + MSI_CTRL,
			    pci_read16(f, msi + MSI_CTRL) & (uint16_t)~MSI_CTRL_ENABLE);
	if (msix)
		pci_write16(f, msix + MSI_CTRL,
			    pci_read16(f, msix + MSI_CTRL) & (uint16_t)~MSIX_CTRL_ENABLE);
}

struct class_name {
	uint8_t class_code, subclass;
	int16_t prog_if;	/* -1: any */
	const char *name;
};

static const struct class_name class_names[] = {
	{ 0x01, 0x01, -1, "IDE controller" },
	{ 0x01, 0x06, 0x01, "SATA controller (AHCI)" },
	{ 0x01, 0x06, -1, "SATA controller" },
	{ 0x01, 0x08, 0x02, "NVMe controller" },
	{ 0x01, 0x00, -1, "SCSI controller" },
	{ 0x01, 0x80, -1, "storage controller" },
	{ 0x02, 0x00, -1, "Ethernet controller" },
	{ 0x02, 0x80, -1, "network controller" },
	{ 0x03, 0x00, -1, "VGA controller" },
	{ 0x03, 0x80, -1, "display controller" },
	{ 0x04, 0x03, -1, "audio device" },
	{ 0x05, 0x00, -1, "RAM controller" },
	{ 0x06, 0x00, -1, "host bridge" },
	{ 0x06, 0x01, -1, "ISA bridge" },
	{ 0x06, 0x04, -1, "PCI bridge" },
	{ 0x06, 0x09, -1, "PCI bridge" },
	{ 0x06, 0x80, -1, "bridge" },
	{ 0x07, 0x00, -1, "serial controller" },
	{ 0x08, 0x80, -1, "system peripheral" },
	{ 0x0c, 0x03, 0x00, "USB controller (UHCI)" },
	{ 0x0c, 0x03, 0x10, "USB controller (OHCI)" },
	{ 0x0c, 0x03, 0x20, "USB controller (EHCI)" },
	{ 0x0c, 0x03, 0x30, "USB controller (xHCI)" },
	{ 0x0c, 0x03, 0x40, "USB4 host interface" },
	{ 0x0c, 0x03, -1, "USB controller" },
	{ 0x0c, 0x05, -1, "SMBus controller" },
	{ 0x0d, 0x11, -1, "Bluetooth controller" },
	{ 0x0d, 0x80, -1, "wireless controller" },
	{ 0x11, 0x80, -1, "signal processing controller" },
};

const char *pci_class_name(uint8_t class_code, uint8_t subclass, uint8_t prog_if)
{
	for (unsigned i = 0; i < sizeof class_names / sizeof class_names[0]; i++) {
		const struct class_name *c = &class_names[i];
		if (c->class_code == class_code && c->subclass == subclass &&
		    (c->prog_if < 0 || c->prog_if == prog_if))
			return c->name;
	}
	return "";
}
