/*
 * Heap contract tests for every design: alignment, statistics, growth, out of
 * memory, and the debug-mode detection of bad frees; plus list merging and
 * the design-name API.  Uses the fixture in heap_series.c.
 */
#include "mm/heap.h"
#include "test/ktest/ktest.h"

#include "kernel/lib/string.h"

/* heap_series.c */
struct heap *heap_fixture(enum heap_design d, size_t initial, size_t limit, bool grow);
struct heap *heap_fixture_default(enum heap_design d);
void heap_fixture_fail_grow(bool fail);
unsigned heap_fixture_grow_calls(void);
unsigned heap_fixture_log_lines(void);
const char *heap_fixture_last_log(void);
unsigned heap_fixture_errors(enum heap_error e);
size_t heap_fixture_shrink(void);

#define KIB 1024u

static bool contains(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if (strncmp(s, word, n) == 0)
			return true;
	return false;
}

static void balanced(struct ktest *_kt, struct heap *h)
{
	struct heap_stats s;

	heap_stats(h, &s);
	EXPECT_EQ(s.used + s.free + s.overhead, s.size);
	EXPECT_LE(s.largest_free, s.free);
	EXPECT_LE(s.used, s.peak_used);
	EXPECT_TRUE(heap_check(h));
}

static void alignment(struct ktest *_kt, enum heap_design d)
{
	static const size_t sizes[] = { 1, 24, 100, 3000 };
	void *ptrs[14 * 4];
	unsigned n = 0;
	struct heap *h = heap_fixture_default(d);

	ASSERT_NOT_NULL(h);
	for (unsigned k = 0; k < 14; k++) {
		for (unsigned i = 0; i < 4; i++) {
			size_t align = (size_t)1 << k;
			uint8_t *p = heap_alloc(h, sizes[i], align);

			ASSERT_NOT_NULL(p);
			EXPECT_EQ((uintptr_t)p & (align - 1), 0);
			EXPECT_EQ((uintptr_t)p & 15, 0);
			EXPECT_GE(heap_usable_size(h, p), sizes[i]);
			memset(p, (int)n, sizes[i]);
			ptrs[n++] = p;
		}
	}
	balanced(_kt, h);
	for (unsigned i = 0; i < n; i++)
		heap_free(h, ptrs[i]);
	EXPECT_NULL(heap_alloc(h, 64, 48)); /* not a power of two */
	EXPECT_EQ(h->errors, 0);
	EXPECT_EQ(h->used, 0);
	balanced(_kt, h);
}

static void stats_accuracy(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	struct heap_stats s;
	void *p[10];

	ASSERT_NOT_NULL(h);
	heap_stats(h, &s);
	EXPECT_EQ(s.used, 0);
	EXPECT_EQ(s.size, 256 * KIB);
	EXPECT_EQ(s.limit, 1024 * KIB);
	EXPECT_EQ(s.live_allocs, 0);
	balanced(_kt, h);
	for (unsigned i = 0; i < 10; i++) {
		size_t before = h->used;

		p[i] = heap_alloc(h, 100 * (i + 1), 0);
		ASSERT_NOT_NULL(p[i]);
		/* The block holds the request, plus at most a header and rounding
		 * (or the class size: at most double). */
		EXPECT_GE(h->used - before, 100 * (i + 1));
		EXPECT_LE(h->used - before, 2 * 100 * (i + 1) + 32);
		balanced(_kt, h);
	}
	heap_stats(h, &s);
	EXPECT_EQ(s.live_allocs, 10);
	EXPECT_EQ(s.total_allocs, 10);
	EXPECT_EQ(s.peak_used, s.used);
	for (unsigned i = 0; i < 10; i++)
		heap_free(h, p[i]);
	heap_stats(h, &s);
	EXPECT_EQ(s.used, 0);
	EXPECT_EQ(s.live_allocs, 0);
	EXPECT_EQ(s.total_allocs, 10);
	EXPECT_GE(s.peak_used, 5500);
	balanced(_kt, h);
}

static void grows_past_initial(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	struct heap_stats s;
	uint8_t *big;

	ASSERT_NOT_NULL(h);
	big = heap_alloc(h, 400 * KIB, 0);
	ASSERT_NOT_NULL(big);
	memset(big, 0xa5, 400 * KIB);
	heap_stats(h, &s);
	EXPECT_GE(s.size, 400 * KIB);
	EXPECT_LE(s.size, s.limit);
	EXPECT_GE(s.grows, 1);
	EXPECT_EQ(s.grows, heap_fixture_grow_calls());
	EXPECT_EQ(s.size % HEAP_GROW_STEP, 0); /* 256 KiB + whole steps */
	heap_free(h, big);
	balanced(_kt, h);
}

static void oom_returns_null(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	void *p;

	ASSERT_NOT_NULL(h);
	heap_fixture_fail_grow(true);
	EXPECT_NULL(heap_alloc(h, 300 * KIB, 0));
	EXPECT_EQ(h->failed_allocs, 1);
	EXPECT_EQ(heap_fixture_log_lines(), 1);
	EXPECT_TRUE(contains(heap_fixture_last_log(), "out of memory: 307200 bytes"));
	EXPECT_TRUE(contains(heap_fixture_last_log(), heap_design_name(d)));
	heap_fixture_fail_grow(false);
	p = heap_alloc(h, 300 * KIB, 0);
	EXPECT_NOT_NULL(p);
	heap_free(h, p);
	EXPECT_NULL(heap_alloc(h, 2048 * KIB, 0)); /* beyond the limit */
	EXPECT_EQ(h->failed_allocs, 2);
	balanced(_kt, h);
}

/* Fill the heap up to its limit, then get everything back. */
static void oom_at_limit(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	void *ptrs[300];
	unsigned n = 0;

	ASSERT_NOT_NULL(h);
	while (n < 300 && (ptrs[n] = heap_alloc(h, 4000, 0)))
		n++;
	EXPECT_LT(n, 300);
	EXPECT_GE(n, 200); /* 1 MiB / 4 KiB = 256, minus overhead */
	EXPECT_EQ(h->end - h->base, 1024 * KIB);
	EXPECT_EQ(h->failed_allocs, 1);
	for (unsigned i = 0; i < n; i++)
		heap_free(h, ptrs[i]);
	EXPECT_EQ(h->used, 0);
	EXPECT_NOT_NULL(ptrs[0] = heap_alloc(h, 4000, 0));
	balanced(_kt, h);
}

static void double_free_detected(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	void *keep, *p;

	ASSERT_NOT_NULL(h);
	keep = heap_alloc(h, 48, 0);
	p = heap_alloc(h, 48, 0);
	ASSERT_NOT_NULL(p);
	heap_free(h, p);
	EXPECT_EQ(h->errors, 0);
	heap_free(h, p);
	EXPECT_EQ(h->errors, 1);
	EXPECT_EQ(heap_fixture_errors(HEAP_ERR_DOUBLE_FREE), 1);
	EXPECT_TRUE(contains(heap_fixture_last_log(), "double free"));
	EXPECT_NULL(heap_realloc(h, p, 100));
	EXPECT_EQ(heap_fixture_errors(HEAP_ERR_DOUBLE_FREE), 2);
	EXPECT_EQ(h->live_allocs, 1);
	heap_free(h, keep);
	EXPECT_EQ(h->errors, 2);
	balanced(_kt, h);
}

static void foreign_pointer_detected(struct ktest *_kt, enum heap_design d)
{
	static uint64_t outside[4];
	struct heap *h = heap_fixture_default(d);
	uint8_t *p;

	ASSERT_NOT_NULL(h);
	p = heap_alloc(h, 64, 0);
	ASSERT_NOT_NULL(p);
	memset(p, 0, 64);
	heap_free(h, outside);
	heap_free(h, p + 16);           /* inside a live block */
	heap_free(h, p + 3);            /* misaligned */
	heap_free(h, (void *)h->end);   /* past the committed end */
	EXPECT_EQ(heap_usable_size(h, outside), 0);
	EXPECT_EQ(heap_fixture_errors(HEAP_ERR_FOREIGN), 5);
	EXPECT_EQ(h->errors, 5);
	EXPECT_EQ(h->live_allocs, 1);
	heap_free(h, p); /* the real one is still fine */
	EXPECT_EQ(h->errors, 5);
	EXPECT_EQ(h->live_allocs, 0);
	balanced(_kt, h);
}

static void realloc_keeps_contents(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	uint8_t *p, *other;

	ASSERT_NOT_NULL(h);
	p = heap_realloc(h, NULL, 10);
	ASSERT_NOT_NULL(p);
	for (unsigned i = 0; i < 10; i++)
		p[i] = (uint8_t)i;
	other = heap_alloc(h, 10, 0); /* so p cannot always grow in place */
	for (size_t size = 20; size < 20000; size *= 3) {
		p = heap_realloc(h, p, size);
		ASSERT_NOT_NULL(p);
		for (unsigned i = 0; i < 10; i++)
			EXPECT_EQ(p[i], i);
	}
	p = heap_realloc(h, p, 5);
	ASSERT_NOT_NULL(p);
	EXPECT_EQ(p[4], 4);
	EXPECT_NULL(heap_realloc(h, p, 0)); /* frees */
	heap_free(h, other);
	EXPECT_EQ(h->live_allocs, 0);
	EXPECT_EQ(h->errors, 0);
	balanced(_kt, h);
}

/*
 * Memory freed in bulk goes back (issue 11 item 14, issue 16 "no heap ever
 * shrinks"): 600 KiB of small and large objects grow the heap to its limit;
 * once they are all freed, heap_shrink cuts the heap back to its initial
 * size, and it grows again on demand.
 */
static void shrink_gives_memory_back(struct ktest *_kt, enum heap_design d)
{
	struct heap *h = heap_fixture_default(d);
	struct heap_stats s;
	void **obj;
	unsigned n = 0;

	ASSERT_NOT_NULL(h);
	obj = heap_alloc(h, 8000 * sizeof(void *), 0);
	ASSERT_NOT_NULL(obj);
	for (size_t bytes = 0; bytes < 600 * KIB && n < 8000; n++) {
		size_t size = n % 8 ? 40 : 3000 + n % 5000;
		ASSERT_NOT_NULL(obj[n] = heap_alloc(h, size, 0));
		bytes += size;
	}
	heap_fixture_shrink(); /* may cut slack above the last block, no more */
	balanced(_kt, h);
	for (unsigned i = 0; i < n; i++)
		heap_free(h, obj[i]);
	heap_free(h, obj);
	balanced(_kt, h);
	EXPECT_TRUE(heap_shrink_worth(h));
	heap_stats(h, &s);
	EXPECT_GT(s.size, 600 * KIB);
	EXPECT_EQ(heap_fixture_shrink(), s.size - 256 * KIB);
	heap_stats(h, &s);
	EXPECT_EQ(s.size, 256 * KIB);
	EXPECT_EQ(s.used, 0);
	EXPECT_FALSE(heap_shrink_worth(h));
	balanced(_kt, h);
	ASSERT_NOT_NULL(obj = heap_alloc(h, 500 * KIB, 0)); /* grows again */
	heap_free(h, obj);
	EXPECT_EQ(h->errors, 0);
	balanced(_kt, h);
}

/* One case per line (ktest tells cases apart by line). */
KTEST_SUITE(heap_bump_checks);
KTEST(heap_bump_checks, alignment) { alignment(_kt, HEAP_BUMP); }
KTEST(heap_bump_checks, stats_accuracy) { stats_accuracy(_kt, HEAP_BUMP); }
KTEST(heap_bump_checks, grows_past_initial) { grows_past_initial(_kt, HEAP_BUMP); }
KTEST(heap_bump_checks, oom_returns_null) { oom_returns_null(_kt, HEAP_BUMP); }
KTEST(heap_bump_checks, oom_at_limit) { oom_at_limit(_kt, HEAP_BUMP); }
KTEST(heap_bump_checks, double_free_detected) { double_free_detected(_kt, HEAP_BUMP); }
KTEST(heap_bump_checks, foreign_pointer_detected) { foreign_pointer_detected(_kt, HEAP_BUMP); }
KTEST(heap_bump_checks, realloc_keeps_contents) { realloc_keeps_contents(_kt, HEAP_BUMP); }
KTEST(heap_bump_checks, shrink_gives_memory_back) { shrink_gives_memory_back(_kt, HEAP_BUMP); }

KTEST_SUITE(heap_list_checks);
KTEST(heap_list_checks, alignment) { alignment(_kt, HEAP_LIST); }
KTEST(heap_list_checks, stats_accuracy) { stats_accuracy(_kt, HEAP_LIST); }
KTEST(heap_list_checks, grows_past_initial) { grows_past_initial(_kt, HEAP_LIST); }
KTEST(heap_list_checks, oom_returns_null) { oom_returns_null(_kt, HEAP_LIST); }
KTEST(heap_list_checks, oom_at_limit) { oom_at_limit(_kt, HEAP_LIST); }
KTEST(heap_list_checks, double_free_detected) { double_free_detected(_kt, HEAP_LIST); }
KTEST(heap_list_checks, foreign_pointer_detected) { foreign_pointer_detected(_kt, HEAP_LIST); }
KTEST(heap_list_checks, realloc_keeps_contents) { realloc_keeps_contents(_kt, HEAP_LIST); }
KTEST(heap_list_checks, shrink_gives_memory_back) { shrink_gives_memory_back(_kt, HEAP_LIST); }

KTEST_SUITE(heap_block_checks);
KTEST(heap_block_checks, alignment) { alignment(_kt, HEAP_BLOCK); }
KTEST(heap_block_checks, stats_accuracy) { stats_accuracy(_kt, HEAP_BLOCK); }
KTEST(heap_block_checks, grows_past_initial) { grows_past_initial(_kt, HEAP_BLOCK); }
KTEST(heap_block_checks, oom_returns_null) { oom_returns_null(_kt, HEAP_BLOCK); }
KTEST(heap_block_checks, oom_at_limit) { oom_at_limit(_kt, HEAP_BLOCK); }
KTEST(heap_block_checks, double_free_detected) { double_free_detected(_kt, HEAP_BLOCK); }
KTEST(heap_block_checks, foreign_pointer_detected) { foreign_pointer_detected(_kt, HEAP_BLOCK); }
KTEST(heap_block_checks, realloc_keeps_contents) { realloc_keeps_contents(_kt, HEAP_BLOCK); }
KTEST(heap_block_checks, shrink_gives_memory_back) { shrink_gives_memory_back(_kt, HEAP_BLOCK); }

/*
 * Issue 16 item 2: a free of a slot in the chunk being carved that was never
 * handed out.  Accepting it would put the slot on the free list, and the
 * carver would later hand the same slot out again: one object, two owners.
 */
KTEST(heap_block_checks, free_of_never_handed_out_slot_detected)
{
	struct heap *h = heap_fixture_default(HEAP_BLOCK);
	uint8_t *p, *q[8];

	ASSERT_NOT_NULL(h);
	p = heap_alloc(h, 64, 0); /* carves a fresh 64-byte chunk */
	ASSERT_NOT_NULL(p);
	heap_free(h, p + 5 * 64); /* aligned, in the chunk, never handed out */
	EXPECT_EQ(heap_fixture_errors(HEAP_ERR_FOREIGN), 1);
	EXPECT_EQ(h->live_allocs, 1);
	for (unsigned i = 0; i < 8; i++) {
		q[i] = heap_alloc(h, 64, 0);
		ASSERT_NOT_NULL(q[i]);
		for (unsigned j = 0; j < i; j++)
			EXPECT_NE((uintptr_t)q[i], (uintptr_t)q[j]);
		EXPECT_NE((uintptr_t)q[i], (uintptr_t)p);
	}
	for (unsigned i = 0; i < 8; i++)
		heap_free(h, q[i]);
	heap_free(h, p);
	EXPECT_EQ(h->errors, 1);
	balanced(_kt, h);
}
