/*
 * lineedit.h — the shell's line editor, as a pure function of key events.
 *
 * The editor owns one line of up to LINEEDIT_MAX code points and a cursor.
 * Each key updates the line and appends the bytes that make a terminal show
 * the change.  Those bytes use only printable text, '\b' (cursor left, no
 * erase), '\n' and '\a' (bell), which the kernel console grid and a VT100
 * terminal on the serial line both understand, so one echo serves both.
 *
 * No I/O, no allocation: the host tests drive it directly.
 *
 * Known limit: '\b' cannot move up a row, so editing a line that has
 * wrapped past the right edge of the screen draws the tail wrongly.
 */
#ifndef COOP_KERNEL_LINEEDIT_H
#define COOP_KERNEL_LINEEDIT_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/input/input.h"

#define LINEEDIT_MAX 200
/* Worst case echo of one key: an insert at the start of a full line redraws
 * every character (up to 3 UTF-8 bytes each) and walks back over them. */
#define LINEEDIT_ECHO_MAX (4 * LINEEDIT_MAX + 8)
/* The line as UTF-8 (code points are BMP: at most 3 bytes each) plus NUL. */
#define LINEEDIT_UTF8_MAX (3 * LINEEDIT_MAX + 1)

enum lineedit_result {
	LINEEDIT_EDITING,   /* keep going */
	LINEEDIT_SUBMIT,    /* Enter: take the line with lineedit_take() */
	LINEEDIT_CANCELLED, /* Ctrl-C: the line was dropped */
};

struct lineedit {
	uint32_t text[LINEEDIT_MAX]; /* code points, text[0..len) */
	unsigned len, cursor;        /* cursor is 0..len */
	/* Echo bytes produced by the last lineedit_key() call. */
	char echo[LINEEDIT_ECHO_MAX];
	size_t echo_len;
};

void lineedit_init(struct lineedit *le);

/**
 * lineedit_key - apply one key (enum input_key @key; @ch for INPUT_CHAR).
 * Printable characters insert at the cursor (a bell once the line is full);
 * '\b' or 0x7f delete left; INPUT_DELETE deletes under the cursor;
 * Left/Right/Home/End (and Ctrl-A/Ctrl-E) move; Ctrl-U clears the line;
 * Ctrl-C drops it; '\n' or '\r' submits.  Other keys are ignored.
 * Afterwards le->echo[0..echo_len) holds what to print.
 */
enum lineedit_result lineedit_key(struct lineedit *le, unsigned key, uint32_t ch);

/**
 * lineedit_take - copy the line as NUL-terminated UTF-8 into @out (at least
 * LINEEDIT_UTF8_MAX bytes) and start an empty line.
 */
void lineedit_take(struct lineedit *le, char *out);

/* Appends the echo that redraws the whole line from the prompt (for when
 * the prompt is printed again with text already typed). */
void lineedit_redraw(struct lineedit *le);

#endif
