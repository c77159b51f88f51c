/*
 * ps2.c — 8042 bring-up following the OSDev wiki's "Initialising the PS/2
 * Controller" sequence; command and response codes from the same source.
 */
#include "hal/dev/ps2.h"

#include "hal/cpu.h"
#include "hal/io.h"
#include "hal/irq/irq.h"

#include <stddef.h>

#define PS2_DATA 0x60
#define PS2_STATUS 0x64 /* read */
#define PS2_CMD 0x64    /* write */

#define STATUS_OUTPUT_FULL 0x01
#define STATUS_INPUT_FULL 0x02

#define CMD_READ_CONFIG 0x20
#define CMD_WRITE_CONFIG 0x60
#define CMD_DISABLE_PORT2 0xa7
#define CMD_DISABLE_PORT1 0xad
#define CMD_ENABLE_PORT1 0xae
#define CMD_SELF_TEST 0xaa
#define CMD_WRITE_PORT1_OUTPUT 0xd2
#define SELF_TEST_PASSED 0x55

#define CONFIG_IRQ1 0x01
#define CONFIG_IRQ12 0x02
#define CONFIG_PORT1_CLOCK_OFF 0x10
#define CONFIG_TRANSLATE 0x40

#define KBD_RESET 0xff
#define KBD_ENABLE_SCANNING 0xf4
#define KBD_SET_LEDS 0xed
#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe
#define KBD_SELF_TEST_PASSED 0xaa

#define KEYBOARD_IRQ 1
/* Polls of the status port; each inb takes ~1 us, so ~0.2 s at most. The
 * keyboard's own reset test is slower: it gets more. */
#define WAIT_POLLS 200000
#define RESET_POLLS 2000000

static ps2_byte_fn byte_handler;
static void *byte_ctx;
static bool up;

static bool wait_input_empty(void)
{
	for (int i = 0; i < WAIT_POLLS; i++)
		if (!(inb(PS2_STATUS) & STATUS_INPUT_FULL))
			return true;
	return false;
}

static bool read_data(uint8_t *out, int polls)
{
	for (int i = 0; i < polls; i++)
		if (inb(PS2_STATUS) & STATUS_OUTPUT_FULL) {
			*out = inb(PS2_DATA);
			return true;
		}
	return false;
}

static bool command(uint8_t cmd)
{
	if (!wait_input_empty())
		return false;
	outb(PS2_CMD, cmd);
	return true;
}

static bool write_data(uint8_t v)
{
	if (!wait_input_empty())
		return false;
	outb(PS2_DATA, v);
	return true;
}

static void flush_output(void)
{
	for (int i = 0; i < 64 && (inb(PS2_STATUS) & STATUS_OUTPUT_FULL); i++)
		(void)inb(PS2_DATA);
}

/* The keyboard's reply to a command: ACK or RESEND.  A key pressed just
 * before the command was sent arrives first; such bytes are scancodes, and
 * go to the byte handler as IRQ 1 would have delivered them. */
static bool read_reply(uint8_t *reply)
{
	for (int passed = 0; passed < 16; passed++) {
		if (!read_data(reply, WAIT_POLLS))
			return false;
		if (*reply == KBD_ACK || *reply == KBD_RESEND)
			return true;
		if (byte_handler)
			byte_handler(*reply, byte_ctx);
	}
	return false;
}

/* Sends a byte to the keyboard and waits for its ACK, resending on 0xFE. */
static bool keyboard_send(uint8_t v)
{
	for (int tries = 0; tries < 3; tries++) {
		uint8_t reply;
		if (!write_data(v) || !read_reply(&reply))
			return false;
		if (reply == KBD_ACK)
			return true;
	}
	return false;
}

static bool read_config(uint8_t *config)
{
	return command(CMD_READ_CONFIG) && read_data(config, WAIT_POLLS);
}

static bool write_config(uint8_t config)
{
	return command(CMD_WRITE_CONFIG) && write_data(config);
}

static bool reset_keyboard(void)
{
	uint8_t reply;
	if (!keyboard_send(KBD_RESET) || !read_data(&reply, RESET_POLLS) ||
	    reply != KBD_SELF_TEST_PASSED)
		return false;
	return keyboard_send(KBD_ENABLE_SCANNING);
}

static void on_irq(void *ctx)
{
	(void)ctx;
	/* IRQ 1 normally means the output buffer is full.  Not always: a byte
	 * that arrived while interrupts were off and was read by polling
	 * (keyboard_send) leaves its IRQ pending, and reading the data port
	 * then returns that old byte again.  So look first, as Linux does. */
	if (!(inb(PS2_STATUS) & STATUS_OUTPUT_FULL))
		return;
	uint8_t byte = inb(PS2_DATA);
	if (byte_handler)
		byte_handler(byte, byte_ctx);
}

static enum ps2_status bring_up(void)
{
	uint8_t config, reply;

	/* An absent controller floats the bus: status reads 0xff. */
	if (inb(PS2_STATUS) == 0xff)
		return PS2_NO_CONTROLLER;
	if (!command(CMD_DISABLE_PORT1) || !command(CMD_DISABLE_PORT2))
		return PS2_NO_CONTROLLER;
	flush_output();
	if (!read_config(&config))
		return PS2_NO_CONTROLLER;
	/* No IRQs while we talk to it; translation on, so we get set 1. */
	config = (uint8_t)((config & ~(CONFIG_IRQ1 | CONFIG_IRQ12)) | CONFIG_TRANSLATE);
	if (!write_config(config))
		return PS2_NO_CONTROLLER;
	if (!command(CMD_SELF_TEST) || !read_data(&reply, WAIT_POLLS) ||
	    reply != SELF_TEST_PASSED)
		return PS2_SELF_TEST_FAILED;
	/* The self-test may reset the controller: write the config again. */
	if (!write_config(config) || !command(CMD_ENABLE_PORT1))
		return PS2_SELF_TEST_FAILED;
	if (!reset_keyboard())
		return PS2_NO_KEYBOARD;
	flush_output();
	config = (uint8_t)((config | CONFIG_IRQ1) & ~CONFIG_PORT1_CLOCK_OFF);
	return write_config(config) ? PS2_OK : PS2_NO_KEYBOARD;
}

enum ps2_status ps2_init(ps2_byte_fn on_byte, void *ctx)
{
	enum ps2_status s = bring_up();
	if (s == PS2_OK) {
		up = true;
		byte_handler = on_byte;
		byte_ctx = ctx;
		irq_register(KEYBOARD_IRQ, on_irq, NULL);
	}
	return s;
}

const char *ps2_status_text(enum ps2_status s)
{
	switch (s) {
	case PS2_OK: return "keyboard ready";
	case PS2_NO_CONTROLLER: return "no PS/2 controller";
	case PS2_SELF_TEST_FAILED: return "PS/2 controller self-test failed";
	case PS2_NO_KEYBOARD: return "no keyboard on PS/2 port 1";
	}
	return "?";
}

bool ps2_set_leds(uint8_t leds)
{
	/* Keep IRQ 1 from eating the keyboard's ACKs while we wait for them. */
	uint64_t flags = hal_irq_save();
	bool ok = keyboard_send(KBD_SET_LEDS) && keyboard_send(leds & 0x07);
	hal_irq_restore(flags);
	return ok;
}

bool ps2_poll_byte(uint8_t *out)
{
	/* Without a controller the status port floats at 0xff ("full"). */
	if (!up || !(inb(PS2_STATUS) & STATUS_OUTPUT_FULL))
		return false;
	*out = inb(PS2_DATA);
	return true;
}

bool ps2_inject_byte(uint8_t byte)
{
	return command(CMD_WRITE_PORT1_OUTPUT) && write_data(byte);
}
