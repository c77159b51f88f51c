/*
 * frame.h — the physical frame allocator: 4 KiB frames from the UEFI map.
 *
 * Which frames: descriptors of the five RAM types the kernel may reuse
 * (conventional, loader code/data, boot-services code/data), rounded inwards
 * to whole pages, at or above 1 MiB, below the end of the direct map
 * (FRAME_PHYS_LIMIT: a frame above it has no address the kernel could reach
 * it by).  The attributes count too: memory without EFI_MEMORY_WB or with
 * EFI_MEMORY_SP is not general RAM (a hole), and a reusable type marked
 * EFI_MEMORY_RUNTIME stays the firmware's (a hole, like runtime data).
 * Conventional frames are free from frame_init(); the other four types join
 * with frame_reclaim() once the kernel no longer needs what the firmware and
 * loader left there.  Where usable descriptors overlap, the more restrictive
 * type owns the shared frames: loader over boot services over conventional.
 * Frames inside a "hole" are never handed out: the caller's reserved ranges,
 * every descriptor of any other type (rounded outwards: an overlapping
 * ACPI/MMIO/reserved/OEM descriptor wins over a usable one), and the
 * allocator's own metadata.
 *
 * State of a frame: free, used (handed out), cached (free, but parked in a
 * CPU's frame cache: mm/frame_cache.h), or unavailable (hole, not yet
 * reclaimed).  Two bitmaps keep it, over a dense bit index that numbers the
 * managed frames region by region:
 *   used  1 bit per frame, flat: tells a double free from a foreign frame;
 *         a cached frame is still "used" here: the pool does not have it
 *         (what marks it cached is a tag in its own first word, written
 *         while it is free: FRAME_CACHED_TAG, mm/frame_internal.h);
 *   free  a bitmap tree: level 0 has 1 bit per frame, and each bit of level
 *         k+1 says "word k of level k has a free bit".  The top is one word.
 * frame_alloc() descends the tree with one count-trailing-zeros per level
 * and frame_free() climbs it, so both cost O(depth) word operations with
 * depth = ceil(log64(frames)): 4 up to 64 GiB, never more than 9 for the
 * whole 52-bit physical space, i.e. O(1) with no scan and no worst case
 * that grows with memory.  (A "next free" hint has a linear worst case;
 * a free-frame stack needs 4-8 bytes per frame and loses O(1) removal when
 * a contiguous allocation takes frames from its middle.)
 *
 * Metadata (region table, hole table, both bitmaps) lives in physical
 * memory carved from the lowest conventional range that holds it, and is
 * reached as virtual = physical + phys_offset.  The allocator stores only
 * physical addresses, so frame_set_phys_offset() moves every pointer.
 *
 * Not locked: the caller serialises.  (A frame cache, if one is attached,
 * reads the used map without the lock: it is written with relaxed atomic
 * stores, which cost nothing over plain ones on x86.)
 */
#ifndef COOP_MM_FRAME_H
#define COOP_MM_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "mm/layout.h"

#define FRAME_SIZE 4096ull
#define FRAME_SHIFT 12
#define FRAME_LOW_LIMIT 0x100000ull /* nothing below 1 MiB is handed out */
#define FRAME_PHYS_LIMIT DIRECT_MAP_MAX_SIZE /* 64 TiB: where the direct map ends */
#define FRAME_MAX_LEVELS 10

enum frame_error {
	FRAME_OK = 0,
	FRAME_ERR_DESC_SIZE = -1,  /* desc_size below the struct or not 8-aligned */
	FRAME_ERR_NO_MEMORY = -2,  /* no usable frames, or no room for metadata */
	FRAME_ERR_DOUBLE_FREE = -3,
	FRAME_ERR_FOREIGN = -4,    /* never handed out by this allocator */
	FRAME_ERR_MISALIGNED = -5, /* not a frame address */
	FRAME_ERR_BAD_TYPE = -6,   /* frame_reclaim() of a type it cannot free */
};

/* A run of managed frames of one memory type (stored in the metadata). */
struct frame_region {
	uint64_t base;      /* physical, page aligned */
	uint64_t frames;
	uint64_t first_bit; /* index of its first frame in the bitmaps */
	uint32_t type;      /* enum boot_mem_type */
	uint32_t pad;
};

/* Called on a double free or a foreign free: the kernel panics there. */
typedef void (*frame_error_fn)(void *ctx, enum frame_error err, uint64_t pa);

struct frame_cache;

struct frame_allocator {
	uintptr_t phys_offset; /* virtual = physical + phys_offset */
	uint64_t meta_base, meta_bytes; /* physical */
	uint64_t regions_pa, holes_pa, used_pa; /* physical addresses of tables */
	size_t nregions, nholes;
	uint64_t nbits; /* managed frames */
	unsigned nlevels;
	uint64_t level_pa[FRAME_MAX_LEVELS];
	uint64_t level_words[FRAME_MAX_LEVELS];
	uint64_t free_frames, used_frames;
	uint64_t highest_address;
	uint32_t reclaimed_types; /* bit per enum boot_mem_type */
	unsigned bad_descriptors;
	uint64_t allocs, frees, contig_allocs, alloc_failures;
	uint64_t double_frees, foreign_frees, reclaimed_bytes;
	frame_error_fn on_error;
	void *error_ctx;
	/* The per-CPU caches in front of this pool (mm/frame_cache.h), or
	 * NULL.  When the pool runs dry, frame_alloc() and
	 * frame_alloc_contig() take their frames back before they fail. */
	struct frame_cache *cache;
};

struct frame_stats {
	uint64_t total_bytes;    /* all managed frames */
	uint64_t free_bytes;     /* in the pool or in a CPU's cache */
	uint64_t cached_bytes;   /* of free_bytes: in the CPUs' frame caches */
	uint64_t used_bytes;     /* handed out */
	uint64_t reserved_bytes; /* managed but unavailable: holes, metadata, not reclaimed */
	uint64_t metadata_base, metadata_bytes;
	uint64_t bytes_by_type[BOOT_MEM_TYPE_COUNT]; /* managed bytes per usable type */
	uint64_t free_by_type[BOOT_MEM_TYPE_COUNT];
	uint64_t reclaimed_bytes;
	/* Handed out and given back by the users, through a cache or not. */
	uint64_t allocs, frees, contig_allocs, alloc_failures;
	uint64_t double_frees, foreign_frees;
	/* Frame caches: of allocs and frees, those they served without the
	 * pool; and how often an allocation took back every cache's frames
	 * because the pool was empty. */
	uint64_t cache_allocs, cache_frees, cache_reclaims;
	unsigned regions, holes, levels, bad_descriptors;
};

/**
 * frame_init - build the allocator from a UEFI memory map.
 * @descs: @map_size bytes of descriptors, @desc_size apart (>= the struct,
 *         8-aligned); read only during this call.
 * @reserved: @nreserved physical ranges never to hand out (kernel image, boot
 *         data, framebuffer, stacks); copied, need not be aligned.
 * @phys_offset: how the caller reaches physical memory now (0 when identity
 *         mapped, as under UEFI).
 * Returns 0 or a negative enum frame_error.  Descriptors whose end overflows
 * are skipped and counted in bad_descriptors.
 */
int frame_init(struct frame_allocator *fa, const void *descs, uint64_t map_size,
	       uint64_t desc_size, const struct boot_range *reserved, size_t nreserved,
	       uintptr_t phys_offset);

/* The physical address of a free frame, now used; 0 when none is left (in
 * the pool, nor in any attached cache). */
uint64_t frame_alloc(struct frame_allocator *fa);

/**
 * frame_alloc_contig - @count physically contiguous frames whose first frame
 * number is a multiple of @align_frames (a power of two; 0 means 1).
 * Returns the physical address of the first, or 0.  Runs never cross a
 * region boundary.  Cost: a scan of the candidate regions that skips used
 * stretches through the bitmap tree.
 */
uint64_t frame_alloc_contig(struct frame_allocator *fa, size_t count, size_t align_frames);

/**
 * frame_free - give back the used frame at @pa.  Returns 0, or
 * FRAME_ERR_DOUBLE_FREE / FRAME_ERR_FOREIGN / FRAME_ERR_MISALIGNED after
 * counting it and calling the error hook; nothing changes then.
 */
int frame_free(struct frame_allocator *fa, uint64_t pa);
/* Frees @count frames from @pa; returns the first error, still freeing the rest. */
int frame_free_contig(struct frame_allocator *fa, uint64_t pa, size_t count);

/**
 * frame_reclaim - make every frame of @mem_type (loader or boot-services
 * code/data) free, except the holes.  Precondition: nothing the kernel still
 * reads lives there outside the reserved ranges.  A second call for the same
 * type does nothing.  Returns 0 or FRAME_ERR_BAD_TYPE.
 */
int frame_reclaim(struct frame_allocator *fa, uint32_t mem_type);

/* After switching page tables: physical memory is now at physical + @offset. */
void frame_set_phys_offset(struct frame_allocator *fa, uintptr_t offset);
/* Where double and foreign frees are reported (NULL: count only). */
void frame_set_error_hook(struct frame_allocator *fa, frame_error_fn fn, void *ctx);

/* Whether @pa is a frame this allocator has handed out and not taken back
 * (a frame in a CPU's cache has been given back). */
bool frame_is_used(const struct frame_allocator *fa, uint64_t pa);
/* Whether @pa is a frame the pool, or a cache, may hand out now. */
bool frame_is_free(const struct frame_allocator *fa, uint64_t pa);
/* Free frames, in the pool and in the caches (a snapshot of the caches). */
uint64_t frame_available(const struct frame_allocator *fa);

/* Walks the free bitmap for free_by_type: O(frames / 64), not for hot paths.
 * Frames in caches count as free (free_by_type counts the pool's only). */
void frame_stats(const struct frame_allocator *fa, struct frame_stats *out);

/* One past the highest byte of RAM in the map (usable, runtime-services and
 * ACPI types; all of them, reclaimed or not; capped at FRAME_PHYS_LIMIT).
 * MMIO, reserved, empty descriptors and the framebuffer are not counted. */
uint64_t frame_highest_address(const struct frame_allocator *fa);

#endif
