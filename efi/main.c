/*
 * main.c — efi_main, the firmware's entry into BOOTX64.EFI.
 *
 * Reads like the loader's checklist: everything the kernel needs from the
 * firmware is gathered here, in this order, and then boot services end.
 */
#include "efi/loader.h"

extern char __bss_start[], __bss_end[];

/* EDK2's PE loader zero-fills uninitialised sections; older loaders were
 * not all so careful, and nothing may have run from .bss yet. */
static void zero_bss(void)
{
	for (char *p = __bss_start; p < __bss_end; p++)
		*p = 0;
}

EFI_STATUS efi_main(EFI_HANDLE image_handle, EFI_SYSTEM_TABLE *st)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *image;
	struct boot_info *bi;
	EFI_STATUS status;

	zero_bss();
	efi_console_init(st);
	status = bs->HandleProtocol(image_handle, &loaded_image_guid, (void **)&image);
	if (status != EFI_SUCCESS) {
		efi_report("HandleProtocol(LoadedImage)", status);
		return status;
	}
	/* For `make debug`: gdb needs to know where the image was relocated to. */
	efi_print("efi: coop loader, image base 0x%llx\n",
		  (unsigned long long)(uintptr_t)image->ImageBase);

	/* Allocates the boot info and the map buffer: all later steps only fill them. */
	status = efi_alloc_boot_data(bs, &bi);
	if (status != EFI_SUCCESS)
		return status;
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof *bi;
	bi->image.base = (uint64_t)(uintptr_t)image->ImageBase;
	bi->image.size = image->ImageSize;
	bi->efi_runtime_services = (uint64_t)(uintptr_t)st->RuntimeServices;

	const struct cmdline *args = efi_cmdline_read(bs, image, bi);
	efi_wait_for_debugger(cmdline_get(args, "gdb"), bi->image.base);
	efi_gop_setup(bs, cmdline_get(args, "video"), &bi->fb);
	efi_find_rsdp(st, bi);
	efi_reserve_ap_trampoline(bs, bi);
	efi_warnings_copy(bi);  /* the last warning is behind us */

	/* No boot service may be called after this, even if it fails: the
	 * kernel then reports the failure (bi->loader_failed) and halts. */
	efi_exit_boot_services(bs, image_handle, bi);
	kernel_main(bi);
}
