/*
 * ap_boot.S — how an AP gets from its start-up IPI to C.
 *
 * ap_tramp_start .. ap_tramp_end is copied to the trampoline page (below
 * 1 MiB) and patched there by hal/smp/smp.c: the fields at the end hold
 * the page's own address where an absolute one is needed.  The SIPI starts
 * the AP in real mode at CS = page >> 4, IP = 0.  It then:
 *
 *   real mode    load the trampoline's GDT, set CR0.PE, far jump
 *   32-bit       PAE (and LA57 if the boot CPU uses 5 levels), CR3 = the
 *                kernel's tables, EFER.LME (and NXE, or NX bits would be
 *                reserved bits), CR0.PG and WP: long mode, compatibility
 *                submode; far jump into the 64-bit code segment
 *   64-bit       jump to ap_entry64 in the kernel image, through an
 *                absolute address (the trampoline page is mapped at its
 *                own address in the kernel's tables, so it is still there
 *                after CR3 is loaded)
 *
 * ap_entry64 finds this CPU's slot by its APIC id and calls ap_start(slot)
 * on the slot's stack.  Every AP runs this at the same time: nothing here
 * writes memory, and each uses its own stack from the first push.
 */

#define TR(x) ((x) - ap_tramp_start)
#define CR0_PE 0x1
#define CR0_WP 0x10000
#define CR0_PG 0x80000000
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100

	.text
	.globl ap_tramp_start, ap_tramp_end
	.hidden ap_tramp_start, ap_tramp_end
	.globl ap_tr_gdtr, ap_tr_jump32, ap_tr_jump64, ap_tr_cr3, ap_tr_cr4, ap_tr_efer, ap_tr_entry
	.hidden ap_tr_gdtr, ap_tr_jump32, ap_tr_jump64, ap_tr_cr3, ap_tr_cr4, ap_tr_efer, ap_tr_entry
	.code16
ap_tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movzwl %ax, %ebx
	shll $4, %ebx			/* ebx = the page's physical address */
	lgdtl TR(ap_tr_gdtr)
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl *TR(ap_tr_jump32)

	.code32
ap_tramp_32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl TR(ap_tr_cr4)(%ebx), %eax
	movl %eax, %cr4
	movl TR(ap_tr_cr3)(%ebx), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl TR(ap_tr_efer)(%ebx), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	ljmpl *TR(ap_tr_jump64)(%ebx)

	.code64
ap_tramp_64:
	movl %ebx, %ebx			/* upper halves are undefined after the switch */
	movq TR(ap_tr_entry)(%rbx), %rax
	jmpq *%rax

	/* Patched by smp.c before the SIPI. */
	.balign 8
ap_tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
ap_tr_gdtr:
	.word 4 * 8 - 1
	.long TR(ap_tr_gdt)		/* + page */
ap_tr_jump32:
	.long TR(ap_tramp_32)		/* + page */
	.word 0x08
ap_tr_jump64:
	.long TR(ap_tramp_64)		/* + page */
	.word 0x18
	.balign 8
ap_tr_cr3:
	.long 0
ap_tr_cr4:
	.long 0				/* PAE, and LA57 with 5-level tables */
ap_tr_efer:
	.long EFER_LME			/* | NXE */
	.long 0
ap_tr_entry:
	.quad 0				/* ap_entry64 */
ap_tramp_end:

/*
 * ap_entry64: long mode, kernel page tables, no stack yet.  The slot whose
 * APIC id is ours (CPUID leaf 0Bh's x2APIC id where the CPU has the leaf,
 * else leaf 1's 8-bit initial APIC id) has our stack.
 */
	.globl ap_entry64
	.hidden ap_entry64
ap_entry64:
	xorl %eax, %eax
	cpuid
	cmpl $0xb, %eax
	jb 1f
	movl $0xb, %eax
	xorl %ecx, %ecx
	cpuid
	testl %ebx, %ebx		/* leaf 0Bh present: EBX counts CPUs */
	jz 1f
	movl %edx, %esi			/* x2APIC id */
	jmp 2f
1:	movl $1, %eax
	cpuid
	shrl $24, %ebx
	movl %ebx, %esi			/* initial APIC id */
2:	leaq ap_boot_slots(%rip), %rdi
	movl ap_boot_count(%rip), %ecx
3:	testl %ecx, %ecx
	jz 4f
	cmpl (%rdi), %esi		/* slot.apic_id */
	je 5f
	addq $24, %rdi
	decl %ecx
	jmp 3b
4:	cli				/* no slot for us: stay out of the way */
	hlt
	jmp 4b
5:	movq 8(%rdi), %rsp		/* slot.stack_top */
	movq 16(%rdi), %rdi		/* slot.ap */
	xorl %ebp, %ebp			/* backtraces stop here */
	call ap_start
	ud2

	.section .note.GNU-stack,"",@progbits
