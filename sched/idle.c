/*
 * idle.c — the idle set; see idle.h.
 */
#include "sched/idle.h"

#include <stddef.h>

#define SEARCHING_MASK 0xffffu
#define UNPARKED_ONE (1u << 16)

static inline uint32_t searching(uint32_t s) { return s & SEARCHING_MASK; }
static inline uint32_t unparked(uint32_t s) { return s >> 16; }

void idle_init(struct idle *id, unsigned nworkers)
{
	atomic_init(&id->state, nworkers * UNPARKED_ONE);
	id->nworkers = nworkers;
	sched_lock_init(&id->lock);
	id->parked = 0;
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		id->member[i] = NULL;
}

bool idle_start_search(struct idle *id)
{
	uint32_t s = atomic_load_explicit(&id->state, memory_order_seq_cst);

	/* A check, then an add: two workers may pass together, so "half" is
	 * a soft limit, as in Tokio.  Not worth a loop. */
	if (2 * searching(s) >= id->nworkers)
		return false;
	atomic_fetch_add_explicit(&id->state, 1, memory_order_seq_cst);
	return true;
}

bool idle_stop_search(struct idle *id)
{
	return searching(atomic_fetch_sub_explicit(&id->state, 1, memory_order_seq_cst)) == 1;
}

/* The set changes with interrupts off: idle_notify() may run in an
 * interrupt handler on this CPU. */
static hal_irqflags_t lock_set(struct idle *id)
{
	hal_irqflags_t f = hal_irq_save();

	sched_lock_take(&id->lock);
	return f;
}

static void unlock_set(struct idle *id, hal_irqflags_t f)
{
	sched_lock_give(&id->lock);
	hal_irq_restore(f);
}

bool idle_park(struct idle *id, struct idle_member *m, bool was_searching)
{
	hal_irqflags_t f = lock_set(id);
	uint32_t prev;

	id->parked |= 1ull << m->index;
	atomic_store_explicit(&m->parked, true, memory_order_relaxed);
	/* seq_cst: a notifier that reads the state after this sees us
	 * parked; one that read it before queued its work before, and the
	 * last searcher's look at the queues (which follows) finds it. */
	prev = atomic_fetch_sub_explicit(&id->state,
					 UNPARKED_ONE + (was_searching ? 1 : 0),
					 memory_order_seq_cst);
	unlock_set(id, f);
	return was_searching && searching(prev) == 1;
}

bool idle_unpark(struct idle *id, struct idle_member *m)
{
	hal_irqflags_t f = lock_set(id);
	bool self = atomic_load_explicit(&m->parked, memory_order_relaxed);
	bool search = !self && !m->handed;

	if (self) {
		id->parked &= ~(1ull << m->index);
		atomic_store_explicit(&m->parked, false, memory_order_relaxed);
		atomic_fetch_add_explicit(&id->state, UNPARKED_ONE, memory_order_seq_cst);
	}
	m->handed = false;
	unlock_set(id, f);
	return search;
}

static bool should_wake(const struct idle *id, uint32_t s)
{
	return searching(s) == 0 && unparked(s) < id->nworkers;
}

bool idle_wants_notify(struct idle *id)
{
	return should_wake(id, atomic_load_explicit(&id->state, memory_order_relaxed));
}

/* Under the lock: takes parked member i out of the set, awake from now on,
 * before it even runs.  A notified one (search) counts as a searcher at once,
 * so the next notifier sees one and leaves the rest asleep; a handed one
 * (idle_claim) does not: it has its task, searches nothing for it, and must
 * not hold the "at most half search" limit against workers that would. */
static struct idle_member *take_parked(struct idle *id, unsigned i, bool search)
{
	struct idle_member *m = id->member[i];

	id->parked &= ~(1ull << i);
	atomic_fetch_add_explicit(&id->state, UNPARKED_ONE + (search ? 1 : 0),
				  memory_order_seq_cst);
	atomic_store_explicit(&m->parked, false, memory_order_relaxed);
	m->handed = !search;
	return m;
}

bool idle_claim(struct idle *id, struct idle_member *m)
{
	hal_irqflags_t f = lock_set(id);
	bool parked = atomic_load_explicit(&m->parked, memory_order_relaxed);

	if (parked)
		take_parked(id, m->index, false);
	unlock_set(id, f);
	return parked;
}

void idle_notify(struct idle *id)
{
	struct idle_member *m = NULL;
	hal_irqflags_t f;

	/* Pairs with idle_park(): the work we queued is visible before we
	 * read the state, so a worker we do not see parked will see it. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!should_wake(id, atomic_load_explicit(&id->state, memory_order_seq_cst)))
		return;
	f = lock_set(id);
	/* Check again under the lock: another notifier may have woken one. */
	if (id->parked && should_wake(id, atomic_load_explicit(&id->state, memory_order_relaxed)))
		m = take_parked(id, (unsigned)__builtin_ctzll(id->parked), true);
	unlock_set(id, f);
	if (m)
		wake_if_sleeping(&m->sleep);
}
