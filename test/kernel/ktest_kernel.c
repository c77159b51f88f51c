/*
 * The kernel's side of ktest: test output goes to the console (screen and
 * serial), and a test run ends QEMU through isa-debug-exit.
 */
#include "test/ktest/ktest.h"

#include "hal/dev/qemu.h"
#include "hal/hal.h"
#include "kernel/log.h"

void ktest_vout(const char *fmt, va_list ap)
{
	kvprintf(fmt, ap);
}

void ktest_platform_exit(bool all_passed)
{
	hal_qemu_exit(all_passed ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
	hal_halt_forever();
}
