/*
 * conlines.h — whose line is open on the console, so that several writers'
 * lines never mix.
 *
 * Each write is whole under the console lock, but a line may be written in
 * pieces (a prompt, then the keys echoed after it).  When another writer
 * writes while such a line is open, the line is ended there ("cut"), and
 * its writer's next write starts a fresh line that repeats what it had
 * printed of it so far.
 *
 * A writer is the task being polled, or, outside any task, the CPU.  Lines
 * belong to writers, not to CPUs: with work stealing a task may print its
 * prompt on one CPU and the rest of the line, or its next lines, on
 * another.  (Keyed by CPU, a prompt cut on CPU 0 stayed there, and came
 * back ahead of whatever the shell printed on CPU 0 later, as
 * `coop> parallel: ...`.)
 *
 * Portable bookkeeping only: the console (console.c) holds its lock around
 * the calls and gives a function that puts text on the screen and serial.
 */
#ifndef COOP_KERNEL_CONLINES_H
#define COOP_KERNEL_CONLINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal.h"

#define CONLINES_TEXT_MAX 160
/* Unfinished lines remembered at once: the open one and the cut ones.  A
 * writer that never comes back (a task that ended mid-line) holds one
 * until it is the oldest when a slot is needed; then it is forgotten. */
#define CONLINES_SLOTS 16

struct conline {
	const void *who;	/* its writer; NULL: a free slot */
	char text[CONLINES_TEXT_MAX];
	unsigned len;
	bool overflowed;	/* longer than CONLINES_TEXT_MAX: not repeated */
	bool cut;		/* another writer ended it */
	uint64_t last;		/* when its writer last wrote (for reuse) */
};

struct conlines {
	void (*put)(void *ctx, const char *s, size_t n);
	void *ctx;
	struct conline line[CONLINES_SLOTS];
	int open;		/* slot whose line the cursor is on; -1: none */
	const void *writer;	/* of the write in progress */
	uint64_t clock;		/* counts writes */
	char cpu_key[HAL_MAX_CPUS];	/* writer identities for code outside tasks */
};

void conlines_init(struct conlines *cl, void (*put)(void *ctx, const char *s, size_t n),
		   void *ctx);
/* Before a write on `cpu` by `task` (the task being polled, NULL outside
 * any task): ends another writer's open line, repeats this writer's own
 * cut line.  May call put(). */
void conlines_claim(struct conlines *cl, unsigned cpu, const void *task);
/* After the claimed writer put s[0 .. n-1] (n > 0). */
void conlines_wrote(struct conlines *cl, const char *s, size_t n);

#endif
