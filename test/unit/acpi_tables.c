/*
 * Tests of kernel/acpi on the tables of real machines: QEMU 7.2's q35
 * (-smp 4) and pc (-smp 2) under OVMF, dumped by scripts/acpi-capture.py.
 * The expected values were read from the dumps with an independent Python
 * decoder, not with this parser.  Broken copies of them are in
 * acpi_malformed.c, hand-built tables in acpi_synthetic.c.
 */
#include "kernel/acpi/acpi.h"
#include "kernel/lib/string.h"
#include "test/data/acpi/acpi_images.h"
#include "test/ktest/ktest.h"
#include "test/unit/acpi_image.h"
#include "test/unit/acpi_test.h"

KTEST_SUITE(acpi);

static struct acpi_test t;

static void collect_warning(void *ctx, const char *line)
{
	struct acpi_test *at = ctx;

	if (at->warning_count < ACPI_TEST_MAX_WARNINGS)
		strncpy(at->warnings[at->warning_count], line, sizeof at->warnings[0] - 1);
	at->warning_count++;
}

void acpi_test_parse(struct acpi_test *at, const unsigned char *data, unsigned long len)
{
	static struct acpi_image img;

	memset(at, 0, sizeof *at);
	if (acpi_image_load(&img, data, len) != 0) {
		at->result = -2;
		return;
	}
	struct acpi_source src = { .map = acpi_image_map, .map_ctx = &img,
				   .warn = collect_warning, .warn_ctx = at };
	at->result = acpi_parse(&at->info, &src, img.rsdp);
	acpi_image_free(&img);
}

bool acpi_test_warned(const struct acpi_test *at, const char *needle)
{
	for (unsigned i = 0; i < at->warning_count && i < ACPI_TEST_MAX_WARNINGS; i++)
		if (ktest_str_contains(at->warnings[i], needle))
			return true;
	return false;
}

#define PARSE(name) acpi_test_parse(&t, acpi_image_##name, acpi_image_##name##_len)

KTEST(acpi, q35_walks_the_xsdt_to_five_tables)
{
	static const char *const sigs[] = { "XSDT", "FACP", "APIC", "HPET", "MCFG", "WAET" };
	PARSE(q35);
	ASSERT_EQ(t.result, 0);
	EXPECT_EQ(t.warning_count, 0);
	EXPECT_EQ(t.info.rsdp_revision, 2);
	EXPECT_STREQ(t.info.oem_id, "BOCHS");
	EXPECT_TRUE(t.info.xsdt);
	EXPECT_EQ(t.info.root_address, 0x777c0e8);
	ASSERT_EQ(t.info.table_count, 6);
	for (unsigned i = 0; i < 6; i++) {
		EXPECT_STREQ(t.info.tables[i].signature, sigs[i]);
		EXPECT_TRUE(t.info.tables[i].checksum_ok);
	}
	EXPECT_EQ(acpi_find(&t.info, "APIC")->address, 0x7777000);
	EXPECT_EQ(acpi_find(&t.info, "APIC")->length, 144);
	EXPECT_NULL(acpi_find(&t.info, "SRAT"));
	EXPECT_TRUE(t.info.has_madt && t.info.has_fadt && t.info.has_hpet && t.info.has_mcfg);
}

KTEST(acpi, q35_madt_cpus_ioapic_overrides_nmi)
{
	const struct acpi_madt *m = &t.info.madt;
	PARSE(q35);
	ASSERT_TRUE(t.info.has_madt);
	EXPECT_EQ(m->lapic_address, 0xfee00000);
	EXPECT_TRUE(m->pcat_compat);
	ASSERT_EQ(m->cpu_count, 4);
	for (uint32_t i = 0; i < 4; i++) {
		EXPECT_EQ(m->cpus[i].apic_id, i);
		EXPECT_EQ(m->cpus[i].uid, i);
		EXPECT_TRUE(m->cpus[i].enabled);
		EXPECT_FALSE(m->cpus[i].x2apic_entry);
	}
	ASSERT_EQ(m->ioapic_count, 1);
	EXPECT_EQ(m->ioapics[0].id, 0);
	EXPECT_EQ(m->ioapics[0].address, 0xfec00000);
	EXPECT_EQ(m->ioapics[0].gsi_base, 0);
	ASSERT_EQ(m->override_count, 5);
	EXPECT_EQ(m->overrides[0].source, 0);
	EXPECT_EQ(m->overrides[0].gsi, 2);
	EXPECT_EQ(m->overrides[0].trigger, ACPI_TRIGGER_CONFORMS);
	EXPECT_EQ(m->overrides[1].source, 5);
	EXPECT_EQ(m->overrides[1].polarity, ACPI_POLARITY_HIGH);
	EXPECT_EQ(m->overrides[1].trigger, ACPI_TRIGGER_LEVEL);
	ASSERT_EQ(m->lapic_nmi_count, 1);
	EXPECT_EQ(m->lapic_nmis[0].uid, ACPI_UID_ALL);
	EXPECT_EQ(m->lapic_nmis[0].lint, 1);
	EXPECT_EQ(m->nmi_source_count, 0);
	EXPECT_EQ(m->other_entries, 0);
}

KTEST(acpi, q35_isa_routes)
{
	struct acpi_isa_route r;
	PARSE(q35);
	r = acpi_isa_route(&t.info.madt, 0); /* the PIT: QEMU wires it to pin 2 */
	EXPECT_EQ(r.gsi, 2);
	EXPECT_TRUE(r.overridden);
	EXPECT_FALSE(r.level);
	EXPECT_FALSE(r.active_low);
	r = acpi_isa_route(&t.info.madt, 1); /* keyboard: no override */
	EXPECT_EQ(r.gsi, 1);
	EXPECT_FALSE(r.overridden);
	r = acpi_isa_route(&t.info.madt, 9); /* the SCI: level, active high */
	EXPECT_EQ(r.gsi, 9);
	EXPECT_TRUE(r.level);
	EXPECT_FALSE(r.active_low);
}

KTEST(acpi, q35_fadt_pm_timer_boot_flags_reset)
{
	const struct acpi_fadt *f = &t.info.fadt;
	PARSE(q35);
	ASSERT_TRUE(t.info.has_fadt);
	EXPECT_EQ(f->revision, 3);
	EXPECT_TRUE(f->boot_flags_valid);
	EXPECT_EQ(f->boot_flags, ACPI_BOOT_8042);
	EXPECT_FALSE(f->hardware_reduced);
	EXPECT_EQ(f->sci_irq, 9);
	EXPECT_TRUE(f->pm_timer_present);
	EXPECT_EQ(f->pm_timer_space, ACPI_SPACE_IO);
	EXPECT_EQ(f->pm_timer_address, 0x608);
	EXPECT_EQ(f->pm_timer_bits, 24);
	EXPECT_TRUE(f->reset_supported);
	EXPECT_EQ(f->reset_reg.space, ACPI_SPACE_IO);
	EXPECT_EQ(f->reset_reg.address, 0xcf9);
	EXPECT_EQ(f->reset_value, 0x0f);
	EXPECT_EQ(f->century, 0x32);
}

KTEST(acpi, q35_hpet_and_mcfg)
{
	PARSE(q35);
	ASSERT_TRUE(t.info.has_hpet);
	EXPECT_EQ(t.info.hpet.address, 0xfed00000);
	EXPECT_EQ(t.info.hpet.block_id, 0x8086a201);
	EXPECT_EQ(t.info.hpet.number, 0);
	ASSERT_TRUE(t.info.has_mcfg);
	ASSERT_EQ(t.info.mcfg.count, 1);
	EXPECT_EQ(t.info.mcfg.ranges[0].base, 0xb0000000);
	EXPECT_EQ(t.info.mcfg.ranges[0].segment, 0);
	EXPECT_EQ(t.info.mcfg.ranges[0].bus_start, 0);
	EXPECT_EQ(t.info.mcfg.ranges[0].bus_end, 255);
	/* 00:1f.2 (q35's AHCI) and the last function of bus 255. */
	EXPECT_EQ(acpi_mcfg_address(&t.info.mcfg, 0, 0, 0x1f, 2), 0xb00fa000);
	EXPECT_EQ(acpi_mcfg_address(&t.info.mcfg, 0, 255, 31, 7), 0xbffff000);
	EXPECT_EQ(acpi_mcfg_address(&t.info.mcfg, 1, 0, 0, 0), 0);  /* no segment 1 */
	EXPECT_EQ(acpi_mcfg_address(&t.info.mcfg, 0, 0, 32, 0), 0); /* no device 32 */
	EXPECT_EQ(acpi_mcfg_address(&t.info.mcfg, 0, 0, 0, 8), 0);  /* no function 8 */
}

KTEST(acpi, pc_has_an_acpi_1_fadt_and_no_mcfg)
{
	PARSE(pc);
	ASSERT_EQ(t.result, 0);
	EXPECT_EQ(t.warning_count, 0);
	EXPECT_EQ(t.info.table_count, 5);
	EXPECT_EQ(t.info.madt.cpu_count, 2);
	EXPECT_EQ(acpi_isa_route(&t.info.madt, 0).gsi, 2);
	EXPECT_FALSE(t.info.has_mcfg);
	ASSERT_TRUE(t.info.has_fadt);
	/* 116 bytes, revision 1: no boot flags, no reset register, and the
	 * PM timer only as the ACPI 1.0 port. */
	EXPECT_EQ(t.info.fadt.revision, 1);
	EXPECT_FALSE(t.info.fadt.boot_flags_valid);
	EXPECT_EQ(t.info.fadt.boot_flags, 0);
	EXPECT_FALSE(t.info.fadt.reset_supported);
	EXPECT_TRUE(t.info.fadt.pm_timer_present);
	EXPECT_EQ(t.info.fadt.pm_timer_space, ACPI_SPACE_IO);
	EXPECT_EQ(t.info.fadt.pm_timer_address, 0xb008);
	EXPECT_TRUE(t.info.has_hpet);
}
