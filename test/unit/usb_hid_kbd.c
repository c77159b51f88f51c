/*
 * Tests of the boot keyboard report decoder (kernel/usb/kbd/hid_kbd.c): every
 * key gives the same event as the PS/2 path, reports are diffed in the right
 * order, the phantom state keeps the keys, and typematic repeat follows the
 * clock it is given.
 */
#include "kernel/input/kbd.h"
#include "kernel/input/keymap.h"
#include "kernel/lib/string.h"
#include "kernel/usb/kbd/hid_kbd.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(usb_hid_kbd);

#define NONE UINT64_MAX

/* Feeds one report; returns the number of changes in *c. */
static unsigned report(struct hid_kbd *k, uint8_t mods, const uint8_t *keys, unsigned n,
		       uint64_t now, struct hid_key_change *c)
{
	uint8_t r[8] = { mods };

	for (unsigned i = 0; i < n && i < 6; i++)
		r[2 + i] = keys[i];
	return hid_kbd_report(k, r, sizeof r, now, c);
}

#define KEYS(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })
#define NOKEYS NULL, 0

/* ---- the usage table, against the HID Usage Tables on a US layout --------- */

/* What a US keyboard types for each usage, plain and shifted, as printed in
 * the HID Usage Tables' Keyboard page (10). */
static const struct { uint8_t usage; char plain, shifted; } us_text[] = {
	{ 0x04, 'a', 'A' }, { 0x05, 'b', 'B' }, { 0x0f, 'l', 'L' }, { 0x1d, 'z', 'Z' },
	{ 0x1e, '1', '!' }, { 0x1f, '2', '@' }, { 0x20, '3', '#' }, { 0x21, '4', '$' },
	{ 0x22, '5', '%' }, { 0x23, '6', '^' }, { 0x24, '7', '&' }, { 0x25, '8', '*' },
	{ 0x26, '9', '(' }, { 0x27, '0', ')' }, { 0x28, '\n', '\n' }, { 0x29, 0x1b, 0x1b },
	{ 0x2a, '\b', '\b' }, { 0x2b, '\t', '\t' }, { 0x2c, ' ', ' ' }, { 0x2d, '-', '_' },
	{ 0x2e, '=', '+' }, { 0x2f, '[', '{' }, { 0x30, ']', '}' }, { 0x31, '\\', '|' },
	{ 0x33, ';', ':' }, { 0x34, '\'', '"' }, { 0x35, '`', '~' }, { 0x36, ',', '<' },
	{ 0x37, '.', '>' }, { 0x38, '/', '?' }, { 0x54, '/', '/' }, { 0x55, '*', '*' },
	{ 0x56, '-', '-' }, { 0x57, '+', '+' }, { 0x58, '\n', '\n' },
};

static uint32_t typed(uint8_t usage, bool shift)
{
	struct kbd_decoder d;
	struct kbd_event ev;

	kbd_init(&d, &keymap_us);
	if (shift)
		kbd_key_event(&d, KBD_KEY_LSHIFT, true, &ev);
	if (!kbd_key_event(&d, hid_usage_to_key(usage), true, &ev))
		return 0xffffffff;
	return ev.ch;
}

KTEST(usb_hid_kbd, us_layout_text)
{
	for (unsigned i = 0; i < sizeof us_text / sizeof us_text[0]; i++) {
		uint32_t p = typed(us_text[i].usage, false), s = typed(us_text[i].usage, true);
		if (p != (uint8_t)us_text[i].plain || s != (uint8_t)us_text[i].shifted)
			ktest_diag(_kt, "usage 0x%02x typed %x/%x", us_text[i].usage, p, s);
		EXPECT_EQ(p, (uint8_t)us_text[i].plain);
		EXPECT_EQ(s, (uint8_t)us_text[i].shifted);
	}
	/* Keypad digits: with Num Lock a digit, without it a navigation key. */
	EXPECT_EQ(hid_usage_to_key(0x59), KBD_KEY_KP_1);
	EXPECT_EQ(hid_usage_to_key(0x62), KBD_KEY_KP_0);
	EXPECT_EQ(hid_usage_to_key(0x63), KBD_KEY_KP_DOT);
	EXPECT_EQ(hid_usage_to_key(0x52), KBD_KEY_UP);
	EXPECT_EQ(hid_usage_to_key(0x4c), KBD_KEY_DELETE);
	EXPECT_EQ(hid_usage_to_key(0x32), KBD_KEY_BACKSLASH);	/* ISO # */
	EXPECT_EQ(hid_usage_to_key(0x64), KBD_KEY_102ND);	/* ISO < */
	EXPECT_EQ(hid_usage_to_key(0xe0), KBD_KEY_LCTRL);
	EXPECT_EQ(hid_usage_to_key(0xe6), KBD_KEY_RALT);
	EXPECT_EQ(hid_usage_to_key(0x00), KBD_KEY_NONE);
	EXPECT_EQ(hid_usage_to_key(0x01), KBD_KEY_NONE);	/* ErrorRollOver */
	EXPECT_EQ(hid_usage_to_key(0x66), KBD_KEY_NONE);	/* Power */
	EXPECT_EQ(hid_usage_to_key(0xe8), KBD_KEY_NONE);
	EXPECT_EQ(hid_usage_to_key(0xff), KBD_KEY_NONE);
}

/* ---- the same events as PS/2 --------------------------------------------------- */

/* The set 1 bytes of a make code that gives @key, found by asking the PS/2
 * decoder itself (with Num Lock on, so keypad digits are digits); 0 bytes
 * if none. */
static unsigned ps2_make(enum kbd_key key, uint8_t out[2])
{
	for (unsigned prefixed = 0; prefixed < 2; prefixed++) {
		for (unsigned b = 1; b < 0x80; b++) {
			struct kbd_decoder d;
			struct kbd_event ev;
			bool got = false;
			kbd_init(&d, &keymap_us);
			kbd_feed(&d, 0x45, &ev);
			kbd_feed(&d, 0xc5, &ev);
			if (prefixed)
				kbd_feed(&d, 0xe0, &ev);
			got = kbd_feed(&d, (uint8_t)b, &ev);
			if (got && ev.key == key && ev.pressed) {
				out[0] = prefixed ? 0xe0 : (uint8_t)b;
				out[1] = (uint8_t)b;
				return prefixed ? 2 : 1;
			}
		}
	}
	return 0;
}

static bool same_event(const struct kbd_event *a, const struct kbd_event *b)
{
	return a->key == b->key && a->pressed == b->pressed && a->mods == b->mods &&
	       a->ch == b->ch && a->repeat == b->repeat;
}

/* Presses and releases one key on both paths after the same modifier keys;
 * true if every event matched. */
static bool both_paths_agree(const struct keymap *map, enum kbd_key key, const uint8_t *make,
			     unsigned n, const enum kbd_key *mods, unsigned n_mods)
{
	struct kbd_decoder ps2, usb;
	struct kbd_event a, b;
	bool ok = true;

	kbd_init(&ps2, map);
	kbd_init(&usb, map);
	for (unsigned i = 0; i < n_mods; i++) {
		uint8_t m[2];
		unsigned mn = ps2_make(mods[i], m);
		for (unsigned j = 0; j < mn; j++)
			kbd_feed(&ps2, m[j], &a);
		kbd_key_event(&usb, mods[i], true, &b);
		if (mods[i] == KBD_KEY_CAPS_LOCK || mods[i] == KBD_KEY_NUM_LOCK) {
			kbd_feed(&ps2, m[mn - 1] | 0x80, &a);	/* locks: release too */
			kbd_key_event(&usb, mods[i], false, &b);
		}
	}
	for (unsigned press = 0; press < 3; press++) {	/* press, repeat, release */
		bool down = press < 2, got_a = false, got_b;
		for (unsigned j = 0; j < n; j++)
			got_a = kbd_feed(&ps2, (uint8_t)(make[j] | (j == n - 1 && !down ? 0x80 : 0)),
					 &a);
		got_b = kbd_key_event(&usb, key, down, &b);
		ok &= got_a && got_b && same_event(&a, &b);
	}
	return ok;
}

KTEST(usb_hid_kbd, same_events_as_ps2)
{
	static const enum kbd_key shift[] = { KBD_KEY_LSHIFT };
	static const enum kbd_key caps[] = { KBD_KEY_CAPS_LOCK };
	static const enum kbd_key num[] = { KBD_KEY_NUM_LOCK };
	static const enum kbd_key ctrl_alt[] = { KBD_KEY_RCTRL, KBD_KEY_RALT };
	static const struct { const enum kbd_key *m; unsigned n; } states[] = {
		{ NULL, 0 }, { shift, 1 }, { caps, 1 }, { num, 1 }, { ctrl_alt, 2 },
	};
	const struct keymap *maps[] = { &keymap_us, &keymap_uk, &keymap_de };
	unsigned compared = 0, failed = 0;

	for (unsigned u = 0x04; u < 0xe8; u++) {
		enum kbd_key key = hid_usage_to_key((uint8_t)u);
		uint8_t make[2];
		unsigned n;
		if (key == KBD_KEY_NONE || key == KBD_KEY_PAUSE)
			continue;	/* Pause has no make/break pair on PS/2 */
		n = ps2_make(key, make);
		if (!n) {
			ktest_diag(_kt, "usage 0x%02x (%s) has no PS/2 make code", u,
				   kbd_key_name(key));
			failed++;
			continue;
		}
		for (unsigned m = 0; m < 3; m++)
			for (unsigned s = 0; s < sizeof states / sizeof states[0]; s++) {
				compared++;
				if (!both_paths_agree(maps[m], key, make, n, states[s].m,
						      states[s].n)) {
					ktest_diag(_kt, "usage 0x%02x (%s) differs, map %s state %u",
						   u, kbd_key_name(key), maps[m]->name, s);
					failed++;
				}
			}
	}
	EXPECT_EQ(failed, 0);
	EXPECT_GE(compared, 100u * 15);
	ktest_diag(_kt, "%u key/layout/modifier combinations compared", compared);
}

KTEST(usb_hid_kbd, every_key_reachable_once)
{
	unsigned seen[KBD_KEY_COUNT] = { 0 };

	for (unsigned u = 0; u < 256; u++)
		seen[hid_usage_to_key((uint8_t)u)]++;
	for (unsigned k = KBD_KEY_NONE + 1; k < KBD_KEY_COUNT; k++) {
		unsigned want = k == KBD_KEY_BACKSLASH ? 2 : 1;	/* ANSI \ and ISO # */
		if (k == KBD_KEY_SYSRQ)
			want = 0;	/* Alt + Print Screen, see sysrq_is_alt_print_screen */
		if (seen[k] != want)
			ktest_diag(_kt, "%s: %u usages", kbd_key_name((enum kbd_key)k), seen[k]);
		EXPECT_EQ(seen[k], want);
	}
}

/* ---- diffing reports ------------------------------------------------------------------ */

#define CH(k, p) { KBD_KEY_##k, p }

static bool changes_are(struct ktest *_kt, const struct hid_key_change *got, unsigned n,
			const struct hid_key_change *want, unsigned n_want)
{
	bool ok = n == n_want;

	for (unsigned i = 0; ok && i < n; i++)
		ok = got[i].key == want[i].key && got[i].pressed == want[i].pressed;
	if (!ok)
		for (unsigned i = 0; i < n; i++)
			ktest_diag(_kt, "  got %s %s", kbd_key_name(got[i].key),
				   got[i].pressed ? "down" : "up");
	return ok;
}

#define EXPECT_CHANGES(got, n, ...)                                                  \
	do {                                                                        \
		static const struct hid_key_change want_[] = { __VA_ARGS__ };       \
		EXPECT_TRUE(changes_are(_kt, got, n, want_,                         \
					sizeof want_ / sizeof want_[0]));           \
	} while (0)

KTEST(usb_hid_kbd, press_and_release)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];
	unsigned n;

	hid_kbd_init(&k, 500, 92);
	n = report(&k, 0, KEYS(0x04), 0, c);			/* a */
	EXPECT_CHANGES(c, n, CH(A, true));
	n = report(&k, 0, KEYS(0x04), 8, c);			/* still a: nothing */
	EXPECT_EQ(n, 0);
	n = report(&k, 0, KEYS(0x04, 0x05), 16, c);		/* and b */
	EXPECT_CHANGES(c, n, CH(B, true));
	n = report(&k, 0, KEYS(0x05), 24, c);			/* a up, slot moved */
	EXPECT_CHANGES(c, n, CH(A, false));
	n = report(&k, 0, NOKEYS, 32, c);
	EXPECT_CHANGES(c, n, CH(B, false));
}

KTEST(usb_hid_kbd, order_releases_then_modifiers_then_presses)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];
	unsigned n;

	hid_kbd_init(&k, 500, 92);
	n = report(&k, 0x02, KEYS(0x04), 0, c);			/* Shift+a */
	EXPECT_CHANGES(c, n, CH(LSHIFT, true), CH(A, true));
	/* Shift and a up, b down, in one report: b must come after Shift up. */
	n = report(&k, 0x00, KEYS(0x05), 8, c);
	EXPECT_CHANGES(c, n, CH(A, false), CH(LSHIFT, false), CH(B, true));
	/* All eight modifiers at once, in bit order; then released. */
	n = report(&k, 0xff, KEYS(0x05), 16, c);
	EXPECT_CHANGES(c, n, CH(LCTRL, true), CH(LSHIFT, true), CH(LALT, true),
		       CH(LGUI, true), CH(RCTRL, true), CH(RSHIFT, true), CH(RALT, true),
		       CH(RGUI, true));
	n = report(&k, 0x10, NOKEYS, 24, c);
	EXPECT_CHANGES(c, n, CH(B, false), CH(LCTRL, false), CH(LSHIFT, false),
		       CH(LALT, false), CH(LGUI, false), CH(RSHIFT, false), CH(RALT, false),
		       CH(RGUI, false));
}

KTEST(usb_hid_kbd, six_key_rollover_and_phantom_state)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];
	unsigned n;

	hid_kbd_init(&k, 500, 92);
	n = report(&k, 0, KEYS(0x04, 0x05, 0x06, 0x07, 0x08, 0x09), 0, c);
	EXPECT_CHANGES(c, n, CH(A, true), CH(B, true), CH(C, true), CH(D, true), CH(E, true),
		       CH(F, true));
	/* A seventh key: ErrorRollOver in every slot, Shift still reported.
	 * Keys stay as they were; only the modifier changes. */
	n = report(&k, 0x20, KEYS(1, 1, 1, 1, 1, 1), 8, c);
	EXPECT_CHANGES(c, n, CH(RSHIFT, true));
	EXPECT_EQ(k.phantom_reports, 1);
	/* Back to five keys: the released one is c. */
	n = report(&k, 0x20, KEYS(0x04, 0x05, 0x07, 0x08, 0x09), 16, c);
	EXPECT_CHANGES(c, n, CH(C, false));
	/* POSTFail and ErrorUndefined are phantoms too, even in one slot. */
	n = report(&k, 0, KEYS(0x04, 2), 24, c);
	EXPECT_CHANGES(c, n, CH(RSHIFT, false));
	n = report(&k, 0, KEYS(3), 32, c);
	EXPECT_EQ(n, 0);
	EXPECT_EQ(k.phantom_reports, 3);
}

KTEST(usb_hid_kbd, odd_reports)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];
	const uint8_t three[3] = { 0, 0, 0x04 }, twelve[12] = { 0, 0, 0x05, 0, 0, 0, 0, 0,
								 0x06, 0x07, 0x08, 0x09 };
	unsigned n;

	hid_kbd_init(&k, 500, 92);
	EXPECT_EQ(hid_kbd_report(&k, three, 2, 0, c), 0);	/* too short: ignored */
	EXPECT_EQ(k.short_reports, 1);
	n = hid_kbd_report(&k, three, 3, 0, c);			/* one key slot */
	EXPECT_CHANGES(c, n, CH(A, true));
	n = hid_kbd_report(&k, twelve, sizeof twelve, 8, c);	/* bytes 8+ ignored */
	EXPECT_CHANGES(c, n, CH(A, false), CH(B, true));
	/* A key listed twice, an unknown usage (Power), Ctrl in the array. */
	n = report(&k, 0, KEYS(0x05, 0x05, 0x66, 0xe0, 0x04), 16, c);
	EXPECT_CHANGES(c, n, CH(LCTRL, true), CH(A, true));
	n = report(&k, 0, KEYS(0x05, 0x66, 0x04), 24, c);	/* Ctrl gone from the array */
	EXPECT_CHANGES(c, n, CH(LCTRL, false));
	n = report(&k, 0, NOKEYS, 32, c);			/* Power up: no event */
	EXPECT_CHANGES(c, n, CH(B, false), CH(A, false));
}

KTEST(usb_hid_kbd, two_usages_of_one_key)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];
	unsigned n;

	/* ANSI backslash (0x31) and ISO # (0x32) are one key to us: held
	 * together it goes down once, and up when the first of them goes. */
	hid_kbd_init(&k, 500, 92);
	n = report(&k, 0, KEYS(0x31, 0x32), 0, c);
	EXPECT_CHANGES(c, n, CH(BACKSLASH, true));
	n = report(&k, 0, KEYS(0x32), 8, c);
	EXPECT_CHANGES(c, n, CH(BACKSLASH, false));
	n = report(&k, 0, NOKEYS, 16, c);
	EXPECT_EQ(n, 0);
	n = report(&k, 0, KEYS(0x32), 24, c);
	EXPECT_CHANGES(c, n, CH(BACKSLASH, true));
}

KTEST(usb_hid_kbd, sysrq_is_alt_print_screen)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];
	unsigned n;

	hid_kbd_init(&k, 500, 92);
	n = report(&k, 0x04, KEYS(0x46), 0, c);
	EXPECT_CHANGES(c, n, CH(LALT, true), CH(SYSRQ, true));
	/* Alt released first: the key still releases as what it was pressed as. */
	n = report(&k, 0, KEYS(0x46), 8, c);
	EXPECT_CHANGES(c, n, CH(LALT, false));
	n = report(&k, 0, NOKEYS, 16, c);
	EXPECT_CHANGES(c, n, CH(SYSRQ, false));
	n = report(&k, 0, KEYS(0x46), 24, c);
	EXPECT_CHANGES(c, n, CH(PRINT_SCREEN, true));
}

KTEST(usb_hid_kbd, release_all)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];
	unsigned n;

	hid_kbd_init(&k, 500, 92);
	report(&k, 0x22, KEYS(0x04, 0x05), 0, c);
	n = hid_kbd_release_all(&k, c);
	EXPECT_CHANGES(c, n, CH(A, false), CH(B, false), CH(LSHIFT, false), CH(RSHIFT, false));
	EXPECT_EQ(hid_kbd_next_repeat(&k), NONE);
	EXPECT_EQ(hid_kbd_release_all(&k, c), 0);
}

/* ---- typematic repeat -------------------------------------------------------------- */

KTEST(usb_hid_kbd, repeat_after_delay_then_at_period)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES], r;
	unsigned repeats = 0;

	hid_kbd_init(&k, 500, 92);
	EXPECT_EQ(hid_kbd_next_repeat(&k), NONE);
	EXPECT_FALSE(hid_kbd_repeat(&k, 10000, &r));
	report(&k, 0, KEYS(0x04), 1000, c);
	EXPECT_EQ(hid_kbd_next_repeat(&k), 1500);
	EXPECT_FALSE(hid_kbd_repeat(&k, 1499, &r));
	ASSERT_TRUE(hid_kbd_repeat(&k, 1500, &r));
	EXPECT_EQ(r.key, KBD_KEY_A);
	EXPECT_TRUE(r.pressed);
	EXPECT_EQ(hid_kbd_next_repeat(&k), 1592);
	EXPECT_FALSE(hid_kbd_repeat(&k, 1591, &r));
	for (uint64_t t = 1501; t <= 2420; t++)
		repeats += hid_kbd_repeat(&k, t, &r);
	EXPECT_EQ(repeats, 10);		/* 1592, 1684, ... 2420 */
	report(&k, 0, NOKEYS, 2421, c);
	EXPECT_EQ(hid_kbd_next_repeat(&k), NONE);
	EXPECT_FALSE(hid_kbd_repeat(&k, 5000, &r));
}

KTEST(usb_hid_kbd, repeat_the_last_key_only)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES], r;

	hid_kbd_init(&k, 500, 92);
	report(&k, 0, KEYS(0x04), 0, c);
	report(&k, 0, KEYS(0x04, 0x05), 300, c);		/* b restarts the delay */
	EXPECT_FALSE(hid_kbd_repeat(&k, 500, &r));
	ASSERT_TRUE(hid_kbd_repeat(&k, 800, &r));
	EXPECT_EQ(r.key, KBD_KEY_B);
	report(&k, 0, KEYS(0x04), 850, c);			/* b up: a does not resume */
	EXPECT_EQ(hid_kbd_next_repeat(&k), NONE);
	report(&k, 0x02, KEYS(0x04), 900, c);			/* a modifier never repeats */
	EXPECT_EQ(hid_kbd_next_repeat(&k), NONE);
	report(&k, 0x02, KEYS(0x04, 0x48), 950, c);		/* nor does Pause */
	EXPECT_EQ(hid_kbd_next_repeat(&k), NONE);
	report(&k, 0x02, KEYS(0x04, 0x48, 0x05), 960, c);
	report(&k, 0x02, KEYS(0x04, 1, 1, 1, 1, 1), 970, c);	/* phantom: keeps b */
	EXPECT_EQ(hid_kbd_next_repeat(&k), 1460);
}

KTEST(usb_hid_kbd, late_caller_gets_no_burst)
{
	struct hid_kbd k;
	struct hid_key_change c[HID_KBD_MAX_CHANGES], r;

	hid_kbd_init(&k, 500, 92);
	report(&k, 0, KEYS(0x2c), 0, c);
	ASSERT_TRUE(hid_kbd_repeat(&k, 3000, &r));		/* 2.5 s late */
	EXPECT_FALSE(hid_kbd_repeat(&k, 3000, &r));
	EXPECT_EQ(hid_kbd_next_repeat(&k), 3092);
}

KTEST(usb_hid_kbd, led_report)
{
	EXPECT_EQ(hid_kbd_led_report(0), 0);
	EXPECT_EQ(hid_kbd_led_report(KBD_LED_NUM), 0x01);
	EXPECT_EQ(hid_kbd_led_report(KBD_LED_CAPS), 0x02);
	EXPECT_EQ(hid_kbd_led_report(KBD_LED_SCROLL), 0x04);
	EXPECT_EQ(hid_kbd_led_report(KBD_LED_NUM | KBD_LED_CAPS | KBD_LED_SCROLL), 0x07);
}
