/*
 * fuzz_kbd — arbitrary bytes into the keyboard decoder, once per layout.
 *
 * Invariants checked on every event:
 *   - key is a real key (NONE < key < KBD_KEY_COUNT), mods has no unknown bits;
 *   - only presses type characters (ch == 0 on release), only presses repeat;
 *   - a release is of a key that was down (we track presses ourselves, by the
 *     event's key: the decoder keeps a keypad key's meaning until release);
 *   - the LED byte agrees with the lock bits of mods.
 * Then the resynchronisation contract: after ANY input, feeding 1E twice
 * makes the second 1E decode as A pressed (the first may be eaten as the end
 * of a sequence the input left open: E0 xx, or nothing at all after E1), with
 * the character the modifiers call for; and 9E then releases it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel/input/kbd.h"
#include "kernel/input/keymap.h"
#include "test/unit/kbd_test.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,     \
				#cond);                                        \
			abort();                                               \
		}                                                              \
	} while (0)

static void check_event(const struct kbd_decoder *d, const struct kbd_event *ev,
			int *down)
{
	CHECK(ev->key > KBD_KEY_NONE && ev->key < KBD_KEY_COUNT);
	CHECK((ev->mods & ~KBD_MOD_ALL) == 0);
	CHECK(ev->mods == d->mods);
	if (!ev->pressed) {
		CHECK(ev->ch == 0);
		CHECK(!ev->repeat);
		CHECK(down[ev->key] > 0);
		down[ev->key]--;
	} else if (!ev->repeat) {
		down[ev->key]++;
	}
	CHECK(!!(kbd_leds(d) & KBD_LED_CAPS) == !!(ev->mods & KBD_MOD_CAPS));
	CHECK(!!(kbd_leds(d) & KBD_LED_NUM) == !!(ev->mods & KBD_MOD_NUM));
	CHECK(!!(kbd_leds(d) & KBD_LED_SCROLL) == !!(ev->mods & KBD_MOD_SCROLL));
}

static void run(const struct keymap *map, const uint8_t *data, size_t size)
{
	struct kbd_decoder d;
	struct kbd_event ev;
	int down[KBD_KEY_COUNT] = { 0 };

	kbd_init(&d, map);
	for (size_t i = 0; i < size; i++)
		if (kbd_feed(&d, data[i], &ev))
			check_event(&d, &ev, down);
	CHECK(kbd_leds(&d) <= 7);
	(void)kbd_leds_changed(&d);
	CHECK(!kbd_leds_changed(&d));

	if (kbd_feed(&d, 0x1e, &ev))
		check_event(&d, &ev, down);
	ev.key = KBD_KEY_NONE;
	CHECK(kbd_feed(&d, 0x1e, &ev));
	CHECK(ev.key == KBD_KEY_A && ev.pressed);
	CHECK(ev.ch == kbd_expected_a(map, ev.mods));
	check_event(&d, &ev, down);
	CHECK(kbd_feed(&d, 0x9e, &ev));
	CHECK(ev.key == KBD_KEY_A && !ev.pressed && ev.ch == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(&keymap_us, data, size);
	run(&keymap_uk, data, size);
	run(&keymap_de, data, size);
	return 0;
}
