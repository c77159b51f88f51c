/*
 * vectors.h — who owns each of the 256 interrupt vectors.
 *
 *     0 -  31  CPU exceptions (hal/cpu/exception.c)
 *    32 -  47  the 8259 pair, IRQ 0-15.  In PIC mode these are the ISA
 *              lines; in APIC mode the 8259 is remapped here and fully
 *              masked, so only its spurious IRQ 7 and 15 can arrive, and
 *              they land somewhere known
 *    48 -  63  ISA IRQ 0-15 through the IOAPIC (APIC mode)
 *    64 - 223  free: for PCI lines, and MSIs (irq_register_msi hands them
 *              out from the bottom)
 *   224 - 239  inter-processor interrupts (hal/smp/):
 *              224  wake: ends a halt, nothing else (hal_cpu_wake)
 *              225  TLB shootdown (hal/smp/tlb.c)
 *   240        local APIC timer
 *   241        local APIC error
 *   254        a test vector (self-IPIs in the irq tests)
 *   255        local APIC spurious (its low four bits must be 1s on the
 *              oldest APICs, SDM 11.9)
 *
 * The local APIC ranks interrupts by vector / 16: the timer and the APIC's
 * own vectors sit above every device.
 */
#ifndef COOP_HAL_IRQ_VECTORS_H
#define COOP_HAL_IRQ_VECTORS_H

#define VEC_PIC_BASE 32
#define VEC_ISA_BASE 48
#define VEC_DYNAMIC_FIRST 64
#define VEC_DYNAMIC_LAST 223
#define VEC_IPI_FIRST 224
#define VEC_IPI_LAST 239
#define VEC_IPI_WAKE 224
#define VEC_IPI_TLB 225
#define VEC_LAPIC_TIMER 240
#define VEC_LAPIC_ERROR 241
#define VEC_TEST 254
#define VEC_LAPIC_SPURIOUS 255

#define ISA_IRQ_COUNT 16

#endif
