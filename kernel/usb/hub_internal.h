/*
 * hub_internal.h — what hub.c (ports, bus task) and hub_driver.c (external
 * hubs) share.  Not for anyone else.
 */
#ifndef COOP_KERNEL_USB_HUB_INTERNAL_H
#define COOP_KERNEL_USB_HUB_INTERNAL_H

#include "kernel/usb/hub.h"
#include "sched/async.h"

enum port_req_kind {
	PORT_GET_STATUS,
	PORT_SET_FEATURE,	/* arg: the feature */
	PORT_CLEAR_CHANGES,	/* arg: wPortChange bits to clear */
};

/* One request to a hub port, root or external: a future. */
struct port_req {
	ASYNC_STATE;
	struct usb_hub *hub;
	unsigned port;
	enum port_req_kind kind;
	uint16_t arg;
	unsigned i;
	struct usb_op op;
	struct usb_wait wait;
	uint8_t buf[4];
	/* Out. */
	bool ok;
	uint16_t status, change;
	enum usb_speed speed;
};

void port_req_init(struct port_req *r, struct usb_hub *hub, unsigned port,
		   enum port_req_kind kind, uint16_t arg);

/* A hub with @ports ports and no children, not yet on the bus; NULL when
 * out of memory.  Freed with kfree (core.c frees dev->hub with its device). */
struct usb_hub *usb_hub_new(struct usb_bus *bus, struct usb_device *dev, unsigned ports);
/* Puts @h on the bus and marks each of its ports pending. */
void usb_hub_add(struct usb_hub *h);
/*
 * What a port's status says at once, before the bus task gets to it: a
 * device that left (not connected, or a connection change) is released
 * now, with everything below it, and so is a device being enumerated
 * there.  The bus task is serial and may be waiting out a timeout on a
 * device that is already gone; nothing else should wait for that.
 */
void usb_hub_port_changed(struct usb_hub *hub, unsigned port, uint16_t status,
			  uint16_t change);
/* Port @port of @hub needs a look: wakes the bus task. */
void usb_hub_mark_pending(struct usb_hub *hub, unsigned port);

#endif
