/*
 * frame_cache.h — a small stack of free frames per CPU in front of the frame
 * pool (mm/frame.h), so that the common alloc/free pair takes no shared lock.
 *
 * Why: with one lock over the pool, a frame alloc+free pair cost 2.3-6.2
 * times as much with two CPUs as with one (make bench, bench=smp): the
 * lock's cache line and the bitmap's bounce between the CPUs.  Here each CPU
 * keeps up to FRAME_CACHE_SLOTS free frames of its own, and goes to the pool
 * (under the pool's lock, which the owner supplies) only to take or give
 * back FRAME_CACHE_BATCH of them at once.  Linux's per-CPU page lists and
 * Bonwick's magazines do the same.
 *
 * The promises of the pool still hold:
 *   - no frame is lost or handed out twice: a frame is in the pool, in one
 *     cache, or with its user.  A cached frame carries a tag in its own
 *     first word (it is free: mm/frame_internal.h), so a second free of it
 *     is refused (and reported through the pool's error hook) like any
 *     double free;
 *   - the totals add up: a cached frame counts as free (frame_stats:
 *     free_bytes, and cached_bytes for the part in caches);
 *   - no allocation fails while frames sit in caches: when the pool is
 *     empty, frame_alloc() takes every cache's frames back first (this
 *     CPU's included), for the heap's pages too;
 *   - TLB shootdowns: frames freed under the pool's lock (page tables, the
 *     heap's pages: mm/kernel_mm.c) go straight to the pool, never to a
 *     cache, so they stay unusable until that lock is dropped, which sends
 *     the shootdown first.  A frame freed through a cache was unmapped by a
 *     call that had already waited for its shootdown.
 *
 * Locking.  Each CPU's cache has a busy flag: its owner takes it for a push
 * or a pop, and so does a CPU that takes the frames back.  The owner keeps
 * interrupts off while it holds the flag, so an interrupt handler on the
 * same CPU may allocate and free too (the heap may grow in a handler) and
 * never spins on its own CPU's flag.  Order: the pool's lock before any
 * busy flag; an owner never waits for the pool's lock while it holds its
 * flag.  So the fast path is: interrupts off, one exchange on a line no
 * other CPU touches, a push or pop, and the tag in the frame itself: no
 * line that another CPU writes.  (A first version kept the tags in a
 * bitmap beside the pool's; two CPUs' frames share a bitmap word, and with
 * that one shared line the 2-CPU pair cost as much as with the lock.)
 *
 * Portable (hal/hal.h and atomics): host tests run it on threads, under
 * ThreadSanitizer too.
 */
#ifndef COOP_MM_FRAME_CACHE_H
#define COOP_MM_FRAME_CACHE_H

#include <stdint.h>

#include "hal/hal.h"
#include "mm/frame.h"

#define FRAME_CACHE_SLOTS 64u
#define FRAME_CACHE_BATCH 32u /* taken from, or given back to, the pool at once */

struct frame_cache_entry {
	uint64_t pa, bit; /* the frame, and its index in the pool's bitmaps */
};

/* One CPU's cache, on its own cache lines. */
struct frame_cache_cpu {
	uint32_t busy;	/* taken by the owner, or by a CPU taking the frames back */
	uint32_t count; /* frames[0 .. count-1]; written under busy, read by anyone */
	uint64_t allocs, frees; /* served here; written under busy */
	struct frame_cache_entry frames[FRAME_CACHE_SLOTS];
} __attribute__((aligned(64)));
/* The frames' memory is written (the tag): the pool's phys_offset must
 * reach every frame it manages. */

struct frame_cache {
	struct frame_allocator *fa;
	/* The pool's lock, the owner's: taken to refill, drain or reclaim. */
	void (*lock)(void);
	void (*unlock)(void);
	/* Under the pool's lock: frames moved from the pool into caches and
	 * back (so the pool's counts can be told apart from its users'), and
	 * how often the pool took every cache's frames back. */
	uint64_t moved_in, moved_out, reclaims;
	struct frame_cache_cpu cpu[HAL_MAX_CPUS];
};

/* Puts empty caches in front of @fa (and tells @fa about them). */
void frame_cache_init(struct frame_cache *fc, struct frame_allocator *fa, void (*lock)(void),
		      void (*unlock)(void));

/* A free frame from this CPU's cache, refilled from the pool when empty;
 * 0 when no frame is left anywhere.  Any context, any CPU. */
uint64_t frame_cache_alloc(struct frame_cache *fc);

/*
 * Gives @pa back to this CPU's cache (half the cache goes back to the pool
 * when it is full).  Returns 0, or what frame_free() returns for a frame
 * that cannot be freed (double free, foreign, misaligned), having reported
 * it through the pool's error hook.  Precondition: the pool's lock is not
 * held (free straight into the pool then: see above).
 */
int frame_cache_free(struct frame_cache *fc, uint64_t pa);

/* Every cache's frames back into the pool (tests; the pool does it by
 * itself when it runs dry).  Takes the pool's lock. */
uint64_t frame_cache_reclaim(struct frame_cache *fc);
/* Frames in all the caches now: a snapshot, no lock. */
uint64_t frame_cache_count(const struct frame_cache *fc);

#endif
