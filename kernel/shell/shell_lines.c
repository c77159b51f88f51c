/*
 * shell_lines.c — see shell_lines.h.
 */
#include "kernel/shell/shell_lines.h"

#include "kernel/lib/string.h"

void line_queue_init(struct line_queue *q)
{
	q->used = 0;
}

bool line_queue_push(struct line_queue *q, const char *line)
{
	size_t n = strlen(line) + 1;

	if (n > sizeof q->buf - q->used)
		return false;
	memcpy(q->buf + q->used, line, n);
	q->used += n;
	return true;
}

bool line_queue_pop(struct line_queue *q, char *out)
{
	if (!q->used)
		return false;
	size_t n = strlen(q->buf) + 1;
	memcpy(out, q->buf, n);
	memmove(q->buf, q->buf + n, q->used - n);
	q->used -= n;
	return true;
}

bool line_queue_empty(const struct line_queue *q)
{
	return q->used == 0;
}

void history_init(struct history *h)
{
	h->count = h->newest = 0;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

void history_add(struct history *h, const char *line)
{
	if (blank(line) || (h->count && strcmp(h->lines[h->newest], line) == 0))
		return;
	h->newest = h->count ? (h->newest + 1) % HISTORY_LINES : 0;
	size_t n = strnlen(line, LINEEDIT_UTF8_MAX - 1);
	memcpy(h->lines[h->newest], line, n);
	h->lines[h->newest][n] = '\0';
	if (h->count < HISTORY_LINES)
		h->count++;
}

const char *history_get(const struct history *h, unsigned back)
{
	if (back == 0 || back > h->count)
		return NULL;
	return h->lines[(h->newest + HISTORY_LINES - (back - 1)) % HISTORY_LINES];
}

unsigned complete_word(const char *prefix, const char *const *names, unsigned n, char *ext,
		       size_t size)
{
	size_t plen = strlen(prefix), common = 0;
	const char *first = NULL;
	unsigned matches = 0;

	for (unsigned i = 0; i < n; i++) {
		if (strncmp(names[i], prefix, plen) != 0)
			continue;
		if (!first) {
			first = names[i];
			common = strlen(first);
		} else {
			size_t k = plen;
			while (k < common && names[i][k] == first[k])
				k++;
			common = k;
		}
		matches++;
	}
	size_t len = first ? common - plen : 0;
	if (len + 2 > size)
		len = size > 2 ? size - 2 : 0;
	if (first)
		memcpy(ext, first + plen, len);
	if (matches == 1)
		ext[len++] = ' ';
	ext[len] = '\0';
	return matches;
}
