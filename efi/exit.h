/*
 * exit.h — the final memory map and ExitBootServices, written as plain C
 * over the few boot services they need, so the logic builds for the host:
 * efi/memmap.c supplies the real services, test/host/efi_exit.c a fake
 * firmware whose map grows and whose keys go stale on cue.
 */
#ifndef COOP_EFI_EXIT_H
#define COOP_EFI_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/boot_info.h"

/* UEFI status codes (UEFI 2.10, appendix D), as the services return them. */
typedef uint64_t fw_status;
#define FW_SUCCESS 0ull
#define FW_ERROR(n) ((1ull << 63) | (n))
#define FW_LOAD_ERROR FW_ERROR(1)
#define FW_INVALID_PARAMETER FW_ERROR(2)
#define FW_BUFFER_TOO_SMALL FW_ERROR(5)
#define FW_DEVICE_ERROR FW_ERROR(7)
#define FW_OUT_OF_RESOURCES FW_ERROR(9)

/* The boot services the exit uses.  Sizes are bytes; pages are 4 KiB. */
struct fw_memory {
	fw_status (*get_map)(void *ctx, uint64_t *size, void *buf, uint64_t *key,
			     uint64_t *desc_size, uint32_t *desc_version);
	/* EfiLoaderData pages anywhere; *addr gets their physical address. */
	fw_status (*alloc_pages)(void *ctx, uint64_t pages, uint64_t *addr);
	fw_status (*free_pages)(void *ctx, uint64_t addr, uint64_t pages);
	fw_status (*exit)(void *ctx, uint64_t key);
	/* The firmware console: "efi: <what> failed: <status>".  Only until
	 * the first exit call. */
	void (*report)(void *ctx, const char *what, fw_status status);
	void *ctx;
};

#define EXIT_MAP_SLACK 32 /* spare descriptors in every map buffer */

/*
 * exit_alloc_boot_data - probe the map's size and allocate, in one block,
 * the boot info (zeroed) and a map buffer with EXIT_MAP_SLACK spare
 * descriptors.  Everything else the loader allocates must come before the
 * final map; this is the last allocation the normal path makes.
 */
fw_status exit_alloc_boot_data(struct fw_memory *fw, struct boot_info **bi);

/*
 * exit_boot_services - fetch the final map into the buffer and exit boot
 * services.  Fills bi->memmap and bi->exit_boot_services_tries.  On
 * failure, returns the status, and bi->loader_failed names the call that
 * failed (bi->loader_status has its status).
 */
fw_status exit_boot_services(struct fw_memory *fw, struct boot_info *bi);

#endif
