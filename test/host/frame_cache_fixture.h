/*
 * A frame pool over fake physical memory, with per-CPU frame caches in
 * front of it (mm/frame_cache.h), for the frame_cache and
 * frame_cache_threads suites.  The pool's lock is a pthread mutex and counts
 * how often it is taken, so a test can tell the fast path takes none.
 * The fake RAM is real host memory: the pool's metadata lives in it, and
 * the caches write their tag into the frames they hold.
 */
#ifndef COOP_TEST_HOST_FRAME_CACHE_FIXTURE_H
#define COOP_TEST_HOST_FRAME_CACHE_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mm/frame_cache.h"

#define FCX_PHYS_BASE (1024ull * 1024ull)

static struct {
	uint8_t *ram;
	struct frame_allocator fa;
	struct frame_cache fc;
	pthread_mutex_t mutex;
	_Atomic unsigned long locks;
	uint64_t free_at_start; /* frames */
	_Atomic unsigned errors;
	_Atomic int last_error;
	_Atomic uint64_t last_error_pa;
} fcx = { .mutex = PTHREAD_MUTEX_INITIALIZER };

static void fcx_lock(void)
{
	pthread_mutex_lock(&fcx.mutex);
	atomic_fetch_add_explicit(&fcx.locks, 1, memory_order_relaxed);
}

static void fcx_unlock(void)
{
	pthread_mutex_unlock(&fcx.mutex);
}

static void fcx_on_error(void *ctx, enum frame_error err, uint64_t pa)
{
	(void)ctx;
	atomic_fetch_add(&fcx.errors, 1);
	atomic_store(&fcx.last_error, err);
	atomic_store(&fcx.last_error_pa, pa);
}

/* @frames frames of conventional RAM at FCX_PHYS_BASE (the pool's metadata
 * takes the first of them), caches in front.  False if that failed. */
static bool fcx_setup(uint64_t frames)
{
	struct boot_mem_desc d = { .type = BOOT_MEM_CONVENTIONAL, .phys_start = FCX_PHYS_BASE,
				   .num_pages = frames, .attribute = 0xf };
	struct frame_stats st;

	free(fcx.ram);
	fcx.ram = aligned_alloc(4096, frames * FRAME_SIZE); /* the caches tag frames */
	if (!fcx.ram || frame_init(&fcx.fa, &d, sizeof d, sizeof d, NULL, 0,
				   (uintptr_t)fcx.ram - FCX_PHYS_BASE))
		return false;
	frame_set_error_hook(&fcx.fa, fcx_on_error, NULL);
	frame_cache_init(&fcx.fc, &fcx.fa, fcx_lock, fcx_unlock);
	frame_stats(&fcx.fa, &st);
	fcx.free_at_start = st.free_bytes / FRAME_SIZE;
	atomic_store(&fcx.locks, 0);
	atomic_store(&fcx.errors, 0);
	return true;
}

static void fcx_stats(struct frame_stats *st)
{
	fcx_lock();
	frame_stats(&fcx.fa, st);
	fcx_unlock();
}

/* Index of a frame handed out, for the tests' own bookkeeping. */
static uint64_t fcx_index(uint64_t pa)
{
	return (pa - FCX_PHYS_BASE) / FRAME_SIZE;
}

#endif
