/* Tests of the serial-terminal input decoder. */
#include "kernel/input/vtinput.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(vtinput);

/* Feeds s and records up to 16 events as "k:ch" pairs in out. */
static unsigned feed(const char *s, struct input_event *out, unsigned max)
{
	struct vtinput v;
	unsigned n = 0;
	vtinput_init(&v);
	for (; *s; s++)
		if (vtinput_feed(&v, (uint8_t)*s, &out[n]) && n < max - 1)
			n++;
	return n;
}

KTEST(vtinput, plain_text_and_enter)
{
	struct input_event ev[16];
	ASSERT_EQ(feed("hi\r", ev, 16), 3);
	EXPECT_EQ(ev[0].ch, 'h');
	EXPECT_EQ(ev[1].ch, 'i');
	EXPECT_EQ(ev[2].ch, '\n');
	EXPECT_EQ(ev[2].source, INPUT_FROM_SERIAL);
}

KTEST(vtinput, crlf_is_one_enter_and_lone_lf_is_enter)
{
	struct input_event ev[16];
	ASSERT_EQ(feed("a\r\nb\n", ev, 16), 4);
	EXPECT_EQ(ev[1].ch, '\n');
	EXPECT_EQ(ev[2].ch, 'b');
	EXPECT_EQ(ev[3].ch, '\n');
}

KTEST(vtinput, del_is_backspace)
{
	struct input_event ev[16];
	ASSERT_EQ(feed("\x7f", ev, 16), 1);
	EXPECT_EQ(ev[0].ch, '\b');
}

KTEST(vtinput, arrows_home_end_delete)
{
	struct input_event ev[16];
	ASSERT_EQ(feed("\x1b[D\x1b[C\x1b[A\x1b[B\x1bOH\x1b[F\x1b[3~\x1b[1~", ev, 16), 8);
	EXPECT_EQ(ev[0].key, INPUT_LEFT);
	EXPECT_EQ(ev[1].key, INPUT_RIGHT);
	EXPECT_EQ(ev[2].key, INPUT_UP);
	EXPECT_EQ(ev[3].key, INPUT_DOWN);
	EXPECT_EQ(ev[4].key, INPUT_HOME);
	EXPECT_EQ(ev[5].key, INPUT_END);
	EXPECT_EQ(ev[6].key, INPUT_DELETE);
	EXPECT_EQ(ev[7].key, INPUT_HOME);
}

KTEST(vtinput, modified_and_unknown_sequences_are_swallowed)
{
	struct input_event ev[16];
	ASSERT_EQ(feed("\x1b[1;5C\x1b[15~x", ev, 16), 2);
	EXPECT_EQ(ev[0].key, INPUT_RIGHT);
	EXPECT_EQ(ev[1].ch, 'x');
}

KTEST(vtinput, utf8_characters)
{
	struct input_event ev[16];
	ASSERT_EQ(feed("\xc3\xa4\xe2\x82\xac", ev, 16), 2);
	EXPECT_EQ(ev[0].ch, 0xe4);
	EXPECT_EQ(ev[1].ch, 0x20ac);
}

KTEST(vtinput, broken_utf8_resyncs)
{
	struct input_event ev[16];
	ASSERT_EQ(feed("\xc3z\xffq", ev, 16), 2);
	EXPECT_EQ(ev[0].ch, 'z');
	EXPECT_EQ(ev[1].ch, 'q');
}

KTEST(vtinput, alt_letter_gives_the_letter)
{
	struct input_event ev[16];
	ASSERT_EQ(feed("\x1bx", ev, 16), 1);
	EXPECT_EQ(ev[0].ch, 'x');
}
