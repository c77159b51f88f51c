/*
 * heap_pages.c — maps frames under the kernel heap (see heap_pages.h).
 */
#include "mm/heap_pages.h"

#include "hal/hal.h"

#define PAGE 4096u
#define TABLE_SLACK (2 * 4 * (uint64_t)PAGE) /* a partial table per end per level */

/* The frames and page tables are shared: their lock if the owner gave one
 * (the kernel's, taken by every CPU), else interrupts off. */
static hal_irqflags_t hp_lock(const struct heap_pages *hp)
{
	if (hp->lock) {
		hp->lock();
		return 0;
	}
	return hal_irq_save();
}

static void hp_unlock(const struct heap_pages *hp, hal_irqflags_t f)
{
	if (hp->unlock)
		hp->unlock();
	else
		hal_irq_restore(f);
}

/* Is the page at va mapped?  Read under the lock: another CPU may be
 * editing a table on the way. */
static bool page_mapped(const struct heap_pages *hp, uintptr_t va)
{
	hal_irqflags_t f = hp_lock(hp);
	bool mapped = pt_translate(hp->pt, va, NULL, NULL, NULL);

	hp_unlock(hp, f);
	return mapped;
}

/* Unmaps the mapped pages of [from, to), which this module mapped, and
 * frees the frames. */
static void unmap_range(struct heap_pages *hp, uintptr_t from, uintptr_t to)
{
	uint64_t pa;

	if (from >= to)
		return;
	for (uintptr_t va = from; va < to; va += PAGE) {
		if (pt_translate(hp->pt, va, &pa, NULL, NULL)) {
			frame_free(hp->frames, pa);
			hp->pages_unmapped++;
		}
	}
	pt_unmap(hp->pt, from, to - from); /* holes are fine; frees emptied tables */
}

/* Maps up to HEAP_PAGES_BATCH pages from *va towards @end; false on the
 * first page it cannot map (*va then says where). */
static bool map_batch(struct heap_pages *hp, uintptr_t *va, uintptr_t end)
{
	hal_irqflags_t f = hp_lock(hp);
	bool ok = true;

	for (unsigned n = 0; ok && n < HEAP_PAGES_BATCH && *va < end; n++) {
		uint64_t pa = frame_alloc(hp->frames);
		ok = pa && pt_map(hp->pt, *va, pa, PAGE, PT_WRITE | PT_GLOBAL) == PT_OK;
		if (!ok && pa)
			frame_free(hp->frames, pa);
		if (ok) {
			*va += PAGE;
			hp->pages_mapped++;
		}
	}
	hp_unlock(hp, f);
	return ok;
}

bool heap_pages_commit(struct heap_pages *hp, size_t bytes)
{
	uintptr_t start = hp->mapped_end, end = start + bytes, va = start;

	while (va < end) {
		if (!map_batch(hp, &va, end)) {
			hal_irqflags_t f = hp_lock(hp);
			unmap_range(hp, start, va);
			hp_unlock(hp, f);
			hp->failures++;
			return false;
		}
	}
	hp->mapped_end = end;
	return true;
}

void heap_pages_decommit(struct heap_pages *hp, uintptr_t new_end)
{
	while (hp->mapped_end > new_end) {
		uintptr_t from = hp->mapped_end - (uintptr_t)HEAP_PAGES_BATCH * PAGE;
		if (from < new_end || from > hp->mapped_end)
			from = new_end;
		hal_irqflags_t f = hp_lock(hp);
		unmap_range(hp, from, hp->mapped_end);
		hp->mapped_end = from;
		hp_unlock(hp, f);
	}
}

/* ---- pages in the middle ----------------------------------------------------- */

static uintptr_t down(uintptr_t x) { return x & ~(uintptr_t)(PAGE - 1); }
static uintptr_t up(uintptr_t x) { return (x + PAGE - 1) & ~(uintptr_t)(PAGE - 1); }

bool heap_pages_mapped(const struct heap_pages *hp, uintptr_t addr)
{
	return page_mapped(hp, down(addr));
}

size_t heap_pages_missing(const struct heap_pages *hp, uintptr_t start, size_t bytes)
{
	size_t n = 0;

	for (uintptr_t va = down(start); va < up(start + bytes); va += PAGE)
		n += !page_mapped(hp, va);
	return n;
}

/* Maps the unmapped pages from *va on, up to HEAP_PAGES_BATCH of them. */
static void fill_batch(struct heap_pages *hp, uintptr_t *va, uintptr_t end)
{
	hal_irqflags_t f = hp_lock(hp);

	for (unsigned n = 0; n < HEAP_PAGES_BATCH && *va < end; *va += PAGE) {
		if (pt_translate(hp->pt, *va, NULL, NULL, NULL))
			continue;
		uint64_t pa = frame_alloc(hp->frames);
		if (!pa || pt_map(hp->pt, *va, pa, PAGE, PT_WRITE | PT_GLOBAL) != PT_OK) {
			if (pa)
				frame_free(hp->frames, pa); /* no table: the page stays a hole */
			hp->failures++;
			continue;
		}
		hp->pages_mapped++;
		n++;
	}
	hp_unlock(hp, f);
}

bool heap_pages_commit_range(struct heap_pages *hp, uintptr_t start, size_t bytes)
{
	uintptr_t va = down(start), end = up(start + bytes);
	size_t missing = heap_pages_missing(hp, start, bytes);

	/* Frames for the pages and a table for each 2 MiB, with room to spare:
	 * all or nothing. */
	if (frame_available(hp->frames) < missing + missing / 256 + 8) {
		hp->failures++;
		return false;
	}
	while (va < end)
		fill_batch(hp, &va, end);
	return heap_pages_missing(hp, start, bytes) == 0;
}

void heap_pages_decommit_range(struct heap_pages *hp, uintptr_t start, size_t bytes)
{
	uintptr_t va = up(start), end = down(start + bytes);

	while (va < end) {
		uintptr_t to = end - va > HEAP_PAGES_BATCH * PAGE ? va + HEAP_PAGES_BATCH * PAGE
								 : end;
		hal_irqflags_t f = hp_lock(hp);
		unmap_range(hp, va, to);
		hp_unlock(hp, f);
		va = to;
	}
}

uint64_t heap_pages_mapped_bytes(const struct heap_pages *hp)
{
	return (hp->pages_mapped - hp->pages_unmapped) * (uint64_t)PAGE;
}

size_t heap_pages_limit(uint64_t free_bytes, uint64_t reserve)
{
	if (free_bytes <= reserve + TABLE_SLACK)
		return 0;
	uint64_t room = free_bytes - reserve - TABLE_SLACK;
	/* heap + heap / 511 <= room */
	uint64_t limit = room - (room + 511) / 512;

	return (size_t)(limit & ~(uint64_t)(PAGE - 1));
}
