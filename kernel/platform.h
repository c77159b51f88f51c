/*
 * platform.h — the machine as its firmware describes it, brought up as one
 * boot step: the ACPI tables, the interrupt controllers and the clock.
 */
#ifndef COOP_KERNEL_PLATFORM_H
#define COOP_KERNEL_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/acpi/acpi.h"
#include "kernel/boot_info.h"

/*
 * Reads the ACPI tables, sets up the IOAPIC and local APIC (or the 8259,
 * per irq= and what the tables allow), finds the TSC's frequency, starts
 * the clock and the tickless timer, and enables interrupts.  Every
 * fallback prints one line saying what is missing and what is used
 * instead.  Interrupts must be off; needs the memory manager.
 */
void platform_init(const struct boot_info *bi);

/* The parsed tables, or NULL if there were none. */
const struct acpi_info *platform_acpi(void);
/* The local APIC id of the CPU that booted. */
uint32_t platform_boot_cpu(void);
/* True if the local APIC is up (its timer, IPIs): the other CPUs can run. */
bool platform_has_lapic(void);
/* The LINT pins the MADT wires to NMI for the CPU with this APIC id (by
 * its processor UID, or for all CPUs): fills pins[], returns how many. */
struct lapic_nmi_pin;
unsigned platform_nmi_pins(uint32_t apic_id, struct lapic_nmi_pin *pins);

/* The timer interrupt's work once a deadline has passed: advances the
 * executor's clock.  (Tests that borrow the timer restore this.) */
void platform_timer_tick(uint64_t now_ns, void *ctx);
/* After executor_init(): the task that reports, once, if the TSC fails its
 * check against the reference counter (the interrupt cannot print). */
void platform_start_tasks(void);
/* How many times that task has told of a failed TSC (tests: on several
 * CPUs it can take the news before the test that condemned the TSC). */
unsigned platform_tsc_failures_told(void);

#endif
