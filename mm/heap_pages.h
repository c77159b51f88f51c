/*
 * heap_pages.h — the frames behind the kernel heap's virtual range: fresh
 * frames are mapped as the heap grows, and go back as it shrinks.
 *
 * The work is done in batches of HEAP_PAGES_BATCH pages, each inside its own
 * critical section over the frames and page tables (the owner's lock, which
 * keeps interrupts off too, or just interrupts off): a 1 GiB grow then
 * delays a timer tick, or another CPU, by one batch, not by the whole grow.  The caller must not hold interrupts
 * off around a big commit, or the batching buys nothing (mm/kmalloc.c
 * commits outside its critical section).
 *
 * Portable: it only calls the frame allocator and the page-table mapper it
 * is given, so host tests run it over fake physical memory.
 */
#ifndef COOP_MM_HEAP_PAGES_H
#define COOP_MM_HEAP_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/frame.h"
#include "mm/pagetable.h"

#define HEAP_PAGES_BATCH 32u

struct heap_pages {
	struct frame_allocator *frames;
	struct pt_ctx *pt;
	uintptr_t base;       /* the heap's first byte */
	uintptr_t mapped_end; /* [base, mapped_end) is mapped, page by page */
	uint64_t pages_mapped, pages_unmapped, failures;
	/* Serialise the frames and page tables against other CPUs; NULL:
	 * interrupts off is enough (one CPU; the host tests). */
	void (*lock)(void);
	void (*unlock)(void);
};

/**
 * heap_pages_commit - map one fresh frame at each page of
 * [mapped_end, mapped_end + bytes) (@bytes a multiple of 4 KiB), read-write,
 * global, no-execute.  Returns true; or false, having unmapped what it had
 * mapped and freed those frames and any page table it had added.
 */
bool heap_pages_commit(struct heap_pages *hp, size_t bytes);

/* Unmaps [new_end, mapped_end) and frees its frames (and page tables left
 * empty).  Precondition: nothing uses that memory any more. */
void heap_pages_decommit(struct heap_pages *hp, uintptr_t new_end);

/*
 * Pages in the middle, for what the heap gives back from inside free blocks
 * (heap_decommit_next) and takes again.  _commit_range maps a fresh frame at
 * every page of [start, start + bytes) (rounded out to pages) that has none,
 * in batches like heap_pages_commit; it maps nothing and returns false if
 * the free frames cannot cover it.  _decommit_range unmaps the pages wholly
 * inside [start, start + bytes) that are mapped, and frees their frames.
 * _missing counts the pages of the range that are not mapped.
 */
bool heap_pages_commit_range(struct heap_pages *hp, uintptr_t start, size_t bytes);
void heap_pages_decommit_range(struct heap_pages *hp, uintptr_t start, size_t bytes);
size_t heap_pages_missing(const struct heap_pages *hp, uintptr_t start, size_t bytes);
bool heap_pages_mapped(const struct heap_pages *hp, uintptr_t addr);
/* Bytes of heap mapped now. */
uint64_t heap_pages_mapped_bytes(const struct heap_pages *hp);

/*
 * How many bytes of heap @free_bytes of frames can back while keeping
 * @reserve bytes for everyone else: each heap page also costs its share of
 * the page tables that map it (1/512 of a page, plus 1/512 of that for the
 * level above, and so on: 1/511 in all), and a range may need one partly
 * used table at each end of each level.  Page aligned.
 */
size_t heap_pages_limit(uint64_t free_bytes, uint64_t reserve);

#endif
