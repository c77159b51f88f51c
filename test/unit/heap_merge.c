/*
 * The list design merges adjacent free blocks, whatever order they are freed
 * in; the block design serves small sizes from class free lists.  Also the
 * design-name API.  Uses the fixture in heap_series.c.
 */
#include "mm/heap.h"
#include "test/ktest/ktest.h"

struct heap *heap_fixture(enum heap_design d, size_t initial, size_t limit, bool grow);
struct heap *heap_fixture_default(enum heap_design d);

/* Four 256-byte blocks (272 with their headers) fill the heap exactly. */
#define BLOCK 272u
#define PAYLOAD 256u

static void merge_in_order(struct ktest *_kt, const unsigned order[3])
{
	struct heap *h = heap_fixture(HEAP_LIST, 4 * BLOCK, 4 * BLOCK, false);
	struct heap_stats s;
	void *b[4];

	ASSERT_NOT_NULL(h);
	for (unsigned i = 0; i < 4; i++) {
		b[i] = heap_alloc(h, PAYLOAD, 0);
		ASSERT_NOT_NULL(b[i]);
	}
	heap_stats(h, &s);
	EXPECT_EQ(s.free, 0);
	EXPECT_EQ(s.largest_free, 0);
	for (unsigned i = 0; i < 3; i++) {
		heap_free(h, b[order[i]]);
		heap_stats(h, &s);
		EXPECT_EQ(s.free, (i + 1) * BLOCK);
	}
	/* One free block of three: the walk in heap_check also proves that no
	 * two free blocks are left side by side. */
	EXPECT_EQ(s.largest_free, 3 * BLOCK - 16);
	EXPECT_TRUE(heap_check(h));
	EXPECT_EQ((uintptr_t)heap_alloc(h, 3 * BLOCK - 16, 0), (uintptr_t)b[0]);
	EXPECT_EQ(h->errors, 0);
}

KTEST_SUITE(heap_merge);

KTEST(heap_merge, free_forwards) { merge_in_order(_kt, (const unsigned[]){ 0, 1, 2 }); }
KTEST(heap_merge, free_backwards) { merge_in_order(_kt, (const unsigned[]){ 2, 1, 0 }); }
KTEST(heap_merge, free_middle_last) { merge_in_order(_kt, (const unsigned[]){ 0, 2, 1 }); }
KTEST(heap_merge, free_middle_first) { merge_in_order(_kt, (const unsigned[]){ 1, 0, 2 }); }
KTEST(heap_merge, free_ends_first) { merge_in_order(_kt, (const unsigned[]){ 2, 0, 1 }); }

KTEST(heap_merge, split_leaves_the_rest_free)
{
	struct heap *h = heap_fixture(HEAP_LIST, 64 * 1024, 64 * 1024, false);
	struct heap_stats s;
	void *p;

	ASSERT_NOT_NULL(h);
	p = heap_alloc(h, 1000, 0);
	ASSERT_NOT_NULL(p);
	heap_stats(h, &s);
	EXPECT_EQ(s.used, 1008 + 16);
	EXPECT_EQ(s.free, 64 * 1024 - 1024);
	EXPECT_EQ(s.largest_free, 64 * 1024 - 1024 - 16);
	heap_free(h, p);
	heap_stats(h, &s);
	EXPECT_EQ(s.largest_free, 64 * 1024 - 16);
}

KTEST(heap_merge, block_reuses_freed_object)
{
	struct heap *h = heap_fixture(HEAP_BLOCK, 256 * 1024, 256 * 1024, false);
	void *a, *b;

	ASSERT_NOT_NULL(h);
	a = heap_alloc(h, 40, 0);
	heap_free(h, a);
	b = heap_alloc(h, 48, 0); /* same class (48) */
	EXPECT_EQ((uintptr_t)a, (uintptr_t)b);
	EXPECT_EQ(heap_usable_size(h, b), 48);
	EXPECT_EQ((uintptr_t)heap_alloc(h, 4096, 4096) & 4095, 0);
	EXPECT_GE(heap_usable_size(h, heap_alloc(h, 5000, 0)), 5000); /* list */
	EXPECT_TRUE(heap_check(h));
}

/* Issue 10: a 40-48 byte object costs 48 bytes, not 64.  Every size up to
 * 4096 gets the smallest class that holds it, and every alignment the
 * smallest class that also honours it. */
KTEST(heap_merge, block_size_classes_between_powers_of_two)
{
	static const size_t classes[] = { 16,  32,  48,   64,   96,   128,  192,  256,
					  384, 512, 768, 1024, 1536, 2048, 3072, 4096 };
	struct heap *h = heap_fixture(HEAP_BLOCK, 1024 * 1024, 1024 * 1024, false);

	ASSERT_NOT_NULL(h);
	for (size_t n = 1, c = 0; n <= 4096; n++) {
		void *p = heap_alloc(h, n, 0);
		while (classes[c] < n)
			c++;
		ASSERT_NOT_NULL(p);
		EXPECT_EQ(heap_usable_size(h, p), classes[c]);
		heap_free(h, p);
	}
	for (size_t align = 16; align <= 4096; align *= 2) {
		for (size_t c = 0; c < 16; c++) {
			char *p = heap_alloc(h, classes[c], align);
			size_t want = classes[c] > align ? classes[c] : align, got;
			ASSERT_NOT_NULL(p);
			EXPECT_EQ((uintptr_t)p & (align - 1), 0);
			got = heap_usable_size(h, p);
			EXPECT_GE(got, want);
			EXPECT_LE(got, 2 * want);
			heap_free(h, p);
		}
	}
	EXPECT_EQ(h->errors, 0);
	EXPECT_TRUE(heap_check(h));
}

KTEST_SUITE(heap_api);

KTEST(heap_api, design_names_round_trip)
{
	enum heap_design d = HEAP_DESIGN_COUNT;

	for (unsigned i = 0; i < HEAP_DESIGN_COUNT; i++) {
		EXPECT_EQ(heap_design_parse(heap_design_name((enum heap_design)i), &d), 0);
		EXPECT_EQ(d, i);
	}
	EXPECT_STREQ(heap_design_name(HEAP_BLOCK), "block");
	EXPECT_EQ(heap_design_parse("slab", &d), -1);
	EXPECT_EQ(heap_design_parse("", &d), -1);
	EXPECT_EQ(heap_design_parse(NULL, &d), -1);
}

KTEST(heap_api, init_rejects_bad_ranges)
{
	struct heap h;
	static uint64_t buf[64];

	EXPECT_EQ(heap_init(&h, HEAP_LIST, NULL, 0, 64, NULL, NULL, 0), -1);
	EXPECT_EQ(heap_init(&h, HEAP_LIST, (char *)buf + 8, 64, 64, NULL, NULL, 0), -1);
	EXPECT_EQ(heap_init(&h, HEAP_LIST, buf, 128, 64, NULL, NULL, 0), -1);
	EXPECT_EQ(heap_init(&h, HEAP_DESIGN_COUNT, buf, 64, 64, NULL, NULL, 0), -1);
	/* The block design's chunk map must fit in the first bytes. */
	EXPECT_EQ(heap_init(&h, HEAP_BLOCK, buf, 64, (size_t)1 << 40, NULL, NULL, 0), -1);
	EXPECT_EQ(heap_init(&h, HEAP_LIST, buf, sizeof(buf), sizeof(buf), NULL, NULL, 0), 0);
	EXPECT_NOT_NULL(heap_alloc(&h, 100, 0));
	EXPECT_NULL(heap_alloc(&h, 1000, 0)); /* cannot grow */
}
