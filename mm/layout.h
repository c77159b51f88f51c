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
 *                        | unmapped (firmware runtime     | mapped VA == PA, W+X code/data
 *                        |  regions only on the way out)  | and UC NX MMIO, before ResetSystem
 *  0xffff_8000_0000_0000 +--------------------------------+ DIRECT_MAP_BASE
 *                        | RAM: VA = PA + base    RW NX   | write-back RAM types of the map
 *                        |  - the image's frames  R  NX   | only (mm/physmap.c); large pages
 *                        |  - holes, MMIO, the            | (1 GiB, 2 MiB) only wholly inside
 *                        |    framebuffer: unmapped       | RAM; no frame W here and X there
 *                        | up to the highest RAM address, | frames above 64 TiB are never
 *                        | at most DIRECT_MAP_MAX_SIZE    | handed out (mm/frame.h)
 *  0xffff_c000_0000_0000 +--------------------------------+ HEAP_BASE
 *                        | kernel heap            RW NX   | 4 KiB pages, mapped as it
 *                        |  [block heap: chunk class map] | grows, unmapped as it shrinks
 *                        | up to its limit: free RAM less | (mm/heap_pages.c, mm/kmalloc.c)
 *                        | page tables and a reserve      |
 *  0xffff_d000_0000_0000 +--------------------------------+ CPU_STACKS_BASE
 *                        | the other CPUs' stacks RW NX   | one 256 KiB slot per CPU
 *                        |  |- guard page (unmapped)      | started (mm_map_cpu_stacks):
 *                        |  |- kernel stack 64 KiB        | the same four stacks as the
 *                        |  |- guard, #DF stack 16 KiB    | boot CPU's, each above a
 *                        |  |- guard, NMI stack 16 KiB    | guard page
 *                        |  |- guard, #MC stack 16 KiB    |
 *  0xffff_e000_0000_0000 +--------------------------------+ FRAMEBUFFER_BASE
 *                        | GOP framebuffer        RW NX   | write-combining (PAT 1);
 *                        +--------------------------------+ uncached without PAT
 *                        | unmapped                       |
 *  0xffff_f000_0000_0000 +--------------------------------+ MMIO_BASE
 *                        | device registers       RW NX   | uncached: local APIC, IOAPICs,
 *                        |                                | HPET (mm_map_mmio)
 *                        | firmware tables        R  NX   | ACPI tables the direct map
 *                        | up to MMIO_MAX_SIZE            | does not reach
 *                        +--------------------------------+
 *
 * No page is both writable and executable, and no frame is writable through
 * one mapping and executable through another (test/kernel/mm.c audits the
 * live tables).  The low half holds nothing but the image: the firmware's
 * identity map is gone once the kernel loads its own CR3.  If the firmware
 * left 5-level paging on (CR4.LA57), the same 48-bit layout sits in the
 * first and last entries of a PML5 (mm/pagetable.h).  (While the
 * other CPUs start, one more page is there: the start-up trampoline below
 * 1 MiB, mapped at its own address, read-only and executable; it is
 * unmapped once they run, with a TLB shootdown.)
 *
 * TLB shootdowns: every CPU runs these same tables.  A change that removes
 * or narrows a mapping after the other CPUs run (pt_unmap, pt_protect: the
 * heap giving pages back, the trampoline going, the framebuffer's caching)
 * reaches every CPU's TLB: the invalidate hook flushes this CPU's entry at
 * once and widens a pending range, and releasing the frames-and-page-tables
 * lock sends one tlb_shootdown() (hal/smp/tlb.h) for the range, before any
 * frame freed under the lock can be handed out again (mm/kernel_mm.c).
 * Frames freed under that lock go to the pool, never to a CPU's frame
 * cache (mm/frame_cache.h), which nothing would hold back until then.
 * New mappings (pt_map) need none.
 */
#ifndef COOP_MM_LAYOUT_H
#define COOP_MM_LAYOUT_H

#define PAGE_SIZE 4096ull
#define DIRECT_MAP_BASE 0xffff800000000000ull
#define DIRECT_MAP_MAX_SIZE 0x0000400000000000ull /* 64 TiB */
#define HEAP_BASE 0xffffc00000000000ull
#define HEAP_MAX_SIZE 0x0000100000000000ull /* 16 TiB of address space */
#define HEAP_INITIAL_SIZE (1024 * 1024ull)
#define CPU_STACKS_BASE 0xffffd00000000000ull
#define CPU_STACKS_SLOT (256 * 1024ull)
#define FRAMEBUFFER_BASE 0xffffe00000000000ull
#define MMIO_BASE 0xfffff00000000000ull
#define MMIO_MAX_SIZE 0x0000010000000000ull /* 1 TiB of address space */

#endif
