/*
 * ktest's platform hooks for host programs (unit tests, fuzzers, benchmarks):
 * output to stdout, and exit() to end a run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "test/ktest/ktest.h"

void ktest_vout(const char *fmt, va_list ap)
{
	vprintf(fmt, ap);
	fflush(stdout);
}

void ktest_platform_exit(bool all_passed)
{
	exit(all_passed ? 0 : 1);
}
