/*
 * lock.h — the spinlock that sched/ uses for what several CPUs share: a
 * channel, a join queue, the timer heap, a CPU's task table, the idle set.
 *
 * With one CPU nothing can race for these (interrupt handlers never touch
 * them: they only wake, which is lock-free), so a lock is taken only while
 * more than one CPU runs the kernel (hal_cpu_count() > 1).  sched_lock()
 * returns whether it took the lock, and sched_unlock() is given that answer,
 * so a lock taken once the other CPUs came up is always released, and the
 * single-CPU paths stay free of atomic instructions as they were.
 *
 * Test-and-test-and-set: waiters spin on a plain load, so the line stays
 * shared while the lock is held, and try the exchange only when it looks
 * free.  Held briefly; nothing waits under it, and no wake runs under it
 * (future.h: waker_wake_begin).  The timer heap may grow under its lock (the
 * heap allocator's lock nests inside); the idle lock (sched/idle.c) is a
 * leaf.
 */
#ifndef COOP_SCHED_LOCK_H
#define COOP_SCHED_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>

#include "hal/hal.h"

struct sched_lock {
	_Atomic bool held;
};

#define SCHED_LOCK_INIT { false }

static inline void sched_lock_init(struct sched_lock *l)
{
	atomic_init(&l->held, false);
}

/* More than one CPU runs sched/ code: shared structures need their locks. */
static inline bool sched_smp(void) { return hal_cpu_count() > 1; }

/* Takes l unconditionally.  Acquire: what the last holder did under the lock
 * is visible to us. */
static inline void sched_lock_take(struct sched_lock *l)
{
	while (atomic_exchange_explicit(&l->held, true, memory_order_acquire))
		while (atomic_load_explicit(&l->held, memory_order_relaxed))
			hal_cpu_relax();
}

static inline bool sched_lock_try(struct sched_lock *l)
{
	return !atomic_load_explicit(&l->held, memory_order_relaxed) &&
	       !atomic_exchange_explicit(&l->held, true, memory_order_acquire);
}

/* Release: publishes what we did under the lock to the next holder. */
static inline void sched_lock_give(struct sched_lock *l)
{
	atomic_store_explicit(&l->held, false, memory_order_release);
}

/* Takes l if other CPUs could contend for it; returns whether it did. */
static inline bool sched_lock(struct sched_lock *l)
{
	if (!sched_smp())
		return false;
	sched_lock_take(l);
	return true;
}

static inline void sched_unlock(struct sched_lock *l, bool taken)
{
	if (taken)
		sched_lock_give(l);
}

#endif
