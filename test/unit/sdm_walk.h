/*
 * sdm_walk.h — a page walk as the CPU does it with 5-level paging (Intel SDM
 * vol. 3, 4.5), written independently of mm/pagetable.c so tests can check
 * the mapper's tables against it.
 */
#ifndef COOP_TEST_UNIT_SDM_WALK_H
#define COOP_TEST_UNIT_SDM_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* Translates @va through the PML5 at physical @root (tables reached at
 * physical + @phys_offset): false if it is not canonical with 57 bits or
 * not mapped; else *pa, and the leaf entry in *leaf (may be NULL). */
bool sdm_walk5(uint64_t root, uintptr_t phys_offset, uint64_t va, uint64_t *pa,
	       uint64_t *leaf);

#endif
