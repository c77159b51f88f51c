/*
 * Tests of kernel/input/lineedit: each edit's effect on the line, and that
 * its echo draws the line correctly on two terminals at once -- the kernel's
 * own console grid (which wraps the moment a row fills) and a VT100 model
 * (which wraps late, and is wider).  The echo is the same bytes for both, as
 * in the kernel, so a wrong echo shows up as a wrong screen on one of them.
 * Rows are kept short so lines wrap several times.
 */
#include "kernel/console/congrid.h"
#include "kernel/input/lineedit.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(lineedit);

#define CTRL(c) ((c) & 0x1f)
#define PROMPT "> "
#define WIDTH 9          /* the editor's row: below both terminals' width */
#define GRID_COLS 10
#define VT_COLS 14
#define ROWS 40

/* A VT100 as far as the editor needs one: deferred wrap at the right edge. */
struct vt {
	char cells[ROWS][VT_COLS];
	unsigned row, col, bells;
	bool pending_wrap;
	int esc;
	unsigned param;
};

static struct lineedit le;
static struct con_cell grid_cells[GRID_COLS * ROWS];
static struct congrid grid;
static struct vt vt;

static void vt_newline(void)
{
	if (vt.row + 1 < ROWS)
		vt.row++;
}

static void vt_csi(char final)
{
	unsigned n = vt.param ? vt.param : 1;

	vt.pending_wrap = false;
	switch (final) {
	case 'A': vt.row = vt.row >= n ? vt.row - n : 0; break;
	case 'B': vt.row = vt.row + n < ROWS ? vt.row + n : ROWS - 1; break;
	case 'C': vt.col = vt.col + n < VT_COLS ? vt.col + n : VT_COLS - 1; break;
	case 'D': vt.col = vt.col >= n ? vt.col - n : 0; break;
	case 'J':
		memset(&vt.cells[vt.row][vt.col], ' ', VT_COLS - vt.col);
		for (unsigned r = vt.row + 1; r < ROWS; r++)
			memset(vt.cells[r], ' ', VT_COLS);
		break;
	}
}

static void vt_feed(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (vt.esc == 1) {
			vt.esc = c == '[' ? 2 : 0;
			vt.param = 0;
		} else if (vt.esc == 2) {
			if (c >= '0' && c <= '9') {
				vt.param = vt.param * 10 + (unsigned)(c - '0');
			} else {
				vt_csi(c);
				vt.esc = 0;
			}
		} else if (c == 0x1b) {
			vt.esc = 1;
		} else if (c == '\r') {
			vt.col = 0;
			vt.pending_wrap = false;
		} else if (c == '\n') {
			vt_newline(); /* LF only: the editor always sends CR LF */
			vt.pending_wrap = false;
		} else if (c == '\b') {
			if (vt.col > 0)
				vt.col--;
			vt.pending_wrap = false;
		} else if (c == '\a') {
			vt.bells++;
		} else if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x80) {
			if (vt.pending_wrap) {
				vt.col = 0;
				vt_newline();
				vt.pending_wrap = false;
			}
			vt.cells[vt.row][vt.col] = c;
			if (vt.col + 1 < VT_COLS)
				vt.col++;
			else
				vt.pending_wrap = true;
		}
	}
}

static void reset(void)
{
	lineedit_init(&le, PROMPT, WIDTH);
	congrid_init(&grid, grid_cells, GRID_COLS, ROWS);
	memset(&vt, 0, sizeof vt);
	memset(vt.cells, ' ', sizeof vt.cells);
	lineedit_redraw(&le);
	congrid_write(&grid, le.echo, le.echo_len);
	vt_feed(le.echo, le.echo_len);
}

static void feed(void)
{
	congrid_write(&grid, le.echo, le.echo_len);
	vt_feed(le.echo, le.echo_len);
}

static enum lineedit_result key(unsigned k, uint32_t ch)
{
	enum lineedit_result r = lineedit_key(&le, k, ch);
	feed();
	return r;
}

static void type(const char *s)
{
	for (; *s; s++)
		key(INPUT_CHAR, (uint8_t)*s);
}

static const char *line(void)
{
	static char out[LINEEDIT_UTF8_MAX];
	lineedit_before_cursor(&le, out); /* only to exercise it */
	struct lineedit copy = le;
	lineedit_take(&copy, out);
	return out;
}

/* Row @r of each terminal, as ASCII (non-ASCII cells as '?'). */
static void grid_row(unsigned r, char *out)
{
	for (unsigned c = 0; c < GRID_COLS; c++) {
		uint16_t cp = congrid_cell(&grid, c, r)->cp;
		out[c] = cp < 0x80 ? (char)cp : '?';
	}
	out[GRID_COLS] = '\0';
}

/*
 * Both terminals must show the prompt and the line in rows of WIDTH cells
 * from row 0 (blank after them), and have their cursor on the editing
 * cursor.  Returns false (after EXPECTs) on the first difference.
 */
static bool shows_line(struct ktest *_kt)
{
	char text[LINEEDIT_UTF8_MAX + 8], row[GRID_COLS + 1];
	size_t n = (size_t)fmt_snprintf(text, sizeof text, "%s%s", PROMPT, line());
	unsigned pos = (unsigned)strlen(PROMPT) + le.cursor;
	bool ok = true;

	for (unsigned r = 0; r < ROWS; r++) {
		char want[VT_COLS + 1];
		size_t from = (size_t)r * WIDTH;
		size_t k = from < n ? (n - from < WIDTH ? n - from : WIDTH) : 0;
		memset(want, ' ', VT_COLS);
		memcpy(want, text + from, k);
		grid_row(r, row);
		if (memcmp(row, want, GRID_COLS) != 0 || memcmp(vt.cells[r], want, VT_COLS) != 0) {
			want[VT_COLS] = '\0';
			char vtrow[VT_COLS + 1];
			memcpy(vtrow, vt.cells[r], VT_COLS);
			vtrow[VT_COLS] = '\0';
			ktest_diag(_kt, "row %u: want '%s' grid '%s' vt '%s'", r, want, row, vtrow);
			ok = false;
			break;
		}
	}
	EXPECT_TRUE(ok);
	EXPECT_EQ(grid.row, pos / WIDTH);
	EXPECT_EQ(grid.col, pos % WIDTH);
	EXPECT_EQ(vt.row, pos / WIDTH);
	EXPECT_EQ(vt.col, pos % WIDTH);
	return ok && grid.row == pos / WIDTH && grid.col == pos % WIDTH &&
	       vt.row == pos / WIDTH && vt.col == pos % WIDTH;
}
#define SHOWS_LINE() EXPECT_TRUE(shows_line(_kt))

KTEST(lineedit, insert_appends_and_echoes)
{
	reset();
	type("help");
	EXPECT_STREQ(line(), "help");
	EXPECT_EQ(le.cursor, 4);
	SHOWS_LINE();
}

KTEST(lineedit, insert_in_the_middle_redraws_the_tail)
{
	reset();
	type("ecoh");
	key(INPUT_LEFT, 0);
	key(INPUT_LEFT, 0);
	key(INPUT_DELETE, 0);
	key(INPUT_RIGHT, 0);
	type("o");
	EXPECT_STREQ(line(), "echo");
	SHOWS_LINE();
	key(INPUT_HOME, 0);
	type(">");
	EXPECT_STREQ(line(), ">echo");
	EXPECT_EQ(le.cursor, 1);
	SHOWS_LINE();
}

KTEST(lineedit, backspace_deletes_left_and_blanks_the_end)
{
	reset();
	type("abcd");
	key(INPUT_LEFT, 0);
	key(INPUT_CHAR, '\b');
	EXPECT_STREQ(line(), "abd");
	SHOWS_LINE();
	key(INPUT_CHAR, 0x7f); /* DEL from a terminal is a backspace too */
	EXPECT_STREQ(line(), "ad");
	SHOWS_LINE();
	key(INPUT_HOME, 0);
	key(INPUT_CHAR, '\b'); /* at the start: nothing to delete */
	EXPECT_STREQ(line(), "ad");
	EXPECT_EQ(le.echo_len, 0);
}

KTEST(lineedit, left_right_home_end_stop_at_the_edges)
{
	reset();
	type("ab");
	key(INPUT_RIGHT, 0);
	EXPECT_EQ(le.cursor, 2);
	key(INPUT_HOME, 0);
	EXPECT_EQ(le.cursor, 0);
	key(INPUT_LEFT, 0);
	EXPECT_EQ(le.cursor, 0);
	SHOWS_LINE();
	key(INPUT_END, 0);
	EXPECT_EQ(le.cursor, 2);
	key(INPUT_CHAR, CTRL('A'));
	EXPECT_EQ(le.cursor, 0);
	key(INPUT_CHAR, CTRL('E'));
	SHOWS_LINE();
}

/* Issue 11: Backspace could not cross a wrap, and Home + insert left stray
 * rows and a line that was not the one shown. */
KTEST(lineedit, wrapped_line_edits_redraw_correctly)
{
	reset();
	type("echo 0123456789abcdefghij"); /* 2 + 25 cells: three rows */
	SHOWS_LINE();
	for (int i = 0; i < 20; i++)       /* back across two wraps */
		key(INPUT_CHAR, '\b');
	EXPECT_STREQ(line(), "echo ");
	SHOWS_LINE();
	type("0123456789abcdefghij");
	key(INPUT_HOME, 0);
	type("XY");
	EXPECT_STREQ(line(), "XYecho 0123456789abcdefghij");
	SHOWS_LINE();
	key(INPUT_END, 0);
	for (int i = 0; i < 12; i++)
		key(INPUT_LEFT, 0);
	key(INPUT_DELETE, 0);
	SHOWS_LINE();
	key(INPUT_CHAR, CTRL('U'));
	EXPECT_STREQ(line(), "");
	SHOWS_LINE();
}

/* Every edit, at random, on a line that wraps: both terminals must agree
 * with the line after every key. */
KTEST(lineedit, random_edits_on_wrapping_lines)
{
	static const unsigned keys[] = { INPUT_LEFT, INPUT_RIGHT, INPUT_HOME, INPUT_END,
					 INPUT_DELETE };
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	reset();
	for (int step = 0; step < 3000; step++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		unsigned pick = (unsigned)(seed >> 33) % 16;
		if (pick < 8) {
			if (le.len < 40)
				key(INPUT_CHAR, 'a' + (unsigned)(seed >> 40) % 26);
		} else if (pick < 13)
			key(keys[pick - 8], 0);
		else if (pick < 15)
			key(INPUT_CHAR, '\b');
		else if ((seed >> 50) % 8 == 0)
			key(INPUT_CHAR, CTRL('U'));
		if (!shows_line(_kt)) {
			ktest_diag(_kt, "after step %d: line '%s' cursor %u", step, line(),
				   le.cursor);
			return;
		}
	}
}

KTEST(lineedit, ctrl_c_drops_the_line)
{
	reset();
	type("abc");
	key(INPUT_HOME, 0);
	EXPECT_EQ(key(INPUT_CHAR, CTRL('C')), LINEEDIT_CANCELLED);
	EXPECT_EQ(le.len, 0);
	EXPECT_EQ(vt.row, 1);    /* on a fresh row */
	EXPECT_EQ(vt.cells[0][5], '^');
}

KTEST(lineedit, enter_submits_on_a_fresh_row)
{
	char out[LINEEDIT_UTF8_MAX];

	reset();
	type("echo hi");
	key(INPUT_HOME, 0);
	EXPECT_EQ(key(INPUT_CHAR, '\n'), LINEEDIT_SUBMIT);
	EXPECT_EQ(grid.row, 1); /* "> echo hi" is 9 cells: exactly one row */
	EXPECT_EQ(grid.col, 0);
	EXPECT_EQ(vt.row, 1);
	lineedit_take(&le, out);
	EXPECT_STREQ(out, "echo hi");
	EXPECT_EQ(le.len, 0);
	EXPECT_EQ(key(INPUT_CHAR, '\r'), LINEEDIT_SUBMIT);
	EXPECT_EQ(vt.row, 2);   /* an empty line is a row of its own */
}

/* Issue 11: 2,000 characters in one line rang the bell 1,800 times. */
KTEST(lineedit, overflow_rings_once_and_counts)
{
	reset();
	for (unsigned i = 0; i < LINEEDIT_MAX; i++)
		key(INPUT_CHAR, 'a' + i % 26);
	EXPECT_EQ(le.len, LINEEDIT_MAX);
	EXPECT_EQ(vt.bells, 0);
	for (unsigned i = 0; i < 1800; i++)
		key(INPUT_CHAR, 'z');
	EXPECT_EQ(le.len, LINEEDIT_MAX);
	EXPECT_EQ(le.dropped, 1800);
	EXPECT_EQ(vt.bells, 1);
	/* The worst-case echo (insert at the start of a full line) fits. */
	key(INPUT_HOME, 0);
	key(INPUT_DELETE, 0);
	key(INPUT_CHAR, '#');
	EXPECT_EQ(le.len, LINEEDIT_MAX);
	EXPECT_LT(le.echo_len, LINEEDIT_ECHO_MAX);
	SHOWS_LINE();
	char out[LINEEDIT_UTF8_MAX];
	lineedit_take(&le, out);
	EXPECT_EQ(le.dropped, 0);
}

KTEST(lineedit, tab_arrows_and_ctrl_l_report_themselves)
{
	reset();
	type("a");
	EXPECT_EQ(key(INPUT_CHAR, '\t'), LINEEDIT_COMPLETE);
	EXPECT_EQ(key(INPUT_UP, 0), LINEEDIT_HISTORY_PREV);
	EXPECT_EQ(key(INPUT_DOWN, 0), LINEEDIT_HISTORY_NEXT);
	EXPECT_EQ(key(INPUT_CHAR, CTRL('L')), LINEEDIT_CLEAR_SCREEN);
	key(INPUT_CHAR, 0x1b);
	key(INPUT_CHAR, 0x85); /* C1 control */
	EXPECT_STREQ(line(), "a");
	EXPECT_EQ(le.echo_len, 0);
}

KTEST(lineedit, set_and_insert_for_history_and_completion)
{
	reset();
	type("he");
	lineedit_insert(&le, "lp ");
	feed();
	EXPECT_STREQ(line(), "help ");
	SHOWS_LINE();
	lineedit_set(&le, "sleep 1 and a long tail that wraps");
	feed();
	EXPECT_EQ(le.cursor, le.len);
	SHOWS_LINE();
	lineedit_set(&le, "x");
	feed();
	SHOWS_LINE();
}

KTEST(lineedit, unicode_is_utf8_and_one_cell)
{
	char out[LINEEDIT_UTF8_MAX];

	reset();
	key(INPUT_CHAR, 0xe4);   /* a umlaut: 2 bytes */
	key(INPUT_CHAR, 0x20ac); /* euro sign: 3 bytes */
	key(INPUT_CHAR, 0x1f600); /* outside the BMP: refused */
	key(INPUT_CHAR, 0xd800);  /* a lone surrogate: refused */
	EXPECT_EQ(le.len, 2);
	key(INPUT_LEFT, 0);
	EXPECT_EQ(le.echo_len, 1); /* one '\b' per character, not per byte */
	lineedit_take(&le, out);
	EXPECT_STREQ(out, "\xc3\xa4\xe2\x82\xac");
}

KTEST(lineedit, hide_then_redraw_after_other_output)
{
	reset();
	type("abcdefghijklmnop"); /* two rows */
	key(INPUT_LEFT, 0);
	lineedit_hide(&le);
	feed();
	EXPECT_EQ(vt.row, 0);
	EXPECT_EQ(vt.col, 0);
	EXPECT_EQ(vt.cells[0][0], ' ');
	EXPECT_EQ(vt.cells[1][0], ' ');
	lineedit_redraw(&le);
	feed();
	SHOWS_LINE();
}
