/*
 * fuzz_hid_kbd — a keyboard sending arbitrary reports at arbitrary times,
 * into the boot report decoder (kernel/usb/kbd/hid_kbd.c) and on into the PS/2
 * decoder's key path (kbd_key_event), as the kernel chains them.
 *
 * Input: a sequence of commands.  Byte c:
 *   c < 0xf0        a report of (c & 15) bytes that follow (lengths 0..15:
 *                   short, boot-sized, long), arriving (c >> 4) ms later;
 *   0xf0..0xfd      time passes ((c - 0xef) * 37 ms) with repeats polled
 *                   every millisecond, as the driver's timer would;
 *   0xfe            the keyboard is unplugged (release everything);
 *   0xff            a repeat poll at the current time.
 *
 * Invariants, tracked with our own set of keys down:
 *   - a release is of a key that is down; a fresh press of one that is not;
 *     a repeat is of the key down that was pressed last, never a modifier
 *     or Pause, never before the delay, never twice in the same millisecond;
 *   - at most 8 modifiers and 6 other keys are down at once;
 *   - the decoder accepts every change (releases find their key down);
 *   - after an unplug nothing is down and nothing repeats.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/input/kbd.h"
#include "kernel/input/keymap.h"
#include "kernel/usb/kbd/hid_kbd.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,     \
				#cond);                                        \
			abort();                                               \
		}                                                              \
	} while (0)

struct model {
	struct hid_kbd k;
	struct kbd_decoder d;
	bool down[KBD_KEY_COUNT];
	enum kbd_key last_pressed;
	uint64_t now, last_press_at, last_repeat_at;
};

static bool is_modifier(enum kbd_key k)
{
	return k == KBD_KEY_LCTRL || k == KBD_KEY_LSHIFT || k == KBD_KEY_LALT ||
	       k == KBD_KEY_LGUI || k == KBD_KEY_RCTRL || k == KBD_KEY_RSHIFT ||
	       k == KBD_KEY_RALT || k == KBD_KEY_RGUI;
}

static void count_down(const struct model *m)
{
	unsigned mods = 0, keys = 0;

	for (unsigned k = 0; k < KBD_KEY_COUNT; k++)
		if (m->down[k])
			*(is_modifier((enum kbd_key)k) ? &mods : &keys) += 1;
	CHECK(mods <= 8 && keys <= HID_KBD_SLOTS);
}

static void take(struct model *m, const struct hid_key_change *c, unsigned n)
{
	struct kbd_event ev;

	CHECK(n <= HID_KBD_MAX_CHANGES);
	for (unsigned i = 0; i < n; i++) {
		CHECK(c[i].key > KBD_KEY_NONE && c[i].key < KBD_KEY_COUNT);
		CHECK(m->down[c[i].key] != c[i].pressed);
		m->down[c[i].key] = c[i].pressed;
		CHECK(kbd_key_event(&m->d, c[i].key, c[i].pressed, &ev));
		CHECK(!ev.repeat);
		if (c[i].pressed && !is_modifier(c[i].key) && c[i].key != KBD_KEY_PAUSE) {
			m->last_pressed = c[i].key;
			m->last_press_at = m->now;
		}
	}
	count_down(m);
}

static void poll_repeat(struct model *m)
{
	struct hid_key_change r;
	struct kbd_event ev;

	if (!hid_kbd_repeat(&m->k, m->now, &r))
		return;
	CHECK(r.pressed && m->down[r.key] && r.key == m->last_pressed);
	CHECK(m->now >= m->last_press_at + HID_KBD_REPEAT_DELAY_MS);
	CHECK(m->last_repeat_at != m->now);
	m->last_repeat_at = m->now;
	CHECK(kbd_key_event(&m->d, r.key, true, &ev) && ev.repeat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];

	m = (struct model){ .last_pressed = KBD_KEY_NONE, .last_repeat_at = UINT64_MAX };
	hid_kbd_init(&m.k, HID_KBD_REPEAT_DELAY_MS, HID_KBD_REPEAT_PERIOD_MS);
	kbd_init(&m.d, &keymap_de);
	for (size_t i = 0; i < size; ) {
		uint8_t cmd = data[i++];
		if (cmd < 0xf0) {
			size_t len = cmd & 15;
			uint8_t *r = malloc(len ? len : 1);	/* exact size for ASan */
			if (len > size - i)
				len = size - i;
			memcpy(r, data + i, len);
			i += len;
			m.now += cmd >> 4;
			take(&m, c, hid_kbd_report(&m.k, r, len, m.now, c));
			free(r);
		} else if (cmd <= 0xfd) {
			for (unsigned t = 0; t < (cmd - 0xefu) * 37; t++) {
				m.now++;
				poll_repeat(&m);
			}
		} else if (cmd == 0xfe) {
			take(&m, c, hid_kbd_release_all(&m.k, c));
			for (unsigned k = 0; k < KBD_KEY_COUNT; k++)
				CHECK(!m.down[k]);
			CHECK(hid_kbd_next_repeat(&m.k) == UINT64_MAX);
		} else {
			poll_repeat(&m);
		}
		if (hid_kbd_next_repeat(&m.k) != UINT64_MAX)
			CHECK(m.last_pressed != KBD_KEY_NONE && m.down[m.last_pressed]);
	}
	return 0;
}
