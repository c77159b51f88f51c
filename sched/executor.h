/*
 * executor.h — the waker-driven executor: one scheduler, one worker per CPU,
 * stackless tasks that share each CPU's stack.
 *
 * A task is polled only after a wake queued it; a pending task that nobody
 * wakes costs nothing.  An executor has one worker per CPU it runs on, and a
 * task may run on any of them, on one at a time: the SCHEDULED bit of its
 * state word (task.h) is the token.
 *
 *                    wake from an interrupt on this CPU
 *                                  |
 *       CPU 0                      v                 CPU 1
 *  +-----------------+   rq (lock-free, IRQ-safe)  +-----------------+
 *  | LIFO slot  [t9] |<-- wake from this CPU       | LIFO slot  [ ]  |
 *  | local queue     |                             | local queue     |
 *  | [t1 t2 t3 t4 ]--+----- steal half (one CAS) ->| [t3 t4]         |
 *  +--------+--------+                             +--------+--------+
 *           | overflow (half)      spawn / wake from        ^
 *           v                      outside the workers      | every 61 polls,
 *     +-----------------------------------------+           | or when empty
 *     |          inject queue (global)          |-----------+
 *     +-----------------------------------------+
 *      wake for a halted CPU: queue first, then the IPI (idle.h)
 *
 * Where a woken task goes:
 *   - the task being polled wakes itself (a yield): a plain flag, and after
 *     the poll it goes to the back of the local queue, behind the ready ones;
 *   - woken by another task on this CPU, or spawned here: the LIFO slot, so
 *     it runs next while what its waker touched is still in the cache (at
 *     most LIFO_POLLS in a row, then the back of the queue); the task it
 *     displaces goes to the back of the local queue;
 *   - woken by an interrupt handler: that CPU's rq, which its worker moves
 *     to its local queue; the interrupt itself ended any halt;
 *   - from anywhere else (a thread or CPU that runs no worker of this
 *     executor): the inject queue, and a parked worker is woken if no one
 *     is searching.
 * An idle worker takes from the inject queue, then steals half of another
 * worker's local queue, then parks and halts (idle.h).
 *
 * With one worker (one CPU, cpus=1, and the private instances of tests) no
 * other CPU can steal or race, so the worker keeps every ready task in one
 * plain FIFO, in wake order, and the paths stay free of atomic instructions
 * where they were: no LIFO slot, no ring, no inject queue, no locks.
 *
 * Contexts: wakes (waker_wake_by_ref, task_cancel, executor_timer_tick) are
 * safe from interrupt handlers, other CPUs and other host threads.
 * Everything else is executor context: kernel_main or a task being polled.
 */
#ifndef COOP_SCHED_EXECUTOR_H
#define COOP_SCHED_EXECUTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/future.h"
#include "sched/idle.h"
#include "sched/inject.h"
#include "sched/local_queue.h"
#include "sched/lock.h"
#include "sched/ready_queue.h"
#include "sched/task.h"
#include "sched/task_table.h"
#include "sched/timer.h"

struct sched_stats {
	uint64_t polls;		/* future polls */
	uint64_t wakes;		/* polls owed to a wake (not a spawn or a cancel) */
	uint64_t idle_waits;	/* times a worker halted for an interrupt */
	uint64_t sleeps;	/* times a worker said it would halt (idle.h) */
	uint64_t steals;	/* successful steals from another worker */
	uint64_t stolen;	/* tasks taken by them */
	uint64_t spawned, completed, cancelled;
	uint32_t live;		/* tasks spawned and not yet finished */
};

/* One CPU's counters, written by its worker alone (stat_add, worker.h: no
 * atomic instruction).  With two or more workers anyone may read them, with
 * relaxed loads; with one, only the executor's own context does. */
struct worker_stats {
	uint64_t polls, wakes, sleeps, halts, steals, stolen, spawned, completed, cancelled;
};

struct executor;

/* One executor per CPU: what the CPU runs, and the tasks spawned there. */
struct worker {
	struct executor *ex;
	unsigned index;			/* = the CPU it runs on (one worker: any) */
	/* Ready tasks; a task is in at most one of these. */
	struct run_fifo fifo;		/* one worker: all of them, in wake order */
	struct local_queue *lq;		/* two or more: stealable */
	struct task *lifo;		/* two or more: woken last, runs next */
	struct ready_queue rq;		/* woken by interrupt handlers here (one
					 * worker: by anyone but itself) */
	/* The poll in progress. */
	struct task *_Atomic current;
	bool current_woken;		/* current woke itself (a yield); false
					 * between polls */
	/* Finding work. */
	bool searching;
	uint32_t tick, lifo_polls, seed;
	struct idle_member idle;	/* sleep/IPI handshake, idle set */
	/* The tasks spawned here; ids = their slots, interleaved by CPU.  Its
	 * own cache line: every CPU that polls one of these tasks reads
	 * table.chunks, which shared a line with `current` and the counters
	 * above, written on every poll here; two workers polling each other's
	 * tasks tripled the cost of a poll (yield_many on 2 workers: 22-27 ns
	 * per yield, 9-13 ns once apart). */
	struct task_table table __attribute__((aligned(64)));
	struct sched_lock table_lock;
	/* Apart from table_lock, which another CPU takes to retire a task. */
	struct worker_stats stats __attribute__((aligned(64)));
	/* executor_call_cpu(): set by anyone, taken by this worker's loop. */
	_Atomic bool call_pending;
	/* executor_run_until()'s stop test: also checked just before halting. */
	bool (*done)(void *arg);
	void *done_arg;
} __attribute__((aligned(64)));	/* a cache line of its own: no false sharing */

/* What other CPUs read per poll is not on a line this worker writes per poll. */
_Static_assert(offsetof(struct worker, table) / 64 != offsetof(struct worker, current) / 64 &&
	       offsetof(struct worker, table) / 64 != offsetof(struct worker, tick) / 64,
	       "a worker's task table shares a cache line with its per-poll fields");

#define JOIN_QUEUES 16		/* join waiters, hashed by task id (task.c) */

struct join_queue {
	struct sched_lock lock;
	struct waitq q;
};

struct executor {
	/* Per executor, not a shared static: a waker reaches its executor
	 * through its vtable pointer (container_of), so tasks need not store
	 * one.  Keeps the task header small. */
	struct waker_vtable waker_vt;
	struct waker_vtable claimed_vt;	/* a wake begun under a lock ... */
	struct waker_vtable claimed_here_vt;	/* ... by this CPU's worker */
	unsigned nworkers;
	unsigned shard_bits;		/* task slot = table slot << bits | worker */
	struct worker *workers;		/* [nworkers]; &solo with one */
	void *alloc;			/* what holds workers and their queues */
	struct inject inject;		/* two or more workers */
	struct idle idle;		/* two or more workers */
	struct timer_queue timers;	/* one for all workers */
	_Atomic uint64_t spawned_outside;	/* by threads that run no worker */
	struct join_queue joiners[JOIN_QUEUES];
	_Atomic uint32_t joins_waiting;	/* join futures that may wait (task.c) */
	/* Test hook: called at the moment a worker has decided to halt
	 * (interrupts off, queue seen empty), just before it halts. */
	void (*idle_probe)(void *arg);
	void *idle_probe_arg;
	/* What a worker runs when executor_call_cpu() asked it to. */
	void (*cpu_call)(unsigned cpu);
	struct worker solo;
};

/* ---- instances (tests) ---------------------------------------------------- */
/* One worker: an executor for the CPU that runs it. */
void executor_setup(struct executor *ex);
/* n workers, for CPUs 0 .. n-1 (n <= HAL_MAX_CPUS).  False if out of
 * memory or n is out of range.  The CPUs may come up later (the kernel
 * sizes its executor before it starts the other CPUs): a worker whose CPU
 * does not run yet holds no tasks, and no one sends it an IPI, since it
 * never said it sleeps.  hal_cpu_count() may grow only while no CPU is
 * inside sched/ code (sched_lock() decides by it whether to lock). */
bool executor_setup_workers(struct executor *ex, unsigned n);
/* Cancels every task, releases every reference the executor holds and frees
 * its memory.  No worker may be running; wakers held elsewhere must be
 * dropped first. */
void executor_teardown(struct executor *ex);
/* This CPU's worker polls ready tasks (and expired timers; with more workers,
 * the inject queue and others' queues) until it finds none; never halts. */
void executor_run_until_idle(struct executor *ex);
/*
 * This CPU's worker runs like executor_run(), halting when idle, until
 * done(arg) is true (checked whenever the worker is idle, and just before it
 * halts: whoever makes it true must executor_kick()).  Gives up and returns
 * false after max_waits halts, so a lost wakeup fails a test instead of
 * hanging it.
 */
bool executor_run_until(struct executor *ex, bool (*done)(void *arg), void *arg,
			unsigned long max_waits);
/* Wakes every halted worker, to look at its done() test again. */
void executor_kick(struct executor *ex);
/*
 * Work for one CPU in particular (the kernel's smp_call()): the worker of
 * `cpu` calls ex->cpu_call(cpu) from its loop, in executor context on that
 * CPU (so a spawn there starts there), once for any number of calls made
 * before it looks; woken with an IPI if it sleeps.  Any context.  False if
 * ex has no worker for `cpu`.  A task cannot be pinned to a CPU (any worker
 * may steal it); this is the way to run code on a given one.
 */
bool executor_call_cpu(struct executor *ex, unsigned cpu);
/* O(1), IRQ-safe: advances the executor's clock (timer.h), and wakes a
 * worker to run the timers that came due, if none is awake to see it. */
void executor_timer_tick(struct executor *ex, uint64_t now_ms);
static inline struct timer_queue *executor_timers(struct executor *ex)
{
	return &ex->timers;
}
/* Sums over the workers.  A snapshot while they run.  With one worker, from
 * the executor's own context only (its counters are plain: worker.h). */
struct sched_stats executor_stats(struct executor *ex);
/* One worker's counters. */
struct sched_stats executor_worker_stats(struct executor *ex, unsigned worker);
/* Slots in the task tables' chunks (memory the tables hold). */
uint32_t executor_table_slots(struct executor *ex);

/*
 * Spawns a copy of the `size`-byte future *init (a struct whose first member
 * is struct future) and queues it for a first poll: on this CPU's worker if
 * it runs one of ex's, else on the inject queue.  Executor context: from
 * kernel_main or from inside a task (with two or more workers, any thread).
 * Returns a handle ({NULL} when out of memory) that the caller must
 * task_detach() eventually.
 */
struct task_handle spawn_on(struct executor *ex, const struct future *init, size_t size);
/* The same, without a handle: returns the task id, or 0 when out of memory. */
uint32_t spawn_detached_on(struct executor *ex, const struct future *init, size_t size);

/* Wakes t (queues it unless already queued or done).  Any context. */
void executor_wake_task(struct executor *ex, struct task *t);

/* Where join futures waiting for t wait (task.c). */
static inline struct join_queue *executor_join_queue(struct executor *ex, const struct task *t)
{
	return &ex->joiners[t->slot % JOIN_QUEUES];
}

/* How often t was polled (wraps at 2^32).  t must be live. */
uint32_t executor_task_polls(struct executor *ex, const struct task *t);

/* ---- the kernel's executor ------------------------------------------------ */
/* One worker for each of ncpus CPUs (the boot CPU and those the kernel
 * will start: executor_setup_workers); the timers on the HAL's clock
 * (tickless).  ncpus = 1: one worker, the single-CPU paths. */
void executor_init(unsigned ncpus);
/* The HAL's clock and timer as a timer_clock, for executors of tests. */
extern const struct timer_clock sched_hal_clock;
struct executor *executor_global(void);
/* The executor running the current task, else the global one. */
struct executor *executor_current(void);
struct task_handle spawn(const struct future *init, size_t size);
/* `SPAWN(state)`: spawns a copy of the async state struct `state`. */
#define SPAWN(state) spawn(&(state).base, sizeof(state))
/* The idle loop of this CPU's worker: polls, steals, and halts (sti;hlt)
 * when nothing is ready.  Every CPU ends here. */
void executor_run(void) __attribute__((noreturn));
/* Called by the timer interrupt once the earliest deadline has come. */
void sched_timer_tick(uint64_t now_ms);
/* The task being polled now on this CPU, or NULL outside any task. */
struct task *sched_current_task(void);

/* ---- listing (the `tasks` shell command) --------------------------------- */
enum task_run_state { TASK_RUNNING, TASK_READY, TASK_WAITING, TASK_CANCELLING };

struct task_info {
	uint32_t id;
	const char *name;	/* the future's ops name */
	enum task_run_state state;
	uint32_t polls;		/* wraps at 2^32 */
	unsigned cpu;		/* spawned here, or polled here last */
};

const char *task_run_state_name(enum task_run_state s);
/* Calls cb for every live task of ex, CPU by CPU (where each was spawned),
 * in slot order.  It runs with no lock held; it must not spawn. */
void sched_for_each_task(struct executor *ex,
			 void (*cb)(const struct task_info *info, void *arg), void *arg);

#endif
