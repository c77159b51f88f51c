/*
 * status.h — the live status bar on the top row of the screen:
 * "coop | up 12 s | tasks 5 | heap 120 KiB | kbd PS/2+USB", white on blue,
 * redrawn by a task on every whole second of uptime (one timer interrupt a
 * second while idle).  Screen only: serial never sees it.
 */
#ifndef COOP_KERNEL_STATUS_H
#define COOP_KERNEL_STATUS_H

/* Reserves the top row and spawns the status task.  Does nothing on a
 * serial-only console.  After executor_init(), before executor_run(). */
void status_start(void);

#endif
