/*
 * gop.c — chooses a graphics mode through the Graphics Output Protocol.
 *
 * The largest mode no bigger than 1920x1080 wins, unless the command line
 * asks for video=WxH (found by the same tokenizer the kernel uses).
 * Blit-only modes have no framebuffer the kernel could draw into after
 * ExitBootServices, so they are never chosen; if nothing usable exists, the
 * kernel runs serial-only.
 */
#include "efi/gop_mode.h"
#include "efi/loader.h"

struct mode_wish {
	UINT32 width, height; /* 0 0: no video= on the command line */
};

/* Parses a decimal number of 1..5 digits; returns the position after it, or
 * NULL if there is none. */
static const char *parse_uint(const char *s, UINT32 *out)
{
	const char *start = s;
	UINT32 v = 0;

	while (*s >= '0' && *s <= '9' && s - start < 5)
		v = v * 10 + (UINT32)(*s++ - '0');
	*out = v;
	return s > start ? s : NULL;
}

/* video=WIDTHxHEIGHT, the value as the shared tokenizer cut it out. */
static struct mode_wish parse_video(const char *video)
{
	struct mode_wish w = { 0, 0 };
	const char *q;

	if (!video)
		return w;
	q = parse_uint(video, &w.width);
	if (q && *q == 'x')
		q = parse_uint(q + 1, &w.height);
	else
		q = NULL;
	if (!q || *q || !w.width || !w.height) {
		efi_warn("efi: video=%s is not WIDTHxHEIGHT (such as video=1024x768); "
			 "using the default mode", video);
		w.width = w.height = 0;
	}
	return w;
}

/* QueryMode, as efi/gop_mode.c wants it. */
struct gop_ctx {
	EFI_BOOT_SERVICES *bs;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
};

static void plain_mode(const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info, struct gop_mode *m)
{
	*m = (struct gop_mode){
		.width = info->HorizontalResolution,
		.height = info->VerticalResolution,
		.pixels_per_scanline = info->PixelsPerScanLine,
		.format = info->PixelFormat,
		.red_mask = info->PixelInformation.RedMask,
		.green_mask = info->PixelInformation.GreenMask,
		.blue_mask = info->PixelInformation.BlueMask,
		.reserved_mask = info->PixelInformation.ReservedMask,
	};
}

static bool query(void *ctx, uint32_t mode, struct gop_mode *m, void **buffer)
{
	struct gop_ctx *c = ctx;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = NULL;
	UINTN size;

	if (c->gop->QueryMode(c->gop, mode, &size, &info) != EFI_SUCCESS || !info)
		return false;
	plain_mode(info, m);
	*buffer = info;
	return true;
}

/* QueryMode allocates the description from pool: hand it back. */
static void release(void *ctx, void *buffer)
{
	struct gop_ctx *c = ctx;

	c->bs->FreePool(buffer);
}

static void record_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, struct boot_fb *fb)
{
	struct gop_mode m;
	const char *why;

	plain_mode(gop->Mode->Info, &m);
	if (!gop_framebuffer(&m, gop->Mode->FrameBufferBase, gop->Mode->FrameBufferSize, fb,
			     &why))
		efi_warn("efi: GOP mode %ux%u unusable: %s; the console will be serial-only",
			 m.width, m.height, why);
}

void efi_gop_setup(EFI_BOOT_SERVICES *bs, const char *video, struct boot_fb *fb)
{
	EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_STATUS st;

	fb->format = BOOT_FB_NONE;
	st = bs->LocateProtocol(&gop_guid, NULL, (void **)&gop);
	if (st != EFI_SUCCESS || !gop || !gop->Mode) {
		efi_warn("efi: no Graphics Output Protocol: the console will be serial-only");
		return;
	}
	struct mode_wish wish = parse_video(video);
	struct gop_ctx ctx = { bs, gop };
	struct fw_gop fw = { gop->Mode->MaxMode, query, release, &ctx };
	bool missing;
	int64_t mode = gop_choose(&fw, wish.width, wish.height, &missing);
	if (missing)
		efi_warn("efi: video=%ux%u is not offered by the firmware; using the default",
			 wish.width, wish.height);
	if (mode < 0) {
		efi_warn("efi: GOP offers only blit-only modes: the console will be serial-only");
		return;
	}
	if ((UINT32)mode != gop->Mode->Mode) {
		st = gop->SetMode(gop, (UINT32)mode);
		if (st != EFI_SUCCESS)
			efi_report("GOP SetMode (keeping the current mode)", st);
	}
	record_mode(gop, fb);
}
