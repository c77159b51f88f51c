/*
 * hpet_mcfg.c — the two small tables: HPET (IA-PC HPET specification 1.0a,
 * 3.2.4: where the event timer block is) and MCFG (PCI Firmware
 * specification 3.2, 4.1.2: where PCI Express configuration space is).
 */
#include "kernel/acpi/acpi_internal.h"

#include "kernel/lib/string.h"

enum {
	HPET_BLOCK_ID = 36,
	HPET_ADDRESS = 40, /* a Generic Address Structure */
	HPET_NUMBER = 52,
	HPET_MIN_TICK = 53,
	HPET_LEN = 56,

	MCFG_ENTRIES = 44, /* after the header and 8 reserved bytes */
	MCFG_ENTRY_LEN = 16,
	MCFG_BASE = 0,
	MCFG_SEGMENT = 8,
	MCFG_BUS_START = 10,
	MCFG_BUS_END = 11,
};

bool acpi_parse_hpet(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_hpet *h)
{
	struct acpi_gas g;

	memset(h, 0, sizeof *h);
	if (len < HPET_LEN) {
		acpi_warn(w, "acpi: HPET table is %u bytes, needs %u: ignored", len, HPET_LEN);
		return false;
	}
	g = rd_gas(t, HPET_ADDRESS);
	if (g.space != ACPI_SPACE_MEMORY || !g.address) {
		acpi_warn(w, "acpi: HPET at 0x%llx in address space %u: not memory, ignored",
			  (unsigned long long)g.address, g.space);
		return false;
	}
	h->address = g.address;
	h->block_id = rd32(t, HPET_BLOCK_ID);
	h->number = rd8(t, HPET_NUMBER);
	h->min_tick = rd16(t, HPET_MIN_TICK);
	return true;
}

bool acpi_parse_mcfg(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_mcfg *m)
{
	memset(m, 0, sizeof *m);
	if (len < MCFG_ENTRIES) {
		acpi_warn(w, "acpi: MCFG is %u bytes, shorter than its %u-byte header: ignored",
			  len, MCFG_ENTRIES);
		return false;
	}
	if ((len - MCFG_ENTRIES) % MCFG_ENTRY_LEN)
		acpi_warn(w, "acpi: MCFG length %u ends in a partial entry: ignored it", len);
	for (uint32_t off = MCFG_ENTRIES; off + MCFG_ENTRY_LEN <= len; off += MCFG_ENTRY_LEN) {
		const uint8_t *e = t + off;
		struct acpi_mcfg_range r = {
			.base = rd64(e, MCFG_BASE), .segment = rd16(e, MCFG_SEGMENT),
			.bus_start = rd8(e, MCFG_BUS_START), .bus_end = rd8(e, MCFG_BUS_END),
		};
		if (!r.base || r.bus_end < r.bus_start) {
			acpi_warn(w, "acpi: MCFG range at 0x%llx for buses %u-%u: skipped",
				  (unsigned long long)r.base, r.bus_start, r.bus_end);
			continue;
		}
		if (m->count == ACPI_MAX_MCFG) {
			acpi_warn(w, "acpi: MCFG has more than %u ranges: the rest are ignored",
				  ACPI_MAX_MCFG);
			break;
		}
		m->ranges[m->count++] = r;
	}
	if (!m->count) {
		acpi_warn(w, "acpi: MCFG holds no usable range: ignored");
		return false;
	}
	return true;
}

uint64_t acpi_mcfg_address(const struct acpi_mcfg *mcfg, uint16_t segment, uint8_t bus,
			   uint8_t dev, uint8_t fn)
{
	if (dev >= 32 || fn >= 8)
		return 0;
	for (uint32_t i = 0; i < mcfg->count; i++) {
		const struct acpi_mcfg_range *r = &mcfg->ranges[i];
		if (r->segment == segment && bus >= r->bus_start && bus <= r->bus_end)
			return r->base + ((uint64_t)bus << 20 | (uint64_t)dev << 15 |
					  (uint64_t)fn << 12);
	}
	return 0;
}
