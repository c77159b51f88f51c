/*
 * madt.c — the Multiple APIC Description Table (ACPI 6.5, 5.2.12): which
 * CPUs exist, where the IOAPICs are, and how ISA IRQs and NMIs are wired.
 *
 * After a 44-byte header the table is a run of entries, each starting with
 * a type byte and a length byte.  An entry with a length under 2 would make
 * a naive parser loop forever, and one running past the table's end would
 * make it read beyond it: both end the walk with a warning.  An entry too
 * short for its type is skipped.  Longer entries are accepted (later ACPI
 * revisions may append fields).
 */
#include "kernel/acpi/acpi_internal.h"

#include "kernel/lib/string.h"

enum {
	MADT_LAPIC_ADDRESS = 36,
	MADT_FLAGS = 40,
	MADT_ENTRIES = 44,
	MADT_PCAT_COMPAT = 1u << 0,
	ENTRY_TYPE = 0,
	ENTRY_LENGTH = 1,
};

enum madt_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_OVERRIDE = 2,
	MADT_NMI_SOURCE = 3,
	MADT_LAPIC_NMI = 4,
	MADT_LAPIC_ADDRESS_OVERRIDE = 5,
	MADT_X2APIC = 9,
	MADT_X2APIC_NMI = 10,
	MADT_TYPES_KNOWN = 11,
};

/* The size each entry type has in the spec: shorter ones are broken. */
static const uint8_t entry_size[MADT_TYPES_KNOWN] = {
	[MADT_LAPIC] = 8, [MADT_IOAPIC] = 12, [MADT_OVERRIDE] = 10,
	[MADT_NMI_SOURCE] = 8, [MADT_LAPIC_NMI] = 6, [MADT_LAPIC_ADDRESS_OVERRIDE] = 12,
	[MADT_X2APIC] = 16, [MADT_X2APIC_NMI] = 12,
};

#define CPU_ENABLED (1u << 0)
#define CPU_ONLINE_CAPABLE (1u << 1)
#define XAPIC_BROADCAST 0xff
#define ISA_IRQS 16

/* ---- polarity and trigger (MPS INTI flags) ------------------------------- */

static void inti_flags(struct acpi_walk *w, uint16_t flags, const char *what,
		       enum acpi_polarity *pol, enum acpi_trigger *trig)
{
	unsigned p = flags & 3, t = (flags >> 2) & 3;

	if (p == 2 || t == 2)
		acpi_warn(w, "acpi: MADT %s has reserved polarity/trigger flags 0x%x; "
			  "using the bus default", what, flags);
	*pol = p == 2 ? ACPI_POLARITY_CONFORMS : (enum acpi_polarity)p;
	*trig = t == 2 ? ACPI_TRIGGER_CONFORMS : (enum acpi_trigger)t;
}

/* ---- one entry of each type ------------------------------------------------ */

static bool apic_id_listed(const struct acpi_madt *m, uint32_t id)
{
	for (uint32_t i = 0; i < m->cpu_count; i++)
		if (m->cpus[i].apic_id == id)
			return true;
	return false;
}

static void add_cpu(struct acpi_walk *w, struct acpi_madt *m, uint32_t apic_id, uint32_t uid,
		    uint32_t flags, bool x2apic)
{
	if (!(flags & (CPU_ENABLED | CPU_ONLINE_CAPABLE))) {
		m->cpus_unusable++;
		return;
	}
	if (!x2apic && apic_id == XAPIC_BROADCAST) {
		acpi_warn(w, "acpi: MADT lists a CPU with the broadcast APIC id 0xff: skipped");
		return;
	}
	if (m->cpu_count == ACPI_MAX_CPUS) {
		if (!m->cpus_dropped++)
			acpi_warn(w, "acpi: MADT lists more than %u CPUs; the rest are ignored",
				  ACPI_MAX_CPUS);
		return;
	}
	if (apic_id_listed(m, apic_id)) {
		acpi_warn(w, "acpi: MADT lists APIC id %u twice: the second is skipped", apic_id);
		return;
	}
	m->cpus[m->cpu_count++] = (struct acpi_cpu){
		.apic_id = apic_id, .uid = uid, .enabled = flags & CPU_ENABLED,
		.online_capable = !(flags & CPU_ENABLED) && (flags & CPU_ONLINE_CAPABLE),
		.x2apic_entry = x2apic,
	};
}

static void add_ioapic(struct acpi_walk *w, struct acpi_madt *m, const uint8_t *e)
{
	struct acpi_ioapic io = { .id = rd8(e, 2), .address = rd32(e, 4), .gsi_base = rd32(e, 8) };

	if (!io.address) {
		acpi_warn(w, "acpi: MADT IOAPIC %u has address 0: skipped", io.id);
		return;
	}
	for (uint32_t i = 0; i < m->ioapic_count; i++)
		if (m->ioapics[i].gsi_base == io.gsi_base || m->ioapics[i].address == io.address) {
			acpi_warn(w, "acpi: MADT IOAPIC %u at 0x%llx (GSI %u) clashes with IOAPIC "
				  "%u: skipped", io.id, (unsigned long long)io.address,
				  io.gsi_base, m->ioapics[i].id);
			return;
		}
	if (m->ioapic_count == ACPI_MAX_IOAPICS) {
		acpi_warn(w, "acpi: MADT lists more than %u IOAPICs: IOAPIC %u ignored",
			  ACPI_MAX_IOAPICS, io.id);
		return;
	}
	m->ioapics[m->ioapic_count++] = io;
}

static void add_override(struct acpi_walk *w, struct acpi_madt *m, const uint8_t *e)
{
	struct acpi_override o = { .source = rd8(e, 3), .gsi = rd32(e, 4) };
	uint8_t bus = rd8(e, 2);

	if (bus != 0 || o.source >= ISA_IRQS) {
		acpi_warn(w, "acpi: MADT override of bus %u IRQ %u: only ISA IRQs 0-15 "
			  "exist; skipped", bus, o.source);
		return;
	}
	for (uint32_t i = 0; i < m->override_count; i++)
		if (m->overrides[i].source == o.source) {
			acpi_warn(w, "acpi: MADT overrides ISA IRQ %u twice: the second "
				  "(GSI %u) is skipped", o.source, o.gsi);
			return;
		}
	if (m->override_count == ACPI_MAX_OVERRIDES)
		return; /* unreachable: 16 ISA sources at most, each once */
	inti_flags(w, rd16(e, 8), "override", &o.polarity, &o.trigger);
	m->overrides[m->override_count++] = o;
}

static void add_lapic_nmi(struct acpi_walk *w, struct acpi_madt *m, uint32_t uid,
			  uint16_t flags, uint8_t lint)
{
	struct acpi_lapic_nmi n = { .uid = uid, .lint = lint };

	if (lint > 1) {
		acpi_warn(w, "acpi: MADT local APIC NMI on LINT%u: only LINT0/1 exist; "
			  "skipped", lint);
		return;
	}
	if (m->lapic_nmi_count == ACPI_MAX_NMIS) {
		acpi_warn(w, "acpi: MADT lists more than %u local APIC NMIs: one ignored",
			  ACPI_MAX_NMIS);
		return;
	}
	inti_flags(w, flags, "local APIC NMI", &n.polarity, &n.trigger);
	m->lapic_nmis[m->lapic_nmi_count++] = n;
}

static void add_nmi_source(struct acpi_walk *w, struct acpi_madt *m, const uint8_t *e)
{
	struct acpi_nmi_source n = { .gsi = rd32(e, 4) };

	if (m->nmi_source_count == ACPI_MAX_NMIS) {
		acpi_warn(w, "acpi: MADT lists more than %u NMI sources: one ignored",
			  ACPI_MAX_NMIS);
		return;
	}
	inti_flags(w, rd16(e, 2), "NMI source", &n.polarity, &n.trigger);
	m->nmi_sources[m->nmi_source_count++] = n;
}

static void entry_parse(struct acpi_walk *w, struct acpi_madt *m, const uint8_t *e)
{
	uint8_t uid;

	switch (rd8(e, ENTRY_TYPE)) {
	case MADT_LAPIC:
		add_cpu(w, m, rd8(e, 3), rd8(e, 2), rd32(e, 4), false);
		break;
	case MADT_X2APIC:
		add_cpu(w, m, rd32(e, 4), rd32(e, 12), rd32(e, 8), true);
		break;
	case MADT_IOAPIC:
		add_ioapic(w, m, e);
		break;
	case MADT_OVERRIDE:
		add_override(w, m, e);
		break;
	case MADT_NMI_SOURCE:
		add_nmi_source(w, m, e);
		break;
	case MADT_LAPIC_NMI:
		uid = rd8(e, 2);
		add_lapic_nmi(w, m, uid == 0xff ? ACPI_UID_ALL : uid, rd16(e, 3), rd8(e, 5));
		break;
	case MADT_X2APIC_NMI:
		add_lapic_nmi(w, m, rd32(e, 4), rd16(e, 2), rd8(e, 8));
		break;
	case MADT_LAPIC_ADDRESS_OVERRIDE:
		m->lapic_address = rd64(e, 4);
		break;
	default:
		m->other_entries++;
		break;
	}
}

/*
 * The types coop reads have had one fixed size since they were defined.  A
 * shorter entry is skipped.  A longer one is read, with a warning: its
 * length hides the bytes of whatever entry was meant to follow (an
 * overlap), and the spec gives these types no room to grow.
 */
static void entry_check_and_parse(struct acpi_walk *w, struct acpi_madt *m, const uint8_t *e,
				  uint32_t off)
{
	uint8_t type = rd8(e, ENTRY_TYPE), elen = rd8(e, ENTRY_LENGTH);
	uint8_t need = type < MADT_TYPES_KNOWN ? entry_size[type] : 0;

	if (need && elen < need) {
		acpi_warn(w, "acpi: MADT entry at offset %u (type %u) is %u bytes, needs %u: "
			  "skipped", off, type, elen, need);
		return;
	}
	if (need && elen > need)
		acpi_warn(w, "acpi: MADT entry at offset %u (type %u) is %u bytes, not %u: "
			  "the %u bytes after its fields are ignored", off, type, elen, need,
			  elen - need);
	entry_parse(w, m, e);
}

/* ---- the table -------------------------------------------------------------- */

bool acpi_parse_madt(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_madt *m)
{
	uint32_t off;

	memset(m, 0, sizeof *m);
	if (len < MADT_ENTRIES) {
		acpi_warn(w, "acpi: MADT is %u bytes, shorter than its %u-byte header: ignored",
			  len, MADT_ENTRIES);
		return false;
	}
	m->lapic_address = rd32(t, MADT_LAPIC_ADDRESS);
	m->pcat_compat = rd32(t, MADT_FLAGS) & MADT_PCAT_COMPAT;
	for (off = MADT_ENTRIES; off + 2 <= len;) {
		uint8_t type = rd8(t + off, ENTRY_TYPE), elen = rd8(t + off, ENTRY_LENGTH);
		if (elen < 2 || off + elen > len) {
			acpi_warn(w, "acpi: MADT entry at offset %u (type %u) has length %u%s: "
				  "the rest of the MADT is ignored", off, type, elen,
				  elen < 2 ? "" : ", past the table's end");
			break;
		}
		entry_check_and_parse(w, m, t + off, off);
		off += elen;
	}
	if (off < len && off + 2 > len)
		acpi_warn(w, "acpi: MADT ends in %u stray byte(s): ignored", len - off);
	if (!m->lapic_address) {
		acpi_warn(w, "acpi: MADT gives no local APIC address: ignored");
		return false;
	}
	return true;
}

struct acpi_isa_route acpi_isa_route(const struct acpi_madt *madt, unsigned irq)
{
	struct acpi_isa_route r = { .gsi = irq };

	for (uint32_t i = 0; madt && i < madt->override_count; i++) {
		const struct acpi_override *o = &madt->overrides[i];
		if (o->source != irq)
			continue;
		r.gsi = o->gsi;
		r.active_low = o->polarity == ACPI_POLARITY_LOW;
		r.level = o->trigger == ACPI_TRIGGER_LEVEL;
		r.overridden = true;
	}
	return r;
}
