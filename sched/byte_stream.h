/*
 * byte_stream.h — an interrupt-fed stream of bytes: the IRQ handler pushes
 * into a fixed-capacity lock-free ring and wakes the one task that reads.
 *
 * The IRQ side never blocks, allocates or prints: when the ring is full the
 * byte is dropped and counted, and the reading task reports the count.
 */
#ifndef COOP_SCHED_BYTE_STREAM_H
#define COOP_SCHED_BYTE_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/atomic_waker.h"
#include "sched/future.h"
#include "sched/ring.h"

struct byte_stream {
	struct byte_ring ring;
	struct atomic_waker reader;
	_Atomic uint64_t dropped;
};

/* cap must be a power of two; buf holds cap bytes. */
bool byte_stream_init(struct byte_stream *s, uint8_t *buf, uint32_t cap);
/* IRQ context (the only producer). */
void byte_stream_push_irq(struct byte_stream *s, uint8_t byte);
/* IRQ context: can one more byte be pushed without a drop? */
bool byte_stream_has_room(struct byte_stream *s);
/* Reader task.  False when empty. */
bool byte_stream_read(struct byte_stream *s, uint8_t *out);
uint64_t byte_stream_dropped(struct byte_stream *s);

/* READY once at least one byte can be read. */
struct byte_stream_wait {
	struct future base;
	struct byte_stream *s;
};

void byte_stream_wait_init(struct byte_stream_wait *f, struct byte_stream *s);

#endif
