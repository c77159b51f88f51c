/*
 * Tests of kernel/acpi on broken copies of QEMU's q35 tables (written by
 * scripts/acpi-malformed.py; test/data/acpi/README.md lists them).  Each
 * must end in a warning that names the problem and a parse that keeps
 * everything the damage did not touch.
 */
#include "kernel/acpi/acpi.h"
#include "test/data/acpi/acpi_images.h"
#include "test/ktest/ktest.h"
#include "test/unit/acpi_test.h"

KTEST_SUITE(acpi_malformed);

static struct acpi_test t;

#define PARSE(name) acpi_test_parse(&t, acpi_image_##name, acpi_image_##name##_len)

/* The tables the damage did not touch are all still there. */
static bool others_intact(void)
{
	return t.info.has_fadt && t.info.has_hpet && t.info.has_mcfg &&
	       t.info.fadt.pm_timer_address == 0x608 && t.info.hpet.address == 0xfed00000;
}

KTEST(acpi_malformed, madt_bad_checksum_is_rejected)
{
	PARSE(q35_madt_badsum);
	ASSERT_EQ(t.result, 0);
	EXPECT_FALSE(t.info.has_madt);
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "(APIC) at 0x7777000: bad checksum"));
	EXPECT_TRUE(others_intact());
	/* Still listed, marked bad, for the `acpi` command. */
	ASSERT_NOT_NULL(acpi_find(&t.info, "APIC"));
	EXPECT_FALSE(acpi_find(&t.info, "APIC")->checksum_ok);
}

KTEST(acpi_malformed, madt_truncated_is_rejected)
{
	PARSE(q35_madt_truncated);
	ASSERT_EQ(t.result, 0);
	EXPECT_FALSE(t.info.has_madt);
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "its 144 bytes run past readable memory"));
	EXPECT_TRUE(others_intact());
}

KTEST(acpi_malformed, madt_zero_length_entry_ends_the_walk)
{
	PARSE(q35_madt_zero_length);
	ASSERT_TRUE(t.info.has_madt);
	/* The four CPU entries come before the broken IOAPIC entry. */
	EXPECT_EQ(t.info.madt.cpu_count, 4);
	EXPECT_EQ(t.info.madt.ioapic_count, 0);
	EXPECT_EQ(t.info.madt.override_count, 0);
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "offset 76 (type 1) has length 0"));
}

KTEST(acpi_malformed, madt_entry_past_the_end_is_dropped)
{
	PARSE(q35_madt_entry_overruns);
	ASSERT_TRUE(t.info.has_madt);
	EXPECT_EQ(t.info.madt.cpu_count, 4);
	EXPECT_EQ(t.info.madt.override_count, 5);
	EXPECT_EQ(t.info.madt.lapic_nmi_count, 0); /* the last entry */
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "has length 40, past the table's end"));
}

KTEST(acpi_malformed, madt_entry_overlapping_the_next_is_reported)
{
	PARSE(q35_madt_entry_overlaps);
	ASSERT_TRUE(t.info.has_madt);
	EXPECT_EQ(t.info.madt.ioapic_count, 1);
	/* The IRQ 0 override was swallowed; IRQ 5, 9, 10, 11 remain. */
	EXPECT_EQ(t.info.madt.override_count, 4);
	EXPECT_EQ(acpi_isa_route(&t.info.madt, 0).gsi, 0);
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "is 22 bytes, not 12"));
}

KTEST(acpi_malformed, madt_short_entry_is_skipped)
{
	PARSE(q35_madt_short_entry);
	ASSERT_TRUE(t.info.has_madt);
	EXPECT_EQ(t.info.madt.override_count, 4);
	EXPECT_EQ(t.info.madt.lapic_nmi_count, 1); /* parsing went on after it */
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "is 9 bytes, needs 10: skipped"));
}

KTEST(acpi_malformed, xsdt_bad_checksum_falls_back_to_the_rsdt)
{
	PARSE(q35_xsdt_badsum);
	ASSERT_EQ(t.result, 0);
	EXPECT_FALSE(t.info.xsdt);
	EXPECT_EQ(t.info.root_address, 0x777c074);
	EXPECT_TRUE(acpi_test_warned(&t, "(XSDT) at 0x777c0e8: bad checksum"));
	EXPECT_TRUE(acpi_test_warned(&t, "falling back to the RSDT"));
	EXPECT_EQ(t.warning_count, 2);
	EXPECT_TRUE(t.info.has_madt);
	EXPECT_TRUE(others_intact());
}

KTEST(acpi_malformed, table_listed_twice_overlaps_and_is_ignored)
{
	PARSE(q35_xsdt_duplicate);
	ASSERT_TRUE(t.info.has_madt);
	EXPECT_EQ(t.info.madt.cpu_count, 4);
	EXPECT_EQ(t.info.table_count, 5); /* root, FACP, APIC, HPET, MCFG */
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "APIC at 0x7777000 (+144) overlaps APIC"));
}

KTEST(acpi_malformed, xsdt_partial_entry_is_ignored)
{
	PARSE(q35_xsdt_partial);
	ASSERT_EQ(t.result, 0);
	EXPECT_EQ(t.info.table_count, 5); /* the WAET's entry was cut */
	EXPECT_NULL(acpi_find(&t.info, "WAET"));
	EXPECT_TRUE(others_intact());
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "XSDT length 72 ends in a partial entry"));
}

KTEST(acpi_malformed, zero_length_table_is_rejected)
{
	PARSE(q35_hpet_zero_length);
	ASSERT_EQ(t.result, 0);
	EXPECT_FALSE(t.info.has_hpet);
	EXPECT_TRUE(t.info.has_madt && t.info.has_mcfg && t.info.has_fadt);
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "(HPET) at 0x7776000 has length 0"));
}

KTEST(acpi_malformed, rsdp_bad_checksum_means_no_acpi)
{
	PARSE(q35_rsdp_badsum);
	EXPECT_EQ(t.result, -1);
	EXPECT_EQ(t.warning_count, 1);
	EXPECT_TRUE(acpi_test_warned(&t, "RSDP at 0x777d014: bad checksum"));
	EXPECT_FALSE(t.info.has_madt || t.info.has_fadt || t.info.has_hpet || t.info.has_mcfg);
}
