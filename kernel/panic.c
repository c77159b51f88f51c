/*
 * panic.c — fatal reports and how a boot ends.
 */
#include "kernel/panic.h"

#include <stdarg.h>

#include "hal/dev/qemu.h"
#include "hal/hal.h"
#include "hal/smp/smp.h"
#include "hal/smp/spinlock.h"
#include "kernel/console/console.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/power.h"
#include "test/ktest/ktest.h"

#define BACKTRACE_MAX_DEPTH 32
#define BACKTRACE_MAX_WALK 100000
#define MAX_STACKS (4 * HAL_MAX_CPUS)
#define ALSO_MAX 8
#define STOP_WAIT_MS 1000

static bool test_mode;
static struct { uintptr_t low, high; } stacks[MAX_STACKS];
static unsigned nstacks;

/* The CPU writing the fatal report (-1: none yet), and the others that hit
 * something fatal meanwhile: they are only listed at its end. */
static int32_t reporter = -1;
static struct { int32_t cpu; const char *event; } also[ALSO_MAX];
static uint32_t also_count;
static unsigned not_stopped;

void panic_set_test_mode(bool on) { test_mode = on; }
bool panic_test_mode(void) { return test_mode; }

void backtrace_add_stack(uintptr_t low, uintptr_t high)
{
	/* Stacks are added on the boot CPU before the CPU that uses them
	 * starts; the count goes up last, so a reader on any CPU sees whole
	 * entries. */
	unsigned n = nstacks;
	if (n < MAX_STACKS) {
		stacks[n].low = low;
		stacks[n].high = high;
		__atomic_store_n(&nstacks, n + 1, __ATOMIC_RELEASE);
	}
}

/* Can a frame record (saved rbp, return address) be read at p? */
static bool frame_readable(uintptr_t p)
{
	unsigned n = __atomic_load_n(&nstacks, __ATOMIC_ACQUIRE);

	if (p & 7)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (p >= stacks[i].low && p + 16 <= stacks[i].high)
			return true;
	return false;
}

static void print_frame(unsigned depth, uint64_t rip)
{
	uintptr_t off;
	const char *name = ksym_lookup(rip, &off);
	if (name)
		kprintf("  #%-2u 0x%016llx %s+0x%llx\n", depth, (unsigned long long)rip, name,
			(unsigned long long)off);
	else
		kprintf("  #%-2u 0x%016llx ?\n", depth, (unsigned long long)rip);
}

/* Does `addr` follow a call instruction in kernel text?  (E8 rel32, or an
 * indirect FF /2 call of 2, 3 or 6 bytes.) */
static bool after_a_call(uint64_t addr)
{
	uintptr_t off;
	if (!ksym_lookup(addr, &off) || off < 2)
		return false;
	const uint8_t *p = (const uint8_t *)(uintptr_t)addr;
	if (off >= 5 && p[-5] == 0xe8)
		return true;
	for (int len = 2; len <= 6; len++)
		if (off >= (uintptr_t)len && p[-len] == 0xff && ((p[-len + 1] >> 3) & 7) == 2)
			return true;
	return false;
}

/* Deep recursion (a stack overflow) repeats one frame thousands of times:
 * print it once with a count, and keep walking to show who started it. */
static void walk_frames(uint64_t rbp, uint64_t last, unsigned printed)
{
	uint64_t repeats = 0;

	for (unsigned walked = 0; walked < BACKTRACE_MAX_WALK && frame_readable(rbp); walked++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
		if (!frame[1] || printed >= BACKTRACE_MAX_DEPTH)
			break;
		/* A return address points after the call: -1 names the caller's line. */
		uint64_t ret = frame[1] - 1;
		if (ret == last) {
			repeats++;
		} else {
			if (repeats)
				kprintf("      ... the frame above %llu more times\n",
					(unsigned long long)repeats);
			repeats = 0;
			print_frame(printed++, ret);
			last = ret;
		}
		if (frame[0] <= rbp)
			break; /* frames must move up the stack, or we would loop */
		rbp = frame[0];
	}
	if (repeats)
		kprintf("      ... the frame above %llu more times\n", (unsigned long long)repeats);
}

void backtrace_print(uint64_t rbp, uint64_t rip)
{
	kprintf("backtrace:\n");
	print_frame(0, rip);
	walk_frames(rbp, rip, 1);
}

void backtrace_print_fault(uint64_t rbp, uint64_t rip, uint64_t rsp)
{
	kprintf("backtrace:\n");
	print_frame(0, rip);
	/* A fault in a function's prologue or epilogue (compilers schedule the
	 * `pop %rbp` early) leaves RBP at the caller's frame, so the chain
	 * skips the caller.  Its return address is then on top of the stack:
	 * show it, marked "?" as a guess, if it follows a call. */
	if (frame_readable(rsp)) {
		uint64_t top = *(const uint64_t *)(uintptr_t)rsp;
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
		if (after_a_call(top) && !(frame_readable(rbp) && frame[1] == top)) {
			uintptr_t off;
			const char *name = ksym_lookup(top - 1, &off);
			kprintf("  ?   0x%016llx %s+0x%llx (return address on the stack)\n",
				(unsigned long long)(top - 1), name, (unsigned long long)off);
		}
	}
	walk_frames(rbp, rip, 1);
}

/* ---- one report, whichever CPUs fail ------------------------------------------- */

static uint64_t stop_wait_cycles(void)
{
	uint64_t per_ms = spin_cycles_per_ms();
	return (per_ms ? per_ms : 2000000) * STOP_WAIT_MS;
}

void fatal_begin(const char *event)
{
	int32_t me = (int32_t)hal_cpu_id(), first = -1;

	hal_irq_disable();
	if (!__atomic_compare_exchange_n(&reporter, &first, me, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		if (first == me) {
			/* Fatal while writing the report: say so once, stop. */
			con_take_over();
			kprintf("\nfatal: %s while reporting; stopped\n", event);
			hal_halt_forever();
		}
		/* Another CPU is reporting: its report stays whole, we are
		 * named at its end. */
		uint32_t i = __atomic_fetch_add(&also_count, 1, __ATOMIC_ACQ_REL);
		if (i < ALSO_MAX) {
			also[i].event = event;
			__atomic_store_n(&also[i].cpu, me + 1, __ATOMIC_RELEASE);
		}
		smp_stop_self();
	}
	/* Everyone else stops first (an NMI gets through even with their
	 * interrupts off), so nothing else prints or changes what the report
	 * shows; then the console is ours, even if a stopped CPU held it. */
	not_stopped = smp_stop_others(stop_wait_cycles());
	con_take_over();
}

bool fatal_in_progress(void)
{
	return __atomic_load_n(&reporter, __ATOMIC_ACQUIRE) >= 0;
}

void fatal_cpu_line(void)
{
	unsigned n = hal_cpu_count();

	if (n == 1) {
		kprintf("on CPU 0, the only one running\n");
		return;
	}
	kprintf("on CPU %u of %u; the others are stopped%s\n", hal_cpu_id(), n,
		not_stopped ? " (not all answered the NMI)" : "");
}

static void list_others(void)
{
	uint32_t n = __atomic_load_n(&also_count, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n && i < ALSO_MAX; i++) {
		int32_t cpu = __atomic_load_n(&also[i].cpu, __ATOMIC_ACQUIRE);
		if (cpu)
			kprintf("meanwhile CPU %d stopped at its own %s (not reported)\n",
				(int)cpu - 1, also[i].event);
	}
}

void fatal_end(const char *event)
{
	hal_irq_disable();
	list_others();
	if (ktest_fatal_event(event))
		hal_qemu_exit(QEMU_EXIT_SUCCESS);
	if (test_mode) {
		kprintf("# ktest: unexpected fatal event '%s'\n", event);
		hal_qemu_exit(QEMU_EXIT_FAILURE);
	}
	kprintf("System halted.  Press any key (Ctrl-Alt-Del too) to restart, or switch "
		"the machine off.\n");
	machine_reset_on_key();
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
	static const char header[] = "\n*** KERNEL PANIC ***\n";
	va_list ap;

	fatal_begin("panic");
	con_write_attr(header, sizeof header - 1, CON_ATTR(CON_WHITE, CON_RED));
	kprintf("panic at %s:%d: ", file, line);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	fatal_cpu_line();
	/* Start at our caller: its rip is our return address, its frame
	 * pointer the one our prologue saved. */
	backtrace_print(*(const uint64_t *)__builtin_frame_address(0),
			(uint64_t)(uintptr_t)__builtin_return_address(0) - 1);
	fatal_end("panic");
}
