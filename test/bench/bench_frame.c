/*
 * Frame allocator benchmark on host threads that play CPUs: ns of CPU time
 * per alloc+free pair with 1, 2 and 4 threads, through the per-CPU frame
 * caches (mm/frame_cache.h) and, as the peer in the same run, through the
 * pool under one global lock (what mm_frame_alloc/free did before the
 * caches: lock, frame_alloc, unlock; a pthread spinlock here).
 *
 * Thread CPU time, not wall time: on a machine with fewer free cores than
 * threads, wall time measures the host's scheduling.  Time spent spinning
 * for the lock is CPU time and counts.  Median of REPS runs, the two
 * variants interleaved, so a busy spell on the machine hits both.
 */
#include "mm/frame_cache.h"
#include "test/host/fake_hal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPS 5
#define PAIRS 1000000u
#define POOL_FRAMES 4096u
#define PHYS_BASE (1024ull * 1024ull)
#define MAX_THREADS 4

static struct frame_allocator fa;
static struct frame_cache fc;
static pthread_spinlock_t pool_lock;
static pthread_barrier_t start;
static double thread_ns[MAX_THREADS];
static bool through_lock;

static void lock(void) { pthread_spin_lock(&pool_lock); }
static void unlock(void) { pthread_spin_unlock(&pool_lock); }

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t locked_alloc(void)
{
	lock();
	uint64_t pa = frame_alloc(&fa);
	unlock();
	return pa;
}

static int locked_free(uint64_t pa)
{
	lock();
	int err = frame_free(&fa, pa);
	unlock();
	return err;
}

static void *pairs(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;

	fake_hal_set_cpu(me);
	pthread_barrier_wait(&start);
	double t0 = cpu_ns();
	for (unsigned i = 0; i < PAIRS; i++) {
		uint64_t pa = through_lock ? locked_alloc() : frame_cache_alloc(&fc);
		if (!pa || (through_lock ? locked_free(pa) : frame_cache_free(&fc, pa)))
			abort();
	}
	thread_ns[me] = (cpu_ns() - t0) / PAIRS;
	return NULL;
}

/* One run: mean over the threads of CPU ns per pair. */
static double run(bool lock_peer, unsigned threads)
{
	pthread_t th[MAX_THREADS];
	double sum = 0;

	through_lock = lock_peer;
	fake_hal_set_cpu_count(threads);
	pthread_barrier_init(&start, NULL, threads);
	for (unsigned i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, pairs, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		sum += thread_ns[i];
	}
	pthread_barrier_destroy(&start);
	frame_cache_reclaim(&fc); /* each run starts from full pool, empty caches */
	return sum / threads;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static bool setup(void)
{
	struct boot_mem_desc d = { .type = BOOT_MEM_CONVENTIONAL, .phys_start = PHYS_BASE,
				   .num_pages = POOL_FRAMES, .attribute = 0xf };
	uint8_t *ram = aligned_alloc(4096, POOL_FRAMES * FRAME_SIZE);

	pthread_spin_init(&pool_lock, PTHREAD_PROCESS_PRIVATE);
	if (!ram || frame_init(&fa, &d, sizeof d, sizeof d, NULL, 0, (uintptr_t)ram - PHYS_BASE))
		return false;
	frame_cache_init(&fc, &fa, lock, unlock);
	return true;
}

int main(void)
{
	static const unsigned counts[] = { 1, 2, MAX_THREADS };
	double med[2][3];

	if (!setup())
		return 1;
	for (unsigned k = 0; k < 3; k++) {
		double ns[2][REPS];
		for (unsigned r = 0; r < REPS; r++)
			for (unsigned v = 0; v < 2; v++)
				ns[v][r] = run(v == 1, counts[k]);
		for (unsigned v = 0; v < 2; v++) {
			qsort(ns[v], REPS, sizeof ns[v][0], by_value);
			med[v][k] = ns[v][REPS / 2];
			printf("BENCH frame_pair_%s_threads%u %.2f ns\n", v ? "global_lock" : "cpu_cache",
			       counts[k], med[v][k]);
		}
	}
	for (unsigned k = 0; k < 3; k++) {
		printf("BENCH frame_pair_cpu_cache_vs_global_lock_threads%u %.2f ratio\n", counts[k],
		       med[0][k] / med[1][k]);
		if (k)
			for (unsigned v = 0; v < 2; v++)
				printf("BENCH frame_pair_%s_threads%u_over_1 %.2f ratio\n",
				       v ? "global_lock" : "cpu_cache", counts[k],
				       med[v][k] / med[v][0]);
	}
	return 0;
}
