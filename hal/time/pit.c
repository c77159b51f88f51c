/*
 * pit.c — PIT programming per the Intel 8254 datasheet / OSDev wiki "PIT".
 */
#include "hal/time/pit.h"

#include "hal/cpu.h"
#include "hal/io.h"
#include "hal/irq/irq.h"

#include <stddef.h>

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: ch2 output */

#define CMD_CH0_RATE_GEN 0x34   /* channel 0, lobyte/hibyte, mode 2 */
#define CMD_CH2_ONE_SHOT 0xb0   /* channel 2, lobyte/hibyte, mode 0 */
#define CALIBRATE_COUNT 11932u  /* ~10 ms of PIT input clock */
#define CALIBRATE_ROUNDS 5

static unsigned divisor;
static volatile uint64_t ticks;
/* One pointer, so an IRQ sees the old hook or the new one, never the new
 * function with the old context. */
static const struct pit_tick_hook *tick_hook;
static uint64_t tsc_frequency;

static void run_hook(uint64_t now)
{
	const struct pit_tick_hook *h = __atomic_load_n(&tick_hook, __ATOMIC_ACQUIRE);

	if (h)
		h->fn(now, h->ctx);
}

static void on_tick(void *ctx)
{
	(void)ctx;
	run_hook(++ticks);
}

void pit_run_tick_hook_for_test(void)
{
	run_hook(ticks);
}

void pit_init(unsigned hz)
{
	divisor = (PIT_INPUT_HZ + hz / 2) / hz;
	if (divisor > 0xffff)
		divisor = 0xffff;
	if (divisor < 1)
		divisor = 1;
	outb(PIT_CMD, CMD_CH0_RATE_GEN);
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
	irq_register(0, on_tick, NULL);
}

uint64_t pit_rate_mhz(void)
{
	return divisor ? (uint64_t)PIT_INPUT_HZ * 1000 / divisor : 0;
}

uint64_t pit_ticks(void)
{
	return ticks;
}

uint64_t pit_uptime_ns(void)
{
	/* ticks * divisor input clocks; 128-bit-free: split to avoid overflow. */
	uint64_t clocks = ticks * divisor;
	return clocks / PIT_INPUT_HZ * 1000000000ull +
	       clocks % PIT_INPUT_HZ * 1000000000ull / PIT_INPUT_HZ;
}

uint64_t pit_uptime_ms(void)
{
	return pit_uptime_ns() / 1000000;
}

const struct pit_tick_hook *pit_set_tick_hook(const struct pit_tick_hook *hook)
{
	return __atomic_exchange_n(&tick_hook, hook, __ATOMIC_ACQ_REL);
}

/* One ~10 ms channel-2 countdown, timed with the TSC. */
static uint64_t tsc_per_countdown(void)
{
	uint8_t b = inb(PORT_B) & ~0x03;
	outb(PORT_B, b);               /* gate low: hold the counter */
	outb(PIT_CMD, CMD_CH2_ONE_SHOT);
	outb(PIT_CH2, CALIBRATE_COUNT & 0xff);
	outb(PIT_CH2, CALIBRATE_COUNT >> 8);
	uint64_t start = hal_cycles();
	outb(PORT_B, b | 0x01);        /* gate high: count down */
	for (uint64_t spins = 0; !(inb(PORT_B) & 0x20); spins++)
		if (spins > 100000000)
			return 0; /* no PIT channel 2: give up */
	uint64_t end = hal_cycles();
	outb(PORT_B, b);
	return end - start;
}

uint64_t tsc_calibrate(void)
{
	uint64_t best = 0;
	/* The fastest round had the fewest interruptions (SMIs, host jitter). */
	for (int i = 0; i < CALIBRATE_ROUNDS; i++) {
		uint64_t c = tsc_per_countdown();
		if (c && (!best || c < best))
			best = c;
	}
	tsc_frequency = best * PIT_INPUT_HZ / CALIBRATE_COUNT;
	return tsc_frequency;
}

uint64_t tsc_hz(void)
{
	return tsc_frequency;
}
