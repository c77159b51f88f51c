/*
 * Tests of kernel/shell_parse: word splitting, number parsing, and the
 * exact one-line errors the shell prints for bad arguments.
 */
#include "kernel/lib/string.h"
#include "kernel/shell/shell_parse.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(shell_parse);

KTEST(shell_parse, split_words_on_spaces_and_tabs)
{
	char text[] = "  echo\thello   world  ";
	char *argv[4];

	ASSERT_EQ(shell_split(text, argv, 4), 3);
	EXPECT_STREQ(argv[0], "echo");
	EXPECT_STREQ(argv[1], "hello");
	EXPECT_STREQ(argv[2], "world");
}

KTEST(shell_parse, split_empty_and_too_many)
{
	char blank[] = " \t ";
	char many[] = "a b c d e";
	char *argv[3];

	EXPECT_EQ(shell_split(blank, argv, 3), 0);
	EXPECT_EQ(shell_split(many, argv, 3), 5); /* counts what did not fit */
	EXPECT_STREQ(argv[2], "c");
}

KTEST(shell_parse, uint_accepts_plain_decimal_in_range)
{
	uint64_t v = 0;

	EXPECT_TRUE(shell_parse_uint("1", 1, 3600, &v));
	EXPECT_EQ(v, 1);
	EXPECT_TRUE(shell_parse_uint("3600", 1, 3600, &v));
	EXPECT_EQ(v, 3600);
	EXPECT_TRUE(shell_parse_uint("0007", 1, 10, &v));
	EXPECT_EQ(v, 7);
	EXPECT_TRUE(shell_parse_uint("18446744073709551615", 0, UINT64_MAX, &v));
	EXPECT_EQ(v, UINT64_MAX);
}

KTEST(shell_parse, uint_rejects_everything_else)
{
	uint64_t v = 42;

	EXPECT_FALSE(shell_parse_uint("", 0, 10, &v));
	EXPECT_FALSE(shell_parse_uint("0", 1, 10, &v));
	EXPECT_FALSE(shell_parse_uint("11", 1, 10, &v));
	EXPECT_FALSE(shell_parse_uint("-1", 0, 10, &v));
	EXPECT_FALSE(shell_parse_uint("+1", 0, 10, &v));
	EXPECT_FALSE(shell_parse_uint("1x", 0, 10, &v));
	EXPECT_FALSE(shell_parse_uint("0x10", 0, 100, &v));
	EXPECT_FALSE(shell_parse_uint("18446744073709551616", 0, UINT64_MAX, &v));
	EXPECT_FALSE(shell_parse_uint("99999999999999999999999", 0, UINT64_MAX, &v));
	EXPECT_EQ(v, 42); /* untouched on failure */
}

static bool sleep_args(const char *a1, const char *a2, uint64_t *v, char *err)
{
	char *argv[3] = { "sleep", (char *)a1, (char *)a2 };
	int argc = a2 ? 3 : a1 ? 2 : 1;

	return shell_one_number(argc, argv, "seconds", 1, 3600, v, err, 96);
}

KTEST(shell_parse, one_number_messages)
{
	char err[96];
	uint64_t v = 0;

	EXPECT_TRUE(sleep_args("5", NULL, &v, err));
	EXPECT_EQ(v, 5);
	EXPECT_FALSE(sleep_args("x", NULL, &v, err));
	EXPECT_STREQ(err, "sleep: expected seconds 1..3600, got 'x'");
	EXPECT_FALSE(sleep_args("0", NULL, &v, err));
	EXPECT_STREQ(err, "sleep: expected seconds 1..3600, got '0'");
	EXPECT_FALSE(sleep_args("3601", NULL, &v, err));
	EXPECT_STREQ(err, "sleep: expected seconds 1..3600, got '3601'");
	EXPECT_FALSE(sleep_args(NULL, NULL, &v, err));
	EXPECT_STREQ(err, "sleep: expected seconds 1..3600, got nothing");
	EXPECT_FALSE(sleep_args("1", "2", &v, err));
	EXPECT_STREQ(err, "sleep: expected one argument, got 2");
}

KTEST(shell_parse, spawn_limits)
{
	char err[96];
	char *ok[2] = { "spawn", "10000" }, *big[2] = { "spawn", "10001" };
	uint64_t v = 0;

	EXPECT_TRUE(shell_one_number(2, ok, "tasks", 1, 10000, &v, err, sizeof err));
	EXPECT_EQ(v, 10000);
	EXPECT_FALSE(shell_one_number(2, big, "tasks", 1, 10000, &v, err, sizeof err));
	EXPECT_STREQ(err, "spawn: expected tasks 1..10000, got '10001'");
}
