/*
 * memmap.c — the memory map and ExitBootServices, done the robust way.
 *
 * ExitBootServices needs the key of the *current* memory map, and any
 * allocation changes the map.  So: probe the map's size, allocate one block
 * for the boot info and a map buffer with slack for the descriptors our own
 * allocation adds, and allocate nothing after the final GetMemoryMap.  If the
 * key still went stale (a firmware timer event can allocate), ExitBootServices
 * returns EFI_INVALID_PARAMETER: fetch the map again into the same buffer and
 * retry.
 */
#include "efi/loader.h"

#define MAP_SLACK_DESCRIPTORS 32
#define EXIT_TRIES 4
#define PAGE_SIZE 4096

EFI_STATUS efi_alloc_boot_data(EFI_BOOT_SERVICES *bs, struct boot_info **bi,
			       void **map_buf, UINTN *map_cap)
{
	UINTN size = 0, key, desc_size;
	UINT32 desc_version;
	EFI_PHYSICAL_ADDRESS addr;
	EFI_STATUS st;

	st = bs->GetMemoryMap(&size, NULL, &key, &desc_size, &desc_version);
	if (st != EFI_BUFFER_TOO_SMALL) {
		efi_report("GetMemoryMap (probing its size)", st);
		return st == EFI_SUCCESS ? EFI_LOAD_ERROR : st;
	}
	*map_cap = size + MAP_SLACK_DESCRIPTORS * desc_size;

	UINTN bytes = sizeof(struct boot_info) + *map_cap;
	UINTN pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	st = bs->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &addr);
	if (st != EFI_SUCCESS) {
		efi_report("AllocatePages for the boot info", st);
		return st;
	}
	bs->SetMem((void *)(uintptr_t)addr, pages * PAGE_SIZE, 0);
	*bi = (struct boot_info *)(uintptr_t)addr;
	*map_buf = (char *)*bi + sizeof(struct boot_info);
	(*bi)->boot_data.base = addr;
	(*bi)->boot_data.size = pages * PAGE_SIZE;
	return EFI_SUCCESS;
}

EFI_STATUS efi_exit_boot_services(EFI_BOOT_SERVICES *bs, EFI_HANDLE image,
				  struct boot_info *bi, void *map_buf, UINTN map_cap)
{
	UINTN size, key, desc_size;
	UINT32 desc_version;
	EFI_STATUS st = EFI_LOAD_ERROR;

	for (unsigned try = 1; try <= EXIT_TRIES; try++) {
		size = map_cap;
		st = bs->GetMemoryMap(&size, map_buf, &key, &desc_size, &desc_version);
		if (st != EFI_SUCCESS)
			break;
		st = bs->ExitBootServices(image, key);
		if (st == EFI_SUCCESS) {
			bi->memmap.base = (uint64_t)(uintptr_t)map_buf;
			bi->memmap.size = size;
			bi->memmap.desc_size = desc_size;
			bi->memmap.desc_version = desc_version;
			bi->exit_boot_services_tries = try;
			return EFI_SUCCESS;
		}
		if (st != EFI_INVALID_PARAMETER)
			break;
	}
	/* Boot services are still up after a failed ExitBootServices, so the
	 * firmware console can still say what went wrong. */
	efi_report("ExitBootServices", st);
	return st;
}
