/*
 * shell_spawn.c — `spawn N`: N demo tasks that each sleep a pseudo-random
 * 100..2000 ms and report, while the shell awaits the last of them; and
 * `spawn N &`, which gives the prompt back at once (so `tasks` shows them
 * sleeping) and says, in one line, when the last one is done.
 *
 * The tasks share one static group record.  Ctrl-C drops the shell's wait,
 * and a new spawn replaces the group; either bumps the generation, and
 * tasks of an abandoned group finish without a word.  The tasks run on any
 * CPU (the executor spreads them), several at once: the count they share is
 * atomic, the shell waits on an atomic waker, and each CPU's share is
 * counted and shown at the end.
 */
#include "hal/hal.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/shell/shell.h"
#include "kernel/shell/shell_parse.h"
#include "sched/async.h"
#include "sched/atomic_waker.h"
#include "sched/executor.h"
#include "sched/task.h"
#include "sched/timer.h"

#define SPAWN_MAX 10000
#define SPAWN_REPORTED 10 /* tasks that print a line; the rest are counted */
#define DEMO_MIN_MS 100
#define DEMO_MAX_MS 2000

struct future *shell_cmd_spawn(int argc, char **argv);

static struct {
	_Atomic uint32_t generation;
	_Atomic uint32_t spawned, finished;
	uint64_t start_ms;
	bool background;     /* no shell waits: report the end in one line */
	struct atomic_waker waiter; /* the shell, once it waits */
	_Atomic uint32_t on_cpu[HAL_MAX_CPUS];	/* where each finished */
	bool ready;		/* waiter initialised */
} group;

struct demo {
	ASYNC_STATE;
	uint32_t generation, ms;
	struct sleep_future nap;
};

static void demo_finished(const struct demo *d)
{
	struct task *self = sched_current_task();
	unsigned cpu = hal_cpu_id();
	uint32_t n = atomic_fetch_add(&group.finished, 1) + 1;
	uint32_t spawned = atomic_load(&group.spawned);

	atomic_fetch_add_explicit(&group.on_cpu[cpu], 1, memory_order_relaxed);
	if (group.background) {
		if (n == spawned)
			shell_print_async("spawn: %u background tasks done in %llu ms\n", spawned,
					  (unsigned long long)(hal_clock_ms() - group.start_ms));
		return;
	}
	if (n <= SPAWN_REPORTED)
		kprintf("demo task %u: slept %u ms on CPU %u\n", self ? task_id(self) : 0, d->ms,
			cpu);
	if (n == spawned)
		atomic_waker_wake(&group.waiter);
}

ASYNC_FN(demo, struct demo)
{
	ASYNC_BEGIN();
	sleep_ms_init(&self->nap, self->ms);
	AWAIT(&self->nap);
	if (self->generation == atomic_load(&group.generation))
		demo_finished(self);
	ASYNC_END();
}

/* xorshift64: plenty for demo sleeps. */
static uint32_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 32);
}

static bool all_finished(void)
{
	return atomic_load(&group.finished) == atomic_load(&group.spawned);
}

static void report_done(void)
{
	uint32_t spawned = atomic_load(&group.spawned);

	kprintf("spawn: %u tasks done in %llu ms", spawned,
		(unsigned long long)(hal_clock_ms() - group.start_ms));
	if (spawned > SPAWN_REPORTED)
		kprintf(" (%u not shown)", spawned - SPAWN_REPORTED);
	kprintf("; by CPU:");
	for (unsigned c = 0; c < hal_cpu_count() && c < HAL_MAX_CPUS; c++)
		kprintf(" %u", (unsigned)atomic_load(&group.on_cpu[c]));
	kprintf("\n");
}

static enum poll spawn_wait_poll(struct future *f, struct context *cx)
{
	(void)f;
	if (!all_finished()) {
		/* Register, then look again: the last task may have ended
		 * between the look and the registration. */
		atomic_waker_register(&group.waiter, cx->waker);
		if (!all_finished())
			return POLL_PENDING;
	}
	report_done();
	return POLL_READY;
}

static void spawn_wait_drop(struct future *f)
{
	(void)f;
	atomic_fetch_add(&group.generation, 1); /* the stragglers end quietly */
}

static const struct future_ops spawn_wait_ops = {
	.name = "spawn_wait", .poll = spawn_wait_poll, .drop = spawn_wait_drop,
};

static uint32_t spawn_demos(uint32_t n)
{
	static uint64_t seed;
	struct demo d = { ASYNC_INIT(demo), .generation = atomic_load(&group.generation) };
	uint32_t i;

	seed ^= hal_cycles() | 1;
	for (i = 0; i < n; i++) {
		d.ms = DEMO_MIN_MS + next_random(&seed) % (DEMO_MAX_MS - DEMO_MIN_MS + 1);
		if (!spawn_detached_on(executor_global(), &d.base, sizeof d))
			break;
	}
	return i;
}

/* "spawn N &" or "spawn N&": strips the '&'; true if there was one. */
static bool background(int *argc, char **argv)
{
	if (*argc > 2 && strcmp(argv[*argc - 1], "&") == 0) {
		(*argc)--;
		return true;
	}
	size_t n = *argc == 2 ? strlen(argv[1]) : 0;
	if (n > 1 && argv[1][n - 1] == '&') {
		argv[1][n - 1] = '\0';
		return true;
	}
	return false;
}

struct future *shell_cmd_spawn(int argc, char **argv)
{
	static struct future wait = { &spawn_wait_ops };
	bool bg = background(&argc, argv);
	char err[96];
	uint64_t n;
	uint32_t got;

	if (!shell_one_number(argc, argv, "tasks", 1, SPAWN_MAX, &n, err, sizeof err)) {
		kprintf("%s\n", err);
		return NULL;
	}
	if (!group.ready) {
		atomic_waker_init(&group.waiter);
		group.ready = true;
	}
	atomic_fetch_add(&group.generation, 1);
	atomic_store(&group.finished, 0);
	/* Until every task is spawned, none can be the last. */
	atomic_store(&group.spawned, UINT32_MAX);
	for (unsigned c = 0; c < HAL_MAX_CPUS; c++)
		atomic_store_explicit(&group.on_cpu[c], 0, memory_order_relaxed);
	group.background = bg;
	group.start_ms = hal_clock_ms();
	got = spawn_demos((uint32_t)n);
	atomic_store(&group.spawned, got);
	if (got < n)
		kprintf("spawn: out of memory after %u tasks\n", got);
	if (!bg)
		return &wait;
	kprintf("spawn: %u demo tasks running in the background; tasks lists them\n", got);
	return NULL;
}
