/*
 * hub.h — hubs, root and external, and the bus task that serves their ports.
 *
 * A hub only tells us that something changed on a port; what to do is ours
 * (USB 2.0 11.5, 11.24; USB 3.2 10.3, 10.14).  On a connect we wait 100 ms
 * for the contacts to settle, reset the port, learn the device's speed and
 * enumerate it (enum.c); on a disconnect we release the device and, if it
 * was a hub, everything below it.
 *
 * The root hub is the controller's own ports, reached through synchronous
 * register calls (usb_hc_ops.root_port_*).  An external hub is a device: its
 * ports are reached with class requests on endpoint 0, and it reports port
 * changes on an interrupt IN endpoint, which its hub task keeps polled.
 * Both mark ports "pending"; one bus task looks at pending ports one at a
 * time, as Linux's hub_wq does, so two devices are never enumerated at once.
 */
#ifndef COOP_KERNEL_USB_HUB_H
#define COOP_KERNEL_USB_HUB_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/usb/core.h"

#define USB_MAX_HUB_DEPTH 5	/* tiers of hubs below the root hub (USB 2.0 4.1.1) */

/* Timing (USB 2.0 7.1.7.3, 7.1.7.5, 9.2.6.2). */
#define USB_DEBOUNCE_MS 100
#define USB_RESET_TIMEOUT_MS 500
#define USB_RESET_POLL_MS 10
#define USB_RESET_RECOVERY_MS 10
#define USB_ENUM_ATTEMPTS 2

struct usb_hub {
	struct usb_bus *bus;
	struct usb_device *dev;		/* NULL: the root hub */
	unsigned ports;
	bool super;			/* SuperSpeed port status format */
	bool gone;			/* its device was released */
	uint32_t pending[8];		/* bit n: port n needs a look */
	uint32_t gave_up[8];		/* bit n: its device failed; until unplugged */
	struct usb_hub *next;		/* in the bus's hub list */
	struct usb_device *child[];	/* [ports + 1]; child[0] unused */
};

/*
 * Creates the root hub with bus->root_ports ports, marks every port
 * pending, and spawns the bus task on bus->executor.  False when out of
 * memory (nothing is left allocated).  bus->hc, hooks, root_ports and
 * executor must be set.
 */
bool usb_bus_start(struct usb_bus *bus);

/*
 * Releases every device (their tasks end when they next run) and ends the
 * bus task, which frees the root hub and sets bus->stopped.  For a
 * controller that died, and for tests.
 */
void usb_bus_stop(struct usb_bus *bus);

/* The controller saw a root-port change (executor context). */
void usb_bus_root_port_changed(struct usb_bus *bus, unsigned port);

/* The device behind a port, or NULL; @hub NULL means the root hub. */
struct usb_device *usb_hub_child(struct usb_bus *bus, struct usb_device *hub, unsigned port);

/* Starts the hub driver for a freshly enumerated hub device (enum.c):
 * spawns its task, which configures it and then serves its ports. */
bool usb_hub_driver_start(struct usb_device *dev, const struct usb_config *cfg);

#endif
