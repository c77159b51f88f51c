/*
 * hid_kbd.c — see hid_kbd.h.  Usage IDs are from the HID Usage Tables,
 * Keyboard/Keypad page (0x07).
 */
#include "kernel/usb/kbd/hid_kbd.h"

#include "kernel/lib/string.h"

/* Usages 0x01..0x03: ErrorRollOver, POSTFail, ErrorUndefined. */
#define USAGE_FIRST_KEY 0x04
#define USAGE_FIRST_MODIFIER 0xe0
#define USAGE_LAST_MODIFIER 0xe7

static const uint8_t usage_keys[0x68] = {
	[0x04] = KBD_KEY_A, [0x05] = KBD_KEY_B, [0x06] = KBD_KEY_C,
	[0x07] = KBD_KEY_D, [0x08] = KBD_KEY_E, [0x09] = KBD_KEY_F,
	[0x0a] = KBD_KEY_G, [0x0b] = KBD_KEY_H, [0x0c] = KBD_KEY_I,
	[0x0d] = KBD_KEY_J, [0x0e] = KBD_KEY_K, [0x0f] = KBD_KEY_L,
	[0x10] = KBD_KEY_M, [0x11] = KBD_KEY_N, [0x12] = KBD_KEY_O,
	[0x13] = KBD_KEY_P, [0x14] = KBD_KEY_Q, [0x15] = KBD_KEY_R,
	[0x16] = KBD_KEY_S, [0x17] = KBD_KEY_T, [0x18] = KBD_KEY_U,
	[0x19] = KBD_KEY_V, [0x1a] = KBD_KEY_W, [0x1b] = KBD_KEY_X,
	[0x1c] = KBD_KEY_Y, [0x1d] = KBD_KEY_Z,
	[0x1e] = KBD_KEY_1, [0x1f] = KBD_KEY_2, [0x20] = KBD_KEY_3,
	[0x21] = KBD_KEY_4, [0x22] = KBD_KEY_5, [0x23] = KBD_KEY_6,
	[0x24] = KBD_KEY_7, [0x25] = KBD_KEY_8, [0x26] = KBD_KEY_9,
	[0x27] = KBD_KEY_0,
	[0x28] = KBD_KEY_ENTER, [0x29] = KBD_KEY_ESCAPE, [0x2a] = KBD_KEY_BACKSPACE,
	[0x2b] = KBD_KEY_TAB, [0x2c] = KBD_KEY_SPACE, [0x2d] = KBD_KEY_MINUS,
	[0x2e] = KBD_KEY_EQUAL, [0x2f] = KBD_KEY_LBRACKET, [0x30] = KBD_KEY_RBRACKET,
	[0x31] = KBD_KEY_BACKSLASH,
	/* Non-US # is the ISO key left of Enter: PS/2 gives it the ANSI
	 * backslash's scancode, and so do we. */
	[0x32] = KBD_KEY_BACKSLASH,
	[0x33] = KBD_KEY_SEMICOLON, [0x34] = KBD_KEY_APOSTROPHE, [0x35] = KBD_KEY_GRAVE,
	[0x36] = KBD_KEY_COMMA, [0x37] = KBD_KEY_PERIOD, [0x38] = KBD_KEY_SLASH,
	[0x39] = KBD_KEY_CAPS_LOCK,
	[0x3a] = KBD_KEY_F1, [0x3b] = KBD_KEY_F2, [0x3c] = KBD_KEY_F3,
	[0x3d] = KBD_KEY_F4, [0x3e] = KBD_KEY_F5, [0x3f] = KBD_KEY_F6,
	[0x40] = KBD_KEY_F7, [0x41] = KBD_KEY_F8, [0x42] = KBD_KEY_F9,
	[0x43] = KBD_KEY_F10, [0x44] = KBD_KEY_F11, [0x45] = KBD_KEY_F12,
	[0x46] = KBD_KEY_PRINT_SCREEN, [0x47] = KBD_KEY_SCROLL_LOCK,
	[0x48] = KBD_KEY_PAUSE, [0x49] = KBD_KEY_INSERT, [0x4a] = KBD_KEY_HOME,
	[0x4b] = KBD_KEY_PAGE_UP, [0x4c] = KBD_KEY_DELETE, [0x4d] = KBD_KEY_END,
	[0x4e] = KBD_KEY_PAGE_DOWN, [0x4f] = KBD_KEY_RIGHT, [0x50] = KBD_KEY_LEFT,
	[0x51] = KBD_KEY_DOWN, [0x52] = KBD_KEY_UP,
	[0x53] = KBD_KEY_NUM_LOCK, [0x54] = KBD_KEY_KP_SLASH, [0x55] = KBD_KEY_KP_STAR,
	[0x56] = KBD_KEY_KP_MINUS, [0x57] = KBD_KEY_KP_PLUS, [0x58] = KBD_KEY_KP_ENTER,
	[0x59] = KBD_KEY_KP_1, [0x5a] = KBD_KEY_KP_2, [0x5b] = KBD_KEY_KP_3,
	[0x5c] = KBD_KEY_KP_4, [0x5d] = KBD_KEY_KP_5, [0x5e] = KBD_KEY_KP_6,
	[0x5f] = KBD_KEY_KP_7, [0x60] = KBD_KEY_KP_8, [0x61] = KBD_KEY_KP_9,
	[0x62] = KBD_KEY_KP_0, [0x63] = KBD_KEY_KP_DOT,
	[0x64] = KBD_KEY_102ND, [0x65] = KBD_KEY_MENU,
};

/* Byte 0, bit by bit (HID 1.11 8.3). */
static const uint8_t modifier_keys[8] = {
	KBD_KEY_LCTRL, KBD_KEY_LSHIFT, KBD_KEY_LALT, KBD_KEY_LGUI,
	KBD_KEY_RCTRL, KBD_KEY_RSHIFT, KBD_KEY_RALT, KBD_KEY_RGUI,
};

#define MOD_ALT_BITS (1u << 2 | 1u << 6)

enum kbd_key hid_usage_to_key(uint8_t usage)
{
	if (usage >= USAGE_FIRST_MODIFIER && usage <= USAGE_LAST_MODIFIER)
		return (enum kbd_key)modifier_keys[usage - USAGE_FIRST_MODIFIER];
	if (usage >= sizeof usage_keys)
		return KBD_KEY_NONE;
	return (enum kbd_key)usage_keys[usage];
}

uint8_t hid_kbd_led_report(uint8_t leds)
{
	return (leds & KBD_LED_NUM ? 1u << 0 : 0) | (leds & KBD_LED_CAPS ? 1u << 1 : 0) |
	       (leds & KBD_LED_SCROLL ? 1u << 2 : 0);
}

void hid_kbd_init(struct hid_kbd *k, uint32_t delay_ms, uint32_t period_ms)
{
	memset(k, 0, sizeof *k);
	k->delay_ms = delay_ms;
	k->period_ms = period_ms ? period_ms : 1;
	k->repeat_key = KBD_KEY_NONE;
}

/* The report's key slots, with modifier usages folded into *mods: some
 * keyboards list Ctrl & co. in the array as well as (or instead of) byte 0. */
static unsigned report_keys(const uint8_t *r, size_t len, uint8_t keys[HID_KBD_SLOTS],
			    uint8_t *mods)
{
	unsigned n = 0;

	*mods = r[0];
	for (size_t i = 2; i < len && i < HID_KBD_REPORT_LEN; i++) {
		uint8_t u = r[i];
		if (u >= USAGE_FIRST_MODIFIER && u <= USAGE_LAST_MODIFIER)
			*mods |= 1u << (u - USAGE_FIRST_MODIFIER);
		else if (u)
			keys[n++] = u;
	}
	return n;
}

static bool phantom(const uint8_t *keys, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (keys[i] < USAGE_FIRST_KEY)
			return true;
	return false;
}

static bool has_usage(const uint8_t *keys, unsigned n, uint8_t u)
{
	for (unsigned i = 0; i < n; i++)
		if (keys[i] == u)
			return true;
	return false;
}

static void emit(struct hid_key_change *out, unsigned *n, enum kbd_key key, bool pressed)
{
	out[(*n)++] = (struct hid_key_change){ key, pressed };
}

static void release_keys(struct hid_kbd *k, const uint8_t *keys, unsigned nkeys,
			 struct hid_key_change *out, unsigned *n)
{
	for (unsigned s = 0; s < HID_KBD_SLOTS; s++) {
		if (!k->usage[s] || has_usage(keys, nkeys, k->usage[s]))
			continue;
		if (k->key[s] != KBD_KEY_NONE)
			emit(out, n, (enum kbd_key)k->key[s], false);
		if (k->key[s] == k->repeat_key)
			k->repeat_key = KBD_KEY_NONE;
		k->usage[s] = 0;
		k->key[s] = KBD_KEY_NONE;
	}
}

/* Modifier changes: releases (@down false) or presses (@down true). */
static void change_mods(struct hid_kbd *k, uint8_t mods, bool down,
			struct hid_key_change *out, unsigned *n)
{
	uint8_t changed = (uint8_t)(k->mods ^ mods) & (down ? mods : k->mods);

	for (unsigned b = 0; b < 8; b++)
		if (changed & (1u << b))
			emit(out, n, (enum kbd_key)modifier_keys[b], down);
	k->mods = down ? k->mods | changed : k->mods & ~changed;
}

static bool key_held(const struct hid_kbd *k, enum kbd_key key)
{
	for (unsigned s = 0; s < HID_KBD_SLOTS; s++)
		if (k->usage[s] && k->key[s] == key)
			return true;
	return false;
}

/* What a newly pressed usage means now: Alt + Print Screen is SysRq, as a
 * PS/2 keyboard sends it.  Two usages can name one key (ANSI backslash and
 * ISO #): the second one held at once adds nothing. */
static enum kbd_key press_key(const struct hid_kbd *k, uint8_t usage)
{
	enum kbd_key key = hid_usage_to_key(usage);

	if (key == KBD_KEY_PRINT_SCREEN && (k->mods & MOD_ALT_BITS))
		key = KBD_KEY_SYSRQ;
	return key != KBD_KEY_NONE && key_held(k, key) ? KBD_KEY_NONE : key;
}

static void press_keys(struct hid_kbd *k, const uint8_t *keys, unsigned nkeys,
		       uint64_t now, struct hid_key_change *out, unsigned *n)
{
	for (unsigned i = 0; i < nkeys; i++) {
		unsigned s;
		if (has_usage(k->usage, HID_KBD_SLOTS, keys[i]))
			continue;	/* held before, or listed twice */
		for (s = 0; s < HID_KBD_SLOTS && k->usage[s]; s++)
			;
		if (s == HID_KBD_SLOTS)
			break;		/* cannot happen: releases freed the slots */
		enum kbd_key key = press_key(k, keys[i]);
		k->usage[s] = keys[i];
		k->key[s] = (uint8_t)key;
		if (key == KBD_KEY_NONE)
			continue;
		emit(out, n, key, true);
		if (key != KBD_KEY_PAUSE) {	/* Pause has no typematic */
			k->repeat_key = (uint8_t)key;
			k->repeat_at = now + k->delay_ms;
		}
	}
}

unsigned hid_kbd_report(struct hid_kbd *k, const uint8_t *report, size_t len,
			uint64_t now_ms, struct hid_key_change out[HID_KBD_MAX_CHANGES])
{
	uint8_t keys[HID_KBD_SLOTS], mods;
	unsigned nkeys, n = 0;

	if (len < 3) {
		k->short_reports++;
		return 0;
	}
	nkeys = report_keys(report, len, keys, &mods);
	if (phantom(keys, nkeys)) {
		/* The keys are unknown, the modifiers are not: keep the keys. */
		k->phantom_reports++;
		change_mods(k, mods, false, out, &n);
		change_mods(k, mods, true, out, &n);
		return n;
	}
	release_keys(k, keys, nkeys, out, &n);
	change_mods(k, mods, false, out, &n);
	change_mods(k, mods, true, out, &n);
	press_keys(k, keys, nkeys, now_ms, out, &n);
	return n;
}

uint64_t hid_kbd_next_repeat(const struct hid_kbd *k)
{
	return k->repeat_key == KBD_KEY_NONE ? UINT64_MAX : k->repeat_at;
}

bool hid_kbd_repeat(struct hid_kbd *k, uint64_t now_ms, struct hid_key_change *out)
{
	if (k->repeat_key == KBD_KEY_NONE || now_ms < k->repeat_at)
		return false;
	out->key = (enum kbd_key)k->repeat_key;
	out->pressed = true;
	k->repeat_at += k->period_ms;
	if (k->repeat_at <= now_ms)
		k->repeat_at = now_ms + k->period_ms;
	return true;
}

unsigned hid_kbd_release_all(struct hid_kbd *k, struct hid_key_change out[HID_KBD_MAX_CHANGES])
{
	static const uint8_t nothing[HID_KBD_REPORT_LEN];

	return hid_kbd_report(k, nothing, sizeof nothing, 0, out);
}
