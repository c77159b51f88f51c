/*
 * Tests of the USB descriptor parsers (kernel/usb/desc.c): real devices'
 * descriptors parse to what lsusb -v shows for them, and every kind of
 * broken descriptor is refused with the right error or skipped and counted.
 */
#include "kernel/usb/desc.h"

#include "kernel/lib/string.h"
#include "test/ktest/ktest.h"

KTEST_SUITE(usb_desc);

/* QEMU's usb-kbd at high speed (hw/usb/dev-hid.c: desc_device_keyboard2). */
static const uint8_t qemu_kbd_device[18] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x27, 0x06, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x04, 0x0b, 0x01,
};
static const uint8_t qemu_kbd_config[34] = {
	0x09, 0x02, 0x22, 0x00, 0x01, 0x01, 0x08, 0xa0, 0x32,
	0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00,
	0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00,
	0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x07,
};

/* A keyboard with media keys: boot keyboard on interface 0, a consumer
 * control HID on interface 1 with an alternate setting and an IAD, and a
 * vendor descriptor in between. */
static const uint8_t composite_config[] = {
	0x09, 0x02, 0x58, 0x00, 0x02, 0x01, 0x00, 0xa0, 0x32,
	0x08, 0x0b, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00,	/* IAD */
	0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00,
	0x09, 0x21, 0x10, 0x01, 0x00, 0x01, 0x22, 0x41, 0x00,
	0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x0a,
	0x05, 0xff, 0x01, 0x02, 0x03,				/* vendor */
	0x09, 0x04, 0x01, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00,
	0x09, 0x21, 0x10, 0x01, 0x00, 0x01, 0x22, 0x33, 0x00,
	0x07, 0x05, 0x82, 0x03, 0x04, 0x00, 0x0a,
	0x09, 0x04, 0x01, 0x01, 0x01, 0x03, 0x00, 0x00, 0x00,	/* alt 1 */
	0x07, 0x05, 0x82, 0x03, 0x10, 0x00, 0x01,
};

/* A SuperSpeed device's bulk endpoint with its companion. */
static const uint8_t ss_storage_config[] = {
	0x09, 0x02, 0x2c, 0x00, 0x01, 0x01, 0x00, 0x80, 0x70,
	0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00,
	0x07, 0x05, 0x81, 0x02, 0x00, 0x04, 0x00,
	0x06, 0x30, 0x0f, 0x00, 0x00, 0x00,
	0x07, 0x05, 0x02, 0x02, 0x00, 0x04, 0x00,
	0x06, 0x30, 0x0f, 0x00, 0x00, 0x00,
};

static enum usb_desc_err parse(const uint8_t *b, size_t n, struct usb_config *c)
{
	return usb_parse_config(b, n, c);
}

KTEST(usb_desc, qemu_keyboard_device)
{
	struct usb_device_desc d;
	uint8_t mp0 = 0;

	ASSERT_EQ(usb_parse_device_desc(qemu_kbd_device, 18, &d), USB_DESC_OK);
	EXPECT_EQ(d.bcd_usb, 0x0200);
	EXPECT_EQ(d.max_packet0, 64);
	EXPECT_EQ(d.vendor, 0x0627);
	EXPECT_EQ(d.product, 0x0001);
	EXPECT_EQ(d.i_product, 4);
	EXPECT_EQ(d.num_configs, 1);
	EXPECT_EQ(usb_parse_device_prefix(qemu_kbd_device, 8, &mp0), USB_DESC_OK);
	EXPECT_EQ(mp0, 64);
}

KTEST(usb_desc, device_refusals)
{
	struct usb_device_desc d;
	uint8_t b[18], mp0;

	EXPECT_EQ(usb_parse_device_desc(qemu_kbd_device, 17, &d), USB_DESC_SHORT);
	EXPECT_EQ(usb_parse_device_prefix(qemu_kbd_device, 7, &mp0), USB_DESC_SHORT);
	memcpy(b, qemu_kbd_device, 18);
	b[1] = USB_DT_CONFIG;
	EXPECT_EQ(usb_parse_device_desc(b, 18, &d), USB_DESC_BAD_TYPE);
	EXPECT_EQ(usb_parse_device_prefix(b, 8, &mp0), USB_DESC_BAD_TYPE);
	b[1] = USB_DT_DEVICE;
	b[0] = 17;
	EXPECT_EQ(usb_parse_device_desc(b, 18, &d), USB_DESC_BAD_LENGTH);
	EXPECT_EQ(usb_parse_device_prefix(b, 8, &mp0), USB_DESC_BAD_LENGTH);
	b[0] = 18;
	b[17] = 0;	/* no configurations */
	EXPECT_EQ(usb_parse_device_desc(b, 18, &d), USB_DESC_BAD_VALUE);
}

KTEST(usb_desc, ep0_packet_sizes_by_speed)
{
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_LOW, 8), 8);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_LOW, 64), 0);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_FULL, 8), 8);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_FULL, 32), 32);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_FULL, 24), 0);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_HIGH, 64), 64);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_HIGH, 8), 0);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_SUPER, 9), 512);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_SUPER, 64), 0);
	EXPECT_EQ(usb_ep0_packet_size(USB_SPEED_UNKNOWN, 8), 0);
	EXPECT_EQ(usb_ep0_default_packet_size(USB_SPEED_FULL), 8);
	EXPECT_EQ(usb_ep0_default_packet_size(USB_SPEED_HIGH), 64);
	EXPECT_EQ(usb_ep0_default_packet_size(USB_SPEED_SUPER_PLUS), 512);
}

KTEST(usb_desc, qemu_keyboard_config)
{
	struct usb_config c;
	const struct usb_interface *kbd;
	const struct usb_endpoint *ep;
	uint16_t total;

	EXPECT_EQ(usb_parse_config_header(qemu_kbd_config, 9, &total), USB_DESC_OK);
	EXPECT_EQ(total, 34);
	ASSERT_EQ(parse(qemu_kbd_config, sizeof qemu_kbd_config, &c), USB_DESC_OK);
	EXPECT_EQ(c.value, 1);
	EXPECT_EQ(c.attributes, 0xa0);
	EXPECT_EQ(c.max_power, 50);
	ASSERT_EQ(c.n_if, 1);
	kbd = usb_find_interface(&c, USB_CLASS_HID, USB_HID_SUBCLASS_BOOT,
				 USB_HID_PROTOCOL_KEYBOARD);
	ASSERT_NOT_NULL(kbd);
	EXPECT_TRUE(kbd->has_hid);
	EXPECT_EQ(kbd->hid.bcd_hid, 0x0111);
	EXPECT_EQ(kbd->hid.report_desc_len, 63);
	EXPECT_FALSE(kbd->endpoints_missing);
	ep = usb_find_interrupt_in(kbd);
	ASSERT_NOT_NULL(ep);
	EXPECT_EQ(ep->address, 0x81);
	EXPECT_EQ(usb_ep_number(ep), 1);
	EXPECT_EQ(ep->max_packet, 8);
	EXPECT_EQ(ep->interval, 7);
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_HIGH, ep->interval), 64);	/* 8 ms */
	EXPECT_EQ(c.bad_endpoints + c.skipped_endpoints + c.orphan_descs, 0);
}

KTEST(usb_desc, composite_keyboard_keeps_alt_zero)
{
	struct usb_config c;

	ASSERT_EQ(parse(composite_config, sizeof composite_config, &c), USB_DESC_OK);
	ASSERT_EQ(c.n_if, 2);
	EXPECT_EQ(c.skipped_alt_settings, 1);
	EXPECT_EQ(c.intf[1].number, 1);
	EXPECT_EQ(c.intf[1].n_ep, 1);
	EXPECT_EQ(c.intf[1].ep[0].max_packet, 4);	/* alt 0's, not alt 1's 16 */
	EXPECT_EQ(c.intf[1].hid.report_desc_len, 0x33);
	EXPECT_EQ(usb_find_interface(&c, USB_CLASS_HID, 1, 1), &c.intf[0]);
	EXPECT_NULL(usb_find_interface(&c, USB_CLASS_HUB, -1, -1));
}

KTEST(usb_desc, superspeed_companion)
{
	struct usb_config c;

	ASSERT_EQ(parse(ss_storage_config, sizeof ss_storage_config, &c), USB_DESC_OK);
	ASSERT_EQ(c.n_if, 1);
	ASSERT_EQ(c.intf[0].n_ep, 2);
	EXPECT_EQ(c.intf[0].ep[0].max_packet, 1024);
	EXPECT_TRUE(c.intf[0].ep[0].has_companion);
	EXPECT_EQ(c.intf[0].ep[0].max_burst, 15);
	EXPECT_EQ(usb_ep_type(&c.intf[0].ep[1]), USB_EP_BULK);
	EXPECT_FALSE(usb_ep_is_in(&c.intf[0].ep[1]));
	EXPECT_NULL(usb_find_interrupt_in(&c.intf[0]));
}

/* A copy of the QEMU keyboard's configuration with one byte changed. */
static enum usb_desc_err broken(unsigned at, uint8_t value, size_t len, struct usb_config *c)
{
	uint8_t b[sizeof qemu_kbd_config];

	memcpy(b, qemu_kbd_config, sizeof b);
	b[at] = value;
	return parse(b, len, c);
}

KTEST(usb_desc, config_refusals)
{
	struct usb_config c;

	EXPECT_EQ(broken(0, 9, 8, &c), USB_DESC_SHORT);		/* no header */
	EXPECT_EQ(broken(1, USB_DT_DEVICE, 34, &c), USB_DESC_BAD_TYPE);
	EXPECT_EQ(broken(0, 8, 34, &c), USB_DESC_BAD_LENGTH);	/* header bLength */
	EXPECT_EQ(broken(2, 8, 34, &c), USB_DESC_BAD_TOTAL);	/* total < header */
	EXPECT_EQ(broken(2, 35, 34, &c), USB_DESC_SHORT);	/* total > what came */
	EXPECT_EQ(broken(9, 0, 34, &c), USB_DESC_BAD_LENGTH);	/* bLength 0: no progress */
	EXPECT_EQ(broken(9, 1, 34, &c), USB_DESC_BAD_LENGTH);
	EXPECT_EQ(broken(9, 8, 34, &c), USB_DESC_BAD_LENGTH);	/* short interface */
	EXPECT_EQ(broken(27, 6, 34, &c), USB_DESC_BAD_LENGTH);	/* short endpoint */
	EXPECT_EQ(broken(27, 8, 34, &c), USB_DESC_BAD_TOTAL);	/* runs past the total */
	EXPECT_EQ(broken(18, 6, 34, &c), USB_DESC_BAD_LENGTH);	/* short HID */
	EXPECT_EQ(broken(23, 2, 34, &c), USB_DESC_BAD_LENGTH);	/* 2 class descs in 9 bytes */
	EXPECT_EQ(broken(23, 0, 34, &c), USB_DESC_BAD_LENGTH);	/* none */
	EXPECT_EQ(broken(24, 0x23, 34, &c), USB_DESC_BAD_VALUE); /* not a report desc */
	/* A stray byte after the last descriptor. */
	uint8_t b[sizeof qemu_kbd_config + 1];
	memcpy(b, qemu_kbd_config, sizeof qemu_kbd_config);
	b[2] = sizeof b;
	b[sizeof b - 1] = 0x07;
	EXPECT_EQ(parse(b, sizeof b, &c), USB_DESC_BAD_LENGTH);
}

KTEST(usb_desc, bad_endpoints_are_dropped_and_counted)
{
	struct usb_config c;

	EXPECT_EQ(broken(29, 0x80, 34, &c), USB_DESC_OK);	/* endpoint 0 */
	EXPECT_EQ(c.bad_endpoints, 1);
	EXPECT_EQ(c.intf[0].n_ep, 0);
	EXPECT_NULL(usb_find_interrupt_in(&c.intf[0]));
	EXPECT_EQ(broken(31, 0, 34, &c), USB_DESC_OK);		/* max packet 0 */
	EXPECT_EQ(c.bad_endpoints, 1);
	EXPECT_EQ(broken(32, 0x18, 34, &c), USB_DESC_OK);	/* mult 3: reserved */
	EXPECT_EQ(c.bad_endpoints, 1);
	EXPECT_EQ(broken(13, 2, 34, &c), USB_DESC_OK);		/* declares 2, has 1 */
	EXPECT_TRUE(c.intf[0].endpoints_missing);
	EXPECT_EQ(broken(13, 0, 34, &c), USB_DESC_OK);		/* declares 0, has 1 */
	EXPECT_EQ(c.skipped_endpoints, 1);
	EXPECT_EQ(c.intf[0].n_ep, 0);
}

KTEST(usb_desc, duplicate_endpoint_and_orphans)
{
	static const uint8_t dup[] = {
		0x09, 0x02, 0x30, 0x00, 0x01, 0x01, 0x00, 0xa0, 0x32,
		0x07, 0x05, 0x83, 0x03, 0x08, 0x00, 0x0a,		/* before any interface */
		0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00,	/* so is this */
		0x09, 0x04, 0x00, 0x00, 0x02, 0x03, 0x01, 0x01, 0x00,
		0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x0a,
		0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x0a,		/* same address */
	};
	struct usb_config c;

	ASSERT_EQ(parse(dup, sizeof dup, &c), USB_DESC_OK);
	EXPECT_EQ(c.orphan_descs, 2);
	EXPECT_EQ(c.bad_endpoints, 1);
	EXPECT_EQ(c.intf[0].n_ep, 1);
	EXPECT_FALSE(c.intf[0].has_hid);
}

KTEST(usb_desc, too_many_interfaces_are_counted)
{
	uint8_t b[9 + 9 * (USB_MAX_INTERFACES + 3)];
	struct usb_config c;
	size_t n = 9;

	memset(b, 0, sizeof b);
	b[0] = 9;
	b[1] = USB_DT_CONFIG;
	b[2] = sizeof b;
	for (unsigned i = 0; i < USB_MAX_INTERFACES + 3; i++, n += 9) {
		b[n] = 9;
		b[n + 1] = USB_DT_INTERFACE;
		b[n + 2] = (uint8_t)i;
	}
	ASSERT_EQ(parse(b, sizeof b, &c), USB_DESC_OK);
	EXPECT_EQ(c.n_if, USB_MAX_INTERFACES);
	EXPECT_EQ(c.skipped_interfaces, 3);
}

KTEST(usb_desc, intervals)
{
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_FULL, 10), 80);
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_LOW, 255), 255 * 8);
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_FULL, 0), 0);
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_HIGH, 1), 1);
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_HIGH, 16), 32768);
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_HIGH, 17), 0);
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_SUPER, 0), 0);
	EXPECT_EQ(usb_interval_microframes(USB_SPEED_SUPER, 4), 8);
}

KTEST(usb_desc, hub_descriptors)
{
	/* QEMU's 8-port usb-hub: 7 bytes, then DeviceRemovable and
	 * PortPwrCtrlMask of 2 bytes each. */
	static const uint8_t qemu_hub[] = { 11, 0x29, 8, 0x0a, 0x00, 0x01, 0x00,
					    0x00, 0x00, 0xff, 0xff };
	static const uint8_t tt_hub[] = { 9, 0x29, 4, 0x29, 0x00, 50, 100, 0x04, 0xff };
	static const uint8_t ss_hub[] = { 12, 0x2a, 4, 0x09, 0x00, 10, 0, 0, 0, 0, 0x06, 0 };
	struct usb_hub_desc h;

	ASSERT_EQ(usb_parse_hub_desc(qemu_hub, sizeof qemu_hub, false, &h), USB_DESC_OK);
	EXPECT_EQ(h.num_ports, 8);
	EXPECT_EQ(h.power_on_to_good_2ms, 1);
	EXPECT_FALSE(h.super);
	ASSERT_EQ(usb_parse_hub_desc(tt_hub, sizeof tt_hub, false, &h), USB_DESC_OK);
	EXPECT_EQ(h.num_ports, 4);
	EXPECT_EQ(h.tt_think_time, 1);
	EXPECT_EQ(h.removable[0], 0x04);
	ASSERT_EQ(usb_parse_hub_desc(ss_hub, sizeof ss_hub, true, &h), USB_DESC_OK);
	EXPECT_TRUE(h.super);
	EXPECT_EQ(h.removable[0], 0x06);
	/* Refusals. */
	EXPECT_EQ(usb_parse_hub_desc(ss_hub, sizeof ss_hub, false, &h), USB_DESC_BAD_TYPE);
	EXPECT_EQ(usb_parse_hub_desc(qemu_hub, 6, false, &h), USB_DESC_SHORT);
	uint8_t b[sizeof qemu_hub];
	memcpy(b, qemu_hub, sizeof b);
	b[2] = 0;
	EXPECT_EQ(usb_parse_hub_desc(b, sizeof b, false, &h), USB_DESC_BAD_VALUE);
	b[2] = 8;
	b[0] = 7;	/* no room for 8 ports' bitmap */
	EXPECT_EQ(usb_parse_hub_desc(b, sizeof b, false, &h), USB_DESC_BAD_LENGTH);
	b[0] = 11;
	EXPECT_EQ(usb_parse_hub_desc(b, 8, false, &h), USB_DESC_SHORT);
	uint8_t s[sizeof ss_hub];
	memcpy(s, ss_hub, sizeof s);
	s[2] = 16;	/* SuperSpeed hubs have at most 15 ports */
	EXPECT_EQ(usb_parse_hub_desc(s, sizeof s, true, &h), USB_DESC_BAD_VALUE);
}

KTEST(usb_desc, strings)
{
	static const uint8_t qemu[] = { 36, 3, 'Q', 0, 'E', 0, 'M', 0, 'U', 0, ' ', 0,
					'U', 0, 'S', 0, 'B', 0, ' ', 0, 'K', 0, 'e', 0, 'y', 0,
					'b', 0, 'o', 0, 'a', 0, 'r', 0, 'd', 0 };
	static const uint8_t odd[] = { 9, 3, 'a', 0, 0xe9, 0, 0x3a, 0x26, 'z' };
	char out[48];

	ASSERT_EQ(usb_parse_string(qemu, sizeof qemu, out, sizeof out), USB_DESC_OK);
	EXPECT_STREQ(out, "QEMU USB Keyboard");
	ASSERT_EQ(usb_parse_string(odd, sizeof odd, out, sizeof out), USB_DESC_OK);
	EXPECT_STREQ(out, "a??");	/* non-ASCII replaced, odd byte dropped */
	ASSERT_EQ(usb_parse_string(qemu, sizeof qemu, out, 5), USB_DESC_OK);
	EXPECT_STREQ(out, "QEMU");	/* truncated, terminated */
	EXPECT_EQ(usb_parse_string(qemu, 20, out, sizeof out), USB_DESC_SHORT);
	EXPECT_EQ(usb_parse_string(qemu_kbd_device, 18, out, sizeof out), USB_DESC_BAD_TYPE);
	EXPECT_STREQ(out, "");
}
