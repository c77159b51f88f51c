/*
 * Tests of mm/frame: building from awkward memory maps, counts against an
 * independent per-frame computation, alloc/free/contig/reclaim, error paths,
 * and moving the metadata's virtual address.
 *
 * Only the metadata is ever written, so the maps describe fake physical
 * memory: the first conventional range starts at META_PHYS, and phys_offset
 * makes a static buffer stand for it.  Every test checks the metadata landed
 * inside that buffer.
 */
#include "kernel/lib/meminfo.h"
#include "kernel/lib/string.h"
#include "mm/frame.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(mm_frame);

#define MIB 0x100000ull
#define GIB 0x40000000ull
#define META_PHYS MIB
#define META_BYTES 32768
#define MAX_DESCS 256
#define MAX_STRIDE 64

static uint8_t meta_a[META_BYTES] __attribute__((aligned(4096)));
static uint8_t meta_b[META_BYTES] __attribute__((aligned(4096)));
static uint64_t map_words[MAX_DESCS * MAX_STRIDE / 8];
static size_t ndescs;
static uint64_t stride;
static struct frame_allocator fa;
static struct frame_stats st;

static void map_reset(uint64_t desc_size)
{
	ndescs = 0;
	stride = desc_size;
}

static void map_add_attr(uint32_t type, uint64_t start, uint64_t pages, uint64_t attr);

static void map_add(uint32_t type, uint64_t start, uint64_t pages)
{
	map_add_attr(type, start, pages, 0xf); /* UC WC WT WB, like OVMF's RAM */
}

static void map_add_attr(uint32_t type, uint64_t start, uint64_t pages, uint64_t attr)
{
	struct boot_mem_desc *d = (struct boot_mem_desc *)((uint8_t *)map_words +
							   ndescs++ * stride);
	memset(d, 0x5a, stride); /* junk past the struct must be ignored */
	d->type = type;
	d->phys_start = start;
	d->num_pages = pages;
	d->virt_start = 0;
	d->attribute = attr;
}

static const struct boot_mem_desc *desc(size_t i)
{
	return meminfo_desc(map_words, stride, i);
}

static uintptr_t offset_for(uint8_t *buf)
{
	return (uintptr_t)buf - META_PHYS;
}

static int init_with(const struct boot_range *res, size_t nres)
{
	int r = frame_init(&fa, map_words, ndescs * stride, stride, res, nres,
			   offset_for(meta_a));
	frame_stats(&fa, &st);
	return r;
}

/* The metadata must sit inside meta_a, or the test wrote outside it. */
static bool meta_in_buffer(void)
{
	return st.metadata_base >= META_PHYS &&
	       st.metadata_base + st.metadata_bytes <= META_PHYS + META_BYTES;
}

/* ---- the independent computation ----------------------------------------- */

static bool usable(uint32_t t)
{
	return t == BOOT_MEM_CONVENTIONAL || (t >= BOOT_MEM_LOADER_CODE &&
					       t <= BOOT_MEM_BOOT_SERVICES_DATA);
}

static bool desc_end(const struct boot_mem_desc *d, uint64_t *end)
{
	return d->num_pages <= (UINT64_MAX >> 12) &&
	       !__builtin_add_overflow(d->phys_start, d->num_pages << 12, end);
}

static bool frame_hit(uint64_t f, uint64_t base, uint64_t size)
{
	return size && base < f + FRAME_SIZE && f < base + size;
}

/*
 * Whether frame @f should be free right after init plus reclaim of
 * @reclaimed (a type mask), decided frame by frame from the raw map: each
 * descriptor's type is what its attributes make it (no WB or SP: not RAM;
 * RUNTIME: the firmware's); the frame's owner is the covering usable
 * descriptor of the most restrictive type (loader > boot services >
 * conventional, then the higher type number); no other descriptor, reserved
 * range or the metadata may touch it.
 */
static uint32_t ref_type(const struct boot_mem_desc *d)
{
	if (!usable(d->type))
		return d->type;
	if (!(d->attribute & 0x8) || (d->attribute & 0x40000))
		return BOOT_MEM_RESERVED;
	return d->attribute >> 63 ? BOOT_MEM_RUNTIME_SERVICES_DATA : d->type;
}

static unsigned ref_rank(uint32_t t)
{
	unsigned r = t == BOOT_MEM_LOADER_CODE || t == BOOT_MEM_LOADER_DATA       ? 2
		     : t == BOOT_MEM_BOOT_SERVICES_CODE || t == BOOT_MEM_BOOT_SERVICES_DATA ? 1
											    : 0;
	return r * 100 + t;
}

static bool ref_free(uint64_t f, const struct boot_range *res, size_t nres,
		     uint32_t reclaimed)
{
	uint32_t owner = UINT32_MAX;
	uint64_t end;

	if (f < MIB || f >= (1ull << 46) || frame_hit(f, st.metadata_base, st.metadata_bytes))
		return false;
	for (size_t i = 0; i < nres; i++)
		if (frame_hit(f, res[i].base, res[i].size))
			return false;
	for (size_t i = 0; i < ndescs; i++) {
		const struct boot_mem_desc *d = desc(i);
		uint32_t t = ref_type(d);
		if (!desc_end(d, &end))
			continue;
		if (!usable(t) && frame_hit(f, d->phys_start, end - d->phys_start))
			return false;
		if (usable(t) && d->phys_start <= f && f + FRAME_SIZE <= end &&
		    (owner == UINT32_MAX || ref_rank(t) > ref_rank(owner)))
			owner = t;
	}
	return owner != UINT32_MAX && (reclaimed >> owner & 1);
}

static uint64_t ref_count(uint64_t limit, const struct boot_range *res, size_t nres,
			  uint32_t reclaimed)
{
	uint64_t n = 0;

	for (uint64_t f = 0; f < limit; f += FRAME_SIZE)
		n += ref_free(f, res, nres, reclaimed);
	return n;
}

/* Seen-bitmap for distinctness, over the first 64 MiB. */
static uint64_t seen[64 * MIB / FRAME_SIZE / 64];

static bool mark_seen(uint64_t pa)
{
	uint64_t f = pa / FRAME_SIZE;
	bool was = seen[f / 64] >> (f % 64) & 1;

	seen[f / 64] |= 1ull << (f % 64);
	return !was;
}

/*
 * Allocates until frame_alloc() returns 0, checking each frame is new and
 * one the reference calls free; returns how many it got.
 */
static uint64_t drain_checked(struct ktest *_kt, const struct boot_range *res, size_t nres,
			      uint32_t reclaimed)
{
	uint64_t n = 0, pa;

	memset(seen, 0, sizeof seen);
	while ((pa = frame_alloc(&fa)) != 0) {
		n++;
		if (pa >= 64 * MIB || !mark_seen(pa) || !ref_free(pa, res, nres, reclaimed)) {
			ktest_diag(_kt, "bad frame %#llx", (unsigned long long)pa);
			EXPECT_TRUE(false);
			break;
		}
	}
	return n;
}

#define CONV (1u << BOOT_MEM_CONVENTIONAL)
#define ALL_USABLE (CONV | 1u << BOOT_MEM_LOADER_CODE | 1u << BOOT_MEM_LOADER_DATA | \
		    1u << BOOT_MEM_BOOT_SERVICES_CODE | 1u << BOOT_MEM_BOOT_SERVICES_DATA)

/* ---- building ------------------------------------------------------------ */

KTEST(mm_frame, simple_map_counts_and_types)
{
	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, 0, 0xa0);              /* below 1 MiB: never */
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x700);           /* 1..8 MiB */
	map_add(BOOT_MEM_BOOT_SERVICES_DATA, 8 * MIB, 0x100);
	map_add(BOOT_MEM_ACPI_NVS, 9 * MIB, 0x10);
	map_add(BOOT_MEM_LOADER_CODE, 10 * MIB, 0x20);
	map_add(BOOT_MEM_RUNTIME_SERVICES_DATA, 12 * MIB, 0x100);
	ASSERT_EQ(init_with(NULL, 0), 0);
	ASSERT_TRUE(meta_in_buffer());
	EXPECT_EQ(st.total_bytes, (0x700ull + 0x100 + 0x20) * FRAME_SIZE);
	EXPECT_EQ(st.bytes_by_type[BOOT_MEM_CONVENTIONAL], 0x700ull * FRAME_SIZE);
	EXPECT_EQ(st.bytes_by_type[BOOT_MEM_BOOT_SERVICES_DATA], 0x100ull * FRAME_SIZE);
	EXPECT_EQ(st.bytes_by_type[BOOT_MEM_LOADER_CODE], 0x20ull * FRAME_SIZE);
	EXPECT_EQ(st.free_bytes, 0x700ull * FRAME_SIZE - st.metadata_bytes);
	EXPECT_EQ(st.free_by_type[BOOT_MEM_CONVENTIONAL], st.free_bytes);
	EXPECT_EQ(st.used_bytes, 0);
	EXPECT_EQ(st.reserved_bytes, st.total_bytes - st.free_bytes);
	EXPECT_EQ(st.metadata_base, META_PHYS);
	EXPECT_EQ(frame_highest_address(&fa), 13 * MIB); /* runtime data counts as RAM */
	EXPECT_EQ(st.free_bytes / FRAME_SIZE, ref_count(16 * MIB, NULL, 0, CONV));
}

KTEST(mm_frame, hundreds_of_unsorted_descriptors_match_reference)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull, at = MIB + 64 * 1024;
	static const uint32_t types[] = {
		BOOT_MEM_CONVENTIONAL, BOOT_MEM_CONVENTIONAL, BOOT_MEM_BOOT_SERVICES_DATA,
		BOOT_MEM_BOOT_SERVICES_CODE, BOOT_MEM_LOADER_DATA, BOOT_MEM_ACPI_RECLAIM,
		BOOT_MEM_RESERVED, BOOT_MEM_MMIO, 0x80000003u, BOOT_MEM_RUNTIME_SERVICES_CODE,
	};

	map_reset(64);
	map_add(BOOT_MEM_CONVENTIONAL, META_PHYS, 16); /* the metadata's home */
	for (int i = 0; i < 200; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		uint64_t pages = 1 + rng % 40, gap = (rng >> 8) % 3 * FRAME_SIZE;
		map_add(types[(rng >> 16) % 10], at + gap, pages);
		at += gap + pages * FRAME_SIZE;
	}
	/* Shuffle: firmware does not promise an order. */
	for (size_t i = ndescs - 1; i > 1; i--) {
		uint8_t tmp[MAX_STRIDE];
		size_t j = 1 + (size_t)((rng = rng * 6364136223846793005ull + 1) >> 33) % i;
		memcpy(tmp, (uint8_t *)map_words + i * stride, stride);
		memcpy((uint8_t *)map_words + i * stride, (uint8_t *)map_words + j * stride,
		       stride);
		memcpy((uint8_t *)map_words + j * stride, tmp, stride);
	}
	ASSERT_LT(at, 64 * MIB);
	ASSERT_EQ(init_with(NULL, 0), 0);
	ASSERT_TRUE(meta_in_buffer());
	uint64_t expect = ref_count(at, NULL, 0, CONV);
	EXPECT_GT(expect, 100);
	EXPECT_EQ(st.free_bytes / FRAME_SIZE, expect);
	EXPECT_EQ(drain_checked(_kt, NULL, 0, CONV), expect);
	/* Reclaim every type and drain again: the rest, and nothing twice. */
	for (uint32_t t = BOOT_MEM_LOADER_CODE; t <= BOOT_MEM_BOOT_SERVICES_DATA; t++)
		EXPECT_EQ(frame_reclaim(&fa, t), 0);
	frame_stats(&fa, &st);
	uint64_t all = ref_count(at, NULL, 0, ALL_USABLE);
	EXPECT_EQ(st.free_bytes / FRAME_SIZE, all - expect);
	uint64_t n = 0, pa;
	while ((pa = frame_alloc(&fa)) != 0) {
		n++;
		EXPECT_TRUE(mark_seen(pa)); /* seen[] still holds the first drain */
		EXPECT_TRUE(ref_free(pa, NULL, 0, ALL_USABLE));
	}
	EXPECT_EQ(n, all - expect);
}

KTEST(mm_frame, low_memory_and_reserved_ranges_never_handed_out)
{
	static const struct boot_range res[] = {
		{ 3 * MIB + 100, 5000 },   /* unaligned: covers 2 frames */
		{ 6 * MIB, 2 * MIB },      /* "kernel image" */
		{ 10 * MIB - 1, 2 },       /* straddles a frame boundary */
		{ 12 * MIB, 0 },           /* empty */
	};

	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, 0, 16 * MIB / FRAME_SIZE);
	ASSERT_EQ(init_with(res, 4), 0);
	ASSERT_TRUE(meta_in_buffer());
	uint64_t expect = ref_count(16 * MIB, res, 4, CONV);
	EXPECT_EQ(expect, 15 * MIB / FRAME_SIZE - 2 - 512 - 2 - st.metadata_bytes / FRAME_SIZE);
	EXPECT_EQ(st.free_bytes / FRAME_SIZE, expect);
	EXPECT_EQ(drain_checked(_kt, res, 4, CONV), expect);
	EXPECT_EQ(frame_alloc(&fa), 0); /* exhausted stays exhausted */
	frame_stats(&fa, &st);
	EXPECT_EQ(st.alloc_failures, 2);
	EXPECT_EQ(st.free_bytes, 0);
}

KTEST(mm_frame, memory_above_4g_and_a_hole)
{
	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x100);
	map_add(BOOT_MEM_MMIO, 0xfec00000, 1);
	map_add(BOOT_MEM_CONVENTIONAL, 4 * GIB, 0x4000); /* 64 MiB above 4 GiB */
	map_add(BOOT_MEM_RESERVED, 0xfd00000000ull, 0x300000); /* QEMU's high hole */
	ASSERT_EQ(init_with(NULL, 0), 0);
	ASSERT_TRUE(meta_in_buffer());
	EXPECT_EQ(st.total_bytes, (0x100ull + 0x4000) * FRAME_SIZE);
	EXPECT_EQ(frame_highest_address(&fa), 4 * GIB + 64 * MIB);
	EXPECT_GE(st.levels, 3); /* 16640 frames: 260 words, 5, 1 */
	uint64_t low = 0, high = 0, pa, last = 0;
	bool ascending = true;
	while ((pa = frame_alloc(&fa)) != 0) {
		ascending &= pa > last;
		last = pa;
		if (pa >= 4 * GIB && pa < 4 * GIB + 64 * MIB)
			high++;
		else if (pa >= MIB && pa < 2 * MIB)
			low++;
		else
			EXPECT_TRUE(false);
	}
	EXPECT_TRUE(ascending); /* the tree hands out the lowest free frame */
	EXPECT_EQ(high, 0x4000);
	EXPECT_EQ(low, 0x100 - st.metadata_bytes / FRAME_SIZE);
}

KTEST(mm_frame, unaligned_and_overlapping_descriptors)
{
	map_reset(64);
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x100);               /* 1..2 MiB */
	map_add(BOOT_MEM_CONVENTIONAL, 2 * MIB + 0x800, 4);       /* rounds to 3 frames */
	map_add(BOOT_MEM_CONVENTIONAL, 3 * MIB, 0x100);           /* 3..4 MiB, and: */
	map_add(BOOT_MEM_ACPI_RECLAIM, 3 * MIB + 0x10000, 2);     /* wins inside it */
	map_add(BOOT_MEM_CONVENTIONAL, 3 * MIB + 0x80000, 0x100); /* overlaps, extends */
	map_add(BOOT_MEM_CONVENTIONAL, 3 * MIB, 0x100);           /* exact duplicate */
	map_add(BOOT_MEM_BOOT_SERVICES_DATA, 5 * MIB, 0x40);
	map_add(BOOT_MEM_CONVENTIONAL, 5 * MIB + 0x20000, 0x40);  /* BS starts lower: BS */
	ASSERT_EQ(init_with(NULL, 0), 0);
	ASSERT_TRUE(meta_in_buffer());
	uint64_t expect = ref_count(8 * MIB, NULL, 0, CONV);
	EXPECT_EQ(expect, 0x100 + 3 + 0x180 - 2 + 0x20 - st.metadata_bytes / FRAME_SIZE);
	EXPECT_EQ(st.free_bytes / FRAME_SIZE, expect);
	EXPECT_EQ(st.total_bytes, (0x100ull + 3 + 0x180 + 0x60) * FRAME_SIZE);
	EXPECT_EQ(drain_checked(_kt, NULL, 0, CONV), expect);
}

KTEST(mm_frame, overflowing_and_bad_maps)
{
	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x100);
	map_add(BOOT_MEM_CONVENTIONAL, 8 * MIB, UINT64_MAX / 4096 + 1); /* size overflows */
	map_add(BOOT_MEM_CONVENTIONAL, UINT64_MAX - 0xfff, 2);          /* end overflows */
	map_add(BOOT_MEM_CONVENTIONAL, 1ull << 53, 0x100);              /* above 2^52 */
	map_add(BOOT_MEM_RESERVED, 16 * MIB, UINT64_MAX / 8192);        /* huge, valid */
	map_add(BOOT_MEM_RUNTIME_SERVICES_DATA, 1ull << 53, 1);         /* RAM, but bogus */
	ASSERT_EQ(init_with(NULL, 0), 0);
	ASSERT_TRUE(meta_in_buffer());
	EXPECT_EQ(st.bad_descriptors, 2);
	EXPECT_EQ(st.total_bytes, 0x100ull * FRAME_SIZE);
	EXPECT_EQ(frame_highest_address(&fa), 2 * MIB);

	EXPECT_EQ(frame_init(&fa, map_words, 5 * 48, 32, NULL, 0, 0), FRAME_ERR_DESC_SIZE);
	EXPECT_EQ(frame_init(&fa, map_words, 5 * 48, 52, NULL, 0, 0), FRAME_ERR_DESC_SIZE);
	EXPECT_EQ(frame_init(&fa, map_words, 0, 48, NULL, 0, 0), FRAME_ERR_NO_MEMORY);
	EXPECT_EQ(frame_alloc(&fa), 0); /* a failed init leaves an empty allocator */
	map_reset(48);
	map_add(BOOT_MEM_BOOT_SERVICES_DATA, MIB, 0x100); /* nowhere for metadata */
	EXPECT_EQ(init_with(NULL, 0), FRAME_ERR_NO_MEMORY);
}

/* ---- allocating ---------------------------------------------------------- */

static void small_map(void)
{
	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x400); /* 1..5 MiB */
	map_add(BOOT_MEM_BOOT_SERVICES_CODE, 5 * MIB, 0x100);
	map_add(BOOT_MEM_CONVENTIONAL, 8 * MIB, 0x200);
}

static unsigned hook_calls;
static enum frame_error hook_err;
static uint64_t hook_pa;

static void hook(void *ctx, enum frame_error err, uint64_t pa)
{
	(void)ctx;
	hook_calls++;
	hook_err = err;
	hook_pa = pa;
}

KTEST(mm_frame, alloc_free_round_trip)
{
	static uint64_t got[300];

	small_map();
	ASSERT_EQ(init_with(NULL, 0), 0);
	uint64_t free0 = st.free_bytes;
	for (int i = 0; i < 300; i++) {
		got[i] = frame_alloc(&fa);
		ASSERT_NE(got[i], 0);
		EXPECT_EQ(got[i] % FRAME_SIZE, 0);
		EXPECT_TRUE(frame_is_used(&fa, got[i]));
	}
	frame_stats(&fa, &st);
	EXPECT_EQ(st.used_bytes, 300 * FRAME_SIZE);
	EXPECT_EQ(st.free_bytes, free0 - 300 * FRAME_SIZE);
	for (int i = 0; i < 300; i += 2) /* free every other, then the rest */
		EXPECT_EQ(frame_free(&fa, got[i]), 0);
	for (int i = 0; i < 300; i++)
		EXPECT_EQ(frame_is_used(&fa, got[i]), i % 2);
	for (int i = 1; i < 300; i += 2)
		EXPECT_EQ(frame_free(&fa, got[i]), 0);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.free_bytes, free0);
	EXPECT_EQ(st.used_bytes, 0);
	EXPECT_EQ(st.allocs, 300);
	EXPECT_EQ(st.frees, 300);
	EXPECT_EQ(frame_alloc(&fa), got[0]); /* lowest free frame again */
}

KTEST(mm_frame, double_and_foreign_frees_are_refused)
{
	static const struct boot_range res[] = { { 2 * MIB, 0x10000 } };

	small_map();
	ASSERT_EQ(init_with(res, 1), 0);
	frame_set_error_hook(&fa, hook, NULL);
	hook_calls = 0;
	uint64_t pa = frame_alloc(&fa);
	ASSERT_NE(pa, 0);
	EXPECT_EQ(frame_free(&fa, pa), 0);
	frame_stats(&fa, &st);
	uint64_t free0 = st.free_bytes;
	EXPECT_EQ(frame_free(&fa, pa), FRAME_ERR_DOUBLE_FREE);
	EXPECT_EQ(hook_calls, 1);
	EXPECT_EQ(hook_err, FRAME_ERR_DOUBLE_FREE);
	EXPECT_EQ(hook_pa, pa);
	EXPECT_EQ(frame_free(&fa, 0x5000), FRAME_ERR_FOREIGN);       /* below every region */
	EXPECT_EQ(frame_free(&fa, 7 * MIB), FRAME_ERR_FOREIGN);      /* in a gap */
	EXPECT_EQ(frame_free(&fa, 2 * MIB), FRAME_ERR_FOREIGN);      /* reserved range */
	EXPECT_EQ(frame_free(&fa, 5 * MIB), FRAME_ERR_FOREIGN);      /* not reclaimed */
	EXPECT_EQ(frame_free(&fa, META_PHYS), FRAME_ERR_FOREIGN);    /* metadata */
	EXPECT_EQ(frame_free(&fa, 1ull << 60), FRAME_ERR_FOREIGN);
	EXPECT_EQ(frame_free(&fa, pa + 8), FRAME_ERR_MISALIGNED);
	EXPECT_EQ(hook_calls, 8);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.double_frees, 1);
	EXPECT_EQ(st.foreign_frees, 7);
	EXPECT_EQ(st.free_bytes, free0); /* nothing changed */
	EXPECT_EQ(st.frees, 1);
}

KTEST(mm_frame, contiguous_with_alignment)
{
	small_map();
	ASSERT_EQ(init_with(NULL, 0), 0);
	uint64_t one = frame_alloc(&fa); /* break the alignment of the start */
	uint64_t pa = frame_alloc_contig(&fa, 16, 16);
	ASSERT_NE(pa, 0);
	EXPECT_EQ(pa % (16 * FRAME_SIZE), 0);
	for (int i = 0; i < 16; i++)
		EXPECT_TRUE(frame_is_used(&fa, pa + i * FRAME_SIZE));
	uint64_t big = frame_alloc_contig(&fa, 512, 512); /* a 2 MiB-aligned 2 MiB */
	EXPECT_EQ(big % (2 * MIB), 0);
	EXPECT_NE(big, 0);
	EXPECT_EQ(frame_alloc_contig(&fa, 0x300, 1), 0);  /* longer than any free run */
	EXPECT_EQ(frame_alloc_contig(&fa, 4, 3), 0);      /* alignment not a power of 2 */
	EXPECT_EQ(frame_alloc_contig(&fa, 0, 1), 0);
	EXPECT_EQ(frame_free_contig(&fa, pa, 16), 0);
	EXPECT_EQ(frame_free_contig(&fa, big, 512), 0);
	EXPECT_EQ(frame_free(&fa, one), 0);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.used_bytes, 0);
	EXPECT_EQ(st.contig_allocs, 2);
	EXPECT_EQ(st.alloc_failures, 3);
	EXPECT_EQ(frame_free_contig(&fa, pa, 2), FRAME_ERR_DOUBLE_FREE);
}

KTEST(mm_frame, contiguous_finds_the_only_aligned_hole)
{
	static uint64_t all[0x600];
	uint64_t n = 0, pa;

	small_map();
	ASSERT_EQ(init_with(NULL, 0), 0);
	while ((pa = frame_alloc(&fa)) != 0 && n < 0x600)
		all[n++] = pa;
	ASSERT_EQ(frame_alloc(&fa), 0);
	/* Keep frame 3 of each aligned group of 8 (free runs of 7: frames 4..10),
	 * except in one place at 8 MiB, where a run of 15 comes free. */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn = all[i] / FRAME_SIZE;
		bool keep = pfn % 8 == 3 && pfn != 0x813;
		if (!keep)
			EXPECT_EQ(frame_free(&fa, all[i]), 0);
	}
	EXPECT_EQ(frame_alloc_contig(&fa, 9, 1), 0x80cull * FRAME_SIZE);
	EXPECT_EQ(frame_alloc_contig(&fa, 8, 1), 0);   /* runs of 7 and one of 6 left */
	EXPECT_EQ(frame_alloc_contig(&fa, 7, 1), 0x104ull * FRAME_SIZE); /* 0x100: metadata */
	EXPECT_EQ(frame_alloc_contig(&fa, 4, 8), 0);   /* x0..x2 free, x3 kept */
	EXPECT_EQ(frame_alloc_contig(&fa, 3, 8), 0x110ull * FRAME_SIZE); /* 0x108 taken */
}

KTEST(mm_frame, reclaim_skips_reserved_and_runs_once)
{
	static const struct boot_range res[] = { { 5 * MIB + 0x8000, 0x3000 } };

	small_map();
	ASSERT_EQ(init_with(res, 1), 0);
	EXPECT_EQ(st.free_by_type[BOOT_MEM_BOOT_SERVICES_CODE], 0);
	uint64_t conv = 0;
	while (frame_alloc(&fa)) /* so what follows must come from the BS region */
		conv++;
	EXPECT_EQ(conv * FRAME_SIZE, st.free_bytes);
	frame_stats(&fa, &st);
	uint64_t free0 = st.free_bytes;
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_CONVENTIONAL), FRAME_ERR_BAD_TYPE);
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_ACPI_RECLAIM), FRAME_ERR_BAD_TYPE);
	EXPECT_EQ(frame_reclaim(&fa, 99), FRAME_ERR_BAD_TYPE);
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_BOOT_SERVICES_CODE), 0);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.free_bytes - free0, (0x100ull - 3) * FRAME_SIZE);
	EXPECT_EQ(st.reclaimed_bytes, (0x100ull - 3) * FRAME_SIZE);
	EXPECT_EQ(st.free_by_type[BOOT_MEM_BOOT_SERVICES_CODE], (0x100ull - 3) * FRAME_SIZE);
	uint64_t pa = frame_alloc_contig(&fa, 0x80, 1); /* comes from the BS region */
	EXPECT_EQ(pa, 5 * MIB + 0xb000);
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_BOOT_SERVICES_CODE), 0); /* no-op */
	EXPECT_TRUE(frame_is_used(&fa, pa));
	EXPECT_EQ(frame_free(&fa, 5 * MIB + 0x8000), FRAME_ERR_FOREIGN);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.reclaimed_bytes, (0x100ull - 3) * FRAME_SIZE);
	EXPECT_EQ(st.used_bytes, (conv + 0x80) * FRAME_SIZE);
}

KTEST(mm_frame, moving_the_phys_offset)
{
	static uint64_t got[64];

	small_map();
	ASSERT_EQ(init_with(NULL, 0), 0);
	ASSERT_TRUE(meta_in_buffer());
	for (int i = 0; i < 64; i++)
		got[i] = frame_alloc(&fa);
	/* As if the direct map moved physical memory to another address. */
	memcpy(meta_b, meta_a, META_BYTES);
	memset(meta_a, 0xff, META_BYTES);
	frame_set_phys_offset(&fa, offset_for(meta_b));
	for (int i = 0; i < 64; i++)
		EXPECT_TRUE(frame_is_used(&fa, got[i]));
	EXPECT_EQ(frame_free(&fa, got[5]), 0);
	EXPECT_EQ(frame_alloc(&fa), got[5]);
	EXPECT_EQ(frame_free(&fa, got[5]), 0);
	EXPECT_EQ(frame_free(&fa, got[5]), FRAME_ERR_DOUBLE_FREE);
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_BOOT_SERVICES_CODE), 0);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.used_bytes, 63 * FRAME_SIZE);
	EXPECT_EQ(st.free_by_type[BOOT_MEM_BOOT_SERVICES_CODE], 0x100 * FRAME_SIZE);
	/* Nothing was written to the old copy. */
	bool untouched = true;
	for (size_t i = 0; i < META_BYTES; i++)
		untouched &= meta_a[i] == 0xff;
	EXPECT_TRUE(untouched);
}

/* ---- what the map says, read strictly (issue 16) ---------------------------- */

#define EFI_WB 0x8ull
#define EFI_SP 0x40000ull
#define EFI_RUNTIME (1ull << 63)

static bool frame_free_now(uint64_t pa)
{
	uint64_t got, n = 0;
	bool found = false;
	static uint64_t taken[4096];

	while (n < 4096 && (got = frame_alloc(&fa)) != 0) {
		found |= got == pa;
		taken[n++] = got;
	}
	while (n)
		frame_free(&fa, taken[--n]);
	return found;
}

/*
 * Item 4: where a usable descriptor overlaps a more restrictive one, the
 * restrictive type wins: loader data over boot-services data over
 * conventional memory.  Before, the lower-based descriptor won, and frames
 * of loader data (the boot info, the memory map) were handed out before the
 * kernel reclaimed them.
 */
KTEST(mm_frame, overlap_the_more_restrictive_type_wins)
{
	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x300);               /* 1..4 MiB */
	map_add(BOOT_MEM_LOADER_DATA, 2 * MIB, 0x80);             /* inside it */
	map_add(BOOT_MEM_BOOT_SERVICES_DATA, 3 * MIB, 0x200);     /* from 3 MiB past 4 */
	map_add(BOOT_MEM_LOADER_DATA, 4 * MIB + 0x40000, 0x10);   /* inside the BS data */
	ASSERT_EQ(init_with(NULL, 0), 0);
	ASSERT_TRUE(meta_in_buffer());
	EXPECT_EQ(st.bytes_by_type[BOOT_MEM_LOADER_DATA], 0x90ull * FRAME_SIZE);
	EXPECT_EQ(st.bytes_by_type[BOOT_MEM_BOOT_SERVICES_DATA], (0x200ull - 0x10) * FRAME_SIZE);
	EXPECT_EQ(st.bytes_by_type[BOOT_MEM_CONVENTIONAL], (0x200ull - 0x80) * FRAME_SIZE);
	EXPECT_EQ(st.free_bytes / FRAME_SIZE, ref_count(8 * MIB, NULL, 0, CONV));
	EXPECT_FALSE(frame_free_now(2 * MIB));
	EXPECT_FALSE(frame_free_now(3 * MIB));
	EXPECT_EQ(drain_checked(_kt, NULL, 0, CONV), st.free_bytes / FRAME_SIZE);
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_BOOT_SERVICES_DATA), 0);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.free_bytes, (0x200ull - 0x10) * FRAME_SIZE);
	EXPECT_FALSE(frame_free_now(4 * MIB + 0x40000));
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_LOADER_DATA), 0);
	EXPECT_TRUE(frame_free_now(4 * MIB + 0x40000));
	EXPECT_TRUE(frame_free_now(2 * MIB));
}

/*
 * Item 5: the direct map ends at 64 TiB (mm/layout.h); a frame above it has
 * no virtual address the kernel can reach it by (its would-be direct-map
 * address is in the heap's range), so it must not be handed out.
 */
KTEST(mm_frame, frames_above_the_direct_map_are_not_managed)
{
	const uint64_t top = 1ull << 46;

	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x100);
	map_add(BOOT_MEM_CONVENTIONAL, top - MIB, 0x200); /* straddles 64 TiB */
	map_add(BOOT_MEM_CONVENTIONAL, top + GIB, 0x100); /* wholly above */
	ASSERT_EQ(init_with(NULL, 0), 0);
	EXPECT_EQ(st.total_bytes, 0x200ull * FRAME_SIZE);
	EXPECT_EQ(frame_highest_address(&fa), top);
	uint64_t pa, highest = 0;
	while ((pa = frame_alloc(&fa)) != 0)
		highest = pa > highest ? pa : highest;
	EXPECT_EQ(highest, top - FRAME_SIZE);
}

/*
 * Item 12: conventional memory marked specific-purpose (EFI_MEMORY_SP) or
 * without write-back (no EFI_MEMORY_WB) is not ordinary RAM; boot-services
 * memory marked EFI_MEMORY_RUNTIME is still the firmware's after exit (the
 * kernel calls ResetSystem), so it is never reclaimed.
 */
KTEST(mm_frame, attributes_decide_what_is_ram)
{
	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x100);
	map_add_attr(BOOT_MEM_CONVENTIONAL, 2 * MIB, 0x100, EFI_WB | EFI_SP);
	map_add_attr(BOOT_MEM_CONVENTIONAL, 3 * MIB, 0x100, 0x1 /* UC only */);
	map_add_attr(BOOT_MEM_BOOT_SERVICES_DATA, 4 * MIB, 0x100, EFI_WB | EFI_RUNTIME);
	map_add_attr(BOOT_MEM_BOOT_SERVICES_CODE, 5 * MIB, 0x100, EFI_WB);
	ASSERT_EQ(init_with(NULL, 0), 0);
	ASSERT_TRUE(meta_in_buffer());
	EXPECT_EQ(st.bytes_by_type[BOOT_MEM_CONVENTIONAL], 0x100ull * FRAME_SIZE);
	EXPECT_EQ(st.free_bytes, 0x100ull * FRAME_SIZE - st.metadata_bytes);
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_BOOT_SERVICES_DATA), 0);
	EXPECT_EQ(frame_reclaim(&fa, BOOT_MEM_BOOT_SERVICES_CODE), 0);
	frame_stats(&fa, &st);
	EXPECT_EQ(st.reclaimed_bytes, 0x100ull * FRAME_SIZE); /* the code only */
	uint64_t pa;
	while ((pa = frame_alloc(&fa)) != 0)
		EXPECT_TRUE(pa < 2 * MIB || (pa >= 5 * MIB && pa < 6 * MIB));
	/* The runtime-marked region is still RAM for the direct map. */
	EXPECT_EQ(frame_highest_address(&fa), 6 * MIB);
}

/* Item 13: an empty descriptor far up is no RAM: the direct map must not
 * grow to reach it. */
KTEST(mm_frame, zero_length_descriptor_adds_no_ram)
{
	map_reset(48);
	map_add(BOOT_MEM_CONVENTIONAL, MIB, 0x100);
	map_add(BOOT_MEM_CONVENTIONAL, 100 * GIB, 0);
	map_add(BOOT_MEM_ACPI_NVS, 200 * GIB, 0);
	ASSERT_EQ(init_with(NULL, 0), 0);
	EXPECT_EQ(frame_highest_address(&fa), 2 * MIB);
}
