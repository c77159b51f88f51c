/*
 * channel.c — see channel.h.  A ring of items plus two wait queues, under
 * one lock.
 *
 * Each event wakes one waiter: an item sent wakes the oldest receiver, a slot
 * freed wakes the oldest sender.  A woken waiter that is dropped before it
 * ran (cancelled, a select loser) hands its wake to the next one, so the
 * event still reaches someone.  Draining n blocked senders costs O(n) polls.
 *
 * Every operation is written once, with `smp` as a parameter: with other
 * CPUs running it takes the lock, begins the wake it causes under it and
 * ends it after unlocking (waitq.h); with one CPU it takes no lock and wakes
 * at once.  The public functions pick the variant (sched_smp()), and as the
 * helpers are always inlined, the single-CPU variant compiles without a
 * trace of the lock.
 */
#include "sched/channel.h"

#include "kernel/lib/string.h"
#include "mm/heap.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

bool chan_init(struct channel *ch, uint32_t item_size, uint32_t cap)
{
	*ch = (struct channel){ .item_size = item_size, .cap = cap };
	sched_lock_init(&ch->lock);
	waitq_init(&ch->senders);
	waitq_init(&ch->receivers);
	ch->buf = cap ? kmalloc((size_t)item_size * cap) : NULL;
	return ch->buf != NULL;
}

static ALWAYS_INLINE void lock(struct channel *ch, bool smp)
{
	if (smp)
		sched_lock_take(&ch->lock);
}

/* Unlocks, then ends the wake begun under the lock (if any).  Without the
 * lock the wake happened at once (waitq.h): nothing is left to do. */
static ALWAYS_INLINE void unlock_and_wake(struct channel *ch, bool smp, struct waker *wake)
{
	if (smp) {
		sched_lock_give(&ch->lock);
		waker_wake_end(wake);
	}
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
		n = waitq_wake_if(q, NULL, NULL, locked, w, CLOSE_BATCH);
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

/* Under the lock.  On success *wake is the receiver's wake. */
static ALWAYS_INLINE bool send_locked(struct channel *ch, const void *item, bool smp,
				      struct waker *wake)
{
	uint32_t at;

	if (ch->closed || ch->count == ch->cap)
		return false;
	at = ch->head + ch->count;
	if (at >= ch->cap)
		at -= ch->cap;
	copy_item(slot(ch, at), item, ch->item_size);
	ch->count++;
	*wake = waitq_wake_one(&ch->receivers, smp);
	return true;
}

/* Under the lock.  On success *wake is the sender's wake. */
static ALWAYS_INLINE bool recv_locked(struct channel *ch, void *out, bool smp,
				      struct waker *wake)
{
	if (ch->count == 0)
		return false;
	copy_item(out, slot(ch, ch->head), ch->item_size);
	if (++ch->head == ch->cap)
		ch->head = 0;
	ch->count--;
	*wake = waitq_wake_one(&ch->senders, smp);
	return true;
}

static ALWAYS_INLINE bool try_send(struct channel *ch, const void *item, bool smp)
{
	struct waker wake = { 0 };
	bool ok;

	lock(ch, smp);
	ok = send_locked(ch, item, smp, &wake);
	unlock_and_wake(ch, smp, &wake);
	return ok;
}

static ALWAYS_INLINE bool try_recv(struct channel *ch, void *out, bool smp)
{
	struct waker wake = { 0 };
	bool ok;

	lock(ch, smp);
	ok = recv_locked(ch, out, smp, &wake);
	unlock_and_wake(ch, smp, &wake);
	return ok;
}

/* The variants with the lock, out of line: then the single-CPU variant,
 * inlined into the public function, saves no registers for them. */
static __attribute__((noinline)) bool try_send_smp(struct channel *ch, const void *item)
{
	return try_send(ch, item, true);
}

static __attribute__((noinline)) bool try_recv_smp(struct channel *ch, void *out)
{
	return try_recv(ch, out, true);
}

bool chan_try_send(struct channel *ch, const void *item)
{
	return sched_smp() ? try_send_smp(ch, item) : try_send(ch, item, false);
}

bool chan_try_recv(struct channel *ch, void *out)
{
	return sched_smp() ? try_recv_smp(ch, out) : try_recv(ch, out, false);
}

static ALWAYS_INLINE enum poll send_poll(struct chan_send_future *s, struct context *cx, bool smp)
{
	struct channel *ch = s->ch;
	struct waker wake = { 0 };
	enum poll r = POLL_READY;

	lock(ch, smp);
	s->waiter.woken = false;	/* this poll answers the wake */
	if (ch->closed || send_locked(ch, s->item, smp, &wake)) {
		s->ok = !ch->closed;
		waitq_remove(&s->waiter);
	} else {
		waitq_add(&ch->senders, &s->waiter, cx->waker);
		r = POLL_PENDING;
	}
	unlock_and_wake(ch, smp, &wake);
	return r;
}

static ALWAYS_INLINE enum poll recv_poll(struct chan_recv_future *r, struct context *cx, bool smp)
{
	struct channel *ch = r->ch;
	struct waker wake = { 0 };
	enum poll res = POLL_READY;

	lock(ch, smp);
	r->waiter.woken = false;
	r->ok = recv_locked(ch, r->out, smp, &wake);
	if (r->ok || ch->closed) {
		waitq_remove(&r->waiter);
	} else {
		waitq_add(&ch->receivers, &r->waiter, cx->waker);
		res = POLL_PENDING;
	}
	unlock_and_wake(ch, smp, &wake);
	return res;
}

static __attribute__((noinline)) enum poll send_poll_smp(struct chan_send_future *s,
							   struct context *cx)
{
	return send_poll(s, cx, true);
}

static __attribute__((noinline)) enum poll recv_poll_smp(struct chan_recv_future *r,
							   struct context *cx)
{
	return recv_poll(r, cx, true);
}

static enum poll chan_send_poll(struct future *f, struct context *cx)
{
	struct chan_send_future *s = (struct chan_send_future *)f;

	return sched_smp() ? send_poll_smp(s, cx) : send_poll(s, cx, false);
}

static enum poll chan_recv_poll(struct future *f, struct context *cx)
{
	struct chan_recv_future *r = (struct chan_recv_future *)f;

	return sched_smp() ? recv_poll_smp(r, cx) : recv_poll(r, cx, false);
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
		wake = waitq_wake_one(&ch->senders, locked);
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
		wake = waitq_wake_one(&ch->receivers, locked);
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
