/*
 * Tests of kernel/acpi on hand-built tables: what QEMU's do not have
 * (x2APIC entries, online-capable CPUs, NMI sources, ACPI 1.0 RSDPs,
 * hardware-reduced and memory-mapped PM timers) and what no real firmware
 * should have (every kind of bad entry).  A small builder lays the tables
 * out in a fake physical memory, checksums and all.
 */
#include "kernel/acpi/acpi.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"
#include "test/unit/acpi_image.h"

KTEST_SUITE(acpi_synthetic);

#define RSDP_PA 0xe0000ull
#define ROOT_PA 0x100000ull
#define TABLE_PA(i) (0x200000ull + (uint64_t)(i) * 0x10000)
#define TABLE_MAX 0x3000u

static struct acpi_image mem;
static struct acpi_info info;
static unsigned warnings;
static char last_warning[160];

/* ---- the builder ------------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v), put32(p + 4, (uint32_t)(v >> 32)); }

static uint8_t *mem_add(uint64_t pa, uint32_t len)
{
	uint8_t *p = kcalloc(1, len);

	if (!p || mem.count == ACPI_IMAGE_MAX_RECORDS)
		return NULL; /* never: no test here needs more than 71 records */
	mem.rec[mem.count].pa = pa;
	mem.rec[mem.count].len = len;
	mem.rec[mem.count++].bytes = p;
	return p;
}

static void mem_reset(void)
{
	acpi_image_free(&mem);
	mem.rsdp = RSDP_PA;
}

/* A table being built: header first, body appended. */
struct table {
	uint8_t b[TABLE_MAX];
	uint32_t len;
	uint8_t revision;
	char sig[5];
};

static struct table tables[3];
static unsigned ntables;

static struct table *table_new(const char *sig, uint8_t revision, uint32_t body)
{
	struct table *t = &tables[ntables++];
	memset(t, 0, sizeof *t);
	memcpy(t->sig, sig, 4);
	t->revision = revision;
	t->len = 36 + body;
	return t;
}

static void append(struct table *t, const uint8_t *bytes, uint32_t n)
{
	memcpy(t->b + t->len, bytes, n);
	t->len += n;
}

static void table_finish(struct table *t, uint8_t *dst)
{
	memcpy(t->b, t->sig, 4);
	put32(t->b + 4, t->len);
	t->b[8] = t->revision;
	memcpy(t->b + 10, "COOPTS", 6);
	acpi_image_fix_checksum(t->b, t->len, 9);
	memcpy(dst, t->b, t->len);
}

/* Lays out RSDP (revision `rev`), root table and the tables built so far. */
static void install(uint8_t rev)
{
	bool x = rev >= 2;
	uint32_t width = x ? 8 : 4, root_len = 36 + ntables * width;
	uint8_t *r = mem_add(RSDP_PA, 36), *root = mem_add(ROOT_PA, root_len);

	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "COOPTS", 6);
	r[15] = rev;
	put32(r + 16, x ? 0 : (uint32_t)ROOT_PA);
	put32(r + 20, 36);
	put64(r + 24, x ? ROOT_PA : 0);
	acpi_image_fix_checksum(r, 20, 8);
	acpi_image_fix_checksum(r, 36, 32);
	memcpy(root, x ? "XSDT" : "RSDT", 4);
	put32(root + 4, root_len);
	root[8] = 1;
	for (unsigned i = 0; i < ntables; i++) {
		if (x)
			put64(root + 36 + i * 8, TABLE_PA(i));
		else
			put32(root + 36 + i * 4, (uint32_t)TABLE_PA(i));
		table_finish(&tables[i], mem_add(TABLE_PA(i), tables[i].len));
	}
	acpi_image_fix_checksum(root, root_len, 9);
	ntables = 0;
}

static void on_warning(void *ctx, const char *line)
{
	(void)ctx;
	warnings++;
	strncpy(last_warning, line, sizeof last_warning - 1);
}

static int parse(void)
{
	struct acpi_source src = { .map = acpi_image_map, .map_ctx = &mem, .warn = on_warning };
	warnings = 0;
	memset(last_warning, 0, sizeof last_warning);
	int r = acpi_parse(&info, &src, RSDP_PA);
	mem_reset();
	return r;
}

/* ---- MADT entries ----------------------------------------------------------- */

static struct table *madt_new(uint32_t flags)
{
	struct table *t = table_new("APIC", 4, 8);
	put32(t->b + 36, 0xfee00000);
	put32(t->b + 40, flags);
	return t;
}

static void lapic(struct table *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, uid, id };
	put32(e + 4, flags);
	append(t, e, sizeof e);
}

static void x2apic(struct table *t, uint32_t id, uint32_t uid, uint32_t flags)
{
	uint8_t e[16] = { 9, 16 };
	put32(e + 4, id);
	put32(e + 8, flags);
	put32(e + 12, uid);
	append(t, e, sizeof e);
}

static void ioapic(struct table *t, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
	uint8_t e[12] = { 1, 12, id };
	put32(e + 4, addr);
	put32(e + 8, gsi_base);
	append(t, e, sizeof e);
}

static void override(struct table *t, uint8_t bus, uint8_t src, uint32_t gsi, uint16_t flags)
{
	uint8_t e[10] = { 2, 10, bus, src };
	put32(e + 4, gsi);
	put16(e + 8, flags);
	append(t, e, sizeof e);
}

KTEST(acpi_synthetic, x2apic_and_online_capable_cpus)
{
	struct table *t = madt_new(0);
	lapic(t, 0, 0, 1);
	lapic(t, 1, 1, 2);          /* online-capable: hot-pluggable */
	lapic(t, 2, 2, 0);          /* neither: not usable */
	lapic(t, 3, 0xff, 0);       /* placeholder firmware lists: silent */
	x2apic(t, 300, 7, 1);       /* an APIC id only x2APIC can name */
	x2apic(t, 0, 8, 1);         /* APIC id 0 again: skipped */
	lapic(t, 4, 0xff, 1);       /* enabled with the broadcast id: skipped */
	install(2);
	ASSERT_EQ(parse(), 0);
	ASSERT_TRUE(info.has_madt);
	const struct acpi_madt *m = &info.madt;
	EXPECT_FALSE(m->pcat_compat);
	ASSERT_EQ(m->cpu_count, 3);
	EXPECT_TRUE(m->cpus[0].enabled);
	EXPECT_FALSE(m->cpus[1].enabled);
	EXPECT_TRUE(m->cpus[1].online_capable);
	EXPECT_EQ(m->cpus[2].apic_id, 300);
	EXPECT_EQ(m->cpus[2].uid, 7);
	EXPECT_TRUE(m->cpus[2].x2apic_entry);
	EXPECT_EQ(m->cpus_unusable, 2);
	EXPECT_EQ(warnings, 2); /* the duplicate and the broadcast id */
	EXPECT_EQ(strncmp(last_warning, "acpi: MADT lists a CPU with the broadcast", 41), 0);
}

KTEST(acpi_synthetic, more_cpus_than_kept_are_counted_once)
{
	struct table *t = madt_new(0);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS + 100; i++)
		x2apic(t, i, i, 1);
	install(2);
	ASSERT_EQ(parse(), 0);
	EXPECT_EQ(info.madt.cpu_count, ACPI_MAX_CPUS);
	EXPECT_EQ(info.madt.cpus_dropped, 100);
	EXPECT_EQ(info.madt.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	EXPECT_EQ(warnings, 1);
}

KTEST(acpi_synthetic, nmis_and_address_override)
{
	struct table *t = madt_new(1);
	uint8_t lapic_nmi[6] = { 4, 6, 0xff, 0x05, 0x00, 1 }; /* all CPUs, LINT1 */
	uint8_t x2_nmi[12] = { 10, 12, 0x0d, 0, 0x2c, 1, 0, 0, 0 }; /* uid 300, LINT0 */
	uint8_t bad_lint[6] = { 4, 6, 0, 0, 0, 2 };
	uint8_t nmi_src[8] = { 3, 8, 0x0f, 0 };       /* low, level */
	uint8_t addr[12] = { 5, 12 };
	put32(nmi_src + 4, 23);
	put64(addr + 4, 0x1fee00000ull);
	append(t, lapic_nmi, sizeof lapic_nmi);
	append(t, x2_nmi, sizeof x2_nmi);
	append(t, bad_lint, sizeof bad_lint);
	append(t, nmi_src, sizeof nmi_src);
	append(t, addr, sizeof addr);
	install(2);
	ASSERT_EQ(parse(), 0);
	const struct acpi_madt *m = &info.madt;
	EXPECT_TRUE(m->pcat_compat);
	EXPECT_EQ(m->lapic_address, 0x1fee00000ull);
	ASSERT_EQ(m->lapic_nmi_count, 2);
	EXPECT_EQ(m->lapic_nmis[0].uid, ACPI_UID_ALL);
	EXPECT_EQ(m->lapic_nmis[0].lint, 1);
	EXPECT_EQ(m->lapic_nmis[0].polarity, ACPI_POLARITY_HIGH);
	EXPECT_EQ(m->lapic_nmis[0].trigger, ACPI_TRIGGER_EDGE);
	EXPECT_EQ(m->lapic_nmis[1].uid, 300);
	EXPECT_EQ(m->lapic_nmis[1].lint, 0);
	EXPECT_EQ(m->lapic_nmis[1].trigger, ACPI_TRIGGER_LEVEL);
	ASSERT_EQ(m->nmi_source_count, 1);
	EXPECT_EQ(m->nmi_sources[0].gsi, 23);
	EXPECT_EQ(m->nmi_sources[0].polarity, ACPI_POLARITY_LOW);
	EXPECT_EQ(warnings, 1); /* LINT2 */
}

KTEST(acpi_synthetic, bad_overrides_and_ioapics_are_skipped)
{
	struct table *t = madt_new(0);
	uint8_t gicc[80] = { 11, 80 };   /* an ARM entry: counted, not read */
	ioapic(t, 0, 0xfec00000, 0);
	ioapic(t, 1, 0xfec01000, 0);     /* same GSI base: skipped */
	ioapic(t, 2, 0, 24);             /* no address: skipped */
	ioapic(t, 3, 0xfec02000, 24);
	override(t, 0, 0, 2, 0);
	override(t, 1, 4, 20, 0);        /* not ISA: skipped */
	override(t, 0, 16, 20, 0);       /* no ISA IRQ 16: skipped */
	override(t, 0, 0, 9, 0);         /* IRQ 0 again: skipped */
	override(t, 0, 4, 4, 0x0b);      /* low, reserved trigger 2: bus default */
	override(t, 0, 7, 7, 0x0f);      /* level, active low */
	append(t, gicc, sizeof gicc);
	install(2);
	ASSERT_EQ(parse(), 0);
	const struct acpi_madt *m = &info.madt;
	ASSERT_EQ(m->ioapic_count, 2);
	EXPECT_EQ(m->ioapics[1].id, 3);
	EXPECT_EQ(m->ioapics[1].gsi_base, 24);
	EXPECT_EQ(m->override_count, 3);
	EXPECT_EQ(acpi_isa_route(m, 0).gsi, 2);
	struct acpi_isa_route r = acpi_isa_route(m, 4);
	EXPECT_TRUE(r.active_low);
	EXPECT_FALSE(r.level);
	r = acpi_isa_route(m, 7);
	EXPECT_TRUE(r.active_low && r.level);
	EXPECT_EQ(m->other_entries, 1);
	EXPECT_EQ(warnings, 6);
}

KTEST(acpi_synthetic, madt_shorter_than_its_header)
{
	table_new("APIC", 4, 4);
	install(2);
	ASSERT_EQ(parse(), 0);
	EXPECT_FALSE(info.has_madt);
	EXPECT_EQ(warnings, 1);
}

KTEST(acpi_synthetic, madt_stray_byte_at_the_end)
{
	struct table *t = madt_new(0);
	uint8_t stray = 0;
	lapic(t, 0, 0, 1);
	append(t, &stray, 1);
	install(2);
	ASSERT_EQ(parse(), 0);
	EXPECT_TRUE(info.has_madt);
	EXPECT_EQ(info.madt.cpu_count, 1);
	EXPECT_EQ(warnings, 1);
}

/* ---- the root, FADT, HPET, MCFG ---------------------------------------------- */

KTEST(acpi_synthetic, acpi_1_rsdp_walks_the_rsdt)
{
	struct table *t = madt_new(0);
	lapic(t, 0, 0, 1);
	install(0);
	ASSERT_EQ(parse(), 0);
	EXPECT_EQ(warnings, 0);
	EXPECT_FALSE(info.xsdt);
	EXPECT_EQ(info.rsdp_revision, 0);
	EXPECT_STREQ(info.oem_id, "COOPTS");
	EXPECT_EQ(info.madt.cpu_count, 1);
}

KTEST(acpi_synthetic, rsdp_bad_extended_checksum_uses_the_rsdt)
{
	struct table *t = madt_new(0);
	lapic(t, 0, 0, 1);
	install(2);
	/* Name an RSDT too, then spoil only the extended checksum. */
	uint8_t *r = acpi_image_at(&mem, RSDP_PA, 36);
	uint8_t *x = acpi_image_at(&mem, ROOT_PA, 44);
	uint8_t *rsdt = mem_add(0x300000, 40);
	memcpy(rsdt, "RSDT", 4);
	put32(rsdt + 4, 40);
	put32(rsdt + 36, (uint32_t)TABLE_PA(0));
	acpi_image_fix_checksum(rsdt, 40, 9);
	put32(r + 16, 0x300000);
	acpi_image_fix_checksum(r, 20, 8);
	r[32]++;
	ASSERT_NOT_NULL(x);
	ASSERT_EQ(parse(), 0);
	EXPECT_FALSE(info.xsdt);
	EXPECT_EQ(info.root_address, 0x300000);
	EXPECT_EQ(info.madt.cpu_count, 1);
	EXPECT_EQ(warnings, 2);
}

KTEST(acpi_synthetic, no_root_table_is_an_error)
{
	uint8_t *r = mem_add(RSDP_PA, 20);
	memcpy(r, "RSD PTR ", 8);
	acpi_image_fix_checksum(r, 20, 8); /* revision 0, RSDT address 0 */
	EXPECT_EQ(parse(), -1);
	EXPECT_EQ(warnings, 1);
	r = mem_add(RSDP_PA, 20);
	memcpy(r, "RSD PTX ", 8);
	EXPECT_EQ(parse(), -1);
	EXPECT_EQ(parse(), -1); /* nothing mapped at all */
}

KTEST(acpi_synthetic, root_with_the_wrong_signature)
{
	install(2);
	uint8_t *x = acpi_image_at(&mem, ROOT_PA, 36);
	memcpy(x, "XSDQ", 4);
	acpi_image_fix_checksum(x, 36, 9);
	EXPECT_EQ(parse(), -1); /* and no RSDT to fall back to */
	EXPECT_EQ(warnings, 3);
}

KTEST(acpi_synthetic, unreadable_and_unknown_tables)
{
	table_new("SSDT", 2, 100);
	table_new("FACP", 6, 0); /* 36 bytes: shorter than ACPI 1.0's FADT */
	install(2);
	uint8_t *x = acpi_image_at(&mem, ROOT_PA, 52);
	put64(x + 36 + 8, 0x7fff0000); /* the FADT's pointer: nothing there */
	acpi_image_fix_checksum(x, 52, 9);
	ASSERT_EQ(parse(), 0);
	EXPECT_EQ(info.table_count, 2);
	EXPECT_STREQ(info.tables[1].signature, "SSDT");
	EXPECT_FALSE(info.has_fadt);
	EXPECT_EQ(warnings, 1);
	EXPECT_EQ(strncmp(last_warning, "acpi: listed table at 0x7fff0000 is not in readable", 51), 0);

	table_new("FACP", 6, 0);
	install(2);
	ASSERT_EQ(parse(), 0);
	EXPECT_FALSE(info.has_fadt);
	EXPECT_EQ(warnings, 1);
}

static struct table *fadt_new(uint32_t flags, uint32_t len, uint8_t rev)
{
	struct table *t = table_new("FACP", rev, len - 36);
	put32(t->b + 112, flags);
	put32(t->b + 76, 0x408); /* PM_TMR_BLK */
	t->b[91] = 4;            /* PM_TMR_LEN */
	put16(t->b + 109, ACPI_BOOT_NO_VGA | ACPI_BOOT_NO_CMOS_RTC);
	return t;
}

static void gas(uint8_t *p, uint8_t space, uint8_t width, uint64_t addr)
{
	p[0] = space, p[1] = width, p[2] = 0, p[3] = 3;
	put64(p + 4, addr);
}

KTEST(acpi_synthetic, fadt_memory_mapped_32_bit_pm_timer)
{
	struct table *t = fadt_new(1u << 8, 276, 6);
	gas(t->b + 208, ACPI_SPACE_MEMORY, 32, 0xfed80000);
	install(2);
	ASSERT_EQ(parse(), 0);
	ASSERT_TRUE(info.has_fadt);
	EXPECT_TRUE(info.fadt.pm_timer_present);
	EXPECT_EQ(info.fadt.pm_timer_space, ACPI_SPACE_MEMORY);
	EXPECT_EQ(info.fadt.pm_timer_address, 0xfed80000);
	EXPECT_EQ(info.fadt.pm_timer_bits, 32);
	EXPECT_EQ(info.fadt.boot_flags, ACPI_BOOT_NO_VGA | ACPI_BOOT_NO_CMOS_RTC);
	EXPECT_FALSE(info.fadt.boot_flags & ACPI_BOOT_8042);
	EXPECT_FALSE(info.fadt.reset_supported);
	EXPECT_EQ(warnings, 0);
}

KTEST(acpi_synthetic, fadt_unusable_x_pm_timer_falls_back_to_the_port)
{
	struct table *t = fadt_new(0, 244, 5);
	gas(t->b + 208, 2 /* PCI configuration space */, 32, 0x1000);
	install(2);
	ASSERT_EQ(parse(), 0);
	EXPECT_TRUE(info.fadt.pm_timer_present);
	EXPECT_EQ(info.fadt.pm_timer_space, ACPI_SPACE_IO);
	EXPECT_EQ(info.fadt.pm_timer_address, 0x408);
	EXPECT_EQ(info.fadt.pm_timer_bits, 24);
	EXPECT_EQ(warnings, 1);
}

KTEST(acpi_synthetic, fadt_hardware_reduced_has_no_pm_timer)
{
	fadt_new(1u << 20, 276, 6);
	install(2);
	ASSERT_EQ(parse(), 0);
	EXPECT_TRUE(info.fadt.hardware_reduced);
	EXPECT_FALSE(info.fadt.pm_timer_present);
}

KTEST(acpi_synthetic, hpet_must_be_memory_mapped)
{
	struct table *t = table_new("HPET", 1, 20);
	gas(t->b + 40, ACPI_SPACE_IO, 64, 0x1000);
	install(2);
	ASSERT_EQ(parse(), 0);
	EXPECT_FALSE(info.has_hpet);
	EXPECT_EQ(warnings, 1);
}

KTEST(acpi_synthetic, mcfg_bad_ranges_are_skipped)
{
	struct table *t = table_new("MCFG", 1, 8);
	uint8_t e[16] = { 0 };
	put64(e, 0xe0000000);
	e[10] = 0, e[11] = 0x3f;
	append(t, e, 16);
	put16(e + 8, 1);
	e[10] = 9, e[11] = 4;  /* end before start: skipped */
	append(t, e, 16);
	put64(e, 0);           /* base 0: skipped */
	e[10] = 0, e[11] = 1;
	append(t, e, 16);
	append(t, e, 8);       /* half an entry */
	install(2);
	ASSERT_EQ(parse(), 0);
	ASSERT_TRUE(info.has_mcfg);
	EXPECT_EQ(info.mcfg.count, 1);
	EXPECT_EQ(acpi_mcfg_address(&info.mcfg, 0, 0x3f, 0, 0), 0xe3f00000);
	EXPECT_EQ(acpi_mcfg_address(&info.mcfg, 0, 0x40, 0, 0), 0);
	EXPECT_EQ(warnings, 3);
}

KTEST(acpi_synthetic, too_many_tables)
{
	uint32_t n = ACPI_MAX_TABLES + 5, len = 36 + n * 8;
	uint8_t *r = mem_add(RSDP_PA, 36), *x = mem_add(ROOT_PA, len);
	memcpy(r, "RSD PTR ", 8);
	r[15] = 2;
	put32(r + 20, 36);
	put64(r + 24, ROOT_PA);
	acpi_image_fix_checksum(r, 20, 8);
	acpi_image_fix_checksum(r, 36, 32);
	memcpy(x, "XSDT", 4);
	put32(x + 4, len);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *s = mem_add(TABLE_PA(i), 36);
		memcpy(s, "SSDT", 4);
		put32(s + 4, 36);
		acpi_image_fix_checksum(s, 36, 9);
		put64(x + 36 + i * 8, TABLE_PA(i));
	}
	acpi_image_fix_checksum(x, len, 9);
	ASSERT_EQ(parse(), 0);
	EXPECT_EQ(info.table_count, ACPI_MAX_TABLES);
	EXPECT_EQ(warnings, 1);
}
