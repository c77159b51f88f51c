/*
 * Tests of kernel/lineedit: each edit's effect on the line, and that its
 * echo bytes redraw the line correctly on a terminal.  The terminal is
 * simulated (one row, '\b' moves left without erasing), so a wrong echo
 * shows up as a wrong screen, not just as different bytes.
 */
#include "kernel/input/lineedit.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(lineedit);

#define CTRL(c) ((c) & 0x1f)
#define SCREEN_MAX 1024

/* A one-row terminal: ASCII cells, a cursor, '\b', '\n' ends the row. */
struct term {
	char cells[SCREEN_MAX];
	unsigned cursor, width, newlines, bells;
};

static struct lineedit le;
static struct term term;

static void term_feed(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\b') {
			if (term.cursor > 0)
				term.cursor--;
		} else if (c == '\n') {
			term.newlines++;
		} else if (c == '\a') {
			term.bells++;
		} else if (term.cursor < SCREEN_MAX - 1) {
			term.cells[term.cursor++] = c;
			if (term.cursor > term.width)
				term.width = term.cursor;
		}
	}
}

/* What the row shows, trailing blanks removed. */
static const char *term_text(void)
{
	static char out[SCREEN_MAX];
	unsigned n = term.width;

	memcpy(out, term.cells, n);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

static void reset(void)
{
	lineedit_init(&le);
	memset(&term, 0, sizeof term);
}

static enum lineedit_result key(unsigned k, uint32_t ch)
{
	enum lineedit_result r = lineedit_key(&le, k, ch);

	term_feed(le.echo, le.echo_len);
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
	struct lineedit copy = le;

	lineedit_take(&copy, out);
	return out;
}

KTEST(lineedit, insert_appends_and_echoes)
{
	reset();
	type("help");
	EXPECT_STREQ(line(), "help");
	EXPECT_STREQ(term_text(), "help");
	EXPECT_EQ(le.cursor, 4);
	EXPECT_EQ(term.cursor, 4);
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
	EXPECT_STREQ(term_text(), "echo");
	EXPECT_EQ(term.cursor, le.cursor);
	key(INPUT_HOME, 0);
	type(">");
	EXPECT_STREQ(line(), ">echo");
	EXPECT_STREQ(term_text(), ">echo");
	EXPECT_EQ(le.cursor, 1);
	EXPECT_EQ(term.cursor, 1);
}

KTEST(lineedit, backspace_deletes_left_and_blanks_the_end)
{
	reset();
	type("abcd");
	key(INPUT_LEFT, 0);
	key(INPUT_CHAR, '\b');
	EXPECT_STREQ(line(), "abd");
	EXPECT_STREQ(term_text(), "abd");
	EXPECT_EQ(term.cursor, 2);
	key(INPUT_CHAR, 0x7f); /* DEL from a terminal is a backspace too */
	EXPECT_STREQ(line(), "ad");
	EXPECT_STREQ(term_text(), "ad");
	key(INPUT_HOME, 0);
	key(INPUT_CHAR, '\b'); /* at the start: nothing to delete */
	EXPECT_STREQ(line(), "ad");
	EXPECT_EQ(le.echo_len, 0);
}

KTEST(lineedit, delete_removes_under_cursor)
{
	reset();
	type("xyz");
	key(INPUT_DELETE, 0); /* at the end: nothing */
	EXPECT_STREQ(line(), "xyz");
	key(INPUT_HOME, 0);
	key(INPUT_DELETE, 0);
	EXPECT_STREQ(line(), "yz");
	EXPECT_STREQ(term_text(), "yz");
	EXPECT_EQ(term.cursor, 0);
}

KTEST(lineedit, left_right_home_end_stop_at_the_edges)
{
	reset();
	type("ab");
	key(INPUT_RIGHT, 0);
	EXPECT_EQ(le.cursor, 2);
	key(INPUT_HOME, 0);
	EXPECT_EQ(le.cursor, 0);
	EXPECT_EQ(term.cursor, 0);
	key(INPUT_LEFT, 0);
	EXPECT_EQ(le.cursor, 0);
	key(INPUT_END, 0);
	EXPECT_EQ(le.cursor, 2);
	EXPECT_EQ(term.cursor, 2);
	key(INPUT_CHAR, CTRL('A'));
	EXPECT_EQ(le.cursor, 0);
	key(INPUT_CHAR, CTRL('E'));
	EXPECT_EQ(term.cursor, 2);
	EXPECT_STREQ(term_text(), "ab");
}

KTEST(lineedit, ctrl_u_clears_line_and_screen)
{
	reset();
	type("some words");
	key(INPUT_LEFT, 0);
	key(INPUT_CHAR, CTRL('U'));
	EXPECT_STREQ(line(), "");
	EXPECT_EQ(le.len, 0);
	EXPECT_STREQ(term_text(), "");
	EXPECT_EQ(term.cursor, 0);
	type("ok");
	EXPECT_STREQ(term_text(), "ok");
}

KTEST(lineedit, ctrl_c_drops_the_line)
{
	reset();
	type("abc");
	key(INPUT_HOME, 0);
	EXPECT_EQ(key(INPUT_CHAR, CTRL('C')), LINEEDIT_CANCELLED);
	EXPECT_EQ(le.len, 0);
	EXPECT_STREQ(term_text(), "abc^C");
	EXPECT_EQ(term.newlines, 1);
}

KTEST(lineedit, enter_submits_and_take_resets)
{
	char out[LINEEDIT_UTF8_MAX];

	reset();
	type("echo hi");
	key(INPUT_HOME, 0);
	EXPECT_EQ(key(INPUT_CHAR, '\n'), LINEEDIT_SUBMIT);
	EXPECT_EQ(term.newlines, 1);
	EXPECT_EQ(term.cursor, 7); /* moved to the end before the newline */
	lineedit_take(&le, out);
	EXPECT_STREQ(out, "echo hi");
	EXPECT_EQ(le.len, 0);
	EXPECT_EQ(le.cursor, 0);
	EXPECT_EQ(key(INPUT_CHAR, '\r'), LINEEDIT_SUBMIT);
}

KTEST(lineedit, overflow_rings_the_bell)
{
	reset();
	for (unsigned i = 0; i < LINEEDIT_MAX; i++)
		key(INPUT_CHAR, 'a' + i % 26);
	EXPECT_EQ(le.len, LINEEDIT_MAX);
	EXPECT_EQ(term.bells, 0);
	key(INPUT_CHAR, 'z');
	EXPECT_EQ(le.len, LINEEDIT_MAX);
	EXPECT_EQ(term.bells, 1);
	/* The worst-case echo (insert at the start of a full line) fits. */
	key(INPUT_HOME, 0);
	key(INPUT_DELETE, 0);
	key(INPUT_CHAR, '#');
	EXPECT_EQ(le.len, LINEEDIT_MAX);
	EXPECT_EQ(term_text()[0], '#');
	EXPECT_EQ(strlen(term_text()), LINEEDIT_MAX);
	EXPECT_EQ(term.cursor, 1);
}

KTEST(lineedit, controls_and_arrows_up_down_are_ignored)
{
	reset();
	type("a");
	key(INPUT_CHAR, '\t');
	key(INPUT_CHAR, 0x1b);
	key(INPUT_CHAR, 0x85); /* C1 control */
	key(INPUT_UP, 0);
	key(INPUT_DOWN, 0);
	EXPECT_STREQ(line(), "a");
	EXPECT_EQ(le.echo_len, 0);
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

KTEST(lineedit, redraw_reprints_line_and_cursor)
{
	reset();
	type("abc");
	key(INPUT_LEFT, 0);
	memset(&term, 0, sizeof term); /* a fresh prompt line */
	lineedit_redraw(&le);
	term_feed(le.echo, le.echo_len);
	EXPECT_STREQ(term_text(), "abc");
	EXPECT_EQ(term.cursor, 2);
}
