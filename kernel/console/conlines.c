/*
 * conlines.c — see conlines.h.
 */
#include "kernel/console/conlines.h"

#include "kernel/lib/string.h"

void conlines_init(struct conlines *cl, void (*put)(void *ctx, const char *s, size_t n),
		   void *ctx)
{
	memset(cl, 0, sizeof *cl);
	cl->put = put;
	cl->ctx = ctx;
	cl->open = -1;
}

static struct conline *find(struct conlines *cl, const void *who)
{
	for (unsigned i = 0; i < CONLINES_SLOTS; i++)
		if (cl->line[i].who == who)
			return &cl->line[i];
	return NULL;
}

/* A slot for who's new unfinished line: a free one, else the one written
 * least recently (a cut line whose writer has not come back). */
static struct conline *take_slot(struct conlines *cl, const void *who)
{
	struct conline *l = find(cl, NULL);

	if (!l) {
		l = &cl->line[0];
		for (unsigned i = 1; i < CONLINES_SLOTS; i++)
			if (cl->line[i].last < l->last)
				l = &cl->line[i];
	}
	memset(l, 0, sizeof *l);
	l->who = who;
	return l;
}

static void release(struct conline *l)
{
	memset(l, 0, sizeof *l);
}

void conlines_claim(struct conlines *cl, unsigned cpu, const void *task)
{
	const void *who = task ? task : (const void *)&cl->cpu_key[cpu % HAL_MAX_CPUS];
	struct conline *mine = find(cl, who);

	if (cl->open >= 0 && cl->line[cl->open].who != who) {
		cl->put(cl->ctx, "\n", 1);
		cl->line[cl->open].cut = true;
		cl->open = -1;
	}
	if (mine && mine->cut) {
		mine->cut = false;
		if (mine->len && !mine->overflowed)
			cl->put(cl->ctx, mine->text, mine->len);
		else
			release(mine);	/* cannot be repeated: start afresh */
	}
	cl->writer = who;
}

void conlines_wrote(struct conlines *cl, const char *s, size_t n)
{
	struct conline *l = find(cl, cl->writer);
	size_t from = n;

	if (s[n - 1] == '\n') {
		if (l)
			release(l);
		cl->open = -1;
		return;
	}
	/* The line goes on: remember what it holds after the last newline. */
	while (from > 0 && s[from - 1] != '\n')
		from--;
	if (!l) {
		l = take_slot(cl, cl->writer);
	} else if (from > 0) {	/* a new line began inside s */
		l->len = 0;
		l->overflowed = false;
	}
	for (size_t i = from; i < n; i++)
		if (l->len < CONLINES_TEXT_MAX)
			l->text[l->len++] = s[i];
		else
			l->overflowed = true;
	l->last = ++cl->clock;
	cl->open = (int)(l - cl->line);
}
