/*
 * Host test runner: runs the portable ktest suites natively (under ASan and
 * UBSan) and prints KTAP, the same format the kernel prints.
 *
 *     build/host/unit-tests            every suite that runs on the host
 *     build/host/unit-tests fmt,heap   the named suites
 *     build/host/unit-tests list       the suite names
 */
#include "test/ktest/ktest.h"

int main(int argc, char **argv)
{
	const char *selection = argc > 1 ? argv[1] : "all";
	switch (ktest_run(selection)) {
	case KTEST_ALL_PASSED:
	case KTEST_LISTED:
		return 0;
	case KTEST_SOME_FAILED:
		return 1;
	default:
		return 2;
	}
}
