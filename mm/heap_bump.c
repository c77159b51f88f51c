/*
 * heap_bump.c — the bump design: allocation moves a pointer up, and memory
 * comes back only when the last live allocation is freed.
 *
 * It is the fastest design and the simplest, and it never reuses a block
 * while anything else is alive: one long-lived allocation pins the heap.
 * Each block has a 16-byte header (size + tag) so frees can be checked and
 * realloc knows how much to copy.
 */
#include "mm/heap.h"

struct bump_hdr {
	size_t size; /* usable bytes */
	uintptr_t tag; /* payload address ^ BUMP_LIVE or BUMP_FREED */
};

#define HDR sizeof(struct bump_hdr)
#define BUMP_LIVE 0x62756d704c495645ull  /* "bumpLIVE" */
#define BUMP_FREED 0x62756d7046524545ull /* "bumpFREE" */

static struct bump_hdr *hdr_of(void *p)
{
	return (struct bump_hdr *)((uintptr_t)p - HDR);
}

/* In debug mode: the header of live block p, or NULL after reporting. */
static struct bump_hdr *checked_hdr(struct heap *h, void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct bump_hdr *hd;

	if (!heap_debug(h))
		return hdr_of(p);
	if (a < h->base + HDR || a >= h->end || (a & (HEAP_MIN_ALIGN - 1))) {
		heap_report(h, HEAP_ERR_FOREIGN, p);
		return NULL;
	}
	hd = hdr_of(p);
	if (hd->tag == (a ^ BUMP_LIVE) && a < h->u.bump_next)
		return hd;
	heap_report(h, hd->tag == (a ^ BUMP_FREED) ? HEAP_ERR_DOUBLE_FREE : HEAP_ERR_FOREIGN,
		    p);
	return NULL;
}

static int bump_init(struct heap *h, size_t initial)
{
	(void)initial;
	h->u.bump_next = h->base;
	return 0;
}

/* Makes [next, end) committed; false if the heap cannot grow that far. */
static bool reach(struct heap *h, uintptr_t start, size_t bytes)
{
	if (start > h->limit_end || bytes > h->limit_end - start)
		return false;
	return start + bytes <= h->end || heap_extend(h, start + bytes - h->end);
}

static void *bump_alloc(struct heap *h, size_t size, size_t align)
{
	uintptr_t next = h->u.bump_next;
	uintptr_t p = heap_align_up(next + HDR, align);
	size_t need = heap_align_up(size, HEAP_MIN_ALIGN);
	struct bump_hdr *hd;

	if (!reach(h, p, need))
		return NULL;
	hd = hdr_of((void *)p);
	hd->size = need;
	hd->tag = p ^ BUMP_LIVE;
	h->u.bump_next = p + need;
	h->used += p + need - next;
	return (void *)p;
}

static bool bump_free(struct heap *h, void *p)
{
	struct bump_hdr *hd = checked_hdr(h, p);

	if (!hd)
		return false;
	hd->tag = (uintptr_t)p ^ BUMP_FREED;
	/* heap_free() counts this allocation until we return. */
	if (h->live_allocs == 1) {
		h->u.bump_next = h->base;
		h->used = 0;
	}
	return true;
}

static size_t bump_usable(struct heap *h, void *p)
{
	struct bump_hdr *hd = checked_hdr(h, p);

	return hd ? hd->size : 0;
}

/* Only the newest block can grow in place. */
static bool bump_resize(struct heap *h, void *p, size_t size)
{
	struct bump_hdr *hd = hdr_of(p);
	uintptr_t a = (uintptr_t)p;
	size_t need = heap_align_up(size, HEAP_MIN_ALIGN);

	if (a + hd->size != h->u.bump_next || !reach(h, a, need))
		return false;
	h->used += a + need - h->u.bump_next;
	h->u.bump_next = a + need;
	hd->size = need;
	return true;
}

static size_t bump_free_bytes(const struct heap *h)
{
	return h->end - h->u.bump_next;
}

static size_t bump_largest_free(const struct heap *h)
{
	size_t room = h->end - h->u.bump_next;

	return room > HDR ? room - HDR : 0;
}

static uintptr_t bump_trim_point(const struct heap *h)
{
	return h->u.bump_next;
}

static uintptr_t bump_cut(struct heap *h, uintptr_t new_end)
{
	return new_end >= h->u.bump_next ? new_end : h->end;
}

static bool bump_check(struct heap *h)
{
	uintptr_t next = h->u.bump_next;

	if (next < h->base || next > h->end || h->used != next - h->base ||
	    (h->live_allocs == 0 && next != h->base)) {
		heap_report(h, HEAP_ERR_CORRUPT, (void *)next);
		return false;
	}
	return true;
}

const struct heap_ops heap_bump_ops = {
	.init = bump_init,
	.alloc = bump_alloc,
	.free = bump_free,
	.usable = bump_usable,
	.resize = bump_resize,
	.free_bytes = bump_free_bytes,
	.largest_free = bump_largest_free,
	.trim_point = bump_trim_point,
	.cut = bump_cut,
	.check = bump_check,
};
