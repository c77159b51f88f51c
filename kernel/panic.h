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

/*
 * A fatal report (panic, unexpected fault) on any CPU, one at a time:
 * fatal_begin() lets the first CPU through, after it has stopped all the
 * others with an NMI and taken the console over.  A CPU that gets there
 * while another reports is noted (fatal_end lists it) and stops for good;
 * one that gets there again while it reports says so in one line and
 * stops.  Interrupts are off from then on.
 */
void fatal_begin(const char *event);
/* True once a CPU has started a fatal report. */
bool fatal_in_progress(void);
/* "on CPU 1 of 4; the others are stopped": the report's second line. */
void fatal_cpu_line(void);
/* Called after a fatal report has been printed: lists the other CPUs that
 * failed meanwhile, then ends the boot as a test result, or halts. */
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
