/*
 * panic.c — fatal reports and how a boot ends.
 */
#include "kernel/panic.h"

#include <stdarg.h>

#include "hal/dev/qemu.h"
#include "hal/hal.h"
#include "kernel/console/console.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/power.h"
#include "test/ktest/ktest.h"

#define BACKTRACE_MAX_DEPTH 32
#define BACKTRACE_MAX_WALK 100000
#define MAX_STACKS 8

static bool test_mode;
static bool panicking;
static struct { uintptr_t low, high; } stacks[MAX_STACKS];
static unsigned nstacks;

void panic_set_test_mode(bool on) { test_mode = on; }
bool panic_test_mode(void) { return test_mode; }

void backtrace_add_stack(uintptr_t low, uintptr_t high)
{
	if (nstacks < MAX_STACKS) {
		stacks[nstacks].low = low;
		stacks[nstacks].high = high;
		nstacks++;
	}
}

/* Can a frame record (saved rbp, return address) be read at p? */
static bool frame_readable(uintptr_t p)
{
	if (p & 7)
		return false;
	for (unsigned i = 0; i < nstacks; i++)
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

void fatal_end(const char *event)
{
	hal_irq_disable();
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

	hal_irq_disable();
	con_take_over();
	if (panicking) {
		/* A panic while reporting a panic: say so once and stop. */
		kprintf("panic: nested panic at %s:%d\n", file, line);
		hal_halt_forever();
	}
	panicking = true;
	con_write_attr(header, sizeof header - 1, CON_ATTR(CON_WHITE, CON_RED));
	kprintf("panic at %s:%d: ", file, line);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	/* Start at our caller: its rip is our return address, its frame
	 * pointer the one our prologue saved. */
	backtrace_print(*(const uint64_t *)__builtin_frame_address(0),
			(uint64_t)(uintptr_t)__builtin_return_address(0) - 1);
	fatal_end("panic");
}
