/*
 * frame.c — the physical frame allocator (see frame.h for the design).
 *
 * frame_init() reads the map twice: once to size the metadata and find a
 * home for it, once to fill the region and hole tables there.  After that the
 * map is never read again, so the loader's copy may be reclaimed with the
 * rest of loader data.
 *
 * Reading the map is frame_map.c; the bitmap tree is frame_bits.c.
 */
#include "mm/frame.h"

#include "kernel/lib/string.h"
#include "mm/frame_internal.h"

/* ---- init ---------------------------------------------------------------- */

/* Frees every frame of @r except those under a hole. */
static void make_available(struct frame_allocator *fa, const struct frame_region *r)
{
	const struct boot_range *h = frame_holes(fa);
	uint64_t end = frame_region_end(r);

	frame_update_range(fa, true, r->first_bit, r->first_bit + r->frames, true);
	for (size_t i = 0; i < fa->nholes; i++) {
		uint64_t hb = h[i].base, he = h[i].base + h[i].size;
		if (!frame_overlaps(hb, he, r->base, end))
			continue;
		hb = hb < r->base ? r->base : hb;
		he = he > end ? end : he;
		frame_update_range(fa, true, r->first_bit + ((hb - r->base) >> FRAME_SHIFT),
				   r->first_bit + ((he - r->base) >> FRAME_SHIFT), false);
	}
}

int frame_init(struct frame_allocator *fa, const void *descs, uint64_t map_size,
	       uint64_t desc_size, const struct boot_range *reserved, size_t nreserved,
	       uintptr_t phys_offset)
{
	struct frame_map_src s = { descs, 0, desc_size, reserved, nreserved };
	uint64_t nregions, nholes;

	memset(fa, 0, sizeof *fa);
	fa->phys_offset = phys_offset;
	if (desc_size < sizeof(struct boot_mem_desc) || desc_size % 8)
		return FRAME_ERR_DESC_SIZE;
	s.ndescs = map_size / desc_size;
	int err = frame_plan(fa, &s, &nregions, &nholes);
	if (err)
		return err;
	fa->regions_pa = fa->meta_base;
	fa->holes_pa = fa->regions_pa + nregions * sizeof(struct frame_region);
	frame_build_regions(fa, &s);
	frame_build_holes(fa, &s);
	frame_build_bitmaps(fa);
	for (size_t i = 0; i < fa->nregions; i++)
		if (frame_regions(fa)[i].type == BOOT_MEM_CONVENTIONAL)
			make_available(fa, &frame_regions(fa)[i]);
	fa->reclaimed_types = 1u << BOOT_MEM_CONVENTIONAL;
	return FRAME_OK;
}

/* ---- allocating and freeing ---------------------------------------------- */

static bool test_bit(const uint64_t *map, uint64_t b)
{
	return map[b / 64] >> (b % 64) & 1;
}

/* Takes frames [b, b + n), all free, for the caller. */
static void take(struct frame_allocator *fa, uint64_t b, uint64_t n)
{
	frame_update_range(fa, true, b, b + n, false);
	frame_update_range(fa, false, b, b + n, true);
}

/* The pool is empty, or has no run that fits: if caches hold frames, take
 * them all back (they are free, only parked) so the caller can try again. */
static bool reclaim_caches(struct frame_allocator *fa)
{
	return fa->cache && frame_cache_reclaim_locked(fa->cache) > 0;
}

static bool pool_empty(const struct frame_allocator *fa)
{
	return !fa->nlevels || !frame_level(fa, fa->nlevels - 1)[0];
}

uint64_t frame_alloc_pool(struct frame_allocator *fa, uint64_t *bit)
{
	unsigned l = fa->nlevels;
	uint64_t idx = 0;

	if (pool_empty(fa))
		return 0;
	while (l--) /* one word per level: the first with a free frame */
		idx = idx * 64 + (uint64_t)__builtin_ctzll(frame_level(fa, l)[idx]);
	take(fa, idx, 1);
	fa->allocs++;
	*bit = idx;
	return frame_pa_of(fa, idx);
}

uint64_t frame_alloc(struct frame_allocator *fa)
{
	uint64_t bit, pa = frame_alloc_pool(fa, &bit);

	if (!pa && reclaim_caches(fa))
		pa = frame_alloc_pool(fa, &bit);
	if (!pa)
		fa->alloc_failures++;
	return pa;
}

static uint64_t find_contig(struct frame_allocator *fa, size_t count, uint64_t align)
{
	for (size_t i = 0; i < fa->nregions; i++) {
		const struct frame_region *r = &frame_regions(fa)[i];
		uint64_t pfn0 = r->base >> FRAME_SHIFT, last = r->first_bit + r->frames;
		uint64_t bit = frame_next_set(fa, 0, r->first_bit);
		while (r->frames >= count && bit < last) {
			uint64_t pfn = (pfn0 + bit - r->first_bit + align - 1) & ~(align - 1);
			if (pfn + count > pfn0 + r->frames)
				break;
			uint64_t b = r->first_bit + (pfn - pfn0);
			uint64_t busy = frame_next_unfree(fa, b, b + count);
			if (busy == b + count) {
				take(fa, b, count);
				fa->contig_allocs++;
				return pfn << FRAME_SHIFT;
			}
			bit = frame_next_set(fa, 0, busy + 1);
		}
	}
	return 0;
}

uint64_t frame_alloc_contig(struct frame_allocator *fa, size_t count, size_t align_frames)
{
	uint64_t align = align_frames ? align_frames : 1, pa = 0;

	if (count && !(align & (align - 1)) && align <= FRAME_MAX_FRAMES) {
		pa = find_contig(fa, count, align);
		if (!pa && reclaim_caches(fa)) /* a cached frame may break the run */
			pa = find_contig(fa, count, align);
	}
	if (!pa)
		fa->alloc_failures++;
	return pa;
}

static int free_error(struct frame_allocator *fa, enum frame_error err, uint64_t pa)
{
	if (err == FRAME_ERR_DOUBLE_FREE)
		fa->double_frees++;
	else
		fa->foreign_frees++;
	if (fa->on_error)
		fa->on_error(fa->error_ctx, err, pa);
	return err;
}

int frame_free(struct frame_allocator *fa, uint64_t pa)
{
	if (pa % FRAME_SIZE)
		return free_error(fa, FRAME_ERR_MISALIGNED, pa);
	uint64_t b = frame_bit_of(fa, pa);
	if (b == FRAME_NONE)
		return free_error(fa, FRAME_ERR_FOREIGN, pa);
	if (!test_bit(frame_used_map(fa), b))
		return free_error(fa, test_bit(frame_level(fa, 0), b) ? FRAME_ERR_DOUBLE_FREE
								: FRAME_ERR_FOREIGN, pa);
	if (frame_test_cached(fa, pa)) /* given back already: it waits in a cache */
		return free_error(fa, FRAME_ERR_DOUBLE_FREE, pa);
	frame_update_range(fa, false, b, b + 1, false);
	frame_update_range(fa, true, b, b + 1, true);
	fa->frees++;
	return FRAME_OK;
}

/*
 * The used bit goes first, then the tag (release): a racing second free of
 * the frame (frame_cache.c) sets the tag and then reads the used bit again,
 * so it finds one or the other in its way and is refused.
 */
void frame_return_cached(struct frame_allocator *fa, uint64_t pa, uint64_t b)
{
	frame_update_range(fa, false, b, b + 1, false);
	frame_update_range(fa, true, b, b + 1, true);
	__atomic_store_n(frame_tag(fa, pa), 0, __ATOMIC_RELEASE);
	fa->frees++;
}

int frame_free_contig(struct frame_allocator *fa, uint64_t pa, size_t count)
{
	int first = FRAME_OK;

	for (size_t i = 0; i < count; i++) {
		int err = frame_free(fa, pa + i * FRAME_SIZE);
		first = first ? first : err;
	}
	return first;
}

bool frame_is_used(const struct frame_allocator *fa, uint64_t pa)
{
	uint64_t b = pa % FRAME_SIZE ? FRAME_NONE : frame_bit_of(fa, pa);

	return b != FRAME_NONE && frame_test_used(fa, b) && !frame_test_cached(fa, pa);
}

bool frame_is_free(const struct frame_allocator *fa, uint64_t pa)
{
	uint64_t b = pa % FRAME_SIZE ? FRAME_NONE : frame_bit_of(fa, pa);

	if (b == FRAME_NONE)
		return false;
	return test_bit(frame_level(fa, 0), b) ||
	       (frame_test_used(fa, b) && frame_test_cached(fa, pa));
}

uint64_t frame_available(const struct frame_allocator *fa)
{
	return fa->free_frames + (fa->cache ? frame_cache_count(fa->cache) : 0);
}

/* ---- reclaim, offset, stats ---------------------------------------------- */

int frame_reclaim(struct frame_allocator *fa, uint32_t mem_type)
{
	if (!frame_reusable_type(mem_type) || mem_type == BOOT_MEM_CONVENTIONAL)
		return FRAME_ERR_BAD_TYPE;
	if (fa->reclaimed_types & (1u << mem_type))
		return FRAME_OK; /* again would free frames handed out since */
	fa->reclaimed_types |= 1u << mem_type;
	for (size_t i = 0; i < fa->nregions; i++) {
		uint64_t before = fa->free_frames;
		if (frame_regions(fa)[i].type != mem_type)
			continue;
		make_available(fa, &frame_regions(fa)[i]);
		fa->reclaimed_bytes += (fa->free_frames - before) << FRAME_SHIFT;
	}
	return FRAME_OK;
}

void frame_set_phys_offset(struct frame_allocator *fa, uintptr_t offset)
{
	fa->phys_offset = offset;
}

void frame_set_error_hook(struct frame_allocator *fa, frame_error_fn fn, void *ctx)
{
	fa->on_error = fn;
	fa->error_ctx = ctx;
}

uint64_t frame_highest_address(const struct frame_allocator *fa)
{
	return fa->highest_address;
}

void frame_stats(const struct frame_allocator *fa, struct frame_stats *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < fa->nregions; i++) {
		const struct frame_region *r = &frame_regions(fa)[i];
		out->bytes_by_type[r->type] += r->frames << FRAME_SHIFT;
		out->free_by_type[r->type] += frame_free_in_region(fa, r) << FRAME_SHIFT;
	}
	/* A cached frame is "used" in the pool's maps; it is free to everyone
	 * else.  One snapshot of the caches keeps the sum exact. */
	uint64_t cached = fa->cache ? frame_cache_count(fa->cache) : 0;
	out->total_bytes = fa->nbits << FRAME_SHIFT;
	out->cached_bytes = cached << FRAME_SHIFT;
	out->free_bytes = (fa->free_frames + cached) << FRAME_SHIFT;
	out->used_bytes = (fa->used_frames - cached) << FRAME_SHIFT;
	out->reserved_bytes = out->total_bytes - out->free_bytes - out->used_bytes;
	out->metadata_base = fa->meta_base;
	out->metadata_bytes = fa->meta_bytes;
	out->reclaimed_bytes = fa->reclaimed_bytes;
	out->allocs = fa->allocs;
	out->frees = fa->frees;
	out->contig_allocs = fa->contig_allocs;
	out->alloc_failures = fa->alloc_failures;
	out->double_frees = fa->double_frees;
	out->foreign_frees = fa->foreign_frees;
	out->regions = (unsigned)fa->nregions;
	out->holes = (unsigned)fa->nholes;
	out->levels = fa->nlevels;
	out->bad_descriptors = fa->bad_descriptors;
	if (fa->cache)
		frame_cache_add_stats(fa->cache, out);
}
