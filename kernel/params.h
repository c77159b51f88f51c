/*
 * params.h — the kernel's settings, read from the command line once at boot.
 */
#ifndef COOP_KERNEL_PARAMS_H
#define COOP_KERNEL_PARAMS_H

#include <stdbool.h>

#include "kernel/boot_info.h"

/* irq=: which interrupt controllers deliver device interrupts. */
enum irq_choice {
	IRQ_CHOICE_AUTO, /* the IOAPIC when the MADT allows it, else the 8259 */
	IRQ_CHOICE_APIC,
	IRQ_CHOICE_PIC,
};

struct kernel_params {
	const char *test;   /* test=all|list|<suite>[,...]: run ktest suites */
	const char *bench;  /* bench=all: run in-kernel benchmarks */
	const char *keymap; /* keymap=us|uk|de */
	const char *heap;   /* heap=bump|list|block */
	enum irq_choice irq; /* irq=apic|pic */
	const char *usb;    /* usb=on|off|poll (fail-handoff|fail-reset: tests) */
	unsigned cpus;      /* cpus=N: at most N CPUs run, the boot CPU included (0: all) */
};

extern struct kernel_params kparams;

/* Parses bi's command line (loglevel= takes effect at once); the warnings
 * about what it did not understand wait for params_print_warnings(). */
void params_init(const struct boot_info *bi);
void params_print_warnings(void);
/* The raw command line, for the boot summary. */
const char *params_cmdline(void);

#endif
