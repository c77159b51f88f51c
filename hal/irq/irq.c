/*
 * irq.c — the interrupt controllers as one system: set-up in PIC or APIC
 * mode, routing of ISA lines, dispatch by vector, end of interrupt, and the
 * counts the `irqs` command shows (see irq.h).
 */
#include "hal/irq/irq.h"

#include "hal/hal.h"
#include "hal/irq/ioapic.h"
#include "hal/irq/lapic.h"
#include "hal/irq/pic.h"
#include "hal/irq/vectors.h"
#include "kernel/lib/fmt.h"

#define LVT_EXTINT (7u << 8)

enum controller { CTRL_NONE, CTRL_PIC, CTRL_IOAPIC, CTRL_LAPIC, CTRL_MSI };

struct vector_slot {
	irq_handler_fn fn;
	void *ctx;
	const char *name;
	uint64_t count;
	enum controller ctrl;
	int isa;		/* the ISA line, or -1 */
};

static struct vector_slot slots[256];
static enum irq_mode mode;
static bool lapic_up;
static uint32_t bsp_apic_id;
static struct irq_isa_route isa_routes[ISA_IRQ_COUNT];
static uint64_t spurious[3], unhandled, apic_errors;
volatile uint64_t irq_entry_cycles[256];

/* Names for the ISA lines, as the PC/AT assigned them. */
static const char *const isa_names[ISA_IRQ_COUNT] = {
	"PIT", "keyboard", "cascade", "COM2", "COM1", "LPT2", "floppy", "LPT1",
	"RTC", "ACPI SCI", "ISA 10", "ISA 11", "PS/2 mouse", "FPU", "ATA 1", "ATA 2",
};

/* ---- the local APIC's own vectors ------------------------------------------ */

static void on_apic_error(void *ctx)
{
	(void)ctx;
	(void)lapic_esr_read();
	apic_errors++;
}

static void set_slot(unsigned v, const char *name, irq_handler_fn fn, void *ctx,
		     enum controller ctrl, int isa)
{
	hal_irqflags_t f = hal_irq_save();
	slots[v] = (struct vector_slot){ .fn = fn, .ctx = ctx, .name = name, .ctrl = ctrl,
					 .isa = isa, .count = slots[v].count };
	hal_irq_restore(f);
}

static void lapic_bring_up(const struct lapic_setup *s)
{
	lapic_setup_cpu(s);
	lapic_up = true;
	bsp_apic_id = lapic_id();
	set_slot(VEC_LAPIC_ERROR, "APIC error", on_apic_error, NULL, CTRL_LAPIC, -1);
}

/* ---- modes -------------------------------------------------------------------- */

void irq_init_pic(const struct lapic_setup *lapic)
{
	pic_init();
	if (lapic) {
		lapic_bring_up(lapic);
		/* Virtual-wire mode: the 8259's INTR reaches the CPU through
		 * LINT0, as an external interrupt that the 8259 itself vectors
		 * and acknowledges (no local APIC EOI). */
		lapic_write(LAPIC_LVT_LINT0, LVT_EXTINT);
	}
	mode = IRQ_MODE_PIC;
}

bool irq_init_apic(const struct irq_apic_config *c, const char **why)
{
	for (unsigned i = 0; i < c->ioapic_count; i++)
		ioapic_add(c->ioapics[i].id, c->ioapics[i].mmio, c->ioapics[i].gsi_base);
	if (!ioapic_count()) {
		*why = c->ioapic_count ? "no IOAPIC answers at the MADT's addresses"
				       : "the MADT lists no IOAPIC";
		return false;
	}
	/* Remapped, so that its spurious IRQs land on 39 and 47, and masked,
	 * cascade and all. */
	pic_init();
	pic_mask_all();
	lapic_bring_up(&c->lapic);
	for (unsigned i = 0; i < ISA_IRQ_COUNT; i++)
		isa_routes[i] = c->isa[i];
	mode = IRQ_MODE_APIC;
	return true;
}

enum irq_mode irq_mode(void) { return mode; }
bool irq_pic_present(void) { return pic_present(); }

/* ---- registration -------------------------------------------------------------- */

unsigned irq_isa_vector(unsigned irq)
{
	return (mode == IRQ_MODE_APIC ? VEC_ISA_BASE : VEC_PIC_BASE) + irq;
}

void irq_register(unsigned irq, irq_handler_fn fn, void *ctx)
{
	unsigned v = irq_isa_vector(irq);

	if (irq >= ISA_IRQ_COUNT)
		return;
	if (mode == IRQ_MODE_APIC) {
		const struct irq_isa_route *r = &isa_routes[irq];
		bool routed = ioapic_route(r->gsi, (uint8_t)v, bsp_apic_id, r->active_low, r->level);
		set_slot(v, isa_names[irq], fn, ctx, routed ? CTRL_IOAPIC : CTRL_NONE, (int)irq);
	} else {
		set_slot(v, isa_names[irq], fn, ctx, CTRL_PIC, (int)irq);
		pic_unmask(irq);
	}
}

void irq_register_vector(unsigned vector, const char *name, irq_handler_fn fn, void *ctx)
{
	set_slot(vector & 0xff, name, fn, ctx, CTRL_LAPIC, -1);
}

unsigned irq_register_msi(const char *name, irq_handler_fn fn, void *ctx, uint32_t *apic_id)
{
	if (!lapic_up)
		return 0;
	for (unsigned v = VEC_DYNAMIC_FIRST; v <= VEC_DYNAMIC_LAST; v++) {
		hal_irqflags_t f = hal_irq_save();
		bool free = !slots[v].fn;
		if (free)
			slots[v] = (struct vector_slot){ .fn = fn, .ctx = ctx, .name = name,
							 .ctrl = CTRL_MSI, .isa = -1 };
		hal_irq_restore(f);
		if (free) {
			*apic_id = bsp_apic_id;
			return v;
		}
	}
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------ */

/* Vectors 32-47: the 8259.  Its spurious IRQ 7/15 get no EOI of their own. */
static void dispatch_pic(unsigned v)
{
	unsigned line = v - VEC_PIC_BASE;
	struct vector_slot *s = &slots[v];

	if (pic_handle_spurious(line)) {
		spurious[line == 7 ? IRQ_SPURIOUS_PIC7 : IRQ_SPURIOUS_PIC15]++;
		return;
	}
	s->count++;
	if (mode != IRQ_MODE_PIC || !s->fn) {
		unhandled++; /* masked in APIC mode: only an `int n` gets here */
		return;
	}
	s->fn(s->ctx);
	pic_eoi(line);
}

void irq_dispatch(unsigned v)
{
	struct vector_slot *s = &slots[v & 0xff];

	irq_entry_cycles[v & 0xff] = hal_cycles();
	if (v >= VEC_PIC_BASE && v < VEC_PIC_BASE + ISA_IRQ_COUNT) {
		dispatch_pic(v);
		return;
	}
	if (v == VEC_LAPIC_SPURIOUS) {
		spurious[IRQ_SPURIOUS_LAPIC]++; /* never acknowledged (SDM 11.9) */
		return;
	}
	s->count++;
	if (s->fn)
		s->fn(s->ctx);
	else
		unhandled++;
	/* Everything from 48 up came through the local APIC (IOAPIC lines,
	 * its timer, IPIs); EOI with nothing in service is ignored, so a
	 * stray `int n` does no harm. */
	if (lapic_up)
		lapic_eoi();
}

void irq_raise_for_test(unsigned vector)
{
	switch (vector) {
	case VEC_PIC_BASE + 7: __asm__ volatile("int %0" ::"i"(VEC_PIC_BASE + 7)); break;
	case VEC_PIC_BASE + 15: __asm__ volatile("int %0" ::"i"(VEC_PIC_BASE + 15)); break;
	case VEC_LAPIC_SPURIOUS: __asm__ volatile("int %0" ::"i"(VEC_LAPIC_SPURIOUS)); break;
	case VEC_TEST: __asm__ volatile("int %0" ::"i"(VEC_TEST)); break;
	default: break;
	}
}

/* ---- statistics ----------------------------------------------------------------- */

uint64_t irq_vector_count(unsigned vector) { return slots[vector & 0xff].count; }
uint64_t irq_isa_count(unsigned irq) { return slots[irq_isa_vector(irq) & 0xff].count; }
uint64_t irq_spurious_count(enum irq_spurious_source s) { return spurious[s]; }
uint64_t irq_unhandled_count(void) { return unhandled; }
uint64_t irq_apic_errors(void) { return apic_errors; }

static void describe(unsigned v, const struct vector_slot *s, struct irq_source_info *out)
{
	*out = (struct irq_source_info){ .vector = v, .name = s->name, .count = s->count,
					 .cpu = bsp_apic_id, .controller = "none" };
	if (s->isa >= 0)
		fmt_snprintf(out->source, sizeof out->source, "ISA %d", s->isa);
	else
		fmt_snprintf(out->source, sizeof out->source, "%s",
			     v >= VEC_IPI_FIRST && v <= VEC_IPI_LAST ? "IPI" : "local");
	switch (s->ctrl) {
	case CTRL_PIC:
		out->controller = "8259";
		fmt_snprintf(out->route, sizeof out->route, "line %d", s->isa);
		break;
	case CTRL_IOAPIC: {
		const struct irq_isa_route *r = &isa_routes[s->isa];
		const struct ioapic *io = ioapic_for_gsi(r->gsi);
		out->controller = "IOAPIC";
		fmt_snprintf(out->route, sizeof out->route, "IOAPIC %u GSI %u %s %s",
			     io ? io->madt_id : 0, r->gsi, r->level ? "level" : "edge",
			     r->active_low ? "low" : "high");
		break;
	}
	case CTRL_LAPIC:
		out->controller = "local APIC";
		fmt_snprintf(out->route, sizeof out->route, "-");
		break;
	case CTRL_MSI:
		out->controller = "local APIC";
		fmt_snprintf(out->source, sizeof out->source, "MSI");
		fmt_snprintf(out->route, sizeof out->route, "message");
		break;
	case CTRL_NONE:
		fmt_snprintf(out->route, sizeof out->route, "not routed");
		break;
	}
}

void irq_for_each(void (*cb)(const struct irq_source_info *s, void *arg), void *arg)
{
	for (unsigned v = VEC_PIC_BASE; v < 256; v++) {
		struct irq_source_info info;
		hal_irqflags_t f = hal_irq_save();
		bool used = slots[v].fn != NULL;
		if (used)
			describe(v, &slots[v], &info);
		hal_irq_restore(f);
		if (used)
			cb(&info, arg);
	}
}
