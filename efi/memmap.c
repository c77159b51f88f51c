/*
 * memmap.c — the boot services behind efi/exit.c: GetMemoryMap,
 * AllocatePages, FreePages and ExitBootServices, and the firmware console
 * for reports, wrapped as plain C.
 */
#include "efi/exit.h"
#include "efi/loader.h"

struct fw_ctx {
	EFI_BOOT_SERVICES *bs;
	EFI_HANDLE image;
};

static fw_status get_map(void *ctx, uint64_t *size, void *buf, uint64_t *key,
			 uint64_t *desc_size, uint32_t *desc_version)
{
	struct fw_ctx *c = ctx;
	UINTN sz = *size, k = 0, ds = *desc_size;
	UINT32 dv = 0;
	EFI_STATUS st = c->bs->GetMemoryMap(&sz, buf, &k, &ds, &dv);

	*size = sz;
	*key = k;
	*desc_size = ds;
	*desc_version = dv;
	return st;
}

static fw_status alloc_pages(void *ctx, uint64_t pages, uint64_t *addr)
{
	struct fw_ctx *c = ctx;
	EFI_PHYSICAL_ADDRESS a = 0;
	EFI_STATUS st = c->bs->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &a);

	*addr = a;
	return st;
}

static fw_status free_pages(void *ctx, uint64_t addr, uint64_t pages)
{
	struct fw_ctx *c = ctx;

	return c->bs->FreePages(addr, pages);
}

static fw_status exit_bs(void *ctx, uint64_t key)
{
	struct fw_ctx *c = ctx;

	return c->bs->ExitBootServices(c->image, key);
}

static void report(void *ctx, const char *what, fw_status status)
{
	(void)ctx;
	efi_report(what, status);
}

static struct fw_ctx ctx;
static struct fw_memory fw = {
	.get_map = get_map,
	.alloc_pages = alloc_pages,
	.free_pages = free_pages,
	.exit = exit_bs,
	.report = report,
	.ctx = &ctx,
};

EFI_STATUS efi_alloc_boot_data(EFI_BOOT_SERVICES *bs, struct boot_info **bi)
{
	ctx.bs = bs;
	return exit_alloc_boot_data(&fw, bi);
}

EFI_STATUS efi_exit_boot_services(EFI_BOOT_SERVICES *bs, EFI_HANDLE image,
				  struct boot_info *bi)
{
	ctx.bs = bs;
	ctx.image = image;
	return exit_boot_services(&fw, bi);
}
