/*
 * local_queue.h — a CPU's stealable run queue: a ring of 256 task pointers
 * with one owner (the CPU's worker) and any number of thieves (idle
 * workers), after Tokio's multi-thread scheduler (queue.rs).
 *
 *             steal   real                      tail
 *               |      |                          |
 *     ... ------+------+--------------------------+------ ...
 *               |claimed|  ready, oldest first     |  free
 *               | by a  |  (the owner pops here;   |  (the owner
 *               | thief |  thieves claim from here)|   pushes here)
 *
 * `head` packs two positions into one 64-bit word: `real`, the next task to
 * hand out, and `steal`, the start of a range a thief has claimed but not yet
 * copied (steal == real when no steal is under way).  So a thief claims half
 * of the queue with one compare-and-swap on head, copies the tasks out at
 * leisure, and then lets steal catch up with real; meanwhile the owner keeps
 * pushing and popping, but never reuses the claimed slots.  Positions are
 * 32-bit counters that wrap; a slot is position & 255.
 *
 * Owner operations: lq_push, lq_pop, lq_overflow.  Thieves: lq_steal_into
 * (into a queue the thief owns).  Anyone: lq_len (exact for the owner).
 */
#ifndef COOP_SCHED_LOCAL_QUEUE_H
#define COOP_SCHED_LOCAL_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct task;

#define LQ_SLOTS 256u
#define LQ_MASK (LQ_SLOTS - 1)

struct local_queue {
	_Atomic uint64_t head;		/* steal << 32 | real */
	_Atomic uint32_t tail;		/* written by the owner only */
	struct task *_Atomic slot[LQ_SLOTS];
} __attribute__((aligned(64)));

static inline uint32_t lq_real(uint64_t head) { return (uint32_t)head; }
static inline uint32_t lq_steal_pos(uint64_t head) { return (uint32_t)(head >> 32); }
static inline uint64_t lq_pack(uint32_t steal, uint32_t real)
{
	return (uint64_t)steal << 32 | real;
}

void lq_init(struct local_queue *q);

/* Tasks queued: exact for the owner, a snapshot for anyone else. */
static inline uint32_t lq_len(struct local_queue *q)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);

	return atomic_load_explicit(&q->tail, memory_order_acquire) - lq_real(head);
}

/* Owner: free slots (a thief's claimed range still counts as used). */
static inline uint32_t lq_free(struct local_queue *q)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);

	return LQ_SLOTS - (atomic_load_explicit(&q->tail, memory_order_relaxed) - lq_steal_pos(head));
}

/*
 * Owner: queues t at the back.  Plain loads and stores (a release store of
 * tail publishes the slot), no atomic instruction.  False when the ring is
 * full (counting slots a thief still copies): then lq_overflow().
 */
static inline bool lq_push(struct local_queue *q, struct task *t)
{
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	/* Acquire: a thief that finished copying released its slots with its
	 * last compare-and-swap on head; only then may we write them. */
	uint32_t steal = lq_steal_pos(atomic_load_explicit(&q->head, memory_order_acquire));

	if (tail - steal >= LQ_SLOTS)
		return false;
	atomic_store_explicit(&q->slot[tail & LQ_MASK], t, memory_order_relaxed);
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	return true;
}

/* Owner: the oldest task, or NULL.  One compare-and-swap (thieves move
 * head too). */
struct task *lq_pop(struct local_queue *q);

/*
 * Owner, after lq_push() found the ring full: takes the older half of it
 * (LQ_SLOTS / 2 tasks) out in one step and links them, oldest first, with t
 * last, through their run-queue links into *first .. *last, for the caller
 * to move to the inject queue in one push.  Returns how many (LQ_SLOTS/2 + 1),
 * or 0 if a thief moved head meanwhile: then push again.
 */
uint32_t lq_overflow(struct local_queue *q, struct task *t, struct task **first,
		     struct task **last);

/*
 * Thief: moves half of src's tasks (rounded up) into dst, which the caller
 * owns, and returns one of them to run at once (the newest it took); NULL
 * if src was empty, another thief was busy with it, or dst is more than
 * half full.  *n is set to how many were taken (0 .. 128).
 */
struct task *lq_steal_into(struct local_queue *src, struct local_queue *dst, uint32_t *n);

#endif
