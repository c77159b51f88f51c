/*
 * executor.c — spawning, waking, polling and idling.
 *
 *   wake (any context)            executor (one thread / the idle loop)
 *   ------------------            -------------------------------------
 *   CAS state: set QUEUED   --->  pop task, clear QUEUED, count the poll
 *   (already QUEUED or DONE:      poll its future with a waker for it
 *    nothing to do)               READY: finish it, wake its joiners
 *   rq_push(task)                 nothing ready: halt until an interrupt
 *
 * Because QUEUED is cleared before the poll, a wake during the poll (a yield)
 * queues the task again, behind everything already ready: FIFO fairness.
 */
#include "sched/executor.h"

#include "hal/hal.h"
#include "kernel/string.h"
#include "mm/heap.h"

#define NO_SLOT UINT32_MAX

static struct executor global_executor;
/* The executor polling a task right now (NULL between polls). */
static struct executor *running;

/* ---- wakers --------------------------------------------------------------- */

static struct executor *executor_of(const struct waker *w)
{
	return container_of(w->vtable, struct executor, waker_vt);
}

void executor_wake_task(struct executor *ex, struct task *t)
{
	uint64_t old = atomic_load_explicit(&t->state, memory_order_relaxed);

	do {
		if (old & (TASK_QUEUED | TASK_DONE))
			return;	/* queued once, however many wakes */
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, old | TASK_QUEUED,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	rq_push(&ex->rq, &t->link);
}

static struct waker task_waker_clone(const struct waker *w)
{
	task_ref(w->data);
	return *w;
}

static void task_waker_wake_by_ref(const struct waker *w)
{
	executor_wake_task(executor_of(w), w->data);
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

/* ---- the task table ------------------------------------------------------- */

static bool table_insert(struct executor *ex, struct task *t)
{
	uint32_t slot = ex->free_slot;

	if (slot != NO_SLOT) {
		ex->free_slot = (uint32_t)(ex->table[slot] >> 1);
	} else {
		if (ex->table_len == ex->table_cap) {
			uint32_t cap = ex->table_cap ? ex->table_cap * 2 : 64;
			uintptr_t *tab = krealloc(ex->table, cap * sizeof(*tab));
			if (!tab)
				return false;
			ex->table = tab;
			ex->table_cap = cap;
		}
		slot = ex->table_len++;
	}
	ex->table[slot] = (uintptr_t)t;
	t->slot = slot;
	return true;
}

static void table_remove(struct executor *ex, uint32_t slot)
{
	ex->table[slot] = ((uintptr_t)ex->free_slot << 1) | 1;
	ex->free_slot = slot;
}

static struct task *table_task(struct executor *ex, uint32_t slot)
{
	uintptr_t e = ex->table[slot];
	return (e & 1) ? NULL : (struct task *)e;
}

/* ---- spawning --------------------------------------------------------------- */

void executor_setup(struct executor *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->waker_vt = (struct waker_vtable){
		.clone = task_waker_clone,
		.wake = task_waker_wake,
		.wake_by_ref = task_waker_wake_by_ref,
		.drop = task_waker_drop,
	};
	rq_init(&ex->rq);
	timerq_init(&ex->timers);
	ex->free_slot = NO_SLOT;
	ex->next_id = 1;
}

static struct task *task_create(struct executor *ex, const struct future *init,
				size_t size, uint64_t refs)
{
	struct task *t = kmalloc(sizeof(*t) + size);

	if (!t)
		return NULL;
	if (!table_insert(ex, t)) {
		kfree(t);
		return NULL;
	}
	memcpy(task_future(t), init, size);
	t->joiners.first = NULL;
	t->id = ex->next_id++;
	if (ex->next_id == 0)
		ex->next_id = 1;
	atomic_init(&t->state, TASK_QUEUED | refs * TASK_REF_ONE);
	ex->stats.spawned++;
	ex->stats.live++;
	rq_push(&ex->rq, &t->link);
	return t;
}

struct task_handle spawn_on(struct executor *ex, const struct future *init, size_t size)
{
	/* Two references: the executor's and the handle's. */
	return (struct task_handle){ .task = task_create(ex, init, size, 2), .ex = ex };
}

uint32_t spawn_detached_on(struct executor *ex, const struct future *init, size_t size)
{
	struct task *t = task_create(ex, init, size, 1);
	return t ? t->id : 0;
}

/* ---- polling ---------------------------------------------------------------- */

/* The task is over (READY or cancelled): it leaves the table, its joiners
 * wake, and the executor drops its reference, unless the task is still in
 * the ready queue, in which case the pop drops it. */
static void task_finish(struct executor *ex, struct task *t, bool cancelled)
{
	uint64_t old;

	if (cancelled) {
		future_drop(task_future(t));
		ex->stats.cancelled++;
	} else {
		ex->stats.completed++;
	}
	ex->stats.live--;
	table_remove(ex, t->slot);
	old = atomic_fetch_or_explicit(&t->state, TASK_DONE, memory_order_acq_rel);
	waitq_wake_all(&t->joiners);
	if (!(old & TASK_QUEUED))
		task_unref(t);
}

static void task_poll(struct executor *ex, struct task *t)
{
	/* One atomic op: leave the queue (later wakes queue us again) and count
	 * the poll. */
	uint64_t old = atomic_fetch_add_explicit(&t->state, TASK_POLL_ONE - TASK_QUEUED,
						 memory_order_acq_rel);

	/* Every queue entry came from a spawn or from exactly one wake, so
	 * wakes are counted here, without an atomic op in the wake path. */
	ex->stats.pops++;
	struct waker w = { .data = t, .vtable = &ex->waker_vt };
	struct context cx = { .waker = &w, .executor = ex };
	struct executor *outer = running;
	enum poll r;

	if (old & TASK_DONE) {		/* woken during its last poll */
		task_unref(t);
		return;
	}
	if (old & TASK_CANCELLED) {
		task_finish(ex, t, true);
		return;
	}
	ex->current = t;
	running = ex;
	ex->stats.polls++;
	r = future_poll(task_future(t), &cx);
	running = outer;
	ex->current = NULL;
	if (r == POLL_READY)
		task_finish(ex, t, false);
}

void executor_run_until_idle(struct executor *ex)
{
	for (;;) {
		struct rq_node *n;

		if (timerq_due(&ex->timers))
			timerq_run_expired(&ex->timers);
		n = rq_pop(&ex->rq);
		if (n) {
			task_poll(ex, container_of(n, struct task, link));
			continue;
		}
		if (rq_is_empty(&ex->rq) && !timerq_due(&ex->timers))
			return;
		hal_cpu_relax();	/* a push is in flight on another CPU */
	}
}

/*
 * Halts until the next interrupt if, with interrupts off, there is still
 * nothing to do.  Checking with interrupts on would lose a wake that lands
 * between the check and the halt: the CPU would sleep with a task ready.
 * hal_wait_for_interrupt() is `sti; hlt`, which cannot be split.
 */
static bool executor_idle(struct executor *ex)
{
	hal_irq_disable();
	if (!rq_is_empty(&ex->rq) || timerq_due(&ex->timers)) {
		hal_irq_enable();
		return false;
	}
	ex->stats.idle_waits++;
	if (ex->idle_probe)
		ex->idle_probe(ex->idle_probe_arg);
	hal_wait_for_interrupt();
	return true;
}

bool executor_run_until(struct executor *ex, bool (*done)(void *arg), void *arg,
			unsigned long max_waits)
{
	unsigned long waits = 0;

	for (;;) {
		executor_run_until_idle(ex);
		if (done(arg))
			return true;
		if (waits >= max_waits)
			return false;
		waits += executor_idle(ex);
	}
}

void executor_timer_tick(struct executor *ex, uint64_t now_ms)
{
	timerq_tick(&ex->timers, now_ms);
}

struct sched_stats executor_stats(struct executor *ex)
{
	struct sched_stats s = ex->stats;
	s.wakes = s.pops - s.spawned;
	return s;
}

/* Drops the executor's references to tasks that are done but still queued. */
static void drain_done(struct executor *ex)
{
	struct rq_node *n;

	while ((n = rq_pop(&ex->rq)) || !rq_is_empty(&ex->rq)) {
		if (!n)
			continue;
		struct task *t = container_of(n, struct task, link);
		atomic_fetch_and_explicit(&t->state, ~TASK_QUEUED, memory_order_acq_rel);
		task_unref(t);
	}
}

void executor_teardown(struct executor *ex)
{
	for (uint32_t i = 0; i < ex->table_len; i++) {
		struct task *t = table_task(ex, i);
		if (t)
			task_finish(ex, t, true);
	}
	drain_done(ex);
	timerq_destroy(&ex->timers);
	kfree(ex->table);
	ex->table = NULL;
	ex->table_len = ex->table_cap = 0;
	ex->free_slot = NO_SLOT;
}

/* ---- the kernel's executor -------------------------------------------------- */

void executor_init(void) { executor_setup(&global_executor); }
struct executor *executor_global(void) { return &global_executor; }
struct executor *executor_current(void) { return running ? running : &global_executor; }

struct task_handle spawn(const struct future *init, size_t size)
{
	return spawn_on(executor_current(), init, size);
}

void executor_run(void)
{
	for (;;) {
		executor_run_until_idle(&global_executor);
		executor_idle(&global_executor);
	}
}

void sched_timer_tick(uint64_t now_ms) { timerq_tick(&global_executor.timers, now_ms); }
struct task *sched_current_task(void) { return running ? running->current : NULL; }

/* ---- listing ---------------------------------------------------------------- */

const char *task_run_state_name(enum task_run_state s)
{
	static const char *const names[] = { "running", "ready", "waiting", "cancelling" };
	return names[s];
}

void sched_for_each_task(struct executor *ex,
			 void (*cb)(const struct task_info *info, void *arg), void *arg)
{
	for (uint32_t i = 0; i < ex->table_len; i++) {
		struct task *t = table_task(ex, i);
		if (!t)
			continue;
		uint64_t st = task_state(t);
		struct task_info info = {
			.id = t->id,
			.name = task_future(t)->ops->name,
			.polls = (uint32_t)(st >> 32),
			.state = t == ex->current	 ? TASK_RUNNING
				 : st & TASK_CANCELLED ? TASK_CANCELLING
				 : st & TASK_QUEUED	 ? TASK_READY
							 : TASK_WAITING,
		};
		cb(&info, arg);
	}
}
