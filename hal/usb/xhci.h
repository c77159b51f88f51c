/*
 * xhci.h — the eXtensible Host Controller Interface at register level
 * (xHCI 1.2 specification, chapters 4-7).
 *
 * This layer knows the registers, the ring and context formats and the
 * bit-level rules (which PORTSC bits clear when written as 1, how a ring's
 * cycle bit wraps).  It never waits and never allocates: the kernel's
 * driver (kernel/usb/xhci/hcd.c) hands it DMA memory, decides how long to
 * wait for each step with the executor's timers, and gives the results to
 * the portable USB core.
 *
 * A controller has four register blocks: capability (read-only sizes and
 * offsets), operational (run/stop, command ring, device-context array,
 * ports), runtime (interrupters and their event rings) and doorbells.
 * Software talks to it through three kinds of ring of 16-byte TRBs: one
 * command ring, one transfer ring per endpoint, and event rings the
 * controller writes back.  Each TRB's cycle bit says whose it is.
 */
#ifndef COOP_HAL_USB_XHCI_H
#define COOP_HAL_USB_XHCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- TRBs (xHCI 6.4) ---------------------------------------------------------- */

struct xhci_trb {
	uint64_t param;
	uint32_t status;
	uint32_t control;
};

enum xhci_trb_type {
	TRB_NORMAL = 1, TRB_SETUP = 2, TRB_DATA = 3, TRB_STATUS = 4, TRB_LINK = 6,
	TRB_ENABLE_SLOT = 9, TRB_DISABLE_SLOT = 10, TRB_ADDRESS_DEVICE = 11,
	TRB_CONFIGURE_EP = 12, TRB_EVALUATE_CTX = 13, TRB_RESET_EP = 14,
	TRB_STOP_EP = 15, TRB_SET_TR_DEQUEUE = 16, TRB_NOOP_CMD = 23,
	TRB_TRANSFER_EVENT = 32, TRB_COMMAND_COMPLETION = 33, TRB_PORT_STATUS_CHANGE = 34,
	TRB_HOST_CONTROLLER_EVENT = 37,
};

#define TRB_CYCLE (1u << 0)
#define TRB_TOGGLE_CYCLE (1u << 1)	/* link TRB */
#define TRB_ISP (1u << 2)		/* interrupt on short packet */
#define TRB_CHAIN (1u << 4)
#define TRB_IOC (1u << 5)
#define TRB_IDT (1u << 6)		/* immediate data: the setup packet */
#define TRB_TYPE(t) ((uint32_t)(t) << 10)
#define TRB_DIR_IN (1u << 16)		/* data and status stages */
#define TRB_TRT_OUT (2u << 16)		/* setup stage: transfer type */
#define TRB_TRT_IN (3u << 16)
#define TRB_SLOT(s) ((uint32_t)(s) << 24)
#define TRB_EP(e) ((uint32_t)(e) << 16)
#define TRB_BSR (1u << 9)		/* address device: block SET_ADDRESS */

static inline unsigned trb_type(const struct xhci_trb *t) { return (t->control >> 10) & 0x3f; }
static inline unsigned trb_slot(const struct xhci_trb *t) { return t->control >> 24; }
static inline unsigned trb_ep(const struct xhci_trb *t) { return (t->control >> 16) & 0x1f; }
static inline unsigned trb_code(const struct xhci_trb *t) { return t->status >> 24; }
static inline uint32_t trb_residual(const struct xhci_trb *t) { return t->status & 0xffffff; }

/* Completion codes (xHCI 6.4.5). */
enum xhci_completion {
	CC_SUCCESS = 1, CC_DATA_BUFFER = 2, CC_BABBLE = 3, CC_TRANSACTION = 4, CC_TRB = 5,
	CC_STALL = 6, CC_RESOURCE = 7, CC_BANDWIDTH = 8, CC_NO_SLOTS = 9,
	CC_SLOT_NOT_ENABLED = 11, CC_EP_NOT_ENABLED = 12, CC_SHORT_PACKET = 13,
	CC_PARAMETER = 17, CC_CONTEXT_STATE = 19, CC_COMMAND_ABORTED = 25,
	CC_STOPPED = 26, CC_STOPPED_LENGTH_INVALID = 27,
};

/* "stall", "transaction error", ...: for messages. */
const char *xhci_completion_name(unsigned code);

/* ---- contexts (xHCI 6.2) ---------------------------------------------------------- */

/* Endpoint context types (table 6-9). */
enum { EP_TYPE_CONTROL = 4, EP_TYPE_INTERRUPT_IN = 7 };

#define XHCI_MAX_DCI 31			/* device context index: EP0 = 1, EPn IN = 2n + 1 */

/* The slot context (dwords 0-3) and an endpoint context (0-4), filled in
 * by the caller in host order; xhci_ctx_*() place them in a context of
 * the controller's size (32 or 64 bytes). */
struct xhci_slot_ctx {
	uint32_t route;			/* 20 bits */
	unsigned speed;			/* PORTSC port speed ID */
	bool mtt, hub;
	unsigned entries;		/* last valid device context index */
	unsigned root_port, ports;
	unsigned tt_slot, tt_port, ttt;
};

struct xhci_ep_ctx {
	unsigned type, interval, max_burst, mult, cerr;
	unsigned max_packet, avg_trb_len, max_esit;
	uint64_t dequeue;		/* ring address; bit 0 is the dequeue cycle state */
};

/* Writes a slot context at @ctx (zeroed first). */
void xhci_ctx_slot(void *ctx, const struct xhci_slot_ctx *s);
/* Writes an endpoint context at @ctx (zeroed first). */
void xhci_ctx_ep(void *ctx, const struct xhci_ep_ctx *e);
/* The USB address the controller gave, from an output slot context. */
unsigned xhci_ctx_slot_address(const void *ctx);

/* ---- rings ----------------------------------------------------------------------------- */

/* A ring we produce onto (command or transfer): one segment, its last TRB
 * a link back to the start that toggles the cycle bit. */
struct xhci_ring {
	volatile struct xhci_trb *trbs;
	uint64_t phys;
	unsigned size;			/* TRBs, the link included */
	unsigned enqueue;
	uint32_t cycle;			/* producer cycle state */
};

/* @trbs (@size TRBs at physical @phys) must be zeroed and 64-byte aligned. */
void xhci_ring_init(struct xhci_ring *r, void *trbs, uint64_t phys, unsigned size);
/* TRBs free: what may be pushed before the producer would catch up with
 * TRBs not yet consumed.  The caller tracks consumption (@in_flight). */
static inline unsigned xhci_ring_room(const struct xhci_ring *r, unsigned in_flight)
{
	return r->size - 1 - in_flight;
}
/* Pushes one TRB (the cycle bit is ours to set) and returns its physical
 * address.  Follows the link TRB, giving it @control's chain bit. */
uint64_t xhci_ring_push(struct xhci_ring *r, uint64_t param, uint32_t status,
			uint32_t control);
/* Pushes the @n TRBs of one TD (all but the last chained by the caller),
 * handing the first one over last, so the controller never starts a TD
 * that is only partly written (4.11.1).  @at[i] gets each TRB's address. */
void xhci_ring_push_td(struct xhci_ring *r, const struct xhci_trb *td, unsigned n,
		       uint64_t *at);
/* Where the next TRB will go, and its cycle bit: for Set TR Dequeue. */
static inline uint64_t xhci_ring_next(const struct xhci_ring *r)
{
	return (r->phys + 16ull * r->enqueue) | r->cycle;
}

/* The event ring of interrupter 0: one segment and its one-entry table. */
struct xhci_event_ring {
	volatile struct xhci_trb *trbs;
	uint64_t phys;
	unsigned size;
	unsigned dequeue;
	uint32_t cycle;			/* consumer cycle state */
	volatile uint64_t *erst;	/* 16 bytes: segment base, size */
	uint64_t erst_phys;
};

/* ---- the controller ------------------------------------------------------------------------ */

struct xhci {
	volatile uint8_t *cap, *op, *rt, *db;
	size_t mmio_size;
	uint16_t version;
	unsigned max_slots, max_ports, max_intrs, scratchpads, ctx_size;
	bool ac64, port_power_control;
	bool page_4k;			/* PAGESIZE offers 4 KiB pages */
	uint32_t legacy;		/* offset of USB legacy support, 0 if none */
	uint8_t port_major[256];	/* per port (from 1): 2 or 3, 0 unknown */
	struct xhci_event_ring events;
};

enum xhci_error {
	XHCI_OK,
	XHCI_BAD_REGISTERS,	/* capability registers make no sense (or read all ones) */
	XHCI_NO_PORTS,
};

/* Reads the capability registers of a controller mapped at @mmio. */
enum xhci_error xhci_probe(struct xhci *x, volatile void *mmio, size_t size);

/* BIOS handoff, through the USB legacy support capability (xHCI 4.22.1). */
bool xhci_bios_owned(const struct xhci *x);
void xhci_request_ownership(struct xhci *x);	/* sets the OS-owned semaphore */
void xhci_force_ownership(struct xhci *x);	/* the firmware did not let go */
void xhci_disable_smis(struct xhci *x);		/* and clears their status */

/* Run state and reset (xHCI 4.2, 5.4.1-5.4.2). */
bool xhci_not_ready(const struct xhci *x);	/* USBSTS.CNR */
void xhci_stop(struct xhci *x);
bool xhci_halted(const struct xhci *x);
void xhci_reset(struct xhci *x);
bool xhci_resetting(const struct xhci *x);	/* HCRST or CNR still set */
/* Host system or controller error, or the registers read all ones (gone). */
bool xhci_dead(const struct xhci *x);

/*
 * Programs a halted, reset controller: MaxSlotsEn, the device context base
 * address array, the command ring, interrupter 0's event ring (which it
 * initialises over @event_trbs / @erst) and its moderation interval.
 */
void xhci_setup(struct xhci *x, uint64_t dcbaa_phys, const struct xhci_ring *cmd,
		void *event_trbs, uint64_t event_phys, unsigned event_size, void *erst,
		uint64_t erst_phys);
/* Sets Run/Stop, with or without interrupts (USBCMD.INTE, IMAN.IE). */
void xhci_run(struct xhci *x, bool interrupts);

/* The next event, if the controller has written one (its cycle bit is
 * ours); consumes it.  Call xhci_event_done() after a batch. */
bool xhci_event_next(struct xhci *x, struct xhci_trb *out);
/* Tells the controller how far we read (ERDP) and clears Event Handler Busy
 * and the interrupter's pending bit. */
void xhci_event_done(struct xhci *x);

void xhci_doorbell(struct xhci *x, unsigned slot, unsigned target);

/* ---- root hub ports (xHCI 5.4.8) ----------------------------------------------------------------- */

enum {
	PORTSC_CCS = 1u << 0, PORTSC_PED = 1u << 1, PORTSC_OCA = 1u << 3,
	PORTSC_PR = 1u << 4, PORTSC_PP = 1u << 9,
	PORTSC_CSC = 1u << 17, PORTSC_PEC = 1u << 18, PORTSC_WRC = 1u << 19,
	PORTSC_OCC = 1u << 20, PORTSC_PRC = 1u << 21, PORTSC_PLC = 1u << 22,
	PORTSC_CEC = 1u << 23, PORTSC_WPR = 1u << 31,
	PORTSC_CHANGES = PORTSC_CSC | PORTSC_PEC | PORTSC_WRC | PORTSC_OCC | PORTSC_PRC |
			 PORTSC_PLC | PORTSC_CEC,
};

static inline unsigned portsc_speed(uint32_t portsc) { return (portsc >> 10) & 0xf; }

uint32_t xhci_portsc(const struct xhci *x, unsigned port);
/* Sets @bits (PR, WPR, PP) without disturbing anything else: writing back
 * what was read would disable the port (PED) and clear every change bit. */
void xhci_port_set(struct xhci *x, unsigned port, uint32_t bits);
/* Clears the change bits in @changes (PORTSC_CHANGES subset). */
void xhci_port_clear(struct xhci *x, unsigned port, uint32_t changes);

#endif
