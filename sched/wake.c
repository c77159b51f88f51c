/*
 * wake.c — task wakers: how a wake, from any CPU or interrupt handler,
 * becomes exactly one queue entry.
 *
 *   the task being polled wakes itself (a yield): set current_woken, a
 *     plain flag; the worker queues it after the poll, behind the others
 *   other wakes: one compare-and-swap on the state word
 *     S clear: set S, and queue it (worker.c): this CPU's LIFO slot from a
 *       task here, this CPU's rq from an interrupt handler here, the inject
 *       queue from anywhere else
 *     S set: set N (it is queued or being polled: its next poll is still
 *       to come); nothing else
 *
 * S stays set while the task is polled, so a yield needs no atomic
 * instruction at all, and a task is on at most one CPU at a time however
 * many CPUs wake it: S is the token, and whoever sets it queues the task.
 * The state machine is drawn in task.h.
 */
#include "sched/worker.h"

#include "hal/hal.h"

static struct executor *executor_of(const struct waker *w)
{
	return container_of(w->vtable, struct executor, waker_vt);
}

/* Sets S (true: the caller queues t) or, if t is queued or being polled
 * already, N (its next poll is still to come).  False if t is over. */
static bool claim(struct task *t)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), set;

	do {
		if (old & (TASK_DONE | TASK_NOTIFIED))
			return false;	/* over, or already sure to be polled again */
		set = old & TASK_SCHEDULED ? TASK_NOTIFIED : TASK_SCHEDULED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, old | set,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	return set == TASK_SCHEDULED;
}

/* Not in ex's loop here: this CPU's worker of ex if an interrupt handler
 * interrupted it, else NULL (another thread, another executor's loop). */
static inline struct worker *irq_here(const struct executor *ex)
{
	struct worker *w = sched_running;

	return w && w->ex == ex ? w : NULL;
}

/* Any wake but a yield.  Out of line, so that the yield path below needs
 * no registers saved. */
static __attribute__((noinline)) void wake_queued(struct executor *ex, struct worker *w,
						  struct task *t)
{
	if (!claim(t))
		return;
	if (!w)
		worker_queue_remote(ex, irq_here(ex), t);
	else if (worker_current(w) || !worker_queue_to_last_cpu(w, t))
		worker_queue_local(w, t);	/* from a task here: hot in this cache */
}

/* One worker, whose loop runs on this CPU: its FIFO.  No one else to
 * notify. */
static __attribute__((noinline)) void wake_queued_solo(struct worker *w, struct task *t)
{
	if (claim(t)) {
		drain_rq_to_fifo(w);
		fifo_push(&w->fifo, &t->link);
	}
}

/* The same from an interrupt handler that interrupted that loop: its rq,
 * which the loop looks at when the handler returns; the interrupt itself
 * ended any halt. */
static __attribute__((noinline)) void wake_from_irq_solo(struct worker *w, struct task *t)
{
	if (claim(t))
		rq_push(&w->rq, &t->link);
}

static inline __attribute__((always_inline)) void wake_task(struct executor *ex, struct task *t)
{
	struct worker *w;

	if (solo_here(ex)) {	/* first, so the one-CPU path is one compare */
		if (hal_in_interrupt())
			wake_from_irq_solo(&ex->solo, t);
		else if (t == worker_current(&ex->solo))
			ex->solo.current_woken = true;	/* a yield: queued after the poll */
		else
			wake_queued_solo(&ex->solo, t);
		return;
	}
	w = worker_here(ex);
	if (w && t == worker_current(w))
		w->current_woken = true;
	else
		wake_queued(ex, w, t);
}

void executor_wake_task(struct executor *ex, struct task *t)
{
	wake_task(ex, t);
}

static struct waker task_waker_clone(const struct waker *w)
{
	task_ref(w->data);
	return *w;
}

static void task_waker_wake_by_ref(const struct waker *w)
{
	wake_task(executor_of(w), w->data);
}

static void task_waker_wake(struct waker *w)
{
	task_waker_wake_by_ref(w);
	task_unref(w->data);
}

static void task_waker_drop(struct waker *w)
{
	task_unref(w->data);
}

/* The first half of a wake under a lock (future.h): the claim.  Once S is
 * ours the task cannot end before we queue it, so no reference is taken. */
static struct waker task_waker_wake_begin(const struct waker *w)
{
	struct executor *ex = executor_of(w);
	struct task *t = w->data;
	struct worker *here = worker_here(ex);

	if (here && t == worker_current(here)) {
		here->current_woken = true;
		return (struct waker){ 0 };
	}
	if (!claim(t))
		return (struct waker){ 0 };
	/* The second half runs in this same context: it may already know
	 * that it will queue on this CPU's worker. */
	return (struct waker){ .data = t, .vtable = here ? &ex->claimed_here_vt : &ex->claimed_vt };
}

/* The second half, after unlocking.  A claimed wake is ended by wake, or by
 * drop: either way the task is queued, never lost. */
static void claimed_wake(struct waker *w)
{
	struct executor *ex = container_of(w->vtable, struct executor, claimed_vt);

	worker_queue_remote(ex, irq_here(ex), w->data);
}

static void claimed_wake_here(struct waker *w)
{
	worker_queue_local(sched_running, w->data);
}

void wake_setup(struct executor *ex)
{
	ex->waker_vt = (struct waker_vtable){
		.clone = task_waker_clone,
		.wake = task_waker_wake,
		.wake_by_ref = task_waker_wake_by_ref,
		.drop = task_waker_drop,
		.wake_begin = task_waker_wake_begin,
	};
	ex->claimed_vt = (struct waker_vtable){ .wake = claimed_wake, .drop = claimed_wake };
	ex->claimed_here_vt = (struct waker_vtable){
		.wake = claimed_wake_here, .drop = claimed_wake_here,
	};
}
