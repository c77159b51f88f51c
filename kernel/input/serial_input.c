/*
 * serial_console.c — COM1 as an input device, so someone running coop
 * headless can type into the shell from their terminal.
 *
 * IRQ 4 pushes received bytes into a byte stream; the serial task decodes
 * terminal input (kernel/input/vtinput.c) and forwards it to the input channel.
 */
#include "kernel/input/input.h"

#include "hal/dev/serial.h"
#include "kernel/input/vtinput.h"
#include "kernel/log.h"
#include "sched/async.h"
#include "sched/byte_stream.h"
#include "sched/executor.h"

#define SERIAL_QUEUE 1024 /* a power of two: a pasted line or two */

static uint8_t rx_buf[SERIAL_QUEUE];
static struct byte_stream rx;
static struct vtinput decoder;

struct serial_task {
	ASYNC_STATE;
	struct byte_stream_wait wait;
	struct chan_send_future send;
	struct input_event ev;
};

static void on_byte(uint8_t byte, void *ctx)
{
	(void)ctx;
	byte_stream_push_irq(&rx, byte);
}

static bool next_event(struct input_event *ev)
{
	uint8_t byte;
	while (byte_stream_read(&rx, &byte))
		if (vtinput_feed(&decoder, byte, ev))
			return true;
	return false;
}

ASYNC_FN(serial_input, struct serial_task)
{
	ASYNC_BEGIN();
	for (;;) {
		while (next_event(&self->ev)) {
			chan_send_init(&self->send, input_channel(), &self->ev);
			AWAIT(&self->send);
		}
		byte_stream_wait_init(&self->wait, &rx);
		AWAIT(&self->wait);
	}
	ASYNC_END();
}

void serial_console_start(void)
{
	if (!serial_present())
		return;
	vtinput_init(&decoder);
	byte_stream_init(&rx, rx_buf, SERIAL_QUEUE);
	struct serial_task t = { ASYNC_INIT(serial_input) };
	struct task_handle h = SPAWN(t);
	task_detach(&h);
	serial_set_rx_handler(on_byte, NULL);
}
