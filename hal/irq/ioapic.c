/*
 * ioapic.c — I/O APIC discovery and routing (see ioapic.h).
 */
#include "hal/irq/ioapic.h"

#include <stddef.h>

#include "hal/hal.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_ID 0x00
#define REG_VERSION 0x01
#define REG_RTE(n) (0x10 + 2 * (n))

static struct ioapic ioapics[IOAPIC_MAX];
static unsigned count;

/* Select-then-access is two steps: interrupts off, so a handler that
 * touches an IOAPIC cannot change the selection between them. */
static uint32_t reg_read(const struct ioapic *io, uint32_t reg)
{
	hal_irqflags_t f = hal_irq_save();
	*(volatile uint32_t *)(io->mmio + IOREGSEL) = reg;
	uint32_t v = *(volatile uint32_t *)(io->mmio + IOWIN);
	hal_irq_restore(f);
	return v;
}

static void reg_write(const struct ioapic *io, uint32_t reg, uint32_t v)
{
	hal_irqflags_t f = hal_irq_save();
	*(volatile uint32_t *)(io->mmio + IOREGSEL) = reg;
	*(volatile uint32_t *)(io->mmio + IOWIN) = v;
	hal_irq_restore(f);
}

static void rte_write(const struct ioapic *io, uint32_t pin, uint64_t rte)
{
	/* Mask first, then the destination, then the low half (which holds
	 * the mask bit): the entry is never live half-written. */
	reg_write(io, REG_RTE(pin), IOAPIC_RTE_MASKED);
	reg_write(io, REG_RTE(pin) + 1, (uint32_t)(rte >> 32));
	reg_write(io, REG_RTE(pin), (uint32_t)rte);
}

bool ioapic_add(uint32_t madt_id, uintptr_t mmio, uint32_t gsi_base)
{
	struct ioapic io = { .madt_id = madt_id, .gsi_base = gsi_base, .mmio = mmio };
	uint32_t ver;

	if (count == IOAPIC_MAX)
		return false;
	ver = reg_read(&io, REG_VERSION);
	if (ver == 0xffffffffu)
		return false;
	io.version = ver & 0xff;
	io.inputs = ((ver >> 16) & 0xff) + 1;
	io.hw_id = (reg_read(&io, REG_ID) >> 24) & 0xff;
	for (unsigned i = 0; i < count; i++)
		if (io.gsi_base < ioapics[i].gsi_base + ioapics[i].inputs &&
		    ioapics[i].gsi_base < io.gsi_base + io.inputs)
			return false;
	for (uint32_t pin = 0; pin < io.inputs; pin++)
		rte_write(&io, pin, IOAPIC_RTE_MASKED);
	ioapics[count++] = io;
	return true;
}

unsigned ioapic_count(void) { return count; }
const struct ioapic *ioapic_at(unsigned i) { return i < count ? &ioapics[i] : NULL; }

const struct ioapic *ioapic_for_gsi(uint32_t gsi)
{
	for (unsigned i = 0; i < count; i++)
		if (gsi >= ioapics[i].gsi_base && gsi - ioapics[i].gsi_base < ioapics[i].inputs)
			return &ioapics[i];
	return NULL;
}

bool ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest, bool active_low, bool level)
{
	const struct ioapic *io = ioapic_for_gsi(gsi);

	if (!io || dest > 0xff)
		return false;
	rte_write(io, gsi - io->gsi_base, ioapic_rte(vector, (uint8_t)dest, active_low, level, false));
	return true;
}

void ioapic_set_masked(uint32_t gsi, bool masked)
{
	const struct ioapic *io = ioapic_for_gsi(gsi);

	if (!io)
		return;
	uint32_t reg = REG_RTE(gsi - io->gsi_base), low = reg_read(io, reg);
	reg_write(io, reg, masked ? low | (uint32_t)IOAPIC_RTE_MASKED
				  : low & ~(uint32_t)IOAPIC_RTE_MASKED);
}

uint64_t ioapic_read_rte(uint32_t gsi)
{
	const struct ioapic *io = ioapic_for_gsi(gsi);

	if (!io)
		return 0;
	uint32_t reg = REG_RTE(gsi - io->gsi_base);
	return reg_read(io, reg) | (uint64_t)reg_read(io, reg + 1) << 32;
}
