/*
 * trap.c — where every interrupt and exception lands (from isr_common.S).
 */
#include "hal/trap.h"

#include "hal/fault.h"
#include "hal/irq.h"
#include "hal/pic.h"
#include "kernel/panic.h"

static uint64_t stray_vectors;

void trap_dispatch(struct trap_frame *frame)
{
	uint64_t v = frame->vector;

	if (v < 32)
		exception_handle(frame);
	else if (v < PIC_VECTOR_BASE + PIC_IRQ_COUNT)
		irq_dispatch((unsigned)(v - PIC_VECTOR_BASE));
	else
		stray_vectors++; /* nothing is wired above 47: an `int n` by mistake */
}
