/*
 * byte_stream.c — see byte_stream.h.
 */
#include "sched/byte_stream.h"

bool byte_stream_init(struct byte_stream *s, uint8_t *buf, uint32_t cap)
{
	atomic_waker_init(&s->reader);
	atomic_store(&s->dropped, 0);
	return byte_ring_init(&s->ring, buf, cap);
}

void byte_stream_push_irq(struct byte_stream *s, uint8_t byte)
{
	if (!byte_ring_push(&s->ring, byte))
		atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
	atomic_waker_wake(&s->reader);
}

bool byte_stream_has_room(struct byte_stream *s)
{
	return byte_ring_len(&s->ring) <= s->ring.mask;
}

bool byte_stream_read(struct byte_stream *s, uint8_t *out)
{
	return byte_ring_pop(&s->ring, out);
}

uint64_t byte_stream_dropped(struct byte_stream *s)
{
	return atomic_load_explicit(&s->dropped, memory_order_relaxed);
}

static enum poll wait_poll(struct future *f, struct context *cx)
{
	struct byte_stream_wait *w = (struct byte_stream_wait *)f;
	if (byte_ring_len(&w->s->ring))
		return POLL_READY;
	atomic_waker_register(&w->s->reader, cx->waker);
	/* A byte that arrived before the waker was stored woke nobody:
	 * look again now that it is. */
	return byte_ring_len(&w->s->ring) ? POLL_READY : POLL_PENDING;
}

/* The stream has one reader: a reader that stops waiting empties the slot,
 * so the slot no longer holds its task. */
static void wait_drop(struct future *f)
{
	atomic_waker_destroy(&((struct byte_stream_wait *)f)->s->reader);
}

static const struct future_ops wait_ops = {
	.name = "byte_stream_wait", .poll = wait_poll, .drop = wait_drop,
};

void byte_stream_wait_init(struct byte_stream_wait *f, struct byte_stream *s)
{
	f->base.ops = &wait_ops;
	f->s = s;
}
