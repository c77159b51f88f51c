/*
 * smp.h — the other CPUs, as the kernel uses them: which to start, what
 * each runs, how to hand one work, and what the `cpus` command shows.
 *
 * smp_start() starts every CPU the MADT lists (enabled or online-capable)
 * up to cpus=N, all at once (hal/smp/smp.h), each with its own stacks,
 * per-CPU block, GDT and TSS and local APIC timer.  Every CPU runs a
 * worker of the kernel's one executor (sched/executor.h): tasks start
 * where they are spawned, idle CPUs steal, and a CPU with nothing to do
 * halts until an interrupt or a wake-up IPI.  smp_call() runs a function
 * on a given CPU, from that CPU's worker loop.
 */
#ifndef COOP_KERNEL_SMP_H
#define COOP_KERNEL_SMP_H

#include <stdbool.h>
#include <stdint.h>

struct executor;

/* The boot step (kernel/main.c): after the executor, before the shell. */
void smp_start(void);

/* Before executor_init(): how many CPUs smp_start() will try to run (the
 * boot CPU included; cpus=N caps it), so the executor has a worker each. */
unsigned smp_cpus_planned(void);

/* The executor of this CPU, or of CPU `cpu` (NULL if it does not run):
 * the kernel's one executor, for every CPU. */
struct executor *smp_executor(void);
struct executor *smp_executor_of(unsigned cpu);

/*
 * Runs c->fn(c->arg) on CPU `cpu`, from that CPU's worker loop (so spawn()
 * there spawns on that CPU), and sets c->done when it returns.
 * On this very CPU it runs at once.  False if the CPU does not run, or
 * still has an earlier request to take (one at a time per CPU).  *c must
 * stay valid until done.
 */
struct smp_call {
	void (*fn)(void *arg);
	void *arg;
	uint32_t done;
};
bool smp_call(unsigned cpu, struct smp_call *c);
bool smp_call_done(const struct smp_call *c);
/* Waits (halting) until c is done or `ms` have passed; true if done. */
bool smp_call_wait(const struct smp_call *c, uint64_t ms);

/* One line of the `cpus` command.  CPUs that do not run (cpus=N, or they
 * did not answer) are listed too, with cpu = -1. */
struct smp_cpu_info {
	int cpu;
	uint32_t apic_id;
	const char *state;	/* "online", "off (cpus=2)", "no answer", ... */
	uint64_t polls, steals, halts;	/* its worker's */
	unsigned idle_permille;
};
/* Fills out[0..max-1]; returns how many CPUs there are to list. */
unsigned smp_cpu_list(struct smp_cpu_info *out, unsigned max);

/*
 * Test hook: sends INIT, SIPI, SIPI to an APIC id that no CPU has, as the
 * boot does, with this timeout, and reports the result as the boot does;
 * true if the result was "did not answer".  The id must not be one the
 * MADT lists: a CPU that answered would have no kernel to run.
 */
bool smp_start_absent_for_test(uint32_t apic_id, uint64_t timeout_ms);

/* How long each AP took from its INIT to online, in microseconds (0 for
 * one that is not online), for tests and the boot log. */
uint64_t smp_startup_us(unsigned cpu);

#endif
