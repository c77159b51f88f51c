/*
 * kmalloc.c — the kernel's one global heap, behind kmalloc and friends.
 *
 * The kernel is cooperative on one CPU, so the only thing that can interleave
 * with a heap operation is an interrupt handler: each call runs with
 * interrupts disabled, and that is the whole lock.  (Kernel only: on the host
 * kmalloc is libc's, see test/host/host_kmalloc.c.)
 */
#include "mm/heap.h"

#include "hal/hal.h"
#include "kernel/lib/string.h"

static struct heap kheap;

int kmalloc_init(enum heap_design d, void *base, size_t initial, size_t limit,
		 heap_grow_fn grow, void *ctx)
{
	return heap_init(&kheap, d, base, initial, limit, grow, ctx, HEAP_DEBUG);
}

void kmalloc_set_hooks(heap_log_fn log, heap_error_fn on_error)
{
	heap_set_log(&kheap, log);
	heap_set_error_handler(&kheap, on_error);
}

void *kmalloc_aligned(size_t size, size_t align)
{
	hal_irqflags_t f = hal_irq_save();
	void *p = heap_alloc(&kheap, size, align);

	hal_irq_restore(f);
	return p;
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
	hal_irqflags_t f = hal_irq_save();
	void *q = heap_realloc(&kheap, p, size);

	hal_irq_restore(f);
	return q;
}

void kfree(void *p)
{
	hal_irqflags_t f = hal_irq_save();

	heap_free(&kheap, p);
	hal_irq_restore(f);
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
