/*
 * pmtimer.c — the ACPI PM timer (see pmtimer.h).
 */
#include "hal/time/pmtimer.h"

#include "hal/io.h"

#define MOVE_SPINS 100000u

static uint16_t port;
static uintptr_t mmio;

static uint64_t read_port(void)
{
	return inl(port);
}

static uint64_t read_mmio(void)
{
	return *(volatile uint32_t *)mmio;
}

bool pmtimer_init(bool io, uint64_t addr, unsigned bits, struct refclock *out, const char **why)
{
	uint64_t first;

	if (io)
		port = (uint16_t)addr;
	else
		mmio = (uintptr_t)addr;
	*out = (struct refclock){
		.name = "ACPI PM timer",
		.hz = PMTIMER_HZ,
		.bits = bits == 32 ? 32 : 24,
		.read = io ? read_port : read_mmio,
	};
	/* At 3.58 MHz it ticks every 280 ns: a few reads must see it move. */
	first = out->read();
	for (unsigned i = 0; i < MOVE_SPINS; i++)
		if (out->read() != first)
			return true;
	*why = "it does not count";
	return false;
}
