/*
 * atomic_waker.c — see atomic_waker.h.  The same protocol as the futures
 * crate's AtomicWaker, except that wake() leaves the waker in place: taking
 * it would mean dropping it, and a drop may free a task, which an interrupt
 * handler must never do.
 */
#include "sched/atomic_waker.h"

#define AW_WAITING	0u
#define AW_REGISTERING	1u	/* the task is replacing the waker */
#define AW_WAKING	2u	/* a waker is reading it to wake */

void atomic_waker_init(struct atomic_waker *aw)
{
	atomic_init(&aw->state, AW_WAITING);
	aw->waker.vtable = NULL;
	aw->waker.data = NULL;
}

void atomic_waker_register(struct atomic_waker *aw, const struct waker *w)
{
	unsigned expected = AW_WAITING;

	if (!atomic_compare_exchange_strong_explicit(&aw->state, &expected, AW_REGISTERING,
						     memory_order_acquire,
						     memory_order_acquire)) {
		/* A wake is running right now and may be using the old waker:
		 * wake ourselves so the caller polls again and re-registers. */
		waker_wake_by_ref(w);
		return;
	}
	if (!(aw->waker.vtable == w->vtable && aw->waker.data == w->data)) {
		waker_drop(&aw->waker);
		aw->waker = waker_clone(w);
	}
	expected = AW_REGISTERING;
	if (!atomic_compare_exchange_strong_explicit(&aw->state, &expected, AW_WAITING,
						     memory_order_acq_rel,
						     memory_order_acquire)) {
		/* A wake came in while we held the slot and left the job to us. */
		atomic_store_explicit(&aw->state, AW_WAITING, memory_order_release);
		waker_wake_by_ref(&aw->waker);
	}
}

void atomic_waker_wake(struct atomic_waker *aw)
{
	unsigned old = atomic_fetch_or_explicit(&aw->state, AW_WAKING, memory_order_acq_rel);

	if (old != AW_WAITING)
		return;	/* the registrar, or another waker, will do the wake */
	if (aw->waker.vtable)
		waker_wake_by_ref(&aw->waker);
	atomic_fetch_and_explicit(&aw->state, ~AW_WAKING, memory_order_release);
}

void atomic_waker_destroy(struct atomic_waker *aw)
{
	waker_drop(&aw->waker);
}
