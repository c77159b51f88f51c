/*
 * frame_bits.c — the frame allocator's bitmaps (see frame.h for the tree) and
 * the mapping between bitmap indices and physical addresses.
 */
#include "mm/frame_internal.h"

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
		bool child_free = frame_level(fa, l - 1)[idx] != 0;
		uint64_t *pw = &frame_level(fa, l)[idx / 64], old = *pw;
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
void frame_update_range(struct frame_allocator *fa, bool free, uint64_t b, uint64_t e,
			bool set)
{
	uint64_t *map = free ? frame_level(fa, 0) : frame_used_map(fa);
	uint64_t *count = free ? &fa->free_frames : &fa->used_frames;

	for (uint64_t w = b / 64; b < e && w <= (e - 1) / 64; w++) {
		uint64_t mask = range_mask(w, b, e), old = map[w];
		uint64_t now = set ? old | mask : old & ~mask;

		/* Atomic store: the frame caches read the used map without
		 * the lock (frame.h); a plain mov on x86. */
		__atomic_store_n(&map[w], now, __ATOMIC_RELEASE);
		*count += popcount64(now);
		*count -= popcount64(old);
		if (free && now != old)
			propagate(fa, w);
	}
}

/* The first free frame bit >= @p, or FRAME_NONE: climbs until a word has one. */
uint64_t frame_next_set(const struct frame_allocator *fa, unsigned l, uint64_t p)
{
	const uint64_t *lv = frame_level(fa, l);
	uint64_t w = p / 64;

	if (w >= fa->level_words[l])
		return FRAME_NONE;
	uint64_t bits = lv[w] & (~0ull << (p % 64));
	if (bits)
		return w * 64 + (uint64_t)__builtin_ctzll(bits);
	if (l + 1 == fa->nlevels)
		return FRAME_NONE;
	uint64_t up = frame_next_set(fa, l + 1, w + 1);
	if (up == FRAME_NONE)
		return FRAME_NONE;
	return up * 64 + (uint64_t)__builtin_ctzll(lv[up]); /* nonzero: parent bit says so */
}

/* The first bit in [b, e) that is not free, or @e. */
uint64_t frame_next_unfree(const struct frame_allocator *fa, uint64_t b, uint64_t e)
{
	const uint64_t *lv = frame_level(fa, 0);

	for (uint64_t w = b / 64; w <= (e - 1) / 64; w++) {
		uint64_t busy = ~lv[w] & range_mask(w, b, e);
		if (busy)
			return w * 64 + (uint64_t)__builtin_ctzll(busy);
	}
	return e;
}

/* Free frames among @r's bits. */
uint64_t frame_free_in_region(const struct frame_allocator *fa,
			      const struct frame_region *r)
{
	const uint64_t *lv = frame_level(fa, 0);
	uint64_t b = r->first_bit, e = b + r->frames, n = 0;

	for (uint64_t w = b / 64; w <= (e - 1) / 64; w++)
		n += popcount64(lv[w] & range_mask(w, b, e));
	return n;
}

/* ---- regions ------------------------------------------------------------- */

/* The region holding bitmap index @bit (regions are sorted by first_bit). */
static const struct frame_region *region_of_bit(const struct frame_allocator *fa,
						uint64_t bit)
{
	const struct frame_region *r = frame_regions(fa);
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

/* The bitmap index of frame @pa, or FRAME_NONE if no region holds it. */
uint64_t frame_bit_of(const struct frame_allocator *fa, uint64_t pa)
{
	const struct frame_region *r = frame_regions(fa);
	size_t lo = 0, hi = fa->nregions;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].base <= pa)
			lo = mid;
		else
			hi = mid;
	}
	if (!fa->nregions || pa < r[lo].base || pa >= frame_region_end(&r[lo]))
		return FRAME_NONE;
	return r[lo].first_bit + ((pa - r[lo].base) >> FRAME_SHIFT);
}

uint64_t frame_pa_of(const struct frame_allocator *fa, uint64_t bit)
{
	const struct frame_region *r = region_of_bit(fa, bit);

	return r->base + ((bit - r->first_bit) << FRAME_SHIFT);
}
