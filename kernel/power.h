/*
 * power.h — rebooting and switching off, from anywhere in the kernel (the
 * shell's reboot/poweroff, Ctrl-Alt-Del, the end of a panic).
 */
#ifndef COOP_KERNEL_POWER_H
#define COOP_KERNEL_POWER_H

#include "hal/dev/reset.h"

/* Reboots or powers off: UEFI ResetSystem first, then hal/dev/reset.c's
 * fallbacks.  If the machine cannot switch itself off, says so and halts. */
void machine_reset(enum hal_reset_kind kind) __attribute__((noreturn));
/* After a panic (interrupts off, no executor): polls the keyboard controller
 * and the serial port, and restarts the machine at the first key. */
void machine_reset_on_key(void) __attribute__((noreturn));

#endif
