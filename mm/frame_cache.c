/*
 * frame_cache.c — per-CPU caches of free frames (see frame_cache.h).
 */
#include "mm/frame_cache.h"

#include "kernel/lib/string.h"
#include "mm/frame_internal.h"

/* ---- one CPU's cache: the busy flag, and fields others may read ----------- */

/* Acquire: what the last holder did to the cache is visible to us.  The
 * holder keeps it for a few instructions with interrupts off, so spinning
 * is short; hal_cpu_relax() also answers TLB shootdowns (hal/smp/tlb.h). */
static void slot_take(struct frame_cache_cpu *c)
{
	while (__atomic_exchange_n(&c->busy, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&c->busy, __ATOMIC_RELAXED))
			hal_cpu_relax();
}

/* Release: publishes what we did to the next holder. */
static void slot_give(struct frame_cache_cpu *c)
{
	__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
}

/* count, allocs and frees change under busy but are read by anyone
 * (frame_stats): relaxed atomics, plain moves on x86. */
static void set_count(struct frame_cache_cpu *c, uint32_t n)
{
	__atomic_store_n(&c->count, n, __ATOMIC_RELAXED);
}

static void bump(uint64_t *counter)
{
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

/* This CPU's cache.  Interrupts are off: the CPU cannot change under us. */
static struct frame_cache_cpu *this_cpu(struct frame_cache *fc)
{
	return &fc->cpu[hal_cpu_id()];
}

/* ---- the cached tag (mm/frame_internal.h) ------------------------------------ */

/*
 * A frame coming back from its user.  It must be in use in the pool's maps
 * (else it is free there, a hole or the metadata: not ours to write), then
 * we tag it; the tag is the arbiter between two frees of the same frame on
 * two CPUs: only one finds it absent.  Then the used bit once more: the
 * frame may have been on its way back to the pool (frame_return_cached()
 * clears the used bit, then the tag), and then one of the two is in our way.
 * False if the frame is cached already, free in the pool, or not the
 * pool's to free.
 */
static bool claim(struct frame_allocator *fa, uint64_t pa, uint64_t b)
{
	uint64_t *tag = frame_tag(fa, pa), want = frame_cached_tag(pa);

	if (!frame_test_used(fa, b))
		return false;
	uint64_t old = __atomic_load_n(tag, __ATOMIC_RELAXED);
	do {
		if (old == want)
			return false;
	} while (!__atomic_compare_exchange_n(tag, &old, want, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	if (frame_test_used(fa, b))
		return true;
	__atomic_store_n(tag, old, __ATOMIC_RELEASE); /* a double free, racing its return */
	return false;
}

/* Leaving a cache for a user.  Release: the user's later free (claim)
 * finds no tag. */
static void unclaim(struct frame_allocator *fa, uint64_t pa)
{
	__atomic_store_n(frame_tag(fa, pa), 0, __ATOMIC_RELEASE);
}

static void mark_cached(struct frame_allocator *fa, uint64_t pa)
{
	__atomic_store_n(frame_tag(fa, pa), frame_cached_tag(pa), __ATOMIC_RELAXED);
}

/* ---- the slow paths, under the pool's lock --------------------------------- */

/* The cache is empty: a batch from the pool.  The first frame is the
 * caller's and may come from other caches if the pool is dry (frame_alloc);
 * the rest come from the pool alone, so a CPU short of memory does not empty
 * everyone's cache to fill its own. */
static uint64_t refill(struct frame_cache *fc, struct frame_cache_cpu *c)
{
	struct frame_cache_entry got[FRAME_CACHE_BATCH - 1];
	unsigned n = 0;

	fc->lock();
	uint64_t pa = frame_alloc(fc->fa);
	while (pa && n < FRAME_CACHE_BATCH - 1 &&
	       (got[n].pa = frame_alloc_pool(fc->fa, &got[n].bit)) != 0)
		mark_cached(fc->fa, got[n++].pa);
	slot_take(c); /* only emptier now than when we looked: the batch fits */
	for (unsigned i = 0; i < n; i++)
		c->frames[c->count + i] = got[i];
	set_count(c, c->count + n);
	slot_give(c);
	fc->moved_in += n;
	fc->unlock();
	return pa;
}

/* Gives @c's oldest @n frames (the bottom of the stack: the coldest) back
 * to the pool.  Under the pool's lock, holding @c. */
static void drain_oldest(struct frame_cache *fc, struct frame_cache_cpu *c, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		frame_return_cached(fc->fa, c->frames[i].pa, c->frames[i].bit);
	memmove(c->frames, c->frames + n, (c->count - n) * sizeof c->frames[0]);
	set_count(c, c->count - n);
	fc->moved_out += n;
}

/* The cache is full: half of it back to the pool, then @e on top. */
static void drain_and_push(struct frame_cache *fc, struct frame_cache_cpu *c,
			   struct frame_cache_entry e)
{
	fc->lock();
	slot_take(c);
	if (c->count == FRAME_CACHE_SLOTS)
		drain_oldest(fc, c, FRAME_CACHE_BATCH);
	c->frames[c->count] = e;
	set_count(c, c->count + 1);
	bump(&c->frees);
	slot_give(c);
	fc->unlock();
}

/* A frame the cache refused: the pool says why, and reports it. */
static int free_refused(struct frame_cache *fc, uint64_t pa)
{
	fc->lock();
	int err = frame_free(fc->fa, pa);
	fc->unlock();
	return err;
}

/* ---- the fast paths ---------------------------------------------------------- */

uint64_t frame_cache_alloc(struct frame_cache *fc)
{
	hal_irqflags_t f = hal_irq_save();
	struct frame_cache_cpu *c = this_cpu(fc);
	struct frame_cache_entry e = { 0, 0 };

	slot_take(c);
	if (c->count) {
		e = c->frames[c->count - 1];
		set_count(c, c->count - 1);
		bump(&c->allocs);
	}
	slot_give(c);
	if (e.pa)
		unclaim(fc->fa, e.pa);
	else
		e.pa = refill(fc, c);
	hal_irq_restore(f);
	return e.pa;
}

int frame_cache_free(struct frame_cache *fc, uint64_t pa)
{
	uint64_t b = pa % FRAME_SIZE ? FRAME_NONE : frame_bit_of(fc->fa, pa);

	if (b == FRAME_NONE || !claim(fc->fa, pa, b))
		return free_refused(fc, pa);
	hal_irqflags_t f = hal_irq_save();
	struct frame_cache_cpu *c = this_cpu(fc);
	bool pushed = false;

	slot_take(c);
	if (c->count < FRAME_CACHE_SLOTS) {
		c->frames[c->count] = (struct frame_cache_entry){ pa, b };
		set_count(c, c->count + 1);
		bump(&c->frees);
		pushed = true;
	}
	slot_give(c);
	if (!pushed)
		drain_and_push(fc, c, (struct frame_cache_entry){ pa, b });
	hal_irq_restore(f);
	return FRAME_OK;
}

/* ---- all caches at once ------------------------------------------------------ */

uint64_t frame_cache_reclaim_locked(struct frame_cache *fc)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < HAL_MAX_CPUS; i++) {
		struct frame_cache_cpu *c = &fc->cpu[i];
		if (!__atomic_load_n(&c->count, __ATOMIC_RELAXED))
			continue;
		slot_take(c);
		n += c->count;
		drain_oldest(fc, c, c->count);
		slot_give(c);
	}
	fc->reclaims += n != 0;
	return n;
}

uint64_t frame_cache_reclaim(struct frame_cache *fc)
{
	hal_irqflags_t f = hal_irq_save();

	fc->lock();
	uint64_t n = frame_cache_reclaim_locked(fc);
	fc->unlock();
	hal_irq_restore(f);
	return n;
}

uint64_t frame_cache_count(const struct frame_cache *fc)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		n += __atomic_load_n(&fc->cpu[i].count, __ATOMIC_RELAXED);
	return n;
}

/* The pool counted every frame it lent to a cache as an alloc, and every
 * one it got back as a free; the users' counts are the caches' instead. */
void frame_cache_add_stats(const struct frame_cache *fc, struct frame_stats *out)
{
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++) {
		out->cache_allocs += __atomic_load_n(&fc->cpu[i].allocs, __ATOMIC_RELAXED);
		out->cache_frees += __atomic_load_n(&fc->cpu[i].frees, __ATOMIC_RELAXED);
	}
	out->allocs += out->cache_allocs - fc->moved_in;
	out->frees += out->cache_frees - fc->moved_out;
	out->cache_reclaims = fc->reclaims;
}

void frame_cache_init(struct frame_cache *fc, struct frame_allocator *fa, void (*lock)(void),
		      void (*unlock)(void))
{
	memset(fc, 0, sizeof *fc);
	fc->fa = fa;
	fc->lock = lock;
	fc->unlock = unlock;
	fa->cache = fc;
}
