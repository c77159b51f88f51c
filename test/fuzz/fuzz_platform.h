/*
 * fuzz_platform.h — the ktest platform hooks for a fuzz binary.
 *
 * `make fuzz` links every portable source, ktest.c included, which needs
 * ktest_vout() and ktest_platform_exit().  Fuzz targets run no tests; these
 * only satisfy the linker.  Include from exactly one file per fuzz binary.
 */
#ifndef COOP_TEST_FUZZ_PLATFORM_H
#define COOP_TEST_FUZZ_PLATFORM_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "test/ktest/ktest.h"

void ktest_vout(const char *fmt, va_list ap)
{
	vfprintf(stderr, fmt, ap);
}

void ktest_platform_exit(bool all_passed)
{
	exit(all_passed ? 0 : 1);
}

#endif
