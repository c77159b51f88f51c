/*
 * conlines.h — whose line is open on the console, so that several CPUs'
 * writes never mix inside one line.
 *
 * Each write is whole under the console lock, but a line may be written in
 * pieces (a prompt, then the keys echoed after it).  When someone else
 * writes while such a line is open, the line is ended there ("cut"), and
 * its writer's next write starts a fresh line that repeats what it had
 * printed of it so far.
 *
 * Portable bookkeeping only: the console (console.c) holds its lock around
 * the calls and gives a function that puts text on the screen and serial.
 */
#ifndef COOP_KERNEL_CONLINES_H
#define COOP_KERNEL_CONLINES_H

#include <stdbool.h>
#include <stddef.h>

#include "hal/hal.h"

#define CONLINES_TEXT_MAX 160

struct conline {
	char text[CONLINES_TEXT_MAX];
	unsigned len;
	bool overflowed;	/* longer than CONLINES_TEXT_MAX: not repeated */
	bool cut;		/* someone else ended it */
};

struct conlines {
	void (*put)(void *ctx, const char *s, size_t n);
	void *ctx;
	struct conline partial[HAL_MAX_CPUS];	/* each CPU's current line */
	int owner;		/* CPU whose line is open (-1: at a line start) */
	const void *owner_who;	/* who opened it */
	unsigned cpu;		/* claimed by the write in progress */
};

void conlines_init(struct conlines *cl, void (*put)(void *ctx, const char *s, size_t n),
		   void *ctx);
/* Before a write on `cpu` by `who` (the task being polled, NULL outside
 * any task): ends someone else's open line, repeats the writer's own cut
 * line.  May call put(). */
void conlines_claim(struct conlines *cl, unsigned cpu, const void *who);
/* After the claimed writer put s[0 .. n-1] (n > 0). */
void conlines_wrote(struct conlines *cl, const char *s, size_t n);

#endif
