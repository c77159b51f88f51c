/*
 * heap_block.c — the fixed-size-block design: sixteen size classes from 16
 * to 4096 bytes (each power of two and the step halfway to the next: 16 32
 * 48 64 96 128 ... 3072 4096), in front of a list heap for larger sizes.
 *
 * Small objects have no header.  They live in 32 KiB chunks, aligned to
 * 32 KiB, that hold objects of one class only; a byte map at the start of the
 * heap records each chunk's class, so free() finds the class from the address
 * with one shift and one load.  Each class allocates from one chunk at a
 * time, its "current" chunk, whose free list the class holds: allocation
 * pops it, or else takes the chunk's next slot never used yet, and a free of
 * one of its objects pushes back onto it, so a loop that allocates and
 * frees touches nothing else.  Every other chunk keeps
 * its own free list and count in a 32-byte trailer at its end; a chunk that
 * gets a free object back joins its class's `avail` list, where the class
 * finds its next current chunk, and a chunk whose last object comes back
 * returns to the list heap at once.  So memory freed in bulk is whole again
 * and can go back to the frame allocator (heap_shrink).  O(1) both ways, no
 * division.  An object is aligned to the largest power of two that divides
 * its class size; a request for more alignment takes the next class.
 *
 * A chunk is one list-heap block: its 16-byte list header sits in the last 16
 * bytes of the chunk before it, and its trailer just below that.  Larger
 * sizes, and small ones when no chunk can be had, go to the list heap.
 *
 * Debug mode: a free object carries a canary beside its link, its address
 * ^ FREE_KEY.  Freeing an object that has it is a double free, freeing a
 * slot of the current chunk not carved yet is a free of a slot never handed
 * out (only the current chunk has such slots: an exact check), and popping
 * an object without it means the object was written after being freed.
 */
#include "mm/heap.h"

#include "kernel/lib/string.h"

struct heap_free_obj {
	struct heap_free_obj *next;
	uintptr_t canary;
};

struct heap_chunk {
	struct heap_free_obj *free;     /* freed objects, while not current */
	struct heap_chunk *next, *prev; /* its class's avail list */
	uint16_t nfree, slots;          /* objects on `free`; all objects */
	uint16_t cls, pad;
};

#define CHUNK_SHIFT 15
#define CHUNK (1ul << CHUNK_SHIFT)
#define LIST_HDR 16u
#define TRAILER sizeof(struct heap_chunk)
#define SLOT_BYTES (CHUNK - LIST_HDR - TRAILER) /* room for objects */
#define MAX_SMALL 4096u
#define FREE_KEY 0x626c6b4652454521ull /* "blkFREE!" */

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

static void avail_push(struct heap_block_class *k, struct heap_chunk *c)
{
	c->prev = NULL;
	c->next = k->avail;
	if (c->next)
		c->next->prev = c;
	k->avail = c;
}

static void avail_remove(struct heap_block_class *k, struct heap_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		k->avail = c->next;
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

/* A fresh chunk for class @cls, its slots all still to carve. */
static struct heap_chunk *fresh_chunk(struct heap *h, unsigned cls)
{
	struct heap_block_state *b = &h->u.block;
	size_t block, size = class_size(cls);
	uintptr_t c = (uintptr_t)heap_list_take(h, &b->big, CHUNK - LIST_HDR, CHUNK, &block);
	struct heap_chunk *ch;

	if (!c)
		return NULL;
	ch = chunk_of(c);
	*ch = (struct heap_chunk){ .cls = (uint16_t)cls, .slots = classes[cls].slots };
	*map_entry(b, c) = (uint8_t)(cls + 1);
	b->chunk_bytes += block;
	b->slot_bytes += (size_t)ch->slots * size;
	return ch;
}

/* A chunk with no live object left returns to the list heap. */
static void release(struct heap *h, struct heap_chunk *c)
{
	struct heap_block_state *b = &h->u.block;
	uintptr_t base = chunk_base((uintptr_t)c);

	*map_entry(b, base) = 0;
	b->slot_bytes -= (size_t)c->slots * class_size(c->cls);
	b->chunk_bytes -= heap_list_give(h, &b->big, (void *)base);
}

/* The class's current chunk is used up (every object live): carve on from
 * the first chunk with a free object, or a fresh one.  False if none. */
static bool next_chunk(struct heap *h, struct heap_block_class *k, unsigned cls)
{
	struct heap_chunk *c = k->avail;

	if (c) {
		avail_remove(k, c);
		k->free = c->free;
		c->free = NULL;
		c->nfree = 0;
		k->carve = k->carve_end = 0; /* it left the class fully carved */
	} else if ((c = fresh_chunk(h, cls))) {
		k->carve = chunk_base((uintptr_t)c);
		k->carve_end = k->carve + (size_t)c->slots * class_size(cls);
	} else {
		return false;
	}
	k->cur = c;
	return true;
}

/* ---- allocation ------------------------------------------------------------ */

/* A popped object without its canary was written after it was freed: the
 * rest of that list cannot be trusted, so the current chunk is given up
 * (its slots stay lost) and the allocation starts over. */
static bool pop_ok(struct heap *h, struct heap_block_class *k, struct heap_free_obj *o)
{
	if (o->canary == ((uintptr_t)o ^ FREE_KEY)) {
		o->canary = 0;
		return true;
	}
	heap_report(h, HEAP_ERR_CORRUPT, o);
	k->free = NULL;
	k->cur = NULL;
	k->carve = k->carve_end = 0;
	return false;
}

/* The current chunk's free list is empty: its next slot never used, or the
 * next chunk's. */
static void *carve_next(struct heap *h, struct heap_block_class *k, unsigned cls)
{
	uintptr_t o;

	if (k->carve == k->carve_end) {
		if (!next_chunk(h, k, cls))
			return NULL;
		if (k->free)
			return NULL; /* the caller pops it */
	}
	o = k->carve;
	k->carve += class_size(cls);
	if (heap_debug(h)) /* the memory may hold a stale canary */
		((struct heap_free_obj *)o)->canary = 0;
	h->used += class_size(cls);
	return (void *)o;
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
	struct heap_block_class *k = &b->cls[cls];
	for (;;) {
		struct heap_free_obj *o = k->free;
		if (__builtin_expect(!o, 0)) {
			void *p = carve_next(h, k, cls);
			if (p)
				return p;
			/* No chunk: from the list heap, unless the owner is about to
			 * commit memory (a deferred grow) and try again. */
			if (!(o = k->free))
				return h->grow_later || h->commit_later_bytes
					       ? NULL : large_alloc(h, size, align);
		}
		if (heap_debug(h) && !pop_ok(h, k, o))
			continue;
		k->free = o->next;
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
	const struct heap_block_class *k = &b->cls[cls];
	bool uncarved = a >= k->carve && a < k->carve_end;
	if (slot * classes[cls].size != off || slot >= classes[cls].slots || uncarved) {
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

/* An object of a chunk the class does not carve from: onto the chunk's own
 * list.  The first free object puts the chunk on `avail`; the last live
 * object's return sends the chunk back to the list heap. */
static void free_elsewhere(struct heap *h, struct heap_block_class *k,
			   struct heap_free_obj *o)
{
	struct heap_chunk *c = chunk_of((uintptr_t)o);

	o->next = c->free;
	c->free = o;
	if (++c->nfree == 1)
		avail_push(k, c);
	if (c->nfree == c->slots) {
		avail_remove(k, c);
		release(h, c);
	}
}

static bool block_free(struct heap *h, void *p)
{
	struct heap_free_obj *o = p;
	int cls = classify(h, p);

	if (__builtin_expect(cls >= 0, 1)) {
		struct heap_block_class *k = &h->u.block.cls[cls];
		if (heap_debug(h))
			o->canary = (uintptr_t)o ^ FREE_KEY;
		h->used -= class_size((unsigned)cls);
		if (__builtin_expect(chunk_of((uintptr_t)o) == k->cur, 1)) {
			o->next = k->free;
			k->free = o;
		} else {
			free_elsewhere(h, k, o);
		}
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
		const struct heap_block_class *k = &b->cls[cls];
		if (k->free || k->avail || k->carve != k->carve_end) {
			if (class_size(cls) > best)
				best = class_size(cls);
			break;
		}
	}
	return best;
}

static size_t list_length(const struct heap_free_obj *o, size_t bound)
{
	size_t n = 0;

	for (; o && n <= bound; o = o->next)
		n++;
	return n;
}

/* A class's current chunk may be empty: let it go too (heap_shrink). */
static void block_flush(struct heap *h)
{
	for (unsigned cls = 0; cls < HEAP_BLOCK_CLASSES; cls++) {
		struct heap_block_class *k = &h->u.block.cls[cls];
		size_t uncarved = (k->carve_end - k->carve) / class_size(cls);
		if (k->cur &&
		    list_length(k->free, k->cur->slots) + uncarved == k->cur->slots) {
			release(h, k->cur);
			k->cur = NULL;
			k->free = NULL;
			k->carve = k->carve_end = 0;
		}
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

static bool block_decommit_next(struct heap *h, uintptr_t *start, size_t *bytes)
{
	return heap_list_decommit_next(h, &h->u.block.big, start, bytes);
}

/* ---- checking -------------------------------------------------------------- */

struct census {
	size_t small_used, slot_bytes, in_avail;
};

/* Every object on @o is a carved slot of chunk @base (below @carved), at
 * most @bound of them, canaries intact; returns how many, or SIZE_MAX. */
static size_t check_list(struct heap *h, const struct heap_free_obj *o, uintptr_t base,
			 size_t size, size_t bound, uintptr_t carved)
{
	size_t n = 0;

	for (; o; o = o->next) {
		uintptr_t a = (uintptr_t)o;
		if (++n > bound || a < base || a >= carved || (a - base) % size ||
		    (heap_debug(h) && o->canary != (a ^ FREE_KEY)))
			return SIZE_MAX;
	}
	return n;
}

/* One chunk, met on the list heap's walk.  The current chunk's free objects
 * are on its class's list; any other's on its own, counted, and it waits on
 * `avail` exactly when it has some (and is not empty: that goes back). */
static bool check_chunk(struct heap *h, uintptr_t base, struct census *n)
{
	unsigned cls = *map_entry(&h->u.block, base) - 1u;
	const struct heap_block_class *k = &h->u.block.cls[cls];
	const struct heap_chunk *c = chunk_of(base);
	size_t size = class_size(cls), free;

	if (c->cls != cls || c->slots != classes[cls].slots)
		return false;
	uintptr_t all = base + (size_t)c->slots * size;
	if (c == k->cur) {
		bool carving = k->carve_end == all && k->carve >= base && k->carve <= all;
		if (k->carve != k->carve_end && !carving)
			return false;
		uintptr_t carved = carving ? k->carve : all;
		free = check_list(h, k->free, base, size, c->slots, carved);
		if (c->free || c->nfree || free == SIZE_MAX)
			return false;
		free += (all - carved) / size;
	} else {
		free = check_list(h, c->free, base, size, c->slots, all);
		if (free != c->nfree || free == c->slots)
			return false;
		n->in_avail += free != 0;
	}
	n->small_used += (c->slots - free) * size;
	n->slot_bytes += (size_t)c->slots * size;
	return true;
}

static bool visit_block(struct heap *h, uintptr_t payload, size_t size, void *ctx)
{
	(void)size;
	if (chunk_base(payload) != payload || !*map_entry(&h->u.block, payload))
		return true; /* a large object */
	return check_chunk(h, payload, ctx);
}

/* Every chunk on a class's avail list has a free object, is not current,
 * and belongs to that class. */
static bool check_avail(const struct heap_block_state *b, size_t *n)
{
	*n = 0;
	for (unsigned cls = 0; cls < HEAP_BLOCK_CLASSES; cls++) {
		const struct heap_chunk *prev = NULL;
		for (const struct heap_chunk *c = b->cls[cls].avail; c; prev = c, c = c->next)
			if (c->cls != cls || !c->nfree || c == b->cls[cls].cur || c->prev != prev ||
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
	if (!check_avail(b, &avail) || avail != n.in_avail ||
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
	.decommit_next = block_decommit_next,
	.check = block_check,
};
