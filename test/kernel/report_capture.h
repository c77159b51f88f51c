/*
 * report_capture.h — collects fault-report lines in a buffer so a test can
 * check what the report says, and echoes them as KTAP diagnostics.
 */
#ifndef COOP_TEST_KERNEL_REPORT_CAPTURE_H
#define COOP_TEST_KERNEL_REPORT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

struct report_capture {
	char text[4096];
	size_t len;
};

struct cpu_fault;

void report_capture_line(void *ctx, const char *line);
/* A fault_expectation's report_to: the kernel's report of f, captured. */
void report_capture_fault(const struct cpu_fault *f, void *ctx);
bool report_contains(const struct report_capture *c, const char *needle);

#endif
