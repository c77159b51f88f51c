/*
 * cmdline_decode.h — raw command-line bytes, as the firmware or a file hold
 * them, into the text cmdline_parse() reads.
 *
 * Two sources, one decoder: the image's UEFI LoadOptions (UCS-2 from the
 * UEFI shell and `efibootmgr -u`, plain 8-bit bytes from `efibootmgr`
 * without -u, binary data from entries the firmware made) and
 * \EFI\BOOT\CMDLINE.TXT (ASCII or UTF-8, with or without a byte-order mark,
 * or UTF-16 from Notepad's "Unicode").  The result is UTF-8: a character
 * outside ASCII survives decoding, and the tokenizer then drops only the
 * token holding it, with a warning, instead of the whole command line.
 */
#ifndef COOP_KERNEL_CMDLINE_DECODE_H
#define COOP_KERNEL_CMDLINE_DECODE_H

#include <stdbool.h>
#include <stddef.h>

enum cmdline_encoding {
	CMDLINE_EMPTY,     /* nothing before the first NUL */
	CMDLINE_8BIT,      /* ASCII or UTF-8 (a UTF-8 BOM is dropped) */
	CMDLINE_UTF16LE,   /* with a BOM, or UCS-2 as LoadOptions carry it */
	CMDLINE_UTF16BE,   /* with a BOM only */
	CMDLINE_BINARY,    /* not text: nothing decoded */
};

struct cmdline_decoded {
	enum cmdline_encoding encoding;
	size_t len;        /* bytes written, without the NUL */
	bool cut;          /* the output filled up before the input ended */
};

/**
 * cmdline_decode - decode @n bytes at @in into NUL-terminated UTF-8 @out
 * (@out_size >= 1 bytes).  Decoding stops at the first NUL character.  A
 * multi-byte character that does not fit is left out whole and counts as
 * a cut.  Input in which under three quarters of the characters are
 * printable ASCII, tab, CR or LF is CMDLINE_BINARY (firmware-made boot
 * entries carry device paths and GUIDs), and @out is left empty.
 */
struct cmdline_decoded cmdline_decode(const void *in, size_t n, char *out, size_t out_size);

/* "UTF-16LE", "8-bit", ...: for messages. */
const char *cmdline_encoding_name(enum cmdline_encoding e);

#endif
