/*
 * heap.h — the kernel heap: kmalloc and friends.
 *
 * (Placeholder API agreed between modules; the heap module fleshes it out.)
 * In the kernel these are served by the heap design chosen with heap=...;
 * on the host (unit tests of other modules) they map to libc malloc so that
 * ASan sees every allocation.
 */
#ifndef COOP_MM_HEAP_H
#define COOP_MM_HEAP_H

#include <stddef.h>

void *kmalloc(size_t size);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t size);
void *kmalloc_aligned(size_t size, size_t align);
void kfree(void *p);

#endif
