#include "test/kernel/report_capture.h"

#include "kernel/fault.h"
#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

void report_capture_line(void *ctx, const char *line)
{
	struct report_capture *c = ctx;
	size_t n = strlen(line);
	ktest_out("    # | %s\n", line);
	if (c->len + n + 2 > sizeof c->text)
		return;
	memcpy(c->text + c->len, line, n);
	c->len += n;
	c->text[c->len++] = '\n';
	c->text[c->len] = '\0';
}

void report_capture_fault(const struct cpu_fault *f, void *ctx)
{
	fault_report(f, report_capture_line, ctx);
}

bool report_contains(const struct report_capture *c, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= c->len; i++)
		if (memcmp(c->text + i, needle, n) == 0)
			return true;
	return false;
}
