/*
 * conrender.h — draws a congrid on a linear framebuffer of 4, 3 or 2 bytes
 * per pixel (boot_fb.bytes_per_pixel: 24-bit modes such as -vga cirrus's
 * are drawn byte by byte, the others a pixel per store).
 *
 * The renderer keeps a shadow of what it last drew ("drawn", supplied by the
 * caller) and redraws only cells that differ from it, so it never reads the
 * framebuffer (VRAM reads are slow) and a sync after typing one key touches
 * one or two cells.  It is portable: host tests render into plain memory.
 */
#ifndef COOP_KERNEL_CONRENDER_H
#define COOP_KERNEL_CONRENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "kernel/console/congrid.h"
#include "kernel/console/psf.h"

#define CONRENDER_ERR_FORMAT -1 /* no framebuffer, or masks we cannot use */
#define CONRENDER_ERR_SIZE -2   /* bad geometry, or not one cell fits */

struct conrender {
	struct boot_fb fb;      /* a copy: the caller's may go away */
	uint8_t *pixels;        /* where we write the framebuffer */
	unsigned bpp;           /* bytes per pixel: 2, 3 or 4 */
	size_t pitch;           /* bytes per scanline */
	const struct psf_font *font;
	struct con_cell *drawn; /* what is on screen now, cols * rows */
	unsigned cols, rows;
	uint32_t palette[16];   /* the VGA colours, packed for this fb */
	unsigned cursor_col, cursor_row;
	bool cursor_shown;
};

/**
 * conrender_init - set up drawing of @font glyphs on @fb through @pixels.
 * @drawn: @drawn_cells cells of storage for the on-screen shadow; if it is
 * smaller than the screen's grid, the grid is cut to fit it.
 * Returns 0, or CONRENDER_ERR_* (BOOT_FB_NONE, a BITMASK format with an empty
 * colour mask, bytes per pixel other than 2, 3 or 4 (0 means 4), a pitch
 * below the width, a size short of pitch * height, or a screen smaller than
 * one glyph).
 * Draws nothing: the first conrender_sync() paints every cell.
 */
int conrender_init(struct conrender *r, const struct boot_fb *fb, void *pixels,
		   const struct psf_font *font, struct con_cell *drawn, size_t drawn_cells);
/* The grid the screen holds: framebuffer size / glyph size, clamped to
 * CON_MAX_COLS x CON_MAX_ROWS and to the shadow's size. */
void conrender_grid_size(const struct conrender *r, unsigned *cols, unsigned *rows);
/* Draws the cells of @g that changed since the last sync, and moves the
 * underline cursor to @g's cursor.  @g may be smaller or larger than the
 * screen's grid; only the overlap is drawn. */
void conrender_sync(struct conrender *r, const struct congrid *g);
/* Draws every cell of @g, as after a mode change or screen corruption. */
void conrender_redraw(struct conrender *r, const struct congrid *g);
/* The pixel value for 8-bit @red, @green, @blue in @fb's format (0 for
 * formats without colour). */
uint32_t conrender_pack(const struct boot_fb *fb, uint8_t red, uint8_t green,
			uint8_t blue);
/* The RGB value (0xRRGGBB) of VGA palette colour @color (0..15). */
uint32_t conrender_palette_rgb(enum con_color color);

#endif
