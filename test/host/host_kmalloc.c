/*
 * On the host, kmalloc and friends are libc's allocator, so that ASan checks
 * every allocation made by portable code under test (the executor, channels).
 * The heap designs themselves are tested through their own instance API.
 */
#include "mm/heap.h"

#include <stdlib.h>

void *kmalloc(size_t size) { return malloc(size); }
void *kcalloc(size_t n, size_t size) { return calloc(n, size); }
void *krealloc(void *p, size_t size) { return realloc(p, size); }
void kfree(void *p) { free(p); }

void *kmalloc_aligned(size_t size, size_t align)
{
	void *p = NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	return posix_memalign(&p, align, size) == 0 ? p : NULL;
}
