/*
 * smp.c — starting and stopping the APs (see smp.h).
 */
#include "hal/smp/smp.h"

#include "hal/cpu.h"
#include "hal/cpu/idt.h"
#include "hal/cpu/mmu.h"
#include "hal/irq/irq.h"
#include "hal/irq/lapic.h"
#include "hal/irq/vectors.h"
#include "hal/time/clock.h"
#include "kernel/lib/string.h"

#define PAGE 4096u
#define MSR_EFER_NXE (1u << 11)
#define CR4_PAE (1u << 5)
#define SECOND_SIPI_US 200	/* MP spec: 200 us between the SIPIs */
#define ONLINE_WAIT_MS 10000	/* an AP that answered, to finish its set-up */

/*
 * Where an AP is (smp_ap.state).  The AP and the boot CPU race for the
 * steps out of STARTING and ALIVE, with a compare-and-swap: if the boot CPU
 * gives up first (ABANDONED), the AP parks itself when it gets there.
 *
 *   STARTING --AP--> ALIVE --AP--> READY --boot CPU--> GO (numbered, counted)
 *      |               |  \--AP--> FAILED
 *      +---boot CPU----+---> ABANDONED
 */
enum { AP_IDLE, AP_STARTING, AP_ALIVE, AP_ABANDONED, AP_READY, AP_FAILED, AP_GO };

extern const char ap_tramp_start[], ap_tramp_end[], ap_entry64[];
extern const char ap_tr_gdtr[], ap_tr_jump32[], ap_tr_jump64[];
extern const char ap_tr_cr3[], ap_tr_cr4[], ap_tr_efer[], ap_tr_entry[];

/* What ap_entry64 searches by APIC id (layout fixed: ap_boot.S). */
struct ap_boot_slot {
	uint32_t apic_id;
	uint32_t pad;
	uint64_t stack_top;
	struct smp_ap *ap;
};
_Static_assert(sizeof(struct ap_boot_slot) == 24, "ap_boot.S steps by 24");
struct ap_boot_slot ap_boot_slots[HAL_MAX_CPUS] __attribute__((visibility("hidden")));
uint32_t ap_boot_count __attribute__((visibility("hidden")));

static struct smp_start params;		/* a copy: late APs read it */
static struct cpu_features bsp_features;
static uint64_t bsp_cr0, bsp_cr4, bsp_efer;
static enum lapic_mode bsp_lapic_mode;
static uint32_t stop_requested;

/* ---- CPU models -------------------------------------------------------------- */

bool smp_init_delay_needed(void)
{
	uint32_t r[4], vendor[3];
	unsigned family;

	hal_cpuid(0, 0, r);
	vendor[0] = r[1], vendor[1] = r[3], vendor[2] = r[2];
	hal_cpuid(1, 0, r);
	family = (r[0] >> 8) & 0xf;
	if (family == 0xf)
		family += (r[0] >> 20) & 0xff;
	/* Intel from the P6 family on, and AMD from K8 (family 0Fh) on,
	 * leave INIT at once; older parts want 10 ms. */
	if (memcmp(vendor, "GenuineIntel", 12) == 0)
		return family < 6;
	if (memcmp(vendor, "AuthenticAMD", 12) == 0 || memcmp(vendor, "HygonGenuine", 12) == 0)
		return family < 0xf;
	return true;
}

const char *smp_check_cr3(uint64_t cr3)
{
	/* The trampoline loads CR3 in 32-bit mode. */
	if (cr3 >> 32)
		return "the kernel's page tables lie above 4 GiB, out of the start-up code's reach";
	return NULL;
}

/* ---- delays, on the TSC ---------------------------------------------------------- */

static uint64_t us_to_cycles(uint64_t us)
{
	return params.tsc_hz / 1000000 * us;
}

static void delay_us(uint64_t us)
{
	uint64_t end = hal_cycles() + us_to_cycles(us);

	while (hal_cycles() < end)
		hal_cpu_relax();
}

/* ---- the trampoline ---------------------------------------------------------------- */

static void patch32(char *page, const char *field, uint32_t v)
{
	memcpy(page + (field - ap_tramp_start), &v, sizeof v);
}

static void install_trampoline(const struct smp_start *s)
{
	char *page = s->trampoline;
	uint32_t pa = (uint32_t)s->trampoline_pa, v;
	uint64_t entry = (uintptr_t)ap_entry64;

	memcpy(page, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
	/* The fields hold offsets into the page: make them addresses. */
	memcpy(&v, ap_tr_gdtr + 2, sizeof v);
	patch32(page, ap_tr_gdtr + 2, v + pa);
	memcpy(&v, ap_tr_jump32, sizeof v);
	patch32(page, ap_tr_jump32, v + pa);
	memcpy(&v, ap_tr_jump64, sizeof v);
	patch32(page, ap_tr_jump64, v + pa);
	patch32(page, ap_tr_cr3, (uint32_t)s->cr3);
	patch32(page, ap_tr_cr4, CR4_PAE | (uint32_t)(bsp_cr4 & CR4_LA57));
	patch32(page, ap_tr_efer, (uint32_t)(0x100 | (bsp_efer & MSR_EFER_NXE)));
	memcpy(page + (ap_tr_entry - ap_tramp_start), &entry, sizeof entry);
}

/* ---- on the AP ------------------------------------------------------------------------ */

static bool claim(struct smp_ap *ap, uint32_t from, uint32_t to)
{
	return __atomic_compare_exchange_n(&ap->state, &from, to, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static void __attribute__((noreturn)) park(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Same protections as the boot CPU, and proof that they are on. */
static const char *mmu_setup(void)
{
	struct cpu_features f;

	cpu_features_read(&f);
	if (f.nx != bsp_features.nx || f.smep != bsp_features.smep ||
	    f.smap != bsp_features.smap || f.pat != bsp_features.pat)
		return "its CPUID features differ from the boot CPU's";
	if (f.pat)
		mmu_setup_pat();
	mmu_enable_protections(&f);
	if ((hal_read_cr0() & CR0_WP) != (bsp_cr0 & CR0_WP) ||
	    (hal_read_cr4() & (CR4_SMEP | CR4_SMAP | CR4_PGE)) !=
		    (bsp_cr4 & (CR4_SMEP | CR4_SMAP | CR4_PGE)) ||
	    (rdmsr(MSR_EFER) & EFER_NXE) != (bsp_efer & EFER_NXE))
		return "NX, WP, SMEP or SMAP did not stay on";
	return NULL;
}

static const char *lapic_setup(struct smp_ap *ap)
{
	if (lapic_setup_ap() != bsp_lapic_mode)
		return "its local APIC cannot run in the boot CPU's mode";
	if (lapic_id() != ap->apic_id)
		return "its local APIC id is not the one the MADT gave";
	lapic_set_nmi_pins(ap->nmi_pins, ap->nmi_pin_count);
	return NULL;
}

void ap_start(struct smp_ap *ap) __attribute__((noreturn, used));
void ap_start(struct smp_ap *ap)
{
	const char *why;

	percpu_load(ap->cpu);
	/* Late (the boot CPU gave up on us and parks us with INIT)? */
	if (!claim(ap, AP_STARTING, AP_ALIVE))
		park();
	ap->alive_tsc = hal_cycles();
	gdt_init(ap->ist_tops);
	idt_load();
	why = mmu_setup();
	if (!why)
		why = lapic_setup(ap);
	if (!why && !clock_cpu_init())
		why = "its local APIC timer could not be set up";
	if (why) {
		ap->why = why;
		__atomic_store_n(&ap->state, AP_FAILED, __ATOMIC_RELEASE);
		park();
	}
	params.main(ap);
	park();
}

unsigned smp_ap_online(struct smp_ap *ap)
{
	if (!claim(ap, AP_ALIVE, AP_READY))
		park(); /* too late: the boot CPU went on without us */
	ap->online_tsc = hal_cycles();
	/* The boot CPU numbers the CPUs in the MADT's order once all have
	 * answered, and counts them all at once; until then we wait. */
	while (__atomic_load_n(&ap->state, __ATOMIC_ACQUIRE) != AP_GO)
		hal_cpu_relax();
	hal_this_cpu.online_tsc = ap->online_tsc;
	return hal_this_cpu.index;
}

/* ---- on the boot CPU ---------------------------------------------------------------- */

static uint32_t send(uint32_t apic_id, enum lapic_ipi kind, uint8_t vector)
{
	/* The ICR is one register (pair) per CPU: an interrupt handler that
	 * sent an IPI between our writes would change our destination. */
	uint64_t f = hal_irq_save();
	uint32_t esr = lapic_send_ipi(apic_id, kind, vector);

	hal_irq_restore(f);
	return esr;
}

/* Gives up on an AP that has not reached the kernel yet: INIT puts it back
 * in wait-for-SIPI, wherever it was in the trampoline.  False if it made
 * it into the kernel after all. */
static bool abandon(struct smp_ap *ap)
{
	if (!claim(ap, AP_STARTING, AP_ABANDONED))
		return false;
	(void)send(ap->apic_id, LAPIC_IPI_INIT, 0);
	return true;
}

/* One IPI to an AP, with its error status checked. */
static bool ipi(struct smp_ap *ap, enum lapic_ipi kind, uint8_t vector, const char *name)
{
	uint32_t esr = send(ap->apic_id, kind, vector);

	if (!esr)
		return true;
	if (abandon(ap)) {
		ap->result = SMP_AP_IPI_ERROR;
		ap->failed_ipi = name;
		ap->esr = esr;
	}
	return false;
}

static bool still_starting(const struct smp_ap *ap)
{
	return __atomic_load_n(&ap->state, __ATOMIC_ACQUIRE) == AP_STARTING;
}

static void send_inits(struct smp_ap *aps, unsigned n)
{
	bool deassert = (lapic_read(LAPIC_VERSION) & 0xff) < 0x10; /* the 82489DX */

	for (unsigned i = 0; i < n; i++) {
		aps[i].init_tsc = hal_cycles();
		if (still_starting(&aps[i]) && ipi(&aps[i], LAPIC_IPI_INIT, 0, "INIT") && deassert)
			ipi(&aps[i], LAPIC_IPI_INIT_DEASSERT, 0, "INIT de-assert");
	}
}

static void send_sipis(struct smp_ap *aps, unsigned n, uint8_t page)
{
	for (unsigned i = 0; i < n; i++)
		if (still_starting(&aps[i]))
			ipi(&aps[i], LAPIC_IPI_STARTUP, page, "SIPI");
}

/* Waits until no AP is STARTING, or the timeout; then parks the rest. */
static void wait_alive(struct smp_ap *aps, unsigned n, uint64_t timeout_ms)
{
	uint64_t end = hal_cycles() + us_to_cycles(timeout_ms * 1000);
	bool waiting = true;

	while (waiting && hal_cycles() < end) {
		waiting = false;
		for (unsigned i = 0; i < n; i++)
			waiting |= still_starting(&aps[i]);
		hal_cpu_relax();
	}
	for (unsigned i = 0; i < n; i++)
		if (abandon(&aps[i]))
			aps[i].result = SMP_AP_NO_ANSWER;
}

/* The APs that answered finish their set-up (bounded: a vCPU on a busy
 * host can stall); one that does not is left out, and parks itself if it
 * ever gets there. */
static void wait_ready(struct smp_ap *aps, unsigned n)
{
	uint64_t end = hal_cycles() + us_to_cycles(ONLINE_WAIT_MS * 1000ull);

	for (unsigned i = 0; i < n; i++) {
		while (__atomic_load_n(&aps[i].state, __ATOMIC_ACQUIRE) == AP_ALIVE &&
		       hal_cycles() < end)
			hal_cpu_relax();
		if (claim(&aps[i], AP_ALIVE, AP_ABANDONED))
			aps[i].result = SMP_AP_SLOW;
		else if (__atomic_load_n(&aps[i].state, __ATOMIC_ACQUIRE) == AP_FAILED)
			aps[i].result = SMP_AP_REFUSED;
	}
}

/* Numbers the ready APs on from the CPUs running now (1, 2, ... at boot)
 * in their order in aps[] (the MADT's), counts them in one step, then lets
 * them go. */
static unsigned number_and_count(struct smp_ap *aps, unsigned n)
{
	unsigned first = hal_cpu_count(), next = first;

	for (unsigned i = 0; i < n; i++) {
		if (__atomic_load_n(&aps[i].state, __ATOMIC_ACQUIRE) != AP_READY)
			continue;
		aps[i].index = next;
		aps[i].cpu->index = next;
		__atomic_store_n(&aps[i].cpu->state, HAL_CPU_ONLINE, __ATOMIC_RELAXED);
		hal_cpus[next++] = aps[i].cpu;
		aps[i].result = SMP_AP_ONLINE;
	}
	/* Release: whoever sees the count sees every block it covers. */
	__atomic_store_n(&hal_cpus_online, next, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++)
		if (aps[i].result == SMP_AP_ONLINE)
			__atomic_store_n(&aps[i].state, AP_GO, __ATOMIC_RELEASE);
	return next - first;
}

static void remember_boot_cpu(void)
{
	cpu_features_read(&bsp_features);
	bsp_cr0 = hal_read_cr0();
	bsp_cr4 = hal_read_cr4();
	bsp_efer = rdmsr(MSR_EFER);
	bsp_lapic_mode = lapic_regs_mode();
}

unsigned smp_start_aps(struct smp_ap *aps, unsigned n, const struct smp_start *s)
{
	uint8_t page = (uint8_t)(s->trampoline_pa >> 12);
	unsigned started;

	if (n > HAL_MAX_CPUS - 1)
		n = HAL_MAX_CPUS - 1;
	params = *s;
	remember_boot_cpu();
	install_trampoline(s);
	for (unsigned i = 0; i < n; i++) {
		aps[i].result = SMP_AP_NOT_TRIED;
		ap_boot_slots[i] = (struct ap_boot_slot){ .apic_id = aps[i].apic_id,
							  .stack_top = aps[i].stack_top,
							  .ap = &aps[i] };
		__atomic_store_n(&aps[i].state, AP_STARTING, __ATOMIC_RELEASE);
	}
	/* Release: the slots and the trampoline are written before any AP
	 * can look (the IPIs below come after this in program order, and
	 * the x2APIC ICR write is fenced: lapic_regs.c). */
	__atomic_store_n(&ap_boot_count, n, __ATOMIC_RELEASE);
	send_inits(aps, n);
	if (smp_init_delay_needed())
		delay_us(10000);
	send_sipis(aps, n, page);
	delay_us(SECOND_SIPI_US);
	send_sipis(aps, n, page);
	wait_alive(aps, n, s->timeout_ms);
	wait_ready(aps, n);
	started = number_and_count(aps, n);
	return started;
}

/* ---- IPIs to CPUs by number --------------------------------------------------------- */

uint32_t smp_send_ipi(unsigned cpu, uint8_t vector)
{
	return send(hal_cpus[cpu]->apic_id, LAPIC_IPI_FIXED, vector);
}

void hal_cpu_wake(unsigned cpu)
{
	if (cpu != hal_cpu_id())
		(void)smp_send_ipi(cpu, VEC_IPI_WAKE);
}

/* ---- stopping -------------------------------------------------------------------------- */

bool smp_stop_requested(void)
{
	return __atomic_load_n(&stop_requested, __ATOMIC_ACQUIRE);
}

void smp_stop_self(void)
{
	__atomic_store_n(&hal_this_cpu.self->state, HAL_CPU_STOPPED, __ATOMIC_RELEASE);
	park();
}

unsigned smp_stop_others(uint64_t timeout_cycles)
{
	unsigned n = hal_cpu_count(), me = hal_cpu_id(), running;
	uint64_t end;

	__atomic_store_n(&stop_requested, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++)
		if (i != me)
			(void)lapic_send_ipi(hal_cpus[i]->apic_id, LAPIC_IPI_NMI, 0);
	end = hal_cycles() + timeout_cycles;
	do {
		running = 0;
		for (unsigned i = 0; i < n; i++)
			if (i != me && __atomic_load_n(&hal_cpus[i]->state, __ATOMIC_ACQUIRE) !=
					       HAL_CPU_STOPPED)
				running++;
	} while (running && hal_cycles() < end);
	return running;
}
