/*
 * kbd_test.h — table-driven decoder tests shared by the kbd test files: a row
 * is a byte sequence fed to a fresh decoder and the events it must produce.
 */
#ifndef COOP_TEST_UNIT_KBD_TEST_H
#define COOP_TEST_UNIT_KBD_TEST_H

#include "kernel/input/kbd.h"
#include "kernel/input/keymap.h"
#include "test/ktest/ktest.h"

struct kbd_want {
	enum kbd_key key;
	bool pressed;
	uint16_t mods;
	uint32_t ch;
};

#define KBD_ROW_MAX_IN 24
#define KBD_ROW_MAX_OUT 16

struct kbd_row {
	const char *name;
	const char *map;
	uint8_t in[KBD_ROW_MAX_IN];
	unsigned n_in;
	struct kbd_want out[KBD_ROW_MAX_OUT];
	unsigned n_out;
};

#define IN(...) .in = { __VA_ARGS__ }, .n_in = sizeof((uint8_t[]){ __VA_ARGS__ })
#define OUT(...) .out = { __VA_ARGS__ }, \
	.n_out = sizeof((struct kbd_want[]){ __VA_ARGS__ }) / sizeof(struct kbd_want)
#define NO_EVENTS .n_out = 0
/* A press typing @ch, a release; both with @mods after the event. */
#define P(k, ch, mods) { KBD_KEY_##k, true, (mods), (ch) }
#define R(k, mods) { KBD_KEY_##k, false, (mods), 0 }

#define LS KBD_MOD_LSHIFT
#define RS KBD_MOD_RSHIFT
#define LC KBD_MOD_LCTRL
#define RC KBD_MOD_RCTRL
#define LA KBD_MOD_LALT
#define RA KBD_MOD_RALT
#define CAPS KBD_MOD_CAPS
#define NUM KBD_MOD_NUM
#define SCR KBD_MOD_SCROLL

/* Runs each row on a fresh decoder; returns how many rows failed. */
unsigned kbd_run_rows(struct ktest *_kt, const struct kbd_row *rows, unsigned n);

/* What the A key must type under @mods, stated independently of kbd.c's
 * code path (the unit tests and the fuzzer both check against it). */
static inline uint32_t kbd_expected_a(const struct keymap *map, uint16_t mods)
{
	bool shift = mods & KBD_MOD_SHIFT, caps = mods & KBD_MOD_CAPS;

	if (mods & KBD_MOD_LALT)
		return 0;
	if (mods & KBD_MOD_RALT)
		return map->has_altgr ? map->keys[KBD_KEY_A].altgr : 0;
	if (mods & KBD_MOD_CTRL)
		return 0x01;
	return shift != caps ? 'A' : 'a';
}

#endif
