/*
 * core.c — see core.h: pending operations, timed waits, device lifetime.
 */
#include "kernel/usb/core.h"

#include <stdarg.h>

#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "mm/heap.h"
#include "sched/executor.h"

const char *usb_status_text(enum usb_status s)
{
	switch (s) {
	case USB_OK: return "ok";
	case USB_PENDING: return "pending";
	case USB_STALL: return "stalled";
	case USB_XACT_ERROR: return "transaction error";
	case USB_BABBLE: return "babble";
	case USB_GONE: return "device gone";
	case USB_HC_ERROR: return "controller error";
	case USB_NO_MEMORY: return "out of memory";
	case USB_TIMEOUT: return "timed out";
	}
	return "?";
}

/* ---- operations ---------------------------------------------------------- */

static enum poll op_poll(struct future *f, struct context *cx)
{
	struct usb_op *op = (struct usb_op *)f;

	if (usb_op_done(op))
		return POLL_READY;
	waker_drop(&op->waker);
	op->waker = waker_clone(cx->waker);
	return POLL_PENDING;
}

/* Abandoned by a select: forget the waiter, keep the operation. */
static void op_drop(struct future *f)
{
	waker_drop(&((struct usb_op *)f)->waker);
}

static const struct future_ops op_ops = { .name = "usb_op", .poll = op_poll,
					  .drop = op_drop };

void usb_op_init(struct usb_op *op)
{
	*op = (struct usb_op){ .base = { &op_ops }, .status = USB_PENDING };
}

void usb_op_complete(struct usb_op *op, enum usb_status status, uint32_t actual)
{
	if (usb_op_done(op))
		return;		/* a second completion would be a driver bug */
	op->status = status == USB_PENDING ? USB_HC_ERROR : status;
	op->actual = actual;
	if (waker_is_set(&op->waker))
		waker_wake(&op->waker);
}

void usb_address(struct usb_device *dev, struct usb_op *op)
{
	if (dev->released) {
		usb_op_complete(op, USB_GONE, 0);
		return;
	}
	dev->addressed = true;	/* from now on the controller may hold state */
	dev->bus->hc->address_device(dev->bus, dev, op);
}

void usb_update_ep0(struct usb_device *dev, struct usb_op *op)
{
	if (dev->released)
		usb_op_complete(op, USB_GONE, 0);
	else
		dev->bus->hc->update_ep0(dev->bus, dev, op);
}

void usb_configure(struct usb_device *dev, const struct usb_endpoint *eps, unsigned n,
		   const struct usb_hub_caps *hub, struct usb_op *op)
{
	if (dev->released)
		usb_op_complete(op, USB_GONE, 0);
	else
		dev->bus->hc->configure(dev->bus, dev, eps, n, hub, op);
}

void usb_control(struct usb_device *dev, const struct usb_setup *setup, void *data,
		 struct usb_op *op)
{
	if (dev->released)
		usb_op_complete(op, USB_GONE, 0);
	else
		dev->bus->hc->control(dev->bus, dev, setup, data, op);
}

void usb_interrupt_in(struct usb_device *dev, const struct usb_endpoint *ep, void *buf,
		      uint16_t len, struct usb_op *op)
{
	if (dev->released)
		usb_op_complete(op, USB_GONE, 0);
	else
		dev->bus->hc->interrupt_in(dev->bus, dev, ep, buf, len, op);
}

/* ---- timed waits ------------------------------------------------------------ */

static enum poll wait_poll(struct future *f, struct context *cx)
{
	struct usb_wait *w = (struct usb_wait *)f;

	if (future_poll(&w->op->base, cx) == POLL_READY) {
		future_drop(&w->nap.base);	/* its timer must not outlive us */
		return POLL_READY;
	}
	if (future_poll(&w->nap.base, cx) == POLL_PENDING)
		return POLL_PENDING;
	future_drop(&w->op->base);
	usb_device_release(w->dev);
	if (!usb_op_done(w->op))
		usb_op_complete(w->op, USB_GONE, 0);	/* a controller that forgot it */
	w->op->status = USB_TIMEOUT;
	return POLL_READY;
}

static void wait_drop(struct future *f)
{
	struct usb_wait *w = (struct usb_wait *)f;

	future_drop(&w->op->base);
	future_drop(&w->nap.base);
}

static const struct future_ops wait_ops = { .name = "usb_wait", .poll = wait_poll,
					    .drop = wait_drop };

void usb_wait_init(struct usb_wait *w, struct usb_device *dev, struct usb_op *op,
		   uint64_t ms)
{
	w->base.ops = &wait_ops;
	w->dev = dev;
	w->op = op;
	sleep_ms_init(&w->nap, ms);
}

/* ---- devices ------------------------------------------------------------------ */

static void place_device(struct usb_device *d, struct usb_device *parent, unsigned port,
			 unsigned root_port)
{
	d->parent = parent;
	d->port = (uint8_t)port;
	if (!parent) {
		d->root_port = (uint8_t)root_port;
		fmt_snprintf(d->path, sizeof d->path, "%u", port);
		return;
	}
	d->root_port = parent->root_port;
	d->depth = parent->depth + 1;
	/* A tier's nibble holds ports 1..15; hubs with more ports cannot be
	 * addressed past 15 (xHCI 8.9), and the hub code never asks. */
	d->route = parent->route | (uint32_t)(port & 0xf) << (4 * parent->depth);
	fmt_snprintf(d->path, sizeof d->path, "%s.%u", parent->path, port);
	if (d->speed == USB_SPEED_LOW || d->speed == USB_SPEED_FULL) {
		if (parent->speed == USB_SPEED_HIGH) {
			d->tt_hub = parent;
			d->tt_port = (uint8_t)port;
		} else {
			d->tt_hub = parent->tt_hub;
			d->tt_port = parent->tt_port;
		}
	}
}

struct usb_device *usb_device_new(struct usb_bus *bus, struct usb_device *parent,
				  unsigned port, unsigned root_port, enum usb_speed speed)
{
	struct usb_device *d = kcalloc(1, sizeof *d);

	if (!d)
		return NULL;
	d->bus = bus;
	d->speed = speed;
	d->refs = 1;
	d->ep0_packet = usb_ep0_default_packet_size(speed);
	place_device(d, parent, port, root_port);
	if (parent)
		usb_device_ref(parent);	/* its TT and route outlive us */
	struct usb_device **tail = &bus->devices;	/* kept in order of arrival */
	while (*tail)
		tail = &(*tail)->next;
	*tail = d;
	return d;
}

void usb_device_ref(struct usb_device *dev)
{
	dev->refs++;
}

bool usb_driver_spawn(struct usb_device *dev, const struct future *init, size_t size)
{
	usb_device_ref(dev);
	if (spawn_detached_on(dev->bus->executor, init, size))
		return true;
	usb_device_put(dev);
	return false;
}

void usb_device_release(struct usb_device *dev)
{
	if (dev->released)
		return;
	dev->released = true;
	if (dev->addressed)
		dev->bus->hc->release(dev->bus, dev);
	dev->addressed = false;
}

static void unlink_device(struct usb_device *dev)
{
	struct usb_device **pp = &dev->bus->devices;

	while (*pp && *pp != dev)
		pp = &(*pp)->next;
	if (*pp)
		*pp = dev->next;
}

void usb_device_put(struct usb_device *dev)
{
	struct usb_device *parent = dev->parent;

	if (--dev->refs)
		return;
	usb_device_release(dev);
	unlink_device(dev);
	kfree(dev->hub);	/* hub.c's state, one block */
	kfree(dev);
	if (parent)
		usb_device_put(parent);
}

void usb_log(struct usb_bus *bus, enum usb_log_level level, const char *fmt, ...)
{
	char line[160];
	va_list ap;

	if (!bus->hooks.log)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	bus->hooks.log(bus->hooks.ctx, level, line);
}
