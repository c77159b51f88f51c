/*
 * heap.c — what every heap design shares: argument checks, statistics,
 * growth through the owner's callback, and failure reports.
 *
 * The designs (heap_bump.c, heap_list.c, heap_block.c) only place blocks; they
 * keep h->used current and call heap_report() when a pointer is bad.
 */
#include "mm/heap.h"

#include "kernel/lib/fmt.h"

#include "kernel/lib/string.h"

static const struct heap_ops *const design_ops[HEAP_DESIGN_COUNT] = {
	[HEAP_BUMP] = &heap_bump_ops,
	[HEAP_LIST] = &heap_list_ops,
	[HEAP_BLOCK] = &heap_block_ops,
};

static const char *const design_names[HEAP_DESIGN_COUNT] = {
	[HEAP_BUMP] = "bump",
	[HEAP_LIST] = "list",
	[HEAP_BLOCK] = "block",
};

const char *heap_design_name(enum heap_design d)
{
	return (unsigned)d < HEAP_DESIGN_COUNT ? design_names[d] : "?";
}

int heap_design_parse(const char *name, enum heap_design *out)
{
	for (unsigned d = 0; d < HEAP_DESIGN_COUNT; d++) {
		if (name && strcmp(name, design_names[d]) == 0) {
			*out = (enum heap_design)d;
			return 0;
		}
	}
	return -1;
}

const char *heap_error_name(enum heap_error e)
{
	switch (e) {
	case HEAP_ERR_FOREIGN:
		return "free of a pointer the heap never handed out";
	case HEAP_ERR_DOUBLE_FREE:
		return "double free";
	case HEAP_ERR_CORRUPT:
		return "corrupted metadata";
	}
	return "?";
}

int heap_init(struct heap *h, enum heap_design d, void *base, size_t initial,
	      size_t limit, heap_grow_fn grow, void *grow_ctx, unsigned flags)
{
	uintptr_t b = (uintptr_t)base;

	memset(h, 0, sizeof(*h));
	if ((unsigned)d >= HEAP_DESIGN_COUNT || !base || (b & (HEAP_MIN_ALIGN - 1)) ||
	    initial > limit || limit > UINTPTR_MAX - b)
		return -1;
	h->ops = design_ops[d];
	h->design = d;
	h->flags = flags;
	h->base = b;
	h->end = b + (initial & ~(size_t)(HEAP_MIN_ALIGN - 1));
	h->limit_end = b + (limit & ~(size_t)(HEAP_MIN_ALIGN - 1));
	h->min_end = h->end;
	h->shrink_min = limit / 4 < HEAP_SHRINK_MIN ? limit / 4 : HEAP_SHRINK_MIN;
	h->grow = grow;
	h->grow_ctx = grow_ctx;
	return h->ops->init(h, initial);
}

void heap_set_log(struct heap *h, heap_log_fn log) { h->log = log; }
void heap_set_error_handler(struct heap *h, heap_error_fn fn) { h->on_error = fn; }

bool heap_extend(struct heap *h, size_t bytes)
{
	size_t room = h->limit_end - h->end;
	size_t step = heap_align_up(bytes, HEAP_GROW_STEP);

	if (!h->grow || bytes > room || step < bytes)
		return false;
	if (step > room)
		step = room;
	if (!h->grow(h->grow_ctx, h->end, step))
		return false;
	h->end += step;
	h->grows++;
	return true;
}

void heap_grow_later(struct heap *h, size_t bytes) { h->grow_later = bytes; }
size_t heap_grow_wanted(const struct heap *h) { return h->grow_later; }

void heap_commit_later(struct heap *h, uintptr_t start, size_t bytes)
{
	h->commit_later = start;
	h->commit_later_bytes = bytes;
}

bool heap_commit_wanted(const struct heap *h, uintptr_t *start, size_t *bytes)
{
	*start = h->commit_later;
	*bytes = h->commit_later_bytes;
	return h->commit_later_bytes != 0;
}

void heap_set_paging(struct heap *h, const struct heap_paging *paging)
{
	h->paging = *paging;
}

bool heap_decommit_next(struct heap *h, uintptr_t *start, size_t *bytes)
{
	return h->ops->decommit_next && h->paging.commit && h->ops->decommit_next(h, start, bytes);
}

/* Where heap_shrink would put the end, given the lowest it could go. */
static uintptr_t shrink_target(const struct heap *h, uintptr_t low)
{
	/* Keep one grow step of slack, so a heap that breathes around one size
	 * does not map and unmap on every cycle. */
	uintptr_t target = heap_align_up(low, HEAP_GROW_STEP) + HEAP_GROW_STEP;

	return target < h->min_end ? h->min_end : target;
}

bool heap_shrink_worth(const struct heap *h)
{
	uintptr_t target = shrink_target(h, h->ops->trim_point(h));

	if (target < h->end && h->end - target >= h->shrink_min)
		return true; /* the free block at the top is big enough now */
	/* Else memory the design caches (flush) may hide a big enough top. */
	return h->end - h->base - h->used >= h->shrink_min &&
	       (h->grows != h->shrink_grows || h->used + h->shrink_min <= h->shrink_used);
}

size_t heap_shrink(struct heap *h)
{
	uintptr_t low, target, new_end;

	h->shrink_used = h->used;
	h->shrink_grows = h->grows;
	if (h->ops->flush)
		h->ops->flush(h);
	low = h->ops->trim_point(h);

	/* Keep one grow step of slack, so a heap that breathes around one size
	 * does not map and unmap on every cycle. */
	target = heap_align_up(low, HEAP_GROW_STEP) + HEAP_GROW_STEP;
	if (target < h->min_end)
		target = h->min_end;
	if (target >= h->end)
		return 0;
	new_end = h->ops->cut(h, target);
	size_t cut = h->end - new_end;
	h->end = new_end;
	h->shrinks += cut != 0;
	return cut;
}

/* ---- reports ---------------------------------------------------------------- */

static void report_oom(struct heap *h, size_t size, size_t align)
{
	struct heap_stats s;
	char line[192];

	h->failed_allocs++;
	if (!h->log)
		return;
	heap_stats(h, &s);
	fmt_snprintf(line, sizeof line,
		     "heap: %s: out of memory: %zu bytes align %zu (used %zu free %zu "
		     "largest %zu size %zu limit %zu live %zu)",
		     heap_design_name(h->design), size, align, s.used, s.free,
		     s.largest_free, s.size, s.limit, s.live_allocs);
	h->log(line);
}

void heap_report(struct heap *h, enum heap_error err, const void *p)
{
	char line[128];

	h->errors++;
	if (h->log) {
		fmt_snprintf(line, sizeof line, "heap: %s: %s: %p",
			     heap_design_name(h->design), heap_error_name(err), p);
		h->log(line);
	}
	if (h->on_error)
		h->on_error(h, err, p);
}

/* ---- the API --------------------------------------------------------------- */

void *heap_alloc(struct heap *h, size_t size, size_t align)
{
	void *p = NULL;

	if (align & (align - 1)) {
		report_oom(h, size, align);
		return NULL;
	}
	if (align < HEAP_MIN_ALIGN)
		align = HEAP_MIN_ALIGN;
	if (size == 0)
		size = 1;
	if (__builtin_expect(h->grow_later | h->commit_later_bytes, 0))
		h->grow_later = h->commit_later_bytes = 0; /* the last call's deferral */
	if (size <= h->limit_end - h->base && align <= h->limit_end - h->base)
		p = h->ops->alloc(h, size, align);
	if (__builtin_expect(!p, 0)) {
		if (!h->grow_later && !h->commit_later_bytes)
			report_oom(h, size, align);
		return NULL;
	}
	h->live_allocs++;
	h->total_allocs++;
	if (h->used > h->peak_used)
		h->peak_used = h->used;
	return p;
}

void heap_free(struct heap *h, void *p)
{
	if (p && h->ops->free(h, p))
		h->live_allocs--;
}

size_t heap_usable_size(struct heap *h, void *p)
{
	return p ? h->ops->usable(h, p) : 0;
}

void *heap_realloc(struct heap *h, void *p, size_t size)
{
	size_t have;
	void *q;

	if (!p)
		return heap_alloc(h, size, 0);
	if (size == 0) {
		heap_free(h, p);
		return NULL;
	}
	have = h->ops->usable(h, p);
	if (have == 0)
		return NULL;
	if (size <= have || (h->ops->resize && h->ops->resize(h, p, size))) {
		if (h->used > h->peak_used)
			h->peak_used = h->used;
		return p;
	}
	q = heap_alloc(h, size, 0);
	if (!q)
		return NULL;
	memcpy(q, p, have);
	heap_free(h, p);
	return q;
}

void heap_stats(const struct heap *h, struct heap_stats *s)
{
	s->used = h->used;
	s->free = h->ops->free_bytes(h);
	s->size = h->end - h->base;
	s->overhead = s->size - s->used - s->free;
	s->peak_used = h->peak_used;
	s->largest_free = h->ops->largest_free(h);
	s->limit = h->limit_end - h->base;
	s->live_allocs = h->live_allocs;
	s->total_allocs = h->total_allocs;
	s->failed_allocs = h->failed_allocs;
	s->errors = h->errors;
	s->grows = h->grows;
	s->shrinks = h->shrinks;
}

bool heap_check(struct heap *h)
{
	return h->ops->check(h);
}
