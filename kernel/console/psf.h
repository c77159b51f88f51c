/*
 * psf.h — PC Screen Font (PSF1 and PSF2) parsing, as used by the Linux console.
 *
 * Glyphs are bitmaps, one row after another, each row bytes_per_row bytes with
 * the leftmost pixel in the top bit.  An optional Unicode table maps code
 * points to glyph indices; without one, glyph i shows code point i.
 */
#ifndef COOP_KERNEL_PSF_H
#define COOP_KERNEL_PSF_H

#include <stddef.h>
#include <stdint.h>

#define PSF_ERR_SHORT -1    /* truncated input */
#define PSF_ERR_MAGIC -2    /* not a PSF file */
#define PSF_ERR_HEADER -3   /* nonsensical header fields */
#define PSF_MAX_DIM 256     /* widest/tallest glyph we accept */

struct psf_font {
	const uint8_t *glyphs;
	uint32_t glyph_count, width, height, bytes_per_row, bytes_per_glyph;
	uint16_t latin1[256]; /* glyph index per code point 0..255 */
	const uint8_t *unicode_table; /* NULL if the font has none */
	size_t unicode_len;
	int version; /* 1 or 2 */
};

/**
 * psf_parse - check and describe the font in @data (@len bytes).
 * @f then points into @data, which must outlive it.  Returns 0, or a
 * negative PSF_ERR_* for malformed or truncated input.  Never reads outside
 * @data.
 */
int psf_parse(struct psf_font *f, const void *data, size_t len);
/* The glyph for Unicode @cp; the glyph for '?' (or 0) if the font lacks it. */
uint32_t psf_glyph_index(const struct psf_font *f, uint32_t cp);
/* The bitmap of glyph @index (an out-of-range index gives glyph 0). */
const uint8_t *psf_glyph(const struct psf_font *f, uint32_t index);

#endif
