/*
 * In-kernel tests of the live address space: what mm_init built (translate,
 * W^X audit, guard pages, PAT), page-fault reports, the real frame allocator
 * and the global heap growing past its initial size.
 */
#include "hal/cpu.h"
#include "hal/cpu/fault.h"
#include "hal/cpu/mmu.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/mm.h"
#include "mm/stacks.h"
#include "test/kernel/report_capture.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(mm, KTEST_KERNEL_ONLY);
KTEST_SUITE_FLAGS(fatal_guard_page, KTEST_OWN_BOOT | KTEST_KERNEL_ONLY);

extern const char __text_start[], __rodata_start[], __data_start[];

static const char some_rodata[] = "read-only";
static uint64_t some_data = 42;

KTEST(mm, translate_known_addresses)
{
	struct pt_ctx *pt = mm_kernel_pt();
	uint64_t pa;
	unsigned flags;

	/* The image is mapped where UEFI put it: VA == PA. */
	ASSERT_TRUE(pt_translate(pt, (uintptr_t)__text_start, &pa, &flags, NULL));
	EXPECT_EQ(pa, (uintptr_t)__text_start);
	EXPECT_TRUE(flags & PT_EXEC);
	EXPECT_FALSE(flags & PT_WRITE);
	ASSERT_TRUE(pt_translate(pt, (uintptr_t)some_rodata, &pa, &flags, NULL));
	EXPECT_FALSE(flags & (PT_WRITE | PT_EXEC));
	ASSERT_TRUE(pt_translate(pt, (uintptr_t)&some_data, &pa, &flags, NULL));
	EXPECT_TRUE(flags & PT_WRITE);
	EXPECT_FALSE(flags & PT_EXEC);
	/* The direct map reaches the same byte. */
	EXPECT_EQ(*(uint64_t *)mm_phys_to_virt(pa), 42);
	/* Physical 1 MiB through the direct map. */
	ASSERT_TRUE(pt_translate(pt, DIRECT_MAP_BASE + 0x100000, &pa, NULL, NULL));
	EXPECT_EQ(pa, 0x100000);
	EXPECT_FALSE(pt_translate(pt, 0, NULL, NULL, NULL));
}

KTEST(mm, direct_map_uses_large_pages)
{
	uint64_t size;
	ASSERT_TRUE(pt_translate(mm_kernel_pt(), DIRECT_MAP_BASE, NULL, NULL, &size));
	EXPECT_EQ(size, mm_has_1g_pages() ? PT_PAGE_1G : PT_PAGE_2M);
	ktest_diag(_kt, "direct map: %llu MiB in %s pages",
		   (unsigned long long)(mm_direct_map_size() >> 20),
		   mm_has_1g_pages() ? "1 GiB" : "2 MiB");
}

struct audit {
	uint64_t leaves, writable_exec, low_mappings;
	uintptr_t first_bad;
};

static void audit_leaf(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	struct audit *a = ctx;
	(void)pa;
	a->leaves++;
	if ((flags & PT_WRITE) && (flags & PT_EXEC)) {
		if (!a->writable_exec)
			a->first_bad = va;
		a->writable_exec++;
	}
	if (va < PAGE_SIZE || (va == 0 && size))
		a->low_mappings++;
}

KTEST(mm, wx_audit_of_live_tables)
{
	struct audit a = { 0 };
	pt_walk(mm_kernel_pt(), audit_leaf, &a);
	ktest_diag(_kt, "%llu leaf mappings walked", (unsigned long long)a.leaves);
	EXPECT_GT(a.leaves, 3);
	EXPECT_EQ(a.writable_exec, 0);
	if (a.writable_exec)
		ktest_diag(_kt, "first W+X page at 0x%llx", (unsigned long long)a.first_bad);
	EXPECT_EQ(a.low_mappings, 0); /* page 0 is not mapped */
	EXPECT_TRUE(hal_read_cr0() & CR0_WP);
}

KTEST(mm, guard_pages_unmapped)
{
	for (int id = 0; id < KSTACK_COUNT; id++) {
		EXPECT_FALSE(pt_translate(mm_kernel_pt(), kstack_guard((enum kstack_id)id),
					  NULL, NULL, NULL));
		EXPECT_TRUE(pt_translate(mm_kernel_pt(), kstack_bottom((enum kstack_id)id),
					 NULL, NULL, NULL));
	}
}

KTEST(mm, framebuffer_is_write_combining)
{
	unsigned flags;
	if (!pt_translate(mm_kernel_pt(), FRAMEBUFFER_BASE, NULL, &flags, NULL))
		KTEST_SKIP("no framebuffer");
	EXPECT_TRUE(flags & PT_WC);
	EXPECT_FALSE(flags & PT_EXEC);
	/* PAT entry 1 must say WC (1) for PT_WC to mean anything. */
	EXPECT_EQ((rdmsr(MSR_PAT) >> 8) & 7, 1);
}

static struct report_capture capture;

static void expect_pf(struct fault_expectation *e)
{
	*e = (struct fault_expectation){ .vector = VEC_PAGE_FAULT,
					 .report_to = report_capture_fault,
					 .report_ctx = &capture };
	capture.len = 0;
	fault_expect(e);
}

KTEST(mm, null_read_page_fault_report)
{
	struct fault_expectation e;
	expect_pf(&e);
	uint64_t r = probe_read64((const void *)16);
	fault_expect_clear();
	EXPECT_EQ(r, PROBE_FAULTED);
	EXPECT_EQ(e.cr2, 16);
	EXPECT_EQ(e.error_code, 0);
	EXPECT_TRUE(report_contains(&capture, "#PF: page fault (vector 14)"));
	EXPECT_TRUE(report_contains(&capture, "cr2 0x0000000000000010 (NULL pointer dereference)"));
	EXPECT_TRUE(report_contains(&capture, "not-present read kernel"));
}

KTEST(mm, write_to_rodata_faults)
{
	struct fault_expectation e;
	expect_pf(&e);
	uint64_t r = probe_write64((void *)(uintptr_t)some_rodata, 1);
	fault_expect_clear();
	EXPECT_EQ(r, PROBE_FAULTED);
	EXPECT_EQ(e.cr2, (uintptr_t)some_rodata);
	EXPECT_EQ(e.error_code & 3, 3); /* present + write */
	EXPECT_TRUE(report_contains(&capture, "protection-violation write kernel"));
}

KTEST(mm, executing_data_faults)
{
	static uint8_t ret_insn[16] = { 0xc3 }; /* `ret`, in a writable NX page */
	struct fault_expectation e;
	expect_pf(&e);
	uint64_t r = probe_call((uintptr_t)ret_insn);
	fault_expect_clear();
	EXPECT_EQ(r, PROBE_FAULTED);
	EXPECT_EQ(e.cr2, (uintptr_t)ret_insn);
	EXPECT_TRUE(e.error_code & 16); /* instruction fetch */
	EXPECT_TRUE(report_contains(&capture, "protection-violation instruction-fetch"));
}

KTEST(mm, frame_round_trips)
{
	struct frame_allocator *fa = mm_frames();
	struct frame_stats before, after;
	uint64_t frames[64];

	frame_stats(fa, &before);
	for (int i = 0; i < 64; i++) {
		frames[i] = frame_alloc(fa);
		ASSERT_NE(frames[i], 0);
		EXPECT_EQ(frames[i] & 0xfff, 0);
		/* Write through the direct map: the frame is real memory. */
		*(volatile uint64_t *)mm_phys_to_virt(frames[i]) = frames[i];
	}
	for (int i = 0; i < 64; i++)
		for (int j = i + 1; j < 64; j++)
			EXPECT_NE(frames[i], frames[j]);
	for (int i = 0; i < 64; i++) {
		EXPECT_EQ(*(volatile uint64_t *)mm_phys_to_virt(frames[i]), frames[i]);
		EXPECT_EQ(frame_free(fa, frames[i]), 0);
	}
	frame_stats(fa, &after);
	EXPECT_EQ(after.free_bytes, before.free_bytes);
	uint64_t contig = frame_alloc_contig(fa, 16, 16);
	ASSERT_NE(contig, 0);
	EXPECT_EQ(contig & 0xffff, 0);
	EXPECT_EQ(frame_free_contig(fa, contig, 16), 0);
}

KTEST(mm, heap_grows_past_initial_size)
{
	struct heap_stats before, after;
	enum { N = 64, SIZE = 64 * 1024 }; /* 4 MiB: more than HEAP_INITIAL_SIZE */
	void *p[N];

	kmalloc_stats(&before);
	for (int i = 0; i < N; i++) {
		p[i] = kmalloc(SIZE);
		ASSERT_NOT_NULL(p[i]);
		((volatile char *)p[i])[SIZE - 1] = (char)i;
	}
	kmalloc_stats(&after);
	ktest_diag(_kt, "heap %zu -> %zu KiB committed, %llu grows", before.size / 1024,
		   after.size / 1024, (unsigned long long)after.grows);
	EXPECT_GT(after.size, (size_t)HEAP_INITIAL_SIZE);
	EXPECT_GT(after.grows, before.grows);
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	EXPECT_TRUE(kmalloc_check());
}

/*
 * Issue 11 item 14 / issue 16: memory freed in bulk goes back to the frame
 * allocator.  12 MiB of 40-byte objects (the block heap's 48-byte class)
 * and 256 KiB blocks, all freed: the heap shrinks back to within a few
 * chunks of where it was, and the frames are free again.  Before, every
 * chunk stayed with its class and the heap never shrank.
 */
KTEST(mm, freed_heap_memory_goes_back_to_the_frame_allocator)
{
	struct heap_stats h0, h1, h2;
	struct frame_stats f0, f2;
	void **list = NULL, *big[16];
	size_t n = 0;

	kmalloc_stats(&h0);
	frame_stats(mm_frames(), &f0);
	for (; n < 8 * 1024 * 1024 / 48; n++) {
		void **o = kmalloc(40);
		ASSERT_NOT_NULL(o);
		*o = list;
		list = o;
	}
	for (int i = 0; i < 16; i++)
		ASSERT_NOT_NULL(big[i] = kmalloc(256 * 1024));
	kmalloc_stats(&h1);
	EXPECT_GE(h1.used, h0.used + 12 * 1024 * 1024);
	while (list) {
		void **next = *list;
		kfree(list);
		list = next;
	}
	for (int i = 0; i < 16; i++)
		kfree(big[i]);
	kmalloc_stats(&h2);
	frame_stats(mm_frames(), &f2);
	ktest_diag(_kt, "heap committed %zu KiB -> %zu KiB -> %zu KiB; %llu shrinks",
		   h0.size / 1024, h1.size / 1024, h2.size / 1024,
		   (unsigned long long)h2.shrinks);
	EXPECT_LE(h2.size, h0.size + 1024 * 1024);
	EXPECT_GE(f2.free_bytes + 1024 * 1024, f0.free_bytes);
	EXPECT_TRUE(kmalloc_check());
}

KTEST(mm, heap_failure_returns_null)
{
	struct heap_stats s;
	kmalloc_stats(&s);
	/* More than the heap may ever grow to: must fail cleanly, not panic. */
	EXPECT_NULL(kmalloc(s.limit + 4096));
}

KTEST(fatal_guard_page, stack_guard_page_hit_is_reported)
{
	/* Touch the page just below the boot stack: the unmapped guard. */
	static volatile uintptr_t guard;
	guard = kstack_guard(KSTACK_BOOT) + 8;
	ktest_expect_fatal(_kt, "#PF");
	*(volatile uint64_t *)guard = 1;
}
