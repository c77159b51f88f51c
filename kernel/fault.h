/*
 * fault.h — the kernel's side of CPU exceptions: the report a person reads.
 *
 * hal/cpu/exception.c decodes an exception into a struct cpu_fault; this
 * module turns it into text (vector, error code decoded, registers with
 * symbols, control registers) and decides what happens next: a breakpoint
 * is reported and execution continues, anything else is fatal.
 */
#ifndef COOP_KERNEL_FAULT_H
#define COOP_KERNEL_FAULT_H

#include <stdint.h>

#include "hal/cpu/fault.h"

/* Where report lines go: the console, or a test's capture buffer. */
typedef void (*fault_line_fn)(void *ctx, const char *line);

/* Writes the full fault report for f, one line at a time (no backtrace:
 * the fatal path adds it, and tests do not need it). */
void fault_report(const struct cpu_fault *f, fault_line_fn out, void *ctx);

/* Breakpoints reported so far (tests). */
uint64_t exception_breakpoints(void);

#endif
