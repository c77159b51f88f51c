/*
 * pmtimer.h — the ACPI PM timer (ACPI 6.5, 4.8.3.3): a 3.579545 MHz counter,
 * 24 or 32 bits wide, in I/O space or memory, on every PC that is not
 * "hardware-reduced".  The slowest of the references, and the most
 * widespread: the last one standing when there is no HPET and no PIT.
 */
#ifndef COOP_HAL_TIME_PMTIMER_H
#define COOP_HAL_TIME_PMTIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/time/refclock.h"

#define PMTIMER_HZ 3579545u

/*
 * The PM timer at I/O port `port` (io true) or at the mapped address
 * `addr`, `bits` wide (24 or 32), described in *out.  False, with the
 * reason in *why, if it does not count.
 */
bool pmtimer_init(bool io, uint64_t addr, unsigned bits, struct refclock *out, const char **why);

#endif
