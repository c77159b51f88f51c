/*
 * refclock.h — a free-running counter of known, fixed frequency: the HPET's
 * main counter or the ACPI PM timer.  The TSC is measured against one,
 * watched with one where it is not marked invariant, and replaced by one if
 * it fails that watch.
 */
#ifndef COOP_HAL_TIME_REFCLOCK_H
#define COOP_HAL_TIME_REFCLOCK_H

#include <stdint.h>

struct refclock {
	const char *name;	/* "HPET", "ACPI PM timer" */
	uint64_t hz;
	unsigned bits;		/* the counter's width: it wraps at 2^bits */
	uint64_t (*read)(void);	/* the raw counter */
};

#endif
