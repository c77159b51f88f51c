/*
 * status.c — see status.h.  con_write_at() draws into the grid without
 * moving the cursor and without touching serial, so the bar never gets in
 * the way of what the user is typing.
 */
#include "kernel/console/status.h"

#include "hal/hal.h"
#include "kernel/console/congrid.h"
#include "kernel/console/console.h"
#include "kernel/input/input.h"
#include "kernel/lib/fmt.h"
#include "kernel/usb/usb_start.h"
#include "kernel/log.h"
#include "mm/heap.h"
#include "sched/async.h"
#include "sched/executor.h"
#include "sched/timer.h"

/* Once a second, on the second: the bar shows whole seconds, and a slower
 * clock lets an idle machine take one timer interrupt a second. */
#define STATUS_PERIOD_MS 1000
#define STATUS_ATTR CON_ATTR(CON_WHITE, CON_BLUE)

struct status {
	ASYNC_STATE;
	struct sleep_future nap;
};

/* Which keyboards are there: "PS/2", "USB", "PS/2+USB x2", "none"; and
 * how many keys were dropped, if any. */
static const char *keyboard_state(char *buf, size_t n)
{
	uint64_t dropped = keyboard_dropped();
	unsigned usb = usb_keyboards();
	bool ps2 = keyboard_present();
	size_t len;

	len = (size_t)fmt_snprintf(buf, n, "%s%s%s", ps2 ? "PS/2" : "", ps2 && usb ? "+" : "",
				   usb ? "USB" : "");
	if (usb > 1 && len < n)
		len += (size_t)fmt_snprintf(buf + len, n - len, " x%u", usb);
	if (!ps2 && !usb)
		len = (size_t)fmt_snprintf(buf, n, "none: shell on COM1 115200 8N1");
	if (dropped && len < n)
		fmt_snprintf(buf + len, n - len, ", %llu dropped", (unsigned long long)dropped);
	return buf;
}

/* The bar fills the whole row, so old text never shows through. */
static void status_draw(void)
{
	char line[CON_MAX_COLS + 1], kbd[48];
	struct heap_stats hs;
	uint64_t ms = hal_clock_ms();
	unsigned cols = con_cols(), n;

	kmalloc_stats(&hs);
	n = (unsigned)fmt_snprintf(line, sizeof line,
				   " coop | up %llu s | tasks %u | heap %zu KiB"
				   " | kbd %s",
				   (unsigned long long)(ms / 1000),
				   executor_stats(executor_global()).live, hs.used / 1024,
				   keyboard_state(kbd, sizeof kbd));
	if (cols > CON_MAX_COLS)
		cols = CON_MAX_COLS;
	for (; n < cols; n++)
		line[n] = ' ';
	line[cols] = '\0';
	con_write_at(0, 0, line, STATUS_ATTR);
}

ASYNC_FN(status, struct status)
{
	ASYNC_BEGIN();
	for (;;) {
		status_draw();
		sleep_until_init(&self->nap,
				 (hal_clock_ms() / STATUS_PERIOD_MS + 1) * STATUS_PERIOD_MS);
		AWAIT(&self->nap);
	}
	ASYNC_END();
}

void status_start(void)
{
	struct status init = { ASYNC_INIT(status) };
	struct task_handle h;

	if (!con_has_framebuffer())
		return;
	con_reserve_top_rows(1);
	h = SPAWN(init);
	if (!h.task)
		log_warn("status: out of memory; no status bar");
	task_detach(&h);
}
