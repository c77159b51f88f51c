/*
 * locks.c — spinlock problem reports (see locks.h).
 */
#include "kernel/locks.h"

#include "hal/dev/serial.h"
#include "hal/hal.h"
#include "kernel/console/console.h"
#include "kernel/ksyms.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"

static struct lock_expectation *expected;

void lock_expect(struct lock_expectation *e)
{
	e->hit = false;
	e->report[0] = '\0';
	__atomic_store_n(&expected, e, __ATOMIC_RELEASE);
}

void lock_expect_clear(void)
{
	__atomic_store_n(&expected, NULL, __ATOMIC_RELEASE);
}

static uint64_t to_ms(uint64_t cycles)
{
	uint64_t per_ms = spin_cycles_per_ms();
	return per_ms ? cycles / per_ms : 0;
}

/* "CPU 1 holds it (taken at kmalloc+0x1c, 2003 ms ago)", or "nobody
 * holds it".  Read racily: the holder may change while we look. */
static void describe_holder(char *buf, unsigned n, const struct spinlock *l)
{
	int32_t cpu = __atomic_load_n(&l->holder_cpu, __ATOMIC_RELAXED);
	uintptr_t pc = __atomic_load_n(&l->holder_pc, __ATOMIC_RELAXED), off = 0;
	uint64_t since = __atomic_load_n(&l->holder_tsc, __ATOMIC_RELAXED);
	const char *fn = ksym_lookup(pc, &off);

	if (cpu < 0) {
		fmt_snprintf(buf, n, "nobody holds it");
		return;
	}
	fmt_snprintf(buf, n, "CPU %d holds it (taken at %s+0x%llx, %llu ms ago)", (int)cpu,
		     fn ? fn : "?", (unsigned long long)off,
		     (unsigned long long)to_ms(hal_cycles() - since));
}

void lock_problem_text(char *buf, unsigned n, enum lock_problem what,
		       const struct spinlock *l, uint64_t waited)
{
	char holder[96];
	const char *name = l ? l->name : "";
	unsigned me = hal_cpu_id();

	if (l)
		describe_holder(holder, sizeof holder, l);
	switch (what) {
	case LOCK_RECURSIVE:
		fmt_snprintf(buf, n, "spinlock '%s': CPU %u takes it again; %s", name, me, holder);
		break;
	case LOCK_NOT_HOLDER:
		fmt_snprintf(buf, n, "spinlock '%s': CPU %u releases it, but %s", name, me, holder);
		break;
	case LOCK_LONG_WAIT:
		fmt_snprintf(buf, n, "spinlock '%s': CPU %u has waited %llu ms for it; %s", name,
			     me, (unsigned long long)to_ms(waited), holder);
		break;
	case LOCK_IRQ_ENABLED_INSIDE:
		fmt_snprintf(buf, n, "CPU %u: interrupts were turned on inside an "
			     "interrupts-off section (hal_irq_pop_off)", me);
		break;
	case LOCK_IRQ_POP_UNBALANCED:
		fmt_snprintf(buf, n, "CPU %u: hal_irq_pop_off without a matching push", me);
		break;
	}
}

/* A test that expects exactly this problem takes it. */
static bool take_expected(enum lock_problem what, const struct spinlock *l, uint64_t waited)
{
	struct lock_expectation *e = __atomic_load_n(&expected, __ATOMIC_ACQUIRE);

	if (!e || e->what != what ||
	    !__atomic_compare_exchange_n(&expected, &e, NULL, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return false;
	lock_problem_text(e->report, sizeof e->report, what, l, waited);
	__atomic_store_n(&e->hit, true, __ATOMIC_RELEASE);
	return true;
}

/*
 * The waiter may be waiting for the console's own lock, or for a lock its
 * holder keeps while it waits for the console: so the warning goes to the
 * console only if it is free right now, else straight to serial.
 */
static void warn_without_waiting(const char *text)
{
	char line[240];
	int n = fmt_snprintf(line, sizeof line, "warning: %s\n", text);

	if (n >= (int)sizeof line)
		n = sizeof line - 1;
	if (!con_try_write_attr(line, (size_t)n, CON_ATTR(CON_YELLOW, CON_BLACK)))
		serial_write(line, (size_t)n);
}

void kernel_lock_problem(enum lock_problem what, const struct spinlock *l, uint64_t waited)
{
	char text[200];

	if (take_expected(what, l, waited))
		return;
	lock_problem_text(text, sizeof text, what, l, waited);
	if (what == LOCK_LONG_WAIT) {
		warn_without_waiting(text);
		return;
	}
	panic("%s", text);
}
