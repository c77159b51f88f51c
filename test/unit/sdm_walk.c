/*
 * sdm_walk.c — the CPU's 5-level page walk, for tests (see sdm_walk.h).
 */
#include "test/unit/sdm_walk.h"

#define P (1ull << 0)
#define PS (1ull << 7)
#define ADDR 0x000ffffffffff000ull

bool sdm_walk5(uint64_t root, uintptr_t phys_offset, uint64_t va, uint64_t *pa,
	       uint64_t *leaf)
{
	uint64_t tpa = root;

	if ((uint64_t)((int64_t)(va << 7) >> 7) != va)
		return false; /* bits 63:57 must copy bit 56 */
	for (int level = 5; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint64_t e = ((const uint64_t *)(tpa + phys_offset))[(va >> shift) & 511];
		if (!(e & P))
			return false;
		if (level == 1 || (level <= 3 && (e & PS))) { /* a 4 KiB, 2 MiB or 1 GiB page */
			uint64_t size = 1ull << shift;
			*pa = (e & ADDR & ~(size - 1)) + (va & (size - 1));
			if (leaf)
				*leaf = e;
			return true;
		}
		tpa = e & ADDR;
	}
	return false;
}
