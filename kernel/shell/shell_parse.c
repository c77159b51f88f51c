/*
 * shell_parse.c — see shell_parse.h.
 */
#include "kernel/shell/shell_parse.h"

#include "kernel/lib/fmt.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

int shell_split(char *line, char **argv, int max)
{
	int argc = 0;

	for (char *p = line; *p;) {
		while (is_space(*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (argc < max)
			argv[argc] = p;
		argc++;
		while (*p && !is_space(*p))
			p++;
	}
	return argc;
}

bool shell_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool shell_one_number(int argc, char **argv, const char *what, uint64_t min,
		      uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	if (argc > 2) {
		fmt_snprintf(err, errlen, "%s: expected one argument, got %d", argv[0],
			     argc - 1);
		return false;
	}
	if (argc == 2 && shell_parse_uint(argv[1], min, max, out))
		return true;
	fmt_snprintf(err, errlen, "%s: expected %s %llu..%llu, got %s%s%s", argv[0], what,
		     (unsigned long long)min, (unsigned long long)max,
		     argc == 2 ? "'" : "", argc == 2 ? argv[1] : "nothing",
		     argc == 2 ? "'" : "");
	return false;
}
