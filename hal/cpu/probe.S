/*
 * probe.S — functions that fault on purpose, for tests (see hal/cpu/fault.h).
 *
 * They are leaf functions without a frame, so when one faults the exception
 * handler can resume at probe_fixup with the stack as the probe found it:
 * `ret` there returns PROBE_FAULTED to the probe's caller.  Only faults whose
 * RIP lies between probe_start and probe_end are ever resumed.
 */
	.text
	.globl probe_start, probe_end, probe_fixup, probe_call_return
	.hidden probe_start, probe_end, probe_fixup, probe_call_return
	.globl probe_read64, probe_write64, probe_divide, probe_invalid_opcode
	.globl probe_load_ds, probe_call
	.hidden probe_read64, probe_write64, probe_divide, probe_invalid_opcode
	.hidden probe_load_ds, probe_call

probe_start:
probe_read64:
	movq (%rdi), %rax
	ret

probe_write64:
	movq %rsi, (%rdi)
	xorl %eax, %eax
	ret

probe_divide:
	movq %rdi, %rax
	xorl %edx, %edx
	divq %rsi
	ret

probe_invalid_opcode:
	ud2
	xorl %eax, %eax
	ret

probe_load_ds:
	movw %di, %ds
	/* Not reached with a bad selector; restore the kernel's if it worked. */
	movw $0x10, %ax
	movw %ax, %ds
	xorl %eax, %eax
	ret

probe_call:
	/* The fault happens at the target, outside the probes: it is fixed up
	 * only because the return address on the stack points back here. */
	call *%rdi
probe_call_return:
	xorl %eax, %eax
	ret

probe_fixup:
	movq $-1, %rax
	ret
probe_end:

	.section .note.GNU-stack,"",@progbits
