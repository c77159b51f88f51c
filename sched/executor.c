/*
 * executor.c — executor instances: setting up the workers, spawning, the
 * counters, the task list, teardown, and the kernel's executor.  Wakers are
 * in wake.c; each CPU's loop (poll, find work, steal, park) in worker.c.
 */
#include "sched/worker.h"

#include "hal/hal.h"
#include "kernel/lib/string.h"
#include "mm/heap.h"

static struct executor global_executor;

/* ---- task tables -------------------------------------------------------------- */

static bool table_insert(struct executor *ex, struct worker *home, struct task *t)
{
	bool locked;
	uint32_t slot;

	locked = sched_lock(&home->table_lock);
	slot = task_table_insert(&home->table, t);
	if (slot != TASK_NO_SLOT)
		atomic_store_explicit(task_table_cpu(&home->table, slot), (uint8_t)home->index,
				      memory_order_relaxed);
	sched_unlock(&home->table_lock, locked);
	t->slot = slot << ex->shard_bits | home->index;
	return slot != TASK_NO_SLOT;
}

uint32_t executor_task_polls(struct executor *ex, const struct task *t)
{
	uint32_t slot;
	struct worker *home = home_of(ex, t, &slot);

	return __atomic_load_n(task_table_polls(&home->table, slot), __ATOMIC_RELAXED);
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
	atomic_init(&w->call_pending, false);
	atomic_init(&w->idle.sleep.sleeping, false);
	atomic_init(&w->idle.sleep.cpu, index);
	/* Global slots are 32 bits: table slot << shard_bits | index. */
	task_table_init(&w->table, (uint32_t)((1ull << (32 - ex->shard_bits)) - 1));
	sched_lock_init(&w->table_lock);
}

static void setup_common(struct executor *ex, unsigned nworkers)
{
	memset(ex, 0, sizeof(*ex));
	wake_setup(ex);
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
	if (n > HAL_MAX_CPUS)
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

/* A new task's memory: the future copied in, S set (it is queued next). */
static struct task *task_alloc(const struct future *init, size_t size, uint32_t refs)
{
	struct task *t = kmalloc(sizeof(*t) + size);

	if (t) {
		memcpy(task_future(t), init, size);
		atomic_init(&t->state, TASK_SCHEDULED | (uint32_t)refs * TASK_REF_ONE);
	}
	return t;
}

/* One worker: its table and its FIFO, nothing to lock or notify (the caller
 * is its executor context, by contract). */
static struct task *task_create_solo(struct executor *ex, const struct future *init,
				     size_t size, uint32_t refs, uint32_t *id)
{
	struct worker *w = &ex->solo;
	struct task *t = task_alloc(init, size, refs);

	if (!t)
		return NULL;
	t->slot = task_table_insert(&w->table, t);
	if (t->slot == TASK_NO_SLOT) {
		kfree(t);
		return NULL;
	}
	*id = task_id(t);
	stat_add(&w->stats.spawned, 1, true);
	drain_rq_to_fifo(w);
	fifo_push(&w->fifo, &t->link);
	return t;
}

/* A new task starts on the spawning CPU's worker, in its table; from outside
 * the workers, in worker 0's table and on the inject queue. */
static struct task *task_create(struct executor *ex, const struct future *init,
				size_t size, uint32_t refs, uint32_t *id)
{
	struct worker *here, *home;
	struct task *t;

	if (executor_solo(ex))
		return task_create_solo(ex, init, size, refs, id);
	here = worker_here(ex);
	home = here ? here : &ex->workers[0];
	t = task_alloc(init, size, refs);
	if (!t)
		return NULL;
	if (!table_insert(ex, home, t)) {
		kfree(t);
		return NULL;
	}
	/* Once queued, a detached task may run and end on another CPU at
	 * once: nothing of it may be read after this. */
	*id = task_id(t);
	if (here) {
		stat_add(&home->stats.spawned, 1, false);
		worker_queue_spawn_shared(home, t);
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

/* ---- counters ------------------------------------------------------------------- */

static uint64_t get(const uint64_t *c) { return stat_get(c); }

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
	struct sched_stats s = {
		.spawned = atomic_load_explicit(&ex->spawned_outside, memory_order_relaxed),
	};

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

void executor_init(unsigned ncpus)
{
	if (!executor_setup_workers(&global_executor, ncpus))
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
		.polls = __atomic_load_n(task_table_polls(tt, slot), __ATOMIC_RELAXED),
		.cpu = executor_solo(ex) ? sleep_cpu(&home->idle.sleep)
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
