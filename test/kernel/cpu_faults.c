/*
 * In-kernel tests of CPU tables and exception reports.  Faults are raised in
 * hal/cpu/probe.S probes, so the kernel survives them and can check the report;
 * the fatal paths (double fault, an unhandled fault, panic) each have an
 * own-boot suite in cpu_fatal.c.
 */
#include "hal/cpu.h"
#include "hal/cpu/fault.h"
#include "hal/cpu/gdt.h"
#include "kernel/fault.h"
#include "test/kernel/report_capture.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(cpu, KTEST_KERNEL_ONLY);

KTEST(cpu, segment_registers_reloaded)
{
	struct hal_segments s;
	hal_read_segments(&s);
	EXPECT_EQ(s.cs, GDT_KERNEL_CODE);
	EXPECT_EQ(s.ss, GDT_KERNEL_DATA);
	EXPECT_EQ(s.ds, GDT_KERNEL_DATA);
	EXPECT_EQ(s.es, GDT_KERNEL_DATA);
	EXPECT_EQ(s.fs, GDT_KERNEL_DATA);
	EXPECT_EQ(s.gs, GDT_KERNEL_DATA);
	EXPECT_EQ(s.tr, GDT_TSS);
}

KTEST(cpu, breakpoint_reports_and_continues)
{
	uint64_t before = exception_breakpoints();
	volatile int after = 0;
	hal_breakpoint();
	after = 1;
	EXPECT_EQ(exception_breakpoints(), before + 1);
	EXPECT_EQ(after, 1);
}

/* Arms a probe for `vector` with the report captured into *c. */
static void expect(struct fault_expectation *e, unsigned vector, struct report_capture *c)
{
	*e = (struct fault_expectation){ .vector = vector, .report_to = report_capture_fault,
					 .report_ctx = c };
	c->len = 0;
	c->text[0] = '\0';
	fault_expect(e);
}

KTEST(cpu, divide_error_report)
{
	struct fault_expectation e;
	struct report_capture c;
	expect(&e, VEC_DIVIDE_ERROR, &c);
	uint64_t r = probe_divide(42, 0);
	fault_expect_clear();
	EXPECT_EQ(r, PROBE_FAULTED);
	EXPECT_TRUE(e.hit);
	EXPECT_TRUE(report_contains(&c, "#DE: divide error (vector 0)"));
	EXPECT_TRUE(report_contains(&c, "rip 0x"));
	EXPECT_TRUE(report_contains(&c, "probe_divide+0x"));
	EXPECT_TRUE(report_contains(&c, "rsi 0x0000000000000000"));
}

KTEST(cpu, invalid_opcode_report)
{
	struct fault_expectation e;
	struct report_capture c;
	expect(&e, VEC_INVALID_OPCODE, &c);
	uint64_t r = probe_invalid_opcode();
	fault_expect_clear();
	EXPECT_EQ(r, PROBE_FAULTED);
	EXPECT_TRUE(e.hit);
	EXPECT_TRUE(report_contains(&c, "#UD: invalid opcode (vector 6)"));
	EXPECT_TRUE(report_contains(&c, "probe_invalid_opcode+0x0"));
}

KTEST(cpu, general_protection_decodes_selector)
{
	struct fault_expectation e;
	struct report_capture c;
	expect(&e, VEC_GENERAL_PROTECTION, &c);
	/* GDT index 0x246 is far past our 5-entry GDT's limit. */
	uint64_t r = probe_load_ds(0x1230);
	fault_expect_clear();
	EXPECT_EQ(r, PROBE_FAULTED);
	EXPECT_TRUE(e.hit);
	EXPECT_EQ(e.error_code, 0x1230);
	EXPECT_TRUE(report_contains(&c, "#GP: general protection fault (vector 13)"));
	EXPECT_TRUE(report_contains(&c, "selector 0x1230 (GDT index 582)"));
}

KTEST(cpu, general_protection_non_canonical)
{
	struct fault_expectation e;
	struct report_capture c;
	expect(&e, VEC_GENERAL_PROTECTION, &c);
	uint64_t r = probe_read64((const void *)0x8000000000000000ull);
	fault_expect_clear();
	EXPECT_EQ(r, PROBE_FAULTED);
	EXPECT_TRUE(e.hit);
	EXPECT_EQ(e.error_code, 0);
	EXPECT_TRUE(report_contains(&c, "error 0x0: no selector involved"));
}
