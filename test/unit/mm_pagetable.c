/*
 * Tests of mm/pagetable over a private arena of table frames: the arena
 * stands for physical memory at ARENA_PHYS through phys_offset, so these
 * tests never touch the live page tables, in the kernel or on the host.
 * Mapped "physical" addresses are never dereferenced.
 */
#include "kernel/lib/string.h"
#include "mm/pagetable.h"
#include "test/unit/sdm_walk.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(mm_pagetable);

#define ARENA_PHYS 0x7000000ull
#define ARENA_TABLES 24
#define MAX_INVAL 64
#define K4 PT_PAGE_4K
#define M2 PT_PAGE_2M
#define G1 PT_PAGE_1G

static uint8_t arena[ARENA_TABLES][4096] __attribute__((aligned(4096)));
static bool in_use[ARENA_TABLES];
static unsigned outstanding, allowed, bad_frees;
static uintptr_t inval[MAX_INVAL];
static unsigned ninval;
static struct pt_ctx pt;

static uint64_t arena_alloc(void *ctx)
{
	(void)ctx;
	if (outstanding >= allowed)
		return 0;
	for (unsigned i = 0; i < ARENA_TABLES; i++) {
		if (in_use[i])
			continue;
		in_use[i] = true;
		outstanding++;
		memset(arena[i], 0xcc, 4096); /* the mapper must zero it */
		return ARENA_PHYS + i * 4096ull;
	}
	return 0;
}

/*
 * Flush discipline (issue 16 item 9): a table may be freed only after the
 * entry pointing at it was cleared AND a TLB invalidation followed, or the
 * CPU's paging-structure caches may still walk it once its frame is reused.
 * Each invalidation records which tables were reachable at that moment;
 * freeing a table that was reachable at the last one is a violation.
 */
static bool check_flushes;
static uint32_t reachable_at_flush; /* bit i: arena table i */
static unsigned unflushed_frees;

static uint32_t reachable_from(uint64_t tpa, int level)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)(tpa + pt.phys_offset);
	uint32_t set = 1u << ((tpa - ARENA_PHYS) / 4096);

	for (unsigned i = 0; level > 1 && i < 512; i++)
		if ((t[i] & PTE_P) && !(level < 4 && (t[i] & PTE_PS)))
			set |= reachable_from(t[i] & PTE_ADDR_MASK, level - 1);
	return set;
}

static void arena_free(void *ctx, uint64_t pa)
{
	uint64_t i = (pa - ARENA_PHYS) / 4096;

	(void)ctx;
	if (pa < ARENA_PHYS || i >= ARENA_TABLES || pa % 4096 || !in_use[i]) {
		bad_frees++;
		return;
	}
	if (check_flushes && (reachable_at_flush >> i & 1))
		unflushed_frees++;
	in_use[i] = false;
	outstanding--;
}

static void record_invalidate(void *ctx, uintptr_t va)
{
	(void)ctx;
	if (ninval < MAX_INVAL)
		inval[ninval] = va;
	ninval++;
	if (check_flushes)
		reachable_at_flush = reachable_from(pt.root, 4);
}

static bool setup_levels(bool allow_1g, unsigned levels)
{
	memset(in_use, 0, sizeof in_use);
	outstanding = bad_frees = ninval = unflushed_frees = 0;
	check_flushes = false;
	allowed = ARENA_TABLES;
	pt = (struct pt_ctx){
		.phys_offset = (uintptr_t)arena - ARENA_PHYS,
		.alloc_table = arena_alloc,
		.free_table = arena_free,
		.invalidate = record_invalidate,
		.allow_1g = allow_1g,
		.levels = levels,
	};
	return pt_init(&pt) == PT_OK && outstanding == 1;
}

static bool setup(bool allow_1g)
{
	return setup_levels(allow_1g, 4);
}

/* Translates @va and checks the result in one go. */
static bool maps_to(uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	uint64_t got_pa = 0, got_size = 0;
	unsigned got_flags = 0;

	return pt_translate(&pt, va, &got_pa, &got_flags, &got_size) && got_pa == pa &&
	       got_size == size && got_flags == flags;
}

KTEST(mm_pagetable, map_and_translate_4k)
{
	ASSERT_TRUE(setup(false));
	ASSERT_EQ(pt_map(&pt, 0x400000, 0x12345000, 3 * K4, PT_WRITE), 0);
	EXPECT_TRUE(maps_to(0x400000, 0x12345000, K4, PT_WRITE));
	EXPECT_TRUE(maps_to(0x401abc, 0x12346abc, K4, PT_WRITE));
	EXPECT_TRUE(maps_to(0x402fff, 0x12347fff, K4, PT_WRITE));
	EXPECT_FALSE(pt_translate(&pt, 0x403000, NULL, NULL, NULL));
	EXPECT_FALSE(pt_translate(&pt, 0x3ff000, NULL, NULL, NULL));
	EXPECT_EQ(outstanding, 4); /* PML4, PDPT, PD, PT */
	EXPECT_EQ(ninval, 0);      /* mapping fresh pages needs no invalidation */
	pt_destroy(&pt);
	EXPECT_EQ(outstanding, 0);
	EXPECT_EQ(bad_frees, 0);
}

KTEST(mm_pagetable, largest_page_that_alignment_allows)
{
	ASSERT_TRUE(setup(false));
	/* 4K, then a 2M page (va and pa both 2M aligned there), then 4K. */
	ASSERT_EQ(pt_map(&pt, 0x1ff000, 0x3ff000, M2 + 2 * K4, PT_WRITE | PT_EXEC), 0);
	EXPECT_TRUE(maps_to(0x1ff000, 0x3ff000, K4, PT_WRITE | PT_EXEC));
	EXPECT_TRUE(maps_to(0x200000, 0x400000, M2, PT_WRITE | PT_EXEC));
	EXPECT_TRUE(maps_to(0x3fffff, 0x5fffff, M2, PT_WRITE | PT_EXEC));
	EXPECT_TRUE(maps_to(0x400000, 0x600000, K4, PT_WRITE | PT_EXEC));
	/* va 2M aligned, pa not: 4K pages only. */
	ASSERT_EQ(pt_map(&pt, 0x800000, 0x1001000, M2, 0), 0);
	EXPECT_TRUE(maps_to(0x9ff000, 0x1200000, K4, 0));
	/* Without allow_1g a whole gigabyte is 512 2M pages. */
	ASSERT_EQ(pt_map(&pt, G1, 2 * G1, G1, PT_GLOBAL), 0);
	EXPECT_TRUE(maps_to(G1 + 0x12345, 2 * G1 + 0x12345, M2, PT_GLOBAL));
	EXPECT_TRUE(maps_to(2 * G1 - 1, 3 * G1 - 1, M2, PT_GLOBAL));
	pt_destroy(&pt);

	ASSERT_TRUE(setup(true));
	ASSERT_EQ(pt_map(&pt, G1, 2 * G1, G1 + M2, PT_GLOBAL), 0);
	EXPECT_TRUE(maps_to(G1 + 0x12345, 2 * G1 + 0x12345, G1, PT_GLOBAL));
	EXPECT_TRUE(maps_to(2 * G1, 3 * G1, M2, PT_GLOBAL));
	EXPECT_EQ(outstanding, 3); /* PML4, PDPT, one PD for the 2M tail */
	pt_destroy(&pt);
	EXPECT_EQ(outstanding, 0);
}

KTEST(mm_pagetable, upper_half_and_last_page)
{
	ASSERT_TRUE(setup(true));
	ASSERT_EQ(pt_map(&pt, 0xffffffff80000000ull, M2, M2, PT_EXEC), 0);
	EXPECT_TRUE(maps_to(0xffffffff80001234ull, M2 + 0x1234, M2, PT_EXEC));
	ASSERT_EQ(pt_map(&pt, 0xfffffffffffff000ull, 0x5000, K4, PT_WRITE), 0);
	EXPECT_TRUE(maps_to(0xffffffffffffffffull, 0x5fff, K4, PT_WRITE));
	EXPECT_FALSE(pt_translate(&pt, 0x7fffffff80000000ull, NULL, NULL, NULL));
	EXPECT_EQ(pt_unmap(&pt, 0xfffffffffffff000ull, K4), 0);
	EXPECT_EQ(ninval, 3); /* the leaf, then its emptied PT and PD */
	EXPECT_EQ(inval[0], 0xfffffffffffff000ull);
	pt_destroy(&pt);
}

KTEST(mm_pagetable, invalid_requests_refused)
{
	ASSERT_TRUE(setup(true));
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x2000, 0, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x1800, 0x2000, K4, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x2800, K4, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x2000, 0x1800, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x0000800000000000ull, 0, K4, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x00007ffffffff000ull, 0, 2 * K4, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0xfffffffffffff000ull, 0, 2 * K4, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x1000, 1ull << 52, K4, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x1000, (1ull << 52) - K4, 2 * K4, 0), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x2000, K4, PT_WC | PT_UC), PT_ERR_INVAL);
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x2000, K4, 1u << 9), PT_ERR_INVAL);
	EXPECT_EQ(pt_unmap(&pt, 0x0000800000000000ull, K4), PT_ERR_INVAL);
	EXPECT_EQ(pt_protect(&pt, 0x1000, 0x800, 0), PT_ERR_INVAL);
	EXPECT_FALSE(pt_translate(&pt, 0x0000800000000000ull, NULL, NULL, NULL));
	EXPECT_EQ(outstanding, 1); /* nothing was built */
	pt_destroy(&pt);
}

KTEST(mm_pagetable, overlap_refused_without_change)
{
	ASSERT_TRUE(setup(false));
	ASSERT_EQ(pt_map(&pt, 0x200000, 0x200000, M2, PT_WRITE), 0);
	ASSERT_EQ(pt_map(&pt, 0x600000, 0xa00000, K4, PT_WRITE), 0);
	unsigned tables = outstanding;
	/* Ends inside the 2M page; starts in fresh space. */
	EXPECT_EQ(pt_map(&pt, 0x100000, 0x100000, 0x101000, 0), PT_ERR_EXISTS);
	/* Covers a lone 4K page in the middle. */
	EXPECT_EQ(pt_map(&pt, 0x400000, 0x400000, M2 + K4 * 512, 0), PT_ERR_EXISTS);
	EXPECT_FALSE(pt_translate(&pt, 0x100000, NULL, NULL, NULL));
	EXPECT_FALSE(pt_translate(&pt, 0x400000, NULL, NULL, NULL));
	EXPECT_EQ(outstanding, tables);
	EXPECT_TRUE(maps_to(0x200000, 0x200000, M2, PT_WRITE));
	/* Right next to both is fine. */
	EXPECT_EQ(pt_map(&pt, 0x400000, 0x400000, M2, 0), 0);
	EXPECT_EQ(pt_map(&pt, 0x601000, 0x601000, K4, 0), 0);
	pt_destroy(&pt);
}

KTEST(mm_pagetable, unmap_part_of_a_2m_page_splits_it)
{
	ASSERT_TRUE(setup(false));
	ASSERT_EQ(pt_map(&pt, 0x200000, 0x40000000, M2, PT_WRITE | PT_WC), 0);
	unsigned tables = outstanding;
	ASSERT_EQ(pt_unmap(&pt, 0x2a5000, 2 * K4), 0);
	EXPECT_EQ(outstanding, tables + 1); /* the new page table */
	EXPECT_FALSE(pt_translate(&pt, 0x2a5000, NULL, NULL, NULL));
	EXPECT_FALSE(pt_translate(&pt, 0x2a6fff, NULL, NULL, NULL));
	EXPECT_TRUE(maps_to(0x2a4fff, 0x400a4fff, K4, PT_WRITE | PT_WC));
	EXPECT_TRUE(maps_to(0x2a7000, 0x400a7000, K4, PT_WRITE | PT_WC));
	EXPECT_TRUE(maps_to(0x200000, 0x40000000, K4, PT_WRITE | PT_WC));
	EXPECT_TRUE(maps_to(0x3ff000, 0x401ff000, K4, PT_WRITE | PT_WC));
	ASSERT_EQ(ninval, 2);
	EXPECT_EQ(inval[0], 0x2a5000);
	EXPECT_EQ(inval[1], 0x2a6000);
	pt_destroy(&pt);
}

KTEST(mm_pagetable, unmap_inside_a_1g_page_splits_twice)
{
	ASSERT_TRUE(setup(true));
	ASSERT_EQ(pt_map(&pt, 4 * G1, 0, G1, PT_GLOBAL), 0);
	ASSERT_EQ(pt_unmap(&pt, 4 * G1 + 3 * M2 + 5 * K4, K4), 0);
	EXPECT_FALSE(pt_translate(&pt, 4 * G1 + 3 * M2 + 5 * K4, NULL, NULL, NULL));
	EXPECT_TRUE(maps_to(4 * G1 + 3 * M2 + 6 * K4, 3 * M2 + 6 * K4, K4, PT_GLOBAL));
	EXPECT_TRUE(maps_to(4 * G1 + 2 * M2, 2 * M2, M2, PT_GLOBAL));
	EXPECT_TRUE(maps_to(5 * G1 - 1, G1 - 1, M2, PT_GLOBAL));
	EXPECT_EQ(ninval, 1);
	EXPECT_EQ(outstanding, 4); /* PML4, PDPT, new PD, new PT */
	pt_destroy(&pt);
	EXPECT_EQ(outstanding, 0);
}

KTEST(mm_pagetable, unmap_invalidates_each_leaf_and_frees_tables)
{
	ASSERT_TRUE(setup(false));
	ASSERT_EQ(pt_map(&pt, 0x1000, 0x1000, 5 * K4, PT_WRITE), 0);
	ASSERT_EQ(pt_map(&pt, 0x7fc0000000ull, 0, M2, PT_WRITE), 0); /* PDPT slot 511 */
	EXPECT_EQ(outstanding, 5); /* PML4, PDPT, 2 PDs, PT */
	ASSERT_EQ(pt_unmap(&pt, 0, 0x8000000000ull), 0); /* all of PML4 slot 0 */
	/* 6 leaves, and 4 emptied tables (PT, 2 PDs, PDPT) each flushed once. */
	ASSERT_EQ(ninval, 10);
	for (unsigned i = 0; i < 5; i++)
		EXPECT_EQ(inval[i], 0x1000 + i * K4);
	bool big_leaf = false;
	for (unsigned i = 5; i < 10; i++)
		big_leaf |= inval[i] == 0x7fc0000000ull;
	EXPECT_TRUE(big_leaf);
	EXPECT_EQ(outstanding, 1); /* only the root is left */
	EXPECT_EQ(bad_frees, 0);
	EXPECT_EQ(pt_unmap(&pt, 0x1000, K4), 0); /* unmapping a hole is fine */
	EXPECT_EQ(ninval, 10);
	pt_destroy(&pt);
}

KTEST(mm_pagetable, tables_are_flushed_before_they_are_freed)
{
	ASSERT_TRUE(setup(true));
	ASSERT_EQ(pt_map(&pt, 0x1000, 0x1000, 5 * K4, PT_WRITE), 0);
	ASSERT_EQ(pt_map(&pt, 0x40000000ull, 0, M2, PT_WRITE), 0);
	ASSERT_EQ(pt_map(&pt, 0xffff800000000000ull, 0, 3 * G1, PT_WRITE), 0);
	check_flushes = true;
	reachable_at_flush = reachable_from(pt.root, 4);
	ASSERT_EQ(pt_unmap(&pt, 0x1000, 5 * K4), 0);         /* frees a PT */
	ASSERT_EQ(pt_unmap(&pt, 0x40000000ull, M2), 0);      /* a PD, then the PDPT */
	ASSERT_EQ(pt_unmap(&pt, 0xffff800040000000ull, K4), 0); /* splits a 1 GiB page */
	ASSERT_EQ(pt_unmap(&pt, 0xffff800000000000ull, 3 * G1), 0);
	EXPECT_EQ(outstanding, 1);
	EXPECT_EQ(bad_frees, 0);
	EXPECT_EQ(unflushed_frees, 0);
	check_flushes = false;
	pt_destroy(&pt);
}

KTEST(mm_pagetable, protect_splits_and_rewrites)
{
	ASSERT_TRUE(setup(false));
	ASSERT_EQ(pt_map(&pt, 0x200000, 0x800000, M2, PT_WRITE), 0);
	ASSERT_EQ(pt_protect(&pt, 0x201000, K4, PT_EXEC), 0);
	EXPECT_TRUE(maps_to(0x201000, 0x801000, K4, PT_EXEC));
	EXPECT_TRUE(maps_to(0x200000, 0x800000, K4, PT_WRITE));
	EXPECT_TRUE(maps_to(0x202000, 0x802000, K4, PT_WRITE));
	EXPECT_EQ(ninval, 1);
	EXPECT_EQ(inval[0], 0x201000);
	/* A whole 2M page keeps its size. */
	ASSERT_EQ(pt_map(&pt, 0x400000, 0xa00000, M2, PT_WRITE), 0);
	ASSERT_EQ(pt_protect(&pt, 0x400000, M2, PT_UC), 0);
	EXPECT_TRUE(maps_to(0x400000, 0xa00000, M2, PT_UC));
	EXPECT_EQ(ninval, 2);
	/* A hole anywhere in the range: refused, nothing changed. */
	EXPECT_EQ(pt_protect(&pt, 0x400000, M2 + K4, PT_EXEC), PT_ERR_NOT_MAPPED);
	EXPECT_TRUE(maps_to(0x400000, 0xa00000, M2, PT_UC));
	EXPECT_EQ(ninval, 2);
	pt_destroy(&pt);
}

struct seen_leaf {
	uintptr_t va;
	uint64_t pa, size;
	unsigned flags;
};

static struct seen_leaf leaves[16];
static unsigned nleaves;

/* Collects leaves, merging runs that continue the previous one exactly. */
static void collect(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	struct seen_leaf *prev = nleaves ? &leaves[nleaves - 1] : NULL;

	(void)ctx;
	if (prev && prev->va + prev->size == va && prev->pa + prev->size == pa &&
	    prev->flags == flags) {
		prev->size += size;
		return;
	}
	if (nleaves < 16)
		leaves[nleaves] = (struct seen_leaf){ va, pa, size, flags };
	nleaves++;
}

KTEST(mm_pagetable, walk_sees_exactly_the_mappings)
{
	static const struct seen_leaf want[] = {
		{ 0x1000, 0x1000, 3 * K4, PT_WRITE },                      /* data */
		{ 0x200000, 0x10200000, M2 + K4, PT_EXEC },                /* text */
		{ 0x7fffc0000000ull, 0x40000000, G1, PT_WRITE | PT_GLOBAL }, /* 1G */
		{ 0xffff800000000000ull, 0, 4 * M2, PT_WRITE },            /* direct map */
		{ 0xffffffff80000000ull, 0x10000, 2 * K4, PT_WRITE | PT_EXEC }, /* W+X */
	};
	const unsigned n = sizeof want / sizeof want[0];

	ASSERT_TRUE(setup(true));
	for (unsigned i = n; i-- > 0;) /* mapped out of order on purpose */
		ASSERT_EQ(pt_map(&pt, want[i].va, want[i].pa, want[i].size, want[i].flags), 0);
	nleaves = 0;
	pt_walk(&pt, collect, NULL);
	ASSERT_EQ(nleaves, n);
	unsigned wx = 0;
	for (unsigned i = 0; i < n; i++) {
		EXPECT_EQ(leaves[i].va, want[i].va);
		EXPECT_EQ(leaves[i].pa, want[i].pa);
		EXPECT_EQ(leaves[i].size, want[i].size);
		EXPECT_EQ(leaves[i].flags, want[i].flags);
		wx += (leaves[i].flags & (PT_WRITE | PT_EXEC)) == (PT_WRITE | PT_EXEC);
	}
	EXPECT_EQ(wx, 1); /* the audit would name exactly one range */
	pt_destroy(&pt);
}

KTEST(mm_pagetable, out_of_table_memory_undoes_the_map)
{
	ASSERT_TRUE(setup(false));
	ASSERT_EQ(pt_map(&pt, 0x1000, 0x1000, K4, 0), 0);
	unsigned tables = outstanding;
	allowed = outstanding + 1; /* room for one more table: not enough */
	/* Needs a PT in the existing PD... and a new PD and PT at 1 GiB. */
	EXPECT_EQ(pt_map(&pt, G1 - K4, 0x2000, 2 * K4, 0), PT_ERR_NOMEM);
	EXPECT_EQ(outstanding, tables);
	EXPECT_FALSE(pt_translate(&pt, G1 - K4, NULL, NULL, NULL));
	EXPECT_FALSE(pt_translate(&pt, G1, NULL, NULL, NULL));
	EXPECT_TRUE(maps_to(0x1000, 0x1000, K4, 0));
	/* A split needs a table too. */
	allowed = ARENA_TABLES;
	ASSERT_EQ(pt_map(&pt, 0x200000, 0x200000, M2, 0), 0);
	allowed = outstanding;
	EXPECT_EQ(pt_unmap(&pt, 0x200000, K4), PT_ERR_NOMEM);
	EXPECT_EQ(pt_protect(&pt, 0x200000, K4, PT_WRITE), PT_ERR_NOMEM);
	EXPECT_TRUE(maps_to(0x200000, 0x200000, M2, 0));
	EXPECT_EQ(bad_frees, 0);
	pt_destroy(&pt);
	EXPECT_EQ(outstanding, 0);
}

KTEST(mm_pagetable, entry_bits_follow_the_sdm)
{
	/* P=0 RW=1 US=2 PWT=3 PCD=4 PS=7 G=8 NX=63. */
	EXPECT_EQ(pt_leaf_bits(0, K4), 0x8000000000000001ull);
	EXPECT_EQ(pt_leaf_bits(PT_WRITE | PT_EXEC, K4), 0x3);
	EXPECT_EQ(pt_leaf_bits(PT_USER | PT_EXEC, K4), 0x5);
	EXPECT_EQ(pt_leaf_bits(PT_EXEC | PT_WC, K4), 0x9);
	EXPECT_EQ(pt_leaf_bits(PT_EXEC | PT_UC, K4), 0x19);
	EXPECT_EQ(pt_leaf_bits(PT_EXEC | PT_GLOBAL, M2), 0x181);
	EXPECT_EQ(pt_leaf_bits(PT_EXEC, G1), 0x81);
	/* Intermediate entries: present + writable, never NX; leaves in place. */
	ASSERT_TRUE(setup(true));
	ASSERT_EQ(pt_map(&pt, 0x40201000, 0x5000, K4, PT_GLOBAL), 0);
	const uint64_t *pml4 = (const uint64_t *)(uintptr_t)(pt.root + pt.phys_offset);
	uint64_t e = pml4[0];
	EXPECT_EQ(e & 0xfff, PTE_P | PTE_RW);
	EXPECT_EQ(e & PTE_NX, 0);
	const uint64_t *pdpt = (const uint64_t *)(uintptr_t)((e & PTE_ADDR_MASK) + pt.phys_offset);
	EXPECT_EQ(pdpt[1] & (0xfff | PTE_NX), PTE_P | PTE_RW);
	const uint64_t *pd = (const uint64_t *)(uintptr_t)((pdpt[1] & PTE_ADDR_MASK) +
							   pt.phys_offset);
	const uint64_t *ptab = (const uint64_t *)(uintptr_t)((pd[1] & PTE_ADDR_MASK) +
							     pt.phys_offset);
	EXPECT_EQ(ptab[1], 0x5000 | PTE_P | PTE_G | PTE_NX);
	EXPECT_EQ(ptab[0], 0); /* the mapper zeroed the 0xcc-filled frame */
	pt_destroy(&pt);
}

KTEST(mm_pagetable, split_moves_the_pat_bit)
{
	ASSERT_TRUE(setup(false));
	ASSERT_EQ(pt_map(&pt, 0x200000, 0x600000, M2, PT_WRITE | PT_WC), 0);
	/* Select PAT index 5 by hand: large pages keep the PAT bit at 12. */
	const uint64_t *pml4 = (const uint64_t *)(uintptr_t)(pt.root + pt.phys_offset);
	const uint64_t *pdpt = (const uint64_t *)(uintptr_t)((pml4[0] & PTE_ADDR_MASK) +
							     pt.phys_offset);
	uint64_t *pd = (uint64_t *)(uintptr_t)((pdpt[0] & PTE_ADDR_MASK) + pt.phys_offset);
	pd[1] |= PTE_PAT_LARGE;
	EXPECT_TRUE(maps_to(0x200000, 0x600000, M2, PT_WRITE)); /* not plain WC now */
	ASSERT_EQ(pt_unmap(&pt, 0x3ff000, K4), 0);
	const uint64_t *ptab = (const uint64_t *)(uintptr_t)((pd[1] & PTE_ADDR_MASK) +
							     pt.phys_offset);
	/* In a PTE, PAT is bit 7 and bit 12 is address. */
	EXPECT_EQ(ptab[0], 0x600000 | PTE_P | PTE_RW | PTE_PWT | PTE_PAT_4K | PTE_NX);
	EXPECT_EQ(ptab[1], 0x601000 | PTE_P | PTE_RW | PTE_PWT | PTE_PAT_4K | PTE_NX);
	EXPECT_EQ(ptab[511], 0);
	EXPECT_TRUE(maps_to(0x200000, 0x600000, K4, PT_WRITE));
	pt_destroy(&pt);
}

/* ---- 5-level paging (issue 16 item 3) --------------------------------------- */

static bool walk5(uint64_t va, uint64_t *pa)
{
	return sdm_walk5(pt.root, pt.phys_offset, va, pa, NULL);
}

static unsigned walked;
static void count_leaf(void *ctx, uintptr_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	uint64_t got;

	(void)ctx, (void)flags;
	if (walk5(va, &got) && got == pa && walk5(va + size - 1, &got) && got == pa + size - 1)
		walked++;
}

/*
 * With five levels the kernel's 48-bit layout maps where it did: the image
 * low, the direct map, heap and framebuffer high.  A CPU walk with LA57
 * (sdm_walk5, written from the SDM independently of the mapper) finds
 * every page the mapper placed, and nothing at the addresses that only
 * 57-bit paging makes canonical (a PML5 wrapped around a PML4 would alias
 * the high half there).
 */
KTEST(mm_pagetable, five_levels_map_the_kernel_layout)
{
	static const struct {
		uint64_t va, pa, size;
	} maps[] = {
		{ 0x5000000ull, 0x5000000ull, 5 * K4 },              /* the image */
		{ 0xffff800000000000ull, 0, 2 * G1 },                /* direct map */
		{ 0xffffc00000000000ull, 0x9000000ull, 3 * K4 },     /* heap */
		{ 0xffffe00000000000ull, 0x80000000ull, 2 * M2 },    /* framebuffer */
		{ 0xfffffffffffff000ull, 0x7000ull, K4 },            /* the last page */
	};
	uint64_t pa;

	ASSERT_TRUE(setup_levels(true, 5));
	for (unsigned i = 0; i < sizeof maps / sizeof maps[0]; i++)
		ASSERT_EQ(pt_map(&pt, maps[i].va, maps[i].pa, maps[i].size, PT_WRITE), 0);
	for (unsigned i = 0; i < sizeof maps / sizeof maps[0]; i++) {
		for (uint64_t off = 0; off < maps[i].size; off += maps[i].size / 4 + 4096) {
			ASSERT_TRUE(walk5(maps[i].va + off, &pa));
			EXPECT_EQ(pa, maps[i].pa + off);
			EXPECT_TRUE(maps_to(maps[i].va + off, maps[i].pa + off,
					    maps[i].size >= G1 ? G1 : maps[i].size >= M2 ? M2 : K4,
					    PT_WRITE));
		}
	}
	/* Canonical with 57 bits only: not mapped, not even as an alias. */
	EXPECT_FALSE(walk5(0x0000800000000000ull, &pa));
	EXPECT_FALSE(walk5(0xffff000000000000ull, &pa));
	EXPECT_FALSE(walk5(0x0080000000000000ull, &pa));
	EXPECT_FALSE(walk5(0xff80000000000000ull, &pa));
	/* The mapper takes 57-bit addresses now, and refuses non-canonical. */
	EXPECT_EQ(pt_map(&pt, 0x0080000000000000ull, 0, K4, 0), 0);
	EXPECT_TRUE(walk5(0x0080000000000000ull, &pa));
	EXPECT_EQ(pt_map(&pt, 0x0100000000000000ull, 0, K4, 0), PT_ERR_INVAL);
	walked = 0;
	pt_walk(&pt, count_leaf, NULL);
	EXPECT_EQ(walked, 5 + 2 + 3 + 2 + 1 + 1); /* 4 KiB, 1 GiB, 2 MiB leaves */
	ASSERT_EQ(pt_unmap(&pt, 0xffffc00000000000ull, 3 * K4), 0);
	EXPECT_FALSE(walk5(0xffffc00000000000ull, &pa));
	pt_destroy(&pt);
	EXPECT_EQ(outstanding, 0);
	EXPECT_EQ(bad_frees, 0);
}
