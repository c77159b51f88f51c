/*
 * local_queue.c — see local_queue.h.
 *
 * Memory ordering, pair by pair:
 *   - The owner writes a slot, then stores tail with release; a thief loads
 *     tail with acquire before it reads slots below it.
 *   - Every change of head is a compare-and-swap with acquire-release: a
 *     thief's claim acquires the owner's earlier pops (so it claims only
 *     tasks still there), and its final "steal = real" releases its reads of
 *     the slots, which the owner acquires (lq_push loads head) before it
 *     writes those slots again.
 */
#include "sched/local_queue.h"

#include "sched/task.h"

void lq_init(struct local_queue *q)
{
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	for (uint32_t i = 0; i < LQ_SLOTS; i++)
		atomic_init(&q->slot[i], NULL);
}

static inline struct task *slot_get(struct local_queue *q, uint32_t pos)
{
	return atomic_load_explicit(&q->slot[pos & LQ_MASK], memory_order_relaxed);
}

static inline void slot_set(struct local_queue *q, uint32_t pos, struct task *t)
{
	atomic_store_explicit(&q->slot[pos & LQ_MASK], t, memory_order_relaxed);
}

struct task *lq_pop(struct local_queue *q)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire), next;
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);

	do {
		uint32_t steal = lq_steal_pos(head), real = lq_real(head);
		if (real == tail)
			return NULL;
		/* With no steal under way both move; else only real does, and
		 * the thief moves steal up when it is done. */
		next = steal == real ? lq_pack(real + 1, real + 1) : lq_pack(steal, real + 1);
	} while (!atomic_compare_exchange_weak_explicit(&q->head, &head, next,
							 memory_order_acq_rel,
							 memory_order_acquire));
	return slot_get(q, lq_real(next) - 1);
}

uint32_t lq_overflow(struct local_queue *q, struct task *t, struct task **first,
		     struct task **last)
{
	const uint32_t n = LQ_SLOTS / 2;
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	uint32_t real = lq_real(head);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);

	/* A thief is copying, or took some since lq_push() looked: the ring
	 * is (about to be) not full, so push again.  Taking half of a ring
	 * that is no longer full would take slots past the tail. */
	if (lq_steal_pos(head) != real || tail - real != LQ_SLOTS)
		return 0;
	if (!atomic_compare_exchange_strong_explicit(&q->head, &head,
						     lq_pack(real + n, real + n),
						     memory_order_acq_rel,
						     memory_order_acquire))
		return 0;
	/* The half is ours now: link it, oldest first, then t. */
	*first = slot_get(q, real);
	for (uint32_t i = 0; i < n; i++) {
		struct task *cur = slot_get(q, real + i);
		struct task *next = i + 1 < n ? slot_get(q, real + i + 1) : t;
		atomic_store_explicit(&cur->link.next, &next->link, memory_order_relaxed);
	}
	*last = t;
	return n + 1;
}

/* Claims half of src's tasks and copies them to dst from dst_tail on;
 * returns how many. */
static uint32_t claim_half(struct local_queue *src, struct local_queue *dst, uint32_t dst_tail)
{
	uint64_t prev = atomic_load_explicit(&src->head, memory_order_acquire), next;
	uint32_t n, first;

	do {
		uint32_t steal = lq_steal_pos(prev), real = lq_real(prev);
		uint32_t tail = atomic_load_explicit(&src->tail, memory_order_acquire);
		if (steal != real)
			return 0;	/* another thief is at work here */
		n = tail - real;
		n -= n / 2;
		if (n == 0 || n > LQ_SLOTS / 2)
			return 0;	/* empty, or a stale view */
		next = lq_pack(steal, real + n);
	} while (!atomic_compare_exchange_weak_explicit(&src->head, &prev, next,
							 memory_order_acq_rel,
							 memory_order_acquire));
	first = lq_steal_pos(next);
	for (uint32_t i = 0; i < n; i++)
		slot_set(dst, dst_tail + i, slot_get(src, first + i));
	/* Done copying: steal catches up with real (which the owner may have
	 * moved on meanwhile), and the owner may reuse the slots. */
	prev = next;
	do {
		next = lq_pack(lq_real(prev), lq_real(prev));
	} while (!atomic_compare_exchange_weak_explicit(&src->head, &prev, next,
							 memory_order_acq_rel,
							 memory_order_acquire));
	return n;
}

struct task *lq_steal_into(struct local_queue *src, struct local_queue *dst, uint32_t *n)
{
	uint32_t dst_tail = atomic_load_explicit(&dst->tail, memory_order_relaxed);
	uint32_t dst_steal = lq_steal_pos(atomic_load_explicit(&dst->head, memory_order_acquire));
	uint32_t got;

	*n = 0;
	if (dst_tail - dst_steal > LQ_SLOTS / 2)
		return NULL;	/* we have plenty; leave it to others */
	got = claim_half(src, dst, dst_tail);
	if (got == 0)
		return NULL;
	*n = got;
	/* The newest one we took runs now; the rest are ours to run or to be
	 * stolen from us in turn. */
	if (got > 1)
		atomic_store_explicit(&dst->tail, dst_tail + got - 1, memory_order_release);
	return slot_get(dst, dst_tail + got - 1);
}
