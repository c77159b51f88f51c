/*
 * cmdline.h — the kernel command line: space-separated key=value tokens.
 *
 * Parsing is forgiving but never silent: every token it cannot use is
 * dropped with a warning, so a typo in CMDLINE.TXT shows up on the console.
 */
#ifndef COOP_KERNEL_CMDLINE_H
#define COOP_KERNEL_CMDLINE_H

#define CMDLINE_MAX_ARGS 32
#define CMDLINE_KEY_MAX 32     /* bytes, including the NUL */
#define CMDLINE_VALUE_MAX 256  /* bytes, including the NUL */

struct cmdline_arg {
	char key[CMDLINE_KEY_MAX];
	char value[CMDLINE_VALUE_MAX];
};

struct cmdline {
	struct cmdline_arg args[CMDLINE_MAX_ARGS];
	unsigned count;
	unsigned warnings;
};

/* Receives one complete warning, starting "cmdline: ", without a newline. */
typedef void (*cmdline_warn_fn)(const char *line);

/**
 * cmdline_parse - split NUL-terminated @text into @c.
 * Tokens are separated by spaces, tabs, CR and LF; a leading UTF-8 BOM is
 * skipped.  Tokens dropped with a warning: no '=', an empty key, a key longer
 * than CMDLINE_KEY_MAX - 1, a key not in @known_keys (NULL-terminated; the
 * warning lists them all), non-printable bytes, and tokens after the
 * CMDLINE_MAX_ARGS-th.  Kept with a warning: a too-long value (truncated) and
 * a repeated key (the later value wins).  @warn may be NULL.
 */
void cmdline_parse(struct cmdline *c, const char *text, const char *const *known_keys,
		   cmdline_warn_fn warn);
/* The value of @key, or NULL if the command line did not set it. */
const char *cmdline_get(const struct cmdline *c, const char *key);

#endif
