/*
 * ring.h — a lock-free single-producer single-consumer byte ring.
 *
 * For scancodes and serial bytes: the interrupt handler is the only producer,
 * a task the only consumer.  Fixed capacity (a power of two), no allocation.
 * A push into a full ring fails instead of overwriting, so the handler can
 * count what it dropped.
 */
#ifndef COOP_SCHED_RING_H
#define COOP_SCHED_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct byte_ring {
	_Atomic uint32_t head;	/* next write, owned by the producer */
	_Atomic uint32_t tail;	/* next read, owned by the consumer */
	uint32_t mask;
	uint8_t *buf;
};

/* cap must be a power of two; buf holds cap bytes.  False if cap is bad. */
bool byte_ring_init(struct byte_ring *r, uint8_t *buf, uint32_t cap);
/* Producer only (IRQ-safe).  False when full. */
bool byte_ring_push(struct byte_ring *r, uint8_t byte);
/* Consumer only.  False when empty. */
bool byte_ring_pop(struct byte_ring *r, uint8_t *out);
/* Either side; exact for the side that calls it. */
uint32_t byte_ring_len(struct byte_ring *r);

#endif
