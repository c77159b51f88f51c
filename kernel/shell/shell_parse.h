/*
 * shell_parse.h — the shell's words and numbers: splitting a command line
 * and checking numeric arguments, with the one-line error messages the user
 * sees.  Portable (no I/O), so the host tests cover every rejection.
 */
#ifndef COOP_KERNEL_SHELL_PARSE_H
#define COOP_KERNEL_SHELL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHELL_MAX_ARGS 16

/**
 * shell_split - cut @line in place into words separated by spaces or tabs.
 * Stores up to @max word pointers in @argv and returns how many words there
 * are, which is more than @max if some did not fit.
 */
int shell_split(char *line, char **argv, int max);

/**
 * shell_parse_uint - parse @s as a plain decimal number in [@min, @max].
 * No sign, no spaces, no other base; overflow is an error.
 */
bool shell_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/**
 * shell_one_number - check that a command got exactly one argument, a
 * number in [@min, @max] described as @what ("seconds", "tasks").
 * @argv[0] is the command name.  On error writes one line (no newline) to
 * @err, e.g. "sleep: expected seconds 1..3600, got 'x'", and returns false.
 */
bool shell_one_number(int argc, char **argv, const char *what, uint64_t min,
		      uint64_t max, uint64_t *out, char *err, size_t errlen);

#endif
