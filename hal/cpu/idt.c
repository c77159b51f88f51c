/*
 * idt.c — gate layout from the Intel SDM vol. 3, 6.14.1 (64-bit IDT gates).
 * Every gate is an interrupt gate (the CPU clears IF on entry), so handlers
 * start with interrupts off and the kernel decides when to allow nesting.
 */
#include "hal/cpu/idt.h"

#include "hal/cpu/gdt.h"
#include "hal/cpu/trap.h"

#define VEC_NMI 2
#define VEC_DOUBLE_FAULT 8
#define VEC_MACHINE_CHECK 18
#define GATE_INTERRUPT_DPL0 0x8e

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

static uint8_t ist_for(unsigned vector)
{
	switch (vector) {
	case VEC_DOUBLE_FAULT: return IST_DOUBLE_FAULT;
	case VEC_NMI: return IST_NMI;
	case VEC_MACHINE_CHECK: return IST_MACHINE_CHECK;
	default: return 0;
	}
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t entry = (uint64_t)(uintptr_t)(isr_stubs + v * ISR_STUB_SIZE);
		idt[v] = (struct idt_gate){
			.offset_low = entry & 0xffff,
			.selector = GDT_KERNEL_CODE,
			.ist = ist_for(v),
			.type_attr = GATE_INTERRUPT_DPL0,
			.offset_mid = (entry >> 16) & 0xffff,
			.offset_high = entry >> 32,
		};
	}
	idt_load();
}

/* The IDT is shared: every CPU loads the same table. */
void idt_load(void)
{
	struct idt_pointer ip = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" ::"m"(ip) : "memory");
}
