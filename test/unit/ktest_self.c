/* Tests of the test framework's own helpers. */
#include "test/ktest/ktest.h"

KTEST_SUITE(ktest_self);

KTEST(ktest_self, str_equal_handles_null_and_prefixes)
{
	EXPECT_TRUE(ktest_str_equal("abc", "abc"));
	EXPECT_FALSE(ktest_str_equal("abc", "abcd"));
	EXPECT_FALSE(ktest_str_equal("abcd", "abc"));
	EXPECT_FALSE(ktest_str_equal(NULL, "a"));
	EXPECT_TRUE(ktest_str_equal(NULL, NULL));
}
