/*
 * console.h — the kernel console: a VGA-text-style grid drawn on the GOP
 * framebuffer, with every byte mirrored to COM1.  Without a framebuffer it
 * is serial-only.
 */
#ifndef COOP_KERNEL_CONSOLE_H
#define COOP_KERNEL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "kernel/console/congrid.h"

/* Rows at the top of the screen that never scroll: the status line. */
#define CON_STATUS_ROWS 1

/* Sets up the grid for fb (which may be BOOT_FB_NONE).  The framebuffer is
 * reached through its physical address until con_move_framebuffer(). */
void con_init(const struct boot_fb *fb);
bool con_has_framebuffer(void);
/* Describes the console, e.g. "1280x800 BGRX font 8x16 grid 160x50". */
void con_describe(char *buf, size_t n);

void con_write(const char *s, size_t n);
void con_write_attr(const char *s, size_t n, uint8_t attr);
/* Writes only if the console is free right now; false if not (for reports
 * from places that may be waiting for the console's own lock). */
bool con_try_write_attr(const char *s, size_t n, uint8_t attr);
/* Writes at a fixed cell without moving the cursor (status line). */
void con_write_at(unsigned col, unsigned row, const char *s, uint8_t attr);
void con_reserve_top_rows(unsigned rows);
unsigned con_cols(void);

/* After paging: where the framebuffer is mapped now. */
void con_move_framebuffer(void *virt);
/* Redraws every cell (after moving the framebuffer or for benchmarks). */
void con_redraw(void);

/*
 * For the panic and fault paths: take the console over even if its lock is
 * held (the fault may have hit inside con_write), so a report is never
 * deadlocked.  Writes after this go straight to serial and the grid.
 */
void con_take_over(void);

/* Test hook: fn sees every byte written, in the order it reaches the
 * screen and serial, under the console lock (NULL: stop). */
void con_tap_for_test(void (*fn)(void *ctx, const char *s, size_t n), void *ctx);

/* Test hook: takes the console lock and keeps it, so a test can prove that
 * a fault report still gets out while the lock is held. */
void con_hold_lock_for_test(void);

#endif
