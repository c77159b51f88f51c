/* Tests of kernel/lib/cmdline_decode: LoadOptions and CMDLINE.TXT bytes in
 * every encoding users and firmware produce, into the text the tokenizer
 * reads -- and, end to end, what then survives cmdline_parse. */
#include "kernel/boot_info.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/cmdline_decode.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(cmdline_decode);

static char out[BOOT_CMDLINE_MAX];
static uint8_t raw[4 * BOOT_CMDLINE_MAX];

/* @s as UCS-2 (UTF-16) code units, optionally big-endian and after a BOM;
 * returns the byte count.  \x80..\xff in @s stand for U+0080..U+00FF. */
static size_t utf16(const char *s, bool bom, bool big_endian, bool nul)
{
	size_t n = 0;
	if (bom) {
		raw[n++] = big_endian ? 0xfe : 0xff;
		raw[n++] = big_endian ? 0xff : 0xfe;
	}
	for (; *s || nul; s++) {
		uint8_t c = (uint8_t)*s;
		raw[n++] = big_endian ? 0 : c;
		raw[n++] = big_endian ? c : 0;
		if (!*s)
			break;
	}
	return n;
}

static struct cmdline_decoded decode(size_t n)
{
	return cmdline_decode(raw, n, out, sizeof out);
}

static const char *const keys[] = { "keymap", "video", "heap", "timer_hz", NULL };

KTEST(cmdline_decode, ucs2_load_options_as_the_shell_passes_them)
{
	struct cmdline_decoded d = decode(utf16("keymap=de video=800x600", false, false, true));
	EXPECT_EQ(d.encoding, CMDLINE_UTF16LE);
	EXPECT_STREQ(out, "keymap=de video=800x600");
	EXPECT_EQ(d.len, 23);
	EXPECT_FALSE(d.cut);
}

/* One accented letter used to lose every key; now only its own token. */
KTEST(cmdline_decode, one_accented_letter_costs_one_token)
{
	static struct cmdline c;
	struct cmdline_decoded d = decode(utf16("keymap=d\xe9 video=800x600 heap=list", false,
						false, true));
	EXPECT_EQ(d.encoding, CMDLINE_UTF16LE);
	EXPECT_STREQ(out, "keymap=d\xc3\xa9 video=800x600 heap=list"); /* UTF-8 */
	cmdline_parse(&c, out, keys, NULL, 0);
	EXPECT_EQ(c.count, 2);
	EXPECT_EQ(c.warnings, 1);
	EXPECT_STREQ(cmdline_get(&c, "video"), "800x600");
	EXPECT_NULL(cmdline_get(&c, "keymap"));
}

/* efibootmgr without -u stores the bytes as they are. */
KTEST(cmdline_decode, eight_bit_load_options)
{
	memcpy(raw, "keymap=de video=800x600", 24); /* with its NUL: an even size */
	struct cmdline_decoded d = decode(24);
	EXPECT_EQ(d.encoding, CMDLINE_8BIT);
	EXPECT_STREQ(out, "keymap=de video=800x600");
	memcpy(raw, "keymap=de", 9); /* odd, no NUL */
	d = decode(9);
	EXPECT_EQ(d.encoding, CMDLINE_8BIT);
	EXPECT_STREQ(out, "keymap=de");
	memcpy(raw, "keymap=d\xe9 heap=list", 19); /* Latin-1: an invalid UTF-8 byte */
	d = decode(19);
	EXPECT_EQ(d.encoding, CMDLINE_8BIT);
	EXPECT_EQ(d.len, 19);
}

KTEST(cmdline_decode, newlines_inside_load_options_separate)
{
	static struct cmdline c;
	decode(utf16("keymap=de\r\nvideo=800x600\n", false, false, false));
	cmdline_parse(&c, out, keys, NULL, 0);
	EXPECT_EQ(c.count, 2);
	EXPECT_EQ(c.warnings, 0);
}

/* Notepad's "Unicode" is UTF-16LE with a BOM; "Unicode big endian" BE. */
KTEST(cmdline_decode, utf16_files_with_a_bom)
{
	struct cmdline_decoded d = decode(utf16("keymap=de\r\n", true, false, false));
	EXPECT_EQ(d.encoding, CMDLINE_UTF16LE);
	EXPECT_STREQ(out, "keymap=de\r\n");
	d = decode(utf16("keymap=de\r\n", true, true, false));
	EXPECT_EQ(d.encoding, CMDLINE_UTF16BE);
	EXPECT_STREQ(out, "keymap=de\r\n");
	/* A UTF-8 BOM is dropped too. */
	memcpy(raw, "\xef\xbb\xbfheap=list", 12);
	d = decode(12);
	EXPECT_EQ(d.encoding, CMDLINE_8BIT);
	EXPECT_STREQ(out, "heap=list");
}

KTEST(cmdline_decode, surrogate_pairs_and_lone_surrogates)
{
	/* U+1F600 as D83D DE00, then a lone DC00, then 'a'. */
	const uint8_t s[] = { 0xff, 0xfe, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xdc, 'a', 0 };
	memcpy(raw, s, sizeof s);
	struct cmdline_decoded d = decode(sizeof s);
	EXPECT_EQ(d.encoding, CMDLINE_UTF16LE);
	EXPECT_STREQ(out, "\xf0\x9f\x98\x80\xef\xbf\xbd" "a");
}

/* OVMF's own boot entries carry binary data: a GUID, a device path. */
KTEST(cmdline_decode, binary_load_options_are_not_text)
{
	const uint8_t guid[16] = { 0x4e, 0xac, 0x08, 0x81, 0x11, 0x9f, 0x59, 0x4d,
				   0x85, 0x0e, 0xe2, 0x1a, 0x52, 0x2c, 0x59, 0xb2 };
	memcpy(raw, guid, sizeof guid);
	struct cmdline_decoded d = decode(sizeof guid);
	EXPECT_EQ(d.encoding, CMDLINE_BINARY);
	EXPECT_STREQ(out, "");
	EXPECT_EQ(d.len, 0);
	raw[0] = 0;
	EXPECT_EQ(decode(4).encoding, CMDLINE_EMPTY);
	EXPECT_EQ(decode(0).encoding, CMDLINE_EMPTY);
	EXPECT_EQ(cmdline_decode(NULL, 5, out, sizeof out).encoding, CMDLINE_EMPTY);
}

/* The output is cut at the buffer, never inside a character. */
KTEST(cmdline_decode, cut_at_the_buffer_whole_characters_only)
{
	size_t n = 0;
	for (unsigned i = 0; i < 600; i++) {
		raw[n++] = 0xe9; /* é: two bytes of UTF-8 each */
		raw[n++] = 0x00;
	}
	struct cmdline_decoded d = decode(n);
	EXPECT_EQ(d.encoding, CMDLINE_BINARY); /* no ASCII at all: not text */
	n = utf16("timer_hz=250", false, false, false);
	char small[12];
	d = cmdline_decode(raw, n, small, sizeof small);
	EXPECT_TRUE(d.cut);
	EXPECT_STREQ(small, "timer_hz=25"); /* the tokenizer drops it, see cmdline */
	const uint8_t e[] = { 'a', 0, 'b', 0, 'c', 0, 0xe9, 0 };
	memcpy(raw, e, sizeof e);
	d = cmdline_decode(raw, sizeof e, small, 5); /* room for "abc" and half an é */
	EXPECT_EQ(d.encoding, CMDLINE_UTF16LE);
	EXPECT_TRUE(d.cut);
	EXPECT_STREQ(small, "abc");
}
