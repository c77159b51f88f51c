/*
 * ksyms.c — address to symbol lookup over the embedded table.
 */
#include "kernel/ksyms.h"

#include <stddef.h>

/* Defined by efi/coop.lds; their run-time addresses reflect relocation. */
extern const char ImageBase[], __text_start[], __text_end[];

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	uintptr_t base = (uintptr_t)ImageBase;
	uint32_t lo = 0, hi = ksym_count;

	if (addr < (uintptr_t)__text_start || addr >= (uintptr_t)__text_end || !ksym_count)
		return NULL;
	uintptr_t rel = addr - base;
	if (rel < ksym_table[0].offset)
		return NULL;
	/* The table is sorted: find the last symbol at or below rel. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ksym_table[mid].offset <= rel)
			lo = mid;
		else
			hi = mid;
	}
	*offset = rel - ksym_table[lo].offset;
	return &ksym_names[ksym_table[lo].name];
}
