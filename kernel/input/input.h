/*
 * input.h — what the shell reads: key presses from the PS/2 and USB
 * keyboards and bytes from the serial console, merged into one stream of
 * input events.
 *
 *   IRQ 1 -> scancode ring ---\
 *                              >-- keyboard task (decode) --\
 *   USB keyboards -> key ring -/                             >-- input channel --> shell
 *   IRQ 4 -> byte ring -> serial task (VT100) --------------/
 *
 * The channel is bounded: when the shell falls behind, the producer tasks
 * wait, their rings fill, and the IRQ handlers count and drop bytes.  Nothing
 * blocks in an interrupt and nothing grows without bound.
 */
#ifndef COOP_KERNEL_INPUT_H
#define COOP_KERNEL_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/channel.h"

enum input_key {
	INPUT_CHAR,   /* ch holds a Unicode character or control code */
	INPUT_LEFT,
	INPUT_RIGHT,
	INPUT_UP,
	INPUT_DOWN,
	INPUT_HOME,
	INPUT_END,
	INPUT_DELETE,
};

enum input_source { INPUT_FROM_KEYBOARD, INPUT_FROM_SERIAL };

struct input_event {
	uint32_t ch;      /* for INPUT_CHAR: '\n' Enter, '\b' Backspace, 0x03 Ctrl-C ... */
	uint8_t key;      /* enum input_key */
	uint8_t source;   /* enum input_source */
};

#define INPUT_CHANNEL_DEPTH 64

/* Creates the channel; call once, from kernel_main, before the tasks start. */
void input_init(void);
struct channel *input_channel(void);

/* kernel/input/keyboard.c: spawns the keyboard task and brings up PS/2.
 * Returns false (after one warning) when there is no PS/2 keyboard; the
 * task still serves keyboards that report keys (USB). */
bool keyboard_start(const char *keymap_name);
/* A key (enum kbd_key) of a keyboard that reports keys, not scancodes (USB
 * boot keyboards), went down (again: a typematic repeat) or up.  Executor
 * context; never blocks: a full queue drops and counts. */
void keyboard_key(unsigned key, bool pressed);
/* @fn is called (from the keyboard task) with the lock LEDs, in enum
 * kbd_led bits, whenever they change: USB keyboards follow PS/2's. */
void keyboard_set_led_hook(void (*fn)(uint8_t leds));
/* Scancodes and keys dropped because a queue was full. */
uint64_t keyboard_dropped(void);
/* Whether a PS/2 keyboard answered. */
bool keyboard_present(void);
/* TSC when the keyboard task was last polled (the IRQ-to-poll benchmark). */
uint64_t keyboard_last_poll_cycles(void);
/* TSC when the PS/2 IRQ handler last ran (the key-to-input benchmark). */
uint64_t keyboard_last_irq_cycles(void);

/* kernel/input/serial_input.c: serial receive IRQ + the task that turns
 * terminal bytes (VT100 arrows, DEL, CR) into input events. */
void serial_console_start(void);
/* Serial input lost before it reached the task: UART overruns (real
 * hardware only) plus bytes the stream dropped. */
uint64_t serial_input_overruns(void);

#endif
