/*
 * layout.h — the kernel's virtual address space, in one picture.
 *
 *  0x0000_0000_0000_0000 +--------------------------------+
 *                        | page 0: never mapped           | NULL dereferences fault
 *  0x0000_0000_0000_1000 +--------------------------------+
 *                        | unmapped                       |
 *  ImageBase (as loaded) +--------------------------------+ VA == PA: UEFI loaded and
 *                        | headers, .reloc        R  NX   | relocated BOOTX64.EFI here,
 *                        | .text                  R  X    | so the kernel stays put
 *                        | .rodata (+ksyms,tests) R  NX   |
 *                        | .data + .bss           RW NX   |
 *                        |  |- guard page  (unmapped)     | below each stack:
 *                        |  |- boot stack  64 KiB         |   mm/stacks.c
 *                        |  |- guard page  (unmapped)     |
 *                        |  |- IST stacks  16 KiB each    |   #DF, NMI, #MC
 *                        | .dynamic .rela .dynsym R  NX   |
 *                        +--------------------------------+
 *                        | unmapped                       |
 *  0xffff_8000_0000_0000 +--------------------------------+ DIRECT_MAP_BASE
 *                        | all RAM: VA = PA + base RW NX  | 1 GiB pages if the CPU has
 *                        | up to the highest RAM address  | them, else 2 MiB
 *  0xffff_c000_0000_0000 +--------------------------------+ HEAP_BASE
 *                        | kernel heap            RW NX   | 4 KiB pages, mapped as it
 *                        | grows up to HEAP_MAX_SIZE      | grows (mm/kernel_mm.c)
 *  0xffff_e000_0000_0000 +--------------------------------+ FRAMEBUFFER_BASE
 *                        | GOP framebuffer        RW NX   | write-combining (PAT 1)
 *                        +--------------------------------+
 *                        | unmapped                       |
 *  0xffff_f000_0000_0000 +--------------------------------+ MMIO_BASE
 *                        | device registers       RW NX   | uncached: local APIC, IOAPICs,
 *                        |                                | HPET (mm_map_mmio)
 *                        | firmware tables        R  NX   | ACPI tables the direct map
 *                        | up to MMIO_MAX_SIZE            | does not reach
 *                        +--------------------------------+
 *
 * No page is both writable and executable (test/kernel/mm.c audits the
 * live tables).  The low half holds nothing but the image: the firmware's
 * identity map is gone once the kernel loads its own CR3.
 */
#ifndef COOP_MM_LAYOUT_H
#define COOP_MM_LAYOUT_H

#define PAGE_SIZE 4096ull
#define DIRECT_MAP_BASE 0xffff800000000000ull
#define DIRECT_MAP_MAX_SIZE 0x0000400000000000ull /* 64 TiB */
#define HEAP_BASE 0xffffc00000000000ull
#define HEAP_MAX_SIZE 0x0000100000000000ull /* 16 TiB of address space */
#define HEAP_INITIAL_SIZE (1024 * 1024ull)
#define FRAMEBUFFER_BASE 0xffffe00000000000ull
#define MMIO_BASE 0xfffff00000000000ull
#define MMIO_MAX_SIZE 0x0000010000000000ull /* 1 TiB of address space */

#endif
