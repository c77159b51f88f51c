/*
 * bench_keys.c — key press to the shell's input channel, per keyboard path,
 * in TSC cycles (guest instructions under QEMU -icount shift=0).
 *
 * Each sample runs from the first code that handles the hardware's signal
 * to the moment a reader of the input channel (what the shell reads) has
 * the key, so the paths are measured the same way:
 *   PS/2        IRQ 1 handler entry; the 8042 injects the make code of A
 *               (command 0xD2) as if the keyboard had sent it;
 *   USB polled  the event task's look at the event ring that finds the
 *               report; before it, the report waited for that look (the
 *               poll interval, 8 ms at most, half that on average);
 *   USB MSI     the xHCI interrupt handler's entry.
 * USB keys come from outside: scripts/bench.sh types them through QMP once
 * this prints "bench: usb: type N keys".  Only the bench=all boot runs
 * this (it reads the input channel, which in a normal boot is the shell's).
 */
#include "kernel/bench.h"

#include "hal/dev/ps2.h"
#include "hal/hal.h"
#include "kernel/input/input.h"
#include "kernel/log.h"
#include "kernel/usb/usb_start.h"
#include "sched/channel.h"
#include "sched/combinators.h"

#define KEY_SAMPLES 20
#define KEY_TIMEOUT_MS 30000
#define USB_WAIT_MS 20000
#define PS2_A_MAKE 0x1e
#define PS2_A_BREAK 0x9e

static void report(const char *path, uint64_t *v, unsigned n)
{
	/* Insertion sort: 20 samples. */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	if (!n) {
		kprintf("bench: %s: no keys arrived; no figures\n", path);
		return;
	}
	kprintf("BENCH key_%s_to_input_min %llu cycles\n", path, (unsigned long long)v[0]);
	kprintf("BENCH key_%s_to_input_median %llu cycles\n", path,
		(unsigned long long)v[n / 2]);
	kprintf("BENCH key_%s_to_input_max %llu cycles\n", path, (unsigned long long)v[n - 1]);
}

/* Starts waiting for one input event, for at most @ms. */
static void await_key(struct key_bench *b, uint64_t ms)
{
	chan_recv_init(&b->recv, input_channel(), &b->ev);
	sleep_ms_init(&b->nap, ms);
	b->futs[0] = &b->recv.base;
	b->futs[1] = &b->nap.base;
	select_init(&b->sel, b->futs, 2);
}

static bool got_key(const struct key_bench *b)
{
	return b->sel.winner == 0 && b->recv.ok;
}

ASYNC_FN(key_bench, struct key_bench)
{
	ASYNC_BEGIN();
	for (self->n = 0; keyboard_present() && self->n < KEY_SAMPLES; self->n++) {
		if (!ps2_inject_byte(PS2_A_MAKE))
			break;
		await_key(self, 1000);
		AWAIT(&self->sel);
		if (!got_key(self))
			break;
		self->samples[self->n] = hal_cycles() - keyboard_last_irq_cycles();
		ps2_inject_byte(PS2_A_BREAK);
	}
	report("ps2_irq", self->samples, self->n);

	for (self->i = 0; !usb_keyboards() && self->i < USB_WAIT_MS / 100; self->i++) {
		sleep_ms_init(&self->nap, 100);
		AWAIT(&self->nap);
	}
	if (!usb_keyboards()) {
		kprintf("bench: usb: no USB keyboard; no figures\n");
		ASYNC_RETURN();
	}
	kprintf("bench: usb: type %u keys\n", KEY_SAMPLES);
	for (self->n = 0; self->n < KEY_SAMPLES; self->n++) {
		await_key(self, KEY_TIMEOUT_MS);
		AWAIT(&self->sel);
		if (!got_key(self))
			break;
		self->samples[self->n] = hal_cycles() - usb_last_key_cycles();
	}
	report(usb_events_mode()[0] == 'M' ? "usb_msi" : "usb_poll", self->samples, self->n);
	ASYNC_END();
}

void key_bench_init(struct key_bench *b)
{
	*b = (struct key_bench){ ASYNC_INIT(key_bench) };
}
