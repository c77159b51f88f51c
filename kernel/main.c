/*
 * main.c — the kernel's boot sequence, in order.  Read this file first: each
 * step is one call, and each call's module explains itself.
 *
 * The loader (efi/) calls kernel_main() after ExitBootServices, on the
 * firmware's stack, with interrupts off and the firmware's GDT, IDT and page
 * tables still loaded.  We replace each of those before relying on it.
 */
#include "hal/cpu/gdt.h"
#include "hal/cpu/idt.h"
#include "hal/dev/serial.h"
#include "hal/hal.h"
#include "kernel/boot_info.h"
#include "kernel/console/console.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/platform.h"
#include "mm/mm.h"
#include "mm/stacks.h"

static void kernel_start(const void *arg) __attribute__((noreturn));

void kernel_main(const struct boot_info *bi)
{
	hal_irq_disable();
	/* The firmware's stack lies in boot-services memory, which the frame
	 * allocator will reclaim: move to our own stack before anything else. */
	hal_call_on_stack((void *)kstack_top(KSTACK_BOOT), kernel_start, bi);
}

static void kernel_start(const void *arg)
{
	const struct boot_info *bi;

	serial_init();              /*  1. COM1 first: even early failures are visible */
	bi = boot_info_check(arg);  /*  2. refuse a loader we do not understand */
	con_init(&bi->fb);          /*  3. framebuffer text grid, or serial-only */
	params_init(bi);            /*  4. command line -> kernel settings, loglevel */
	banner_print(bi);           /*  5. "coop <version>", mode, memory, cmdline and
	                                   its warnings, the loader's warnings */
	cpu_tables_init();          /*  6. GDT + TSS (IST stacks), IDT */
	memory_init(bi);            /*  7. frames, own page tables (W^X), heap */
	platform_init(bi);          /*  8. ACPI tables, IOAPIC + local APIC, clock, timer */
	executor_start();           /*  9. async executor, tickless timers on that clock */
	kernel_run();               /* 10. tests if asked; else input tasks, shell, idle */
}
