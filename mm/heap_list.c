/*
 * heap_list.c — the linked-list design: free blocks kept in size bins,
 * merged with free neighbours on free, and a "top" block that ends the heap.
 *
 * Every byte of the heap belongs to exactly one block, live or free, and
 * every block starts with a 16-byte header (size, tag), so the heap can be
 * walked from one end to the other (heap_list_walk).  A free block also
 * repeats its size in its last 8 bytes (a boundary tag, Knuth's trick), and
 * the header of the block after it says "the block before me is free"; so
 * free() finds both neighbours from the addresses alone and merges in O(1),
 * walking no list.
 *
 * Free blocks wait in bins by size (bin k holds sizes in [2^(k+5), 2^(k+6)));
 * allocation takes the first fitting block of the smallest bin that can hold
 * the request, which above the request's own bin is simply the first block.
 * The free block that ends the heap, "top", sits in no bin and is used only
 * when no bin can serve: so memory collects at the top, where growth extends
 * it and heap_shrink() can give it back.  The block design reuses this
 * engine for its large objects and its chunks.
 *
 * Pages given back from inside a big free block (heap_decommit_next) are
 * the block's inside only: its header and links (first 32 bytes) and its
 * footer (last 8) always stay, so every walk and merge reads mapped memory.
 * The block is marked PARTIAL (pages inside may be gone) and GIVEN_BACK
 * (all are, so far); merges and cuts keep PARTIAL, and whatever is carved
 * from a PARTIAL block is committed again first, with the new headers and
 * footers it needs.
 */
#include "mm/heap.h"

struct list_hdr {
	size_t size;   /* whole block, header included; | PREV_FREE */
	uintptr_t tag; /* payload address ^ LIST_LIVE or LIST_FREE */
};

struct heap_free_block {
	struct list_hdr h;
	struct heap_free_block *next, *prev; /* its bin (unused for top) */
	/* ... and the block's size again in its last 8 bytes */
};

#define HDR sizeof(struct list_hdr)
#define MIN_BLOCK 48u /* header, two links and the footer, rounded to 16 */
#define PREV_FREE 1u  /* in size: the block just before this one is free */
#define PARTIAL 2u    /* in a free block's size: pages inside may be given back */
#define GIVEN_BACK 4u /* ... and all of them were, when it was last marked */
#define LINKS 32u     /* header and links: never given back */
#define SIZE_MASK (~(size_t)(HEAP_MIN_ALIGN - 1))
#define BIN_SHIFT 5   /* MIN_BLOCK lies in bin 0: [32, 64) */
#define LIST_LIVE 0x6c6973744c495645ull /* "listLIVE" */
#define LIST_FREE 0x6c69737446524545ull /* "listFREE" */

static struct list_hdr *hdr_at(uintptr_t block) { return (struct list_hdr *)block; }
static size_t bsize(const struct list_hdr *h) { return h->size & SIZE_MASK; }
static bool partial(const struct list_hdr *h) { return h->size & PARTIAL; }
static bool is_free_at(uintptr_t b) { return hdr_at(b)->tag == ((b + HDR) ^ LIST_FREE); }

static size_t *footer(uintptr_t b, size_t size)
{
	return (size_t *)(b + size - sizeof(size_t));
}

static unsigned bin_of(size_t size)
{
	unsigned k = 63u - (unsigned)__builtin_clzll(size) - BIN_SHIFT;

	return k < HEAP_LIST_BINS ? k : HEAP_LIST_BINS - 1;
}

void heap_list_setup(struct heap_list_state *l)
{
	for (unsigned k = 0; k < HEAP_LIST_BINS; k++)
		l->bin[k] = NULL;
	l->nonempty = 0;
	l->top = NULL;
	l->free_bytes = 0;
}

/* ---- bins ------------------------------------------------------------------ */

static void bin_insert(struct heap_list_state *l, struct heap_free_block *f)
{
	unsigned k = bin_of(bsize(&f->h));

	f->prev = NULL;
	f->next = l->bin[k];
	if (f->next)
		f->next->prev = f;
	l->bin[k] = f;
	l->nonempty |= 1ull << k;
}

static void bin_remove(struct heap_list_state *l, struct heap_free_block *f)
{
	unsigned k = bin_of(bsize(&f->h));

	if (f->prev)
		f->prev->next = f->next;
	else
		l->bin[k] = f->next;
	if (f->next)
		f->next->prev = f->prev;
	if (!l->bin[k])
		l->nonempty &= ~(1ull << k);
}

/* ---- blocks ---------------------------------------------------------------- */

/* Writes a free block's header and footer; @partial: pages inside may be
 * given back.  Its predecessor is live: two free blocks are never
 * neighbours. */
static struct heap_free_block *make_free_as(uintptr_t start, size_t size, bool partial)
{
	struct heap_free_block *f = (struct heap_free_block *)start;

	f->h.size = size | (partial ? PARTIAL : 0);
	f->h.tag = (start + HDR) ^ LIST_FREE;
	*footer(start, size) = size;
	return f;
}

static struct heap_free_block *make_free(uintptr_t start, size_t size)
{
	return make_free_as(start, size, false);
}

/* Before carving [lo, hi) out of free block @f: if pages inside @f may be
 * gone, bring back those the carve will write. */
static bool commit_for(struct heap *h, const struct heap_free_block *f, uintptr_t lo,
		       uintptr_t hi)
{
	return !partial(&f->h) || !h->paging.commit || hi <= lo ||
	       h->paging.commit(h->paging.ctx, lo, hi - lo);
}

/* Tells the block at @b (if the heap has one there) whether its
 * predecessor is free. */
static void set_prev_free(const struct heap *h, uintptr_t b, bool free)
{
	if (b >= h->end)
		return;
	if (free)
		hdr_at(b)->size |= PREV_FREE;
	else
		hdr_at(b)->size &= ~(size_t)PREV_FREE;
}

/* A new free block goes to top if it ends the heap, else to its bin. */
static void file_free(struct heap *h, struct heap_list_state *l, struct heap_free_block *f)
{
	uintptr_t end = (uintptr_t)f + bsize(&f->h);

	if (end == h->end) {
		l->top = f;
	} else {
		bin_insert(l, f);
		set_prev_free(h, end, true);
	}
}

/* The bytes a carve of @need at payload @p from @f writes: the block, the
 * front gap's footer, the rest's header and links. */
static void carve_span(const struct heap_free_block *f, uintptr_t p, size_t need,
		       uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t start = (uintptr_t)f, end = start + bsize(&f->h), b = p - HDR;
	uintptr_t bend = end - (b + need) < MIN_BLOCK ? end : b + need;

	*lo = b > start ? b - sizeof(size_t) : b;
	*hi = bend < end ? bend + LINKS : bend;
}

/* Where a payload aligned to @align fits in free block @f, if it does. */
static bool fits(const struct heap_free_block *f, size_t need, size_t align, uintptr_t *p)
{
	uintptr_t start = (uintptr_t)f, end = start + bsize(&f->h);
	uintptr_t q = heap_align_up(start + HDR, align);

	/* A gap in front must be able to hold a free block of its own. */
	if (q - HDR != start && q - HDR - start < MIN_BLOCK)
		q = heap_align_up(start + HDR + MIN_BLOCK, align);
	*p = q;
	return q - HDR < end && end - (q - HDR) >= need;
}

/*
 * Cuts the block for payload @p out of free block @f, which its caller has
 * already taken out of its bin (or out of top: @was_top).  The gap in front
 * and the rest behind, if big enough, stay free.
 */
static void *carve(struct heap *h, struct heap_list_state *l, struct heap_free_block *f,
		   bool was_top, uintptr_t p, size_t need, size_t *block)
{
	uintptr_t start = (uintptr_t)f, end = start + bsize(&f->h);
	uintptr_t b = p - HDR, bend = b + need;

	bool was_partial = partial(&f->h);

	if (end - bend < MIN_BLOCK)
		bend = end; /* too small to stand alone: give it away */
	if (b > start)
		bin_insert(l, make_free_as(start, b - start, was_partial));
	hdr_at(b)->size = (bend - b) | (b > start ? PREV_FREE : 0);
	hdr_at(b)->tag = p ^ LIST_LIVE;
	if (bend < end) {
		struct heap_free_block *rest = make_free_as(bend, end - bend, was_partial);
		if (was_top)
			l->top = rest;
		else
			bin_insert(l, rest); /* the block after it stays "prev free" */
	} else {
		set_prev_free(h, end, false);
	}
	l->free_bytes -= bend - b;
	*block = bend - b;
	return (void *)p;
}

/* The first block that fits, from the smallest bin that may hold one.
 * Above the request's own bin every block is big enough, unless the
 * alignment needs more room. */
static struct heap_free_block *find(struct heap_list_state *l, size_t need, size_t align,
				    uintptr_t *p)
{
	uint64_t bins = l->nonempty & (~0ull << bin_of(need));

	while (bins) {
		unsigned k = (unsigned)__builtin_ctzll(bins);
		for (struct heap_free_block *f = l->bin[k]; f; f = f->next)
			if (fits(f, need, align, p))
				return f;
		bins &= bins - 1;
	}
	return NULL;
}

/* Commits enough memory at the end of the heap for a block of @need. */
static bool grow_for(struct heap *h, struct heap_list_state *l, size_t need, size_t align)
{
	uintptr_t old_end = h->end;
	size_t bytes = need + align + MIN_BLOCK, tail = l->top ? bsize(&l->top->h) : 0;

	if (!heap_extend(h, bytes > tail ? bytes - tail : HEAP_MIN_ALIGN))
		return false;
	heap_list_add_end(h, l, old_end, h->end - old_end);
	return true;
}

void heap_list_add_end(struct heap *h, struct heap_list_state *l, uintptr_t start,
		       size_t bytes)
{
	(void)h;
	l->free_bytes += bytes;
	if (l->top)
		make_free_as((uintptr_t)l->top, bsize(&l->top->h) + bytes, partial(&l->top->h));
	else
		l->top = make_free(start, bytes);
}

void *heap_list_take(struct heap *h, struct heap_list_state *l, size_t size,
		     size_t align, size_t *block)
{
	size_t need = heap_align_up(size, HEAP_MIN_ALIGN) + HDR;
	struct heap_free_block *f;
	uintptr_t p;

	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	for (;;) {
		bool top = false;
		if (!(f = find(l, need, align, &p)) && l->top && fits(l->top, need, align, &p)) {
			f = l->top;
			top = true;
		}
		if (f) {
			uintptr_t lo, hi;
			carve_span(f, p, need, &lo, &hi);
			if (!commit_for(h, f, lo, hi))
				return NULL; /* no frames for pages given back, or later */
			if (top)
				l->top = NULL;
			else
				bin_remove(l, f);
			return carve(h, l, f, top, p, need, block);
		}
		if (!grow_for(h, l, need, align))
			return NULL;
	}
}

/* The header of live block p; in debug mode NULL (after reporting) if p is
 * not one. */
static struct list_hdr *live_hdr(struct heap *h, void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct list_hdr *hd = hdr_at(a - HDR);

	if (!heap_debug(h))
		return hd;
	if (a < h->base + HDR || a >= h->end || (a & (HEAP_MIN_ALIGN - 1)) ||
	    (h->paging.mapped && !h->paging.mapped(h->paging.ctx, a - HDR))) {
		heap_report(h, HEAP_ERR_FOREIGN, p); /* not mapped: inside a free block */
		return NULL;
	}
	if (hd->tag == (a ^ LIST_LIVE)) {
		if (bsize(hd) >= MIN_BLOCK && bsize(hd) <= h->end - (a - HDR))
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
	uintptr_t start, end;
	size_t size;

	if (!hd)
		return 0;
	size = bsize(hd);
	start = (uintptr_t)hd;
	end = start + size;
	bool merged_partial = false;
	hd->tag = (uintptr_t)p ^ LIST_FREE; /* stays behind to catch a double free */
	if (end < h->end && is_free_at(end)) { /* merge with the next block */
		struct heap_free_block *next = (struct heap_free_block *)end;
		if (next == l->top)
			l->top = NULL;
		else
			bin_remove(l, next);
		merged_partial |= partial(&next->h);
		end += bsize(&next->h);
	}
	if (hd->size & PREV_FREE) { /* merge with the previous block */
		start -= *(size_t *)(start - sizeof(size_t));
		bin_remove(l, (struct heap_free_block *)start);
		merged_partial |= partial(hdr_at(start));
	}
	file_free(h, l, make_free_as(start, end - start, merged_partial));
	l->free_bytes += size;
	return size;
}

size_t heap_list_usable(struct heap *h, void *p)
{
	struct list_hdr *hd = live_hdr(h, p);

	return hd ? bsize(hd) - HDR : 0;
}

/* Takes what block p needs from the free block right after it, if any. */
bool heap_list_grow_in_place(struct heap *h, struct heap_list_state *l, void *p,
			     size_t size, size_t *added)
{
	struct list_hdr *hd = hdr_at((uintptr_t)p - HDR);
	uintptr_t bend = (uintptr_t)hd + bsize(hd);
	size_t need = heap_align_up(size, HEAP_MIN_ALIGN) + HDR, more, left;
	struct heap_free_block *f = (struct heap_free_block *)bend;

	if (bend >= h->end || !is_free_at(bend) || bsize(hd) + bsize(&f->h) < need)
		return false;
	uintptr_t hi = bend + (need - bsize(hd)) + LINKS; /* the rest's header too */
	if (!commit_for(h, f, bend, hi < bend + bsize(&f->h) ? hi : bend + bsize(&f->h)))
		return false;
	bool was_top = f == l->top, was_partial = partial(&f->h);
	if (was_top)
		l->top = NULL;
	else
		bin_remove(l, f);
	more = need - bsize(hd);
	left = bsize(&f->h) - more;
	if (left < MIN_BLOCK) {
		more = bsize(&f->h);
		set_prev_free(h, bend + more, false);
	} else if (was_top) {
		l->top = make_free_as(bend + more, left, was_partial);
	} else {
		bin_insert(l, make_free_as(bend + more, left, was_partial));
	}
	hd->size += more;
	l->free_bytes -= more;
	*added = more;
	return true;
}

size_t heap_list_largest(const struct heap_list_state *l)
{
	size_t best = l->top ? bsize(&l->top->h) : 0;

	if (l->nonempty) {
		unsigned k = 63u - (unsigned)__builtin_clzll(l->nonempty);
		for (const struct heap_free_block *f = l->bin[k]; f; f = f->next)
			if (bsize(&f->h) > best)
				best = bsize(&f->h);
	}
	return best ? best - HDR : 0;
}

/* ---- giving memory back ------------------------------------------------------ */

uintptr_t heap_list_trim_point(const struct heap *h, const struct heap_list_state *l)
{
	return l->top ? (uintptr_t)l->top : h->end;
}

uintptr_t heap_list_cut(struct heap *h, struct heap_list_state *l, uintptr_t new_end)
{
	uintptr_t top = (uintptr_t)l->top;

	if (!top || new_end < top || new_end >= h->end)
		return h->end;
	if (new_end != top && new_end - top < MIN_BLOCK)
		new_end = top + MIN_BLOCK; /* what is left must still be a block */
	if (new_end >= h->end)
		return h->end;
	if (new_end != top &&
	    !commit_for(h, l->top, new_end - sizeof(size_t), new_end)) /* the new footer */
		return h->end;
	l->free_bytes -= h->end - new_end;
	if (new_end == top)
		l->top = NULL;
	else
		make_free_as(top, new_end - top, partial(&l->top->h));
	return new_end;
}

bool heap_list_decommit_next(struct heap *h, struct heap_list_state *l, uintptr_t *start,
			     size_t *bytes)
{
	uint64_t bins = l->nonempty & (~0ull << bin_of(HEAP_DECOMMIT_MIN));

	(void)h;
	for (; bins; bins &= bins - 1) {
		unsigned k = (unsigned)__builtin_ctzll(bins);
		for (struct heap_free_block *f = l->bin[k]; f; f = f->next) {
			uintptr_t b = (uintptr_t)f, e = b + bsize(&f->h);
			uintptr_t lo = heap_align_up(b + LINKS, HEAP_PAGE);
			uintptr_t hi = (e - sizeof(size_t)) & ~(uintptr_t)(HEAP_PAGE - 1);
			if ((f->h.size & GIVEN_BACK) || bsize(&f->h) < HEAP_DECOMMIT_MIN || hi <= lo)
				continue;
			f->h.size |= PARTIAL | GIVEN_BACK;
			*start = lo;
			*bytes = hi - lo;
			return true;
		}
	}
	return false;
}

/* ---- checking ---------------------------------------------------------------- */

struct walk {
	bool prev_free;
	size_t used, free, free_blocks;
};

/* One block of the physical walk; false if its header is not sane. */
static bool walk_one(struct heap *h, const struct heap_list_state *l, uintptr_t b,
		     struct walk *w, heap_list_visit_fn visit, void *ctx)
{
	const struct list_hdr *hd = hdr_at(b);
	size_t size = bsize(hd);
	bool free = is_free_at(b);

	size_t flags = hd->size & ~SIZE_MASK;

	if (size < MIN_BLOCK || size > h->end - b ||
	    (flags & ~(free ? PREV_FREE | PARTIAL | GIVEN_BACK : PREV_FREE)) ||
	    ((flags & GIVEN_BACK) && !(flags & PARTIAL)))
		return false;
	if (!free && hd->tag != ((b + HDR) ^ LIST_LIVE))
		return false;
	if (!!(hd->size & PREV_FREE) != w->prev_free)
		return false; /* the boundary flag lies */
	if (free) {
		/* Never next to another free block (it would have been merged);
		 * the one that ends the heap is top, the others are binned. */
		if (w->prev_free || *footer(b, size) != size ||
		    ((b + size == h->end) != ((uintptr_t)l->top == b)))
			return false;
		w->free += size;
		w->free_blocks++;
	} else {
		w->used += size;
		if (visit && !visit(h, b + HDR, size - HDR, ctx))
			return false;
	}
	w->prev_free = free;
	return true;
}

/* Every binned block is free, in range, in the right bin, linked both ways;
 * returns how many there are, or SIZE_MAX. */
static size_t count_binned(const struct heap *h, const struct heap_list_state *l,
			   uintptr_t from, size_t bound)
{
	size_t n = 0;

	for (unsigned k = 0; k < HEAP_LIST_BINS; k++) {
		const struct heap_free_block *prev = NULL;
		if (!!l->bin[k] != !!(l->nonempty & (1ull << k)))
			return SIZE_MAX;
		for (const struct heap_free_block *f = l->bin[k]; f; prev = f, f = f->next) {
			uintptr_t b = (uintptr_t)f;
			if (++n > bound || b < from || b >= h->end || !is_free_at(b) ||
			    bin_of(bsize(&f->h)) != k || f->prev != prev)
				return SIZE_MAX;
		}
	}
	return n;
}

bool heap_list_walk(struct heap *h, const struct heap_list_state *l, uintptr_t from,
		    size_t *used_bytes, heap_list_visit_fn visit, void *ctx)
{
	struct walk w = { 0 };
	uintptr_t b = from;

	while (b < h->end) {
		if (!walk_one(h, l, b, &w, visit, ctx)) {
			heap_report(h, HEAP_ERR_CORRUPT, (void *)b);
			return false;
		}
		b += bsize(hdr_at(b));
	}
	size_t binned = count_binned(h, l, from, w.free_blocks);
	if (b != h->end || w.free != l->free_bytes ||
	    binned + (l->top != NULL) != w.free_blocks) {
		heap_report(h, HEAP_ERR_CORRUPT, (void *)b);
		return false;
	}
	*used_bytes = w.used;
	return true;
}

/* ---- the list design ------------------------------------------------------- */

static int list_init(struct heap *h, size_t initial)
{
	(void)initial;
	heap_list_setup(&h->u.list);
	if (h->end - h->base >= MIN_BLOCK)
		heap_list_add_end(h, &h->u.list, h->base, h->end - h->base);
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

static uintptr_t list_trim_point(const struct heap *h)
{
	return heap_list_trim_point(h, &h->u.list);
}

static uintptr_t list_cut(struct heap *h, uintptr_t new_end)
{
	return heap_list_cut(h, &h->u.list, new_end);
}

static bool list_decommit_next(struct heap *h, uintptr_t *start, size_t *bytes)
{
	return heap_list_decommit_next(h, &h->u.list, start, bytes);
}

static bool list_check(struct heap *h)
{
	size_t used;

	if (!heap_list_walk(h, &h->u.list, h->base, &used, NULL, NULL))
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
	.trim_point = list_trim_point,
	.cut = list_cut,
	.decommit_next = list_decommit_next,
	.check = list_check,
};
