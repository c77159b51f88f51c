/*
 * future.h — the contract between async code and the executor.
 *
 * A future is a state struct whose first member is `struct future`, a pointer
 * to its ops (poll, drop, name): the C spelling of Rust's `dyn Future`.
 * Polling asks "can you make progress now?":
 *
 *   - POLL_READY: finished.  The output is in the future's own struct (where
 *     a Rust future would return it); the future is not polled again.
 *   - POLL_PENDING: not yet.  Before returning PENDING the future MUST have
 *     arranged for cx->waker to be woken when progress becomes possible (a
 *     clone stored in a timer, channel, IRQ slot ...).  The executor never
 *     polls a pending task again until that wake happens.
 *
 * A waker is two words, {data, vtable}, like Rust's RawWaker.  The vtable
 * functions get the waker itself rather than just `data`, so one executor
 * can be told apart from another by its vtable (see executor.c).
 *
 * Context rules: wake_by_ref never allocates or frees and is safe from an
 * interrupt handler and from any CPU.  clone, wake (which consumes) and drop
 * may free memory and belong to executor context (tasks, kernel_main), never
 * to an IRQ.
 *
 * Waking from under a lock (waker_wake_begin / waker_wake_end).  A waker
 * that a wait queue borrows is known to be valid only while the queue's lock
 * is held: once it is released, the waiting task may end on another CPU and
 * its memory go.  Yet the wake should not run under the lock: a wake queues
 * the task, may take the idle lock and send an IPI, and a consuming wake can
 * free memory.  So the wake is split: waker_wake_begin() under the lock does
 * what needs the waiter alive and returns a waker that owns the rest, which
 * waker_wake_end() finishes after unlocking.  For a task the first half is
 * the compare-and-swap that marks it scheduled: from then on it cannot end
 * before it runs again, so the second half needs no reference; for other
 * wakers the first half is a clone.
 *
 * Cancel and drop.  A future may be abandoned before READY: its task was
 * cancelled (task_cancel), it lost a select, or the future that was awaiting
 * it was itself dropped.  Then its drop op runs, once, on the executor, and
 * it is never polled again.  The drop must undo every registration the
 * future made, so that nothing can reach its memory afterwards: leave wait
 * queues, remove timers, empty waker slots, drop the futures it awaits.
 * Wait-queue nodes do not hold a reference to their task (waitq.h), so a
 * future that forgot to unlink one would leave a dangling node.
 *
 * What task_cancel does to a task suspended in an await: the executor takes
 * the task off its queue at its next turn and, instead of polling it, marks
 * it done and cancelled and calls the drop op of the task's future.  For an
 * async function that drop (async.h) first drops the future it is suspended
 * on, recursively, innermost first, then runs its own cleanup; then the
 * task's joiners wake and the executor lets go of the task.  A cancel that
 * arrives while the task is being polled takes effect after that poll: if
 * the poll returned READY the task finished and stays finished (no drop, and
 * task_was_cancelled() is false); if PENDING, it is dropped at its next turn
 * without another poll.  A future that already returned READY is never
 * dropped, and nothing is dropped twice.
 */
#ifndef COOP_SCHED_FUTURE_H
#define COOP_SCHED_FUTURE_H

#include <stddef.h>
#include <stdint.h>

enum poll { POLL_PENDING = 0, POLL_READY = 1 };

struct waker;

struct waker_vtable {
	struct waker (*clone)(const struct waker *w);
	void (*wake)(struct waker *w);		/* wakes, then drops w */
	void (*wake_by_ref)(const struct waker *w);
	void (*drop)(struct waker *w);
	/* Optional: the first half of a wake_by_ref, for a waker found under
	 * a lock (waker_wake_begin below).  NULL: the lock holder clones. */
	struct waker (*wake_begin)(const struct waker *w);
};

struct waker {
	void *data;
	const struct waker_vtable *vtable;	/* NULL: no waker stored */
};

struct executor;

/* What poll() gets besides the future: the waker of the task being polled
 * and the executor polling it (timers live there). */
struct context {
	const struct waker *waker;
	struct executor *executor;
};

struct future;

struct future_ops {
	const char *name;
	enum poll (*poll)(struct future *self, struct context *cx);
	/* Called when the future is abandoned before READY (task cancelled,
	 * select loser).  Releases what it registered (waiters, timers, waker
	 * slots, awaited futures).  May be NULL only for a future that never
	 * registers anything. */
	void (*drop)(struct future *self);
};

struct future {
	const struct future_ops *ops;
};

#define container_of(ptr, type, member)                                        \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline enum poll future_poll(struct future *f, struct context *cx)
{
	return f->ops->poll(f, cx);
}

static inline void future_drop(struct future *f)
{
	if (f->ops->drop)
		f->ops->drop(f);
}

static inline struct waker waker_clone(const struct waker *w)
{
	return w->vtable->clone(w);
}

static inline void waker_wake(struct waker *w)
{
	w->vtable->wake(w);
	w->vtable = NULL;
}

static inline void waker_wake_by_ref(const struct waker *w)
{
	w->vtable->wake_by_ref(w);
}

static inline void waker_drop(struct waker *w)
{
	if (w->vtable)
		w->vtable->drop(w);
	w->vtable = NULL;
}

static inline int waker_is_set(const struct waker *w) { return w->vtable != NULL; }

/* Under the lock that keeps *w valid.  The result (vtable NULL: nothing
 * left to do) must be passed to waker_wake_end(), after unlocking. */
static inline struct waker waker_wake_begin(const struct waker *w)
{
	return w->vtable->wake_begin ? w->vtable->wake_begin(w) : waker_clone(w);
}

static inline void waker_wake_end(struct waker *w)
{
	if (w->vtable)
		waker_wake(w);
}

#endif
