/*
 * clock_math.h — the arithmetic of clocks, apart from any hardware: turning
 * counts of one frequency into nanoseconds and back without overflow,
 * widening a 24- or 32-bit counter to 64 bits, and judging whether two
 * clocks agree.  Host-tested (test/unit/clock_math.c).
 */
#ifndef COOP_HAL_TIME_CLOCK_MATH_H
#define COOP_HAL_TIME_CLOCK_MATH_H

#include <stdbool.h>
#include <stdint.h>

#define NS_PER_S 1000000000ull

/*
 * No 128-bit division here: the kernel links no libgcc, so a division of
 * unsigned __int128 would not link.  Products of two 64-bit values into
 * 128 bits are one `mul` instruction and are fine.
 */

/* count ticks of a hz clock in ns (hz up to 18 GHz; exact to 1 ns). */
static inline uint64_t ticks_to_ns(uint64_t count, uint64_t hz)
{
	if (!hz)
		return 0;
	return count / hz * NS_PER_S + count % hz * NS_PER_S / hz;
}

/* ns in ticks of a hz clock, rounded up, so a timer set from it never
 * fires before the ns have passed (hz up to 18 GHz; ns up to ~3.6e18 /
 * hz seconds, 58 years at 2 GHz). */
static inline uint64_t ns_to_ticks_up(uint64_t ns, uint64_t hz)
{
	uint64_t part = ns % NS_PER_S * hz;
	return ns / NS_PER_S * hz + part / NS_PER_S + (part % NS_PER_S != 0);
}

/*
 * The fast path, for reading a clock many times a second: ns = ticks *
 * mult >> 32, mult = 2^32 * 1e9 / hz, computed once.  For a 2 GHz TSC the
 * rounding of mult costs under 1 ns per second.
 */
struct clock_scale {
	uint64_t mult;
};

static inline struct clock_scale clock_scale_for(uint64_t hz)
{
	return (struct clock_scale){ .mult = hz ? (NS_PER_S << 32) / hz : 0 };
}

static inline uint64_t clock_scale_ns(struct clock_scale s, uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * s.mult) >> 32);
}

/*
 * A free-running counter `bits` wide, widened to 64 bits.  Correct as long
 * as it is read at least once per wrap (a 24-bit ACPI PM timer wraps every
 * 4.69 s, a 32-bit HPET at 100 MHz every 43 s); clock.c reads it from the
 * timer interrupt often enough.
 */
struct counter64 {
	uint64_t mask;	/* (1 << bits) - 1 */
	uint64_t last;	/* the last raw value */
	uint64_t total;	/* the widened count at `last` */
};

static inline void counter64_init(struct counter64 *c, unsigned bits, uint64_t raw)
{
	c->mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
	c->last = raw & c->mask;
	c->total = 0;
}

/* The widened count for a new raw reading (counted from the first). */
static inline uint64_t counter64_update(struct counter64 *c, uint64_t raw)
{
	raw &= c->mask;
	c->total += (raw - c->last) & c->mask;
	c->last = raw;
	return c->total;
}

/*
 * Parts per million by which clock a (ticks at a_hz) ran fast (> 0) or
 * slow (< 0) against clock b over the same interval.
 */
static inline int64_t clock_drift_ppm(uint64_t a_ticks, uint64_t a_hz, uint64_t b_ticks,
				      uint64_t b_hz)
{
	uint64_t a_ns = ticks_to_ns(a_ticks, a_hz), b_ns = ticks_to_ns(b_ticks, b_hz);
	uint64_t off = a_ns > b_ns ? a_ns - b_ns : b_ns - a_ns;
	int64_t sign = a_ns > b_ns ? 1 : -1;

	if (!b_ns)
		return 0;
	/* Off by 100 % or more: say so, without overflowing below. */
	if (off >= b_ns)
		return sign * 1000000;
	return sign * (int64_t)(off * 1000000 / b_ns);
}

/* The median of n > 0 values (sorted in place: n is a handful). */
static inline uint64_t median_u64(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/*
 * The TSC watchdog: where the TSC is not marked invariant, it is compared
 * with a reference counter once a second or so.  Two disagreements in a
 * row beyond the limit (one could be a read that a host or an SMI
 * delayed) condemn it.
 */
#define WATCHDOG_LIMIT_PPM 10000 /* 1 % */
#define WATCHDOG_STRIKES 2

struct clock_watchdog {
	uint64_t tsc, ref;	/* readings at the start of the interval */
	unsigned strikes;
	int64_t last_ppm;
};

/* True once the TSC is condemned; otherwise starts the next interval. */
static inline bool watchdog_check(struct clock_watchdog *w, uint64_t tsc, uint64_t tsc_hz,
				  uint64_t ref, uint64_t ref_hz)
{
	int64_t ppm = clock_drift_ppm(tsc - w->tsc, tsc_hz, ref - w->ref, ref_hz);

	w->last_ppm = ppm;
	w->tsc = tsc;
	w->ref = ref;
	if (ppm > WATCHDOG_LIMIT_PPM || ppm < -WATCHDOG_LIMIT_PPM)
		w->strikes++;
	else
		w->strikes = 0;
	return w->strikes >= WATCHDOG_STRIKES;
}

#endif
