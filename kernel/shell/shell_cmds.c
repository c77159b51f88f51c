/*
 * shell_cmds.c — the shell's commands, one function each, and the table
 * that names them.  The demo-task spawner lives in shell_spawn.c.
 */
#include "kernel/bench.h"
#include "kernel/input/lineedit.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/parallel.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/shell/shell.h"
#include "kernel/shell/shell_parse.h"
#include "mm/mm.h"
#include "sched/executor.h"
#include "sched/timer.h"

#define SLEEP_MAX_S 3600
#define TASKS_LISTED_MAX 64

struct future *shell_cmd_spawn(int argc, char **argv); /* shell_spawn.c */
struct future *shell_cmd_uptime(int argc, char **argv); /* shell_platform.c */
struct future *shell_cmd_irqs(int argc, char **argv);
struct future *shell_cmd_acpi(int argc, char **argv);
struct future *shell_cmd_lspci(int argc, char **argv); /* shell_hw.c */
struct future *shell_cmd_lsusb(int argc, char **argv);
struct future *shell_cmd_cpus(int argc, char **argv); /* shell_cpus.c */
struct future *shell_power(int argc, char **argv, enum hal_reset_kind kind, const char *what);

bool shell_no_arguments(int argc, char **argv)
{
	if (argc == 1)
		return true;
	kprintf("%s: takes no arguments\n", argv[0]);
	return false;
}

static struct future *cmd_help(int argc, char **argv)
{
	if (!shell_no_arguments(argc, argv))
		return NULL;
	for (unsigned i = 0; shell_cmd_at(i); i++) {
		const struct shell_cmd *c = shell_cmd_at(i);
		kprintf("  %-8s %-10s %s\n", c->name, c->usage, c->help);
	}
	kprintf("keys: Left Right Home End Delete Backspace edit; Up Down recall lines; Tab\n"
		"completes a command; Ctrl-U clears the line, Ctrl-L the screen; Ctrl-C\n"
		"cancels; Ctrl-Alt-Del restarts.  Lines hold %u characters; lines typed\n"
		"while a command runs wait their turn.\n", LINEEDIT_MAX);
	return NULL;
}

static struct future *cmd_mem(int argc, char **argv)
{
	if (shell_no_arguments(argc, argv))
		mm_print_stats();
	return NULL;
}

struct task_list {
	unsigned shown, total;
};

static void print_task(const struct task_info *t, void *arg)
{
	struct task_list *l = arg;

	if (l->shown < TASKS_LISTED_MAX) {
		kprintf("%6u  %-14s %-10s %10u %4u\n", t->id, t->name,
			task_run_state_name(t->state), t->polls, t->cpu);
		l->shown++;
	}
	l->total++;
}

static struct future *cmd_tasks(int argc, char **argv)
{
	struct task_list l = { 0, 0 };

	if (!shell_no_arguments(argc, argv))
		return NULL;
	kprintf("%6s  %-14s %-10s %10s %4s\n", "ID", "NAME", "STATE", "POLLS", "CPU");
	sched_for_each_task(executor_global(), print_task, &l);
	if (l.total > l.shown)
		kprintf("... and %u more\n", l.total - l.shown);
	kprintf("%u tasks\n", l.total);
	return NULL;
}

static struct future *cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		kprintf("%s%s", i > 1 ? " " : "", argv[i]);
	kprintf("\n");
	return NULL;
}

static struct future *cmd_sleep(int argc, char **argv)
{
	static struct sleep_future nap;
	char err[96];
	uint64_t s;

	if (!shell_one_number(argc, argv, "seconds", 1, SLEEP_MAX_S, &s, err,
			      sizeof err)) {
		kprintf("%s\n", err);
		return NULL;
	}
	sleep_ms_init(&nap, s * 1000);
	return &nap.base;
}

static struct future *cmd_clear(int argc, char **argv)
{
	static const char clear[] = "\x1b[2J\x1b[H";

	if (shell_no_arguments(argc, argv))
		kprintf("%s", clear);
	return NULL;
}

static struct future *cmd_history(int argc, char **argv)
{
	if (shell_no_arguments(argc, argv))
		shell_print_history();
	return NULL;
}

static struct future *cmd_bench(int argc, char **argv)
{
	static struct bench_future b;
	static struct parallel_future p;
	static struct parallel_job job;

	if (argc == 2 && strcmp(argv[1], "parallel") == 0) {
		parallel_default(&job);
		parallel_init(&p, &job, false);
		return &p.base;
	}
	if (argc > 1) {
		kprintf("bench: takes nothing, or 'parallel'\n");
		return NULL;
	}
	bench_init(&b);
	return &b.base;
}

static struct future *cmd_panic(int argc, char **argv)
{
	(void)argc, (void)argv;
	panic("requested from the shell");
}

static struct future *cmd_reboot(int argc, char **argv)
{
	return shell_power(argc, argv, HAL_RESET_COLD, "reboot: resetting the machine");
}

static struct future *cmd_poweroff(int argc, char **argv)
{
	return shell_power(argc, argv, HAL_RESET_SHUTDOWN, "poweroff: switching off");
}

static const struct shell_cmd commands[] = {
	{ "help", "", "list the commands", cmd_help },
	{ "echo", "[text...]", "print the arguments", cmd_echo },
	{ "mem", "", "frame and heap statistics", cmd_mem },
	{ "tasks", "", "list the tasks: id, name, state, polls, CPU", cmd_tasks },
	{ "uptime", "", "time since boot; the clock and timer in use", shell_cmd_uptime },
	{ "irqs", "", "interrupt sources: vector, route, controller, count", shell_cmd_irqs },
	{ "acpi", "", "the firmware's ACPI tables", shell_cmd_acpi },
	{ "cpus", "", "the CPUs: number, APIC id, state, polls, idle time", shell_cmd_cpus },
	{ "sleep", "N", "wait N seconds (1..3600) while other tasks run", cmd_sleep },
	{ "spawn", "N [&]", "run N (1..10000) demo tasks that sleep 0.1-2 s; & in the "
	  "background", shell_cmd_spawn },
	{ "history", "", "the lines run before (Up and Down recall them)", cmd_history },
	{ "clear", "", "clear the screen (Ctrl-L too)", cmd_clear },
	{ "lspci", "[-v]", "PCI devices: bus:dev.fn, vendor:device, class (-v: BARs)",
	  shell_cmd_lspci },
	{ "lsusb", "", "USB devices: port path, vendor:product, speed, driver",
	  shell_cmd_lsusb },
	{ "bench", "[parallel]", "executor benchmarks (BENCH lines); parallel: one job on all CPUs",
	  cmd_bench },
	{ "panic", "", "panic the kernel (to see the report)", cmd_panic },
	{ "reboot", "[CPU]", "restart the machine (from that CPU)", cmd_reboot },
	{ "poweroff", "[CPU]", "switch the machine off (from that CPU)", cmd_poweroff },
};

const struct shell_cmd *shell_cmd_at(unsigned i)
{
	return i < sizeof commands / sizeof commands[0] ? &commands[i] : NULL;
}

const struct shell_cmd *shell_cmd_find(const char *name)
{
	for (unsigned i = 0; shell_cmd_at(i); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}
