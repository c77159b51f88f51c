/*
 * heap.h — the kernel heap: three allocator designs and kmalloc on top.
 *
 * A heap instance owns a fixed virtual range [base, base + limit).  It starts
 * with `initial` bytes usable and grows on demand, in steps of at least
 * HEAP_GROW_STEP, through a callback that makes the next bytes usable (the
 * kernel maps fresh frames; host tests hand out a pre-allocated arena, or
 * refuse, to simulate running out of memory).
 *
 * The designs (see heap_design_name()) sit behind one ops table:
 *   bump   a pointer that only moves up; memory comes back only when every
 *          allocation has been freed (mm/heap_bump.c)
 *   list   free blocks in size bins, merged with their neighbours on free
 *          through boundary tags: O(1) free (mm/heap_list.c)
 *   block  size classes 16, 32, 48, 64, 96, ... 4096 with O(1) per-chunk free
 *          lists, falling back to a list heap for large sizes
 *          (mm/heap_block.c)
 *
 * Committed memory above the last block in use can be given back:
 * heap_shrink() moves the end down and tells the owner how much to decommit.
 * A live block near the end pins what lies below it, so the pages inside big
 * free blocks can go back too, the heap keeping their addresses
 * (heap_decommit_next(), with heap_set_paging()): such a block is marked, and
 * whatever is carved from it later is committed again first.  A grow or
 * commit callback may also answer "later" (heap_grow_later(),
 * heap_commit_later()): the owner then commits outside its lock and
 * retries.
 *
 * Failures are explicit: an allocation that cannot be served returns NULL and
 * logs the request and the heap state.  With HEAP_DEBUG, frees of pointers the
 * heap never handed out and double frees are detected, logged, counted and
 * passed to the heap's error handler (the kernel panics there).
 *
 * A heap instance is not locked: the caller serialises (kmalloc disables
 * interrupts around each call).
 */
#ifndef COOP_MM_HEAP_H
#define COOP_MM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the global kernel heap (mm/kmalloc.c; libc on the host) ------------- */

/* Like malloc: 16-byte aligned, NULL on failure.  kmalloc(0) is a valid
 * minimum-size allocation. */
void *kmalloc(size_t size);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t size);
/* `align` is any power of two (0 means 16). */
void *kmalloc_aligned(size_t size, size_t align);
void kfree(void *p);

/* ---- heap instances ------------------------------------------------------- */

enum heap_design { HEAP_BUMP, HEAP_LIST, HEAP_BLOCK, HEAP_DESIGN_COUNT };

enum heap_flags {
	/* Validate every pointer given to free/realloc and detect double frees.
	 * Costs a few loads and compares per call (see README). */
	HEAP_DEBUG = 1u << 0,
};

enum heap_error {
	HEAP_ERR_FOREIGN,     /* free/realloc of a pointer the heap never handed out */
	HEAP_ERR_DOUBLE_FREE, /* free/realloc of a pointer that is already free */
	HEAP_ERR_CORRUPT,     /* heap metadata was overwritten */
};

#define HEAP_MIN_ALIGN 16u
#define HEAP_GROW_STEP (64u * 1024u)

/*
 * Makes [old_end, old_end + bytes) usable (maps it).  Returns false if it
 * cannot; the heap then reports out of memory, unless the callback called
 * heap_grow_later() first.
 */
typedef bool (*heap_grow_fn)(void *ctx, uintptr_t old_end, size_t bytes);
/* Receives one complete line, without a newline. */
typedef void (*heap_log_fn)(const char *line);
struct heap;
typedef void (*heap_error_fn)(struct heap *h, enum heap_error err, const void *p);

struct heap_stats {
	size_t used;         /* bytes held by live allocations, incl. headers/padding */
	size_t free;         /* committed bytes available to allocations */
	size_t overhead;     /* committed bytes neither used nor free (metadata) */
	size_t peak_used;    /* highest `used` seen */
	size_t largest_free; /* largest allocation that succeeds without growing */
	size_t size;         /* committed bytes: used + free + overhead */
	size_t limit;        /* the most the heap may grow to */
	size_t live_allocs;
	uint64_t total_allocs;
	uint64_t failed_allocs;
	uint64_t errors; /* foreign pointers, double frees, corruption seen */
	uint64_t grows;  /* successful calls of the grow callback */
	uint64_t shrinks; /* heap_shrink calls that gave memory back */
};

/*
 * Pages given back from inside the heap (heap_decommit_next) come back
 * through `commit`: make every page of [start, start + bytes) usable, some
 * of them are already; false if it cannot now (after heap_commit_later(),
 * if later it can).  `mapped` says whether the page holding an address is
 * usable: the debug checks ask before they read an old header there.
 */
struct heap_paging {
	bool (*commit)(void *ctx, uintptr_t start, size_t bytes);
	bool (*mapped)(void *ctx, uintptr_t addr);
	void *ctx;
};

#define HEAP_PAGE 4096u
#define HEAP_DECOMMIT_MIN (64u * 1024u) /* free blocks this big give pages back */

/* Per-design state; the layouts are private to mm/heap_<design>.c. */
#define HEAP_LIST_BINS 40 /* bin k: free blocks of [2^(k+5), 2^(k+6)) bytes */

struct heap_list_state {
	struct heap_free_block *bin[HEAP_LIST_BINS];
	uint64_t nonempty;           /* bit k: bin k has a block */
	struct heap_free_block *top; /* the free block that ends the heap, or NULL */
	size_t free_bytes;           /* in bins and top */
};

#define HEAP_BLOCK_CLASSES 16 /* 16, 32, 48, 64, 96, 128, ... 3072, 4096 */

/* One size class: allocation pops `free`, the free list of the chunk it
 * currently allocates from, then carves that chunk's slots never used yet
 * ([carve, carve_end)); other chunks with a free object wait on `avail`. */
struct heap_block_class {
	struct heap_free_obj *free;
	uintptr_t carve, carve_end;
	struct heap_chunk *cur;
	struct heap_chunk *avail;
};

struct heap_block_state {
	struct heap_block_class cls[HEAP_BLOCK_CLASSES];
	uintptr_t map_bias; /* chunk class map, indexed by address >> chunk shift */
	size_t map_bytes;
	size_t chunk_bytes; /* list blocks holding size-class chunks */
	size_t slot_bytes;  /* object bytes those chunks can hold */
	size_t large_used;  /* part of h->used served by the list heap */
	struct heap_list_state big;
};

struct heap {
	const struct heap_ops *ops;
	enum heap_design design;
	unsigned flags;
	uintptr_t base, end, limit_end; /* [base, end) is committed */
	uintptr_t min_end;              /* heap_shrink never goes below */
	size_t grow_later;              /* bytes a grow callback deferred */
	uintptr_t commit_later;         /* a range a commit callback deferred */
	size_t commit_later_bytes;
	struct heap_paging paging;      /* all NULL: pages are never given back */
	size_t shrink_min;              /* see heap_shrink_worth() */
	size_t shrink_used;             /* used, at the last heap_shrink */
	uint64_t shrink_grows;          /* grows, at the last heap_shrink */
	heap_grow_fn grow;
	void *grow_ctx;
	heap_log_fn log;
	heap_error_fn on_error;
	size_t used, peak_used, live_allocs;
	uint64_t total_allocs, failed_allocs, errors, grows, shrinks;
	union {
		uintptr_t bump_next;
		struct heap_list_state list;
		struct heap_block_state block;
	} u;
};

/*
 * Sets up a heap over [base, base + limit), of which the first `initial`
 * bytes are usable now.  `grow` may be NULL (the heap never grows).
 * Preconditions: base is 16-byte aligned; initial <= limit.
 * Returns 0, or -1 if the range is too small for the design.
 */
int heap_init(struct heap *h, enum heap_design d, void *base, size_t initial,
	      size_t limit, heap_grow_fn grow, void *grow_ctx, unsigned flags);
/* Hooks for failure reports; both default to none (silent). */
void heap_set_log(struct heap *h, heap_log_fn log);
void heap_set_error_handler(struct heap *h, heap_error_fn fn);

/* `align` is a power of two or 0 (16).  Returns NULL if the heap cannot grow
 * enough, or if align is not a power of two. */
void *heap_alloc(struct heap *h, size_t size, size_t align);
/* p may be NULL.  Errors are reported, and the pointer is left alone. */
void heap_free(struct heap *h, void *p);
/* C realloc semantics; the result is 16-byte aligned. */
void *heap_realloc(struct heap *h, void *p, size_t size);
/* Bytes usable at p (at least what was asked for). */
size_t heap_usable_size(struct heap *h, void *p);
void heap_stats(const struct heap *h, struct heap_stats *s);
/* Walks all metadata; reports and returns false on any inconsistency. */
bool heap_check(struct heap *h);

/*
 * Gives back committed memory above the last block in use, keeping
 * HEAP_GROW_STEP of it and never going below the initial size.  Returns the
 * bytes cut: the caller decommits [h->end, h->end + returned).
 */
size_t heap_shrink(struct heap *h);
#define HEAP_SHRINK_MIN (1024u * 1024u)
/* Whether heap_shrink() is worth calling, in O(1): the free block at the
 * top has HEAP_SHRINK_MIN bytes (a quarter of the limit, in smaller heaps);
 * or that much is committed but unused, and since the last heap_shrink() the
 * heap grew or `used` fell by that much (an empty chunk the design keeps may
 * hide a free top; a heap pinned by a live block near its end is not retried
 * on every free). */
bool heap_shrink_worth(const struct heap *h);

/* For a grow callback: "not now: commit @bytes outside your lock, then
 * retry".  The allocation in progress returns NULL without an out-of-memory
 * report; heap_grow_wanted() then says how much was asked for (0 if the
 * last allocation did not defer). */
void heap_grow_later(struct heap *h, size_t bytes);
size_t heap_grow_wanted(const struct heap *h);
/* The same for a paging commit callback: "commit [start, start + bytes)
 * outside your lock, then retry"; heap_commit_wanted() returns the range
 * (false if the last allocation did not defer one). */
void heap_commit_later(struct heap *h, uintptr_t start, size_t bytes);
bool heap_commit_wanted(const struct heap *h, uintptr_t *start, size_t *bytes);

/* Lets heap_decommit_next() give pages back (the list and block designs). */
void heap_set_paging(struct heap *h, const struct heap_paging *paging);
/*
 * Finds a free block of at least HEAP_DECOMMIT_MIN bytes whose inside has
 * not been given back yet, marks it given back, and returns the whole pages
 * inside it that the heap does not use: the caller unmaps
 * [*start, *start + *bytes).  False when there is none left.  Cost: a walk
 * of the big blocks' bins.
 */
bool heap_decommit_next(struct heap *h, uintptr_t *start, size_t *bytes);

const char *heap_design_name(enum heap_design d);
/* "bump", "list" or "block".  Returns 0, or -1 for an unknown name. */
int heap_design_parse(const char *name, enum heap_design *out);
const char *heap_error_name(enum heap_error e);

/* ---- the global kernel heap's setup (kernel only) ------------------------- */
struct heap_pages;
/* The heap spans [backing->base, + limit); its first @initial bytes are
 * mapped already.  It grows and shrinks through @backing (mm/kmalloc.c). */
int kmalloc_init(enum heap_design d, struct heap_pages *backing, size_t initial,
		 size_t limit);
void kmalloc_set_hooks(heap_log_fn log, heap_error_fn on_error);
/* Gives back now all the memory kfree would give back in time (the free end,
 * the pages inside big free blocks), whatever has happened since the last
 * time.  Task context only. */
void kmalloc_trim(void);
void kmalloc_stats(struct heap_stats *s);
enum heap_design kmalloc_design(void);
bool kmalloc_check(void);

/* ---- internals, for mm/heap*.c only --------------------------------------- */

struct heap_ops {
	/* Called by heap_init once the common fields are set. */
	int (*init)(struct heap *h, size_t initial);
	/* size >= 1, align is a power of two >= 16. */
	void *(*alloc)(struct heap *h, size_t size, size_t align);
	/* p != NULL.  Returns false (after reporting) if p is not live. */
	bool (*free)(struct heap *h, void *p);
	/* Usable bytes at p, or 0 (after reporting) if p is not live. */
	size_t (*usable)(struct heap *h, void *p);
	/* Grows p in place to at least size bytes, if it can. */
	bool (*resize)(struct heap *h, void *p, size_t size);
	size_t (*free_bytes)(const struct heap *h);
	size_t (*largest_free)(const struct heap *h);
	/* Optional: lets go of memory the design keeps cached though free. */
	void (*flush)(struct heap *h);
	/* The lowest address the committed end could move down to. */
	uintptr_t (*trim_point)(const struct heap *h);
	/* Moves the end down to @new_end (>= trim_point) or a little above it;
	 * returns the new end (h->end itself is the caller's to set). */
	uintptr_t (*cut)(struct heap *h, uintptr_t new_end);
	/* Optional: heap_decommit_next(). */
	bool (*decommit_next)(struct heap *h, uintptr_t *start, size_t *bytes);
	bool (*check)(struct heap *h);
};

extern const struct heap_ops heap_bump_ops, heap_list_ops, heap_block_ops;

static inline bool heap_debug(const struct heap *h) { return h->flags & HEAP_DEBUG; }

static inline uintptr_t heap_align_up(uintptr_t x, uintptr_t align)
{
	return (x + align - 1) & ~(align - 1);
}

/* Extends the committed range by at least `bytes`; false if it cannot. */
bool heap_extend(struct heap *h, size_t bytes);
void heap_report(struct heap *h, enum heap_error err, const void *p);

/* The list heap's engine, shared with the block design's large objects.
 * Blocks carry a 16-byte header; *block gets the bytes taken from the heap. */
void heap_list_setup(struct heap_list_state *l);
/* [start, start + bytes) now ends the heap (initial or grown memory). */
void heap_list_add_end(struct heap *h, struct heap_list_state *l, uintptr_t start,
		       size_t bytes);
void *heap_list_take(struct heap *h, struct heap_list_state *l, size_t size,
		     size_t align, size_t *block);
size_t heap_list_give(struct heap *h, struct heap_list_state *l, void *p);
size_t heap_list_usable(struct heap *h, void *p);
bool heap_list_grow_in_place(struct heap *h, struct heap_list_state *l, void *p,
			     size_t size, size_t *added);
size_t heap_list_largest(const struct heap_list_state *l);
uintptr_t heap_list_trim_point(const struct heap *h, const struct heap_list_state *l);
uintptr_t heap_list_cut(struct heap *h, struct heap_list_state *l, uintptr_t new_end);
bool heap_list_decommit_next(struct heap *h, struct heap_list_state *l, uintptr_t *start,
			     size_t *bytes);
/* Called for each live block on the walk; false stops it as corrupt. */
typedef bool (*heap_list_visit_fn)(struct heap *h, uintptr_t payload, size_t size,
				   void *ctx);
bool heap_list_walk(struct heap *h, const struct heap_list_state *l, uintptr_t from,
		    size_t *used_bytes, heap_list_visit_fn visit, void *ctx);

#endif
