/*
 * gdt.h — the kernel's own GDT and TSS.
 *
 * Long mode ignores segment bases and limits, but still needs a code
 * segment with the L bit, a data segment for SS, and a TSS whose Interrupt
 * Stack Table gives the double fault, NMI and machine check handlers known
 * good stacks even when the current stack is the problem.
 */
#ifndef COOP_HAL_GDT_H
#define COOP_HAL_GDT_H

#include <stdint.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18

/* IST slots (1-based, as the IDT gate's IST field counts them). */
enum ist_slot { IST_DOUBLE_FAULT = 1, IST_NMI = 2, IST_MACHINE_CHECK = 3, IST_COUNT = 3 };

/* Loads the GDT, reloads every segment register and TR.  ist_tops[i] is
 * the top of the stack for IST slot i+1. */
void gdt_init(const uintptr_t ist_tops[IST_COUNT]);

/* What this CPU has loaded (tests): its GDT, TR, and its TSS's IST stacks. */
struct gdt_info {
	uint64_t gdt_base, tss_base;
	uint16_t tr;
	uint64_t ist[IST_COUNT];
};
void gdt_describe(struct gdt_info *out);

#endif
