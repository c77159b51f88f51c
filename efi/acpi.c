/*
 * acpi.c — finds the ACPI root pointer in the UEFI configuration table, for
 * the kernel's later use.  ACPI 2.0+ (XSDT) is preferred over 1.0 (RSDT).
 */
#include "efi/loader.h"

static bool guid_equal(const EFI_GUID *a, const EFI_GUID *b)
{
	const UINT8 *x = (const UINT8 *)a, *y = (const UINT8 *)b;
	for (unsigned i = 0; i < sizeof(EFI_GUID); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

void efi_find_rsdp(EFI_SYSTEM_TABLE *st, struct boot_info *bi)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		if (guid_equal(&t->VendorGuid, &acpi20)) {
			bi->rsdp = (uint64_t)(uintptr_t)t->VendorTable;
			bi->rsdp_revision = 2;
			return;
		}
		if (guid_equal(&t->VendorGuid, &acpi10) && !bi->rsdp)
			bi->rsdp = (uint64_t)(uintptr_t)t->VendorTable;
	}
}
