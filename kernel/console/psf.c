/*
 * psf.c — PSF1/PSF2 headers and Unicode tables.
 *
 * The Unicode table lists, glyph by glyph, the code points the glyph shows,
 * then optional multi-code-point sequences, then a terminator.  PSF1 stores
 * 16-bit little-endian values (0xFFFE starts a sequence, 0xFFFF ends the
 * glyph); PSF2 stores UTF-8 (0xFE starts a sequence, 0xFF ends the glyph).
 * We use only single code points; sequences are skipped.
 */
#include <stdbool.h>

#include "kernel/console/psf.h"
#include "kernel/lib/string.h"

#define PSF1_MODE512 0x01
#define PSF1_MODEHASTAB 0x02
#define PSF1_MODESEQ 0x04
#define PSF2_HAS_UNICODE_TABLE 0x01
#define PSF2_HEADER_MIN 32

#define TABLE_SEQ_START 0x80000000u /* pseudo code points from table_next */
#define TABLE_GLYPH_END 0x80000001u
#define TABLE_EOF 0x80000002u
/* A malformed entry: a value no code point can have, so looking up any real
 * one (U+FFFD included, which most console fonts map) never matches it. */
#define TABLE_BAD 0x80000003u

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int parse_psf1(struct psf_font *f, const uint8_t *p, size_t len)
{
	if (len < 4)
		return PSF_ERR_SHORT;
	f->version = 1;
	f->glyph_count = (p[2] & PSF1_MODE512) ? 512 : 256;
	f->width = 8;
	f->height = p[3];
	f->bytes_per_row = 1;
	f->bytes_per_glyph = p[3];
	if (f->height == 0)
		return PSF_ERR_HEADER;
	if ((size_t)f->glyph_count * f->bytes_per_glyph > len - 4)
		return PSF_ERR_SHORT;
	f->glyphs = p + 4;
	if (p[2] & (PSF1_MODEHASTAB | PSF1_MODESEQ)) {
		size_t used = 4 + (size_t)f->glyph_count * f->bytes_per_glyph;
		f->unicode_table = p + used;
		f->unicode_len = len - used;
	}
	return 0;
}

static int parse_psf2(struct psf_font *f, const uint8_t *p, size_t len)
{
	if (len < PSF2_HEADER_MIN)
		return PSF_ERR_SHORT;
	uint32_t header = le32(p + 8), flags = le32(p + 12);
	f->version = 2;
	f->glyph_count = le32(p + 16);
	f->bytes_per_glyph = le32(p + 20);
	f->height = le32(p + 24);
	f->width = le32(p + 28);
	if (le32(p + 4) != 0 || header < PSF2_HEADER_MIN || f->glyph_count == 0 ||
	    f->glyph_count > 65536 || f->width == 0 || f->width > PSF_MAX_DIM ||
	    f->height == 0 || f->height > PSF_MAX_DIM)
		return PSF_ERR_HEADER;
	f->bytes_per_row = (f->width + 7) / 8;
	if (f->bytes_per_glyph < f->bytes_per_row * f->height)
		return PSF_ERR_HEADER;
	/* All operands are below 2^32, so the 64-bit sum cannot overflow. */
	uint64_t used = header + (uint64_t)f->glyph_count * f->bytes_per_glyph;
	if (used > len)
		return PSF_ERR_SHORT;
	f->glyphs = p + header;
	if (flags & PSF2_HAS_UNICODE_TABLE) {
		f->unicode_table = p + used;
		f->unicode_len = len - (size_t)used;
	}
	return 0;
}

/* Decodes one PSF2 table entry (UTF-8, or the 0xFE/0xFF markers).  A bad or
 * cut-short sequence yields TABLE_BAD and moves on. */
static uint32_t table_next_utf8(const uint8_t *t, size_t len, size_t *pos)
{
	uint8_t b = t[(*pos)++];
	unsigned need;
	uint32_t cp;

	if (b == 0xFF)
		return TABLE_GLYPH_END;
	if (b == 0xFE)
		return TABLE_SEQ_START;
	if (b < 0x80)
		return b;
	if ((b & 0xE0) == 0xC0)
		cp = b & 0x1F, need = 1;
	else if ((b & 0xF0) == 0xE0)
		cp = b & 0x0F, need = 2;
	else if ((b & 0xF8) == 0xF0)
		cp = b & 0x07, need = 3;
	else
		return TABLE_BAD;
	while (need--) {
		if (*pos >= len || (t[*pos] & 0xC0) != 0x80)
			return TABLE_BAD;
		cp = cp << 6 | (t[(*pos)++] & 0x3F);
	}
	return cp;
}

static uint32_t table_next(const struct psf_font *f, size_t *pos)
{
	const uint8_t *t = f->unicode_table;

	if (f->version == 2)
		return *pos < f->unicode_len ? table_next_utf8(t, f->unicode_len, pos)
					     : TABLE_EOF;
	if (*pos + 2 > f->unicode_len)
		return TABLE_EOF;
	uint32_t v = t[*pos] | (uint32_t)t[*pos + 1] << 8;
	*pos += 2;
	if (v == 0xFFFF)
		return TABLE_GLYPH_END;
	return v == 0xFFFE ? TABLE_SEQ_START : v;
}

/*
 * Walks the table, calling @visit(ctx, cp, glyph) for each single code point
 * until it returns true.  Returns that glyph, or UINT32_MAX if none matched.
 */
static uint32_t table_walk(const struct psf_font *f,
			   bool (*visit)(void *ctx, uint32_t cp, uint32_t glyph), void *ctx)
{
	size_t pos = 0;
	uint32_t glyph = 0;
	bool in_seq = false;

	while (glyph < f->glyph_count) {
		uint32_t v = table_next(f, &pos);
		if (v == TABLE_EOF)
			break;
		if (v == TABLE_GLYPH_END) {
			glyph++;
			in_seq = false;
		} else if (v == TABLE_SEQ_START) {
			in_seq = true;
		} else if (v != TABLE_BAD && !in_seq && visit(ctx, v, glyph)) {
			return glyph;
		}
	}
	return UINT32_MAX;
}

static bool note_latin1(void *ctx, uint32_t cp, uint32_t glyph)
{
	uint16_t *map = ctx;

	if (cp < 256 && map[cp] == 0xFFFF) /* the first glyph listed wins */
		map[cp] = (uint16_t)glyph;
	return false;
}

static bool is_cp(void *ctx, uint32_t cp, uint32_t glyph)
{
	(void)glyph;
	return cp == *(uint32_t *)ctx;
}

/* Fills latin1[]; code points the font lacks get the glyph for '?'. */
static void build_latin1(struct psf_font *f)
{
	uint16_t question;

	memset(f->latin1, 0xFF, sizeof f->latin1);
	if (f->unicode_table)
		table_walk(f, note_latin1, f->latin1);
	else
		for (uint32_t cp = 0; cp < 256 && cp < f->glyph_count; cp++)
			f->latin1[cp] = (uint16_t)cp;
	question = f->latin1['?'] == 0xFFFF ? 0 : f->latin1['?'];
	for (unsigned cp = 0; cp < 256; cp++)
		if (f->latin1[cp] == 0xFFFF)
			f->latin1[cp] = question;
}

int psf_parse(struct psf_font *f, const void *data, size_t len)
{
	const uint8_t *p = data;
	int err;

	memset(f, 0, sizeof *f);
	if (len >= 2 && p[0] == 0x36 && p[1] == 0x04)
		err = parse_psf1(f, p, len);
	else if (len >= 4 && le32(p) == 0x864ab572)
		err = parse_psf2(f, p, len);
	else
		err = len < 4 ? PSF_ERR_SHORT : PSF_ERR_MAGIC;
	if (err) {
		memset(f, 0, sizeof *f);
		return err;
	}
	build_latin1(f);
	return 0;
}

uint32_t psf_glyph_index(const struct psf_font *f, uint32_t cp)
{
	if (cp < 256)
		return f->latin1[cp];
	if (f->unicode_table) {
		uint32_t g = table_walk(f, is_cp, &cp);
		if (g != UINT32_MAX)
			return g;
	} else if (cp < f->glyph_count) {
		return cp;
	}
	return f->latin1['?'];
}

const uint8_t *psf_glyph(const struct psf_font *f, uint32_t index)
{
	if (index >= f->glyph_count)
		index = 0;
	return f->glyphs + (size_t)index * f->bytes_per_glyph;
}
