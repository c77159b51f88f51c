/*
 * log.c — formatting front-end of the console.
 */
#include "kernel/log.h"

#include "hal/hal.h"
#include "kernel/console/console.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"

#define LINE_MAX 512

static enum log_level min_level = LOG_INFO;

static const struct {
	const char *name;
	const char *prefix;
	uint8_t attr;
} levels[] = {
	[LOG_DEBUG] = { "debug", "debug: ", CON_ATTR(CON_DARK_GREY, CON_BLACK) },
	[LOG_INFO] = { "info", "", CON_ATTR(CON_LIGHT_GREY, CON_BLACK) },
	[LOG_WARN] = { "warn", "warning: ", CON_ATTR(CON_YELLOW, CON_BLACK) },
	[LOG_ERROR] = { "error", "error: ", CON_ATTR(CON_LIGHT_RED, CON_BLACK) },
};

void kvprintf(const char *fmt, va_list ap)
{
	char buf[LINE_MAX];
	int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0 || n >= (int)sizeof buf)
		n = (int)strlen(buf);
	con_write(buf, (size_t)n);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[LINE_MAX];
	va_list ap;
	size_t n;

	if (level < min_level)
		return;
	/* loglevel=debug names the CPU once there is more than one.  The
	 * whole line goes out in one write, so lines from several CPUs never
	 * mix (kernel/console/console.c). */
	n = 0;
	if (min_level == LOG_DEBUG && hal_cpu_count() > 1)
		n = (size_t)fmt_snprintf(buf, sizeof buf, "[cpu%u] ", hal_cpu_id());
	n += (size_t)fmt_snprintf(buf + n, sizeof buf - n, "%s", levels[level].prefix);
	va_start(ap, fmt);
	fmt_vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	buf[n++] = '\n';
	con_write_attr(buf, n, levels[level].attr);
}

void log_set_level(enum log_level level)
{
	min_level = level;
}

int log_level_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(levels[i].name, name) == 0)
			return (int)i;
	return -1;
}
