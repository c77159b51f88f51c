/*
 * shell.c — the shell task: read keys, edit the line, run commands.
 *
 * While a command's future runs, the shell keeps reading input so that
 * Ctrl-C can interrupt it; anything else typed meanwhile goes into the line
 * editor silently and shows up at the next prompt (type-ahead).
 */
#include "kernel/shell/shell.h"

#include "kernel/console/console.h"
#include "kernel/input/input.h"
#include "kernel/input/lineedit.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/shell/shell_parse.h"
#include "sched/async.h"
#include "sched/channel.h"
#include "sched/executor.h"
#include "sched/task.h"

#define PROMPT "coop> "
#define CTRL_C 0x03

/* Awaits the running command, or Ctrl-C, whichever comes first. */
struct command_wait {
	struct future base;
	bool interrupted;
};

struct shell {
	ASYNC_STATE;
	struct lineedit le;
	struct input_event ev;
	struct chan_recv_future recv;
	enum lineedit_result edit;
	struct future *cmd;       /* the command being awaited, or NULL */
	struct command_wait wait;
	bool line_ready;          /* Enter was typed ahead: run it at once */
	char line[LINEEDIT_UTF8_MAX];
};

static void echo(const struct lineedit *le)
{
	if (le->echo_len)
		con_write(le->echo, le->echo_len);
}

/* Notices from other tasks, held for the next prompt so that they never
 * land inside the line being typed. */
#define NOTICES_MAX 4
#define NOTICE_LEN 200
static char notices[NOTICES_MAX][NOTICE_LEN];
static unsigned notice_count;
static bool running;

bool shell_notice(const char *line)
{
	if (!running)
		return false;
	if (notice_count < NOTICES_MAX)
		strncpy(notices[notice_count++], line, NOTICE_LEN - 1);
	return true;
}

static void prompt(struct shell *sh)
{
	for (unsigned i = 0; i < notice_count; i++)
		log_warn("%s", notices[i]);
	notice_count = 0;
	con_write(PROMPT, sizeof PROMPT - 1);
	lineedit_redraw(&sh->le);
	echo(&sh->le);
}

/* Runs a line.  Returns the command's future if it has one to await. */
static struct future *execute(char *line)
{
	char *argv[SHELL_MAX_ARGS];
	int argc = shell_split(line, argv, SHELL_MAX_ARGS);
	const struct shell_cmd *cmd;

	if (argc == 0)
		return NULL;
	if (argc > SHELL_MAX_ARGS) {
		kprintf("%s: too many arguments (at most %d)\n", argv[0],
			SHELL_MAX_ARGS - 1);
		return NULL;
	}
	cmd = shell_cmd_find(argv[0]);
	if (!cmd) {
		kprintf("unknown command '%s': try help\n", argv[0]);
		return NULL;
	}
	return cmd->run(argc, argv);
}

/* A key that arrived while a command runs.  True if it was Ctrl-C.  Keys
 * after a typed-ahead Enter are dropped: one line of type-ahead is enough. */
static bool type_ahead(struct shell *sh)
{
	const struct input_event *ev = &sh->ev;

	if (ev->key == INPUT_CHAR && ev->ch == CTRL_C)
		return true;
	if (sh->line_ready)
		return false;
	if (ev->key == INPUT_CHAR && (ev->ch == '\n' || ev->ch == '\r'))
		sh->line_ready = true; /* runs after the prompt is back */
	else
		lineedit_key(&sh->le, ev->key, ev->ch); /* shown with the prompt */
	return false;
}

static enum lineedit_result submit_typed_ahead(struct shell *sh)
{
	sh->line_ready = false;
	enum lineedit_result r = lineedit_key(&sh->le, INPUT_CHAR, '\n');
	echo(&sh->le);
	return r;
}

static enum poll command_wait_poll(struct future *f, struct context *cx)
{
	struct command_wait *w = (struct command_wait *)f;
	struct shell *sh = container_of(w, struct shell, wait);

	if (future_poll(sh->cmd, cx) == POLL_READY)
		return POLL_READY;
	while (future_poll(&sh->recv.base, cx) == POLL_READY && sh->recv.ok) {
		if (type_ahead(sh)) {
			future_drop(sh->cmd);
			w->interrupted = true;
			return POLL_READY;
		}
		chan_recv_init(&sh->recv, input_channel(), &sh->ev);
	}
	return POLL_PENDING;
}

/* The shell itself is dropped while a command runs: the command goes, and
 * so does the receive that listens for Ctrl-C. */
static void command_wait_drop(struct future *f)
{
	struct shell *sh = container_of((struct command_wait *)f, struct shell, wait);

	if (sh->cmd)
		future_drop(sh->cmd);
	future_drop(&sh->recv.base);
}

static const struct future_ops command_wait_ops = {
	.name = "command_wait", .poll = command_wait_poll, .drop = command_wait_drop,
};

static void command_wait_init(struct shell *sh)
{
	sh->wait = (struct command_wait){ .base = { &command_wait_ops } };
	chan_recv_init(&sh->recv, input_channel(), &sh->ev);
}

/* Finishes a command: stop listening for Ctrl-C, say if it was cut short. */
static void command_done(struct shell *sh)
{
	future_drop(&sh->recv.base);
	if (sh->wait.interrupted) {
		kprintf("^C\n");
		sh->line_ready = false;
	}
	sh->cmd = NULL;
}

ASYNC_FN(shell, struct shell)
{
	ASYNC_BEGIN();
	lineedit_init(&self->le);
	log_info("shell: ready; type help for the commands");
	for (;;) {
		prompt(self);
		self->edit = LINEEDIT_EDITING;
		if (self->line_ready)
			self->edit = submit_typed_ahead(self);
		while (self->edit == LINEEDIT_EDITING) {
			chan_recv_init(&self->recv, input_channel(), &self->ev);
			AWAIT(&self->recv);
			if (!self->recv.ok) {
				log_warn("shell: input channel closed; shell exits");
				ASYNC_RETURN();
			}
			self->edit = lineedit_key(&self->le, self->ev.key, self->ev.ch);
			echo(&self->le);
		}
		if (self->edit == LINEEDIT_CANCELLED)
			continue;
		lineedit_take(&self->le, self->line);
		self->cmd = execute(self->line);
		if (!self->cmd)
			continue;
		command_wait_init(self);
		AWAIT(&self->wait);
		command_done(self);
	}
	ASYNC_END();
}

void shell_start(void)
{
	struct shell init = { ASYNC_INIT(shell) };
	struct task_handle h = SPAWN(init);

	if (!h.task)
		log_error("shell: out of memory; no shell");
	running = h.task != NULL;
	task_detach(&h);
}
