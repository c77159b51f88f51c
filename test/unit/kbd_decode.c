/*
 * Tests of the scancode set 1 decoder (kernel/input/kbd.c) on the US layout: a table
 * of byte sequences and the exact events they must give, then properties that
 * a table cannot state (LED flag, repeats, completeness, resynchronisation).
 */
#include "kernel/input/kbd.h"
#include "kernel/input/keymap.h"
#include "test/unit/kbd_test.h"

KTEST_SUITE(kbd);

static const struct kbd_row us_rows[] = {
	/* Letters, Shift and Caps Lock. */
	{ "a", "us", IN(0x1e, 0x9e), OUT(P(A, 'a', 0), R(A, 0)) },
	{ "lshift a", "us", IN(0x2a, 0x1e, 0x9e, 0xaa),
	  OUT(P(LSHIFT, 0, LS), P(A, 'A', LS), R(A, LS), R(LSHIFT, 0)) },
	{ "rshift z", "us", IN(0x36, 0x2c, 0xac, 0xb6),
	  OUT(P(RSHIFT, 0, RS), P(Z, 'Z', RS), R(Z, RS), R(RSHIFT, 0)) },
	{ "caps a", "us", IN(0x3a, 0xba, 0x1e, 0x9e),
	  OUT(P(CAPS_LOCK, 0, CAPS), R(CAPS_LOCK, CAPS), P(A, 'A', CAPS), R(A, CAPS)) },
	{ "caps shift a is lower", "us", IN(0x3a, 0xba, 0x2a, 0x1e),
	  OUT(P(CAPS_LOCK, 0, CAPS), R(CAPS_LOCK, CAPS), P(LSHIFT, 0, CAPS | LS),
	      P(A, 'a', CAPS | LS)) },
	{ "caps leaves digits", "us", IN(0x3a, 0xba, 0x02, 0x82, 0x2a, 0x02),
	  OUT(P(CAPS_LOCK, 0, CAPS), R(CAPS_LOCK, CAPS), P(1, '1', CAPS), R(1, CAPS),
	      P(LSHIFT, 0, CAPS | LS), P(1, '!', CAPS | LS)) },
	{ "caps twice is off", "us", IN(0x3a, 0xba, 0x3a, 0xba, 0x1e),
	  OUT(P(CAPS_LOCK, 0, CAPS), R(CAPS_LOCK, CAPS), P(CAPS_LOCK, 0, 0),
	      R(CAPS_LOCK, 0), P(A, 'a', 0)) },
	{ "held caps toggles once", "us", IN(0x3a, 0x3a, 0x3a, 0xba, 0x1e),
	  OUT(P(CAPS_LOCK, 0, CAPS), P(CAPS_LOCK, 0, CAPS), P(CAPS_LOCK, 0, CAPS),
	      R(CAPS_LOCK, CAPS), P(A, 'A', CAPS)) },
	{ "both shifts", "us", IN(0x2a, 0x36, 0xaa, 0x1e),
	  OUT(P(LSHIFT, 0, LS), P(RSHIFT, 0, LS | RS), R(LSHIFT, RS), P(A, 'A', RS)) },

	/* Digits and punctuation. */
	{ "digits", "us", IN(0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b),
	  OUT(P(1, '1', 0), P(2, '2', 0), P(3, '3', 0), P(4, '4', 0), P(5, '5', 0),
	      P(6, '6', 0), P(7, '7', 0), P(8, '8', 0), P(9, '9', 0), P(0, '0', 0)) },
	{ "shifted digits", "us",
	  IN(0x2a, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b),
	  OUT(P(LSHIFT, 0, LS), P(1, '!', LS), P(2, '@', LS), P(3, '#', LS),
	      P(4, '$', LS), P(5, '%', LS), P(6, '^', LS), P(7, '&', LS),
	      P(8, '*', LS), P(9, '(', LS), P(0, ')', LS)) },
	{ "punctuation", "us",
	  IN(0x29, 0x0c, 0x0d, 0x1a, 0x1b, 0x2b, 0x27, 0x28, 0x33, 0x34, 0x35, 0x56),
	  OUT(P(GRAVE, '`', 0), P(MINUS, '-', 0), P(EQUAL, '=', 0),
	      P(LBRACKET, '[', 0), P(RBRACKET, ']', 0), P(BACKSLASH, '\\', 0),
	      P(SEMICOLON, ';', 0), P(APOSTROPHE, '\'', 0), P(COMMA, ',', 0),
	      P(PERIOD, '.', 0), P(SLASH, '/', 0), P(102ND, '\\', 0)) },
	{ "shifted punctuation", "us",
	  IN(0x36, 0x29, 0x0c, 0x0d, 0x1a, 0x1b, 0x2b, 0x27, 0x28, 0x33, 0x34, 0x35,
	     0x56),
	  OUT(P(RSHIFT, 0, RS), P(GRAVE, '~', RS), P(MINUS, '_', RS),
	      P(EQUAL, '+', RS), P(LBRACKET, '{', RS), P(RBRACKET, '}', RS),
	      P(BACKSLASH, '|', RS), P(SEMICOLON, ':', RS), P(APOSTROPHE, '"', RS),
	      P(COMMA, '<', RS), P(PERIOD, '>', RS), P(SLASH, '?', RS),
	      P(102ND, '|', RS)) },
	{ "enter backspace tab escape space", "us",
	  IN(0x1c, 0x9c, 0x0e, 0x8e, 0x0f, 0x8f, 0x01, 0x81, 0x39, 0xb9),
	  OUT(P(ENTER, '\n', 0), R(ENTER, 0), P(BACKSPACE, '\b', 0), R(BACKSPACE, 0),
	      P(TAB, '\t', 0), R(TAB, 0), P(ESCAPE, 0x1b, 0), R(ESCAPE, 0),
	      P(SPACE, ' ', 0), R(SPACE, 0)) },
	{ "function keys", "us", IN(0x3b, 0x44, 0x57, 0x58, 0xbb),
	  OUT(P(F1, 0, 0), P(F10, 0, 0), P(F11, 0, 0), P(F12, 0, 0), R(F1, 0)) },

	/* Ctrl and Alt. */
	{ "ctrl letters", "us", IN(0x1d, 0x1e, 0x9e, 0x2c, 0xac, 0x2e),
	  OUT(P(LCTRL, 0, LC), P(A, 0x01, LC), R(A, LC), P(Z, 0x1a, LC), R(Z, LC),
	      P(C, 0x03, LC)) },
	{ "rctrl c", "us", IN(0xe0, 0x1d, 0x2e, 0xae, 0xe0, 0x9d),
	  OUT(P(RCTRL, 0, RC), P(C, 0x03, RC), R(C, RC), R(RCTRL, 0)) },
	{ "ctrl brackets", "us", IN(0x1d, 0x1a, 0x2b, 0x1b),
	  OUT(P(LCTRL, 0, LC), P(LBRACKET, 0x1b, LC), P(BACKSLASH, 0x1c, LC),
	      P(RBRACKET, 0x1d, LC)) },
	{ "ctrl shift", "us", IN(0x1d, 0x2a, 0x1e, 0x07, 0x0c),
	  OUT(P(LCTRL, 0, LC), P(LSHIFT, 0, LC | LS), P(A, 0x01, LC | LS),
	      P(6, 0x1e, LC | LS), P(MINUS, 0x1f, LC | LS)) },
	{ "ctrl digit types nothing", "us", IN(0x1d, 0x02, 0x1c),
	  OUT(P(LCTRL, 0, LC), P(1, 0, LC), P(ENTER, '\n', LC)) },
	{ "alt a types nothing", "us", IN(0x38, 0x1e, 0x9e, 0xb8),
	  OUT(P(LALT, 0, LA), P(A, 0, LA), R(A, LA), R(LALT, 0)) },
	{ "us right alt is alt", "us", IN(0xe0, 0x38, 0x1e, 0xe0, 0xb8),
	  OUT(P(RALT, 0, RA), P(A, 0, RA), R(RALT, 0)) },

	/* E0 keys. */
	{ "gui and menu", "us",
	  IN(0xe0, 0x5b, 0xe0, 0xdb, 0xe0, 0x5c, 0xe0, 0xdc, 0xe0, 0x5d, 0xe0, 0xdd),
	  OUT(P(LGUI, 0, KBD_MOD_LGUI), R(LGUI, 0), P(RGUI, 0, KBD_MOD_RGUI),
	      R(RGUI, 0), P(MENU, 0, 0), R(MENU, 0)) },
	{ "navigation", "us",
	  IN(0xe0, 0x52, 0xe0, 0x53, 0xe0, 0x47, 0xe0, 0x4f, 0xe0, 0x49, 0xe0, 0x51,
	     0xe0, 0x48, 0xe0, 0x50, 0xe0, 0x4b, 0xe0, 0x4d),
	  OUT(P(INSERT, 0, 0), P(DELETE, 0, 0), P(HOME, 0, 0), P(END, 0, 0),
	      P(PAGE_UP, 0, 0), P(PAGE_DOWN, 0, 0), P(UP, 0, 0), P(DOWN, 0, 0),
	      P(LEFT, 0, 0), P(RIGHT, 0, 0)) },
	{ "navigation releases", "us",
	  IN(0xe0, 0x52, 0xe0, 0xd2, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x4b, 0xe0, 0xcb),
	  OUT(P(INSERT, 0, 0), R(INSERT, 0), P(UP, 0, 0), R(UP, 0), P(LEFT, 0, 0),
	      R(LEFT, 0)) },
	{ "kp enter and slash", "us", IN(0xe0, 0x1c, 0xe0, 0x9c, 0xe0, 0x35, 0xe0, 0xb5),
	  OUT(P(KP_ENTER, '\n', 0), R(KP_ENTER, 0), P(KP_SLASH, '/', 0),
	      R(KP_SLASH, 0)) },
	{ "right ctrl and alt", "us", IN(0xe0, 0x1d, 0xe0, 0x38, 0xe0, 0xb8, 0xe0, 0x9d),
	  OUT(P(RCTRL, 0, RC), P(RALT, 0, RC | RA), R(RALT, RC), R(RCTRL, 0)) },
	{ "fake shifts around insert", "us",
	  IN(0xe0, 0x2a, 0xe0, 0x52, 0xe0, 0xd2, 0xe0, 0xaa),
	  OUT(P(INSERT, 0, 0), R(INSERT, 0)) },
	{ "fake shift release keeps real shift", "us",
	  IN(0x2a, 0xe0, 0xaa, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x2a, 0xaa),
	  OUT(P(LSHIFT, 0, LS), P(UP, 0, LS), R(UP, LS), R(LSHIFT, 0)) },
	{ "fake right shift", "us",
	  IN(0x36, 0xe0, 0xb6, 0xe0, 0x35, 0xe0, 0xb5, 0xe0, 0x36, 0xb6),
	  OUT(P(RSHIFT, 0, RS), P(KP_SLASH, '/', RS), R(KP_SLASH, RS), R(RSHIFT, 0)) },
	{ "print screen", "us", IN(0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa),
	  OUT(P(PRINT_SCREEN, 0, 0), R(PRINT_SCREEN, 0)) },
	{ "ctrl print screen", "us", IN(0x1d, 0xe0, 0x37, 0xe0, 0xb7, 0x9d),
	  OUT(P(LCTRL, 0, LC), P(PRINT_SCREEN, 0, LC), R(PRINT_SCREEN, LC),
	      R(LCTRL, 0)) },
	{ "alt sysrq", "us", IN(0x38, 0x54, 0xd4, 0xb8),
	  OUT(P(LALT, 0, LA), P(SYSRQ, 0, LA), R(SYSRQ, LA), R(LALT, 0)) },
	{ "pause", "us", IN(0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, 0x1e),
	  OUT(P(PAUSE, 0, 0), R(PAUSE, 0), P(A, 'a', 0)) },
	{ "ctrl break", "us", IN(0x1d, 0xe0, 0x46, 0xe0, 0xc6, 0x9d),
	  OUT(P(LCTRL, 0, LC), P(PAUSE, 0, LC), R(PAUSE, LC), R(LCTRL, 0)) },

	/* Keypad and Num Lock. */
	{ "keypad num lock off", "us",
	  IN(0x47, 0x48, 0x49, 0x4b, 0x4c, 0x4d, 0x4f, 0x50, 0x51, 0x52, 0x53),
	  OUT(P(HOME, 0, 0), P(UP, 0, 0), P(PAGE_UP, 0, 0), P(LEFT, 0, 0),
	      P(KP_5, 0, 0), P(RIGHT, 0, 0), P(END, 0, 0), P(DOWN, 0, 0),
	      P(PAGE_DOWN, 0, 0), P(INSERT, 0, 0), P(DELETE, 0, 0)) },
	{ "keypad num lock on", "us",
	  IN(0x45, 0xc5, 0x47, 0x48, 0x49, 0x4b, 0x4c, 0x4d, 0x4f, 0x50, 0x51, 0x52,
	     0x53),
	  OUT(P(NUM_LOCK, 0, NUM), R(NUM_LOCK, NUM), P(KP_7, '7', NUM),
	      P(KP_8, '8', NUM), P(KP_9, '9', NUM), P(KP_4, '4', NUM),
	      P(KP_5, '5', NUM), P(KP_6, '6', NUM), P(KP_1, '1', NUM),
	      P(KP_2, '2', NUM), P(KP_3, '3', NUM), P(KP_0, '0', NUM),
	      P(KP_DOT, '.', NUM)) },
	{ "keypad operators", "us", IN(0x37, 0x4a, 0x4e, 0xe0, 0x35, 0xe0, 0x1c, 0xb7),
	  OUT(P(KP_STAR, '*', 0), P(KP_MINUS, '-', 0), P(KP_PLUS, '+', 0),
	      P(KP_SLASH, '/', 0), P(KP_ENTER, '\n', 0), R(KP_STAR, 0)) },
	{ "keypad releases num lock off", "us", IN(0x48, 0xc8, 0x53, 0xd3),
	  OUT(P(UP, 0, 0), R(UP, 0), P(DELETE, 0, 0), R(DELETE, 0)) },
	{ "shift inverts keypad", "us", IN(0x45, 0xc5, 0x2a, 0x48, 0xc8, 0xaa, 0x48),
	  OUT(P(NUM_LOCK, 0, NUM), R(NUM_LOCK, NUM), P(LSHIFT, 0, NUM | LS),
	      P(UP, 0, NUM | LS), R(UP, NUM | LS), R(LSHIFT, NUM), P(KP_8, '8', NUM)) },
	{ "keypad nav kept until release", "us", IN(0x48, 0x45, 0xc5, 0xc8),
	  OUT(P(UP, 0, 0), P(NUM_LOCK, 0, NUM), R(NUM_LOCK, NUM), R(UP, NUM)) },
	{ "keypad digit kept until release", "us", IN(0x45, 0xc5, 0x48, 0x45, 0xc5, 0xc8),
	  OUT(P(NUM_LOCK, 0, NUM), R(NUM_LOCK, NUM), P(KP_8, '8', NUM),
	      P(NUM_LOCK, 0, 0), R(NUM_LOCK, 0), R(KP_8, 0)) },
	{ "scroll lock", "us", IN(0x46, 0xc6, 0x46, 0xc6),
	  OUT(P(SCROLL_LOCK, 0, SCR), R(SCROLL_LOCK, SCR), P(SCROLL_LOCK, 0, 0),
	      R(SCROLL_LOCK, 0)) },

	/* Several keys at once. */
	{ "interleaved", "us", IN(0x1e, 0x30, 0x9e, 0x2e, 0xb0, 0xae),
	  OUT(P(A, 'a', 0), P(B, 'b', 0), R(A, 0), P(C, 'c', 0), R(B, 0), R(C, 0)) },
	{ "shift released first", "us", IN(0x2a, 0x1e, 0xaa, 0x9e, 0x1e),
	  OUT(P(LSHIFT, 0, LS), P(A, 'A', LS), R(LSHIFT, 0), R(A, 0), P(A, 'a', 0)) },
	{ "typematic repeat", "us", IN(0x1e, 0x1e, 0x1e, 0x9e),
	  OUT(P(A, 'a', 0), P(A, 'a', 0), P(A, 'a', 0), R(A, 0)) },

	/* Garbage: nothing comes out of it and sync is kept. */
	{ "controller replies", "us", IN(0xfa, 0xfe, 0xee, 0x1e, 0xfa, 0x9e),
	  OUT(P(A, 'a', 0), R(A, 0)) },
	{ "error codes", "us", IN(0x00, 0xff, 0x1e, 0x00, 0x9e, 0xff),
	  OUT(P(A, 'a', 0), R(A, 0)) },
	{ "self-test reply", "us", IN(0xaa, 0x1e), OUT(P(A, 'a', 0)) },
	{ "unknown codes", "us", IN(0x55, 0x59, 0x6e, 0x7f, 0xd5, 0xd9, 0x80, 0x1e),
	  OUT(P(A, 'a', 0)) },
	{ "unknown extended codes", "us",
	  IN(0xe0, 0x10, 0xe0, 0x90, 0xe0, 0x5e, 0xe0, 0x1e, 0x1e),
	  OUT(P(A, 'a', 0)) },
	{ "stray releases", "us", IN(0x9e, 0xe0, 0xc8, 0xb6, 0xe1, 0x9d, 0xc5, 0x1e),
	  OUT(P(A, 'a', 0)) },
	{ "only garbage", "us", IN(0xe0, 0xe0, 0xe1, 0xe1, 0x00, 0xfa, 0xe0, 0xaa),
	  NO_EVENTS },
	{ "double e0", "us", IN(0xe0, 0xe0, 0x48), OUT(P(UP, 0, 0)) },
	{ "e1 then key", "us", IN(0xe1, 0x1e), OUT(P(A, 'a', 0)) },
	{ "broken pause press", "us", IN(0xe1, 0x1d, 0x1e), OUT(P(A, 'a', 0)) },
	{ "broken pause release", "us", IN(0xe1, 0x9d, 0x30), OUT(P(B, 'b', 0)) },
	{ "e1 then e0 key", "us", IN(0xe1, 0xe0, 0x48), OUT(P(UP, 0, 0)) },
	{ "e0 then pause", "us", IN(0xe0, 0xe1, 0x1d, 0x45), OUT(P(PAUSE, 0, 0)) },
	{ "error inside e0", "us", IN(0xe0, 0xff, 0x1e), OUT(P(A, 'a', 0)) },
	{ "ack inside e0", "us", IN(0xe0, 0xfa, 0x48), OUT(P(UP, 0, 0)) },
	{ "ack inside pause", "us", IN(0xe1, 0xfa, 0x1d, 0xfe, 0x45),
	  OUT(P(PAUSE, 0, 0)) },
	{ "garbage between make and break", "us",
	  IN(0x2a, 0x1e, 0xff, 0xe0, 0xff, 0xe1, 0x9e, 0xaa),
	  OUT(P(LSHIFT, 0, LS), P(A, 'A', LS), R(A, LS), R(LSHIFT, 0)) },
};

KTEST(kbd, us_table)
{
	unsigned n = sizeof us_rows / sizeof us_rows[0];

	EXPECT_EQ(kbd_run_rows(_kt, us_rows, n), 0);
	ktest_diag(_kt, "%u rows", n);
}

KTEST(kbd, leds_follow_locks)
{
	struct kbd_decoder d;
	struct kbd_event ev;

	kbd_init(&d, &keymap_us);
	EXPECT_EQ(kbd_leds(&d), 0);
	EXPECT_FALSE(kbd_leds_changed(&d));
	kbd_feed(&d, 0x3a, &ev);
	EXPECT_EQ(kbd_leds(&d), KBD_LED_CAPS);
	EXPECT_TRUE(kbd_leds_changed(&d));
	EXPECT_FALSE(kbd_leds_changed(&d));	/* reading clears it */
	kbd_feed(&d, 0xba, &ev);			/* a release changes nothing */
	kbd_feed(&d, 0x1e, &ev);
	EXPECT_FALSE(kbd_leds_changed(&d));
	kbd_feed(&d, 0x45, &ev);
	kbd_feed(&d, 0x46, &ev);
	EXPECT_EQ(kbd_leds(&d), KBD_LED_CAPS | KBD_LED_NUM | KBD_LED_SCROLL);
	EXPECT_EQ(kbd_leds(&d), 0x07);
	EXPECT_TRUE(kbd_leds_changed(&d));
	kbd_feed(&d, 0x45, &ev);			/* repeat of held Num Lock */
	EXPECT_FALSE(kbd_leds_changed(&d));
	kbd_feed(&d, 0xc5, &ev);
	kbd_feed(&d, 0x45, &ev);			/* pressed again: off */
	EXPECT_EQ(kbd_leds(&d), KBD_LED_CAPS | KBD_LED_SCROLL);
	EXPECT_TRUE(kbd_leds_changed(&d));
	kbd_feed(&d, 0xe1, &ev);	/* Pause: 1D 45 is not Ctrl, Num Lock */
	kbd_feed(&d, 0x1d, &ev);
	kbd_feed(&d, 0x45, &ev);
	EXPECT_FALSE(kbd_leds_changed(&d));
	EXPECT_EQ(kbd_leds(&d), KBD_LED_CAPS | KBD_LED_SCROLL);
}

KTEST(kbd, repeat_flag)
{
	struct kbd_decoder d;
	struct kbd_event ev;

	kbd_init(&d, &keymap_us);
	ASSERT_TRUE(kbd_feed(&d, 0x1e, &ev));
	EXPECT_FALSE(ev.repeat);
	ASSERT_TRUE(kbd_feed(&d, 0x1e, &ev));
	EXPECT_TRUE(ev.repeat);
	EXPECT_EQ(ev.ch, 'a');
	ASSERT_TRUE(kbd_feed(&d, 0x9e, &ev));
	EXPECT_FALSE(ev.repeat);
	ASSERT_TRUE(kbd_feed(&d, 0x1e, &ev));
	EXPECT_FALSE(ev.repeat);
}

KTEST(kbd, no_event_leaves_output_alone)
{
	struct kbd_decoder d;
	struct kbd_event ev = { .key = KBD_KEY_F5, .ch = 0x1234 };

	kbd_init(&d, &keymap_us);
	EXPECT_FALSE(kbd_feed(&d, 0xe0, &ev));
	EXPECT_FALSE(kbd_feed(&d, 0xaa, &ev));
	EXPECT_EQ(ev.key, KBD_KEY_F5);
	EXPECT_EQ(ev.ch, 0x1234);
}

/*
 * Presses and releases every code (after @prefix, if not 0) on a fresh
 * decoder with Num Lock on, marks the keys reached in @seen and returns how
 * many codes gave a key; 0 if a press lacked its matching release.
 */
static unsigned reached_keys(uint8_t prefix, bool *seen)
{
	struct kbd_decoder d;
	struct kbd_event press, release;
	unsigned found = 0;

	for (unsigned code = 0x01; code < 0x80; code++) {
		kbd_init(&d, &keymap_us);
		kbd_feed(&d, 0x45, &press);	/* Num Lock on: keypad is itself */
		kbd_feed(&d, 0xc5, &press);
		if (prefix)
			kbd_feed(&d, prefix, &press);
		if (!kbd_feed(&d, code, &press))
			continue;
		if (prefix)
			kbd_feed(&d, prefix, &release);
		if (!kbd_feed(&d, code | 0x80, &release) || release.key != press.key ||
		    !press.pressed || release.pressed || press.key >= KBD_KEY_COUNT)
			return 0;
		seen[press.key] = true;
		found++;
	}
	return found;
}

KTEST(kbd, every_key_reachable)
{
	bool seen[KBD_KEY_COUNT] = { false };

	/* 0x01..0x54 and 0x56..0x58 in set 1; E0: 19 keys listed in kbd.c. */
	EXPECT_EQ(reached_keys(0, seen), 87);
	EXPECT_EQ(reached_keys(0xe0, seen), 19);
	for (unsigned k = 1; k < KBD_KEY_COUNT; k++) {
		if (!seen[k])
			ktest_diag(_kt, "no code reaches %s", kbd_key_name(k));
		EXPECT_TRUE(seen[k]);
	}
}

KTEST(kbd, key_names)
{
	EXPECT_STREQ(kbd_key_name(KBD_KEY_A), "A");
	EXPECT_STREQ(kbd_key_name(KBD_KEY_1), "1");
	EXPECT_STREQ(kbd_key_name(KBD_KEY_KP_ENTER), "KP_ENTER");
	EXPECT_STREQ(kbd_key_name(KBD_KEY_102ND), "102ND");
	EXPECT_STREQ(kbd_key_name(KBD_KEY_NONE), "NONE");
	EXPECT_STREQ(kbd_key_name(KBD_KEY_COUNT), "?");
	EXPECT_STREQ(kbd_key_name((enum kbd_key)-1), "?");
	for (unsigned k = 0; k < KBD_KEY_COUNT; k++)
		EXPECT_NE(kbd_key_name(k)[0], '?');
}

KTEST(kbd, set_keymap_keeps_state)
{
	struct kbd_decoder d;
	struct kbd_event ev;

	kbd_init(&d, &keymap_us);
	kbd_feed(&d, 0x2a, &ev);
	kbd_feed(&d, 0x3a, &ev);
	kbd_set_keymap(&d, &keymap_de);
	ASSERT_TRUE(kbd_feed(&d, 0x15, &ev));	/* the key labelled Z on de */
	EXPECT_EQ(ev.key, KBD_KEY_Y);
	EXPECT_EQ(ev.ch, 'z');			/* Caps and Shift cancel */
	EXPECT_EQ(ev.mods, KBD_MOD_LSHIFT | KBD_MOD_CAPS);
	ASSERT_TRUE(kbd_feed(&d, 0xaa, &ev));
	EXPECT_EQ(ev.key, KBD_KEY_LSHIFT);
}

/* After any two bytes, a second 1E always decodes as A (the first may be
 * eaten as the tail of a sequence the garbage started). */
KTEST(kbd, resync_after_any_two_bytes)
{
	struct kbd_decoder d;
	struct kbd_event ev;
	unsigned bad = 0;

	for (unsigned i = 0; i < 0x10000; i++) {
		kbd_init(&d, &keymap_uk);
		kbd_feed(&d, i >> 8, &ev);
		kbd_feed(&d, i & 0xff, &ev);
		kbd_feed(&d, 0x1e, &ev);
		ev.key = KBD_KEY_NONE;
		if (!kbd_feed(&d, 0x1e, &ev) || ev.key != KBD_KEY_A || !ev.pressed ||
		    ev.ch != kbd_expected_a(&keymap_uk, ev.mods)) {
			if (bad++ < 5)
				ktest_diag(_kt, "after %02x %02x: key %s ch %x",
					   i >> 8, i & 0xff, kbd_key_name(ev.key),
					   (unsigned)ev.ch);
		}
	}
	EXPECT_EQ(bad, 0);
}
