/*
 * Randomised alloc/free/realloc traces, a million operations per design,
 * checked against a shadow model of the live blocks: every block is filled
 * with a pattern from its id and verified before it is freed or moved, blocks
 * never overlap (sorted check every few thousand operations), alignment holds,
 * and the heap's own statistics and consistency walk agree with the model.
 * The heap is shrunk whenever heap_shrink_worth() says so, and every 64 frees
 * the pages inside big free blocks are given back (heap_decommit_next).
 * Memory the heap gave back (or never had) is ASan-poisoned, a page at a
 * time as an MMU would unmap it, so a heap that touches it without
 * committing it again fails at once.
 * Host only: far too many operations for a test boot.
 */
#include "mm/heap.h"
#include "test/ktest/ktest.h"

#include <sanitizer/asan_interface.h>
#include <stdlib.h>
#include <string.h>

KTEST_SUITE_FLAGS(heap_trace, KTEST_HOST_ONLY);

#define ARENA_BYTES (64u << 20)
#define MAX_LIVE 1024u
#define OPS 1000000u

struct live {
	uint8_t *p;
	size_t size;
	uint32_t id;
};

struct trace {
	struct ktest *kt;
	struct heap heap;
	uint8_t *arena;
	uintptr_t committed;
	size_t grow_budget; /* bytes the grow callback may still hand out */
	uint64_t rng;
	struct live live[MAX_LIVE];
	unsigned nlive;
	uint32_t next_id;
	unsigned long ooms, bad, shrinks, frees, decommits;
};

static uint64_t rnd(struct trace *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

static bool trace_grow(void *ctx, uintptr_t old_end, size_t bytes)
{
	struct trace *t = ctx;

	if (old_end != t->committed || bytes > t->grow_budget)
		return false;
	t->grow_budget -= bytes;
	t->committed += bytes;
	ASAN_UNPOISON_MEMORY_REGION((void *)old_end, bytes);
	return true;
}

/* The heap's paging callbacks: whole pages come back, as from an MMU. */
static bool trace_commit(void *ctx, uintptr_t start, size_t bytes)
{
	uintptr_t lo = start & ~(uintptr_t)(HEAP_PAGE - 1);
	uintptr_t hi = (start + bytes + HEAP_PAGE - 1) & ~(uintptr_t)(HEAP_PAGE - 1);

	(void)ctx;
	ASAN_UNPOISON_MEMORY_REGION((void *)lo, hi - lo);
	return true;
}

static bool trace_mapped(void *ctx, uintptr_t addr)
{
	(void)ctx;
	return !__asan_address_is_poisoned((void *)(addr & ~(uintptr_t)(HEAP_PAGE - 1)));
}

static void decommit_all(struct trace *t)
{
	uintptr_t start;
	size_t bytes;

	while (heap_decommit_next(&t->heap, &start, &bytes)) {
		ASAN_POISON_MEMORY_REGION((void *)start, bytes);
		t->decommits++;
	}
}

static void maybe_shrink(struct trace *t)
{
	size_t cut;

	if (++t->frees % 64 == 0)
		decommit_all(t);
	if (!heap_shrink_worth(&t->heap) || !(cut = heap_shrink(&t->heap)))
		return;
	t->committed -= cut;
	t->grow_budget += cut; /* the budget limits what is committed at once */
	ASAN_POISON_MEMORY_REGION((void *)t->committed, cut);
	t->shrinks++;
}

static size_t random_size(struct trace *t)
{
	unsigned r = (unsigned)(rnd(t) % 1000);

	if (r < 700)
		return 1 + rnd(t) % 128;
	if (r < 950)
		return 129 + rnd(t) % 1920;
	if (r < 997)
		return 2049 + rnd(t) % 14336;
	return 16385 + rnd(t) % (48 * 1024);
}

static uint8_t pattern(uint32_t id) { return (uint8_t)(id * 157u + 11u); }

static void fill(struct live *l)
{
	memset(l->p, pattern(l->id), l->size);
	if (l->size >= sizeof(l->id))
		memcpy(l->p, &l->id, sizeof(l->id));
}

/* Checks the first `n` bytes of the pattern fill() wrote over l->size bytes. */
static bool intact(const struct live *l, size_t n)
{
	uint8_t want = pattern(l->id);
	size_t i = 0;
	uint32_t id;

	if (l->size >= sizeof(id)) {
		memcpy(&id, l->p, sizeof(id));
		if (n >= sizeof(id) ? id != l->id : memcmp(&id, &l->id, n) != 0)
			return false;
		i = sizeof(id);
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, l->p + i, 8);
		if (w != want * 0x0101010101010101ull)
			return false;
	}
	for (; i < n; i++)
		if (l->p[i] != want)
			return false;
	return true;
}

static struct heap *trace_start(struct trace *t, enum heap_design d, uint64_t seed,
				size_t budget)
{
	memset(t, 0, offsetof(struct trace, live));
	t->arena = aligned_alloc(4096, ARENA_BYTES);
	t->committed = (uintptr_t)t->arena + 256 * 1024;
	t->grow_budget = budget;
	t->rng = seed;
	t->nlive = 0;
	ASAN_POISON_MEMORY_REGION((void *)t->committed,
				  ARENA_BYTES - (t->committed - (uintptr_t)t->arena));
	if (heap_init(&t->heap, d, t->arena, 256 * 1024, ARENA_BYTES, trace_grow, t,
		      HEAP_DEBUG))
		return NULL;
	heap_set_paging(&t->heap, &(struct heap_paging){ trace_commit, trace_mapped, t });
	return &t->heap;
}

static void do_alloc(struct trace *t)
{
	size_t size = random_size(t);
	size_t align = rnd(t) % 8 ? 0 : (size_t)1 << (rnd(t) % 14);
	struct live *l = &t->live[t->nlive];
	uint8_t *p = heap_alloc(&t->heap, size, align);

	if (!p) {
		t->ooms++;
		return;
	}
	if (((uintptr_t)p & ((align ? align : 16) - 1)) || heap_usable_size(&t->heap, p) < size)
		t->bad++;
	*l = (struct live){ .p = p, .size = size, .id = t->next_id++ };
	fill(l);
	t->nlive++;
}

static void do_free(struct trace *t, unsigned i)
{
	struct live *l = &t->live[i];

	if (!intact(l, l->size))
		t->bad++;
	heap_free(&t->heap, l->p);
	*l = t->live[--t->nlive];
	maybe_shrink(t);
}

static void do_realloc(struct trace *t, unsigned i)
{
	struct live *l = &t->live[i];
	size_t size = random_size(t), keep = size < l->size ? size : l->size;
	uint8_t *p;

	if (!intact(l, l->size))
		t->bad++;
	p = heap_realloc(&t->heap, l->p, size);
	if (!p) {
		t->ooms++;
		return; /* the old block stays valid */
	}
	l->p = p;
	if (!intact(l, keep) || ((uintptr_t)p & 15))
		t->bad++;
	l->size = size;
	fill(l);
}

static int by_address(const void *a, const void *b)
{
	const struct live *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

/* No two live blocks overlap, and the heap agrees with the model. */
static bool model_agrees(struct trace *t)
{
	static struct live sorted[MAX_LIVE];

	memcpy(sorted, t->live, t->nlive * sizeof(sorted[0]));
	qsort(sorted, t->nlive, sizeof(sorted[0]), by_address);
	for (unsigned i = 1; i < t->nlive; i++)
		if (sorted[i - 1].p + sorted[i - 1].size > sorted[i].p)
			return false;
	return heap_check(&t->heap) && t->heap.live_allocs == t->nlive &&
	       t->heap.errors == 0;
}

/*
 * Random operations whose live count swings between 0 and MAX_LIVE, so bump
 * gets its "everything freed" moments too.  Returns the operations run.
 */
static unsigned run_ops(struct trace *t, unsigned ops)
{
	struct ktest *_kt = t->kt;
	bool filling = true;
	unsigned n;

	for (n = 0; n < ops; n++) {
		unsigned r = (unsigned)(rnd(t) % 100);

		if (t->nlive == MAX_LIVE || (t->heap.design == HEAP_BUMP && t->ooms))
			filling = false;
		else if (t->nlive == 0)
			filling = true;
		if (t->nlive == 0 || (r < (filling ? 60u : 35u) && t->nlive < MAX_LIVE))
			do_alloc(t);
		else if (r < 90)
			do_free(t, (unsigned)(rnd(t) % t->nlive));
		else
			do_realloc(t, (unsigned)(rnd(t) % t->nlive));
		if (t->heap.design == HEAP_BUMP && t->nlive == 0)
			t->ooms = 0;
		if ((n & 8191) == 0 && !model_agrees(t))
			break;
		if (t->bad)
			break;
	}
	EXPECT_EQ(t->bad, 0);
	EXPECT_TRUE(model_agrees(t));
	return n;
}

static void drain(struct trace *t)
{
	struct ktest *_kt = t->kt;

	while (t->nlive)
		do_free(t, t->nlive - 1);
	EXPECT_EQ(t->bad, 0);
	EXPECT_EQ(t->heap.used, 0);
	EXPECT_TRUE(heap_check(&t->heap));
	heap_shrink(&t->heap);
	EXPECT_EQ(t->heap.end - t->heap.base, 256 * 1024); /* all given back */
	ASAN_UNPOISON_MEMORY_REGION(t->arena, ARENA_BYTES);
	free(t->arena);
}

static void random_trace(struct ktest *_kt, enum heap_design d)
{
	static struct trace t;
	struct heap *h = trace_start(&t, d, 0x9e3779b97f4a7c15ull + d, ARENA_BYTES);
	unsigned n;

	ASSERT_NOT_NULL(h);
	t.kt = _kt;
	n = run_ops(&t, OPS);
	EXPECT_EQ(n, OPS);
	if (d != HEAP_BUMP)
		EXPECT_EQ(h->failed_allocs, 0);
	ktest_diag(_kt, "%s: %u ops, %llu allocs, peak %zu KiB, size %zu KiB, %lu shrinks, "
		   "%lu blocks given back", heap_design_name(d), n,
		   (unsigned long long)h->total_allocs, h->peak_used / 1024,
		   (size_t)(h->end - h->base) / 1024, t.shrinks, t.decommits);
	EXPECT_GT(t.shrinks, 0);
	if (d != HEAP_BUMP)
		EXPECT_GT(t.decommits, 0);
	drain(&t);
}

/* The grow callback gives up after 512 KiB: allocations fail cleanly, the
 * heap stays consistent and every live block keeps its contents. */
static void oom_trace(struct ktest *_kt, enum heap_design d)
{
	static struct trace t;
	struct heap *h = trace_start(&t, d, 0x2545f4914f6cdd1dull + d, 512u << 10);

	ASSERT_NOT_NULL(h);
	t.kt = _kt;
	run_ops(&t, OPS / 10);
	EXPECT_GT(h->failed_allocs, 0);
	EXPECT_LE((size_t)(h->end - h->base), (256u << 10) + (512u << 10));
	drain(&t);
}

/* Punch holes into the heap, then check that largest_free tells the truth:
 * that much can be had without growing, and a big block still fits by
 * growing. */
static void fragmentation(struct ktest *_kt, enum heap_design d)
{
	static struct trace t;
	struct heap *h = trace_start(&t, d, 7 + d, ARENA_BYTES);
	struct heap_stats s;
	void *p, *big;

	ASSERT_NOT_NULL(h);
	t.kt = _kt;
	for (unsigned i = 0; i < MAX_LIVE; i++) {
		struct live *l = &t.live[t.nlive];

		*l = (struct live){ .size = i % 2 ? 40 : 200 + i % 7 * 16, .id = t.next_id++ };
		l->p = heap_alloc(h, l->size, 0);
		ASSERT_NOT_NULL(l->p);
		fill(l);
		t.nlive++;
	}
	for (unsigned i = t.nlive; i-- > 0;)
		if (t.live[i].size != 40)
			do_free(&t, i);
	heap_stats(h, &s);
	t.grow_budget = 0;
	p = heap_alloc(h, s.largest_free, 0);
	EXPECT_NOT_NULL(p);
	heap_free(h, p);
	t.grow_budget = ARENA_BYTES;
	big = heap_alloc(h, 1u << 20, 0);
	EXPECT_NOT_NULL(big);
	heap_free(h, big);
	ktest_diag(_kt, "%s: after holes: free %zu largest %zu used %zu", heap_design_name(d),
		   s.free, s.largest_free, s.used);
	EXPECT_TRUE(model_agrees(&t));
	drain(&t);
}

/*
 * A block allocated last pins the heap's end, so heap_shrink gives nothing
 * back when everything below it is freed (after `bench`, the executor's
 * task-table array sat there).  The pages inside the free blocks go back
 * instead; allocating again brings them back, and a stale pointer into
 * them is reported, not read.
 */
static void pinned_heap_gives_back_pages(struct ktest *_kt, enum heap_design d)
{
	static struct trace t;
	static void *obj[4000];
	struct heap *h = trace_start(&t, d, 99, ARENA_BYTES);
	uintptr_t start;
	size_t bytes, given = 0, freed = 0;
	void *pin;

	ASSERT_NOT_NULL(h);
	t.kt = _kt;
	for (unsigned i = 0; i < 4000; i++) {
		size_t size = i % 4 ? 48 : 3000 + (i * 37) % 20000;
		ASSERT_NOT_NULL(obj[i] = heap_alloc(h, size, 0));
		memset(obj[i], 0x11, size);
		freed += size;
	}
	ASSERT_NOT_NULL(pin = heap_alloc(h, 100, 0));
	for (unsigned i = 0; i < 4000; i++)
		heap_free(h, obj[i]);
	EXPECT_TRUE(heap_check(h));
	t.committed -= heap_shrink(h);
	EXPECT_GT((size_t)(t.committed - (uintptr_t)t.arena), freed / 2); /* pinned */
	while (heap_decommit_next(h, &start, &bytes)) {
		ASAN_POISON_MEMORY_REGION((void *)start, bytes);
		given += bytes;
	}
	ktest_diag(_kt, "%s: %zu KiB freed below the pin, %zu KiB of pages given back",
		   heap_design_name(d), freed / 1024, given / 1024);
	EXPECT_GE(given, freed * 8 / 10);
	EXPECT_FALSE(heap_decommit_next(h, &start, &bytes)); /* nothing twice */
	EXPECT_TRUE(heap_check(h));
	heap_free(h, obj[8]); /* stale: its page is gone */
	EXPECT_EQ(h->errors, 1);
	h->errors = 0;
	for (unsigned i = 0; i < 4000; i++) {
		size_t size = i % 4 ? 48 : 3000 + (i * 37) % 20000;
		ASSERT_NOT_NULL(obj[i] = heap_alloc(h, size, 0));
		memset(obj[i], 0x22, size); /* ASan: every byte is back */
	}
	for (unsigned i = 0; i < 4000; i++)
		heap_free(h, obj[i]);
	heap_free(h, pin);
	EXPECT_EQ(h->errors, 0);
	EXPECT_TRUE(heap_check(h));
	ASAN_UNPOISON_MEMORY_REGION(t.arena, ARENA_BYTES);
	free(t.arena);
}

KTEST(heap_trace, list_pinned_gives_back_pages) { pinned_heap_gives_back_pages(_kt, HEAP_LIST); }
KTEST(heap_trace, block_pinned_gives_back_pages) { pinned_heap_gives_back_pages(_kt, HEAP_BLOCK); }
KTEST(heap_trace, bump_random) { random_trace(_kt, HEAP_BUMP); }
KTEST(heap_trace, list_random) { random_trace(_kt, HEAP_LIST); }
KTEST(heap_trace, block_random) { random_trace(_kt, HEAP_BLOCK); }
KTEST(heap_trace, bump_oom) { oom_trace(_kt, HEAP_BUMP); }
KTEST(heap_trace, list_oom) { oom_trace(_kt, HEAP_LIST); }
KTEST(heap_trace, block_oom) { oom_trace(_kt, HEAP_BLOCK); }
KTEST(heap_trace, bump_fragmentation) { fragmentation(_kt, HEAP_BUMP); }
KTEST(heap_trace, list_fragmentation) { fragmentation(_kt, HEAP_LIST); }
KTEST(heap_trace, block_fragmentation) { fragmentation(_kt, HEAP_BLOCK); }
