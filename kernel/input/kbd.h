/*
 * kbd.h — the PS/2 keyboard decoder: scancode set 1 bytes in, key events out.
 *
 * The 8042 controller translates the keyboard's set 2 into set 1, so this is
 * the only set we decode.  The decoder is a small state machine with no
 * hardware access and no allocation: the IRQ handler queues raw bytes, and the
 * keyboard task feeds them here one at a time.
 *
 * Key codes name PHYSICAL keys after their US QWERTY position: on the German
 * layout the key labelled Z is KBD_KEY_Y.  The keymap (keymap.h) turns a key
 * plus modifiers into a character.
 */
#ifndef COOP_KERNEL_KBD_H
#define COOP_KERNEL_KBD_H

#include <stdbool.h>
#include <stdint.h>

struct keymap;

enum kbd_key {
	KBD_KEY_NONE,
	/* The main block, row by row. */
	KBD_KEY_ESCAPE,
	KBD_KEY_GRAVE, KBD_KEY_1, KBD_KEY_2, KBD_KEY_3, KBD_KEY_4, KBD_KEY_5,
	KBD_KEY_6, KBD_KEY_7, KBD_KEY_8, KBD_KEY_9, KBD_KEY_0, KBD_KEY_MINUS,
	KBD_KEY_EQUAL, KBD_KEY_BACKSPACE,
	KBD_KEY_TAB, KBD_KEY_Q, KBD_KEY_W, KBD_KEY_E, KBD_KEY_R, KBD_KEY_T,
	KBD_KEY_Y, KBD_KEY_U, KBD_KEY_I, KBD_KEY_O, KBD_KEY_P, KBD_KEY_LBRACKET,
	KBD_KEY_RBRACKET, KBD_KEY_ENTER,
	KBD_KEY_CAPS_LOCK, KBD_KEY_A, KBD_KEY_S, KBD_KEY_D, KBD_KEY_F, KBD_KEY_G,
	KBD_KEY_H, KBD_KEY_J, KBD_KEY_K, KBD_KEY_L, KBD_KEY_SEMICOLON,
	KBD_KEY_APOSTROPHE,
	KBD_KEY_BACKSLASH,	/* ANSI: above Enter; ISO: left of Enter (# on uk/de) */
	KBD_KEY_LSHIFT,
	KBD_KEY_102ND,		/* ISO only: right of left Shift (< on de) */
	KBD_KEY_Z, KBD_KEY_X, KBD_KEY_C, KBD_KEY_V, KBD_KEY_B, KBD_KEY_N,
	KBD_KEY_M, KBD_KEY_COMMA, KBD_KEY_PERIOD, KBD_KEY_SLASH, KBD_KEY_RSHIFT,
	KBD_KEY_LCTRL, KBD_KEY_LGUI, KBD_KEY_LALT, KBD_KEY_SPACE,
	KBD_KEY_RALT,		/* AltGr on layouts that have it */
	KBD_KEY_RGUI, KBD_KEY_MENU, KBD_KEY_RCTRL,
	/* Function row. */
	KBD_KEY_F1, KBD_KEY_F2, KBD_KEY_F3, KBD_KEY_F4, KBD_KEY_F5, KBD_KEY_F6,
	KBD_KEY_F7, KBD_KEY_F8, KBD_KEY_F9, KBD_KEY_F10, KBD_KEY_F11, KBD_KEY_F12,
	KBD_KEY_PRINT_SCREEN,
	KBD_KEY_SYSRQ,		/* Alt+Print Screen sends its own code */
	KBD_KEY_SCROLL_LOCK,
	KBD_KEY_PAUSE,		/* also Ctrl+Pause (Break) */
	/* Navigation block (also what the keypad gives with Num Lock off). */
	KBD_KEY_INSERT, KBD_KEY_DELETE, KBD_KEY_HOME, KBD_KEY_END,
	KBD_KEY_PAGE_UP, KBD_KEY_PAGE_DOWN,
	KBD_KEY_UP, KBD_KEY_DOWN, KBD_KEY_LEFT, KBD_KEY_RIGHT,
	/* Keypad.  KP_0..KP_9 and KP_DOT must stay contiguous (kbd.c indexes them). */
	KBD_KEY_NUM_LOCK,
	KBD_KEY_KP_0, KBD_KEY_KP_1, KBD_KEY_KP_2, KBD_KEY_KP_3, KBD_KEY_KP_4,
	KBD_KEY_KP_5, KBD_KEY_KP_6, KBD_KEY_KP_7, KBD_KEY_KP_8, KBD_KEY_KP_9,
	KBD_KEY_KP_DOT,
	KBD_KEY_KP_ENTER, KBD_KEY_KP_PLUS, KBD_KEY_KP_MINUS, KBD_KEY_KP_STAR,
	KBD_KEY_KP_SLASH,
	KBD_KEY_COUNT
};

enum kbd_mod {
	KBD_MOD_LSHIFT = 1u << 0,
	KBD_MOD_RSHIFT = 1u << 1,
	KBD_MOD_LCTRL = 1u << 2,
	KBD_MOD_RCTRL = 1u << 3,
	KBD_MOD_LALT = 1u << 4,
	KBD_MOD_RALT = 1u << 5,		/* AltGr on layouts that have it */
	KBD_MOD_CAPS = 1u << 6,		/* lock states: on/off, not held */
	KBD_MOD_NUM = 1u << 7,
	KBD_MOD_SCROLL = 1u << 8,
	KBD_MOD_LGUI = 1u << 9,
	KBD_MOD_RGUI = 1u << 10,

	KBD_MOD_SHIFT = KBD_MOD_LSHIFT | KBD_MOD_RSHIFT,
	KBD_MOD_CTRL = KBD_MOD_LCTRL | KBD_MOD_RCTRL,
	KBD_MOD_ALT = KBD_MOD_LALT | KBD_MOD_RALT,
	KBD_MOD_GUI = KBD_MOD_LGUI | KBD_MOD_RGUI,
	KBD_MOD_LOCKS = KBD_MOD_CAPS | KBD_MOD_NUM | KBD_MOD_SCROLL,
	KBD_MOD_ALL = (1u << 11) - 1,
};

/* LED bits of the PS/2 "set LEDs" command 0xED. */
enum kbd_led {
	KBD_LED_SCROLL = 1u << 0,
	KBD_LED_NUM = 1u << 1,
	KBD_LED_CAPS = 1u << 2,
};

/*
 * One key going down (again, if held: repeat) or up.
 *
 * With Num Lock off (or Shift held with Num Lock on, as on a PC) the keypad's
 * digit keys report the navigation key printed on them (KP_8 -> UP); a key
 * keeps the meaning it had when pressed until it is released.
 */
struct kbd_event {
	enum kbd_key key;
	bool pressed;
	uint16_t mods;		/* enum kbd_mod bits, after this event */
	uint32_t ch;		/* Unicode typed by a press, else 0 */
	bool repeat;		/* a typematic repeat of a key already down */
};

struct kbd_decoder {
	const struct keymap *map;
	uint8_t seq;		/* where we are in a multi-byte sequence (kbd.c) */
	bool leds_changed;
	uint16_t mods;
	uint16_t kp_nav;	/* bit n: KP_0 + n is down in navigation mode */
	uint8_t down[(KBD_KEY_COUNT + 7) / 8];	/* physical keys held */
};

/* Starts with no keys down and every lock off.  @map must not be NULL. */
void kbd_init(struct kbd_decoder *d, const struct keymap *map);

/* Switches layout; keys held and lock states are kept.  @map must not be NULL. */
void kbd_set_keymap(struct kbd_decoder *d, const struct keymap *map);

/*
 * Feeds one byte from the keyboard.  Returns true and fills *out when the
 * byte completes an event; *out is untouched otherwise.  Never fails: unknown
 * codes, controller replies (0xFA ACK, 0xFE resend, 0xEE echo) and stray
 * prefixes produce nothing.  An error byte (0x00, 0xFF) abandons a sequence in
 * flight.  Releases of keys not down are dropped, which also swallows the
 * 0xAA self-test reply (it is the left Shift break code).
 */
bool kbd_feed(struct kbd_decoder *d, uint8_t scancode, struct kbd_event *out);

/*
 * Feeds one physical key going down (@pressed) or up, from a keyboard that
 * reports keys rather than scancodes (USB: kernel/usb/kbd/hid_kbd.h).  Same
 * rules and output as kbd_feed(): a press of a key already down is a
 * repeat, a release of a key not down gives nothing (false).
 */
bool kbd_key_event(struct kbd_decoder *d, enum kbd_key key, bool pressed,
		   struct kbd_event *out);

/* The lock states as the data byte of PS/2 command 0xED (enum kbd_led). */
uint8_t kbd_leds(const struct kbd_decoder *d);

/* True once after a lock changed, so the keyboard task knows to send 0xED. */
bool kbd_leds_changed(struct kbd_decoder *d);

/* "A", "LSHIFT", "KP_ENTER"... ; "?" for a value outside the enum. */
const char *kbd_key_name(enum kbd_key k);

#endif
