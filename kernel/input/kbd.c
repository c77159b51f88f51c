/*
 * kbd.c — decodes scancode set 1 into key events and characters.
 *
 * Set 1 in brief: a key sends its make code on press (and again on typematic
 * repeat) and make|0x80 on release.  Keys added after the XT keyboard are
 * prefixed with E0.  Some of them also wrap themselves in "fake shifts"
 * (E0 2A / E0 AA / E0 36 / E0 B6) so that old software saw the Shift and Num
 * Lock state it expected; they are not real keys, so we drop them.  That alone
 * turns Print Screen (E0 2A E0 37, release E0 B7 E0 AA) into one key.  Pause
 * is the odd one out: E1 1D 45 E1 9D C5 on press and nothing on release, so
 * its first half becomes our press event and its second half our release.
 */
#include "kernel/input/kbd.h"
#include "kernel/input/keymap.h"
#include "kernel/lib/string.h"

enum kbd_seq {
	SEQ_IDLE,
	SEQ_E0,		/* seen E0: the next byte is an extended code */
	SEQ_E1,		/* seen E1: Pause, expecting 1D (press) or 9D */
	SEQ_E1_1D,	/* seen E1 1D, expecting 45 */
	SEQ_E1_9D,	/* seen E1 9D, expecting C5 */
};

#define BREAK_BIT 0x80

/* Set 1 make codes without a prefix.  0x54 is what Alt+Print Screen sends. */
static const uint8_t set1_keys[0x80] = {
	[0x01] = KBD_KEY_ESCAPE, [0x02] = KBD_KEY_1, [0x03] = KBD_KEY_2,
	[0x04] = KBD_KEY_3, [0x05] = KBD_KEY_4, [0x06] = KBD_KEY_5,
	[0x07] = KBD_KEY_6, [0x08] = KBD_KEY_7, [0x09] = KBD_KEY_8,
	[0x0a] = KBD_KEY_9, [0x0b] = KBD_KEY_0, [0x0c] = KBD_KEY_MINUS,
	[0x0d] = KBD_KEY_EQUAL, [0x0e] = KBD_KEY_BACKSPACE, [0x0f] = KBD_KEY_TAB,
	[0x10] = KBD_KEY_Q, [0x11] = KBD_KEY_W, [0x12] = KBD_KEY_E,
	[0x13] = KBD_KEY_R, [0x14] = KBD_KEY_T, [0x15] = KBD_KEY_Y,
	[0x16] = KBD_KEY_U, [0x17] = KBD_KEY_I, [0x18] = KBD_KEY_O,
	[0x19] = KBD_KEY_P, [0x1a] = KBD_KEY_LBRACKET, [0x1b] = KBD_KEY_RBRACKET,
	[0x1c] = KBD_KEY_ENTER, [0x1d] = KBD_KEY_LCTRL, [0x1e] = KBD_KEY_A,
	[0x1f] = KBD_KEY_S, [0x20] = KBD_KEY_D, [0x21] = KBD_KEY_F,
	[0x22] = KBD_KEY_G, [0x23] = KBD_KEY_H, [0x24] = KBD_KEY_J,
	[0x25] = KBD_KEY_K, [0x26] = KBD_KEY_L, [0x27] = KBD_KEY_SEMICOLON,
	[0x28] = KBD_KEY_APOSTROPHE, [0x29] = KBD_KEY_GRAVE,
	[0x2a] = KBD_KEY_LSHIFT, [0x2b] = KBD_KEY_BACKSLASH, [0x2c] = KBD_KEY_Z,
	[0x2d] = KBD_KEY_X, [0x2e] = KBD_KEY_C, [0x2f] = KBD_KEY_V,
	[0x30] = KBD_KEY_B, [0x31] = KBD_KEY_N, [0x32] = KBD_KEY_M,
	[0x33] = KBD_KEY_COMMA, [0x34] = KBD_KEY_PERIOD, [0x35] = KBD_KEY_SLASH,
	[0x36] = KBD_KEY_RSHIFT, [0x37] = KBD_KEY_KP_STAR, [0x38] = KBD_KEY_LALT,
	[0x39] = KBD_KEY_SPACE, [0x3a] = KBD_KEY_CAPS_LOCK, [0x3b] = KBD_KEY_F1,
	[0x3c] = KBD_KEY_F2, [0x3d] = KBD_KEY_F3, [0x3e] = KBD_KEY_F4,
	[0x3f] = KBD_KEY_F5, [0x40] = KBD_KEY_F6, [0x41] = KBD_KEY_F7,
	[0x42] = KBD_KEY_F8, [0x43] = KBD_KEY_F9, [0x44] = KBD_KEY_F10,
	[0x45] = KBD_KEY_NUM_LOCK, [0x46] = KBD_KEY_SCROLL_LOCK,
	[0x47] = KBD_KEY_KP_7, [0x48] = KBD_KEY_KP_8, [0x49] = KBD_KEY_KP_9,
	[0x4a] = KBD_KEY_KP_MINUS, [0x4b] = KBD_KEY_KP_4, [0x4c] = KBD_KEY_KP_5,
	[0x4d] = KBD_KEY_KP_6, [0x4e] = KBD_KEY_KP_PLUS, [0x4f] = KBD_KEY_KP_1,
	[0x50] = KBD_KEY_KP_2, [0x51] = KBD_KEY_KP_3, [0x52] = KBD_KEY_KP_0,
	[0x53] = KBD_KEY_KP_DOT, [0x54] = KBD_KEY_SYSRQ, [0x56] = KBD_KEY_102ND,
	[0x57] = KBD_KEY_F11, [0x58] = KBD_KEY_F12,
};

/* E0-prefixed make codes.  E0 46 is Ctrl+Pause (Break).  E0 2A and E0 36 are
 * the fake shifts and deliberately absent. */
static const uint8_t set1_e0_keys[0x80] = {
	[0x1c] = KBD_KEY_KP_ENTER, [0x1d] = KBD_KEY_RCTRL,
	[0x35] = KBD_KEY_KP_SLASH, [0x37] = KBD_KEY_PRINT_SCREEN,
	[0x38] = KBD_KEY_RALT, [0x46] = KBD_KEY_PAUSE, [0x47] = KBD_KEY_HOME,
	[0x48] = KBD_KEY_UP, [0x49] = KBD_KEY_PAGE_UP, [0x4b] = KBD_KEY_LEFT,
	[0x4d] = KBD_KEY_RIGHT, [0x4f] = KBD_KEY_END, [0x50] = KBD_KEY_DOWN,
	[0x51] = KBD_KEY_PAGE_DOWN, [0x52] = KBD_KEY_INSERT,
	[0x53] = KBD_KEY_DELETE, [0x5b] = KBD_KEY_LGUI, [0x5c] = KBD_KEY_RGUI,
	[0x5d] = KBD_KEY_MENU,
};

/* What KP_0 .. KP_9, KP_DOT mean in navigation mode; KP_5 means nothing. */
static const uint8_t keypad_nav[] = {
	KBD_KEY_INSERT, KBD_KEY_END, KBD_KEY_DOWN, KBD_KEY_PAGE_DOWN,
	KBD_KEY_LEFT, KBD_KEY_NONE, KBD_KEY_RIGHT, KBD_KEY_HOME, KBD_KEY_UP,
	KBD_KEY_PAGE_UP, KBD_KEY_DELETE,
};

void kbd_init(struct kbd_decoder *d, const struct keymap *map)
{
	memset(d, 0, sizeof *d);
	d->map = map;
	d->seq = SEQ_IDLE;
}

void kbd_set_keymap(struct kbd_decoder *d, const struct keymap *map)
{
	d->map = map;
}

static bool key_is_down(const struct kbd_decoder *d, enum kbd_key k)
{
	return d->down[k / 8] & (1u << (k % 8));
}

static void set_key_down(struct kbd_decoder *d, enum kbd_key k, bool down)
{
	if (down)
		d->down[k / 8] |= 1u << (k % 8);
	else
		d->down[k / 8] &= ~(1u << (k % 8));
}

static uint16_t held_modifier(enum kbd_key k)
{
	switch (k) {
	case KBD_KEY_LSHIFT: return KBD_MOD_LSHIFT;
	case KBD_KEY_RSHIFT: return KBD_MOD_RSHIFT;
	case KBD_KEY_LCTRL: return KBD_MOD_LCTRL;
	case KBD_KEY_RCTRL: return KBD_MOD_RCTRL;
	case KBD_KEY_LALT: return KBD_MOD_LALT;
	case KBD_KEY_RALT: return KBD_MOD_RALT;
	case KBD_KEY_LGUI: return KBD_MOD_LGUI;
	case KBD_KEY_RGUI: return KBD_MOD_RGUI;
	default: return 0;
	}
}

static uint16_t lock_modifier(enum kbd_key k)
{
	switch (k) {
	case KBD_KEY_CAPS_LOCK: return KBD_MOD_CAPS;
	case KBD_KEY_NUM_LOCK: return KBD_MOD_NUM;
	case KBD_KEY_SCROLL_LOCK: return KBD_MOD_SCROLL;
	default: return 0;
	}
}

/* Locks toggle on the first press only: a held Caps Lock repeats, and those
 * repeats must not flip it back and forth. */
static void update_modifiers(struct kbd_decoder *d, enum kbd_key k, bool pressed,
			     bool repeat)
{
	uint16_t held = held_modifier(k), lock = lock_modifier(k);

	if (held && pressed)
		d->mods |= held;
	else if (held)
		d->mods &= ~held;
	if (lock && pressed && !repeat) {
		d->mods ^= lock;
		d->leds_changed = true;
	}
}

static bool is_keypad_digit(enum kbd_key k)
{
	return k >= KBD_KEY_KP_0 && k <= KBD_KEY_KP_DOT;
}

/*
 * Decides, on the first press, whether a keypad digit key acts as its digit or
 * as its navigation key, and keeps that choice until release, so the release
 * names the same key as the press even if Num Lock changed meanwhile.  Shift
 * flips the choice, as on a PC.  Returns true in navigation mode.
 */
static bool keypad_nav_mode(struct kbd_decoder *d, enum kbd_key k, bool pressed,
			    bool repeat)
{
	uint16_t bit = 1u << (k - KBD_KEY_KP_0);
	bool nav;

	if (pressed && !repeat) {
		nav = !(d->mods & KBD_MOD_NUM) != !!(d->mods & KBD_MOD_SHIFT);
		d->kp_nav = nav ? d->kp_nav | bit : d->kp_nav & ~bit;
	}
	nav = d->kp_nav & bit;
	if (!pressed)
		d->kp_nav &= ~bit;
	return nav;
}

/* Caps Lock acts as Shift on letters only: keys whose Shift level is the
 * capital of their plain level (so a, and on de also the umlauts, but not
 * sharp s or the digits). */
static bool caps_applies(const struct keymap_chars *c)
{
	uint16_t p = c->plain;
	bool lower = (p >= 'a' && p <= 'z') || (p >= 0xe0 && p <= 0xfe && p != 0xf7);

	return lower && c->shift == p - 0x20;
}

/* The character a key types, before Ctrl and Alt are considered. */
static uint32_t key_text(const struct kbd_decoder *d, enum kbd_key k, bool altgr)
{
	const struct keymap_chars *c;
	bool shift;

	switch (k) {
	case KBD_KEY_ENTER: case KBD_KEY_KP_ENTER: return '\n';
	case KBD_KEY_TAB: return '\t';
	case KBD_KEY_BACKSPACE: return '\b';
	case KBD_KEY_ESCAPE: return 0x1b;
	case KBD_KEY_KP_PLUS: return '+';
	case KBD_KEY_KP_MINUS: return '-';
	case KBD_KEY_KP_STAR: return '*';
	case KBD_KEY_KP_SLASH: return '/';
	case KBD_KEY_KP_DOT: return d->map->kp_decimal;
	default: break;
	}
	if (k >= KBD_KEY_KP_0 && k <= KBD_KEY_KP_9)
		return '0' + (k - KBD_KEY_KP_0);
	c = &d->map->keys[k];
	if (altgr)
		return c->altgr;
	shift = d->mods & KBD_MOD_SHIFT;
	if ((d->mods & KBD_MOD_CAPS) && caps_applies(c))
		shift = !shift;
	return shift ? c->shift : c->plain;
}

/* Ctrl turns letters and [ \ ] ^ _ into C0 control codes (Ctrl+A = 0x01,
 * Ctrl+[ = ESC); control characters stay; anything else types nothing.  Ctrl+@
 * would be NUL, which we cannot tell from "no character", so it types nothing. */
static uint32_t ctrl_char(uint32_t c)
{
	if (c < 0x20)
		return c;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 1;
	if (c > '@' && c <= '_')
		return c & 0x1f;
	return 0;
}

/*
 * The character a press types.  AltGr (right Alt on a layout that has it)
 * picks the third level.  Any other Alt (left Alt, even together with AltGr)
 * makes a shortcut, not text.  Ctrl makes control characters.
 */
static uint32_t press_char(const struct kbd_decoder *d, enum kbd_key k)
{
	uint16_t m = d->mods;
	bool altgr = d->map->has_altgr && (m & KBD_MOD_RALT);
	bool alt = (m & KBD_MOD_LALT) || ((m & KBD_MOD_RALT) && !altgr);
	uint32_t c = key_text(d, k, altgr);

	if (alt)
		return 0;
	if ((m & KBD_MOD_CTRL) && !altgr)
		return ctrl_char(c);
	return c;
}

static enum kbd_key keypad_nav_key(enum kbd_key k)
{
	enum kbd_key nav = keypad_nav[k - KBD_KEY_KP_0];

	return nav != KBD_KEY_NONE ? nav : k;
}

/* Turns physical key @k going down or up into *out; false if that is no event. */
static bool key_event(struct kbd_decoder *d, enum kbd_key k, bool pressed,
		      struct kbd_event *out)
{
	bool was_down = key_is_down(d, k);
	bool nav = false;

	if (!pressed && !was_down)
		return false;	/* release of a key we never saw go down */
	set_key_down(d, k, pressed);
	update_modifiers(d, k, pressed, was_down);
	if (is_keypad_digit(k))
		nav = keypad_nav_mode(d, k, pressed, was_down);

	out->key = nav ? keypad_nav_key(k) : k;
	out->pressed = pressed;
	out->repeat = pressed && was_down;
	out->mods = d->mods;
	out->ch = pressed && !nav ? press_char(d, k) : 0;
	return true;
}

bool kbd_key_event(struct kbd_decoder *d, enum kbd_key key, bool pressed,
		   struct kbd_event *out)
{
	if (key <= KBD_KEY_NONE || key >= KBD_KEY_COUNT)
		return false;
	return key_event(d, key, pressed, out);
}

static bool feed_plain(struct kbd_decoder *d, uint8_t b, struct kbd_event *out)
{
	enum kbd_key k;

	if (b == 0xe0 || b == 0xe1) {
		d->seq = b == 0xe0 ? SEQ_E0 : SEQ_E1;
		return false;
	}
	k = set1_keys[b & ~BREAK_BIT];
	return k != KBD_KEY_NONE && key_event(d, k, !(b & BREAK_BIT), out);
}

static bool feed_extended(struct kbd_decoder *d, uint8_t b, struct kbd_event *out)
{
	enum kbd_key k;

	if (b == 0xe0 || b == 0xe1)	/* a stray prefix: the new one wins */
		return feed_plain(d, b, out);
	k = set1_e0_keys[b & ~BREAK_BIT];
	return k != KBD_KEY_NONE && key_event(d, k, !(b & BREAK_BIT), out);
}

/*
 * Steps through E1 1D 45 (press) or E1 9D C5 (release).  Returns false if @b
 * does not belong there; the caller then decodes it afresh.  *event tells
 * whether the byte completed an event.
 */
static bool feed_pause(struct kbd_decoder *d, uint8_t b, struct kbd_event *out,
		       bool *event)
{
	bool press = d->seq == SEQ_E1_1D;

	*event = false;
	if (d->seq == SEQ_E1) {
		if (b != 0x1d && b != 0x9d)
			return false;
		d->seq = b == 0x1d ? SEQ_E1_1D : SEQ_E1_9D;
		return true;
	}
	if (b != (press ? 0x45 : 0xc5))
		return false;
	d->seq = SEQ_IDLE;
	*event = key_event(d, KBD_KEY_PAUSE, press, out);
	return true;
}

bool kbd_feed(struct kbd_decoder *d, uint8_t b, struct kbd_event *out)
{
	bool event;

	switch (b) {
	case 0x00: case 0xff:	/* key detection error / overrun: bytes were lost */
		d->seq = SEQ_IDLE;
		return false;
	case 0xfa: case 0xfe: case 0xee:	/* ACK, resend, echo: replies to us */
		return false;
	}
	switch (d->seq) {
	case SEQ_E0:
		d->seq = SEQ_IDLE;
		return feed_extended(d, b, out);
	case SEQ_E1: case SEQ_E1_1D: case SEQ_E1_9D:
		if (feed_pause(d, b, out, &event))
			return event;
		d->seq = SEQ_IDLE;	/* not Pause after all */
		break;
	}
	return feed_plain(d, b, out);
}

uint8_t kbd_leds(const struct kbd_decoder *d)
{
	return (d->mods & KBD_MOD_SCROLL ? KBD_LED_SCROLL : 0) |
	       (d->mods & KBD_MOD_NUM ? KBD_LED_NUM : 0) |
	       (d->mods & KBD_MOD_CAPS ? KBD_LED_CAPS : 0);
}

bool kbd_leds_changed(struct kbd_decoder *d)
{
	bool changed = d->leds_changed;

	d->leds_changed = false;
	return changed;
}

#define NAME(k) [KBD_KEY_##k] = #k

static const char *const key_names[KBD_KEY_COUNT] = {
	NAME(NONE), NAME(ESCAPE), NAME(GRAVE), NAME(1), NAME(2), NAME(3), NAME(4),
	NAME(5), NAME(6), NAME(7), NAME(8), NAME(9), NAME(0), NAME(MINUS),
	NAME(EQUAL), NAME(BACKSPACE), NAME(TAB), NAME(Q), NAME(W), NAME(E),
	NAME(R), NAME(T), NAME(Y), NAME(U), NAME(I), NAME(O), NAME(P),
	NAME(LBRACKET), NAME(RBRACKET), NAME(ENTER), NAME(CAPS_LOCK), NAME(A),
	NAME(S), NAME(D), NAME(F), NAME(G), NAME(H), NAME(J), NAME(K), NAME(L),
	NAME(SEMICOLON), NAME(APOSTROPHE), NAME(BACKSLASH), NAME(LSHIFT),
	NAME(102ND), NAME(Z), NAME(X), NAME(C), NAME(V), NAME(B), NAME(N),
	NAME(M), NAME(COMMA), NAME(PERIOD), NAME(SLASH), NAME(RSHIFT),
	NAME(LCTRL), NAME(LGUI), NAME(LALT), NAME(SPACE), NAME(RALT), NAME(RGUI),
	NAME(MENU), NAME(RCTRL), NAME(F1), NAME(F2), NAME(F3), NAME(F4),
	NAME(F5), NAME(F6), NAME(F7), NAME(F8), NAME(F9), NAME(F10), NAME(F11),
	NAME(F12), NAME(PRINT_SCREEN), NAME(SYSRQ), NAME(SCROLL_LOCK),
	NAME(PAUSE), NAME(INSERT), NAME(DELETE), NAME(HOME), NAME(END),
	NAME(PAGE_UP), NAME(PAGE_DOWN), NAME(UP), NAME(DOWN), NAME(LEFT),
	NAME(RIGHT), NAME(NUM_LOCK), NAME(KP_0), NAME(KP_1), NAME(KP_2),
	NAME(KP_3), NAME(KP_4), NAME(KP_5), NAME(KP_6), NAME(KP_7), NAME(KP_8),
	NAME(KP_9), NAME(KP_DOT), NAME(KP_ENTER), NAME(KP_PLUS), NAME(KP_MINUS),
	NAME(KP_STAR), NAME(KP_SLASH),
};

const char *kbd_key_name(enum kbd_key k)
{
	if ((unsigned)k >= KBD_KEY_COUNT || !key_names[k])
		return "?";
	return key_names[k];
}
