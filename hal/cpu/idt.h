/*
 * idt.h — the interrupt descriptor table: all 256 vectors point at the
 * generated stubs, which all end in trap_dispatch().
 */
#ifndef COOP_HAL_IDT_H
#define COOP_HAL_IDT_H

/* Fills the table (once, on the boot CPU) and loads it. */
void idt_init(void);
/* Loads the table on this CPU (the other CPUs share it). */
void idt_load(void);

#endif
