/*
 * spinlock.c — ticket locks (see spinlock.h).
 *
 * Memory ordering, point by point:
 *  - Taking a ticket is a relaxed fetch-add: it orders nothing, it only
 *    gives this CPU its place in the queue.
 *  - The wait ends with an acquire load of `owner` that sees our ticket: it
 *    pairs with the release store in spin_unlock(), so everything the last
 *    holder wrote under the lock is visible to us before we touch it.
 *  - spin_unlock() advances `owner` with a release store: our writes under
 *    the lock happen before the next holder's acquire sees the new owner.
 *  - The holder fields are relaxed: only the holder writes them, inside the
 *    lock, and others read them only to write a report.
 */
#include "hal/smp/spinlock.h"

#include "hal/hal.h"

#define DEFAULT_WAIT_LIMIT 4000000000ull /* cycles: ~2 s at 2 GHz, until set */

static uint64_t wait_limit = DEFAULT_WAIT_LIMIT;
static uint64_t cycles_per_ms;
static bool test_and_set;	/* spin_set_test_and_set(): no tickets */

void spin_set_test_and_set(bool on)
{
	__atomic_store_n(&test_and_set, on, __ATOMIC_RELAXED);
}

bool spin_is_test_and_set(void)
{
	return __atomic_load_n(&test_and_set, __ATOMIC_RELAXED);
}

uint64_t spin_set_wait_limit(uint64_t cycles)
{
	return __atomic_exchange_n(&wait_limit, cycles, __ATOMIC_RELAXED);
}

void spin_set_cycles_per_ms(uint64_t cycles)
{
	__atomic_store_n(&cycles_per_ms, cycles, __ATOMIC_RELAXED);
}

uint64_t spin_cycles_per_ms(void)
{
	return __atomic_load_n(&cycles_per_ms, __ATOMIC_RELAXED);
}

void spin_init(struct spinlock *l, const char *name)
{
	*l = (struct spinlock)SPINLOCK_INIT(name);
}

bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->holder_cpu, __ATOMIC_RELAXED) == (int32_t)hal_cpu_id();
}

static void set_holder(struct spinlock *l, uintptr_t pc)
{
	__atomic_store_n(&l->holder_pc, pc, __ATOMIC_RELAXED);
	__atomic_store_n(&l->holder_tsc, hal_cycles(), __ATOMIC_RELAXED);
	__atomic_store_n(&l->holder_cpu, (int32_t)hal_cpu_id(), __ATOMIC_RELAXED);
}

/* Takes the lock if it is free now.  Free only if `owner` has caught up
 * with `next`; then claiming ticket t is claiming the lock.  The acquire
 * load of `owner` pairs with the last unlock, as a served ticket does; the
 * plain loads first keep a waiter from writing the line while it spins. */
static bool take_if_free(struct spinlock *l)
{
	uint32_t t = __atomic_load_n(&l->next, __ATOMIC_RELAXED);

	return __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == t &&
	       __atomic_compare_exchange_n(&l->next, &t, t + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* Our turn: our ticket is served, or, without tickets, we took it. */
static bool our_turn(struct spinlock *l, uint32_t ticket, bool tas)
{
	return tas ? take_if_free(l) : __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == ticket;
}

/* Spins until it is our turn; reports the holder once if that takes longer
 * than the limit.  hal_cpu_relax() also answers what other CPUs need from
 * a CPU that spins with interrupts off (TLB shootdowns). */
static void wait_for_turn(struct spinlock *l, uint32_t ticket, bool tas)
{
	uint64_t start = 0;
	bool reported = false;

	while (!our_turn(l, ticket, tas)) {
		hal_cpu_relax();
		if (reported)
			continue;
		if (!start) {
			start = hal_cycles();
			continue;
		}
		uint64_t waited = hal_cycles() - start;
		if (waited > __atomic_load_n(&wait_limit, __ATOMIC_RELAXED)) {
			reported = true;
			kernel_lock_problem(LOCK_LONG_WAIT, l, waited);
		}
	}
}

static __attribute__((noinline)) void lock_from(struct spinlock *l, uintptr_t pc)
{
	hal_irq_push_off();
	if (spin_held(l)) {
		kernel_lock_problem(LOCK_RECURSIVE, l, 0);
		hal_irq_pop_off();	/* a test expected it: back out */
		return;
	}
	bool tas = spin_is_test_and_set();
	uint32_t ticket = tas ? 0 : __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	wait_for_turn(l, ticket, tas);
	set_holder(l, pc);
}

void spin_lock(struct spinlock *l)
{
	lock_from(l, (uintptr_t)__builtin_return_address(0));
}

bool spin_trylock(struct spinlock *l)
{
	hal_irq_push_off();
	if (take_if_free(l)) {
		set_holder(l, (uintptr_t)__builtin_return_address(0));
		return true;
	}
	hal_irq_pop_off();
	return false;
}

void spin_unlock(struct spinlock *l)
{
	if (!spin_held(l)) {
		kernel_lock_problem(LOCK_NOT_HOLDER, l, 0);
		return;	/* a test expected it: leave the lock alone */
	}
	__atomic_store_n(&l->holder_cpu, -1, __ATOMIC_RELAXED);
	/* Only the holder writes `owner`, so a plain read of it is current. */
	uint32_t next_owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(&l->owner, next_owner, __ATOMIC_RELEASE);
	hal_irq_pop_off();
}
