/*
 * fault.c — CPU exception reports (see fault.h).
 *
 * An unexpected exception is fatal: the report goes to screen and serial
 * (the console is taken over first, in case the fault hit while its lock was
 * held), then the boot ends through fatal_end().
 */
#include "kernel/fault.h"

#include "kernel/console/console.h"
#include "kernel/ksyms.h"
#include "kernel/lib/fmt.h"
#include "kernel/log.h"
#include "kernel/panic.h"

static uint64_t breakpoints;

uint64_t exception_breakpoints(void)
{
	return breakpoints;
}

#define LINE(...)                                                              \
	do {                                                                   \
		fmt_snprintf(line, sizeof line, __VA_ARGS__);                  \
		out(ctx, line);                                                \
	} while (0)

static bool has_selector_error(unsigned v)
{
	return v == 10 || v == 11 || v == 12 || v == 13;
}

static void report_error_code(const struct cpu_fault *cf, fault_line_fn out, void *ctx)
{
	char line[160];
	const struct trap_frame *f = cf->frame;
	uint64_t e = f->error_code, cr2 = cf->cr2;

	if (f->vector == VEC_PAGE_FAULT) {
		LINE("cr2 0x%016llx%s", (unsigned long long)cr2,
		     cr2 < 4096 ? " (NULL pointer dereference)" : "");
		LINE("error 0x%llx: %s %s %s%s%s", (unsigned long long)e,
		     (e & 1) ? "protection-violation" : "not-present",
		     (e & 16) ? "instruction-fetch" : (e & 2) ? "write" : "read",
		     (e & 4) ? "user" : "kernel", (e & 8) ? " reserved-bit" : "",
		     (e & 32) ? " protection-key" : "");
	} else if (has_selector_error((unsigned)f->vector)) {
		if (e == 0)
			LINE("error 0x0: no selector involved");
		else
			LINE("error 0x%llx: selector 0x%llx (%s index %llu)%s",
			     (unsigned long long)e, (unsigned long long)(e & 0xfff8),
			     (e & 2) ? "IDT" : (e & 4) ? "LDT" : "GDT",
			     (unsigned long long)((e & 0xffff) >> 3),
			     (e & 1) ? " external" : "");
	} else if (f->vector == VEC_DOUBLE_FAULT) {
		LINE("error 0x%llx (always 0 for #DF)", (unsigned long long)e);
	}
}

static void report_registers(const struct cpu_fault *cf, fault_line_fn out, void *ctx)
{
	char line[160];
	const struct trap_frame *f = cf->frame;
	uintptr_t off = 0;
	const char *sym = ksym_lookup(f->rip, &off);

	LINE("rip 0x%016llx %s+0x%llx", (unsigned long long)f->rip, sym ? sym : "?",
	     (unsigned long long)off);
	LINE("rsp 0x%016llx rflags 0x%08llx cs 0x%02llx ss 0x%02llx",
	     (unsigned long long)f->rsp, (unsigned long long)f->rflags,
	     (unsigned long long)f->cs, (unsigned long long)f->ss);
	LINE("rax 0x%016llx rbx 0x%016llx rcx 0x%016llx", (unsigned long long)f->rax,
	     (unsigned long long)f->rbx, (unsigned long long)f->rcx);
	LINE("rdx 0x%016llx rsi 0x%016llx rdi 0x%016llx", (unsigned long long)f->rdx,
	     (unsigned long long)f->rsi, (unsigned long long)f->rdi);
	LINE("rbp 0x%016llx r8  0x%016llx r9  0x%016llx", (unsigned long long)f->rbp,
	     (unsigned long long)f->r8, (unsigned long long)f->r9);
	LINE("r10 0x%016llx r11 0x%016llx r12 0x%016llx", (unsigned long long)f->r10,
	     (unsigned long long)f->r11, (unsigned long long)f->r12);
	LINE("r13 0x%016llx r14 0x%016llx r15 0x%016llx", (unsigned long long)f->r13,
	     (unsigned long long)f->r14, (unsigned long long)f->r15);
	LINE("cr0 0x%016llx cr3 0x%016llx cr4 0x%016llx",
	     (unsigned long long)cf->cr0, (unsigned long long)cf->cr3,
	     (unsigned long long)cf->cr4);
}

void fault_report(const struct cpu_fault *f, fault_line_fn out, void *ctx)
{
	char line[160];

	LINE("*** CPU EXCEPTION %s: %s (vector %u) ***", f->mnemonic, f->name, f->vector);
	report_error_code(f, out, ctx);
	report_registers(f, out, ctx);
}

#undef LINE

/* ---- what happens next ---------------------------------------------------- */

static void to_console(void *ctx, const char *line)
{
	(void)ctx;
	kprintf("%s\n", line);
}

static void report_breakpoint(const struct trap_frame *f)
{
	uintptr_t off = 0;
	const char *sym = ksym_lookup(f->rip - 1, &off);
	breakpoints++;
	log_info("breakpoint (#BP) at 0x%llx %s+0x%llx: continuing",
		 (unsigned long long)(f->rip - 1), sym ? sym : "?", (unsigned long long)off);
}

void kernel_exception(const struct cpu_fault *f, bool resumable)
{
	if (resumable) {
		report_breakpoint(f->frame);
		return;
	}
	fatal_begin(f->mnemonic);
	fault_report(f, to_console, NULL);
	fatal_cpu_line();
	backtrace_print_fault(f->frame->rbp, f->frame->rip, f->frame->rsp);
	fatal_end(f->mnemonic);
}
