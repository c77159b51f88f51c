/*
 * shell_lines.h — the shell's lines besides the one being edited: lines
 * typed ahead (queued, run in order), lines run before (history), and the
 * completion of a command name.  Portable: the host tests drive them.
 */
#ifndef COOP_KERNEL_SHELL_LINES_H
#define COOP_KERNEL_SHELL_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/input/lineedit.h"

/* Typed or pasted ahead while a command runs: a few KB of lines. */
#define TYPEAHEAD_BYTES 8192
#define HISTORY_LINES 32

/* A FIFO of NUL-terminated lines in one buffer. */
struct line_queue {
	char buf[TYPEAHEAD_BYTES];
	size_t used;
};

void line_queue_init(struct line_queue *q);
/* False, and nothing stored, when the line does not fit. */
bool line_queue_push(struct line_queue *q, const char *line);
/* The oldest line into @out (LINEEDIT_UTF8_MAX bytes); false when empty. */
bool line_queue_pop(struct line_queue *q, char *out);
bool line_queue_empty(const struct line_queue *q);

/* The last HISTORY_LINES lines run, newest first. */
struct history {
	char lines[HISTORY_LINES][LINEEDIT_UTF8_MAX];
	unsigned count, newest; /* newest: index of the newest line */
};

void history_init(struct history *h);
/* Remembers @line, unless it is blank or repeats the newest line. */
void history_add(struct history *h, const char *line);
/* The @back-th newest line (1 = the newest), or NULL past the oldest. */
const char *history_get(const struct history *h, unsigned back);

/**
 * complete_word - completes @prefix against the @n @names.  Returns how many
 * names start with @prefix, and writes to @ext (NUL-terminated, @size bytes)
 * what all of them add to it; for a single match, followed by a space.
 */
unsigned complete_word(const char *prefix, const char *const *names, unsigned n, char *ext,
		       size_t size);

#endif
