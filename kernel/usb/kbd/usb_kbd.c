/*
 * usb_kbd.c — see usb_kbd.h.  HID 1.11: 7.2.4 SET_IDLE, 7.2.5 SET_PROTOCOL,
 * 7.2.2 SET_REPORT, appendix B.1 the boot keyboard.
 */
#include "kernel/usb/kbd/usb_kbd.h"

#include "kernel/lib/fmt.h"
#include "kernel/usb/kbd/hid_kbd.h"
#include "sched/async.h"
#include "sched/executor.h"

#define KBD_ERROR_LIMIT 10		/* failed reports in a row before we give up */
#define KBD_REPORT_MAX 64
#define USB_FEAT_ENDPOINT_HALT 0

struct usb_kbd_state;

/* Waits for a report, the next typematic repeat, or an LED change. */
struct kbd_wait {
	struct future base;
	struct usb_kbd_state *k;
	struct sleep_future nap;
	bool timed;
};

struct usb_kbd_state {
	ASYNC_STATE;
	struct usb_device *dev;
	struct usb_endpoint ep;
	uint8_t iface, config_value;
	struct usb_op op;		/* control requests */
	struct usb_wait wait;
	struct usb_op in;		/* the interrupt IN transfer in flight */
	struct kbd_wait kw;
	struct hid_kbd hk;
	struct waker waker;		/* usb_kbd_set_leds() wakes us with it */
	struct usb_kbd_state *next;	/* in bus->keyboards */
	uint8_t report[KBD_REPORT_MAX];
	uint8_t led_report, leds_sent, leds_sending;
	bool leds_broken;
	unsigned errors;
	char error[64];
};

static struct usb_bus *bus_of(struct usb_kbd_state *k)
{
	return k->dev->bus;
}

static bool leds_due(struct usb_kbd_state *k)
{
	return !k->leds_broken && k->leds_sent != bus_of(k)->leds;
}

/* ---- the wait --------------------------------------------------------------- */

static enum poll kbd_wait_poll(struct future *f, struct context *cx)
{
	struct kbd_wait *w = (struct kbd_wait *)f;
	struct usb_kbd_state *k = w->k;

	if (usb_op_done(&k->in) || leds_due(k)) {
		if (w->timed)
			future_drop(&w->nap.base);	/* leave no timer behind */
		return POLL_READY;
	}
	waker_drop(&k->waker);
	k->waker = waker_clone(cx->waker);
	future_poll(&k->in.base, cx);	/* registers our waker: PENDING */
	if (w->timed && future_poll(&w->nap.base, cx) == POLL_READY)
		return POLL_READY;
	return POLL_PENDING;
}

static void kbd_wait_drop(struct future *f)
{
	struct kbd_wait *w = (struct kbd_wait *)f;

	waker_drop(&w->k->waker);
	future_drop(&w->k->in.base);
	if (w->timed)
		future_drop(&w->nap.base);
}

static const struct future_ops kbd_wait_ops = { .name = "usb_kbd_wait",
						.poll = kbd_wait_poll, .drop = kbd_wait_drop };

static void kbd_wait_init(struct kbd_wait *w, struct usb_kbd_state *k)
{
	uint64_t at = hid_kbd_next_repeat(&k->hk);

	w->base.ops = &kbd_wait_ops;
	w->k = k;
	w->timed = at != UINT64_MAX;
	if (w->timed)
		sleep_until_init(&w->nap, at);
}

/* ---- requests ------------------------------------------------------------------ */

static void request(struct usb_kbd_state *k, struct usb_setup s, void *data)
{
	usb_op_init(&k->op);
	usb_control(k->dev, &s, data, &k->op);
	usb_wait_init(&k->wait, k->dev, &k->op, USB_CONTROL_TIMEOUT_MS);
}

static struct usb_setup hid_request(struct usb_kbd_state *k, uint8_t req, uint16_t value,
				    uint16_t length)
{
	return (struct usb_setup){ USB_DIR_OUT | USB_TYPE_CLASS | USB_RECIP_INTERFACE, req,
				   value, k->iface, length };
}

static void start_configure(struct usb_kbd_state *k)
{
	usb_op_init(&k->op);
	usb_configure(k->dev, &k->ep, 1, NULL, &k->op);
	usb_wait_init(&k->wait, k->dev, &k->op, USB_CONTROL_TIMEOUT_MS);
}

static bool ok(struct usb_kbd_state *k, const char *what)
{
	if (k->op.status == USB_OK)
		return true;
	fmt_snprintf(k->error, sizeof k->error, "%s: %s", what, usb_status_text(k->op.status));
	return false;
}

/* A refusal (STALL) is an answer; a device that is gone or silent is not. */
static bool answered(struct usb_kbd_state *k, const char *what)
{
	return k->op.status == USB_OK || k->op.status == USB_STALL || ok(k, what);
}

static void start_in(struct usb_kbd_state *k)
{
	uint16_t len = k->ep.max_packet < KBD_REPORT_MAX ? k->ep.max_packet : KBD_REPORT_MAX;

	usb_op_init(&k->in);
	usb_interrupt_in(k->dev, &k->ep, k->report, len, &k->in);
}

/* ---- keys ---------------------------------------------------------------------- */

static void hand_out(struct usb_kbd_state *k, const struct hid_key_change *c, unsigned n)
{
	struct usb_bus_hooks *h = &bus_of(k)->hooks;

	for (unsigned i = 0; i < n; i++)
		if (h->key)
			h->key(h->ctx, c[i].key, c[i].pressed);
}

static void take_report(struct usb_kbd_state *k, uint64_t now)
{
	struct hid_key_change c[HID_KBD_MAX_CHANGES];

	hand_out(k, c, hid_kbd_report(&k->hk, k->report, k->in.actual, now, c));
}

static void repeat_keys(struct usb_kbd_state *k, uint64_t now)
{
	struct hid_key_change c;

	if (hid_kbd_repeat(&k->hk, now, &c))
		hand_out(k, &c, 1);
}

static uint64_t now_ms(struct context *cx)
{
	return timerq_now(executor_timers(cx->executor));
}

/* ---- joining and leaving the bus ------------------------------------------------ */

static void join(struct usb_kbd_state *k)
{
	struct usb_bus *bus = bus_of(k);

	k->next = bus->keyboards;
	bus->keyboards = k;
	bus->n_keyboards++;
	if (bus->hooks.keyboards_changed)
		bus->hooks.keyboards_changed(bus->hooks.ctx, bus->n_keyboards);
}

static void leave(struct usb_kbd_state *k)
{
	struct usb_bus *bus = bus_of(k);
	struct usb_kbd_state **pp = &bus->keyboards;
	struct hid_key_change c[HID_KBD_MAX_CHANGES];

	hand_out(k, c, hid_kbd_release_all(&k->hk, c));
	while (*pp && *pp != k)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = k->next;
	bus->n_keyboards--;
	if (bus->hooks.keyboards_changed)
		bus->hooks.keyboards_changed(bus->hooks.ctx, bus->n_keyboards);
}

/* ---- the task ----------------------------------------------------------------------- */

/* Cancelled (never in the kernel; a test's executor teardown): the
 * controller must not complete a transfer into freed task memory, so the
 * device is released first, which completes everything in flight. */
static void usb_kbd_cleanup(struct usb_kbd_state *k)
{
	usb_device_release(k->dev);
	leave(k);
	waker_drop(&k->waker);
	usb_device_put(k->dev);
}

ASYNC_FN_CLEANUP(usb_kbd, struct usb_kbd_state, usb_kbd_cleanup)
{
	ASYNC_BEGIN();
	hid_kbd_init(&self->hk, HID_KBD_REPEAT_DELAY_MS, HID_KBD_REPEAT_PERIOD_MS);
	start_configure(self);
	AWAIT(&self->wait);
	if (!ok(self, "configure endpoint"))
		goto fail;
	request(self, usb_set_configuration(self->config_value), NULL);
	AWAIT(&self->wait);
	if (!ok(self, "set configuration"))
		goto fail;
	request(self, hid_request(self, HID_REQ_SET_PROTOCOL, HID_PROTOCOL_BOOT, 0), NULL);
	AWAIT(&self->wait);
	if (!answered(self, "set protocol"))
		goto fail;
	if (self->op.status == USB_STALL)
		usb_log(bus_of(self), USB_LOG_WARN,
			"usb %s: keyboard refused the boot protocol; reading its reports as boot "
			"reports", self->dev->path);
	/* Report only on change.  Many keyboards stall this; that is fine. */
	request(self, hid_request(self, HID_REQ_SET_IDLE, 0, 0), NULL);
	AWAIT(&self->wait);
	if (!answered(self, "set idle"))
		goto fail;

	join(self);
	start_in(self);
	for (;;) {
		if (usb_op_done(&self->in)) {
			if (self->in.status == USB_GONE)
				break;
			if (self->in.status == USB_OK) {
				self->errors = 0;
				take_report(self, now_ms(cx));
			} else if (++self->errors >= KBD_ERROR_LIMIT) {
				fmt_snprintf(self->error, sizeof self->error, "reports: %s",
					     usb_status_text(self->in.status));
				goto fail_joined;
			} else if (self->in.status == USB_STALL) {
				request(self, (struct usb_setup){ USB_DIR_OUT | USB_RECIP_ENDPOINT,
						USB_REQ_CLEAR_FEATURE, USB_FEAT_ENDPOINT_HALT,
						self->ep.address, 0 }, NULL);
				AWAIT(&self->wait);
			}
			start_in(self);
		}
		repeat_keys(self, now_ms(cx));
		if (leds_due(self)) {
			self->leds_sending = bus_of(self)->leds;
			self->led_report = hid_kbd_led_report(self->leds_sending);
			request(self, hid_request(self, HID_REQ_SET_REPORT, HID_REPORT_OUTPUT << 8, 1),
				&self->led_report);
			AWAIT(&self->wait);
			if (!answered(self, "set LEDs"))
				goto fail_joined;
			if (self->op.status != USB_OK) {
				usb_log(bus_of(self), USB_LOG_WARN,
					"usb %s: keyboard refused its LEDs; not setting them again",
					self->dev->path);
				self->leds_broken = true;
			}
			self->leds_sent = self->leds_sending;
			continue;	/* a report may have come meanwhile */
		}
		kbd_wait_init(&self->kw, self);
		AWAIT(&self->kw);
	}
	leave(self);
	goto done;
fail_joined:
	leave(self);
fail:
	if (self->op.status != USB_GONE && self->in.status != USB_GONE)
		usb_log(bus_of(self), USB_LOG_WARN, "usb %s: keyboard: %s; keyboard not used",
			self->dev->path, self->error);
	usb_device_release(self->dev);
done:
	waker_drop(&self->waker);
	if (self->in.base.ops)
		future_drop(&self->in.base);
	usb_device_put(self->dev);
	ASYNC_END();
}

bool usb_kbd_start(struct usb_device *dev, const struct usb_config *cfg,
		   const struct usb_interface *intf)
{
	const struct usb_endpoint *ep = usb_find_interrupt_in(intf);
	struct usb_kbd_state t = { ASYNC_INIT(usb_kbd), .dev = dev, .iface = intf->number,
				   .config_value = cfg->value };

	if (!ep) {
		usb_log(dev->bus, USB_LOG_WARN, "usb %s: keyboard without an interrupt IN endpoint",
			dev->path);
		return false;
	}
	t.ep = *ep;
	return usb_driver_spawn(dev, &t.base, sizeof t);
}

void usb_kbd_set_leds(struct usb_bus *bus, uint8_t leds)
{
	bus->leds = leds;
	for (struct usb_kbd_state *k = bus->keyboards; k; k = k->next)
		if (waker_is_set(&k->waker))
			waker_wake_by_ref(&k->waker);
}
