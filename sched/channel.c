/*
 * channel.c — see channel.h.  A ring of items plus two wait queues.
 */
#include "sched/channel.h"

#include "kernel/lib/string.h"
#include "mm/heap.h"

bool chan_init(struct channel *ch, uint32_t item_size, uint32_t cap)
{
	*ch = (struct channel){ .item_size = item_size, .cap = cap };
	ch->buf = kmalloc((size_t)item_size * cap);
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

bool chan_try_send(struct channel *ch, const void *item)
{
	uint32_t at;

	if (ch->closed || ch->count == ch->cap)
		return false;
	at = (ch->head + ch->count) % ch->cap;
	memcpy(ch->buf + (size_t)at * ch->item_size, item, ch->item_size);
	ch->count++;
	waitq_wake_all(&ch->receivers);
	return true;
}

bool chan_try_recv(struct channel *ch, void *out)
{
	if (ch->count == 0)
		return false;
	memcpy(out, ch->buf + (size_t)ch->head * ch->item_size, ch->item_size);
	ch->head = (ch->head + 1) % ch->cap;
	ch->count--;
	waitq_wake_all(&ch->senders);
	return true;
}

static enum poll chan_send_poll(struct future *f, struct context *cx)
{
	struct chan_send_future *s = (struct chan_send_future *)f;

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

	r->ok = chan_try_recv(r->ch, r->out);
	if (r->ok || r->ch->closed) {
		waitq_remove(&r->waiter);
		return POLL_READY;
	}
	waitq_add(&r->ch->receivers, &r->waiter, cx->waker);
	return POLL_PENDING;
}

static void chan_send_drop(struct future *f)
{
	waitq_remove(&((struct chan_send_future *)f)->waiter);
}

static void chan_recv_drop(struct future *f)
{
	waitq_remove(&((struct chan_recv_future *)f)->waiter);
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
