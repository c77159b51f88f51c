/*
 * kmalloc.c — the kernel's one global heap, behind kmalloc and friends.
 *
 * Every CPU allocates, and interrupt handlers free (a waker dropped in an
 * IRQ can free its task): each call takes the heap lock, a spinlock, which
 * also keeps this CPU's interrupts off meanwhile.  Pages are mapped under
 * the frames-and-page-tables lock, taken inside this one (mm/kernel_mm.c).
 *
 * Mapping pages is slow (a 1 GiB grow maps 262,144 of them), so big grows
 * happen outside that section: the grow callback maps at most GROW_NOW bytes
 * itself and defers anything bigger (heap_grow_later); kmalloc then commits
 * the pages with interrupts on between batches (mm/heap_pages.c) and tries
 * again.  Memory goes back the same way round: when a task's kfree leaves
 * enough of the heap unused, heap_shrink() cuts its end, or, if a live
 * block pins the end, heap_decommit_next() hands out the pages inside big
 * free blocks; they are unmapped afterwards, also in batches, and mapped
 * again (the paging commit callback) when the heap carves from there.
 * One CPU at a time maps or unmaps heap pages outside the lock (the pages
 * turn, below); a task on another CPU that needs pages meanwhile waits its
 * turn and tries again.  Interrupt handlers may free but never give memory
 * back; one that allocated while pages are being mapped or unmapped would
 * get NULL.
 *
 * Kernel only: on the host kmalloc is libc's (test/host/host_kmalloc.c).
 */
#include "mm/heap.h"

#include "hal/hal.h"
#include "hal/smp/spinlock.h"
#include "kernel/lib/string.h"
#include "mm/heap_pages.h"

/* At most this much is mapped inside the lock: enough for the block heap
 * to take a 32 KiB-aligned chunk (a 128 KiB grow at worst) without a
 * second pass, and 64 pages at most with interrupts off. */
#define GROW_NOW (256u * 1024u)
#define PAGE 4096u

static struct heap kheap;
static struct spinlock heap_lock = SPINLOCK_INIT("heap");
static struct heap_pages *pages;
/*
 * The pages turn: one CPU at a time may map or unmap heap pages outside the
 * lock.  A ticket pair, served in order, so a CPU that needs pages is never
 * overtaken for ever by one that keeps freeing and giving back.  Waiting
 * for it keeps interrupts as they are (the work it waits for runs with
 * interrupts on), so only tasks wait: an interrupt handler never does.
 * pages_owner is the CPU being served (-1: none); it keeps the turn until
 * its allocation returns, retries included, so what it committed is still
 * there, and still free, when it looks again.
 */
static uint32_t pages_next, pages_serving;
static int32_t pages_owner = -1;
/* An operation of this CPU's found the pages busy. */
static HAL_PER_CPU bool pages_were_busy;
static bool no_defer;   /* commit now, whatever the size: at boot, and once a
			   commit outside the lock failed (so the heap reports
			   the failure) */
static size_t pass_used = SIZE_MAX; /* heap used at the last give-back pass */
static uint64_t pass_grows;

static void lock(void) { spin_lock(&heap_lock); }
static void unlock(void) { spin_unlock(&heap_lock); }

/* Under the lock: is another CPU (or this one, interrupted) working on
 * the pages outside it?  Then the heap must not touch them now. */
static bool pages_busy(void)
{
	int32_t owner = __atomic_load_n(&pages_owner, __ATOMIC_ACQUIRE);

	if (owner < 0 || (owner == (int32_t)hal_cpu_id() && !hal_in_interrupt()))
		return false; /* free, or ours: a task of ours has the turn */
	pages_were_busy = true;
	return true;
}

static bool pages_mine(void)
{
	return !hal_in_interrupt() &&
	       __atomic_load_n(&pages_owner, __ATOMIC_ACQUIRE) == (int32_t)hal_cpu_id();
}

static void pages_served(void)
{
	__atomic_store_n(&pages_owner, (int32_t)hal_cpu_id(), __ATOMIC_RELEASE);
}

/* The turn now, if nobody has it or waits for it. */
static bool pages_try_take(void)
{
	uint32_t t = __atomic_load_n(&pages_serving, __ATOMIC_ACQUIRE);

	if (hal_in_interrupt() ||
	    !__atomic_compare_exchange_n(&pages_next, &t, t + 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	pages_served();
	return true;
}

/* Waits for the turn (a task, not holding the heap lock). */
static void pages_take(void)
{
	uint32_t t = __atomic_fetch_add(&pages_next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&pages_serving, __ATOMIC_ACQUIRE) != t)
		hal_cpu_relax();
	pages_served();
}

/* Release: the page-table work is done before the next one is served. */
static void pages_release(void)
{
	__atomic_store_n(&pages_owner, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&pages_serving, pages_serving + 1, __ATOMIC_RELEASE);
}

static bool grow(void *ctx, uintptr_t old_end, size_t bytes)
{
	uintptr_t want_end = old_end + bytes;
	size_t missing;

	(void)ctx;
	if (pages_busy())
		return false;
	if (want_end <= pages->mapped_end)
		return true; /* committed ahead by kmalloc_aligned() */
	missing = heap_align_up(want_end - pages->mapped_end, PAGE);
	if (missing <= GROW_NOW || no_defer)
		return heap_pages_commit(pages, missing);
	heap_grow_later(&kheap, bytes);
	return false;
}

/* Pages the heap gave back from inside a free block, wanted again. */
static bool commit(void *ctx, uintptr_t start, size_t bytes)
{
	size_t missing;

	(void)ctx;
	if (pages_busy())
		return false;
	missing = heap_pages_missing(pages, start, bytes);
	if (!missing)
		return true;
	if (missing * PAGE <= GROW_NOW || no_defer)
		return heap_pages_commit_range(pages, start, bytes);
	heap_commit_later(&kheap, start, bytes);
	return false;
}

static bool mapped(void *ctx, uintptr_t addr)
{
	(void)ctx;
	return heap_pages_mapped(pages, addr);
}

int kmalloc_init(enum heap_design d, struct heap_pages *backing, size_t initial,
		 size_t limit)
{
	int err;

	pages = backing;
	/* At boot there is nobody to defer to (the block design commits its
	 * class map here: 2 MiB at 64 GiB), and interrupts are off anyway. */
	no_defer = true;
	err = heap_init(&kheap, d, (void *)backing->base, initial, limit, grow, NULL,
			HEAP_DEBUG);
	heap_set_paging(&kheap, &(struct heap_paging){ commit, mapped, NULL });
	no_defer = false;
	return err;
}

void kmalloc_set_hooks(heap_log_fn log, heap_error_fn on_error)
{
	heap_set_log(&kheap, log);
	heap_set_error_handler(&kheap, on_error);
}

/* What the last allocation deferred (a grow to @end, or pages given back
 * from inside), committed with interrupts on between batches. */
static bool commit_deferred(uintptr_t end, size_t grow, uintptr_t start, size_t bytes)
{
	bool ok = true;

	if (grow && end + grow > pages->mapped_end)
		ok = heap_pages_commit(pages, heap_align_up(end + grow - pages->mapped_end, PAGE));
	if (bytes)
		ok = ok && heap_pages_commit_range(pages, start, bytes);
	return ok;
}

/*
 * Runs @op (an allocation) under the lock; if the heap deferred a grow,
 * commits the pages outside it and runs @op again.  If they cannot be had,
 * @op runs once more without deferring, so the heap reports the failure.
 */
/*
 * Runs @op (an allocation) under the lock.  If the heap deferred a grow or
 * a commit, this CPU takes the pages turn, commits outside the lock and
 * runs @op again; if another CPU had the turn, a task waits for it and runs
 * @op again.  The turn is kept until the allocation returns.  If the pages
 * cannot be had, @op runs once more without deferring, so the heap reports
 * the failure.
 */
static void *with_growth_turn(void *(*op)(void *a, size_t b, size_t c), void *a, size_t b,
			      size_t c)
{
	for (;;) {
		lock();
		pages_were_busy = false;
		void *p = op(a, b, c);
		size_t grow = p ? 0 : heap_grow_wanted(&kheap), bytes = 0;
		uintptr_t end = kheap.end, start = 0;
		bool busy = pages_were_busy, mine = pages_mine();
		if (!p)
			heap_commit_wanted(&kheap, &start, &bytes);
		if (!p && (grow || bytes) && !mine)
			mine = pages_try_take();
		unlock();
		if (p)
			return p;
		if (!mine) {
			if (!(busy || grow || bytes) || hal_in_interrupt())
				return NULL;
			pages_take(); /* in order, after whoever has it */
			continue;
		}
		if (!grow && !bytes)
			return NULL;
		if (!commit_deferred(end, grow, start, bytes)) {
			lock();
			no_defer = true;
			p = op(a, b, c);
			no_defer = false;
			unlock();
			return p;
		}
	}
}

static void *with_growth(void *(*op)(void *a, size_t b, size_t c), void *a, size_t b,
			 size_t c)
{
	void *p = with_growth_turn(op, a, b, c);

	if (pages_mine())
		pages_release();
	return p;
}

static void *alloc_op(void *unused, size_t size, size_t align)
{
	(void)unused;
	return heap_alloc(&kheap, size, align);
}

static void *realloc_op(void *p, size_t size, size_t unused)
{
	(void)unused;
	return heap_realloc(&kheap, p, size);
}

void *kmalloc_aligned(size_t size, size_t align)
{
	return with_growth(alloc_op, NULL, size, align);
}

void *kmalloc(size_t size) { return kmalloc_aligned(size, 0); }

void *kcalloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = kmalloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *krealloc(void *p, size_t size)
{
	return with_growth(realloc_op, p, size, 0);
}

/* Worth a pass over the free blocks: a MiB or more mapped but unused, and
 * the heap grew or `used` fell by a MiB since the last pass.  A hint, read
 * without the lock (other CPUs may be changing these): the pass itself
 * decides under it. */
static bool give_back_worth(void)
{
	uint64_t mapped = heap_pages_mapped_bytes(pages);

	return mapped >= kheap.used + HEAP_SHRINK_MIN &&
	       (kheap.grows != pass_grows || kheap.used + HEAP_SHRINK_MIN <= pass_used);
}

/* Unmaps the pages inside big free blocks, one block at a time: the heap
 * marks it under the lock, the pages go with interrupts on. */
static void give_back_inside(void)
{
	uintptr_t start;
	size_t bytes;

	lock();
	pass_used = kheap.used;
	pass_grows = kheap.grows;
	unlock();
	for (;;) {
		lock();
		bool found = pages_try_take();
		if (found && !heap_decommit_next(&kheap, &start, &bytes)) {
			pages_release();
			found = false;
		}
		unlock();
		if (!found)
			return;
		heap_pages_decommit_range(pages, start, bytes);
		pages_release();
	}
}

/* Under the lock: cuts the heap's unused end if the pages turn is free now
 * (it is then ours); returns the new end to unmap down to, or 0. */
static uintptr_t cut_end(bool only_if_worth)
{
	if ((only_if_worth && !heap_shrink_worth(&kheap)) || !pages_try_take())
		return 0;
	if (!heap_shrink(&kheap)) {
		pages_release();
		return 0;
	}
	return heap_align_up(kheap.end, PAGE);
}

/* Memory goes back only from tasks, and only if no other CPU has the pages
 * turn or waits for it (the allocations come first). */
void kfree(void *p)
{
	bool task = !hal_in_interrupt();
	uintptr_t end = 0;

	lock();
	heap_free(&kheap, p);
	if (task)
		end = cut_end(true);
	unlock();
	if (end) {
		heap_pages_decommit(pages, end);
		pages_release();
	}
	if (task && give_back_worth())
		give_back_inside();
}

void kmalloc_trim(void)
{
	uintptr_t end;

	lock();
	end = cut_end(false);
	unlock();
	if (end) {
		heap_pages_decommit(pages, end);
		pages_release();
	}
	give_back_inside();
}

void kmalloc_stats(struct heap_stats *s)
{
	lock();
	heap_stats(&kheap, s);
	unlock();
}

bool kmalloc_check(void)
{
	lock();
	bool ok = heap_check(&kheap);

	unlock();
	return ok;
}

enum heap_design kmalloc_design(void)
{
	return kheap.design;
}
