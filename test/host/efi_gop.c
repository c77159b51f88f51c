/*
 * efi/gop_mode.c against a fake Graphics Output Protocol: which mode is
 * chosen, that every mode description the firmware allocated is given back,
 * and which framebuffers are accepted, with how many bytes per pixel.
 */
#include <stdlib.h>

#include "efi/gop_mode.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(efi_gop, KTEST_HOST_ONLY);

static const struct gop_mode *modes;
static unsigned outstanding, queries;

static bool fake_query(void *ctx, uint32_t mode, struct gop_mode *m, void **buffer)
{
	(void)ctx;
	*m = modes[mode];
	*buffer = malloc(48); /* as QueryMode allocates from pool */
	outstanding++;
	queries++;
	return true;
}

static void fake_release(void *ctx, void *buffer)
{
	(void)ctx;
	free(buffer);
	outstanding--;
}

#define BGRX(w, h) { w, h, w, GOP_BGRX, 0, 0, 0, 0 }
#define MASK24(w, h) { w, h, w, GOP_BITMASK, 0xff0000, 0xff00, 0xff, 0 }

static int64_t choose(const struct gop_mode *list, uint32_t n, uint32_t w, uint32_t h,
		      bool *missing)
{
	struct fw_gop gop = { n, fake_query, fake_release, NULL };

	modes = list;
	outstanding = queries = 0;
	return gop_choose(&gop, w, h, missing);
}

/* Issue 16 item 13: QueryMode's buffers were never freed. */
KTEST(efi_gop, largest_mode_within_the_cap_and_every_buffer_back)
{
	static const struct gop_mode list[] = {
		BGRX(640, 480), { 800, 600, 800, GOP_BLT_ONLY, 0, 0, 0, 0 },
		BGRX(2560, 1600), MASK24(1024, 768), BGRX(1920, 1080), BGRX(1280, 1024),
	};
	bool missing;

	EXPECT_EQ(choose(list, 6, 0, 0, &missing), 4);
	EXPECT_FALSE(missing);
	EXPECT_EQ(queries, 6);
	EXPECT_EQ(outstanding, 0);
	EXPECT_EQ(choose(list, 6, 1024, 768, &missing), 3); /* asked for: 24-bit is fine */
	EXPECT_EQ(choose(list, 6, 2560, 1600, &missing), 2); /* asked for: past the cap */
	EXPECT_EQ(choose(list, 6, 800, 600, &missing), 4);   /* blit-only: never */
	EXPECT_TRUE(missing);
	EXPECT_EQ(outstanding, 0);
	EXPECT_EQ(choose(list + 1, 1, 0, 0, &missing), -1);
}

static bool fb_of(struct gop_mode m, uint64_t size, struct boot_fb *fb)
{
	const char *why = NULL;
	bool ok = gop_framebuffer(&m, 0x80000000, size, fb, &why);

	return ok && !why;
}

/* Item 10: bytes per pixel come from the masks, and the size must cover
 * pitch x height of them. */
KTEST(efi_gop, framebuffer_bytes_per_pixel_and_size)
{
	struct boot_fb fb;

	ASSERT_TRUE(fb_of((struct gop_mode)BGRX(1920, 1080), 1920 * 1080 * 4, &fb));
	EXPECT_EQ(fb.format, BOOT_FB_BGRX);
	EXPECT_EQ(fb.bytes_per_pixel, 4);
	ASSERT_TRUE(fb_of((struct gop_mode)MASK24(1024, 768), 1024 * 768 * 3, &fb));
	EXPECT_EQ(fb.format, BOOT_FB_BITMASK);
	EXPECT_EQ(fb.bytes_per_pixel, 3);
	EXPECT_EQ(fb.red_mask, 0xff0000);
	ASSERT_TRUE(fb_of((struct gop_mode){ 800, 600, 832, GOP_BITMASK, 0xf800, 0x7e0, 0x1f, 0 },
			  832 * 600 * 2, &fb));
	EXPECT_EQ(fb.bytes_per_pixel, 2);
	ASSERT_TRUE(fb_of((struct gop_mode){ 800, 600, 800, GOP_BITMASK, 0xff, 0xff00, 0xff0000,
					     0xff000000 }, 800 * 600 * 4, &fb));
	EXPECT_EQ(fb.bytes_per_pixel, 4);
	/* Too small for what the mode says; an impossible pitch; bad masks. */
	EXPECT_FALSE(fb_of((struct gop_mode)BGRX(1920, 1080), 1920 * 1080 * 4 - 1, &fb));
	EXPECT_EQ(fb.format, BOOT_FB_NONE);
	EXPECT_FALSE(fb_of((struct gop_mode)MASK24(1024, 768), 1024 * 768 * 3 - 4096, &fb));
	EXPECT_FALSE(fb_of((struct gop_mode){ 800, 600, 640, GOP_BGRX, 0, 0, 0, 0 }, 1 << 24,
			   &fb));
	EXPECT_FALSE(fb_of((struct gop_mode){ 800, 600, 800, GOP_BITMASK, 0xff0000, 0xff00, 0, 0 },
			   1 << 24, &fb));
	EXPECT_FALSE(fb_of((struct gop_mode){ 800, 600, 800, GOP_BITMASK, 0xff0000, 0xff8000,
					      0xff, 0 }, 1 << 24, &fb));
	EXPECT_FALSE(fb_of((struct gop_mode){ 800, 600, 800, GOP_BLT_ONLY, 0, 0, 0, 0 }, 1 << 24,
			   &fb));
}
