/*
 * boot.c — the boot steps that need more than one line (see main.c).
 */
#include "kernel/kernel.h"

#include "hal/cpu/gdt.h"
#include "hal/cpu/idt.h"
#include "hal/dev/qemu.h"
#include "hal/dev/serial.h"
#include "kernel/bench.h"
#include "kernel/console/console.h"
#include "kernel/console/status.h"
#include "kernel/input/input.h"
#include "kernel/lib/meminfo.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/pci.h"
#include "kernel/platform.h"
#include "kernel/shell/shell.h"
#include "kernel/smp.h"
#include "kernel/usb/usb_start.h"
#include "mm/mm.h"
#include "mm/stacks.h"
#include "sched/executor.h"
#include "test/ktest/ktest.h"

/* The loader's copy sits in identity-mapped loader memory, which is gone
 * once the kernel runs on its own page tables: keep ours. */
static struct boot_info boot_info;

const struct boot_info *boot_info_check(const struct boot_info *bi)
{
	static const char bad[] = "coop: the loader's boot info is not one this kernel "
				  "understands (magic/version mismatch): halting\n";
	if (!bi || bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION ||
	    bi->size != sizeof *bi) {
		serial_write(bad, sizeof bad - 1);
		hal_halt_forever();
	}
	boot_info = *bi;
	if (bi->loader_failed[0]) {
		/* The loader could not leave boot services and may not print
		 * any more: say it here, on the screen too, and stop. */
		char what[sizeof bi->loader_failed + 1];
		memcpy(what, bi->loader_failed, sizeof bi->loader_failed);
		what[sizeof bi->loader_failed] = '\0';
		con_init(&boot_info.fb);
		kprintf("efi: %s failed (EFI status 0x%llx) after %u ExitBootServices "
			"call(s): cannot start; halting\n", what,
			(unsigned long long)bi->loader_status, bi->exit_boot_services_tries);
		hal_halt_forever();
	}
	return &boot_info;
}

const struct boot_info *kernel_boot_info(void)
{
	return &boot_info;
}

static const char *cmdline_source(const struct boot_info *bi)
{
	switch (bi->cmdline_source) {
	case BOOT_CMDLINE_LOAD_OPTIONS: return "UEFI load options";
	case BOOT_CMDLINE_FILE: return "\\EFI\\BOOT\\CMDLINE.TXT";
	default: return "none";
	}
}

/* The command line as one printable line: CMDLINE.TXT often ends in a
 * newline, and may hold CRs or tabs.  UTF-8 (an accented letter the
 * tokenizer then refused) is shown as it is. */
static void printable_cmdline(const char *in, char *out, size_t n)
{
	size_t len = 0;
	for (; *in && len < n - 1; in++) {
		unsigned char c = (unsigned char)*in;
		out[len++] = (c < 0x20 || c == 0x7f) ? ' ' : *in;
	}
	while (len && out[len - 1] == ' ')
		len--;
	out[len] = '\0';
}

/* The loader's warnings, one log line each ("efi: ..."). */
static void print_loader_warnings(const struct boot_info *bi)
{
	const char *line = bi->loader_warnings;
	char buf[sizeof bi->loader_warnings];

	while (*line) {
		size_t n = 0;
		while (line[n] && line[n] != '\n')
			n++;
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (n)
			log_warn("%s", buf);
		line += n + (line[n] == '\n');
	}
}

/* loglevel=debug: every descriptor of the firmware's memory map. */
static void debug_memory_map(const struct boot_info *bi)
{
	const void *descs = (const void *)(uintptr_t)bi->memmap.base;
	size_t count = bi->memmap.desc_size ? bi->memmap.size / bi->memmap.desc_size : 0;

	log_debug("memory map: %llu descriptors of %llu bytes (version %u)",
		  (unsigned long long)count, (unsigned long long)bi->memmap.desc_size,
		  bi->memmap.desc_version);
	for (size_t i = 0; i < count && bi->memmap.desc_size >= sizeof(struct boot_mem_desc);
	     i++) {
		const struct boot_mem_desc *d = meminfo_desc(descs, bi->memmap.desc_size, i);
		char size[32];
		meminfo_format_size(size, sizeof size, d->num_pages * 4096);
		log_debug("  0x%012llx-0x%012llx %-22s %9s attr %#llx",
			  (unsigned long long)d->phys_start,
			  (unsigned long long)(d->phys_start + d->num_pages * 4096 - 1),
			  meminfo_type_name(d->type), size, (unsigned long long)d->attribute);
	}
}

void banner_print(const struct boot_info *bi)
{
	char desc[96], size[32], cmdline[BOOT_CMDLINE_MAX];
	struct meminfo mi;

	kprintf("coop %s (build %s): a cooperative x86_64 kernel\n", COOP_VERSION,
		coop_build_id);
	con_describe(desc, sizeof desc);
	log_info("console: %s", desc);
	if (!con_has_framebuffer())
		log_warn("no usable GOP framebuffer: console is serial-only");
	if (meminfo_summarise(&mi, (const void *)(uintptr_t)bi->memmap.base, bi->memmap.size,
			      bi->memmap.desc_size) != 0)
		log_warn("memory map: malformed (descriptor size %llu)",
			 (unsigned long long)bi->memmap.desc_size);
	meminfo_format_size(size, sizeof size, mi.usable_bytes);
	log_info("memory: %s usable, %u map entries", size, mi.descriptors);
	debug_memory_map(bi);
	printable_cmdline(bi->cmdline, cmdline, sizeof cmdline);
	log_info("cmdline: \"%s\" (from %s)", cmdline, cmdline_source(bi));
	params_print_warnings();
	print_loader_warnings(bi);
	log_info("efi: image at 0x%llx (%llu KiB in memory), boot services exited (%u %s)",
		 (unsigned long long)bi->image.base, (unsigned long long)bi->image.size / 1024,
		 bi->exit_boot_services_tries,
		 bi->exit_boot_services_tries == 1 ? "try" : "tries");
	if (bi->rsdp)
		log_info("acpi: RSDP at 0x%llx (ACPI %s)", (unsigned long long)bi->rsdp,
			 bi->rsdp_revision >= 2 ? "2.0+" : "1.0");
}

void cpu_tables_init(void)
{
	uintptr_t ist[IST_COUNT] = {
		[IST_DOUBLE_FAULT - 1] = kstack_top(KSTACK_DOUBLE_FAULT),
		[IST_NMI - 1] = kstack_top(KSTACK_NMI),
		[IST_MACHINE_CHECK - 1] = kstack_top(KSTACK_MACHINE_CHECK),
	};
	gdt_init(ist);
	idt_init();
	for (int id = 0; id < KSTACK_COUNT; id++)
		backtrace_add_stack(kstack_bottom((enum kstack_id)id),
				    kstack_top((enum kstack_id)id));
}

void memory_init(const struct boot_info *bi)
{
	mm_init(bi, kparams.heap, con_has_framebuffer() ? con_move_framebuffer : NULL);
}

/* A test boot ends QEMU through isa-debug-exit; on hardware without that
 * device the write does nothing, so say where things stand and halt. */
static void run_tests(const char *selection)
{
	panic_set_test_mode(true);
	enum ktest_result r = ktest_run(selection);
	bool passed = r == KTEST_ALL_PASSED || r == KTEST_LISTED;
	hal_qemu_exit(passed ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
	kprintf("ktest: %s; halted (no isa-debug-exit device)\n",
		passed ? "all passed" : "failures");
	hal_halt_forever();
}

void executor_start(void)
{
	executor_init(smp_cpus_planned());
	platform_start_tasks();
}

void kernel_run(void)
{
	pci_start();                /* before the tests: the pci suite reads it */
	if (kparams.test)
		run_tests(kparams.test);
	input_init();
	keyboard_start(kparams.keymap);
	usb_start(kparams.usb);
	serial_console_start();
	if (kparams.bench) {
		bench_boot(kparams.bench);
	} else {
		shell_start();
		status_start();
	}
	log_info("idle: executor running");
	executor_run();
}
