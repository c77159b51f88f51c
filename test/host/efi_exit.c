/*
 * efi/exit.c against a fake firmware: a memory map that grows on cue,
 * map keys that go stale, services that fail.  The fake checks the rules
 * of UEFI 2.10 7.4 as the loader must follow them: after the first
 * ExitBootServices call only GetMemoryMap, memory allocation and
 * ExitBootServices may be called (the console is gone), and the key handed
 * to ExitBootServices is the one of the latest map.
 */
#include <stdlib.h>
#include <string.h>

#include "efi/exit.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(efi_exit, KTEST_HOST_ONLY);

#define DESC 48 /* OVMF's descriptor stride */

static struct {
	uint64_t descs;        /* descriptors the map holds now */
	uint64_t key;          /* the current map key */
	unsigned maps, exits, allocs, frees;
	unsigned reports, reports_after_exit;
	const char *last_report;
	/* Cues */
	uint64_t grow_after_probe;   /* descriptors added right after the probe */
	uint64_t grow_on_failed_exit; /* ... by each failed exit */
	unsigned stale_exits;        /* this many exits find the key stale */
	fw_status map_fails_with;    /* after the probe, GetMemoryMap fails so */
	fw_status exit_fails_with;   /* ExitBootServices fails so, for good */
	bool leave_desc_size;        /* the probe does not set desc_size */
	void *blocks[16];
	unsigned nblocks;
} fake;

static fw_status fake_get_map(void *ctx, uint64_t *size, void *buf, uint64_t *key,
			      uint64_t *desc_size, uint32_t *desc_version)
{
	uint64_t need = fake.descs * DESC;
	bool probe = fake.maps++ == 0;

	(void)ctx;
	if (!probe && fake.map_fails_with)
		return fake.map_fails_with;
	if (*size < need || !buf) {
		*size = need;
		if (!(probe && fake.leave_desc_size))
			*desc_size = DESC;
		if (probe)
			fake.descs += fake.grow_after_probe;
		return FW_BUFFER_TOO_SMALL;
	}
	memset(buf, 0x5a, need);
	*size = need;
	*key = fake.key;
	*desc_size = DESC;
	*desc_version = 1;
	return FW_SUCCESS;
}

static fw_status fake_alloc(void *ctx, uint64_t pages, uint64_t *addr)
{
	(void)ctx;
	if (pages > 64 || fake.nblocks == 16)
		return FW_OUT_OF_RESOURCES; /* a garbage size would end up here */
	void *p = aligned_alloc(4096, pages * 4096);
	if (!p)
		return FW_OUT_OF_RESOURCES;
	fake.blocks[fake.nblocks++] = p;
	fake.allocs++;
	fake.descs++; /* an allocation adds a descriptor and changes the key */
	fake.key++;
	*addr = (uintptr_t)p;
	return FW_SUCCESS;
}

static fw_status fake_free(void *ctx, uint64_t addr, uint64_t pages)
{
	(void)ctx, (void)addr, (void)pages;
	fake.frees++;
	fake.key++;
	return FW_SUCCESS;
}

static fw_status fake_exit(void *ctx, uint64_t key)
{
	(void)ctx;
	fake.exits++;
	if (fake.exit_fails_with)
		return fake.exit_fails_with;
	if (fake.stale_exits || key != fake.key) {
		if (fake.stale_exits)
			fake.stale_exits--;
		fake.key++; /* a timer event allocated meanwhile */
		fake.descs += fake.grow_on_failed_exit;
		return FW_INVALID_PARAMETER;
	}
	return FW_SUCCESS;
}

static void fake_report(void *ctx, const char *what, fw_status status)
{
	(void)ctx, (void)status;
	fake.reports++;
	fake.reports_after_exit += fake.exits > 0;
	fake.last_report = what;
}

static struct fw_memory fw = {
	.get_map = fake_get_map,
	.alloc_pages = fake_alloc,
	.free_pages = fake_free,
	.exit = fake_exit,
	.report = fake_report,
};

static void reset(void)
{
	while (fake.nblocks)
		free(fake.blocks[--fake.nblocks]);
	memset(&fake, 0, sizeof fake);
	fake.descs = 100;
}

/* Probe, allocate, exit: what efi_main does. */
static fw_status boot(struct boot_info **bi)
{
	fw_status st = exit_alloc_boot_data(&fw, bi);

	return st == FW_SUCCESS ? exit_boot_services(&fw, *bi) : st;
}

static bool map_is_current(const struct boot_info *bi)
{
	return bi->memmap.size == fake.descs * DESC && bi->memmap.desc_size == DESC &&
	       bi->memmap.size <= bi->memmap_capacity &&
	       *(const uint8_t *)(uintptr_t)bi->memmap.base == 0x5a;
}

KTEST(efi_exit, first_try)
{
	struct boot_info *bi;

	reset();
	ASSERT_EQ(boot(&bi), FW_SUCCESS);
	EXPECT_EQ(bi->exit_boot_services_tries, 1);
	EXPECT_TRUE(map_is_current(bi));
	EXPECT_EQ(fake.allocs, 1);
	EXPECT_EQ(fake.reports, 0);
	EXPECT_STREQ(bi->loader_failed, "");
	reset();
}

/* The map key went stale between GetMemoryMap and ExitBootServices (a
 * firmware event allocated): fetch the map again and retry. */
KTEST(efi_exit, stale_key_is_retried)
{
	struct boot_info *bi;

	reset();
	fake.stale_exits = 2;
	ASSERT_EQ(boot(&bi), FW_SUCCESS);
	EXPECT_EQ(bi->exit_boot_services_tries, 3);
	EXPECT_EQ(fake.exits, 3);
	EXPECT_TRUE(map_is_current(bi));
	EXPECT_EQ(fake.reports, 0);
	reset();
}

/*
 * Issue 16 item 7: the map outgrew its buffer (200 descriptors more, well
 * past the 32 spare and the page rounding) between the probe and the final
 * call.  The loader takes a
 * bigger buffer and goes on; before, it gave up and said ExitBootServices
 * failed.
 */
KTEST(efi_exit, map_outgrowing_its_buffer_is_reallocated)
{
	struct boot_info *bi;

	reset();
	fake.grow_after_probe = 200;
	ASSERT_EQ(boot(&bi), FW_SUCCESS);
	EXPECT_TRUE(map_is_current(bi));
	EXPECT_EQ(bi->memmap_reallocations, 1);
	EXPECT_EQ(fake.reports, 0);
	reset();
}

/* ... and after a failed ExitBootServices, when firmware may allocate
 * (UEFI 2.9+): reallocating is allowed then, printing is not. */
KTEST(efi_exit, map_growing_after_a_failed_exit)
{
	struct boot_info *bi;

	reset();
	fake.stale_exits = 1;
	fake.grow_on_failed_exit = 60;
	ASSERT_EQ(boot(&bi), FW_SUCCESS);
	EXPECT_TRUE(map_is_current(bi));
	EXPECT_EQ(bi->exit_boot_services_tries, 2);
	EXPECT_GE(bi->memmap_reallocations, 1);
	EXPECT_EQ(fake.reports_after_exit, 0);
	reset();
}

/* A failing GetMemoryMap is named as such, and after the first exit call
 * nothing is printed: the kernel reports it from bi->loader_failed. */
KTEST(efi_exit, failing_call_is_named_and_not_printed_after_exit)
{
	struct boot_info *bi;

	reset();
	fake.map_fails_with = FW_DEVICE_ERROR;
	ASSERT_EQ(exit_alloc_boot_data(&fw, &bi), FW_SUCCESS);
	EXPECT_EQ(exit_boot_services(&fw, bi), FW_DEVICE_ERROR);
	EXPECT_STREQ(bi->loader_failed, "GetMemoryMap");
	EXPECT_EQ(bi->loader_status, FW_DEVICE_ERROR);
	reset();

	fake.exit_fails_with = FW_INVALID_PARAMETER + 0; /* stale forever */
	ASSERT_EQ(exit_alloc_boot_data(&fw, &bi), FW_SUCCESS);
	EXPECT_EQ(exit_boot_services(&fw, bi), FW_INVALID_PARAMETER);
	EXPECT_STREQ(bi->loader_failed, "ExitBootServices");
	EXPECT_GE(fake.exits, 2);
	EXPECT_EQ(fake.reports_after_exit, 0);
	reset();
}

/* Item 13: desc_size is read only once the firmware has set it.  A probe
 * that leaves it alone must not size the buffer from stack garbage. */
static __attribute__((noinline)) void dirty_stack(void)
{
	volatile uint64_t junk[512];

	for (unsigned i = 0; i < 512; i++)
		junk[i] = 0x4141414141414141ull;
	(void)junk[0];
}

KTEST(efi_exit, probe_without_desc_size)
{
	struct boot_info *bi;

	reset();
	fake.leave_desc_size = true;
	dirty_stack();
	ASSERT_EQ(boot(&bi), FW_SUCCESS);
	EXPECT_TRUE(map_is_current(bi));
	EXPECT_LE(bi->memmap_capacity, 4096 * 16);
	reset();
}
