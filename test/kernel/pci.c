/*
 * In-kernel tests of PCI configuration access (hal/dev/pci.c), on whatever
 * machine the test boot runs: the walk finds the host bridge, ECAM and the
 * ports read the same registers, and sizing BARs leaves every BAR and
 * command register as it found it.
 */
#include "hal/dev/pci.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(pci, KTEST_KERNEL_ONLY);

#define MAX_FUNCS 64

static struct pci_func funcs[MAX_FUNCS];

static unsigned scan(void)
{
	unsigned n = pci_scan(funcs, MAX_FUNCS);

	return n < MAX_FUNCS ? n : MAX_FUNCS;
}

KTEST(pci, walk_finds_the_host_bridge_first)
{
	unsigned n = scan();

	ASSERT_GE(n, 2);
	EXPECT_EQ(funcs[0].bus, 0);
	EXPECT_EQ(funcs[0].dev, 0);
	EXPECT_EQ(funcs[0].fn, 0);
	EXPECT_EQ(funcs[0].class_code, 0x06);	/* bridge */
	EXPECT_EQ(funcs[0].subclass, 0x00);	/* host */
	for (unsigned i = 0; i < n; i++)
		EXPECT_NE(funcs[i].vendor, 0xffff);
	ktest_diag(_kt, "%u functions through %s", n, pci_access_name());
}

KTEST(pci, ecam_and_ports_read_the_same)
{
	unsigned n = scan(), compared = 0;
	struct pci_func host = { 0 };

	if (pci_read32_with(&host, 0, PCI_ACCESS_ECAM) == 0xffffffff)
		KTEST_SKIP("no ECAM window (no MCFG)");
	if (pci_read32_with(&host, 0, PCI_ACCESS_PORTS) == 0xffffffff)
		KTEST_SKIP("no configuration ports");
	for (unsigned i = 0; i < n; i++)
		for (uint16_t off = 0; off < 0x40; off += 4) {
			if (off == PCI_COMMAND)
				continue;	/* status bits may change between reads */
			EXPECT_EQ(pci_read32_with(&funcs[i], off, PCI_ACCESS_ECAM),
				  pci_read32_with(&funcs[i], off, PCI_ACCESS_PORTS));
			compared++;
		}
	ktest_diag(_kt, "%u registers compared", compared);
}

KTEST(pci, bar_sizing_puts_everything_back)
{
	unsigned n = scan(), sized = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct pci_func *f = &funcs[i];
		uint32_t before[6], cmd = pci_read16(f, PCI_COMMAND);
		struct pci_bar b;

		for (unsigned j = 0; j < 6; j++)
			before[j] = pci_read32(f, PCI_BAR0 + 4 * j);
		for (unsigned j = 0; j < 6; j++)
			if (pci_bar(f, j, &b) && b.size) {
				sized++;
				EXPECT_EQ(b.size & (b.size - 1), 0);	/* a power of two */
				EXPECT_EQ(b.base & (b.size - 1), 0);	/* aligned to it */
			}
		for (unsigned j = 0; j < 6; j++)
			EXPECT_EQ(pci_read32(f, PCI_BAR0 + 4 * j), before[j]);
		EXPECT_EQ(pci_read16(f, PCI_COMMAND), cmd);
	}
	EXPECT_GE(sized, 1);
	ktest_diag(_kt, "%u BARs sized", sized);
}
