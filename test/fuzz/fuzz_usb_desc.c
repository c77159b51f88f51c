/*
 * fuzz_usb_desc — arbitrary bytes, as a device would send them, into every
 * USB descriptor parser (kernel/usb/desc.c), from an exact-size heap copy
 * so ASan catches any read past what "arrived".
 *
 * Invariants checked whenever a parser says OK:
 *   - device: at least one configuration;
 *   - configuration: wTotalLength within the input; at most USB_MAX_*
 *     interfaces and endpoints kept; every kept interface is alternate
 *     setting 0 with a unique number; every kept endpoint has a number
 *     1..15, a usable packet size, no reserved mult, a unique address in
 *     its interface; the lookups return kept entries; the same bytes parse
 *     to the same result twice;
 *   - hub: 1+ ports, at most 15 on a SuperSpeed hub;
 *   - string: NUL-terminated inside the buffer, printable ASCII only.
 * On every input: a parse error's text is known.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/usb/desc.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,     \
				#cond);                                        \
			abort();                                               \
		}                                                              \
	} while (0)

static void check_text(enum usb_desc_err e)
{
	CHECK(strcmp(usb_desc_err_text(e), "?") != 0);
}

static void check_endpoints(const struct usb_interface *intf)
{
	CHECK(intf->n_ep <= USB_MAX_ENDPOINTS);
	for (unsigned i = 0; i < intf->n_ep; i++) {
		const struct usb_endpoint *e = &intf->ep[i];
		CHECK(usb_ep_number(e) >= 1 && usb_ep_number(e) <= 15);
		CHECK(e->max_packet > 0 || usb_ep_type(e) == USB_EP_ISOCH);
		CHECK(e->max_packet <= 0x7ff && e->mult < 3);
		for (unsigned j = 0; j < i; j++)
			CHECK(intf->ep[j].address != e->address);
	}
	const struct usb_endpoint *in = usb_find_interrupt_in(intf);
	if (in) {
		CHECK(in >= intf->ep && in < intf->ep + intf->n_ep);
		CHECK(usb_ep_type(in) == USB_EP_INTERRUPT && usb_ep_is_in(in));
	}
}

static void check_config(const uint8_t *buf, size_t len)
{
	static struct usb_config a, b;
	enum usb_desc_err e = usb_parse_config(buf, len, &a);
	uint16_t total;

	check_text(e);
	CHECK(usb_parse_config(buf, len, &b) == e);
	if (e != USB_DESC_OK)
		return;
	CHECK(memcmp(&a, &b, sizeof a) == 0);
	CHECK(usb_parse_config_header(buf, len, &total) == USB_DESC_OK);
	CHECK(total == a.total_length && total <= len && total >= USB_CONFIG_DESC_LEN);
	CHECK(a.n_if <= USB_MAX_INTERFACES);
	for (unsigned i = 0; i < a.n_if; i++) {
		CHECK(a.intf[i].alt_setting == 0);
		for (unsigned j = 0; j < i; j++)
			CHECK(a.intf[j].number != a.intf[i].number);
		check_endpoints(&a.intf[i]);
	}
	const struct usb_interface *k = usb_find_interface(&a, USB_CLASS_HID, 1, 1);
	CHECK(!k || (k >= a.intf && k < a.intf + a.n_if && k->if_class == USB_CLASS_HID));
}

static void check_device(const uint8_t *buf, size_t len)
{
	struct usb_device_desc d;
	uint8_t mp0;
	enum usb_desc_err e = usb_parse_device_desc(buf, len, &d);

	check_text(e);
	if (e == USB_DESC_OK) {
		CHECK(d.num_configs >= 1);
		CHECK(usb_parse_device_prefix(buf, len, &mp0) == USB_DESC_OK);
		CHECK(mp0 == d.max_packet0);
		for (int s = USB_SPEED_UNKNOWN; s <= USB_SPEED_SUPER_PLUS; s++) {
			uint16_t size = usb_ep0_packet_size((enum usb_speed)s, mp0);
			CHECK(size == 0 || size == 8 || size == 16 || size == 32 || size == 64 ||
			      size == 512);
		}
	}
}

static void check_hub(const uint8_t *buf, size_t len, bool super)
{
	struct usb_hub_desc h;
	enum usb_desc_err e = usb_parse_hub_desc(buf, len, super, &h);

	check_text(e);
	if (e == USB_DESC_OK) {
		CHECK(h.num_ports >= 1);
		CHECK(!super || h.num_ports <= 15);
		CHECK(h.super == super && h.tt_think_time <= 3);
	}
}

static void check_string(const uint8_t *buf, size_t len, size_t n)
{
	char out[64];

	memset(out, 'X', sizeof out);
	check_text(usb_parse_string(buf, len, out, n));
	size_t l = strnlen(out, n);
	CHECK(l < n);
	for (size_t i = 0; i < l; i++)
		CHECK(out[i] >= 0x20 && out[i] <= 0x7e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	check_config(buf, size);
	check_device(buf, size);
	check_hub(buf, size, false);
	check_hub(buf, size, true);
	check_string(buf, size, 64);
	check_string(buf, size, 1 + (size ? data[0] % 63 : 0));
	for (int s = USB_SPEED_UNKNOWN; s <= USB_SPEED_SUPER_PLUS; s++)
		CHECK(usb_interval_microframes((enum usb_speed)s, size ? data[0] : 0) <= 32768);
	free(buf);
	return 0;
}
