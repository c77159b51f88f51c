/*
 * smp.c — the other CPUs (see smp.h).
 *
 *   smp_start (boot CPU)                       ap_main (each AP)
 *   --------------------                       -----------------
 *   pick the MADT's CPUs, up to cpus=N
 *   per AP: per-CPU block, stacks,
 *     executor + agent task, NMI pins
 *   map the trampoline; INIT, SIPI, SIPI  -->  trampoline, GDT/TSS, IDT, MMU,
 *     to all at once (hal/smp/smp.c)           local APIC and timer (hal)
 *                                              its executor in its per-CPU block
 *   wait for them                         <--  online: counted, gets its number
 *   unmap the trampoline (TLB shootdown)       run the executor; halt when idle
 *   report: who runs, how fast it started
 */
#include "kernel/smp.h"

#include "hal/cpu.h"
#include "hal/cpu/percpu.h"
#include "hal/hal.h"
#include "hal/irq/irq.h"
#include "hal/irq/vectors.h"
#include "hal/smp/smp.h"
#include "hal/smp/spinlock.h"
#include "hal/smp/tlb.h"
#include "hal/time/clock.h"
#include "kernel/kernel.h"
#include "kernel/lib/fmt.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/platform.h"
#include "mm/heap.h"
#include "mm/mm.h"
#include "sched/atomic_waker.h"
#include "sched/executor.h"

#define MAX_APS (HAL_MAX_CPUS - 1)
#define ANSWER_TIMEOUT_MS 2000

/* Each CPU's smp_call() posted and not taken yet (one at a time). */
static struct smp_call *mailbox[HAL_MAX_CPUS];

static struct smp_ap aps[MAX_APS];
static unsigned ap_count;	/* prepared and tried */
/* The MADT's CPUs left off by cpus=N, listed by `cpus`. */
static uint32_t left_off[MAX_APS];
static unsigned left_off_count;
static char left_off_state[24];	/* "off (cpus=2)" */
static uint64_t startup_us[HAL_MAX_CPUS];

/* ---- the executor: one for all CPUs ----------------------------------------------- */

/* Every CPU runs a worker of the kernel's one executor (sched/executor.h):
 * a task spawned here starts here, and any idle CPU may steal it. */
struct executor *smp_executor(void) { return executor_global(); }

struct executor *smp_executor_of(unsigned cpu)
{
	return cpu < hal_cpu_count() ? executor_global() : NULL;
}

static const char *obstacle(const struct acpi_info *acpi, const struct boot_info *bi);

/* How many workers the executor needs: the boot CPU, and every CPU of the
 * MADT that smp_start() will try, up to cpus=N.  One if none can start.
 * (A CPU that then fails to start leaves its worker empty and asleep.) */
unsigned smp_cpus_planned(void)
{
	const struct acpi_info *acpi = platform_acpi();
	unsigned limit = kparams.cpus ? kparams.cpus : HAL_MAX_CPUS, n = 1;

	if (limit > HAL_MAX_CPUS)
		limit = HAL_MAX_CPUS;
	if (obstacle(acpi, kernel_boot_info()) || !acpi)
		return 1;
	for (uint32_t i = 0; i < acpi->madt.cpu_count && n < limit; i++) {
		const struct acpi_cpu *c = &acpi->madt.cpus[i];
		if (c->apic_id != platform_boot_cpu() && (c->enabled || c->online_capable))
			n++;
	}
	return n;
}

/* ---- smp_call: work for one CPU ------------------------------------------------------ */

/* The executor's cpu_call: this CPU's worker runs it from its loop when
 * executor_call_cpu() asked (so spawn() in fn spawns on this CPU). */
static void answer_call(unsigned cpu)
{
	/* Acquire: the caller's *c and what it points at are visible. */
	struct smp_call *c = __atomic_exchange_n(&mailbox[cpu], NULL, __ATOMIC_ACQ_REL);

	if (c) {
		c->fn(c->arg);
		__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	}
}

bool smp_call(unsigned cpu, struct smp_call *c)
{
	struct smp_call *none = NULL;

	__atomic_store_n(&c->done, 0, __ATOMIC_RELAXED);
	if (cpu >= hal_cpu_count())
		return false;
	if (cpu == hal_cpu_id()) {
		c->fn(c->arg);
		__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
		return true;
	}
	if (!__atomic_compare_exchange_n(&mailbox[cpu], &none, c, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return false;
	/* That CPU's worker looks at its mailbox from its loop; the IPI ends
	 * its halt, if it sleeps (the handshake of sched/idle.h). */
	return executor_call_cpu(executor_global(), cpu);
}

bool smp_call_done(const struct smp_call *c)
{
	return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

bool smp_call_wait(const struct smp_call *c, uint64_t ms)
{
	uint64_t end = hal_clock_ms() + ms;

	while (!smp_call_done(c) && hal_clock_ms() < end)
		hal_cpu_relax();
	return smp_call_done(c);
}

/* ---- on each AP ------------------------------------------------------------------ */

/* Online, then this CPU's worker of the kernel's executor, for good. */
static void ap_main(struct smp_ap *ap)
{
	smp_ap_online(ap);
	hal_irq_enable();
	executor_run();
}

/* ---- preparing and starting ----------------------------------------------------- */

static void wake_ipi(void *ctx)
{
	(void)ctx; /* the interrupt itself ended the halt */
}

/* Everything AP number i needs before it starts; false (after a warning)
 * if memory ran out. */
static bool prepare(unsigned i, uint32_t apic_id)
{
	struct smp_ap *ap = &aps[i];
	struct cpu_stacks st;
	void *area = kmalloc_aligned(percpu_area_size(), 64);

	if (!area || !mm_map_cpu_stacks(i, &st)) {
		log_warn("smp: out of memory for the CPU with APIC id %u; not started", apic_id);
		kfree(area);
		return false;
	}
	*ap = (struct smp_ap){
		.apic_id = apic_id,
		.cpu = percpu_prepare(area, apic_id),
		.stack_top = st.top[KSTACK_BOOT],
		.ist_tops = { st.top[KSTACK_DOUBLE_FAULT], st.top[KSTACK_NMI],
			      st.top[KSTACK_MACHINE_CHECK] },
		.ctx = NULL,
	};
	ap->nmi_pin_count = platform_nmi_pins(apic_id, ap->nmi_pins);
	for (int id = 0; id < KSTACK_COUNT; id++)
		backtrace_add_stack(st.bottom[id], st.top[id]);
	return true;
}

/* Why no AP can run, or NULL. */
static const char *obstacle(const struct acpi_info *acpi, const struct boot_info *bi)
{
	if (kparams.cpus == 1)
		return NULL; /* asked for, not an obstacle: no warning */
	if (!platform_has_lapic())
		return "no local APIC";
	if (!acpi || !acpi->has_madt)
		return "no MADT lists the CPUs";
	if (!bi->ap_trampoline)
		return "the loader found no page below 1 MiB for the start-up code";
	return smp_check_cr3(mm_kernel_pt()->root);
}

/* The MADT's other CPUs, up to cpus=N in all, prepared in aps[]. */
static void pick(const struct acpi_madt *m)
{
	unsigned limit = kparams.cpus ? kparams.cpus - 1 : MAX_APS;

	fmt_snprintf(left_off_state, sizeof left_off_state, "off (cpus=%u)", kparams.cpus);

	for (uint32_t i = 0; i < m->cpu_count; i++) {
		const struct acpi_cpu *c = &m->cpus[i];
		if (c->apic_id == platform_boot_cpu() || (!c->enabled && !c->online_capable))
			continue;
		if (ap_count >= limit || ap_count >= MAX_APS) {
			if (left_off_count < MAX_APS)
				left_off[left_off_count++] = c->apic_id;
			continue;
		}
		if (prepare(ap_count, c->apic_id))
			ap_count++;
	}
}

static uint64_t cycles_to_us(uint64_t cycles)
{
	uint64_t hz = clock_tsc_hz();
	return hz ? cycles * 1000000 / hz : 0;
}

static void report_ap(const struct smp_ap *ap)
{
	switch (ap->result) {
	case SMP_AP_ONLINE: {
		uint64_t us = cycles_to_us(ap->online_tsc - ap->init_tsc);
		startup_us[ap->index] = us ? us : 1;
		log_debug("smp: CPU %u (APIC id %u) online %llu.%03llu ms after its INIT "
			  "(in the kernel after %llu.%03llu ms)", ap->index, ap->apic_id,
			  (unsigned long long)(us / 1000), (unsigned long long)(us % 1000),
			  (unsigned long long)(cycles_to_us(ap->alive_tsc - ap->init_tsc) / 1000),
			  (unsigned long long)(cycles_to_us(ap->alive_tsc - ap->init_tsc) % 1000));
		break;
	}
	case SMP_AP_NO_ANSWER:
		log_warn("smp: the CPU with APIC id %u did not answer its start-up IPIs within "
			 "%llu ms; skipped", ap->apic_id, (unsigned long long)ap->timeout_ms);
		break;
	case SMP_AP_IPI_ERROR:
		log_warn("smp: the %s IPI to APIC id %u failed (error status 0x%x); skipped",
			 ap->failed_ipi, ap->apic_id, ap->esr);
		break;
	case SMP_AP_REFUSED:
		log_warn("smp: the CPU with APIC id %u started, but %s; stopped", ap->apic_id,
			 ap->why);
		break;
	case SMP_AP_SLOW:
		log_warn("smp: the CPU with APIC id %u started, but did not finish its set-up "
			 "in time; left out", ap->apic_id);
		break;
	case SMP_AP_NOT_TRIED:
		break;
	}
}

/* INIT, SIPI, SIPI to aps[0..n-1] (hal/smp/smp.c); how many came online. */
static unsigned start(struct smp_ap *list, unsigned n, uint64_t timeout_ms)
{
	const struct boot_info *bi = kernel_boot_info();
	struct smp_start s = {
		.trampoline_pa = bi->ap_trampoline,
		.trampoline = mm_phys_to_virt(bi->ap_trampoline),
		.cr3 = mm_kernel_pt()->root,
		.tsc_hz = clock_tsc_hz(),
		.timeout_ms = timeout_ms,
		.main = ap_main,
	};
	unsigned online;

	mm_map_trampoline(bi->ap_trampoline);
	online = smp_start_aps(list, n, &s);
	/* The APs ran through it: the shootdown reaches their TLBs too. */
	mm_unmap_trampoline(bi->ap_trampoline);
	for (unsigned i = 0; i < n; i++)
		list[i].timeout_ms = timeout_ms;
	return online;
}

static void start_aps(void)
{
	uint64_t t0 = hal_cycles(), us;
	unsigned online = start(aps, ap_count, ANSWER_TIMEOUT_MS);

	us = cycles_to_us(hal_cycles() - t0);
	for (unsigned i = 0; i < ap_count; i++)
		report_ap(&aps[i]);
	kprintf("smp: %u CPU%s online; %u of %u started at once in %llu.%03llu ms%s\n",
		online + 1, online ? "s" : "", online, ap_count,
		(unsigned long long)(us / 1000), (unsigned long long)(us % 1000),
		left_off_count ? " (cpus= left the rest off)" : "");
}

/* CPUID.01H:ECX bit 31, which CPUs leave 0 and hypervisors set (Intel SDM
 * vol. 2A, CPUID: "not used"; every hypervisor sets it, QEMU's TCG too). */
static bool under_hypervisor(void)
{
	uint32_t r[4];

	hal_cpuid(1, 0, r);
	return r[2] & (1u << 31);
}

void smp_start(void)
{
	const struct acpi_info *acpi = platform_acpi();
	const struct boot_info *bi = kernel_boot_info();
	const char *why = obstacle(acpi, bi);

	executor_global()->cpu_call = answer_call;
	if (platform_has_lapic()) {
		irq_register_vector(VEC_IPI_WAKE, "wake IPI", wake_ipi, NULL);
		tlb_init();
	}
	if (why) {
		log_warn("smp: %s: running on the boot CPU only", why);
		return;
	}
	if (acpi)
		pick(&acpi->madt);
	if (!ap_count) {
		kprintf("smp: 1 CPU online%s\n", left_off_count ? " (cpus=1)" : "");
		return;
	}
	if (under_hypervisor()) {
		spin_set_test_and_set(true);
		log_info("smp: under a hypervisor: spinlocks are test-and-set, not tickets (a "
			 "waiting CPU the hypervisor does not run would hold up the others)");
	}
	start_aps();
}

bool smp_start_absent_for_test(uint32_t apic_id, uint64_t timeout_ms)
{
	static struct smp_ap ghost;

	if (!kernel_boot_info()->ap_trampoline)
		return false;
	ghost = (struct smp_ap){ .apic_id = apic_id };
	start(&ghost, 1, timeout_ms);
	report_ap(&ghost);
	return ghost.result == SMP_AP_NO_ANSWER;
}

/* ---- reporting ------------------------------------------------------------------- */

uint64_t smp_startup_us(unsigned cpu)
{
	return cpu < HAL_MAX_CPUS ? startup_us[cpu] : 0;
}

static unsigned idle_permille(const struct hal_cpu *c)
{
	uint64_t now = hal_cycles(), up = now - c->online_tsc;
	uint64_t idle = __atomic_load_n(&c->halted_cycles, __ATOMIC_RELAXED);
	uint64_t since = __atomic_load_n(&c->halt_tsc, __ATOMIC_RELAXED);

	if (since && since < now)
		idle += now - since; /* halted right now */
	if (!up)
		return 0;
	return idle >= up ? 1000 : (unsigned)(idle * 1000 / up);
}

static const char *failed_state(enum smp_ap_result r)
{
	switch (r) {
	case SMP_AP_NO_ANSWER: return "no answer";
	case SMP_AP_IPI_ERROR: return "IPI error";
	case SMP_AP_REFUSED: return "refused";
	case SMP_AP_SLOW: return "too slow";
	default: return "not started";
	}
}

unsigned smp_cpu_list(struct smp_cpu_info *out, unsigned max)
{
	unsigned n = hal_cpu_count(), k = 0;

	for (unsigned i = 0; i < n; i++, k++) {
		const struct hal_cpu *c = hal_cpus[i];
		struct sched_stats st = executor_worker_stats(executor_global(), i);
		if (k < max)
			out[k] = (struct smp_cpu_info){
				.cpu = (int)i, .apic_id = c->apic_id,
				.state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) ==
						 HAL_CPU_STOPPED ? "stopped" : "online",
				.polls = st.polls,
				.steals = st.steals,
				.halts = st.idle_waits,
				.idle_permille = idle_permille(c),
			};
	}
	for (unsigned i = 0; i < ap_count; i++) {
		if (aps[i].result == SMP_AP_ONLINE)
			continue;
		if (k < max)
			out[k] = (struct smp_cpu_info){ .cpu = -1, .apic_id = aps[i].apic_id,
							.state = failed_state(aps[i].result) };
		k++;
	}
	for (unsigned i = 0; i < left_off_count; i++, k++)
		if (k < max)
			out[k] = (struct smp_cpu_info){ .cpu = -1, .apic_id = left_off[i],
							.state = left_off_state };
	return k;
}
