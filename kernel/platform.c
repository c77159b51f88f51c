/*
 * platform.c — the boot step that turns firmware tables into working
 * interrupts and time (see platform.h).  Three parts, each falling back
 * with one line when something is missing:
 *
 *   ACPI    RSDP -> XSDT/RSDT -> MADT, FADT, HPET, MCFG   (kernel/acpi/)
 *   irq     IOAPIC + local APIC per the MADT, else the 8259 (hal/irq/)
 *   clock   TSC measured against HPET / PM timer / PIT, local APIC timer
 *           (or the PIT), tickless                          (platform_clock.c)
 */
#include "kernel/platform.h"

#include "hal/hal.h"
#include "hal/irq/irq.h"
#include "hal/irq/lapic.h"
#include "hal/cpu/percpu.h"
#include "kernel/log.h"
#include "kernel/params.h"
#include "mm/mm.h"

#define LAPIC_PAGE 4096
#define IOAPIC_PAGE 4096

void platform_clock_init(const struct acpi_info *acpi, bool lapic); /* platform_clock.c */

static struct acpi_info acpi;
static bool have_acpi;
static bool have_lapic;
static uint32_t boot_cpu;

const struct acpi_info *platform_acpi(void) { return have_acpi ? &acpi : NULL; }
uint32_t platform_boot_cpu(void) { return boot_cpu; }
bool platform_has_lapic(void) { return have_lapic; }

/* ---- ACPI ------------------------------------------------------------------ */

static const void *map_table(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	return mm_map_firmware_table(pa, len);
}

static void acpi_warning(void *ctx, const char *line)
{
	(void)ctx;
	log_warn("%s", line);
}

static void acpi_summary(void)
{
	char sigs[ACPI_MAX_TABLES * 5 + 1];
	size_t n = 0;

	for (uint32_t i = 1; i < acpi.table_count; i++) {
		for (int c = 0; c < 4; c++)
			sigs[n++] = acpi.tables[i].signature[c];
		sigs[n++] = ' ';
	}
	sigs[n ? n - 1 : 0] = '\0';
	log_info("acpi: %s at 0x%llx (OEM %s) lists %s", acpi.xsdt ? "XSDT" : "RSDT",
		 (unsigned long long)acpi.root_address, acpi.oem_id, sigs);
}

/* loglevel=debug: what the MADT says, entry by entry. */
static void madt_details(const struct acpi_madt *m)
{
	for (uint32_t i = 0; i < m->cpu_count; i++)
		log_debug("acpi: CPU uid %u, APIC id %u%s%s", m->cpus[i].uid, m->cpus[i].apic_id,
			  m->cpus[i].enabled ? "" : " (online-capable)",
			  m->cpus[i].x2apic_entry ? " (x2APIC entry)" : "");
	for (uint32_t i = 0; i < m->ioapic_count; i++)
		log_debug("acpi: IOAPIC %u at 0x%llx, GSIs from %u", m->ioapics[i].id,
			  (unsigned long long)m->ioapics[i].address, m->ioapics[i].gsi_base);
	for (uint32_t i = 0; i < m->override_count; i++) {
		struct acpi_isa_route r = acpi_isa_route(m, m->overrides[i].source);
		log_debug("acpi: ISA IRQ %u -> GSI %u, %s, active %s", m->overrides[i].source,
			  r.gsi, r.level ? "level" : "edge", r.active_low ? "low" : "high");
	}
	for (uint32_t i = 0; i < m->lapic_nmi_count; i++)
		log_debug("acpi: NMI on LINT%u of %s", m->lapic_nmis[i].lint,
			  m->lapic_nmis[i].uid == ACPI_UID_ALL ? "every CPU" : "one CPU");
}

static void acpi_init(const struct boot_info *bi)
{
	struct acpi_source src = { .map = map_table, .warn = acpi_warning };

	if (!bi->rsdp) {
		log_warn("acpi: the firmware gave no RSDP: no ACPI tables");
		return;
	}
	have_acpi = acpi_parse(&acpi, &src, bi->rsdp) == 0;
	if (have_acpi)
		acpi_summary();
	if (have_acpi && acpi.has_madt)
		madt_details(&acpi.madt);
}

/* ---- interrupt controllers -------------------------------------------------- */

/* Why APIC mode cannot be had, or NULL if it can. */
static const char *apic_obstacle(bool cpu_apic)
{
	if (!cpu_apic)
		return "the CPU has no local APIC";
	if (!have_acpi || !acpi.has_madt)
		return "no usable MADT";
	if (!acpi.madt.ioapic_count)
		return "the MADT lists no IOAPIC";
	return NULL;
}

static bool lapic_config(struct lapic_setup *s, bool x2apic)
{
	/* The CPU decodes its local APIC where IA32_APIC_BASE says, whatever
	 * the MADT claims. */
	uint64_t pa = lapic_regs_phys_base();
	volatile void *mmio = mm_map_mmio(pa, LAPIC_PAGE);

	if (have_acpi && acpi.has_madt && acpi.madt.lapic_address != pa)
		log_warn("irq: the MADT puts the local APIC at 0x%llx, the CPU at 0x%llx; "
			 "using the CPU's", (unsigned long long)acpi.madt.lapic_address,
			 (unsigned long long)pa);
	*s = (struct lapic_setup){ .mmio = (uintptr_t)mmio, .cpu_has_x2apic = x2apic,
				   .want_x2apic = true };
	return mmio != NULL;
}

static bool apic_mode(const struct lapic_setup *ls, const char **why)
{
	struct irq_apic_config c = { .lapic = *ls };

	for (uint32_t i = 0; i < acpi.madt.ioapic_count && c.ioapic_count < 8; i++) {
		const struct acpi_ioapic *io = &acpi.madt.ioapics[i];
		volatile void *mmio = mm_map_mmio(io->address, IOAPIC_PAGE);
		if (mmio)
			c.ioapics[c.ioapic_count++] = (struct irq_ioapic_desc){
				.id = io->id, .mmio = (uintptr_t)mmio, .gsi_base = io->gsi_base,
			};
	}
	for (unsigned irq = 0; irq < 16; irq++) {
		struct acpi_isa_route r = acpi_isa_route(&acpi.madt, irq);
		c.isa[irq] = (struct irq_isa_route){ .gsi = r.gsi, .active_low = r.active_low,
						     .level = r.level };
	}
	return irq_init_apic(&c, why);
}

unsigned platform_nmi_pins(uint32_t apic_id, struct lapic_nmi_pin *pins)
{
	uint32_t uid = ACPI_UID_ALL;
	unsigned n = 0;

	if (!have_acpi || !acpi.has_madt)
		return 0;
	for (uint32_t i = 0; i < acpi.madt.cpu_count; i++)
		if (acpi.madt.cpus[i].apic_id == apic_id)
			uid = acpi.madt.cpus[i].uid;
	for (uint32_t i = 0; i < acpi.madt.lapic_nmi_count && n < 2; i++) {
		const struct acpi_lapic_nmi *e = &acpi.madt.lapic_nmis[i];
		if (e->uid == ACPI_UID_ALL || e->uid == uid)
			pins[n++] = (struct lapic_nmi_pin){ e->lint,
							    e->polarity == ACPI_POLARITY_LOW };
	}
	return n;
}

/* The NMI pins the MADT gives this CPU (by its processor UID) or all. */
static void nmi_pins(void)
{
	struct lapic_nmi_pin pins[2];

	lapic_set_nmi_pins(pins, platform_nmi_pins(boot_cpu, pins));
}

static void report_irq_mode(const char *forced)
{
	if (irq_mode() == IRQ_MODE_APIC) {
		log_info("irq: IOAPIC (%u, at 0x%llx%s), local APIC %u in %s mode; the 8259 "
			 "is masked", acpi.madt.ioapics[0].id,
			 (unsigned long long)acpi.madt.ioapics[0].address,
			 acpi.madt.ioapic_count > 1 ? " and more" : "", boot_cpu,
			 lapic_regs_mode() == LAPIC_MODE_X2APIC ? "x2APIC" : "xAPIC");
		return;
	}
	if (lapic_regs_mode() != LAPIC_MODE_NONE)
		log_info("irq: 8259 PIC%s, through local APIC %u (%s, virtual wire)", forced,
			 boot_cpu, lapic_regs_mode() == LAPIC_MODE_X2APIC ? "x2APIC" : "xAPIC");
	else
		log_info("irq: 8259 PIC%s, no local APIC", forced);
}

/* Picks PIC or APIC mode (see irq= in params.h) and brings it up. */
static bool irq_setup(void)
{
	bool x2apic, cpu_apic = lapic_hw_cpu_has_apic(&x2apic), pic = irq_pic_present();
	const char *why = apic_obstacle(cpu_apic);
	struct lapic_setup ls;

	if (cpu_apic && !lapic_config(&ls, x2apic))
		cpu_apic = false, why = "its registers could not be mapped";
	if (kparams.irq == IRQ_CHOICE_PIC && !pic) {
		log_warn("irq=pic: no 8259 answers at its ports; using the IOAPIC");
	} else if (kparams.irq == IRQ_CHOICE_PIC) {
		irq_init_pic(cpu_apic ? &ls : NULL);
		return cpu_apic;
	}
	if (!why && apic_mode(&ls, &why))
		return true;
	if (!pic) {
		log_error("irq: %s, and no 8259 answers: no device interrupts (keyboard and "
			  "serial input will not work)", why);
		irq_init_pic(cpu_apic ? &ls : NULL);
		return cpu_apic;
	}
	log_warn("irq: %s: using the 8259 PIC%s", why,
		 kparams.irq == IRQ_CHOICE_APIC ? " despite irq=apic" : "");
	irq_init_pic(cpu_apic ? &ls : NULL);
	return cpu_apic;
}

void platform_init(const struct boot_info *bi)
{
	bool lapic;

	acpi_init(bi);
	lapic = irq_setup();
	have_lapic = lapic;
	if (lapic) {
		boot_cpu = lapic_id();
		percpu_set_apic_id(boot_cpu);
		nmi_pins();
	}
	report_irq_mode(kparams.irq == IRQ_CHOICE_PIC && irq_mode() == IRQ_MODE_PIC
				? " (irq=pic)" : "");
	platform_clock_init(have_acpi ? &acpi : NULL, lapic);
	hal_irq_enable();
}
