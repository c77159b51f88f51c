/*
 * heap_list.c — the linked-list design: a free list sorted by address, first
 * fit, blocks split on allocation and merged with free neighbours on free.
 *
 * Every byte of the heap belongs to exactly one block, live or free, and every
 * block starts with a 16-byte header (size, tag), so the heap can be walked
 * from one end to the other (heap_list_walk).  Keeping the free list sorted
 * makes merging a matter of looking at the two list neighbours; the price is
 * a walk of the free list on every free.  The block design reuses this engine
 * for its large objects and its chunks.
 */
#include "mm/heap.h"

struct list_hdr {
	size_t size;   /* whole block, header included */
	uintptr_t tag; /* payload address ^ LIST_LIVE or LIST_FREE */
};

struct heap_free_block {
	struct list_hdr h;
	struct heap_free_block *next;
};

#define HDR sizeof(struct list_hdr)
#define MIN_BLOCK 32u
#define LIST_LIVE 0x6c6973744c495645ull /* "listLIVE" */
#define LIST_FREE 0x6c69737446524545ull /* "listFREE" */

static struct list_hdr *hdr_at(uintptr_t block) { return (struct list_hdr *)block; }

void heap_list_setup(struct heap_list_state *l)
{
	l->head = NULL;
	l->free_bytes = 0;
}

static struct heap_free_block *make_free(uintptr_t start, size_t size,
					 struct heap_free_block *next)
{
	struct heap_free_block *f = (struct heap_free_block *)start;

	f->h.size = size;
	f->h.tag = (start + HDR) ^ LIST_FREE;
	f->next = next;
	return f;
}

/* Adds [start, start + bytes) to the free list, merging with neighbours. */
void heap_list_release(struct heap_list_state *l, uintptr_t start, size_t bytes)
{
	struct heap_free_block *prev = NULL, *next = l->head, *b;

	while (next && (uintptr_t)next < start) {
		prev = next;
		next = next->next;
	}
	l->free_bytes += bytes;
	if (prev && (uintptr_t)prev + prev->h.size == start) {
		prev->h.size += bytes;
		b = prev;
	} else {
		b = make_free(start, bytes, next);
		if (prev)
			prev->next = b;
		else
			l->head = b;
	}
	if (next && (uintptr_t)b + b->h.size == (uintptr_t)next) {
		b->h.size += next->h.size;
		b->next = next->next;
	}
}

/* Cuts the block for payload p out of free block f (found through *link). */
static void *carve(struct heap_list_state *l, struct heap_free_block **link,
		   struct heap_free_block *f, uintptr_t p, size_t need, size_t *block)
{
	uintptr_t start = (uintptr_t)f, end = start + f->h.size;
	uintptr_t b = p - HDR, bend = b + need;
	struct heap_free_block *rest = f->next;
	struct list_hdr *hd;

	if (end - bend < MIN_BLOCK)
		bend = end; /* too small to stand alone: give it away */
	else
		rest = make_free(bend, end - bend, rest);
	if (b > start) {
		f->h.size = b - start;
		f->next = rest;
	} else {
		*link = rest;
	}
	hd = hdr_at(b);
	hd->size = bend - b;
	hd->tag = p ^ LIST_LIVE;
	l->free_bytes -= bend - b;
	*block = bend - b;
	return (void *)p;
}

static void *first_fit(struct heap_list_state *l, size_t need, size_t align, size_t *block)
{
	struct heap_free_block **link = &l->head, *f;

	for (; (f = *link); link = &f->next) {
		uintptr_t start = (uintptr_t)f, end = start + f->h.size;
		uintptr_t p = heap_align_up(start + HDR, align);

		/* A gap in front must be able to hold a free block of its own. */
		if (p - HDR != start && p - HDR - start < MIN_BLOCK)
			p = heap_align_up(start + HDR + MIN_BLOCK, align);
		if (p - HDR < end && end - (p - HDR) >= need)
			return carve(l, link, f, p, need, block);
	}
	return NULL;
}

/* Commits enough memory at the end of the heap for a block of `need`. */
static bool grow_for(struct heap *h, struct heap_list_state *l, size_t need, size_t align)
{
	struct heap_free_block *f = l->head, *last = NULL;
	uintptr_t old_end = h->end;
	size_t bytes = need + align + MIN_BLOCK, tail = 0;

	for (; f; f = f->next)
		last = f;
	if (last && (uintptr_t)last + last->h.size == old_end)
		tail = last->h.size;
	if (!heap_extend(h, bytes > tail ? bytes - tail : HEAP_MIN_ALIGN))
		return false;
	heap_list_release(l, old_end, h->end - old_end);
	return true;
}

void *heap_list_take(struct heap *h, struct heap_list_state *l, size_t size,
		     size_t align, size_t *block)
{
	size_t need = heap_align_up(size, HEAP_MIN_ALIGN) + HDR;
	void *p;

	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	while (!(p = first_fit(l, need, align, block))) {
		if (!grow_for(h, l, need, align))
			return NULL;
	}
	return p;
}

/* The header of live block p; in debug mode NULL (after reporting) if p is
 * not one. */
static struct list_hdr *live_hdr(struct heap *h, void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct list_hdr *hd = hdr_at(a - HDR);

	if (!heap_debug(h))
		return hd;
	if (a < h->base + HDR || a >= h->end || (a & (HEAP_MIN_ALIGN - 1))) {
		heap_report(h, HEAP_ERR_FOREIGN, p);
		return NULL;
	}
	if (hd->tag == (a ^ LIST_LIVE)) {
		if (hd->size >= MIN_BLOCK && !(hd->size & (HEAP_MIN_ALIGN - 1)) &&
		    hd->size <= h->end - (a - HDR))
			return hd;
		heap_report(h, HEAP_ERR_CORRUPT, p);
		return NULL;
	}
	heap_report(h, hd->tag == (a ^ LIST_FREE) ? HEAP_ERR_DOUBLE_FREE : HEAP_ERR_FOREIGN,
		    p);
	return NULL;
}

size_t heap_list_give(struct heap *h, struct heap_list_state *l, void *p)
{
	struct list_hdr *hd = live_hdr(h, p);
	size_t size;

	if (!hd)
		return 0;
	size = hd->size;
	hd->tag = (uintptr_t)p ^ LIST_FREE; /* stays behind to catch a double free */
	heap_list_release(l, (uintptr_t)hd, size);
	return size;
}

size_t heap_list_usable(struct heap *h, void *p)
{
	struct list_hdr *hd = live_hdr(h, p);

	return hd ? hd->size - HDR : 0;
}

/* Takes what block p needs from the free block right after it, if any. */
bool heap_list_grow_in_place(struct heap *h, struct heap_list_state *l, void *p,
			     size_t size, size_t *added)
{
	struct list_hdr *hd = hdr_at((uintptr_t)p - HDR);
	uintptr_t bend = (uintptr_t)hd + hd->size;
	size_t need = heap_align_up(size, HEAP_MIN_ALIGN) + HDR, more, left;
	struct heap_free_block **link = &l->head, *f;

	(void)h;
	while ((f = *link) && (uintptr_t)f < bend)
		link = &f->next;
	if (!f || (uintptr_t)f != bend || hd->size + f->h.size < need)
		return false;
	more = need - hd->size;
	left = f->h.size - more;
	if (left < MIN_BLOCK) {
		more = f->h.size;
		*link = f->next;
	} else {
		*link = make_free(bend + more, left, f->next);
	}
	hd->size += more;
	l->free_bytes -= more;
	*added = more;
	return true;
}

size_t heap_list_largest(const struct heap_list_state *l)
{
	size_t best = 0;

	for (const struct heap_free_block *f = l->head; f; f = f->next)
		if (f->h.size > best)
			best = f->h.size;
	return best ? best - HDR : 0;
}

/* One block of the physical walk; false if its header is not sane. */
static bool walk_one(struct heap *h, uintptr_t b, const struct heap_free_block **nextfree,
		     bool *prev_free, size_t *used, size_t *free)
{
	const struct list_hdr *hd = hdr_at(b);
	bool is_free = hd->tag == ((b + HDR) ^ LIST_FREE);

	if (hd->size < MIN_BLOCK || (hd->size & (HEAP_MIN_ALIGN - 1)) ||
	    hd->size > h->end - b)
		return false;
	if (!is_free && hd->tag != ((b + HDR) ^ LIST_LIVE))
		return false;
	if (is_free) {
		/* Each free block is the next on the list, and never next to
		 * another free block (it would have been merged). */
		if (*prev_free || (uintptr_t)*nextfree != b)
			return false;
		*nextfree = (*nextfree)->next;
		*free += hd->size;
	} else {
		*used += hd->size;
	}
	*prev_free = is_free;
	return true;
}

bool heap_list_walk(struct heap *h, const struct heap_list_state *l, uintptr_t from,
		    size_t *used_bytes)
{
	const struct heap_free_block *nextfree = l->head;
	size_t used = 0, free = 0;
	bool prev_free = false;
	uintptr_t b = from;

	while (b < h->end) {
		if (!walk_one(h, b, &nextfree, &prev_free, &used, &free)) {
			heap_report(h, HEAP_ERR_CORRUPT, (void *)b);
			return false;
		}
		b += hdr_at(b)->size;
	}
	if (b != h->end || nextfree || free != l->free_bytes) {
		heap_report(h, HEAP_ERR_CORRUPT, (void *)b);
		return false;
	}
	*used_bytes = used;
	return true;
}

/* ---- the list design ------------------------------------------------------- */

static int list_init(struct heap *h, size_t initial)
{
	(void)initial;
	heap_list_setup(&h->u.list);
	if (h->end - h->base >= MIN_BLOCK)
		heap_list_release(&h->u.list, h->base, h->end - h->base);
	else
		h->end = h->base; /* too small to hold a block: start empty */
	return 0;
}

static void *list_alloc(struct heap *h, size_t size, size_t align)
{
	size_t block;
	void *p = heap_list_take(h, &h->u.list, size, align, &block);

	if (p)
		h->used += block;
	return p;
}

static bool list_free(struct heap *h, void *p)
{
	size_t n = heap_list_give(h, &h->u.list, p);

	h->used -= n;
	return n != 0;
}

static size_t list_usable(struct heap *h, void *p) { return heap_list_usable(h, p); }

static bool list_resize(struct heap *h, void *p, size_t size)
{
	size_t added;

	if (!heap_list_grow_in_place(h, &h->u.list, p, size, &added))
		return false;
	h->used += added;
	return true;
}

static size_t list_free_bytes(const struct heap *h) { return h->u.list.free_bytes; }
static size_t list_largest_free(const struct heap *h) { return heap_list_largest(&h->u.list); }

static bool list_check(struct heap *h)
{
	size_t used;

	if (!heap_list_walk(h, &h->u.list, h->base, &used))
		return false;
	if (used != h->used) {
		heap_report(h, HEAP_ERR_CORRUPT, (void *)h->base);
		return false;
	}
	return true;
}

const struct heap_ops heap_list_ops = {
	.init = list_init,
	.alloc = list_alloc,
	.free = list_free,
	.usable = list_usable,
	.resize = list_resize,
	.free_bytes = list_free_bytes,
	.largest_free = list_largest_free,
	.check = list_check,
};
