/*
 * meminfo.h — a summary of the UEFI memory map, for the boot log and for
 * sizing the frame allocator.
 */
#ifndef COOP_KERNEL_MEMINFO_H
#define COOP_KERNEL_MEMINFO_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"

#define MEMINFO_ERR_DESC_SIZE -1 /* desc_size too small or not 8-aligned */
#define MEMINFO_ERR_MAP_SIZE -2  /* map_size not a multiple of desc_size */

struct meminfo {
	/* conventional + boot services code/data + loader code/data: what the
	 * kernel may reuse once it no longer needs the loader's data */
	uint64_t usable_bytes;
	uint64_t conventional_bytes, reserved_bytes, runtime_bytes, acpi_bytes, mmio_bytes;
	uint64_t other_bytes; /* unusable, PAL, persistent, unaccepted, OEM/OS types */
	uint64_t bytes_by_type[BOOT_MEM_TYPE_COUNT];
	uint64_t highest_usable_end; /* one past the last usable byte */
	unsigned descriptors, bad_descriptors;
};

/**
 * meminfo_summarise - add up the @map_size bytes of descriptors at @descs,
 * which are @desc_size bytes apart (desc_size may exceed the struct).
 * Returns 0; MEMINFO_ERR_DESC_SIZE (and an empty summary) if @desc_size is
 * below sizeof(struct boot_mem_desc) or not a multiple of 8;
 * MEMINFO_ERR_MAP_SIZE if @map_size has a partial descriptor at the end
 * (the whole ones are still summarised and the partial one counted bad).
 * Descriptors whose size or end overflows 64 bits are counted bad and
 * skipped; totals saturate at UINT64_MAX rather than wrap.  @descs must be 8-byte aligned.
 */
int meminfo_summarise(struct meminfo *m, const void *descs, uint64_t map_size,
		      uint64_t desc_size);
/* Descriptor @i of a map with stride @desc_size. */
const struct boot_mem_desc *meminfo_desc(const void *descs, uint64_t desc_size, size_t i);
/* "conventional", "boot-services-data", ...; "oem" for types we do not know. */
const char *meminfo_type_name(uint32_t type);
/* @bytes for people: "0 B", "640 KiB", "1.5 GiB" (one decimal, rounded down,
 * dropped when zero).  Integer arithmetic only. */
void meminfo_format_size(char *buf, size_t n, uint64_t bytes);

#endif
