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
 * interrupt handler.  clone, wake (which consumes) and drop may free memory
 * and belong to executor context (tasks, kernel_main), never to an IRQ.
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
	/* Optional: called when the future is abandoned before READY (task
	 * cancelled, select loser).  Releases what it registered (waiters,
	 * timers) so it does not linger until the next wake. */
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

#endif
