/*
 * inject.h — the executor's global queue, which every worker can take from:
 * tasks spawned or woken from outside any worker of the executor (another
 * executor's task, a host thread, an interrupt on a CPU that runs none of its
 * workers), and the half of a full local queue that overflows.
 *
 * Pushing is wait-free (the MPSC queue of ready_queue.h: one exchange), so
 * any context may push.  Taking is one worker at a time, under a lock that
 * only workers take.  A worker looks here every INJECT_INTERVAL polls, so a
 * busy local queue cannot starve it, and whenever its own queue is empty.
 */
#ifndef COOP_SCHED_INJECT_H
#define COOP_SCHED_INJECT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/lock.h"
#include "sched/ready_queue.h"

struct task;

struct inject {
	struct ready_queue q;
	_Atomic uint32_t len;		/* pushed and not yet taken */
	struct sched_lock take_lock;	/* one taker at a time */
};

void inject_init(struct inject *in);
/* Any context. */
void inject_push(struct inject *in, struct task *t);
/* Any context: n tasks already linked first .. last through their links. */
void inject_push_chain(struct inject *in, struct task *first, struct task *last, uint32_t n);

/* A hint, without a lock: false means nothing was queued when we looked. */
static inline bool inject_has_tasks(struct inject *in)
{
	return atomic_load_explicit(&in->len, memory_order_acquire) != 0;
}

/* Workers: takes up to max tasks into out[], oldest first; returns how many.
 * Fewer than there are if a push is still in flight. */
uint32_t inject_take(struct inject *in, struct task **out, uint32_t max);

#endif
