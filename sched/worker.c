/*
 * worker.c — each CPU's executor loop: queue, poll, find work, steal, park.
 * The picture is in executor.h, the wakes that feed the queues in wake.c.
 *
 * Where a worker looks for its next task, in order:
 *   1. timers that came due (one queue for all workers: timer.h);
 *   2. tasks woken by interrupt handlers on this CPU (rq), which move to the
 *      back of the local queue;
 *   3. every INJECT_INTERVAL polls, the inject queue first, so a busy local
 *      queue cannot starve it;
 *   4. the LIFO slot (at most LIFO_POLLS times in a row), then the local
 *      queue, oldest first;
 *   5. the inject queue;
 *   6. the other workers' local queues, stealing half of one (if at most
 *      half the workers search already);
 *   7. nothing: park, look once more with interrupts off, and halt (idle.h).
 * With one worker, only 1, 2 (into the FIFO), 4 (the FIFO) and 7, and the
 * poll is compiled separately for that case (task_poll's `solo`).
 */
#include "sched/worker.h"

#include "hal/hal.h"

HAL_PER_CPU __typeof__(struct worker *) sched_running;

#define INJECT_INTERVAL 61	/* polls between looks at the inject queue (as Tokio) */
#define LIFO_POLLS 3		/* LIFO-slot polls in a row before the queue's turn */
#define INJECT_BATCH 64		/* most tasks taken from the inject queue at once */

/* ---- queueing (two or more workers; one worker: worker.h) ---------------------- */

/* Two or more: the back of the local queue; when it is full, half of it
 * and t go to the inject queue, for anyone. */
static void push_back(struct worker *w, struct task *t)
{
	struct task *first, *last;
	uint32_t n;

	while (!lq_push(w->lq, t)) {
		n = lq_overflow(w->lq, t, &first, &last);
		if (n) {
			inject_push_chain(&w->ex->inject, first, last, n);
			idle_notify(&w->ex->idle);
			return;
		}
	}
}

/*
 * w has more ready tasks than the one it runs next: wake a parked worker to
 * steal some, unless one is searching already.  No fence here: a worker
 * that parks just now and is missed loses a chance to help, not a task,
 * since w runs whatever it queued; the inject queue and interrupt wakes,
 * which no one else would run, always take the fenced path.
 */
static inline void offer_work(struct worker *w)
{
	if (!w->searching && lq_len(w->lq) + (w->lifo != NULL) > 1 &&
	    idle_wants_notify(&w->ex->idle))
		idle_notify(&w->ex->idle);
}

/*
 * Work for an idle CPU.  A parked worker runs nothing until it is woken and
 * steals, and short tasks are usually all run by the worker that queued them
 * before a thief is even awake: `spawn 4` of sleeping demo tasks on four
 * CPUs ran all four on one, and as the timer wakes each where its queue is
 * run, they stayed there.  So a task may go straight to a parked worker, as
 * Linux places a new task on an idle CPU at fork, and a woken one on its
 * previous CPU if that is idle.  The worker is claimed first (idle_claim:
 * out of the parked set, so it gets one task this way; awake, but not a
 * searcher, as it has its work); then the task goes to its rq and the
 * handshake of idle.h wakes it: the task is in the rq before the worker's
 * look before halting, or the worker is seen asleep and sent an IPI.  A
 * plain load decides; nothing atomic unless a worker is parked.
 */
static bool hand_off(struct worker *w, struct task *t, struct worker *to)
{
	if (to == w || !atomic_load_explicit(&to->idle.parked, memory_order_relaxed) ||
	    !idle_claim(&w->ex->idle, &to->idle))
		return false;
	rq_push(&to->rq, &t->link);
	wake_if_sleeping(&to->idle.sleep);
	return true;
}

bool worker_queue_spawn_shared(struct worker *w, struct task *t)
{
	struct executor *ex = w->ex;

	/* The first task spawned runs next here (the LIFO slot), as before. */
	if (w->lifo)
		for (unsigned i = 1; i < ex->nworkers; i++)
			if (hand_off(w, t, &ex->workers[(w->index + i) % ex->nworkers]))
				return true;
	worker_queue_local_shared(w, t);
	return false;
}

bool worker_queue_to_last_cpu(struct worker *w, struct task *t)
{
	struct executor *ex = w->ex;
	uint32_t slot;
	struct worker *home = home_of(ex, t, &slot);
	unsigned cpu = atomic_load_explicit(task_table_cpu(&home->table, slot),
					    memory_order_relaxed);

	return cpu < ex->nworkers && hand_off(w, t, &ex->workers[cpu]);
}

void worker_queue_local_shared(struct worker *w, struct task *t)
{
	struct task *prev = w->lifo;

	w->lifo = t;
	if (prev) {
		push_back(w, prev);
		offer_work(w);
	}
}

void worker_queue_yielded_shared(struct worker *w, struct task *t)
{
	push_back(w, t);
	offer_work(w);
}

void worker_queue_remote(struct executor *ex, struct worker *irq_here, struct task *t)
{
	struct worker *solo = &ex->solo;

	if (irq_here) {
		/* The interrupted loop looks at rq when the handler returns,
		 * and if it was halted, the interrupt ended the halt. */
		rq_push(&irq_here->rq, &t->link);
	} else if (executor_solo(ex)) {
		rq_push(&solo->rq, &t->link);
		wake_if_sleeping(&solo->idle.sleep);
	} else {
		inject_push(&ex->inject, t);
		idle_notify(&ex->idle);
	}
}

static void table_remove(struct executor *ex, struct task *t)
{
	uint32_t slot;
	struct worker *home;
	bool locked;

	home = home_of(ex, t, &slot);
	locked = sched_lock(&home->table_lock);
	task_table_remove(&home->table, slot);
	sched_unlock(&home->table_lock, locked);
}

/* ---- polling ---------------------------------------------------------------- */

/* The task is over: it leaves its table, its joiners wake, and the executor
 * drops its reference.  The caller has set TASK_DONE, so the wakes this
 * causes cannot queue it again.  w counts it (the worker that ended it).
 * solo: a constant where this is inlined (task_poll). */
static inline __attribute__((always_inline)) void retire(struct executor *ex, struct worker *w,
							  struct task *t, bool cancelled,
							  bool solo)
{
	if (cancelled) {
		future_drop(task_future(t));
		stat_add(&w->stats.cancelled, 1, solo);
	} else {
		stat_add(&w->stats.completed, 1, solo);
	}
	if (solo)
		task_table_remove(&w->table, t->slot);	/* one table, no other CPU */
	else
		table_remove(ex, t);
	/* DONE was set seq_cst (task_finish) before this load: see task.c
	 * for why no join can be missed when the count is zero. */
	if (atomic_load_explicit(&ex->joins_waiting, memory_order_seq_cst))
		task_wake_joiners(ex, t);
	task_unref(t);
}

void task_retire(struct worker *w, struct task *t, bool cancelled)
{
	retire(w->ex, w, t, cancelled, executor_solo(w->ex));
}

/* Ends t.  Finished (READY): DONE goes on and a cancel that came during
 * the last poll comes off, in one step, so that a task whose output is
 * valid never reports a cancel.  Cancelled: DONE joins the cancel bit. */
static inline __attribute__((always_inline)) void task_finish(struct executor *ex,
							       struct worker *w, struct task *t,
							       bool cancelled, bool solo)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), new;

	/* seq_cst: pairs with the count of waiting joins (task.c). */
	do {
		new = cancelled ? old | TASK_DONE : (old | TASK_DONE) & ~TASK_CANCELLED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, new,
							 memory_order_seq_cst,
							 memory_order_relaxed));
	retire(ex, w, t, cancelled, solo);
}

/* Out of line, so that the poll loop keeps no state in registers for them
 * (the compiler would hold the table's address across the poll). */
static __attribute__((noinline)) void finish_ready(struct executor *ex, struct worker *w,
						    struct task *t, bool solo)
{
	task_finish(ex, w, t, false, solo);
}

/* Rare: out of line too. */
static __attribute__((noinline)) void finish_cancelled(struct executor *ex, struct worker *w,
							struct task *t)
{
	task_finish(ex, w, t, true, executor_solo(ex));
}

/* Yielded, or woken during its poll: the back of w's queue.  solo is a
 * constant where this is inlined: no test of the executor's size. */
static inline __attribute__((always_inline)) void requeue(struct worker *w, struct task *t,
							   bool solo)
{
	if (solo) {
		drain_rq_to_fifo(w);
		fifo_push(&w->fifo, &t->link);
	} else {
		worker_queue_yielded_shared(w, t);
	}
}

/* After a PENDING poll: wait for the next wake, unless one came during the
 * poll (NOTIFIED), which the poll may have missed: then go round again.
 * Clearing S hands the token back: from here on another CPU may queue and
 * poll the task. */
static inline __attribute__((always_inline)) void task_park(struct worker *w, struct task *t,
							     bool solo)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), new;

	do {
		new = old & TASK_NOTIFIED ? old & ~TASK_NOTIFIED : old & ~TASK_SCHEDULED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, new,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	if (old & TASK_NOTIFIED)
		requeue(w, t, solo);
}

/* What a poll is given: the task's waker and the context.  Set up once per
 * loop (futures only read them); only the waker's task changes per poll. */
struct poll_args {
	struct waker wk;
	struct context cx;
};

static inline void poll_args_init(struct poll_args *a, struct executor *ex)
{
	a->wk = (struct waker){ .vtable = &ex->waker_vt };
	a->cx = (struct context){ .waker = &a->wk, .executor = ex };
}

/*
 * Polls t on w, ex's worker.  Inlined twice, for one worker (solo: the
 * constant lets the compiler drop what only many workers need, and w is
 * &ex->solo, no load away from ex) and for many.
 */
static inline __attribute__((always_inline)) void task_poll(struct executor *ex, struct worker *w,
							     struct task *t, struct poll_args *a,
							     bool solo)
{
	uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire), slot;
	struct worker *home = solo ? w : home_of(ex, t, &slot);
	uint32_t *count;
	enum poll r;

	if (solo)
		slot = t->slot;		/* one table: the slot is the table's */
	/* Woken again while it sat in the queue: this poll answers that wake
	 * too.  (Only the rare case pays for an atomic instruction.) */
	if (st & TASK_NOTIFIED)
		st = atomic_fetch_and_explicit(&t->state, ~TASK_NOTIFIED, memory_order_acq_rel);
	if (st & TASK_CANCELLED) {
		finish_cancelled(ex, w, t);
		return;
	}
	/* Every queue entry came from a spawn or from exactly one wake, so
	 * wakes are counted here, without work in the wake path: every poll
	 * but a task's first answers a wake.  The count is ours while S is. */
	count = task_table_polls(&home->table, slot);
	stat_add(&w->stats.wakes, *count != 0, solo);
	if (solo)
		(*count)++;	/* read only in this context (task_table.h) */
	else
		__atomic_store_n(count, *count + 1, __ATOMIC_RELAXED);
	stat_add(&w->stats.polls, 1, solo);
	if (!solo)
		atomic_store_explicit(task_table_cpu(&home->table, slot), (uint8_t)w->index,
				      memory_order_relaxed);
	atomic_store_explicit(&w->current, t, memory_order_relaxed);
	a->wk.data = t;
	r = future_poll(task_future(t), &a->cx);
	atomic_store_explicit(&w->current, NULL, memory_order_relaxed);
	/* current_woken is false between polls: it is cleared where it may
	 * have been set, so the usual poll (no yield) does not store it. */
	if (r == POLL_READY) {
		w->current_woken = false;
		finish_ready(ex, w, t, solo);
	} else if (w->current_woken) {
		w->current_woken = false;
		requeue(w, t, solo);	/* yielded: still scheduled */
	} else {
		task_park(w, t, solo);
	}
}

/* ---- finding work (two or more workers) ---------------------------------------- */

static void drain_rq_to_queue(struct worker *w)
{
	struct rq_node *n;

	while ((n = rq_pop(&w->rq)))
		push_back(w, task_of(n));
}

/* A fair share of the inject queue: one task to run, the rest queued here. */
static struct task *take_inject(struct worker *w)
{
	struct executor *ex = w->ex;
	struct task *batch[INJECT_BATCH];
	uint32_t want, got;

	if (!inject_has_tasks(&ex->inject))
		return NULL;
	want = atomic_load_explicit(&ex->inject.len, memory_order_relaxed) / ex->nworkers + 1;
	if (want > INJECT_BATCH)
		want = INJECT_BATCH;
	if (want > lq_free(w->lq) + 1)
		want = lq_free(w->lq) + 1;
	got = inject_take(&ex->inject, batch, want);
	for (uint32_t i = 1; i < got; i++)
		lq_push(w->lq, batch[i]);	/* room was checked */
	return got ? batch[0] : NULL;
}

static struct task *next_local(struct worker *w)
{
	struct task *t = w->lifo;

	if (t) {
		w->lifo = NULL;
		if (w->lifo_polls++ < LIFO_POLLS)
			return t;
		push_back(w, t);	/* its turns are up: behind the others */
	}
	w->lifo_polls = 0;
	return lq_pop(w->lq);
}

/* xorshift32, for a victim to start from. */
static uint32_t next_random(struct worker *w)
{
	uint32_t x = w->seed;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return w->seed = x;
}

static struct task *steal(struct worker *w)
{
	struct executor *ex = w->ex;
	unsigned n = ex->nworkers, start;

	if (!w->searching) {
		if (!idle_start_search(&ex->idle))
			return NULL;	/* half the workers search already */
		w->searching = true;
	}
	start = next_random(w) % n;
	for (unsigned i = 0; i < n; i++) {
		unsigned v = (start + i) % n;
		uint32_t got;
		struct task *t;
		if (v == w->index)
			continue;
		t = lq_steal_into(ex->workers[v].lq, w->lq, &got);
		if (t) {
			stat_add(&w->stats.steals, 1, false);
			stat_add(&w->stats.stolen, got, false);
			return t;
		}
	}
	return take_inject(w);
}

/* executor_call_cpu() asked this worker to run ex->cpu_call. */
static void answer_call(struct worker *w)
{
	if (atomic_load_explicit(&w->call_pending, memory_order_relaxed) &&
	    atomic_exchange_explicit(&w->call_pending, false, memory_order_acquire) &&
	    w->ex->cpu_call)
		w->ex->cpu_call(w->index);
}

static struct task *next_task_shared(struct worker *w)
{
	struct executor *ex = w->ex;
	struct task *t;

	answer_call(w);
	if (timerq_due(&ex->timers))
		timerq_run_expired(&ex->timers);
	drain_rq_to_queue(w);
	if (++w->tick % INJECT_INTERVAL == 0 && (t = take_inject(w)))
		return t;
	if ((t = next_local(w)) || (t = take_inject(w)))
		return t;
	return steal(w);
}

/* ---- finding work (one worker) ------------------------------------------------------ */

/* Out of work: a call for this CPU may bring some, and a push in flight on
 * another CPU lands in a moment.  True: look again.  Out of line, so that
 * the loop keeps only what it needs in registers. */
static __attribute__((noinline)) bool solo_look_again(struct executor *ex)
{
	struct worker *w = &ex->solo;

	answer_call(w);
	if (!fifo_is_empty(&w->fifo))
		return true;
	if (rq_is_empty(&w->rq) && !timerq_due(&ex->timers))
		return false;
	hal_cpu_relax();	/* a push is in flight on another CPU */
	return true;
}

static inline __attribute__((always_inline)) struct task *next_task_solo(struct executor *ex)
{
	struct worker *w = &ex->solo;
	struct rq_node *n;

	do {
		if (timerq_due(&ex->timers))
			timerq_run_expired(&ex->timers);
		drain_rq_to_fifo(w);
		if ((n = fifo_pop(&w->fifo)))
			return task_of(n);
	} while (solo_look_again(ex));
	return NULL;
}

/* ---- the loop ---------------------------------------------------------------------- */

/* Anything an idle worker could run, anywhere (inject, timers, any local
 * queue): the last searcher's look before it parks. */
static bool work_anywhere(struct executor *ex)
{
	if (inject_has_tasks(&ex->inject) || timerq_due(&ex->timers))
		return true;
	for (unsigned i = 0; i < ex->nworkers; i++)
		if (lq_len(ex->workers[i].lq))
			return true;
	return false;
}

/* A searcher found a task.  If it was the last one searching, someone else
 * takes over: there may be more where this one came from (Tokio does the
 * same). */
static void stop_searching(struct worker *w)
{
	w->searching = false;
	if (idle_stop_search(&w->ex->idle))
		idle_notify(&w->ex->idle);
}

/* A searcher found nothing and stops: as parking, the last one looks
 * everywhere once more. */
static void give_up_searching(struct worker *w)
{
	w->searching = false;
	if (idle_stop_search(&w->ex->idle) && work_anywhere(w->ex))
		idle_notify(&w->ex->idle);
}

/* One worker: w is ex->solo, so the loop keeps ex alone in a register. */
static inline __attribute__((always_inline)) void polls_solo(struct executor *ex,
							      struct poll_args *a)
{
	struct task *t;

	while ((t = next_task_solo(ex)))
		task_poll(ex, &ex->solo, t, a, true);
}

static void run_ready_solo(struct executor *ex)
{
	struct poll_args a;

	poll_args_init(&a, ex);
	polls_solo(ex, &a);
}

static void run_ready(struct worker *w)
{
	struct executor *ex = w->ex;
	struct poll_args a;
	struct task *t;

	if (executor_solo(ex)) {
		run_ready_solo(ex);
		return;
	}
	poll_args_init(&a, ex);
	while ((t = next_task_shared(w))) {
		if (w->searching)
			stop_searching(w);
		task_poll(ex, w, t, &a, false);
	}
}

static bool stop_requested(struct worker *w)
{
	return w->done && w->done(w->done_arg);
}

/* Interrupts off, halt announced: may this worker halt? */
static bool may_halt(struct worker *w)
{
	struct executor *ex = w->ex;

	if (!rq_is_empty(&w->rq) || timerq_due(&ex->timers) || stop_requested(w) ||
	    atomic_load_explicit(&w->call_pending, memory_order_relaxed))
		return false;
	if (executor_solo(ex))
		return fifo_is_empty(&w->fifo);
	/* Still parked (no one woke us to search), nothing injected. */
	return atomic_load_explicit(&w->idle.parked, memory_order_relaxed) &&
	       !inject_has_tasks(&ex->inject);
}

/*
 * Halts until an interrupt or IPI, if with interrupts off there is still
 * nothing to do; true if it halted.  Interrupts off, because checking with
 * them on would lose a wake that lands between the check and the halt;
 * sleep_announce() first, because a wake may also come from another CPU
 * (idle.h).  hal_wait_for_interrupt() is `sti; hlt`, which cannot be split.
 */
static bool halt_once(struct worker *w)
{
	struct executor *ex = w->ex;

	hal_irq_disable();
	sleep_announce(&w->idle.sleep);
	stat_add(&w->stats.sleeps, 1, executor_solo(ex));
	if (!may_halt(w)) {
		sleep_cancel(&w->idle.sleep);
		hal_irq_enable();
		return false;
	}
	stat_add(&w->stats.halts, 1, executor_solo(ex));
	if (ex->idle_probe)
		ex->idle_probe(ex->idle_probe_arg);
	hal_wait_for_interrupt();
	sleep_cancel(&w->idle.sleep);
	return true;
}

/* Two or more workers: joins the idle set, halts (at most max times) until
 * woken, and leaves it: as a searcher if a notifier woke it.  Returns how
 * often it halted. */
static unsigned long park(struct worker *w, unsigned long max)
{
	struct executor *ex = w->ex;
	unsigned long halts = 0;

	if (idle_park(&ex->idle, &w->idle, w->searching) && work_anywhere(ex))
		idle_notify(&ex->idle);		/* may pick us: then we go on */
	w->searching = false;
	while (halts < max && halt_once(w))
		halts++;
	w->searching = idle_unpark(&ex->idle, &w->idle);
	return halts;
}

/* The worker for this CPU, now running here; *outer keeps what ran before
 * (a test may nest executors).  NULL if this CPU has none in ex. */
static struct worker *enter(struct executor *ex, struct worker **outer)
{
	unsigned cpu = hal_cpu_id();
	struct worker *w;

	if (executor_solo(ex))
		w = &ex->solo;
	else if (cpu < ex->nworkers)
		w = &ex->workers[cpu];
	else
		return NULL;
	sleep_set_cpu(&w->idle.sleep, cpu);
	*outer = sched_running;
	sched_running = w;
	return w;
}

static void leave(struct worker *w, struct worker *outer)
{
	if (w->searching)
		give_up_searching(w);
	sched_running = outer;
}

void executor_run_until_idle(struct executor *ex)
{
	struct worker *outer, *w = enter(ex, &outer);

	if (!w)
		return;
	run_ready(w);
	leave(w, outer);
}

bool executor_run_until(struct executor *ex, bool (*done)(void *arg), void *arg,
			unsigned long max_waits)
{
	struct worker *outer, *w = enter(ex, &outer);
	unsigned long waits = 0;
	bool ok;

	if (!w)
		return false;
	w->done = done;
	w->done_arg = arg;
	for (;;) {
		run_ready(w);
		if ((ok = done(arg)) || waits >= max_waits)
			break;
		waits += executor_solo(ex) ? halt_once(w) : park(w, max_waits - waits);
	}
	w->done = NULL;
	leave(w, outer);
	return ok;
}

void executor_kick(struct executor *ex)
{
	for (unsigned i = 0; i < ex->nworkers; i++)
		wake_if_sleeping(&ex->workers[i].idle.sleep);
}

bool executor_call_cpu(struct executor *ex, unsigned cpu)
{
	struct worker *w;

	if (executor_solo(ex))
		w = &ex->solo;		/* whichever CPU runs it */
	else if (cpu < ex->nworkers)
		w = &ex->workers[cpu];
	else
		return false;
	/* Release: what the caller prepared for the call is visible to the
	 * worker that takes the flag (acquire).  Then the handshake of
	 * idle.h: flag first, then the IPI if the worker sleeps; its look
	 * before halting (may_halt) sees the flag. */
	atomic_store_explicit(&w->call_pending, true, memory_order_release);
	wake_if_sleeping(&w->idle.sleep);
	return true;
}

/* Any tick but the one-worker case below: if it made a deadline due, a
 * worker must look, and if this CPU does not run one of ex's, wake one. */
static __attribute__((noinline)) void timer_tick_shared(struct executor *ex, uint64_t now_ms)
{
	struct worker *w = sched_running;

	if (!timerq_tick(&ex->timers, now_ms))
		return;
	if (w && w->ex == ex)
		return;		/* this CPU runs ex: it will look */
	if (executor_solo(ex))
		wake_if_sleeping(&ex->solo.idle.sleep);
	else
		idle_notify(&ex->idle);
}

void executor_timer_tick(struct executor *ex, uint64_t now_ms)
{
	/* One worker, whose loop this interrupt interrupted: it looks at the
	 * timers when the handler returns.  First, as the common case. */
	if (solo_here(ex))
		timerq_tick(&ex->timers, now_ms);
	else
		timer_tick_shared(ex, now_ms);
}

/* executor_run() with one worker: the polls and the halt in one frame, so
 * that a wake-up goes straight back to the queue. */
static __attribute__((noreturn)) void run_solo_forever(struct executor *ex)
{
	struct poll_args a;

	poll_args_init(&a, ex);
	for (;;) {
		polls_solo(ex, &a);
		halt_once(&ex->solo);
	}
}

void executor_run(void)
{
	struct executor *ex = executor_global();
	struct worker *outer, *w = enter(ex, &outer);

	if (!w)
		hal_halt_forever();	/* a CPU the executor was not set up for */
	if (executor_solo(ex))	/* one CPU: no one to steal from or notify */
		run_solo_forever(ex);
	for (;;) {
		run_ready(w);
		park(w, ~0ul);
	}
}
