/*
 * params.c — command line keys and their defaults.
 */
#include "kernel/params.h"

#include "kernel/lib/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"

#define DEFAULT_TIMER_HZ 1000

struct kernel_params kparams = {
	.keymap = "us",
	.heap = "block",
	.timer_hz = DEFAULT_TIMER_HZ,
};

/* The loader also reads video=; the kernel only accepts it. */
static const char *const known_keys[] = {
	"test", "bench", "keymap", "heap", "video", "loglevel", "timer_hz", NULL,
};

static struct cmdline cmdline;
static const char *raw;

static void warn_line(const char *line)
{
	log_warn("%s", line);
}

static unsigned parse_hz(const char *s)
{
	unsigned v = 0;
	for (; *s >= '0' && *s <= '9' && v < 100000; s++)
		v = v * 10 + (unsigned)(*s - '0');
	if (*s || v < 19 || v > 10000) {
		log_warn("cmdline: timer_hz must be 19..10000; using %u", DEFAULT_TIMER_HZ);
		return DEFAULT_TIMER_HZ;
	}
	return v;
}

void params_init(const struct boot_info *bi)
{
	const char *v;

	raw = bi->cmdline;
	if (bi->cmdline_truncated)
		log_warn("cmdline: longer than %u bytes; the rest was dropped",
			 BOOT_CMDLINE_MAX - 1);
	cmdline_parse(&cmdline, bi->cmdline, known_keys, warn_line);
	kparams.test = cmdline_get(&cmdline, "test");
	kparams.bench = cmdline_get(&cmdline, "bench");
	if ((v = cmdline_get(&cmdline, "keymap")))
		kparams.keymap = v;
	if ((v = cmdline_get(&cmdline, "heap")))
		kparams.heap = v;
	if ((v = cmdline_get(&cmdline, "timer_hz")))
		kparams.timer_hz = parse_hz(v);
	if ((v = cmdline_get(&cmdline, "loglevel"))) {
		int level = log_level_parse(v);
		if (level < 0)
			log_warn("cmdline: loglevel must be debug, info, warn or error");
		else
			log_set_level((enum log_level)level);
	}
}

const char *params_cmdline(void)
{
	return raw ? raw : "";
}
