/*
 * lineedit.h — the shell's line editor, as a pure function of key events.
 *
 * The editor owns one line of up to LINEEDIT_MAX code points, a cursor, and
 * the prompt in front of it.  Each key updates the line and appends to
 * le->echo the bytes that make a terminal show the change.
 *
 * Lines longer than a row wrap, and editing anywhere in them redraws
 * correctly.  One echo serves both the screen and a serial terminal whose
 * width we cannot know, so the editor never relies on a terminal wrapping by
 * itself: it breaks rows explicitly ("\r\n") every @width cells, with @width
 * below both the screen's and the serial terminal's width (80 assumed), and
 * moves between rows with VT100 cursor controls (ESC [ n A/B/C, ESC [ J),
 * which the kernel console understands too.  '\a' rings the bell.  Every
 * character is taken to fill one cell.
 *
 * No I/O, no allocation: the host tests drive it directly.
 */
#ifndef COOP_KERNEL_LINEEDIT_H
#define COOP_KERNEL_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/input/input.h"

#define LINEEDIT_MAX 200           /* characters in a line; more are dropped */
#define LINEEDIT_PROMPT_MAX 16     /* bytes of prompt (ASCII) */
/* Worst case echo of one key: the prompt and a full line of 3-byte UTF-8
 * characters redrawn, a row break per row and a few cursor controls. */
#define LINEEDIT_ECHO_MAX (4 * LINEEDIT_MAX + 128)
/* The line as UTF-8 (code points are BMP: at most 3 bytes each) plus NUL. */
#define LINEEDIT_UTF8_MAX (3 * LINEEDIT_MAX + 1)

enum lineedit_result {
	LINEEDIT_EDITING,      /* keep going */
	LINEEDIT_SUBMIT,       /* Enter: take the line with lineedit_take() */
	LINEEDIT_CANCELLED,    /* Ctrl-C: the line was dropped */
	LINEEDIT_COMPLETE,     /* Tab: the caller may complete the word */
	LINEEDIT_HISTORY_PREV, /* Up: the caller may put an older line in */
	LINEEDIT_HISTORY_NEXT, /* Down: a newer one */
	LINEEDIT_CLEAR_SCREEN, /* Ctrl-L: the caller clears, then redraws */
};

struct lineedit {
	uint32_t text[LINEEDIT_MAX]; /* code points, text[0..len) */
	unsigned len, cursor;        /* cursor is 0..len */
	unsigned dropped;            /* characters refused this line: it was full */
	char prompt[LINEEDIT_PROMPT_MAX];
	unsigned prompt_len, width;  /* width: cells per row, >= prompt_len + 2 */
	unsigned term_pos;           /* where the terminal cursor is, in cells */
	unsigned drawn;              /* cells the terminal shows (prompt + text) */
	/* Echo bytes produced by the last call. */
	char echo[LINEEDIT_ECHO_MAX];
	size_t echo_len;
};

/* An empty line behind @prompt (ASCII), wrapping rows every @width cells. */
void lineedit_init(struct lineedit *le, const char *prompt, unsigned width);

/**
 * lineedit_key - apply one key (enum input_key @key; @ch for INPUT_CHAR).
 * Printable characters insert at the cursor; once the line is full they are
 * counted in le->dropped, and only the first rings the bell.  '\b' or 0x7f
 * delete left; INPUT_DELETE deletes under the cursor; Left/Right/Home/End
 * (and Ctrl-A/Ctrl-E) move; Ctrl-U clears the line; Ctrl-C drops it; '\n'
 * or '\r' submits.  Tab, Up, Down and Ctrl-L only report themselves.
 * Afterwards le->echo[0..echo_len) holds what to print.
 */
enum lineedit_result lineedit_key(struct lineedit *le, unsigned key, uint32_t ch);

/**
 * lineedit_take - copy the line as NUL-terminated UTF-8 into @out (at least
 * LINEEDIT_UTF8_MAX bytes) and start an empty line.
 */
void lineedit_take(struct lineedit *le, char *out);

/* The text before the cursor as UTF-8 (for completion). */
void lineedit_before_cursor(const struct lineedit *le, char *out);
/* Inserts UTF-8 @s at the cursor, as if typed (completion). */
void lineedit_insert(struct lineedit *le, const char *s);
/* Replaces the whole line with UTF-8 @s, cursor at the end (history). */
void lineedit_set(struct lineedit *le, const char *s);

/* Echo that draws the prompt and the line from the start of an empty row
 * (a new prompt, or after someone else's output). */
void lineedit_redraw(struct lineedit *le);
/* Echo that erases the prompt and the line, leaving the terminal cursor
 * where the prompt began (before someone else prints). */
void lineedit_hide(struct lineedit *le);

#endif
