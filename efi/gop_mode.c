/*
 * gop_mode.c — the GOP mode choice and the framebuffer it gives (see
 * gop_mode.h).
 */
#include "efi/gop_mode.h"

#include "kernel/lib/string.h"

static bool drawable(const struct gop_mode *m)
{
	return m->format == GOP_RGBX || m->format == GOP_BGRX || m->format == GOP_BITMASK;
}

int64_t gop_choose(const struct fw_gop *gop, uint32_t want_width, uint32_t want_height,
		   bool *wish_missing)
{
	int64_t best = -1, exact = -1;
	uint64_t best_area = 0;

	for (uint32_t mode = 0; mode < gop->modes; mode++) {
		struct gop_mode m;
		void *buffer = NULL;
		if (!gop->query(gop->ctx, mode, &m, &buffer))
			continue;
		gop->release(gop->ctx, buffer); /* *m is our copy */
		if (!drawable(&m))
			continue;
		if (m.width == want_width && m.height == want_height)
			exact = mode;
		if (m.width <= GOP_MAX_WIDTH && m.height <= GOP_MAX_HEIGHT &&
		    (uint64_t)m.width * m.height > best_area) {
			best = mode;
			best_area = (uint64_t)m.width * m.height;
		}
	}
	*wish_missing = want_width && exact < 0;
	return exact >= 0 ? exact : best;
}

/* Bytes per pixel of a bit-mask mode: as many as the masks reach into;
 * 0 if they are empty, overlap, or reach past 32 bits. */
static uint32_t mask_bytes(const struct gop_mode *m)
{
	uint64_t all = (uint64_t)m->red_mask | m->green_mask | m->blue_mask | m->reserved_mask;
	uint64_t sum = (uint64_t)m->red_mask + m->green_mask + m->blue_mask + m->reserved_mask;

	if (!m->red_mask || !m->green_mask || !m->blue_mask || all != sum)
		return 0; /* an empty colour, or two masks sharing a bit */
	return (64u - (uint32_t)__builtin_clzll(all) + 7) / 8;
}

static bool refuse(struct boot_fb *fb, const char **why, const char *reason)
{
	fb->format = BOOT_FB_NONE;
	*why = reason;
	return false;
}

bool gop_framebuffer(const struct gop_mode *m, uint64_t base, uint64_t size,
		     struct boot_fb *fb, const char **why)
{
	memset(fb, 0, sizeof *fb);
	fb->base = base;
	fb->size = size;
	fb->width = m->width;
	fb->height = m->height;
	fb->pixels_per_scanline = m->pixels_per_scanline;
	switch (m->format) {
	case GOP_RGBX:
		fb->format = BOOT_FB_RGBX;
		fb->bytes_per_pixel = 4;
		break;
	case GOP_BGRX:
		fb->format = BOOT_FB_BGRX;
		fb->bytes_per_pixel = 4;
		break;
	case GOP_BITMASK:
		fb->format = BOOT_FB_BITMASK;
		fb->red_mask = m->red_mask;
		fb->green_mask = m->green_mask;
		fb->blue_mask = m->blue_mask;
		fb->reserved_mask = m->reserved_mask;
		fb->bytes_per_pixel = mask_bytes(m);
		if (!fb->bytes_per_pixel)
			return refuse(fb, why, "its pixel masks are empty or overlap");
		break;
	default:
		return refuse(fb, why, "it has no framebuffer (blit-only)");
	}
	if (!base)
		return refuse(fb, why, "its framebuffer address is 0");
	if (!m->width || !m->height || m->pixels_per_scanline < m->width)
		return refuse(fb, why, "its geometry is impossible (pitch below width)");
	uint64_t need = (uint64_t)m->pixels_per_scanline * m->height * fb->bytes_per_pixel;
	if (size < need)
		return refuse(fb, why, "its framebuffer is smaller than pitch x height");
	return true;
}
