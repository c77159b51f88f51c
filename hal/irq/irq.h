/*
 * irq.h — hardware interrupt lines: handler registration and statistics.
 * Handlers run with interrupts disabled and must be short: read the device,
 * push into a queue, wake a task.  Never block, allocate or print.
 */
#ifndef COOP_HAL_IRQ_H
#define COOP_HAL_IRQ_H

#include <stdint.h>

typedef void (*irq_handler_fn)(void *ctx);

/* Installs the handler and unmasks the line. */
void irq_register(unsigned irq, irq_handler_fn fn, void *ctx);

/* Called by trap_dispatch for vectors 32..47. */
void irq_dispatch(unsigned irq);

uint64_t irq_count(unsigned irq);
uint64_t irq_spurious_count(unsigned irq); /* only 7 and 15 can be spurious */
uint64_t irq_unhandled_count(void);

/* For tests: raises IRQ 7 or 15's vector in software.  The PIC has no such
 * request in service, so the dispatcher must see it as spurious. */
void irq_raise_spurious_for_test(unsigned irq);
/* The PIC's mask register as the hardware reports it. */
uint16_t irq_hw_mask(void);

/* Per-line hook that runs before the handler, for latency benchmarks. */
extern volatile uint64_t irq_entry_cycles[16];

#endif
