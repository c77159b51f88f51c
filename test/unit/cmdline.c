/* Tests of kernel/lib/cmdline: the tokenizer and every acceptance and
 * rejection rule, and that the loader's reading (its own keys) and the
 * kernel's agree. */
#include "kernel/lib/cmdline.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(cmdline);

static const char *const keys[] = { "test", "keymap", "heap", "video", "loglevel",
				    "timer_hz", NULL };
static struct cmdline cl;
static char last_warning[512];
static unsigned warn_calls;

static void record(const char *line)
{
	size_t n = strnlen(line, sizeof last_warning - 1);
	memcpy(last_warning, line, n);
	last_warning[n] = '\0';
	warn_calls++;
}

static void parse(const char *text)
{
	last_warning[0] = '\0';
	warn_calls = 0;
	cmdline_parse(&cl, text, keys, record, 0);
}

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncmp(hay, needle, n) == 0)
			return true;
	return false;
}

KTEST(cmdline, simple_pairs)
{
	parse("test=all keymap=uk");
	EXPECT_EQ(cl.count, 2);
	EXPECT_EQ(cl.warnings, 0);
	EXPECT_EQ(warn_calls, 0);
	EXPECT_STREQ(cmdline_get(&cl, "test"), "all");
	EXPECT_STREQ(cmdline_get(&cl, "keymap"), "uk");
	EXPECT_NULL(cmdline_get(&cl, "heap"));
	EXPECT_NULL(cmdline_get(&cl, "tes"));
}

KTEST(cmdline, separators_crlf_bom_and_empty_value)
{
	parse("\xef\xbb\xbf  test=fmt,heap\r\n\tvideo=800x600\r\nheap=\n");
	EXPECT_EQ(cl.count, 3);
	EXPECT_EQ(cl.warnings, 0);
	EXPECT_STREQ(cmdline_get(&cl, "test"), "fmt,heap");
	EXPECT_STREQ(cmdline_get(&cl, "video"), "800x600");
	EXPECT_STREQ(cmdline_get(&cl, "heap"), "");
	parse("");
	EXPECT_EQ(cl.count, 0);
	parse("\xef\xbb\xbf");
	EXPECT_EQ(cl.count, 0);
	EXPECT_EQ(cl.warnings, 0);
	parse("\xef\xbb"); /* a cut-short BOM is just bad bytes */
	EXPECT_EQ(cl.warnings, 1);
}

KTEST(cmdline, value_may_contain_equals)
{
	parse("video=a=b");
	EXPECT_STREQ(cmdline_get(&cl, "video"), "a=b");
}

KTEST(cmdline, unknown_key_lists_all_known)
{
	parse("tset=all heap=list");
	EXPECT_EQ(cl.count, 1);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "cmdline: "));
	EXPECT_EQ(strncmp(last_warning, "cmdline: ", 9), 0);
	EXPECT_TRUE(contains(last_warning, "'tset'"));
	for (const char *const *k = keys; *k; k++)
		EXPECT_TRUE(contains(last_warning, *k));
	EXPECT_NULL(cmdline_get(&cl, "tset"));
	EXPECT_FALSE(contains(last_warning, "\n"));
}

KTEST(cmdline, token_without_equals)
{
	parse("quiet test=all");
	EXPECT_EQ(cl.count, 1);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "'quiet'"));
	EXPECT_TRUE(contains(last_warning, "key=value"));
}

KTEST(cmdline, empty_key)
{
	parse("=x");
	EXPECT_EQ(cl.count, 0);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "empty key"));
}

KTEST(cmdline, duplicate_key_later_wins)
{
	parse("heap=bump heap=list");
	EXPECT_EQ(cl.count, 1);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_STREQ(cmdline_get(&cl, "heap"), "list");
	EXPECT_TRUE(contains(last_warning, "'heap'"));
}

KTEST(cmdline, long_value_truncated)
{
	static char text[CMDLINE_VALUE_MAX + 64];
	memcpy(text, "test=", 5);
	memset(text + 5, 'v', CMDLINE_VALUE_MAX + 10);
	text[5 + CMDLINE_VALUE_MAX + 10] = '\0';
	parse(text);
	ASSERT_EQ(cl.count, 1);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_EQ(strlen(cmdline_get(&cl, "test")), CMDLINE_VALUE_MAX - 1);
	EXPECT_TRUE(contains(last_warning, "truncated"));
	/* Exactly the maximum fits without a warning. */
	text[5 + CMDLINE_VALUE_MAX - 1] = '\0';
	parse(text);
	EXPECT_EQ(cl.warnings, 0);
	EXPECT_EQ(strlen(cmdline_get(&cl, "test")), CMDLINE_VALUE_MAX - 1);
}

KTEST(cmdline, long_key_dropped)
{
	static const char *const long_keys[] = { "k234567890123456789012345678901",
						 NULL }; /* 31 bytes: the maximum */
	cmdline_parse(&cl, "k234567890123456789012345678901=1", long_keys, NULL, 0);
	EXPECT_EQ(cl.count, 1);
	EXPECT_EQ(cl.warnings, 0);
	parse("k2345678901234567890123456789012=1 test=1");
	EXPECT_EQ(cl.count, 1);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "longer than 31"));
	/* A very long token is quoted shortened. */
	static char text[600];
	memset(text, 'k', 599);
	parse(text);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "..."));
	EXPECT_LT(strlen(last_warning), 120);
}

KTEST(cmdline, too_many_arguments)
{
	static const char *const many[] = { "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
		"a8", "a9", "b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "c0",
		"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "d0", "d1", "d2", "d3",
		"d4", NULL };
	static char text[400];
	size_t n = 0;
	for (const char *const *k = many; *k; k++) {
		memcpy(text + n, *k, 2);
		memcpy(text + n + 2, "=1 ", 3);
		n += 5;
	}
	text[n] = '\0';
	warn_calls = 0;
	cmdline_parse(&cl, text, many, record, 0);
	EXPECT_EQ(cl.count, CMDLINE_MAX_ARGS);
	EXPECT_EQ(cl.warnings, 1); /* one warning for all three dropped */
	EXPECT_EQ(warn_calls, 1);
	EXPECT_TRUE(contains(last_warning, "3 ignored"));
	EXPECT_TRUE(contains(last_warning, "'d2'"));
	EXPECT_NULL(cmdline_get(&cl, "d2"));
	EXPECT_STREQ(cmdline_get(&cl, "d1"), "1");
	/* A duplicate still updates when the table is full. */
	memcpy(text + n, "a0=2", 5);
	cmdline_parse(&cl, text, many, NULL, 0);
	EXPECT_STREQ(cmdline_get(&cl, "a0"), "2");
}

KTEST(cmdline, non_printable_bytes_dropped)
{
	parse("test=a\x01" "b heap=\xc3\xa9 keymap=de");
	EXPECT_EQ(cl.count, 1);
	EXPECT_EQ(cl.warnings, 2);
	EXPECT_STREQ(cmdline_get(&cl, "keymap"), "de");
	EXPECT_TRUE(contains(last_warning, "printable ASCII"));
	EXPECT_FALSE(contains(last_warning, "\xc3")); /* quoted safely */
}

KTEST(cmdline, null_inputs_and_no_known_keys)
{
	cmdline_parse(&cl, NULL, keys, NULL, 0);
	EXPECT_EQ(cl.count, 0);
	cmdline_parse(&cl, "test=1", NULL, record, 0);
	EXPECT_EQ(cl.count, 0);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "(none)"));
}

/* What the loader sees: its own keys (efi/cmdline.c), no warnings printed. */
static const char *loader_video(const char *text, unsigned flags)
{
	static const char *const loader_keys[] = { "video", "gdb", NULL };
	static struct cmdline loader;
	cmdline_parse(&loader, text, loader_keys, NULL, flags);
	return cmdline_get(&loader, "video");
}

/* The cases issue 11 found: the loader's own video= reader missed them. */
KTEST(cmdline, loader_and_kernel_read_video_alike)
{
	static const struct { const char *text, *video; unsigned warnings; } cases[] = {
		{ "video=800x600\n", "800x600", 0 },           /* what editors write */
		{ "keymap=de\r\nvideo=1024x768\r\n", "1024x768", 0 },
		{ "keymap=de\nvideo=1024x768\nheap=list", "1024x768", 0 },
		{ "video=1024x768 video=800x600", "800x600", 1 }, /* the last wins */
		{ "\tvideo=800x600", "800x600", 0 },
		{ "video=\"800x600\" keymap=de", "800x600", 0 },
		{ "test=all", NULL, 0 },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		parse(cases[i].text);
		const char *kernel = cmdline_get(&cl, "video");
		const char *loader = loader_video(cases[i].text, 0);
		if (cases[i].video) {
			ASSERT_NOT_NULL(kernel);
			ASSERT_NOT_NULL(loader);
			EXPECT_STREQ(kernel, cases[i].video);
			EXPECT_STREQ(loader, cases[i].video);
		} else {
			EXPECT_NULL(kernel);
			EXPECT_NULL(loader);
		}
		EXPECT_EQ(cl.warnings, cases[i].warnings);
	}
	parse("video=1024x768 video=800x600");
	EXPECT_TRUE(contains(last_warning, "'video' given more than once; the last value wins"));
}

KTEST(cmdline, quotes_are_stripped)
{
	parse("keymap=\"de\" \"heap=list\" test='fmt,heap' video=\"a b\"");
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_STREQ(cmdline_get(&cl, "keymap"), "de");
	EXPECT_STREQ(cmdline_get(&cl, "heap"), "list");
	EXPECT_STREQ(cmdline_get(&cl, "test"), "fmt,heap");
	/* A quoted space is not a separator (and is then not printable). */
	EXPECT_NULL(cmdline_get(&cl, "video"));
	parse("keymap=\"de\" heap=\"list");
	EXPECT_STREQ(cmdline_get(&cl, "keymap"), "de");
	EXPECT_NULL(cmdline_get(&cl, "heap"));
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "quote that is not closed"));
	/* A quote of the other kind is just a character inside quotes. */
	parse("test=\"a'b\"");
	EXPECT_STREQ(cmdline_get(&cl, "test"), "a'b");
}

KTEST(cmdline, cut_token_is_dropped)
{
	/* timer_hz=250 cut after "25": applying 25 would be wrong. */
	cmdline_parse(&cl, "keymap=de timer_hz=25", keys, record, CMDLINE_CUT);
	EXPECT_STREQ(cmdline_get(&cl, "keymap"), "de");
	EXPECT_NULL(cmdline_get(&cl, "timer_hz"));
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "'timer_hz=25'"));
	EXPECT_TRUE(contains(last_warning, "1023 bytes"));
	/* Cut just after a separator: nothing is cut in two, but say so. */
	cmdline_parse(&cl, "keymap=de timer_hz=250 ", keys, record, CMDLINE_CUT);
	EXPECT_STREQ(cmdline_get(&cl, "timer_hz"), "250");
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_TRUE(contains(last_warning, "the rest is dropped"));
	/* Without the flag the last token is whole. */
	parse("keymap=de timer_hz=25");
	EXPECT_STREQ(cmdline_get(&cl, "timer_hz"), "25");
	/* The loader sees the same. */
	EXPECT_NULL(loader_video("keymap=de video=80", CMDLINE_CUT));
}

KTEST(cmdline, tokens_one_by_one)
{
	static const char text[] = "\xef\xbb\xbf a=1\t\"b=2 3\"\r\nc='4\n";
	const char *pos = text;
	struct cmdline_token t;

	ASSERT_TRUE(cmdline_token_next(text, &pos, &t));
	EXPECT_STREQ(t.text, "a=1");
	EXPECT_FALSE(t.at_end);
	ASSERT_TRUE(cmdline_token_next(text, &pos, &t));
	EXPECT_STREQ(t.text, "b=2 3");
	EXPECT_EQ(t.len, 5);
	EXPECT_FALSE(t.printable); /* the space */
	ASSERT_TRUE(cmdline_token_next(text, &pos, &t));
	EXPECT_STREQ(t.text, "c=4\n");
	EXPECT_TRUE(t.unclosed_quote);
	EXPECT_TRUE(t.at_end);
	EXPECT_FALSE(cmdline_token_next(text, &pos, &t));
	/* A long token is measured in full and stored cut short. */
	static char big[600];
	memset(big, 'x', sizeof big - 1);
	pos = big;
	ASSERT_TRUE(cmdline_token_next(big, &pos, &t));
	EXPECT_EQ(t.len, sizeof big - 1);
	EXPECT_EQ(strlen(t.text), CMDLINE_TOKEN_MAX - 1);
}

KTEST(cmdline, non_ascii_costs_only_its_token)
{
	/* UTF-8 from a decoded LoadOptions: keymap=dé is dropped, not the rest. */
	parse("keymap=d\xc3\xa9 video=800x600 heap=list");
	EXPECT_EQ(cl.count, 2);
	EXPECT_EQ(cl.warnings, 1);
	EXPECT_STREQ(cmdline_get(&cl, "video"), "800x600");
	EXPECT_TRUE(contains(last_warning, "'keymap=d?" "?'"));
}
