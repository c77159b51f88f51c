/* libFuzzer target: cmdline_parse on arbitrary bytes (NUL-terminated copy). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/cmdline.h"

static const char *const keys[] = { "test", "keymap", "heap", "video", "loglevel",
				    "timer_hz", NULL };

static void check_warning(const char *line)
{
	if (strncmp(line, "cmdline: ", 9) != 0 || strchr(line, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdline c;
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	cmdline_parse(&c, text, keys, check_warning);
	if (c.count > CMDLINE_MAX_ARGS)
		abort();
	for (unsigned i = 0; i < c.count; i++) {
		if (strnlen(c.args[i].key, CMDLINE_KEY_MAX) >= CMDLINE_KEY_MAX ||
		    strnlen(c.args[i].value, CMDLINE_VALUE_MAX) >= CMDLINE_VALUE_MAX)
			abort();
		if (cmdline_get(&c, c.args[i].key) != c.args[i].value)
			abort(); /* keys are unique */
	}
	free(text);
	return 0;
}
