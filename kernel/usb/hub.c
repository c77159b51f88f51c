/*
 * hub.c — see hub.h.  Three async functions:
 *
 *   port_req    one request to a hub port (status, set or clear a feature):
 *               a register access on the root hub, a class request on an
 *               external one;
 *   port_work   what one port change means: disconnect, or debounce, reset
 *               and enumerate (the bus task awaits it, one port at a time);
 *   usb_bus     the bus task: finds pending ports and runs port_work.
 *
 * and the hub driver (hub_driver.c) configures external hubs and feeds
 * their port changes in.
 */
#include "kernel/usb/hub.h"

#include "kernel/lib/fmt.h"
#include "kernel/usb/enum.h"
#include "kernel/usb/hub_internal.h"
#include "mm/heap.h"
#include "sched/executor.h"

/* ---- pending ports ------------------------------------------------------- */

static bool bit_test(const uint32_t *map, unsigned n)
{
	return map[n / 32] & (1u << (n % 32));
}

void usb_hub_mark_pending(struct usb_hub *hub, unsigned port)
{
	struct usb_bus *bus = hub->bus;

	if (port == 0 || port > hub->ports)
		return;
	hub->pending[port / 32] |= 1u << (port % 32);
	bus->work = true;
	if (waker_is_set(&bus->waker))
		waker_wake(&bus->waker);
}

void usb_bus_root_port_changed(struct usb_bus *bus, unsigned port)
{
	struct usb_hub *root = bus->hubs;	/* the root hub is first */
	uint16_t status, change;
	enum usb_speed speed;

	if (!root || port == 0 || port > root->ports)
		return;
	bus->hc->root_port_status(bus, port, &status, &change, &speed);
	usb_hub_port_changed(root, port, status, change);
	usb_hub_mark_pending(root, port);
}

/* The first pending port of any live hub, its bit cleared. */
static bool next_pending(struct usb_bus *bus, struct usb_hub **hub, unsigned *port)
{
	for (struct usb_hub *h = bus->hubs; h; h = h->next) {
		if (h->gone)
			continue;
		for (unsigned p = 1; p <= h->ports; p++) {
			if (!bit_test(h->pending, p))
				continue;
			h->pending[p / 32] &= ~(1u << (p % 32));
			*hub = h;
			*port = p;
			return true;
		}
	}
	return false;
}

struct usb_device *usb_hub_child(struct usb_bus *bus, struct usb_device *hubdev,
				 unsigned port)
{
	struct usb_hub *h = hubdev ? hubdev->hub : bus->hubs;

	if (!h || port == 0 || port > h->ports)
		return NULL;
	return h->child[port];
}

/* ---- detaching ------------------------------------------------------------ */

static void unlink_hub(struct usb_hub *hub)
{
	struct usb_hub **pp = &hub->bus->hubs;

	while (*pp && *pp != hub)
		pp = &(*pp)->next;
	if (*pp)
		*pp = hub->next;
}

/* Releases @dev and everything below it, children first, and drops the
 * reference its hub held.  Its driver tasks see USB_GONE and end. */
static void detach(struct usb_device *dev)
{
	struct usb_hub *h = dev->hub;

	if (h && !h->gone) {
		h->gone = true;
		unlink_hub(h);
		for (unsigned p = 1; p <= h->ports; p++) {
			if (h->child[p])
				detach(h->child[p]);
			h->child[p] = NULL;
		}
	}
	usb_log(dev->bus, USB_LOG_INFO, "usb %s: %s disconnected", dev->path,
		dev->driver ? dev->driver : "device");
	usb_device_release(dev);
	usb_device_put(dev);
}

/* Whether @dev is at, or below, port @port of hub device @hubdev (NULL:
 * the root hub). */
static bool below(const struct usb_device *dev, const struct usb_device *hubdev,
		  unsigned port)
{
	for (; dev; dev = dev->parent)
		if (dev->parent == hubdev && dev->port == port)
			return true;
	return false;
}

void usb_hub_port_changed(struct usb_hub *hub, unsigned port, uint16_t status,
			  uint16_t change)
{
	struct usb_bus *bus = hub->bus;
	struct usb_device *child = hub->child[port];

	if ((status & USB_PORT_STAT_CONNECTION) && !(change & USB_PORT_C_CONNECTION))
		return;
	if (child) {
		hub->child[port] = NULL;
		detach(child);
	}
	if (bus->enumerating && below(bus->enumerating, hub->dev, port))
		usb_device_release(bus->enumerating);
}

/* ---- one request to a port ---------------------------------------------------- */

/* Change bit n of wPortChange and the feature that clears it. */
static const uint8_t change_features[8] = {
	USB_PORT_FEAT_C_CONNECTION, USB_PORT_FEAT_C_ENABLE, USB_PORT_FEAT_C_SUSPEND,
	USB_PORT_FEAT_C_OVER_CURRENT, USB_PORT_FEAT_C_RESET, USB_PORT_FEAT_C_BH_RESET,
	USB_PORT_FEAT_C_LINK_STATE, USB_PORT_FEAT_C_CONFIG_ERROR,
};

static enum usb_speed external_speed(const struct usb_hub *hub, uint16_t status)
{
	if (hub->super)
		return USB_SPEED_SUPER;
	if (status & USB_PORT_STAT_LOW_SPEED)
		return USB_SPEED_LOW;
	if (status & USB_PORT_STAT_HIGH_SPEED)
		return USB_SPEED_HIGH;
	return USB_SPEED_FULL;
}

/* The root hub answers at once. */
static void root_req(struct port_req *r)
{
	struct usb_bus *bus = r->hub->bus;

	r->ok = true;
	switch (r->kind) {
	case PORT_GET_STATUS:
		bus->hc->root_port_status(bus, r->port, &r->status, &r->change, &r->speed);
		break;
	case PORT_SET_FEATURE:
		if (r->arg == USB_PORT_FEAT_RESET)
			bus->hc->root_port_reset(bus, r->port);
		break;		/* root ports are powered by the controller driver */
	case PORT_CLEAR_CHANGES:
		bus->hc->root_port_clear(bus, r->port, r->arg);
		break;
	}
}

static void start_external(struct port_req *r, uint8_t request, uint16_t value,
			   void *data, uint16_t length)
{
	struct usb_setup s = {
		(uint8_t)((data ? USB_DIR_IN : USB_DIR_OUT) | USB_TYPE_CLASS | USB_RECIP_OTHER),
		request, value, (uint16_t)r->port, length,
	};

	usb_op_init(&r->op);
	usb_control(r->hub->dev, &s, data, &r->op);
	usb_wait_init(&r->wait, r->hub->dev, &r->op, USB_CONTROL_TIMEOUT_MS);
}

/* The next change bit still to clear, from bit r->i on; false if none. */
static bool next_change(struct port_req *r)
{
	while (r->i < 8 && !(r->arg & (1u << r->i)))
		r->i++;
	return r->i < 8;
}

ASYNC_FN(port_req, struct port_req)
{
	ASYNC_BEGIN();
	if (!self->hub->dev) {
		root_req(self);
		ASYNC_RETURN();
	}
	if (self->kind == PORT_GET_STATUS) {
		start_external(self, USB_REQ_GET_STATUS, 0, self->buf, 4);
		AWAIT(&self->wait);
		self->ok = self->op.status == USB_OK && self->op.actual >= 4;
		self->status = usb_le16(self->buf);
		self->change = usb_le16(self->buf + 2);
		self->speed = external_speed(self->hub, self->status);
	} else if (self->kind == PORT_SET_FEATURE) {
		start_external(self, USB_REQ_SET_FEATURE, self->arg, NULL, 0);
		AWAIT(&self->wait);
		self->ok = self->op.status == USB_OK;
	} else {
		self->ok = true;
		for (self->i = 0; next_change(self); self->i++) {
			start_external(self, USB_REQ_CLEAR_FEATURE, change_features[self->i],
				       NULL, 0);
			AWAIT(&self->wait);
			self->ok &= self->op.status == USB_OK;
		}
	}
	ASYNC_END();
}

void port_req_init(struct port_req *r, struct usb_hub *hub, unsigned port,
		   enum port_req_kind kind, uint16_t arg)
{
	*r = (struct port_req){ ASYNC_INIT(port_req), .hub = hub, .port = port,
				.kind = kind, .arg = arg };
}

/* ---- what a port change means ---------------------------------------------------- */

struct port_work {
	ASYNC_STATE;
	struct usb_hub *hub;
	unsigned port;
	struct port_req req;
	struct sleep_future nap;
	struct usb_enum en;
	uint16_t status, change;	/* as last read */
	enum usb_speed speed;
	unsigned attempt, waited;
	char error[64];
};

static void get_status(struct port_work *w)
{
	port_req_init(&w->req, w->hub, w->port, PORT_GET_STATUS, 0);
}

/* Keeps the status just read; false if it could not be read. */
static bool take_status(struct port_work *w)
{
	w->status = w->req.status;
	w->change = w->req.change;
	w->speed = w->req.speed;
	return w->req.ok;
}

static bool connected(const struct port_work *w)
{
	return w->status & USB_PORT_STAT_CONNECTION;
}

static const char *hub_path(const struct port_work *w)
{
	return w->hub->dev ? w->hub->dev->path : "root";
}

/* After the first status read: what the change means for a device already
 * on the port. */
static void handle_existing(struct port_work *w)
{
	struct usb_hub *h = w->hub;
	struct usb_device *child = h->child[w->port];

	if ((w->change & USB_PORT_C_OVER_CURRENT) && (w->status & USB_PORT_STAT_OVER_CURRENT))
		usb_log(h->bus, USB_LOG_WARN, "usb %s: port %u: over-current", hub_path(w),
			w->port);
	if (child && (!connected(w) || (w->change & USB_PORT_C_CONNECTION))) {
		h->child[w->port] = NULL;
		detach(child);
	}
	if (!connected(w))
		h->gave_up[w->port / 32] &= ~(1u << (w->port % 32));
}

/* Whether there is a new device to enumerate. */
static bool wants_enumeration(const struct port_work *w)
{
	return connected(w) && !w->hub->child[w->port] && !bit_test(w->hub->gave_up, w->port);
}

/* Reset is over once the port left the reset state enabled, or the hub
 * says the reset ended (enabled or not), or the device went. */
static bool reset_done(const struct port_work *w)
{
	if (!connected(w))
		return true;
	if (w->status & USB_PORT_STAT_RESET)
		return false;
	return (w->status & USB_PORT_STAT_ENABLE) || (w->change & USB_PORT_C_RESET);
}

static uint16_t reset_changes(const struct port_work *w)
{
	return w->change & (USB_PORT_C_RESET | USB_SS_PORT_C_BH_RESET);
}

static void give_up(struct port_work *w)
{
	struct usb_hub *h = w->hub;

	h->gave_up[w->port / 32] |= 1u << (w->port % 32);
	usb_log(h->bus, USB_LOG_WARN,
		"usb %s: port %u: %s; ignoring the port until the device is unplugged",
		hub_path(w), w->port, w->error);
}

/* The enumerated device, if the hub is still there to hold it. */
static void adopt(struct port_work *w)
{
	if (w->hub->gone || w->hub->bus->stopping) {
		usb_device_release(w->en.dev);
		usb_device_put(w->en.dev);
		return;
	}
	w->hub->child[w->port] = w->en.dev;
}

static void start_enum(struct port_work *w)
{
	usb_enum_init(&w->en, w->hub->bus, w->hub->dev, w->port,
		      w->hub->dev ? w->hub->dev->root_port : w->port, w->speed);
}

ASYNC_FN(port_work, struct port_work)
{
	ASYNC_BEGIN();
	get_status(self);
	AWAIT(&self->req);
	if (!take_status(self))
		ASYNC_RETURN();		/* the hub itself is going away */
	handle_existing(self);
	if (self->change) {
		port_req_init(&self->req, self->hub, self->port, PORT_CLEAR_CHANGES,
			      self->change);
		AWAIT(&self->req);
	}
	if (!wants_enumeration(self))
		ASYNC_RETURN();

	/* Debounce: the contacts must settle for 100 ms (USB 2.0 7.1.7.3). */
	sleep_ms_init(&self->nap, USB_DEBOUNCE_MS);
	AWAIT(&self->nap);
	get_status(self);
	AWAIT(&self->req);
	if (!take_status(self) || !connected(self) || (self->change & USB_PORT_C_CONNECTION)) {
		usb_hub_mark_pending(self->hub, self->port);	/* look again */
		ASYNC_RETURN();
	}

	for (self->attempt = 0; self->attempt < USB_ENUM_ATTEMPTS; self->attempt++) {
		port_req_init(&self->req, self->hub, self->port, PORT_SET_FEATURE,
			      USB_PORT_FEAT_RESET);
		AWAIT(&self->req);
		for (self->waited = 0; self->waited < USB_RESET_TIMEOUT_MS;
		     self->waited += USB_RESET_POLL_MS) {
			sleep_ms_init(&self->nap, USB_RESET_POLL_MS);
			AWAIT(&self->nap);
			get_status(self);
			AWAIT(&self->req);
			if (!take_status(self))
				ASYNC_RETURN();
			if (reset_done(self))
				break;
		}
		if (reset_changes(self)) {
			port_req_init(&self->req, self->hub, self->port, PORT_CLEAR_CHANGES,
				      reset_changes(self));
			AWAIT(&self->req);
		}
		if (!connected(self)) {
			usb_hub_mark_pending(self->hub, self->port);
			ASYNC_RETURN();		/* unplugged during the reset */
		}
		if (!(self->status & USB_PORT_STAT_ENABLE)) {
			fmt_snprintf(self->error, sizeof self->error, "%s",
				     self->status & USB_PORT_STAT_RESET
					     ? "port reset did not end" : "port reset failed");
			continue;
		}
		sleep_ms_init(&self->nap, USB_RESET_RECOVERY_MS);
		AWAIT(&self->nap);
		start_enum(self);
		AWAIT(&self->en);
		if (self->en.dev) {
			adopt(self);
			ASYNC_RETURN();
		}
		fmt_snprintf(self->error, sizeof self->error, "%s", self->en.error);
	}
	give_up(self);
	ASYNC_END();
}

/* ---- the bus task ------------------------------------------------------------------ */

struct bus_wait {
	struct future base;
	struct usb_bus *bus;
};

static enum poll bus_wait_poll(struct future *f, struct context *cx)
{
	struct usb_bus *bus = ((struct bus_wait *)f)->bus;

	if (bus->work) {
		bus->work = false;
		return POLL_READY;
	}
	waker_drop(&bus->waker);
	bus->waker = waker_clone(cx->waker);
	return POLL_PENDING;
}

static void bus_wait_drop(struct future *f)
{
	waker_drop(&((struct bus_wait *)f)->bus->waker);
}

static const struct future_ops bus_wait_ops = { .name = "usb_bus_wait",
						.poll = bus_wait_poll, .drop = bus_wait_drop };

struct bus_task {
	ASYNC_STATE;
	struct usb_bus *bus;
	struct bus_wait wait;
	struct usb_hub *hub;
	unsigned port;
	struct port_work work;
};

/* Cancelled instead of stopped: release every device (so nothing stays in
 * flight into freed memory) and free the root hub, as the end of the task
 * would. */
static void usb_bus_cleanup(struct bus_task *t)
{
	usb_bus_stop(t->bus);
	waker_drop(&t->bus->waker);
	kfree(t->bus->hubs);
	t->bus->hubs = NULL;
	t->bus->stopped = true;
}

ASYNC_FN_CLEANUP(usb_bus, struct bus_task, usb_bus_cleanup)
{
	ASYNC_BEGIN();
	while (!self->bus->stopping) {
		while (!self->bus->stopping &&
		       next_pending(self->bus, &self->hub, &self->port)) {
			if (self->hub->dev)	/* keeps the hub alive while we work */
				usb_device_ref(self->hub->dev);
			self->work = (struct port_work){ ASYNC_INIT(port_work), .hub = self->hub,
							 .port = self->port };
			AWAIT(&self->work);
			if (self->hub->dev)
				usb_device_put(self->hub->dev);
		}
		self->wait = (struct bus_wait){ { &bus_wait_ops }, self->bus };
		AWAIT(&self->wait);
	}
	waker_drop(&self->bus->waker);
	kfree(self->bus->hubs);		/* only the root hub is left */
	self->bus->hubs = NULL;
	self->bus->stopped = true;
	ASYNC_END();
}

struct usb_hub *usb_hub_new(struct usb_bus *bus, struct usb_device *dev, unsigned ports)
{
	struct usb_hub *h = kcalloc(1, sizeof *h + (ports + 1) * sizeof h->child[0]);

	if (!h)
		return NULL;
	h->bus = bus;
	h->dev = dev;
	h->ports = ports;
	return h;
}

/* Adds @h to the bus and asks for a look at every port. */
void usb_hub_add(struct usb_hub *h)
{
	struct usb_hub **pp = &h->bus->hubs;

	while (*pp)
		pp = &(*pp)->next;
	*pp = h;
	for (unsigned p = 1; p <= h->ports; p++)
		usb_hub_mark_pending(h, p);
}

void usb_bus_stop(struct usb_bus *bus)
{
	struct usb_hub *root = bus->hubs;

	bus->stopping = true;
	if (bus->enumerating)
		usb_device_release(bus->enumerating);
	for (unsigned p = 1; root && p <= root->ports; p++) {
		if (root->child[p])
			detach(root->child[p]);
		root->child[p] = NULL;
	}
	bus->work = true;
	if (waker_is_set(&bus->waker))
		waker_wake(&bus->waker);
}

bool usb_bus_start(struct usb_bus *bus)
{
	struct usb_hub *root = usb_hub_new(bus, NULL, bus->root_ports);
	struct bus_task t = { ASYNC_INIT(usb_bus), .bus = bus };

	if (!root)
		return false;
	if (!spawn_detached_on(bus->executor, &t.base, sizeof t)) {
		kfree(root);
		return false;
	}
	usb_hub_add(root);
	return true;
}
