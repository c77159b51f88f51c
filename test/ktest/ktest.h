/*
 * ktest — unit tests that report in KTAP version 1, for the kernel and the host.
 *
 * The same test source builds into BOOTX64.EFI (run with `test=...` on the
 * command line) and into the host test binary (run under ASan/UBSan).  Suites
 * and cases register themselves where they are defined, in the linker sections
 * "ktest_suites" and "ktest_cases", so there is no central list to edit:
 *
 *     KTEST_SUITE(fmt);
 *
 *     KTEST(fmt, hex_width)
 *     {
 *             char buf[16];
 *             fmt_snprintf(buf, sizeof buf, "%04x", 0xab);
 *             EXPECT_STREQ(buf, "00ab");
 *     }
 *
 * EXPECT_* records a failure and carries on; ASSERT_* records it and returns
 * from the test.  Both report file, line, and the two values.  A failing test
 * never stops its suite.
 */
#ifndef COOP_TEST_KTEST_H
#define COOP_TEST_KTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ktest_suite_flags {
	/* The suite's pass condition ends the boot (a double fault, a panic):
	 * it needs a boot of its own and `test=all` leaves it out. */
	KTEST_OWN_BOOT = 1u << 0,
	/* Runs in the kernel only (needs real hardware); the host skips it. */
	KTEST_KERNEL_ONLY = 1u << 1,
	/* Runs on the host only (too slow or too large for a test boot). */
	KTEST_HOST_ONLY = 1u << 2,
};

struct ktest_suite {
	const char *name;
	unsigned flags;
};

struct ktest;

struct ktest_case {
	const struct ktest_suite *suite;
	const char *name;
	void (*fn)(struct ktest *_kt);
	int line; /* cases run in source order, found by line */
};

/* The state of one running case. */
struct ktest {
	const struct ktest_case *tc;
	unsigned failures;
	const char *skip_reason;
	const char *xfail_reason;
};

#define KTEST_SECTION(s) __attribute__((used, section(s), aligned(8)))

#define KTEST_SUITE_FLAGS(sname, sflags)                                       \
	const struct ktest_suite ktest_suite_##sname KTEST_SECTION("ktest_suites") = \
		{ .name = #sname, .flags = (sflags) }
#define KTEST_SUITE(sname) KTEST_SUITE_FLAGS(sname, 0)

#define KTEST(sname, cname)                                                    \
	extern const struct ktest_suite ktest_suite_##sname;                   \
	static void ktest_fn_##sname##_##cname(struct ktest *_kt);             \
	static const struct ktest_case ktest_case_##sname##_##cname            \
		KTEST_SECTION("ktest_cases") = {                               \
			.suite = &ktest_suite_##sname,                         \
			.name = #cname,                                        \
			.fn = ktest_fn_##sname##_##cname,                      \
			.line = __LINE__,                                      \
		};                                                             \
	static void ktest_fn_##sname##_##cname(struct ktest *_kt)

/* ---- reporting (used by the macros below) ------------------------------- */
void ktest_fail_cond(struct ktest *t, const char *file, int line, const char *expr);
void ktest_fail_int(struct ktest *t, const char *file, int line, const char *op,
		    const char *ea, const char *eb, long long a, long long b);
void ktest_fail_str(struct ktest *t, const char *file, int line, const char *ea,
		    const char *eb, const char *a, const char *b);
/* A `# ` diagnostic line, indented to the current case. */
void ktest_diag(struct ktest *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define KTEST_CMP_(fail_action, op, a, b)                                      \
	do {                                                                   \
		long long ka_ = (long long)(a), kb_ = (long long)(b);          \
		if (!(ka_ op kb_)) {                                           \
			ktest_fail_int(_kt, __FILE__, __LINE__, #op, #a, #b,   \
				       ka_, kb_);                              \
			fail_action;                                           \
		}                                                              \
	} while (0)

#define KTEST_COND_(fail_action, cond)                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			ktest_fail_cond(_kt, __FILE__, __LINE__, #cond);       \
			fail_action;                                           \
		}                                                              \
	} while (0)

#define KTEST_STREQ_(fail_action, a, b)                                        \
	do {                                                                   \
		const char *sa_ = (a), *sb_ = (b);                             \
		if (!ktest_str_equal(sa_, sb_)) {                              \
			ktest_fail_str(_kt, __FILE__, __LINE__, #a, #b, sa_,   \
				       sb_);                                   \
			fail_action;                                           \
		}                                                              \
	} while (0)

bool ktest_str_equal(const char *a, const char *b);
/* True if `needle` occurs in `hay` (for checking messages). */
bool ktest_str_contains(const char *hay, const char *needle);

#define EXPECT_EQ(a, b) KTEST_CMP_((void)0, ==, a, b)
#define EXPECT_NE(a, b) KTEST_CMP_((void)0, !=, a, b)
#define EXPECT_LT(a, b) KTEST_CMP_((void)0, <, a, b)
#define EXPECT_LE(a, b) KTEST_CMP_((void)0, <=, a, b)
#define EXPECT_GT(a, b) KTEST_CMP_((void)0, >, a, b)
#define EXPECT_GE(a, b) KTEST_CMP_((void)0, >=, a, b)
#define EXPECT_TRUE(c) KTEST_COND_((void)0, c)
#define EXPECT_FALSE(c) KTEST_COND_((void)0, !(c))
#define EXPECT_NULL(p) KTEST_CMP_((void)0, ==, (uintptr_t)(p), 0)
#define EXPECT_NOT_NULL(p) KTEST_CMP_((void)0, !=, (uintptr_t)(p), 0)
#define EXPECT_STREQ(a, b) KTEST_STREQ_((void)0, a, b)

#define ASSERT_EQ(a, b) KTEST_CMP_(return, ==, a, b)
#define ASSERT_NE(a, b) KTEST_CMP_(return, !=, a, b)
#define ASSERT_LT(a, b) KTEST_CMP_(return, <, a, b)
#define ASSERT_LE(a, b) KTEST_CMP_(return, <=, a, b)
#define ASSERT_GT(a, b) KTEST_CMP_(return, >, a, b)
#define ASSERT_GE(a, b) KTEST_CMP_(return, >=, a, b)
#define ASSERT_TRUE(c) KTEST_COND_(return, c)
#define ASSERT_FALSE(c) KTEST_COND_(return, !(c))
#define ASSERT_NULL(p) KTEST_CMP_(return, ==, (uintptr_t)(p), 0)
#define ASSERT_NOT_NULL(p) KTEST_CMP_(return, !=, (uintptr_t)(p), 0)
#define ASSERT_STREQ(a, b) KTEST_STREQ_(return, a, b)

/* Ends the case as skipped: `ok N name # SKIP reason`. */
#define KTEST_SKIP(reason)                                                     \
	do {                                                                   \
		_kt->skip_reason = (reason);                                   \
		return;                                                        \
	} while (0)

/* Marks the case as an expected failure: if it fails, it is reported as
 * `not ok N name # TODO reason` and does not fail the run. */
#define KTEST_EXPECT_FAILURE(reason) (_kt->xfail_reason = (reason))

/* ---- running ------------------------------------------------------------ */
enum ktest_result {
	KTEST_ALL_PASSED = 0,
	KTEST_SOME_FAILED = 1,
	KTEST_BAD_SELECTION = 2,
	KTEST_LISTED = 3,
};

/*
 * Runs the suites named by `selection`: "all" (every suite that can share a
 * boot), "list" (prints the suites and runs nothing), or "a,b,c".  An unknown
 * name is reported with the list of valid ones.  Prints KTAP through
 * ktest_out().
 */
enum ktest_result ktest_run(const char *selection);

/*
 * For suites whose pass condition ends the boot: the running case declares the
 * fatal event it expects ("double fault", "panic", "#PF" ...).  The fault or
 * panic path calls ktest_fatal_event() after printing its report; if the event
 * was expected, it finishes the KTAP output with `ok` and returns true, and the
 * caller then ends the boot as a success.
 */
void ktest_expect_fatal(struct ktest *t, const char *event);
bool ktest_fatal_event(const char *event);
bool ktest_running(void);

/* Prints through the platform's ktest_vout(). */
void ktest_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- supplied by the platform (kernel or host) -------------------------- */
void ktest_vout(const char *fmt, __builtin_va_list ap);
/* Ends the test run: under QEMU through isa-debug-exit, on the host exit(). */
void ktest_platform_exit(bool all_passed) __attribute__((noreturn));

#endif
