/*
 * atomic_waker.c — see atomic_waker.h.  The same protocol as the futures
 * crate's AtomicWaker, except that wake() leaves the waker in place: taking
 * it would mean dropping it, and a drop may free a task, which an interrupt
 * handler must never do.
 *
 * Whoever holds REGISTERING owns the stored waker; a waker that finds the
 * slot held sets WAKING and leaves, and the holder does the wake on its
 * behalf before it lets go.  Every exit from REGISTERING is an exchange with
 * acquire-release ordering: release publishes the new waker to the next
 * waker, acquire makes what a waker published before it set WAKING (the data
 * it pushed) visible to the holder, who re-checks that data after the wake.
 */
#include "sched/atomic_waker.h"

#include "hal/hal.h"

#define AW_WAITING	0u
#define AW_REGISTERING	1u	/* the task is replacing the waker */
#define AW_WAKING	2u	/* a waker is reading it to wake */

void atomic_waker_init(struct atomic_waker *aw)
{
	atomic_init(&aw->state, AW_WAITING);
	aw->waker.vtable = NULL;
	aw->waker.data = NULL;
}

static bool try_take_slot(struct atomic_waker *aw)
{
	unsigned expected = AW_WAITING;

	return atomic_compare_exchange_strong_explicit(&aw->state, &expected, AW_REGISTERING,
						       memory_order_acquire,
						       memory_order_acquire);
}

/* Lets go of the slot.  True if a wake arrived while it was held: the
 * holder owes that wake. */
static bool release_slot(struct atomic_waker *aw)
{
	return atomic_exchange_explicit(&aw->state, AW_WAITING, memory_order_acq_rel) !=
	       AW_REGISTERING;
}

void atomic_waker_register(struct atomic_waker *aw, const struct waker *w)
{
	if (!try_take_slot(aw)) {
		/* A wake is running right now and may be using the old waker:
		 * wake ourselves so the caller polls again and re-registers. */
		waker_wake_by_ref(w);
		return;
	}
	if (!(aw->waker.vtable == w->vtable && aw->waker.data == w->data)) {
		waker_drop(&aw->waker);
		aw->waker = waker_clone(w);
	}
	if (release_slot(aw))
		waker_wake_by_ref(w);	/* a wake came in while we held it */
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

void atomic_waker_take(struct atomic_waker *aw, struct waker *out)
{
	/* A wake in progress holds WAKING until it is done with the waker:
	 * wait for it, as register would, instead of freeing under it. */
	while (!try_take_slot(aw))
		hal_cpu_relax();
	*out = aw->waker;
	aw->waker.vtable = NULL;
	aw->waker.data = NULL;
	if (release_slot(aw) && out->vtable)
		waker_wake_by_ref(out);	/* the wake that came meanwhile */
}

void atomic_waker_destroy(struct atomic_waker *aw)
{
	struct waker w;

	atomic_waker_take(aw, &w);
	waker_drop(&w);		/* outside the slot: a drop may free a task */
}
