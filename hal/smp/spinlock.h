/*
 * spinlock.h — ticket spinlocks for data that several CPUs, and their
 * interrupt handlers, share.
 *
 * Taking a lock disables interrupts on this CPU first (hal_irq_push_off,
 * nested per CPU), so a handler can never spin on a lock that the code it
 * interrupted holds; the last unlock puts the interrupt flag back.  Waiters
 * take a ticket and are served in order, so no CPU starves (on real CPUs;
 * under a hypervisor they take the lock as they find it free:
 * spin_set_test_and_set).  A holder must not sleep or wait for other CPUs
 * to take the same lock.
 *
 * Misuse is caught and reported (by the kernel: kernel/locks.c), like
 * xv6's acquire/release:
 *   - taking a lock this CPU already holds (it would spin forever),
 *   - releasing a lock this CPU does not hold,
 *   - waiting longer than the limit: reported once per wait, with the
 *     holder's CPU, where it took the lock and for how long it has held it.
 * The lock records its holder for this: CPU, caller's address, TSC.
 *
 * Portable (atomics and hal/hal.h only): host tests run it on threads,
 * under ThreadSanitizer too.
 */
#ifndef COOP_HAL_CPU_SPINLOCK_H
#define COOP_HAL_CPU_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct spinlock {
	/* next: the ticket the next caller takes; owner: the ticket being
	 * served.  Free when they are equal. */
	uint32_t next;
	uint32_t owner;
	const char *name;
	/* The holder, for misuse checks and reports; written by the holder
	 * only, read by anyone (a report may see a torn picture: it is a
	 * diagnosis, not a decision, except holder_cpu == this CPU, which only
	 * this CPU can have written). */
	int32_t holder_cpu; /* -1: none */
	uintptr_t holder_pc;
	uint64_t holder_tsc;
};

#define SPINLOCK_INIT(n) { .name = (n), .holder_cpu = -1 }

void spin_init(struct spinlock *l, const char *name);
void spin_lock(struct spinlock *l);
/* Takes the lock only if it is free now; true if it did. */
bool spin_trylock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
/* True if this CPU holds l. */
bool spin_held(const struct spinlock *l);

/*
 * Test-and-set instead of tickets: a waiter takes the lock when it finds
 * it free, in no order.  For a machine whose CPUs a hypervisor may stop at
 * any moment (more virtual CPUs than it has real ones): a ticket lock hands
 * the lock to the next waiter in line, and if that CPU is not running,
 * every CPU waits until the hypervisor runs it again, lock by lock.  Linux
 * falls back the same way under a hypervisor without paravirtual spinlocks
 * (virt_spin_lock).  Set once, before a second CPU runs; the two kinds of
 * waiter must not meet on one lock.  Reports and misuse checks are the same.
 */
void spin_set_test_and_set(bool on);
bool spin_is_test_and_set(void);

/* How long a waiter spins before it reports the holder, in TSC cycles
 * (the platform sets 2 s once it knows the TSC's speed); returns the old
 * limit, so a test can lower it and put it back. */
uint64_t spin_set_wait_limit(uint64_t cycles);
/* TSC cycles per millisecond, for the reports (0: unknown). */
void spin_set_cycles_per_ms(uint64_t cycles);
uint64_t spin_cycles_per_ms(void);

enum lock_problem {
	LOCK_RECURSIVE,		 /* this CPU already holds it */
	LOCK_NOT_HOLDER,	 /* released by a CPU that does not hold it */
	LOCK_LONG_WAIT,		 /* a waiter passed the wait limit */
	LOCK_IRQ_ENABLED_INSIDE, /* hal_irq_pop_off() found interrupts on */
	LOCK_IRQ_POP_UNBALANCED, /* hal_irq_pop_off() without a push */
};

/*
 * Implemented by the kernel (kernel/locks.c; host tests supply their own).
 * Reports the problem; for misuse it panics, unless a test expects exactly
 * that problem, and then it returns and the lock operation is abandoned (the
 * lock is left as it was).  For LOCK_LONG_WAIT it returns, and the waiter
 * goes on waiting.  `waited` is in TSC cycles (LOCK_LONG_WAIT only).
 */
void kernel_lock_problem(enum lock_problem what, const struct spinlock *l, uint64_t waited);

#endif
