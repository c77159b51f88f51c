/*
 * spinlock.c — see spinlock.h for why a held lock means a bug here.
 */
#include "kernel/spinlock.h"

#include "hal/hal.h"
#include "kernel/panic.h"

static unsigned irq_depth;
static hal_irqflags_t irq_outer_flags;

void irq_push_off(void)
{
	hal_irqflags_t flags = hal_irq_save();
	if (irq_depth++ == 0)
		irq_outer_flags = flags;
}

void irq_pop_off(void)
{
	if (hal_irq_enabled())
		panic("irq_pop_off: interrupts were re-enabled inside a critical section");
	if (irq_depth == 0)
		panic("irq_pop_off without a matching irq_push_off");
	if (--irq_depth == 0)
		hal_irq_restore(irq_outer_flags);
}

void spin_lock(struct spinlock *l)
{
	irq_push_off();
	if (l->locked)
		panic("spin_lock: '%s' is already held (recursive acquire)", l->name);
	l->locked = true;
	/* Keep the compiler from moving protected accesses above the acquire. */
	__atomic_signal_fence(__ATOMIC_ACQUIRE);
}

void spin_unlock(struct spinlock *l)
{
	if (!l->locked)
		panic("spin_unlock: '%s' is not held", l->name);
	__atomic_signal_fence(__ATOMIC_RELEASE);
	l->locked = false;
	irq_pop_off();
}

bool spin_held(const struct spinlock *l)
{
	return l->locked;
}
