/*
 * ps2.h — the 8042 PS/2 controller and the keyboard on its first port.
 *
 * The controller is brought up from scratch rather than trusting what the
 * firmware left behind (UEFI firmware often leaves it half-configured, or
 * emulates it through USB legacy support).  Every wait has a timeout, so a
 * machine without a controller or keyboard just runs without a keyboard.
 */
#ifndef COOP_HAL_PS2_H
#define COOP_HAL_PS2_H

#include <stdbool.h>
#include <stdint.h>

enum ps2_status {
	PS2_OK,
	PS2_NO_CONTROLLER,   /* nothing answers at ports 0x60/0x64 */
	PS2_SELF_TEST_FAILED,
	PS2_NO_KEYBOARD,     /* the controller works, the keyboard does not */
};

/* Called from IRQ 1 with each byte the keyboard sends. */
typedef void (*ps2_byte_fn)(uint8_t byte, void *ctx);

/* Steps 1-5 of the bring-up; on PS2_OK, IRQ 1 delivers bytes to on_byte. */
enum ps2_status ps2_init(ps2_byte_fn on_byte, void *ctx);
const char *ps2_status_text(enum ps2_status s);

/* Sets the keyboard LEDs (bit 0 Scroll, 1 Num, 2 Caps).  Task context only:
 * it waits (with a timeout) for the keyboard's acknowledgements. */
bool ps2_set_leds(uint8_t leds);

/* Makes the controller deliver `byte` on IRQ 1 as if the keyboard had sent
 * it (8042 command 0xD2), for measuring the IRQ-to-task path. */
bool ps2_inject_byte(uint8_t byte);
/* With interrupts off (after a panic): a byte from the keyboard, if one is
 * waiting.  False, always, when ps2_init() did not succeed. */
bool ps2_poll_byte(uint8_t *out);

#endif
