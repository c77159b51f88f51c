/*
 * The ticket spinlock (hal/smp/spinlock.c) on threads that play CPUs:
 * mutual exclusion with nothing lost, and misuse caught (recursion, a
 * release by a CPU that does not hold it, a long wait naming the holder).
 * Also built into the ThreadSanitizer binary: a missing acquire/release
 * would be a reported race on the data the lock guards.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "test/ktest/ktest.h"

#include "hal/hal.h"
#include "hal/smp/spinlock.h"
#include "test/host/fake_hal.h"
#include "test/host/host_locks.h"

KTEST_SUITE_FLAGS(spinlock_threads, KTEST_HOST_ONLY);

#ifdef COOP_TSAN
#define ROUNDS 20000
#else
#define ROUNDS 200000
#endif
#define THREADS 4

static struct spinlock counter_lock = SPINLOCK_INIT("counter");
/* Guarded by counter_lock: plain fields, so a broken lock loses updates
 * (and TSan sees the race).  a and b move together. */
static uint64_t counter_a, counter_b;
static _Atomic unsigned inside;		/* holders right now: must stay <= 1 */
static _Atomic unsigned overlaps;

static void *hammer(void *arg)
{
	fake_hal_set_cpu((unsigned)(uintptr_t)arg);
	for (unsigned i = 0; i < ROUNDS; i++) {
		spin_lock(&counter_lock);
		/* Relaxed: these must not order anything themselves, or they
		 * would hide a broken lock from ThreadSanitizer. */
		if (atomic_fetch_add_explicit(&inside, 1, memory_order_relaxed) != 0)
			atomic_fetch_add_explicit(&overlaps, 1, memory_order_relaxed);
		counter_a++;
		counter_b = counter_a * 3;
		atomic_fetch_sub_explicit(&inside, 1, memory_order_relaxed);
		spin_unlock(&counter_lock);
	}
	return NULL;
}

static void four_cpus_hammer(struct ktest *_kt)
{
	pthread_t th[THREADS];

	counter_a = counter_b = 0;
	atomic_store(&overlaps, 0);
	fake_hal_set_cpu_count(THREADS);
	for (unsigned i = 0; i < THREADS; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, hammer, (void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	fake_hal_set_cpu_count(1);
	EXPECT_EQ(counter_a, (uint64_t)THREADS * ROUNDS);
	EXPECT_EQ(counter_b, counter_a * 3);
	EXPECT_EQ(atomic_load(&overlaps), 0);
	/* Every ticket handed out was served. */
	EXPECT_EQ(counter_lock.next, counter_lock.owner);
	EXPECT_EQ(counter_lock.holder_cpu, -1);
}

KTEST(spinlock_threads, four_cpus_lose_no_update)
{
	four_cpus_hammer(_kt);
}

/* The same without tickets (spin_set_test_and_set: under a hypervisor). */
KTEST(spinlock_threads, four_cpus_lose_no_update_test_and_set)
{
	spin_set_test_and_set(true);
	four_cpus_hammer(_kt);
	spin_set_test_and_set(false);
}

KTEST(spinlock_threads, interrupts_off_while_held_and_restored)
{
	struct spinlock l = SPINLOCK_INIT("irq");

	ASSERT_TRUE(hal_irq_enabled());
	spin_lock(&l);
	EXPECT_FALSE(hal_irq_enabled());
	EXPECT_TRUE(spin_held(&l));
	spin_unlock(&l);
	EXPECT_TRUE(hal_irq_enabled());
	hal_irq_disable();
	spin_lock(&l);
	spin_unlock(&l);
	EXPECT_FALSE(hal_irq_enabled()); /* off before, off after */
	hal_irq_enable();
}

KTEST(spinlock_threads, recursive_acquire_is_caught)
{
	struct spinlock l = SPINLOCK_INIT("twice");

	host_lock_reset();
	spin_lock(&l);
	spin_lock(&l);	/* would spin forever: reported, abandoned */
	EXPECT_EQ(host_lock_problems(LOCK_RECURSIVE), 1);
	EXPECT_EQ(host_lock_last_holder(), 0);
	EXPECT_TRUE(spin_held(&l));
	spin_unlock(&l);
	EXPECT_FALSE(spin_held(&l));
	EXPECT_EQ(l.next, l.owner);
	EXPECT_TRUE(hal_irq_enabled());	/* the abandoned acquire popped its push */
}

static struct spinlock shared = SPINLOCK_INIT("shared");
static _Atomic int stage;

static void *wrong_releaser(void *arg)
{
	(void)arg;
	fake_hal_set_cpu(2);
	while (atomic_load(&stage) != 1)
		sched_yield();
	spin_unlock(&shared);	/* CPU 2 does not hold it */
	atomic_store(&stage, 2);
	return NULL;
}

KTEST(spinlock_threads, release_by_another_cpu_is_caught)
{
	pthread_t th;

	host_lock_reset();
	atomic_store(&stage, 0);
	ASSERT_EQ(pthread_create(&th, NULL, wrong_releaser, NULL), 0);
	spin_lock(&shared);
	atomic_store(&stage, 1);
	while (atomic_load(&stage) != 2)
		sched_yield();
	pthread_join(th, NULL);
	EXPECT_EQ(host_lock_problems(LOCK_NOT_HOLDER), 1);
	EXPECT_EQ(host_lock_last_holder(), 0);
	EXPECT_EQ(host_lock_last_reporter(), 2);
	EXPECT_TRUE(spin_held(&shared));	/* left as it was */
	spin_unlock(&shared);
	EXPECT_EQ(shared.next, shared.owner);
}

static void *long_waiter(void *arg)
{
	(void)arg;
	fake_hal_set_cpu(3);
	atomic_store(&stage, 1);
	spin_lock(&shared);	/* waits behind CPU 0 */
	spin_unlock(&shared);
	return NULL;
}

static void long_wait(struct ktest *_kt)
{
	pthread_t th;
	struct timespec hold = { .tv_sec = 0, .tv_nsec = 200 * 1000 * 1000 };
	/* The fake TSC counts nanoseconds: 20 ms. */
	uint64_t old = spin_set_wait_limit(20 * 1000 * 1000);

	host_lock_reset();
	atomic_store(&stage, 0);
	spin_lock(&shared);
	ASSERT_EQ(pthread_create(&th, NULL, long_waiter, NULL), 0);
	while (atomic_load(&stage) != 1)
		sched_yield();
	nanosleep(&hold, NULL);
	spin_unlock(&shared);
	pthread_join(th, NULL);
	spin_set_wait_limit(old);
	EXPECT_EQ(host_lock_problems(LOCK_LONG_WAIT), 1);	/* once per wait */
	EXPECT_EQ(host_lock_last_holder(), 0);
	EXPECT_EQ(host_lock_last_reporter(), 3);
}

KTEST(spinlock_threads, long_wait_names_the_holder)
{
	long_wait(_kt);
}

KTEST(spinlock_threads, long_wait_names_the_holder_test_and_set)
{
	spin_set_test_and_set(true);
	long_wait(_kt);
	spin_set_test_and_set(false);
}

KTEST(spinlock_threads, trylock_fails_while_held)
{
	struct spinlock l = SPINLOCK_INIT("try");

	EXPECT_TRUE(spin_trylock(&l));
	EXPECT_TRUE(spin_held(&l));
	EXPECT_FALSE(spin_trylock(&l));	/* held: no, and no recursion report */
	spin_unlock(&l);
	spin_lock(&l);
	EXPECT_EQ(l.holder_cpu, 0);
	spin_unlock(&l);
	EXPECT_EQ(l.next, l.owner);
	EXPECT_TRUE(hal_irq_enabled());
}
