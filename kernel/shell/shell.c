/*
 * shell.c — the shell task: read keys, edit lines, run commands.
 *
 * The keyboard and the serial port each have their own line in progress,
 * so typing on both at once never mixes characters; the prompt shows the
 * line of whichever was typed on last.  A line submitted while a command
 * runs is queued (typed ahead) and runs after it, in order, shown behind a
 * prompt as if just typed; the queue holds a few KB, and what does not fit
 * is dropped and reported in one line.  While a command runs the shell
 * keeps reading, so Ctrl-C from either source can interrupt it.
 */
#include "kernel/shell/shell.h"

#include <stdarg.h>

#include "kernel/console/console.h"
#include "kernel/input/input.h"
#include "kernel/input/lineedit.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/shell/shell_lines.h"
#include "kernel/shell/shell_parse.h"
#include "sched/async.h"
#include "sched/channel.h"
#include "sched/executor.h"
#include "sched/task.h"

#define PROMPT "coop> "
#define CTRL_C 0x03
/* A serial terminal is taken to be 80 columns wide; the editor breaks rows
 * before the narrower of it and the screen (see lineedit.h). */
#define SERIAL_COLS 80
#define SOURCES 2

/* Awaits the running command, or Ctrl-C, whichever comes first. */
struct command_wait {
	struct future base;
	bool interrupted;
};

struct shell {
	ASYNC_STATE;
	struct input_event ev;
	struct chan_recv_future recv;
	struct future *cmd;       /* the command being awaited, or NULL */
	struct command_wait wait;
};

/* Everything but the task's own awaiting: one shell, so it lives here,
 * where shell_print_async() can reach it too. */
static struct {
	struct lineedit le[SOURCES];   /* one line in progress per source */
	unsigned browsing[SOURCES];    /* history entry shown (0: none) */
	char saved[SOURCES][LINEEDIT_UTF8_MAX]; /* the line before browsing */
	unsigned active;               /* whose line the prompt shows */
	bool prompt_shown;             /* le[active] is on the terminal now */
	struct line_queue queue;       /* submitted lines not yet run */
	struct history history;
	bool just_typed;               /* the queued line is on the terminal */
	char line[LINEEDIT_UTF8_MAX];
	uint64_t dropped_lines, dropped_bytes, overruns_reported;
} sh;

static void echo(const struct lineedit *le)
{
	if (le->echo_len)
		con_write(le->echo, le->echo_len);
}

static void show_prompt(void)
{
	lineedit_redraw(&sh.le[sh.active]);
	echo(&sh.le[sh.active]);
	sh.prompt_shown = true;
}

static void hide_prompt(void)
{
	if (!sh.prompt_shown)
		return;
	lineedit_hide(&sh.le[sh.active]);
	echo(&sh.le[sh.active]);
	sh.prompt_shown = false;
}

void shell_print_async(const char *fmt, ...)
{
	bool shown = sh.prompt_shown;
	va_list ap;

	hide_prompt();
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	if (shown)
		show_prompt();
}

void shell_print_history(void)
{
	for (unsigned back = sh.history.count; back > 0; back--)
		kprintf("%5u  %s\n", sh.history.count - back + 1,
			history_get(&sh.history, back));
}

/* Notices from other tasks (executor context).  At the prompt they are
 * printed at once, with the line being typed taken off the screen and put
 * back; while a command runs they wait for the next prompt. */
#define NOTICES_MAX 4
#define NOTICE_LEN 200
static char notices[NOTICES_MAX][NOTICE_LEN];
static unsigned notice_count;
static bool running;

bool shell_notice(const char *line)
{
	if (!running)
		return false;
	if (sh.prompt_shown) {
		hide_prompt();
		log_warn("%s", line);
		show_prompt();
	} else if (notice_count < NOTICES_MAX) {
		strncpy(notices[notice_count++], line, NOTICE_LEN - 1);
	}
	return true;
}

static void print_notices(void)
{
	for (unsigned i = 0; i < notice_count; i++)
		log_warn("%s", notices[i]);
	notice_count = 0;
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

/* ---- keys ---------------------------------------------------------------- */

static void complete(struct lineedit *le, bool quiet)
{
	const char *names[SHELL_MAX_COMMANDS];
	char before[LINEEDIT_UTF8_MAX], ext[LINEEDIT_UTF8_MAX];
	unsigned n = 0;

	lineedit_before_cursor(le, before);
	for (const struct shell_cmd *c; n < SHELL_MAX_COMMANDS && (c = shell_cmd_at(n)); n++)
		names[n] = c->name;
	/* Command names only: the first word, nothing before it. */
	unsigned matches = strchr(before, ' ') ? 0 : complete_word(before, names, n, ext,
								 sizeof ext);
	if (ext[0] && matches) {
		lineedit_insert(le, ext);
	} else if (matches > 1 && !quiet) {
		hide_prompt();
		for (unsigned i = 0; i < n; i++)
			if (strncmp(names[i], before, strlen(before)) == 0)
				kprintf("%s  ", names[i]);
		kprintf("\n");
		show_prompt();
		le->echo_len = 0;
	} else {
		le->echo[0] = '\a';
		le->echo_len = 1;
	}
}

static void browse(unsigned s, int step)
{
	struct lineedit *le = &sh.le[s];
	unsigned to = sh.browsing[s] + (unsigned)step;

	le->echo_len = 0;
	if (step < 0 && sh.browsing[s] == 0)
		return;
	const char *line = to ? history_get(&sh.history, to) : sh.saved[s];
	if (!line) {
		le->echo[0] = '\a';
		le->echo_len = 1;
		return;
	}
	if (sh.browsing[s] == 0)
		lineedit_take(le, sh.saved[s]); /* keep what was being typed */
	sh.browsing[s] = to;
	lineedit_set(le, line);
}

static void clear_screen(void)
{
	static const char clear[] = "\x1b[2J\x1b[H";
	con_write(clear, sizeof clear - 1);
}

/* A whole line from source @s: queue it to run, or count it as dropped. */
static void submit(unsigned s, bool quiet)
{
	struct lineedit *le = &sh.le[s];
	unsigned dropped = le->dropped;

	sh.browsing[s] = 0;
	sh.just_typed = !quiet;
	lineedit_take(le, sh.line);
	if (dropped)
		shell_print_async("shell: that line was longer than %u characters; the last "
				  "%u were dropped\n", LINEEDIT_MAX, dropped);
	if (!line_queue_push(&sh.queue, sh.line)) {
		sh.dropped_lines++;
		sh.dropped_bytes += strlen(sh.line) + 1;
	}
}

/* The prompt switches to the line of the source that was typed on. */
static void focus(unsigned s)
{
	struct lineedit *from = &sh.le[sh.active], *to = &sh.le[s];

	if (s == sh.active || !sh.prompt_shown) {
		sh.active = s;
		return;
	}
	if (!from->len && !to->len) {
		/* Both show a bare prompt: nothing to redraw, only the terminal
		 * model to hand over. */
		to->term_pos = from->term_pos;
		to->drawn = from->drawn;
		sh.active = s;
		return;
	}
	hide_prompt();
	sh.active = s;
	show_prompt();
}

/* One key.  @quiet while a command runs: the line is edited, not shown. */
static void handle_key(const struct input_event *ev, bool quiet)
{
	unsigned s = ev->source < SOURCES ? ev->source : 0;
	struct lineedit *le = &sh.le[s];

	if (!quiet)
		focus(s);
	enum lineedit_result r = lineedit_key(le, ev->key, ev->ch);
	switch (r) {
	case LINEEDIT_SUBMIT:
		if (!quiet)
			echo(le);
		sh.prompt_shown = quiet ? sh.prompt_shown : false;
		submit(s, quiet);
		return;
	case LINEEDIT_CANCELLED:
		sh.browsing[s] = 0;
		if (!quiet) {
			echo(le);
			show_prompt();
		}
		return;
	case LINEEDIT_COMPLETE: complete(le, quiet); break;
	case LINEEDIT_HISTORY_PREV: browse(s, 1); break;
	case LINEEDIT_HISTORY_NEXT: browse(s, -1); break;
	case LINEEDIT_CLEAR_SCREEN:
		if (!quiet) {
			clear_screen();
			show_prompt();
		}
		return;
	default: break;
	}
	if (!quiet)
		echo(le);
}

/* Input lost on the way: said once, when the prompt comes back. */
static void report_losses(void)
{
	uint64_t overruns = serial_input_overruns();

	if (sh.dropped_lines) {
		log_warn("shell: typed ahead faster than commands ran: %llu lines (%llu bytes) "
			 "dropped", (unsigned long long)sh.dropped_lines,
			 (unsigned long long)sh.dropped_bytes);
		sh.dropped_lines = sh.dropped_bytes = 0;
	}
	if (overruns != sh.overruns_reported) {
		log_warn("serial: input arrived faster than it was read: %llu bytes lost",
			 (unsigned long long)(overruns - sh.overruns_reported));
		sh.overruns_reported = overruns;
	}
}

/* ---- waiting for a command ------------------------------------------------ */

static enum poll command_wait_poll(struct future *f, struct context *cx)
{
	struct command_wait *w = (struct command_wait *)f;
	struct shell *self = container_of(w, struct shell, wait);

	if (future_poll(self->cmd, cx) == POLL_READY)
		return POLL_READY;
	while (future_poll(&self->recv.base, cx) == POLL_READY && self->recv.ok) {
		if (self->ev.key == INPUT_CHAR && self->ev.ch == CTRL_C) {
			future_drop(self->cmd);
			w->interrupted = true;
			return POLL_READY;
		}
		handle_key(&self->ev, true);
		chan_recv_init(&self->recv, input_channel(), &self->ev);
	}
	return POLL_PENDING;
}

/* The shell itself is dropped while a command runs: the command goes, and
 * so does the receive that listens for Ctrl-C. */
static void command_wait_drop(struct future *f)
{
	struct shell *self = container_of((struct command_wait *)f, struct shell, wait);

	if (self->cmd)
		future_drop(self->cmd);
	future_drop(&self->recv.base);
}

static const struct future_ops command_wait_ops = {
	.name = "command_wait", .poll = command_wait_poll, .drop = command_wait_drop,
};

static void command_wait_init(struct shell *self)
{
	self->wait = (struct command_wait){ .base = { &command_wait_ops } };
	chan_recv_init(&self->recv, input_channel(), &self->ev);
}

/* Finishes a command: stop listening for Ctrl-C, say if it was cut short. */
static void command_done(struct shell *self)
{
	future_drop(&self->recv.base);
	if (self->wait.interrupted)
		kprintf("^C\n");
	self->cmd = NULL;
}

/* Shows a line taken from the queue as if it had just been typed. */
static void show_queued(const char *line)
{
	kprintf("%s%s\n", PROMPT, line);
}

ASYNC_FN(shell, struct shell)
{
	ASYNC_BEGIN();
	log_info("shell: ready; type help for the commands");
	for (;;) {
		if (line_queue_pop(&sh.queue, sh.line)) {
			if (!sh.just_typed)
				show_queued(sh.line); /* typed ahead: not shown yet */
			sh.just_typed = false;
			history_add(&sh.history, sh.line);
			self->cmd = execute(sh.line);
			if (!self->cmd)
				continue;
			command_wait_init(self);
			AWAIT(&self->wait);
			command_done(self);
			continue;
		}
		report_losses();
		print_notices();
		show_prompt();
		while (line_queue_empty(&sh.queue)) {
			chan_recv_init(&self->recv, input_channel(), &self->ev);
			AWAIT(&self->recv);
			if (!self->recv.ok) {
				log_warn("shell: input channel closed; shell exits");
				ASYNC_RETURN();
			}
			handle_key(&self->ev, false);
		}
	}
	ASYNC_END();
}

void shell_start(void)
{
	/* Rows break before the screen's last column and the serial
	 * terminal's, so neither wraps a row by itself. */
	unsigned cols = con_cols() < SERIAL_COLS ? con_cols() : SERIAL_COLS;

	for (unsigned s = 0; s < SOURCES; s++)
		lineedit_init(&sh.le[s], PROMPT, cols - 1);
	line_queue_init(&sh.queue);
	history_init(&sh.history);
	struct shell init = { ASYNC_INIT(shell) };
	struct task_handle h = SPAWN(init);

	if (!h.task)
		log_error("shell: out of memory; no shell");
	running = h.task != NULL;
	task_detach(&h);
}
