/* Tests of kernel/psf: the two embedded Terminus fonts, hand-made fonts
 * without Unicode tables or with sequences, and broken headers. */
#include "kernel/console/fonts.h"
#include "kernel/console/psf.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(psf);

static struct psf_font font;

/* The expected values below were read from the fonts with an independent
 * Python script (gzip + struct), not with this parser. */
KTEST(psf, terminus16_is_psf1_8x16)
{
	static const uint8_t glyph_A[16] = { 0, 0, 0x3c, 0x42, 0x42, 0x42, 0x42, 0x7e,
					     0x42, 0x42, 0x42, 0x42, 0, 0, 0, 0 };
	ASSERT_EQ(psf_parse(&font, font_terminus16, font_terminus16_len), 0);
	EXPECT_EQ(font.version, 1);
	EXPECT_EQ(font.glyph_count, 256);
	EXPECT_EQ(font.width, 8);
	EXPECT_EQ(font.height, 16);
	EXPECT_EQ(font.bytes_per_row, 1);
	EXPECT_EQ(font.bytes_per_glyph, 16);
	EXPECT_NOT_NULL(font.unicode_table);
	EXPECT_EQ(font.unicode_len, font_terminus16_len - 4 - 256 * 16);
	EXPECT_EQ(psf_glyph_index(&font, 'A'), 65);
	EXPECT_EQ(memcmp(psf_glyph(&font, psf_glyph_index(&font, 'A')), glyph_A, 16), 0);
}

KTEST(psf, terminus16_unicode_mapping)
{
	ASSERT_EQ(psf_parse(&font, font_terminus16, font_terminus16_len), 0);
	EXPECT_EQ(psf_glyph_index(&font, '?'), 63);
	EXPECT_EQ(psf_glyph_index(&font, 0xe9), 130);   /* é */
	EXPECT_EQ(psf_glyph_index(&font, 0x2500), 196); /* ─ */
	EXPECT_EQ(psf_glyph_index(&font, 0x4e00), 63);  /* not in font: '?' */
	EXPECT_EQ(psf_glyph_index(&font, 0), 63);       /* unmapped latin1 */
	EXPECT_EQ(font.latin1[0xe9], 130);
}

KTEST(psf, terminus32_is_psf2_16x32)
{
	ASSERT_EQ(psf_parse(&font, font_terminus32, font_terminus32_len), 0);
	EXPECT_EQ(font.version, 2);
	EXPECT_EQ(font.glyph_count, 256);
	EXPECT_EQ(font.width, 16);
	EXPECT_EQ(font.height, 32);
	EXPECT_EQ(font.bytes_per_row, 2);
	EXPECT_EQ(font.bytes_per_glyph, 64);
	EXPECT_EQ(psf_glyph_index(&font, 'A'), 65);
	EXPECT_EQ(psf_glyph_index(&font, 0xe9), 130);
	EXPECT_EQ(psf_glyph_index(&font, 0x2500), 196);
	EXPECT_EQ(psf_glyph_index(&font, 0x10000), 63);
	/* Rows 6 and 7 of 'A' are 0x0ff0 and 0x1ff8 in the font file. */
	const uint8_t *a = psf_glyph(&font, 65);
	EXPECT_EQ(a[12], 0x0f);
	EXPECT_EQ(a[13], 0xf0);
	EXPECT_EQ(a[14], 0x1f);
	EXPECT_EQ(a[15], 0xf8);
	EXPECT_EQ(a[0], 0);
	EXPECT_EQ(psf_glyph(&font, 9999), psf_glyph(&font, 0));
}

/* A PSF2 font with @n glyphs of 3x2 pixels, glyph i filled with byte i. */
static size_t make_psf2(uint8_t *buf, uint32_t n, uint32_t flags, const uint8_t *table,
			size_t table_len)
{
	const uint32_t hdr[8] = { 0x864ab572, 0, 32, flags, n, 2, 2, 3 };
	memcpy(buf, hdr, sizeof hdr);
	for (uint32_t i = 0; i < n; i++)
		buf[32 + 2 * i] = buf[33 + 2 * i] = (uint8_t)i;
	if (table_len)
		memcpy(buf + 32 + 2 * n, table, table_len);
	return 32 + 2 * n + table_len;
}

static uint8_t scratch[1024] __attribute__((aligned(8)));

KTEST(psf, psf2_without_table_maps_identity)
{
	size_t len = make_psf2(scratch, 300, 0, NULL, 0);
	ASSERT_EQ(psf_parse(&font, scratch, len), 0);
	EXPECT_NULL(font.unicode_table);
	EXPECT_EQ(font.width, 3);
	EXPECT_EQ(font.bytes_per_row, 1);
	EXPECT_EQ(psf_glyph_index(&font, 'x'), 'x');
	EXPECT_EQ(psf_glyph_index(&font, 299), 299);
	EXPECT_EQ(psf_glyph_index(&font, 300), '?');
	EXPECT_EQ(psf_glyph(&font, 7)[0], 7);
}

KTEST(psf, psf2_table_sequences_skipped)
{
	/* glyph 0: 'a' then sequence "e + U+0301"; glyph 1: U+00E9 and U+0100;
	 * glyph 2: nothing; glyph 3: '?' */
	static const uint8_t table[] = { 'a', 0xfe, 'e', 0xcc, 0x81, 0xff,
					 0xc3, 0xa9, 0xc4, 0x80, 0xff,
					 0xff,
					 '?', 0xff };
	size_t len = make_psf2(scratch, 4, 1, table, sizeof table);
	ASSERT_EQ(psf_parse(&font, scratch, len), 0);
	EXPECT_EQ(psf_glyph_index(&font, 'a'), 0);
	EXPECT_EQ(psf_glyph_index(&font, 0xe9), 1);
	EXPECT_EQ(psf_glyph_index(&font, 0x100), 1);
	EXPECT_EQ(psf_glyph_index(&font, 'e'), 3);     /* only in a sequence */
	EXPECT_EQ(psf_glyph_index(&font, 0x301), 3);
	EXPECT_EQ(psf_glyph_index(&font, 'z'), 3);
}

KTEST(psf, psf1_512_without_table)
{
	memset(scratch, 0, sizeof scratch);
	scratch[0] = 0x36;
	scratch[1] = 0x04;
	scratch[2] = 0x01; /* 512 glyphs, no table */
	scratch[3] = 1;    /* 8x1 */
	ASSERT_EQ(psf_parse(&font, scratch, 4 + 512), 0);
	EXPECT_EQ(font.glyph_count, 512);
	EXPECT_NULL(font.unicode_table);
	EXPECT_EQ(psf_glyph_index(&font, 0x1ff), 0x1ff);
	EXPECT_EQ(psf_parse(&font, scratch, 4 + 511), PSF_ERR_SHORT);
}

KTEST(psf, psf1_table_without_question_mark_falls_back_to_0)
{
	memset(scratch, 0, sizeof scratch);
	scratch[0] = 0x36, scratch[1] = 0x04, scratch[2] = 0x02, scratch[3] = 1;
	uint8_t *t = scratch + 4 + 256;
	/* glyph 0: U+0041; glyph 1: U+0042 then sequence FFFE 0043 0044 */
	const uint16_t tab[] = { 0x41, 0xffff, 0x42, 0xfffe, 0x43, 0x44, 0xffff };
	memcpy(t, tab, sizeof tab);
	ASSERT_EQ(psf_parse(&font, scratch, 4 + 256 + sizeof tab), 0);
	EXPECT_EQ(psf_glyph_index(&font, 'B'), 1);
	EXPECT_EQ(psf_glyph_index(&font, 'C'), 0);
	EXPECT_EQ(psf_glyph_index(&font, 0x263a), 0);
	/* An odd trailing byte in the table is ignored, not read past. */
	ASSERT_EQ(psf_parse(&font, scratch, 4 + 256 + 3), 0);
	EXPECT_EQ(psf_glyph_index(&font, 'A'), 0);
}

KTEST(psf, bad_headers_rejected)
{
	uint32_t *h = (uint32_t *)scratch;

	EXPECT_EQ(psf_parse(&font, scratch, 0), PSF_ERR_SHORT);
	EXPECT_EQ(psf_parse(&font, "\x36", 1), PSF_ERR_SHORT);
	EXPECT_EQ(psf_parse(&font, "\x36\x04\x00", 3), PSF_ERR_SHORT);
	EXPECT_EQ(psf_parse(&font, "GIF89a", 6), PSF_ERR_MAGIC);
	EXPECT_EQ(psf_parse(&font, "\x36\x04\x00\x00", 4), PSF_ERR_HEADER); /* height 0 */
	EXPECT_EQ(psf_parse(&font, "\x72\xb5\x4a\x86", 4), PSF_ERR_SHORT);

	size_t len = make_psf2(scratch, 4, 0, NULL, 0);
	ASSERT_EQ(psf_parse(&font, scratch, len), 0);
	h[1] = 1; /* version */
	EXPECT_EQ(psf_parse(&font, scratch, len), PSF_ERR_HEADER);
	h[1] = 0, h[2] = 16; /* header size below 32 */
	EXPECT_EQ(psf_parse(&font, scratch, len), PSF_ERR_HEADER);
	h[2] = 0xfffffff0u; /* header size past the end */
	EXPECT_EQ(psf_parse(&font, scratch, len), PSF_ERR_SHORT);
	h[2] = 32, h[4] = 0; /* no glyphs */
	EXPECT_EQ(psf_parse(&font, scratch, len), PSF_ERR_HEADER);
	h[4] = 0xffffffffu; /* absurd count */
	EXPECT_EQ(psf_parse(&font, scratch, len), PSF_ERR_HEADER);
	h[4] = 4, h[5] = 1; /* glyph smaller than width x height */
	EXPECT_EQ(psf_parse(&font, scratch, len), PSF_ERR_HEADER);
	h[5] = 0x80000000u; /* glyphs overflow 32 bits */
	EXPECT_EQ(psf_parse(&font, scratch, len), PSF_ERR_SHORT);
	h[5] = 2, h[7] = 0; /* zero width */
	EXPECT_EQ(psf_parse(&font, scratch, len), PSF_ERR_HEADER);
	h[7] = 3;
	EXPECT_EQ(psf_parse(&font, scratch, len - 1), PSF_ERR_SHORT);
	EXPECT_EQ(font.glyphs, NULL); /* a failed parse leaves nothing behind */
}

KTEST(psf, corrupt_psf2_table_is_harmless)
{
	/* Bad UTF-8, a lead byte at the very end, and no final terminator. */
	static const uint8_t table[] = { 0x80, 'x', 0xff, 0xe2, 0x94, 'y', 0xff, 0xf0 };
	size_t len = make_psf2(scratch, 2, 1, table, sizeof table);
	ASSERT_EQ(psf_parse(&font, scratch, len), 0);
	EXPECT_EQ(psf_glyph_index(&font, 'x'), 0);
	EXPECT_EQ(psf_glyph_index(&font, 'y'), 1);
	EXPECT_EQ(psf_glyph_index(&font, 0x2500), 0); /* no '?': glyph 0 */
}

#ifdef COOP_HOST
#include <stdlib.h>

KTEST_SUITE_FLAGS(psf_truncation, KTEST_HOST_ONLY);

/* Every prefix of each real font, in an exact-size heap copy so ASan sees any
 * read past the end.  Prefixes that hold all glyphs parse (the table is just
 * shorter); shorter ones fail. */
static void sweep(struct ktest *_kt, const unsigned char *data, size_t len, size_t need)
{
	for (size_t n = 0; n <= len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, data, n);
		int r = psf_parse(&font, copy, n);
		if (n < need)
			EXPECT_LT(r, 0);
		else
			EXPECT_EQ(r, 0);
		if (r == 0)
			(void)psf_glyph_index(&font, 0x2500);
		free(copy);
	}
}

KTEST(psf_truncation, every_prefix_of_both_fonts)
{
	sweep(_kt, font_terminus16, font_terminus16_len, 4 + 256 * 16);
	sweep(_kt, font_terminus32, font_terminus32_len, 32 + 256 * 64);
}
#endif

/* Debian's console fonts map U+FFFD (498 of 649), and the console draws it
 * for invalid UTF-8.  A malformed entry before the real one must not be
 * taken for U+FFFD: the parser used U+FFFD as its "bad entry" marker. */
KTEST(psf, malformed_entry_is_not_u_fffd)
{
	static const uint8_t table[] = {
		0xC3, 0xFF,             /* glyph 0: a cut-short sequence */
		0x80, 0xFF,             /* glyph 1: a stray continuation byte */
		'A', 0xFF,              /* glyph 2: 'A' */
		0xEF, 0xBF, 0xBD, 0xFF, /* glyph 3: U+FFFD, for real */
	};
	size_t len = make_psf2(scratch, 4, 1, table, sizeof table);
	ASSERT_EQ(psf_parse(&font, scratch, len), 0);
	EXPECT_EQ(psf_glyph_index(&font, 0xFFFD), 3);
	EXPECT_EQ(psf_glyph_index(&font, 'A'), 2);
}
