/*
 * irq.c — dispatch of PIC interrupts to registered handlers.
 */
#include "hal/irq/irq.h"

#include <stddef.h>

#include "hal/cpu.h"
#include "hal/irq/pic.h"

static struct {
	irq_handler_fn fn;
	void *ctx;
	uint64_t count;
	uint64_t spurious;
} lines[PIC_IRQ_COUNT];
static uint64_t unhandled;
volatile uint64_t irq_entry_cycles[16];

void irq_register(unsigned irq, irq_handler_fn fn, void *ctx)
{
	uint64_t flags = hal_irq_save();
	lines[irq].fn = fn;
	lines[irq].ctx = ctx;
	pic_unmask(irq);
	hal_irq_restore(flags);
}

void irq_dispatch(unsigned irq)
{
	irq_entry_cycles[irq] = hal_cycles();
	if (pic_handle_spurious(irq)) {
		lines[irq].spurious++;
		return;
	}
	lines[irq].count++;
	if (lines[irq].fn)
		lines[irq].fn(lines[irq].ctx);
	else
		unhandled++;
	pic_eoi(irq);
}

void irq_raise_spurious_for_test(unsigned irq)
{
	if (irq == 7)
		__asm__ volatile("int %0" ::"i"(PIC_VECTOR_BASE + 7));
	else if (irq == 15)
		__asm__ volatile("int %0" ::"i"(PIC_VECTOR_BASE + 15));
}

uint16_t irq_hw_mask(void)
{
	return pic_read_imr();
}

uint64_t irq_count(unsigned irq) { return lines[irq].count; }
uint64_t irq_spurious_count(unsigned irq) { return lines[irq].spurious; }
uint64_t irq_unhandled_count(void) { return unhandled; }
