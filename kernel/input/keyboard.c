/*
 * keyboard.c — the keyboards as one async source.
 *
 * IRQ 1 (hal/dev/ps2.c) hands each scancode to on_scancode(), which only pushes
 * it into a byte stream and wakes the keyboard task.  USB keyboards
 * (kernel/usb/) report keys rather than scancodes: keyboard_key() pushes
 * each into a second stream.  The one task decodes both through the same
 * decoder (kernel/input/kbd.c), so every keyboard shares the modifiers and
 * lock states, as on one console; it forwards keys to the input channel and
 * does everything that may wait or print: LED updates (on every keyboard)
 * and drop reports.
 */
#include "kernel/input/input.h"

#include "hal/dev/ps2.h"
#include "hal/dev/serial.h"
#include "hal/hal.h"
#include "kernel/input/kbd.h"
#include "kernel/input/keymap.h"
#include "kernel/log.h"
#include "kernel/power.h"
#include "sched/async.h"
#include "sched/byte_stream.h"
#include "sched/executor.h"

#define SCANCODE_QUEUE 256 /* a power of two; ~80 keystrokes of make+break */
#define DROP_REPORT_INTERVAL_MS 1000

#define KEY_QUEUE 256      /* USB key changes: one byte each */
#define KEY_PRESSED 0x80   /* in a key-queue byte; the rest is the enum kbd_key */

static uint8_t scancode_buf[SCANCODE_QUEUE], key_buf[KEY_QUEUE];
static struct byte_stream scancodes, keys;
static void (*led_hook)(uint8_t leds);
static struct kbd_decoder decoder;
static bool present;
static volatile uint64_t last_poll_cycles, last_irq_cycles;

/* READY when either stream has a byte. */
struct either_wait {
	struct future base;
	struct byte_stream_wait a, b;
};

static enum poll either_poll(struct future *f, struct context *cx)
{
	struct either_wait *w = (struct either_wait *)f;
	bool a = future_poll(&w->a.base, cx) == POLL_READY;

	return future_poll(&w->b.base, cx) == POLL_READY || a ? POLL_READY : POLL_PENDING;
}

static void either_drop(struct future *f)
{
	struct either_wait *w = (struct either_wait *)f;

	future_drop(&w->a.base);
	future_drop(&w->b.base);
}

static const struct future_ops either_ops = { .name = "keyboard_wait", .poll = either_poll,
					      .drop = either_drop };

struct keyboard_task {
	ASYNC_STATE;
	struct either_wait wait;
	struct chan_send_future send;
	struct input_event ev;
	uint64_t dropped_reported, last_report_ms;
};

static void on_scancode(uint8_t byte, void *ctx)
{
	(void)ctx;
	last_irq_cycles = hal_cycles();
	byte_stream_push_irq(&scancodes, byte);
}

static bool to_input(const struct kbd_event *k, struct input_event *ev)
{
	static const struct { enum kbd_key key; enum input_key input; } special[] = {
		{ KBD_KEY_LEFT, INPUT_LEFT }, { KBD_KEY_RIGHT, INPUT_RIGHT },
		{ KBD_KEY_UP, INPUT_UP }, { KBD_KEY_DOWN, INPUT_DOWN },
		{ KBD_KEY_HOME, INPUT_HOME }, { KBD_KEY_END, INPUT_END },
		{ KBD_KEY_DELETE, INPUT_DELETE },
	};
	if (!k->pressed)
		return false;
	ev->source = INPUT_FROM_KEYBOARD;
	ev->ch = k->ch;
	ev->key = INPUT_CHAR;
	if (k->ch)
		return true;
	for (unsigned i = 0; i < sizeof special / sizeof special[0]; i++)
		if (special[i].key == k->key) {
			ev->key = (uint8_t)special[i].input;
			return true;
		}
	return false;
}

/* Ctrl-Alt-Del restarts the machine, as on every PC since the first. */
static void three_finger_salute(const struct kbd_event *k)
{
	if (k->pressed && k->key == KBD_KEY_DELETE && (k->mods & KBD_MOD_CTRL) &&
	    (k->mods & KBD_MOD_ALT)) {
		log_info("keyboard: Ctrl-Alt-Del: restarting");
		machine_reset(HAL_RESET_COLD);
	}
}

/* Decodes queued scancodes, then queued USB keys, until one yields an
 * input event. */
static bool next_event(struct input_event *ev)
{
	uint8_t byte;
	struct kbd_event k;
	while (byte_stream_read(&scancodes, &byte)) {
		if (!kbd_feed(&decoder, byte, &k))
			continue;
		three_finger_salute(&k);
		if (to_input(&k, ev))
			return true;
	}
	while (byte_stream_read(&keys, &byte)) {
		if (!kbd_key_event(&decoder, (enum kbd_key)(byte & ~KEY_PRESSED),
				   byte & KEY_PRESSED, &k))
			continue;
		three_finger_salute(&k);
		if (to_input(&k, ev))
			return true;
	}
	return false;
}

/* Lock LEDs and overflow reports: work that waits or prints, kept out of
 * the IRQ and done at most once per batch of scancodes. */
static void housekeeping(struct keyboard_task *self)
{
	if (kbd_leds_changed(&decoder)) {
		if (present)
			ps2_set_leds(kbd_leds(&decoder));
		if (led_hook)
			led_hook(kbd_leds(&decoder));
	}
	uint64_t dropped = keyboard_dropped();
	uint64_t now = hal_clock_ms();
	if (dropped != self->dropped_reported &&
	    now - self->last_report_ms >= DROP_REPORT_INTERVAL_MS) {
		log_warn("keyboard: queue full, %llu scancodes or keys dropped so far",
			 (unsigned long long)dropped);
		self->dropped_reported = dropped;
		self->last_report_ms = now;
	}
}

ASYNC_FN(keyboard, struct keyboard_task)
{
	last_poll_cycles = hal_cycles();
	ASYNC_BEGIN();
	for (;;) {
		while (next_event(&self->ev)) {
			chan_send_init(&self->send, input_channel(), &self->ev);
			AWAIT(&self->send);
		}
		housekeeping(self);
		self->wait.base.ops = &either_ops;
		byte_stream_wait_init(&self->wait.a, &scancodes);
		byte_stream_wait_init(&self->wait.b, &keys);
		AWAIT(&self->wait);
	}
	ASYNC_END();
}

bool keyboard_start(const char *keymap_name)
{
	const struct keymap *map = keymap_find(keymap_name);
	if (!map) {
		log_warn("keymap=%s is unknown (known: %s); using us", keymap_name,
			 keymap_names());
		map = &keymap_us;
	}
	kbd_init(&decoder, map);
	byte_stream_init(&scancodes, scancode_buf, SCANCODE_QUEUE);
	byte_stream_init(&keys, key_buf, KEY_QUEUE);
	/* The task runs with or without PS/2: USB keyboards come later. */
	struct keyboard_task t = { ASYNC_INIT(keyboard) };
	struct task_handle h = SPAWN(t);
	task_detach(&h);
	enum ps2_status s = ps2_init(on_scancode, NULL);
	if (s != PS2_OK) {
		log_warn("keyboard: %s; continuing without a PS/2 keyboard", ps2_status_text(s));
		if (serial_present())
			log_warn("keyboard: the shell is on the serial port COM1 at 115200 8N1: "
				 "connect a terminal there to type");
		else
			log_warn("keyboard: and no serial port either: nothing can type into "
				 "the shell");
		return false;
	}
	present = true;
	log_info("keyboard: PS/2, keymap %s", map->name);
	return true;
}

void keyboard_key(unsigned key, bool pressed)
{
	if (key && key < KBD_KEY_COUNT)
		byte_stream_push_irq(&keys, (uint8_t)(key | (pressed ? KEY_PRESSED : 0)));
}

void keyboard_set_led_hook(void (*fn)(uint8_t leds))
{
	led_hook = fn;
}

uint64_t keyboard_dropped(void)
{
	return byte_stream_dropped(&scancodes) + byte_stream_dropped(&keys);
}

uint64_t keyboard_last_poll_cycles(void)
{
	return last_poll_cycles;
}

uint64_t keyboard_last_irq_cycles(void)
{
	return last_irq_cycles;
}

bool keyboard_present(void)
{
	return present;
}
