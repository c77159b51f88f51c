/*
 * console.c — glue between the grid model (congrid), the pixel renderer
 * (conrender) and the serial port.
 *
 * The grid of cells is the RAM shadow: scrolling moves cells in RAM and the
 * renderer then writes only the cells that changed, so the framebuffer is
 * never read (VRAM reads are very slow on real hardware).
 *
 * Several CPUs print.  Each write is whole under the console lock, and
 * conlines.h keeps lines from mixing mid-line.
 */
#include "kernel/console/console.h"

#include "hal/dev/serial.h"
#include "kernel/console/conlines.h"
#include "kernel/console/conrender.h"
#include "kernel/console/fonts.h"
#include "kernel/console/psf.h"
#include "kernel/lib/fmt.h"
#include "hal/smp/spinlock.h"
#include "hal/hal.h"
#include "kernel/lib/string.h"
#include "sched/executor.h"

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

/* A test's copy of everything written (con_tap_for_test). */
static void (*tap)(void *ctx, const char *s, size_t n);
static void *tap_ctx;

static void put(const char *s, size_t n)
{
	serial_write(s, n);
	congrid_write(&grid, s, n);
	if (tap)
		tap(tap_ctx, s, n);
}

static void put_for_lines(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	put(s, n);
}

/* Whose line is open, so lines never mix mid-line (conlines.h). */
static struct conlines lines = { .put = put_for_lines, .open = -1 };

/* The console lock is held (or taken over). */
static void write_locked(const char *s, size_t n, uint8_t attr)
{
	uint8_t old = grid.attr;

	if (!taken_over)
		conlines_claim(&lines, hal_cpu_id(), sched_current_task());
	grid.attr = attr;
	put(s, n);
	grid.attr = old;
	if (!taken_over)
		conlines_wrote(&lines, s, n);
	show();
}

void con_write_attr(const char *s, size_t n, uint8_t attr)
{
	if (!n)
		return;
	lock();
	write_locked(s, n, attr);
	unlock();
}

bool con_try_write_attr(const char *s, size_t n, uint8_t attr)
{
	if (taken_over || !spin_trylock(&con_lock))
		return false;
	if (n)
		write_locked(s, n, attr);
	spin_unlock(&con_lock);
	return true;
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

void con_tap_for_test(void (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
	lock();
	tap = fn;
	tap_ctx = ctx;
	unlock();
}

void con_hold_lock_for_test(void)
{
	spin_lock(&con_lock);
}
