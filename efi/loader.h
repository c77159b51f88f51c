/*
 * loader.h — the UEFI loader (efi/): gathers what the kernel needs from the
 * firmware, exits boot services, and hands a struct boot_info to kernel_main.
 * This is the only module that includes efi.h or calls boot services.
 */
#ifndef COOP_EFI_LOADER_H
#define COOP_EFI_LOADER_H

#include <efi.h>
#include <stdbool.h>

#include "kernel/boot_info.h"

/* efi/console.c — the firmware text console, usable until ExitBootServices. */
void efi_console_init(EFI_SYSTEM_TABLE *st);
void efi_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "efi: <what> failed: EFI_<NAME> (0x...)". */
void efi_report(const char *what, EFI_STATUS status);
const char *efi_status_name(EFI_STATUS status);

/* efi/gop.c — picks a graphics mode; records "no framebuffer" if there is
 * no GOP or it is blit-only.  `cmdline` may request video=WxH. */
void efi_gop_setup(EFI_BOOT_SERVICES *bs, const char *cmdline, struct boot_fb *fb);

/* efi/cmdline.c — LoadOptions if they hold text, else \EFI\BOOT\CMDLINE.TXT. */
void efi_cmdline_read(EFI_BOOT_SERVICES *bs, EFI_LOADED_IMAGE *image, struct boot_info *bi);

/* efi/acpi.c — the RSDP from the configuration table (ACPI 2.0 preferred). */
void efi_find_rsdp(EFI_SYSTEM_TABLE *st, struct boot_info *bi);

/* efi/memmap.c — the real boot services behind efi/exit.c: the boot info
 * and map buffer are allocated first, and boot services exited last. */
EFI_STATUS efi_alloc_boot_data(EFI_BOOT_SERVICES *bs, struct boot_info **bi);
EFI_STATUS efi_exit_boot_services(EFI_BOOT_SERVICES *bs, EFI_HANDLE image,
				  struct boot_info *bi);

#endif
