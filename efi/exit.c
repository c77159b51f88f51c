/*
 * exit.c — the memory map and ExitBootServices (see exit.h), done the way
 * UEFI 2.10 7.4 asks:
 *
 *  - Any allocation changes the map and its key, so the boot info and the
 *    map buffer are allocated first, with room for EXIT_MAP_SLACK more
 *    descriptors, and nothing is allocated between the final GetMemoryMap
 *    and ExitBootServices.
 *  - If the key went stale anyway (a firmware event allocated),
 *    ExitBootServices says EFI_INVALID_PARAMETER: fetch the map again and
 *    retry.
 *  - If the map outgrew the buffer (EFI_BUFFER_TOO_SMALL), allocate a
 *    bigger one and go on.  That is allowed even after a failed
 *    ExitBootServices: from then on only GetMemoryMap, the memory allocation
 *    services and ExitBootServices may be called.  So nothing is printed
 *    after the first exit call either: a failure is named in the boot info,
 *    and the kernel reports it.
 */
#include "efi/exit.h"

#include "kernel/lib/string.h"

#define EXIT_TRIES 8    /* ExitBootServices calls */
#define REALLOCATIONS 4 /* bigger map buffers */
#define PAGE_SIZE 4096
/* sizeof(EFI_MEMORY_DESCRIPTOR) is 40; firmware strides are 48 in practice. */
#define DEFAULT_DESC_SIZE 48

static uint64_t pages_for(uint64_t bytes)
{
	return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* The stride to plan for: what the firmware said, if it said anything. */
static uint64_t stride(uint64_t desc_size)
{
	return desc_size >= sizeof(struct boot_mem_desc) ? desc_size : DEFAULT_DESC_SIZE;
}

fw_status exit_alloc_boot_data(struct fw_memory *fw, struct boot_info **bi)
{
	uint64_t size = 0, key = 0, desc_size = 0, addr = 0;
	uint32_t desc_version = 0;
	fw_status st;

	st = fw->get_map(fw->ctx, &size, NULL, &key, &desc_size, &desc_version);
	if (st != FW_BUFFER_TOO_SMALL) {
		fw->report(fw->ctx, "GetMemoryMap (probing its size)", st);
		return st == FW_SUCCESS ? FW_LOAD_ERROR : st;
	}
	uint64_t cap = size + EXIT_MAP_SLACK * stride(desc_size);
	uint64_t pages = pages_for(sizeof(struct boot_info) + cap);
	st = fw->alloc_pages(fw->ctx, pages, &addr);
	if (st != FW_SUCCESS) {
		fw->report(fw->ctx, "AllocatePages for the boot info", st);
		return st;
	}
	memset((void *)(uintptr_t)addr, 0, pages * PAGE_SIZE);
	*bi = (struct boot_info *)(uintptr_t)addr;
	(*bi)->boot_data.base = addr;
	(*bi)->boot_data.size = pages * PAGE_SIZE;
	(*bi)->memmap.base = addr + sizeof(struct boot_info);
	(*bi)->memmap_capacity = pages * PAGE_SIZE - sizeof(struct boot_info);
	return FW_SUCCESS;
}

/* Records which call failed; prints it too while that is still allowed. */
static fw_status fail(struct fw_memory *fw, struct boot_info *bi, bool exit_called,
		      const char *what, fw_status st)
{
	size_t n = strlen(what);

	if (n >= sizeof bi->loader_failed)
		n = sizeof bi->loader_failed - 1;
	memcpy(bi->loader_failed, what, n);
	bi->loader_failed[n] = '\0';
	bi->loader_status = st;
	if (!exit_called)
		fw->report(fw->ctx, what, st);
	return st;
}

/* A map buffer for @size bytes plus slack; the old one goes back unless it
 * is part of the boot info's block. */
static fw_status grow_buffer(struct fw_memory *fw, struct boot_info *bi, uint64_t size,
			     uint64_t desc_size)
{
	uint64_t cap = size + EXIT_MAP_SLACK * stride(desc_size), addr = 0;
	fw_status st = fw->alloc_pages(fw->ctx, pages_for(cap), &addr);

	if (st != FW_SUCCESS)
		return st;
	if (bi->memmap.base != bi->boot_data.base + sizeof(struct boot_info))
		fw->free_pages(fw->ctx, bi->memmap.base, pages_for(bi->memmap_capacity));
	bi->memmap.base = addr;
	bi->memmap_capacity = pages_for(cap) * PAGE_SIZE;
	bi->memmap_reallocations++;
	return FW_SUCCESS;
}

fw_status exit_boot_services(struct fw_memory *fw, struct boot_info *bi)
{
	uint64_t size, key = 0, desc_size = 0;
	uint32_t desc_version = 0;
	unsigned tries = 0;
	fw_status st = FW_LOAD_ERROR;

	while (tries < EXIT_TRIES) {
		size = bi->memmap_capacity;
		st = fw->get_map(fw->ctx, &size, (void *)(uintptr_t)bi->memmap.base, &key,
				 &desc_size, &desc_version);
		if (st == FW_BUFFER_TOO_SMALL && bi->memmap_reallocations < REALLOCATIONS) {
			st = grow_buffer(fw, bi, size, desc_size);
			if (st != FW_SUCCESS)
				return fail(fw, bi, tries, "AllocatePages for the memory map", st);
			continue;
		}
		if (st != FW_SUCCESS)
			return fail(fw, bi, tries, "GetMemoryMap", st);
		tries++;
		bi->exit_boot_services_tries = tries;
		st = fw->exit(fw->ctx, key);
		if (st == FW_SUCCESS) {
			bi->memmap.size = size;
			bi->memmap.desc_size = desc_size;
			bi->memmap.desc_version = desc_version;
			return FW_SUCCESS;
		}
		if (st != FW_INVALID_PARAMETER)
			break;
	}
	return fail(fw, bi, true, "ExitBootServices", st);
}
