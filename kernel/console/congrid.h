/*
 * congrid.h — the console as a grid of character cells, like VGA text mode.
 *
 * The grid knows nothing about pixels: it holds code points and colours, a
 * cursor, and which rows changed since the renderer last looked.  The caller
 * owns the cell storage (cols * rows cells), so the grid works before any
 * allocator exists and in host tests.
 */
#ifndef COOP_KERNEL_CONGRID_H
#define COOP_KERNEL_CONGRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CON_MAX_COLS 256
#define CON_MAX_ROWS 128

enum con_color {
	CON_BLACK, CON_BLUE, CON_GREEN, CON_CYAN,
	CON_RED, CON_MAGENTA, CON_BROWN, CON_LIGHT_GREY,
	CON_DARK_GREY, CON_LIGHT_BLUE, CON_LIGHT_GREEN, CON_LIGHT_CYAN,
	CON_LIGHT_RED, CON_PINK, CON_YELLOW, CON_WHITE,
};

#define CON_ATTR(fg, bg) ((uint8_t)((fg) | ((bg) << 4)))
#define CON_ATTR_DEFAULT CON_ATTR(CON_LIGHT_GREY, CON_BLACK)
#define CON_REPLACEMENT_CHAR 0xFFFD

struct con_cell {
	uint16_t cp;   /* Unicode code point (BMP) */
	uint8_t attr;  /* foreground | background << 4 */
	uint8_t flags; /* reserved, 0 */
};

struct congrid {
	struct con_cell *cells; /* rows * cols, row-major */
	unsigned cols, rows;
	unsigned col, row;      /* the cursor */
	uint8_t attr;           /* attribute for new text */
	unsigned scroll_top;    /* rows above this never scroll */
	uint8_t dirty[CON_MAX_ROWS]; /* row changed since congrid_clean() */
	bool cursor_moved;
	/* UTF-8 decoder state carried between congrid_write() calls */
	uint32_t utf8_cp;
	unsigned utf8_need, utf8_min;
	/* ESC [ ... sequence being read: 0 none, 1 after ESC, 2 in the CSI */
	uint8_t esc;
	uint8_t csi_count;      /* parameters seen (at most 2 kept) */
	uint16_t csi_param[2];
};

/**
 * congrid_init - take over @cells (@cols * @rows of them) and clear them.
 * @cols and @rows are clamped to 1..CON_MAX_COLS / 1..CON_MAX_ROWS.
 * Default attribute light grey on black, cursor at 0,0, every row dirty.
 */
void congrid_init(struct congrid *g, struct con_cell *cells, unsigned cols, unsigned rows);
void congrid_set_color(struct congrid *g, enum con_color fg, enum con_color bg);
/**
 * congrid_putc - write one code point at the cursor.
 * Handles '\n', '\r', '\t' (next multiple of 8), '\b' (left, no erase),
 * and the VT100 sequences the line editor and `clear` use: ESC [ n A/B/C/D
 * (cursor up/down/right/left, stopping at the edges), ESC [ n J (0: erase to
 * the end of the screen, 2: all of it), ESC [ n K (0: to the end of the row,
 * 1: to its start, 2: all of it) and ESC [ row ; col H (rows counted from
 * the top of the scrolling region); other sequences are read and ignored.
 * Other control characters are ignored; code points above the BMP become
 * U+FFFD.  Filling the last column wraps at once (the cursor always stays
 * on the grid); moving past the bottom row scrolls the scrolling region.
 */
void congrid_putc(struct congrid *g, uint32_t cp);
/* Decodes UTF-8 (invalid sequences become U+FFFD) and puts each code point. */
void congrid_write(struct congrid *g, const char *utf8, size_t len);
/* Blanks the scrolling region in the current attribute; cursor to its start. */
void congrid_clear(struct congrid *g);
void congrid_set_cursor(struct congrid *g, unsigned col, unsigned row);
const struct con_cell *congrid_cell(const struct congrid *g, unsigned col, unsigned row);
/**
 * congrid_write_at - write NUL-terminated @utf8 at @col,@row in @attr without
 * moving the cursor or scrolling; text past the end of the row is dropped and
 * control characters are shown as spaces.  For status lines.
 */
void congrid_write_at(struct congrid *g, unsigned col, unsigned row, const char *utf8,
		      uint8_t attr);
/* Rows < @n are kept out of scrolling and clearing (clamped to rows - 1). */
void congrid_set_scroll_top(struct congrid *g, unsigned n);
/* Forgets the dirty rows and cursor movement, after a renderer drew them. */
void congrid_clean(struct congrid *g);

#endif
