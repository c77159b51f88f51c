/*
 * xhci.c — see xhci.h.  Register offsets and bits are from the xHCI 1.2
 * specification; section numbers are given where a rule is not obvious.
 */
#include "hal/usb/xhci.h"

#include <stdatomic.h>

#include "kernel/lib/string.h"

/* Capability registers (5.3). */
#define CAPLENGTH 0x00
#define HCSPARAMS1 0x04
#define HCSPARAMS2 0x08
#define HCCPARAMS1 0x10
#define DBOFF 0x14
#define RTSOFF 0x18

/* Operational registers (5.4). */
#define USBCMD 0x00
#define USBSTS 0x04
#define PAGESIZE 0x08
#define CRCR 0x18
#define DCBAAP 0x30
#define CONFIG 0x38
#define PORTSC(n) (0x400 + 0x10 * ((n) - 1))

#define CMD_RS (1u << 0)
#define CMD_HCRST (1u << 1)
#define CMD_INTE (1u << 2)
#define STS_HCH (1u << 0)
#define STS_HSE (1u << 2)
#define STS_EINT (1u << 3)
#define STS_CNR (1u << 11)
#define STS_HCE (1u << 12)

/* Interrupter 0 (5.5.2). */
#define IR0 0x20
#define IMAN 0x00
#define IMOD 0x04
#define ERSTSZ 0x08
#define ERSTBA 0x10
#define ERDP 0x18
#define IMAN_IP (1u << 0)
#define IMAN_IE (1u << 1)
#define ERDP_EHB (1u << 3)
#define IMOD_40US 160			/* 250 ns units: what Linux uses */

/* Extended capabilities (7). */
#define XCAP_LEGACY 1
#define XCAP_PROTOCOL 2
#define LEGACY_BIOS_OWNED (1u << 16)
#define LEGACY_OS_OWNED (1u << 24)
#define LEGACY_CTLSTS 4
/* USBLEGCTLSTS: SMI enables (USB, host system error, OS ownership, PCI
 * command, BAR) and the RW1C SMI status bits (7.1.2). */
#define LEGACY_SMI_ENABLES ((1u << 0) | (1u << 4) | (1u << 13) | (1u << 14) | (1u << 15))
#define LEGACY_SMI_STATUS ((1u << 29) | (1u << 30) | (1u << 31))

/* PORTSC bits that are plain read/write and must be written back as read:
 * power, indicator, wake enables.  Everything else is read-only, written
 * 1 to clear, or an action (5.4.8). */
#define PORTSC_PRESERVE ((1u << 9) | (3u << 14) | (7u << 25))

/* The compiler must not move plain stores (TRBs, contexts) past an MMIO
 * write; x86 keeps stores in order itself, UC ones included.  A signal
 * fence is that compiler-only barrier in standard C, so this file has no
 * asm and its bit rules are host-tested (test/host/xhci_host.c). */
#define barrier() atomic_signal_fence(memory_order_seq_cst)

static uint32_t r32(volatile uint8_t *base, unsigned off)
{
	return *(volatile uint32_t *)(base + off);
}

static void w32(volatile uint8_t *base, unsigned off, uint32_t v)
{
	barrier();
	*(volatile uint32_t *)(base + off) = v;
}

/* 64-bit registers, low half first: controllers without 64-bit addressing
 * need not accept 64-bit accesses (5.1). */
static void w64(volatile uint8_t *base, unsigned off, uint64_t v)
{
	w32(base, off, (uint32_t)v);
	w32(base, off + 4, (uint32_t)(v >> 32));
}

const char *xhci_completion_name(unsigned code)
{
	switch (code) {
	case CC_SUCCESS: return "success";
	case CC_DATA_BUFFER: return "data buffer error";
	case CC_BABBLE: return "babble";
	case CC_TRANSACTION: return "transaction error";
	case CC_TRB: return "TRB error";
	case CC_STALL: return "stall";
	case CC_RESOURCE: return "out of resources";
	case CC_BANDWIDTH: return "not enough bandwidth";
	case CC_NO_SLOTS: return "no slots";
	case CC_SLOT_NOT_ENABLED: return "slot not enabled";
	case CC_EP_NOT_ENABLED: return "endpoint not enabled";
	case CC_SHORT_PACKET: return "short packet";
	case CC_PARAMETER: return "parameter error";
	case CC_CONTEXT_STATE: return "context state error";
	case CC_COMMAND_ABORTED: return "command aborted";
	case CC_STOPPED: case CC_STOPPED_LENGTH_INVALID: return "stopped";
	default: return "error";
	}
}

/* ---- probing -------------------------------------------------------------------------- */

static void read_protocol(struct xhci *x, unsigned off, uint32_t head)
{
	uint32_t ports = r32(x->cap, off + 8);
	unsigned first = ports & 0xff, count = (ports >> 8) & 0xff;

	for (unsigned p = first; p && p < first + count && p <= x->max_ports && p < 256; p++)
		x->port_major[p] = (uint8_t)(head >> 24);
}

/* Walks the extended capability list (7), bounded by the register window
 * and a hop count, so a broken list cannot loop or read out of bounds. */
static void read_extended_caps(struct xhci *x, unsigned off)
{
	for (unsigned hops = 0; off && off + 12 <= x->mmio_size && hops < 64; hops++) {
		uint32_t head = r32(x->cap, off);
		unsigned next = (head >> 8) & 0xff;
		if ((head & 0xff) == XCAP_LEGACY)
			x->legacy = off;
		else if ((head & 0xff) == XCAP_PROTOCOL)
			read_protocol(x, off, head);
		if (!next)
			break;
		off += 4 * next;
	}
}

enum xhci_error xhci_probe(struct xhci *x, volatile void *mmio, size_t size)
{
	uint32_t hcs1, hcs2, hcc1, dboff, rtsoff, caplen;

	memset(x, 0, sizeof *x);
	x->cap = mmio;
	x->mmio_size = size;
	if (size < 0x100 || r32(x->cap, CAPLENGTH) == 0xffffffff)
		return XHCI_BAD_REGISTERS;
	/* CAPLENGTH and HCIVERSION share a dword; some controllers (QEMU's)
	 * only answer dword reads. */
	caplen = r32(x->cap, CAPLENGTH) & 0xff;
	x->version = (uint16_t)(r32(x->cap, CAPLENGTH) >> 16);
	hcs1 = r32(x->cap, HCSPARAMS1);
	hcs2 = r32(x->cap, HCSPARAMS2);
	hcc1 = r32(x->cap, HCCPARAMS1);
	dboff = r32(x->cap, DBOFF) & ~3u;
	rtsoff = r32(x->cap, RTSOFF) & ~0x1fu;
	x->max_slots = hcs1 & 0xff;
	x->max_intrs = (hcs1 >> 8) & 0x7ff;
	x->max_ports = hcs1 >> 24;
	x->scratchpads = ((hcs2 >> 21) & 0x1f) << 5 | hcs2 >> 27;
	x->ac64 = hcc1 & 1;
	x->ctx_size = hcc1 & (1u << 2) ? 64 : 32;
	x->port_power_control = hcc1 & (1u << 3);
	if (caplen < 0x20 || x->max_slots == 0 || x->max_intrs == 0 ||
	    caplen + PORTSC(x->max_ports) + 16 > size || rtsoff + IR0 + 32 > size ||
	    dboff + 4 * (x->max_slots + 1) > size)
		return XHCI_BAD_REGISTERS;
	if (x->max_ports == 0)
		return XHCI_NO_PORTS;
	x->op = x->cap + caplen;
	x->rt = x->cap + rtsoff;
	x->db = x->cap + dboff;
	x->page_4k = r32(x->op, PAGESIZE) & 1;
	read_extended_caps(x, 4 * (hcc1 >> 16));
	return XHCI_OK;
}

/* ---- handoff, reset, run ------------------------------------------------------------------ */

bool xhci_bios_owned(const struct xhci *x)
{
	return x->legacy && (r32(x->cap, x->legacy) & LEGACY_BIOS_OWNED);
}

void xhci_request_ownership(struct xhci *x)
{
	if (x->legacy)
		w32(x->cap, x->legacy, r32(x->cap, x->legacy) | LEGACY_OS_OWNED);
}

void xhci_force_ownership(struct xhci *x)
{
	if (x->legacy)
		w32(x->cap, x->legacy,
		    (r32(x->cap, x->legacy) & ~LEGACY_BIOS_OWNED) | LEGACY_OS_OWNED);
}

void xhci_disable_smis(struct xhci *x)
{
	uint32_t v;

	if (!x->legacy)
		return;
	v = r32(x->cap, x->legacy + LEGACY_CTLSTS);
	w32(x->cap, x->legacy + LEGACY_CTLSTS, (v & ~LEGACY_SMI_ENABLES) | LEGACY_SMI_STATUS);
}

bool xhci_not_ready(const struct xhci *x)
{
	return r32(x->op, USBSTS) & STS_CNR;
}

void xhci_stop(struct xhci *x)
{
	w32(x->op, USBCMD, r32(x->op, USBCMD) & ~(CMD_RS | CMD_INTE));
}

bool xhci_halted(const struct xhci *x)
{
	return r32(x->op, USBSTS) & STS_HCH;
}

void xhci_reset(struct xhci *x)
{
	w32(x->op, USBCMD, CMD_HCRST);
}

bool xhci_resetting(const struct xhci *x)
{
	return (r32(x->op, USBCMD) & CMD_HCRST) || (r32(x->op, USBSTS) & STS_CNR);
}

bool xhci_dead(const struct xhci *x)
{
	uint32_t sts = r32(x->op, USBSTS);

	return sts == 0xffffffff || (sts & (STS_HSE | STS_HCE));
}

void xhci_setup(struct xhci *x, uint64_t dcbaa_phys, const struct xhci_ring *cmd,
		void *event_trbs, uint64_t event_phys, unsigned event_size, void *erst,
		uint64_t erst_phys)
{
	volatile uint8_t *ir = x->rt + IR0;
	struct xhci_event_ring *ev = &x->events;

	w32(x->op, CONFIG, (r32(x->op, CONFIG) & ~0xffu) | x->max_slots);
	w64(x->op, DCBAAP, dcbaa_phys);
	w64(x->op, CRCR, cmd->phys | cmd->cycle);
	*ev = (struct xhci_event_ring){
		.trbs = event_trbs, .phys = event_phys, .size = event_size, .cycle = 1,
		.erst = erst, .erst_phys = erst_phys,
	};
	ev->erst[0] = event_phys;
	ev->erst[1] = event_size;
	w32(ir, ERSTSZ, 1);
	w64(ir, ERDP, event_phys);
	w64(ir, ERSTBA, erst_phys);	/* last: this arms the event ring (4.9.4) */
	w32(ir, IMOD, IMOD_40US);
}

void xhci_run(struct xhci *x, bool interrupts)
{
	w32(x->rt + IR0, IMAN, IMAN_IP | (interrupts ? IMAN_IE : 0));
	w32(x->op, USBCMD, CMD_RS | (interrupts ? CMD_INTE : 0));
}

/* ---- rings ---------------------------------------------------------------------------------- */

void xhci_ring_init(struct xhci_ring *r, void *trbs, uint64_t phys, unsigned size)
{
	*r = (struct xhci_ring){ .trbs = trbs, .phys = phys, .size = size, .cycle = 1 };
}

/* Writes one TRB at the enqueue pointer, owned by the controller if
 * @hand_over, else with the cycle bit inverted (still ours).  Follows the
 * link TRB, giving it the TRB's chain bit so a TD may span the wrap. */
static uint64_t push(struct xhci_ring *r, const struct xhci_trb *trb, bool hand_over)
{
	volatile struct xhci_trb *t = &r->trbs[r->enqueue];
	uint64_t at = r->phys + 16ull * r->enqueue;
	uint32_t cycle = hand_over ? r->cycle : r->cycle ^ 1;

	t->param = trb->param;
	t->status = trb->status;
	barrier();
	t->control = (trb->control & ~TRB_CYCLE) | cycle;
	if (++r->enqueue == r->size - 1) {
		volatile struct xhci_trb *link = &r->trbs[r->enqueue];
		link->param = r->phys;
		link->status = 0;
		barrier();
		link->control = TRB_TYPE(TRB_LINK) | TRB_TOGGLE_CYCLE |
				(trb->control & TRB_CHAIN) | r->cycle;
		r->enqueue = 0;
		r->cycle ^= 1;
	}
	return at;
}

uint64_t xhci_ring_push(struct xhci_ring *r, uint64_t param, uint32_t status,
			uint32_t control)
{
	struct xhci_trb t = { param, status, control };

	return push(r, &t, true);
}

void xhci_ring_push_td(struct xhci_ring *r, const struct xhci_trb *td, unsigned n,
		       uint64_t *at)
{
	volatile struct xhci_trb *first = &r->trbs[r->enqueue];
	uint32_t cycle = r->cycle;

	for (unsigned i = 0; i < n; i++)
		at[i] = push(r, &td[i], i > 0);
	barrier();
	first->control = (first->control & ~TRB_CYCLE) | cycle;
}

bool xhci_event_next(struct xhci *x, struct xhci_trb *out)
{
	struct xhci_event_ring *ev = &x->events;
	volatile struct xhci_trb *t = &ev->trbs[ev->dequeue];
	uint32_t control = t->control;

	if ((control & TRB_CYCLE) != ev->cycle)
		return false;		/* not written yet */
	out->param = t->param;
	out->status = t->status;
	out->control = control;
	if (++ev->dequeue == ev->size) {
		ev->dequeue = 0;
		ev->cycle ^= 1;
	}
	return true;
}

void xhci_event_done(struct xhci *x)
{
	volatile uint8_t *ir = x->rt + IR0;
	uint32_t iman = r32(ir, IMAN);

	w64(ir, ERDP, (x->events.phys + 16ull * x->events.dequeue) | ERDP_EHB);
	if (iman & IMAN_IP)
		w32(ir, IMAN, iman);	/* IP is write-1-to-clear; IE stays */
	w32(x->op, USBSTS, STS_EINT);	/* write-1-to-clear, alone of its kind */
}

void xhci_doorbell(struct xhci *x, unsigned slot, unsigned target)
{
	w32(x->db, 4 * slot, target);
}

/* ---- contexts ---------------------------------------------------------------------------------- */

void xhci_ctx_slot(void *ctx, const struct xhci_slot_ctx *s)
{
	uint32_t *d = ctx;

	memset(d, 0, 32);
	d[0] = (s->route & 0xfffff) | (uint32_t)s->speed << 20 | (uint32_t)s->mtt << 25 |
	       (uint32_t)s->hub << 26 | (uint32_t)s->entries << 27;
	d[1] = (uint32_t)s->root_port << 16 | (uint32_t)s->ports << 24;
	d[2] = s->tt_slot | (uint32_t)s->tt_port << 8 | (uint32_t)s->ttt << 16;
}

void xhci_ctx_ep(void *ctx, const struct xhci_ep_ctx *e)
{
	uint32_t *d = ctx;

	memset(d, 0, 32);
	d[0] = (uint32_t)e->mult << 8 | (uint32_t)e->interval << 16 |
	       (uint32_t)(e->max_esit >> 16) << 24;
	d[1] = (uint32_t)e->cerr << 1 | (uint32_t)e->type << 3 | (uint32_t)e->max_burst << 8 |
	       (uint32_t)e->max_packet << 16;
	d[2] = (uint32_t)e->dequeue;
	d[3] = (uint32_t)(e->dequeue >> 32);
	d[4] = e->avg_trb_len | (e->max_esit & 0xffff) << 16;
}

unsigned xhci_ctx_slot_address(const void *ctx)
{
	return ((const volatile uint32_t *)ctx)[3] & 0xff;
}

/* ---- ports --------------------------------------------------------------------------------------- */

uint32_t xhci_portsc(const struct xhci *x, unsigned port)
{
	return r32(x->op, PORTSC(port));
}

void xhci_port_set(struct xhci *x, unsigned port, uint32_t bits)
{
	w32(x->op, PORTSC(port), (r32(x->op, PORTSC(port)) & PORTSC_PRESERVE) | bits);
}

void xhci_port_clear(struct xhci *x, unsigned port, uint32_t changes)
{
	w32(x->op, PORTSC(port),
	    (r32(x->op, PORTSC(port)) & PORTSC_PRESERVE) | (changes & PORTSC_CHANGES));
}
