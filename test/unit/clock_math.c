/*
 * Tests of hal/time/clock_math.h: unit conversions at the frequencies coop
 * meets (PM timer, HPET, local APIC timer, TSCs), widening of narrow
 * counters across wraps, and the TSC watch's verdicts.
 */
#include "hal/time/clock_math.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(clock_math);

static const uint64_t rates[] = {
	3579545,     /* ACPI PM timer */
	14318180,    /* a real HPET */
	62500000,    /* QEMU's local APIC timer, divided by 16 */
	100000000,   /* QEMU's HPET */
	999999000,   /* a TSC under QEMU -icount */
	2096026000,  /* this machine's TSC */
	5000000000,  /* a fast TSC */
};

KTEST(clock_math, ticks_to_ns_is_exact_on_whole_seconds)
{
	for (unsigned i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		EXPECT_EQ(ticks_to_ns(rates[i], rates[i]), NS_PER_S);
		EXPECT_EQ(ticks_to_ns(rates[i] * 3600, rates[i]), 3600 * NS_PER_S);
		EXPECT_EQ(ticks_to_ns(0, rates[i]), 0);
	}
	EXPECT_EQ(ticks_to_ns(123, 0), 0); /* an unknown rate is not a crash */
	/* A 5 GHz TSC after 100 years does not overflow the intermediate. */
	EXPECT_EQ(ticks_to_ns(5000000000ull * 3155760000ull, 5000000000ull),
		  3155760000ull * NS_PER_S);
}

KTEST(clock_math, ns_to_ticks_rounds_up)
{
	EXPECT_EQ(ns_to_ticks_up(16, 62500000), 1);	/* one tick is exactly 16 ns */
	EXPECT_EQ(ns_to_ticks_up(17, 62500000), 2);
	EXPECT_EQ(ns_to_ticks_up(1, 62500000), 1);
	EXPECT_EQ(ns_to_ticks_up(0, 62500000), 0);
	EXPECT_EQ(ns_to_ticks_up(10000000, 1193182), 11932); /* 10 ms of PIT: 11931.82 */
	for (unsigned i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		uint64_t ns = 1234567891ull, t = ns_to_ticks_up(ns, rates[i]);
		/* Never short of the time asked for, and at most one tick over. */
		EXPECT_GE(ticks_to_ns(t, rates[i]) + 1, ns);
		EXPECT_LT(ticks_to_ns(t - 1, rates[i]), ns);
	}
}

KTEST(clock_math, fast_scale_stays_within_a_nanosecond_a_second)
{
	for (unsigned i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		struct clock_scale s = clock_scale_for(rates[i]);
		for (uint64_t secs = 1; secs <= 86400 * 365; secs *= 7) {
			uint64_t t = rates[i] * secs + rates[i] / 3;
			uint64_t exact = ticks_to_ns(t, rates[i]), fast = clock_scale_ns(s, t);
			uint64_t err = exact > fast ? exact - fast : fast - exact;
			EXPECT_LE(err, 1 + exact / NS_PER_S);
		}
	}
}

KTEST(clock_math, narrow_counters_widen_across_wraps)
{
	struct counter64 c;

	counter64_init(&c, 24, 0xfffff0);
	EXPECT_EQ(counter64_update(&c, 0xfffff8), 8);
	EXPECT_EQ(counter64_update(&c, 0x000010), 0x20);	/* wrapped */
	EXPECT_EQ(counter64_update(&c, 0xff000010), 0x20);	/* bits above 24 ignored */
	for (int i = 1; i <= 10; i++)				/* ten more wraps */
		counter64_update(&c, (uint64_t)(0x10 + i * 0x800000) & 0xffffff);
	EXPECT_EQ(c.total, 0x20 + 10 * 0x800000ull);
	counter64_init(&c, 64, 5);
	EXPECT_EQ(counter64_update(&c, 1000005), 1000000);
	counter64_init(&c, 32, 0xffffffff);
	EXPECT_EQ(counter64_update(&c, 1), 2);
}

KTEST(clock_math, drift_in_parts_per_million)
{
	EXPECT_EQ(clock_drift_ppm(2096026000, 2096026000, 100000000, 100000000), 0);
	/* The TSC counted 1 % more than a second's worth. */
	EXPECT_EQ(clock_drift_ppm(2116986260, 2096026000, 100000000, 100000000), 10000);
	EXPECT_EQ(clock_drift_ppm(2075065740, 2096026000, 100000000, 100000000), -10000);
	/* Wildly off either way saturates instead of overflowing. */
	EXPECT_EQ(clock_drift_ppm(1000000000000ull, 1000, 100, 100), 1000000);
	EXPECT_EQ(clock_drift_ppm(0, 1000, 100, 100), -1000000);
	EXPECT_EQ(clock_drift_ppm(5, 1000, 0, 100), 0); /* no reference time: no verdict */
}

KTEST(clock_math, watchdog_needs_two_strikes_in_a_row)
{
	struct clock_watchdog w = { 0 };
	const uint64_t hz = 1000000000, ref_hz = 100000000;
	uint64_t tsc = 0, ref = 0;

	/* In step: fine. */
	EXPECT_FALSE(watchdog_check(&w, tsc += hz, hz, ref += ref_hz, ref_hz));
	/* One second 5 % off (a read held up), then in step: forgiven. */
	EXPECT_FALSE(watchdog_check(&w, tsc += hz * 105 / 100, hz, ref += ref_hz, ref_hz));
	EXPECT_EQ(w.strikes, 1);
	EXPECT_FALSE(watchdog_check(&w, tsc += hz, hz, ref += ref_hz, ref_hz));
	EXPECT_EQ(w.strikes, 0);
	/* Twice in a row 2 % slow: condemned. */
	EXPECT_FALSE(watchdog_check(&w, tsc += hz * 98 / 100, hz, ref += ref_hz, ref_hz));
	EXPECT_TRUE(watchdog_check(&w, tsc += hz * 98 / 100, hz, ref += ref_hz, ref_hz));
	EXPECT_EQ(w.last_ppm, -20000);
	/* Half a percent is within the limit. */
	w = (struct clock_watchdog){ 0 };
	tsc = ref = 0;
	for (int i = 0; i < 5; i++)
		EXPECT_FALSE(watchdog_check(&w, tsc += hz * 1005 / 1000, hz, ref += ref_hz, ref_hz));
}

KTEST(clock_math, median_ignores_one_spoilt_window)
{
	uint64_t rates[5] = { 2096026000, 1885330000, 2096031000, 2096020000, 2300000000 };
	uint64_t one[1] = { 7 };

	EXPECT_EQ(median_u64(rates, 5), 2096026000);
	EXPECT_EQ(median_u64(one, 1), 7);
}
