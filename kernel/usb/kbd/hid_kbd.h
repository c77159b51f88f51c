/*
 * hid_kbd.h — a USB keyboard's boot-protocol reports turned into the same
 * physical key presses and releases that the PS/2 decoder works with.
 *
 * A boot keyboard (HID 1.11 appendix B) does not send key events: every
 * report is a snapshot of what is held, 8 bytes:
 *
 *     byte 0    modifier bits: LCtrl LShift LAlt LGUI RCtrl RShift RAlt RGUI
 *     byte 1    reserved
 *     bytes 2-7 up to six keys held, as Keyboard-page usage IDs, 0 = none
 *
 * So we diff each report against the last one.  When more keys are held than
 * fit, the keyboard fills all six slots with ErrorRollOver (usage 1): the
 * "phantom state".  The keys it reports then mean nothing, but the modifier
 * byte is still right (HID 1.11 appendix C), so we take the modifiers and
 * keep the keys as they were.
 *
 * USB keyboards have no typematic repeat: the host makes it.  As on a PS/2
 * keyboard, the key pressed last repeats after a delay while it is held, and
 * stops when it is released.  That is a pure state machine here: the caller
 * says what time it is and asks for the next repeat.
 *
 * The output are (key, pressed) pairs in enum kbd_key, which the caller feeds
 * to kbd_key_event() so keymaps, modifiers, locks and the keypad behave
 * exactly as for PS/2.  No hardware access, no allocation.
 */
#ifndef COOP_KERNEL_USB_HID_KBD_H
#define COOP_KERNEL_USB_HID_KBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/input/kbd.h"

#define HID_KBD_REPORT_LEN 8
#define HID_KBD_SLOTS 6
/* One report changes at most 8 modifiers and releases and presses 6 keys. */
#define HID_KBD_MAX_CHANGES (8 + 2 * HID_KBD_SLOTS)

/* The PS/2 keyboard's power-on typematic setting: 500 ms, then 10.9/s. */
#define HID_KBD_REPEAT_DELAY_MS 500
#define HID_KBD_REPEAT_PERIOD_MS 92

struct hid_key_change {
	enum kbd_key key;
	bool pressed;
};

struct hid_kbd {
	uint8_t mods;			/* modifier bits held (byte 0 layout) */
	uint8_t usage[HID_KBD_SLOTS];	/* usages held; 0 = free slot */
	uint8_t key[HID_KBD_SLOTS];	/* the enum kbd_key each was pressed as */
	uint8_t repeat_key;		/* enum kbd_key repeating, or KBD_KEY_NONE */
	uint64_t repeat_at;		/* when it repeats next (ms) */
	uint32_t delay_ms, period_ms;
	uint32_t phantom_reports;	/* ErrorRollOver/POSTFail/Undefined seen */
	uint32_t short_reports;		/* fewer than 3 bytes: ignored */
};

/* No keys held.  @period_ms must be at least 1. */
void hid_kbd_init(struct hid_kbd *k, uint32_t delay_ms, uint32_t period_ms);

/*
 * Takes one report that arrived at @now_ms; writes the changes it means to
 * @out and returns how many.  Order: key releases, modifier releases,
 * modifier presses, key presses, so Shift released together with a letter
 * pressed does not capitalise it.  A report shorter than 8 bytes has fewer
 * key slots (the missing ones are empty); one shorter than 3 is ignored.
 * Bytes after the 8th are ignored.  A key pressed here starts the repeat
 * clock.
 */
unsigned hid_kbd_report(struct hid_kbd *k, const uint8_t *report, size_t len,
			uint64_t now_ms, struct hid_key_change out[HID_KBD_MAX_CHANGES]);

/* The time of the next repeat, or UINT64_MAX if no key repeats. */
uint64_t hid_kbd_next_repeat(const struct hid_kbd *k);

/*
 * If a repeat is due at @now_ms, writes it (a press of a key already down)
 * and returns true.  One repeat per call; a caller that was late does not
 * get a burst: the next one is a period after @now_ms.
 */
bool hid_kbd_repeat(struct hid_kbd *k, uint64_t now_ms, struct hid_key_change *out);

/* The keyboard went away: releases of everything it held, as from a report
 * of nothing held.  Returns the count written to @out. */
unsigned hid_kbd_release_all(struct hid_kbd *k, struct hid_key_change out[HID_KBD_MAX_CHANGES]);

/* The physical key of a Keyboard-page usage (0x04..0xE7), KBD_KEY_NONE if
 * coop has no such key. */
enum kbd_key hid_usage_to_key(uint8_t usage);

/* The LED output report byte (HID: bit 0 Num, 1 Caps, 2 Scroll) for the
 * PS/2-style lock bits of kbd_leds(). */
uint8_t hid_kbd_led_report(uint8_t kbd_leds);

#endif
