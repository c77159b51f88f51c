/*
 * The block heap on a big machine: its limit is set from free RAM, and its
 * chunk class map grows with the limit (one byte per 32 KiB).  At 36 GiB
 * the map no longer fits the 1 MiB the kernel commits first (issue 16
 * item 1: the kernel panicked at boot).  The heap here spans 64 GiB of
 * address space over a 4 MiB arena; the grow callback refuses anything past
 * the arena, so touching uncommitted memory would be an ASan error.
 */
#include <stdlib.h>

#include "mm/heap.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(heap_big, KTEST_HOST_ONLY);

#define MIB (1024ul * 1024ul)
#define GIB (1024ul * MIB)
#define ARENA (8 * MIB)

static uint8_t *arena;
static uintptr_t committed_end;

static bool arena_grow(void *ctx, uintptr_t old_end, size_t bytes)
{
	(void)ctx;
	if (old_end != committed_end || old_end + bytes > (uintptr_t)arena + ARENA)
		return false;
	committed_end += bytes;
	return true;
}

static struct heap *big_heap(size_t limit)
{
	static struct heap h;

	if (!arena)
		arena = aligned_alloc(4096, ARENA);
	committed_end = (uintptr_t)arena + MIB;
	if (heap_init(&h, HEAP_BLOCK, arena, MIB, limit, arena_grow, NULL, HEAP_DEBUG))
		return NULL;
	return &h;
}

static void limit_of(struct ktest *_kt, size_t limit)
{
	struct heap *h = big_heap(limit);
	struct heap_stats s;
	void *small, *large;

	ASSERT_NOT_NULL(h);
	heap_stats(h, &s);
	EXPECT_EQ(s.limit, limit);
	EXPECT_LE(s.size, (size_t)(committed_end - (uintptr_t)arena));
	small = heap_alloc(h, 40, 0);
	large = heap_alloc(h, 100000, 0);
	ASSERT_NOT_NULL(small);
	ASSERT_NOT_NULL(large);
	heap_free(h, small);
	heap_free(h, large);
	EXPECT_TRUE(heap_check(h));
	EXPECT_EQ(h->errors, 0);
}

KTEST(heap_big, block_heap_with_a_36_gib_limit) { limit_of(_kt, 36 * GIB); }
KTEST(heap_big, block_heap_with_a_64_gib_limit) { limit_of(_kt, 64 * GIB); }
