/*
 * isr_common.S — the one common interrupt entry.
 *
 * On arrival the stack holds the CPU's frame, the error code and the vector
 * (see scripts/gen-isr-stubs.py).  Save every general register so the frame
 * matches struct trap_frame (hal/cpu/trap.h), call trap_dispatch(frame), restore,
 * drop vector and error code, and iretq.
 *
 * The CPU aligned RSP to 16 before pushing its frame; 22 quadwords later the
 * stack is still 16-byte aligned, as the C ABI wants at a call.
 */
#include "hal/cpu/trap.h"

	.text
	.globl isr_common
	.hidden isr_common
isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld			/* the C ABI expects DF clear */
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp		/* vector and error code */
	iretq

/*
 * void hal_call_on_stack(void *stack_top, void (*fn)(const void *), const void *arg)
 * Switches to a new stack and calls fn(arg), which must not return.  RBP is
 * zeroed so that backtraces stop at the bottom of the new stack.
 */
	.globl hal_call_on_stack
	.hidden hal_call_on_stack
hal_call_on_stack:
	movq %rdi, %rsp
	xorl %ebp, %ebp
	movq %rdx, %rdi
	call *%rsi
	ud2

	.section .note.GNU-stack,"",@progbits
