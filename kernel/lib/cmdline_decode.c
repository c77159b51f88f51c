/*
 * cmdline_decode.c — see cmdline_decode.h.  Detection, in order: a UTF-16
 * byte-order mark; a UTF-8 one; UCS-2 without a mark (what LoadOptions hold:
 * an even size and text whose high bytes are zero); 8-bit text; otherwise
 * binary.
 */
#include "kernel/lib/cmdline_decode.h"

#include <stdint.h>

/* Characters looked at to tell text from binary, and the text share needed. */
#define SNIFF_MAX 256

static bool texty(uint32_t ch)
{
	return (ch >= 0x20 && ch <= 0x7e) || ch == '\t' || ch == '\r' || ch == '\n';
}

static uint32_t unit16(const uint8_t *p, bool big_endian)
{
	return big_endian ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

/* Of the first SNIFF_MAX characters before a NUL, are 3/4 or more texty? */
static bool mostly_text16(const uint8_t *p, size_t units, bool big_endian)
{
	size_t seen = 0, good = 0;

	for (size_t i = 0; i < units && seen < SNIFF_MAX; i++, seen++) {
		uint32_t ch = unit16(p + 2 * i, big_endian);
		if (!ch)
			break;
		good += texty(ch);
	}
	return seen && good * 4 >= seen * 3;
}

/* Bytes in the well-formed UTF-8 sequence of two or more bytes at @p, or 0. */
static size_t utf8_sequence(const uint8_t *p, size_t n)
{
	size_t need = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3 :
		      p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;

	if (need > n)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/* Like mostly_text16; accented letters in UTF-8 count as text, random
 * bytes above 0x7f do not. */
static bool mostly_text8(const uint8_t *p, size_t n)
{
	size_t seen = 0, good = 0;

	for (size_t i = 0; i < n && seen < SNIFF_MAX && p[i]; seen++) {
		size_t len = p[i] >= 0x80 ? utf8_sequence(p + i, n - i) : 0;
		good += len || texty(p[i]);
		i += len ? len : 1;
	}
	return seen && good * 4 >= seen * 3;
}

struct out {
	char *buf;
	size_t size, len;
	bool cut;
};

/* Appends UTF-8 for @cp, whole or not at all. */
static void put_utf8(struct out *o, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (o->cut || o->len + n > o->size - 1) {
		o->cut = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		o->buf[o->len++] = b[i];
}

static void decode16(struct out *o, const uint8_t *p, size_t units, bool big_endian)
{
	for (size_t i = 0; i < units && !o->cut; i++) {
		uint32_t ch = unit16(p + 2 * i, big_endian);
		if (!ch)
			return;
		if (ch >= 0xd800 && ch < 0xdc00 && i + 1 < units) {
			uint32_t lo = unit16(p + 2 * (i + 1), big_endian);
			if (lo >= 0xdc00 && lo < 0xe000) {
				ch = 0x10000 + ((ch - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			}
		}
		if (ch >= 0xd800 && ch < 0xe000)
			ch = 0xfffd; /* a lone surrogate */
		put_utf8(o, ch);
	}
}

static void decode8(struct out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && p[i]; i++) {
		if (o->len + 1 > o->size - 1) {
			o->cut = true;
			return;
		}
		o->buf[o->len++] = (char)p[i];
	}
}

static enum cmdline_encoding detect(const uint8_t **p, size_t *n)
{
	const uint8_t *b = *p;

	if (*n >= 2 && b[0] == 0xff && b[1] == 0xfe) {
		*p += 2, *n -= 2;
		return CMDLINE_UTF16LE;
	}
	if (*n >= 2 && b[0] == 0xfe && b[1] == 0xff) {
		*p += 2, *n -= 2;
		return CMDLINE_UTF16BE;
	}
	if (*n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
		*p += 3, *n -= 3;
		return CMDLINE_8BIT;
	}
	if (*n == 0 || b[0] == 0)
		return CMDLINE_EMPTY;
	if (*n % 2 == 0 && mostly_text16(b, *n / 2, false))
		return CMDLINE_UTF16LE;
	return mostly_text8(b, *n) ? CMDLINE_8BIT : CMDLINE_BINARY;
}

struct cmdline_decoded cmdline_decode(const void *in, size_t n, char *out, size_t out_size)
{
	const uint8_t *p = in;
	struct out o = { out, out_size, 0, false };
	enum cmdline_encoding e = p ? detect(&p, &n) : CMDLINE_EMPTY;

	if (e == CMDLINE_UTF16LE || e == CMDLINE_UTF16BE)
		decode16(&o, p, n / 2, e == CMDLINE_UTF16BE);
	else if (e == CMDLINE_8BIT)
		decode8(&o, p, n);
	out[o.len] = '\0';
	if (e != CMDLINE_BINARY && o.len == 0 && !o.cut)
		e = CMDLINE_EMPTY;
	return (struct cmdline_decoded){ e, o.len, o.cut };
}

const char *cmdline_encoding_name(enum cmdline_encoding e)
{
	switch (e) {
	case CMDLINE_8BIT: return "ASCII/UTF-8";
	case CMDLINE_UTF16LE: return "UTF-16LE";
	case CMDLINE_UTF16BE: return "UTF-16BE";
	case CMDLINE_BINARY: return "binary";
	default: return "empty";
	}
}
