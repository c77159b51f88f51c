/*
 * frame_internal.h — what the frame allocator's files share; for mm/frame*.c
 * only.  Everyone else uses mm/frame.h.
 *
 * The allocator is split in three:
 *   frame.c       the public API: init, alloc, free, reclaim, stats;
 *   frame_map.c   reading the UEFI map: holes, usable spans, planning the
 *                 metadata and building the region and hole tables in it;
 *   frame_bits.c  the bitmap tree and the bit <-> address mapping;
 *   frame_cache.c the per-CPU caches in front of the pool.
 */
#ifndef COOP_MM_FRAME_INTERNAL_H
#define COOP_MM_FRAME_INTERNAL_H

#include "mm/frame.h"
#include "mm/frame_cache.h"

#define FRAME_NONE UINT64_MAX
#define FRAME_MAX_FRAMES (FRAME_PHYS_LIMIT >> FRAME_SHIFT)

/* The UEFI map as frame_init() was given it, plus the caller's reserved
 * ranges.  Only read during frame_init(). */
struct frame_map_src {
	const void *descs;
	uint64_t ndescs, desc_size;
	const struct boot_range *reserved;
	size_t nreserved;
};

/* ---- metadata accessors: physical address + phys_offset ------------------ */

static inline uint64_t *frame_level(const struct frame_allocator *fa, unsigned l)
{
	return (uint64_t *)(fa->level_pa[l] + fa->phys_offset);
}

static inline uint64_t *frame_used_map(const struct frame_allocator *fa)
{
	return (uint64_t *)(fa->used_pa + fa->phys_offset);
}

/*
 * A frame parked in a CPU's cache carries this tag in its first word (the
 * frame is free: the word is ours).  Kept in the frame and not in a bitmap
 * of the pool's, so the caches' fast paths write no line that another CPU
 * writes too: a bitmap word covers 64 frames, and two CPUs' frames share
 * one.  The frame's address is in the tag, so one frame's tag copied into
 * another is no tag there; a frame in use whose first word happens to hold
 * it would be taken for cached (1 in 2^64 for data that is not built to).
 * Only atomic accesses, and only while the frame is used in the pool's
 * maps (a frame in the pool, or a hole, is never written).
 */
#define FRAME_CACHED_MAGIC 0xc0a9f4a3e5d1b7c3ull

static inline uint64_t *frame_tag(const struct frame_allocator *fa, uint64_t pa)
{
	return (uint64_t *)(uintptr_t)(pa + fa->phys_offset);
}

static inline uint64_t frame_cached_tag(uint64_t pa)
{
	return FRAME_CACHED_MAGIC ^ pa;
}

/* Whether used frame @pa sits in a cache (false without caches: the
 * frame's memory is not read then). */
static inline bool frame_test_cached(const struct frame_allocator *fa, uint64_t pa)
{
	return fa->cache &&
	       __atomic_load_n(frame_tag(fa, pa), __ATOMIC_ACQUIRE) == frame_cached_tag(pa);
}

/* The used bit, read without the pool's lock (frame_cache.c): the pool
 * writes that map with atomic stores. */
static inline bool frame_test_used(const struct frame_allocator *fa, uint64_t b)
{
	return __atomic_load_n(&frame_used_map(fa)[b / 64], __ATOMIC_ACQUIRE) >> (b % 64) & 1;
}

static inline struct frame_region *frame_regions(const struct frame_allocator *fa)
{
	return (struct frame_region *)(fa->regions_pa + fa->phys_offset);
}

static inline struct boot_range *frame_holes(const struct frame_allocator *fa)
{
	return (struct boot_range *)(fa->holes_pa + fa->phys_offset);
}

static inline uint64_t frame_region_end(const struct frame_region *r)
{
	return r->base + (r->frames << FRAME_SHIFT);
}

static inline bool frame_overlaps(uint64_t b1, uint64_t e1, uint64_t b2, uint64_t e2)
{
	return b1 < e2 && b2 < e1;
}

/* ---- frame_map.c --------------------------------------------------------- */

bool frame_reusable_type(uint32_t t);
int frame_plan(struct frame_allocator *fa, const struct frame_map_src *s,
	       uint64_t *nregions, uint64_t *nholes);
void frame_build_regions(struct frame_allocator *fa, const struct frame_map_src *s);
void frame_build_holes(struct frame_allocator *fa, const struct frame_map_src *s);
void frame_build_bitmaps(struct frame_allocator *fa);

/* ---- frame_bits.c -------------------------------------------------------- */

void frame_update_range(struct frame_allocator *fa, bool free, uint64_t b, uint64_t e,
			bool set);
uint64_t frame_next_set(const struct frame_allocator *fa, unsigned l, uint64_t p);
uint64_t frame_next_unfree(const struct frame_allocator *fa, uint64_t b, uint64_t e);
uint64_t frame_free_in_region(const struct frame_allocator *fa,
			      const struct frame_region *r);
uint64_t frame_bit_of(const struct frame_allocator *fa, uint64_t pa);
uint64_t frame_pa_of(const struct frame_allocator *fa, uint64_t bit);

/* ---- frame.c, for frame_cache.c -------------------------------------------- */

/* A frame from the pool alone (no cache is asked), its bit in *@bit; 0 if
 * the pool is empty.  Under the pool's lock. */
uint64_t frame_alloc_pool(struct frame_allocator *fa, uint64_t *bit);
/* Back into the pool: frame @pa (bit @b), used and cached, under the
 * pool's lock. */
void frame_return_cached(struct frame_allocator *fa, uint64_t pa, uint64_t b);

/* ---- frame_cache.c, for frame.c (under the pool's lock) --------------------- */

/* Every cache's frames back into the pool; how many there were. */
uint64_t frame_cache_reclaim_locked(struct frame_cache *fc);
/* The caches' counters into the pool's. */
void frame_cache_add_stats(const struct frame_cache *fc, struct frame_stats *out);

#endif
