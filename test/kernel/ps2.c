/*
 * In-kernel tests of the 8042 driver against QEMU's controller: a scancode
 * that arrives while the driver waits for the keyboard's ACK of an LED
 * update must reach the scancode handler, not be taken for the reply.
 */
#include "hal/hal.h"
#include "hal/dev/ps2.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(ps2, KTEST_KERNEL_ONLY);

static uint8_t got[16];
static unsigned ngot;

static void record(uint8_t byte, void *ctx)
{
	(void)ctx;
	if (ngot < sizeof got)
		got[ngot] = byte;
	ngot++;
}

KTEST(ps2, keystroke_during_led_update_is_kept)
{
	enum ps2_status s = ps2_init(record, NULL);
	if (s != PS2_OK)
		KTEST_SKIP("no PS/2 keyboard");
	ngot = 0;
	/* The controller puts 0x1e ('A' pressed) in its output buffer, as if
	 * the key went down just before the LED command: the keyboard's ACK
	 * queues behind it.  Interrupts stay off so IRQ 1 does not read it. */
	hal_irqflags_t flags = hal_irq_save();
	ASSERT_TRUE(ps2_inject_byte(0x1e));
	bool ok = ps2_set_leds(0x02);
	hal_irq_restore(flags);
	EXPECT_TRUE(ok);
	for (unsigned i = 0; i < ngot && i < sizeof got; i++)
		ktest_diag(_kt, "byte %u: 0x%02x", i, got[i]);
	ASSERT_EQ(ngot, 1);		/* the scancode, and no ACK */
	EXPECT_EQ(got[0], 0x1e);
	EXPECT_TRUE(ps2_set_leds(0));	/* and the keyboard still answers */
}
