/*
 * conrender.c — glyph blitting for the console.
 *
 * Each cell is drawn whole: every pixel of it gets the foreground or the
 * background colour, so drawing needs no knowledge of what was there before.
 * The cursor is an underline over the bottom eighth of its cell.
 */
#include "kernel/console/conrender.h"
#include "kernel/lib/string.h"

/* A cell flag the grid never sets: "we do not know what is on screen here". */
#define DRAWN_UNKNOWN 0xFF

static const uint32_t vga_rgb[16] = {
	0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
	0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
};

uint32_t conrender_palette_rgb(enum con_color color)
{
	return vga_rgb[color & 15];
}

/* Scales 8-bit @v into the (contiguous) bit field @mask, rounding. */
static uint32_t pack_field(uint32_t mask, uint8_t v)
{
	if (!mask)
		return 0;
	unsigned shift = (unsigned)__builtin_ctz(mask);
	uint64_t max = (uint64_t)mask >> shift;
	while (max & (max + 1)) /* a gap in the mask: use its low run only */
		max >>= 1;
	uint64_t scaled = ((uint64_t)v * max + 127) / 255;
	return (uint32_t)(scaled << shift) & mask;
}

uint32_t conrender_pack(const struct boot_fb *fb, uint8_t red, uint8_t green,
			uint8_t blue)
{
	switch (fb->format) {
	case BOOT_FB_RGBX:
		return red | (uint32_t)green << 8 | (uint32_t)blue << 16;
	case BOOT_FB_BGRX:
		return blue | (uint32_t)green << 8 | (uint32_t)red << 16;
	case BOOT_FB_BITMASK:
		return pack_field(fb->red_mask, red) | pack_field(fb->green_mask, green) |
		       pack_field(fb->blue_mask, blue);
	default:
		return 0;
	}
}

static bool format_usable(const struct boot_fb *fb)
{
	if (fb->format == BOOT_FB_RGBX || fb->format == BOOT_FB_BGRX)
		return true;
	return fb->format == BOOT_FB_BITMASK && fb->red_mask && fb->green_mask &&
	       fb->blue_mask;
}

static void forget_screen(struct conrender *r)
{
	for (size_t i = 0; i < (size_t)r->cols * r->rows; i++)
		r->drawn[i].flags = DRAWN_UNKNOWN;
	r->cursor_shown = false;
}

int conrender_init(struct conrender *r, const struct boot_fb *fb, void *pixels,
		   const struct psf_font *font, struct con_cell *drawn, size_t drawn_cells)
{
	unsigned bpp = fb->bytes_per_pixel ? fb->bytes_per_pixel : 4;

	memset(r, 0, sizeof *r);
	if (!format_usable(fb) || !pixels || bpp < 2 || bpp > 4)
		return CONRENDER_ERR_FORMAT;
	if (!font || !font->width || !font->height || fb->pixels_per_scanline < fb->width ||
	    fb->size < (uint64_t)fb->pixels_per_scanline * fb->height * bpp)
		return CONRENDER_ERR_SIZE;
	r->cols = fb->width / font->width;
	r->rows = fb->height / font->height;
	if (r->cols > CON_MAX_COLS)
		r->cols = CON_MAX_COLS;
	if (r->rows > CON_MAX_ROWS)
		r->rows = CON_MAX_ROWS;
	if (r->cols && (size_t)r->cols * r->rows > drawn_cells)
		r->rows = (unsigned)(drawn_cells / r->cols);
	if (!r->cols || !r->rows)
		return CONRENDER_ERR_SIZE;
	r->fb = *fb;
	r->pixels = pixels;
	r->bpp = bpp;
	r->pitch = (size_t)fb->pixels_per_scanline * bpp;
	r->font = font;
	r->drawn = drawn;
	for (unsigned i = 0; i < 16; i++) {
		uint32_t rgb = vga_rgb[i];
		r->palette[i] = conrender_pack(fb, rgb >> 16, (rgb >> 8) & 0xFF, rgb & 0xFF);
	}
	forget_screen(r);
	return 0;
}

void conrender_grid_size(const struct conrender *r, unsigned *cols, unsigned *rows)
{
	*cols = r->cols;
	*rows = r->rows;
}

static uint8_t *cell_origin(const struct conrender *r, unsigned col, unsigned row)
{
	size_t y = (size_t)row * r->font->height, x = (size_t)col * r->font->width;
	return r->pixels + y * r->pitch + x * r->bpp;
}

/* One scanline of @width pixels: @bits (MSB first) picks fg or bg, or all
 * fg when @bits is NULL.  32-bit pixels take one store each; 24-bit ones
 * three bytes (no pixel is 4-byte aligned there); 16-bit ones one store. */
static void draw_span(const struct conrender *r, uint8_t *line, const uint8_t *bits,
		      uint32_t width, uint32_t fg, uint32_t bg)
{
	switch (r->bpp) {
	case 4:
		for (uint32_t x = 0; x < width; x++)
			((uint32_t *)line)[x] = !bits || (bits[x >> 3] & (0x80 >> (x & 7))) ? fg : bg;
		break;
	case 3:
		for (uint32_t x = 0; x < width; x++, line += 3) {
			uint32_t c = !bits || (bits[x >> 3] & (0x80 >> (x & 7))) ? fg : bg;
			line[0] = (uint8_t)c;
			line[1] = (uint8_t)(c >> 8);
			line[2] = (uint8_t)(c >> 16);
		}
		break;
	default:
		for (uint32_t x = 0; x < width; x++)
			((uint16_t *)line)[x] =
				(uint16_t)(!bits || (bits[x >> 3] & (0x80 >> (x & 7))) ? fg : bg);
	}
}

static void draw_cell(struct conrender *r, unsigned col, unsigned row,
		      const struct con_cell *c)
{
	const struct psf_font *f = r->font;
	const uint8_t *bits = psf_glyph(f, psf_glyph_index(f, c->cp));
	uint32_t fg = r->palette[c->attr & 15], bg = r->palette[c->attr >> 4];
	uint8_t *line = cell_origin(r, col, row);

	for (uint32_t y = 0; y < f->height; y++, line += r->pitch)
		draw_span(r, line, bits + y * f->bytes_per_row, f->width, fg, bg);
	r->drawn[(size_t)row * r->cols + col] = *c;
}

static void draw_cursor(struct conrender *r, unsigned col, unsigned row)
{
	const struct psf_font *f = r->font;
	uint32_t thick = f->height >= 8 ? f->height / 8 : 1;
	uint32_t fg = r->palette[r->drawn[(size_t)row * r->cols + col].attr & 15];
	uint8_t *line = cell_origin(r, col, row) + (size_t)(f->height - thick) * r->pitch;

	for (uint32_t y = 0; y < thick; y++, line += r->pitch)
		draw_span(r, line, NULL, f->width, fg, fg);
	r->cursor_col = col;
	r->cursor_row = row;
	r->cursor_shown = true;
}

static bool cell_same(const struct con_cell *a, const struct con_cell *b)
{
	return a->cp == b->cp && a->attr == b->attr && a->flags == b->flags;
}

void conrender_sync(struct conrender *r, const struct congrid *g)
{
	unsigned cols = g->cols < r->cols ? g->cols : r->cols;
	unsigned rows = g->rows < r->rows ? g->rows : r->rows;
	bool on_screen = g->col < cols && g->row < rows;
	bool moved = !r->cursor_shown || r->cursor_col != g->col || r->cursor_row != g->row;

	/* Taking the cursor away means redrawing the cell under it. */
	if (r->cursor_shown && moved)
		r->drawn[(size_t)r->cursor_row * r->cols + r->cursor_col].flags = DRAWN_UNKNOWN;
	if (moved)
		r->cursor_shown = false;
	for (unsigned row = 0; row < rows; row++) {
		for (unsigned col = 0; col < cols; col++) {
			const struct con_cell *c = congrid_cell(g, col, row);
			struct con_cell *d = &r->drawn[(size_t)row * r->cols + col];
			if (cell_same(c, d))
				continue;
			draw_cell(r, col, row, c);
			if (col == g->col && row == g->row)
				r->cursor_shown = false; /* the glyph covered it */
		}
	}
	if (on_screen && !r->cursor_shown)
		draw_cursor(r, g->col, g->row);
}

void conrender_redraw(struct conrender *r, const struct congrid *g)
{
	forget_screen(r);
	conrender_sync(r, g);
}
