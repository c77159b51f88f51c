/*
 * async.h — async functions as stackless state machines.
 *
 * An async function is a state struct plus a poll function written top to
 * bottom, like Rust's `async fn`.  The macros turn the body into a switch on
 * the line number of the last await (protothread style), so a poll resumes
 * exactly where the previous one returned PENDING:
 *
 *     struct blink {
 *             ASYNC_STATE;                   // ops + resume point
 *             int i;                         // survives awaits: in the struct
 *             struct sleep_future nap;       // the future being awaited
 *     };
 *
 *     ASYNC_FN(blink, struct blink)
 *     {
 *             ASYNC_BEGIN();
 *             for (self->i = 0; self->i < 3; self->i++) {
 *                     int colour = self->i % 16;   // shared stack: dies at AWAIT
 *                     con_set_colour(colour);
 *                     sleep_ms_init(&self->nap, 100);
 *                     AWAIT(&self->nap);
 *             }
 *             ASYNC_END();
 *     }
 *
 *     struct blink b = { ASYNC_INIT(blink) };
 *     task_detach(SPAWN(b));
 *
 * Rules (the price of running every task on one shared stack):
 *   - A local that must survive an AWAIT/YIELD lives in the state struct
 *     (`self->`).  Plain locals are fine between awaits.
 *   - AWAIT/YIELD may not appear inside a `switch` of your own, and at most
 *     one per source line (the line number is the resume point).
 *   - The body sees two names: `self` (the state) and `cx` (the context).
 *   - The expression given to AWAIT is evaluated again on every poll (and on
 *     drop), so it must name the same future each time: `&self->field`.
 *
 * Cancel and drop.  An async function that is dropped before it finished (its
 * task was cancelled, or it lost a select, or the future awaiting it was
 * dropped) is not resumed.  Its generated drop op instead:
 *   1. drops the future it is suspended on, the one named by the AWAIT it
 *      stopped at: a channel send or receive leaves the channel's wait queue,
 *      a sleep leaves the timer queue, a join stops waiting, an awaited async
 *      function does all this in turn for what it awaits.  So the innermost
 *      registration goes first, and nothing is left that could wake the task
 *      or keep its memory alive.  Stopped at a YIELD, or never polled, there
 *      is nothing to drop.
 *   2. then runs the function's own cleanup, if it was declared with
 *      ASYNC_FN_CLEANUP(fname, type, cleanup): `void cleanup(type *self)`,
 *      for what the state owns besides the awaited future (a task handle, a
 *      buffer).  It runs whether or not the function was ever polled, and
 *      never after the function finished.
 * A finished async function is never dropped, and none is dropped twice.
 * The drop is the poll function run once more with `cx == NULL`: the switch
 * jumps to the AWAIT it stopped at, which drops its future and returns.  Code
 * placed before ASYNC_BEGIN() also runs then, so it must not use cx.
 */
#ifndef COOP_SCHED_ASYNC_H
#define COOP_SCHED_ASYNC_H

#include "sched/future.h"

#define ASYNC_LINE_DONE (-1)

/* First members of every async state struct. */
#define ASYNC_STATE                                                            \
	struct future base;                                                    \
	int async_line

/* Initialiser for those members: `struct blink b = { ASYNC_INIT(blink) };` */
#define ASYNC_INIT(fname) .base = { .ops = &fname##_ops }, .async_line = 0

/* Defines fname##_ops (name, poll, drop) and opens the body of the poll
 * function.  The cleanup variant also runs cleanup(self) when dropped. */
#define ASYNC_FN(fname, type) ASYNC_FN_CLEANUP(fname, type, NULL)

#define ASYNC_FN_CLEANUP(fname, type, cleanup_fn)                              \
	static enum poll fname##_body(type *self, struct context *cx);         \
	static enum poll fname##_poll(struct future *f, struct context *cx)    \
	{                                                                      \
		return fname##_body((type *)f, cx);                            \
	}                                                                      \
	static void fname##_drop(struct future *f)                             \
	{                                                                      \
		type *self = (type *)f;                                        \
		void (*cleanup)(type *) = cleanup_fn;                          \
		if (self->async_line == ASYNC_LINE_DONE)                       \
			return;                                                \
		if (self->async_line != 0)                                     \
			(void)fname##_body(self, NULL);                        \
		self->async_line = ASYNC_LINE_DONE;                            \
		if (cleanup)                                                   \
			cleanup(self);                                         \
	}                                                                      \
	__attribute__((unused)) static const struct future_ops fname##_ops = { \
		.name = #fname, .poll = fname##_poll, .drop = fname##_drop      \
	};                                                                     \
	static enum poll fname##_body(type *self, struct context *cx)

#define ASYNC_BEGIN()                                                          \
	(void)cx;                                                              \
	switch (self->async_line) {                                            \
	case 0:

/* Polls *fut (a struct whose first member is struct future) until READY.
 * When the function is dropped here (cx == NULL), drops *fut instead. */
#define AWAIT(fut)                                                             \
	do {                                                                   \
		self->async_line = __LINE__;                                   \
		__attribute__((fallthrough));                                  \
	case __LINE__:                                                         \
		if (!cx) {                                                     \
			future_drop((struct future *)(fut));                   \
			return POLL_READY;                                     \
		}                                                              \
		if (future_poll((struct future *)(fut), cx) == POLL_PENDING)   \
			return POLL_PENDING;                                   \
	} while (0)

/* Lets every other ready task run once, then continues (yield_now). */
#define YIELD()                                                                \
	do {                                                                   \
		self->async_line = __LINE__;                                   \
		waker_wake_by_ref(cx->waker);                                  \
		return POLL_PENDING;                                           \
	case __LINE__:                                                         \
		if (!cx)                                                       \
			return POLL_READY;	/* dropped: nothing awaited */ \
	} while (0)

/* Finishes the async function; its output is whatever it left in *self. */
#define ASYNC_RETURN()                                                         \
	do {                                                                   \
		self->async_line = ASYNC_LINE_DONE;                            \
		return POLL_READY;                                             \
	} while (0)

#define ASYNC_END()                                                            \
	__attribute__((fallthrough));                                          \
	default:                                                               \
		break;                                                         \
	}                                                                      \
	self->async_line = ASYNC_LINE_DONE;                                    \
	return POLL_READY

#endif
