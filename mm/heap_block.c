/*
 * heap_block.c — the fixed-size-block design: sixteen size classes from 16
 * to 4096 bytes (each power of two and the step halfway to the next: 16 32
 * 48 64 96 128 ... 3072 4096), in front of a list heap for larger sizes.
 *
 * Small objects have no header.  They live in 32 KiB chunks, aligned to
 * 32 KiB, that hold objects of one class only; a byte map at the start of the
 * heap records each chunk's class, so free() finds the class from the address
 * with one shift and one load.  Each chunk keeps its own free list and a
 * count of live objects in a 32-byte trailer at its end, and each class keeps
 * a list of its chunks that have a free object.  Allocation pops the first
 * such chunk's list; free pushes onto the object's own chunk: O(1) both
 * ways, no division.  A chunk whose last object comes back returns to the
 * list heap at once (unless its class allocates from it next), so memory
 * freed in bulk is whole again and can go back to the frame allocator
 * (heap_shrink).  An object is aligned to the largest power of two that
 * divides its class size; a request for more alignment takes the next class.
 *
 * A chunk is one list-heap block: its 16-byte list header sits in the last 16
 * bytes of the chunk before it, and its trailer just below that.  Larger
 * sizes, and small ones when no chunk can be had, go to the list heap.
 *
 * Debug mode: a free object carries a canary beside its link: its address ^
 * FREE_KEY once freed, ^ NEW_KEY while never handed out.  Freeing an object
 * that has either is a double free or a free of a slot never handed out;
 * popping one with neither means the object was written after being freed.
 */
#include "mm/heap.h"

#include "kernel/lib/string.h"

struct heap_free_obj {
	struct heap_free_obj *next;
	uintptr_t canary;
};

struct heap_chunk {
	struct heap_free_obj *free;     /* this chunk's free objects */
	struct heap_chunk *next, *prev; /* its class's chunks with a free object */
	uint32_t live;                  /* objects handed out */
	uint16_t cls, slots;
};

#define CHUNK_SHIFT 15
#define CHUNK (1ul << CHUNK_SHIFT)
#define LIST_HDR 16u
#define TRAILER sizeof(struct heap_chunk)
#define SLOT_BYTES (CHUNK - LIST_HDR - TRAILER) /* room for objects */
#define MAX_SMALL 4096u
#define FREE_KEY 0x626c6b4652454521ull /* "blkFREE!" */
#define NEW_KEY 0x626c6b4e45572121ull  /* "blkNEW!!" */

/* ceil(2^32 / size): (offset * RECIP) >> 32 is offset / size for every
 * offset inside a chunk (offset < 2^15, size < 2^13), with no division. */
#define RECIP(s) ((uint32_t)(((1ull << 32) + (s) - 1) / (s)))
#define CLASS(s) { s, RECIP(s), (uint16_t)(SLOT_BYTES / (s)) }

static const struct {
	uint32_t size, recip;
	uint16_t slots;
} classes[HEAP_BLOCK_CLASSES] = {
	CLASS(16),  CLASS(32),  CLASS(48),   CLASS(64),   CLASS(96),   CLASS(128),
	CLASS(192), CLASS(256), CLASS(384),  CLASS(512),  CLASS(768),  CLASS(1024),
	CLASS(1536), CLASS(2048), CLASS(3072), CLASS(4096),
};

/* 1..16 -> 0, 17..32 -> 1; above, two classes per power of two: 33..48 -> 2,
 * 49..64 -> 3, 65..96 -> 4, ..., 3073..4096 -> 15. */
static inline unsigned size_class(size_t n)
{
	if (n <= 32)
		return n > 16;
	unsigned p = 63u - (unsigned)__builtin_clzll(n - 1); /* 2^p < n <= 2^(p+1) */
	return 2 * p - 8 + (unsigned)((n - 1) >> (p - 1) & 1);
}

static inline size_t class_size(unsigned cls) { return classes[cls].size; }

/* 0 for "not a chunk", else class + 1. */
static inline uint8_t *map_entry(const struct heap_block_state *b, uintptr_t a)
{
	return (uint8_t *)(b->map_bias + (a >> CHUNK_SHIFT));
}

static inline uintptr_t chunk_base(uintptr_t a) { return a & ~(CHUNK - 1); }

static inline struct heap_chunk *chunk_of(uintptr_t a)
{
	return (struct heap_chunk *)(chunk_base(a) + CHUNK - LIST_HDR - TRAILER);
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
	heap_list_add_end(h, &b->big, h->base + b->map_bytes,
			  h->end - h->base - b->map_bytes);
	return 0;
}

/* ---- the class lists ------------------------------------------------------ */

static void avail_push(struct heap_block_state *b, struct heap_chunk *c)
{
	c->prev = NULL;
	c->next = b->avail[c->cls];
	if (c->next)
		c->next->prev = c;
	b->avail[c->cls] = c;
}

static void avail_remove(struct heap_block_state *b, struct heap_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		b->avail[c->cls] = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* ---- chunks ---------------------------------------------------------------- */

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

/* Gives class `cls` a fresh chunk, every slot on its free list. */
static struct heap_chunk *refill(struct heap *h, unsigned cls)
{
	struct heap_block_state *b = &h->u.block;
	size_t block, size = class_size(cls);
	uintptr_t c = (uintptr_t)heap_list_take(h, &b->big, CHUNK - LIST_HDR, CHUNK, &block);
	struct heap_free_obj **link;
	struct heap_chunk *ch;

	if (!c)
		return NULL;
	ch = chunk_of(c);
	*ch = (struct heap_chunk){ .cls = (uint16_t)cls, .slots = classes[cls].slots };
	link = &ch->free;
	for (uintptr_t o = c; o < c + (size_t)ch->slots * size; o += size) {
		*link = (struct heap_free_obj *)o;
		link = &(*link)->next;
		if (heap_debug(h))
			((struct heap_free_obj *)o)->canary = o ^ NEW_KEY;
	}
	*link = NULL;
	*map_entry(b, c) = (uint8_t)(cls + 1);
	b->chunk_bytes += block;
	b->slot_bytes += (size_t)ch->slots * size;
	avail_push(b, ch);
	return ch;
}

/* The chunk's last object came back: its memory returns to the list heap. */
static void release(struct heap *h, struct heap_chunk *c)
{
	struct heap_block_state *b = &h->u.block;
	uintptr_t base = chunk_base((uintptr_t)c);

	avail_remove(b, c);
	*map_entry(b, base) = 0;
	b->slot_bytes -= (size_t)c->slots * class_size(c->cls);
	b->chunk_bytes -= heap_list_give(h, &b->big, (void *)base);
}

/* ---- allocation ------------------------------------------------------------ */

/* A popped object with neither canary was written after it was freed: the
 * rest of that chunk's list cannot be trusted, so the chunk stops serving
 * (its slots stay lost) and the allocation starts over. */
static bool pop_ok(struct heap *h, struct heap_chunk *c, struct heap_free_obj *o)
{
	uintptr_t a = (uintptr_t)o;

	if (o->canary == (a ^ FREE_KEY) || o->canary == (a ^ NEW_KEY)) {
		o->canary = 0;
		return true;
	}
	heap_report(h, HEAP_ERR_CORRUPT, o);
	c->free = NULL;
	avail_remove(&h->u.block, c);
	return false;
}

static void *block_alloc(struct heap *h, size_t size, size_t align)
{
	struct heap_block_state *b = &h->u.block;
	size_t want = size > align ? size : align;

	if (__builtin_expect(want > MAX_SMALL, 0))
		return large_alloc(h, size, align);
	unsigned cls = size_class(want);
	if (align > HEAP_MIN_ALIGN && (class_size(cls) & (align - 1)))
		cls++; /* 3 * 2^k is only 2^k aligned: the next class is 2^(k+2) */
	for (;;) {
		struct heap_chunk *c = b->avail[cls];
		if (__builtin_expect(!c, 0) && !(c = refill(h, cls)))
			return large_alloc(h, size, align);
		struct heap_free_obj *o = c->free;
		if (heap_debug(h) && !pop_ok(h, c, o))
			continue;
		c->free = o->next;
		if (__builtin_expect(!c->free, 0))
			avail_remove(b, c); /* full: out of the class list */
		c->live++;
		h->used += class_size(cls);
		return o;
	}
}

/* ---- free ------------------------------------------------------------------ */

/*
 * Debug mode: the class of p (>= 0), -1 for a list-heap pointer, or -2 after
 * reporting a pointer that is neither.
 */
static int classify_checked(struct heap *h, const void *p)
{
	struct heap_block_state *b = &h->u.block;
	uintptr_t a = (uintptr_t)p;
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
	uint32_t off = (uint32_t)(a - chunk_base(a));
	uint32_t slot = (uint32_t)(((uint64_t)off * classes[cls].recip) >> 32);
	if (slot * classes[cls].size != off || slot >= classes[cls].slots ||
	    o->canary == (a ^ NEW_KEY)) {
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

/* The chunk has no live object left.  The class's first chunk stays (the
 * next allocation comes from it, and a loop that allocates and frees one
 * object must not carve a chunk each time); any other goes back. */
static void emptied(struct heap *h, struct heap_chunk *c)
{
	if (h->u.block.avail[c->cls] != c)
		release(h, c);
}

/* A full chunk has a free object again: it goes first in its class's list.
 * An empty chunk that was first goes back, so a class never holds more than
 * one empty chunk. */
static void reopen(struct heap *h, struct heap_chunk *c)
{
	struct heap_chunk *first = h->u.block.avail[c->cls];

	if (first && !first->live)
		release(h, first);
	avail_push(&h->u.block, c);
}

static bool block_free(struct heap *h, void *p)
{
	struct heap_free_obj *o = p;
	int cls = classify(h, p);

	if (__builtin_expect(cls >= 0, 1)) {
		struct heap_chunk *c = chunk_of((uintptr_t)p);
		bool was_full = !c->free;
		o->next = c->free;
		if (heap_debug(h))
			o->canary = (uintptr_t)o ^ FREE_KEY;
		c->free = o;
		h->used -= class_size((unsigned)cls);
		if (__builtin_expect(was_full, 0))
			reopen(h, c);
		if (__builtin_expect(--c->live == 0, 0))
			emptied(h, c);
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

/* ---- statistics and trimming ----------------------------------------------- */

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
		if (b->avail[cls]) {
			if (class_size(cls) > best)
				best = class_size(cls);
			break;
		}
	}
	return best;
}

/* Each class may keep one empty chunk to allocate from next; let them go. */
static void block_flush(struct heap *h)
{
	for (unsigned cls = 0; cls < HEAP_BLOCK_CLASSES; cls++) {
		struct heap_chunk *c = h->u.block.avail[cls];
		if (c && !c->live)
			release(h, c);
	}
}

static uintptr_t block_trim_point(const struct heap *h)
{
	return heap_list_trim_point(h, &h->u.block.big);
}

static uintptr_t block_cut(struct heap *h, uintptr_t new_end)
{
	return heap_list_cut(h, &h->u.block.big, new_end);
}

/* ---- checking -------------------------------------------------------------- */

struct census {
	size_t small_used, slot_bytes, chunks_with_free;
};

/* One chunk, met on the list heap's walk: its free list holds only its own
 * slots, each once, canaries intact, and free + live = slots. */
static bool check_chunk(struct heap *h, uintptr_t base, struct census *n)
{
	unsigned cls = *map_entry(&h->u.block, base) - 1u;
	const struct heap_chunk *c = chunk_of(base);
	size_t size = class_size(cls), free = 0;

	if (c->cls != cls || c->slots != classes[cls].slots || c->live > c->slots)
		return false;
	for (const struct heap_free_obj *o = c->free; o; o = o->next) {
		uintptr_t a = (uintptr_t)o;
		if (++free > c->slots || a < base || a >= base + (size_t)c->slots * size ||
		    (a - base) % size ||
		    (heap_debug(h) && o->canary != (a ^ FREE_KEY) && o->canary != (a ^ NEW_KEY)))
			return false;
	}
	if (free + c->live != c->slots)
		return false;
	n->small_used += c->live * size;
	n->slot_bytes += (size_t)c->slots * size;
	n->chunks_with_free += free != 0;
	return true;
}

static bool visit_block(struct heap *h, uintptr_t payload, size_t size, void *ctx)
{
	(void)size;
	if (chunk_base(payload) != payload || !*map_entry(&h->u.block, payload))
		return true; /* a large object */
	return check_chunk(h, payload, ctx);
}

/* Every chunk on a class list has a free object and belongs to that class. */
static bool check_avail(const struct heap_block_state *b, size_t *n)
{
	*n = 0;
	for (unsigned cls = 0; cls < HEAP_BLOCK_CLASSES; cls++) {
		const struct heap_chunk *prev = NULL;
		for (const struct heap_chunk *c = b->avail[cls]; c; prev = c, c = c->next)
			if (c->cls != cls || !c->free || c->prev != prev ||
			    *map_entry(b, chunk_base((uintptr_t)c)) != cls + 1 || ++*n > (1ul << 40))
				return false;
	}
	return true;
}

static bool block_check(struct heap *h)
{
	const struct heap_block_state *b = &h->u.block;
	struct census n = { 0 };
	size_t list_used, avail;

	if (!heap_list_walk(h, &b->big, h->base + b->map_bytes, &list_used, visit_block, &n))
		return false;
	if (!check_avail(b, &avail) || avail != n.chunks_with_free ||
	    list_used != b->large_used + b->chunk_bytes ||
	    n.small_used != h->used - b->large_used || n.slot_bytes != b->slot_bytes) {
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
	.flush = block_flush,
	.trim_point = block_trim_point,
	.cut = block_cut,
	.check = block_check,
};
