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
#include "kernel/lib/cmdline.h"

/* efi/console.c — the firmware text console, usable until ExitBootServices. */
void efi_console_init(EFI_SYSTEM_TABLE *st);
void efi_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints one warning line (the newline is added) and keeps it for the kernel. */
void efi_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Copies the kept warnings into bi->loader_warnings. */
void efi_warnings_copy(struct boot_info *bi);
/* Prints "efi: <what> failed: EFI_<NAME> (0x...)". */
void efi_report(const char *what, EFI_STATUS status);
const char *efi_status_name(EFI_STATUS status);

/* efi/gop.c — picks a graphics mode; records "no framebuffer" if there is
 * no GOP or it is blit-only.  `video` is the value of video=, or NULL. */
void efi_gop_setup(EFI_BOOT_SERVICES *bs, const char *video, struct boot_fb *fb);

/* efi/cmdline.c — LoadOptions if they hold text, else \EFI\BOOT\CMDLINE.TXT,
 * decoded into bi->cmdline; returns the loader's keys parsed from it, quietly
 * (the kernel parses it again and warns about what it does not like). */
const struct cmdline *efi_cmdline_read(EFI_BOOT_SERVICES *bs, EFI_LOADED_IMAGE *image,
				       struct boot_info *bi);

/* efi/debug.c — with gdb=wait, waits for `make debug` to attach. */
void efi_wait_for_debugger(const char *gdb, uint64_t image_base);

/* efi/acpi.c — the RSDP from the configuration table (ACPI 2.0 preferred). */
void efi_find_rsdp(EFI_SYSTEM_TABLE *st, struct boot_info *bi);

/* efi/trampoline.c — a page below 1 MiB for the other CPUs' start-up code
 * (bi->ap_trampoline; 0 if the firmware has none to give). */
void efi_reserve_ap_trampoline(EFI_BOOT_SERVICES *bs, struct boot_info *bi);

/* efi/memmap.c — the real boot services behind efi/exit.c: the boot info
 * and map buffer are allocated first, and boot services exited last. */
EFI_STATUS efi_alloc_boot_data(EFI_BOOT_SERVICES *bs, struct boot_info **bi);
EFI_STATUS efi_exit_boot_services(EFI_BOOT_SERVICES *bs, EFI_HANDLE image,
				  struct boot_info *bi);

#endif
