/*
 * pic.c — 8259A programming, per the Intel 8259A datasheet and the OSDev
 * wiki "8259 PIC" page.
 */
#include "hal/irq/pic.h"

#include "hal/io.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11 /* initialise, cascade mode, ICW4 follows */
#define ICW4_8086 0x01
#define CASCADE_IRQ 2
#define OCW3_READ_ISR 0x0b
#define EOI 0x20

static uint16_t mask = 0xffff;

static void write_mask(void)
{
	outb(PIC1_DATA, mask & 0xff);
	outb(PIC2_DATA, mask >> 8);
}

void pic_init(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector offsets */
	io_wait();
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	io_wait();
	outb(PIC1_DATA, 1 << CASCADE_IRQ); /* ICW3: secondary on IRQ 2 */
	io_wait();
	outb(PIC2_DATA, CASCADE_IRQ); /* ICW3: secondary's cascade identity */
	io_wait();
	outb(PIC1_DATA, ICW4_8086);
	io_wait();
	outb(PIC2_DATA, ICW4_8086);
	io_wait();
	/* Everything masked, except the cascade line itself. */
	mask = (uint16_t)~(1u << CASCADE_IRQ);
	write_mask();
}

void pic_mask_all(void)
{
	mask = 0xffff;
	write_mask();
}

bool pic_present(void)
{
	bool answers = true;

	for (unsigned i = 0; i < 2; i++) {
		uint8_t probe = i ? 0x5a : 0xa5;
		outb(PIC1_DATA, probe);
		answers &= inb(PIC1_DATA) == probe;
	}
	write_mask();
	return answers;
}

void pic_mask(unsigned irq)
{
	mask |= (uint16_t)(1u << irq);
	write_mask();
}

void pic_unmask(unsigned irq)
{
	mask &= (uint16_t)~(1u << irq);
	write_mask();
}

uint16_t pic_get_mask(void)
{
	return mask;
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, EOI);
	outb(PIC1_CMD, EOI);
}

static uint16_t read_register(uint8_t ocw3)
{
	outb(PIC1_CMD, ocw3);
	outb(PIC2_CMD, ocw3);
	return (uint16_t)(inb(PIC1_CMD) | (inb(PIC2_CMD) << 8));
}

uint16_t pic_read_isr(void)
{
	return read_register(OCW3_READ_ISR);
}

uint16_t pic_read_imr(void)
{
	return (uint16_t)(inb(PIC1_DATA) | (inb(PIC2_DATA) << 8));
}

bool pic_handle_spurious(unsigned irq)
{
	if (irq != 7 && irq != 15)
		return false;
	if (pic_read_isr() & (1u << irq))
		return false;
	/* The primary did see a real request on the cascade line. */
	if (irq == 15)
		outb(PIC1_CMD, EOI);
	return true;
}
