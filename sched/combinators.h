/*
 * combinators.h — futures made of futures: join (all), select (first), and
 * yield_now.
 *
 * Children are given as an array of pointers to futures that live in the
 * caller's state; they are polled with the caller's context, so a wake of any
 * child re-polls the combinator, which re-polls the children not yet done.
 */
#ifndef COOP_SCHED_COMBINATORS_H
#define COOP_SCHED_COMBINATORS_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/future.h"

/* READY when every child is READY.  Any number of children: a child that
 * finished is marked by setting its entry in futs to NULL (the array belongs
 * to the caller's state, and join_all owns it until READY or dropped). */
struct join_all_future {
	struct future base;
	struct future **futs;
	uint32_t n;
	uint32_t pending;	/* children not READY yet */
};

/*
 * READY as soon as one child is READY: `winner` is its index.  The other
 * children are DROPPED (cancelled) at that moment: their drop op releases
 * whatever they registered, and they must not be polled again.  Children
 * are polled in array order, so an earlier child wins a tie.
 */
struct select_future {
	struct future base;
	struct future **futs;
	uint32_t n;
	int winner;		/* -1 until READY */
};

/* PENDING once (after waking itself), READY the next time: every task that
 * was already ready runs before the caller continues. */
struct yield_future {
	struct future base;
	bool yielded;
};

void join_all_init(struct join_all_future *j, struct future **futs, uint32_t n);
void select_init(struct select_future *s, struct future **futs, uint32_t n);
void yield_now_init(struct yield_future *y);

#endif
