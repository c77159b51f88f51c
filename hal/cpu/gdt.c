/*
 * gdt.c — descriptor encodings follow the Intel SDM vol. 3, 3.4.5 (segment
 * descriptors) and 7.2.3 (the 64-bit TSS descriptor, 16 bytes).
 */
#include "hal/cpu/gdt.h"

#include "hal/cpu/percpu.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss) == 104, "64-bit TSS is 104 bytes");

struct gdt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Code: present, DPL 0, executable, readable, L (64-bit).  Data: present,
 * writable.  Base and limit are ignored in long mode. */
#define SEG_KERNEL_CODE 0x00af9a000000ffffull
#define SEG_KERNEL_DATA 0x00cf92000000ffffull
#define TSS_TYPE_AVAILABLE 0x89ull /* present, type 9: available 64-bit TSS */

/* One of each per CPU: the TSS holds this CPU's IST stacks, and `ltr`
 * marks its descriptor busy, so CPUs cannot share a GDT entry for it. */
static HAL_PER_CPU struct tss tss;
static HAL_PER_CPU __typeof__(uint64_t[5]) gdt __attribute__((aligned(16)));

static void set_tss_descriptor(uint64_t *slot, const struct tss *t)
{
	uint64_t base = (uint64_t)(uintptr_t)t, limit = sizeof *t - 1;
	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (TSS_TYPE_AVAILABLE << 40) |
		  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

static void load_segments(const uint64_t *table)
{
	struct gdt_pointer gp = { 5 * sizeof(uint64_t) - 1, (uint64_t)(uintptr_t)table };
	__asm__ volatile(
		"lgdt %0\n\t"
		/* CS can only change through a far transfer: fake a far return. */
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ss\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%fs\n\t"
		"movw %%ax, %%gs\n\t"
		"ltr %w3"
		:
		: "m"(gp), "i"(GDT_KERNEL_CODE), "r"((uint64_t)GDT_KERNEL_DATA),
		  "r"((uint64_t)GDT_TSS)
		: "rax", "memory");
}

void gdt_init(const uintptr_t ist_tops[IST_COUNT])
{
	/* lgdt and the TSS descriptor need real addresses: this CPU's copies. */
	struct tss *t = percpu_ptr((uintptr_t)&tss);
	uint64_t *table = percpu_ptr((uintptr_t)&gdt);

	for (int i = 0; i < IST_COUNT; i++)
		t->ist[i] = ist_tops[i];
	t->iomap_base = sizeof *t; /* no I/O permission bitmap */
	table[0] = 0;
	table[1] = SEG_KERNEL_CODE;
	table[2] = SEG_KERNEL_DATA;
	set_tss_descriptor(&table[3], t);
	/* Loading GS in long mode sets its base from the descriptor (0): put
	 * this CPU's per-CPU base back at once, before anything reads it. */
	const struct hal_cpu *self = hal_this_cpu.self;
	load_segments(table);
	percpu_load(self);
}

void gdt_describe(struct gdt_info *out)
{
	struct gdt_pointer gp;
	uint16_t tr;

	__asm__ volatile("sgdt %0" : "=m"(gp));
	__asm__ volatile("str %0" : "=r"(tr));
	out->gdt_base = gp.base;
	out->tr = tr;
	/* The TSS's address, back out of its descriptor. */
	const uint64_t *d = (const uint64_t *)(uintptr_t)(gp.base + (tr & ~7u));
	const struct tss *t = (const struct tss *)(uintptr_t)(((d[0] >> 16) & 0xffffff) |
							     (((d[0] >> 56) & 0xff) << 24) |
							     (d[1] << 32));
	out->tss_base = (uintptr_t)t;
	for (int i = 0; i < IST_COUNT; i++)
		out->ist[i] = t->ist[i];
}
