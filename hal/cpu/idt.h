/*
 * idt.h — the interrupt descriptor table: all 256 vectors point at the
 * generated stubs, which all end in trap_dispatch().
 */
#ifndef COOP_HAL_IDT_H
#define COOP_HAL_IDT_H

void idt_init(void);

#endif
