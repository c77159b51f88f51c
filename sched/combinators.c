/*
 * combinators.c — see combinators.h.
 */
#include "sched/combinators.h"

static enum poll join_all_poll(struct future *f, struct context *cx)
{
	struct join_all_future *j = (struct join_all_future *)f;

	for (uint32_t i = 0; i < j->n && j->pending; i++) {
		if (j->futs[i] && future_poll(j->futs[i], cx) == POLL_READY) {
			j->futs[i] = NULL;
			j->pending--;
		}
	}
	return j->pending ? POLL_PENDING : POLL_READY;
}

static void join_all_drop(struct future *f)
{
	struct join_all_future *j = (struct join_all_future *)f;

	for (uint32_t i = 0; i < j->n; i++)
		if (j->futs[i])
			future_drop(j->futs[i]);
	j->pending = 0;
}

static const struct future_ops join_all_ops = {
	.name = "join_all", .poll = join_all_poll, .drop = join_all_drop,
};

void join_all_init(struct join_all_future *j, struct future **futs, uint32_t n)
{
	*j = (struct join_all_future){
		.base = { &join_all_ops }, .futs = futs, .n = n, .pending = n,
	};
}

static void drop_all_but(struct select_future *s, int keep)
{
	for (uint32_t i = 0; i < s->n; i++)
		if ((int)i != keep)
			future_drop(s->futs[i]);
}

static enum poll select_poll(struct future *f, struct context *cx)
{
	struct select_future *s = (struct select_future *)f;

	if (s->winner >= 0)
		return POLL_READY;
	for (uint32_t i = 0; i < s->n; i++) {
		if (future_poll(s->futs[i], cx) == POLL_READY) {
			s->winner = (int)i;
			drop_all_but(s, s->winner);
			return POLL_READY;
		}
	}
	return POLL_PENDING;
}

static void select_drop(struct future *f)
{
	struct select_future *s = (struct select_future *)f;

	if (s->winner < 0)
		drop_all_but(s, -1);
}

static const struct future_ops select_ops = {
	.name = "select", .poll = select_poll, .drop = select_drop,
};

void select_init(struct select_future *s, struct future **futs, uint32_t n)
{
	*s = (struct select_future){ .base = { &select_ops }, .futs = futs, .n = n, .winner = -1 };
}

static enum poll yield_poll(struct future *f, struct context *cx)
{
	struct yield_future *y = (struct yield_future *)f;

	if (y->yielded)
		return POLL_READY;
	y->yielded = true;
	waker_wake_by_ref(cx->waker);
	return POLL_PENDING;
}

static const struct future_ops yield_ops = { .name = "yield", .poll = yield_poll };

void yield_now_init(struct yield_future *y)
{
	*y = (struct yield_future){ .base = { &yield_ops } };
}
