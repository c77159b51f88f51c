/* Tests of kernel/congrid: cursor control, wrapping, scrolling, colours,
 * UTF-8 and the status-line helpers. */
#include "kernel/console/congrid.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(congrid);

#define COLS 10
#define ROWS 4
static struct con_cell cells[COLS * ROWS];
static struct congrid grid;

static struct congrid *fresh(void)
{
	congrid_init(&grid, cells, COLS, ROWS);
	return &grid;
}

static void put(struct congrid *g, const char *s)
{
	congrid_write(g, s, strlen(s));
}

/* Row @row as ASCII ('#' for anything else), in a static buffer. */
static const char *row_text(const struct congrid *g, unsigned row)
{
	static char buf[COLS + 1];
	for (unsigned c = 0; c < g->cols; c++) {
		uint16_t cp = congrid_cell(g, c, row)->cp;
		buf[c] = cp < 0x80 ? (char)cp : '#';
	}
	buf[g->cols] = '\0';
	return buf;
}

KTEST(congrid, init_clears_to_default)
{
	struct congrid *g = fresh();
	EXPECT_EQ(g->cols, COLS);
	EXPECT_EQ(g->rows, ROWS);
	EXPECT_EQ(g->col, 0);
	EXPECT_EQ(g->row, 0);
	for (unsigned r = 0; r < ROWS; r++) {
		EXPECT_STREQ(row_text(g, r), "          ");
		EXPECT_EQ(g->dirty[r], 1);
	}
	EXPECT_EQ(congrid_cell(g, 3, 2)->attr, CON_LIGHT_GREY | CON_BLACK << 4);
	EXPECT_NULL(congrid_cell(g, COLS, 0));
	EXPECT_NULL(congrid_cell(g, 0, ROWS));
}

KTEST(congrid, printable_text_advances)
{
	struct congrid *g = fresh();
	congrid_clean(g);
	put(g, "abc");
	EXPECT_STREQ(row_text(g, 0), "abc       ");
	EXPECT_EQ(g->col, 3);
	EXPECT_EQ(g->row, 0);
	EXPECT_EQ(g->dirty[0], 1);
	EXPECT_EQ(g->dirty[1], 0);
	EXPECT_TRUE(g->cursor_moved);
}

KTEST(congrid, newline_and_carriage_return)
{
	struct congrid *g = fresh();
	put(g, "ab\ncd");
	EXPECT_STREQ(row_text(g, 0), "ab        ");
	EXPECT_STREQ(row_text(g, 1), "cd        ");
	put(g, "\rX");
	EXPECT_STREQ(row_text(g, 1), "Xd        ");
	EXPECT_EQ(g->col, 1);
	EXPECT_EQ(g->row, 1);
}

KTEST(congrid, tab_goes_to_next_multiple_of_8)
{
	struct congrid *g = fresh();
	put(g, "a\tb");
	EXPECT_EQ(congrid_cell(g, 8, 0)->cp, 'b');
	EXPECT_EQ(g->col, 9);
	congrid_putc(g, '\t'); /* past the last stop: stays on the last column */
	EXPECT_EQ(g->col, COLS - 1);
	EXPECT_EQ(g->row, 0);
	congrid_set_cursor(g, 0, 1);
	congrid_putc(g, '\t');
	EXPECT_EQ(g->col, 8);
}

KTEST(congrid, backspace_moves_left_without_erasing)
{
	struct congrid *g = fresh();
	put(g, "abc\b");
	EXPECT_EQ(g->col, 2);
	EXPECT_STREQ(row_text(g, 0), "abc       ");
	put(g, "\b\b\b\b");
	EXPECT_EQ(g->col, 0);
	put(g, "Z");
	EXPECT_STREQ(row_text(g, 0), "Zbc       ");
}

KTEST(congrid, wraps_at_end_of_line)
{
	struct congrid *g = fresh();
	put(g, "0123456789AB");
	EXPECT_STREQ(row_text(g, 0), "0123456789");
	EXPECT_STREQ(row_text(g, 1), "AB        ");
	EXPECT_EQ(g->row, 1);
	EXPECT_EQ(g->col, 2);
	fresh();
	put(g, "0123456789");
	EXPECT_EQ(g->col, 0); /* a full line puts the cursor on the next */
	EXPECT_EQ(g->row, 1);
}

KTEST(congrid, scrolls_when_past_bottom)
{
	struct congrid *g = fresh();
	put(g, "r0\nr1\nr2\nr3");
	congrid_set_color(g, CON_WHITE, CON_BLUE);
	congrid_clean(g);
	put(g, "\nr4");
	EXPECT_STREQ(row_text(g, 0), "r1        ");
	EXPECT_STREQ(row_text(g, 1), "r2        ");
	EXPECT_STREQ(row_text(g, 2), "r3        ");
	EXPECT_STREQ(row_text(g, 3), "r4        ");
	EXPECT_EQ(g->row, ROWS - 1);
	/* The new bottom row is blank in the current attribute. */
	EXPECT_EQ(congrid_cell(g, 5, 3)->attr, CON_WHITE | CON_BLUE << 4);
	EXPECT_EQ(congrid_cell(g, 5, 2)->attr, CON_LIGHT_GREY);
	for (unsigned r = 0; r < ROWS; r++)
		EXPECT_EQ(g->dirty[r], 1);
}

KTEST(congrid, wrap_on_last_row_scrolls)
{
	struct congrid *g = fresh();
	congrid_set_cursor(g, 0, ROWS - 1);
	put(g, "0123456789x");
	EXPECT_STREQ(row_text(g, ROWS - 2), "0123456789");
	EXPECT_STREQ(row_text(g, ROWS - 1), "x         ");
}

KTEST(congrid, colours_stored_per_cell)
{
	struct congrid *g = fresh();
	congrid_set_color(g, CON_YELLOW, CON_RED);
	put(g, "a");
	congrid_set_color(g, CON_LIGHT_GREEN, CON_BLACK);
	put(g, "b");
	EXPECT_EQ(congrid_cell(g, 0, 0)->attr, CON_YELLOW | CON_RED << 4);
	EXPECT_EQ(congrid_cell(g, 1, 0)->attr, CON_LIGHT_GREEN);
	EXPECT_EQ(g->attr, CON_ATTR(CON_LIGHT_GREEN, CON_BLACK));
}

KTEST(congrid, utf8_decoding)
{
	struct congrid *g = fresh();
	put(g, "\xc3\xa9\xe2\x94\x80\xf0\x9f\x98\x80");  /* é ─ 😀 */
	EXPECT_EQ(congrid_cell(g, 0, 0)->cp, 0xe9);
	EXPECT_EQ(congrid_cell(g, 1, 0)->cp, 0x2500);
	EXPECT_EQ(congrid_cell(g, 2, 0)->cp, 0xFFFD); /* beyond the BMP */
	EXPECT_EQ(g->col, 3);
}

KTEST(congrid, utf8_split_across_writes)
{
	struct congrid *g = fresh();
	congrid_write(g, "\xe2\x94", 2);
	EXPECT_EQ(g->col, 0);
	congrid_write(g, "\x82", 1);
	EXPECT_EQ(congrid_cell(g, 0, 0)->cp, 0x2502);
}

KTEST(congrid, invalid_utf8_becomes_replacement)
{
	struct congrid *g = fresh();
	/* stray continuation, overlong '/', truncated sequence then 'A',
	 * surrogate, 0xFF */
	put(g, "\x80" "\xc0\xaf" "\xe2\x94" "A" "\xed\xa0\x80" "\xff");
	EXPECT_EQ(congrid_cell(g, 0, 0)->cp, 0xFFFD);
	EXPECT_EQ(congrid_cell(g, 1, 0)->cp, 0xFFFD); /* 0xC0 */
	EXPECT_EQ(congrid_cell(g, 2, 0)->cp, 0xFFFD); /* 0xAF */
	EXPECT_EQ(congrid_cell(g, 3, 0)->cp, 0xFFFD); /* cut-short E2 94 */
	EXPECT_EQ(congrid_cell(g, 4, 0)->cp, 'A');
	EXPECT_EQ(congrid_cell(g, 5, 0)->cp, 0xFFFD); /* surrogate */
	EXPECT_EQ(congrid_cell(g, 6, 0)->cp, 0xFFFD);
	EXPECT_EQ(g->col, 7);
}

KTEST(congrid, control_characters_ignored)
{
	struct congrid *g = fresh();
	congrid_putc(g, 0x07);
	congrid_putc(g, 0x1b);
	congrid_putc(g, 0x85);
	EXPECT_EQ(g->col, 0);
	EXPECT_STREQ(row_text(g, 0), "          ");
}

KTEST(congrid, clear_and_set_cursor)
{
	struct congrid *g = fresh();
	put(g, "abc\ndef");
	congrid_set_color(g, CON_BLACK, CON_CYAN);
	congrid_clear(g);
	EXPECT_STREQ(row_text(g, 0), "          ");
	EXPECT_STREQ(row_text(g, 1), "          ");
	EXPECT_EQ(congrid_cell(g, 1, 1)->attr, CON_ATTR(CON_BLACK, CON_CYAN));
	EXPECT_EQ(g->col, 0);
	EXPECT_EQ(g->row, 0);
	congrid_set_cursor(g, 100, 100);
	EXPECT_EQ(g->col, COLS - 1);
	EXPECT_EQ(g->row, ROWS - 1);
}

KTEST(congrid, write_at_leaves_cursor)
{
	struct congrid *g = fresh();
	put(g, "ab");
	congrid_clean(g);
	congrid_write_at(g, 7, 2, "st\xc3\xa9tus", CON_ATTR(CON_BLACK, CON_WHITE));
	EXPECT_EQ(g->col, 2);
	EXPECT_EQ(g->row, 0);
	EXPECT_FALSE(g->cursor_moved);
	EXPECT_STREQ(row_text(g, 2), "       st#"); /* clipped at the edge */
	EXPECT_EQ(congrid_cell(g, 9, 2)->cp, 0xe9);
	EXPECT_EQ(congrid_cell(g, 8, 2)->attr, CON_ATTR(CON_BLACK, CON_WHITE));
	EXPECT_EQ(g->dirty[2], 1);
	EXPECT_EQ(g->dirty[0], 0);
	congrid_write_at(g, 0, ROWS, "x", 0); /* off the grid: ignored */
	congrid_write_at(g, 0, 3, "a\nb", 0x07);
	EXPECT_STREQ(row_text(g, 3), "a b       ");
}

KTEST(congrid, scroll_top_keeps_status_row)
{
	struct congrid *g = fresh();
	congrid_write_at(g, 0, 0, "STATUS", 0x70);
	congrid_set_scroll_top(g, 1);
	EXPECT_EQ(g->row, 1); /* the cursor leaves the reserved row */
	put(g, "r1\nr2\nr3\nr4\nr5");
	EXPECT_STREQ(row_text(g, 0), "STATUS    ");
	EXPECT_STREQ(row_text(g, 1), "r3        ");
	EXPECT_STREQ(row_text(g, 2), "r4        ");
	EXPECT_STREQ(row_text(g, 3), "r5        ");
	congrid_clear(g);
	EXPECT_STREQ(row_text(g, 0), "STATUS    ");
	EXPECT_STREQ(row_text(g, 1), "          ");
	EXPECT_EQ(g->row, 1);
	congrid_set_scroll_top(g, 99); /* clamped: one row must still scroll */
	EXPECT_EQ(g->scroll_top, ROWS - 1);
}

KTEST(congrid, one_row_grid_scrolls_in_place)
{
	struct con_cell one[3];
	struct congrid g;
	congrid_init(&g, one, 3, 1);
	put(&g, "abcd");
	EXPECT_EQ(g.cells[0].cp, 'd');
	EXPECT_EQ(g.cells[1].cp, ' ');
	EXPECT_EQ(g.col, 1);
}

KTEST(congrid, init_clamps_dimensions)
{
	static struct con_cell big[CON_MAX_COLS * CON_MAX_ROWS];
	struct congrid g;
	congrid_init(&g, big, 1000, 1000);
	EXPECT_EQ(g.cols, CON_MAX_COLS);
	EXPECT_EQ(g.rows, CON_MAX_ROWS);
	EXPECT_EQ(big[CON_MAX_COLS * CON_MAX_ROWS - 1].cp, ' ');
}

/* The VT100 controls the line editor and `clear` send (issue 11 item 5). */
KTEST(congrid, cursor_moves_stop_at_the_edges)
{
	struct congrid *g = fresh();
	put(g, "\n\nab\x1b[2A");
	EXPECT_EQ(g->row, 0);
	EXPECT_EQ(g->col, 2);      /* up keeps the column */
	put(g, "\x1b[9A\x1b[B");    /* stops at the top; B is one down */
	EXPECT_EQ(g->row, 1);
	put(g, "\x1b[5C\x1b[D");
	EXPECT_EQ(g->col, 6);
	put(g, "\x1b[99C\x1b[99B");
	EXPECT_EQ(g->col, COLS - 1);
	EXPECT_EQ(g->row, ROWS - 1);
	put(g, "\x1b[0D");          /* a count of 0 means 1 */
	EXPECT_EQ(g->col, COLS - 2);
	put(g, "\x1b[2;3H");
	EXPECT_EQ(g->row, 1);
	EXPECT_EQ(g->col, 2);
	put(g, "\x1b[H");
	EXPECT_EQ(g->row, 0);
	EXPECT_EQ(g->col, 0);
}

KTEST(congrid, erase_line_and_screen)
{
	struct congrid *g = fresh();
	put(g, "0123456789abcdefghijABCDEFGHIJ");
	put(g, "\x1b[2;4H\x1b[K");
	EXPECT_STREQ(row_text(g, 1), "abc       ");
	EXPECT_STREQ(row_text(g, 0), "0123456789");
	put(g, "\x1b[1;3H\x1b[1K");
	EXPECT_STREQ(row_text(g, 0), "   3456789");
	put(g, "\x1b[1;6H\x1b[J");
	EXPECT_STREQ(row_text(g, 0), "   34     ");
	EXPECT_STREQ(row_text(g, 1), "          ");
	EXPECT_STREQ(row_text(g, 2), "          ");
	put(g, "xy\x1b[2J");
	EXPECT_STREQ(row_text(g, 0), "          ");
	EXPECT_EQ(g->col, 7);       /* 2J leaves the cursor where it was */
}

KTEST(congrid, unknown_sequences_are_swallowed)
{
	struct congrid *g = fresh();
	put(g, "a\x1b[1;31mb\x1b[?25lc\x1bxd");
	EXPECT_STREQ(row_text(g, 0), "abcd      ");
	/* A sequence cut by a control character ends there. */
	put(g, "\x1b[3\ne");
	EXPECT_EQ(g->row, 1);
	EXPECT_STREQ(row_text(g, 1), "e         ");
}

KTEST(congrid, home_is_below_the_status_row)
{
	struct congrid *g = fresh();
	congrid_set_scroll_top(g, 1);
	put(g, "\x1b[2J\x1b[H");
	EXPECT_EQ(g->row, 1);
	put(g, "\x1b[5A");
	EXPECT_EQ(g->row, 1);       /* up stops at the scrolling region */
}
