/*
 * vtinput.h — turns bytes from a serial terminal into input events.
 *
 * Terminals send Enter as CR (sometimes CR LF), Backspace as DEL (0x7f),
 * arrows as escape sequences (ESC [ C, ESC O C, ESC [ 3 ~ ...) and non-ASCII
 * characters as UTF-8.  Portable and host-tested.
 */
#ifndef COOP_KERNEL_VTINPUT_H
#define COOP_KERNEL_VTINPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/input/input.h"

struct vtinput {
	uint8_t state;     /* where we are in an escape sequence */
	uint8_t param;     /* the number in ESC [ n ~ */
	bool last_was_cr;  /* to fold CR LF into one Enter */
	uint32_t cp;       /* UTF-8 code point being assembled */
	uint8_t need;      /* UTF-8 continuation bytes still expected */
};

void vtinput_init(struct vtinput *v);
/* Feeds one byte; true when *out holds a complete event. */
bool vtinput_feed(struct vtinput *v, uint8_t byte, struct input_event *out);

#endif
