/*
 * The host's stand-in for hal/: portable code runs against it in unit tests,
 * fuzzers and benchmarks.
 *
 * Interrupts are simulated: the "interrupt flag" is a per-thread bool, and a
 * test can install a hook that plays the part of an interrupt arriving while
 * the CPU waits in hal_wait_for_interrupt().
 *
 * CPUs are threads: each thread says which CPU it plays (fake_hal_set_cpu;
 * 0 unless it says otherwise).  The halt really blocks, on a futex, until
 * another thread sends this CPU an IPI with hal_cpu_wake(), as a halted CPU
 * sleeps until an interrupt.  So a lost wake-up hangs here as it would on
 * the machine; a halt that waits longer than the halt timeout (10 s unless a
 * test sets it) gives up, counts a timeout and returns as a spurious wake, so
 * a test can fail on it instead of hanging.
 */
#include "hal/hal.h"
#include "test/host/fake_hal.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Thread_local bool irq_on = true;
static _Thread_local unsigned irq_depth;	/* simulated handlers running */
static _Atomic fake_hal_irq_hook_fn irq_hook;
static _Thread_local fake_hal_irq_hook_fn window_hook;
static _Atomic unsigned long waits;

hal_irqflags_t hal_irq_save(void)
{
	hal_irqflags_t was = irq_on;
	irq_on = false;
	return was;
}

/* Interrupts going back on: a pending interrupt would be taken now. */
static void irqs_on(void)
{
	bool was_on = irq_on;

	irq_on = true;
	if (!was_on && window_hook)
		fake_hal_raise_irq(window_hook);
}

void hal_irq_restore(hal_irqflags_t flags)
{
	if (flags)
		irqs_on();
	else
		irq_on = false;
}

void hal_irq_enable(void) { irqs_on(); }
void hal_irq_disable(void) { irq_on = false; }
bool hal_irq_enabled(void) { return irq_on; }
bool hal_in_interrupt(void) { return irq_depth != 0; }

void fake_hal_raise_irq(void (*handler)(void))
{
	/* Like the CPU: the handler runs with interrupts masked. */
	bool was_on = irq_on;

	irq_on = false;
	irq_depth++;
	handler();
	irq_depth--;
	irq_on = was_on;
}

/* ---- CPUs --------------------------------------------------------------------- */

struct fake_cpu {
	_Atomic uint32_t ipi;		/* the futex word: an IPI is pending */
	_Atomic unsigned long ipis, halts, timeouts;
} __attribute__((aligned(64)));

static struct fake_cpu cpus[HAL_MAX_CPUS];
static _Thread_local unsigned this_cpu;
_Atomic unsigned hal_host_cpu_count = 1;
static _Atomic unsigned halt_timeout_ms = 10000;
static _Atomic fake_hal_irq_hook_fn stall_hook;
static _Atomic unsigned wake_delay_us[HAL_MAX_CPUS];

unsigned hal_cpu_id(void) { return this_cpu; }

void fake_hal_set_cpu(unsigned cpu) { this_cpu = cpu; }
void fake_hal_set_cpu_count(unsigned n) { atomic_store(&hal_host_cpu_count, n); }
void fake_hal_set_halt_timeout_ms(unsigned ms) { atomic_store(&halt_timeout_ms, ms); }
void fake_hal_set_stall_hook(fake_hal_irq_hook_fn fn) { atomic_store(&stall_hook, fn); }
void fake_hal_set_wake_delay_us(unsigned cpu, unsigned us) { atomic_store(&wake_delay_us[cpu], us); }

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)word, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

void hal_cpu_wake(unsigned cpu)
{
	struct fake_cpu *c = &cpus[cpu];

	atomic_fetch_add_explicit(&c->ipis, 1, memory_order_relaxed);
	/* Release: what the sender did before the IPI is visible to the CPU
	 * it wakes, as the interrupt's delivery orders it on the machine. */
	atomic_store_explicit(&c->ipi, 1, memory_order_release);
	futex(&c->ipi, FUTEX_WAKE, 1, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Blocks until an IPI comes, or the halt timeout passes (false). */
static bool wait_for_ipi(struct fake_cpu *c)
{
	uint64_t limit = now_ns() + (uint64_t)atomic_load(&halt_timeout_ms) * 1000000;

	while (!atomic_exchange_explicit(&c->ipi, 0, memory_order_acquire)) {
		uint64_t now = now_ns();
		struct timespec ts;
		if (now >= limit)	/* one last look, then give up */
			return atomic_exchange_explicit(&c->ipi, 0, memory_order_acquire);
		ts.tv_sec = (time_t)((limit - now) / 1000000000);
		ts.tv_nsec = (long)((limit - now) % 1000000000);
		futex(&c->ipi, FUTEX_WAIT, 0, &ts);	/* returns at once if ipi != 0 */
	}
	return true;
}

void hal_wait_for_interrupt(void)
{
	fake_hal_irq_hook_fn hook = atomic_load(&irq_hook);
	struct fake_cpu *c = &cpus[this_cpu];

	irq_on = true;
	atomic_fetch_add_explicit(&waits, 1, memory_order_relaxed);
	if (hook) {
		fake_hal_raise_irq(hook);	/* the interrupt the test plays */
		return;
	}
	atomic_fetch_add_explicit(&c->halts, 1, memory_order_relaxed);
	if (!wait_for_ipi(c)) {
		fake_hal_irq_hook_fn stalled = atomic_load(&stall_hook);
		atomic_fetch_add_explicit(&c->timeouts, 1, memory_order_relaxed);
		if (stalled)
			stalled();
	}
	/* A vCPU the host runs late after its wake-up (a loaded host). */
	unsigned d = atomic_load(&wake_delay_us[this_cpu]);
	if (d) {
		struct timespec ts = { .tv_sec = d / 1000000, .tv_nsec = (long)(d % 1000000) * 1000 };
		nanosleep(&ts, NULL);
	}
}

struct fake_hal_cpu_counts fake_hal_cpu_counts(unsigned cpu)
{
	struct fake_cpu *c = &cpus[cpu];

	return (struct fake_hal_cpu_counts){
		.ipis = atomic_load(&c->ipis),
		.halts = atomic_load(&c->halts),
		.timeouts = atomic_load(&c->timeouts),
	};
}

bool fake_hal_ipi_pending(unsigned cpu)
{
	return atomic_load_explicit(&cpus[cpu].ipi, memory_order_acquire);
}

unsigned long fake_hal_halt_timeouts(void)
{
	unsigned long n = 0;

	for (unsigned i = 0; i < HAL_MAX_CPUS; i++)
		n += atomic_load(&cpus[i].timeouts);
	return n;
}

void fake_hal_reset_cpus(void)
{
	for (unsigned i = 0; i < HAL_MAX_CPUS; i++) {
		atomic_store(&cpus[i].ipi, 0);
		atomic_store(&cpus[i].ipis, 0);
		atomic_store(&cpus[i].halts, 0);
		atomic_store(&cpus[i].timeouts, 0);
	}
}

/* ---- the rest --------------------------------------------------------------------- */

void hal_cpu_relax(void) { sched_yield(); }

uint64_t hal_cycles(void) { return now_ns(); }

void fake_hal_set_irq_hook(fake_hal_irq_hook_fn fn) { atomic_store(&irq_hook, fn); }
unsigned long fake_hal_wait_count(void) { return atomic_load(&waits); }

/* A clock that moves only when a test says so, and the deadline the code
 * under test last asked the "timer" for. */
static uint64_t clock_ns;
static uint64_t armed_ns = HAL_NO_DEADLINE;
static unsigned long arm_calls;

uint64_t hal_clock_ns(void) { return clock_ns; }

void hal_timer_arm(uint64_t deadline_ns)
{
	armed_ns = deadline_ns;
	arm_calls++;
}

void fake_hal_set_clock_ns(uint64_t ns) { clock_ns = ns; }
uint64_t fake_hal_armed_ns(void) { return armed_ns; }
unsigned long fake_hal_arm_calls(void) { return arm_calls; }

void fake_hal_set_irq_window_hook(fake_hal_irq_hook_fn fn) { window_hook = fn; }

void hal_halt_forever(void)
{
	abort();
}


/* Interrupt-disable nesting, per thread, as the kernel's is per CPU. */
static _Thread_local unsigned push_depth;
static _Thread_local bool push_outer_on;

void hal_irq_push_off(void)
{
	bool was = irq_on;

	irq_on = false;
	if (push_depth++ == 0)
		push_outer_on = was;
}

void hal_irq_pop_off(void)
{
	if (push_depth == 0)
		abort();	/* a test bug: unbalanced */
	if (--push_depth == 0)
		irq_on = push_outer_on;
}
