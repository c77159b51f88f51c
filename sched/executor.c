/*
 * executor.c — tasks: spawning, waking, polling, ending; the executor's
 * instances and what they count.  Each CPU's loop is in worker.c.
 *
 *   wake                                  the worker polling the task
 *   ----                                  ---------------------------
 *   the task being polled wakes itself    poll it:
 *     (a yield): set current_woken          READY: finish it, wake its joiners
 *   other wakes: CAS state, set S           woke itself: back of the queue
 *     (S already set: set N, done)          else: clear S (N set: clear N and
 *     then queue it (worker.c)                    queue it again)
 *
 * S stays set while the task is polled, so a yield needs no atomic
 * instruction at all, and a task is on at most one CPU at a time however
 * many CPUs wake it: S is the token, and whoever sets it queues the task.
 * The state machine is drawn in task.h.
 */
#include "sched/worker.h"

#include "hal/hal.h"
#include "kernel/lib/string.h"
#include "mm/heap.h"

static struct executor global_executor;

/* ---- task tables -------------------------------------------------------------- */

/* The worker whose table holds t (where it was spawned), and t's slot there. */
static inline struct worker *home_of(struct executor *ex, const struct task *t, uint32_t *slot)
{
	*slot = t->slot >> ex->shard_bits;
	return &ex->workers[t->slot & ((1u << ex->shard_bits) - 1)];
}

static bool table_insert(struct executor *ex, struct worker *home, struct task *t)
{
	bool locked = sched_lock(&home->table_lock);
	uint32_t slot = task_table_insert(&home->table, t);

	if (slot != TASK_NO_SLOT)
		atomic_store_explicit(task_table_cpu(&home->table, slot), (uint8_t)home->index,
				      memory_order_relaxed);
	sched_unlock(&home->table_lock, locked);
	t->slot = slot << ex->shard_bits | home->index;
	return slot != TASK_NO_SLOT;
}

static void table_remove(struct executor *ex, struct task *t)
{
	uint32_t slot;
	struct worker *home = home_of(ex, t, &slot);
	bool locked = sched_lock(&home->table_lock);

	task_table_remove(&home->table, slot);
	sched_unlock(&home->table_lock, locked);
}

uint32_t executor_task_polls(struct executor *ex, const struct task *t)
{
	uint32_t slot;
	struct worker *home = home_of(ex, t, &slot);

	return atomic_load_explicit(task_table_polls(&home->table, slot), memory_order_relaxed);
}

/* ---- wakers ------------------------------------------------------------------ */

static struct executor *executor_of(const struct waker *w)
{
	return container_of(w->vtable, struct executor, waker_vt);
}

/* Sets S (true: the caller queues t) or, if t is queued or being polled
 * already, N (its next poll is still to come).  False if t is over. */
static bool claim(struct task *t)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), set;

	do {
		if (old & (TASK_DONE | TASK_NOTIFIED))
			return false;	/* over, or already sure to be polled again */
		set = old & TASK_SCHEDULED ? TASK_NOTIFIED : TASK_SCHEDULED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, old | set,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	return set == TASK_SCHEDULED;
}

/* Queues t, which the caller claimed, from wherever the caller is. */
static void queue_claimed(struct executor *ex, struct task *t)
{
	struct worker *w = sched_running;

	if (w && w->ex == ex && !hal_in_interrupt())
		worker_queue_local(w, t);
	else
		worker_queue_remote(ex, w && w->ex == ex ? w : NULL, t);
}

static inline void wake_task(struct executor *ex, struct task *t)
{
	struct worker *w = worker_here(ex);

	if (w && t == worker_current(w))
		w->current_woken = true;	/* a yield: queued after the poll */
	else if (claim(t))
		queue_claimed(ex, t);
}

void executor_wake_task(struct executor *ex, struct task *t)
{
	wake_task(ex, t);
}

static struct waker task_waker_clone(const struct waker *w)
{
	task_ref(w->data);
	return *w;
}

static void task_waker_wake_by_ref(const struct waker *w)
{
	wake_task(executor_of(w), w->data);
}

static void task_waker_wake(struct waker *w)
{
	task_waker_wake_by_ref(w);
	task_unref(w->data);
}

static void task_waker_drop(struct waker *w)
{
	task_unref(w->data);
}

/* The first half of a wake under a lock (future.h): the claim.  Once S is
 * ours the task cannot end before we queue it, so no reference is taken. */
static struct waker task_waker_wake_begin(const struct waker *w)
{
	struct executor *ex = executor_of(w);
	struct task *t = w->data;
	struct worker *here = worker_here(ex);

	if (here && t == worker_current(here)) {
		here->current_woken = true;
		return (struct waker){ 0 };
	}
	if (!claim(t))
		return (struct waker){ 0 };
	return (struct waker){ .data = t, .vtable = &ex->claimed_vt };
}

/* The second half, after unlocking (a claimed wake is ended by wake, or by
 * drop: either way the task is queued). */
static void claimed_wake(struct waker *w)
{
	queue_claimed(container_of(w->vtable, struct executor, claimed_vt), w->data);
}

/* ---- instances -------------------------------------------------------------- */

static void worker_init(struct executor *ex, struct worker *w, unsigned index,
			struct local_queue *lq)
{
	memset(w, 0, sizeof(*w));
	w->ex = ex;
	w->index = index;
	fifo_init(&w->fifo);
	w->lq = lq;
	if (lq)
		lq_init(lq);
	rq_init(&w->rq);
	atomic_init(&w->current, NULL);
	w->seed = 0x9e3779b9u * (index + 1);
	w->idle.index = index;
	atomic_init(&w->idle.parked, false);
	atomic_init(&w->idle.sleep.sleeping, false);
	w->idle.sleep.cpu = index;
	/* Global slots are 32 bits: table slot << shard_bits | index. */
	task_table_init(&w->table, (uint32_t)((1ull << (32 - ex->shard_bits)) - 1));
	sched_lock_init(&w->table_lock);
}

static void setup_common(struct executor *ex, unsigned nworkers)
{
	memset(ex, 0, sizeof(*ex));
	ex->waker_vt = (struct waker_vtable){
		.clone = task_waker_clone,
		.wake = task_waker_wake,
		.wake_by_ref = task_waker_wake_by_ref,
		.drop = task_waker_drop,
		.wake_begin = task_waker_wake_begin,
	};
	ex->claimed_vt = (struct waker_vtable){ .wake = claimed_wake, .drop = claimed_wake };
	ex->nworkers = nworkers;
	while ((1u << ex->shard_bits) < nworkers)
		ex->shard_bits++;
	inject_init(&ex->inject);
	idle_init(&ex->idle, nworkers);
	timerq_init(&ex->timers);
	atomic_init(&ex->spawned_outside, 0);
	atomic_init(&ex->joins_waiting, 0);
	for (int i = 0; i < JOIN_QUEUES; i++) {
		sched_lock_init(&ex->joiners[i].lock);
		waitq_init(&ex->joiners[i].q);
	}
}

void executor_setup(struct executor *ex)
{
	setup_common(ex, 1);
	worker_init(ex, &ex->solo, 0, NULL);
	ex->workers = &ex->solo;
}

bool executor_setup_workers(struct executor *ex, unsigned n)
{
	struct worker *workers;
	struct local_queue *lqs;
	void *raw;

	if (n <= 1) {
		executor_setup(ex);
		return n == 1;
	}
	if (n > HAL_MAX_CPUS || n > hal_cpu_count())
		return false;
	/* One block: the workers, then their queues, each on its own lines. */
	raw = kmalloc(n * (sizeof(*workers) + sizeof(*lqs)) + 63);
	if (!raw)
		return false;
	workers = (struct worker *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
	lqs = (struct local_queue *)(workers + n);
	setup_common(ex, n);
	ex->alloc = raw;
	ex->workers = workers;
	for (unsigned i = 0; i < n; i++) {
		worker_init(ex, &workers[i], i, &lqs[i]);
		ex->idle.member[i] = &workers[i].idle;
	}
	return true;
}

/* ---- spawning ------------------------------------------------------------- */

/* A new task starts on the spawning CPU's worker, in its table; from outside
 * the workers, in worker 0's table and on the inject queue (with one worker:
 * its FIFO, as the caller is executor context by contract). */
static struct task *task_create(struct executor *ex, const struct future *init,
				size_t size, uint32_t refs, uint32_t *id)
{
	struct worker *here = worker_here(ex);
	struct worker *home = here ? here : &ex->workers[0];
	struct task *t = kmalloc(sizeof(*t) + size);

	if (!t)
		return NULL;
	if (!table_insert(ex, home, t)) {
		kfree(t);
		return NULL;
	}
	memcpy(task_future(t), init, size);
	atomic_init(&t->state, TASK_SCHEDULED | (uint32_t)refs * TASK_REF_ONE);
	/* Once queued, a detached task may run and end on another CPU at
	 * once: nothing of it may be read after this. */
	*id = task_id(t);
	if (here || executor_solo(ex)) {
		stat_add(&home->stats.spawned, 1);
		worker_queue_local(home, t);
	} else {
		atomic_fetch_add_explicit(&ex->spawned_outside, 1, memory_order_relaxed);
		worker_queue_remote(ex, NULL, t);
	}
	return t;
}

struct task_handle spawn_on(struct executor *ex, const struct future *init, size_t size)
{
	uint32_t id;

	/* Two references: the executor's and the handle's. */
	return (struct task_handle){ .task = task_create(ex, init, size, 2, &id), .ex = ex };
}

uint32_t spawn_detached_on(struct executor *ex, const struct future *init, size_t size)
{
	uint32_t id;

	return task_create(ex, init, size, 1, &id) ? id : 0;
}

/* ---- polling ---------------------------------------------------------------- */

/* The task is over: it leaves its table, its joiners wake, and the executor
 * drops its reference.  The caller has set TASK_DONE, so the wakes this
 * causes cannot queue it again.  w counts it (the worker that ended it). */
static void task_retire(struct worker *w, struct task *t, bool cancelled)
{
	struct executor *ex = w->ex;

	if (cancelled) {
		future_drop(task_future(t));
		stat_add(&w->stats.cancelled, 1);
	} else {
		stat_add(&w->stats.completed, 1);
	}
	table_remove(ex, t);
	task_wake_joiners(ex, t);
	task_unref(t);
}

/* Ends t.  Finished (READY): DONE goes on and a cancel that came during
 * the last poll comes off, in one step, so that a task whose output is
 * valid never reports a cancel.  Cancelled: DONE joins the cancel bit. */
static void task_finish(struct worker *w, struct task *t, bool cancelled)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), new;

	/* seq_cst: pairs with the count of waiting joins (task.c). */
	do {
		new = cancelled ? old | TASK_DONE : (old | TASK_DONE) & ~TASK_CANCELLED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, new,
							 memory_order_seq_cst,
							 memory_order_relaxed));
	task_retire(w, t, cancelled);
}

/* After a PENDING poll: wait for the next wake, unless one came during the
 * poll (NOTIFIED), which the poll may have missed: then go round again.
 * Clearing S hands the token back: from here on another CPU may queue and
 * poll the task. */
static void task_park(struct worker *w, struct task *t)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), new;

	do {
		new = old & TASK_NOTIFIED ? old & ~TASK_NOTIFIED : old & ~TASK_SCHEDULED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, new,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	if (old & TASK_NOTIFIED)
		worker_queue_yielded(w, t);
}

void task_poll(struct worker *w, struct task *t)
{
	struct executor *ex = w->ex;
	uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire), slot, polls;
	struct waker wk = { .data = t, .vtable = &ex->waker_vt };
	struct context cx = { .waker = &wk, .executor = ex };
	struct worker *home = home_of(ex, t, &slot);
	_Atomic uint32_t *count;
	enum poll r;

	/* Woken again while it sat in the queue: this poll answers that wake
	 * too.  (Only the rare case pays for an atomic instruction.) */
	if (st & TASK_NOTIFIED)
		st = atomic_fetch_and_explicit(&t->state, ~TASK_NOTIFIED, memory_order_acq_rel);
	if (st & TASK_CANCELLED) {
		task_finish(w, t, true);
		return;
	}
	/* Every queue entry came from a spawn or from exactly one wake, so
	 * wakes are counted here, without work in the wake path: every poll
	 * but a task's first answers a wake.  The count is ours while S is. */
	count = task_table_polls(&home->table, slot);
	polls = atomic_load_explicit(count, memory_order_relaxed);
	atomic_store_explicit(count, polls + 1, memory_order_relaxed);
	stat_add(&w->stats.wakes, polls != 0);
	stat_add(&w->stats.polls, 1);
	if (!executor_solo(ex))
		atomic_store_explicit(task_table_cpu(&home->table, slot), (uint8_t)w->index,
				      memory_order_relaxed);
	atomic_store_explicit(&w->current, t, memory_order_relaxed);
	w->current_woken = false;
	r = future_poll(task_future(t), &cx);
	atomic_store_explicit(&w->current, NULL, memory_order_relaxed);
	if (r == POLL_READY)
		task_finish(w, t, false);
	else if (w->current_woken)
		worker_queue_yielded(w, t);	/* yielded: still scheduled */
	else
		task_park(w, t);
}

/* ---- counters ------------------------------------------------------------------- */

static uint64_t get(_Atomic uint64_t *c) { return atomic_load_explicit(c, memory_order_relaxed); }

static void add_worker(struct sched_stats *s, struct worker *w)
{
	s->polls += get(&w->stats.polls);
	s->wakes += get(&w->stats.wakes);
	s->idle_waits += get(&w->stats.halts);
	s->sleeps += get(&w->stats.sleeps);
	s->steals += get(&w->stats.steals);
	s->stolen += get(&w->stats.stolen);
	s->spawned += get(&w->stats.spawned);
	s->completed += get(&w->stats.completed);
	s->cancelled += get(&w->stats.cancelled);
}

struct sched_stats executor_stats(struct executor *ex)
{
	struct sched_stats s = { .spawned = get(&ex->spawned_outside) };

	for (unsigned i = 0; i < ex->nworkers; i++)
		add_worker(&s, &ex->workers[i]);
	s.live = (uint32_t)(s.spawned - s.completed - s.cancelled);
	return s;
}

struct sched_stats executor_worker_stats(struct executor *ex, unsigned worker)
{
	struct sched_stats s = { 0 };

	if (worker < ex->nworkers)
		add_worker(&s, &ex->workers[worker]);
	return s;
}

uint32_t executor_table_slots(struct executor *ex)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < ex->nworkers; i++) {
		bool locked = sched_lock(&ex->workers[i].table_lock);
		n += ex->workers[i].table.slots;
		sched_unlock(&ex->workers[i].table_lock, locked);
	}
	return n;
}

/* ---- teardown ------------------------------------------------------------------- */

static void empty_queues(struct executor *ex)
{
	struct task *batch[16];

	for (unsigned i = 0; i < ex->nworkers; i++) {
		struct worker *w = &ex->workers[i];
		while (rq_pop(&w->rq) || !rq_is_empty(&w->rq))
			;
		fifo_init(&w->fifo);
		w->lifo = NULL;
		if (w->lq)
			while (lq_pop(w->lq))
				;
	}
	while (inject_take(&ex->inject, batch, 16) || inject_has_tasks(&ex->inject))
		;
}

/* Every task ends as cancelled.  All are marked done first, so that the wakes
 * this causes (joiners, dropped futures) queue nothing; then the queues are
 * emptied, and only then are the tasks retired and freed. */
void executor_teardown(struct executor *ex)
{
	for (unsigned w = 0; w < ex->nworkers; w++) {
		struct task_table *tt = &ex->workers[w].table;
		for (uint32_t i = task_table_next(tt, 0); i != TASK_NO_SLOT;
		     i = task_table_next(tt, i + 1))
			atomic_fetch_or_explicit(&task_table_get(tt, i)->state,
						 TASK_DONE | TASK_CANCELLED, memory_order_acq_rel);
	}
	empty_queues(ex);
	for (unsigned w = 0; w < ex->nworkers; w++) {
		struct task_table *tt = &ex->workers[w].table;
		for (uint32_t i = task_table_next(tt, 0); i != TASK_NO_SLOT;
		     i = task_table_next(tt, i + 1))
			task_retire(&ex->workers[w], task_table_get(tt, i), true);
		task_table_destroy(tt);
	}
	timerq_destroy(&ex->timers);
	kfree(ex->alloc);
	ex->alloc = NULL;
}

/* ---- the kernel's executor -------------------------------------------------- */

/* The kernel's clock (hal/time/clock.c), in the executor's milliseconds. */
static uint64_t hal_now_ms(void) { return hal_clock_ms(); }

static void hal_arm_ms(uint64_t ms)
{
	hal_timer_arm(ms > HAL_NO_DEADLINE / 1000000 ? HAL_NO_DEADLINE : ms * 1000000);
}

const struct timer_clock sched_hal_clock = { .now_ms = hal_now_ms, .arm = hal_arm_ms };

void executor_init(void)
{
	if (!executor_setup_workers(&global_executor, hal_cpu_count()))
		executor_setup(&global_executor);	/* out of memory: one CPU */
	timerq_set_clock(&global_executor.timers, &sched_hal_clock);
}

struct executor *executor_global(void) { return &global_executor; }

struct executor *executor_current(void)
{
	return sched_running ? sched_running->ex : &global_executor;
}

struct task_handle spawn(const struct future *init, size_t size)
{
	return spawn_on(executor_current(), init, size);
}

void sched_timer_tick(uint64_t now_ms) { executor_timer_tick(&global_executor, now_ms); }

struct task *sched_current_task(void)
{
	return sched_running ? worker_current(sched_running) : NULL;
}

/* ---- listing ---------------------------------------------------------------- */

const char *task_run_state_name(enum task_run_state s)
{
	static const char *const names[] = { "running", "ready", "waiting", "cancelling" };
	return names[s];
}

static bool running_anywhere(struct executor *ex, const struct task *t)
{
	for (unsigned i = 0; i < ex->nworkers; i++)
		if (worker_current(&ex->workers[i]) == t)
			return true;
	return false;
}

static struct task_info info_of(struct executor *ex, struct worker *home, uint32_t slot)
{
	struct task_table *tt = &home->table;
	struct task *t = task_table_get(tt, slot);
	uint32_t st = task_state(t);

	return (struct task_info){
		.id = (slot << ex->shard_bits | home->index) + 1,
		.name = task_future(t)->ops->name,
		.polls = atomic_load_explicit(task_table_polls(tt, slot), memory_order_relaxed),
		.cpu = executor_solo(ex) ? home->idle.sleep.cpu
					 : atomic_load_explicit(task_table_cpu(tt, slot),
								memory_order_relaxed),
		.state = running_anywhere(ex, t)   ? TASK_RUNNING
			 : st & TASK_CANCELLED ? TASK_CANCELLING
			 : st & TASK_SCHEDULED ? TASK_READY
						: TASK_WAITING,
	};
}

enum { LIST_BATCH = 16 };

/* Copies a batch under the table's lock and reports it after: cb may be slow
 * (it prints), and the table's CPU must not wait for it. */
void sched_for_each_task(struct executor *ex,
			 void (*cb)(const struct task_info *info, void *arg), void *arg)
{
	for (unsigned w = 0; w < ex->nworkers; w++) {
		struct worker *home = &ex->workers[w];
		uint32_t from = 0, i;

		do {
			struct task_info batch[LIST_BATCH];
			unsigned n = 0;
			bool locked = sched_lock(&home->table_lock);

			for (i = task_table_next(&home->table, from); i != TASK_NO_SLOT && n < LIST_BATCH;
			     i = task_table_next(&home->table, i + 1))
				batch[n++] = info_of(ex, home, i);
			sched_unlock(&home->table_lock, locked);
			for (unsigned k = 0; k < n; k++)
				cb(&batch[k], arg);
			from = i;
		} while (i != TASK_NO_SLOT);
	}
}
