/*
 * mm/heap_pages over fake physical memory: a frame allocator built from a
 * one-range memory map whose "physical" bytes are a host buffer, and the
 * portable page-table mapper writing its tables there.  The heap's frames
 * themselves are never touched: only the tables and the allocator's
 * metadata live in the buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "hal/hal.h"
#include "mm/heap_pages.h"
#include "test/host/fake_hal.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(heap_pages, KTEST_HOST_ONLY);

#define MIB (1024ul * 1024ul)
#define PHYS_BASE MIB
#define HEAP_VA 0xffffc00000000000ull

static struct {
	uint8_t *ram;
	uint64_t bytes;
	struct frame_allocator fa;
	struct pt_ctx pt;
	struct heap_pages hp;
} fx;

static uint64_t table_alloc(void *ctx)
{
	(void)ctx;
	return frame_alloc(&fx.fa);
}

static void table_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	frame_free(&fx.fa, pa);
}

/* @bytes of fake RAM at PHYS_BASE, all conventional. */
static bool setup(uint64_t bytes)
{
	struct boot_mem_desc d = { .type = BOOT_MEM_CONVENTIONAL, .phys_start = PHYS_BASE,
				   .num_pages = bytes / 4096, .attribute = 0xf };

	free(fx.ram);
	memset(&fx, 0, sizeof fx);
	fx.ram = aligned_alloc(4096, bytes);
	fx.bytes = bytes;
	if (!fx.ram ||
	    frame_init(&fx.fa, &d, sizeof d, sizeof d, NULL, 0, (uintptr_t)fx.ram - PHYS_BASE))
		return false;
	fx.pt = (struct pt_ctx){ .phys_offset = (uintptr_t)fx.ram - PHYS_BASE,
				 .alloc_table = table_alloc, .free_table = table_free };
	if (pt_init(&fx.pt))
		return false;
	fx.hp = (struct heap_pages){ .frames = &fx.fa, .pt = &fx.pt, .base = HEAP_VA,
				     .mapped_end = HEAP_VA };
	return true;
}

static uint64_t free_frames(void)
{
	struct frame_stats s;

	frame_stats(&fx.fa, &s);
	return s.free_bytes / 4096;
}

static uint64_t mapped_pages(uintptr_t from, uintptr_t to)
{
	uint64_t n = 0;

	for (uintptr_t va = from; va < to; va += 4096)
		n += pt_translate(&fx.pt, va, NULL, NULL, NULL);
	return n;
}

/*
 * Issue 16 item 6: a grow that runs out of frames halfway must leave nothing
 * behind: no page mapped, every frame (tables included) back.  Before, the
 * pages mapped so far stayed, and every later grow failed with "already
 * mapped".
 */
KTEST(heap_pages, failed_commit_undoes_itself)
{
	uint64_t before;

	ASSERT_TRUE(setup(2 * MIB));
	ASSERT_TRUE(heap_pages_commit(&fx.hp, 64 * 4096));
	before = free_frames();
	EXPECT_FALSE(heap_pages_commit(&fx.hp, (before + 10) * 4096));
	EXPECT_EQ(free_frames(), before);
	EXPECT_EQ(fx.hp.mapped_end, HEAP_VA + 64 * 4096);
	EXPECT_EQ(mapped_pages(HEAP_VA, HEAP_VA + 2 * MIB), 64);
	/* Growth still works afterwards. */
	EXPECT_TRUE(heap_pages_commit(&fx.hp, 16 * 4096));
	EXPECT_EQ(mapped_pages(HEAP_VA, HEAP_VA + 2 * MIB), 80);
	EXPECT_EQ(free_frames(), before - 16);
}

/*
 * Item 6 too: the heap's limit must leave room for the page tables that map
 * it (1/512 of the heap), or growth runs out of frames before the limit.
 * Grow in 64 KiB steps up to the limit: every step succeeds and the reserve
 * is still free at the end.
 */
KTEST(heap_pages, limit_leaves_room_for_page_tables)
{
	const uint64_t reserve = 64 * 1024;
	size_t limit, done = 0;

	ASSERT_TRUE(setup(64 * MIB));
	limit = heap_pages_limit(free_frames() * 4096, reserve);
	EXPECT_GT(limit, 62 * MIB);
	while (done < limit) {
		size_t step = limit - done < 65536 ? limit - done : 65536;
		if (!heap_pages_commit(&fx.hp, step))
			break;
		done += step;
	}
	EXPECT_EQ(done, limit);
	EXPECT_GE(free_frames() * 4096, reserve);
	ktest_diag(_kt, "limit %zu KiB of %llu KiB free; %llu KiB left after growing to it",
		   limit / 1024, (unsigned long long)(fx.bytes / 1024),
		   (unsigned long long)(free_frames() * 4));
}

/*
 * Issue 16, design limit: a big grow ran entirely with interrupts off (a
 * 1 GiB grow took 37 ms, and timer ticks were lost).  Now each batch of
 * HEAP_PAGES_BATCH pages has its own interrupts-off section: an interrupt
 * that arrives while 4 MiB are committed, or decommitted, is taken after at
 * most one batch, and finds the heap's pages consistent.
 */
static uint64_t frames_at_last_window, most_frames_between_windows, windows;

static void on_irq_window(void)
{
	uint64_t now = free_frames();
	uint64_t moved = now > frames_at_last_window ? now - frames_at_last_window
						     : frames_at_last_window - now;

	if (moved > most_frames_between_windows)
		most_frames_between_windows = moved;
	frames_at_last_window = now;
	windows++;
}

KTEST(heap_pages, commit_and_decommit_in_bounded_batches)
{
	const size_t bytes = 4 * MIB;
	uint64_t before;

	ASSERT_TRUE(setup(16 * MIB));
	before = frames_at_last_window = free_frames();
	windows = most_frames_between_windows = 0;
	fake_hal_set_irq_window_hook(on_irq_window);
	EXPECT_TRUE(heap_pages_commit(&fx.hp, bytes));
	EXPECT_GE(windows, bytes / 4096 / HEAP_PAGES_BATCH);
	/* A batch's pages, plus at most one table per level below the root. */
	EXPECT_LE(most_frames_between_windows, HEAP_PAGES_BATCH + 3);
	windows = 0;
	heap_pages_decommit(&fx.hp, HEAP_VA);
	EXPECT_GE(windows, bytes / 4096 / HEAP_PAGES_BATCH);
	EXPECT_LE(most_frames_between_windows, HEAP_PAGES_BATCH + 3);
	fake_hal_set_irq_window_hook(NULL);
	EXPECT_EQ(free_frames(), before);
	EXPECT_EQ(mapped_pages(HEAP_VA, HEAP_VA + bytes), 0);
	EXPECT_EQ(fx.hp.mapped_end, HEAP_VA);
}

/* Pages in the middle of the heap (what heap_decommit_next gives back):
 * unmapped with their frames freed, mapped again on demand, all or none. */
KTEST(heap_pages, middle_pages_go_and_come_back)
{
	uint64_t before;

	ASSERT_TRUE(setup(8 * MIB));
	ASSERT_TRUE(heap_pages_commit(&fx.hp, 2 * MIB));
	before = free_frames();
	heap_pages_decommit_range(&fx.hp, HEAP_VA + 0x10800, 0x80000); /* rounded in */
	EXPECT_EQ(heap_pages_missing(&fx.hp, HEAP_VA, 2 * MIB), 0x7f);
	EXPECT_TRUE(heap_pages_mapped(&fx.hp, HEAP_VA + 0x10fff));
	EXPECT_FALSE(heap_pages_mapped(&fx.hp, HEAP_VA + 0x11000));
	EXPECT_EQ(free_frames(), before + 0x7f);
	EXPECT_EQ(heap_pages_mapped_bytes(&fx.hp), 2 * MIB - 0x7f * 4096);
	/* Back, partly overlapping mapped pages. */
	ASSERT_TRUE(heap_pages_commit_range(&fx.hp, HEAP_VA + 0x20000, 0x100));
	EXPECT_EQ(heap_pages_missing(&fx.hp, HEAP_VA, 2 * MIB), 0x7e);
	ASSERT_TRUE(heap_pages_commit_range(&fx.hp, HEAP_VA, 2 * MIB));
	EXPECT_EQ(heap_pages_missing(&fx.hp, HEAP_VA, 2 * MIB), 0);
	EXPECT_EQ(free_frames(), before);
	/* More than the frames left: nothing happens. */
	heap_pages_decommit_range(&fx.hp, HEAP_VA, 2 * MIB);
	uint64_t spare = free_frames();
	ASSERT_TRUE(heap_pages_commit(&fx.hp, (spare - 300) * 4096)); /* leave ~300 */
	EXPECT_FALSE(heap_pages_commit_range(&fx.hp, HEAP_VA, 2 * MIB)); /* needs 512+ */
	EXPECT_EQ(heap_pages_missing(&fx.hp, HEAP_VA, 2 * MIB), 512);
}

/* The owner's lock (the kernel's frames-and-page-tables lock) instead of
 * interrupts off: every touch of the frames and tables is inside it, never
 * nested, and the sections stay batch-sized. */
static struct {
	int depth, max_depth;
	unsigned sections;
	uint64_t frames_at_lock;
	uint64_t most_frames_in_one; /* frames taken or given in one section */
	bool irq_off_seen;	     /* interrupts were off when it locked */
} lk;

static void fake_lock(void)
{
	lk.irq_off_seen |= !hal_irq_enabled();
	lk.depth++;
	if (lk.depth > lk.max_depth)
		lk.max_depth = lk.depth;
	lk.sections++;
	lk.frames_at_lock = free_frames();
}

static void fake_unlock(void)
{
	uint64_t now = free_frames();
	uint64_t moved = now > lk.frames_at_lock ? now - lk.frames_at_lock
						 : lk.frames_at_lock - now;

	if (moved > lk.most_frames_in_one)
		lk.most_frames_in_one = moved;
	lk.depth--;
}

KTEST(heap_pages, an_owners_lock_replaces_interrupts_off)
{
	ASSERT_TRUE(setup(16 * MIB));
	memset(&lk, 0, sizeof lk);
	fx.hp.lock = fake_lock;
	fx.hp.unlock = fake_unlock;
	hal_irq_enable();

	ASSERT_TRUE(heap_pages_commit(&fx.hp, 1 * MIB));
	heap_pages_decommit_range(&fx.hp, HEAP_VA + 0x10000, 0x40000);
	EXPECT_EQ(heap_pages_missing(&fx.hp, HEAP_VA, 1 * MIB), 0x40);
	EXPECT_TRUE(heap_pages_commit_range(&fx.hp, HEAP_VA, 1 * MIB));
	heap_pages_decommit(&fx.hp, HEAP_VA);
	ktest_diag(_kt, "%u locked sections, at most %llu frames in one", lk.sections,
		   (unsigned long long)lk.most_frames_in_one);
	EXPECT_EQ(lk.depth, 0);
	EXPECT_EQ(lk.max_depth, 1);
	EXPECT_GE(lk.sections, 1 * MIB / 4096 / HEAP_PAGES_BATCH);
	/* A batch of pages, and the tables they need or free. */
	EXPECT_LE(lk.most_frames_in_one, HEAP_PAGES_BATCH + 4);
	/* The lock stands in for interrupts off: they stayed on. */
	EXPECT_FALSE(lk.irq_off_seen);
	EXPECT_TRUE(hal_irq_enabled());
	EXPECT_EQ(mapped_pages(HEAP_VA, HEAP_VA + 1 * MIB), 0);
}
