/*
 * parallel.c — `bench parallel` (see parallel.h).
 *
 * Each task runs `chunks` chunks of `iters` xorshift steps from a seed of
 * its own, yielding after each chunk, and adds its last value to the job's
 * checksum: any split of the work over CPUs gives the same sum, so a task
 * polled twice, or not at all, shows.
 */
#include "kernel/parallel.h"

#include "hal/time/clock.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "sched/executor.h"

#define DEFAULT_TASKS 64
#define DEFAULT_CHUNKS 80
#define DEFAULT_ITERS 100000

static uint64_t seed_of(unsigned index)
{
	return 0x9e3779b97f4a7c15ull * (index + 1);
}

/* One chunk of the job's work: `iters` steps of xorshift64. */
static uint64_t run_chunk(uint64_t x, unsigned iters)
{
	for (unsigned i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

uint64_t parallel_expected(const struct parallel_job *job)
{
	uint64_t sum = 0;

	for (unsigned t = 0; t < job->tasks; t++) {
		uint64_t x = seed_of(t);
		for (unsigned c = 0; c < job->chunks; c++)
			x = run_chunk(x, job->iters);
		sum += x;
	}
	return sum;
}

/* ---- one task of the job ------------------------------------------------------ */

struct chunk_task {
	struct future base;
	struct parallel_job *job;
	unsigned chunk;
	uint64_t x;
	_Atomic uint32_t busy;	/* being polled: a second poller is an overlap */
};

static void task_done(struct parallel_job *job, uint64_t x)
{
	atomic_fetch_add_explicit(&job->checksum, x, memory_order_relaxed);
	/* Release: our sum is in before the root sees the count reach 0. */
	if (atomic_fetch_sub_explicit(&job->left, 1, memory_order_acq_rel) == 1)
		atomic_waker_wake(&job->done);
}

static enum poll chunk_poll(struct future *f, struct context *cx)
{
	struct chunk_task *t = (struct chunk_task *)f;
	struct parallel_job *job = t->job;

	if (atomic_exchange_explicit(&t->busy, 1, memory_order_acquire))
		atomic_fetch_add_explicit(&job->overlaps, 1, memory_order_relaxed);
	t->x = run_chunk(t->x, job->iters);
	atomic_fetch_add_explicit(&job->chunks_on[hal_cpu_id()], 1, memory_order_relaxed);
	atomic_store_explicit(&t->busy, 0, memory_order_release);
	if (++t->chunk == job->chunks) {
		task_done(job, t->x);
		return POLL_READY;
	}
	waker_wake_by_ref(cx->waker);	/* yield: behind the other ready tasks */
	return POLL_PENDING;
}

static const struct future_ops chunk_ops = { .name = "parallel", .poll = chunk_poll };

/* ---- the root ------------------------------------------------------------------ */

static enum poll wait_poll(struct future *f, struct context *cx)
{
	struct parallel_future *p = container_of(f, struct parallel_future, wait);
	struct parallel_job *job = p->job;

	if (atomic_load_explicit(&job->left, memory_order_acquire) == 0)
		return POLL_READY;
	atomic_waker_register(&job->done, cx->waker);
	return atomic_load_explicit(&job->left, memory_order_acquire) == 0 ? POLL_READY
									  : POLL_PENDING;
}

static const struct future_ops wait_ops = { .name = "parallel_wait", .poll = wait_poll };

static void report(struct parallel_future *p)
{
	struct parallel_job *job = p->job;
	uint64_t us = job->ns / 1000;

	if (p->quiet)
		return;
	kprintf("parallel: %u tasks on %u CPU%s in %llu.%03llu ms\n", job->tasks, job->cpus,
		job->cpus == 1 ? "" : "s", (unsigned long long)(us / 1000),
		(unsigned long long)(us % 1000));
	kprintf("BENCH parallel_ms %llu.%03llu ms\n", (unsigned long long)(us / 1000),
		(unsigned long long)(us % 1000));
	kprintf("BENCH parallel_cpus %u cpus\n", job->cpus);
	for (unsigned c = 0; c < job->cpus && c < HAL_MAX_CPUS; c++)
		kprintf("BENCH parallel_chunks_cpu%u %llu chunks\n", c,
			(unsigned long long)atomic_load(&job->chunks_on[c]));
	if (atomic_load(&job->overlaps) || atomic_load(&job->checksum) != parallel_expected(job))
		log_error("parallel: wrong result (%u overlapping polls)",
			  (unsigned)atomic_load(&job->overlaps));
}

ASYNC_FN(parallel, struct parallel_future)
{
	ASYNC_BEGIN();
	self->job->cpus = hal_cpu_count();
	self->t0 = hal_clock_ns();
	for (self->i = 0; self->i < self->job->tasks; self->i++) {
		struct chunk_task t = { .base = { &chunk_ops }, .job = self->job,
					.x = seed_of(self->i) };
		if (!spawn_detached_on(cx->executor, &t.base, sizeof t))
			task_done(self->job, 0);	/* out of memory: the sum shows it */
	}
	self->wait = (struct future){ &wait_ops };
	AWAIT(&self->wait);
	self->job->ns = hal_clock_ns() - self->t0;
	atomic_waker_destroy(&self->job->done);	/* our waker's reference */
	self->job->finished = true;
	executor_kick(cx->executor);	/* a CPU halted in executor_run_until() looks */
	report(self);
	ASYNC_END();
}

void parallel_job_init(struct parallel_job *job, unsigned tasks, unsigned chunks,
		       unsigned iters)
{
	memset(job, 0, sizeof *job);
	job->tasks = tasks;
	job->chunks = chunks ? chunks : 1;
	job->iters = iters;
	atomic_store(&job->left, tasks);
	atomic_waker_init(&job->done);
}

void parallel_default(struct parallel_job *job)
{
	parallel_job_init(job, DEFAULT_TASKS, DEFAULT_CHUNKS, DEFAULT_ITERS);
}

void parallel_init(struct parallel_future *f, struct parallel_job *job, bool quiet)
{
	*f = (struct parallel_future){ ASYNC_INIT(parallel), .job = job, .quiet = quiet };
}
