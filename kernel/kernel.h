/*
 * kernel.h — the steps of the boot sequence in kernel/main.c, each defined
 * in the file named beside it.
 */
#ifndef COOP_KERNEL_KERNEL_H
#define COOP_KERNEL_KERNEL_H

#include "hal/hal.h"
#include "kernel/boot_info.h"

/* kernel/boot.c */
/* Validates the loader's boot info and returns the kernel's own copy. */
const struct boot_info *boot_info_check(const struct boot_info *bi);
/* The kernel's copy of the boot info (valid after boot_info_check()). */
const struct boot_info *kernel_boot_info(void);
void banner_print(const struct boot_info *bi);
void cpu_tables_init(void);
void memory_init(const struct boot_info *bi);
void executor_start(void);
void kernel_run(void) __attribute__((noreturn));

/* hal/cpu/isr_common.S */
void hal_call_on_stack(void *stack_top, void (*fn)(const void *), const void *arg)
	__attribute__((noreturn));

extern const char coop_build_id[];

#endif
