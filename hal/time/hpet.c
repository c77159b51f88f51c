/*
 * hpet.c — the HPET main counter (see hpet.h).  Register offsets from the
 * IA-PC HPET specification 1.0a, 2.3.
 */
#include "hal/time/hpet.h"

#include <stddef.h>

#define REG_CAPABILITIES 0x000
#define REG_CONFIG 0x010
#define REG_COUNTER 0x0f0
#define CAP_COUNTER_64 (1ull << 13)
#define CAP_TIMERS(c) ((unsigned)(((c) >> 8) & 0x1f) + 1)
#define CAP_PERIOD_FS(c) ((c) >> 32)
#define CONFIG_ENABLE 1ull
#define MAX_PERIOD_FS 100000000ull /* the spec's limit: 100 ns */
#define FS_PER_S 1000000000000000ull
#define MOVE_SPINS 1000000u

static uintptr_t base;
static uint64_t caps;

static uint64_t reg_read(unsigned off)
{
	return *(volatile uint64_t *)(base + off);
}

static void reg_write(unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(base + off) = v;
}

static uint64_t counter_read(void)
{
	return reg_read(REG_COUNTER);
}

/* Counters that are only 32 bits wide read back their low half; reading
 * 32 bits is also all some chipsets do atomically. */
static uint64_t counter_read32(void)
{
	return *(volatile uint32_t *)(base + REG_COUNTER);
}

static bool counter_moves(uint64_t (*read)(void))
{
	uint64_t first = read();

	for (unsigned i = 0; i < MOVE_SPINS; i++)
		if (read() != first)
			return true;
	return false;
}

bool hpet_init(uintptr_t mmio, struct refclock *out, const char **why)
{
	uint64_t period;

	base = mmio;
	caps = reg_read(REG_CAPABILITIES);
	period = CAP_PERIOD_FS(caps);
	if (caps == ~0ull || period == 0 || period > MAX_PERIOD_FS) {
		*why = "its registers make no sense (no HPET at that address?)";
		return false;
	}
	if (!(reg_read(REG_CONFIG) & CONFIG_ENABLE))
		reg_write(REG_CONFIG, reg_read(REG_CONFIG) | CONFIG_ENABLE);
	*out = (struct refclock){
		.name = "HPET",
		.hz = FS_PER_S / period,
		.bits = caps & CAP_COUNTER_64 ? 64 : 32,
		.read = caps & CAP_COUNTER_64 ? counter_read : counter_read32,
	};
	if (!counter_moves(out->read)) {
		*why = "its main counter does not move";
		return false;
	}
	return true;
}

unsigned hpet_timers(void)
{
	return CAP_TIMERS(caps);
}
