/*
 * serial_input.c — COM1 as an input device, so someone running coop
 * headless can type into the shell from their terminal.
 *
 * IRQ 4 pushes received bytes into a byte stream; the serial task decodes
 * terminal input (kernel/input/vtinput.c) and forwards it to the input
 * channel.  Nothing is dropped on the way: a full stream leaves the bytes
 * in the UART until the task has emptied it (a paste of any size arrives
 * whole; the shell decides what to do with more lines than it can keep).
 */
#include "kernel/input/input.h"

#include "hal/dev/serial.h"
#include "kernel/input/vtinput.h"
#include "kernel/log.h"
#include "sched/async.h"
#include "sched/byte_stream.h"
#include "sched/executor.h"

/* A power of two.  When it is full the UART keeps the bytes (see
 * serial_set_rx_handler), so this only has to smooth the flow. */
#define SERIAL_QUEUE 4096

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

static bool has_room(void *ctx)
{
	(void)ctx;
	return byte_stream_has_room(&rx);
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
		serial_rx_resume(); /* the ring is empty: let the UART deliver again */
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
	serial_set_rx_handler(on_byte, has_room, NULL);
}

uint64_t serial_input_overruns(void)
{
	return serial_overruns() + byte_stream_dropped(&rx);
}
