/*
 * power.c — see power.h.  The firmware's ResetSystem runs at its physical
 * address, so its runtime regions are mapped just before the call.
 *
 * Any CPU may reset.  The others are stopped first (an NMI each): the
 * firmware's runtime services must not run on two CPUs at once, and
 * nothing should be half-way through a device or the console when the
 * machine goes.  Mapping comes before stopping, since mapping takes the
 * page-table lock, which a stopped CPU might have held.
 */
#include "kernel/power.h"

#include "hal/dev/ps2.h"
#include "hal/dev/serial.h"
#include "hal/hal.h"
#include "hal/smp/smp.h"
#include "hal/smp/spinlock.h"
#include "kernel/console/console.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "mm/mm.h"

#define STOP_WAIT_MS 1000

void machine_reset(enum hal_reset_kind kind)
{
	const void *runtime = mm_map_firmware_runtime(kernel_boot_info());
	uint64_t per_ms = spin_cycles_per_ms();

	hal_irq_disable();
	smp_stop_others((per_ms ? per_ms : 2000000) * STOP_WAIT_MS);
	con_take_over();
	hal_reset(runtime, kind);
	kprintf("poweroff: not supported on this machine; it is safe to switch off\n");
	hal_halt_forever();
}

/* A key press: a make code, not a release, a prefix or a controller reply. */
static bool is_key_press(uint8_t scancode)
{
	return scancode < 0x80 && scancode != 0x00;
}

/* Input already on its way when the machine stopped -- the Enter that ran
 * `panic`, a terminal's LF after its CR -- is not an answer: throw away
 * what arrives in the first quarter second. */
static void discard_pending_input(void)
{
	/* The clock runs with interrupts off; a panic before it started
	 * leaves only the spin count to end the wait. */
	uint64_t start = hal_clock_ns();
	uint8_t b;

	for (uint32_t spins = 0; spins < 50000000u; spins++) {
		while (ps2_poll_byte(&b) || serial_read_byte(&b))
			;
		if (hal_clock_ns() - start >= 250000000ull)
			break;
		hal_cpu_relax();
	}
}

void machine_reset_on_key(void)
{
	uint8_t b;

	discard_pending_input();
	for (;;) {
		if ((ps2_poll_byte(&b) && is_key_press(b)) || serial_read_byte(&b)) {
			kprintf("restarting\n");
			machine_reset(HAL_RESET_COLD);
		}
		hal_cpu_relax();
	}
}
