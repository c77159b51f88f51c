/*
 * channel.c — see channel.h.  A ring of items plus two wait queues.
 *
 * Each event wakes one waiter: an item sent wakes the oldest receiver, a slot
 * freed wakes the oldest sender.  A woken waiter that is dropped before it
 * ran (cancelled, a select loser) hands its wake to the next one, so the
 * event still reaches someone.  Draining n blocked senders costs O(n) polls.
 */
#include "sched/channel.h"

#include "kernel/lib/string.h"
#include "mm/heap.h"

bool chan_init(struct channel *ch, uint32_t item_size, uint32_t cap)
{
	*ch = (struct channel){ .item_size = item_size, .cap = cap };
	waitq_init(&ch->senders);
	waitq_init(&ch->receivers);
	ch->buf = cap ? kmalloc((size_t)item_size * cap) : NULL;
	return ch->buf != NULL;
}

void chan_close(struct channel *ch)
{
	ch->closed = true;
	waitq_wake_all(&ch->senders);
	waitq_wake_all(&ch->receivers);
}

void chan_destroy(struct channel *ch)
{
	chan_close(ch);
	kfree(ch->buf);
	ch->buf = NULL;
}

/* Item copies: the common sizes inline, the rest through memcpy. */
static inline void copy_item(void *dst, const void *src, uint32_t size)
{
	if (size == 8)
		__builtin_memcpy(dst, src, 8);
	else if (size == 4)
		__builtin_memcpy(dst, src, 4);
	else
		memcpy(dst, src, size);
}

static inline uint8_t *slot(struct channel *ch, uint32_t i)
{
	return ch->buf + (size_t)i * ch->item_size;
}

bool chan_try_send(struct channel *ch, const void *item)
{
	uint32_t at;

	if (ch->closed || ch->count == ch->cap)
		return false;
	at = ch->head + ch->count;
	if (at >= ch->cap)
		at -= ch->cap;
	copy_item(slot(ch, at), item, ch->item_size);
	ch->count++;
	waitq_wake_one(&ch->receivers);
	return true;
}

bool chan_try_recv(struct channel *ch, void *out)
{
	if (ch->count == 0)
		return false;
	copy_item(out, slot(ch, ch->head), ch->item_size);
	if (++ch->head == ch->cap)
		ch->head = 0;
	ch->count--;
	waitq_wake_one(&ch->senders);
	return true;
}

static enum poll chan_send_poll(struct future *f, struct context *cx)
{
	struct chan_send_future *s = (struct chan_send_future *)f;

	s->waiter.woken = false;	/* this poll answers the wake */
	if (s->ch->closed || chan_try_send(s->ch, s->item)) {
		s->ok = !s->ch->closed;
		waitq_remove(&s->waiter);
		return POLL_READY;
	}
	waitq_add(&s->ch->senders, &s->waiter, cx->waker);
	return POLL_PENDING;
}

static enum poll chan_recv_poll(struct future *f, struct context *cx)
{
	struct chan_recv_future *r = (struct chan_recv_future *)f;

	r->waiter.woken = false;
	r->ok = chan_try_recv(r->ch, r->out);
	if (r->ok || r->ch->closed) {
		waitq_remove(&r->waiter);
		return POLL_READY;
	}
	waitq_add(&r->ch->receivers, &r->waiter, cx->waker);
	return POLL_PENDING;
}

/* A dropped sender that was owed a wake passes it on while there is room. */
static void chan_send_drop(struct future *f)
{
	struct chan_send_future *s = (struct chan_send_future *)f;

	waitq_remove(&s->waiter);
	if (s->waiter.woken && !s->ch->closed && s->ch->count < s->ch->cap)
		waitq_wake_one(&s->ch->senders);
	s->waiter.woken = false;
}

static void chan_recv_drop(struct future *f)
{
	struct chan_recv_future *r = (struct chan_recv_future *)f;

	waitq_remove(&r->waiter);
	if (r->waiter.woken && r->ch->count > 0)
		waitq_wake_one(&r->ch->receivers);
	r->waiter.woken = false;
}

static const struct future_ops chan_send_ops = {
	.name = "chan_send", .poll = chan_send_poll, .drop = chan_send_drop,
};
static const struct future_ops chan_recv_ops = {
	.name = "chan_recv", .poll = chan_recv_poll, .drop = chan_recv_drop,
};

void chan_send_init(struct chan_send_future *f, struct channel *ch, const void *item)
{
	*f = (struct chan_send_future){ .base = { &chan_send_ops }, .ch = ch, .item = item };
}

void chan_recv_init(struct chan_recv_future *f, struct channel *ch, void *out)
{
	*f = (struct chan_recv_future){ .base = { &chan_recv_ops }, .ch = ch, .out = out };
}
