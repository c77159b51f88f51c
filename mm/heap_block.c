/*
 * heap_block.c — the fixed-size-block design: power-of-two size classes
 * 16..4096, each with its own free list, in front of a list heap.
 *
 * Small objects have no header.  They live in 32 KiB chunks, aligned to
 * 32 KiB, that hold objects of one class only; a byte map at the start of the
 * heap records each chunk's class, so free() finds the class from the address
 * with one shift and one load.  Allocation pops the class's free list; free
 * pushes onto it: O(1) both ways, no division.  Objects are aligned to their
 * class size, so alignments up to 4096 cost nothing extra.
 *
 * A chunk is one list-heap block: its 16-byte list header sits in the last 16
 * bytes of the chunk before it, which is why a chunk holds one object fewer
 * than it could.  Chunks stay with their class once carved.  Larger sizes,
 * and small ones when no chunk can be had, go to the list heap.
 *
 * Debug mode: a free object carries a canary (its address ^ a key) beside its
 * link.  Freeing an object that already has it is a double free; popping one
 * without it means the object was written after being freed.
 */
#include "mm/heap.h"

#include "kernel/lib/string.h"

struct heap_free_obj {
	struct heap_free_obj *next;
	uintptr_t canary;
};

#define CHUNK_SHIFT 15
#define CHUNK (1ul << CHUNK_SHIFT)
#define LIST_HDR 16u
#define MAX_SMALL (16u << (HEAP_BLOCK_CLASSES - 1))
#define FREE_KEY 0x626c6b4652454521ull /* "blkFREE!" */

/* 1..16 -> 0 (16 bytes), 17..32 -> 1, ... 2049..4096 -> 8. */
static inline unsigned size_class(size_t n)
{
	return 60u - (unsigned)__builtin_clzll((n - 1) | 15);
}

static inline size_t class_size(unsigned cls) { return (size_t)16 << cls; }

/* 0 for "not a chunk", else class + 1. */
static inline uint8_t *map_entry(const struct heap_block_state *b, uintptr_t a)
{
	return (uint8_t *)(b->map_bias + (a >> CHUNK_SHIFT));
}

static int block_init(struct heap *h, size_t initial)
{
	struct heap_block_state *b = &h->u.block;
	uintptr_t first = h->base >> CHUNK_SHIFT;
	uintptr_t last = (h->limit_end - 1) >> CHUNK_SHIFT;

	(void)initial;
	/* The map grows with the limit (one byte per chunk: 2 MiB at 64 GiB),
	 * so it may need more than the caller committed up front. */
	b->map_bytes = heap_align_up(last - first + 1, HEAP_MIN_ALIGN);
	if (b->map_bytes + 64 > h->end - h->base &&
	    !heap_extend(h, b->map_bytes + 64 - (h->end - h->base)))
		return -1;
	memset((void *)h->base, 0, b->map_bytes);
	b->map_bias = h->base - first;
	heap_list_setup(&b->big);
	heap_list_release(&b->big, h->base + b->map_bytes, h->end - h->base - b->map_bytes);
	return 0;
}

static void *large_alloc(struct heap *h, size_t size, size_t align)
{
	size_t block;
	void *p = heap_list_take(h, &h->u.block.big, size, align, &block);

	if (p) {
		h->used += block;
		h->u.block.large_used += block;
	}
	return p;
}

/* Gives class `cls` a fresh chunk to carve objects from. */
static bool refill(struct heap *h, unsigned cls)
{
	struct heap_block_state *b = &h->u.block;
	size_t block;
	uintptr_t c = (uintptr_t)heap_list_take(h, &b->big, CHUNK - LIST_HDR, CHUNK, &block);
	size_t slots;

	if (!c)
		return false;
	slots = ((CHUNK - LIST_HDR) >> (cls + 4)) << (cls + 4);
	*map_entry(b, c) = (uint8_t)(cls + 1);
	b->carve[cls] = c;
	b->carve_end[cls] = c + slots;
	b->chunk_bytes += block;
	b->slot_bytes += slots;
	return true;
}

static void *small_slow(struct heap *h, unsigned cls, size_t size, size_t align)
{
	struct heap_block_state *b = &h->u.block;
	uintptr_t p;

	if (b->carve[cls] == b->carve_end[cls] && !refill(h, cls))
		return large_alloc(h, size, align);
	p = b->carve[cls];
	b->carve[cls] = p + class_size(cls);
	if (heap_debug(h)) /* the memory may hold a stale canary */
		((struct heap_free_obj *)p)->canary = 0;
	h->used += class_size(cls);
	return (void *)p;
}

/* A popped object without its canary was written after it was freed: the
 * rest of that list cannot be trusted, so the class starts over. */
static void *pop_checked(struct heap *h, unsigned cls, struct heap_free_obj *o,
			 size_t size, size_t align)
{
	if (o->canary != ((uintptr_t)o ^ FREE_KEY)) {
		heap_report(h, HEAP_ERR_CORRUPT, o);
		h->u.block.free[cls] = NULL;
		return small_slow(h, cls, size, align);
	}
	o->canary = 0;
	h->u.block.free[cls] = o->next;
	h->used += class_size(cls);
	return o;
}

static void *block_alloc(struct heap *h, size_t size, size_t align)
{
	struct heap_block_state *b = &h->u.block;
	size_t want = size > align ? size : align;

	if (__builtin_expect(want <= MAX_SMALL, 1)) {
		unsigned cls = size_class(want);
		struct heap_free_obj *o = b->free[cls];

		if (__builtin_expect(!o, 0))
			return small_slow(h, cls, size, align);
		if (heap_debug(h))
			return pop_checked(h, cls, o, size, align);
		b->free[cls] = o->next;
		h->used += class_size(cls);
		return o;
	}
	return large_alloc(h, size, align);
}

/*
 * Debug mode: the class of p (>= 0), -1 for a list-heap pointer, or -2 after
 * reporting a pointer that is neither.
 */
static int classify_checked(struct heap *h, const void *p)
{
	struct heap_block_state *b = &h->u.block;
	uintptr_t a = (uintptr_t)p, chunk = a & ~(CHUNK - 1);
	const struct heap_free_obj *o = p;
	unsigned tag, cls;

	if (a < h->base + b->map_bytes || a >= h->end || (a & (HEAP_MIN_ALIGN - 1))) {
		heap_report(h, HEAP_ERR_FOREIGN, p);
		return -2;
	}
	tag = *map_entry(b, a);
	if (!tag)
		return -1;
	cls = tag - 1;
	/* Only the chunk being carved has slots never handed out: those from
	 * carve[cls] on. */
	bool uncarved = (b->carve[cls] & ~(CHUNK - 1)) == chunk && a >= b->carve[cls];
	if ((a & (class_size(cls) - 1)) || uncarved ||
	    a + class_size(cls) > chunk + CHUNK - LIST_HDR) {
		heap_report(h, HEAP_ERR_FOREIGN, p);
		return -2;
	}
	if (o->canary == (a ^ FREE_KEY)) {
		heap_report(h, HEAP_ERR_DOUBLE_FREE, p);
		return -2;
	}
	return (int)cls;
}

static int classify(struct heap *h, const void *p)
{
	if (heap_debug(h))
		return classify_checked(h, p);
	return (int)*map_entry(&h->u.block, (uintptr_t)p) - 1;
}

static bool large_free(struct heap *h, void *p)
{
	size_t n = heap_list_give(h, &h->u.block.big, p);

	h->used -= n;
	h->u.block.large_used -= n;
	return n != 0;
}

static bool block_free(struct heap *h, void *p)
{
	struct heap_block_state *b = &h->u.block;
	struct heap_free_obj *o = p;
	int cls = classify(h, p);

	if (__builtin_expect(cls >= 0, 1)) {
		o->next = b->free[cls];
		if (heap_debug(h))
			o->canary = (uintptr_t)o ^ FREE_KEY;
		b->free[cls] = o;
		h->used -= class_size((unsigned)cls);
		return true;
	}
	return cls == -1 && large_free(h, p);
}

static size_t block_usable(struct heap *h, void *p)
{
	int cls = classify(h, p);

	if (cls >= 0)
		return class_size((unsigned)cls);
	return cls == -1 ? heap_list_usable(h, p) : 0;
}

static bool block_resize(struct heap *h, void *p, size_t size)
{
	size_t added;

	if (*map_entry(&h->u.block, (uintptr_t)p) ||
	    !heap_list_grow_in_place(h, &h->u.block.big, p, size, &added))
		return false;
	h->used += added;
	h->u.block.large_used += added;
	return true;
}

static size_t block_free_bytes(const struct heap *h)
{
	const struct heap_block_state *b = &h->u.block;
	size_t small_used = h->used - b->large_used;

	return b->big.free_bytes + b->slot_bytes - small_used;
}

static size_t block_largest_free(const struct heap *h)
{
	const struct heap_block_state *b = &h->u.block;
	size_t best = heap_list_largest(&b->big);

	for (unsigned cls = HEAP_BLOCK_CLASSES; cls-- > 0;) {
		if (b->free[cls] || b->carve[cls] != b->carve_end[cls]) {
			if (class_size(cls) > best)
				best = class_size(cls);
			break;
		}
	}
	return best;
}

/* Counts the free bytes of one class, checking each object's chunk tag. */
static bool count_class(struct heap *h, unsigned cls, size_t *bytes)
{
	const struct heap_block_state *b = &h->u.block;
	const struct heap_free_obj *o;

	*bytes = b->carve_end[cls] - b->carve[cls];
	for (o = b->free[cls]; o; o = o->next) {
		uintptr_t a = (uintptr_t)o;

		if (a < h->base || a >= h->end || *map_entry(b, a) != cls + 1 ||
		    (heap_debug(h) && o->canary != (a ^ FREE_KEY))) {
			heap_report(h, HEAP_ERR_CORRUPT, o);
			return false;
		}
		*bytes += class_size(cls);
	}
	return true;
}

static bool block_check(struct heap *h)
{
	const struct heap_block_state *b = &h->u.block;
	size_t list_used, class_free = 0, n;

	if (!heap_list_walk(h, &b->big, h->base + b->map_bytes, &list_used))
		return false;
	for (unsigned cls = 0; cls < HEAP_BLOCK_CLASSES; cls++) {
		if (!count_class(h, cls, &n))
			return false;
		class_free += n;
	}
	if (list_used != b->large_used + b->chunk_bytes ||
	    class_free + (h->used - b->large_used) != b->slot_bytes) {
		heap_report(h, HEAP_ERR_CORRUPT, (void *)h->base);
		return false;
	}
	return true;
}

const struct heap_ops heap_block_ops = {
	.init = block_init,
	.alloc = block_alloc,
	.free = block_free,
	.usable = block_usable,
	.resize = block_resize,
	.free_bytes = block_free_bytes,
	.largest_free = block_largest_free,
	.check = block_check,
};
