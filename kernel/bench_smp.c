/*
 * bench_smp.c — the heap and the frame allocator with 1, 2 and 4 CPUs
 * contending, and the cost of a TLB shootdown (see bench.h): each CPU in the round runs the same loop of
 * alloc/free pairs, all starting together; the figure is the mean cycles
 * per pair over those CPUs.  The 1-CPU round is the peer of the others, in
 * the same boot.  Each CPU also times its pairs in batches of BATCH, and
 * the `_median` figure is the mean over the CPUs of each one's median
 * batch: on a host with fewer free cores than vCPUs, a vCPU thread that
 * the host puts aside stalls a few batches by milliseconds, which the mean
 * takes in and the median leaves out, while contention for a lock or a
 * cache line slows every batch and stays in it.  Run it with multi-threaded TCG (`bench=smp`, scripts/
 * bench.sh): under icount the CPUs take turns, and there is no contention
 * to measure.
 */
#include "kernel/bench.h"

#include "hal/hal.h"
#include "hal/smp/tlb.h"
#include "kernel/log.h"
#include "kernel/smp.h"
#include "mm/heap.h"
#include "mm/mm.h"

#define PAIRS 500u
#define BATCH 25u
#define BATCHES (PAIRS / BATCH)
#define WAIT_MS 120000u

enum pair_kind { PAIR_KMALLOC, PAIR_FRAME };

static struct {
	enum pair_kind kind;
	unsigned cpus;
	uint32_t go, failed;
	uint64_t cycles[HAL_MAX_CPUS];
	uint64_t median[HAL_MAX_CPUS]; /* cycles of the median batch */
} round;

static uint64_t median_of(uint64_t *v, unsigned n)
{
	bench_sort(v, n);
	return v[n / 2];
}

static void pairs(void *arg)
{
	unsigned me = hal_cpu_id();

	(void)arg;
	while (!__atomic_load_n(&round.go, __ATOMIC_ACQUIRE))
		hal_cpu_relax();
	uint64_t batch[BATCHES];
	uint64_t t0 = hal_cycles(), tb = t0;
	for (unsigned i = 0; i < PAIRS; i++) {
		if (i && i % BATCH == 0) {
			uint64_t now = hal_cycles();
			batch[i / BATCH - 1] = now - tb;
			tb = now;
		}
		if (round.kind == PAIR_KMALLOC) {
			void *p = kmalloc(64);
			if (!p)
				__atomic_fetch_add(&round.failed, 1, __ATOMIC_RELAXED);
			kfree(p);
		} else {
			uint64_t pa = mm_frame_alloc();
			if (!pa || mm_frame_free(pa))
				__atomic_fetch_add(&round.failed, 1, __ATOMIC_RELAXED);
		}
	}
	uint64_t end = hal_cycles();
	batch[BATCHES - 1] = end - tb;
	round.cycles[me] = end - t0;
	round.median[me] = median_of(batch, BATCHES);
}

/* One round on CPUs 0 .. cpus-1; mean cycles per pair, 0 if it failed;
 * *median the mean over the CPUs of their median batch, per pair. */
static uint64_t run_round(enum pair_kind kind, unsigned cpus, uint64_t *median)
{
	static struct smp_call calls[HAL_MAX_CPUS];
	uint64_t sum = 0;
	bool ok = true;

	round.kind = kind;
	round.cpus = cpus;
	round.failed = 0;
	__atomic_store_n(&round.go, 0, __ATOMIC_RELEASE);
	for (unsigned i = 1; i < cpus; i++) {
		calls[i] = (struct smp_call){ .fn = pairs };
		if (!smp_call(i, &calls[i]))
			return 0;
	}
	__atomic_store_n(&round.go, 1, __ATOMIC_RELEASE);
	pairs(NULL);
	for (unsigned i = 1; i < cpus; i++)
		ok &= smp_call_wait(&calls[i], WAIT_MS);
	if (!ok || round.failed)
		return 0;
	*median = 0;
	for (unsigned i = 0; i < cpus; i++) {
		sum += round.cycles[i];
		*median += round.median[i];
	}
	*median /= (uint64_t)cpus * BATCH;
	return sum / cpus / PAIRS;
}

static void print_ratio(const char *name, unsigned cpus, const char *what, uint64_t c,
			uint64_t one)
{
	kprintf("BENCH %s_pair_cpus%u%s_over_1 %llu.%02llu ratio\n", name, cpus, what,
		(unsigned long long)(c / one), (unsigned long long)(c * 100 / one % 100));
}

static void report_kind(enum pair_kind kind, const char *name)
{
	static const unsigned counts[] = { 1, 2, 4 };
	uint64_t one = 0, one_median = 0;

	for (unsigned k = 0; k < sizeof counts / sizeof counts[0]; k++) {
		unsigned cpus = counts[k];
		uint64_t median;
		if (cpus > hal_cpu_count())
			break;
		uint64_t c = run_round(kind, cpus, &median);
		if (!c || !median) {
			log_error("bench: %s with %u CPUs did not finish", name, cpus);
			return;
		}
		kprintf("BENCH %s_pair_cpus%u %llu cycles\n", name, cpus, (unsigned long long)c);
		kprintf("BENCH %s_pair_cpus%u_median %llu cycles\n", name, cpus,
			(unsigned long long)median);
		if (cpus == 1) {
			one = c;
			one_median = median;
		} else {
			print_ratio(name, cpus, "", c, one);
			print_ratio(name, cpus, "_median", median, one_median);
		}
	}
}

/* A one-page TLB shootdown to every other CPU (halted ones wake for the
 * IPI), against the same flush on this CPU alone, which is all a shootdown
 * costs with one CPU. */
#define SHOOTDOWNS 500u
#define SHOOTDOWN_VA 0xffff800000000000ull /* the direct map: always there */

static void bench_shootdown(void)
{
	uint64_t t0 = hal_cycles(), one_cpu, all;

	if (hal_cpu_count() < 2)
		return;
	for (unsigned i = 0; i < SHOOTDOWNS; i++)
		tlb_flush_this_cpu(SHOOTDOWN_VA, 1);
	one_cpu = (hal_cycles() - t0) / SHOOTDOWNS;
	t0 = hal_cycles();
	for (unsigned i = 0; i < SHOOTDOWNS; i++)
		tlb_shootdown(SHOOTDOWN_VA, 1);
	all = (hal_cycles() - t0) / SHOOTDOWNS;
	kprintf("BENCH tlb_flush_this_cpu %llu cycles\n", (unsigned long long)one_cpu);
	kprintf("BENCH tlb_shootdown_cpus%u %llu cycles\n", hal_cpu_count(),
		(unsigned long long)all);
}

void bench_contended(void)
{
	report_kind(PAIR_KMALLOC, "kmalloc64");
	report_kind(PAIR_FRAME, "frame");
	bench_shootdown();
}
