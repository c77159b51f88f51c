/*
 * power.c — see power.h.  The firmware's ResetSystem runs at its physical
 * address, so its runtime regions are mapped just before the call.
 */
#include "kernel/power.h"

#include "hal/hal.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "mm/mm.h"

void machine_reset(enum hal_reset_kind kind)
{
	hal_reset(mm_map_firmware_runtime(kernel_boot_info()), kind);
	kprintf("poweroff: not supported on this machine; it is safe to switch off\n");
	hal_halt_forever();
}
