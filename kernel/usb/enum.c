/*
 * enum.c — see enum.h.  One async function, top to bottom; each request is
 * started by a helper and awaited with a timeout on the line after it.
 */
#include "kernel/usb/enum.h"

#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/usb/hub.h"
#include "kernel/usb/kbd/usb_kbd.h"
#include "mm/heap.h"

#define LANGID_US_ENGLISH 0x0409

/* Starts a control request on the new device; AWAIT(&e->wait) next. */
static void request(struct usb_enum *e, struct usb_setup setup, void *buf)
{
	usb_op_init(&e->op);
	usb_control(e->dev, &setup, buf, &e->op);
	usb_wait_init(&e->wait, e->dev, &e->op, USB_CONTROL_TIMEOUT_MS);
}

/* True if the request went through and gave at least @need bytes; else
 * records why not. */
static bool request_ok(struct usb_enum *e, const char *what, uint32_t need)
{
	if (e->op.status == USB_GONE) {
		fmt_snprintf(e->error, sizeof e->error, "unplugged");
		return false;
	}
	if (e->op.status != USB_OK) {
		fmt_snprintf(e->error, sizeof e->error, "%s: %s", what,
			     usb_status_text(e->op.status));
		return false;
	}
	if (e->op.actual < need) {
		fmt_snprintf(e->error, sizeof e->error, "%s: %u of %u bytes", what,
			     (unsigned)e->op.actual, (unsigned)need);
		return false;
	}
	return true;
}

static bool parse_failed(struct usb_enum *e, const char *what, enum usb_desc_err err)
{
	if (err == USB_DESC_OK)
		return false;
	fmt_snprintf(e->error, sizeof e->error, "%s: %s", what, usb_desc_err_text(err));
	return true;
}

static void start_address(struct usb_enum *e)
{
	usb_op_init(&e->op);
	usb_address(e->dev, &e->op);
	usb_wait_init(&e->wait, e->dev, &e->op, USB_CONTROL_TIMEOUT_MS);
}

/* bMaxPacketSize0 from the 8-byte prefix; false if unusable.  Sets
 * *changed when endpoint 0 must be told its real size. */
static bool take_packet_size(struct usb_enum *e, bool *changed)
{
	uint8_t mp0;
	uint16_t size;

	if (parse_failed(e, "device descriptor", usb_parse_device_prefix(e->buf, 8, &mp0)))
		return false;
	size = usb_ep0_packet_size(e->dev->speed, mp0);
	if (!size) {
		fmt_snprintf(e->error, sizeof e->error, "bMaxPacketSize0 %u at %s speed", mp0,
			     usb_speed_name(e->dev->speed));
		return false;
	}
	*changed = size != e->dev->ep0_packet;
	e->dev->ep0_packet = size;
	return true;
}

static void start_update_ep0(struct usb_enum *e)
{
	usb_op_init(&e->op);
	usb_update_ep0(e->dev, &e->op);
	usb_wait_init(&e->wait, e->dev, &e->op, USB_CONTROL_TIMEOUT_MS);
}

static bool take_config_total(struct usb_enum *e)
{
	if (parse_failed(e, "configuration", usb_parse_config_header(e->buf, 9, &e->total)))
		return false;
	if (e->total > USB_CONFIG_MAX) {
		fmt_snprintf(e->error, sizeof e->error, "configuration of %u bytes (max %u)",
			     e->total, USB_CONFIG_MAX);
		return false;
	}
	return true;
}

/* The string index 0 lists language IDs; we ask for the first one. */
static void take_langid(struct usb_enum *e)
{
	e->langid = LANGID_US_ENGLISH;
	if (e->op.status == USB_OK && e->op.actual >= 4 && e->buf[0] >= 4 &&
	    e->buf[1] == USB_DT_STRING)
		e->langid = usb_le16(e->buf + 2);
}

static struct usb_setup string_request(uint8_t index, uint16_t langid)
{
	struct usb_setup s = usb_get_descriptor(USB_DT_STRING, index, 255);

	s.index = langid;
	return s;
}

static void describe(struct usb_enum *e, char *out, size_t n)
{
	const struct usb_device_desc *d = &e->dev->desc;

	fmt_snprintf(out, n, "%04x:%04x%s%s%s, %s speed", d->vendor, d->product,
		     e->dev->product[0] ? " \"" : "", e->dev->product,
		     e->dev->product[0] ? "\"" : "", usb_speed_name(e->dev->speed));
}

/* Hands the device to its driver.  False (with e->error) if the driver
 * could not be started. */
static bool attach_driver(struct usb_enum *e)
{
	const struct usb_interface *kbd;
	char what[96];

	describe(e, what, sizeof what);
	if (e->dev->desc.dev_class == USB_CLASS_HUB) {
		e->dev->driver = "hub";
		usb_log(e->bus, USB_LOG_INFO, "usb %s: hub %s", e->dev->path, what);
		if (usb_hub_driver_start(e->dev, e->cfg))
			return true;
	} else if ((kbd = usb_find_interface(e->cfg, USB_CLASS_HID, USB_HID_SUBCLASS_BOOT,
					     USB_HID_PROTOCOL_KEYBOARD))) {
		e->dev->driver = "keyboard";
		usb_log(e->bus, USB_LOG_INFO, "usb %s: keyboard %s", e->dev->path, what);
		if (usb_kbd_start(e->dev, e->cfg, kbd))
			return true;
	} else {
		usb_log(e->bus, USB_LOG_INFO, "usb %s: %s, class %02x (no driver)",
			e->dev->path, what, e->dev->desc.dev_class ? e->dev->desc.dev_class
			: e->cfg->n_if ? e->cfg->intf[0].if_class : 0);
		return true;
	}
	fmt_snprintf(e->error, sizeof e->error, "cannot start the %s driver", e->dev->driver);
	return false;
}

/* Dropped (its port's work was cancelled): the half-made device goes. */
static void usb_enum_cleanup(struct usb_enum *e)
{
	if (e->dev) {
		usb_device_release(e->dev);
		usb_device_put(e->dev);
		e->dev = NULL;
	}
	if (e->bus->enumerating)
		e->bus->enumerating = NULL;
	kfree(e->buf);
	kfree(e->cfg);
	e->buf = NULL;
	e->cfg = NULL;
}

ASYNC_FN_CLEANUP(usb_enum, struct usb_enum, usb_enum_cleanup)
{
	bool changed;

	ASYNC_BEGIN();
	self->buf = kmalloc(USB_CONFIG_MAX);
	self->cfg = kmalloc(sizeof *self->cfg);
	self->dev = usb_device_new(self->bus, self->parent, self->port, self->root_port,
				   self->speed);
	if (!self->buf || !self->cfg || !self->dev) {
		fmt_snprintf(self->error, sizeof self->error, "out of memory");
		goto fail;
	}
	self->bus->enumerating = self->dev;	/* an unplug releases it at once */

	start_address(self);
	AWAIT(&self->wait);
	if (!request_ok(self, "address device", 0))
		goto fail;

	request(self, usb_get_descriptor(USB_DT_DEVICE, 0, 8), self->buf);
	AWAIT(&self->wait);
	if (!request_ok(self, "device descriptor", 8) || !take_packet_size(self, &changed))
		goto fail;
	if (changed) {
		start_update_ep0(self);
		AWAIT(&self->wait);
		if (!request_ok(self, "endpoint 0 packet size", 0))
			goto fail;
	}

	request(self, usb_get_descriptor(USB_DT_DEVICE, 0, USB_DEVICE_DESC_LEN), self->buf);
	AWAIT(&self->wait);
	if (!request_ok(self, "device descriptor", USB_DEVICE_DESC_LEN) ||
	    parse_failed(self, "device descriptor",
			 usb_parse_device_desc(self->buf, self->op.actual, &self->dev->desc)))
		goto fail;

	request(self, usb_get_descriptor(USB_DT_CONFIG, 0, USB_CONFIG_DESC_LEN), self->buf);
	AWAIT(&self->wait);
	if (!request_ok(self, "configuration", USB_CONFIG_DESC_LEN) || !take_config_total(self))
		goto fail;
	request(self, usb_get_descriptor(USB_DT_CONFIG, 0, self->total), self->buf);
	AWAIT(&self->wait);
	if (!request_ok(self, "configuration", self->total) ||
	    parse_failed(self, "configuration",
			 usb_parse_config(self->buf, self->op.actual, self->cfg)))
		goto fail;

	if (self->dev->desc.i_product) {
		request(self, string_request(0, 0), self->buf);
		AWAIT(&self->wait);
		if (self->op.status == USB_TIMEOUT || self->op.status == USB_GONE)
			goto fail_status;
		take_langid(self);
		request(self, string_request(self->dev->desc.i_product, self->langid), self->buf);
		AWAIT(&self->wait);
		if (self->op.status == USB_TIMEOUT || self->op.status == USB_GONE)
			goto fail_status;
		if (self->op.status == USB_OK)
			usb_parse_string(self->buf, self->op.actual, self->dev->product,
					 sizeof self->dev->product);
	}

	if (!attach_driver(self))
		goto fail;
	goto done;

fail_status:
	request_ok(self, "product string", 0);
fail:
	if (self->dev) {
		usb_device_release(self->dev);
		usb_device_put(self->dev);
		self->dev = NULL;
	}
done:
	self->bus->enumerating = NULL;
	kfree(self->buf);
	kfree(self->cfg);
	self->buf = NULL;
	self->cfg = NULL;
	ASYNC_END();
}

void usb_enum_init(struct usb_enum *e, struct usb_bus *bus, struct usb_device *parent,
		   unsigned port, unsigned root_port, enum usb_speed speed)
{
	*e = (struct usb_enum){
		ASYNC_INIT(usb_enum), .bus = bus, .parent = parent, .port = port,
		.root_port = root_port, .speed = speed,
	};
}
