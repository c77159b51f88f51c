/*
 * shell.h — the interactive shell: a `coop> ` prompt with line editing,
 * fed by the input channel (keyboard and serial alike).
 *
 * The shell is one async task.  Quick commands run inside its poll; a
 * command that takes time (sleep, spawn, bench) hands back a future, which
 * the shell awaits while every other task keeps running.  Ctrl-C drops
 * that future and gives the prompt back.
 */
#ifndef COOP_KERNEL_SHELL_H
#define COOP_KERNEL_SHELL_H

#include <stdbool.h>

#include "sched/future.h"

/* Spawns the shell task.  After input_init(); before executor_run(). */
void shell_start(void);
/* Prints for a task other than the shell (a background job): the prompt and
 * the line being typed are taken off the screen first and put back after,
 * so the message does not land in the middle of them. */
void shell_print_async(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lists the history, oldest first (the history command). */
void shell_print_history(void);

#define SHELL_MAX_COMMANDS 32

struct shell_cmd {
	const char *name;
	const char *usage; /* arguments, for help: "N", "[text...]" */
	const char *help;  /* one line */
	/* Runs the command.  Returns NULL when it has finished, or a future the
	 * shell must await (it lives in static storage: one command at a time). */
	struct future *(*run)(int argc, char **argv);
};

/* kernel/shell/shell_cmds.c: the command table. */
const struct shell_cmd *shell_cmd_find(const char *name);
const struct shell_cmd *shell_cmd_at(unsigned i); /* NULL past the end */
/*
 * A warning from another task (executor context), printed as a warning
 * line before the next prompt rather than into the line being typed.
 * False if there is no shell: then the caller prints it itself.
 */
bool shell_notice(const char *line);
/* True if the command got no arguments; else says so, for argv[0]. */
bool shell_no_arguments(int argc, char **argv);

#endif
