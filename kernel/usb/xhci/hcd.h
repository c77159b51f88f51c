/*
 * hcd.h — the xHCI host controller driver: the struct usb_hc_ops that
 * the portable USB core (core.h) drives, built on the register layer in
 * hal/usb/xhci.h.  Kernel-only: it owns DMA memory and PCI devices.
 *
 *   start.c        PCI set-up, BIOS handoff, reset, rings, then the task
 *                  that polls (or is interrupted by) the event ring
 *   hcd.c          slots, contexts, transfers and commands: the usb_hc_ops,
 *                  and what each event completes
 *
 * Memory the controller reads or writes (contexts, rings, data) is whole
 * 4 KiB frames from the frame allocator, reached through the direct map:
 * x86 keeps DMA coherent with the caches, so no flushing is needed.  Data
 * goes through a bounce frame per transfer, so callers may pass any buffer.
 */
#ifndef COOP_KERNEL_USB_XHCI_HCD_H
#define COOP_KERNEL_USB_XHCI_HCD_H

#include <stdbool.h>
#include <stdint.h>

#include "hal/dev/pci.h"
#include "hal/usb/xhci.h"
#include "kernel/usb/core.h"
#include "sched/atomic_waker.h"

#define XHCI_RING_TRBS 256	/* one 4 KiB frame per ring */
#define XHCI_EVENT_TRBS 256
#define XHCI_MAX_TDS 16		/* in flight per endpoint */
#define XHCI_MAX_CMDS 32	/* in flight on the command ring */
#define XHCI_MAX_DATA 4096	/* one bounce frame */

struct dma_frame {
	void *virt;
	uint64_t phys;		/* 0: not allocated */
};

/* One transfer descriptor in flight on an endpoint's ring. */
struct xhci_td {
	struct usb_op *op;	/* NULL once completed, or given up (device gone) */
	bool used;
	bool in, short_seen;
	uint64_t data_trb, last_trb;	/* what transfer events point at */
	uint64_t end;		/* the ring position after it (for Set TR Dequeue) */
	struct dma_frame bounce;
	void *buf;
	uint32_t len, actual;
};

struct xhci_endpoint {
	struct xhci_ring ring;
	struct dma_frame ring_frame;
	struct xhci_td tds[XHCI_MAX_TDS];
	unsigned in_flight;	/* TDs used, which bounds ring use */
	bool recovering;	/* halted: Reset Endpoint / Set TR Dequeue under way */
	struct xhci_td *failed;
	enum usb_status fail_status;
};

/* The controller's view of one usb_device (its hc_priv). */
struct xhci_slot {
	struct usb_device *udev;	/* NULL once released */
	unsigned slot;			/* 0 until Enable Slot completes */
	struct dma_frame in_ctx, out_ctx;
	struct xhci_endpoint *ep[XHCI_MAX_DCI + 1];	/* by device context index */
};

enum xhci_cmd_kind {
	XCMD_ENABLE_SLOT, XCMD_ADDRESS, XCMD_EVALUATE, XCMD_CONFIGURE,
	XCMD_RESET_EP, XCMD_SET_DEQUEUE, XCMD_DISABLE_SLOT,
};

struct xhci_cmd {
	bool used;
	enum xhci_cmd_kind kind;
	uint64_t trb;
	struct xhci_slot *dev;
	struct usb_op *op;	/* the caller's, or NULL for our own commands */
	unsigned dci;
};

struct xhci_hc {
	struct usb_bus bus;
	struct xhci x;
	struct pci_func pci;
	char name[24];			/* "xhci 00:04.0" */
	struct dma_frame dcbaa, cmd_frame, event_frame, erst_frame, scratch_array;
	struct dma_frame *scratch;
	unsigned n_scratch;
	struct xhci_ring cmds_ring;
	struct xhci_cmd cmds[XHCI_MAX_CMDS];
	unsigned cmds_in_flight;
	unsigned control_in_flight;	/* control TDs: poll fast while any */
	struct xhci_slot *slots[256];
	bool running;
	bool route_ports;		/* an Intel xHCI sharing ports with an EHCI */
	/* Interrupts (MSI or MSI-X on `vector`), or 0: the event ring is polled. */
	unsigned vector;
	const char *irq_kind;		/* "MSI", "MSI-X" */
	struct atomic_waker irq_waker;	/* the event task, woken by the handler */
	_Atomic bool irq_seen;
	volatile uint64_t irq_cycles;	/* TSC at the handler's last entry */
};

extern const struct usb_hc_ops xhci_hc_ops;

/* Handles every event the controller has written; returns how many. */
unsigned xhci_hcd_events(struct xhci_hc *hc);
/* Whether anything is in flight that a person waits on (commands, control
 * transfers, endpoint recovery): the event task then polls every tick. */
bool xhci_hcd_busy(const struct xhci_hc *hc);

/* DMA frames: zeroed, below 4 GiB if the controller cannot reach above. */
bool xhci_dma_alloc(struct xhci_hc *hc, struct dma_frame *f);
void xhci_dma_free(struct dma_frame *f);

/* PCI: finds xHCI controllers and starts a task for each (start.c).
 * @mode is usb=: "on", "poll" (no interrupts), or a test fault.
 * Returns how many were found. */
unsigned xhci_start_all(const struct pci_func *funcs, unsigned n, struct usb_bus_hooks hooks,
			const char *fault);
/* "MSI", "MSI-X" or "poll": how the first controller learns of events. */
const char *xhci_events_mode(void);
/* TSC when an event task last started looking at its event ring (for an
 * interrupt: when its handler was entered). */
uint64_t xhci_events_cycles(void);
/* The bus of running controller @i, or NULL past the last. */
struct usb_bus *xhci_bus(unsigned i);

#endif
