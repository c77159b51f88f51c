/*
 * mm/physmap over an OVMF-like memory map: the direct map covers RAM and
 * nothing else, with large pages only inside RAM, read-only where asked and
 * absent where excluded; the firmware's runtime regions are mapped as their
 * kind needs.  Page tables live in a host buffer standing for physical
 * memory; mapped addresses are never dereferenced.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/meminfo.h"
#include "mm/layout.h"
#include "mm/physmap.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(physmap, KTEST_HOST_ONLY);

#define MIB 0x100000ull
#define GIB 0x40000000ull
#define TABLES 512
#define TABLES_PHYS 0x10000000ull /* where the fake tables "are" */
#define STRIDE 48
#define WB (BOOT_MEM_ATTR_UC | BOOT_MEM_ATTR_WB)

static uint8_t (*tables)[4096];
static unsigned used_tables;
static struct pt_ctx pt;
static uint8_t map[128 * STRIDE] __attribute__((aligned(8)));
static size_t ndescs;

static uint64_t table_alloc(void *ctx)
{
	(void)ctx;
	if (used_tables == TABLES)
		return 0;
	return TABLES_PHYS + 4096ull * used_tables++;
}

static void setup(bool allow_1g)
{
	if (!tables)
		tables = aligned_alloc(4096, TABLES * 4096);
	used_tables = 0;
	ndescs = 0;
	pt = (struct pt_ctx){ .phys_offset = (uintptr_t)tables - TABLES_PHYS,
			      .alloc_table = table_alloc, .allow_1g = allow_1g };
	pt_init(&pt);
}

static void add(uint32_t type, uint64_t start, uint64_t bytes, uint64_t attr)
{
	struct boot_mem_desc *d = (struct boot_mem_desc *)(map + ndescs++ * STRIDE);

	*d = (struct boot_mem_desc){ .type = type, .phys_start = start,
				     .num_pages = bytes / 4096, .attribute = attr };
}

static struct physmap_src src(uint64_t highest)
{
	return (struct physmap_src){ .descs = map, .map_size = ndescs * STRIDE,
				     .desc_size = STRIDE, .highest_ram = highest };
}

/* q35 with 6 GiB, as OVMF reports it (not sorted), plus a framebuffer in
 * the PCI hole that the map does not list. */
#define FB 0x80000000ull
static uint64_t ovmf_like_map(void)
{
	add(BOOT_MEM_CONVENTIONAL, 4 * GIB, 2 * GIB + 2 * MIB + 0x5000, WB); /* ragged end */
	add(BOOT_MEM_CONVENTIONAL, 0, 0x9f000, WB);
	add(BOOT_MEM_RESERVED, 0x9f000, 0x1000, WB);
	add(BOOT_MEM_CONVENTIONAL, MIB, 7 * MIB, WB);
	add(BOOT_MEM_ACPI_NVS, 8 * MIB, 0x4000, WB);
	add(BOOT_MEM_BOOT_SERVICES_DATA, 8 * MIB + 0x4000, 0x10000, WB);
	add(BOOT_MEM_CONVENTIONAL, 8 * MIB + 0x14000, 0x7e000000 - 8 * MIB - 0x14000, WB);
	add(BOOT_MEM_LOADER_CODE, 0x7e000000, 0x300000, WB);
	add(BOOT_MEM_RUNTIME_SERVICES_DATA, 0x7e300000, 0x100000, WB | BOOT_MEM_ATTR_RUNTIME);
	add(BOOT_MEM_ACPI_RECLAIM, 0x7e400000, 0x80000, WB);
	add(BOOT_MEM_RESERVED, 0x7f000000, 0x1000000, WB);
	add(BOOT_MEM_MMIO, 0xe0000000, 0x10000000, BOOT_MEM_ATTR_UC | BOOT_MEM_ATTR_RUNTIME);
	add(BOOT_MEM_MMIO, 0xffc00000, 0x400000, BOOT_MEM_ATTR_UC | BOOT_MEM_ATTR_RUNTIME);
	add(BOOT_MEM_CONVENTIONAL, 0x7e480000, 0x7f000000 - 0x7e480000, 0x1 /* UC only */);
	add(BOOT_MEM_RESERVED, 0xfd00000000ull, 3 * GIB, 0);
	return 6 * GIB + 2 * MIB + 0x5000;
}

/* Whether [pa, pa + size) is write-back RAM in the map (descriptors that
 * touch count as one range). */
static bool all_ram(uint64_t pa, uint64_t size)
{
	for (uint64_t a = pa; a < pa + size;) {
		bool found = false;
		for (size_t i = 0; i < ndescs; i++) {
			const struct boot_mem_desc *d = meminfo_desc(map, STRIDE, i);
			uint64_t end = d->phys_start + d->num_pages * 4096;
			bool ram = d->type != BOOT_MEM_RESERVED && d->type != BOOT_MEM_MMIO &&
				   (d->attribute & BOOT_MEM_ATTR_WB);
			if (ram && d->phys_start <= a && a < end) {
				a = end;
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

struct leaf_check {
	uint64_t leaves, outside_ram, bytes, big_leaves, writable_ro;
	uint64_t ro_base, ro_size;
};

static void check_leaf(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	struct leaf_check *c = ctx;

	if (va < DIRECT_MAP_BASE || va >= DIRECT_MAP_BASE + DIRECT_MAP_MAX_SIZE)
		return;
	c->leaves++;
	c->bytes += size;
	c->big_leaves += size > 4096;
	if (pa != va - DIRECT_MAP_BASE || !all_ram(pa, size))
		c->outside_ram++;
	if ((flags & PT_WRITE) && pa < c->ro_base + c->ro_size && c->ro_base < pa + size)
		c->writable_ro++;
}

static bool direct(uint64_t pa, unsigned *flags, uint64_t *page)
{
	uint64_t got;

	return pt_translate(&pt, DIRECT_MAP_BASE + pa, &got, flags, page) && got == pa;
}

/*
 * Issue 16 item 8: RAM only, and large pages only inside RAM; the image's
 * text read-only (W^X per frame, not only per mapping); the framebuffer,
 * the PCI hole, the reserved ranges and the RAM without write-back absent.
 * Before, [0, highest RAM) was mapped whole in 1 GiB pages.
 */
static void direct_map_is_ram_only(struct ktest *_kt, bool allow_1g)
{
	const struct boot_range ro[] = { { 0x7e000000 + 0x1000, 0x80000 } }; /* "text" */
	const struct boot_range ex[] = { { FB, 8 * MIB } };
	struct leaf_check c = { .ro_base = ro[0].base, .ro_size = ro[0].size };
	uint64_t highest, reach;
	unsigned flags;
	uint64_t page;

	setup(allow_1g);
	highest = ovmf_like_map();
	struct physmap_src s = src(highest);
	ASSERT_EQ(physmap_direct(&pt, DIRECT_MAP_BASE, &s, DIRECT_MAP_MAX_SIZE, ro, 1, ex, 1,
				 &reach), 0);
	EXPECT_EQ(reach, highest & ~0xfffull);
	pt_walk(&pt, check_leaf, &c);
	ktest_diag(_kt, "%llu leaves (%llu large) map %llu MiB; %u tables",
		   (unsigned long long)c.leaves, (unsigned long long)c.big_leaves,
		   (unsigned long long)(c.bytes >> 20), used_tables);
	EXPECT_EQ(c.outside_ram, 0);
	EXPECT_EQ(c.writable_ro, 0);
	/* Every RAM page is there, and only RAM. */
	EXPECT_TRUE(direct(0, &flags, NULL));
	EXPECT_TRUE(direct(0x9e000, NULL, NULL));
	EXPECT_FALSE(direct(0x9f000, NULL, NULL)); /* reserved */
	EXPECT_FALSE(direct(0xa0000, NULL, NULL)); /* not in the map */
	EXPECT_TRUE(direct(8 * MIB + 0x3000, NULL, NULL)); /* ACPI NVS is RAM */
	EXPECT_TRUE(direct(0x7e300000, NULL, NULL));       /* so is runtime data */
	EXPECT_FALSE(direct(0x7e480000, NULL, NULL));      /* no write-back */
	EXPECT_FALSE(direct(0x7f000000, NULL, NULL));
	EXPECT_FALSE(direct(FB, NULL, NULL));
	EXPECT_FALSE(direct(0xe0000000, NULL, NULL));
	EXPECT_TRUE(direct(6 * GIB + 2 * MIB + 0x4000, NULL, NULL)); /* the ragged end */
	EXPECT_FALSE(direct(6 * GIB + 2 * MIB + 0x5000, NULL, NULL));
	EXPECT_FALSE(direct(0xfd00000000ull, NULL, NULL));
	/* Large pages where RAM allows, 4 KiB at its ragged edges. */
	ASSERT_TRUE(direct(5 * GIB, &flags, &page));
	EXPECT_EQ(page, allow_1g ? PT_PAGE_1G : PT_PAGE_2M);
	EXPECT_TRUE((flags & PT_WRITE) && !(flags & PT_EXEC) && (flags & PT_GLOBAL));
	ASSERT_TRUE(direct(64 * MIB, NULL, &page));
	EXPECT_EQ(page, PT_PAGE_2M);
	ASSERT_TRUE(direct(6 * GIB + 2 * MIB, NULL, &page));
	EXPECT_EQ(page, PT_PAGE_4K);
	/* The "text" is read-only and still readable. */
	ASSERT_TRUE(direct(0x7e001000, &flags, NULL));
	EXPECT_FALSE(flags & PT_WRITE);
	ASSERT_TRUE(direct(0x7e000000, &flags, NULL));
	EXPECT_TRUE(flags & PT_WRITE);
}

KTEST(physmap, direct_map_is_ram_only_1g) { direct_map_is_ram_only(_kt, true); }
KTEST(physmap, direct_map_is_ram_only_2m) { direct_map_is_ram_only(_kt, false); }

/*
 * Item 12: the runtime regions at their physical addresses: code and data
 * (also boot-services memory the firmware marked runtime) writable and
 * executable, as firmware needs; runtime MMIO uncached and never executable.
 * Before, the MMIO was mapped write-back and executable.
 */
KTEST(physmap, firmware_runtime_regions_map_as_their_kind_needs)
{
	unsigned flags;
	uint64_t pa;

	setup(true);
	add(BOOT_MEM_RUNTIME_SERVICES_CODE, 0x7e000000, 0x100000, WB | BOOT_MEM_ATTR_RUNTIME);
	add(BOOT_MEM_RUNTIME_SERVICES_DATA, 0x7e100000, 0x100000, WB | BOOT_MEM_ATTR_RUNTIME);
	add(BOOT_MEM_BOOT_SERVICES_DATA, 0x7e200000, 0x10000, WB | BOOT_MEM_ATTR_RUNTIME);
	add(BOOT_MEM_BOOT_SERVICES_DATA, 0x7e210000, 0x10000, WB);
	add(BOOT_MEM_MMIO, 0xffc00000, 0x400000, BOOT_MEM_ATTR_UC | BOOT_MEM_ATTR_RUNTIME);
	add(BOOT_MEM_MMIO, 0xfec00000, 0x1000, BOOT_MEM_ATTR_UC);
	struct physmap_src s = src(0x7e220000);
	physmap_firmware_runtime(&pt, &s);
	ASSERT_TRUE(pt_translate(&pt, 0x7e000000, &pa, &flags, NULL));
	EXPECT_EQ(pa, 0x7e000000);
	EXPECT_EQ(flags, PT_WRITE | PT_EXEC);
	ASSERT_TRUE(pt_translate(&pt, 0x7e1ff000, &pa, &flags, NULL));
	EXPECT_EQ(flags, PT_WRITE | PT_EXEC);
	ASSERT_TRUE(pt_translate(&pt, 0x7e200000, &pa, &flags, NULL));
	EXPECT_EQ(flags, PT_WRITE | PT_EXEC);
	EXPECT_FALSE(pt_translate(&pt, 0x7e210000, NULL, NULL, NULL));
	ASSERT_TRUE(pt_translate(&pt, 0xffc00000, &pa, &flags, NULL));
	EXPECT_EQ(pa, 0xffc00000);
	EXPECT_EQ(flags, PT_WRITE | PT_UC);
	EXPECT_FALSE(pt_translate(&pt, 0xfec00000, NULL, NULL, NULL));
}
