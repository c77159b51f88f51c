/*
 * frame_map.c — the frame allocator's view of the UEFI memory map: which
 * descriptors give frames, which are holes, how much metadata that needs and
 * where it goes, and the region and hole tables built there (frame_init()'s
 * two passes; see frame.c).
 */
#include "mm/frame_internal.h"

#include "kernel/lib/meminfo.h"
#include "kernel/lib/string.h"

/* ---- the memory map ------------------------------------------------------ */

bool frame_reusable_type(uint32_t t)
{
	return t == BOOT_MEM_CONVENTIONAL || t == BOOT_MEM_LOADER_CODE ||
	       t == BOOT_MEM_LOADER_DATA || t == BOOT_MEM_BOOT_SERVICES_CODE ||
	       t == BOOT_MEM_BOOT_SERVICES_DATA;
}

static bool ram_type(uint32_t t)
{
	return frame_reusable_type(t) || t == BOOT_MEM_RUNTIME_SERVICES_CODE ||
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

/*
 * The type a descriptor stands for, its attributes considered: reusable
 * memory that cannot be mapped write-back, or is specific-purpose, is no
 * general RAM (a hole); reusable memory the firmware still uses at runtime
 * is the firmware's, like its runtime data.
 */
static uint32_t effective_type(const struct boot_mem_desc *d)
{
	if (!frame_reusable_type(d->type))
		return d->type;
	if (!(d->attribute & BOOT_MEM_ATTR_WB) || (d->attribute & BOOT_MEM_ATTR_SP))
		return BOOT_MEM_RESERVED;
	if (d->attribute & BOOT_MEM_ATTR_RUNTIME)
		return BOOT_MEM_RUNTIME_SERVICES_DATA;
	return d->type;
}

/* Descriptor @i as [start, end) bytes of its effective type; false if its
 * size or end overflows. */
static bool desc_bytes(const struct frame_map_src *s, uint64_t i, uint32_t *type,
		       uint64_t *start, uint64_t *end)
{
	const struct boot_mem_desc *d = meminfo_desc(s->descs, s->desc_size, (size_t)i);

	*type = effective_type(d);
	*start = d->phys_start;
	if (d->num_pages > (UINT64_MAX >> FRAME_SHIFT))
		return false;
	return !__builtin_add_overflow(d->phys_start, d->num_pages << FRAME_SHIFT, end);
}

/* The frames a usable descriptor gives: rounded inwards, clipped to
 * [1 MiB, FRAME_PHYS_LIMIT).  False if none. */
static bool usable_span(const struct frame_map_src *s, uint64_t i, uint32_t *type,
			uint64_t *base, uint64_t *end)
{
	uint64_t start, stop;

	if (!desc_bytes(s, i, type, &start, &stop) || !frame_reusable_type(*type))
		return false;
	if (start >= FRAME_PHYS_LIMIT)
		return false;
	*base = page_up(start < FRAME_LOW_LIMIT ? FRAME_LOW_LIMIT : start);
	*end = page_down(stop > FRAME_PHYS_LIMIT ? FRAME_PHYS_LIMIT : stop);
	return *base < *end;
}

/* Hole @i of the input (reserved ranges first, then every descriptor that is
 * not a usable type), rounded outwards.  False if @i is not a hole. */
static bool src_hole(const struct frame_map_src *s, uint64_t i, uint64_t *base, uint64_t *end)
{
	uint64_t start, stop;
	uint32_t type;

	if (i < s->nreserved) {
		start = s->reserved[i].base;
		if (__builtin_add_overflow(start, s->reserved[i].size, &stop))
			stop = UINT64_MAX;
	} else if (!desc_bytes(s, i - s->nreserved, &type, &start, &stop) ||
		   frame_reusable_type(type)) {
		return false;
	}
	*base = page_down(start);
	*end = page_up(stop);
	return *base < *end;
}


/* The lowest address in [base, end) where @need bytes avoid every hole. */
static uint64_t fit_between_holes(const struct frame_map_src *s, uint64_t base,
				  uint64_t end, uint64_t need)
{
	uint64_t cand = base, hb, he;
	bool moved = true;

	while (moved) {
		if (cand >= end || need > end - cand)
			return FRAME_NONE;
		moved = false;
		for (uint64_t i = 0; i < s->nreserved + s->ndescs && !moved; i++) {
			if (src_hole(s, i, &hb, &he) && frame_overlaps(cand, cand + need, hb, he)) {
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

/* ---- building ------------------------------------------------------------ */

static void note_ram_end(struct frame_allocator *fa, uint64_t end)
{
	end = page_up(end > FRAME_PHYS_LIMIT ? FRAME_PHYS_LIMIT : end);
	if (end > fa->highest_address)
		fa->highest_address = end;
}

/* Pass 1: how much metadata, and the lowest conventional place for it. */
int frame_plan(struct frame_allocator *fa, const struct frame_map_src *s,
	       uint64_t *nregions, uint64_t *nholes)
{
	uint64_t base, end, frames = 0, i;
	uint32_t type;

	*nregions = 0;
	*nholes = 1; /* the metadata itself */
	for (i = 0; i < s->ndescs; i++) {
		uint64_t start, stop;
		if (!desc_bytes(s, i, &type, &start, &stop))
			fa->bad_descriptors++;
		else if (ram_type(type) && start < FRAME_PHYS_LIMIT && stop > start)
			note_ram_end(fa, stop);
		if (usable_span(s, i, &type, &base, &end)) {
			*nregions += 2; /* overlaps can cut one region in up to three */
			frames += (end - base) >> FRAME_SHIFT;
			frames = frames > FRAME_MAX_FRAMES ? FRAME_MAX_FRAMES : frames;
		}
	}
	for (i = 0; i < s->nreserved + s->ndescs; i++)
		*nholes += src_hole(s, i, &base, &end);
	if (!frames)
		return FRAME_ERR_NO_MEMORY;
	fa->meta_bytes = meta_size(fa, *nregions, *nholes, frames);
	fa->meta_base = FRAME_NONE;
	for (i = 0; i < s->ndescs; i++) {
		if (!usable_span(s, i, &type, &base, &end) || type != BOOT_MEM_CONVENTIONAL)
			continue;
		uint64_t at = fit_between_holes(s, base, end, fa->meta_bytes);
		if (at < fa->meta_base)
			fa->meta_base = at;
	}
	return fa->meta_base == FRAME_NONE ? FRAME_ERR_NO_MEMORY : FRAME_OK;
}

/* Which of two usable types owns frames both claim: the one still in use
 * longer (loader data outlives boot-services data outlives conventional).
 * Equal ranks fall to the higher type number, so the answer never depends
 * on the map's order. */
static unsigned rank(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_LOADER_CODE:
	case BOOT_MEM_LOADER_DATA:
		return 2u << 8 | type;
	case BOOT_MEM_BOOT_SERVICES_CODE:
	case BOOT_MEM_BOOT_SERVICES_DATA:
		return 1u << 8 | type;
	default:
		return type;
	}
}

/* The owner of the frames from @at on, and where that ownership ends (the
 * next descriptor boundary); *type is UINT32_MAX where none covers @at. */
static uint64_t owner_from(const struct frame_map_src *s, uint64_t at, uint32_t *type)
{
	uint64_t next = FRAME_NONE, base, end;
	uint32_t t;

	*type = UINT32_MAX;
	for (uint64_t i = 0; i < s->ndescs; i++) {
		if (!usable_span(s, i, &t, &base, &end) || end <= at)
			continue;
		if (base > at) {
			next = base < next ? base : next;
			continue;
		}
		next = end < next ? end : next;
		if (*type == UINT32_MAX || rank(t) > rank(*type))
			*type = t;
	}
	return next;
}

static void add_region(struct frame_allocator *fa, uint64_t base, uint64_t end, uint32_t type)
{
	struct frame_region *r = frame_regions(fa);
	struct frame_region *prev = fa->nregions ? &r[fa->nregions - 1] : NULL;

	if (prev && frame_region_end(prev) == base && prev->type == type) {
		prev->frames += (end - base) >> FRAME_SHIFT;
		return;
	}
	r[fa->nregions++] = (struct frame_region){ .base = base,
						   .frames = (end - base) >> FRAME_SHIFT,
						   .type = type };
}

/*
 * Pass 2a: the usable descriptors as sorted, disjoint regions.  A sweep from
 * the lowest usable address up, one descriptor boundary at a time: each
 * stretch goes to the most restrictive type that covers it (rank()).
 * O(descriptors^2), at boot, over a map of a few hundred entries.
 */
void frame_build_regions(struct frame_allocator *fa, const struct frame_map_src *s)
{
	struct frame_region *r = frame_regions(fa);
	uint64_t at = 0, bit = 0;
	uint32_t type;

	fa->nregions = 0;
	while (at != FRAME_NONE) {
		uint64_t next = owner_from(s, at, &type);
		if (type != UINT32_MAX)
			add_region(fa, at, next, type);
		at = next;
	}
	for (size_t i = 0; i < fa->nregions; i++) {
		r[i].first_bit = bit;
		bit += r[i].frames;
	}
	fa->nbits = bit;
}

/* Pass 2b: copy the holes, so reclaim can honour them without the map. */
void frame_build_holes(struct frame_allocator *fa, const struct frame_map_src *s)
{
	struct boot_range *h = frame_holes(fa);
	uint64_t base, end;

	fa->nholes = 0;
	for (uint64_t i = 0; i < s->nreserved + s->ndescs; i++)
		if (src_hole(s, i, &base, &end))
			h[fa->nholes++] = (struct boot_range){ base, end - base };
	h[fa->nholes++] = (struct boot_range){ fa->meta_base, fa->meta_bytes };
}

/* Pass 2c: the bitmaps follow the tables; all frames start unavailable. */
void frame_build_bitmaps(struct frame_allocator *fa)
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
	memset(frame_used_map(fa), 0, (size_t)(at - fa->used_pa));
}
