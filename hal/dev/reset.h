/*
 * reset.h — rebooting and switching off the machine.
 *
 * The firmware knows how to do both on every board, so UEFI's runtime
 * ResetSystem() is tried first.  When it is missing or returns, the classic
 * PC fallbacks follow: the 8042's reset line and a triple fault to reboot;
 * QEMU's ACPI power-management port to switch off.
 */
#ifndef COOP_HAL_RESET_H
#define COOP_HAL_RESET_H

enum hal_reset_kind {
	HAL_RESET_COLD = 0,     /* EfiResetCold */
	HAL_RESET_WARM = 1,     /* EfiResetWarm */
	HAL_RESET_SHUTDOWN = 2, /* EfiResetShutdown: power off */
};

/**
 * hal_reset - reboot (cold or warm) or power off.  A reboot never returns
 * (its last resort is a triple fault).  A power-off returns, with interrupts
 * off, only if every way to switch off failed: the caller tells the user.
 * @runtime_services: the EFI_RUNTIME_SERVICES table, reachable, with the
 * firmware's runtime regions mapped at their physical addresses; or NULL.
 * Runs with interrupts off from the start.
 */
void hal_reset(const void *runtime_services, enum hal_reset_kind kind);

#endif
