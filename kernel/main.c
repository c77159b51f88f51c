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
#include "hal/cpu/percpu.h"
#include "hal/dev/serial.h"
#include "hal/hal.h"
#include "kernel/boot_info.h"
#include "kernel/console/console.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/platform.h"
#include "kernel/smp.h"
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

	percpu_init_boot();         /*  1. this CPU's own block, reached through GS */
	serial_init();              /*  2. COM1 first: even early failures are visible */
	bi = boot_info_check(arg);  /*  3. refuse a loader we do not understand */
	con_init(&bi->fb);          /*  4. framebuffer text grid, or serial-only */
	params_init(bi);            /*  5. command line -> kernel settings, loglevel */
	banner_print(bi);           /*  6. "coop <version>", mode, memory, cmdline and
	                                   its warnings, the loader's warnings */
	cpu_tables_init();          /*  7. GDT + TSS (IST stacks), IDT */
	memory_init(bi);            /*  8. frames, own page tables (W^X), heap */
	platform_init(bi);          /*  9. ACPI tables, IOAPIC + local APIC, clock, timer */
	executor_start();           /* 10. async executor, tickless timers on that clock */
	smp_start();                /* 11. the other CPUs, each with its own tables and timer */
	kernel_run();               /* 12. tests if asked; else input tasks, shell, idle */
}
