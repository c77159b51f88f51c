/*
 * atomic_waker.h — one waker slot shared by a task and an interrupt handler.
 *
 * The IRQ → task path: the handler pushes its data into a lock-free queue
 * (e.g. a byte_ring) and calls atomic_waker_wake(); the task's future, on
 * finding the queue empty, calls atomic_waker_register() with its waker and
 * then checks the queue again before returning PENDING (so data that arrived
 * in between is not missed).
 *
 * Lock-free: a small state machine (WAITING / REGISTERING / WAKING bits)
 * decides who may touch the stored waker; whoever loses a race makes sure the
 * wake still happens.  Correct for a real second CPU or host thread, not just
 * for an interrupt on the same CPU.
 */
#ifndef COOP_SCHED_ATOMIC_WAKER_H
#define COOP_SCHED_ATOMIC_WAKER_H

#include <stdatomic.h>

#include "sched/future.h"

struct atomic_waker {
	_Atomic unsigned state;
	struct waker waker;
};

void atomic_waker_init(struct atomic_waker *aw);
/* Executor context.  Stores a clone of *w (replacing any previous one). */
void atomic_waker_register(struct atomic_waker *aw, const struct waker *w);
/* Any context (IRQ, other thread).  Wakes the registered waker, if any; the
 * waker stays registered, so waking never frees memory. */
void atomic_waker_wake(struct atomic_waker *aw);
/* Executor context.  Moves the stored waker (vtable NULL if none) to *out,
 * leaving the slot empty.  Waits for a wake running on another CPU to finish
 * with it first. */
void atomic_waker_take(struct atomic_waker *aw, struct waker *out);
/* Executor context.  Takes the stored waker, then drops it. */
void atomic_waker_destroy(struct atomic_waker *aw);

#endif
