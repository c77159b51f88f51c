/*
 * libFuzzer target: fmt_vsnprintf with fuzzed formats.
 *
 * Raw bytes cannot be a format (a %s or %n with the wrong argument is
 * undefined behaviour in any printf), so each input byte picks a piece from a
 * safe alphabet: literal text, flags, widths, precisions, length modifiers,
 * and conversions that consume integer arguments, %c, %p, %% or unknown
 * letters.  Every conversion is given a long long argument, which is fine on
 * x86_64 for all of these.  Output is checked against the host's snprintf
 * where the two must agree (no '*', widths and precisions of up to 6 digits).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/fmt.h"

static const char *const pieces[] = {
	"a", "xyz ", "%", "%", "%", "-", "0", "+", " ", "#", "1", "7", "12", ".", ".3",
	"*", "hh", "h", "l", "ll", "z", "j", "t", "d", "i", "u", "x", "X", "o", "c", "%%",
	"q", "\n",
};

static int both(char *a, char *b, size_t n, const char *f, ...)
{
	va_list ap, ap2;
	va_start(ap, f);
	va_copy(ap2, ap);
	int r1 = fmt_vsnprintf(a, n, f, ap);
	int r2 = vsnprintf(b, n, f, ap2);
	va_end(ap2);
	va_end(ap);
	return r1 == r2 ? r1 : -1000000 - r2;
}

/* True if @f is a format on which we and libc must agree: every directive
 * is complete and standard, with no '*' or unknown conversion. */
static int comparable(const char *f)
{
	int n = 0;
	while ((f = strchr(f, '%'))) {
		f++;
		f += strspn(f, "-0+ #");
		/* Fields past INT_MAX are undefined in C; keep well below. */
		size_t digits = strspn(f, "0123456789");
		f += digits;
		if (digits > 6)
			return 0;
		if (*f == '.') {
			digits = strspn(f + 1, "0123456789");
			f += 1 + digits;
			if (digits > 6)
				return 0;
		}
		if (strchr("hljzt", *f) && *f)
			f += (f[0] == f[1] && (*f == 'h' || *f == 'l')) ? 2 : 1;
		if (!*f || !strchr("diuxXoc%", *f) || f[-1] == '*')
			return 0;
		if (*f == 'c' && strchr("hljzt", f[-1]))
			return 0; /* %lc is wide: different meaning */
		f++;
		n++;
	}
	return n < 8;
}

static int has_long_number(const char *f)
{
	for (; *f; f++)
		if (strspn(f, "0123456789") >= 9)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char f[256], a[64], b[64];
	size_t len = 0, npieces = sizeof pieces / sizeof *pieces;

	if (size < 2)
		return 0;
	/* Each '%' and '*' consumes at most one argument: keep them within the
	 * 16 passed below, or the formatter would read past the va_list. */
	unsigned consumers = 0;
	for (size_t i = 2; i < size && len + 4 < sizeof f; i++) {
		const char *p = pieces[data[i] % npieces];
		size_t pl = strlen(p);
		if ((p[0] == '%' || p[0] == '*') && ++consumers > 16)
			continue;
		memcpy(f + len, p, pl);
		len += pl;
	}
	f[len] = '\0';
	long long v = (long long)((uint64_t)data[0] * 0x0123456789abcdefull) ^ data[1];
	size_t n = data[1] % sizeof a;
	/* Up to 16 long long arguments (each '*' takes one too); spares are
	 * ignored, as C allows. */
	int r = fmt_snprintf(a, n, f, v, -v, 7LL, v, 0LL, v, -1LL, v, 3LL, v, v, v, v,
			     v, v, v);
	/* %c of 0 puts a NUL inside the text, so check the terminator's place
	 * rather than strlen.  -1 (a length past INT_MAX) needs a huge field:
	 * a '*' argument or a run of 9+ digits. */
	if (r < 0 && (r != -1 || (!strchr(f, '*') && !has_long_number(f))))
		abort();
	if (n && a[r >= 0 && (size_t)r < n ? (size_t)r : n - 1] != '\0')
		abort();
	if (!comparable(f))
		return 0;
	r = both(a, b, sizeof a, f, v, -v, 7LL, v, 0LL, v, -1LL, v);
	if (r < 0 || memcmp(a, b, (size_t)r < sizeof a ? (size_t)r : sizeof a - 1) != 0)
		abort();
	return 0;
}
