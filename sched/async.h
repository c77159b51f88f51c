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

/* Defines fname##_ops (name, poll) and opens the body of the poll function. */
#define ASYNC_FN(fname, type)                                                  \
	static enum poll fname##_body(type *self, struct context *cx);         \
	static enum poll fname##_poll(struct future *f, struct context *cx)    \
	{                                                                      \
		return fname##_body((type *)f, cx);                            \
	}                                                                      \
	__attribute__((unused)) static const struct future_ops fname##_ops = { \
		.name = #fname, .poll = fname##_poll, .drop = NULL              \
	};                                                                     \
	static enum poll fname##_body(type *self, struct context *cx)

#define ASYNC_BEGIN()                                                          \
	(void)cx;                                                              \
	switch (self->async_line) {                                            \
	case 0:

/* Polls *fut (a struct whose first member is struct future) until READY. */
#define AWAIT(fut)                                                             \
	do {                                                                   \
		self->async_line = __LINE__;                                   \
		__attribute__((fallthrough));                                  \
	case __LINE__:                                                         \
		if (future_poll((struct future *)(fut), cx) == POLL_PENDING)   \
			return POLL_PENDING;                                   \
	} while (0)

/* Lets every other ready task run once, then continues (yield_now). */
#define YIELD()                                                                \
	do {                                                                   \
		self->async_line = __LINE__;                                   \
		waker_wake_by_ref(cx->waker);                                  \
		return POLL_PENDING;                                           \
	case __LINE__:;                                                        \
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
