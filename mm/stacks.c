/*
 * stacks.c — storage for the kernel's stacks, each preceded by its guard page.
 */
#include "mm/stacks.h"

#define PAGE 4096
#define BOOT_STACK_SIZE (64 * 1024)
#define IST_STACK_SIZE (16 * 1024)

struct boot_stack {
	uint8_t guard[PAGE];
	uint8_t stack[BOOT_STACK_SIZE];
};

struct ist_stack {
	uint8_t guard[PAGE];
	uint8_t stack[IST_STACK_SIZE];
};

static struct boot_stack boot_stack __attribute__((aligned(PAGE), section(".bss.stacks")));
static struct ist_stack ist_stacks[3] __attribute__((aligned(PAGE), section(".bss.stacks")));

static const char *const names[KSTACK_COUNT] = {
	"boot", "double-fault", "nmi", "machine-check",
};

uintptr_t kstack_guard(enum kstack_id id)
{
	if (id == KSTACK_BOOT)
		return (uintptr_t)boot_stack.guard;
	return (uintptr_t)ist_stacks[id - 1].guard;
}

uintptr_t kstack_bottom(enum kstack_id id)
{
	return kstack_guard(id) + PAGE;
}

uintptr_t kstack_top(enum kstack_id id)
{
	if (id == KSTACK_BOOT)
		return (uintptr_t)(boot_stack.stack + BOOT_STACK_SIZE);
	return (uintptr_t)(ist_stacks[id - 1].stack + IST_STACK_SIZE);
}

const char *kstack_name(enum kstack_id id)
{
	return names[id];
}
