/*
 * usb_fake.c — see usb_fake.h.  The devices' descriptor bytes follow QEMU's
 * usb-kbd and usb-hub (hw/usb/dev-hid.c, dev-hub.c) and the shapes real
 * keyboards and hubs report (a boot keyboard with a second, consumer-control
 * interface; a single-TT high-speed hub).
 */
#include "test/unit/usb_fake.h"

#include "kernel/lib/fmt.h"
#include "kernel/lib/string.h"
#include "kernel/usb/usb.h"

/* ---- descriptors ------------------------------------------------------------ */

static const uint8_t kbd_device_fs[18] = {
	18, 1, 0x00, 0x01, 0, 0, 0, 8, 0x27, 0x06, 0x01, 0x00, 0, 0, 1, 4, 11, 1,
};
static const uint8_t kbd_device_hs[18] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x27, 0x06, 0x01, 0x00, 0, 0, 1, 4, 11, 1,
};
static const uint8_t kbd_config_fs[34] = {
	9, 2, 34, 0, 1, 1, 8, 0xa0, 50,
	9, 4, 0, 0, 1, 3, 1, 1, 0,
	9, 0x21, 0x11, 0x01, 0, 1, 0x22, 0x3f, 0,
	7, 5, 0x81, 3, 8, 0, 10,
};
static const uint8_t kbd_config_hs[34] = {
	9, 2, 34, 0, 1, 1, 8, 0xa0, 50,
	9, 4, 0, 0, 1, 3, 1, 1, 0,
	9, 0x21, 0x11, 0x01, 0, 1, 0x22, 0x3f, 0,
	7, 5, 0x81, 3, 8, 0, 7,
};
/* A low-speed keyboard whose media keys are a second HID interface. */
static const uint8_t kbd_device_ls[18] = {
	18, 1, 0x10, 0x01, 0, 0, 0, 8, 0x3c, 0x41, 0x13, 0x21, 0x10, 0x01, 1, 2, 0, 1,
};
static const uint8_t kbd_config_ls[59] = {
	9, 2, 59, 0, 2, 1, 0, 0xa0, 50,
	9, 4, 0, 0, 1, 3, 1, 1, 0,
	9, 0x21, 0x10, 0x01, 0, 1, 0x22, 0x41, 0,
	7, 5, 0x81, 3, 8, 0, 10,
	9, 4, 1, 0, 1, 3, 0, 0, 0,
	9, 0x21, 0x10, 0x01, 0, 1, 0x22, 0x33, 0,
	7, 5, 0x82, 3, 8, 0, 10,
};
static const uint8_t hub_device_fs[18] = {
	18, 1, 0x10, 0x01, 9, 0, 0, 8, 0x09, 0x04, 0xaa, 0x55, 0x01, 0x01, 1, 2, 3, 1,
};
static const uint8_t hub_device_hs[18] = {
	18, 1, 0x00, 0x02, 9, 0, 1, 64, 0x24, 0x05, 0x54, 0x25, 0x00, 0x01, 1, 2, 0, 1,
};
static const uint8_t hub_config_fs[25] = {
	9, 2, 25, 0, 1, 1, 0, 0xe0, 0,
	9, 4, 0, 0, 1, 9, 0, 0, 0,
	7, 5, 0x81, 3, 2, 0, 0xff,
};
static const uint8_t hub_config_hs[25] = {
	9, 2, 25, 0, 1, 1, 0, 0xe0, 50,
	9, 4, 0, 0, 1, 9, 0, 0, 0,
	7, 5, 0x81, 3, 1, 0, 12,
};
static const uint8_t storage_device[18] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x81, 0x07, 0x81, 0x55, 0x00, 0x01, 1, 2, 3, 1,
};
static const uint8_t storage_config[32] = {
	9, 2, 32, 0, 1, 1, 0, 0x80, 100,
	9, 4, 0, 0, 2, 8, 6, 0x50, 0,
	7, 5, 0x81, 2, 0x00, 0x02, 0,
	7, 5, 0x02, 2, 0x00, 0x02, 0,
};

void fake_custom(struct fake_dev *d, enum usb_speed speed, const uint8_t *device_desc,
		 const uint8_t *config, size_t config_len)
{
	memset(d, 0, sizeof *d);
	d->speed = speed;
	d->device_desc = device_desc;
	d->config = config;
	d->config_len = config_len;
	d->idle = -1;
	d->protocol = 1;	/* report protocol until told otherwise */
}

void fake_keyboard(struct fake_dev *d, enum usb_speed speed)
{
	if (speed == USB_SPEED_LOW) {
		fake_custom(d, speed, kbd_device_ls, kbd_config_ls, sizeof kbd_config_ls);
		d->product = "Dell KB216 Wired Keyboard";
	} else if (speed == USB_SPEED_HIGH) {
		fake_custom(d, speed, kbd_device_hs, kbd_config_hs, sizeof kbd_config_hs);
		d->product = "QEMU USB Keyboard";
	} else {
		fake_custom(d, speed, kbd_device_fs, kbd_config_fs, sizeof kbd_config_fs);
		d->product = "QEMU USB Keyboard";
	}
}

void fake_hub(struct fake_dev *d, enum usb_speed speed, unsigned ports)
{
	if (speed == USB_SPEED_HIGH)
		fake_custom(d, speed, hub_device_hs, hub_config_hs, sizeof hub_config_hs);
	else
		fake_custom(d, speed, hub_device_fs, hub_config_fs, sizeof hub_config_fs);
	d->product = "QEMU USB Hub";
	d->n_ports = ports;
}

void fake_storage(struct fake_dev *d)
{
	fake_custom(d, USB_SPEED_HIGH, storage_device, storage_config, sizeof storage_config);
	d->product = "USB Flash Disk";
}

/* ---- the operation queue ------------------------------------------------------ */

static struct fake_hc *hc_of(struct usb_bus *bus)
{
	return container_of(bus, struct fake_hc, bus);
}

/* The core promised (core.h) never to call us for a released device. */
static bool forgotten(struct fake_hc *hc, struct usb_device *dev, struct usb_op *op)
{
	if (!dev->released && dev->hc_priv)
		return false;
	hc->violations++;
	usb_op_complete(op, USB_HC_ERROR, 0);
	return true;
}

static void queue(struct fake_hc *hc, struct usb_op *op, struct fake_dev *dev,
		  enum usb_status status, uint32_t actual)
{
	if (hc->n_pending == FAKE_PENDING) {
		usb_op_complete(op, USB_HC_ERROR, 0);
		return;
	}
	hc->pending[hc->n_pending++] = (struct fake_op){ op, dev, status, actual };
}

/* The port a device's route leads to, walking hubs from its root port. */
static struct fake_port *route_port(struct fake_hc *hc, const struct usb_device *d)
{
	struct fake_port *p = &hc->root[d->root_port];

	for (unsigned tier = 0; tier < d->depth; tier++) {
		struct fake_dev *hub = p->dev;
		unsigned port = (d->route >> (4 * tier)) & 0xf;
		if (!hub || port == 0 || port > hub->n_ports)
			return NULL;
		p = &hub->ports[port];
	}
	return p;
}

static uint16_t speed_bits(const struct fake_dev *d)
{
	if (d->speed == USB_SPEED_LOW)
		return USB_PORT_STAT_LOW_SPEED;
	if (d->speed == USB_SPEED_HIGH)
		return USB_PORT_STAT_HIGH_SPEED;
	return 0;
}

static void port_reset(struct fake_port *p)
{
	if (!p->dev)
		return;
	if (p->reset_fails) {
		p->status |= USB_PORT_STAT_RESET;
		return;
	}
	p->status |= USB_PORT_STAT_ENABLE | speed_bits(p->dev);
	p->change |= USB_PORT_C_RESET;
}

/* ---- controller operations ---------------------------------------------------------- */

static void fake_address(struct usb_bus *bus, struct usb_device *dev, struct usb_op *op)
{
	struct fake_hc *hc = hc_of(bus);
	struct fake_port *p = route_port(hc, dev);
	struct fake_dev *fd = p ? p->dev : NULL;

	if (dev->released) {
		hc->violations++;
		usb_op_complete(op, USB_HC_ERROR, 0);
		return;
	}
	if (!fd || !(p->status & USB_PORT_STAT_ENABLE) || fd->speed != dev->speed) {
		queue(hc, op, NULL, USB_XACT_ERROR, 0);
		return;
	}
	fd->bound = dev;
	fd->addressed++;
	fd->ep0_packet = dev->ep0_packet;
	dev->hc_priv = fd;
	queue(hc, op, fd, USB_OK, 0);
}

static void fake_update_ep0(struct usb_bus *bus, struct usb_device *dev, struct usb_op *op)
{
	struct fake_dev *fd = dev->hc_priv;

	if (forgotten(hc_of(bus), dev, op))
		return;
	fd->ep0_packet = dev->ep0_packet;
	queue(hc_of(bus), op, fd, USB_OK, 0);
}

static uint32_t copy_out(void *data, uint16_t len, const void *src, size_t n)
{
	size_t k = n < len ? n : len;

	memcpy(data, src, k);
	return (uint32_t)k;
}

static uint32_t string_desc(const struct fake_dev *fd, uint8_t index, uint8_t *out,
			    uint16_t len, bool *stall)
{
	uint8_t buf[128] = { 4, USB_DT_STRING, 0x09, 0x04 };
	size_t n = 4;

	if (fd->quirk == FAKE_NO_PRODUCT_STRING || (index && index != fd->device_desc[15])) {
		*stall = true;
		return 0;
	}
	if (index) {
		for (n = 2; fd->product[(n - 2) / 2] && n + 2 <= sizeof buf; n += 2) {
			buf[n] = (uint8_t)fd->product[(n - 2) / 2];
			buf[n + 1] = 0;
		}
		buf[0] = (uint8_t)n;
	}
	return copy_out(out, len, buf, n);
}

static uint32_t hub_desc(const struct fake_dev *fd, uint8_t *out, uint16_t len)
{
	unsigned bitmap = fd->n_ports / 8 + 1;
	uint8_t buf[32] = { (uint8_t)(7 + 2 * bitmap), USB_DT_HUB, (uint8_t)fd->n_ports,
			    fd->speed == USB_SPEED_HIGH ? 0x29 : 0x09, 0, 50, 0 };

	memset(buf + 7 + bitmap, 0xff, bitmap);
	return copy_out(out, len, buf, buf[0]);
}

static uint32_t port_status(struct fake_dev *hub, uint16_t port, uint8_t *out, bool *stall)
{
	struct fake_port *p;

	if (port == 0 || port > hub->n_ports) {
		*stall = true;
		return 0;
	}
	p = &hub->ports[port];
	out[0] = (uint8_t)p->status;
	out[1] = (uint8_t)(p->status >> 8);
	out[2] = (uint8_t)p->change;
	out[3] = (uint8_t)(p->change >> 8);
	return 4;
}

static void port_feature(struct fake_dev *hub, const struct usb_setup *s, bool *stall)
{
	struct fake_port *p;

	if (s->index == 0 || s->index > hub->n_ports) {
		*stall = true;
		return;
	}
	p = &hub->ports[s->index];
	if (s->request == USB_REQ_SET_FEATURE && s->value == USB_PORT_FEAT_POWER)
		p->status |= USB_PORT_STAT_POWER;
	else if (s->request == USB_REQ_SET_FEATURE && s->value == USB_PORT_FEAT_RESET)
		port_reset(p);
	else if (s->request == USB_REQ_CLEAR_FEATURE && s->value >= 16 && s->value <= 20)
		p->change &= (uint16_t)~(1u << (s->value - 16));
	else
		*stall = true;
}

static bool hid_request(struct fake_dev *fd, const struct usb_setup *s, const uint8_t *data)
{
	switch (s->request) {
	case HID_REQ_SET_PROTOCOL:
		if (fd->quirk == FAKE_STALL_SET_PROTOCOL)
			return false;
		fd->protocol = (uint8_t)s->value;
		return true;
	case HID_REQ_SET_IDLE:
		if (fd->quirk == FAKE_STALL_SET_IDLE)
			return false;
		fd->idle = s->value >> 8;
		return true;
	case HID_REQ_SET_REPORT:
		if (fd->quirk == FAKE_STALL_SET_REPORT || s->length != 1)
			return false;
		fd->leds = data[0];
		fd->set_reports++;
		return true;
	}
	return false;
}

/* Answers one control request; returns bytes of data IN, sets *stall. */
static uint32_t answer(struct fake_dev *fd, const struct usb_setup *s, uint8_t *data,
		       bool *stall)
{
	uint8_t type = s->value >> 8;

	*stall = false;
	switch (s->request_type << 8 | s->request) {
	case 0x8006:
		if (type == USB_DT_DEVICE)
			return copy_out(data, s->length, fd->device_desc, 18);
		if (type == USB_DT_CONFIG)
			return copy_out(data, s->length, fd->config, fd->config_len);
		if (type == USB_DT_STRING)
			return string_desc(fd, (uint8_t)s->value, data, s->length, stall);
		break;
	case 0xa006:
		if (fd->n_ports && type == USB_DT_HUB)
			return hub_desc(fd, data, s->length);
		break;
	case 0x0009:
		fd->config_value = (uint8_t)s->value;
		return 0;
	case 0xa300:
		if (fd->n_ports)
			return port_status(fd, s->index, data, stall);
		break;
	case 0xa000:
		if (fd->n_ports)
			return copy_out(data, s->length, "\0\0\0\0", 4);
		break;
	case 0x2303:
	case 0x2301:
		if (fd->n_ports) {
			port_feature(fd, s, stall);
			return 0;
		}
		break;
	case 0x2001:
	case 0x0201:
		return 0;	/* clear hub feature, clear endpoint halt */
	case 0x2109:
	case 0x210a:
	case 0x210b:
		if (hid_request(fd, s, data))
			return 0;
		break;
	}
	*stall = true;
	return 0;
}

static void fake_control(struct usb_bus *bus, struct usb_device *dev,
			 const struct usb_setup *setup, void *data, struct usb_op *op)
{
	struct fake_hc *hc = hc_of(bus);
	struct fake_dev *fd = dev->hc_priv;
	bool stall;
	uint32_t n;

	if (forgotten(hc, dev, op))
		return;
	if (fd->quirk == FAKE_SILENT) {
		queue(hc, op, fd, USB_PENDING, 0);	/* held until released */
		return;
	}
	n = answer(fd, setup, data, &stall);
	queue(hc, op, fd, stall ? USB_STALL : USB_OK, n);
}

static void fake_configure(struct usb_bus *bus, struct usb_device *dev,
			   const struct usb_endpoint *eps, unsigned n,
			   const struct usb_hub_caps *hub, struct usb_op *op)
{
	struct fake_dev *fd = dev->hc_priv;

	if (forgotten(hc_of(bus), dev, op))
		return;
	if (n)
		fd->configured_ep = eps[0];
	fd->configured_as_hub = hub != NULL;
	if (hub)
		fd->hub_caps = *hub;
	queue(hc_of(bus), op, fd, USB_OK, 0);
}

static void fake_interrupt_in(struct usb_bus *bus, struct usb_device *dev,
			      const struct usb_endpoint *ep, void *buf, uint16_t len,
			      struct usb_op *op)
{
	struct fake_dev *fd = dev->hc_priv;

	(void)ep;
	if (forgotten(hc_of(bus), dev, op))
		return;
	fd->in_op = op;
	fd->in_buf = buf;
	fd->in_len = len;
}

static void fake_release(struct usb_bus *bus, struct usb_device *dev)
{
	struct fake_hc *hc = hc_of(bus);
	struct fake_dev *fd = dev->hc_priv;
	unsigned kept = 0;

	if (!fd)
		return;
	fd->released++;
	fd->bound = NULL;
	for (unsigned i = 0; i < hc->n_pending; i++) {
		if (hc->pending[i].dev == fd)
			usb_op_complete(hc->pending[i].op, USB_GONE, 0);
		else
			hc->pending[kept++] = hc->pending[i];
	}
	hc->n_pending = kept;
	if (fd->in_op)
		usb_op_complete(fd->in_op, USB_GONE, 0);
	fd->in_op = NULL;
	dev->hc_priv = NULL;
}

static void fake_root_status(struct usb_bus *bus, unsigned port, uint16_t *status,
			     uint16_t *change, enum usb_speed *speed)
{
	struct fake_port *p = &hc_of(bus)->root[port];

	*status = p->status;
	*change = p->change;
	*speed = p->dev ? p->dev->speed : USB_SPEED_UNKNOWN;
}

static void fake_root_clear(struct usb_bus *bus, unsigned port, uint16_t change)
{
	hc_of(bus)->root[port].change &= (uint16_t)~change;
}

static void fake_root_reset(struct usb_bus *bus, unsigned port)
{
	port_reset(&hc_of(bus)->root[port]);
}

static const struct usb_hc_ops fake_ops = {
	.address_device = fake_address,
	.update_ep0 = fake_update_ep0,
	.control = fake_control,
	.configure = fake_configure,
	.interrupt_in = fake_interrupt_in,
	.release = fake_release,
	.root_port_status = fake_root_status,
	.root_port_clear = fake_root_clear,
	.root_port_reset = fake_root_reset,
};

/* ---- interrupt IN: keyboards and hubs ---------------------------------------------- */

/* The bytes the device would answer an IN poll with now, if any. */
static uint32_t report_ready(struct fake_dev *fd, uint8_t *out)
{
	if (fd->report_head == fd->report_tail)
		return 0;
	memcpy(out, fd->reports[fd->report_head++ % FAKE_REPORTS], 8);
	return 8;
}

static uint32_t hub_changes_ready(struct fake_dev *fd, uint8_t *out)
{
	bool any = false;

	memset(out, 0, FAKE_PORTS / 8 + 1);
	for (unsigned p = 1; p <= fd->n_ports; p++) {
		if (fd->ports[p].change) {
			out[p / 8] |= (uint8_t)(1u << (p % 8));
			any = true;
		}
	}
	return any ? fd->n_ports / 8 + 1 : 0;
}

static bool deliver_in(struct fake_dev *fd)
{
	struct usb_op *op = fd->in_op;
	uint8_t data[8];
	uint32_t n;

	if (!op || !fd->bound)
		return false;
	n = fd->n_ports ? hub_changes_ready(fd, data) : report_ready(fd, data);
	if (!n)
		return false;
	fd->in_op = NULL;
	usb_op_complete(op, USB_OK, copy_out(fd->in_buf, fd->in_len, data, n));
	return true;
}

static bool deliver_tree(struct fake_port *ports, unsigned n)
{
	bool any = false;

	for (unsigned p = 1; p <= n; p++) {
		struct fake_dev *d = ports[p].dev;
		if (!d)
			continue;
		any |= deliver_in(d);
		if (d->n_ports)
			any |= deliver_tree(d->ports, d->n_ports);
	}
	return any;
}

/* ---- driving it ----------------------------------------------------------------------- */

static bool complete_queued(struct fake_hc *hc)
{
	struct fake_op done[FAKE_PENDING];
	unsigned n = 0, kept = 0;

	for (unsigned i = 0; i < hc->n_pending; i++) {
		if (hc->pending[i].status == USB_PENDING)
			hc->pending[kept++] = hc->pending[i];
		else
			done[n++] = hc->pending[i];
	}
	hc->n_pending = kept;
	for (unsigned i = 0; i < n; i++)
		usb_op_complete(done[i].op, done[i].status, done[i].actual);
	return n > 0;
}

void fake_hc_poll(struct fake_hc *hc)
{
	executor_run_until_idle(&hc->ex);
	for (int round = 0; round < 16; round++) {
		bool any = complete_queued(hc);
		any |= deliver_tree(hc->root, FAKE_PORTS);
		executor_run_until_idle(&hc->ex);
		if (!any)
			break;
	}
}

void fake_hc_run(struct fake_hc *hc, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		hc->now++;
		executor_timer_tick(&hc->ex, hc->now);
		fake_hc_poll(hc);
	}
}

static void hook_log(void *ctx, enum usb_log_level level, const char *line)
{
	struct fake_hc *hc = ctx;
	size_t used = strlen(hc->log);

	if (level == USB_LOG_WARN)
		hc->warnings++;
	else
		hc->infos++;
	fmt_snprintf(hc->log + used, sizeof hc->log - used, "%s%s\n",
		     level == USB_LOG_WARN ? "warning: " : "", line);
}

static void hook_key(void *ctx, unsigned key, bool pressed)
{
	struct fake_hc *hc = ctx;

	if (hc->n_keys < FAKE_KEYS)
		hc->keys[hc->n_keys++] = (typeof(hc->keys[0])){ (uint8_t)key, pressed, hc->now };
}

static void hook_keyboards(void *ctx, unsigned count)
{
	((struct fake_hc *)ctx)->keyboards = count;
}

void fake_hc_init(struct fake_hc *hc, unsigned root_ports)
{
	memset(hc, 0, sizeof *hc);
	executor_setup(&hc->ex);
	hc->bus = (struct usb_bus){
		.name = "fake", .executor = &hc->ex, .hc = &fake_ops,
		.root_ports = root_ports,
		.hooks = { hook_log, hook_key, hook_keyboards, hc },
	};
	for (unsigned p = 1; p <= root_ports; p++)
		hc->root[p].status = USB_PORT_STAT_POWER;
	usb_bus_start(&hc->bus);
	fake_hc_poll(hc);
}

bool fake_hc_destroy(struct fake_hc *hc)
{
	bool clean;

	usb_bus_stop(&hc->bus);
	fake_hc_run(hc, 10);
	clean = hc->bus.stopped && !hc->bus.devices && !hc->bus.hubs && hc->n_pending == 0 &&
		!hc->violations;
	executor_teardown(&hc->ex);
	return clean;
}

/* ---- plugging --------------------------------------------------------------------------- */

static struct fake_port *port_of(struct fake_hc *hc, struct fake_dev *hub, unsigned port)
{
	return hub ? &hub->ports[port] : &hc->root[port];
}

void fake_plug(struct fake_hc *hc, struct fake_dev *hub, unsigned port, struct fake_dev *dev)
{
	struct fake_port *p = port_of(hc, hub, port);

	p->dev = dev;
	p->status = (uint16_t)((p->status & USB_PORT_STAT_POWER) | USB_PORT_STAT_CONNECTION);
	p->change |= USB_PORT_C_CONNECTION;
	if (!hub)
		usb_bus_root_port_changed(&hc->bus, port);
}

void fake_unplug(struct fake_hc *hc, struct fake_dev *hub, unsigned port)
{
	struct fake_port *p = port_of(hc, hub, port);

	p->dev = NULL;
	if (p->status & USB_PORT_STAT_ENABLE)
		p->change |= USB_PORT_C_ENABLE;
	p->status &= USB_PORT_STAT_POWER;
	p->change |= USB_PORT_C_CONNECTION;
	if (!hub)
		usb_bus_root_port_changed(&hc->bus, port);
}

void fake_report(struct fake_dev *kbd, uint8_t mods, const uint8_t *keys, unsigned n)
{
	uint8_t *r = kbd->reports[kbd->report_tail % FAKE_REPORTS];

	memset(r, 0, 8);
	r[0] = mods;
	for (unsigned i = 0; i < n && i < 6; i++)
		r[2 + i] = keys[i];
	kbd->report_tail++;
}

unsigned fake_key_count(const struct fake_hc *hc, unsigned key, bool pressed)
{
	unsigned n = 0;

	for (unsigned i = 0; i < hc->n_keys; i++)
		n += hc->keys[i].key == key && hc->keys[i].pressed == pressed;
	return n;
}

bool fake_logged(const struct fake_hc *hc, const char *text)
{
	size_t n = strlen(text);

	for (const char *p = hc->log; *p; p++)
		if (!strncmp(p, text, n))
			return true;
	return false;
}
