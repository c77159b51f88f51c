/*
 * Host tests of the executor's tickless timers: with the HAL's clock (the
 * fake's, which moves only when told), `now` comes from the clock and the
 * timer is armed for the earliest deadline only, re-armed when that
 * changes, and disarmed when nothing is left.
 */
#include "hal/hal.h"
#include "sched/async.h"
#include "sched/executor.h"
#include "sched/timer.h"
#include "test/host/fake_hal.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(sched_tickless, KTEST_HOST_ONLY);

#define MS 1000000ull

struct napper {
	ASYNC_STATE;
	struct sleep_future nap;
	uint64_t ms;
	bool done;
};

ASYNC_FN(napper, struct napper)
{
	ASYNC_BEGIN();
	sleep_ms_init(&self->nap, self->ms);
	AWAIT(&self->nap);
	self->done = true;
	ASYNC_END();
}

static struct executor ex;

/* What the timer interrupt does when the armed deadline comes. */
static void fire_at(uint64_t ms)
{
	fake_hal_set_clock_ns(ms * MS);
	executor_timer_tick(&ex, ms);
	executor_run_until_idle(&ex);
}

KTEST(sched_tickless, arms_the_earliest_deadline_only)
{
	struct napper a = { ASYNC_INIT(napper), .ms = 100 }, b = { ASYNC_INIT(napper), .ms = 30 };

	fake_hal_set_clock_ns(5 * MS + 400000); /* 5.4 ms: now reads 5 */
	executor_setup(&ex);
	timerq_set_clock(&ex.timers, &sched_hal_clock);
	struct task_handle ha = spawn_on(&ex, &a.base, sizeof a);
	executor_run_until_idle(&ex);
	/* now + 100 + 1: never early, though the true time may be 5.999 ms. */
	EXPECT_EQ(fake_hal_armed_ns(), 106 * MS);
	unsigned long arms = fake_hal_arm_calls();
	struct task_handle hb = spawn_on(&ex, &b.base, sizeof b);
	executor_run_until_idle(&ex);
	EXPECT_EQ(fake_hal_armed_ns(), 36 * MS);	/* earlier: re-armed */
	EXPECT_EQ(fake_hal_arm_calls(), arms + 1);

	fire_at(36);
	EXPECT_TRUE(task_is_done(&hb));
	EXPECT_FALSE(task_is_done(&ha));
	EXPECT_EQ(fake_hal_armed_ns(), 106 * MS);	/* on to the next */
	fire_at(106);
	EXPECT_TRUE(task_is_done(&ha));
	EXPECT_EQ(fake_hal_armed_ns(), HAL_NO_DEADLINE); /* nothing left: quiet */
	task_detach(&ha);
	task_detach(&hb);
	executor_teardown(&ex);
}

KTEST(sched_tickless, later_deadlines_do_not_rearm)
{
	struct napper a = { ASYNC_INIT(napper), .ms = 10 };

	fake_hal_set_clock_ns(0);
	executor_setup(&ex);
	timerq_set_clock(&ex.timers, &sched_hal_clock);
	spawn_detached_on(&ex, &a.base, sizeof a);
	executor_run_until_idle(&ex);
	unsigned long arms = fake_hal_arm_calls();
	for (int i = 0; i < 50; i++) {
		a.ms = 20 + (uint64_t)i;
		spawn_detached_on(&ex, &a.base, sizeof a);
	}
	executor_run_until_idle(&ex);
	EXPECT_EQ(fake_hal_arm_calls(), arms);
	EXPECT_EQ(fake_hal_armed_ns(), 11 * MS);
	executor_teardown(&ex);
	EXPECT_EQ(fake_hal_armed_ns(), HAL_NO_DEADLINE); /* teardown disarms */
}

KTEST(sched_tickless, a_deadline_already_past_needs_no_interrupt)
{
	struct napper a = { ASYNC_INIT(napper), .ms = 10 };

	fake_hal_set_clock_ns(0);
	executor_setup(&ex);
	timerq_set_clock(&ex.timers, &sched_hal_clock);
	struct task_handle h = spawn_on(&ex, &a.base, sizeof a);
	executor_run_until_idle(&ex);
	/* The clock moves on without a tick (interrupts were off, say): the
	 * next look at the queue sees the deadline passed by itself. */
	fake_hal_set_clock_ns(50 * MS);
	struct napper b = { ASYNC_INIT(napper), .ms = 0 };
	spawn_detached_on(&ex, &b.base, sizeof b);
	executor_run_until_idle(&ex);
	EXPECT_TRUE(task_is_done(&h));
	task_detach(&h);
	executor_teardown(&ex);
}
