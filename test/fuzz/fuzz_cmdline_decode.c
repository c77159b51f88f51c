/*
 * libFuzzer target: cmdline_decode, the LoadOptions / CMDLINE.TXT decoder,
 * on arbitrary bytes, then the tokenizer on what it produced (as the loader
 * and the kernel do).  Byte 0 sets the output size (1..256, or the real
 * BOOT_CMDLINE_MAX when it is 0), so cuts at every position are tried.
 *
 * Checks beyond ASan/UBSan: the output is NUL-terminated with no NUL inside
 * and len bytes long; nothing is written past the buffer (it is an exact-
 * size heap block); binary and empty inputs decode to nothing; UTF-16
 * input decodes to well-formed UTF-8; a cut leaves no partial character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/boot_info.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/cmdline_decode.h"

static const char *const keys[] = { "test", "keymap", "heap", "video", "loglevel",
				    "timer_hz", NULL };

/* Well-formed UTF-8 (what put_utf8 writes), no overlongs checked beyond that. */
static void check_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t len = s[i] < 0x80 ? 1 : (s[i] & 0xe0) == 0xc0 ? 2 :
			     (s[i] & 0xf0) == 0xe0 ? 3 : (s[i] & 0xf8) == 0xf0 ? 4 : 0;
		if (!len || i + len > n)
			abort();
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				abort();
		i += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdline c;
	size_t out_size = size && data[0] ? data[0] : BOOT_CMDLINE_MAX;

	if (size) {
		data++;
		size--;
	}
	char *out = malloc(out_size);
	struct cmdline_decoded d = cmdline_decode(data, size, out, out_size);
	if (d.len >= out_size || out[d.len] != '\0' || strlen(out) != d.len)
		abort();
	if ((d.encoding == CMDLINE_BINARY || d.encoding == CMDLINE_EMPTY) && d.len)
		abort();
	if (d.encoding == CMDLINE_UTF16LE || d.encoding == CMDLINE_UTF16BE)
		check_utf8((const unsigned char *)out, d.len);
	cmdline_parse(&c, out, keys, NULL, d.cut ? CMDLINE_CUT : 0);
	if (c.count > CMDLINE_MAX_ARGS)
		abort();
	free(out);
	return 0;
}
