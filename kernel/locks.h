/*
 * locks.h — the kernel's side of spinlock problems (hal/smp/spinlock.h):
 * the report a person reads, and how a test expects one.
 *
 * Misuse (a recursive acquire, a release by a CPU that does not hold the
 * lock, unbalanced interrupt-disable sections) panics with the lock's name
 * and its holder.  A waiter that passes the wait limit prints one warning
 * naming the holder, where it took the lock and for how long it has held
 * it, and goes on waiting.
 */
#ifndef COOP_KERNEL_LOCKS_H
#define COOP_KERNEL_LOCKS_H

#include <stdbool.h>

#include "hal/smp/spinlock.h"

/*
 * For tests: the next problem of kind `what` (on any CPU) is written into
 * report[] instead of panicking or printing, `hit` is set, and the lock
 * operation is abandoned (for misuse) or goes on (a long wait).  One
 * expectation at a time; lock_expect_clear() withdraws it.
 */
struct lock_expectation {
	enum lock_problem what;
	bool hit;
	char report[200];
};

void lock_expect(struct lock_expectation *e);
void lock_expect_clear(void);

/* The text of a report, as kernel_lock_problem() would print it. */
void lock_problem_text(char *buf, unsigned n, enum lock_problem what,
		       const struct spinlock *l, uint64_t waited);

#endif
