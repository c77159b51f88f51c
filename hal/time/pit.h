/*
 * pit.h — the 8253/8254 Programmable Interval Timer, in its two remaining
 * jobs: channel 2, polled with interrupts off, as the last reference to
 * measure the TSC against; and channel 0 on IRQ 0, in one-shot mode, as the
 * event timer of a machine with no local APIC.  Boards may gate its clock
 * off altogether (QEMU: `-machine q35,pit=off`), so every wait is bounded.
 */
#ifndef COOP_HAL_TIME_PIT_H
#define COOP_HAL_TIME_PIT_H

#include <stdint.h>

#define PIT_INPUT_HZ 1193182u

/* TSC ticks per second, measured against channel 2 (best of five 10 ms
 * countdowns); 0 if channel 2 never counts down. */
uint64_t pit_measure_tsc(void);

/* Channel 0, mode 0: IRQ 0 rises once, `count` input clocks from now. */
void pit_oneshot_start(uint16_t count);
void pit_oneshot_stop(void);

#endif
