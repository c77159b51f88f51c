/*
 * cmdline.h — the command line: key=value tokens, read the same way by the
 * loader (video=, gdb=) and the kernel (everything), because both call this
 * one tokenizer; they cannot disagree about what a token is.
 *
 * Parsing is forgiving but never silent: every token it cannot use is
 * dropped with a warning, so a typo in CMDLINE.TXT shows up on the console.
 */
#ifndef COOP_KERNEL_CMDLINE_H
#define COOP_KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX_ARGS 32
#define CMDLINE_KEY_MAX 32     /* bytes, including the NUL */
#define CMDLINE_VALUE_MAX 256  /* bytes, including the NUL */
/* A token's text as kept: longer ones are measured, not stored. */
#define CMDLINE_TOKEN_MAX (CMDLINE_KEY_MAX + CMDLINE_VALUE_MAX)

/**
 * struct cmdline_token - one token, as cmdline_token_next() found it.
 * Tokens are separated by spaces, tabs, CRs and LFs.  A double or single
 * quote starts a quoted stretch that ends at the same quote; separators
 * inside it belong to the token and the quotes themselves are removed, so
 * keymap="de", "keymap=de" and keymap=de are one token, keymap=de.
 */
struct cmdline_token {
	char text[CMDLINE_TOKEN_MAX]; /* without quotes, NUL-terminated, cut short */
	size_t len;                   /* the whole token's length, without quotes */
	bool printable;               /* every byte is printable ASCII (0x21..0x7e) */
	bool unclosed_quote;          /* the text ended inside a quote */
	bool at_end;                  /* no separator followed: the text ended */
};

/* Reads the token at *pos into @t and moves *pos past it; false when only
 * separators (or nothing) are left.  A leading UTF-8 byte-order mark is
 * skipped when *pos is the start of the text (@start). */
bool cmdline_token_next(const char *start, const char **pos, struct cmdline_token *t);

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

/* The text was cut short (the source was longer than the buffer). */
#define CMDLINE_CUT 1u

/**
 * cmdline_parse - split NUL-terminated @text into @c.
 * Tokens dropped with a warning: no '=', an empty key, a key longer than
 * CMDLINE_KEY_MAX - 1, a key not in @known_keys (NULL-terminated; the warning
 * lists them all), bytes outside printable ASCII (so one accented letter
 * costs only its own token), an unclosed quote, tokens after the
 * CMDLINE_MAX_ARGS-th, and -- with CMDLINE_CUT in @flags -- the last token if
 * the cut ran through it.  Kept with a warning: a too-long value (truncated)
 * and a repeated key (the last value wins).  @warn may be NULL.
 */
void cmdline_parse(struct cmdline *c, const char *text, const char *const *known_keys,
		   cmdline_warn_fn warn, unsigned flags);
/* The value of @key, or NULL if the command line did not set it. */
const char *cmdline_get(const struct cmdline *c, const char *key);

#endif
