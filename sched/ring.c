/*
 * ring.c — see ring.h.  head and tail run freely (wrapping at 2^32) and are
 * masked on access, so full (head - tail == cap) and empty (head == tail) are
 * told apart without a wasted slot.  Each side publishes its index with a
 * release store after touching the data, and reads the other side's index
 * with an acquire load before touching it.
 */
#include "sched/ring.h"

bool byte_ring_init(struct byte_ring *r, uint8_t *buf, uint32_t cap)
{
	if (cap == 0 || (cap & (cap - 1)) != 0)
		return false;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->mask = cap - 1;
	r->buf = buf;
	return true;
}

bool byte_ring_push(struct byte_ring *r, uint8_t byte)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (head - tail > r->mask)
		return false;
	r->buf[head & r->mask] = byte;
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

bool byte_ring_pop(struct byte_ring *r, uint8_t *out)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	if (head == tail)
		return false;
	*out = r->buf[tail & r->mask];
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

uint32_t byte_ring_len(struct byte_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}
