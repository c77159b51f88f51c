/*
 * mm.h — the kernel's memory: physical frames, its own page tables, and the
 * heap behind kmalloc.  See mm/layout.h for the address space.
 */
#ifndef COOP_MM_MM_H
#define COOP_MM_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "mm/frame.h"
#include "mm/pagetable.h"
#include "mm/stacks.h"

/*
 * Builds the frame allocator from the memory map, builds fresh page tables
 * (W^X image, direct map, framebuffer, guard pages), switches CR3 to them,
 * reclaims boot-services and loader memory, and starts the heap design
 * named by `heap` ("bump", "list" or "block").
 * The framebuffer is mapped (write-combining) only if someone draws on it:
 * then `fb_moved` is called with its new address at the moment of the CR3
 * switch, before anything else can print.  NULL: leave it unmapped.
 * Precondition: nothing reads boot-services or loader memory afterwards
 * (the low identity map is gone too: keep a copy of the boot info).
 */
void mm_init(const struct boot_info *bi, const char *heap, void (*fb_moved)(void *virt));

/* The frame allocator, under its lock: safe on any CPU. */
uint64_t mm_frame_alloc(void);
int mm_frame_free(uint64_t pa);
void mm_frame_stats(struct frame_stats *out);
/* Bytes of frames mapped under the heap now. */
uint64_t mm_heap_mapped_bytes(void);
/* The allocator itself, for tests that hold no other CPU to race them. */
struct frame_allocator *mm_frames(void);
struct pt_ctx *mm_kernel_pt(void);
void *mm_phys_to_virt(uint64_t pa);
/* What mm_init turned on, for tests and the boot log. */
bool mm_has_1g_pages(void);
uint64_t mm_direct_map_size(void);

/* Maps the kernel's address space into @pt as mm_init did into the live
 * tables (image and guard pages, direct map, framebuffer; the heap maps
 * itself as it grows): for tests that build it another way, e.g. with
 * five levels.  @pt's callbacks and level count are the caller's. */
void mm_build_tables(struct pt_ctx *pt, const struct boot_info *bi);

/* Loads the kernel's tables into CR3 and turns on the protections that need
 * them (SMEP, SMAP) — mm_init's own step, for tests that changed CR3. */
void mm_load_kernel_tables(void);

/* Remaps the framebuffer with PT_WC, PT_UC or 0 (write-back), for the
 * blit benchmark.  False if there is no framebuffer, or PT_WC without
 * PAT. */
bool mm_framebuffer_set_caching(unsigned cache_flag);

/* Maps device registers at [pa, pa + size) uncached and read-write (never
 * executable) in the MMIO window; the same range asked again gets the same
 * mapping.  NULL, after a log line, if that cannot be done. */
volatile void *mm_map_mmio(uint64_t pa, uint64_t size);
/* Firmware tables (ACPI) at [pa, pa + size), read-only: through the direct
 * map where it reaches, else mapped in the MMIO window.  NULL if not. */
const void *mm_map_firmware_table(uint64_t pa, uint64_t size);

/* Maps the firmware's runtime regions at their physical addresses (W+X:
 * only for the final ResetSystem call) and returns the runtime services
 * table, or NULL.  See kernel_mm.c. */
const void *mm_map_firmware_runtime(const struct boot_info *bi);

/* pt_map / pt_unmap on the kernel's tables, under their lock, on any CPU
 * (an unmap reaches every CPU's TLB: layout.h). */
int mm_map(uintptr_t va, uint64_t pa, uint64_t size, unsigned flags);
int mm_unmap(uintptr_t va, uint64_t size);

/* The four stacks of another CPU (mm/stacks.h's ids), each above an
 * unmapped guard page, in slot `slot` of the CPU-stacks window (layout.h),
 * on fresh frames.  False if out of memory or slots. */
struct cpu_stacks {
	uintptr_t guard[KSTACK_COUNT], bottom[KSTACK_COUNT], top[KSTACK_COUNT];
};
bool mm_map_cpu_stacks(unsigned slot, struct cpu_stacks *out);
/* The CPU start-up trampoline's page, mapped at its own (low) address,
 * read-only and executable, while the other CPUs start; then unmapped
 * (with a TLB shootdown: they ran through it). */
void mm_map_trampoline(uint64_t pa);
void mm_unmap_trampoline(uint64_t pa);

/* Prints frame and heap statistics (the shell's `mem`). */
void mm_print_stats(void);

#endif
