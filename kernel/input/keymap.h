/*
 * keymap.h — keyboard layouts: which character each physical key types.
 *
 * A keymap only covers keys whose character depends on the layout (letters,
 * digits, punctuation, Space).  Keys that mean the same everywhere (Enter,
 * Tab, the keypad) are the decoder's business, see kbd.c.
 */
#ifndef COOP_KERNEL_KEYMAP_H
#define COOP_KERNEL_KEYMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/input/kbd.h"

/* The characters of one key, 0 where it types nothing.  The layouts we carry
 * only need the Basic Multilingual Plane. */
struct keymap_chars {
	uint16_t plain;
	uint16_t shift;
	uint16_t altgr;		/* right Alt, if the layout has AltGr */
};

struct keymap {
	const char *name;		/* what keymap= on the command line takes */
	const char *description;
	bool has_altgr;			/* else right Alt is a second Alt */
	uint16_t kp_decimal;		/* the keypad's decimal key: '.' or ',' */
	struct keymap_chars keys[KBD_KEY_COUNT];
};

extern const struct keymap keymap_us, keymap_uk, keymap_de;

/* The layout called @name ("us", "uk", "de"; exact match), NULL if unknown
 * or if @name is NULL. */
const struct keymap *keymap_find(const char *name);

/* The known names for messages: "us, uk, de". */
const char *keymap_names(void);

#endif
