/*
 * ksyms.h — the kernel's own symbol table, embedded at build time by a
 * second link pass (scripts/gen-ksyms.py), so fault reports can name
 * functions in their backtraces.
 */
#ifndef COOP_KERNEL_KSYMS_H
#define COOP_KERNEL_KSYMS_H

#include <stdint.h>

struct ksym {
	uint32_t offset; /* from the image base */
	uint32_t name;   /* offset into ksym_names */
};

extern const uint32_t ksym_count;
extern const struct ksym ksym_table[];
extern const char ksym_names[];

/*
 * Names the function containing `addr` (a run-time address) and sets *offset
 * to the distance into it.  Returns NULL if addr is outside the kernel text.
 */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);

#endif
