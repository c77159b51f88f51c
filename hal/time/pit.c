/*
 * pit.c — PIT programming per the Intel 8254 datasheet / OSDev wiki "PIT".
 */
#include "hal/time/pit.h"

#include <stdbool.h>

#include "hal/cpu.h"
#include "hal/io.h"

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: ch2 output */

#define CMD_CH0_ONE_SHOT 0x30	/* channel 0, lobyte/hibyte, mode 0 */
#define CMD_CH2_ONE_SHOT 0xb0	/* channel 2, lobyte/hibyte, mode 0 */
#define CALIBRATE_COUNT 11932u	/* ~10 ms of PIT input clock */
#define CALIBRATE_ROUNDS 5
#define GIVE_UP_SPINS 20000000u	/* far longer than 10 ms of port reads */

/* One ~10 ms channel-2 countdown, timed with the TSC; 0 if it never ends. */
static uint64_t tsc_per_countdown(void)
{
	uint8_t b = inb(PORT_B) & ~0x03;
	bool done = false;

	outb(PORT_B, b);               /* gate low: hold the counter */
	outb(PIT_CMD, CMD_CH2_ONE_SHOT);
	outb(PIT_CH2, CALIBRATE_COUNT & 0xff);
	outb(PIT_CH2, CALIBRATE_COUNT >> 8);
	uint64_t start = hal_cycles();
	outb(PORT_B, b | 0x01);        /* gate high: count down */
	for (uint32_t spins = 0; spins < GIVE_UP_SPINS && !done; spins++)
		done = inb(PORT_B) & 0x20;
	uint64_t end = hal_cycles();
	outb(PORT_B, b);
	return done ? end - start : 0;
}

uint64_t pit_measure_tsc(void)
{
	uint64_t best = 0;

	/* The fastest round had the fewest interruptions (SMIs, host jitter). */
	for (int i = 0; i < CALIBRATE_ROUNDS; i++) {
		uint64_t c = tsc_per_countdown();
		if (!c)
			return 0;
		if (!best || c < best)
			best = c;
	}
	return best * PIT_INPUT_HZ / CALIBRATE_COUNT;
}

void pit_oneshot_start(uint16_t count)
{
	outb(PIT_CMD, CMD_CH0_ONE_SHOT);
	outb(PIT_CH0, count & 0xff);
	outb(PIT_CH0, count >> 8);
}

void pit_oneshot_stop(void)
{
	/* Mode 0 with no count written: the output stays low. */
	outb(PIT_CMD, CMD_CH0_ONE_SHOT);
}
