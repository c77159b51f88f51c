/*
 * executor.c — spawning, waking, polling and idling.
 *
 *   wake                                executor (one thread / the idle loop)
 *   ----                                -------------------------------------
 *   the task being polled wakes itself  move rq's tasks to the local FIFO
 *     (a yield): set current_woken      pop the oldest task, poll it:
 *   other wakes: CAS state, set S         READY: finish it, wake its joiners
 *     (S already set: set N, done)        woke itself: back of the FIFO
 *     from the executor: local FIFO       else: clear S (N set: clear N and
 *     from an IRQ / thread: rq_push             queue it again)
 *                                       nothing ready: halt until an interrupt
 *
 * S stays set while the task is polled, so a yield needs no atomic
 * instruction at all: the executor just puts the task back at the end of the
 * FIFO, behind everything already ready (FIFO fairness).  The state machine
 * is drawn in task.h.
 */
#include "sched/executor.h"

#include "hal/hal.h"
#include "kernel/lib/string.h"
#include "mm/heap.h"

static struct executor global_executor;
/* The executor working on this CPU right now (NULL outside its loop). */
static HAL_PER_CPU __typeof__(struct executor *) running;

/*
 * True when the caller is ex's own loop (a task it polls, a timer it fires)
 * and not an interrupt handler or another thread: then ex's plain,
 * non-atomic fields are safe to use.  On the host `running` is per thread,
 * so another thread never reads ex->current.
 */
static inline bool on_executor(const struct executor *ex)
{
	return running == ex && !hal_in_interrupt();
}

/* ---- run queues ------------------------------------------------------------- */

/* Moves tasks woken by interrupts or other threads behind the local ones. */
static inline void drain_remote(struct executor *ex)
{
	struct rq_node *n;

	while ((n = rq_pop(&ex->rq)))
		fifo_push(&ex->local, n);
}

/* Queues a scheduled task.  Earlier wakes from interrupts go first, so the
 * FIFO keeps wake order. */
static void run_later(struct executor *ex, struct task *t)
{
	drain_remote(ex);
	fifo_push(&ex->local, &t->link);
}

/* ---- wakers --------------------------------------------------------------- */

static struct executor *executor_of(const struct waker *w)
{
	return container_of(w->vtable, struct executor, waker_vt);
}

/* A wake from anyone but the task itself: one compare-and-swap. */
static void wake_other(struct executor *ex, struct task *t, bool local)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), set;

	do {
		if (old & (TASK_DONE | TASK_NOTIFIED))
			return;	/* over, or already sure to be polled again */
		set = old & TASK_SCHEDULED ? TASK_NOTIFIED : TASK_SCHEDULED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, old | set,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	if (set == TASK_NOTIFIED)
		return;	/* queued or running: its next poll is still to come */
	if (local)
		run_later(ex, t);
	else
		rq_push(&ex->rq, &t->link);
}

static inline void wake_task(struct executor *ex, struct task *t)
{
	bool local = on_executor(ex);

	if (local && t == ex->current)
		ex->current_woken = true;	/* a yield: queued after the poll */
	else
		wake_other(ex, t, local);
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
	fifo_init(&ex->local);
	timerq_init(&ex->timers);
	for (int i = 0; i < JOIN_QUEUES; i++)
		waitq_init(&ex->joiners[i]);
	task_table_init(&ex->table);
}

static struct task *task_create(struct executor *ex, const struct future *init,
				size_t size, uint32_t refs)
{
	struct task *t = kmalloc(sizeof(*t) + size);

	if (!t)
		return NULL;
	if (!task_table_insert(&ex->table, t)) {
		kfree(t);
		return NULL;
	}
	memcpy(task_future(t), init, size);
	atomic_init(&t->state, TASK_SCHEDULED | (uint32_t)refs * TASK_REF_ONE);
	ex->stats.spawned++;
	ex->stats.live++;
	run_later(ex, t);
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
	return t ? task_id(t) : 0;
}

/* ---- polling ---------------------------------------------------------------- */

/* The task is over: it leaves the table, its joiners wake, and the executor
 * drops its reference.  The caller has set TASK_DONE, so the wakes this
 * causes cannot queue it again. */
static void task_retire(struct executor *ex, struct task *t, bool cancelled)
{
	if (cancelled) {
		future_drop(task_future(t));
		ex->stats.cancelled++;
	} else {
		ex->stats.completed++;
	}
	ex->stats.live--;
	task_table_remove(&ex->table, t);
	task_wake_joiners(ex, t);
	task_unref(t);
}

/* Ends t.  Finished (READY): DONE goes on and a cancel that came during
 * the last poll comes off, in one step, so that a task whose output is
 * valid never reports a cancel.  Cancelled: DONE joins the cancel bit. */
static void task_finish(struct executor *ex, struct task *t, bool cancelled)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), new;

	do {
		new = cancelled ? old | TASK_DONE : (old | TASK_DONE) & ~TASK_CANCELLED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, new,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	task_retire(ex, t, cancelled);
}

/* After a PENDING poll: wait for the next wake, unless one came during the
 * poll (NOTIFIED), which the poll may have missed: then go round again. */
static void task_park(struct executor *ex, struct task *t)
{
	uint32_t old = atomic_load_explicit(&t->state, memory_order_relaxed), new;

	do {
		new = old & TASK_NOTIFIED ? old & ~TASK_NOTIFIED : old & ~TASK_SCHEDULED;
	} while (!atomic_compare_exchange_weak_explicit(&t->state, &old, new,
							 memory_order_acq_rel,
							 memory_order_relaxed));
	if (old & TASK_NOTIFIED)
		run_later(ex, t);
}

static void task_poll(struct executor *ex, struct task *t)
{
	uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire);
	struct waker w = { .data = t, .vtable = &ex->waker_vt };
	struct context cx = { .waker = &w, .executor = ex };
	uint32_t *polls;
	enum poll r;

	/* Woken again while it sat in the queue: this poll answers that wake
	 * too.  (Only the rare case pays for an atomic instruction.) */
	if (st & TASK_NOTIFIED)
		st = atomic_fetch_and_explicit(&t->state, ~TASK_NOTIFIED, memory_order_acq_rel);
	if (st & TASK_CANCELLED) {
		task_finish(ex, t, true);
		return;
	}
	/* Every queue entry came from a spawn or from exactly one wake, so
	 * wakes are counted here, without work in the wake path: every poll
	 * but a task's first answers a wake. */
	polls = task_table_polls(&ex->table, t->slot);
	ex->stats.wakes += *polls != 0;
	(*polls)++;
	ex->stats.polls++;
	ex->current = t;
	ex->current_woken = false;
	r = future_poll(task_future(t), &cx);
	ex->current = NULL;
	if (r == POLL_READY)
		task_finish(ex, t, false);
	else if (ex->current_woken)
		run_later(ex, t);	/* yielded: still scheduled */
	else
		task_park(ex, t);
}

void executor_run_until_idle(struct executor *ex)
{
	struct executor *outer = running;	/* a test may nest executors */

	running = ex;
	for (;;) {
		struct rq_node *n;

		if (timerq_due(&ex->timers))
			timerq_run_expired(&ex->timers);
		drain_remote(ex);
		n = fifo_pop(&ex->local);
		if (n) {
			task_poll(ex, container_of(n, struct task, link));
			continue;
		}
		if (rq_is_empty(&ex->rq) && !timerq_due(&ex->timers))
			break;
		hal_cpu_relax();	/* a push is in flight on another CPU */
	}
	running = outer;
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
	if (!fifo_is_empty(&ex->local) || !rq_is_empty(&ex->rq) || timerq_due(&ex->timers)) {
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
	return ex->stats;
}

/* Every task ends as cancelled.  All are marked done first, so that the wakes
 * this causes (joiners, dropped futures) queue nothing; then the queues are
 * emptied, and only then are the tasks retired and freed. */
void executor_teardown(struct executor *ex)
{
	struct task_table *tt = &ex->table;
	uint32_t i;

	for (i = task_table_next(tt, 0); i != UINT32_MAX; i = task_table_next(tt, i + 1))
		atomic_fetch_or_explicit(&task_table_get(tt, i)->state,
					 TASK_DONE | TASK_CANCELLED, memory_order_acq_rel);
	while (rq_pop(&ex->rq) || !rq_is_empty(&ex->rq))
		;
	fifo_init(&ex->local);
	for (i = task_table_next(tt, 0); i != UINT32_MAX; i = task_table_next(tt, i + 1))
		task_retire(ex, task_table_get(tt, i), true);
	timerq_destroy(&ex->timers);
	task_table_destroy(tt);
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
	executor_setup(&global_executor);
	timerq_set_clock(&global_executor.timers, &sched_hal_clock);
}
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
	struct task_table *tt = &ex->table;

	for (uint32_t i = task_table_next(tt, 0); i != UINT32_MAX; i = task_table_next(tt, i + 1)) {
		struct task *t = task_table_get(tt, i);
		uint32_t st = task_state(t);
		struct task_info info = {
			.id = task_id(t),
			.name = task_future(t)->ops->name,
			.polls = *task_table_polls(tt, i),
			.state = t == ex->current	  ? TASK_RUNNING
				 : st & TASK_CANCELLED  ? TASK_CANCELLING
				 : st & TASK_SCHEDULED ? TASK_READY
							  : TASK_WAITING,
		};
		cb(&info, arg);
	}
}
