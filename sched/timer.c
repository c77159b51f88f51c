/*
 * timer.c — the timer queue (see timer.h) and the sleep future.
 */
#include "sched/timer.h"

#include "mm/heap.h"
#include "sched/executor.h"

void timerq_init(struct timer_queue *tq)
{
	tq->heap = NULL;
	tq->len = tq->cap = 0;
	tq->next_seq = 0;
	atomic_init(&tq->now_ms, 0);
	atomic_init(&tq->earliest, UINT64_MAX);
	atomic_init(&tq->due, false);
}

void timerq_destroy(struct timer_queue *tq)
{
	for (uint32_t i = 0; i < tq->len; i++)
		waker_drop(&tq->heap[i].waker);
	kfree(tq->heap);
	timerq_init(tq);
}

void timerq_tick(struct timer_queue *tq, uint64_t now_ms)
{
	atomic_store_explicit(&tq->now_ms, now_ms, memory_order_release);
	if (now_ms >= atomic_load_explicit(&tq->earliest, memory_order_acquire))
		atomic_store_explicit(&tq->due, true, memory_order_release);
}

static bool entry_before(const struct timer_entry *a, const struct timer_entry *b)
{
	return a->deadline < b->deadline ||
	       (a->deadline == b->deadline && a->seq < b->seq);
}

static void swap_entries(struct timer_entry *a, struct timer_entry *b)
{
	struct timer_entry t = *a;
	*a = *b;
	*b = t;
}

static void sift_up(struct timer_entry *h, uint32_t i)
{
	while (i > 0 && entry_before(&h[i], &h[(i - 1) / 2])) {
		swap_entries(&h[i], &h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct timer_entry *h, uint32_t len, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, min = i;
		if (l < len && entry_before(&h[l], &h[min]))
			min = l;
		if (r < len && entry_before(&h[r], &h[min]))
			min = r;
		if (min == i)
			return;
		swap_entries(&h[i], &h[min]);
		i = min;
	}
}

/* Publishes the new earliest deadline.  A tick that ran while the heap was
 * being changed compared `now` with the old value, so compare again here. */
static void update_earliest(struct timer_queue *tq)
{
	uint64_t e = tq->len ? tq->heap[0].deadline : UINT64_MAX;

	atomic_store_explicit(&tq->earliest, e, memory_order_release);
	if (timerq_now(tq) >= e)
		atomic_store_explicit(&tq->due, true, memory_order_release);
}

bool timerq_add(struct timer_queue *tq, uint64_t deadline, const struct waker *waker)
{
	if (tq->len == tq->cap) {
		uint32_t cap = tq->cap ? tq->cap * 2 : 16;
		struct timer_entry *h = krealloc(tq->heap, cap * sizeof(*h));
		if (!h)
			return false;
		tq->heap = h;
		tq->cap = cap;
	}
	tq->heap[tq->len] = (struct timer_entry){
		.deadline = deadline, .seq = tq->next_seq++, .waker = waker_clone(waker),
	};
	sift_up(tq->heap, tq->len++);
	update_earliest(tq);
	return true;
}

void timerq_run_expired(struct timer_queue *tq)
{
	uint64_t now;

	atomic_store_explicit(&tq->due, false, memory_order_relaxed);
	now = timerq_now(tq);
	while (tq->len && tq->heap[0].deadline <= now) {
		struct waker w = tq->heap[0].waker;
		tq->heap[0] = tq->heap[--tq->len];
		sift_down(tq->heap, tq->len, 0);
		waker_wake(&w);
	}
	update_earliest(tq);
}

/* ---- the sleep future --------------------------------------------------- */

static enum poll sleep_poll(struct future *f, struct context *cx)
{
	struct sleep_future *s = (struct sleep_future *)f;
	struct timer_queue *tq = executor_timers(cx->executor);

	if (!s->armed) {
		if (s->delay != UINT64_MAX) {	/* first poll of sleep_ms */
			/* The clock counts whole ticks: the true time may be up
			 * to one tick past `now`, so wait one more to never
			 * wake early (sleep_ms(0) still just yields a tick). */
			s->deadline = timerq_now(tq) + s->delay + 1;
			s->delay = UINT64_MAX;
		}
		if (timerq_now(tq) >= s->deadline)
			return POLL_READY;
		/* Out of memory: degrade to polling on every executor pass. */
		if (!timerq_add(tq, s->deadline, cx->waker)) {
			waker_wake_by_ref(cx->waker);
			return POLL_PENDING;
		}
		s->armed = true;
	}
	/* Spurious polls before the deadline keep the registered entry. */
	return timerq_now(tq) >= s->deadline ? POLL_READY : POLL_PENDING;
}

/* An abandoned sleep leaves its heap entry: it fires later as a stale wake,
 * which is harmless (see task.c), and is then freed. */
static const struct future_ops sleep_ops = { .name = "sleep", .poll = sleep_poll };

void sleep_ms_init(struct sleep_future *f, uint64_t ms)
{
	*f = (struct sleep_future){ .base = { &sleep_ops }, .delay = ms };
}

void sleep_until_init(struct sleep_future *f, uint64_t deadline_ms)
{
	*f = (struct sleep_future){
		.base = { &sleep_ops }, .deadline = deadline_ms, .delay = UINT64_MAX,
	};
}
