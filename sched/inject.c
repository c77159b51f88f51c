/*
 * inject.c — see inject.h.
 */
#include "sched/inject.h"

#include "sched/task.h"

void inject_init(struct inject *in)
{
	rq_init(&in->q);
	atomic_init(&in->len, 0);
	sched_lock_init(&in->take_lock);
}

/* The count goes up after the push, so a taker never finds fewer tasks than
 * the count says, only (briefly) more; and a seq_cst RMW, so the caller's
 * check for idle workers that follows cannot be ordered before it. */
void inject_push(struct inject *in, struct task *t)
{
	rq_push(&in->q, &t->link);
	atomic_fetch_add_explicit(&in->len, 1, memory_order_seq_cst);
}

void inject_push_chain(struct inject *in, struct task *first, struct task *last, uint32_t n)
{
	rq_push_chain(&in->q, &first->link, &last->link);
	atomic_fetch_add_explicit(&in->len, n, memory_order_seq_cst);
}

uint32_t inject_take(struct inject *in, struct task **out, uint32_t max)
{
	uint32_t n = 0;
	struct rq_node *node;

	if (!inject_has_tasks(in))
		return 0;
	sched_lock_take(&in->take_lock);
	while (n < max && (node = rq_pop(&in->q)))
		out[n++] = container_of(node, struct task, link);
	sched_lock_give(&in->take_lock);
	if (n)
		atomic_fetch_sub_explicit(&in->len, n, memory_order_relaxed);
	return n;
}
