/*
 * trampoline.c — one page below 1 MiB for the kernel to start the other
 * CPUs from.
 *
 * A start-up IPI starts a CPU in real mode at a page whose number is the
 * IPI's 8-bit vector: the page must lie below 1 MiB, and below the VGA and
 * BIOS area at 0xA0000 in practice.  Only boot services can hand out such a
 * page safely (the kernel does not know what the firmware left there), so
 * the loader reserves it now.  Page 0 is refused: the kernel keeps it
 * unmapped so that NULL dereferences fault.
 */
#include "efi/loader.h"

#define LOW_LIMIT 0x9ffffull /* the highest address the page may reach */

void efi_reserve_ap_trampoline(EFI_BOOT_SERVICES *bs, struct boot_info *bi)
{
	EFI_PHYSICAL_ADDRESS addr = LOW_LIMIT, zero_page = 0;
	EFI_STATUS st = bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, 1, &addr);

	if (st == EFI_SUCCESS && addr == 0) {
		zero_page = addr;
		addr = LOW_LIMIT;
		st = bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, 1, &addr);
		bs->FreePages(zero_page, 1);
	}
	if (st != EFI_SUCCESS) {
		efi_report("AllocatePages below 1 MiB (for starting the other CPUs)", st);
		return;
	}
	bi->ap_trampoline = addr;
}
