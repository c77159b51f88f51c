/* Tests of kernel/meminfo: strides, type buckets, overflow and bad sizes. */
#include "kernel/lib/fmt.h"
#include "kernel/lib/meminfo.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(meminfo);

#define STRIDE 48 /* OVMF's real desc_size: 8 bytes more than the struct */
#define MAX_DESCS 512
static uint64_t map[MAX_DESCS * STRIDE / 8];
static struct meminfo mi;

static void set_desc(size_t i, uint64_t stride, uint32_t type, uint64_t start,
		     uint64_t pages)
{
	struct boot_mem_desc *d = (struct boot_mem_desc *)((uint8_t *)map + i * stride);
	d->type = type;
	d->phys_start = start;
	d->num_pages = pages;
	d->virt_start = 0;
	d->attribute = 0xf;
	if (stride > sizeof *d) /* junk in the padding must be ignored */
		memset((uint8_t *)d + sizeof *d, 0xA5, stride - sizeof *d);
}

KTEST(meminfo, typical_map_with_wide_stride)
{
	set_desc(0, STRIDE, BOOT_MEM_BOOT_SERVICES_CODE, 0, 1);
	set_desc(1, STRIDE, BOOT_MEM_CONVENTIONAL, 0x1000, 0x9f);
	set_desc(2, STRIDE, BOOT_MEM_RESERVED, 0xa0000, 0x60);
	set_desc(3, STRIDE, BOOT_MEM_CONVENTIONAL, 0x100000, 0x3000);
	set_desc(4, STRIDE, BOOT_MEM_LOADER_DATA, 0x3100000, 0x10);
	set_desc(5, STRIDE, BOOT_MEM_RUNTIME_SERVICES_DATA, 0x3110000, 0x20);
	set_desc(6, STRIDE, BOOT_MEM_ACPI_NVS, 0x3130000, 0x4);
	set_desc(7, STRIDE, BOOT_MEM_ACPI_RECLAIM, 0x3134000, 0x2);
	set_desc(8, STRIDE, BOOT_MEM_MMIO, 0xfec00000, 0x1);
	set_desc(9, STRIDE, 0x80000001, 0x4000000, 0x3);     /* OEM type */
	set_desc(10, STRIDE, BOOT_MEM_UNUSABLE, 0x5000000, 0x1);
	set_desc(11, STRIDE, BOOT_MEM_BOOT_SERVICES_DATA, 0x3200000, 0x100);
	ASSERT_EQ(meminfo_summarise(&mi, map, 12 * STRIDE, STRIDE), 0);
	EXPECT_EQ(mi.descriptors, 12);
	EXPECT_EQ(mi.bad_descriptors, 0);
	EXPECT_EQ(mi.conventional_bytes, (0x9full + 0x3000) * 4096);
	EXPECT_EQ(mi.usable_bytes, (1ull + 0x9f + 0x3000 + 0x10 + 0x100) * 4096);
	EXPECT_EQ(mi.reserved_bytes, 0x60ull * 4096);
	EXPECT_EQ(mi.runtime_bytes, 0x20ull * 4096);
	EXPECT_EQ(mi.acpi_bytes, 6ull * 4096);
	EXPECT_EQ(mi.mmio_bytes, 4096);
	EXPECT_EQ(mi.other_bytes, 4ull * 4096); /* OEM + unusable */
	EXPECT_EQ(mi.bytes_by_type[BOOT_MEM_LOADER_DATA], 0x10ull * 4096);
	EXPECT_EQ(mi.bytes_by_type[BOOT_MEM_UNUSABLE], 4096);
	EXPECT_EQ(mi.highest_usable_end, 0x3200000ull + 0x100 * 4096);
	/* Stepping by desc_size, not sizeof. */
	EXPECT_EQ(meminfo_desc(map, STRIDE, 3)->phys_start, 0x100000);
}

KTEST(meminfo, hundreds_of_descriptors)
{
	for (size_t i = 0; i < MAX_DESCS; i++)
		set_desc(i, STRIDE, i % 2 ? BOOT_MEM_CONVENTIONAL : BOOT_MEM_MMIO,
			 i * 0x10000, 2);
	ASSERT_EQ(meminfo_summarise(&mi, map, MAX_DESCS * STRIDE, STRIDE), 0);
	EXPECT_EQ(mi.descriptors, MAX_DESCS);
	EXPECT_EQ(mi.conventional_bytes, MAX_DESCS / 2 * 2 * 4096ull);
	EXPECT_EQ(mi.mmio_bytes, MAX_DESCS / 2 * 2 * 4096ull);
	EXPECT_EQ(mi.highest_usable_end, (MAX_DESCS - 1) * 0x10000ull + 2 * 4096);
}

KTEST(meminfo, exact_struct_stride)
{
	size_t s = sizeof(struct boot_mem_desc);
	set_desc(0, s, BOOT_MEM_CONVENTIONAL, 0x1000, 1);
	set_desc(1, s, BOOT_MEM_LOADER_CODE, 0x2000, 2);
	ASSERT_EQ(meminfo_summarise(&mi, map, 2 * s, s), 0);
	EXPECT_EQ(mi.usable_bytes, 3 * 4096);
}

KTEST(meminfo, overflowing_descriptors_are_bad)
{
	set_desc(0, STRIDE, BOOT_MEM_CONVENTIONAL, 0x1000, 1ull << 52); /* size overflows */
	set_desc(1, STRIDE, BOOT_MEM_CONVENTIONAL, 0xfffffffffffff000ull, 2); /* end */
	set_desc(2, STRIDE, BOOT_MEM_CONVENTIONAL, 0xfffffffffffff000ull, 1); /* end 2^64 does not fit */
	set_desc(3, STRIDE, BOOT_MEM_CONVENTIONAL, 0x2000, 1);
	set_desc(4, STRIDE, BOOT_MEM_CONVENTIONAL, 0x9000, 0); /* empty: harmless */
	ASSERT_EQ(meminfo_summarise(&mi, map, 5 * STRIDE, STRIDE), 0);
	EXPECT_EQ(mi.descriptors, 5);
	EXPECT_EQ(mi.bad_descriptors, 3);
	EXPECT_EQ(mi.usable_bytes, 4096);
	EXPECT_EQ(mi.highest_usable_end, 0x3000);
	EXPECT_EQ(meminfo_summarise(&mi, map, 2 * STRIDE, STRIDE), 0);
	EXPECT_EQ(mi.bad_descriptors, 2);
	EXPECT_EQ(mi.usable_bytes, 0);
}

/* Issue 16 item 13: a map whose sizes add up past 2^64 (overlapping
 * nonsense) saturates the totals instead of wrapping them (a fuzz input
 * found usable_bytes < conventional_bytes). */
KTEST(meminfo, totals_saturate)
{
	for (unsigned i = 0; i < 3; i++)
		set_desc(i, STRIDE, BOOT_MEM_CONVENTIONAL, 0, 1ull << 51); /* 2^63 bytes */
	set_desc(3, STRIDE, BOOT_MEM_RESERVED, 0, 1ull << 51);
	set_desc(4, STRIDE, BOOT_MEM_RESERVED, 0, 1ull << 51);
	ASSERT_EQ(meminfo_summarise(&mi, map, 5 * STRIDE, STRIDE), 0);
	EXPECT_EQ(mi.bad_descriptors, 0);
	EXPECT_EQ(mi.usable_bytes, UINT64_MAX);
	EXPECT_EQ(mi.conventional_bytes, UINT64_MAX);
	EXPECT_EQ(mi.bytes_by_type[BOOT_MEM_CONVENTIONAL], UINT64_MAX);
	EXPECT_EQ(mi.reserved_bytes, UINT64_MAX);
	EXPECT_GE(mi.usable_bytes, mi.conventional_bytes);
}

KTEST(meminfo, bad_sizes)
{
	set_desc(0, STRIDE, BOOT_MEM_CONVENTIONAL, 0, 1);
	set_desc(1, STRIDE, BOOT_MEM_CONVENTIONAL, 0x1000, 1);
	EXPECT_EQ(meminfo_summarise(&mi, map, 2 * STRIDE, 32), MEMINFO_ERR_DESC_SIZE);
	EXPECT_EQ(mi.descriptors, 0);
	EXPECT_EQ(meminfo_summarise(&mi, map, 2 * STRIDE, 44), MEMINFO_ERR_DESC_SIZE);
	EXPECT_EQ(meminfo_summarise(&mi, map, 2 * STRIDE, 0), MEMINFO_ERR_DESC_SIZE);
	/* A partial trailing descriptor: whole ones still counted. */
	EXPECT_EQ(meminfo_summarise(&mi, map, 2 * STRIDE + 20, STRIDE), MEMINFO_ERR_MAP_SIZE);
	EXPECT_EQ(mi.descriptors, 2);
	EXPECT_EQ(mi.bad_descriptors, 1);
	EXPECT_EQ(mi.usable_bytes, 2 * 4096);
	EXPECT_EQ(meminfo_summarise(&mi, map, 0, STRIDE), 0);
	EXPECT_EQ(mi.descriptors, 0);
}

KTEST(meminfo, type_names)
{
	EXPECT_STREQ(meminfo_type_name(BOOT_MEM_CONVENTIONAL), "conventional");
	EXPECT_STREQ(meminfo_type_name(BOOT_MEM_BOOT_SERVICES_DATA), "boot-services-data");
	EXPECT_STREQ(meminfo_type_name(BOOT_MEM_RESERVED), "reserved");
	EXPECT_STREQ(meminfo_type_name(BOOT_MEM_UNACCEPTED), "unaccepted");
	EXPECT_STREQ(meminfo_type_name(BOOT_MEM_TYPE_COUNT), "oem");
	EXPECT_STREQ(meminfo_type_name(0x70000000), "oem");
	for (uint32_t t = 0; t < BOOT_MEM_TYPE_COUNT; t++)
		EXPECT_NOT_NULL(meminfo_type_name(t));
}

KTEST(meminfo, format_size)
{
	char b[32];
	meminfo_format_size(b, sizeof b, 0);
	EXPECT_STREQ(b, "0 B");
	meminfo_format_size(b, sizeof b, 1023);
	EXPECT_STREQ(b, "1023 B");
	meminfo_format_size(b, sizeof b, 640 * 1024);
	EXPECT_STREQ(b, "640 KiB");
	meminfo_format_size(b, sizeof b, 512ull << 20);
	EXPECT_STREQ(b, "512 MiB");
	meminfo_format_size(b, sizeof b, 3ull << 29);
	EXPECT_STREQ(b, "1.5 GiB");
	meminfo_format_size(b, sizeof b, (1ull << 30) + 1);
	EXPECT_STREQ(b, "1 GiB"); /* rounds down */
	meminfo_format_size(b, sizeof b, (2ull << 30) - 1);
	EXPECT_STREQ(b, "1.9 GiB");
	meminfo_format_size(b, sizeof b, UINT64_MAX);
	EXPECT_STREQ(b, "15.9 EiB");
	meminfo_format_size(b, 4, 512ull << 20);
	EXPECT_STREQ(b, "512");
}
