/*
 * trap.h — the trap frame: what the stack holds when an interrupt or
 * exception reaches C.
 *
 * The layout mirrors the push order exactly, from the lowest address up:
 * hal/cpu/isr_common.S pushes r15 last, so it comes first; the stub pushed the
 * vector and the (possibly dummy) error code; the CPU pushed rip..ss.
 */
#ifndef COOP_HAL_TRAP_H
#define COOP_HAL_TRAP_H

#define ISR_STUB_SIZE 16
#define TRAP_FRAME_SIZE (22 * 8)

#ifndef __ASSEMBLY__
#include <stdint.h>

struct trap_frame {
	/* pushed by isr_common, in reverse */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	/* pushed by the vector's stub */
	uint64_t vector;
	uint64_t error_code; /* 0 where the CPU pushes none */
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "trap frame layout");

/* The C side of every interrupt and exception (hal/cpu/trap.c). */
void trap_dispatch(struct trap_frame *frame);

/* Start of the generated stubs; stub N is at isr_stubs + N * ISR_STUB_SIZE. */
extern const char isr_stubs[];
#endif

#endif
