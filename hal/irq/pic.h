/*
 * pic.h — the legacy 8259 PIC pair, cascaded: IRQ 0-7 on the primary, 8-15
 * on the secondary (wired to the primary's IRQ 2), remapped to vectors
 * 32-47 so they no longer collide with CPU exceptions.
 */
#ifndef COOP_HAL_PIC_H
#define COOP_HAL_PIC_H

#include <stdbool.h>
#include <stdint.h>

#define PIC_VECTOR_BASE 32
#define PIC_IRQ_COUNT 16

/* Remaps both PICs and masks every line but the cascade (IRQ 2). */
void pic_init(void);
/* Masks every line, the cascade too (APIC mode: the 8259 stays silent). */
void pic_mask_all(void);
/* True if an 8259 answers: its mask register reads back what was written.
 * (QEMU's `-machine q35,pic=off` has none; the ports then read 0xff.) */
bool pic_present(void);
void pic_mask(unsigned irq);
void pic_unmask(unsigned irq);
uint16_t pic_get_mask(void);
/* Acknowledges irq: the secondary first for 8-15, then the primary. */
void pic_eoi(unsigned irq);
/*
 * IRQ 7 and 15 also arrive when a request vanished before the CPU
 * acknowledged it.  Such a spurious IRQ has no In-Service bit set, must not
 * get an EOI from its own PIC (the secondary's needs one on the primary for
 * the cascade).  Returns true if irq was spurious and has been dealt with.
 */
bool pic_handle_spurious(unsigned irq);
uint16_t pic_read_isr(void);
/* The Interrupt Mask Registers, read back from both PICs. */
uint16_t pic_read_imr(void);

#endif
