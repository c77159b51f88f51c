/*
 * In-kernel tests of the interrupt controllers: the mode the platform step
 * chose, the MADT against what QEMU was started with, every ISA line coop
 * uses delivered through the IOAPIC, spurious vectors counted, a self-IPI,
 * the APIC's error status, and nesting of interrupt-disable sections.
 *
 * Waits are bounded by TSC time and generous: a delivered interrupt takes
 * microseconds, and the bounds only decide how long a lost one takes to
 * fail the test.
 */
#include "hal/dev/ps2.h"
#include "hal/dev/qemu.h"
#include "hal/dev/serial.h"
#include "hal/hal.h"
#include "hal/irq/ioapic.h"
#include "hal/irq/irq.h"
#include "hal/irq/lapic.h"
#include "hal/irq/pic.h"
#include "hal/irq/vectors.h"
#include "hal/time/clock.h"
#include "hal/time/pit.h"
#include "kernel/params.h"
#include "kernel/platform.h"
#include "hal/smp/spinlock.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(irq, KTEST_KERNEL_ONLY);

#define WAIT_MS 2000

/* Waits with interrupts on until *count moves past `from`, or WAIT_MS. */
static bool wait_for_count(volatile uint64_t *count, uint64_t from)
{
	uint64_t end = hal_clock_ms() + WAIT_MS;

	while (*count == from && hal_clock_ms() < end)
		hal_cpu_relax();
	return *count != from;
}

static bool apic_expected(void)
{
	const struct acpi_info *a = platform_acpi();
	return a && a->has_madt && a->madt.ioapic_count &&
	       (kparams.irq != IRQ_CHOICE_PIC || !irq_pic_present());
}

KTEST(irq, apic_mode_when_the_tables_allow_it)
{
	if (!apic_expected())
		KTEST_SKIP("no MADT with an IOAPIC, or irq=pic");
	EXPECT_EQ(irq_mode(), IRQ_MODE_APIC);
	EXPECT_NE(lapic_regs_mode(), LAPIC_MODE_NONE);
	/* The 8259 is silent: every line masked, the cascade too. */
	EXPECT_EQ(pic_read_imr(), 0xffff);
	EXPECT_EQ(lapic_id(), platform_boot_cpu());
}

KTEST(irq, madt_matches_what_qemu_was_started_with)
{
	const struct acpi_info *a = platform_acpi();
	unsigned cpus;

	if (!hal_qemu_cpu_count(&cpus))
		KTEST_SKIP("not QEMU: nothing to compare the MADT with");
	ASSERT_NOT_NULL(a);
	ASSERT_TRUE(a->has_madt);
	ktest_diag(_kt, "QEMU -smp %u; MADT: %u CPUs, %u IOAPIC(s), ISA IRQ 0 -> GSI %u", cpus,
		   a->madt.cpu_count, a->madt.ioapic_count, acpi_isa_route(&a->madt, 0).gsi);
	EXPECT_EQ(a->madt.cpu_count, cpus);
	for (uint32_t i = 0; i < a->madt.cpu_count; i++)
		EXPECT_EQ(a->madt.cpus[i].apic_id, i); /* QEMU numbers them 0.. */
	ASSERT_EQ(a->madt.ioapic_count, 1);
	EXPECT_EQ(a->madt.ioapics[0].address, 0xfec00000);
	EXPECT_EQ(a->madt.ioapics[0].gsi_base, 0);
	/* QEMU's PIT drives IOAPIC pin 2, as most boards do. */
	EXPECT_EQ(acpi_isa_route(&a->madt, 0).gsi, 2);
	EXPECT_TRUE(acpi_isa_route(&a->madt, 0).overridden);
	EXPECT_EQ(a->madt.lapic_address, 0xfee00000);
}

KTEST(irq, ioapic_registers_match_the_madt)
{
	const struct acpi_info *a = platform_acpi();

	if (irq_mode() != IRQ_MODE_APIC)
		KTEST_SKIP("not in APIC mode");
	ASSERT_EQ(ioapic_count(), a->madt.ioapic_count);
	const struct ioapic *io = ioapic_at(0);
	EXPECT_EQ(io->hw_id, a->madt.ioapics[0].id);
	EXPECT_EQ(io->gsi_base, a->madt.ioapics[0].gsi_base);
	ktest_diag(_kt, "IOAPIC %u: version 0x%x, %u inputs", io->hw_id, io->version, io->inputs);
	EXPECT_GE(io->inputs, 16);
}

/* ---- each ISA line coop uses, through the IOAPIC -------------------------- */

static volatile uint64_t line_hits[16];
static volatile uint8_t last_byte;

static void count_line(void *ctx)
{
	line_hits[(uintptr_t)ctx]++;
}

static void on_keyboard_byte(uint8_t byte, void *ctx)
{
	(void)ctx;
	last_byte = byte;
	line_hits[1]++;
}

/* The route the IOAPIC holds for ISA line `irq`: its vector, unmasked. */
static void expect_routed(struct ktest *_kt, unsigned irq)
{
	struct acpi_isa_route r = acpi_isa_route(&platform_acpi()->madt, irq);
	uint64_t rte = ioapic_read_rte(r.gsi);

	EXPECT_EQ(rte & 0xff, irq_isa_vector(irq));
	EXPECT_FALSE(rte & IOAPIC_RTE_MASKED);
	EXPECT_EQ((rte >> 56) & 0xff, platform_boot_cpu());
}

KTEST(irq, keyboard_line_arrives_through_the_ioapic)
{
	if (irq_mode() != IRQ_MODE_APIC)
		KTEST_SKIP("not in APIC mode");
	if (ps2_init(on_keyboard_byte, NULL) != PS2_OK)
		KTEST_SKIP("no PS/2 keyboard");
	expect_routed(_kt, 1);
	uint64_t seen = irq_isa_count(1), on_pic = irq_vector_count(VEC_PIC_BASE + 1);
	uint64_t hits = line_hits[1];
	/* The 8042 puts a byte in its output buffer as if the keyboard had
	 * sent it, and raises IRQ 1. */
	ASSERT_TRUE(ps2_inject_byte(0x1e));
	EXPECT_TRUE(wait_for_count(&line_hits[1], hits));
	EXPECT_EQ(last_byte, 0x1e);
	EXPECT_EQ(irq_isa_count(1), seen + 1);
	EXPECT_EQ(irq_vector_count(VEC_PIC_BASE + 1), on_pic);
}

KTEST(irq, serial_line_arrives_through_the_ioapic)
{
	if (irq_mode() != IRQ_MODE_APIC)
		KTEST_SKIP("not in APIC mode");
	if (!serial_present())
		KTEST_SKIP("no COM1");
	uint64_t hits = line_hits[4];
	irq_register(4, count_line, (void *)4);
	expect_routed(_kt, 4);
	serial_test_interrupt(true);
	EXPECT_TRUE(wait_for_count(&line_hits[4], hits));
	serial_test_interrupt(false);
	EXPECT_EQ(irq_isa_count(4), line_hits[4]);
}

/* The PIT is not coop's timer in APIC mode, but its line proves the MADT's
 * one override right: ISA IRQ 0 must arrive on GSI 2. */
KTEST(irq, pit_line_arrives_through_its_override)
{
	if (irq_mode() != IRQ_MODE_APIC)
		KTEST_SKIP("not in APIC mode");
	uint64_t hits = line_hits[0];
	irq_register(0, count_line, (void *)0);
	expect_routed(_kt, 0);
	pit_oneshot_start(1193); /* 1 ms */
	bool arrived = wait_for_count(&line_hits[0], hits);
	ioapic_set_masked(acpi_isa_route(&platform_acpi()->madt, 0).gsi, true);
	if (!arrived && !pit_measure_tsc())
		KTEST_SKIP("no PIT (its channel 2 does not count either)");
	EXPECT_TRUE(arrived);
}

/* ---- spurious vectors, IPIs, errors ------------------------------------------ */

KTEST(irq, spurious_vectors_are_counted_not_acknowledged)
{
	uint64_t p7 = irq_spurious_count(IRQ_SPURIOUS_PIC7);
	uint64_t p15 = irq_spurious_count(IRQ_SPURIOUS_PIC15);
	uint64_t la = irq_spurious_count(IRQ_SPURIOUS_LAPIC);
	uint64_t v7 = irq_vector_count(VEC_PIC_BASE + 7);

	/* The 8259 has nothing in service, so vectors 39 and 47 must be taken
	 * for its spurious IRQs; 255 is the local APIC's. */
	irq_raise_for_test(VEC_PIC_BASE + 7);
	irq_raise_for_test(VEC_PIC_BASE + 15);
	irq_raise_for_test(VEC_LAPIC_SPURIOUS);
	EXPECT_EQ(irq_spurious_count(IRQ_SPURIOUS_PIC7), p7 + 1);
	EXPECT_EQ(irq_spurious_count(IRQ_SPURIOUS_PIC15), p15 + 1);
	EXPECT_EQ(irq_spurious_count(IRQ_SPURIOUS_LAPIC), la + 1);
	EXPECT_EQ(irq_vector_count(VEC_PIC_BASE + 7), v7);
	EXPECT_EQ(pic_read_isr(), 0);
	/* And the timer still gets through afterwards. */
	uint64_t ticks = clock_interrupts(), end = hal_clock_ms() + WAIT_MS;
	hal_timer_arm(hal_clock_ns() + 1000000);
	while (clock_interrupts() == ticks && hal_clock_ms() < end)
		hal_cpu_relax();
	EXPECT_GT(clock_interrupts(), ticks);
}

static volatile uint64_t ipis;

static void on_test_ipi(void *ctx)
{
	(void)ctx;
	ipis++;
}

KTEST(irq, fixed_ipi_to_self_is_delivered)
{
	if (lapic_regs_mode() == LAPIC_MODE_NONE)
		KTEST_SKIP("no local APIC");
	irq_register_vector(VEC_TEST, "test IPI", on_test_ipi, NULL);
	uint64_t before = ipis;
	EXPECT_EQ(lapic_send_ipi(lapic_id(), LAPIC_IPI_FIXED, VEC_TEST), 0);
	EXPECT_TRUE(wait_for_count(&ipis, before));
	EXPECT_EQ(irq_vector_count(VEC_TEST), ipis);
}

KTEST(irq, apic_reports_no_errors)
{
	if (lapic_regs_mode() == LAPIC_MODE_NONE)
		KTEST_SKIP("no local APIC");
	EXPECT_EQ(lapic_esr_read(), 0);
	EXPECT_EQ(irq_apic_errors(), 0);
	EXPECT_EQ(irq_unhandled_count(), 0);
}

KTEST(irq, pic_mode_mask_register_matches_api)
{
	if (irq_mode() != IRQ_MODE_PIC)
		KTEST_SKIP("not in PIC mode");
	uint16_t saved = pic_get_mask();
	pic_mask(5);
	EXPECT_EQ(pic_read_imr(), pic_get_mask());
	EXPECT_TRUE(pic_read_imr() & (1u << 5));
	pic_unmask(5);
	EXPECT_FALSE(pic_read_imr() & (1u << 5));
	pic_mask(5);
	EXPECT_EQ(pic_get_mask(), saved);
}

KTEST(irq, disable_sections_nest)
{
	ASSERT_TRUE(hal_irq_enabled());
	hal_irq_push_off();
	EXPECT_FALSE(hal_irq_enabled());
	hal_irq_push_off();
	hal_irq_pop_off();
	EXPECT_FALSE(hal_irq_enabled()); /* still inside the outer section */
	hal_irq_pop_off();
	EXPECT_TRUE(hal_irq_enabled());

	hal_irqflags_t outer = hal_irq_save();
	hal_irqflags_t inner = hal_irq_save();
	hal_irq_restore(inner);
	EXPECT_FALSE(hal_irq_enabled());
	hal_irq_restore(outer);
	EXPECT_TRUE(hal_irq_enabled());
}
