/*
 * congrid.c — cursor movement, wrapping, scrolling and UTF-8 decoding for the
 * character grid.  Every change marks its row dirty so the renderer redraws
 * only what changed.
 */
#include "kernel/console/congrid.h"
#include "kernel/lib/string.h"

static struct con_cell *cell_at(const struct congrid *g, unsigned col, unsigned row)
{
	return &g->cells[(size_t)row * g->cols + col];
}

static void blank_row(struct congrid *g, unsigned row)
{
	struct con_cell blank = { .cp = ' ', .attr = g->attr, .flags = 0 };
	struct con_cell *c = cell_at(g, 0, row);

	for (unsigned i = 0; i < g->cols; i++)
		c[i] = blank;
	g->dirty[row] = 1;
}

void congrid_init(struct congrid *g, struct con_cell *cells, unsigned cols, unsigned rows)
{
	memset(g, 0, sizeof *g);
	g->cells = cells;
	g->cols = cols < 1 ? 1 : cols > CON_MAX_COLS ? CON_MAX_COLS : cols;
	g->rows = rows < 1 ? 1 : rows > CON_MAX_ROWS ? CON_MAX_ROWS : rows;
	g->attr = CON_ATTR_DEFAULT;
	for (unsigned r = 0; r < g->rows; r++)
		blank_row(g, r);
	g->cursor_moved = true;
}

void congrid_set_color(struct congrid *g, enum con_color fg, enum con_color bg)
{
	g->attr = CON_ATTR(fg & 15, bg & 15);
}

static void move_cursor(struct congrid *g, unsigned col, unsigned row)
{
	if (col != g->col || row != g->row)
		g->cursor_moved = true;
	g->col = col;
	g->row = row;
}

/* Moves rows scroll_top+1.. up one and blanks the bottom row. */
static void scroll_up(struct congrid *g)
{
	unsigned top = g->scroll_top;

	if (g->rows - top > 1)
		memmove(cell_at(g, 0, top), cell_at(g, 0, top + 1),
			(size_t)(g->rows - top - 1) * g->cols * sizeof(struct con_cell));
	for (unsigned r = top; r < g->rows; r++)
		g->dirty[r] = 1;
	blank_row(g, g->rows - 1);
}

static void newline(struct congrid *g)
{
	if (g->row + 1 < g->rows) {
		move_cursor(g, 0, g->row + 1);
		return;
	}
	scroll_up(g);
	move_cursor(g, 0, g->rows - 1);
}

static void put_printable(struct congrid *g, uint32_t cp)
{
	struct con_cell *c = cell_at(g, g->col, g->row);
	c->cp = (uint16_t)(cp > 0xFFFF ? CON_REPLACEMENT_CHAR : cp);
	c->attr = g->attr;
	c->flags = 0;
	g->dirty[g->row] = 1;
	/* Wrap at once, as VGA text mode does, so the cursor is always on the
	 * grid (col < cols) for the renderer and line editors. */
	if (g->col + 1 < g->cols)
		move_cursor(g, g->col + 1, g->row);
	else
		newline(g);
}

/* Blanks cells [from, to) of @row. */
static void blank_cells(struct congrid *g, unsigned row, unsigned from, unsigned to)
{
	struct con_cell blank = { .cp = ' ', .attr = g->attr, .flags = 0 };

	for (unsigned c = from; c < to && c < g->cols; c++)
		*cell_at(g, c, row) = blank;
	g->dirty[row] = 1;
}

static unsigned clamp_unsigned(long v, unsigned lo, unsigned hi)
{
	return v < (long)lo ? lo : v > (long)hi ? hi : (unsigned)v;
}

/* The final byte of ESC [ p0 ; p1 <final>. */
static void csi_apply(struct congrid *g, uint32_t final)
{
	unsigned p0 = g->csi_param[0], p1 = g->csi_param[1];
	unsigned n = p0 ? p0 : 1; /* a count of 0 or none means 1 */

	switch (final) {
	case 'A':
		move_cursor(g, g->col, clamp_unsigned((long)g->row - n, g->scroll_top, g->rows - 1));
		break;
	case 'B':
		move_cursor(g, g->col, clamp_unsigned((long)g->row + n, g->scroll_top, g->rows - 1));
		break;
	case 'C':
		move_cursor(g, clamp_unsigned((long)g->col + n, 0, g->cols - 1), g->row);
		break;
	case 'D':
		move_cursor(g, clamp_unsigned((long)g->col - n, 0, g->cols - 1), g->row);
		break;
	case 'H':
	case 'f':
		move_cursor(g, clamp_unsigned((long)(p1 ? p1 : 1) - 1, 0, g->cols - 1),
			    clamp_unsigned((long)g->scroll_top + (p0 ? p0 : 1) - 1, g->scroll_top,
					   g->rows - 1));
		break;
	case 'K':
		if (p0 == 0)
			blank_cells(g, g->row, g->col, g->cols);
		else if (p0 == 1)
			blank_cells(g, g->row, 0, g->col + 1);
		else
			blank_cells(g, g->row, 0, g->cols);
		break;
	case 'J':
		if (p0 == 2) {
			for (unsigned r = g->scroll_top; r < g->rows; r++)
				blank_row(g, r);
		} else if (p0 == 0) {
			blank_cells(g, g->row, g->col, g->cols);
			for (unsigned r = g->row + 1; r < g->rows; r++)
				blank_row(g, r);
		}
		break;
	default:
		break; /* colours and the rest: read, not acted on */
	}
}

/* One code point of an escape sequence; false once it is not one. */
static bool escape_step(struct congrid *g, uint32_t cp)
{
	if (g->esc == 1) {
		g->esc = cp == '[' ? 2 : 0;
		g->csi_count = 0;
		g->csi_param[0] = g->csi_param[1] = 0;
		return true; /* ESC x without '[': dropped with its x */
	}
	if (cp >= '0' && cp <= '9') {
		unsigned i = g->csi_count < 2 ? g->csi_count : 1;
		if (g->csi_param[i] < 10000)
			g->csi_param[i] = (uint16_t)(g->csi_param[i] * 10 + (cp - '0'));
	} else if (cp == ';') {
		if (g->csi_count < 2)
			g->csi_count++;
	} else if (cp >= 0x40 && cp <= 0x7e) {
		csi_apply(g, cp);
		g->esc = 0;
	} else if (cp < 0x20 || cp > 0x7e) {
		g->esc = 0; /* not a sequence after all */
		return false;
	}
	return true;
}

void congrid_putc(struct congrid *g, uint32_t cp)
{
	if (g->esc && escape_step(g, cp))
		return;
	switch (cp) {
	case 0x1b:
		g->esc = 1;
		return;
	case '\n':
		newline(g);
		return;
	case '\r':
		move_cursor(g, 0, g->row);
		return;
	case '\t': {
		unsigned next = (g->col / 8 + 1) * 8;
		/* The last tab stop is the last column, as on a VT. */
		move_cursor(g, next >= g->cols ? g->cols - 1 : next, g->row);
		return;
	}
	case '\b':
		if (g->col > 0)
			move_cursor(g, g->col - 1, g->row);
		return;
	}
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return; /* other control characters have no glyph */
	put_printable(g, cp);
}

/*
 * One byte of UTF-8.  Returns a code point, or -1 while a sequence is still
 * incomplete.  A bad byte ends the pending sequence with U+FFFD; if that byte
 * could start a new sequence it is then decoded afresh (*@again set).
 */
static int32_t utf8_step(struct congrid *g, uint8_t b, bool *again)
{
	*again = false;
	if (g->utf8_need) {
		if ((b & 0xC0) == 0x80) {
			g->utf8_cp = g->utf8_cp << 6 | (b & 0x3F);
			if (--g->utf8_need)
				return -1;
			uint32_t cp = g->utf8_cp;
			/* Overlong forms and UTF-16 surrogates are invalid. */
			if (cp < g->utf8_min || (cp >= 0xD800 && cp <= 0xDFFF))
				return CON_REPLACEMENT_CHAR;
			return (int32_t)cp;
		}
		g->utf8_need = 0;
		*again = true;
		return CON_REPLACEMENT_CHAR;
	}
	if (b < 0x80)
		return b;
	if (b >= 0xC2 && b <= 0xDF) {
		g->utf8_cp = b & 0x1F, g->utf8_need = 1, g->utf8_min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		g->utf8_cp = b & 0x0F, g->utf8_need = 2, g->utf8_min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF4) {
		g->utf8_cp = b & 0x07, g->utf8_need = 3, g->utf8_min = 0x10000;
	} else {
		return CON_REPLACEMENT_CHAR; /* stray continuation, C0/C1, F5..FF */
	}
	return -1;
}

void congrid_write(struct congrid *g, const char *utf8, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		bool again;
		int32_t cp = utf8_step(g, (uint8_t)utf8[i], &again);
		if (cp >= 0)
			congrid_putc(g, (uint32_t)cp);
		if (again) {
			cp = utf8_step(g, (uint8_t)utf8[i], &again);
			if (cp >= 0)
				congrid_putc(g, (uint32_t)cp);
		}
	}
}

void congrid_clear(struct congrid *g)
{
	for (unsigned r = g->scroll_top; r < g->rows; r++)
		blank_row(g, r);
	move_cursor(g, 0, g->scroll_top);
}

void congrid_set_cursor(struct congrid *g, unsigned col, unsigned row)
{
	if (col >= g->cols)
		col = g->cols - 1;
	if (row >= g->rows)
		row = g->rows - 1;
	move_cursor(g, col, row);
}

const struct con_cell *congrid_cell(const struct congrid *g, unsigned col, unsigned row)
{
	if (col >= g->cols || row >= g->rows)
		return NULL;
	return cell_at(g, col, row);
}

void congrid_write_at(struct congrid *g, unsigned col, unsigned row, const char *utf8,
		      uint8_t attr)
{
	struct congrid tmp;
	size_t i;

	if (row >= g->rows)
		return;
	/* Decode with a private decoder so a half-written sequence in the
	 * main stream is not disturbed. */
	tmp.utf8_need = 0;
	for (i = 0; utf8[i] && col < g->cols; i++) {
		bool again;
		int32_t cp = utf8_step(&tmp, (uint8_t)utf8[i], &again);
		if (again)
			i--; /* the bad byte starts the next character */
		if (cp < 0)
			continue;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			cp = ' ';
		if (cp > 0xFFFF)
			cp = CON_REPLACEMENT_CHAR;
		struct con_cell *c = cell_at(g, col++, row);
		c->cp = (uint16_t)cp;
		c->attr = attr;
		c->flags = 0;
	}
	if (tmp.utf8_need && col < g->cols) /* string ended mid-sequence */
		*cell_at(g, col, row) = (struct con_cell){ CON_REPLACEMENT_CHAR, attr, 0 };
	g->dirty[row] = 1;
}

void congrid_set_scroll_top(struct congrid *g, unsigned n)
{
	g->scroll_top = n >= g->rows ? g->rows - 1 : n;
	if (g->row < g->scroll_top)
		move_cursor(g, 0, g->scroll_top);
}

void congrid_clean(struct congrid *g)
{
	memset(g->dirty, 0, sizeof g->dirty);
	g->cursor_moved = false;
}
