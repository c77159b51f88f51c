/*
 * bench.h — in-kernel benchmarks of the executor, printed as
 * `BENCH <name> <value> <unit>` lines (the format scripts/bench.sh reads).
 *
 * The shell's `bench` and the `bench=all` boot run the same future.  The
 * first part measures on a private executor, synchronously; the last part
 * (timer IRQ to task poll latency) needs real interrupts, so it awaits
 * sleeps on the executor that polls the bench future.
 */
#ifndef COOP_KERNEL_BENCH_H
#define COOP_KERNEL_BENCH_H

#include <stdint.h>

#include "kernel/input/input.h"
#include "sched/async.h"
#include "sched/channel.h"
#include "sched/combinators.h"
#include "sched/timer.h"

#define BENCH_LATENCY_SAMPLES 200
#define BENCH_KBD_SAMPLES 50

struct bench_future {
	ASYNC_STATE;
	unsigned i;
	uint64_t samples[BENCH_LATENCY_SAMPLES];
	uint64_t waited_from;
	struct sleep_future nap;
};

void bench_init(struct bench_future *b);

/* Sorts samples in place, ascending (insertion sort: a few hundred values),
 * for their min, median and percentiles. */
void bench_sort(uint64_t *v, unsigned n);

/* Key press to input channel, per keyboard path (bench_keys.c).  Reads the
 * input channel: only for the bench=all boot, where no shell runs. */
struct key_bench {
	ASYNC_STATE;
	unsigned i, n;
	uint64_t samples[20];		/* KEY_SAMPLES */
	struct chan_recv_future recv;
	struct input_event ev;
	struct sleep_future nap;
	struct select_future sel;
	struct future *futs[2];
};

void key_bench_init(struct key_bench *b);

/* kmalloc/kfree and frame alloc/free pairs with 1, 2 and 4 CPUs at once
 * (as many as run): bench_smp.c. */
void bench_contended(void);

/* Remote wake latency, on a halted and on a busy CPU (bench_wake.c); needs
 * two CPUs and runs outside the executor (the bench=parallel boot). */
void bench_remote_wake(void);

/* A million live tasks parked on a wait queue, then released and checked
 * (bench_live.c; the bench=live boot, which it ends). */
void bench_live_boot(void);

/* The `bench=all` boot: spawns a task that runs every benchmark and then
 * ends QEMU (isa-debug-exit), or halts on hardware.  `bench=smp` runs only
 * bench_contended(), `bench=parallel` only the parallel job (parallel.h), `bench=live`
 * bench_live_boot().  Unknown selections are refused with a warning. */
void bench_boot(const char *selection);

#endif
