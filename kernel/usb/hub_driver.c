/*
 * hub_driver.c — the driver of an external hub: configure it, power its
 * ports, then keep its status-change endpoint polled and pass every port it
 * flags to the bus task (hub.c).  USB 2.0 11.12-11.13 and 11.24; for
 * SuperSpeed hubs USB 3.2 10.14 (SET_HUB_DEPTH, the 12-byte descriptor).
 */
#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/usb/hub.h"
#include "kernel/usb/hub_internal.h"

#define HUB_DESC_MAX 71			/* 7 + two 32-byte port bitmaps */
#define HUB_POWER_MIN_MS 100		/* Linux waits at least this too */
#define HUB_ROUTE_PORTS 15		/* a route-string nibble */
#define HUB_ERROR_LIMIT 8
#define HUB_ERROR_BACKOFF_MS 100
#define HUB_C_LOCAL_POWER 0		/* hub class features (USB 2.0 table 11-17) */
#define HUB_C_OVER_CURRENT 1

struct hub_driver {
	ASYNC_STATE;
	struct usb_device *dev;
	struct usb_endpoint ep;
	uint8_t config_value;
	struct usb_hub_desc hd;
	struct usb_hub *hub;
	struct usb_op op;
	struct usb_wait wait;
	struct port_req req;
	struct sleep_future nap;
	unsigned i, errors;
	uint16_t hub_change;
	uint8_t changed[HUB_ROUTE_PORTS / 8 + 1];
	uint8_t buf[HUB_DESC_MAX + 1];
	char error[64];
};

static void request(struct hub_driver *h, struct usb_setup s, void *data)
{
	usb_op_init(&h->op);
	usb_control(h->dev, &s, data, &h->op);
	usb_wait_init(&h->wait, h->dev, &h->op, USB_CONTROL_TIMEOUT_MS);
}

static bool ok(struct hub_driver *h, const char *what)
{
	if (h->op.status == USB_OK)
		return true;
	fmt_snprintf(h->error, sizeof h->error, "%s: %s", what, usb_status_text(h->op.status));
	return false;
}

static bool take_descriptor(struct hub_driver *h)
{
	bool super = usb_speed_is_super(h->dev->speed);
	enum usb_desc_err e = usb_parse_hub_desc(h->buf, h->op.actual, super, &h->hd);

	if (e) {
		fmt_snprintf(h->error, sizeof h->error, "hub descriptor: %s",
			     usb_desc_err_text(e));
		return false;
	}
	return true;
}

static void start_configure(struct hub_driver *h)
{
	struct usb_hub_caps caps = { h->hd.num_ports, h->hd.tt_think_time, false };

	usb_op_init(&h->op);
	usb_configure(h->dev, &h->ep, 1, &caps, &h->op);
	usb_wait_init(&h->wait, h->dev, &h->op, USB_CONTROL_TIMEOUT_MS);
}

static bool make_hub(struct hub_driver *h)
{
	unsigned ports = h->hd.num_ports;

	if (ports > HUB_ROUTE_PORTS) {
		usb_log(h->dev->bus, USB_LOG_WARN, "usb %s: hub has %u ports; using the first %u",
			h->dev->path, ports, HUB_ROUTE_PORTS);
		ports = HUB_ROUTE_PORTS;
	}
	h->hub = usb_hub_new(h->dev->bus, h->dev, ports);
	if (!h->hub) {
		fmt_snprintf(h->error, sizeof h->error, "out of memory");
		return false;
	}
	h->hub->super = h->hd.super;
	h->dev->hub = h->hub;
	return true;
}

static unsigned power_wait_ms(const struct hub_driver *h)
{
	unsigned ms = 2u * h->hd.power_on_to_good_2ms;

	return ms > HUB_POWER_MIN_MS ? ms : HUB_POWER_MIN_MS;
}

static void start_status_poll(struct hub_driver *h)
{
	usb_op_init(&h->op);
	usb_interrupt_in(h->dev, &h->ep, h->buf, (uint16_t)(h->hub->ports / 8 + 1), &h->op);
}

/* Keeps the status-change bitmap: bit 0 the hub itself, bit n port n. */
static void take_changes(struct hub_driver *h)
{
	memset(h->changed, 0, sizeof h->changed);
	for (uint32_t i = 0; i < h->op.actual && i < sizeof h->changed; i++)
		h->changed[i] = h->buf[i];
}

static bool flagged(const struct hub_driver *h, unsigned bit)
{
	return h->changed[bit / 8] & (1u << (bit % 8));
}

static struct usb_setup hub_request(uint8_t request, uint16_t value, uint16_t length)
{
	return (struct usb_setup){
		(uint8_t)((length ? USB_DIR_IN : USB_DIR_OUT) | USB_TYPE_CLASS | USB_RECIP_DEVICE),
		request, value, 0, length,
	};
}

static bool next_hub_change(struct hub_driver *h)
{
	while (h->i < 2 && !(h->hub_change & (1u << h->i)))
		h->i++;
	return h->i < 2;
}

/* Cancelled: nothing may stay in flight into the freed state (usb_kbd.c). */
static void hub_driver_cleanup(struct hub_driver *h)
{
	usb_device_release(h->dev);
	usb_device_put(h->dev);
}

ASYNC_FN_CLEANUP(hub_driver, struct hub_driver, hub_driver_cleanup)
{
	ASYNC_BEGIN();
	if (self->dev->depth >= USB_MAX_HUB_DEPTH) {
		fmt_snprintf(self->error, sizeof self->error, "more than %u hubs deep",
			     USB_MAX_HUB_DEPTH);
		goto fail;
	}
	request(self, usb_get_hub_descriptor(usb_speed_is_super(self->dev->speed),
					     usb_speed_is_super(self->dev->speed)
						     ? USB_SS_HUB_DESC_LEN : HUB_DESC_MAX),
		self->buf);
	AWAIT(&self->wait);
	if (!ok(self, "hub descriptor") || !take_descriptor(self))
		goto fail;
	start_configure(self);
	AWAIT(&self->wait);
	if (!ok(self, "configure endpoints"))
		goto fail;
	request(self, usb_set_configuration(self->config_value), NULL);
	AWAIT(&self->wait);
	if (!ok(self, "set configuration"))
		goto fail;
	if (self->hd.super) {
		request(self, hub_request(USB_REQ_HUB_SET_DEPTH, self->dev->depth, 0), NULL);
		AWAIT(&self->wait);
		if (!ok(self, "set hub depth"))
			goto fail;
	}
	if (!make_hub(self))
		goto fail;
	for (self->i = 1; self->i <= self->hub->ports; self->i++) {
		port_req_init(&self->req, self->hub, self->i, PORT_SET_FEATURE,
			      USB_PORT_FEAT_POWER);
		AWAIT(&self->req);
	}
	sleep_ms_init(&self->nap, power_wait_ms(self));
	AWAIT(&self->nap);
	if (self->dev->released)
		goto done;		/* unplugged while its ports powered up */
	usb_hub_add(self->hub);
	usb_log(self->dev->bus, USB_LOG_INFO, "usb %s: %u-port hub ready", self->dev->path,
		self->hub->ports);

	for (;;) {
		start_status_poll(self);
		AWAIT(&self->op);
		if (self->op.status == USB_GONE)
			break;
		if (self->op.status != USB_OK) {
			if (++self->errors >= HUB_ERROR_LIMIT) {
				ok(self, "status endpoint");
				goto fail;
			}
			sleep_ms_init(&self->nap, HUB_ERROR_BACKOFF_MS);
			AWAIT(&self->nap);
			continue;
		}
		self->errors = 0;
		take_changes(self);
		/* A port that lost its device is dealt with now; the bus task,
		 * which may be busy elsewhere, clears the changes later. */
		for (self->i = 1; self->i <= self->hub->ports; self->i++) {
			if (!flagged(self, self->i))
				continue;
			port_req_init(&self->req, self->hub, self->i, PORT_GET_STATUS, 0);
			AWAIT(&self->req);
			if (self->req.ok)
				usb_hub_port_changed(self->hub, self->i, self->req.status,
						     self->req.change);
			usb_hub_mark_pending(self->hub, self->i);
		}
		if (!flagged(self, 0) || self->dev->released)
			continue;
		/* The hub itself: local power or over-current changed. */
		request(self, hub_request(USB_REQ_GET_STATUS, 0, 4), self->buf);
		AWAIT(&self->wait);
		if (self->op.status != USB_OK || self->op.actual < 4)
			continue;
		self->hub_change = usb_le16(self->buf + 2);
		if (self->hub_change & (1u << HUB_C_OVER_CURRENT))
			usb_log(self->dev->bus, USB_LOG_WARN, "usb %s: hub over-current",
				self->dev->path);
		for (self->i = 0; next_hub_change(self); self->i++) {
			request(self, hub_request(USB_REQ_CLEAR_FEATURE, (uint16_t)self->i, 0), NULL);
			AWAIT(&self->wait);
		}
	}
	goto done;
fail:
	if (self->op.status != USB_GONE)	/* unplugged: its disconnect says so */
		usb_log(self->dev->bus, USB_LOG_WARN, "usb %s: hub: %s; hub not used",
			self->dev->path, self->error);
	usb_device_release(self->dev);
done:
	usb_device_put(self->dev);
	ASYNC_END();
}

bool usb_hub_driver_start(struct usb_device *dev, const struct usb_config *cfg)
{
	const struct usb_interface *intf = usb_find_interface(cfg, USB_CLASS_HUB, -1, -1);
	const struct usb_endpoint *ep = intf ? usb_find_interrupt_in(intf) : NULL;
	struct hub_driver t = { ASYNC_INIT(hub_driver), .dev = dev,
				.config_value = cfg->value };

	if (!ep) {
		usb_log(dev->bus, USB_LOG_WARN, "usb %s: hub without a status endpoint",
			dev->path);
		return false;
	}
	t.ep = *ep;
	return usb_driver_spawn(dev, &t.base, sizeof t);
}
