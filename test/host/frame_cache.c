/*
 * mm/frame_cache on one thread (several CPUs by turns): the pair takes no
 * lock, batches go to and from the pool, the totals add up, double and
 * foreign frees are refused and reported, and when the pool is empty an
 * allocation takes the frames parked in other CPUs' caches.
 */
#include "test/host/frame_cache_fixture.h"

#include "hal/hal.h"
#include "test/host/fake_hal.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(frame_cache, KTEST_HOST_ONLY);

#define POOL 1024u

/* free + used + reserved == total, with the cached frames inside free. */
static bool totals_add_up(const struct frame_stats *st)
{
	return st->free_bytes + st->used_bytes + st->reserved_bytes == st->total_bytes &&
	       st->cached_bytes <= st->free_bytes;
}

KTEST(frame_cache, a_pair_takes_no_lock_once_the_cache_is_filled)
{
	ASSERT_TRUE(fcx_setup(POOL));
	fake_hal_set_cpu(0);
	uint64_t first = frame_cache_alloc(&fcx.fc);
	ASSERT_NE(first, 0);
	EXPECT_EQ(atomic_load(&fcx.locks), 1); /* one refill */
	for (unsigned i = 0; i < 10000; i++) {
		uint64_t pa = frame_cache_alloc(&fcx.fc);
		EXPECT_NE(pa, 0);
		EXPECT_EQ(frame_cache_free(&fcx.fc, pa), 0);
	}
	EXPECT_EQ(atomic_load(&fcx.locks), 1);
	EXPECT_EQ(frame_cache_free(&fcx.fc, first), 0);
	EXPECT_EQ(atomic_load(&fcx.locks), 1);
	EXPECT_TRUE(hal_irq_enabled()); /* put back as it was */
}

KTEST(frame_cache, batches_move_between_cache_and_pool_and_totals_add_up)
{
	static uint64_t held[200];
	struct frame_stats st;

	ASSERT_TRUE(fcx_setup(POOL));
	fake_hal_set_cpu(0);
	held[0] = frame_cache_alloc(&fcx.fc);
	fcx_stats(&st);
	EXPECT_EQ(st.cached_bytes, (FRAME_CACHE_BATCH - 1) * FRAME_SIZE);
	EXPECT_EQ(st.used_bytes, FRAME_SIZE);
	EXPECT_EQ(st.free_bytes, (fcx.free_at_start - 1) * FRAME_SIZE);
	EXPECT_TRUE(totals_add_up(&st));
	for (unsigned i = 1; i < 200; i++)
		ASSERT_NE(held[i] = frame_cache_alloc(&fcx.fc), 0);
	fcx_stats(&st);
	EXPECT_EQ(st.used_bytes, 200 * FRAME_SIZE);
	EXPECT_EQ(st.allocs, 200);
	EXPECT_TRUE(totals_add_up(&st));
	for (unsigned i = 0; i < 200; i++) {
		ASSERT_EQ(frame_cache_free(&fcx.fc, held[i]), 0);
		fcx_stats(&st);
		ASSERT_LE(st.cached_bytes, FRAME_CACHE_SLOTS * FRAME_SIZE);
		ASSERT_TRUE(totals_add_up(&st));
	}
	EXPECT_EQ(st.used_bytes, 0);
	EXPECT_EQ(st.free_bytes, fcx.free_at_start * FRAME_SIZE);
	EXPECT_EQ(st.frees, 200);
	EXPECT_GT(st.cache_allocs, 0);
	EXPECT_GT(st.cache_frees, 0);
	EXPECT_EQ(frame_cache_reclaim(&fcx.fc) * FRAME_SIZE, st.cached_bytes);
	fcx_stats(&st);
	EXPECT_EQ(st.cached_bytes, 0);
	EXPECT_EQ(fcx.fa.free_frames, fcx.free_at_start); /* all back in the pool */
}

KTEST(frame_cache, a_cached_frame_is_free_not_used)
{
	ASSERT_TRUE(fcx_setup(POOL));
	fake_hal_set_cpu(0);
	uint64_t pa = frame_cache_alloc(&fcx.fc);
	EXPECT_TRUE(frame_is_used(&fcx.fa, pa));
	EXPECT_FALSE(frame_is_free(&fcx.fa, pa));
	EXPECT_EQ(frame_cache_free(&fcx.fc, pa), 0);
	EXPECT_FALSE(frame_is_used(&fcx.fa, pa));
	EXPECT_TRUE(frame_is_free(&fcx.fa, pa));
}

KTEST(frame_cache, a_second_free_of_a_cached_frame_is_refused_and_reported)
{
	struct frame_stats before, after;

	ASSERT_TRUE(fcx_setup(POOL));
	fake_hal_set_cpu(0);
	uint64_t pa = frame_cache_alloc(&fcx.fc);
	EXPECT_EQ(frame_cache_free(&fcx.fc, pa), 0);
	fcx_stats(&before);
	EXPECT_EQ(frame_cache_free(&fcx.fc, pa), FRAME_ERR_DOUBLE_FREE);
	EXPECT_EQ(atomic_load(&fcx.errors), 1);
	EXPECT_EQ(atomic_load(&fcx.last_error), FRAME_ERR_DOUBLE_FREE);
	EXPECT_EQ(atomic_load(&fcx.last_error_pa), pa);
	/* On another CPU, and straight to the pool: refused too. */
	fake_hal_set_cpu(1);
	EXPECT_EQ(frame_cache_free(&fcx.fc, pa), FRAME_ERR_DOUBLE_FREE);
	fake_hal_set_cpu(0);
	EXPECT_EQ(frame_free(&fcx.fa, pa), FRAME_ERR_DOUBLE_FREE);
	fcx_stats(&after);
	EXPECT_EQ(after.double_frees, before.double_frees + 3);
	EXPECT_EQ(after.cached_bytes, before.cached_bytes); /* nothing changed */
	EXPECT_EQ(after.free_bytes, before.free_bytes);
	/* The frame is handed out once, then no more than the others. */
	uint64_t seen = 0;
	for (unsigned i = 0; i < FRAME_CACHE_SLOTS; i++) {
		uint64_t got = frame_cache_alloc(&fcx.fc);
		seen += got == pa;
	}
	EXPECT_EQ(seen, 1);
}

KTEST(frame_cache, frees_of_pool_frames_foreign_and_misaligned_addresses_are_refused)
{
	ASSERT_TRUE(fcx_setup(POOL));
	fake_hal_set_cpu(0);
	uint64_t pa = frame_cache_alloc(&fcx.fc);
	EXPECT_EQ(frame_cache_free(&fcx.fc, pa), 0);
	EXPECT_EQ(frame_cache_reclaim(&fcx.fc), FRAME_CACHE_BATCH);
	EXPECT_EQ(frame_cache_free(&fcx.fc, pa), FRAME_ERR_DOUBLE_FREE); /* in the pool */
	EXPECT_EQ(frame_cache_free(&fcx.fc, FCX_PHYS_BASE + 2 * POOL * FRAME_SIZE),
		  FRAME_ERR_FOREIGN);
	EXPECT_EQ(frame_cache_free(&fcx.fc, FCX_PHYS_BASE), FRAME_ERR_FOREIGN); /* metadata */
	EXPECT_EQ(frame_cache_free(&fcx.fc, pa + 8), FRAME_ERR_MISALIGNED);
	EXPECT_EQ(atomic_load(&fcx.errors), 4);
	EXPECT_FALSE(frame_is_free(&fcx.fa, FCX_PHYS_BASE));
	EXPECT_EQ(frame_cache_count(&fcx.fc), 0);
}

/* Takes every frame there is on this CPU; how many. */
static unsigned take_all(uint64_t *into, unsigned room)
{
	unsigned n = 0;
	uint64_t pa;

	while (n < room && (pa = frame_cache_alloc(&fcx.fc)) != 0)
		into[n++] = pa;
	return n;
}

KTEST(frame_cache, when_the_pool_is_dry_an_allocation_takes_other_cpus_cached_frames)
{
	static uint64_t all[POOL], again[POOL];
	struct frame_stats st;

	ASSERT_TRUE(fcx_setup(POOL));
	fake_hal_set_cpu_count(4);
	fake_hal_set_cpu(1);
	unsigned n = take_all(all, POOL);
	ASSERT_EQ(n, fcx.free_at_start);
	for (unsigned i = 0; i < 40; i++) /* to CPU 1's cache, then CPU 2's */
		EXPECT_EQ(frame_cache_free(&fcx.fc, all[i]), 0);
	fake_hal_set_cpu(2);
	for (unsigned i = 40; i < 50; i++)
		EXPECT_EQ(frame_cache_free(&fcx.fc, all[i]), 0);
	fcx_stats(&st);
	EXPECT_EQ(st.cached_bytes, 50 * FRAME_SIZE);
	EXPECT_EQ(fcx.fa.free_frames, 0); /* the pool is empty */
	fake_hal_set_cpu(0);
	unsigned got = take_all(again, POOL);
	EXPECT_EQ(got, 50);
	fcx_stats(&st);
	EXPECT_EQ(st.cache_reclaims, 1);
	EXPECT_EQ(st.free_bytes, 0);
	EXPECT_EQ(st.used_bytes, fcx.free_at_start * FRAME_SIZE);
	/* Each one was one of the 50 freed, and none came twice. */
	static uint8_t seen[2 * POOL];
	memset(seen, 0, sizeof seen);
	for (unsigned i = 0; i < 50; i++)
		seen[fcx_index(all[i])] = 1;
	for (unsigned i = 0; i < got; i++)
		EXPECT_EQ(seen[fcx_index(again[i])]++, 1);
	fake_hal_set_cpu_count(1);
}

KTEST(frame_cache, the_pools_own_allocations_take_cached_frames_when_dry)
{
	static uint64_t all[POOL];

	ASSERT_TRUE(fcx_setup(POOL));
	fake_hal_set_cpu(3);
	unsigned n = take_all(all, POOL);
	ASSERT_EQ(n, fcx.free_at_start);
	/* 16 frames, aligned on 16, into CPU 3's cache: a contiguous run
	 * exists only if the pool takes them back. */
	unsigned first = 0;
	while ((all[first] >> FRAME_SHIFT) % 16)
		first++;
	uint64_t run[16];
	for (unsigned i = 0; i < 16; i++) {
		run[i] = all[first] + i * FRAME_SIZE;
		EXPECT_EQ(frame_cache_free(&fcx.fc, run[i]), 0);
	}
	fake_hal_set_cpu(0);
	fcx_lock();
	uint64_t contig = frame_alloc_contig(&fcx.fa, 16, 16);
	fcx_unlock();
	EXPECT_EQ(contig, all[first]);
	EXPECT_EQ(frame_free_contig(&fcx.fa, contig, 16), 0);
	for (unsigned i = 0; i < 16; i++) /* back to the cache, then one by the pool */
		EXPECT_EQ(frame_cache_free(&fcx.fc, frame_cache_alloc(&fcx.fc)), 0);
	fcx_lock();
	uint64_t one = frame_alloc(&fcx.fa); /* the heap's pages take frames so */
	fcx_unlock();
	EXPECT_NE(one, 0);
	EXPECT_EQ(atomic_load(&fcx.errors), 0);
}

static uint64_t irq_got;
static int irq_freed = -1;

static void irq_alloc_and_free(void)
{
	irq_got = frame_cache_alloc(&fcx.fc);
	irq_freed = frame_cache_free(&fcx.fc, irq_got);
}

KTEST(frame_cache, an_interrupt_handler_allocates_and_frees_on_its_cpu)
{
	ASSERT_TRUE(fcx_setup(POOL));
	fake_hal_set_cpu(0);
	uint64_t pa = frame_cache_alloc(&fcx.fc);
	fake_hal_raise_irq(irq_alloc_and_free);
	EXPECT_NE(irq_got, 0);
	EXPECT_NE(irq_got, pa);
	EXPECT_EQ(irq_freed, 0);
	EXPECT_TRUE(hal_irq_enabled());
	EXPECT_EQ(frame_cache_free(&fcx.fc, pa), 0);
}
