/*
 * timer.c — the timer queue (see timer.h) and the sleep future.
 *
 * The tick (an interrupt, or another CPU) and the executor publish to each
 * other through two words: the tick stores `now` and then reads `earliest`,
 * the executor stores `earliest` and then reads `now`.  Either may raise
 * `due`.  With acquire/release alone both reads may return the value from
 * before the other side's store (each store can still sit in its CPU's store
 * buffer), and then nobody raises `due`: the store-buffering pattern.  A
 * sequentially consistent fence between the store and the load, on both
 * sides, guarantees that at least one of them sees the other's store.
 */
#include "sched/timer.h"

#include "mm/heap.h"
#include "sched/executor.h"

#define HEAP_MIN_CAP 16u

void timerq_init(struct timer_queue *tq)
{
	sched_lock_init(&tq->lock);
	tq->heap = NULL;
	tq->len = tq->cap = 0;
	tq->next_seq = 0;
	atomic_init(&tq->now_ms, 0);
	atomic_init(&tq->earliest, TIMER_NEVER);
	atomic_init(&tq->due, false);
	tq->clock = NULL;
	tq->armed_ms = TIMER_NEVER;
}

void timerq_set_clock(struct timer_queue *tq, const struct timer_clock *clock)
{
	tq->clock = clock;
	tq->armed_ms = TIMER_NEVER;
	if (clock && tq->len) {
		tq->armed_ms = tq->heap[0].deadline;
		clock->arm(tq->armed_ms);
	}
}

void timerq_destroy(struct timer_queue *tq)
{
	uint64_t now = timerq_now(tq);

	if (tq->clock && tq->armed_ms != TIMER_NEVER)
		tq->clock->arm(TIMER_NEVER);
	for (uint32_t i = 0; i < tq->len; i++) {
		tq->heap[i].node->index = TIMER_IDLE;
		waker_drop(&tq->heap[i].node->waker);
	}
	kfree(tq->heap);
	timerq_init(tq);
	atomic_store_explicit(&tq->now_ms, now, memory_order_relaxed);
}

bool timerq_tick(struct timer_queue *tq, uint64_t now_ms)
{
	atomic_store_explicit(&tq->now_ms, now_ms, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);	/* pairs with update_earliest */
	if (now_ms < atomic_load_explicit(&tq->earliest, memory_order_acquire))
		return false;
	atomic_store_explicit(&tq->due, true, memory_order_release);
	return true;
}

/* ---- the heap ----------------------------------------------------------- */

static bool slot_before(const struct timer_slot *a, const struct timer_slot *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/* Puts s at position i and tells its node where it is. */
static void place(struct timer_slot *h, uint32_t i, struct timer_slot s)
{
	h[i] = s;
	s.node->index = i;
}

static void sift_up(struct timer_slot *h, uint32_t i)
{
	struct timer_slot s = h[i];

	while (i > 0 && slot_before(&s, &h[(i - 1) / 2])) {
		place(h, i, h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(h, i, s);
}

static void sift_down(struct timer_slot *h, uint32_t len, uint32_t i)
{
	struct timer_slot s = h[i];

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, min = l;
		if (l >= len)
			break;
		if (r < len && slot_before(&h[r], &h[l]))
			min = r;
		if (!slot_before(&h[min], &s))
			break;
		place(h, i, h[min]);
		i = min;
	}
	place(h, i, s);
}

/* Resizes the array; on failure keeps the old one (the caller decides
 * whether that matters). */
static bool resize(struct timer_queue *tq, uint32_t cap)
{
	struct timer_slot *h = krealloc(tq->heap, (size_t)cap * sizeof(*h));

	if (!h)
		return false;
	tq->heap = h;
	tq->cap = cap;
	return true;
}

/* Publishes the new earliest deadline.  A tick that ran while the heap was
 * being changed compared `now` with the old value, so compare again here. */
static void update_earliest(struct timer_queue *tq)
{
	uint64_t e = tq->len ? tq->heap[0].deadline : TIMER_NEVER;

	atomic_store_explicit(&tq->earliest, e, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);	/* pairs with timerq_tick */
	if (tq->clock && e != tq->armed_ms) {
		tq->armed_ms = e;
		tq->clock->arm(e);
	}
	if (timerq_now(tq) >= e)
		atomic_store_explicit(&tq->due, true, memory_order_release);
}

bool timerq_add(struct timer_queue *tq, struct timer_node *node, uint64_t deadline,
		const struct waker *waker)
{
	bool locked = sched_lock(&tq->lock);

	if (tq->len == tq->cap) {
		/* Doubling a capacity of 2^31 would wrap to 0. */
		if (tq->cap > UINT32_MAX / 2 ||
		    !resize(tq, tq->cap ? tq->cap * 2 : HEAP_MIN_CAP)) {
			sched_unlock(&tq->lock, locked);
			return false;
		}
	}
	node->waker = waker_clone(waker);	/* takes a reference, frees nothing */
	node->tq = tq;
	tq->heap[tq->len] = (struct timer_slot){
		.deadline = deadline, .seq = tq->next_seq++, .node = node,
	};
	sift_up(tq->heap, tq->len++);
	update_earliest(tq);
	sched_unlock(&tq->lock, locked);
	return true;
}

/* Takes the entry at i out of the heap; its node keeps its waker. */
static void take(struct timer_queue *tq, uint32_t i)
{
	struct timer_slot last = tq->heap[--tq->len];

	tq->heap[i].node->index = TIMER_IDLE;
	if (i < tq->len) {
		place(tq->heap, i, last);
		sift_up(tq->heap, i);
		sift_down(tq->heap, tq->len, last.node->index);
	}
}

/* Gives memory back once the heap is three quarters empty. */
static void maybe_shrink(struct timer_queue *tq)
{
	if (tq->cap > HEAP_MIN_CAP && tq->len < tq->cap / 4)
		resize(tq, tq->cap / 2);
}

static __attribute__((noinline)) void remove_locked(struct timer_queue *tq,
						       struct timer_node *node)
{
	struct waker w;
	bool locked = sched_lock(&tq->lock);

	if (!timer_queued(node)) {	/* it fired: most sleeps end so */
		sched_unlock(&tq->lock, locked);
		return;
	}
	take(tq, node->index);
	w = node->waker;
	node->waker.vtable = NULL;
	maybe_shrink(tq);
	update_earliest(tq);
	sched_unlock(&tq->lock, locked);
	waker_drop(&w);		/* may free a task: outside the lock */
}

void timerq_remove(struct timer_node *node)
{
	/* One CPU: a sleep that fired (the usual end of one) is out of the
	 * heap already, and no one else can be changing that: the short way
	 * out, with no lock to look at. */
	if (node->tq && (sched_smp() || timer_queued(node)))
		remove_locked(node->tq, node);
}

enum { EXPIRE_BATCH = 16 };

/* Under the lock: takes up to EXPIRE_BATCH expired entries' wakers. */
static unsigned take_expired(struct timer_queue *tq, struct waker *out)
{
	uint64_t now = timerq_now(tq);
	unsigned n = 0;

	while (n < EXPIRE_BATCH && tq->len && tq->heap[0].deadline <= now) {
		struct timer_node *node = tq->heap[0].node;

		out[n++] = node->waker;
		take(tq, 0);
		node->waker.vtable = NULL;
	}
	if (n < EXPIRE_BATCH) {
		maybe_shrink(tq);
		update_earliest(tq);
	}
	return n;
}

/* One CPU: nothing else touches the heap, and a wake only queues its task,
 * so each expired entry is woken as it is taken, with no batch. */
static void run_expired_alone(struct timer_queue *tq)
{
	uint64_t now;

	atomic_store_explicit(&tq->due, false, memory_order_relaxed);
	now = timerq_now(tq);
	while (tq->len && tq->heap[0].deadline <= now) {
		struct timer_node *node = tq->heap[0].node;
		struct waker w = node->waker;

		take(tq, 0);
		node->waker.vtable = NULL;
		waker_wake(&w);	/* may free the node's memory: last */
	}
	maybe_shrink(tq);
	update_earliest(tq);
}

void timerq_run_expired(struct timer_queue *tq)
{
	struct waker batch[EXPIRE_BATCH];
	bool locked = sched_smp();
	unsigned n;

	if (!locked) {
		run_expired_alone(tq);
		return;
	}
	/* Another CPU holds the heap: if it runs the expired entries, there is
	 * nothing for us to do; if it adds or removes one, `due` stays up and
	 * we come back. */
	if (locked && !sched_lock_try(&tq->lock))
		return;
	atomic_store_explicit(&tq->due, false, memory_order_relaxed);
	for (;;) {
		n = take_expired(tq, batch);
		sched_unlock(&tq->lock, locked);
		/* Consuming wakes may free tasks, and with them the nodes:
		 * after unlocking, and after the nodes were let go. */
		for (unsigned i = 0; i < n; i++)
			waker_wake(&batch[i]);
		if (n < EXPIRE_BATCH)
			return;
		locked = sched_lock(&tq->lock);
	}
}

/* ---- the sleep future --------------------------------------------------- */

/* now + ms + 1, or TIMER_NEVER if that passes the end of the clock.  The
 * clock counts whole ticks: the true time may be up to one tick past `now`,
 * so wait one more to never wake early (sleep_ms(0) still yields a tick). */
static uint64_t deadline_after(uint64_t now, uint64_t ms)
{
	uint64_t d;

	if (__builtin_add_overflow(now, ms, &d) || __builtin_add_overflow(d, 1, &d))
		return TIMER_NEVER;
	return d;
}

static enum poll sleep_poll(struct future *f, struct context *cx)
{
	struct sleep_future *s = (struct sleep_future *)f;
	struct timer_queue *tq = executor_timers(cx->executor);
	uint64_t now = timerq_now(tq);

	if (!s->started) {
		s->deadline = deadline_after(now, s->ms);
		s->started = true;
	}
	if (s->deadline != TIMER_NEVER && now >= s->deadline) {
		if (s->armed)
			timerq_remove(&s->timer);	/* if it has not fired */
		return POLL_READY;
	}
	if (s->deadline == TIMER_NEVER || s->armed)
		return POLL_PENDING;	/* never, or already registered */
	/* Out of memory: degrade to polling on every executor pass. */
	if (timerq_add(tq, &s->timer, s->deadline, cx->waker))
		s->armed = true;
	else
		waker_wake_by_ref(cx->waker);
	return POLL_PENDING;
}

static void sleep_drop(struct future *f)
{
	struct sleep_future *s = (struct sleep_future *)f;

	if (s->armed)
		timerq_remove(&s->timer);
}

static const struct future_ops sleep_ops = {
	.name = "sleep", .poll = sleep_poll, .drop = sleep_drop,
};

void sleep_ms_init(struct sleep_future *f, uint64_t ms)
{
	*f = (struct sleep_future){
		.base = { &sleep_ops }, .ms = ms, .timer = { .index = TIMER_IDLE },
	};
}

void sleep_until_init(struct sleep_future *f, uint64_t deadline_ms)
{
	*f = (struct sleep_future){
		.base = { &sleep_ops }, .deadline = deadline_ms, .started = true,
		.timer = { .index = TIMER_IDLE },
	};
}
