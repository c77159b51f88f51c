/* Tests of kernel/fmt: every conversion, flag, length and width. */
#include <limits.h>
#include <stdint.h>

#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

/* These tests feed the formatter what the compiler's printf checker objects
 * to (redundant flags, unknown conversions, NULL %s, huge widths) on purpose. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"

KTEST_SUITE(fmt);

/* Formats into a static buffer (the kernel stack is small) and returns it. */
static char out[128];
#define F(...) (fmt_snprintf(out, sizeof out, __VA_ARGS__), out)

KTEST(fmt, plain_text_and_percent)
{
	EXPECT_STREQ(F("hello"), "hello");
	EXPECT_STREQ(F("100%%"), "100%");
	EXPECT_STREQ(F("%%%d%%", 5), "%5%");
	EXPECT_STREQ(F("%s", ""), "");
}

KTEST(fmt, signed_decimal)
{
	EXPECT_STREQ(F("%d", 0), "0");
	EXPECT_STREQ(F("%d", -42), "-42");
	EXPECT_STREQ(F("%i", 12345), "12345");
	EXPECT_STREQ(F("%d", INT_MAX), "2147483647");
	EXPECT_STREQ(F("%d", INT_MIN), "-2147483648");
	EXPECT_STREQ(F("%ld", LONG_MIN), "-9223372036854775808");
	EXPECT_STREQ(F("%lld", LLONG_MIN), "-9223372036854775808");
	EXPECT_STREQ(F("%lld", LLONG_MAX), "9223372036854775807");
}

KTEST(fmt, unsigned_and_hex)
{
	EXPECT_STREQ(F("%u", 4000000000u), "4000000000");
	EXPECT_STREQ(F("%x", 0xdeadbeefu), "deadbeef");
	EXPECT_STREQ(F("%X", 0xdeadbeefu), "DEADBEEF");
	EXPECT_STREQ(F("%llu", ULLONG_MAX), "18446744073709551615");
	EXPECT_STREQ(F("%llx", ULLONG_MAX), "ffffffffffffffff");
	EXPECT_STREQ(F("%o", 8u), "10");
	EXPECT_STREQ(F("%x", 0u), "0");
}

KTEST(fmt, length_modifiers_truncate)
{
	EXPECT_STREQ(F("%hhd", 255), "-1");
	EXPECT_STREQ(F("%hhu", 0x1ff), "255");
	EXPECT_STREQ(F("%hd", 0x18000), "-32768");
	EXPECT_STREQ(F("%hx", 0x12345), "2345");
	EXPECT_STREQ(F("%lx", 0x123456789abcdefUL), "123456789abcdef");
	EXPECT_STREQ(F("%zu", (size_t)-1), "18446744073709551615");
	EXPECT_STREQ(F("%zx", (size_t)4096), "1000");
	EXPECT_STREQ(F("%jd", (intmax_t)INT64_MIN), "-9223372036854775808");
	EXPECT_STREQ(F("%td", (ptrdiff_t)-7), "-7");
}

KTEST(fmt, width_and_flags)
{
	EXPECT_STREQ(F("%5d|", 42), "   42|");
	EXPECT_STREQ(F("%-5d|", 42), "42   |");
	EXPECT_STREQ(F("%05d", 42), "00042");
	EXPECT_STREQ(F("%05d", -42), "-0042");
	EXPECT_STREQ(F("%-05d|", 42), "42   |"); /* '-' beats '0' */
	EXPECT_STREQ(F("%+d %+d", 5, -5), "+5 -5");
	EXPECT_STREQ(F("% d|% d", 5, -5), " 5|-5");
	EXPECT_STREQ(F("%+ d", 5), "+5");
	EXPECT_STREQ(F("%#x %#X %#x", 255u, 255u, 0u), "0xff 0XFF 0");
	EXPECT_STREQ(F("%#010x", 255u), "0x000000ff");
	EXPECT_STREQ(F("%#o %#o", 8u, 0u), "010 0");
	EXPECT_STREQ(F("%08X", 0xabcu), "00000ABC");
	EXPECT_STREQ(F("%2d", 12345), "12345"); /* width never truncates */
	EXPECT_STREQ(F("%+u", 5u), "5");
}

KTEST(fmt, star_width_and_precision)
{
	EXPECT_STREQ(F("%*d|", 4, 7), "   7|");
	EXPECT_STREQ(F("%*d|", -4, 7), "7   |"); /* negative: left-align */
	EXPECT_STREQ(F("%.*s", 3, "abcdef"), "abc");
	EXPECT_STREQ(F("%.*s|", -1, "abc"), "abc|"); /* negative: none */
	EXPECT_STREQ(F("%*.*s|", 5, 2, "abc"), "   ab|");
}

KTEST(fmt, integer_precision)
{
	EXPECT_STREQ(F("%.3d", 7), "007");
	EXPECT_STREQ(F("%.3d", -7), "-007");
	EXPECT_STREQ(F("%6.3d|", 7), "   007|");
	EXPECT_STREQ(F("%06.3d|", 7), "   007|"); /* precision disables '0' */
	EXPECT_STREQ(F("%.0d|", 0), "|");
	EXPECT_STREQ(F("%.d|", 0), "|");
	EXPECT_STREQ(F("%.0x|%.0d", 0u, 1), "|1");
	EXPECT_STREQ(F("%.4x", 0xabu), "00ab");
}

KTEST(fmt, strings_and_chars)
{
	const char *null_str = NULL;
	const char unterminated[3] = { 'x', 'y', 'z' };

	EXPECT_STREQ(F("%s", "abc"), "abc");
	EXPECT_STREQ(F("%s", null_str), "(null)");
	EXPECT_STREQ(F("%6s|%-6s|", "ab", "cd"), "    ab|cd    |");
	EXPECT_STREQ(F("%.2s", "abc"), "ab");
	EXPECT_STREQ(F("%.3s", unterminated), "xyz"); /* must not read on */
	EXPECT_STREQ(F("%c%c%c", 'a', 'b', 'c'), "abc");
	EXPECT_STREQ(F("%3c|%-3c|", 'x', 'y'), "  x|y  |");
}

KTEST(fmt, pointer_is_0x_and_16_digits)
{
	EXPECT_STREQ(F("%p", (void *)0x1234), "0x0000000000001234");
	EXPECT_STREQ(F("%p", (void *)0), "0x0000000000000000");
	EXPECT_STREQ(F("%p", (void *)UINTPTR_MAX), "0xffffffffffffffff");
	EXPECT_STREQ(F("%20p|", (void *)0xab), "  0x00000000000000ab|");
	EXPECT_STREQ(F("%-20p|", (void *)0xab), "0x00000000000000ab  |");
}

KTEST(fmt, unknown_conversion_printed_literally)
{
	EXPECT_STREQ(F("a%yb"), "a%yb");
	EXPECT_STREQ(F("%-5qz"), "%-5qz");
	EXPECT_STREQ(F("end%"), "end%");
	EXPECT_STREQ(F("end%08"), "end%08");
	EXPECT_STREQ(F("%d%k%d", 1, 2), "1%k2");
}

KTEST(fmt, truncation_and_return_value)
{
	char b[8];

	memset(b, 'Q', sizeof b);
	EXPECT_EQ(fmt_snprintf(b, sizeof b, "%s", "hello world"), 11);
	EXPECT_STREQ(b, "hello w");
	EXPECT_EQ(fmt_snprintf(b, 1, "abc"), 3);
	EXPECT_EQ(b[0], '\0');
	b[0] = 'Q';
	EXPECT_EQ(fmt_snprintf(b, 0, "abc%d", 12345), 8);
	EXPECT_EQ(b[0], 'Q'); /* size 0: nothing written */
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%lld", LLONG_MIN), 20);
	EXPECT_EQ(fmt_snprintf(b, sizeof b, "%07d", -1), 7);
	EXPECT_STREQ(b, "-000001");
	EXPECT_EQ(fmt_snprintf(b, sizeof b, "%8d", 1), 8);
	EXPECT_STREQ(b, "       ");
}

/* C99 return values even for huge fields (the formatter used to clamp them
 * to 4096 and return that), and quickly: padding past the buffer is only
 * counted.  Beyond INT_MAX, -1 as POSIX's EOVERFLOW. */
KTEST(fmt, huge_fields_return_their_full_length_quickly)
{
	char b[8];
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%.999999u", 5u), 999999);
	EXPECT_EQ(fmt_snprintf(b, sizeof b, "%.999999u", 5u), 999999);
	EXPECT_STREQ(b, "0000000");
	EXPECT_EQ(fmt_snprintf(b, sizeof b, "%-999999dx", 7), 1000000);
	EXPECT_STREQ(b, "7      ");
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%999999999s", "ab"), 999999999);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%99999999999d", 1), 2147483647); /* saturates */
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%*d", INT_MIN, 1), 2147483647);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%.999999999u%.999999999u%.999999999u", 1u, 2u, 3u),
		  -1);
	EXPECT_EQ(fmt_snprintf(b, sizeof b, "%.2147483647d%s", 1, "abc"), -1);
	EXPECT_STREQ(b, "0000000");
}

static int via_va_list(char *b, size_t n, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int r = fmt_vsnprintf(b, n, f, ap);
	va_end(ap);
	return r;
}

KTEST(fmt, vsnprintf_mixed_arguments)
{
	char b[64];
	EXPECT_EQ(via_va_list(b, sizeof b, "%s=%d %hhx %llu %c", "k", -1, 0x1ab,
			      1ull << 40, 'z'), 23);
	EXPECT_STREQ(b, "k=-1 ab 1099511627776 z");
}

#ifdef COOP_HOST
#include <stdio.h>

/* Cross-checks thousands of flag/width/precision/length combinations against
 * the host libc, which is the reference for C99 semantics. */
KTEST_SUITE_FLAGS(fmt_vs_libc, KTEST_HOST_ONLY);

static const char *const flag_sets[] = { "", "-", "0", "+", " ", "#", "-+", "0#", "+0", "- " };
static const char *const widths[] = { "", "1", "5", "12", "25" };
static const char *const precisions[] = { "", ".", ".0", ".3", ".20" };
static const long long values[] = { 0, 1, -1, 42, -42, 255, 65536, INT_MAX, INT_MIN,
				    LLONG_MAX, LLONG_MIN, 0x7f, -129 };

KTEST(fmt_vs_libc, integers_match_libc)
{
	static const char convs[] = "diuxXo";
	char f[32], want[128], got[128];
	unsigned checked = 0;

	for (size_t a = 0; a < sizeof flag_sets / sizeof *flag_sets; a++)
	for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
	for (size_t p = 0; p < sizeof precisions / sizeof *precisions; p++)
	for (size_t c = 0; c < sizeof convs - 1; c++)
	for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
		const char *lens[] = { "hh", "h", "", "l", "ll", "z", "j", "t" };
		for (size_t l = 0; l < 8; l++) {
			snprintf(f, sizeof f, "%%%s%s%s%s%c", flag_sets[a], widths[w],
				 precisions[p], lens[l], convs[c]);
			long long x = values[v];
			int rw, rg;
			if (l >= 3) {
				rw = snprintf(want, sizeof want, f, x);
				rg = fmt_snprintf(got, sizeof got, f, x);
			} else {
				rw = snprintf(want, sizeof want, f, (int)x);
				rg = fmt_snprintf(got, sizeof got, f, (int)x);
			}
			if (rw != rg || strcmp(want, got) != 0) {
				ktest_diag(_kt, "format \"%s\" value %lld", f, x);
				EXPECT_STREQ(got, want);
				EXPECT_EQ(rg, rw);
				return;
			}
			checked++;
		}
	}
	EXPECT_GT(checked, 100000);
}

KTEST(fmt_vs_libc, strings_match_libc)
{
	const char *strs[] = { "", "a", "hello", "a longer string of text" };
	char f[32], want[128], got[128];

	for (size_t a = 0; a < 3; a++)
	for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
	for (size_t p = 0; p < sizeof precisions / sizeof *precisions; p++)
	for (size_t s = 0; s < 4; s++) {
		snprintf(f, sizeof f, "%%%s%s%ss|", flag_sets[a], widths[w], precisions[p]);
		int rw = snprintf(want, sizeof want, f, strs[s]);
		int rg = fmt_snprintf(got, sizeof got, f, strs[s]);
		EXPECT_STREQ(got, want);
		EXPECT_EQ(rg, rw);
	}
}
#endif
