/*
 * executor.h — the waker-driven executor: a FIFO of ready tasks, one shared
 * stack, stackless tasks.
 *
 * A task is polled only after a wake put it on the run queue; a pending
 * task that nobody wakes costs nothing.  The kernel has one global executor
 * (executor_init / spawn / executor_run); tests may set up private instances
 * (executor_setup / spawn_on / executor_run_until_idle / executor_teardown).
 *
 * Contexts: wakes (waker_wake_by_ref, task_cancel, executor_timer_tick) are
 * safe from interrupt handlers and other host threads.  Everything else is
 * executor context: kernel_main or a task being polled.
 */
#ifndef COOP_SCHED_EXECUTOR_H
#define COOP_SCHED_EXECUTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/future.h"
#include "sched/ready_queue.h"
#include "sched/task.h"
#include "sched/task_table.h"
#include "sched/timer.h"

struct sched_stats {
	uint64_t polls;		/* future polls */
	uint64_t wakes;		/* polls owed to a wake (not a spawn or a cancel) */
	uint64_t idle_waits;	/* times the executor halted for an interrupt */
	uint64_t spawned, completed, cancelled;
	uint32_t live;		/* tasks spawned and not yet finished */
};

#define JOIN_QUEUES 16		/* join waiters, hashed by task id (task.c) */

struct executor {
	/* Per executor, not a shared static: a waker reaches its executor
	 * through its vtable pointer (container_of), so tasks need not store
	 * one.  Keeps the task header small. */
	struct waker_vtable waker_vt;
	/* Ready tasks, oldest first.  Wakes from interrupts and other threads
	 * land in rq; the executor moves them to `local`, behind what is
	 * there, before it adds anything itself.  So `local` holds every
	 * ready task in the order of its wake. */
	struct ready_queue rq;
	struct run_fifo local;
	struct timer_queue timers;
	struct waitq joiners[JOIN_QUEUES];
	/* Live tasks by slot (= id - 1), with their poll counts. */
	struct task_table table;
	struct task *current;		/* being polled, or NULL */
	bool current_woken;		/* current woke itself (a yield) */
	struct sched_stats stats;
	/* Test hook: called at the moment the executor has decided to halt
	 * (interrupts off, queue seen empty), just before it halts. */
	void (*idle_probe)(void *arg);
	void *idle_probe_arg;
};

/* ---- instances (tests) ---------------------------------------------------- */
void executor_setup(struct executor *ex);
/* Cancels every task, releases every reference the executor holds and frees
 * its memory.  Wakers held elsewhere must be dropped first. */
void executor_teardown(struct executor *ex);
/* Polls ready tasks (and expired timers) until none is left; never halts. */
void executor_run_until_idle(struct executor *ex);
/*
 * Runs like executor_run(), halting when idle, until done(arg) is true (checked
 * whenever the executor is idle).  Gives up and returns false after max_waits
 * halts, so a lost wakeup fails a test instead of hanging it.
 */
bool executor_run_until(struct executor *ex, bool (*done)(void *arg), void *arg,
			unsigned long max_waits);
/* O(1), IRQ-safe: advances the executor's clock (timer.h). */
void executor_timer_tick(struct executor *ex, uint64_t now_ms);
static inline struct timer_queue *executor_timers(struct executor *ex)
{
	return &ex->timers;
}
struct sched_stats executor_stats(struct executor *ex);

/*
 * Spawns a copy of the `size`-byte future *init (a struct whose first member
 * is struct future) and queues it for a first poll.  Executor context: from
 * kernel_main or from inside a task.  Returns a handle ({NULL} when out of
 * memory) that the caller must task_detach() eventually.
 */
struct task_handle spawn_on(struct executor *ex, const struct future *init, size_t size);
/* The same, without a handle: returns the task id, or 0 when out of memory. */
uint32_t spawn_detached_on(struct executor *ex, const struct future *init, size_t size);

/* Wakes t (queues it unless already queued or done).  Any context. */
void executor_wake_task(struct executor *ex, struct task *t);

/* Where join futures waiting for t wait (task.c). */
static inline struct waitq *executor_join_queue(struct executor *ex, const struct task *t)
{
	return &ex->joiners[t->slot % JOIN_QUEUES];
}

/* How often t was polled (wraps at 2^32).  t must be live. */
static inline uint32_t executor_task_polls(struct executor *ex, const struct task *t)
{
	return *task_table_polls(&ex->table, t->slot);
}

/* ---- the kernel's executor ------------------------------------------------ */
/* Sets up the global executor, its timers on the HAL's clock (tickless). */
void executor_init(void);
/* The HAL's clock and timer as a timer_clock, for executors of tests. */
extern const struct timer_clock sched_hal_clock;
struct executor *executor_global(void);
/* The executor running the current task, else the global one. */
struct executor *executor_current(void);
struct task_handle spawn(const struct future *init, size_t size);
/* `SPAWN(state)`: spawns a copy of the async state struct `state`. */
#define SPAWN(state) spawn(&(state).base, sizeof(state))
/* The kernel's idle loop: polls, and halts (sti;hlt) when nothing is ready. */
void executor_run(void) __attribute__((noreturn));
/* Called by the timer interrupt once the earliest deadline has come. */
void sched_timer_tick(uint64_t now_ms);
/* The task being polled now, or NULL outside any task. */
struct task *sched_current_task(void);

/* ---- listing (the `tasks` shell command) --------------------------------- */
enum task_run_state { TASK_RUNNING, TASK_READY, TASK_WAITING, TASK_CANCELLING };

struct task_info {
	uint32_t id;
	const char *name;	/* the future's ops name */
	enum task_run_state state;
	uint32_t polls;		/* wraps at 2^32 */
};

const char *task_run_state_name(enum task_run_state s);
/* Calls cb for every live task of ex, in table order.  cb must not spawn. */
void sched_for_each_task(struct executor *ex,
			 void (*cb)(const struct task_info *info, void *arg), void *arg);

#endif
