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
	cl->owner = -1;
}

static const void *writer(struct conlines *cl, unsigned cpu, const void *who)
{
	return who ? who : (const void *)&cl->partial[cpu];
}

/* The task that opened the open line writes again, from another CPU now:
 * the line moves with it instead of being cut. */
static void follow_task(struct conlines *cl, unsigned cpu, const void *who)
{
	if (cl->owner < 0 || cl->owner == (int)cpu || cl->owner_who != who)
		return;
	cl->partial[cpu] = cl->partial[cl->owner];
	cl->partial[cl->owner].len = 0;
	cl->owner = (int)cpu;
}

void conlines_claim(struct conlines *cl, unsigned cpu, const void *who)
{
	struct conline *p = &cl->partial[cpu];

	who = writer(cl, cpu, who);
	follow_task(cl, cpu, who);
	if (cl->owner >= 0 && cl->owner != (int)cpu) {
		cl->put(cl->ctx, "\n", 1);
		cl->partial[cl->owner].cut = true;
		cl->owner = -1;
	}
	if (p->cut) {
		p->cut = false;
		if (p->len && !p->overflowed)
			cl->put(cl->ctx, p->text, p->len);
		else
			p->len = 0;
	}
	cl->cpu = cpu;
	cl->owner_who = who;
}

void conlines_wrote(struct conlines *cl, const char *s, size_t n)
{
	struct conline *p = &cl->partial[cl->cpu];

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			p->len = 0;
			p->overflowed = false;
		} else if (p->len < CONLINES_TEXT_MAX) {
			p->text[p->len++] = s[i];
		} else {
			p->overflowed = true;
		}
	}
	cl->owner = s[n - 1] == '\n' ? -1 : (int)cl->cpu;
	if (cl->owner < 0)
		cl->owner_who = NULL;
}
