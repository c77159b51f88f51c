/*
 * frame.c — the physical frame allocator (see frame.h for the design).
 *
 * frame_init() reads the map twice: once to size the metadata and find a
 * home for it, once to fill the region and hole tables there.  After that the
 * map is never read again, so the loader's copy may be reclaimed with the
 * rest of loader data.
 */
#include "mm/frame.h"

#include "kernel/meminfo.h"
#include "kernel/string.h"

#define NONE UINT64_MAX
#define MAX_FRAMES (FRAME_PHYS_LIMIT >> FRAME_SHIFT)

/* ---- the memory map ------------------------------------------------------ */

struct map_src {
	const void *descs;
	uint64_t ndescs, desc_size;
	const struct boot_range *reserved;
	size_t nreserved;
};

static bool reusable_type(uint32_t t)
{
	return t == BOOT_MEM_CONVENTIONAL || t == BOOT_MEM_LOADER_CODE ||
	       t == BOOT_MEM_LOADER_DATA || t == BOOT_MEM_BOOT_SERVICES_CODE ||
	       t == BOOT_MEM_BOOT_SERVICES_DATA;
}

static bool ram_type(uint32_t t)
{
	return reusable_type(t) || t == BOOT_MEM_RUNTIME_SERVICES_CODE ||
	       t == BOOT_MEM_RUNTIME_SERVICES_DATA || t == BOOT_MEM_ACPI_RECLAIM ||
	       t == BOOT_MEM_ACPI_NVS;
}

static uint64_t page_up(uint64_t x)
{
	return x > UINT64_MAX - (FRAME_SIZE - 1) ? UINT64_MAX & ~(FRAME_SIZE - 1)
						 : (x + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);
}

static uint64_t page_down(uint64_t x)
{
	return x & ~(FRAME_SIZE - 1);
}

/* Descriptor @i as [start, end) bytes; false if its size or end overflows. */
static bool desc_bytes(const struct map_src *s, uint64_t i, uint32_t *type,
		       uint64_t *start, uint64_t *end)
{
	const struct boot_mem_desc *d = meminfo_desc(s->descs, s->desc_size, (size_t)i);

	*type = d->type;
	*start = d->phys_start;
	if (d->num_pages > (UINT64_MAX >> FRAME_SHIFT))
		return false;
	return !__builtin_add_overflow(d->phys_start, d->num_pages << FRAME_SHIFT, end);
}

/* The frames a usable descriptor gives: rounded inwards, clipped to
 * [1 MiB, 2^52).  False if none. */
static bool usable_span(const struct map_src *s, uint64_t i, uint32_t *type,
			uint64_t *base, uint64_t *end)
{
	uint64_t start, stop;

	if (!desc_bytes(s, i, type, &start, &stop) || !reusable_type(*type))
		return false;
	if (start >= FRAME_PHYS_LIMIT)
		return false;
	*base = page_up(start < FRAME_LOW_LIMIT ? FRAME_LOW_LIMIT : start);
	*end = page_down(stop > FRAME_PHYS_LIMIT ? FRAME_PHYS_LIMIT : stop);
	return *base < *end;
}

/* Hole @i of the input (reserved ranges first, then every descriptor that is
 * not a usable type), rounded outwards.  False if @i is not a hole. */
static bool src_hole(const struct map_src *s, uint64_t i, uint64_t *base, uint64_t *end)
{
	uint64_t start, stop;
	uint32_t type;

	if (i < s->nreserved) {
		start = s->reserved[i].base;
		if (__builtin_add_overflow(start, s->reserved[i].size, &stop))
			stop = UINT64_MAX;
	} else if (!desc_bytes(s, i - s->nreserved, &type, &start, &stop) ||
		   reusable_type(type)) {
		return false;
	}
	*base = page_down(start);
	*end = page_up(stop);
	return *base < *end;
}

static bool overlaps(uint64_t b1, uint64_t e1, uint64_t b2, uint64_t e2)
{
	return b1 < e2 && b2 < e1;
}

/* The lowest address in [base, end) where @need bytes avoid every hole. */
static uint64_t fit_between_holes(const struct map_src *s, uint64_t base, uint64_t end,
				  uint64_t need)
{
	uint64_t cand = base, hb, he;
	bool moved = true;

	while (moved) {
		if (cand >= end || need > end - cand)
			return NONE;
		moved = false;
		for (uint64_t i = 0; i < s->nreserved + s->ndescs && !moved; i++) {
			if (src_hole(s, i, &hb, &he) && overlaps(cand, cand + need, hb, he)) {
				cand = he; /* strictly larger: the loop ends */
				moved = true;
			}
		}
	}
	return cand;
}

/* ---- metadata layout ----------------------------------------------------- */

static uint64_t words_for(uint64_t bits)
{
	return (bits + 63) / 64;
}

/* Fills level_words/nlevels for @nbits frames; returns the tree's words. */
static uint64_t plan_levels(struct frame_allocator *fa, uint64_t nbits)
{
	uint64_t total = 0, words = words_for(nbits);

	fa->nlevels = 0;
	for (;;) {
		fa->level_words[fa->nlevels++] = words;
		total += words;
		if (words <= 1)
			return total;
		words = words_for(words);
	}
}

static uint64_t meta_size(struct frame_allocator *fa, uint64_t nregions,
			  uint64_t nholes, uint64_t nbits)
{
	uint64_t bytes = nregions * sizeof(struct frame_region) +
			 nholes * sizeof(struct boot_range);
	bytes += (words_for(nbits) + plan_levels(fa, nbits)) * 8;
	return page_up(bytes);
}

static uint64_t *level(const struct frame_allocator *fa, unsigned l)
{
	return (uint64_t *)(fa->level_pa[l] + fa->phys_offset);
}

static uint64_t *used_map(const struct frame_allocator *fa)
{
	return (uint64_t *)(fa->used_pa + fa->phys_offset);
}

static struct frame_region *regions(const struct frame_allocator *fa)
{
	return (struct frame_region *)(fa->regions_pa + fa->phys_offset);
}

static struct boot_range *holes(const struct frame_allocator *fa)
{
	return (struct boot_range *)(fa->holes_pa + fa->phys_offset);
}

/* ---- the bitmaps --------------------------------------------------------- */

/* Bit counting without the popcnt instruction or a libgcc call. */
static unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* Word @idx of level 0 changed: fix the "has a free bit" bits above it,
 * stopping at the first level whose word did not change emptiness. */
static void propagate(struct frame_allocator *fa, uint64_t idx)
{
	for (unsigned l = 1; l < fa->nlevels; l++) {
		bool child_free = level(fa, l - 1)[idx] != 0;
		uint64_t *pw = &level(fa, l)[idx / 64], old = *pw;
		uint64_t bit = 1ull << (idx % 64);

		*pw = child_free ? old | bit : old & ~bit;
		if ((old != 0) == (*pw != 0))
			return;
		idx /= 64;
	}
}

static uint64_t range_mask(uint64_t w, uint64_t b, uint64_t e)
{
	uint64_t lo = b > w * 64 ? b - w * 64 : 0, hi = e < w * 64 + 64 ? e - w * 64 : 64;
	uint64_t upto = hi == 64 ? ~0ull : (1ull << hi) - 1;

	return upto & (~0ull << lo);
}

/* Sets or clears bits [b, e) of the free tree (@free) or the used map. */
static void update_range(struct frame_allocator *fa, bool free, uint64_t b, uint64_t e,
			 bool set)
{
	uint64_t *map = free ? level(fa, 0) : used_map(fa);
	uint64_t *count = free ? &fa->free_frames : &fa->used_frames;

	for (uint64_t w = b / 64; b < e && w <= (e - 1) / 64; w++) {
		uint64_t mask = range_mask(w, b, e), old = map[w];

		map[w] = set ? old | mask : old & ~mask;
		*count += popcount64(map[w]);
		*count -= popcount64(old);
		if (free && map[w] != old)
			propagate(fa, w);
	}
}

static bool test_bit(const uint64_t *map, uint64_t b)
{
	return map[b / 64] >> (b % 64) & 1;
}

/* The first free frame bit >= @p, or NONE: climbs until a word has one. */
static uint64_t next_set(const struct frame_allocator *fa, unsigned l, uint64_t p)
{
	const uint64_t *lv = level(fa, l);
	uint64_t w = p / 64;

	if (w >= fa->level_words[l])
		return NONE;
	uint64_t bits = lv[w] & (~0ull << (p % 64));
	if (bits)
		return w * 64 + (uint64_t)__builtin_ctzll(bits);
	if (l + 1 == fa->nlevels)
		return NONE;
	uint64_t up = next_set(fa, l + 1, w + 1);
	if (up == NONE)
		return NONE;
	return up * 64 + (uint64_t)__builtin_ctzll(lv[up]); /* nonzero: parent bit says so */
}

/* The first bit in [b, e) that is not free, or @e. */
static uint64_t next_unfree(const struct frame_allocator *fa, uint64_t b, uint64_t e)
{
	const uint64_t *lv = level(fa, 0);

	for (uint64_t w = b / 64; w <= (e - 1) / 64; w++) {
		uint64_t busy = ~lv[w] & range_mask(w, b, e);
		if (busy)
			return w * 64 + (uint64_t)__builtin_ctzll(busy);
	}
	return e;
}

/* ---- regions ------------------------------------------------------------- */

static uint64_t region_end(const struct frame_region *r)
{
	return r->base + (r->frames << FRAME_SHIFT);
}

/* The region holding bitmap index @bit (regions are sorted by first_bit). */
static const struct frame_region *region_of_bit(const struct frame_allocator *fa,
						uint64_t bit)
{
	const struct frame_region *r = regions(fa);
	size_t lo = 0, hi = fa->nregions; /* answer in [lo, hi) */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].first_bit <= bit)
			lo = mid;
		else
			hi = mid;
	}
	return &r[lo];
}

/* The bitmap index of frame @pa, or NONE if no region holds it. */
static uint64_t bit_of(const struct frame_allocator *fa, uint64_t pa)
{
	const struct frame_region *r = regions(fa);
	size_t lo = 0, hi = fa->nregions;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].base <= pa)
			lo = mid;
		else
			hi = mid;
	}
	if (!fa->nregions || pa < r[lo].base || pa >= region_end(&r[lo]))
		return NONE;
	return r[lo].first_bit + ((pa - r[lo].base) >> FRAME_SHIFT);
}

static uint64_t pa_of(const struct frame_allocator *fa, uint64_t bit)
{
	const struct frame_region *r = region_of_bit(fa, bit);

	return r->base + ((bit - r->first_bit) << FRAME_SHIFT);
}

/* Frees every frame of @r except those under a hole. */
static void make_available(struct frame_allocator *fa, const struct frame_region *r)
{
	const struct boot_range *h = holes(fa);
	uint64_t end = region_end(r);

	update_range(fa, true, r->first_bit, r->first_bit + r->frames, true);
	for (size_t i = 0; i < fa->nholes; i++) {
		uint64_t hb = h[i].base, he = h[i].base + h[i].size;
		if (!overlaps(hb, he, r->base, end))
			continue;
		hb = hb < r->base ? r->base : hb;
		he = he > end ? end : he;
		update_range(fa, true, r->first_bit + ((hb - r->base) >> FRAME_SHIFT),
			     r->first_bit + ((he - r->base) >> FRAME_SHIFT), false);
	}
}

/* ---- building ------------------------------------------------------------ */

static void note_ram_end(struct frame_allocator *fa, uint64_t end)
{
	end = page_up(end > FRAME_PHYS_LIMIT ? FRAME_PHYS_LIMIT : end);
	if (end > fa->highest_address)
		fa->highest_address = end;
}

/* Pass 1: how much metadata, and the lowest conventional place for it. */
static int plan(struct frame_allocator *fa, const struct map_src *s, uint64_t *nregions,
		uint64_t *nholes)
{
	uint64_t base, end, frames = 0, i;
	uint32_t type;

	*nregions = 0;
	*nholes = 1; /* the metadata itself */
	for (i = 0; i < s->ndescs; i++) {
		uint64_t start, stop;
		if (!desc_bytes(s, i, &type, &start, &stop))
			fa->bad_descriptors++;
		else if (ram_type(type) && start < FRAME_PHYS_LIMIT)
			note_ram_end(fa, stop);
		if (usable_span(s, i, &type, &base, &end)) {
			++*nregions;
			frames += (end - base) >> FRAME_SHIFT;
			frames = frames > MAX_FRAMES ? MAX_FRAMES : frames;
		}
	}
	for (i = 0; i < s->nreserved + s->ndescs; i++)
		*nholes += src_hole(s, i, &base, &end);
	if (!frames)
		return FRAME_ERR_NO_MEMORY;
	fa->meta_bytes = meta_size(fa, *nregions, *nholes, frames);
	fa->meta_base = NONE;
	for (i = 0; i < s->ndescs; i++) {
		if (!usable_span(s, i, &type, &base, &end) || type != BOOT_MEM_CONVENTIONAL)
			continue;
		uint64_t at = fit_between_holes(s, base, end, fa->meta_bytes);
		if (at < fa->meta_base)
			fa->meta_base = at;
	}
	return fa->meta_base == NONE ? FRAME_ERR_NO_MEMORY : FRAME_OK;
}

/* Pass 2a: the usable descriptors as sorted, disjoint regions.  Where two
 * overlap, the lower-based one keeps the shared frames. */
static void build_regions(struct frame_allocator *fa, const struct map_src *s)
{
	struct frame_region *r = regions(fa);
	uint64_t base, end, n = 0, bit = 0;
	uint32_t type;

	for (uint64_t i = 0; i < s->ndescs; i++) {
		if (!usable_span(s, i, &type, &base, &end))
			continue;
		struct frame_region x = { .base = base, .frames = (end - base) >> FRAME_SHIFT,
					  .type = type };
		uint64_t j = n++; /* insertion sort: maps are short and nearly sorted */
		for (; j > 0 && r[j - 1].base > base; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
	fa->nregions = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct frame_region x = r[i];
		struct frame_region *prev = fa->nregions ? &r[fa->nregions - 1] : NULL;
		uint64_t xend = region_end(&x);
		if (prev && region_end(prev) >= xend)
			continue; /* wholly inside the previous one */
		if (prev && region_end(prev) > x.base)
			x.base = region_end(prev);
		x.frames = (xend - x.base) >> FRAME_SHIFT;
		if (prev && region_end(prev) == x.base && prev->type == x.type) {
			prev->frames += x.frames;
			continue;
		}
		r[fa->nregions++] = x;
	}
	for (size_t i = 0; i < fa->nregions; i++) {
		r[i].first_bit = bit;
		bit += r[i].frames;
	}
	fa->nbits = bit;
}

/* Pass 2b: copy the holes, so reclaim can honour them without the map. */
static void build_holes(struct frame_allocator *fa, const struct map_src *s)
{
	struct boot_range *h = holes(fa);
	uint64_t base, end;

	fa->nholes = 0;
	for (uint64_t i = 0; i < s->nreserved + s->ndescs; i++)
		if (src_hole(s, i, &base, &end))
			h[fa->nholes++] = (struct boot_range){ base, end - base };
	h[fa->nholes++] = (struct boot_range){ fa->meta_base, fa->meta_bytes };
}

/* Pass 2c: the bitmaps follow the tables; all frames start unavailable. */
static void build_bitmaps(struct frame_allocator *fa)
{
	uint64_t at = fa->holes_pa + fa->nholes * sizeof(struct boot_range);
	uint64_t words = words_for(fa->nbits);

	fa->used_pa = at;
	at += words * 8;
	plan_levels(fa, fa->nbits);
	for (unsigned l = 0; l < fa->nlevels; l++) {
		fa->level_pa[l] = at;
		at += fa->level_words[l] * 8;
	}
	memset(used_map(fa), 0, (size_t)(at - fa->used_pa));
}

int frame_init(struct frame_allocator *fa, const void *descs, uint64_t map_size,
	       uint64_t desc_size, const struct boot_range *reserved, size_t nreserved,
	       uintptr_t phys_offset)
{
	struct map_src s = { descs, 0, desc_size, reserved, nreserved };
	uint64_t nregions, nholes;

	memset(fa, 0, sizeof *fa);
	fa->phys_offset = phys_offset;
	if (desc_size < sizeof(struct boot_mem_desc) || desc_size % 8)
		return FRAME_ERR_DESC_SIZE;
	s.ndescs = map_size / desc_size;
	int err = plan(fa, &s, &nregions, &nholes);
	if (err)
		return err;
	fa->regions_pa = fa->meta_base;
	fa->holes_pa = fa->regions_pa + nregions * sizeof(struct frame_region);
	build_regions(fa, &s);
	build_holes(fa, &s);
	build_bitmaps(fa);
	for (size_t i = 0; i < fa->nregions; i++)
		if (regions(fa)[i].type == BOOT_MEM_CONVENTIONAL)
			make_available(fa, &regions(fa)[i]);
	fa->reclaimed_types = 1u << BOOT_MEM_CONVENTIONAL;
	return FRAME_OK;
}

/* ---- allocating and freeing ---------------------------------------------- */

/* Takes frames [b, b + n), all free, for the caller. */
static void take(struct frame_allocator *fa, uint64_t b, uint64_t n)
{
	update_range(fa, true, b, b + n, false);
	update_range(fa, false, b, b + n, true);
}

uint64_t frame_alloc(struct frame_allocator *fa)
{
	unsigned l = fa->nlevels;
	uint64_t idx = 0;

	if (!l || !level(fa, l - 1)[0]) {
		fa->alloc_failures++;
		return 0;
	}
	while (l--) /* one word per level: the first with a free frame */
		idx = idx * 64 + (uint64_t)__builtin_ctzll(level(fa, l)[idx]);
	take(fa, idx, 1);
	fa->allocs++;
	return pa_of(fa, idx);
}

uint64_t frame_alloc_contig(struct frame_allocator *fa, size_t count, size_t align_frames)
{
	uint64_t align = align_frames ? align_frames : 1;

	if (count && !(align & (align - 1)) && align <= MAX_FRAMES) {
		for (size_t i = 0; i < fa->nregions; i++) {
			const struct frame_region *r = &regions(fa)[i];
			uint64_t pfn0 = r->base >> FRAME_SHIFT, last = r->first_bit + r->frames;
			uint64_t bit = next_set(fa, 0, r->first_bit);
			while (r->frames >= count && bit < last) {
				uint64_t pfn = (pfn0 + bit - r->first_bit + align - 1) & ~(align - 1);
				if (pfn + count > pfn0 + r->frames)
					break;
				uint64_t b = r->first_bit + (pfn - pfn0);
				uint64_t busy = next_unfree(fa, b, b + count);
				if (busy == b + count) {
					take(fa, b, count);
					fa->contig_allocs++;
					return pfn << FRAME_SHIFT;
				}
				bit = next_set(fa, 0, busy + 1);
			}
		}
	}
	fa->alloc_failures++;
	return 0;
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
	uint64_t b = bit_of(fa, pa);
	if (b == NONE)
		return free_error(fa, FRAME_ERR_FOREIGN, pa);
	if (!test_bit(used_map(fa), b))
		return free_error(fa, test_bit(level(fa, 0), b) ? FRAME_ERR_DOUBLE_FREE
								: FRAME_ERR_FOREIGN, pa);
	update_range(fa, false, b, b + 1, false);
	update_range(fa, true, b, b + 1, true);
	fa->frees++;
	return FRAME_OK;
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
	uint64_t b = pa % FRAME_SIZE ? NONE : bit_of(fa, pa);

	return b != NONE && test_bit(used_map(fa), b);
}

/* ---- reclaim, offset, stats ---------------------------------------------- */

int frame_reclaim(struct frame_allocator *fa, uint32_t mem_type)
{
	if (!reusable_type(mem_type) || mem_type == BOOT_MEM_CONVENTIONAL)
		return FRAME_ERR_BAD_TYPE;
	if (fa->reclaimed_types & (1u << mem_type))
		return FRAME_OK; /* again would free frames handed out since */
	fa->reclaimed_types |= 1u << mem_type;
	for (size_t i = 0; i < fa->nregions; i++) {
		uint64_t before = fa->free_frames;
		if (regions(fa)[i].type != mem_type)
			continue;
		make_available(fa, &regions(fa)[i]);
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

static uint64_t free_in_region(const struct frame_allocator *fa,
			       const struct frame_region *r)
{
	const uint64_t *lv = level(fa, 0);
	uint64_t b = r->first_bit, e = b + r->frames, n = 0;

	for (uint64_t w = b / 64; w <= (e - 1) / 64; w++)
		n += popcount64(lv[w] & range_mask(w, b, e));
	return n;
}

void frame_stats(const struct frame_allocator *fa, struct frame_stats *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < fa->nregions; i++) {
		const struct frame_region *r = &regions(fa)[i];
		out->bytes_by_type[r->type] += r->frames << FRAME_SHIFT;
		out->free_by_type[r->type] += free_in_region(fa, r) << FRAME_SHIFT;
	}
	out->total_bytes = fa->nbits << FRAME_SHIFT;
	out->free_bytes = fa->free_frames << FRAME_SHIFT;
	out->used_bytes = fa->used_frames << FRAME_SHIFT;
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
}
