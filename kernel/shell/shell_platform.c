/*
 * shell_platform.c — the shell's windows on the platform: `uptime` (the
 * clock and timer in use), `irqs` (one line per interrupt source, like
 * Linux's /proc/interrupts) and `acpi` (the firmware's tables).
 */
#include "hal/hal.h"
#include "hal/irq/irq.h"
#include "hal/time/clock.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/shell/shell.h"

struct future *shell_cmd_uptime(int argc, char **argv);
struct future *shell_cmd_irqs(int argc, char **argv);
struct future *shell_cmd_acpi(int argc, char **argv);

/* "2096.026" (MHz, three decimals) */
#define MHZ(hz) (unsigned long long)((hz) / 1000000), (unsigned long long)((hz) / 1000 % 1000)

struct future *shell_cmd_uptime(int argc, char **argv)
{
	struct clock_status st;
	uint64_t ms = hal_clock_ms();

	if (!shell_no_arguments(argc, argv))
		return NULL;
	clock_get_status(&st);
	kprintf("up %llu.%03llu s\n", (unsigned long long)(ms / 1000),
		(unsigned long long)(ms % 1000));
	kprintf("clock: %s at %llu.%03llu MHz", st.clock, MHZ(st.clock_hz));
	if (st.tsc_failed_ns)
		kprintf(" (the TSC failed its check at %llu.%03llu s; drift %lld ppm)",
			(unsigned long long)(st.tsc_failed_ns / 1000000000),
			(unsigned long long)(st.tsc_failed_ns / 1000000 % 1000),
			(long long)st.last_drift_ppm);
	else
		kprintf(", %s %s%s", st.tsc_measured ? "measured against the" : "from",
			st.tsc_source, st.tsc_invariant ? ", invariant" : "");
	kprintf("\n");
	if (st.watching)
		kprintf("check: the %s at %llu.%03llu MHz; last drift %lld ppm\n", st.ref,
			MHZ(st.ref_hz), (long long)st.last_drift_ppm);
	kprintf("timer: %s at %llu.%03llu MHz, tickless%s: %llu interrupts, %llu of them "
		"early or housekeeping\n", clock_timer_name(st.timer), MHZ(st.timer_hz),
		st.housekeeping ? " (at least 1 per second)" : "",
		(unsigned long long)st.interrupts, (unsigned long long)st.early);
	return NULL;
}

static void print_source(const struct irq_source_info *s, void *arg)
{
	(void)arg;
	kprintf("%4u  %-7s %-26s %-11s %3u %10llu  %s\n", s->vector, s->source, s->route,
		s->controller, s->cpu, (unsigned long long)s->count, s->name);
}

struct future *shell_cmd_irqs(int argc, char **argv)
{
	if (!shell_no_arguments(argc, argv))
		return NULL;
	kprintf("%4s  %-7s %-26s %-11s %3s %10s  %s\n", "VEC", "SOURCE", "ROUTE",
		"CONTROLLER", "CPU", "COUNT", "NAME");
	irq_for_each(print_source, NULL);
	kprintf("spurious: 8259 IRQ 7 %llu, 8259 IRQ 15 %llu, local APIC %llu; "
		"unhandled %llu; APIC errors %llu\n",
		(unsigned long long)irq_spurious_count(IRQ_SPURIOUS_PIC7),
		(unsigned long long)irq_spurious_count(IRQ_SPURIOUS_PIC15),
		(unsigned long long)irq_spurious_count(IRQ_SPURIOUS_LAPIC),
		(unsigned long long)irq_unhandled_count(), (unsigned long long)irq_apic_errors());
	return NULL;
}

static void print_madt(const struct acpi_madt *m)
{
	struct acpi_isa_route r0 = acpi_isa_route(m, 0);

	kprintf("MADT: %u CPU%s", m->cpu_count, m->cpu_count == 1 ? "" : "s");
	if (m->cpus_unusable)
		kprintf(" (+%u disabled)", m->cpus_unusable);
	kprintf(", %u IOAPIC(s), %u overrides (ISA IRQ 0 -> GSI %u), %u local NMIs, "
		"local APIC at 0x%llx%s\n", m->ioapic_count, m->override_count, r0.gsi,
		m->lapic_nmi_count, (unsigned long long)m->lapic_address,
		m->pcat_compat ? ", 8259 present" : "");
}

static void print_fadt(const struct acpi_fadt *f)
{
	kprintf("FADT: revision %u; PM timer ", f->revision);
	if (f->pm_timer_present)
		kprintf("%s 0x%llx, %u-bit", f->pm_timer_space == ACPI_SPACE_IO ? "port" : "at",
			(unsigned long long)f->pm_timer_address, f->pm_timer_bits);
	else
		kprintf("none");
	if (f->boot_flags_valid)
		kprintf("; boot flags 0x%x: 8042 %s, VGA %s", f->boot_flags,
			f->boot_flags & ACPI_BOOT_8042 ? "yes" : "no",
			f->boot_flags & ACPI_BOOT_NO_VGA ? "no" : "yes");
	else
		kprintf("; no boot flags (ACPI 1.0)");
	kprintf("\n");
}

struct future *shell_cmd_acpi(int argc, char **argv)
{
	const struct acpi_info *a = platform_acpi();

	if (!shell_no_arguments(argc, argv))
		return NULL;
	if (!a) {
		kprintf("acpi: no ACPI tables\n");
		return NULL;
	}
	kprintf("%-4s  %-18s %7s %4s  %-6s  %s\n", "SIG", "ADDRESS", "LENGTH", "REV", "OEM",
		"CHECKSUM");
	for (uint32_t i = 0; i < a->table_count; i++) {
		const struct acpi_table_ref *t = &a->tables[i];
		kprintf("%-4s  0x%016llx %7u %4u  %-6s  %s\n", t->signature,
			(unsigned long long)t->address, t->length, t->revision, t->oem_id,
			t->checksum_ok ? "ok" : "BAD");
	}
	if (a->has_madt)
		print_madt(&a->madt);
	if (a->has_fadt)
		print_fadt(&a->fadt);
	if (a->has_hpet)
		kprintf("HPET: at 0x%llx\n", (unsigned long long)a->hpet.address);
	for (uint32_t i = 0; a->has_mcfg && i < a->mcfg.count; i++)
		kprintf("MCFG: segment %u buses %u-%u at 0x%llx\n", a->mcfg.ranges[i].segment,
			a->mcfg.ranges[i].bus_start, a->mcfg.ranges[i].bus_end,
			(unsigned long long)a->mcfg.ranges[i].base);
	return NULL;
}
