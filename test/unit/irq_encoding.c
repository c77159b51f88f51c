/*
 * Tests of the interrupt message formats in hal/irq/: IOAPIC redirection
 * entries and MSI address/data pairs (values from the Intel SDM vol. 3A,
 * 11.11, and the 82093AA datasheet, 3.2.4).
 */
#include "hal/irq/ioapic.h"
#include "hal/irq/msi.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(irq_encoding);

KTEST(irq_encoding, ioapic_redirection_entries)
{
	/* ISA keyboard: vector 49, edge, active high, to APIC 0. */
	EXPECT_EQ(ioapic_rte(49, 0, false, false, false), 49);
	/* A PCI line: level, active low, to APIC 3, masked. */
	EXPECT_EQ(ioapic_rte(0x60, 3, true, true, true),
		  0x60 | 1ull << 13 | 1ull << 15 | 1ull << 16 | 3ull << 56);
	/* Fixed delivery, physical destination: bits 8-11 stay 0. */
	EXPECT_EQ(ioapic_rte(0xff, 0xff, false, false, false) & 0xf00, 0);
}

KTEST(irq_encoding, msi_address_and_data)
{
	struct msi_message m;

	ASSERT_TRUE(msi_compose(0, 0x41, false, &m));
	EXPECT_EQ(m.address, 0xfee00000u);
	EXPECT_EQ(m.data, 0x41);
	ASSERT_TRUE(msi_compose(5, 0x80, true, &m));
	EXPECT_EQ(m.address, 0xfee05000u);
	EXPECT_EQ(m.data, 0x80 | 1u << 15 | 1u << 14);
	ASSERT_TRUE(msi_compose(255, 0xdf, false, &m));
	EXPECT_EQ(m.address, 0xfeeff000u);
	/* Not expressible without interrupt remapping, or an exception. */
	EXPECT_FALSE(msi_compose(256, 0x41, false, &m));
	EXPECT_FALSE(msi_compose(0, 14, false, &m));
}
