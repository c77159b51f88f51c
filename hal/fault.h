/*
 * fault.h — CPU exceptions: names, fault reports, and probes that let tests
 * fault on purpose and survive.
 */
#ifndef COOP_HAL_FAULT_H
#define COOP_HAL_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/trap.h"

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

/* Where report lines go: the console, or a test's capture buffer. */
typedef void (*fault_line_fn)(void *ctx, const char *line);

/* Writes the full fault report for `frame`, one line at a time. */
void fault_report(const struct trap_frame *frame, uint64_t cr2, fault_line_fn out, void *ctx);

/* Handles vectors 0..31 (called by trap_dispatch). */
void exception_handle(struct trap_frame *frame);

/* Counters, for tests and the shell. */
uint64_t exception_breakpoints(void);

/*
 * Probes: tiny functions in hal/probe.S that fault on purpose.  While a
 * probe is armed with fault_expect(), a fault of the expected vector *inside
 * a probe* is recorded, its report is written to the expectation's sink,
 * and the probe returns PROBE_FAULTED instead of crashing the kernel.
 */
#define PROBE_FAULTED ((uint64_t)-1)

struct fault_expectation {
	unsigned vector;
	fault_line_fn report_to; /* may be NULL */
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
