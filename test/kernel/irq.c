/*
 * In-kernel tests of the interrupt path: PIC remap and masks, the PIT rate
 * measured against the TSC (calibrated independently, on PIT channel 2),
 * spurious IRQ 7/15 handling, and nesting of interrupt-disable sections.
 */
#include "hal/cpu.h"
#include "hal/cpu/fault.h"
#include "hal/hal.h"
#include "hal/irq/irq.h"
#include "hal/irq/pic.h"
#include "hal/time/pit.h"
#include "kernel/params.h"
#include "kernel/spinlock.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(irq, KTEST_KERNEL_ONLY);

/* Spins (interrupts on) until `ms` milliseconds of TSC time have passed. */
static void spin_ms(uint64_t ms)
{
	uint64_t end = hal_cycles() + tsc_hz() / 1000 * ms;
	while (hal_cycles() < end)
		hal_cpu_relax();
}

KTEST(irq, timer_arrives_on_remapped_vector)
{
	/* Had the PIC kept the BIOS mapping, IRQ 0 would arrive as vector 8
	 * (double fault) and end the boot; here it must be counted as IRQ 0. */
	ASSERT_TRUE(hal_irq_enabled());
	uint64_t before = irq_count(0);
	spin_ms(20);
	EXPECT_GT(irq_count(0), before);
	EXPECT_EQ(irq_unhandled_count(), 0);
}

KTEST(irq, mask_register_matches_api)
{
	uint16_t saved = pic_get_mask();
	pic_mask(5);
	EXPECT_EQ(irq_hw_mask(), pic_get_mask());
	EXPECT_TRUE(irq_hw_mask() & (1u << 5));
	pic_unmask(5);
	EXPECT_FALSE(irq_hw_mask() & (1u << 5));
	pic_mask(5);
	EXPECT_EQ(pic_get_mask(), saved);
	EXPECT_FALSE(irq_hw_mask() & 1u); /* the timer stays unmasked */
}

/*
 * Spins for `ms` of TSC time.  Returns false if the CPU itself stalled on
 * the way -- two consecutive TSC reads more than a quarter tick apart --
 * because timer interrupts that come due while a CPU is not running are
 * merged by the PIC into one.  Real hardware stalls only for SMIs; a CPU
 * emulated on a busy host stalls whenever the host runs something else.
 */
static bool spin_ms_unstalled(uint64_t ms)
{
	uint64_t per_ms = tsc_hz() / 1000, now = hal_cycles();
	uint64_t end = now + per_ms * ms, last = now;
	bool stalled = false;

	while ((now = hal_cycles()) < end) {
		stalled |= now - last > per_ms / 4;
		last = now;
		hal_cpu_relax();
	}
	return !stalled;
}

/* Ticks counted over windows of TSC time in which the CPU ran throughout:
 * each must match the rate within 5 %.  Windows with a stall are retried. */
KTEST(irq, timer_rate_matches_tsc)
{
	const uint64_t window_ms = 50;
	unsigned judged = 0, stalled = 0;
	ASSERT_GT(tsc_hz(), 1000000);
	uint64_t expected = window_ms * pit_rate_mhz() / 1000000;
	for (int attempt = 0; attempt < 40 && judged < 3; attempt++) {
		uint64_t t0 = pit_ticks();
		bool clean = spin_ms_unstalled(window_ms);
		uint64_t ticks = pit_ticks() - t0;
		/* More ticks than time allows is never the host's fault. */
		EXPECT_LE(ticks * 100, expected * 105 + 100);
		if (!clean) {
			stalled++;
			continue;
		}
		judged++;
		ktest_diag(_kt, "%llu ticks in %llu ms of TSC time, expected %llu",
			   (unsigned long long)ticks, (unsigned long long)window_ms,
			   (unsigned long long)expected);
		EXPECT_GE(ticks * 100 + 100, expected * 95);
	}
	ktest_diag(_kt, "%u windows judged, %u discarded for a CPU stall", judged, stalled);
	if (!judged)
		KTEST_SKIP("the CPU stalled in every window (host too busy)");
}

KTEST(irq, spurious_irq7_counted_not_acknowledged)
{
	uint64_t spurious = irq_spurious_count(7), handled = irq_count(7);
	irq_raise_spurious_for_test(7);
	EXPECT_EQ(irq_spurious_count(7), spurious + 1);
	EXPECT_EQ(irq_count(7), handled);
	/* Nothing may be left in service: a wrong EOI elsewhere would show. */
	EXPECT_EQ(pic_read_isr(), 0);
}

KTEST(irq, spurious_irq15_counted)
{
	uint64_t spurious = irq_spurious_count(15);
	irq_raise_spurious_for_test(15);
	EXPECT_EQ(irq_spurious_count(15), spurious + 1);
	EXPECT_EQ(pic_read_isr(), 0);
	/* The timer must still be delivered afterwards. */
	uint64_t before = irq_count(0);
	spin_ms(10);
	EXPECT_GT(irq_count(0), before);
}

KTEST(irq, disable_sections_nest)
{
	ASSERT_TRUE(hal_irq_enabled());
	irq_push_off();
	EXPECT_FALSE(hal_irq_enabled());
	irq_push_off();
	irq_pop_off();
	EXPECT_FALSE(hal_irq_enabled()); /* still inside the outer section */
	irq_pop_off();
	EXPECT_TRUE(hal_irq_enabled());

	hal_irqflags_t outer = hal_irq_save();
	hal_irqflags_t inner = hal_irq_save();
	hal_irq_restore(inner);
	EXPECT_FALSE(hal_irq_enabled());
	hal_irq_restore(outer);
	EXPECT_TRUE(hal_irq_enabled());
}

/* ---- the tick hook is replaced in one step -----------------------------------
 *
 * Installing a tick hook races the tick: an IRQ between the store of the
 * context and the store of the function would call the new function with the
 * old context (or NULL).  Single-stepping the installation runs the hook
 * after every instruction of it, so every boundary is tried.
 */
static int ctx_a, ctx_b;
static unsigned hook_calls, hook_mismatches;

static void hook_a(uint64_t ticks, void *ctx)
{
	(void)ticks;
	hook_calls++;
	hook_mismatches += ctx != &ctx_a;
}

static void hook_b(uint64_t ticks, void *ctx)
{
	(void)ticks;
	hook_calls++;
	hook_mismatches += ctx != &ctx_b;
}

static const struct pit_tick_hook hooks[2] = { { hook_a, &ctx_a }, { hook_b, &ctx_b } };

static void install_hooks(void *arg)
{
	(void)arg;
	pit_set_tick_hook(&hooks[0]);
	pit_set_tick_hook(&hooks[1]);
	pit_set_tick_hook(NULL);
}

static void tick_now(void *arg)
{
	(void)arg;
	pit_run_tick_hook_for_test();
}

KTEST(irq, tick_hook_is_replaced_in_one_step)
{
	const struct pit_tick_hook *old = pit_set_tick_hook(NULL);

	hook_calls = hook_mismatches = 0;
	single_step(install_hooks, NULL, tick_now, NULL);
	pit_set_tick_hook(old);
	ktest_diag(_kt, "%u ticks at instruction boundaries, %u with a torn hook",
		   hook_calls, hook_mismatches);
	EXPECT_GT(hook_calls, 2);
	EXPECT_EQ(hook_mismatches, 0);
}
