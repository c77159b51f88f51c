/*
 * Host tests of the local APIC code in hal/irq/ and hal/time/lapic_timer.c,
 * over the fake of test/host/fake_lapic.c: the mode choice from every state
 * the firmware can leave IA32_APIC_BASE in, register access in both modes,
 * the x2APIC ICR and TSC-deadline writes with their fence, IPI encodings,
 * set-up without a single access the CPU would refuse, and the timer.
 * QEMU 7.2's TCG has neither x2APIC nor TSC-deadline mode, so the boots
 * never exercise these paths.
 */
#include "hal/hal.h"
#include "hal/irq/lapic.h"
#include "hal/irq/vectors.h"
#include "hal/time/lapic_timer.h"
#include "test/host/fake_lapic.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(lapic_host, KTEST_HOST_ONLY);

#define EN APIC_BASE_ENABLE
#define EXTD APIC_BASE_EXTD
#define BASE (0xfee00000ull | APIC_BASE_BSP)

static enum lapic_mode start(uint64_t apic_base, bool has_x2apic, bool want)
{
	fake_lapic_reset(apic_base, has_x2apic, 3);
	return lapic_regs_init(FAKE_LAPIC_MMIO_BASE, has_x2apic, want);
}

KTEST(lapic_host, firmware_x2apic_is_kept_even_if_not_wanted)
{
	EXPECT_EQ(start(BASE | EN | EXTD, true, false), LAPIC_MODE_X2APIC);
	EXPECT_EQ(fake_lapic.apic_base_writes, 0);
	EXPECT_EQ(lapic_id(), 3);
	EXPECT_EQ(fake_lapic.faults, 0);
}

KTEST(lapic_host, xapic_moves_to_x2apic_when_the_cpu_has_it)
{
	EXPECT_EQ(start(BASE | EN, true, true), LAPIC_MODE_X2APIC);
	EXPECT_EQ(fake_lapic.apic_base, BASE | EN | EXTD);
	EXPECT_EQ(fake_lapic.apic_base_writes, 1);
	EXPECT_EQ(fake_lapic.faults, 0);
}

KTEST(lapic_host, disabled_apic_reaches_x2apic_through_xapic)
{
	EXPECT_EQ(start(BASE, true, true), LAPIC_MODE_X2APIC);
	EXPECT_EQ(fake_lapic.apic_base_writes, 2);
	EXPECT_EQ(fake_lapic.apic_base, BASE | EN | EXTD);
	EXPECT_EQ(fake_lapic.faults, 0);
}

KTEST(lapic_host, no_x2apic_means_xapic_over_mmio)
{
	EXPECT_EQ(start(BASE, false, true), LAPIC_MODE_XAPIC);
	EXPECT_EQ(fake_lapic.apic_base, BASE | EN);
	EXPECT_EQ(lapic_id(), 3);
	EXPECT_EQ(lapic_read(LAPIC_VERSION), 0x00050014);
	EXPECT_EQ(fake_lapic.faults, 0);
}

/* Every state, capability and wish: never an illegal transition, and
 * never x2APIC left once the firmware chose it. */
KTEST(lapic_host, no_start_state_leads_to_a_fault)
{
	static const uint64_t states[] = { BASE, BASE | EN, BASE | EN | EXTD };
	for (unsigned s = 0; s < 3; s++)
		for (int has = 0; has < 2; has++)
			for (int want = 0; want < 2; want++) {
				if ((states[s] & EXTD) && !has)
					continue; /* not a state such a CPU can be in */
				enum lapic_mode m = start(states[s], has, want);
				EXPECT_EQ(fake_lapic.faults, 0);
				if (states[s] & EXTD)
					EXPECT_EQ(m, LAPIC_MODE_X2APIC);
				EXPECT_EQ(lapic_regs_mode(), m);
				EXPECT_EQ(lapic_read(LAPIC_VERSION), 0x00050014);
				EXPECT_EQ(fake_lapic.faults, 0);
			}
}

KTEST(lapic_host, x2apic_registers_are_msrs)
{
	start(BASE | EN, true, true);
	lapic_write(LAPIC_TPR, 0x20);
	lapic_write(LAPIC_SVR, 0x1ff);
	EXPECT_EQ(fake_lapic.regs[LAPIC_TPR / 4], 0x20);
	EXPECT_EQ(lapic_read(LAPIC_SVR), 0x1ff);
	EXPECT_EQ(lapic_id(), 3); /* all 32 bits, not ID >> 24 */
	fake_lapic.id = 300;
	EXPECT_EQ(lapic_id(), 300);
	EXPECT_EQ(fake_lapic.faults, 0);
	/* The fake does catch a stray xAPIC access in x2APIC mode. */
	lapic_write(LAPIC_DFR, 0xffffffff);
	EXPECT_EQ(fake_lapic.faults, 1);
}

KTEST(lapic_host, x2apic_icr_is_one_fenced_write_with_a_32_bit_destination)
{
	start(BASE | EN | EXTD, true, true);
	lapic_icr_write(300, ICR_FIXED | ICR_ASSERT | 0xfe);
	ASSERT_EQ(fake_lapic.sends, 1);
	EXPECT_EQ(fake_lapic.sent[0].dest, 300);
	EXPECT_EQ(fake_lapic.sent[0].icr_low, ICR_ASSERT | 0xfe);
	EXPECT_TRUE(fake_lapic.sent[0].fenced);
	EXPECT_FALSE(lapic_icr_pending());
	EXPECT_EQ(fake_lapic.faults, 0); /* no ICR-high write */
}

KTEST(lapic_host, xapic_icr_destination_goes_first)
{
	start(BASE | EN, false, true);
	lapic_icr_write(7, ICR_NMI | ICR_ASSERT);
	ASSERT_EQ(fake_lapic.sends, 1);
	EXPECT_EQ(fake_lapic.sent[0].dest, 7);
	EXPECT_EQ(fake_lapic.sent[0].icr_low, ICR_NMI | ICR_ASSERT);
	EXPECT_EQ(fake_lapic.faults, 0);
}

KTEST(lapic_host, esr_is_written_before_it_is_read)
{
	for (int x2 = 0; x2 < 2; x2++) {
		start(BASE | EN, true, x2);
		fake_lapic.pending_errors = 0x40; /* "send illegal vector" */
		EXPECT_EQ(lapic_esr_read(), 0x40);
		EXPECT_EQ(lapic_esr_read(), 0);
		EXPECT_EQ(fake_lapic.faults, 0);
	}
}

KTEST(lapic_host, ipi_encodings)
{
	/* SDM 11.6.1: INIT 101b level-assert, SIPI 110b with the page number,
	 * NMI 100b, fixed with the vector. */
	EXPECT_EQ(lapic_ipi_icr(LAPIC_IPI_INIT, 0), 0xc500);
	EXPECT_EQ(lapic_ipi_icr(LAPIC_IPI_INIT_DEASSERT, 0), 0x8500);
	EXPECT_EQ(lapic_ipi_icr(LAPIC_IPI_STARTUP, 0x08), 0x4608);
	EXPECT_EQ(lapic_ipi_icr(LAPIC_IPI_NMI, 0x33), 0x4400);
	EXPECT_EQ(lapic_ipi_icr(LAPIC_IPI_FIXED, 0xfe), 0x40fe);
}

KTEST(lapic_host, send_ipi_reports_the_error_status)
{
	start(BASE | EN | EXTD, true, true);
	EXPECT_EQ(lapic_send_ipi(5, LAPIC_IPI_STARTUP, 0x08), 0);
	ASSERT_EQ(fake_lapic.sends, 1);
	EXPECT_EQ(fake_lapic.sent[0].dest, 5);
	EXPECT_EQ(fake_lapic.sent[0].icr_low, 0x4608);
	/* An error the APIC latches while sending comes back to the caller,
	 * and an error from before the send does not. */
	fake_lapic.refuse = true;
	fake_lapic.refuse_dest = 9;
	fake_lapic.pending_errors = 0x80;
	EXPECT_EQ(lapic_send_ipi(9, LAPIC_IPI_INIT, 0), 0x04);
	EXPECT_EQ(lapic_send_ipi(5, LAPIC_IPI_FIXED, 0x40), 0);
	EXPECT_EQ(fake_lapic.faults, 0);
}

KTEST(lapic_host, setup_in_x2apic_mode_touches_nothing_x2apic_lacks)
{
	struct lapic_setup s = { .mmio = FAKE_LAPIC_MMIO_BASE, .cpu_has_x2apic = true,
				 .want_x2apic = true };
	struct lapic_nmi_pin pin = { .lint = 1 };

	fake_lapic_reset(BASE | EN, true, 0);
	fake_lapic.pending_errors = 0x80; /* left over from the firmware */
	EXPECT_EQ(lapic_setup_cpu(&s), LAPIC_MODE_X2APIC);
	lapic_set_nmi_pins(&pin, 1);
	EXPECT_EQ(fake_lapic.faults, 0);
	EXPECT_EQ(fake_lapic.regs[LAPIC_SVR / 4], 0x100 | VEC_LAPIC_SPURIOUS);
	EXPECT_EQ(fake_lapic.regs[LAPIC_LVT_ERROR / 4], VEC_LAPIC_ERROR);
	EXPECT_EQ(fake_lapic.regs[LAPIC_LVT_TIMER / 4], 1u << 16);
	EXPECT_EQ(fake_lapic.regs[LAPIC_LVT_THERMAL / 4], 1u << 16);
	EXPECT_EQ(fake_lapic.regs[LAPIC_LVT_LINT0 / 4], 1u << 16);
	EXPECT_EQ(fake_lapic.regs[LAPIC_LVT_LINT1 / 4], 4u << 8); /* NMI */
	EXPECT_EQ(fake_lapic.regs[LAPIC_TPR / 4], 0);
	EXPECT_EQ(lapic_esr_read(), 0); /* the stale error was cleared */
}

KTEST(lapic_host, setup_in_xapic_mode)
{
	struct lapic_setup s = { .mmio = FAKE_LAPIC_MMIO_BASE, .cpu_has_x2apic = false };

	fake_lapic_reset(BASE | EN, false, 2);
	EXPECT_EQ(lapic_setup_cpu(&s), LAPIC_MODE_XAPIC);
	EXPECT_EQ(fake_lapic.faults, 0);
	EXPECT_EQ(fake_lapic.regs[LAPIC_SVR / 4], 0x100 | VEC_LAPIC_SPURIOUS);
	EXPECT_EQ(lapic_id(), 2);
}

/* ---- the timer -------------------------------------------------------------- */

KTEST(lapic_host, tsc_deadline_writes_are_fenced)
{
	start(BASE | EN | EXTD, true, true);
	lapic_timer_setup(true);
	EXPECT_EQ(fake_lapic.regs[LAPIC_LVT_TIMER / 4], VEC_LAPIC_TIMER | (2u << 17));
	lapic_timer_arm_tsc(123456789);
	EXPECT_EQ(fake_lapic.tsc_deadline, 123456789);
	EXPECT_TRUE(fake_lapic.deadline_fenced);
	lapic_timer_arm_tsc(0); /* 0 would disarm: the past is armed as 1 */
	EXPECT_EQ(fake_lapic.tsc_deadline, 1);
	lapic_timer_stop();
	EXPECT_EQ(fake_lapic.tsc_deadline, 0);
	EXPECT_EQ(fake_lapic.faults, 0);
}

KTEST(lapic_host, oneshot_counts_are_clamped)
{
	start(BASE | EN, false, true);
	lapic_timer_setup(false);
	EXPECT_EQ(fake_lapic.regs[LAPIC_LVT_TIMER / 4], VEC_LAPIC_TIMER);
	EXPECT_EQ(fake_lapic.regs[LAPIC_TIMER_DIVIDE / 4], 0x3); /* divide by 16 */
	lapic_timer_arm_ticks(0);
	EXPECT_EQ(fake_lapic.regs[LAPIC_TIMER_INITIAL / 4], 1);
	lapic_timer_arm_ticks(1ull << 40);
	EXPECT_EQ(fake_lapic.regs[LAPIC_TIMER_INITIAL / 4], 0xffffffffu);
	lapic_timer_stop();
	EXPECT_EQ(fake_lapic.regs[LAPIC_TIMER_INITIAL / 4], 0);
	EXPECT_EQ(fake_lapic.faults, 0);
}

KTEST(lapic_host, oneshot_rate_is_measured_against_the_tsc)
{
	/* The host's fake TSC is CLOCK_MONOTONIC in ns: 1 GHz. */
	start(BASE | EN | EXTD, true, true);
	fake_lapic.timer_hz = 24000000 / LAPIC_TIMER_DIVIDER;
	uint64_t hz = lapic_timer_measure(NULL, 1000000000);
	ktest_diag(_kt, "measured %llu Hz, the fake counts at %llu Hz",
		   (unsigned long long)hz, (unsigned long long)fake_lapic.timer_hz);
	EXPECT_GT(hz * 100, fake_lapic.timer_hz * 99);
	EXPECT_LT(hz * 100, fake_lapic.timer_hz * 101);
	EXPECT_EQ(fake_lapic.regs[LAPIC_TIMER_INITIAL / 4], 0); /* left stopped */
	EXPECT_EQ(fake_lapic.faults, 0);
}

/* A 24-bit, 3.58 MHz counter on the host's monotonic clock: a PM timer. */
static uint64_t fake_pm_timer(void)
{
	return hal_cycles() * 3579545 / 1000000000 & 0xffffff;
}

KTEST(lapic_host, oneshot_rate_is_measured_against_the_reference)
{
	const struct refclock pm = { "fake PM timer", 3579545, 24, fake_pm_timer };

	start(BASE | EN, false, true);
	fake_lapic.timer_hz = 62500000;
	/* The TSC rate given is wrong by 10 %: with a reference, it is unused. */
	uint64_t hz = lapic_timer_measure(&pm, 900000000);
	ktest_diag(_kt, "measured %llu Hz against the fake PM timer", (unsigned long long)hz);
	EXPECT_GT(hz * 100, fake_lapic.timer_hz * 99);
	EXPECT_LT(hz * 100, fake_lapic.timer_hz * 101);
	EXPECT_EQ(fake_lapic.faults, 0);
}
