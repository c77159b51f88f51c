/*
 * qemu.h — QEMU's isa-debug-exit device (port 0xf4), which ends a test boot
 * with a status: QEMU exits with (value << 1) | 1.  On real hardware the
 * write goes nowhere and the caller halts instead.
 */
#ifndef COOP_HAL_QEMU_H
#define COOP_HAL_QEMU_H

#include <stdbool.h>
#include <stdint.h>

#define QEMU_EXIT_SUCCESS 0x10 /* QEMU exits 33 */
#define QEMU_EXIT_FAILURE 0x11 /* QEMU exits 35 */

void hal_qemu_exit(uint8_t code);

/* The number of CPUs QEMU was started with (-smp), from its fw_cfg
 * device; false when there is no QEMU to ask (real hardware). */
bool hal_qemu_cpu_count(unsigned *n);

#endif
