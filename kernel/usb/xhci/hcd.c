/*
 * hcd.c — see hcd.h: the usb_hc_ops over xHCI, and the event
 * handling that completes them.
 *
 * A device gets a slot in two commands, Enable Slot then Address Device;
 * a command's completion event names the command TRB, which is how we find
 * what to do next.  A transfer event names the TRB it completed; each
 * endpoint keeps its TDs in flight with the addresses of the TRBs that can
 * report, so an event finds its TD.  An error halts the endpoint: we reset
 * it, move its dequeue pointer past the failed TD, then complete the TD, so
 * the caller's next request finds the endpoint running again (4.6.8, 4.8.3).
 *
 * A released device's operations complete at once with USB_GONE; its
 * memory is freed only when Disable Slot has completed, since until then
 * the controller may still read its rings and contexts.
 */
#include "kernel/usb/xhci/hcd.h"

#include "hal/usb/xhci.h"
#include "kernel/lib/string.h"
#include "kernel/usb/hub.h"
#include "mm/heap.h"
#include "mm/mm.h"

#define FOUR_GIB (1ull << 32)

/* ---- DMA frames ------------------------------------------------------------------ */

bool xhci_dma_alloc(struct xhci_hc *hc, struct dma_frame *f)
{
	uint64_t pa = mm_frame_alloc(); /* locked (or per-CPU): any CPU may run this */

	if (pa && !hc->x.ac64 && pa >= FOUR_GIB) {
		mm_frame_free(pa);	/* 32-bit controller: unreachable */
		pa = 0;
	}
	if (!pa) {
		*f = (struct dma_frame){ 0 };
		return false;
	}
	f->phys = pa;
	f->virt = mm_phys_to_virt(pa);
	memset(f->virt, 0, 4096);
	return true;
}

void xhci_dma_free(struct dma_frame *f)
{
	if (f->phys)
		mm_frame_free(f->phys);
	*f = (struct dma_frame){ 0 };
}

static struct xhci_hc *hc_of(struct usb_bus *bus)
{
	return container_of(bus, struct xhci_hc, bus);
}

static enum usb_status status_of(unsigned code)
{
	switch (code) {
	case CC_SUCCESS: case CC_SHORT_PACKET: return USB_OK;
	case CC_STALL: return USB_STALL;
	case CC_BABBLE: return USB_BABBLE;
	case CC_TRANSACTION: return USB_XACT_ERROR;
	default: return USB_HC_ERROR;
	}
}

/* ---- contexts --------------------------------------------------------------------- */

/* Input context: the input control context, then slot, then endpoints by
 * device context index (6.2.5). */
static void *in_ctx(struct xhci_hc *hc, struct xhci_slot *s, unsigned index)
{
	return (uint8_t *)s->in_ctx.virt + hc->x.ctx_size * index;
}

static void set_add_flags(struct xhci_hc *hc, struct xhci_slot *s, uint32_t add)
{
	uint32_t *icc = in_ctx(hc, s, 0);

	memset(s->in_ctx.virt, 0, 4096);
	icc[1] = add;
}

static unsigned slot_of(const struct usb_device *d)
{
	const struct xhci_slot *s = d ? d->hc_priv : NULL;

	return s ? s->slot : 0;
}

static void write_slot_ctx(struct xhci_hc *hc, struct xhci_slot *s, unsigned entries,
			   const struct usb_hub_caps *hub)
{
	const struct usb_device *d = s->udev;
	struct xhci_slot_ctx c = {
		.route = d->route, .speed = d->speed, .entries = entries,
		.root_port = d->root_port,
		.tt_slot = slot_of(d->tt_hub), .tt_port = d->tt_port,
		.mtt = d->tt_hub && d->tt_hub->multi_tt,
	};

	if (hub) {
		c.hub = true;
		c.ports = hub->ports;
		c.mtt = hub->multi_tt;
		c.ttt = d->speed == USB_SPEED_HIGH ? hub->tt_think_time : 0;
	}
	xhci_ctx_slot(in_ctx(hc, s, 1), &c);
}

static void write_ep0_ctx(struct xhci_hc *hc, struct xhci_slot *s)
{
	struct xhci_ep_ctx e = {
		.type = EP_TYPE_CONTROL, .cerr = 3, .max_packet = s->udev->ep0_packet,
		.avg_trb_len = 8, .dequeue = s->ep[1]->ring.phys | s->ep[1]->ring.cycle,
	};

	xhci_ctx_ep(in_ctx(hc, s, 2), &e);
}

/* xHCI's Interval is log2 of the period in 125 us microframes (6.2.3.6). */
static unsigned ep_interval(enum usb_speed speed, uint8_t interval)
{
	uint32_t uframes = usb_interval_microframes(speed, interval);
	unsigned log2 = 0;

	if (!uframes)
		uframes = 64;		/* out of range: 8 ms, a keyboard's usual */
	while (log2 < 15 && (2u << log2) <= uframes)
		log2++;
	return log2;
}

static unsigned dci_of(const struct usb_endpoint *e)
{
	return 2 * usb_ep_number(e) + (usb_ep_is_in(e) ? 1 : 0);
}

/* ---- endpoints and TDs ---------------------------------------------------------------- */

static struct xhci_endpoint *endpoint_new(struct xhci_hc *hc)
{
	struct xhci_endpoint *ep = kcalloc(1, sizeof *ep);

	if (!ep)
		return NULL;
	if (!xhci_dma_alloc(hc, &ep->ring_frame)) {
		kfree(ep);
		return NULL;
	}
	xhci_ring_init(&ep->ring, ep->ring_frame.virt, ep->ring_frame.phys, XHCI_RING_TRBS);
	return ep;
}

static void endpoint_free(struct xhci_endpoint *ep)
{
	for (unsigned i = 0; i < XHCI_MAX_TDS; i++)
		xhci_dma_free(&ep->tds[i].bounce);
	xhci_dma_free(&ep->ring_frame);
	kfree(ep);
}

/* A free TD with its bounce frame, if the ring has room for @trbs more. */
static struct xhci_td *td_new(struct xhci_hc *hc, struct xhci_endpoint *ep, unsigned trbs,
			      uint32_t len)
{
	struct xhci_td *td = NULL;

	if (len > XHCI_MAX_DATA || ep->in_flight >= XHCI_MAX_TDS ||
	    xhci_ring_room(&ep->ring, ep->in_flight * 3) < trbs)
		return NULL;
	for (unsigned i = 0; i < XHCI_MAX_TDS && !td; i++)
		if (!ep->tds[i].used)
			td = &ep->tds[i];
	/* A TD slot keeps its bounce frame for the next transfer: a keyboard
	 * report every few ms should not cost a frame allocation each. */
	if (len && !td->bounce.phys && !xhci_dma_alloc(hc, &td->bounce))
		return NULL;
	td->used = true;
	ep->in_flight++;
	return td;
}

static void td_free(struct xhci_endpoint *ep, struct xhci_td *td)
{
	*td = (struct xhci_td){ .bounce = td->bounce };
	ep->in_flight--;
}

static struct xhci_td *td_find(struct xhci_endpoint *ep, uint64_t trb)
{
	for (unsigned i = 0; i < XHCI_MAX_TDS; i++) {
		struct xhci_td *td = &ep->tds[i];
		if (td->used && (td->last_trb == trb || (td->data_trb && td->data_trb == trb)))
			return td;
	}
	return NULL;
}

/* ---- commands --------------------------------------------------------------------------- */

static bool command(struct xhci_hc *hc, enum xhci_cmd_kind kind, struct xhci_slot *s,
		    struct usb_op *op, uint64_t param, uint32_t control, unsigned dci)
{
	struct xhci_cmd *c = NULL;

	if (hc->cmds_in_flight < XHCI_MAX_CMDS &&
	    xhci_ring_room(&hc->cmds_ring, hc->cmds_in_flight) >= 1)
		for (unsigned i = 0; i < XHCI_MAX_CMDS && !c; i++)
			if (!hc->cmds[i].used)
				c = &hc->cmds[i];
	if (!c) {
		if (op)
			usb_op_complete(op, USB_HC_ERROR, 0);
		return false;
	}
	*c = (struct xhci_cmd){ .used = true, .kind = kind, .dev = s, .op = op, .dci = dci };
	c->trb = xhci_ring_push(&hc->cmds_ring, param, 0, control);
	hc->cmds_in_flight++;
	xhci_doorbell(&hc->x, 0, 0);
	return true;
}

static void slot_free(struct xhci_hc *hc, struct xhci_slot *s)
{
	if (s->slot) {
		hc->slots[s->slot] = NULL;
		((volatile uint64_t *)hc->dcbaa.virt)[s->slot] = 0;
	}
	for (unsigned i = 0; i <= XHCI_MAX_DCI; i++)
		if (s->ep[i])
			endpoint_free(s->ep[i]);
	xhci_dma_free(&s->in_ctx);
	xhci_dma_free(&s->out_ctx);
	kfree(s);
}

static void disable_slot(struct xhci_hc *hc, struct xhci_slot *s)
{
	if (!command(hc, XCMD_DISABLE_SLOT, s, NULL, 0,
		     TRB_TYPE(TRB_DISABLE_SLOT) | TRB_SLOT(s->slot), 0))
		s->slot = 0;	/* leak the slot rather than free memory in use */
}

static void address_device(struct xhci_hc *hc, struct xhci_slot *s, struct usb_op *op)
{
	hc->slots[s->slot] = s;
	((volatile uint64_t *)hc->dcbaa.virt)[s->slot] = s->out_ctx.phys;
	set_add_flags(hc, s, 1u << 0 | 1u << 1);
	write_slot_ctx(hc, s, 1, NULL);
	write_ep0_ctx(hc, s);
	command(hc, XCMD_ADDRESS, s, op, s->in_ctx.phys,
		TRB_TYPE(TRB_ADDRESS_DEVICE) | TRB_SLOT(s->slot), 0);
}

/* The endpoint is running again: finish the TD that halted it, and let the
 * ones queued behind it go. */
static void recovery_done(struct xhci_hc *hc, struct xhci_slot *s, unsigned dci)
{
	struct xhci_endpoint *ep = s->ep[dci];
	struct xhci_td *td;

	if (!ep)
		return;
	td = ep->failed;
	ep->recovering = false;
	ep->failed = NULL;
	if (td && td->used) {
		if (td->op) {
			usb_op_complete(td->op, ep->fail_status, 0);
			if (dci == 1)
				hc->control_in_flight--;
		}
		td_free(ep, td);
	}
	if (ep->in_flight && s->udev)
		xhci_doorbell(&hc->x, s->slot, dci);
}

static void set_dequeue(struct xhci_hc *hc, struct xhci_slot *s, unsigned dci)
{
	struct xhci_endpoint *ep = s->ep[dci];
	uint64_t to = ep->failed ? ep->failed->end : xhci_ring_next(&ep->ring);

	if (!command(hc, XCMD_SET_DEQUEUE, s, NULL, to,
		     TRB_TYPE(TRB_SET_TR_DEQUEUE) | TRB_SLOT(s->slot) | TRB_EP(dci), dci))
		recovery_done(hc, s, dci);
}

static void command_done(struct xhci_hc *hc, struct xhci_cmd *c, const struct xhci_trb *ev)
{
	struct xhci_slot *s = c->dev;
	unsigned code = trb_code(ev);
	bool ok = code == CC_SUCCESS;

	switch (c->kind) {
	case XCMD_ENABLE_SLOT:
		if (ok)
			s->slot = trb_slot(ev);
		if (!s->udev) {			/* released while we waited */
			if (ok)
				disable_slot(hc, s);
			else
				slot_free(hc, s);
		} else if (ok) {
			address_device(hc, s, c->op);
		} else if (c->op) {
			usb_op_complete(c->op, USB_HC_ERROR, 0);
		}
		return;
	case XCMD_RESET_EP:
		set_dequeue(hc, s, c->dci);
		return;
	case XCMD_SET_DEQUEUE:
		recovery_done(hc, s, c->dci);
		return;
	case XCMD_DISABLE_SLOT:
		slot_free(hc, s);
		return;
	default:
		if (c->op)
			usb_op_complete(c->op, ok ? USB_OK : status_of(code), 0);
	}
}

static void on_command(struct xhci_hc *hc, const struct xhci_trb *ev)
{
	for (unsigned i = 0; i < XHCI_MAX_CMDS; i++) {
		struct xhci_cmd *c = &hc->cmds[i];
		if (c->used && c->trb == ev->param) {
			struct xhci_cmd copy = *c;
			c->used = false;
			hc->cmds_in_flight--;
			command_done(hc, &copy, ev);
			return;
		}
	}
}

/* ---- transfers ------------------------------------------------------------------------------ */

static void td_complete(struct xhci_hc *hc, struct xhci_endpoint *ep, struct xhci_td *td,
			unsigned dci)
{
	if (td->op) {
		if (td->in && td->actual)
			memcpy(td->buf, td->bounce.virt, td->actual);
		usb_op_complete(td->op, USB_OK, td->actual);
		if (dci == 1)
			hc->control_in_flight--;
	}
	td_free(ep, td);
}

static void halted(struct xhci_hc *hc, struct xhci_slot *s, unsigned dci,
		   struct xhci_td *td, unsigned code)
{
	struct xhci_endpoint *ep = s->ep[dci];

	if (ep->recovering)
		return;
	ep->recovering = true;
	ep->failed = td;
	ep->fail_status = status_of(code);
	if (!command(hc, XCMD_RESET_EP, s, NULL, 0,
		     TRB_TYPE(TRB_RESET_EP) | TRB_SLOT(s->slot) | TRB_EP(dci), dci))
		recovery_done(hc, s, dci);
}

static void on_transfer(struct xhci_hc *hc, const struct xhci_trb *ev)
{
	unsigned dci = trb_ep(ev), code = trb_code(ev);
	struct xhci_slot *s = hc->slots[trb_slot(ev)];
	struct xhci_endpoint *ep = s && s->udev && dci <= XHCI_MAX_DCI ? s->ep[dci] : NULL;
	struct xhci_td *td = ep ? td_find(ep, ev->param) : NULL;

	if (!td || code == CC_STOPPED || code == CC_STOPPED_LENGTH_INVALID)
		return;			/* stale, or a stop we asked for */
	if (code != CC_SUCCESS && code != CC_SHORT_PACKET) {
		halted(hc, s, dci, td, code);
		return;
	}
	if (ev->param == td->data_trb && td->data_trb != td->last_trb) {
		/* A short data stage: its length now, completion at the status. */
		td->actual = td->len - (trb_residual(ev) < td->len ? trb_residual(ev) : td->len);
		td->short_seen = true;
		return;
	}
	if (!td->short_seen) {
		uint32_t residual = trb_residual(ev);
		td->actual = td->data_trb == td->last_trb && residual <= td->len
				     ? td->len - residual : td->len;
	}
	td_complete(hc, ep, td, dci);
}

unsigned xhci_hcd_events(struct xhci_hc *hc)
{
	struct xhci_trb ev;
	unsigned n = 0;

	while (xhci_event_next(&hc->x, &ev)) {
		n++;
		switch (trb_type(&ev)) {
		case TRB_TRANSFER_EVENT:
			on_transfer(hc, &ev);
			break;
		case TRB_COMMAND_COMPLETION:
			on_command(hc, &ev);
			break;
		case TRB_PORT_STATUS_CHANGE:
			usb_bus_root_port_changed(&hc->bus, (unsigned)(ev.param >> 24) & 0xff);
			break;
		default:
			break;
		}
	}
	if (n)
		xhci_event_done(&hc->x);
	return n;
}

bool xhci_hcd_busy(const struct xhci_hc *hc)
{
	return hc->cmds_in_flight || hc->control_in_flight;
}

/* ---- the usb_hc_ops --------------------------------------------------------------------------- */

static void hcd_address(struct usb_bus *bus, struct usb_device *dev, struct usb_op *op)
{
	struct xhci_hc *hc = hc_of(bus);
	struct xhci_slot *s = kcalloc(1, sizeof *s);

	if (!s || !xhci_dma_alloc(hc, &s->in_ctx) || !xhci_dma_alloc(hc, &s->out_ctx) ||
	    !(s->ep[1] = endpoint_new(hc))) {
		if (s)
			slot_free(hc, s);
		usb_op_complete(op, USB_NO_MEMORY, 0);
		return;
	}
	s->udev = dev;
	dev->hc_priv = s;
	if (!command(hc, XCMD_ENABLE_SLOT, s, op, 0, TRB_TYPE(TRB_ENABLE_SLOT), 0)) {
		dev->hc_priv = NULL;
		slot_free(hc, s);
	}
}

static void hcd_update_ep0(struct usb_bus *bus, struct usb_device *dev, struct usb_op *op)
{
	struct xhci_hc *hc = hc_of(bus);
	struct xhci_slot *s = dev->hc_priv;

	set_add_flags(hc, s, 1u << 1);
	write_ep0_ctx(hc, s);
	command(hc, XCMD_EVALUATE, s, op, s->in_ctx.phys,
		TRB_TYPE(TRB_EVALUATE_CTX) | TRB_SLOT(s->slot), 0);
}

static void hcd_control(struct usb_bus *bus, struct usb_device *dev,
			const struct usb_setup *setup, void *data, struct usb_op *op)
{
	struct xhci_hc *hc = hc_of(bus);
	struct xhci_slot *s = dev->hc_priv;
	struct xhci_endpoint *ep = s->ep[1];
	bool in = setup->request_type & USB_DIR_IN;
	uint32_t len = setup->length;
	struct xhci_td *td = td_new(hc, ep, 3, len);
	struct xhci_trb trbs[3];
	uint64_t at[3];
	uint8_t packet[8];
	unsigned n = 0;

	if (!td) {
		usb_op_complete(op, len > XHCI_MAX_DATA ? USB_HC_ERROR : USB_NO_MEMORY, 0);
		return;
	}
	*td = (struct xhci_td){ .op = op, .used = true, .in = in, .buf = data, .len = len,
				.bounce = td->bounce };
	if (len && !in)
		memcpy(td->bounce.virt, data, len);
	usb_setup_pack(setup, packet);
	memcpy(&trbs[n].param, packet, 8);
	trbs[n].status = 8;
	trbs[n++].control = TRB_TYPE(TRB_SETUP) | TRB_IDT | (len ? (in ? TRB_TRT_IN : TRB_TRT_OUT) : 0);
	if (len)
		trbs[n++] = (struct xhci_trb){ td->bounce.phys, len,
					       TRB_TYPE(TRB_DATA) | TRB_ISP | (in ? TRB_DIR_IN : 0) };
	/* The status stage goes the other way from the data, IN if none. */
	trbs[n++] = (struct xhci_trb){ 0, 0, TRB_TYPE(TRB_STATUS) | TRB_IOC |
						     (len && in ? 0 : TRB_DIR_IN) };
	xhci_ring_push_td(&ep->ring, trbs, n, at);
	td->data_trb = len ? at[1] : 0;
	td->last_trb = at[n - 1];
	td->end = xhci_ring_next(&ep->ring);
	hc->control_in_flight++;
	if (!ep->recovering)
		xhci_doorbell(&hc->x, s->slot, 1);
}

static void hcd_configure(struct usb_bus *bus, struct usb_device *dev,
			  const struct usb_endpoint *eps, unsigned n,
			  const struct usb_hub_caps *hub, struct usb_op *op)
{
	struct xhci_hc *hc = hc_of(bus);
	struct xhci_slot *s = dev->hc_priv;
	uint32_t add = 1u << 0;
	unsigned entries = 1;

	for (unsigned i = 0; i < n; i++) {
		unsigned dci = dci_of(&eps[i]);
		if (usb_ep_type(&eps[i]) != USB_EP_INTERRUPT || !usb_ep_is_in(&eps[i]) ||
		    (!s->ep[dci] && !(s->ep[dci] = endpoint_new(hc)))) {
			usb_op_complete(op, USB_HC_ERROR, 0);
			return;
		}
		add |= 1u << dci;
		entries = dci > entries ? dci : entries;
	}
	set_add_flags(hc, s, add);
	write_slot_ctx(hc, s, entries, hub);
	for (unsigned i = 0; i < n; i++) {
		const struct usb_endpoint *e = &eps[i];
		struct xhci_endpoint *ep = s->ep[dci_of(e)];
		unsigned burst = e->has_companion ? e->max_burst : 0;
		struct xhci_ep_ctx c = {
			.type = EP_TYPE_INTERRUPT_IN, .cerr = 3, .max_packet = e->max_packet,
			.max_burst = burst ? burst : e->mult,
			.interval = ep_interval(dev->speed, e->interval),
			.avg_trb_len = e->max_packet,
			.max_esit = e->max_packet * ((burst ? burst : e->mult) + 1u),
			.dequeue = ep->ring.phys | ep->ring.cycle,
		};
		xhci_ctx_ep(in_ctx(hc, s, dci_of(e) + 1), &c);
	}
	command(hc, XCMD_CONFIGURE, s, op, s->in_ctx.phys,
		TRB_TYPE(TRB_CONFIGURE_EP) | TRB_SLOT(s->slot), 0);
}

static void hcd_interrupt_in(struct usb_bus *bus, struct usb_device *dev,
			     const struct usb_endpoint *e, void *buf, uint16_t len,
			     struct usb_op *op)
{
	struct xhci_hc *hc = hc_of(bus);
	struct xhci_slot *s = dev->hc_priv;
	unsigned dci = dci_of(e);
	struct xhci_endpoint *ep = dci <= XHCI_MAX_DCI ? s->ep[dci] : NULL;
	struct xhci_td *td = ep ? td_new(hc, ep, 1, len ? len : 1) : NULL;

	if (!td) {
		usb_op_complete(op, ep ? USB_NO_MEMORY : USB_HC_ERROR, 0);
		return;
	}
	*td = (struct xhci_td){ .op = op, .used = true, .in = true, .buf = buf, .len = len,
				.bounce = td->bounce };
	td->last_trb = td->data_trb = xhci_ring_push(&ep->ring, td->bounce.phys, len,
						     TRB_TYPE(TRB_NORMAL) | TRB_ISP | TRB_IOC);
	td->end = xhci_ring_next(&ep->ring);
	if (!ep->recovering)
		xhci_doorbell(&hc->x, s->slot, dci);
}

/* Every operation of @s completes now with USB_GONE; the TDs stay marked
 * used (their frames may still be read) until the slot is disabled. */
static void fail_all(struct xhci_hc *hc, struct xhci_slot *s)
{
	for (unsigned dci = 0; dci <= XHCI_MAX_DCI; dci++) {
		struct xhci_endpoint *ep = s->ep[dci];
		for (unsigned i = 0; ep && i < XHCI_MAX_TDS; i++) {
			struct xhci_td *td = &ep->tds[i];
			if (td->used && td->op) {
				usb_op_complete(td->op, USB_GONE, 0);
				td->op = NULL;
				if (dci == 1)
					hc->control_in_flight--;
			}
		}
	}
	for (unsigned i = 0; i < XHCI_MAX_CMDS; i++) {
		struct xhci_cmd *c = &hc->cmds[i];
		if (c->used && c->dev == s && c->op) {
			usb_op_complete(c->op, USB_GONE, 0);
			c->op = NULL;
		}
	}
}

static bool enable_pending(const struct xhci_hc *hc, const struct xhci_slot *s)
{
	for (unsigned i = 0; i < XHCI_MAX_CMDS; i++)
		if (hc->cmds[i].used && hc->cmds[i].dev == s &&
		    hc->cmds[i].kind == XCMD_ENABLE_SLOT)
			return true;
	return false;
}

static void hcd_release(struct usb_bus *bus, struct usb_device *dev)
{
	struct xhci_hc *hc = hc_of(bus);
	struct xhci_slot *s = dev->hc_priv;

	if (!s)
		return;
	dev->hc_priv = NULL;
	s->udev = NULL;
	fail_all(hc, s);
	if (s->slot && hc->running)
		disable_slot(hc, s);
	else if (!enable_pending(hc, s) || !hc->running)
		slot_free(hc, s);
}

/* ---- root hub ports ------------------------------------------------------------------------------ */

static void hcd_root_status(struct usb_bus *bus, unsigned port, uint16_t *status,
			    uint16_t *change, enum usb_speed *speed)
{
	uint32_t sc = xhci_portsc(&hc_of(bus)->x, port);

	*status = (uint16_t)((sc & PORTSC_CCS ? USB_PORT_STAT_CONNECTION : 0) |
			     (sc & PORTSC_PED ? USB_PORT_STAT_ENABLE : 0) |
			     (sc & PORTSC_OCA ? USB_PORT_STAT_OVER_CURRENT : 0) |
			     (sc & PORTSC_PR ? USB_PORT_STAT_RESET : 0) |
			     (sc & PORTSC_PP ? USB_PORT_STAT_POWER : 0));
	*change = (uint16_t)((sc & PORTSC_CSC ? USB_PORT_C_CONNECTION : 0) |
			     (sc & PORTSC_PEC ? USB_PORT_C_ENABLE : 0) |
			     (sc & PORTSC_OCC ? USB_PORT_C_OVER_CURRENT : 0) |
			     (sc & PORTSC_PRC ? USB_PORT_C_RESET : 0) |
			     (sc & PORTSC_WRC ? USB_SS_PORT_C_BH_RESET : 0) |
			     (sc & PORTSC_PLC ? USB_SS_PORT_C_LINK_STATE : 0) |
			     (sc & PORTSC_CEC ? USB_SS_PORT_C_CONFIG_ERROR : 0));
	/* The default Protocol Speed IDs are our enum's values (7.2.1); IDs
	 * above 5 are faster SuperSpeed Plus modes, alike for us. */
	*speed = (enum usb_speed)(portsc_speed(sc) > USB_SPEED_SUPER_PLUS
					  ? USB_SPEED_SUPER_PLUS : portsc_speed(sc));
}

static void hcd_root_clear(struct usb_bus *bus, unsigned port, uint16_t change)
{
	uint32_t bits = (change & USB_PORT_C_CONNECTION ? PORTSC_CSC : 0) |
			(change & USB_PORT_C_ENABLE ? PORTSC_PEC : 0) |
			(change & USB_PORT_C_OVER_CURRENT ? PORTSC_OCC : 0) |
			(change & USB_PORT_C_RESET ? PORTSC_PRC : 0) |
			(change & USB_SS_PORT_C_BH_RESET ? PORTSC_WRC : 0) |
			(change & USB_SS_PORT_C_LINK_STATE ? PORTSC_PLC : 0) |
			(change & USB_SS_PORT_C_CONFIG_ERROR ? PORTSC_CEC : 0);

	xhci_port_clear(&hc_of(bus)->x, port, bits);
}

static void hcd_root_reset(struct usb_bus *bus, unsigned port)
{
	xhci_port_set(&hc_of(bus)->x, port, PORTSC_PR);
}

const struct usb_hc_ops xhci_hc_ops = {
	.address_device = hcd_address,
	.update_ep0 = hcd_update_ep0,
	.control = hcd_control,
	.configure = hcd_configure,
	.interrupt_in = hcd_interrupt_in,
	.release = hcd_release,
	.root_port_status = hcd_root_status,
	.root_port_clear = hcd_root_clear,
	.root_port_reset = hcd_root_reset,
};
