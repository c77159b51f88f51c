/*
 * trap.c — where every interrupt and exception lands (from isr_common.S).
 */
#include "hal/cpu/trap.h"

#include "hal/cpu.h"
#include "hal/cpu/fault.h"
#include "hal/irq/irq.h"

void trap_dispatch(struct trap_frame *frame)
{
	uint64_t v = frame->vector;

	/* How many handlers run on this CPU (nested if one re-enables
	 * interrupts): lets portable code tell an interrupt handler from the
	 * code it interrupted (hal_in_interrupt()). */
	hal_this_cpu.trap_depth++;
	if (v < 32)
		exception_handle(frame);
	else
		irq_dispatch((unsigned)v);
	hal_this_cpu.trap_depth--;
}
