/*
 * lineedit.c — see lineedit.h.  Every edit ends by redrawing the text from
 * the cursor to the end of the line and walking back with '\b', which is the
 * whole of the terminal protocol we need.
 */
#include "kernel/input/lineedit.h"

#include "kernel/lib/string.h"

#define CTRL(c) ((c) & 0x1f)

void lineedit_init(struct lineedit *le)
{
	le->len = le->cursor = 0;
	le->echo_len = 0;
}

static void put_byte(struct lineedit *le, char c)
{
	if (le->echo_len < sizeof le->echo)
		le->echo[le->echo_len++] = c;
}

static void put_repeat(struct lineedit *le, char c, unsigned n)
{
	while (n--)
		put_byte(le, c);
}

/* UTF-8 of a BMP code point (surrogates were refused on input). */
static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static void put_cp(struct lineedit *le, uint32_t cp)
{
	char b[3];
	size_t n = utf8_encode(cp, b);

	for (size_t i = 0; i < n; i++)
		put_byte(le, b[i]);
}

/* Draws text[cursor..len), blanks `erase` cells after it (text that got
 * shorter), then walks the terminal cursor back to le->cursor. */
static void redraw_tail(struct lineedit *le, unsigned erase)
{
	for (unsigned i = le->cursor; i < le->len; i++)
		put_cp(le, le->text[i]);
	put_repeat(le, ' ', erase);
	put_repeat(le, '\b', le->len - le->cursor + erase);
}

static bool printable(uint32_t ch)
{
	return ch >= 0x20 && ch != 0x7f && !(ch >= 0x80 && ch < 0xa0) &&
	       !(ch >= 0xd800 && ch < 0xe000) && ch < 0x10000;
}

static void insert(struct lineedit *le, uint32_t ch)
{
	if (le->len == LINEEDIT_MAX) {
		put_byte(le, '\a');
		return;
	}
	memmove(&le->text[le->cursor + 1], &le->text[le->cursor],
		(le->len - le->cursor) * sizeof le->text[0]);
	le->text[le->cursor] = ch;
	le->len++;
	put_cp(le, ch);
	le->cursor++;
	redraw_tail(le, 0);
}

/* Removes the character under the cursor; the caller positioned it. */
static void delete_at_cursor(struct lineedit *le)
{
	memmove(&le->text[le->cursor], &le->text[le->cursor + 1],
		(le->len - le->cursor - 1) * sizeof le->text[0]);
	le->len--;
	redraw_tail(le, 1);
}

static void backspace(struct lineedit *le)
{
	if (le->cursor == 0)
		return;
	le->cursor--;
	put_byte(le, '\b');
	delete_at_cursor(le);
}

static void delete_right(struct lineedit *le)
{
	if (le->cursor < le->len)
		delete_at_cursor(le);
}

static void move_to(struct lineedit *le, unsigned pos)
{
	if (pos < le->cursor)
		put_repeat(le, '\b', le->cursor - pos);
	for (unsigned i = le->cursor; i < pos; i++)
		put_cp(le, le->text[i]);
	le->cursor = pos;
}

static void clear_line(struct lineedit *le)
{
	unsigned old = le->len;

	move_to(le, 0);
	le->len = 0;
	redraw_tail(le, old);
}

static enum lineedit_result control(struct lineedit *le, uint32_t ch)
{
	switch (ch) {
	case '\n':
	case '\r':
		move_to(le, le->len);
		put_byte(le, '\n');
		return LINEEDIT_SUBMIT;
	case CTRL('C'):
		move_to(le, le->len);
		put_byte(le, '^');
		put_byte(le, 'C');
		put_byte(le, '\n');
		le->len = le->cursor = 0;
		return LINEEDIT_CANCELLED;
	case '\b':
	case 0x7f: backspace(le); break;
	case CTRL('U'): clear_line(le); break;
	case CTRL('A'): move_to(le, 0); break;
	case CTRL('E'): move_to(le, le->len); break;
	default: break; /* no meaning here: ignore */
	}
	return LINEEDIT_EDITING;
}

enum lineedit_result lineedit_key(struct lineedit *le, unsigned key, uint32_t ch)
{
	le->echo_len = 0;
	switch (key) {
	case INPUT_CHAR:
		if (printable(ch)) {
			insert(le, ch);
			return LINEEDIT_EDITING;
		}
		return control(le, ch);
	case INPUT_LEFT:
		if (le->cursor > 0)
			move_to(le, le->cursor - 1);
		break;
	case INPUT_RIGHT:
		if (le->cursor < le->len)
			move_to(le, le->cursor + 1);
		break;
	case INPUT_HOME: move_to(le, 0); break;
	case INPUT_END: move_to(le, le->len); break;
	case INPUT_DELETE: delete_right(le); break;
	default: break; /* Up/Down: no history (yet) */
	}
	return LINEEDIT_EDITING;
}

void lineedit_take(struct lineedit *le, char *out)
{
	size_t n = 0;

	for (unsigned i = 0; i < le->len; i++)
		n += utf8_encode(le->text[i], out + n);
	out[n] = '\0';
	le->len = le->cursor = 0;
}

void lineedit_redraw(struct lineedit *le)
{
	le->echo_len = 0;
	for (unsigned i = 0; i < le->len; i++)
		put_cp(le, le->text[i]);
	put_repeat(le, '\b', le->len - le->cursor);
}
