/*
 * smp.h — starting the other CPUs (the APs) and stopping them again.
 *
 * Start-up (Intel SDM vol. 3A, 9.4 and 11.6; the MP spec's INIT-SIPI-SIPI):
 * every AP sits in "wait for SIPI" after the firmware's reset.  An INIT IPI,
 * then a start-up IPI (SIPI) whose vector is a page number below 1 MiB,
 * starts it in real mode at that page: the trampoline (ap_boot.S) takes it
 * to protected mode, then long mode on the kernel's own page tables, and
 * into ap_entry64, which finds its slot by APIC id, loads its stack and
 * calls smp.c.  There it loads its per-CPU area (GS), its own GDT and TSS,
 * the shared IDT, the same MMU protections as the boot CPU (checked), its
 * local APIC and its timer, and then hands over to the kernel's `main`.
 *
 * All APs are started at once: INIT to each, the 10 ms wait only on CPUs
 * that need it (older than Intel family 6 / AMD family 0Fh), SIPI to each,
 * a short wait, a second SIPI to each one not yet seen, then one wait for
 * all.  The error status (ESR) is checked after every IPI.  An AP that does
 * not answer in time is sent INIT again (parked, so it cannot wake up later
 * in a trampoline page that is gone) and is reported as such.
 */
#ifndef COOP_HAL_SMP_SMP_H
#define COOP_HAL_SMP_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/cpu/gdt.h"
#include "hal/cpu/percpu.h"
#include "hal/irq/lapic.h"

enum smp_ap_result {
	SMP_AP_NOT_TRIED,
	SMP_AP_ONLINE,		/* running the kernel */
	SMP_AP_NO_ANSWER,	/* never reached the kernel: parked with INIT */
	SMP_AP_IPI_ERROR,	/* an IPI to it failed (esr, failed_ipi) */
	SMP_AP_REFUSED,		/* it answered but could not be set up (why) */
	SMP_AP_SLOW,		/* it answered, but did not finish its set-up */
};

/* One AP to start; the caller fills the first part. */
struct smp_ap {
	uint32_t apic_id;
	struct hal_cpu *cpu;		/* its per-CPU block (percpu_prepare) */
	uintptr_t stack_top;		/* its kernel stack */
	uintptr_t ist_tops[IST_COUNT];	/* its #DF, NMI, #MC stacks */
	struct lapic_nmi_pin nmi_pins[2]; /* the MADT's NMI pins for it */
	unsigned nmi_pin_count;
	void *ctx;			/* the caller's, for `main` */
	/* results */
	enum smp_ap_result result;
	const char *failed_ipi;		/* "INIT", "SIPI": for SMP_AP_IPI_ERROR */
	uint32_t esr;
	const char *why;		/* for SMP_AP_REFUSED */
	unsigned index;			/* its CPU number, once online */
	uint64_t timeout_ms;		/* it had to answer within (reports) */
	uint64_t init_tsc, alive_tsc, online_tsc; /* INIT sent; in C; online */
	uint32_t state;			/* private to smp.c */
};

struct smp_start {
	uint64_t trampoline_pa;		/* one page below 1 MiB (the loader's) */
	void *trampoline;		/* the same page, writable */
	uint64_t cr3;			/* the kernel's page tables (below 4 GiB) */
	uint64_t tsc_hz;		/* for the delays and the timeout */
	uint64_t timeout_ms;		/* for an AP to answer */
	/* Runs on the AP once it is set up, with interrupts off; must call
	 * smp_ap_online() when the CPU is ready to be counted, and never
	 * returns. */
	void (*main)(struct smp_ap *ap);
};

/* True if this CPU model needs 10 ms between INIT and SIPI. */
bool smp_init_delay_needed(void);
/* The address the AP's trampoline must have: why the kernel's page tables
 * cannot be used for the start-up, or NULL if they can. */
const char *smp_check_cr3(uint64_t cr3);

/*
 * Starts aps[0..n-1] as described above; returns how many came online.
 * Every ap gets its result.  Precondition: the trampoline page is mapped
 * at its own address (executable) in the page tables at `cr3`, and each
 * AP's stacks and per-CPU block are ready.
 */
unsigned smp_start_aps(struct smp_ap *aps, unsigned n, const struct smp_start *s);

/* On an AP, from `main`: the CPU is ready; it gets the next CPU number and
 * is counted in hal_cpu_count().  CPUs are counted in number order. */
unsigned smp_ap_online(struct smp_ap *ap);

/*
 * Stopping (a panic, a fatal fault, a reset): every other online CPU gets
 * an NMI, which it cannot mask; its NMI handler sees the stop request,
 * marks the CPU stopped and halts for good.  Returns how many CPUs had not
 * stopped after `timeout_cycles`.  Safe with interrupts off, and from an
 * exception handler.
 */
unsigned smp_stop_others(uint64_t timeout_cycles);
/* Marks this CPU stopped and halts it for good (interrupts and NMIs off
 * from then on, as far as halting allows). */
void smp_stop_self(void) __attribute__((noreturn));
/* True once a stop has been requested: the NMI handler asks. */
bool smp_stop_requested(void);

/* Sends a fixed IPI with `vector` to CPU `cpu` (interrupts need not be
 * off); returns the error status. */
uint32_t smp_send_ipi(unsigned cpu, uint8_t vector);

#endif
