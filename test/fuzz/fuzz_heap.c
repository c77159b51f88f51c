/*
 * libFuzzer target for the heap designs.  The input picks a design and a grow
 * budget, then is read as a sequence of operations (alloc with size and
 * alignment, free, realloc, shrink, give pages back) checked against a
 * shadow model: blocks never overlap, alignment holds, contents survive, and
 * the heap's consistency walk and statistics agree at the end; memory the
 * heap gave back stays ASan-poisoned until it commits it again.  Any
 * violation aborts.
 */
#include <sanitizer/asan_interface.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/heap.h"

#define ARENA_BYTES (4u << 20)
#define SLOTS 64u

static uint8_t arena[ARENA_BYTES] __attribute__((aligned(4096)));

struct fz {
	struct heap heap;
	uintptr_t committed;
	size_t budget;
	uint8_t *p[SLOTS];
	size_t size[SLOTS];
	uint8_t tag[SLOTS];
	const uint8_t *in;
	size_t left;
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static unsigned next(struct fz *f)
{
	if (!f->left)
		return 0;
	f->left--;
	return *f->in++;
}

static bool fz_grow(void *ctx, uintptr_t old_end, size_t bytes)
{
	struct fz *f = ctx;

	check(old_end == f->committed);
	if (bytes > f->budget)
		return false;
	f->budget -= bytes;
	f->committed += bytes;
	ASAN_UNPOISON_MEMORY_REGION((void *)old_end, bytes);
	return true;
}

/* Pages come back whole, as from an MMU; memory the heap gave back stays
 * poisoned until then, so touching it is an ASan error. */
static bool fz_commit(void *ctx, uintptr_t start, size_t bytes)
{
	uintptr_t lo = start & ~(uintptr_t)(HEAP_PAGE - 1);
	uintptr_t hi = (start + bytes + HEAP_PAGE - 1) & ~(uintptr_t)(HEAP_PAGE - 1);

	(void)ctx;
	ASAN_UNPOISON_MEMORY_REGION((void *)lo, hi - lo);
	return true;
}

static bool fz_mapped(void *ctx, uintptr_t addr)
{
	(void)ctx;
	return !__asan_address_is_poisoned((void *)(addr & ~(uintptr_t)(HEAP_PAGE - 1)));
}

static void verify(struct fz *f, unsigned i, size_t n)
{
	uint64_t want = f->tag[i] * 0x0101010101010101ull, w;
	size_t k = 0;

	for (; k + 8 <= n; k += 8) {
		memcpy(&w, f->p[i] + k, 8);
		check(w == want);
	}
	for (; k < n; k++)
		check(f->p[i][k] == f->tag[i]);
}

static void place(struct fz *f, unsigned i, uint8_t *p, size_t size, size_t align)
{
	check(((uintptr_t)p & (align - 1)) == 0 && ((uintptr_t)p & 15) == 0);
	check(heap_usable_size(&f->heap, p) >= size);
	for (unsigned j = 0; j < SLOTS; j++)
		if (j != i && f->p[j])
			check(p + size <= f->p[j] || f->p[j] + f->size[j] <= p);
	f->p[i] = p;
	f->size[i] = size;
	f->tag[i] = (uint8_t)(i * 37 + size);
	memset(p, f->tag[i], size);
}

static size_t read_size(struct fz *f)
{
	unsigned a = next(f), b = next(f);

	/* Mostly small, sometimes up to 64 KiB. */
	return a & 0x80 ? ((a & 0x7f) << 9 | b << 1) : (a << 2 | (b & 3));
}

static void one_op(struct fz *f)
{
	unsigned op = next(f), i = next(f) % SLOTS;
	size_t size, align;
	uint8_t *p;

	switch (op % 5) {
	case 0:
		size = read_size(f);
		align = (size_t)1 << (next(f) % 14);
		if (f->p[i])
			break;
		p = heap_alloc(&f->heap, size, align);
		if (p)
			place(f, i, p, size ? size : 1, align < 16 ? 16 : align);
		break;
	case 1:
		if (!f->p[i])
			break;
		verify(f, i, f->size[i]);
		heap_free(&f->heap, f->p[i]);
		f->p[i] = NULL;
		break;
	case 2:
		size = read_size(f) + 1;
		if (!f->p[i])
			break;
		verify(f, i, f->size[i]);
		p = heap_realloc(&f->heap, f->p[i], size);
		if (!p)
			break;
		f->p[i] = p;
		verify(f, i, size < f->size[i] ? size : f->size[i]);
		f->p[i] = NULL;
		place(f, i, p, size, 16);
		break;
	case 3: /* give back what is free at the top; the next grow refills */
		size = heap_shrink(&f->heap);
		f->committed -= size;
		ASAN_POISON_MEMORY_REGION((void *)f->committed, size);
		check(f->committed == f->heap.end);
		break;
	case 4: { /* give back the pages inside big free blocks */
		uintptr_t start;
		while (heap_decommit_next(&f->heap, &start, &size))
			ASAN_POISON_MEMORY_REGION((void *)start, size);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct fz f;
	enum heap_design d;
	size_t initial;

	memset(&f, 0, sizeof(f));
	f.in = data;
	f.left = len;
	d = (enum heap_design)(next(&f) % HEAP_DESIGN_COUNT);
	initial = (size_t)(next(&f) + 1) * 4096;
	f.budget = (size_t)next(&f) * 16384;
	f.committed = (uintptr_t)arena + initial;
	ASAN_UNPOISON_MEMORY_REGION(arena, ARENA_BYTES);
	ASAN_POISON_MEMORY_REGION(arena + initial, ARENA_BYTES - initial);
	check(heap_init(&f.heap, d, arena, initial, ARENA_BYTES, fz_grow, &f, HEAP_DEBUG) == 0);
	heap_set_paging(&f.heap, &(struct heap_paging){ fz_commit, fz_mapped, &f });
	while (f.left)
		one_op(&f);
	check(heap_check(&f.heap) && f.heap.errors == 0);
	for (unsigned i = 0; i < SLOTS; i++) {
		if (f.p[i]) {
			verify(&f, i, f.size[i]);
			heap_free(&f.heap, f.p[i]);
		}
	}
	check(f.heap.used == 0 && f.heap.live_allocs == 0 && heap_check(&f.heap));
	return 0;
}
