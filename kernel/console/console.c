/*
 * console.c — glue between the grid model (congrid), the pixel renderer
 * (conrender) and the serial port.
 *
 * The grid of cells is the RAM shadow: scrolling moves cells in RAM and the
 * renderer then writes only the cells that changed, so the framebuffer is
 * never read (VRAM reads are very slow on real hardware).
 *
 * Several CPUs print.  Each write is whole under the console lock, and a
 * line stays one CPU's: when a CPU writes while another CPU's line is
 * unfinished (a prompt, a line printed in pieces), that line is ended
 * there, and its owner's next write starts a fresh line that repeats what
 * it had printed of it so far.  So lines never mix mid-line.
 */
#include "kernel/console/console.h"

#include "hal/dev/serial.h"
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

/* What each CPU has printed of its current line (to repeat it if another
 * CPU cuts in), and whose line is open now (-1: the cursor starts a line). */
#define PARTIAL_MAX 160
static struct partial_line {
	char text[PARTIAL_MAX];
	unsigned len;
	bool overflowed;	/* longer than PARTIAL_MAX: not repeated */
	bool cut;		/* another CPU ended it */
} partial[HAL_MAX_CPUS];
static int line_owner = -1;
/* Who opened that line: the task being polled (work stealing may move it
 * to another CPU between two writes of one line), else the CPU. */
static const void *line_writer;

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

/* Remembers what cpu's current line holds after it wrote s. */
static void track(struct partial_line *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			p->len = 0;
			p->overflowed = false;
		} else if (p->len < PARTIAL_MAX) {
			p->text[p->len++] = s[i];
		} else {
			p->overflowed = true;
		}
	}
}

/* Before `cpu` writes: end another CPU's open line, and start `cpu`'s
 * own cut line again. */
static void claim_line(unsigned cpu)
{
	struct partial_line *p = &partial[cpu];

	if (line_owner >= 0 && line_owner != (int)cpu) {
		put("\n", 1);
		partial[line_owner].cut = true;
		line_owner = -1;
	}
	if (p->cut) {
		p->cut = false;
		if (p->len && !p->overflowed)
			put(p->text, p->len);
		else
			p->len = 0;
	}
}

static const void *writer(unsigned cpu)
{
	const struct task *t = sched_current_task();

	return t ? (const void *)t : (const void *)&partial[cpu];
}

/* The task that opened the open line writes again, from another CPU now:
 * the line moves with it instead of being cut. */
static void follow_task(unsigned cpu, const void *who)
{
	if (line_owner < 0 || line_owner == (int)cpu || line_writer != who)
		return;
	partial[cpu] = partial[line_owner];
	partial[line_owner].len = 0;
	line_owner = (int)cpu;
}

/* The console lock is held (or taken over). */
static void write_locked(const char *s, size_t n, uint8_t attr)
{
	unsigned cpu = hal_cpu_id();
	uint8_t old = grid.attr;
	const void *who = writer(cpu);

	if (!taken_over) {
		follow_task(cpu, who);
		claim_line(cpu);
	}
	grid.attr = attr;
	put(s, n);
	grid.attr = old;
	track(&partial[cpu], s, n);
	line_owner = s[n - 1] == '\n' ? -1 : (int)cpu;
	line_writer = line_owner < 0 ? NULL : who;
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
