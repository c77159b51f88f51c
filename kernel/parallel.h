/*
 * parallel.h — `bench parallel`: a fixed CPU-bound job split into many
 * tasks that yield between chunks, on the kernel's one executor, so every
 * CPU's worker takes a share (spawned on one CPU, stolen by the others).
 *
 * The shell's `bench parallel`, the `bench=parallel` boot (scripts/bench.sh
 * runs it on -smp 1 and -smp 2, multi-threaded TCG) and the smp kernel
 * suite run the same future.  It prints
 *     parallel: T tasks on C CPUs in X ms
 * with X in TSC time, and BENCH lines with the time and each CPU's share.
 */
#ifndef COOP_KERNEL_PARALLEL_H
#define COOP_KERNEL_PARALLEL_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/hal.h"
#include "sched/async.h"
#include "sched/atomic_waker.h"

struct parallel_job {
	unsigned tasks, chunks, iters;	/* the job: tasks x chunks x iters steps */
	/* Filled in as it runs. */
	_Atomic uint32_t left;		/* tasks not finished */
	struct atomic_waker done;	/* the root, waiting for left == 0 */
	_Atomic uint64_t checksum;	/* the job's result: the same on any CPUs */
	_Atomic uint32_t overlaps;	/* a task polled by two CPUs at once */
	_Atomic uint64_t chunks_on[HAL_MAX_CPUS];	/* chunks each CPU ran */
	uint64_t ns;			/* spawn of the first task to the last end */
	unsigned cpus;			/* CPUs running when it started */
	bool finished;
};

/* The root task: spawns the job's tasks, waits for them, reports. */
struct parallel_future {
	ASYNC_STATE;
	struct parallel_job *job;
	bool quiet;			/* no output (tests) */
	uint64_t t0;
	unsigned i;
	struct future wait;
};

/* The shell's and bench's job: 64 tasks x 80 chunks x 100000 steps. */
void parallel_job_init(struct parallel_job *job, unsigned tasks, unsigned chunks,
		       unsigned iters);
void parallel_init(struct parallel_future *f, struct parallel_job *job, bool quiet);
void parallel_default(struct parallel_job *job);
/* The checksum that the job must produce (computed on one CPU, no tasks). */
uint64_t parallel_expected(const struct parallel_job *job);

#endif
