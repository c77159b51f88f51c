/*
 * kmalloc.c — the kernel's one global heap, behind kmalloc and friends.
 *
 * The kernel is cooperative on one CPU, so the only thing that can interleave
 * with a heap operation is an interrupt handler (one may free: a waker
 * dropped in an IRQ can free its task): each call runs with interrupts
 * disabled, and that is the whole lock.
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
 * Interrupt handlers may free but never give memory back; one that
 * allocated while pages are being mapped or unmapped would get NULL.
 *
 * Kernel only: on the host kmalloc is libc's (test/host/host_kmalloc.c).
 */
#include "mm/heap.h"

#include "hal/hal.h"
#include "kernel/lib/string.h"
#include "mm/heap_pages.h"

/* At most this much is mapped inside the lock: enough for the block heap
 * to take a 32 KiB-aligned chunk (a 128 KiB grow at worst) without a
 * second pass, and 64 pages at most with interrupts off. */
#define GROW_NOW (256u * 1024u)
#define PAGE 4096u

static struct heap kheap;
static struct heap_pages *pages;
static bool pages_busy; /* a commit or decommit is running outside the lock */
static bool no_defer;   /* commit now, whatever the size: at boot, and once a
			   commit outside the lock failed (so the heap reports
			   the failure) */
static size_t pass_used = SIZE_MAX; /* heap used at the last give-back pass */
static uint64_t pass_grows;

static bool grow(void *ctx, uintptr_t old_end, size_t bytes)
{
	uintptr_t want_end = old_end + bytes;
	size_t missing;

	(void)ctx;
	if (pages_busy)
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
	if (pages_busy)
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

	pages_busy = true;
	if (grow && end + grow > pages->mapped_end)
		ok = heap_pages_commit(pages, heap_align_up(end + grow - pages->mapped_end, PAGE));
	if (bytes)
		ok = ok && heap_pages_commit_range(pages, start, bytes);
	pages_busy = false;
	return ok;
}

/*
 * Runs @op (an allocation) under the lock; if the heap deferred a grow,
 * commits the pages outside it and runs @op again.  If they cannot be had,
 * @op runs once more without deferring, so the heap reports the failure.
 */
static void *with_growth(void *(*op)(void *a, size_t b, size_t c), void *a, size_t b,
			 size_t c)
{
	for (;;) {
		hal_irqflags_t f = hal_irq_save();
		void *p = op(a, b, c);
		size_t grow = p ? 0 : heap_grow_wanted(&kheap), bytes = 0;
		uintptr_t end = kheap.end, start = 0;
		if (!p)
			heap_commit_wanted(&kheap, &start, &bytes);
		hal_irq_restore(f);
		if (p || (!grow && !bytes))
			return p;
		if (!commit_deferred(end, grow, start, bytes)) {
			f = hal_irq_save();
			no_defer = true;
			p = op(a, b, c);
			no_defer = false;
			hal_irq_restore(f);
			return p;
		}
	}
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
 * the heap grew or `used` fell by a MiB since the last pass. */
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

	pass_used = kheap.used;
	pass_grows = kheap.grows;
	for (;;) {
		hal_irqflags_t f = hal_irq_save();
		bool found = heap_decommit_next(&kheap, &start, &bytes);
		pages_busy = found;
		hal_irq_restore(f);
		if (!found)
			return;
		heap_pages_decommit_range(pages, start, bytes);
		pages_busy = false;
	}
}

void kfree(void *p)
{
	hal_irqflags_t f = hal_irq_save();
	bool task = !hal_in_interrupt() && !pages_busy;
	size_t cut = 0;

	heap_free(&kheap, p);
	if (task && heap_shrink_worth(&kheap))
		cut = heap_shrink(&kheap);
	uintptr_t end = kheap.end;
	if (cut)
		pages_busy = true;
	hal_irq_restore(f);
	if (cut) {
		heap_pages_decommit(pages, heap_align_up(end, PAGE));
		pages_busy = false;
	}
	if (task && give_back_worth())
		give_back_inside();
}

void kmalloc_trim(void)
{
	hal_irqflags_t f = hal_irq_save();
	size_t cut = pages_busy ? 0 : heap_shrink(&kheap);
	uintptr_t end = kheap.end;

	pages_busy = cut != 0;
	hal_irq_restore(f);
	if (cut) {
		heap_pages_decommit(pages, heap_align_up(end, PAGE));
		pages_busy = false;
	}
	give_back_inside();
}

void kmalloc_stats(struct heap_stats *s)
{
	hal_irqflags_t f = hal_irq_save();

	heap_stats(&kheap, s);
	hal_irq_restore(f);
}

bool kmalloc_check(void)
{
	hal_irqflags_t f = hal_irq_save();
	bool ok = heap_check(&kheap);

	hal_irq_restore(f);
	return ok;
}

enum heap_design kmalloc_design(void)
{
	return kheap.design;
}
