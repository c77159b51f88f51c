/*
 * core.h — USB devices, the host-controller contract, and pending operations.
 *
 * kernel/usb/ holds the logic every host controller shares: enumeration
 * (enum.c), hubs and the bus task (hub.c), and the keyboard driver
 * (usb_kbd.c).  It talks to a controller only through struct usb_hc_ops, so
 * it runs unchanged over the xHCI driver in the kernel and over a simulated
 * controller in the host tests (test/unit/usb_fake_hc.c).
 *
 * Every controller operation is asynchronous.  The caller hands the
 * controller a struct usb_op and awaits it: a usb_op is a future that becomes
 * READY when the controller calls usb_op_complete() on it, from executor
 * context (the xHCI driver does so from its event-ring task).  Dropping the
 * future (a select that timed out) only forgets the waker: the operation
 * stays in flight and may be awaited again.
 *
 *     usb_op_init(&self->op);
 *     usb_control(self->dev, &setup, buf, &self->op);
 *     AWAIT(&self->op);
 *     if (self->op.status != USB_OK) ...
 *
 * Lifetime: a struct usb_device is reference counted.  The hub that found it
 * holds one reference, and each driver task one more.  When the device goes
 * (unplugged, or given up on) usb_device_release() tells the controller to
 * forget it, which completes every operation still pending on it with
 * USB_GONE; the driver task sees that, cleans up and drops its reference.
 */
#ifndef COOP_KERNEL_USB_CORE_H
#define COOP_KERNEL_USB_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/usb/desc.h"
#include "kernel/usb/usb.h"
#include "sched/future.h"
#include "sched/timer.h"

enum usb_status {
	USB_OK = 0,
	USB_PENDING,		/* not completed yet */
	USB_STALL,		/* the device refused the request */
	USB_XACT_ERROR,		/* the transaction failed (CRC, timeout on the wire) */
	USB_BABBLE,		/* the device sent more than asked */
	USB_GONE,		/* the device was released: unplugged or given up on */
	USB_HC_ERROR,		/* the controller failed the operation */
	USB_NO_MEMORY,
	USB_TIMEOUT,		/* no answer in time (set by usb_await_timeout) */
};

const char *usb_status_text(enum usb_status s);

/* A controller operation in flight, and the future that waits for it. */
struct usb_op {
	struct future base;
	enum usb_status status;
	uint32_t actual;	/* bytes transferred */
	struct waker waker;	/* who awaits it (may be unset) */
};

void usb_op_init(struct usb_op *op);
static inline bool usb_op_done(const struct usb_op *op)
{
	return op->status != USB_PENDING;
}
/* Controller side, executor context: records the result, wakes the waiter.
 * An op completes exactly once. */
void usb_op_complete(struct usb_op *op, enum usb_status status, uint32_t actual);

struct usb_bus;
struct usb_hub;

/* What the xHCI slot context needs to know about a device that is a hub. */
struct usb_hub_caps {
	uint8_t ports;
	uint8_t tt_think_time;	/* wHubCharacteristics bits 6..5 */
	bool multi_tt;
};

#define USB_PATH_MAX 24		/* "3.4.1.2.7" and the NUL */

struct usb_device {
	struct usb_bus *bus;
	struct usb_device *parent;	/* the hub it hangs off; NULL on a root port */
	uint8_t port;			/* on the parent (or root hub), from 1 */
	uint8_t root_port;		/* the root-hub port its path starts at */
	uint8_t depth;			/* hubs between it and the root hub */
	uint32_t route;			/* xHCI route string: a port per tier, 4 bits each */
	enum usb_speed speed;
	/* The high-speed hub whose transaction translator serves a low- or
	 * full-speed device, and its port there (USB 2.0 11.14). */
	struct usb_device *tt_hub;
	uint8_t tt_port;
	bool multi_tt;			/* this device is a hub with one TT per port */
	char path[USB_PATH_MAX];	/* ports from the root: "2", "2.3" */

	uint16_t ep0_packet;
	struct usb_device_desc desc;
	char product[48];		/* from its string descriptor, or "" */
	const char *driver;		/* "hub", "keyboard", or NULL */

	unsigned refs;
	bool addressed;			/* the controller knows it */
	bool released;			/* usb_device_release() ran */
	void *hc_priv;			/* the controller's per-device state */
	struct usb_hub *hub;		/* its hub state, if it is a hub */
	struct usb_device *next;	/* in the bus's device list */
};

/*
 * The controller contract.  Each asynchronous call completes @op exactly
 * once.  Calls on a released device are not made: the usb_*() wrappers
 * below complete the op with USB_GONE instead.
 */
struct usb_hc_ops {
	/* Give @dev (speed, route, root_port, tt_* filled in) a slot and a USB
	 * address, with endpoint 0 at dev->ep0_packet bytes. */
	void (*address_device)(struct usb_bus *bus, struct usb_device *dev,
			       struct usb_op *op);
	/* Endpoint 0's packet size changed to dev->ep0_packet. */
	void (*update_ep0)(struct usb_bus *bus, struct usb_device *dev, struct usb_op *op);
	/* A control transfer on endpoint 0.  @data (setup->length bytes, may be
	 * NULL if 0) stays valid until completion; op->actual says how much
	 * of it an IN transfer filled. */
	void (*control)(struct usb_bus *bus, struct usb_device *dev,
			const struct usb_setup *setup, void *data, struct usb_op *op);
	/* Sets up the endpoints of the chosen configuration (before the caller
	 * sends SET_CONFIGURATION).  @hub is non-NULL if @dev is a hub. */
	void (*configure)(struct usb_bus *bus, struct usb_device *dev,
			  const struct usb_endpoint *eps, unsigned n_eps,
			  const struct usb_hub_caps *hub, struct usb_op *op);
	/* Queues one interrupt IN transfer of up to @len bytes into @buf. */
	void (*interrupt_in)(struct usb_bus *bus, struct usb_device *dev,
			     const struct usb_endpoint *ep, void *buf, uint16_t len,
			     struct usb_op *op);
	/* Forget @dev: complete its pending ops with USB_GONE now, free its
	 * slot.  Synchronous from the caller's view. */
	void (*release)(struct usb_bus *bus, struct usb_device *dev);

	/* Root-hub ports, numbered from 1.  Status in hub format (usb.h's
	 * USB_PORT_STAT_* and USB_PORT_C_*); synchronous register accesses. */
	void (*root_port_status)(struct usb_bus *bus, unsigned port, uint16_t *status,
				 uint16_t *change, enum usb_speed *speed);
	void (*root_port_clear)(struct usb_bus *bus, unsigned port, uint16_t change);
	void (*root_port_reset)(struct usb_bus *bus, unsigned port);
};

enum usb_log_level { USB_LOG_INFO, USB_LOG_WARN };

/* What the kernel (or a test) gives the bus.  Called in executor context. */
struct usb_bus_hooks {
	/* One line, no newline. */
	void (*log)(void *ctx, enum usb_log_level level, const char *line);
	/* A keyboard's key went down (again, if @pressed and already down: a
	 * typematic repeat) or up; @key is an enum kbd_key. */
	void (*key)(void *ctx, unsigned key, bool pressed);
	/* The number of keyboards attached changed. */
	void (*keyboards_changed)(void *ctx, unsigned count);
	void *ctx;
};

/* One host controller's USB: its root hub and everything below. */
struct executor;

struct usb_bus {
	const char *name;		/* for messages: "xhci 00:04.0" */
	struct executor *executor;	/* where its tasks run */
	const struct usb_hc_ops *hc;
	void *hc_ctx;
	struct usb_bus_hooks hooks;
	unsigned root_ports;

	struct usb_hub *hubs;		/* the root hub first, then external ones */
	struct usb_device *devices;	/* every device not yet freed */
	struct usb_kbd_state *keyboards;	/* usb_kbd.c's list */
	unsigned n_keyboards;
	uint8_t leds;			/* lock LEDs all keyboards should show */
	struct usb_device *enumerating;	/* the device enum.c is setting up */
	struct waker waker;		/* the bus task, while it waits for work */
	bool work;			/* a hub has ports to look at */
	bool stopping;			/* usb_bus_stop() was called */
	bool stopped;			/* ... and the bus task has ended */
};

/* Wrappers: the only way to call the controller for a device.  A released
 * device's op completes at once with USB_GONE and the controller is not
 * called (it has forgotten the device). */
void usb_address(struct usb_device *dev, struct usb_op *op);
void usb_update_ep0(struct usb_device *dev, struct usb_op *op);
void usb_configure(struct usb_device *dev, const struct usb_endpoint *eps, unsigned n,
		   const struct usb_hub_caps *hub, struct usb_op *op);
void usb_control(struct usb_device *dev, const struct usb_setup *setup, void *data,
		 struct usb_op *op);
void usb_interrupt_in(struct usb_device *dev, const struct usb_endpoint *ep, void *buf,
		      uint16_t len, struct usb_op *op);

/*
 * A future that waits for @op or for @ms milliseconds, whichever comes
 * first.  On timeout it releases @dev (so @op completes with USB_GONE and
 * the device is given up on) and sets op->status to USB_TIMEOUT.  For
 * control requests: USB 2.0 (9.2.6.4) gives a device 5 s at most.
 */
struct usb_wait {
	struct future base;
	struct usb_device *dev;
	struct usb_op *op;
	struct sleep_future nap;
};

#define USB_CONTROL_TIMEOUT_MS 5000

void usb_wait_init(struct usb_wait *w, struct usb_device *dev, struct usb_op *op,
		   uint64_t ms);

/* A new device below @parent (NULL: a root port) at @port, with its route,
 * depth, path and transaction translator worked out.  One reference, held
 * by the caller; NULL when out of memory. */
struct usb_device *usb_device_new(struct usb_bus *bus, struct usb_device *parent,
				  unsigned port, unsigned root_port, enum usb_speed speed);
void usb_device_ref(struct usb_device *dev);
/* Drops a reference; frees @dev with the last one (releasing it first). */
void usb_device_put(struct usb_device *dev);
/* Starts a driver task for @dev on the bus's executor, holding a reference
 * to @dev that the task drops when it ends.  False (and no reference kept)
 * when the task cannot be spawned. */
bool usb_driver_spawn(struct usb_device *dev, const struct future *init, size_t size);
/* Tells the controller to forget @dev and its pending ops (idempotent). */
void usb_device_release(struct usb_device *dev);

/* Formats one log line through the bus hooks. */
void usb_log(struct usb_bus *bus, enum usb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
