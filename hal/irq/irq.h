/*
 * irq.h — hardware interrupts: which controller delivers them, handler
 * registration by ISA line or by vector, dispatch, and statistics.
 *
 * Two modes (vectors.h shows where everything lands):
 *   PIC   the 8259 pair delivers the ISA lines on vectors 32-47 (through
 *         the local APIC's LINT0 in virtual-wire mode when there is one)
 *   APIC  the IOAPICs deliver the ISA lines on vectors 48-63, with the
 *         MADT's overrides (QEMU wires ISA IRQ 0 to GSI 2); the 8259 is
 *         remapped to 32-47 and fully masked
 * Either way the local APIC, when there is one, delivers its own timer and
 * error interrupts.
 *
 * Handlers run with interrupts disabled and must be short: read the
 * device, push into a queue, wake a task.  Never block, allocate or print.
 */
#ifndef COOP_HAL_IRQ_IRQ_H
#define COOP_HAL_IRQ_IRQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/irq/lapic.h"

typedef void (*irq_handler_fn)(void *ctx);

enum irq_mode { IRQ_MODE_NONE, IRQ_MODE_PIC, IRQ_MODE_APIC };

/* How an ISA line reaches an IOAPIC (from the MADT; GSI == IRQ, edge,
 * active high, when it has no override). */
struct irq_isa_route {
	uint32_t gsi;
	bool active_low, level;
};

struct irq_ioapic_desc {
	uint32_t id;
	uintptr_t mmio;		/* mapped uncached */
	uint32_t gsi_base;
};

/* What APIC mode needs, gathered by the kernel from the MADT. */
struct irq_apic_config {
	struct lapic_setup lapic;
	unsigned ioapic_count;
	struct irq_ioapic_desc ioapics[8];
	struct irq_isa_route isa[16];
};

/*
 * PIC mode: the 8259 pair remapped to 32-47, all lines masked.  With a
 * local APIC (`lapic` non-NULL, for its timer), that is set up too and the
 * 8259 reaches the CPU through its LINT0 as ExtINT.
 */
void irq_init_pic(const struct lapic_setup *lapic);
/*
 * APIC mode.  Returns false, with the reason in *why, if no IOAPIC could be
 * used; nothing has been changed then and the caller falls back to PIC mode.
 */
bool irq_init_apic(const struct irq_apic_config *c, const char **why);
enum irq_mode irq_mode(void);
/* True if an 8259 answers at its ports (pic=off machines have none). */
bool irq_pic_present(void);

/* Installs the handler for ISA line `irq` and unmasks the line on whichever
 * controller delivers it. */
void irq_register(unsigned irq, irq_handler_fn fn, void *ctx);
/* Installs a handler on a CPU-local vector (local APIC timer, IPIs). */
void irq_register_vector(unsigned vector, const char *name, irq_handler_fn fn, void *ctx);
/*
 * For a device's Message Signalled Interrupt: claims a free vector in the
 * dynamic range (vectors.h) with the handler, and gives the local APIC id
 * the message should go to (msi.h composes it).  0 when no vector is free
 * or there is no local APIC to deliver an MSI.
 */
unsigned irq_register_msi(const char *name, irq_handler_fn fn, void *ctx, uint32_t *apic_id);
/* The vector ISA line `irq` arrives on in the current mode. */
unsigned irq_isa_vector(unsigned irq);

/* Called by trap_dispatch for every vector from 32 up. */
void irq_dispatch(unsigned vector);

/* ---- statistics --------------------------------------------------------- */

enum irq_spurious_source { IRQ_SPURIOUS_PIC7, IRQ_SPURIOUS_PIC15, IRQ_SPURIOUS_LAPIC };

uint64_t irq_vector_count(unsigned vector);
uint64_t irq_isa_count(unsigned irq);
uint64_t irq_spurious_count(enum irq_spurious_source s);
uint64_t irq_unhandled_count(void);
uint64_t irq_apic_errors(void);

/* One interrupt source, for the `irqs` command. */
struct irq_source_info {
	unsigned vector;
	const char *name;
	char source[24];	/* "ISA 1", "local", "IPI" */
	char route[32];		/* "GSI 2 edge high", "8259 line 1" */
	const char *controller;	/* "IOAPIC 0", "8259", "local APIC" */
	uint32_t cpu;		/* the APIC id it is delivered to */
	uint64_t count;
};
/* Calls cb for every vector with a handler, in vector order. */
void irq_for_each(void (*cb)(const struct irq_source_info *s, void *arg), void *arg);

/* For tests: raises `vector` in software (`int n`). */
void irq_raise_for_test(unsigned vector);
/* For latency benchmarks: the TSC at the entry of the last interrupt on
 * each vector. */
extern volatile uint64_t irq_entry_cycles[256];

#endif
