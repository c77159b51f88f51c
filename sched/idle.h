/*
 * idle.h — how a CPU with nothing to do goes to sleep, and how work that
 * arrives for it wakes it up.
 *
 * The sleep/IPI handshake (cpu_sleep), between a CPU about to halt and a
 * waker on another CPU, after redshirt's bare-metal executor:
 *
 *     idle CPU                          waker (another CPU)
 *     --------                          -------------------
 *     interrupts off                    publish the work (queue the task)
 *     sleeping = 1                      fence
 *     fence                             if sleeping and exchange(sleeping, 0)
 *     look for work: some? sleeping=0,        send the wake-up IPI
 *       interrupts on, go and run it
 *     none: sti; hlt (one step)
 *
 * The race it closes: the idle CPU looks for work and finds none, then the
 * waker queues a task and sees no one asleep, then the idle CPU halts; the
 * task waits for a wake-up that will never come.  Each side writes one word
 * and then reads the other's; without the fences, each read may be served
 * before its own write is visible to the other CPU (x86 lets a load pass an
 * earlier store through the store buffer), and both miss.  With a full
 * fence between the write and the read on both sides, at least one sees the
 * other's write: the idle CPU finds the work, or the waker finds it asleep.
 * Only the waker that wins the exchange sends an IPI, so a CPU that is
 * awake, or already signalled, gets none: no IPI storms.
 *
 * `sti; hlt` closes the other race, with interrupts on this CPU: an
 * interrupt that arrives after the look ends the halt instead of preceding
 * it.
 *
 * The idle set (struct idle), for executors with two or more workers, after
 * Tokio's idle.rs: how many workers are awake ("unparked") and how many of
 * those are searching other queues for work, packed in one atomic word; and
 * which workers are parked.  At most half the workers search at once
 * (searching costs other CPUs cache traffic), and a worker is woken only
 * when no one is searching: the searcher would find the work anyway.  A
 * parked worker is woken one at a time: the notifier takes it out of the set
 * and counts it as awake and searching before it even runs, so the next
 * notifier sees a searcher and leaves the rest asleep.  When the last
 * searcher gives up and parks, it looks at every queue once more and wakes
 * a worker if it sees work, so work is never left with everyone asleep.
 */
#ifndef COOP_SCHED_IDLE_H
#define COOP_SCHED_IDLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hal/hal.h"
#include "sched/lock.h"

/*
 * The fence of the idle side.  `make test-fence` builds the handshake test
 * with COOP_SCHED_NO_SLEEP_FENCE, which leaves only a compiler barrier
 * here, to show that the test catches the lost wake-up this fence prevents.
 * (The waker's fence is not the one to drop for that: on x86 the locked
 * instruction that queues the work is a full barrier already.)
 */
#ifdef COOP_SCHED_NO_SLEEP_FENCE
#define SLEEP_FENCE() atomic_signal_fence(memory_order_seq_cst)
#else
#define SLEEP_FENCE() atomic_thread_fence(memory_order_seq_cst)
#endif

struct cpu_sleep {
	_Atomic bool sleeping;	/* halted, or about to: wants an IPI */
	_Atomic unsigned cpu;	/* where to send it (set before sleeping) */
};

static inline unsigned sleep_cpu(struct cpu_sleep *s)
{
	return atomic_load_explicit(&s->cpu, memory_order_relaxed);
}

/* The CPU this sleeper halts on: set by its loop, before it ever sleeps. */
static inline void sleep_set_cpu(struct cpu_sleep *s, unsigned cpu)
{
	atomic_store_explicit(&s->cpu, cpu, memory_order_relaxed);
}

/* Idle side, interrupts off: say we are about to halt.  Then look for work
 * once more, and halt only if there is none (else sleep_cancel). */
static inline void sleep_announce(struct cpu_sleep *s)
{
	atomic_store_explicit(&s->sleeping, true, memory_order_relaxed);
	/* Pairs with the fence in wake_if_sleeping(): the look for work that
	 * follows must not be served before this store is visible. */
	SLEEP_FENCE();
}

/* Idle side: awake again (or never slept). */
static inline void sleep_cancel(struct cpu_sleep *s)
{
	atomic_store_explicit(&s->sleeping, false, memory_order_relaxed);
}

/* Waker side, after publishing the work: IPI the CPU if it sleeps and no one
 * else has signalled it yet.  Any context. */
static inline void wake_if_sleeping(struct cpu_sleep *s)
{
	/* Pairs with the fence in sleep_announce(): our work is visible
	 * before we read `sleeping`. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&s->sleeping, memory_order_relaxed) &&
	    atomic_exchange_explicit(&s->sleeping, false, memory_order_acq_rel))
		hal_cpu_wake(sleep_cpu(s));
}

/* One worker's place in the idle set. */
struct idle_member {
	unsigned index;			/* the worker's */
	_Atomic bool parked;		/* in the set: cleared by whoever wakes it */
	bool handed;			/* taken by idle_claim(), not idle_notify()
					 * (under the set's lock) */
	struct cpu_sleep sleep;
};

struct idle {
	_Atomic uint32_t state;		/* unparked << 16 | searching */
	unsigned nworkers;
	struct sched_lock lock;		/* the set; taken with interrupts off */
	uint64_t parked;		/* the set: a bit per parked worker */
	struct idle_member *member[HAL_MAX_CPUS];
};

void idle_init(struct idle *id, unsigned nworkers);
/* Becomes a searcher, unless half the workers search already. */
bool idle_start_search(struct idle *id);
/* Stops searching; true if it was the last searcher. */
bool idle_stop_search(struct idle *id);
/* Joins the parked set (and stops searching); true if it was the last
 * searcher, which must then look at every queue once more. */
bool idle_park(struct idle *id, struct idle_member *m, bool searching);
/* Leaves the set.  True if idle_notify() took it out first: then it is
 * counted as a searcher and must search.  False if it left on its own (an
 * interrupt woke it) or idle_claim() took it (a task is on its way to its
 * rq): then it is awake and not searching. */
bool idle_unpark(struct idle *id, struct idle_member *m);
/* Work was queued where any worker may take it: wakes a parked worker if
 * no one searches.  Any context. */
void idle_notify(struct idle *id);
/* Takes m out of the parked set (awake, not searching: it has work coming),
 * if it is parked; the caller then queues work for it and wakes it.  True
 * if it was parked: then this caller alone wakes it. */
bool idle_claim(struct idle *id, struct idle_member *m);
/* The cheap test that comes first: would idle_notify() wake anyone? */
bool idle_wants_notify(struct idle *id);

#endif
