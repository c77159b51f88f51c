/* Tests of kernel/conrender: pixel formats, exact glyph pixels, pitch, and
 * that a sync redraws only the cells that changed. */
#include "kernel/console/conrender.h"
#include "kernel/console/fonts.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(conrender);

/* An odd-sized screen: 5x3 cells of 8x16 plus spare pixels, pitch > width. */
#define W 43
#define H 53
#define PITCH 50
#define POISON 0xDEADBEEFu
static uint32_t fb_mem[PITCH * H];
static unsigned bpp = 4; /* of the framebuffer under test */
static struct con_cell drawn[CON_MAX_COLS * CON_MAX_ROWS];
static struct con_cell cells[5 * 3];
static struct psf_font font;
static struct congrid grid;
static struct conrender rend;

static struct boot_fb make_fb(uint32_t format)
{
	struct boot_fb fb = { .base = 0x80000000, .size = sizeof fb_mem, .width = W,
			      .height = H, .pixels_per_scanline = PITCH, .format = format };
	bpp = 4;
	return fb;
}

/* Pixel (x, y) of the framebuffer under test, whatever its bytes per pixel. */
static uint32_t px(unsigned x, unsigned y)
{
	const uint8_t *p = (const uint8_t *)fb_mem + ((size_t)y * PITCH + x) * bpp;
	uint32_t v = 0;

	for (unsigned i = 0; i < bpp; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint32_t poison_value(void)
{
	return bpp == 4 ? POISON : POISON & ((1u << (8 * bpp)) - 1);
}

static void poison(void)
{
	uint8_t *p = (uint8_t *)fb_mem;

	for (size_t i = 0; i < (size_t)PITCH * H * bpp; i++)
		p[i] = (uint8_t)(POISON >> (8 * (i % bpp)));
}

/* Sets up font, grid and renderer for @fb; returns conrender_init's result. */
static int setup(const struct boot_fb *fb)
{
	if (psf_parse(&font, font_terminus16, font_terminus16_len))
		return -100;
	poison();
	int r = conrender_init(&rend, fb, fb_mem, &font, drawn, sizeof drawn / sizeof *drawn);
	congrid_init(&grid, cells, 5, 3);
	return r;
}


/* Checks every pixel of cell @col,@row against the font bits of @cp, with
 * the packed palette colours @fg and @bg; returns the number of mismatches.
 * The bottom @cursor_rows rows are expected in @fg (the cursor). */
static unsigned cell_mismatches(const struct boot_fb *fb, unsigned col, unsigned row,
				uint32_t cp, enum con_color fg, enum con_color bg,
				unsigned cursor_rows)
{
	uint32_t f = conrender_palette_rgb(fg), b = conrender_palette_rgb(bg);
	uint32_t fgp = conrender_pack(fb, f >> 16, (f >> 8) & 0xff, f & 0xff);
	uint32_t bgp = conrender_pack(fb, b >> 16, (b >> 8) & 0xff, b & 0xff);
	const uint8_t *g = psf_glyph(&font, psf_glyph_index(&font, cp));
	unsigned bad = 0;

	for (unsigned y = 0; y < 16; y++)
		for (unsigned x = 0; x < 8; x++) {
			bool on = (g[y] >> (7 - x)) & 1;
			if (y >= 16 - cursor_rows)
				on = true;
			bad += px(col * 8 + x, row * 16 + y) != (on ? fgp : bgp);
		}
	return bad;
}

/* Counts pixels outside the 5x3 cell area that are not poison. */
static unsigned margin_touched(void)
{
	unsigned n = 0;
	for (unsigned y = 0; y < H; y++)
		for (unsigned x = 0; x < PITCH; x++)
			if ((x >= 40 || y >= 48) && px(x, y) != poison_value())
				n++;
	return n;
}

static unsigned cells_untouched(void)
{
	unsigned n = 0;
	for (unsigned r = 0; r < 3; r++)
		for (unsigned c = 0; c < 5; c++)
			n += px(c * 8, r * 16) == poison_value();
	return n;
}

KTEST(conrender, pack_formats)
{
	struct boot_fb fb = make_fb(BOOT_FB_RGBX);
	EXPECT_EQ(conrender_pack(&fb, 0x11, 0x22, 0x33), 0x332211);
	fb.format = BOOT_FB_BGRX;
	EXPECT_EQ(conrender_pack(&fb, 0x11, 0x22, 0x33), 0x112233);
	/* 5-6-5 in the low half of a 32-bit pixel */
	fb.format = BOOT_FB_BITMASK;
	fb.red_mask = 0xf800, fb.green_mask = 0x07e0, fb.blue_mask = 0x001f;
	EXPECT_EQ(conrender_pack(&fb, 0xff, 0xff, 0xff), 0xffff);
	EXPECT_EQ(conrender_pack(&fb, 0xff, 0, 0), 0xf800);
	EXPECT_EQ(conrender_pack(&fb, 0, 0, 0), 0);
	/* 0xAA scaled: red 170*31/255 = 20.7 -> 21, green 170*63/255 = 42 */
	EXPECT_EQ(conrender_pack(&fb, 0xaa, 0xaa, 0xaa), 21u << 11 | 42u << 5 | 21u);
	/* 10-bit fields (e.g. 2:10:10:10) */
	fb.red_mask = 0x3ff00000, fb.green_mask = 0x000ffc00, fb.blue_mask = 0x3ff;
	EXPECT_EQ(conrender_pack(&fb, 0xff, 0, 0xff), 0x3ff003ffu);
	fb.format = BOOT_FB_NONE;
	EXPECT_EQ(conrender_pack(&fb, 0xff, 0xff, 0xff), 0);
}

KTEST(conrender, init_rejects_unusable_framebuffers)
{
	struct boot_fb fb = make_fb(BOOT_FB_NONE);
	EXPECT_EQ(setup(&fb), CONRENDER_ERR_FORMAT);
	fb.format = BOOT_FB_BITMASK;
	fb.red_mask = 0xff, fb.green_mask = 0xff00, fb.blue_mask = 0;
	EXPECT_EQ(setup(&fb), CONRENDER_ERR_FORMAT);
	fb = make_fb(BOOT_FB_RGBX);
	fb.pixels_per_scanline = W - 1;
	EXPECT_EQ(setup(&fb), CONRENDER_ERR_SIZE);
	fb = make_fb(BOOT_FB_RGBX);
	fb.height = 15; /* less than one glyph */
	EXPECT_EQ(setup(&fb), CONRENDER_ERR_SIZE);
	fb = make_fb(BOOT_FB_RGBX);
	EXPECT_EQ(conrender_init(&rend, &fb, fb_mem, &font, drawn, 4), CONRENDER_ERR_SIZE);
	EXPECT_EQ(margin_touched(), 0); /* init draws nothing */
	EXPECT_EQ(cells_untouched(), 15);
}

KTEST(conrender, grid_size_and_shadow_limit)
{
	struct boot_fb fb = make_fb(BOOT_FB_BGRX);
	unsigned c, r;
	ASSERT_EQ(setup(&fb), 0);
	conrender_grid_size(&rend, &c, &r);
	EXPECT_EQ(c, 5);
	EXPECT_EQ(r, 3);
	ASSERT_EQ(conrender_init(&rend, &fb, fb_mem, &font, drawn, 12), 0);
	conrender_grid_size(&rend, &c, &r);
	EXPECT_EQ(c, 5);
	EXPECT_EQ(r, 2); /* cut to fit 12 shadow cells */
	fb.width = 100000, fb.pixels_per_scanline = 100000, fb.height = 100000;
	fb.size = 100000ull * 100000 * 4;
	ASSERT_EQ(conrender_init(&rend, &fb, fb_mem, &font, drawn, sizeof drawn / sizeof *drawn), 0);
	conrender_grid_size(&rend, &c, &r);
	EXPECT_EQ(c, CON_MAX_COLS);
	EXPECT_EQ(r, CON_MAX_ROWS);
}

/* Renders "A" in yellow on blue at 1,1 and checks exact pixels. */
static void glyph_pixels_exact(struct ktest *_kt, const struct boot_fb *fb)
{
	ASSERT_EQ(setup(fb), 0);
	congrid_set_cursor(&grid, 1, 1);
	congrid_set_color(&grid, CON_YELLOW, CON_BLUE);
	congrid_write(&grid, "A\xe2\x94\x80", 4); /* A, then ─ at 2,1 */
	congrid_set_cursor(&grid, 4, 2);
	conrender_sync(&rend, &grid);
	EXPECT_EQ(cell_mismatches(fb, 1, 1, 'A', CON_YELLOW, CON_BLUE, 0), 0);
	EXPECT_EQ(cell_mismatches(fb, 2, 1, 0x2500, CON_YELLOW, CON_BLUE, 0), 0);
	EXPECT_EQ(cell_mismatches(fb, 0, 0, ' ', CON_LIGHT_GREY, CON_BLACK, 0), 0);
	/* The cursor: a 2-pixel underline (16 / 8) in the cell's foreground. */
	EXPECT_EQ(cell_mismatches(fb, 4, 2, ' ', CON_LIGHT_GREY, CON_BLACK, 2), 0);
	EXPECT_EQ(margin_touched(), 0); /* nothing past width, height or pitch */
	EXPECT_EQ(cells_untouched(), 0);
}

KTEST(conrender, rgbx_glyph_pixels_exact)
{
	struct boot_fb fb = make_fb(BOOT_FB_RGBX);
	glyph_pixels_exact(_kt, &fb);
	EXPECT_EQ(px(0, 0), 0);
	EXPECT_EQ(px(8, 16), 0xAA0000); /* blue background, RGBX byte order */
}

KTEST(conrender, bgrx_glyph_pixels_exact)
{
	struct boot_fb fb = make_fb(BOOT_FB_BGRX);
	glyph_pixels_exact(_kt, &fb);
	EXPECT_EQ(px(8, 16), 0x0000AA);
}

KTEST(conrender, bitmask_glyph_pixels_exact)
{
	struct boot_fb fb = make_fb(BOOT_FB_BITMASK);
	fb.red_mask = 0xf800, fb.green_mask = 0x07e0, fb.blue_mask = 0x001f;
	fb.reserved_mask = 0xffff0000;
	glyph_pixels_exact(_kt, &fb);
	EXPECT_EQ(px(8, 16), 0x0015); /* 0xAA blue in 5 bits = 21 */
}

/*
 * Issue 11 item 2 / issue 16 item 10: 24-bit bit-mask modes (-vga cirrus:
 * 3 bytes per pixel) were drawn as if 4: every row smeared three times.
 * Exact pixels, three bytes each, nothing past the pitch.
 */
KTEST(conrender, bitmask_24bit_glyph_pixels_exact)
{
	struct boot_fb fb = make_fb(BOOT_FB_BITMASK);
	fb.red_mask = 0xff0000, fb.green_mask = 0xff00, fb.blue_mask = 0xff;
	fb.bytes_per_pixel = bpp = 3;
	fb.size = (uint64_t)PITCH * H * 3;
	glyph_pixels_exact(_kt, &fb);
	EXPECT_EQ(px(8, 16), 0x0000AA); /* blue background */
	EXPECT_EQ(px(0, 0), 0);
	bpp = 4;
}

KTEST(conrender, bitmask_16bit_glyph_pixels_exact)
{
	struct boot_fb fb = make_fb(BOOT_FB_BITMASK);
	fb.red_mask = 0xf800, fb.green_mask = 0x07e0, fb.blue_mask = 0x001f;
	fb.bytes_per_pixel = bpp = 2;
	fb.size = (uint64_t)PITCH * H * 2;
	glyph_pixels_exact(_kt, &fb);
	EXPECT_EQ(px(8, 16), 0x0015);
	bpp = 4;
}

/* Item 10: a framebuffer smaller than pitch x height x bytes per pixel, or
 * with bytes per pixel the renderer cannot draw, is refused. */
KTEST(conrender, init_checks_size_and_bytes_per_pixel)
{
	struct boot_fb fb = make_fb(BOOT_FB_RGBX);
	fb.size = (uint64_t)PITCH * H * 4 - 1;
	EXPECT_EQ(setup(&fb), CONRENDER_ERR_SIZE);
	fb = make_fb(BOOT_FB_RGBX);
	fb.bytes_per_pixel = 1;
	EXPECT_EQ(setup(&fb), CONRENDER_ERR_FORMAT);
	fb.bytes_per_pixel = 5;
	EXPECT_EQ(setup(&fb), CONRENDER_ERR_FORMAT);
	fb = make_fb(BOOT_FB_BITMASK);
	fb.red_mask = 0xff0000, fb.green_mask = 0xff00, fb.blue_mask = 0xff;
	fb.bytes_per_pixel = 3;
	fb.size = (uint64_t)PITCH * H * 3 - 3;
	EXPECT_EQ(setup(&fb), CONRENDER_ERR_SIZE);
	fb.size += 3;
	EXPECT_EQ(setup(&fb), 0);
}

KTEST(conrender, sync_redraws_only_changed_cells)
{
	struct boot_fb fb = make_fb(BOOT_FB_RGBX);
	ASSERT_EQ(setup(&fb), 0);
	congrid_write(&grid, "hello", 5); /* wraps: cursor to 0,1 */
	conrender_sync(&rend, &grid);
	poison();
	conrender_sync(&rend, &grid); /* nothing changed */
	EXPECT_EQ(cells_untouched(), 15);
	congrid_write_at(&grid, 3, 2, "x", CON_ATTR(CON_WHITE, CON_RED));
	conrender_sync(&rend, &grid);
	EXPECT_EQ(cells_untouched(), 14);
	EXPECT_EQ(cell_mismatches(&fb, 3, 2, 'x', CON_WHITE, CON_RED, 0), 0);
	EXPECT_EQ(margin_touched(), 0);
	/* Same code point, new colour: redrawn too. */
	poison();
	cells[0].attr = CON_ATTR(CON_GREEN, CON_BLACK);
	conrender_sync(&rend, &grid);
	EXPECT_EQ(cells_untouched(), 14);
	EXPECT_EQ(cell_mismatches(&fb, 0, 0, 'h', CON_GREEN, CON_BLACK, 0), 0);
}

/* Moving the cursor onto an unchanged cell writes only the underline rows. */
static bool only_underline(unsigned col, unsigned row, uint32_t fg)
{
	for (unsigned y = 0; y < 16; y++)
		for (unsigned x = 0; x < 8; x++)
			if (px(col * 8 + x, row * 16 + y) != (y >= 14 ? fg : POISON))
				return false;
	return true;
}

KTEST(conrender, cursor_moves_and_old_one_is_erased)
{
	struct boot_fb fb = make_fb(BOOT_FB_RGBX);
	ASSERT_EQ(setup(&fb), 0);
	congrid_write(&grid, "ab", 2);
	conrender_sync(&rend, &grid);
	EXPECT_EQ(cell_mismatches(&fb, 2, 0, ' ', CON_LIGHT_GREY, CON_BLACK, 2), 0);
	poison();
	congrid_write(&grid, "c", 1); /* cursor 2,0 -> 3,0 */
	conrender_sync(&rend, &grid);
	EXPECT_EQ(cell_mismatches(&fb, 2, 0, 'c', CON_LIGHT_GREY, CON_BLACK, 0), 0);
	EXPECT_TRUE(only_underline(3, 0, 0xAAAAAA));
	EXPECT_EQ(cells_untouched(), 14);
	/* Only the cursor moves: its old cell is redrawn plain. */
	poison();
	congrid_set_cursor(&grid, 0, 2);
	conrender_sync(&rend, &grid);
	EXPECT_EQ(cell_mismatches(&fb, 3, 0, ' ', CON_LIGHT_GREY, CON_BLACK, 0), 0);
	EXPECT_TRUE(only_underline(0, 2, 0xAAAAAA));
	EXPECT_EQ(cells_untouched(), 14);
	/* The cell under the cursor changes: glyph and cursor redrawn, in
	 * the cell's new foreground. */
	poison();
	cells[2 * 5].cp = 'Q';
	cells[2 * 5].attr = CON_ATTR(CON_LIGHT_RED, CON_BLACK);
	conrender_sync(&rend, &grid);
	EXPECT_EQ(cell_mismatches(&fb, 0, 2, 'Q', CON_LIGHT_RED, CON_BLACK, 2), 0);
	EXPECT_EQ(cells_untouched(), 14);
	EXPECT_EQ(margin_touched(), 0);
	/* A cursor off the renderer's grid is not drawn. */
	poison();
	grid.col = 7;
	conrender_sync(&rend, &grid);
	EXPECT_EQ(cell_mismatches(&fb, 0, 2, 'Q', CON_LIGHT_RED, CON_BLACK, 0), 0);
	EXPECT_EQ(cells_untouched(), 14);
	EXPECT_EQ(margin_touched(), 0);
}

KTEST(conrender, redraw_paints_everything)
{
	struct boot_fb fb = make_fb(BOOT_FB_RGBX);
	ASSERT_EQ(setup(&fb), 0);
	conrender_sync(&rend, &grid);
	poison();
	conrender_redraw(&rend, &grid);
	EXPECT_EQ(cells_untouched(), 0);
	EXPECT_EQ(margin_touched(), 0);
	EXPECT_EQ(cell_mismatches(&fb, 0, 0, ' ', CON_LIGHT_GREY, CON_BLACK, 2), 0);
}

KTEST(conrender, psf2_16x32_font)
{
	static struct psf_font big;
	struct boot_fb fb = make_fb(BOOT_FB_RGBX);
	ASSERT_EQ(psf_parse(&big, font_terminus32, font_terminus32_len), 0);
	poison();
	ASSERT_EQ(conrender_init(&rend, &fb, fb_mem, &big, drawn, 100), 0);
	unsigned c, r;
	conrender_grid_size(&rend, &c, &r);
	EXPECT_EQ(c, 2);
	EXPECT_EQ(r, 1);
	congrid_init(&grid, cells, 2, 1);
	congrid_write(&grid, "A", 1);
	conrender_sync(&rend, &grid);
	const uint8_t *g = psf_glyph(&big, 'A');
	unsigned bad = 0;
	for (unsigned y = 0; y < 32; y++)
		for (unsigned x = 0; x < 16; x++) {
			bool on = (g[y * 2 + x / 8] >> (7 - x % 8)) & 1;
			bad += px(x, y) != (on ? 0xAAAAAAu : 0u);
		}
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(px(32, 0), POISON);
	EXPECT_EQ(px(0, 32), POISON);
	/* cursor at 1,0: 4-pixel underline (32 / 8) */
	EXPECT_EQ(px(16, 27), 0);
	EXPECT_EQ(px(16, 28), 0xAAAAAAu);
	EXPECT_EQ(px(31, 31), 0xAAAAAAu);
}
