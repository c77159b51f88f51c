/*
 * gop_mode.h — choosing a GOP mode and describing its framebuffer, as plain
 * C over the two GOP calls it needs, so it builds for the host: efi/gop.c
 * supplies the real protocol, test/host/efi_gop.c a fake one.
 */
#ifndef COOP_EFI_GOP_MODE_H
#define COOP_EFI_GOP_MODE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/boot_info.h"

/* EFI_GRAPHICS_PIXEL_FORMAT, numbered as the UEFI spec numbers it. */
enum gop_pixel_format { GOP_RGBX = 0, GOP_BGRX = 1, GOP_BITMASK = 2, GOP_BLT_ONLY = 3 };

struct gop_mode {
	uint32_t width, height, pixels_per_scanline;
	uint32_t format; /* enum gop_pixel_format, or anything else (unusable) */
	uint32_t red_mask, green_mask, blue_mask, reserved_mask;
};

struct fw_gop {
	uint32_t modes; /* MaxMode */
	/* QueryMode: describes @mode into *m; *buffer is the firmware's copy,
	 * which release() must give back.  False if the firmware refused. */
	bool (*query)(void *ctx, uint32_t mode, struct gop_mode *m, void **buffer);
	void (*release)(void *ctx, void *buffer); /* FreePool */
	void *ctx;
};

#define GOP_MAX_WIDTH 1920
#define GOP_MAX_HEIGHT 1080

/*
 * gop_choose - the mode to use: the one @want_width x @want_height names
 * (0 0: none asked for), else the largest drawable one within
 * GOP_MAX_WIDTH x GOP_MAX_HEIGHT.  Blit-only and unknown formats are never
 * chosen.  *wish_missing says a wish was made and not found.  Every buffer
 * the firmware hands out is given back.  Returns the mode, or -1.
 */
int64_t gop_choose(const struct fw_gop *gop, uint32_t want_width, uint32_t want_height,
		   bool *wish_missing);

/*
 * gop_framebuffer - @fb for mode @m at @base, @size bytes; false (with a
 * reason in *why, @fb BOOT_FB_NONE) if it is no framebuffer the kernel can
 * draw on: blit-only, no base, masks that overlap or are empty, a pitch
 * below the width, or @size short of pitch * height * bytes per pixel.
 * Bytes per pixel are 4 for RGBX and BGRX, and for bit-mask modes the bytes
 * the masks span (3 for the 24-bit modes of -vga cirrus, 2 for 5:6:5).
 */
bool gop_framebuffer(const struct gop_mode *m, uint64_t base, uint64_t size,
		     struct boot_fb *fb, const char **why);

#endif
