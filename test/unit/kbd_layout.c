/*
 * Tests of the keyboard layouts (kernel/input/keymap.c) through the decoder, and of
 * keymap lookup by name.  Also holds the row runner of kbd_test.h.
 */
#include "kernel/input/kbd.h"
#include "kernel/input/keymap.h"
#include "kernel/lib/string.h"
#include "test/unit/kbd_test.h"

KTEST_SUITE(kbd_layout);

static bool event_matches(const struct kbd_event *got, const struct kbd_want *want)
{
	return got->key == want->key && got->pressed == want->pressed &&
	       got->mods == want->mods && got->ch == want->ch;
}

static void report_event(struct ktest *t, const char *what, unsigned i,
			 enum kbd_key key, bool pressed, unsigned mods, uint32_t ch)
{
	ktest_diag(t, "  %s %u: %s %s mods=%x ch=%x", what, i, kbd_key_name(key),
		   pressed ? "down" : "up", mods, (unsigned)ch);
}

static bool run_row(struct ktest *_kt, const struct kbd_row *row)
{
	const struct keymap *map = keymap_find(row->map);
	struct kbd_event got[KBD_ROW_MAX_IN];
	struct kbd_decoder d;
	unsigned n = 0;
	bool ok = true;

	EXPECT_NOT_NULL(map);
	if (!map)
		return false;
	kbd_init(&d, map);
	for (unsigned i = 0; i < row->n_in; i++)
		if (kbd_feed(&d, row->in[i], &got[n]))
			n++;
	ok = n == row->n_out;
	for (unsigned i = 0; ok && i < n; i++)
		ok = event_matches(&got[i], &row->out[i]);
	if (ok)
		return true;
	ktest_diag(_kt, "row \"%s\" (%s): got %u events, want %u", row->name, row->map,
		   n, row->n_out);
	for (unsigned i = 0; i < n; i++)
		report_event(_kt, "got ", i, got[i].key, got[i].pressed, got[i].mods,
			     got[i].ch);
	for (unsigned i = 0; i < row->n_out; i++)
		report_event(_kt, "want", i, row->out[i].key, row->out[i].pressed,
			     row->out[i].mods, row->out[i].ch);
	return false;
}

unsigned kbd_run_rows(struct ktest *_kt, const struct kbd_row *rows, unsigned n)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++)
		failed += !run_row(_kt, &rows[i]);
	return failed;
}

#define EURO 0x20ac

static const struct kbd_row layout_rows[] = {
	/* UK. */
	{ "uk shift 2 3", "uk", IN(0x2a, 0x03, 0x83, 0x04, 0x84),
	  OUT(P(LSHIFT, 0, LS), P(2, '"', LS), R(2, LS), P(3, 0xa3, LS), R(3, LS)) },
	{ "uk hash key", "uk", IN(0x2b, 0xab, 0x2a, 0x2b),
	  OUT(P(BACKSLASH, '#', 0), R(BACKSLASH, 0), P(LSHIFT, 0, LS),
	      P(BACKSLASH, '~', LS)) },
	{ "uk apostrophe and at", "uk", IN(0x28, 0xa8, 0x2a, 0x28),
	  OUT(P(APOSTROPHE, '\'', 0), R(APOSTROPHE, 0), P(LSHIFT, 0, LS),
	      P(APOSTROPHE, '@', LS)) },
	{ "uk 102nd key", "uk", IN(0x56, 0xd6, 0x2a, 0x56),
	  OUT(P(102ND, '\\', 0), R(102ND, 0), P(LSHIFT, 0, LS), P(102ND, '|', LS)) },
	{ "uk grave and not sign", "uk", IN(0x29, 0xa9, 0x2a, 0x29),
	  OUT(P(GRAVE, '`', 0), R(GRAVE, 0), P(LSHIFT, 0, LS), P(GRAVE, 0xac, LS)) },
	{ "uk altgr", "uk", IN(0xe0, 0x38, 0x05, 0x85, 0x1e, 0x9e, 0x12, 0x10),
	  OUT(P(RALT, 0, RA), P(4, EURO, RA), R(4, RA), P(A, 0xe1, RA), R(A, RA),
	      P(E, 0xe9, RA), P(Q, 0, RA)) },
	{ "uk letters as us", "uk", IN(0x10, 0x15, 0x2c, 0x1d, 0x2c),
	  OUT(P(Q, 'q', 0), P(Y, 'y', 0), P(Z, 'z', 0), P(LCTRL, 0, LC),
	      P(Z, 0x1a, LC)) },

	/* German. */
	{ "de y and z swap", "de", IN(0x15, 0x95, 0x2c, 0xac),
	  OUT(P(Y, 'z', 0), R(Y, 0), P(Z, 'y', 0), R(Z, 0)) },
	{ "de umlauts and sharp s", "de", IN(0x1a, 0x27, 0x28, 0x0c),
	  OUT(P(LBRACKET, 0xfc, 0), P(SEMICOLON, 0xf6, 0), P(APOSTROPHE, 0xe4, 0),
	      P(MINUS, 0xdf, 0)) },
	{ "de shifted umlauts", "de", IN(0x2a, 0x1a, 0x27, 0x28, 0x0c),
	  OUT(P(LSHIFT, 0, LS), P(LBRACKET, 0xdc, LS), P(SEMICOLON, 0xd6, LS),
	      P(APOSTROPHE, 0xc4, LS), P(MINUS, '?', LS)) },
	{ "de caps umlauts not sharp s", "de", IN(0x3a, 0xba, 0x1a, 0x28, 0x0c),
	  OUT(P(CAPS_LOCK, 0, CAPS), R(CAPS_LOCK, CAPS), P(LBRACKET, 0xdc, CAPS),
	      P(APOSTROPHE, 0xc4, CAPS), P(MINUS, 0xdf, CAPS)) },
	{ "de shifted digits", "de",
	  IN(0x2a, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b),
	  OUT(P(LSHIFT, 0, LS), P(1, '!', LS), P(2, '"', LS), P(3, 0xa7, LS),
	      P(4, '$', LS), P(5, '%', LS), P(6, '&', LS), P(7, '/', LS),
	      P(8, '(', LS), P(9, ')', LS), P(0, '=', LS)) },
	{ "de altgr q e", "de", IN(0xe0, 0x38, 0x10, 0x90, 0x12, 0x92, 0xe0, 0xb8),
	  OUT(P(RALT, 0, RA), P(Q, '@', RA), R(Q, RA), P(E, EURO, RA), R(E, RA),
	      R(RALT, 0)) },
	{ "de altgr braces", "de", IN(0xe0, 0x38, 0x08, 0x09, 0x0a, 0x0b),
	  OUT(P(RALT, 0, RA), P(7, '{', RA), P(8, '[', RA), P(9, ']', RA),
	      P(0, '}', RA)) },
	{ "de altgr backslash pipe tilde micro", "de",
	  IN(0xe0, 0x38, 0x0c, 0x56, 0x1b, 0x32),
	  OUT(P(RALT, 0, RA), P(MINUS, '\\', RA), P(102ND, '|', RA),
	      P(RBRACKET, '~', RA), P(M, 0xb5, RA)) },
	{ "de altgr without third level", "de", IN(0xe0, 0x38, 0x1e, 0x1c),
	  OUT(P(RALT, 0, RA), P(A, 0, RA), P(ENTER, '\n', RA)) },
	{ "de punctuation", "de", IN(0x1b, 0x2b, 0x56, 0x33, 0x34, 0x35, 0x29, 0x0d),
	  OUT(P(RBRACKET, '+', 0), P(BACKSLASH, '#', 0), P(102ND, '<', 0),
	      P(COMMA, ',', 0), P(PERIOD, '.', 0), P(SLASH, '-', 0), P(GRAVE, '^', 0),
	      P(EQUAL, 0xb4, 0)) },
	{ "de shifted punctuation", "de",
	  IN(0x36, 0x1b, 0x2b, 0x56, 0x33, 0x34, 0x35, 0x29, 0x0d),
	  OUT(P(RSHIFT, 0, RS), P(RBRACKET, '*', RS), P(BACKSLASH, '\'', RS),
	      P(102ND, '>', RS), P(COMMA, ';', RS), P(PERIOD, ':', RS),
	      P(SLASH, '_', RS), P(GRAVE, 0xb0, RS), P(EQUAL, '`', RS)) },
	{ "de ctrl on the z key", "de", IN(0x1d, 0x15, 0x95, 0x2c),
	  OUT(P(LCTRL, 0, LC), P(Y, 0x1a, LC), R(Y, LC), P(Z, 0x19, LC)) },
	{ "de ctrl with altgr types the altgr level", "de", IN(0x1d, 0xe0, 0x38, 0x10),
	  OUT(P(LCTRL, 0, LC), P(RALT, 0, LC | RA), P(Q, '@', LC | RA)) },
	{ "de left alt types nothing", "de", IN(0x38, 0x10),
	  OUT(P(LALT, 0, LA), P(Q, 0, LA)) },
	{ "de keypad decimal is comma", "de", IN(0x45, 0xc5, 0x53, 0xd3, 0x4f),
	  OUT(P(NUM_LOCK, 0, NUM), R(NUM_LOCK, NUM), P(KP_DOT, ',', NUM),
	      R(KP_DOT, NUM), P(KP_1, '1', NUM)) },
};

KTEST(kbd_layout, uk_de_table)
{
	unsigned n = sizeof layout_rows / sizeof layout_rows[0];

	EXPECT_EQ(kbd_run_rows(_kt, layout_rows, n), 0);
	ktest_diag(_kt, "%u rows", n);
}

KTEST(kbd_layout, find_by_name)
{
	EXPECT_EQ((uintptr_t)keymap_find("us"), (uintptr_t)&keymap_us);
	EXPECT_EQ((uintptr_t)keymap_find("uk"), (uintptr_t)&keymap_uk);
	EXPECT_EQ((uintptr_t)keymap_find("de"), (uintptr_t)&keymap_de);
	EXPECT_STREQ(keymap_find("de")->name, "de");
	EXPECT_NULL(keymap_find("fr"));
	EXPECT_NULL(keymap_find(""));
	EXPECT_NULL(keymap_find("US"));
	EXPECT_NULL(keymap_find("u"));
	EXPECT_NULL(keymap_find("usa"));
	EXPECT_NULL(keymap_find(NULL));
}

/* keymap_names() is typed by hand; every name in it must be findable. */
KTEST(kbd_layout, names_list_matches_tables)
{
	const char *s = keymap_names();
	unsigned count = 0;
	char name[8];

	EXPECT_STREQ(s, "us, uk, de");
	while (*s) {
		unsigned len = 0;

		while (s[len] && s[len] != ',')
			len++;
		ASSERT_LT(len, sizeof name);
		memcpy(name, s, len);
		name[len] = '\0';
		EXPECT_NOT_NULL(keymap_find(name));
		count++;
		s += len;
		while (*s == ',' || *s == ' ')
			s++;
	}
	EXPECT_EQ(count, 3);
}

/* Every layout types a lower and upper case letter on each letter key. */
KTEST(kbd_layout, letters_complete)
{
	static const enum kbd_key letters[] = {
		KBD_KEY_Q, KBD_KEY_W, KBD_KEY_E, KBD_KEY_R, KBD_KEY_T, KBD_KEY_Y,
		KBD_KEY_U, KBD_KEY_I, KBD_KEY_O, KBD_KEY_P, KBD_KEY_A, KBD_KEY_S,
		KBD_KEY_D, KBD_KEY_F, KBD_KEY_G, KBD_KEY_H, KBD_KEY_J, KBD_KEY_K,
		KBD_KEY_L, KBD_KEY_Z, KBD_KEY_X, KBD_KEY_C, KBD_KEY_V, KBD_KEY_B,
		KBD_KEY_N, KBD_KEY_M,
	};
	const struct keymap *maps[] = { &keymap_us, &keymap_uk, &keymap_de };

	for (unsigned m = 0; m < 3; m++) {
		unsigned mask = 0;

		for (unsigned i = 0; i < sizeof letters / sizeof letters[0]; i++) {
			const struct keymap_chars *c = &maps[m]->keys[letters[i]];

			ASSERT_TRUE(c->plain >= 'a' && c->plain <= 'z');
			EXPECT_EQ(c->shift, c->plain - 'a' + 'A');
			mask |= 1u << (c->plain - 'a');
		}
		EXPECT_EQ(mask, (1u << 26) - 1);	/* each letter exactly once */
		EXPECT_EQ(maps[m]->keys[KBD_KEY_SPACE].plain, ' ');
	}
	EXPECT_FALSE(keymap_us.has_altgr);
	EXPECT_TRUE(keymap_uk.has_altgr);
	EXPECT_TRUE(keymap_de.has_altgr);
}
