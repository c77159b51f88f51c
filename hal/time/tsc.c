/*
 * tsc.c — the TSC's frequency and trustworthiness (see tsc.h).  CPUID
 * leaves from the Intel SDM vol. 2A (CPUID) and vol. 3B 19.7.3.
 */
#include "hal/time/tsc.h"

#include "hal/cpu.h"
#include "hal/time/clock_math.h"
#include "hal/time/pit.h"

#define TRIES 5
#define STUCK_SPINS 1000000u	/* a counter that reads the same this often is dead */
#define WINDOW_NS 20000000ull	/* 20 ms: a 1 us read uncertainty is 0.005 % */
#define MIN_HZ 10000000ull	/* a TSC slower than 10 MHz is a measurement error */
#define MAX_HZ 20000000000ull

static uint64_t max_leaf(uint32_t base)
{
	uint32_t r[4];
	hal_cpuid(base, 0, r);
	return r[0];
}

/* CPUID 0x15: TSC = crystal * EBX / EAX.  Exact when ECX (the crystal)
 * is given; 0x16 EAX (base MHz) is the nominal TSC frequency otherwise. */
static uint64_t from_cpuid(struct tsc_info *t, bool *exact)
{
	uint32_t r[4];
	uint64_t top = max_leaf(0);

	*exact = false;
	if (top >= 0x15) {
		hal_cpuid(0x15, 0, r);
		t->crystal_hz = r[2];
		if (r[0] && r[1] && r[2]) {
			*exact = true;
			return (uint64_t)r[2] * r[1] / r[0];
		}
	}
	if (top >= 0x16) {
		hal_cpuid(0x16, 0, r);
		return (uint64_t)(r[0] & 0xffff) * 1000000;
	}
	return 0;
}

static void features(struct tsc_info *t)
{
	uint32_t r[4];

	hal_cpuid(1, 0, r);
	t->deadline_timer = r[2] & (1u << 24);
	if (max_leaf(0x80000000) >= 0x80000007) {
		hal_cpuid(0x80000007, 0, r);
		t->invariant = r[3] & (1u << 8);
	}
}

/* A reading of the reference, bracketed by TSC reads: `tsc` is their
 * midpoint. */
struct bracket {
	uint64_t tsc, ref;
};

static struct bracket bracketed_read(const struct refclock *ref)
{
	uint64_t a = hal_cycles(), r = ref->read(), b = hal_cycles();
	return (struct bracket){ .tsc = a + (b - a) / 2, .ref = r };
}

/* One try: TSC ticks and reference ticks over window_ns. */
static bool measure_once(const struct refclock *ref, uint64_t window_ns, uint64_t *tsc,
			 uint64_t *ref_ticks)
{
	struct counter64 c;
	uint64_t want = ns_to_ticks_up(window_ns, ref->hz), stuck = 0, last;
	struct bracket start = bracketed_read(ref), end;

	counter64_init(&c, ref->bits, start.ref);
	last = start.ref;
	for (;;) {
		end = bracketed_read(ref);
		if (counter64_update(&c, end.ref) >= want)
			break;
		stuck = end.ref == last ? stuck + 1 : 0;
		last = end.ref;
		if (stuck > STUCK_SPINS)
			return false;
	}
	*tsc = end.tsc - start.tsc;
	*ref_ticks = c.total;
	return true;
}

uint64_t tsc_measure(const struct refclock *ref, uint64_t window_ns)
{
	uint64_t rates[TRIES];
	int n = 0;

	for (int i = 0; i < TRIES; i++) {
		uint64_t tsc, ticks, ns;
		if (!measure_once(ref, window_ns, &tsc, &ticks))
			return 0;
		/* A try that overran its window four times over was held up
		 * (an SMI, or a host that did not run this CPU): skip it,
		 * which also keeps tsc * 1e9 within 64 bits. */
		ns = ticks_to_ns(ticks, ref->hz);
		if (ns <= 4 * window_ns)
			rates[n++] = tsc * NS_PER_S / ns;
	}
	if (!n)
		return 0;
	/* The median.  Bracketing the reads catches a stall at either end of
	 * a window, not one inside it: under QEMU without -icount the guest's
	 * TSC can stand still or jump there (it is the host's, kept
	 * monotonic), which once put one window 10 % low. */
	return median_u64(rates, n);
}

static bool plausible(uint64_t hz) { return hz >= MIN_HZ && hz <= MAX_HZ; }

void tsc_init(struct tsc_info *t, const struct refclock *ref, bool try_pit)
{
	bool exact;
	uint64_t hz;

	*t = (struct tsc_info){ 0 };
	features(t);
	hz = from_cpuid(t, &exact);
	if (exact && plausible(hz)) {
		t->hz = hz, t->source = "CPUID 0x15";
		return;
	}
	if (ref && plausible(t->hz = tsc_measure(ref, WINDOW_NS))) {
		t->source = ref->name;
		t->measured = true;
		return;
	}
	if (plausible(hz)) {
		t->hz = hz, t->source = "CPUID 0x16 (nominal)";
		return;
	}
	if (try_pit && plausible(t->hz = pit_measure_tsc())) {
		t->source = "PIT";
		t->measured = true;
		return;
	}
	t->hz = 0;
	t->source = "nothing";
}
