/* Tests of kernel/console/conlines: lines written in pieces by several
 * writers on several CPUs never mix, and a cut line comes back only for
 * the writer that started it, wherever that writer runs now. */
#include "kernel/console/conlines.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(conlines);

static struct conlines cl;
static char out[2048];
static size_t out_len;

static void capture(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (out_len + n < sizeof out) {
		memcpy(out + out_len, s, n);
		out_len += n;
		out[out_len] = '\0';
	}
}

static void fresh(void)
{
	conlines_init(&cl, capture, NULL);
	out_len = 0;
	out[0] = '\0';
}

/* What the console does for one write: claim, put, track. */
static void emit(unsigned cpu, const void *who, const char *s)
{
	conlines_claim(&cl, cpu, who);
	capture(NULL, s, strlen(s));
	conlines_wrote(&cl, s, strlen(s));
}

static const char shell_task = 's', other_task = 'o';
#define SHELL (&shell_task)
#define OTHER (&other_task)

KTEST(conlines, one_writer_one_line)
{
	fresh();
	emit(0, SHELL, "coop> ");
	emit(0, SHELL, "ls");
	emit(0, SHELL, "\n");
	EXPECT_STREQ(out, "coop> ls\n");
}

KTEST(conlines, a_task_moving_cpus_mid_line_keeps_its_line)
{
	fresh();
	emit(0, SHELL, "coop> ");
	emit(1, SHELL, "ls");
	emit(2, SHELL, "\n");
	EXPECT_STREQ(out, "coop> ls\n");
}

KTEST(conlines, a_line_cut_by_another_writer_is_repeated_for_its_writer)
{
	fresh();
	emit(0, SHELL, "coop> ");
	emit(1, NULL, "usb: plugged\n");
	emit(0, SHELL, "ls\n");
	EXPECT_STREQ(out, "coop> \nusb: plugged\ncoop> ls\n");
}

/*
 * What boots showed as `coop> parallel: ...` (issue 14): the prompt is cut
 * by another CPU's line, the shell task then echoes on another CPU, and
 * later prints its output on the CPU where the prompt was cut.  The cut
 * prompt belongs ahead of the echo, and nowhere else.
 */
KTEST(conlines, a_cut_line_follows_its_task_to_another_cpu)
{
	fresh();
	emit(0, SHELL, "coop> ");
	emit(1, NULL, "usb: plugged\n");
	emit(1, SHELL, "bench parallel");
	emit(1, SHELL, "\n");
	emit(0, SHELL, "parallel: 64 tasks\n");
	EXPECT_STREQ(out, "coop> \nusb: plugged\ncoop> bench parallel\nparallel: 64 tasks\n");
}

KTEST(conlines, a_cut_line_is_not_repeated_for_another_task_on_its_cpu)
{
	fresh();
	emit(0, SHELL, "coop> ");
	emit(1, NULL, "usb: plugged\n");
	emit(0, OTHER, "demo task 1 done\n");
	EXPECT_STREQ(out, "coop> \nusb: plugged\ndemo task 1 done\n");
}

KTEST(conlines, code_outside_tasks_is_one_writer_per_cpu)
{
	fresh();
	emit(0, NULL, "abc");
	emit(1, NULL, "def\n");
	emit(0, NULL, "g\n");
	EXPECT_STREQ(out, "abc\ndef\nabcg\n");
}

KTEST(conlines, an_overlong_cut_line_is_not_repeated)
{
	char longline[CONLINES_TEXT_MAX + 11];

	fresh();
	memset(longline, 'x', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	emit(0, SHELL, longline);
	emit(1, NULL, "y\n");
	out_len = 0;
	emit(0, SHELL, "z\n");
	EXPECT_STREQ(out, "z\n");
}

KTEST(conlines, a_line_ended_inside_a_write_is_forgotten)
{
	fresh();
	emit(0, SHELL, "done\ncoop> ");
	emit(1, NULL, "x\n");
	emit(1, SHELL, "ls\n");
	EXPECT_STREQ(out, "done\ncoop> \nx\ncoop> ls\n");
}

/* More cut lines than slots: the oldest is forgotten (its writer starts a
 * fresh line), the newest still comes back, nothing else is disturbed. */
KTEST(conlines, more_cut_lines_than_slots_forget_the_oldest)
{
	static char who[CONLINES_SLOTS + 1];

	fresh();
	for (unsigned i = 0; i <= CONLINES_SLOTS; i++) {
		char s[8] = { 'w', (char)('a' + i), '>', ' ', '\0' };
		emit(0, &who[i], s);
	}
	emit(1, NULL, "x\n");
	out_len = 0;
	emit(0, &who[0], "old\n");
	emit(0, &who[CONLINES_SLOTS], "new\n");
	EXPECT_STREQ(out, "old\nwq> new\n");
}
