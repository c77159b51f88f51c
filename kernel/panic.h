/*
 * panic.h — the end of the line: report, then stop.
 *
 * panic() prints file, line and reason, and a backtrace, on the screen and
 * on serial (taking the console over even if its lock is held), then halts
 * with interrupts off.  In a test boot it ends QEMU with a failure status,
 * unless the running test expected exactly this (see ktest_expect_fatal).
 */
#ifndef COOP_KERNEL_PANIC_H
#define COOP_KERNEL_PANIC_H

#include <stdbool.h>
#include <stdint.h>

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

void panic_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* Called after a fatal report has been printed (panic, unexpected fault):
 * ends the boot as a test result, or halts for good. */
void fatal_end(const char *event) __attribute__((noreturn));

/* Test boots (test= on the command line) end QEMU instead of halting. */
void panic_set_test_mode(bool on);
bool panic_test_mode(void);

/* Frame-pointer backtrace: `rip` is where frame 0 is executing and `rbp`
 * is that function's frame pointer.  Only walks stacks registered with backtrace_add_stack(), so a
 * corrupt frame pointer cannot fault the reporter. */
void backtrace_print(uint64_t rbp, uint64_t rip);
/* The same for a fault, which also knows its stack pointer. */
void backtrace_print_fault(uint64_t rbp, uint64_t rip, uint64_t rsp);
void backtrace_add_stack(uintptr_t low, uintptr_t high);

#endif
