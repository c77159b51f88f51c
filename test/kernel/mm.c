/*
 * In-kernel tests of the live address space: what mm_init built (translate,
 * W^X audit, guard pages, PAT), page-fault reports, the real frame allocator
 * and the global heap growing past its initial size.
 */
#include "hal/cpu.h"
#include "hal/cpu/fault.h"
#include "hal/cpu/mmu.h"
#include "kernel/kernel.h"
#include "kernel/lib/meminfo.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/mm.h"
#include "mm/stacks.h"
#include "test/kernel/report_capture.h"
#include "test/unit/sdm_walk.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(mm, KTEST_KERNEL_ONLY);
KTEST_SUITE_FLAGS(fatal_guard_page, KTEST_OWN_BOOT | KTEST_KERNEL_ONLY);

extern const char __text_start[], __rodata_start[], __data_start[];
extern const char __image_start[], __image_end[];

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

struct direct_leaves {
	uint64_t by_size[3]; /* 4 KiB, 2 MiB, 1 GiB */
	uint64_t outside_ram, first_bad;
};

/* Whether [pa, pa + size) is write-back RAM in the firmware's map
 * (descriptors that touch count as one range). */
static bool is_ram(uint64_t pa, uint64_t size)
{
	const struct boot_memmap *mm = &kernel_boot_info()->memmap;
	const void *descs = mm_phys_to_virt(mm->base);
	size_t n = mm->desc_size ? mm->size / mm->desc_size : 0;

	for (uint64_t a = pa; a < pa + size;) {
		bool found = false;
		for (size_t i = 0; i < n && !found; i++) {
			const struct boot_mem_desc *d = meminfo_desc(descs, mm->desc_size, i);
			uint64_t end = d->phys_start + d->num_pages * PAGE_SIZE;
			bool ram = ((d->type >= BOOT_MEM_LOADER_CODE &&
				     d->type <= BOOT_MEM_CONVENTIONAL) ||
				    d->type == BOOT_MEM_ACPI_RECLAIM || d->type == BOOT_MEM_ACPI_NVS) &&
				   (d->attribute & BOOT_MEM_ATTR_WB);
			if (ram && d->phys_start <= a && a < end) {
				a = end;
				found = true;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

static void direct_leaf(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	struct direct_leaves *d = ctx;

	(void)flags;
	if (va < DIRECT_MAP_BASE || va >= DIRECT_MAP_BASE + DIRECT_MAP_MAX_SIZE)
		return;
	d->by_size[size == PT_PAGE_1G ? 2 : size == PT_PAGE_2M]++;
	if (!is_ram(pa, size) && !d->outside_ram++)
		d->first_bad = pa;
}

/* Issue 16 item 8: the direct map holds RAM and nothing else (no PCI hole,
 * no framebuffer, no firmware-reserved memory), large pages inside it. */
KTEST(mm, direct_map_holds_only_ram)
{
	struct direct_leaves d = { 0 };
	const struct boot_fb *fb = &kernel_boot_info()->fb;

	pt_walk(mm_kernel_pt(), direct_leaf, &d);
	ktest_diag(_kt, "direct map to %llu MiB: %llu 1 GiB, %llu 2 MiB, %llu 4 KiB leaves",
		   (unsigned long long)(mm_direct_map_size() >> 20),
		   (unsigned long long)d.by_size[2], (unsigned long long)d.by_size[1],
		   (unsigned long long)d.by_size[0]);
	EXPECT_EQ(d.outside_ram, 0);
	if (d.outside_ram)
		ktest_diag(_kt, "first leaf outside RAM at 0x%llx", (unsigned long long)d.first_bad);
	EXPECT_GT(d.by_size[1] + d.by_size[2], 0);
	if (fb->format != BOOT_FB_NONE)
		EXPECT_FALSE(pt_translate(mm_kernel_pt(), DIRECT_MAP_BASE + fb->base, NULL, NULL,
					  NULL));
}

#define MAX_EXEC_RANGES 64

struct audit {
	uint64_t leaves, writable_exec, low_mappings, aliases;
	uintptr_t first_bad, first_alias;
	struct boot_range exec[MAX_EXEC_RANGES]; /* physical frames mapped executable */
	unsigned nexec;
};

static void audit_leaf(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	struct audit *a = ctx;
	a->leaves++;
	if ((flags & PT_WRITE) && (flags & PT_EXEC)) {
		if (!a->writable_exec)
			a->first_bad = va;
		a->writable_exec++;
	}
	if (va < PAGE_SIZE || (va == 0 && size))
		a->low_mappings++;
	if (!(flags & PT_EXEC))
		return;
	struct boot_range *last = a->nexec ? &a->exec[a->nexec - 1] : NULL;
	if (last && last->base + last->size == pa) /* leaves come in order: merge */
		last->size += size;
	else if (a->nexec < MAX_EXEC_RANGES)
		a->exec[a->nexec++] = (struct boot_range){ pa, size };
}

/* Second walk: a writable mapping of a frame that is executable elsewhere
 * is an alias through which code could be rewritten. */
static void alias_leaf(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	struct audit *a = ctx;

	if (!(flags & PT_WRITE))
		return;
	for (unsigned i = 0; i < a->nexec; i++) {
		if (pa < a->exec[i].base + a->exec[i].size && a->exec[i].base < pa + size) {
			if (!a->aliases++)
				a->first_alias = va;
			return;
		}
	}
}

KTEST(mm, wx_audit_of_live_tables)
{
	static struct audit a;

	a = (struct audit){ 0 };
	pt_walk(mm_kernel_pt(), audit_leaf, &a);
	ktest_diag(_kt, "%llu leaf mappings walked", (unsigned long long)a.leaves);
	EXPECT_GT(a.leaves, 3);
	EXPECT_EQ(a.writable_exec, 0);
	if (a.writable_exec)
		ktest_diag(_kt, "first W+X page at 0x%llx", (unsigned long long)a.first_bad);
	EXPECT_EQ(a.low_mappings, 0); /* page 0 is not mapped */
	EXPECT_TRUE(hal_read_cr0() & CR0_WP);
	/* W^X per frame, not only per mapping (issue 16): no writable alias of
	 * an executable frame, e.g. .text through the direct map. */
	ASSERT_LT(a.nexec, MAX_EXEC_RANGES);
	pt_walk(mm_kernel_pt(), alias_leaf, &a);
	EXPECT_EQ(a.aliases, 0);
	if (a.aliases)
		ktest_diag(_kt, "first writable alias of an executable frame at 0x%llx",
			   (unsigned long long)a.first_alias);
}

/* Issue 16 item 13: every frame of the image the kernel maps is reserved,
 * up to the end of its last section (SizeOfImage may stop a page short). */
KTEST(mm, image_frames_are_reserved)
{
	uintptr_t end = ((uintptr_t)__image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	unsigned free_pages = 0;

	for (uintptr_t pa = (uintptr_t)__image_start & ~(PAGE_SIZE - 1); pa < end; pa += PAGE_SIZE)
		free_pages += frame_is_free(mm_frames(), pa);
	ktest_diag(_kt, "image 0x%llx..0x%llx, SizeOfImage ends at 0x%llx",
		   (unsigned long long)(uintptr_t)__image_start, (unsigned long long)end,
		   (unsigned long long)(kernel_boot_info()->image.base +
					kernel_boot_info()->image.size));
	EXPECT_EQ(free_pages, 0);
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
	struct cpu_features cpu;
	unsigned flags;

	cpu_features_read(&cpu);
	if (!pt_translate(mm_kernel_pt(), FRAMEBUFFER_BASE, NULL, &flags, NULL))
		KTEST_SKIP("no framebuffer");
	if (!cpu.pat)
		KTEST_SKIP("no PAT: see pat_left_alone_without_pat");
	EXPECT_TRUE(flags & PT_WC);
	EXPECT_FALSE(flags & PT_EXEC);
	/* PAT entry 1 must say WC (1) for PT_WC to mean anything. */
	EXPECT_EQ((rdmsr(MSR_PAT) >> 8) & 7, 1);
}

/* Issue 16 item 13: a CPU without PAT (QEMU -cpu ...,pat=off) keeps its
 * PAT MSR as it was, and the framebuffer is mapped uncached instead of
 * write-combining (PWT alone would mean write-through). */
KTEST(mm, pat_left_alone_without_pat)
{
	struct cpu_features cpu;
	unsigned flags;

	cpu_features_read(&cpu);
	if (cpu.pat)
		KTEST_SKIP("the CPU has PAT");
	EXPECT_EQ(rdmsr(MSR_PAT), MMU_PAT_POWER_ON);
	if (pt_translate(mm_kernel_pt(), FRAMEBUFFER_BASE, NULL, &flags, NULL)) {
		EXPECT_TRUE(flags & PT_UC);
		EXPECT_FALSE(flags & PT_WC);
	}
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

/*
 * The same with a block allocated last and kept: it pins the heap's end, so
 * cutting the end gives nothing back (after `bench`, the executor's task
 * table sat there); the pages inside the free blocks below it go back.
 */
KTEST(mm, freed_memory_below_a_live_block_goes_back)
{
	struct frame_stats f0, f1, f2;
	void **list = NULL, *pin;

	frame_stats(mm_frames(), &f0);
	for (size_t n = 0; n < 8 * 1024 * 1024 / 48; n++) {
		void **o = kmalloc(40);
		ASSERT_NOT_NULL(o);
		*o = list;
		list = o;
	}
	ASSERT_NOT_NULL(pin = kmalloc(64));
	frame_stats(mm_frames(), &f1);
	while (list) {
		void **next = *list;
		kfree(list);
		list = next;
	}
	kmalloc_trim(); /* the last MiB freed may be short of the next pass */
	frame_stats(mm_frames(), &f2);
	ktest_diag(_kt, "free frames %llu KiB -> %llu KiB -> %llu KiB",
		   (unsigned long long)(f0.free_bytes >> 10),
		   (unsigned long long)(f1.free_bytes >> 10),
		   (unsigned long long)(f2.free_bytes >> 10));
	EXPECT_LE(f1.free_bytes + 8 * 1024 * 1024, f0.free_bytes);
	EXPECT_GE(f2.free_bytes + 512 * 1024, f0.free_bytes);
	kfree(pin);
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

/*
 * Issue 16 item 11: firmware whose identity map sets the user bit.  SMEP
 * (and SMAP) must come on only after the kernel's own tables are loaded, or
 * the very next instruction fetch faults, and so does the fault handler:
 * a triple fault.  This replays mm_init's switch from such tables: a copy
 * of the live tables with the user bit in every entry, loaded with SMEP and
 * SMAP off, then mm_load_kernel_tables().  Its own boot: before the fix the
 * machine resets.
 */
KTEST_SUITE_FLAGS(paging_firmware_user_pages, KTEST_OWN_BOOT | KTEST_KERNEL_ONLY);

static unsigned copied_tables;

/* A copy of table @tpa of @level and everything below it, every entry
 * marked user; 0 if frames ran out. */
static uint64_t copy_as_user(uint64_t tpa, int level)
{
	uint64_t copy = frame_alloc(mm_frames());
	const uint64_t *from = mm_phys_to_virt(tpa);
	uint64_t *to = mm_phys_to_virt(copy);

	if (!copy)
		return 0;
	copied_tables++;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = from[i];
		bool table = (e & PTE_P) && level > 1 && !(level <= 3 && (e & PTE_PS));
		if (table) {
			uint64_t child = copy_as_user(e & PTE_ADDR_MASK, level - 1);
			if (!child)
				return 0;
			e = (e & ~PTE_ADDR_MASK) | child;
		}
		to[i] = e & PTE_P ? e | PTE_US : e;
	}
	return copy;
}

static void free_copy(uint64_t tpa, int level)
{
	const uint64_t *t = mm_phys_to_virt(tpa);

	for (unsigned i = 0; i < 512 && level > 1; i++)
		if ((t[i] & PTE_P) && !(level <= 3 && (t[i] & PTE_PS)))
			free_copy(t[i] & PTE_ADDR_MASK, level - 1);
	frame_free(mm_frames(), tpa);
}

KTEST(paging_firmware_user_pages, smep_and_smap_come_after_the_switch)
{
	struct cpu_features cpu;
	struct pt_ctx *pt = mm_kernel_pt();
	int levels = pt->levels == 5 ? 5 : 4;

	cpu_features_read(&cpu);
	if (!cpu.smep && !cpu.smap)
		KTEST_SKIP("the CPU has neither SMEP nor SMAP");
	uint64_t user_root = copy_as_user(pt->root, levels);
	ASSERT_NE(user_root, 0);
	ktest_diag(_kt, "%u tables copied, every page marked user", copied_tables);
	hal_irqflags_t f = hal_irq_save();
	mmu_disable_user_protections();
	mmu_write_cr3(user_root); /* as the firmware left it */
	mm_load_kernel_tables();  /* mm_init's step */
	hal_irq_restore(f);
	EXPECT_EQ(hal_read_cr3() & PTE_ADDR_MASK, pt->root);
	if (cpu.smep)
		EXPECT_TRUE(hal_read_cr4() & CR4_SMEP);
	if (cpu.smap)
		EXPECT_TRUE(hal_read_cr4() & CR4_SMAP);
	free_copy(user_root, levels);
}

/*
 * Issue 16 item 3, in the kernel: if firmware leaves 5-level paging on, the
 * kernel builds its tables with five levels.  QEMU's OVMF (2022.11) never
 * does, even on -cpu max,+la57, and LA57 cannot be switched on from long
 * mode, so this builds this very address space a second time with five
 * levels (the code mm_init runs), then walks it the way a CPU with CR4.LA57
 * would (written from the SDM, independently of the mapper): every page of
 * the live 4-level tables outside the heap and the MMIO window is there, the
 * same, and nothing else is.
 */
static uint64_t copy_alloc(void *ctx)
{
	(void)ctx;
	return frame_alloc(mm_frames());
}

static void copy_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	frame_free(mm_frames(), pa);
}

static bool walk5(uint64_t root, uint64_t va, uint64_t *pa, uint64_t *leaf)
{
	return sdm_walk5(root, DIRECT_MAP_BASE, va, pa, leaf);
}

struct five_check {
	uint64_t root, pages, missing, different, extra;
};

/* Live leaf: the 5-level tables must have it (the heap, the MMIO window and
 * the other CPUs' stacks map themselves, later). */
static void live_leaf(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	struct five_check *c = ctx;
	uint64_t got, e;

	if ((va >= HEAP_BASE && va < HEAP_BASE + HEAP_MAX_SIZE) ||
	    (va >= MMIO_BASE && va < MMIO_BASE + MMIO_MAX_SIZE) ||
	    (va >= CPU_STACKS_BASE && va < FRAMEBUFFER_BASE))
		return;
	c->pages++;
	if (!walk5(c->root, va, &got, &e) || !walk5(c->root, va + size - 1, &got, &e))
		c->missing++;
	else if (got != pa + size - 1 || !(e & PTE_RW) != !(flags & PT_WRITE) ||
		 !(e & PTE_NX) != !!(flags & PT_EXEC))
		c->different++;
}

/* 5-level leaf: the live tables must have it. */
static void five_leaf(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	struct five_check *c = ctx;
	uint64_t got;

	(void)flags, (void)size;
	if (!pt_translate(mm_kernel_pt(), va, &got, NULL, NULL) || got != pa)
		c->extra++;
}

KTEST(mm, five_level_tables_map_the_same_address_space)
{
	struct pt_ctx five = {
		.phys_offset = DIRECT_MAP_BASE, .alloc_table = copy_alloc,
		.free_table = copy_free, .allow_1g = mm_has_1g_pages(), .levels = 5,
	};
	struct five_check c = { 0 };

	mm_build_tables(&five, kernel_boot_info());
	c.root = five.root;
	pt_walk(mm_kernel_pt(), live_leaf, &c);
	pt_walk(&five, five_leaf, &c);
	ktest_diag(_kt, "%llu live leaves compared", (unsigned long long)c.pages);
	EXPECT_GT(c.pages, 10);
	EXPECT_EQ(c.missing, 0);
	EXPECT_EQ(c.different, 0);
	EXPECT_EQ(c.extra, 0);
	pt_destroy(&five);
}

/*
 * The direct map holds RAM only, but firmware may keep tables (ACPI) in
 * reserved memory below its end: mm_map_firmware_table must not hand out a
 * direct-map address there, which would fault.  Any reserved page of the
 * map below the direct map's end stands in for such a table.
 */
KTEST(mm, firmware_table_outside_ram_is_readable)
{
	const struct boot_memmap *m = &kernel_boot_info()->memmap;
	const void *descs = mm_phys_to_virt(m->base);
	size_t n = m->desc_size ? m->size / m->desc_size : 0;
	uint64_t pa = 0;

	for (size_t i = 0; i < n && !pa; i++) {
		const struct boot_mem_desc *d = meminfo_desc(descs, m->desc_size, i);
		if (d->type == BOOT_MEM_RESERVED && d->num_pages &&
		    d->phys_start + PAGE_SIZE <= mm_direct_map_size())
			pa = d->phys_start;
	}
	if (!pa)
		KTEST_SKIP("no reserved memory below the direct map's end");
	EXPECT_FALSE(pt_translate(mm_kernel_pt(), DIRECT_MAP_BASE + pa, NULL, NULL, NULL));
	const void *t = mm_map_firmware_table(pa + 8, 16);
	ASSERT_NOT_NULL(t);
	struct fault_expectation e;
	expect_pf(&e);
	uint64_t r = probe_read64(t);
	fault_expect_clear();
	EXPECT_NE(r, PROBE_FAULTED);
	ktest_diag(_kt, "reserved page 0x%llx read through %p", (unsigned long long)pa, t);
}
