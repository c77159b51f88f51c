/*
 * bench_live.c — a million live tasks on the kernel's one executor (the
 * `bench=live` boot; scripts/bench.sh runs it on -smp 4).
 *
 * A root task spawns LIVE_TASKS tasks from inside itself, so they start on
 * its CPU and the other CPUs steal them.  Each one, on its first poll, parks
 * on a gate: a wait queue (one of GATE_SHARDS, each under its own lock, so
 * four CPUs parking at once do not all queue on one lock).  When every task
 * is parked the root checks the executor's count of live tasks, reads the
 * heap, opens the gate and wakes every waiter; each task then ends, marking
 * its bit in a bitmap.  Every bit must be set exactly once: a task lost,
 * never woken, or ending twice fails the boot (isa-debug-exit failure and a
 * `bench: live: FAILED` line).  Out of memory is said in one line, with the
 * count reached; the tasks spawned so far are released and checked too.
 *
 * Figures (TSC cycles; under -icount shift=0, guest instructions executed
 * by all CPUs together while the figure's interval ran):
 *   live_spawn          per task, the spawning loop (the others steal meanwhile)
 *   live_park           per task, from the first spawn until all are parked
 *   live_wake_complete  per task, from opening the gate until the last ended
 *   live_heap_per_task  heap bytes per parked task (block + table slot)
 *   live_heap_peak      the heap's highest use during the boot
 */
#include "kernel/bench.h"

#include "hal/dev/qemu.h"
#include "hal/hal.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "mm/heap.h"
#include "sched/executor.h"
#include "sched/lock.h"
#include "sched/waitq.h"

#define LIVE_TASKS 1000000u
#define GATE_SHARDS 64u
#define WAKE_BATCH 64u
#define STUCK_MS 20000		/* no progress this long: a task is lost */

struct gate_shard {
	struct sched_lock lock;
	struct waitq q;
} __attribute__((aligned(64)));

static struct gate_shard gate[GATE_SHARDS];
static _Atomic bool gate_open;
static _Atomic uint32_t parked, ended, twice;
static _Atomic uint64_t ended_bits[(LIVE_TASKS + 63) / 64];
static _Atomic uint32_t polled_on[HAL_MAX_CPUS];

/* One live task: parks once, ends when the gate is open. */
struct live_task {
	struct future base;
	uint32_t index;
	bool counted;		/* parked once: counted in `parked` */
	struct waiter w;
};

static struct gate_shard *shard_of(const struct live_task *t)
{
	return &gate[t->index % GATE_SHARDS];
}

static enum poll live_poll(struct future *f, struct context *cx)
{
	struct live_task *t = container_of(f, struct live_task, base);
	struct gate_shard *g = shard_of(t);

	atomic_fetch_add_explicit(&polled_on[hal_cpu_id() % HAL_MAX_CPUS], 1,
				  memory_order_relaxed);
	if (!atomic_load_explicit(&gate_open, memory_order_acquire)) {
		/* Look again under the lock: the gate opens before its
		 * queues are emptied under theirs, so no wake is missed. */
		bool taken = sched_lock(&g->lock);
		bool open = atomic_load_explicit(&gate_open, memory_order_relaxed);
		if (!open)
			waitq_add(&g->q, &t->w, cx->waker);
		sched_unlock(&g->lock, taken);
		if (!open) {
			if (!t->counted)
				atomic_fetch_add(&parked, 1);
			t->counted = true;
			return POLL_PENDING;
		}
	}
	uint64_t bit = 1ull << (t->index % 64);
	if (atomic_fetch_or(&ended_bits[t->index / 64], bit) & bit)
		atomic_fetch_add(&twice, 1);
	atomic_fetch_add(&ended, 1);
	return POLL_READY;
}

static void live_drop(struct future *f)
{
	struct live_task *t = container_of(f, struct live_task, base);
	struct gate_shard *g = shard_of(t);
	bool taken = sched_lock(&g->lock);

	waitq_remove(&t->w);
	sched_unlock(&g->lock, taken);
}

static const struct future_ops live_ops = { .name = "live", .poll = live_poll,
					    .drop = live_drop };

/* Opens the gate and wakes every parked task, a batch per lock hold. */
static void gate_release(void)
{
	struct waker batch[WAKE_BATCH];

	atomic_store_explicit(&gate_open, true, memory_order_release);
	for (unsigned s = 0; s < GATE_SHARDS; s++) {
		unsigned n;
		do {
			bool taken = sched_lock(&gate[s].lock);
			n = waitq_wake_if(&gate[s].q, NULL, NULL, taken, batch, WAKE_BATCH);
			sched_unlock(&gate[s].lock, taken);
			waitq_wake_end(batch, n);
		} while (n == WAKE_BATCH);
	}
}

static void gate_init(void)
{
	for (unsigned s = 0; s < GATE_SHARDS; s++) {
		sched_lock_init(&gate[s].lock);
		waitq_init(&gate[s].q);
	}
	atomic_store(&gate_open, false);
	atomic_store(&parked, 0);
	atomic_store(&ended, 0);
	atomic_store(&twice, 0);
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		atomic_store(&polled_on[i], 0);
	memset((void *)ended_bits, 0, sizeof ended_bits);
}

static void heap_now(struct heap_stats *s)
{
	kmalloc_stats(s);
}

/* Per-task figure with two decimals. */
static void report_per(const char *name, uint64_t num, uint64_t den, const char *unit)
{
	uint64_t h = den ? num * 100 / den : 0;

	kprintf("BENCH %s %llu.%02llu %s\n", name, (unsigned long long)(h / 100),
		(unsigned long long)(h % 100), unit);
}

/* Bits 0 .. n-1 all set, none past n: how many are missing. */
static uint32_t missing_bits(uint32_t n)
{
	uint32_t missing = 0;

	for (uint32_t i = 0; i < LIVE_TASKS; i++) {
		bool set = atomic_load_explicit(&ended_bits[i / 64], memory_order_relaxed) &
			   (1ull << (i % 64));
		if (set != (i < n))
			missing++;
	}
	return missing;
}

struct live_main {
	ASYNC_STATE;
	uint32_t n, target, last;
	uint64_t live_before, live, t0, t_spawned, t_parked, t_open, t_ended, progress_ms;
	size_t heap_before, heap_parked;
	bool oom;
	struct sleep_future nap;
};

/* Waits (sleeping 1 ms at a time) until *count reaches self->target;
 * false if it stopped moving for STUCK_MS. */
#define AWAIT_COUNT(count)                                                      \
	do {                                                                    \
		self->last = atomic_load(count);                                \
		self->progress_ms = hal_clock_ms();                             \
		while (atomic_load(count) < self->target) {                     \
			sleep_ms_init(&self->nap, 1);                           \
			AWAIT(&self->nap);                                      \
			if (atomic_load(count) != self->last) {                 \
				self->last = atomic_load(count);                \
				self->progress_ms = hal_clock_ms();             \
			} else if (hal_clock_ms() - self->progress_ms > STUCK_MS) \
				break;                                          \
		}                                                               \
	} while (0)

static bool live_verdict(struct live_main *self)
{
	uint32_t miss = missing_bits(self->n);
	bool ok = !self->oom && atomic_load(&ended) == self->n && !atomic_load(&twice) && !miss;

	if (!ok)
		kprintf("bench: live: FAILED: %u of %u tasks spawned, %u ended, %u ended twice, "
			"%u bitmap mismatches%s\n", self->n, LIVE_TASKS, atomic_load(&ended),
			atomic_load(&twice), miss, self->oom ? " (out of memory)" : "");
	return ok;
}

static void live_report(struct live_main *self)
{
	struct heap_stats h;
	unsigned cpus = hal_cpu_count();

	heap_now(&h);
	kprintf("BENCH live_tasks %u tasks\n", self->n);
	kprintf("BENCH live_cpus %u cpus\n", cpus);
	report_per("live_spawn", self->t_spawned - self->t0, self->n, "cycles");
	report_per("live_park", self->t_parked - self->t0, self->n, "cycles");
	report_per("live_wake_complete", self->t_ended - self->t_open, self->n, "cycles");
	report_per("live_heap_per_task", self->heap_parked - self->heap_before, self->n, "bytes");
	kprintf("BENCH live_heap_peak %zu KiB\n", h.peak_used / 1024);
	for (unsigned c = 0; c < cpus && c < HAL_MAX_CPUS; c++)
		kprintf("BENCH live_polls_cpu%u %u polls\n", c, atomic_load(&polled_on[c]));
}

ASYNC_FN(live_main, struct live_main)
{
	struct heap_stats h;
	struct executor *ex = executor_current();
	struct live_task init = { .base = { &live_ops } };

	ASYNC_BEGIN();
	gate_init();
	heap_now(&h);
	self->heap_before = h.used;
	self->live_before = executor_stats(ex).live;
	kprintf("bench: live: spawning %u tasks on %u CPUs (heap %zu KiB used, limit %zu MiB)\n",
		LIVE_TASKS, hal_cpu_count(), h.used / 1024, h.limit >> 20);
	self->t0 = hal_cycles();
	for (self->n = 0; self->n < LIVE_TASKS; self->n++) {
		init.index = self->n;
		if (!spawn_detached_on(ex, &init.base, sizeof init)) {
			self->oom = true;
			heap_now(&h);
			kprintf("bench: live: out of memory after %u of %u tasks (heap %zu MiB "
				"used of %zu MiB); releasing them\n", self->n, LIVE_TASKS,
				h.used >> 20, h.size >> 20);
			break;
		}
	}
	self->t_spawned = hal_cycles();
	self->target = self->n;
	AWAIT_COUNT(&parked);
	self->t_parked = hal_cycles();
	heap_now(&h);
	self->heap_parked = h.used;
	self->live = executor_stats(ex).live - self->live_before;
	kprintf("bench: live: %u tasks parked, %llu live (the executor's count)\n",
		atomic_load(&parked), (unsigned long long)self->live);
	if (atomic_load(&parked) != self->n || self->live != self->n)
		kprintf("bench: live: FAILED: %u spawned but %u parked and %llu live\n", self->n,
			atomic_load(&parked), (unsigned long long)self->live);
	self->t_open = hal_cycles();
	gate_release();
	AWAIT_COUNT(&ended);
	self->t_ended = hal_cycles();
	bool ok = live_verdict(self) && atomic_load(&parked) == self->n &&
		  self->live == self->n;
	live_report(self);
	kprintf("bench: live: %s\n", ok ? "every task parked, woke and ended once" : "FAILED");
	kprintf("bench: done\n");
	hal_qemu_exit(ok ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
	hal_halt_forever();
	ASYNC_END();
}

void bench_live_boot(void)
{
	static struct live_main init = { ASYNC_INIT(live_main) };
	struct task_handle h = SPAWN(init);

	if (!h.task)
		log_error("bench: live: out of memory");
	task_detach(&h);
}
