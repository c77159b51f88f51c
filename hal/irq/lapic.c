/*
 * lapic.c — local APIC set-up and IPIs (see lapic.h).
 */
#include "hal/irq/lapic.h"

#include "hal/irq/vectors.h"

#define LVT_MASKED (1u << 16)
#define LVT_NMI (4u << 8)
#define LVT_ACTIVE_LOW (1u << 13)
#define SVR_ENABLE (1u << 8)
#define ACCEPT_SPINS 1000000u /* an IPI is accepted in well under 1 us */

unsigned lapic_lvt_count(void)
{
	return ((lapic_read(LAPIC_VERSION) >> 16) & 0xff) + 1;
}

static void mask_all_lvts(void)
{
	unsigned n = lapic_lvt_count();

	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	/* The performance-counter and thermal LVTs exist only on local APICs
	 * with 5 and 6 LVT entries. */
	if (n >= 5)
		lapic_write(LAPIC_LVT_PERF, LVT_MASKED);
	if (n >= 6)
		lapic_write(LAPIC_LVT_THERMAL, LVT_MASKED);
}

/* Everything but the mode: the same on every CPU. */
static void setup_registers(void)
{
	lapic_write(LAPIC_TPR, 0);
	mask_all_lvts();
	lapic_write(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
	/* Two writes: the first latches errors from before, the second
	 * clears them (SDM 11.5.3). */
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_LAPIC_SPURIOUS);
	/* Firmware may have left an interrupt in service. */
	lapic_eoi();
}

enum lapic_mode lapic_setup_cpu(const struct lapic_setup *s)
{
	enum lapic_mode m = lapic_regs_init(s->mmio, s->cpu_has_x2apic, s->want_x2apic);

	setup_registers();
	return m;
}

enum lapic_mode lapic_setup_ap(void)
{
	enum lapic_mode m = lapic_regs_cpu_enter(lapic_regs_mode());

	if (m != LAPIC_MODE_NONE)
		setup_registers();
	return m;
}

void lapic_set_nmi_pins(const struct lapic_nmi_pin *pins, unsigned n)
{
	/* NMIs are edge-triggered whatever the MADT says (SDM 11.5.1). */
	for (unsigned i = 0; i < n; i++)
		lapic_write(pins[i].lint ? LAPIC_LVT_LINT1 : LAPIC_LVT_LINT0,
			    LVT_NMI | (pins[i].active_low ? LVT_ACTIVE_LOW : 0));
}

uint32_t lapic_ipi_icr(enum lapic_ipi kind, uint8_t vector)
{
	switch (kind) {
	case LAPIC_IPI_FIXED: return ICR_FIXED | ICR_ASSERT | ICR_VECTOR(vector);
	case LAPIC_IPI_NMI: return ICR_NMI | ICR_ASSERT;
	case LAPIC_IPI_INIT: return ICR_INIT | ICR_ASSERT | ICR_LEVEL;
	case LAPIC_IPI_INIT_DEASSERT: return ICR_INIT | ICR_LEVEL;
	case LAPIC_IPI_STARTUP: return ICR_STARTUP | ICR_ASSERT | ICR_VECTOR(vector);
	}
	return 0;
}

static bool wait_accepted(void)
{
	for (unsigned i = 0; i < ACCEPT_SPINS; i++)
		if (!lapic_icr_pending())
			return true;
	return false;
}

uint32_t lapic_send_ipi(uint32_t dest, enum lapic_ipi kind, uint8_t vector)
{
	if (!wait_accepted())
		return LAPIC_IPI_TIMEOUT; /* the previous IPI is stuck */
	(void)lapic_esr_read();   /* start from a clean error status */
	lapic_icr_write(dest, lapic_ipi_icr(kind, vector));
	if (!wait_accepted())
		return LAPIC_IPI_TIMEOUT;
	return lapic_esr_read();
}
