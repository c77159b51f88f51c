/*
 * The host's kernel_lock_problem() (kernel/locks.c in the kernel): counts
 * each kind of problem and keeps the last one's details, so host tests can
 * check that the spinlock caught it.  Misuse returns here, as it does in
 * the kernel when a test expects it: the lock operation is abandoned.
 */
#include "test/host/host_locks.h"

#include <stdatomic.h>

static _Atomic unsigned long counts[LOCK_IRQ_POP_UNBALANCED + 1];
static _Atomic int last_holder = -2;
static _Atomic int last_reporter = -2;

void kernel_lock_problem(enum lock_problem what, const struct spinlock *l, uint64_t waited)
{
	(void)waited;
	atomic_store(&last_holder, l ? __atomic_load_n(&l->holder_cpu, __ATOMIC_RELAXED) : -2);
	atomic_store(&last_reporter, (int)hal_cpu_id());
	atomic_fetch_add(&counts[what], 1);
}

unsigned long host_lock_problems(enum lock_problem what)
{
	return atomic_load(&counts[what]);
}

int host_lock_last_holder(void) { return atomic_load(&last_holder); }
int host_lock_last_reporter(void) { return atomic_load(&last_reporter); }

void host_lock_reset(void)
{
	for (unsigned i = 0; i <= LOCK_IRQ_POP_UNBALANCED; i++)
		atomic_store(&counts[i], 0);
	atomic_store(&last_holder, -2);
	atomic_store(&last_reporter, -2);
}
