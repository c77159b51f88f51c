/*
 * kernel.h — the steps of the boot sequence in kernel/main.c, each defined
 * in the file named beside it.
 */
#ifndef COOP_KERNEL_KERNEL_H
#define COOP_KERNEL_KERNEL_H

#include "hal/hal.h"
#include "hal/reset.h"
#include "kernel/boot_info.h"

/* kernel/boot.c */
/* Validates the loader's boot info and returns the kernel's own copy. */
const struct boot_info *boot_info_check(const struct boot_info *bi);
/* The kernel's copy of the boot info (valid after boot_info_check()). */
/* Reboots or powers off: UEFI ResetSystem first, then hal/reset.c's fallbacks. */
void machine_reset(enum hal_reset_kind kind) __attribute__((noreturn));
void banner_print(const struct boot_info *bi);
void cpu_tables_init(void);
void interrupts_init(void);
void executor_start(void);
void kernel_run(void) __attribute__((noreturn));

/* hal/isr_common.S */
void hal_call_on_stack(void *stack_top, void (*fn)(const void *), const void *arg)
	__attribute__((noreturn));

extern const char coop_build_id[];

#endif
