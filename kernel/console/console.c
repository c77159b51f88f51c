/*
 * console.c — glue between the grid model (congrid), the pixel renderer
 * (conrender) and the serial port.
 *
 * The grid of cells is the RAM shadow: scrolling moves cells in RAM and the
 * renderer then writes only the cells that changed, so the framebuffer is
 * never read (VRAM reads are very slow on real hardware).
 */
#include "kernel/console/console.h"

#include "hal/dev/serial.h"
#include "kernel/console/conrender.h"
#include "kernel/console/fonts.h"
#include "kernel/console/psf.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/spinlock.h"

/* Screens at least this wide get the 16x32 font, so text stays readable. */
#define LARGE_FONT_MIN_WIDTH 1600

static struct con_cell cells[CON_MAX_COLS * CON_MAX_ROWS];
static struct con_cell drawn[CON_MAX_COLS * CON_MAX_ROWS];
static struct congrid grid;
static struct conrender render;
static struct psf_font font;
static bool have_fb;
static bool taken_over;
static struct spinlock con_lock = SPINLOCK_INIT("console");

static const char *format_name(uint32_t format)
{
	switch (format) {
	case BOOT_FB_RGBX: return "RGBX";
	case BOOT_FB_BGRX: return "BGRX";
	case BOOT_FB_BITMASK: return "BITMASK";
	default: return "none";
	}
}

static bool load_font(uint32_t screen_width)
{
	if (screen_width >= LARGE_FONT_MIN_WIDTH &&
	    psf_parse(&font, font_terminus32, font_terminus32_len) == 0)
		return true;
	return psf_parse(&font, font_terminus16, font_terminus16_len) == 0;
}

void con_init(const struct boot_fb *fb)
{
	unsigned cols = 80, rows = 25;

	have_fb = false;
	if (fb->format != BOOT_FB_NONE && load_font(fb->width) &&
	    conrender_init(&render, fb, (void *)(uintptr_t)fb->base, &font, drawn,
			   sizeof drawn / sizeof drawn[0]) == 0) {
		have_fb = true;
		conrender_grid_size(&render, &cols, &rows);
	}
	congrid_init(&grid, cells, cols, rows);
	if (have_fb) {
		/* Keep the top row for the status line from the start, so the
		 * boot messages never sit where it will be drawn. */
		congrid_set_scroll_top(&grid, CON_STATUS_ROWS);
		congrid_set_cursor(&grid, 0, CON_STATUS_ROWS);
		conrender_redraw(&render, &grid);
	}
}

bool con_has_framebuffer(void)
{
	return have_fb;
}

void con_describe(char *buf, size_t n)
{
	if (!have_fb) {
		fmt_snprintf(buf, n, "serial-only (no framebuffer)");
		return;
	}
	fmt_snprintf(buf, n, "%ux%u %s %u-bit font %ux%u grid %ux%u", render.fb.width,
		     render.fb.height, format_name(render.fb.format), render.bpp * 8, font.width,
		     font.height, grid.cols, grid.rows);
}

static void lock(void)
{
	if (!taken_over)
		spin_lock(&con_lock);
}

static void unlock(void)
{
	if (!taken_over)
		spin_unlock(&con_lock);
}

static void show(void)
{
	if (have_fb)
		conrender_sync(&render, &grid);
	congrid_clean(&grid);
}

void con_write_attr(const char *s, size_t n, uint8_t attr)
{
	lock();
	uint8_t old = grid.attr;
	grid.attr = attr;
	serial_write(s, n);
	congrid_write(&grid, s, n);
	grid.attr = old;
	show();
	unlock();
}

void con_write(const char *s, size_t n)
{
	con_write_attr(s, n, grid.attr);
}

void con_write_at(unsigned col, unsigned row, const char *s, uint8_t attr)
{
	lock();
	congrid_write_at(&grid, col, row, s, attr);
	show();
	unlock();
}

void con_reserve_top_rows(unsigned rows)
{
	lock();
	congrid_set_scroll_top(&grid, rows);
	if (grid.row < rows)
		congrid_set_cursor(&grid, 0, rows);
	show();
	unlock();
}

unsigned con_cols(void)
{
	return grid.cols;
}

void con_move_framebuffer(void *virt)
{
	lock();
	if (have_fb)
		render.pixels = virt;
	unlock();
}

void con_redraw(void)
{
	lock();
	if (have_fb)
		conrender_redraw(&render, &grid);
	unlock();
}

void con_take_over(void)
{
	taken_over = true;
}

void con_hold_lock_for_test(void)
{
	spin_lock(&con_lock);
}
