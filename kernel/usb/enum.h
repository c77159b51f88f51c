/*
 * enum.h — enumeration: from "a device answers on this port" to a device
 * with an address, its descriptors read and checked, and a driver started.
 *
 * The steps (USB 2.0 9.1.2, 9.4; what Linux's hub_port_init and
 * usb_new_device do, for a controller that assigns addresses itself):
 *
 *   1. the controller gives the device a slot and an address, with
 *      endpoint 0 at the default packet size for its speed;
 *   2. the first 8 bytes of the device descriptor: bMaxPacketSize0, and
 *      endpoint 0 updated if it differs;
 *   3. the whole device descriptor, the configuration's 9-byte header, then
 *      the whole configuration (wTotalLength bytes), each parsed defensively;
 *   4. the product string, for the log (a device without one is fine);
 *   5. a driver: hub (hub.c) or boot keyboard (kbd/usb_kbd.c), which configures
 *      the device in its own task.  Other devices keep their address and
 *      are listed, unconfigured.
 *
 * Every request is bounded by USB_CONTROL_TIMEOUT_MS.
 */
#ifndef COOP_KERNEL_USB_ENUM_H
#define COOP_KERNEL_USB_ENUM_H

#include "kernel/usb/core.h"
#include "sched/async.h"

#define USB_CONFIG_MAX 4096	/* larger configurations are not for us */

struct usb_enum {
	ASYNC_STATE;
	/* In. */
	struct usb_bus *bus;
	struct usb_device *parent;
	unsigned port, root_port;
	enum usb_speed speed;
	/* Out: the device (one reference, the caller's) or NULL and why. */
	struct usb_device *dev;
	char error[64];
	/* Private. */
	struct usb_op op;
	struct usb_wait wait;
	uint8_t *buf;
	struct usb_config *cfg;
	uint16_t total, langid;
};

void usb_enum_init(struct usb_enum *e, struct usb_bus *bus, struct usb_device *parent,
		   unsigned port, unsigned root_port, enum usb_speed speed);

#endif
