/*
 * trap.c — where every interrupt and exception lands (from isr_common.S).
 */
#include "hal/cpu/trap.h"

#include "hal/cpu.h"
#include "hal/cpu/fault.h"
#include "hal/irq/irq.h"

/* How many handlers are running (nested if one re-enables interrupts):
 * lets portable code tell an interrupt handler from the code it interrupted
 * (hal_in_interrupt()). */
volatile unsigned hal_trap_depth;

void trap_dispatch(struct trap_frame *frame)
{
	uint64_t v = frame->vector;

	hal_trap_depth++;
	if (v < 32)
		exception_handle(frame);
	else
		irq_dispatch((unsigned)v);
	hal_trap_depth--;
}
