/*
 * ktest runner: selects suites, runs their cases in source order, and prints
 * KTAP version 1.  Portable: output goes through ktest_vout(), supplied by the
 * kernel (console + serial) or the host (stdout).
 */
#include "test/ktest/ktest.h"

#include <stdarg.h>

/* Provided by the linker for the named sections; weak so that programs with
 * no tests at all (fuzzers, benchmarks) still link. */
extern const struct ktest_suite __start_ktest_suites[] __attribute__((weak));
extern const struct ktest_suite __stop_ktest_suites[] __attribute__((weak));
extern const struct ktest_case __start_ktest_cases[] __attribute__((weak));
extern const struct ktest_case __stop_ktest_cases[] __attribute__((weak));

#ifdef COOP_HOST
#define KTEST_HERE_FLAG KTEST_KERNEL_ONLY
#else
#define KTEST_HERE_FLAG KTEST_HOST_ONLY
#endif

/* The case that is running now, for ktest_fatal_event(). */
static struct {
	struct ktest *t;
	const char *fatal_event;
	unsigned case_number;
} current;

void ktest_out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ktest_vout(fmt, ap);
	va_end(ap);
}

bool ktest_str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

bool ktest_str_contains(const char *hay, const char *needle)
{
	size_t n = 0;

	while (needle[n])
		n++;
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] == needle[i])
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}

void ktest_diag(struct ktest *t, const char *fmt, ...)
{
	va_list ap;
	(void)t;
	ktest_out("    # ");
	va_start(ap, fmt);
	ktest_vout(fmt, ap);
	va_end(ap);
	ktest_out("\n");
}

void ktest_fail_cond(struct ktest *t, const char *file, int line, const char *expr)
{
	t->failures++;
	ktest_diag(t, "%s:%d: expected %s", file, line, expr);
}

void ktest_fail_int(struct ktest *t, const char *file, int line, const char *op,
		    const char *ea, const char *eb, long long a, long long b)
{
	t->failures++;
	ktest_diag(t, "%s:%d: expected %s %s %s", file, line, ea, op, eb);
	ktest_diag(t, "    %s = %lld (0x%llx)", ea, a, (unsigned long long)a);
	ktest_diag(t, "    %s = %lld (0x%llx)", eb, b, (unsigned long long)b);
}

void ktest_fail_str(struct ktest *t, const char *file, int line, const char *ea,
		    const char *eb, const char *a, const char *b)
{
	t->failures++;
	ktest_diag(t, "%s:%d: expected %s == %s", file, line, ea, eb);
	ktest_diag(t, "    %s = \"%s\"", ea, a ? a : "(null)");
	ktest_diag(t, "    %s = \"%s\"", eb, b ? b : "(null)");
}

static size_t suite_count(void)
{
	return (size_t)(__stop_ktest_suites - __start_ktest_suites);
}

static bool runs_here(const struct ktest_suite *s)
{
	return !(s->flags & KTEST_HERE_FLAG);
}

/* Is `name` one of the comma-separated words of `list`? */
static bool list_has(const char *list, const char *name)
{
	while (*list) {
		const char *n = name;
		while (*list && *list != ',' && *list == *n)
			list++, n++;
		if ((*list == ',' || *list == '\0') && *n == '\0')
			return true;
		while (*list && *list != ',')
			list++;
		if (*list == ',')
			list++;
	}
	return false;
}

static bool selected(const struct ktest_suite *s, const char *selection)
{
	if (!runs_here(s))
		return false;
	/* "all" is every suite that shares a boot; an own-boot suite joins it
	 * only when named as well ("all,paging_firmware_user_pages"). */
	if (list_has(selection, "all") && !(s->flags & KTEST_OWN_BOOT))
		return true;
	return list_has(selection, s->name);
}

static void print_suite_names(const char *prefix)
{
	for (const struct ktest_suite *s = __start_ktest_suites; s < __stop_ktest_suites; s++)
		if (runs_here(s))
			ktest_out("%s%s%s\n", prefix, s->name,
				  (s->flags & KTEST_OWN_BOOT) ? " (own boot)" : "");
}

/* Every comma-separated name in `selection` must name a suite, or be "all". */
static bool selection_valid(const char *selection)
{
	const char *p = selection;
	while (*p) {
		char name[64];
		size_t n = 0;
		while (*p && *p != ',' && n < sizeof name - 1)
			name[n++] = *p++;
		name[n] = '\0';
		while (*p && *p != ',')
			p++;
		if (*p == ',')
			p++;
		bool found = ktest_str_equal(name, "all");
		for (const struct ktest_suite *s = __start_ktest_suites; s < __stop_ktest_suites; s++)
			found |= runs_here(s) && ktest_str_equal(s->name, name);
		if (!found) {
			ktest_out("ktest: unknown test suite '%s'; valid suites are:\n", name);
			print_suite_names("ktest:   ");
			return false;
		}
	}
	return selection[0] != '\0';
}

static size_t case_count(const struct ktest_suite *s)
{
	size_t n = 0;
	for (const struct ktest_case *c = __start_ktest_cases; c < __stop_ktest_cases; c++)
		n += c->suite == s;
	return n;
}

/* The suite's next case in source order after line `after`, or NULL.  The
 * linker does not promise to keep definition order, so order by line. */
static const struct ktest_case *next_case(const struct ktest_suite *s, int after)
{
	const struct ktest_case *best = NULL;
	for (const struct ktest_case *c = __start_ktest_cases; c < __stop_ktest_cases; c++)
		if (c->suite == s && c->line > after && (!best || c->line < best->line))
			best = c;
	return best;
}

/* Prints the result line of a finished case; returns true if it counts as passed. */
static bool report_case(const struct ktest *t, unsigned n)
{
	const char *name = t->tc->name;
	if (t->skip_reason) {
		ktest_out("    ok %u %s # SKIP %s\n", n, name, t->skip_reason);
		return true;
	}
	if (t->xfail_reason && t->failures) {
		ktest_out("    not ok %u %s # TODO %s\n", n, name, t->xfail_reason);
		return true;
	}
	if (t->xfail_reason) {
		ktest_diag(NULL, "expected failure did not happen (%s)", t->xfail_reason);
		ktest_out("    not ok %u %s\n", n, name);
		return false;
	}
	ktest_out("    %sok %u %s\n", t->failures ? "not " : "", n, name);
	return t->failures == 0;
}

static bool run_suite(const struct ktest_suite *s)
{
	unsigned n = 0;
	bool passed = true;

	ktest_out("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n", s->name, case_count(s));
	for (const struct ktest_case *c = next_case(s, 0); c; c = next_case(s, c->line)) {
		struct ktest t = { .tc = c };
		current.t = &t;
		current.fatal_event = NULL;
		current.case_number = ++n;
		c->fn(&t);
		current.t = NULL;
		if (current.fatal_event) {
			ktest_diag(&t, "expected a fatal '%s', but the test returned",
				   current.fatal_event);
			t.failures++;
		}
		passed &= report_case(&t, n);
	}
	/* Cases are ordered by line, so two on one line (made by one macro)
	 * would hide each other: say so rather than skip one silently. */
	if (n != case_count(s)) {
		ktest_out("    # ktest: %zu cases of '%s' share a source line; only %u ran\n",
			  case_count(s), s->name, n);
		passed = false;
	}
	return passed;
}

enum ktest_result ktest_run(const char *selection)
{
	size_t nsel = 0;
	unsigned n = 0;
	bool all_passed = true;

	if (ktest_str_equal(selection, "list")) {
		ktest_out("ktest: available suites:\n");
		print_suite_names("ktest:   ");
		return KTEST_LISTED;
	}
	if (!selection_valid(selection))
		return KTEST_BAD_SELECTION;

	for (size_t i = 0; i < suite_count(); i++)
		nsel += selected(&__start_ktest_suites[i], selection);
	ktest_out("KTAP version 1\n1..%zu\n", nsel);
	for (const struct ktest_suite *s = __start_ktest_suites; s < __stop_ktest_suites; s++) {
		if (!selected(s, selection))
			continue;
		bool ok = run_suite(s);
		ktest_out("%sok %u %s\n", ok ? "" : "not ", ++n, s->name);
		all_passed &= ok;
	}
	ktest_out("# ktest: %s\n", all_passed ? "all passed" : "FAILURES");
	return all_passed ? KTEST_ALL_PASSED : KTEST_SOME_FAILED;
}

bool ktest_running(void)
{
	return current.t != NULL;
}

void ktest_expect_fatal(struct ktest *t, const char *event)
{
	(void)t;
	current.fatal_event = event;
}

bool ktest_fatal_event(const char *event)
{
	if (!current.t || !current.fatal_event ||
	    !ktest_str_equal(current.fatal_event, event))
		return false;
	/* An own-boot suite has exactly this one case that ends the boot. */
	ktest_diag(current.t, "expected fatal event '%s' happened", event);
	ktest_out("    ok %u %s\n", current.case_number, current.t->tc->name);
	ktest_out("ok 1 %s\n", current.t->tc->suite->name);
	ktest_out("# ktest: all passed\n");
	return true;
}
