/*
 * gop.c — chooses a graphics mode through the Graphics Output Protocol.
 *
 * The largest mode no bigger than 1920x1080 wins, unless the command line
 * asks for video=WxH.  Blit-only modes have no framebuffer the kernel could
 * draw into after ExitBootServices, so they are never chosen; if nothing
 * usable exists, the kernel runs serial-only.
 */
#include "efi/loader.h"

#define GOP_MAX_WIDTH 1920
#define GOP_MAX_HEIGHT 1080

struct mode_wish {
	UINT32 width, height; /* 0 0: no video= on the command line */
};

/* Parses a decimal number; returns the position after it. */
static const char *parse_uint(const char *s, UINT32 *out)
{
	UINT32 v = 0;
	while (*s >= '0' && *s <= '9' && v < 100000)
		v = v * 10 + (UINT32)(*s++ - '0');
	*out = v;
	return s;
}

/* Finds video=WxH among the space-separated tokens. */
static struct mode_wish parse_video(const char *cmdline)
{
	struct mode_wish w = { 0, 0 };
	for (const char *p = cmdline; *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || p[0] != 'v' || p[1] != 'i' ||
		    p[2] != 'd' || p[3] != 'e' || p[4] != 'o' || p[5] != '=')
			continue;
		const char *q = parse_uint(p + 6, &w.width);
		if (*q == 'x')
			q = parse_uint(q + 1, &w.height);
		if ((*q != ' ' && *q != '\0') || !w.width || !w.height) {
			efi_print("efi: ignoring malformed video= (want video=WIDTHxHEIGHT)\n");
			w.width = w.height = 0;
		}
	}
	return w;
}

static bool drawable(const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info)
{
	return info->PixelFormat == PixelRedGreenBlueReserved8BitPerColor ||
	       info->PixelFormat == PixelBlueGreenRedReserved8BitPerColor ||
	       info->PixelFormat == PixelBitMask;
}

/* The mode to use: an exact video= match, else the largest within the cap. */
static INT64 choose_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, struct mode_wish wish)
{
	INT64 best = -1, exact = -1;
	UINT64 best_area = 0;

	for (UINT32 m = 0; m < gop->Mode->MaxMode; m++) {
		EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;
		UINTN size;
		if (gop->QueryMode(gop, m, &size, &info) != EFI_SUCCESS || !drawable(info))
			continue;
		UINT32 w = info->HorizontalResolution, h = info->VerticalResolution;
		if (w == wish.width && h == wish.height)
			exact = m;
		if (w <= GOP_MAX_WIDTH && h <= GOP_MAX_HEIGHT && (UINT64)w * h > best_area) {
			best = m;
			best_area = (UINT64)w * h;
		}
	}
	if (wish.width && exact < 0)
		efi_print("efi: video=%ux%u is not offered by the firmware; using the default\n",
			  wish.width, wish.height);
	return exact >= 0 ? exact : best;
}

static void record_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, struct boot_fb *fb)
{
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;

	fb->base = gop->Mode->FrameBufferBase;
	fb->size = gop->Mode->FrameBufferSize;
	fb->width = info->HorizontalResolution;
	fb->height = info->VerticalResolution;
	fb->pixels_per_scanline = info->PixelsPerScanLine;
	switch (info->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		fb->format = BOOT_FB_RGBX;
		break;
	case PixelBlueGreenRedReserved8BitPerColor:
		fb->format = BOOT_FB_BGRX;
		break;
	case PixelBitMask:
		fb->format = BOOT_FB_BITMASK;
		fb->red_mask = info->PixelInformation.RedMask;
		fb->green_mask = info->PixelInformation.GreenMask;
		fb->blue_mask = info->PixelInformation.BlueMask;
		fb->reserved_mask = info->PixelInformation.ReservedMask;
		break;
	default:
		fb->format = BOOT_FB_NONE;
	}
	if (!fb->base || fb->format == BOOT_FB_NONE)
		fb->format = BOOT_FB_NONE;
}

void efi_gop_setup(EFI_BOOT_SERVICES *bs, const char *cmdline, struct boot_fb *fb)
{
	EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_STATUS st;

	fb->format = BOOT_FB_NONE;
	st = bs->LocateProtocol(&gop_guid, NULL, (void **)&gop);
	if (st != EFI_SUCCESS || !gop || !gop->Mode) {
		efi_print("efi: no Graphics Output Protocol: the console will be serial-only\n");
		return;
	}
	INT64 mode = choose_mode(gop, parse_video(cmdline));
	if (mode < 0) {
		efi_print("efi: GOP offers only blit-only modes: the console will be serial-only\n");
		return;
	}
	if ((UINT32)mode != gop->Mode->Mode) {
		st = gop->SetMode(gop, (UINT32)mode);
		if (st != EFI_SUCCESS)
			efi_report("GOP SetMode (keeping the current mode)", st);
	}
	record_mode(gop, fb);
	if (fb->format == BOOT_FB_NONE)
		efi_print("efi: the current GOP mode has no framebuffer: serial-only console\n");
}
