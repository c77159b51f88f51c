/*
 * exception.c — CPU exceptions (vectors 0..31): fault reports, breakpoints,
 * and the recovery path for test probes.
 *
 * An unexpected exception is fatal: the report goes to screen and serial
 * (the console is taken over first, in case the fault hit while its lock was
 * held), then the boot ends through fatal_end().
 */
#include "hal/fault.h"

#include "hal/cpu.h"
#include "kernel/console.h"
#include "kernel/fmt.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/panic.h"

static const struct {
	const char *mnemonic, *name;
} exceptions[32] = {
	[0] = { "#DE", "divide error" },
	[1] = { "#DB", "debug" },
	[2] = { "NMI", "non-maskable interrupt" },
	[3] = { "#BP", "breakpoint" },
	[4] = { "#OF", "overflow" },
	[5] = { "#BR", "bound range exceeded" },
	[6] = { "#UD", "invalid opcode" },
	[7] = { "#NM", "device not available" },
	[8] = { "#DF", "double fault" },
	[9] = { "#MF9", "coprocessor segment overrun" },
	[10] = { "#TS", "invalid TSS" },
	[11] = { "#NP", "segment not present" },
	[12] = { "#SS", "stack-segment fault" },
	[13] = { "#GP", "general protection fault" },
	[14] = { "#PF", "page fault" },
	[15] = { "#15", "reserved" },
	[16] = { "#MF", "x87 floating-point error" },
	[17] = { "#AC", "alignment check" },
	[18] = { "#MC", "machine check" },
	[19] = { "#XM", "SIMD floating-point exception" },
	[20] = { "#VE", "virtualization exception" },
	[21] = { "#CP", "control protection exception" },
	[22] = { "#22", "reserved" }, [23] = { "#23", "reserved" },
	[24] = { "#24", "reserved" }, [25] = { "#25", "reserved" },
	[26] = { "#26", "reserved" }, [27] = { "#27", "reserved" },
	[28] = { "#HV", "hypervisor injection exception" },
	[29] = { "#VC", "VMM communication exception" },
	[30] = { "#SX", "security exception" },
	[31] = { "#31", "reserved" },
};

extern const char probe_start[], probe_end[], probe_fixup[], probe_call_return[];

static struct fault_expectation *expected;
static uint64_t breakpoints;

const char *exception_mnemonic(unsigned vector)
{
	return vector < 32 ? exceptions[vector].mnemonic : NULL;
}

const char *exception_name(unsigned vector)
{
	return vector < 32 ? exceptions[vector].name : NULL;
}

uint64_t exception_breakpoints(void)
{
	return breakpoints;
}

void fault_expect(struct fault_expectation *e)
{
	e->hit = false;
	expected = e;
}

void fault_expect_clear(void)
{
	expected = NULL;
}

/* ---- the report ---------------------------------------------------------- */

#define LINE(...)                                                              \
	do {                                                                   \
		fmt_snprintf(line, sizeof line, __VA_ARGS__);                  \
		out(ctx, line);                                                \
	} while (0)

static bool has_selector_error(unsigned v)
{
	return v == 10 || v == 11 || v == 12 || v == 13;
}

static void report_error_code(const struct trap_frame *f, uint64_t cr2, fault_line_fn out,
			      void *ctx)
{
	char line[160];
	uint64_t e = f->error_code;

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

static void report_registers(const struct trap_frame *f, fault_line_fn out, void *ctx)
{
	char line[160];
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
	     (unsigned long long)hal_read_cr0(), (unsigned long long)hal_read_cr3(),
	     (unsigned long long)hal_read_cr4());
}

void fault_report(const struct trap_frame *f, uint64_t cr2, fault_line_fn out, void *ctx)
{
	char line[160];
	unsigned v = (unsigned)f->vector;

	LINE("*** CPU EXCEPTION %s: %s (vector %u) ***", exception_mnemonic(v),
	     exception_name(v), v);
	report_error_code(f, cr2, out, ctx);
	report_registers(f, out, ctx);
}

#undef LINE

/* ---- handling ------------------------------------------------------------ */

static void to_console(void *ctx, const char *line)
{
	(void)ctx;
	kprintf("%s\n", line);
}

static bool in_probe(uint64_t rip)
{
	return rip >= (uintptr_t)probe_start && rip < (uintptr_t)probe_end;
}

/* If a test armed a probe for this fault, record it and resume the probe. */
static bool recover_probe(struct trap_frame *f, uint64_t cr2)
{
	struct fault_expectation *e = expected;
	if (!e || e->vector != f->vector)
		return false;
	/* probe_call faults at its target; the return address it pushed
	 * proves the fault came from the probe. */
	bool fetch_from_probe_call = f->vector == VEC_PAGE_FAULT &&
				     *(const uint64_t *)(uintptr_t)f->rsp ==
					     (uintptr_t)probe_call_return;
	if (!in_probe(f->rip) && !fetch_from_probe_call)
		return false;
	e->hit = true;
	e->error_code = f->error_code;
	e->cr2 = cr2;
	e->rip = f->rip;
	if (e->report_to)
		fault_report(f, cr2, e->report_to, e->report_ctx);
	if (fetch_from_probe_call)
		f->rsp += 8; /* drop the return address the probe's call pushed */
	f->rip = (uintptr_t)probe_fixup;
	expected = NULL;
	return true;
}

static void report_breakpoint(const struct trap_frame *f)
{
	uintptr_t off = 0;
	const char *sym = ksym_lookup(f->rip - 1, &off);
	breakpoints++;
	log_info("breakpoint (#BP) at 0x%llx %s+0x%llx: continuing",
		 (unsigned long long)(f->rip - 1), sym ? sym : "?", (unsigned long long)off);
}

void exception_handle(struct trap_frame *f)
{
	uint64_t cr2 = f->vector == VEC_PAGE_FAULT ? hal_read_cr2() : 0;

	if (f->vector == VEC_BREAKPOINT) {
		/* int3 is a trap: rip already points past it, so just return. */
		report_breakpoint(f);
		return;
	}
	if (recover_probe(f, cr2))
		return;
	con_take_over();
	fault_report(f, cr2, to_console, NULL);
	backtrace_print_fault(f->rbp, f->rip, f->rsp);
	fatal_end(exception_mnemonic((unsigned)f->vector));
}
