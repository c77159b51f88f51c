/*
 * stacks.h — the kernel's fixed stacks: the boot stack, which becomes the
 * executor's one shared stack, and the IST stacks for faults that must not
 * trust the current stack.  Each sits directly above a guard page that the
 * kernel's page tables leave unmapped, so an overflow faults at once instead
 * of silently corrupting whatever lies below.  See mm/layout.h.
 */
#ifndef COOP_KERNEL_STACKS_H
#define COOP_KERNEL_STACKS_H

#include <stdint.h>

enum kstack_id {
	KSTACK_BOOT,
	KSTACK_DOUBLE_FAULT,
	KSTACK_NMI,
	KSTACK_MACHINE_CHECK,
	KSTACK_COUNT
};

uintptr_t kstack_top(enum kstack_id id);
uintptr_t kstack_bottom(enum kstack_id id);
/* The page below the stack; unmapped once the kernel's page tables run. */
uintptr_t kstack_guard(enum kstack_id id);
const char *kstack_name(enum kstack_id id);

#endif
