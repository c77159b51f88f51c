/* Tests of kernel/shell/shell_lines: the type-ahead queue (every line, in
 * order, until it is full), history, and command-name completion. */
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/shell/shell_lines.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(shell_lines);

static struct line_queue q;
static struct history h;

/* Issue 11: "sleep 2, echo one, echo two, echo three" ran only echo one. */
KTEST(shell_lines, queue_keeps_every_line_in_order)
{
	char out[LINEEDIT_UTF8_MAX];

	line_queue_init(&q);
	EXPECT_TRUE(line_queue_empty(&q));
	EXPECT_TRUE(line_queue_push(&q, "echo one"));
	EXPECT_TRUE(line_queue_push(&q, ""));
	EXPECT_TRUE(line_queue_push(&q, "echo two"));
	ASSERT_TRUE(line_queue_pop(&q, out));
	EXPECT_STREQ(out, "echo one");
	EXPECT_TRUE(line_queue_push(&q, "echo three"));
	ASSERT_TRUE(line_queue_pop(&q, out));
	EXPECT_STREQ(out, "");
	ASSERT_TRUE(line_queue_pop(&q, out));
	EXPECT_STREQ(out, "echo two");
	ASSERT_TRUE(line_queue_pop(&q, out));
	EXPECT_STREQ(out, "echo three");
	EXPECT_FALSE(line_queue_pop(&q, out));
}

/* A few KB of 98-character lines all fit; past the end a line is refused
 * whole, and the queue works on. */
KTEST(shell_lines, queue_holds_a_paste_and_refuses_whole_lines)
{
	char line[100], out[LINEEDIT_UTF8_MAX];
	unsigned kept = 0;

	line_queue_init(&q);
	for (unsigned i = 0; i < 200; i++) {
		fmt_snprintf(line, sizeof line, "echo %04u %s", i,
			     "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567");
		if (!line_queue_push(&q, line))
			break;
		kept++;
	}
	EXPECT_EQ(kept, TYPEAHEAD_BYTES / (strlen(line) + 1)); /* 82 of 99 bytes */
	for (unsigned i = 0; i < kept; i++) {
		ASSERT_TRUE(line_queue_pop(&q, out));
		char want[10];
		fmt_snprintf(want, sizeof want, "echo %04u", i);
		EXPECT_EQ(strncmp(out, want, 9), 0);
	}
	EXPECT_TRUE(line_queue_empty(&q));
}

KTEST(shell_lines, history_newest_first_no_blanks_or_repeats)
{
	history_init(&h);
	EXPECT_NULL(history_get(&h, 1));
	history_add(&h, "help");
	history_add(&h, "  ");
	history_add(&h, "tasks");
	history_add(&h, "tasks");
	EXPECT_STREQ(history_get(&h, 1), "tasks");
	EXPECT_STREQ(history_get(&h, 2), "help");
	EXPECT_NULL(history_get(&h, 3));
	EXPECT_NULL(history_get(&h, 0));
	char line[16];
	for (unsigned i = 0; i < HISTORY_LINES + 5; i++) {
		fmt_snprintf(line, sizeof line, "cmd %u", i);
		history_add(&h, line);
	}
	EXPECT_STREQ(history_get(&h, 1), "cmd 36");
	EXPECT_STREQ(history_get(&h, HISTORY_LINES), "cmd 5");
	EXPECT_NULL(history_get(&h, HISTORY_LINES + 1));
}

KTEST(shell_lines, completion_of_command_names)
{
	static const char *const names[] = { "help", "history", "sleep", "spawn", "tasks" };
	char ext[32];

	EXPECT_EQ(complete_word("ta", names, 5, ext, sizeof ext), 1);
	EXPECT_STREQ(ext, "sks ");
	EXPECT_EQ(complete_word("h", names, 5, ext, sizeof ext), 2);
	EXPECT_STREQ(ext, "");          /* help, history: nothing in common */
	EXPECT_EQ(complete_word("hi", names, 5, ext, sizeof ext), 1);
	EXPECT_STREQ(ext, "story ");
	EXPECT_EQ(complete_word("s", names, 5, ext, sizeof ext), 2);
	EXPECT_STREQ(ext, "");
	EXPECT_EQ(complete_word("x", names, 5, ext, sizeof ext), 0);
	EXPECT_STREQ(ext, "");
	EXPECT_EQ(complete_word("tasks", names, 5, ext, sizeof ext), 1);
	EXPECT_STREQ(ext, " ");
	EXPECT_EQ(complete_word("", names, 5, ext, sizeof ext), 5);
}
