/*
 * shell_cpus.c — `cpus` (one line per CPU: number, APIC id, state, and its
 * worker's polls, steals and halts, idle time) and the CPU argument of `reboot` and `poweroff`.
 */
#include "hal/hal.h"
#include "kernel/log.h"
#include "kernel/power.h"
#include "kernel/shell/shell.h"
#include "kernel/shell/shell_parse.h"
#include "kernel/smp.h"

#define LISTED_MAX (2 * HAL_MAX_CPUS)

struct future *shell_cmd_cpus(int argc, char **argv);
struct future *shell_power(int argc, char **argv, enum hal_reset_kind kind, const char *what);

struct future *shell_cmd_cpus(int argc, char **argv)
{
	static struct smp_cpu_info list[LISTED_MAX];
	unsigned n;

	if (!shell_no_arguments(argc, argv))
		return NULL;
	n = smp_cpu_list(list, LISTED_MAX);
	kprintf("%4s  %4s  %-12s %10s %8s %8s  %6s\n", "CPU", "APIC", "STATE", "POLLS", "STEALS",
		"HALTS", "IDLE");
	for (unsigned i = 0; i < n && i < LISTED_MAX; i++) {
		const struct smp_cpu_info *c = &list[i];
		if (c->cpu < 0) {
			kprintf("%4s  %4u  %-12s\n", "-", c->apic_id, c->state);
			continue;
		}
		kprintf("%4d  %4u  %-12s %10llu %8llu %8llu  %3u.%u%%\n", c->cpu, c->apic_id,
			c->state, (unsigned long long)c->polls, (unsigned long long)c->steals,
			(unsigned long long)c->halts, c->idle_permille / 10, c->idle_permille % 10);
	}
	kprintf("%u CPU%s online\n", hal_cpu_count(), hal_cpu_count() == 1 ? "" : "s");
	return NULL;
}

static enum hal_reset_kind reset_kind;

static void reset_here(void *arg)
{
	(void)arg;
	machine_reset(reset_kind);
}

/* reboot / poweroff [CPU]: from this CPU, or from the one named. */
struct future *shell_power(int argc, char **argv, enum hal_reset_kind kind, const char *what)
{
	static struct smp_call call;
	uint64_t cpu = hal_cpu_id();

	if (argc > 2 || (argc == 2 && !shell_parse_uint(argv[1], 0, HAL_MAX_CPUS - 1, &cpu))) {
		kprintf("%s: takes an optional CPU number (see cpus)\n", argv[0]);
		return NULL;
	}
	if (cpu >= hal_cpu_count()) {
		kprintf("%s: CPU %u is not running (see cpus)\n", argv[0], (unsigned)cpu);
		return NULL;
	}
	reset_kind = kind;
	kprintf("%s from CPU %u\n", what, (unsigned)cpu);
	call = (struct smp_call){ .fn = reset_here };
	if (!smp_call((unsigned)cpu, &call))
		kprintf("%s: CPU %u is busy; try again\n", argv[0], (unsigned)cpu);
	return NULL;
}
