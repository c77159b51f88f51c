/*
 * params.c — command line keys and their defaults.
 */
#include "kernel/params.h"

#include <stdarg.h>

#include "hal/hal.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"

struct kernel_params kparams = {
	.keymap = "us",
	.heap = "block",
	.irq = IRQ_CHOICE_AUTO,
	.usb = "on",
};

/* The loader reads video= and gdb= (with the same tokenizer); the kernel
 * only accepts them.  timer_hz= is still known, so that it gets its own
 * warning rather than "unknown key". */
static const char *const known_keys[] = {
	"test", "bench", "keymap", "heap", "video", "loglevel", "irq", "timer_hz", "gdb", "usb",
	"cpus",
	NULL,
};

static struct cmdline cmdline;
static const char *raw;

/* Warnings wait until the banner has said what the command line was (and
 * loglevel= is known); a few are kept, the rest counted. */
#define WARNINGS_KEPT 12
#define WARNING_MAX 200
static char warnings[WARNINGS_KEPT][WARNING_MAX];
static unsigned warning_count;

static void keep_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void keep_warning(const char *fmt, ...)
{
	va_list ap;

	if (warning_count < WARNINGS_KEPT) {
		va_start(ap, fmt);
		fmt_vsnprintf(warnings[warning_count], WARNING_MAX, fmt, ap);
		va_end(ap);
	}
	warning_count++;
}

static void warn_line(const char *line)
{
	keep_warning("%s", line);
}

void params_print_warnings(void)
{
	for (unsigned i = 0; i < warning_count && i < WARNINGS_KEPT; i++)
		log_warn("%s", warnings[i]);
	if (warning_count > WARNINGS_KEPT)
		log_warn("cmdline: %u more warnings not shown", warning_count - WARNINGS_KEPT);
}

static enum irq_choice parse_irq(const char *v)
{
	if (strcmp(v, "apic") == 0)
		return IRQ_CHOICE_APIC;
	if (strcmp(v, "pic") == 0)
		return IRQ_CHOICE_PIC;
	keep_warning("cmdline: irq must be apic or pic; choosing by the ACPI tables");
	return IRQ_CHOICE_AUTO;
}

/* usb=: on, off, or a simulated controller failure for the boot tests. */
static const char *parse_usb(const char *v)
{
	static const char *const values[] = { "on", "off", "poll", "fail-handoff",
					      "fail-reset" };

	for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++)
		if (!strcmp(v, values[i]))
			return values[i];
	keep_warning("cmdline: usb must be on, off or poll; using on");
	return "on";
}

/* cpus=N, 1 <= N <= HAL_MAX_CPUS; anything else: all, with a warning. */
static unsigned parse_cpus(const char *v)
{
	unsigned n = 0;

	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > HAL_MAX_CPUS) {
			n = 0;
			break;
		}
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (n >= 1 && n <= HAL_MAX_CPUS)
		return n;
	keep_warning("cmdline: cpus must be a number from 1 to %u; starting every CPU",
		     HAL_MAX_CPUS);
	return 0;
}

void params_init(const struct boot_info *bi)
{
	const char *v;

	raw = bi->cmdline;
	cmdline_parse(&cmdline, bi->cmdline, known_keys, warn_line,
		      bi->cmdline_truncated ? CMDLINE_CUT : 0);
	kparams.test = cmdline_get(&cmdline, "test");
	kparams.bench = cmdline_get(&cmdline, "bench");
	if ((v = cmdline_get(&cmdline, "keymap")))
		kparams.keymap = v;
	if ((v = cmdline_get(&cmdline, "heap")))
		kparams.heap = v;
	if ((v = cmdline_get(&cmdline, "irq")))
		kparams.irq = parse_irq(v);
	if ((v = cmdline_get(&cmdline, "cpus")))
		kparams.cpus = parse_cpus(v);
	if (cmdline_get(&cmdline, "timer_hz"))
		keep_warning("cmdline: timer_hz is gone: coop is tickless now (the timer fires "
			     "only when a sleeper is due); ignored");
	if ((v = cmdline_get(&cmdline, "usb")))
		kparams.usb = parse_usb(v);
	if ((v = cmdline_get(&cmdline, "loglevel"))) {
		int level = log_level_parse(v);
		if (level < 0)
			keep_warning("cmdline: loglevel must be debug, info, warn or error");
		else
			log_set_level((enum log_level)level);
	}
}

const char *params_cmdline(void)
{
	return raw ? raw : "";
}
