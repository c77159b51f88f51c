/*
 * exception.c — CPU exceptions (vectors 0..31): names, decoding, and the
 * recovery path for test probes.
 *
 * hal/ decodes; the kernel decides.  An exception no probe expected goes to
 * kernel_exception() (kernel/fault.c), which reports it on screen and serial
 * and ends the boot, or, for a breakpoint, reports it and returns.
 */
#include "hal/cpu/fault.h"

#include <stddef.h>

#include "hal/cpu.h"
#include "hal/smp/smp.h"

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

const char *exception_mnemonic(unsigned vector)
{
	return vector < 32 ? exceptions[vector].mnemonic : NULL;
}

const char *exception_name(unsigned vector)
{
	return vector < 32 ? exceptions[vector].name : NULL;
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

/* ---- handling ------------------------------------------------------------ */

static bool in_probe(uint64_t rip)
{
	return rip >= (uintptr_t)probe_start && rip < (uintptr_t)probe_end;
}

/* If a test armed a probe for this fault, record it and resume the probe. */
static bool recover_probe(struct trap_frame *f, const struct cpu_fault *cf)
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
	e->cr2 = cf->cr2;
	e->rip = f->rip;
	if (e->report_to)
		e->report_to(cf, e->report_ctx);
	if (fetch_from_probe_call)
		f->rsp += 8; /* drop the return address the probe's call pushed */
	f->rip = (uintptr_t)probe_fixup;
	expected = NULL;
	return true;
}

static void decode(const struct trap_frame *frame, struct cpu_fault *f)
{
	unsigned v = (unsigned)frame->vector;

	*f = (struct cpu_fault){
		.frame = frame,
		.vector = v,
		.mnemonic = exception_mnemonic(v),
		.name = exception_name(v),
		.cr0 = hal_read_cr0(),
		.cr2 = v == VEC_PAGE_FAULT ? hal_read_cr2() : 0,
		.cr3 = hal_read_cr3(),
		.cr4 = hal_read_cr4(),
	};
}

/* ---- single-stepping (tests) ------------------------------------------------ */

static void (*step_hook)(void *);
static void *step_arg;

void single_step(void (*fn)(void *), void *arg, void (*step)(void *), void *each_arg)
{
	uint64_t flags = hal_irq_save();

	step_arg = each_arg;
	step_hook = step;
	/* TF set by popfq traps after each following instruction; clearing it
	 * with popfq traps once more, after that popfq. */
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
	fn(arg);
	__asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
	step_hook = NULL;
	hal_irq_restore(flags);
}

void exception_handle(struct trap_frame *frame)
{
	struct cpu_fault f;

	/* Another CPU is reporting something fatal and stops the rest. */
	if (frame->vector == VEC_NMI && smp_stop_requested())
		smp_stop_self();
	if (frame->vector == VEC_DEBUG && step_hook) {
		step_hook(step_arg);	/* a trap: rip is the next instruction */
		return;
	}
	decode(frame, &f);
	/* int3 is a trap: rip already points past it, so the kernel may
	 * report it and return. */
	if (f.vector == VEC_BREAKPOINT) {
		kernel_exception(&f, true);
		return;
	}
	if (recover_probe(frame, &f))
		return;
	kernel_exception(&f, false);
}
