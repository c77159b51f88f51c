/*
 * libFuzzer target: cmdline_parse, the tokenizer the loader and the kernel
 * share, on arbitrary bytes.  Byte 0 picks the flags (bit 0: CMDLINE_CUT),
 * the rest is the text (a NUL-terminated copy).
 *
 * Checks beyond ASan/UBSan: warnings are one line starting "cmdline: ";
 * stored keys and values are terminated, printable, keys unique and free of
 * '='; and the
 * loader's reading (its two keys, efi/cmdline.c) gives the same video= and
 * gdb= as the kernel's (all its keys), whatever else the line holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/cmdline.h"

static const char *const kernel_keys[] = { "test", "bench", "keymap", "heap", "video", "irq",
					   "loglevel", "timer_hz", "gdb", NULL };
static const char *const loader_keys[] = { "video", "gdb", NULL };

static void check_warning(const char *line)
{
	if (strncmp(line, "cmdline: ", 9) != 0 || strchr(line, '\n'))
		abort();
}

static void check_args(const struct cmdline *c)
{
	if (c->count > CMDLINE_MAX_ARGS)
		abort();
	for (unsigned i = 0; i < c->count; i++) {
		const struct cmdline_arg *a = &c->args[i];
		if (strnlen(a->key, CMDLINE_KEY_MAX) >= CMDLINE_KEY_MAX ||
		    strnlen(a->value, CMDLINE_VALUE_MAX) >= CMDLINE_VALUE_MAX || !a->key[0])
			abort();
		for (const char *p = a->key; *p; p++)
			if (*p < 0x21 || *p > 0x7e || *p == '=')
				abort();
		for (const char *p = a->value; *p; p++)
			if (*p < 0x21 || *p > 0x7e)
				abort();
		if (cmdline_get(c, a->key) != a->value)
			abort(); /* keys are unique */
	}
}

static void same(const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdline kernel, loader;
	unsigned flags = size && (data[0] & 1) ? CMDLINE_CUT : 0;
	char *text;

	if (size) {
		data++;
		size--;
	}
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	cmdline_parse(&kernel, text, kernel_keys, check_warning, flags);
	cmdline_parse(&loader, text, loader_keys, NULL, flags);
	check_args(&kernel);
	check_args(&loader);
	same(cmdline_get(&kernel, "video"), cmdline_get(&loader, "video"));
	same(cmdline_get(&kernel, "gdb"), cmdline_get(&loader, "gdb"));
	free(text);
	return 0;
}
