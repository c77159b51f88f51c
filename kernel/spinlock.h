/*
 * spinlock.h — locks for a single CPU whose interrupt handlers share data
 * with the code they interrupt.
 *
 * With one CPU, "spinning" never ends if the lock is held: the holder cannot
 * run until we stop.  So taking a lock disables interrupts (nested with a
 * counter, like xv6's push_off/pop_off), and finding it already held is a bug
 * that panics instead of hanging.  Releasing a lock that is not held panics too.
 */
#ifndef COOP_KERNEL_SPINLOCK_H
#define COOP_KERNEL_SPINLOCK_H

#include <stdbool.h>

struct spinlock {
	const char *name;
	bool locked;
};

#define SPINLOCK_INIT(n) { .name = (n), .locked = false }

void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
bool spin_held(const struct spinlock *l);

/* Interrupt-disable that nests: critical sections compose. */
void irq_push_off(void);
void irq_pop_off(void);

#endif
