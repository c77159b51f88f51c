/*
 * lineedit.c — see lineedit.h.
 *
 * The editor keeps a model of the terminal: which cell the cursor is on and
 * how many cells of prompt + text are drawn, cells numbered from the start
 * of the prompt, @width to a row.  Every edit redraws from the first cell it
 * changed to the end, erases what is left of the old text (ESC [ J) and puts
 * the cursor back; every move is computed from the model, so nothing
 * depends on how a terminal wraps or how wide it is.
 */
#include "kernel/input/lineedit.h"

#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"

#define CTRL(c) ((c) & 0x1f)

void lineedit_init(struct lineedit *le, const char *prompt, unsigned width)
{
	size_t n = strnlen(prompt, LINEEDIT_PROMPT_MAX - 1);

	memcpy(le->prompt, prompt, n);
	le->prompt[n] = '\0';
	le->prompt_len = (unsigned)n;
	le->width = width < le->prompt_len + 2 ? le->prompt_len + 2 : width;
	le->len = le->cursor = le->dropped = 0;
	le->term_pos = le->drawn = 0;
	le->echo_len = 0;
}

static void put_byte(struct lineedit *le, char c)
{
	if (le->echo_len < sizeof le->echo)
		le->echo[le->echo_len++] = c;
}

static void put_str(struct lineedit *le, const char *s)
{
	while (*s)
		put_byte(le, *s++);
}

/* ESC [ n <final>, n >= 1 (0 would mean 1 to a VT100). */
static void put_csi(struct lineedit *le, unsigned n, char final)
{
	char b[16];

	fmt_snprintf(b, sizeof b, "\x1b[%u%c", n, final);
	put_str(le, b);
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

/* Draws one cell's character at the terminal cursor; a row that fills up
 * is ended with CR LF, so the cursor is always inside the row it is on. */
static void draw_cell(struct lineedit *le, uint32_t cp)
{
	char b[3];
	size_t n = utf8_encode(cp, b);

	for (size_t i = 0; i < n; i++)
		put_byte(le, b[i]);
	if (++le->term_pos % le->width == 0)
		put_str(le, "\r\n");
}

/* Moves the terminal cursor to cell @pos (one already drawn, or the one
 * after the last): up or down (the column stays), then left or right. */
static void go_to(struct lineedit *le, unsigned pos)
{
	unsigned from_row = le->term_pos / le->width, to_row = pos / le->width;
	unsigned from_col = le->term_pos % le->width, to_col = pos % le->width;

	if (to_row < from_row)
		put_csi(le, from_row - to_row, 'A');
	else if (to_row > from_row)
		put_csi(le, to_row - from_row, 'B');
	if (to_col + 4 >= from_col && to_col < from_col) {
		for (unsigned i = to_col; i < from_col; i++)
			put_byte(le, '\b'); /* short hops: what any terminal knows */
	} else if (to_col < from_col) {
		put_csi(le, from_col - to_col, 'D');
	} else if (to_col > from_col) {
		put_csi(le, to_col - from_col, 'C');
	}
	le->term_pos = pos;
}

/* Redraws text[from..len), erases anything drawn beyond it, and puts the
 * terminal cursor on the editing cursor. */
static void redraw_from(struct lineedit *le, unsigned from)
{
	unsigned end = le->prompt_len + le->len;

	go_to(le, le->prompt_len + from);
	for (unsigned i = from; i < le->len; i++)
		draw_cell(le, le->text[i]);
	if (le->drawn > end)
		put_str(le, "\x1b[J");
	le->drawn = end;
	go_to(le, le->prompt_len + le->cursor);
}

void lineedit_redraw(struct lineedit *le)
{
	le->echo_len = 0;
	le->term_pos = le->drawn = 0;
	for (unsigned i = 0; i < le->prompt_len; i++)
		draw_cell(le, (uint8_t)le->prompt[i]);
	le->drawn = le->prompt_len;
	redraw_from(le, 0);
}

void lineedit_hide(struct lineedit *le)
{
	le->echo_len = 0;
	go_to(le, 0);
	put_str(le, "\x1b[J");
	le->drawn = 0;
}

static bool printable(uint32_t ch)
{
	return ch >= 0x20 && ch != 0x7f && !(ch >= 0x80 && ch < 0xa0) &&
	       !(ch >= 0xd800 && ch < 0xe000) && ch < 0x10000;
}

static void insert(struct lineedit *le, uint32_t ch)
{
	if (le->len == LINEEDIT_MAX) {
		if (le->dropped++ == 0)
			put_byte(le, '\a'); /* once: a pasted 2,000 characters ring once */
		return;
	}
	memmove(&le->text[le->cursor + 1], &le->text[le->cursor],
		(le->len - le->cursor) * sizeof le->text[0]);
	le->text[le->cursor] = ch;
	le->len++;
	le->cursor++;
	redraw_from(le, le->cursor - 1);
}

static void delete_at(struct lineedit *le, unsigned at)
{
	memmove(&le->text[at], &le->text[at + 1], (le->len - at - 1) * sizeof le->text[0]);
	le->len--;
	le->cursor = at;
	redraw_from(le, at);
}

static void move_to(struct lineedit *le, unsigned pos)
{
	le->cursor = pos;
	go_to(le, le->prompt_len + pos);
}

/* Ends the line on the terminal: the cursor goes to a fresh row. */
static void finish_row(struct lineedit *le, const char *mark)
{
	go_to(le, le->prompt_len + le->len);
	put_str(le, mark);
	/* A line that exactly filled its last row already moved down. */
	if (*mark || le->term_pos % le->width != 0 || le->term_pos == 0)
		put_byte(le, '\n');
	le->term_pos = le->drawn = 0;
}

static enum lineedit_result control(struct lineedit *le, uint32_t ch)
{
	switch (ch) {
	case '\n':
	case '\r':
		finish_row(le, "");
		return LINEEDIT_SUBMIT;
	case CTRL('C'):
		finish_row(le, "^C");
		le->len = le->cursor = le->dropped = 0;
		return LINEEDIT_CANCELLED;
	case '\t': return LINEEDIT_COMPLETE;
	case CTRL('L'): return LINEEDIT_CLEAR_SCREEN;
	case '\b':
	case 0x7f:
		if (le->cursor > 0)
			delete_at(le, le->cursor - 1);
		break;
	case CTRL('U'):
		le->len = le->cursor = 0;
		redraw_from(le, 0);
		break;
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
	case INPUT_DELETE:
		if (le->cursor < le->len)
			delete_at(le, le->cursor);
		break;
	case INPUT_UP: return LINEEDIT_HISTORY_PREV;
	case INPUT_DOWN: return LINEEDIT_HISTORY_NEXT;
	default: break;
	}
	return LINEEDIT_EDITING;
}

static size_t to_utf8(const uint32_t *text, unsigned n, char *out)
{
	size_t len = 0;

	for (unsigned i = 0; i < n; i++)
		len += utf8_encode(text[i], out + len);
	out[len] = '\0';
	return len;
}

void lineedit_take(struct lineedit *le, char *out)
{
	to_utf8(le->text, le->len, out);
	le->len = le->cursor = le->dropped = 0;
}

void lineedit_before_cursor(const struct lineedit *le, char *out)
{
	to_utf8(le->text, le->cursor, out);
}

/* Next code point of NUL-terminated UTF-8 at *s (bad bytes become U+FFFD). */
static uint32_t utf8_next(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t cp = 0xfffd;
	size_t n = 1;

	if (p[0] < 0x80)
		cp = p[0];
	else if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80)
		cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f), n = 2;
	else if ((p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80)
		cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 |
		     (p[2] & 0x3f), n = 3;
	*s += n;
	return cp;
}

void lineedit_insert(struct lineedit *le, const char *s)
{
	unsigned from = le->cursor;

	le->echo_len = 0;
	while (*s && le->len < LINEEDIT_MAX) {
		uint32_t cp = utf8_next(&s);
		if (!printable(cp))
			continue;
		memmove(&le->text[le->cursor + 1], &le->text[le->cursor],
			(le->len - le->cursor) * sizeof le->text[0]);
		le->text[le->cursor++] = cp;
		le->len++;
	}
	redraw_from(le, from);
}

void lineedit_set(struct lineedit *le, const char *s)
{
	le->echo_len = 0;
	le->len = le->cursor = 0;
	while (*s && le->len < LINEEDIT_MAX) {
		uint32_t cp = utf8_next(&s);
		if (printable(cp))
			le->text[le->len++] = cp;
	}
	le->cursor = le->len;
	redraw_from(le, 0);
}
