/*
 * fault.h — CPU exceptions: names, decoding, and probes that let tests fault
 * on purpose and survive.
 */
#ifndef COOP_HAL_FAULT_H
#define COOP_HAL_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/cpu/trap.h"

enum {
	VEC_DIVIDE_ERROR = 0,
	VEC_DEBUG = 1,
	VEC_NMI = 2,
	VEC_BREAKPOINT = 3,
	VEC_INVALID_OPCODE = 6,
	VEC_DOUBLE_FAULT = 8,
	VEC_GENERAL_PROTECTION = 13,
	VEC_PAGE_FAULT = 14,
	VEC_MACHINE_CHECK = 18,
};

/* "#PF", and "page fault", for vectors 0..31; NULL names otherwise. */
const char *exception_mnemonic(unsigned vector);
const char *exception_name(unsigned vector);

/*
 * An exception as the CPU reported it, decoded: the trap frame (every
 * register), the vector's names, and the control registers at the fault.
 * hal/ only decodes; the kernel writes the report (kernel/fault.c).
 */
struct cpu_fault {
	const struct trap_frame *frame;
	unsigned vector;
	const char *mnemonic, *name;
	uint64_t cr0, cr2, cr3, cr4;	/* cr2: the faulting address for #PF */
};

/* Tests: runs fn(arg) with the trap flag set and interrupts off, so that
 * after each of its instructions (and those of what it calls) a #DB calls
 * step(step_arg): an interrupt delivered at every instruction boundary in
 * turn, deterministically. */
void single_step(void (*fn)(void *), void *arg, void (*step)(void *), void *step_arg);

/* Handles vectors 0..31 (called by trap_dispatch): resumes a probe that
 * expected the fault, else hands the fault to kernel_exception(). */
void exception_handle(struct trap_frame *frame);

/*
 * Implemented by the kernel (kernel/fault.c), called for every exception
 * that no probe expected.  Returns only if `resumable` (a breakpoint: the
 * CPU has already stepped past int3); otherwise reports and ends the boot.
 */
void kernel_exception(const struct cpu_fault *f, bool resumable);

/*
 * Probes: tiny functions in hal/cpu/probe.S that fault on purpose.  While a
 * probe is armed with fault_expect(), a fault of the expected vector *inside
 * a probe* is recorded, its report is written to the expectation's sink,
 * and the probe returns PROBE_FAULTED instead of crashing the kernel.
 */
#define PROBE_FAULTED ((uint64_t)-1)

struct fault_expectation {
	unsigned vector;
	/* Called with the decoded fault (may be NULL): a test formats it with
	 * kernel/fault.h's fault_report() to check what the report says. */
	void (*report_to)(const struct cpu_fault *f, void *ctx);
	void *report_ctx;
	/* filled in when the fault happens */
	bool hit;
	uint64_t error_code, cr2, rip;
};

void fault_expect(struct fault_expectation *e);
void fault_expect_clear(void);

uint64_t probe_read64(const volatile void *addr);      /* #PF, #GP */
uint64_t probe_write64(volatile void *addr, uint64_t v); /* #PF */
uint64_t probe_divide(uint64_t dividend, uint64_t divisor); /* #DE */
uint64_t probe_invalid_opcode(void);                   /* #UD */
uint64_t probe_load_ds(uint16_t selector);             /* #GP with a selector */
uint64_t probe_call(uintptr_t target);                 /* #PF on fetch */

#endif
