/*
 * start.c — bringing an xHCI controller up, and the task that then
 * serves its event ring.  One task per controller, so a slow or broken
 * controller delays nothing else: the shell is up while it starts.
 *
 *   1. PCI: memory decoding and bus mastering on; BAR 0 sized and mapped
 *      uncached.
 *   2. Take it from the firmware (4.22.1): set the OS-owned semaphore, give
 *      the BIOS a second to let go (as Linux's quirk_usb_handoff_xhci does),
 *      take it anyway if it does not (one warning), disable its SMIs.
 *   3. Wait for Controller Not Ready to clear, halt, reset (4.2).
 *   4. Device context array, scratchpads, command ring, event ring; run.
 *   5. Interrupts: an MSI (or MSI-X) to the local APIC, whose handler only
 *      wakes the event task.  Without one (no local APIC, the firmware says
 *      MSI does not work, or usb=poll) the event ring is polled: every tick
 *      while commands or control transfers are in flight, every
 *      XHCI_IDLE_POLL_MS otherwise (the keyboards' own polling interval is
 *      8-10 ms, so this adds no more than that).
 *   6. Power the ports and start the USB bus (hub.c).
 *
 * Every wait sleeps on the executor's clock with a bound; a controller that
 * fails a step gets one warning and is left halted, and the boot goes on.
 */
#include "hal/dev/pci.h"
#include "hal/hal.h"
#include "hal/irq/irq.h"
#include "hal/irq/msi.h"
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/usb/hub.h"
#include "kernel/usb/xhci/hcd.h"
#include "mm/heap.h"
#include "mm/mm.h"
#include "sched/async.h"
#include "sched/executor.h"

#define HANDOFF_TIMEOUT_MS 1000
#define READY_TIMEOUT_MS 1000
#define HALT_TIMEOUT_MS 100	/* the spec allows 16 ms */
#define RESET_TIMEOUT_MS 1000
#define STEP_POLL_MS 2
#define PORT_POWER_MS 20
#define XHCI_IDLE_POLL_MS 8
#define MAX_SCRATCHPADS 512	/* one frame of pointers */
/* With interrupts, the event ring is still looked at every this often, on
 * whole multiples of it, in case an interrupt is ever lost: at the same
 * moments as the status line's once-a-second redraw, so an idle machine
 * takes no timer interrupt for it. */
#define XHCI_SAFETY_POLL_MS 2000

/*
 * The event task's wait with interrupts: READY when the handler has run
 * since the last look, or when the safety look is due.  The safety sleep
 * stays queued across interrupts (an interrupt does not cost a timer
 * removal and insertion); it is re-armed only after it fired.
 */
struct events_wait {
	struct future base;
	struct xhci_hc *hc;
	struct sleep_future *nap;
	bool *nap_armed;
};

struct xhci_task {
	ASYNC_STATE;
	struct xhci_hc *hc;
	const char *mode;	/* usb=: "poll", or fail-handoff / fail-reset (tests) */
	struct sleep_future nap;
	bool nap_armed;			/* the safety sleep is queued */
	bool by_irq;			/* the last wait ended by an interrupt */
	struct events_wait wait;
	struct future *waiting;		/* &nap or &wait */
	unsigned waited;
	char error[80];
};

static volatile uint64_t events_cycles;

uint64_t xhci_events_cycles(void)
{
	return events_cycles;
}

static bool fault(const struct xhci_task *t, const char *what)
{
	return t->mode && !strcmp(t->mode, what);
}

static bool bios_holds(const struct xhci_task *t)
{
	return xhci_bios_owned(&t->hc->x) || fault(t, "fail-handoff");
}

static bool still_resetting(const struct xhci_task *t)
{
	return xhci_resetting(&t->hc->x) || fault(t, "fail-reset");
}

/* ---- memory ------------------------------------------------------------------------ */

static bool alloc_scratchpads(struct xhci_hc *hc)
{
	uint64_t *array;

	hc->n_scratch = hc->x.scratchpads;
	if (!hc->n_scratch)
		return true;
	if (hc->n_scratch > MAX_SCRATCHPADS || !xhci_dma_alloc(hc, &hc->scratch_array) ||
	    !(hc->scratch = kcalloc(hc->n_scratch, sizeof *hc->scratch)))
		return false;
	array = hc->scratch_array.virt;
	for (unsigned i = 0; i < hc->n_scratch; i++) {
		if (!xhci_dma_alloc(hc, &hc->scratch[i]))
			return false;
		array[i] = hc->scratch[i].phys;
	}
	((uint64_t *)hc->dcbaa.virt)[0] = hc->scratch_array.phys;	/* entry 0 (6.1) */
	return true;
}

static void free_memory(struct xhci_hc *hc)
{
	for (unsigned i = 0; hc->scratch && i < hc->n_scratch; i++)
		xhci_dma_free(&hc->scratch[i]);
	kfree(hc->scratch);
	hc->scratch = NULL;
	xhci_dma_free(&hc->scratch_array);
	xhci_dma_free(&hc->dcbaa);
	xhci_dma_free(&hc->cmd_frame);
	xhci_dma_free(&hc->event_frame);
	xhci_dma_free(&hc->erst_frame);
}

static bool set_up_rings(struct xhci_hc *hc)
{
	if (!xhci_dma_alloc(hc, &hc->dcbaa) || !xhci_dma_alloc(hc, &hc->cmd_frame) ||
	    !xhci_dma_alloc(hc, &hc->event_frame) || !xhci_dma_alloc(hc, &hc->erst_frame) ||
	    !alloc_scratchpads(hc))
		return false;
	xhci_ring_init(&hc->cmds_ring, hc->cmd_frame.virt, hc->cmd_frame.phys, XHCI_RING_TRBS);
	xhci_setup(&hc->x, hc->dcbaa.phys, &hc->cmds_ring, hc->event_frame.virt,
		   hc->event_frame.phys, XHCI_EVENT_TRBS, hc->erst_frame.virt, hc->erst_frame.phys);
	return true;
}

/* Ports without power (only where the controller switches it, HCCPARAMS1
 * PPC) are switched on; false if there were any. */
static bool power_ports(struct xhci_hc *hc)
{
	bool any = false;

	for (unsigned p = 1; hc->x.port_power_control && p <= hc->x.max_ports; p++)
		if (!(xhci_portsc(&hc->x, p) & PORTSC_PP)) {
			xhci_port_set(&hc->x, p, PORTSC_PP);
			any = true;
		}
	return any;
}

static bool start_bus(struct xhci_hc *hc)
{
	hc->running = true;
	hc->bus.name = hc->name;
	hc->bus.executor = executor_global();
	hc->bus.hc = &xhci_hc_ops;
	hc->bus.root_ports = hc->x.max_ports;
	if (!usb_bus_start(&hc->bus))
		return false;
	if (hc->vector)
		log_info("usb: %s: xHCI %x.%02x, %u ports, %u slots, events by %s on vector %u",
			 hc->name, hc->x.version >> 8, hc->x.version & 0xff, hc->x.max_ports,
			 hc->x.max_slots, hc->irq_kind, hc->vector);
	else
		log_info("usb: %s: xHCI %x.%02x, %u ports, %u slots, events polled every %u ms",
			 hc->name, hc->x.version >> 8, hc->x.version & 0xff, hc->x.max_ports,
			 hc->x.max_slots, XHCI_IDLE_POLL_MS);
	return true;
}

static void give_up(struct xhci_task *t)
{
	struct xhci_hc *hc = t->hc;

	log_warn("usb: %s: %s; controller not used", hc->name, t->error);
	if (hc->x.op) {
		xhci_stop(&hc->x);
		if (!hc->running)
			free_memory(hc);
	}
	pci_write16(&hc->pci, PCI_COMMAND,
		    pci_read16(&hc->pci, PCI_COMMAND) & (uint16_t)~PCI_CMD_BUS_MASTER);
}

/*
 * Intel chipsets of 2012-2014 (7 and 8 series) have an EHCI beside the xHCI,
 * and each USB 2.0 port goes to the EHCI until the OS moves it: until then a
 * keyboard there is invisible to the xHCI.  The xHCI's PCI configuration
 * space says which ports may move (USB2PRM, USB3PRM) and moves them
 * (XUSB2PR, USB3_PSSEN); what Linux's usb_enable_intel_xhci_ports does,
 * once the firmware has let go of the controller.
 */
#define INTEL_XUSB2PR 0xd0
#define INTEL_USB2PRM 0xd4
#define INTEL_USB3_PSSEN 0xd8
#define INTEL_USB3PRM 0xdc

static bool shares_ports_with_ehci(const struct pci_func *xhci, const struct pci_func *funcs,
				   unsigned n)
{
	for (unsigned i = 0; xhci->vendor == 0x8086 && i < n; i++)
		if (funcs[i].vendor == 0x8086 && funcs[i].class_code == 0x0c &&
		    funcs[i].subclass == 0x03 && funcs[i].prog_if == 0x20)
			return true;
	return false;
}

static void route_shared_ports(struct xhci_hc *hc)
{
	uint32_t usb3 = pci_read32(&hc->pci, INTEL_USB3PRM);
	uint32_t usb2;

	pci_write32(&hc->pci, INTEL_USB3_PSSEN, usb3);
	usb2 = pci_read32(&hc->pci, INTEL_USB2PRM);
	pci_write32(&hc->pci, INTEL_XUSB2PR, usb2);
	log_info("usb: %s: ports shared with the EHCI moved here (USB 2.0 0x%x, USB 3.0 0x%x)",
		 hc->name, usb2, usb3);
}

/* ---- interrupts ------------------------------------------------------------------- */

static const char *events_mode = "poll";

const char *xhci_events_mode(void)
{
	return events_mode;
}

/* IRQ context: note it and wake the event task; the task does the rest. */
static void on_irq(void *ctx)
{
	struct xhci_hc *hc = ctx;

	hc->irq_cycles = hal_cycles();
	atomic_store_explicit(&hc->irq_seen, true, memory_order_release);
	atomic_waker_wake(&hc->irq_waker);
}

static bool take_irq(struct xhci_hc *hc)
{
	return atomic_exchange_explicit(&hc->irq_seen, false, memory_order_acq_rel);
}

static enum poll events_wait_poll(struct future *f, struct context *cx)
{
	struct events_wait *w = (struct events_wait *)f;
	struct xhci_task *t = container_of(w, struct xhci_task, wait);

	t->by_irq = true;
	if (take_irq(w->hc))
		return POLL_READY;
	atomic_waker_register(&w->hc->irq_waker, cx->waker);
	if (take_irq(w->hc))	/* came between the look and the registration */
		return POLL_READY;
	t->by_irq = false;
	if (future_poll(&w->nap->base, cx) == POLL_PENDING)
		return POLL_PENDING;
	*w->nap_armed = false;
	return POLL_READY;
}

/* Undoes the wait's registrations: the waker slot, and the safety sleep
 * if it is still queued (it outlives a wait that an interrupt ended). */
static void events_wait_drop(struct future *f)
{
	struct events_wait *w = (struct events_wait *)f;

	atomic_waker_destroy(&w->hc->irq_waker);
	if (*w->nap_armed)
		future_drop(&w->nap->base);
	*w->nap_armed = false;
}

static const struct future_ops events_wait_ops = {
	.name = "xhci_events", .poll = events_wait_poll, .drop = events_wait_drop,
};

/* Why there will be no interrupts, or NULL if MSI may be tried. */
static const char *no_msi_reason(const struct xhci_task *t)
{
	const struct acpi_info *acpi = platform_acpi();

	if (fault(t, "poll"))
		return "usb=poll";
	if (acpi && acpi->has_fadt && acpi->fadt.boot_flags_valid &&
	    (acpi->fadt.boot_flags & ACPI_BOOT_NO_MSI))
		return "the firmware says MSI does not work here";
	return NULL;
}

/* MSI-X: the table lives in a BAR, usually the registers' own. */
static bool enable_msix(struct xhci_hc *hc, const struct msi_message *m)
{
	unsigned bar, entries;
	uint32_t offset;
	struct pci_bar b;
	volatile void *table;

	if (!pci_msix_table(&hc->pci, &bar, &offset, &entries) || !pci_bar(&hc->pci, bar, &b) ||
	    b.io || offset + 16ull * entries > b.size)
		return false;
	table = bar == 0 ? (volatile uint8_t *)hc->x.cap + offset
			 : mm_map_mmio(b.base + offset, 16ull * entries);
	if (!table)
		return false;
	pci_msix_enable(&hc->pci, table, m->address, m->data);
	return true;
}

/* Claims a vector and points the controller's MSI (or MSI-X) at it. */
static void set_up_interrupts(struct xhci_task *t)
{
	struct xhci_hc *hc = t->hc;
	struct msi_message m;
	uint32_t apic;
	const char *why = no_msi_reason(t);

	atomic_waker_init(&hc->irq_waker);
	if (!why && !(hc->vector = irq_register_msi(hc->name, on_irq, hc, &apic)))
		why = "no local APIC vector for it";
	if (!why && !msi_compose(apic, (uint8_t)hc->vector, false, &m))
		why = "its APIC id cannot be named in an MSI";
	if (!why) {
		if (pci_msi_enable(&hc->pci, m.address, m.data))
			hc->irq_kind = "MSI";
		else if (enable_msix(hc, &m))
			hc->irq_kind = "MSI-X";
		else
			why = "the controller has neither MSI nor MSI-X";
	}
	if (why) {
		hc->vector = 0;	/* the claimed vector, if any, just stays unused */
		log_info("usb: %s: no interrupts (%s); polling the event ring", hc->name, why);
	}
	if (hc->irq_kind)
		events_mode = hc->irq_kind;
}

/* Arms the event task's next wait: with interrupts, the interrupt or the
 * safety look on a whole multiple of XHCI_SAFETY_POLL_MS; without, the
 * poll interval (every tick while something is in flight). */
static struct future *start_wait(struct xhci_task *t, struct context *cx)
{
	uint64_t now = timerq_now(executor_timers(cx->executor));

	if (!t->hc->vector) {
		sleep_ms_init(&t->nap, xhci_hcd_busy(t->hc) ? 1 : XHCI_IDLE_POLL_MS);
		return &t->nap.base;
	}
	if (!t->nap_armed) {
		sleep_until_init(&t->nap, (now / XHCI_SAFETY_POLL_MS + 1) * XHCI_SAFETY_POLL_MS);
		t->nap_armed = true;
	}
	t->wait = (struct events_wait){ { &events_wait_ops }, t->hc, &t->nap, &t->nap_armed };
	return &t->wait.base;
}

#define FAIL(...)                                                              \
	do {                                                                   \
		fmt_snprintf(self->error, sizeof self->error, __VA_ARGS__);    \
		goto fail;                                                     \
	} while (0)

#define NAP(ms)                                                                \
	do {                                                                   \
		sleep_ms_init(&self->nap, (ms));                               \
		AWAIT(&self->nap);                                             \
	} while (0)

ASYNC_FN(xhci, struct xhci_task)
{
	ASYNC_BEGIN();
	if (bios_holds(self)) {
		xhci_request_ownership(&self->hc->x);
		for (self->waited = 0; bios_holds(self) && self->waited < HANDOFF_TIMEOUT_MS;
		     self->waited += STEP_POLL_MS)
			NAP(STEP_POLL_MS);
		if (bios_holds(self)) {
			log_warn("usb: %s: the firmware did not hand the controller over "
				 "within %u ms; taking it", self->hc->name, HANDOFF_TIMEOUT_MS);
			xhci_force_ownership(&self->hc->x);
		}
	}
	xhci_disable_smis(&self->hc->x);
	if (self->hc->route_ports)
		route_shared_ports(self->hc);

	for (self->waited = 0; xhci_not_ready(&self->hc->x); self->waited += STEP_POLL_MS) {
		if (self->waited >= READY_TIMEOUT_MS)
			FAIL("not ready after %u ms", READY_TIMEOUT_MS);
		NAP(STEP_POLL_MS);
	}
	xhci_stop(&self->hc->x);
	for (self->waited = 0; !xhci_halted(&self->hc->x); self->waited += STEP_POLL_MS) {
		if (self->waited >= HALT_TIMEOUT_MS)
			FAIL("does not halt within %u ms", HALT_TIMEOUT_MS);
		NAP(STEP_POLL_MS);
	}
	xhci_reset(&self->hc->x);
	NAP(1);		/* some controllers hang if touched right after HCRST */
	for (self->waited = 0; still_resetting(self); self->waited += STEP_POLL_MS) {
		if (self->waited >= RESET_TIMEOUT_MS)
			FAIL("reset did not complete within %u ms", RESET_TIMEOUT_MS);
		NAP(STEP_POLL_MS);
	}

	if (!self->hc->x.page_4k)
		FAIL("does not offer 4 KiB pages");
	if (!set_up_rings(self->hc))
		FAIL("out of memory for its rings (%u scratchpads)", self->hc->x.scratchpads);
	xhci_run(&self->hc->x, false);
	for (self->waited = 0; xhci_halted(&self->hc->x); self->waited += STEP_POLL_MS) {
		if (self->waited >= HALT_TIMEOUT_MS)
			FAIL("does not start within %u ms", HALT_TIMEOUT_MS);
		NAP(STEP_POLL_MS);
	}
	set_up_interrupts(self);
	xhci_run(&self->hc->x, self->hc->vector != 0);
	if (power_ports(self->hc))
		NAP(PORT_POWER_MS);
	if (!start_bus(self->hc))
		FAIL("out of memory for its bus");

	for (;;) {
		/* For the key-latency benchmark: where this look began, from
		 * the interrupt's entry when an interrupt caused it. */
		events_cycles = self->by_irq ? self->hc->irq_cycles : hal_cycles();
		xhci_hcd_events(self->hc);
		if (xhci_dead(&self->hc->x)) {
			log_warn("usb: %s: the controller stopped (host system or controller "
				 "error); its devices are gone", self->hc->name);
			usb_bus_stop(&self->hc->bus);
			self->hc->running = false;
			/* The task ends here: its safety sleep leaves the queue. */
			if (self->hc->vector && self->waiting)
				future_drop(self->waiting);
			break;
		}
		self->waiting = start_wait(self, cx);
		AWAIT(self->waiting);
	}
	ASYNC_RETURN();
fail:
	give_up(self);
	ASYNC_END();
}

/* ---- finding controllers ------------------------------------------------------------------ */

#define MAX_CONTROLLERS 4

static struct xhci_hc *controllers[MAX_CONTROLLERS];
static unsigned n_controllers;

static bool is_xhci(const struct pci_func *f)
{
	return f->class_code == 0x0c && f->subclass == 0x03 && f->prog_if == 0x30;
}

/* Maps BAR 0 and probes the registers; a message in @error if it cannot. */
static bool map_registers(struct xhci_hc *hc, char *error, size_t n)
{
	struct pci_bar bar;
	volatile void *mmio;
	enum xhci_error e;

	if (!pci_bar(&hc->pci, 0, &bar) || bar.io || bar.size < 0x1000 || !bar.base) {
		fmt_snprintf(error, n, "BAR 0 is not a memory BAR (size %llu)",
			     (unsigned long long)bar.size);
		return false;
	}
	if (!(mmio = mm_map_mmio(bar.base, bar.size))) {
		fmt_snprintf(error, n, "cannot map its registers at 0x%llx",
			     (unsigned long long)bar.base);
		return false;
	}
	pci_write16(&hc->pci, PCI_COMMAND,
		    pci_read16(&hc->pci, PCI_COMMAND) | PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER |
			    PCI_CMD_INTX_DISABLE);
	e = xhci_probe(&hc->x, mmio, bar.size);
	if (e != XHCI_OK) {
		fmt_snprintf(error, n, "%s", e == XHCI_NO_PORTS ? "has no ports"
					    : "its registers make no sense");
		return false;
	}
	return true;
}

static bool start_one(const struct pci_func *f, const struct pci_func *funcs, unsigned n,
		      struct usb_bus_hooks hooks, const char *flt)
{
	struct xhci_hc *hc = kcalloc(1, sizeof *hc);
	char error[80];

	if (!hc || n_controllers == MAX_CONTROLLERS) {
		log_warn("usb: xhci %02x:%02x.%u: %s; controller not used", f->bus, f->dev, f->fn,
			 hc ? "too many controllers" : "out of memory");
		kfree(hc);
		return false;
	}
	hc->pci = *f;
	hc->bus.hooks = hooks;
	fmt_snprintf(hc->name, sizeof hc->name, "xhci %02x:%02x.%u", f->bus, f->dev, f->fn);
	if (!map_registers(hc, error, sizeof error)) {
		log_warn("usb: %s: %s; controller not used", hc->name, error);
		kfree(hc);
		return false;
	}
	hc->route_ports = shares_ports_with_ehci(f, funcs, n);
	struct xhci_task t = { ASYNC_INIT(xhci), .hc = hc, .mode = flt };
	if (!spawn_detached_on(executor_global(), &t.base, sizeof t)) {
		log_warn("usb: %s: out of memory; controller not used", hc->name);
		kfree(hc);
		return false;
	}
	controllers[n_controllers++] = hc;
	return true;
}

unsigned xhci_start_all(const struct pci_func *funcs, unsigned n, struct usb_bus_hooks hooks,
			const char *flt)
{
	unsigned found = 0;

	for (unsigned i = 0; i < n; i++)
		if (is_xhci(&funcs[i])) {
			/* A simulated fault (usb=fail-*) hits the first controller
			 * only; usb=poll holds for all. */
			bool fault = flt && !strncmp(flt, "fail-", 5);
			start_one(&funcs[i], funcs, n, hooks, fault && found ? NULL : flt);
			found++;
		}
	return found;
}

struct usb_bus *xhci_bus(unsigned i)
{
	return i < n_controllers && controllers[i]->running ? &controllers[i]->bus : NULL;
}
