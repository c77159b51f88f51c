/*
 * physmap.h — what of the physical address space the kernel maps, read from
 * the UEFI memory map: the direct map of RAM, and the firmware's runtime
 * regions for the final ResetSystem call.
 *
 * Portable: it reads a memory map and calls the page-table mapper, so host
 * tests check the mappings it makes over fake physical memory.
 */
#ifndef COOP_MM_PHYSMAP_H
#define COOP_MM_PHYSMAP_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "mm/pagetable.h"

struct physmap_src {
	const void *descs; /* the UEFI map: map_size bytes, desc_size apart */
	uint64_t map_size, desc_size;
	uint64_t highest_ram; /* frame_highest_address() */
};

/*
 * physmap_direct - map physical memory at @base + pa, read-write, global,
 * no-execute, up to @limit bytes of physical address space.
 * @readonly: ranges mapped read-only instead; @excluded: ranges left out.
 * Returns 0 or a pt error; *mapped gets how far the direct map reaches.
 */
int physmap_direct(struct pt_ctx *pt, uintptr_t base, const struct physmap_src *src,
		   uint64_t limit, const struct boot_range *readonly, size_t nreadonly,
		   const struct boot_range *excluded, size_t nexcluded, uint64_t *mapped);

/*
 * physmap_firmware_runtime - map the firmware's runtime regions at their
 * physical addresses, as its code expects without SetVirtualAddressMap.
 * Regions already mapped are left as they are.
 */
void physmap_firmware_runtime(struct pt_ctx *pt, const struct physmap_src *src);

#endif
