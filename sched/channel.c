/*
 * channel.c — see channel.h.  A ring of items plus two wait queues, under
 * one lock.
 *
 * Each event wakes one waiter: an item sent wakes the oldest receiver, a slot
 * freed wakes the oldest sender.  A woken waiter that is dropped before it
 * ran (cancelled, a select loser) hands its wake to the next one, so the
 * event still reaches someone.  Draining n blocked senders costs O(n) polls.
 *
 * Every public function takes the lock once, does its work with the
 * *_locked helpers, and ends the wake it began after unlocking.
 */
#include "sched/channel.h"

#include "kernel/lib/string.h"
#include "mm/heap.h"

bool chan_init(struct channel *ch, uint32_t item_size, uint32_t cap)
{
	*ch = (struct channel){ .item_size = item_size, .cap = cap };
	sched_lock_init(&ch->lock);
	waitq_init(&ch->senders);
	waitq_init(&ch->receivers);
	ch->buf = cap ? kmalloc((size_t)item_size * cap) : NULL;
	return ch->buf != NULL;
}

enum { CLOSE_BATCH = 16 };

/* Wakes every waiter of q, a batch at a time: the wakers are held only under
 * the lock, and the wakes end outside it. */
static void wake_all(struct channel *ch, struct waitq *q)
{
	struct waker w[CLOSE_BATCH];
	unsigned n;

	do {
		bool locked = sched_lock(&ch->lock);
		n = waitq_wake_begin_if(q, NULL, NULL, w, CLOSE_BATCH);
		sched_unlock(&ch->lock, locked);
		waitq_wake_end(w, n);
	} while (n == CLOSE_BATCH);
}

void chan_close(struct channel *ch)
{
	bool locked = sched_lock(&ch->lock);

	ch->closed = true;
	sched_unlock(&ch->lock, locked);
	wake_all(ch, &ch->senders);
	wake_all(ch, &ch->receivers);
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

/* Under the lock.  On success *wake is the receiver to wake. */
static bool try_send_locked(struct channel *ch, const void *item, struct waker *wake)
{
	uint32_t at;

	if (ch->closed || ch->count == ch->cap)
		return false;
	at = ch->head + ch->count;
	if (at >= ch->cap)
		at -= ch->cap;
	copy_item(slot(ch, at), item, ch->item_size);
	ch->count++;
	*wake = waitq_wake_one_begin(&ch->receivers);
	return true;
}

/* Under the lock.  On success *wake is the sender to wake. */
static bool try_recv_locked(struct channel *ch, void *out, struct waker *wake)
{
	if (ch->count == 0)
		return false;
	copy_item(out, slot(ch, ch->head), ch->item_size);
	if (++ch->head == ch->cap)
		ch->head = 0;
	ch->count--;
	*wake = waitq_wake_one_begin(&ch->senders);
	return true;
}

bool chan_try_send(struct channel *ch, const void *item)
{
	struct waker wake = { 0 };
	bool locked = sched_lock(&ch->lock);
	bool ok = try_send_locked(ch, item, &wake);

	sched_unlock(&ch->lock, locked);
	waker_wake_end(&wake);
	return ok;
}

bool chan_try_recv(struct channel *ch, void *out)
{
	struct waker wake = { 0 };
	bool locked = sched_lock(&ch->lock);
	bool ok = try_recv_locked(ch, out, &wake);

	sched_unlock(&ch->lock, locked);
	waker_wake_end(&wake);
	return ok;
}

static enum poll chan_send_poll(struct future *f, struct context *cx)
{
	struct chan_send_future *s = (struct chan_send_future *)f;
	struct channel *ch = s->ch;
	struct waker wake = { 0 };
	bool locked = sched_lock(&ch->lock);
	enum poll r = POLL_READY;

	s->waiter.woken = false;	/* this poll answers the wake */
	if (ch->closed || try_send_locked(ch, s->item, &wake)) {
		s->ok = !ch->closed;
		waitq_remove(&s->waiter);
	} else {
		waitq_add(&ch->senders, &s->waiter, cx->waker);
		r = POLL_PENDING;
	}
	sched_unlock(&ch->lock, locked);
	waker_wake_end(&wake);
	return r;
}

static enum poll chan_recv_poll(struct future *f, struct context *cx)
{
	struct chan_recv_future *r = (struct chan_recv_future *)f;
	struct channel *ch = r->ch;
	struct waker wake = { 0 };
	bool locked = sched_lock(&ch->lock);
	enum poll res = POLL_READY;

	r->waiter.woken = false;
	r->ok = try_recv_locked(ch, r->out, &wake);
	if (r->ok || ch->closed) {
		waitq_remove(&r->waiter);
	} else {
		waitq_add(&ch->receivers, &r->waiter, cx->waker);
		res = POLL_PENDING;
	}
	sched_unlock(&ch->lock, locked);
	waker_wake_end(&wake);
	return res;
}

/* A dropped sender that was owed a wake passes it on while there is room. */
static void chan_send_drop(struct future *f)
{
	struct chan_send_future *s = (struct chan_send_future *)f;
	struct channel *ch = s->ch;
	struct waker wake = { 0 };
	bool locked = sched_lock(&ch->lock);

	waitq_remove(&s->waiter);
	if (s->waiter.woken && !ch->closed && ch->count < ch->cap)
		wake = waitq_wake_one_begin(&ch->senders);
	s->waiter.woken = false;
	sched_unlock(&ch->lock, locked);
	waker_wake_end(&wake);
}

static void chan_recv_drop(struct future *f)
{
	struct chan_recv_future *r = (struct chan_recv_future *)f;
	struct channel *ch = r->ch;
	struct waker wake = { 0 };
	bool locked = sched_lock(&ch->lock);

	waitq_remove(&r->waiter);
	if (r->waiter.woken && ch->count > 0)
		wake = waitq_wake_one_begin(&ch->receivers);
	r->waiter.woken = false;
	sched_unlock(&ch->lock, locked);
	waker_wake_end(&wake);
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
