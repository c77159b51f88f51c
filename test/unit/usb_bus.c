/*
 * Tests of enumeration, hubs and the keyboard driver (kernel/usb/enum.c,
 * hub.c, hub_driver.c, usb_kbd.c) over the simulated controller of
 * usb_fake.c: devices plugged into root ports and behind hubs, unplugged,
 * and misbehaving.  Time is simulated; every case ends by stopping the bus
 * and checking that every device and hub was freed.
 */
#include "kernel/input/kbd.h"
#include "kernel/usb/kbd/hid_kbd.h"
#include "kernel/usb/kbd/usb_kbd.h"
#include "test/ktest/ktest.h"
#include "test/unit/usb_fake.h"

KTEST_SUITE(usb_bus);

/* Enumeration takes ~120 ms of simulated time per device (debounce, reset,
 * recovery), and a hub waits for its ports' power: 2 s is plenty. */
#define SETTLE_MS 2000

static struct fake_hc hc;

static void type_a(struct fake_dev *kbd)
{
	fake_report(kbd, 0, (const uint8_t[]){ 0x04 }, 1);
	fake_report(kbd, 0, NULL, 0);
}

KTEST(usb_bus, keyboard_on_a_root_port)
{
	struct fake_dev kbd;

	fake_hc_init(&hc, 4);
	fake_keyboard(&kbd, USB_SPEED_HIGH);
	fake_plug(&hc, NULL, 2, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(kbd.addressed, 1);
	EXPECT_EQ(kbd.ep0_packet, 64);
	EXPECT_EQ(kbd.config_value, 1);
	EXPECT_EQ(kbd.protocol, 0);		/* boot */
	EXPECT_EQ(kbd.idle, 0);			/* report on change only */
	EXPECT_EQ(kbd.configured_ep.address, 0x81);
	EXPECT_EQ(kbd.configured_ep.interval, 7);
	EXPECT_FALSE(kbd.configured_as_hub);
	EXPECT_EQ(hc.keyboards, 1);
	EXPECT_EQ(hc.warnings, 0);
	EXPECT_TRUE(fake_logged(&hc, "usb 2: keyboard 0627:0001 \"QEMU USB Keyboard\", high speed"));
	ASSERT_NOT_NULL(kbd.bound);
	EXPECT_EQ(kbd.bound->route, 0);
	EXPECT_EQ(kbd.bound->root_port, 2);
	EXPECT_NULL(kbd.bound->tt_hub);

	type_a(&kbd);
	fake_hc_run(&hc, 20);
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_A, true), 1);
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_A, false), 1);
	EXPECT_TRUE(fake_hc_destroy(&hc));
	EXPECT_EQ(kbd.released, 1);
}

KTEST(usb_bus, full_speed_keyboard_gets_its_packet_size)
{
	struct fake_dev kbd;

	fake_hc_init(&hc, 1);
	fake_keyboard(&kbd, USB_SPEED_FULL);
	fake_plug(&hc, NULL, 1, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(kbd.ep0_packet, 8);
	EXPECT_EQ(kbd.configured_ep.interval, 10);
	EXPECT_EQ(hc.keyboards, 1);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, endpoint_zero_grows_to_what_the_device_says)
{
	/* A full-speed device starts at 8 bytes; this one says 64. */
	static const uint8_t device[18] = {
		18, 1, 0x10, 0x01, 0, 0, 0, 64, 0x34, 0x12, 0x78, 0x56, 0, 0, 0, 0, 0, 1,
	};
	static const uint8_t config[] = { 9, 2, 9, 0, 0, 1, 0, 0x80, 50 };
	struct fake_dev dev;

	fake_hc_init(&hc, 1);
	fake_custom(&dev, USB_SPEED_FULL, device, config, sizeof config);
	fake_plug(&hc, NULL, 1, &dev);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(dev.ep0_packet, 64);
	EXPECT_TRUE(fake_logged(&hc, "usb 1: 1234:5678, full speed, class 00 (no driver)"));
	EXPECT_EQ(hc.warnings, 0);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, keyboard_behind_a_full_speed_hub)
{
	struct fake_dev hub, kbd;

	fake_hc_init(&hc, 4);
	fake_hub(&hub, USB_SPEED_FULL, 8);
	fake_keyboard(&kbd, USB_SPEED_FULL);
	fake_plug(&hc, NULL, 3, &hub);
	fake_plug(&hc, &hub, 5, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_TRUE(hub.configured_as_hub);
	EXPECT_EQ(hub.hub_caps.ports, 8);
	EXPECT_EQ(hub.config_value, 1);
	for (unsigned p = 1; p <= 8; p++)
		EXPECT_TRUE(hub.ports[p].status & USB_PORT_STAT_POWER);
	ASSERT_NOT_NULL(kbd.bound);
	EXPECT_EQ(kbd.bound->route, 5);
	EXPECT_EQ(kbd.bound->root_port, 3);
	EXPECT_EQ(kbd.bound->depth, 1);
	EXPECT_NULL(kbd.bound->tt_hub);		/* a full-speed hub has no TT */
	EXPECT_STREQ(kbd.bound->path, "3.5");
	EXPECT_EQ(hc.keyboards, 1);
	EXPECT_EQ(hc.warnings, 0);
	EXPECT_TRUE(fake_logged(&hc, "usb 3: 8-port hub ready"));
	EXPECT_TRUE(fake_logged(&hc, "usb 3.5: keyboard"));
	type_a(&kbd);
	fake_hc_run(&hc, 20);
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_A, true), 1);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, low_speed_keyboard_uses_the_hubs_tt)
{
	struct fake_dev hub, kbd;

	fake_hc_init(&hc, 2);
	fake_hub(&hub, USB_SPEED_HIGH, 4);
	fake_keyboard(&kbd, USB_SPEED_LOW);
	fake_plug(&hc, NULL, 1, &hub);
	fake_plug(&hc, &hub, 4, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(hub.hub_caps.tt_think_time, 1);
	ASSERT_NOT_NULL(kbd.bound);
	EXPECT_EQ(kbd.bound->speed, USB_SPEED_LOW);
	ASSERT_NOT_NULL(kbd.bound->tt_hub);
	EXPECT_EQ(kbd.bound->tt_hub, hub.bound);
	EXPECT_EQ(kbd.bound->tt_port, 4);
	EXPECT_EQ(kbd.ep0_packet, 8);
	EXPECT_EQ(hc.keyboards, 1);		/* interface 0, not the media keys */
	EXPECT_TRUE(fake_logged(&hc, "\"Dell KB216 Wired Keyboard\", low speed"));
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, unplug_releases_keys_and_device)
{
	struct fake_dev kbd;

	fake_hc_init(&hc, 2);
	fake_keyboard(&kbd, USB_SPEED_HIGH);
	fake_plug(&hc, NULL, 1, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	fake_report(&kbd, 0x02, (const uint8_t[]){ 0x04 }, 1);	/* Shift+a held */
	fake_hc_run(&hc, 20);
	ASSERT_EQ(fake_key_count(&hc, KBD_KEY_LSHIFT, true), 1);
	fake_unplug(&hc, NULL, 1);
	fake_hc_run(&hc, 50);
	EXPECT_EQ(kbd.released, 1);
	EXPECT_EQ(hc.keyboards, 0);
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_LSHIFT, false), 1);	/* not stuck */
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_A, false), 1);
	EXPECT_NULL(hc.bus.devices);				/* freed */
	EXPECT_TRUE(fake_logged(&hc, "usb 1: keyboard disconnected"));
	/* Plugged back in: enumerated afresh. */
	fake_plug(&hc, NULL, 1, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(kbd.addressed, 2);
	EXPECT_EQ(hc.keyboards, 1);
	EXPECT_EQ(hc.warnings, 0);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, unplug_a_hub_releases_what_is_behind_it)
{
	struct fake_dev hub, k1, k2;

	fake_hc_init(&hc, 2);
	fake_hub(&hub, USB_SPEED_FULL, 8);
	fake_keyboard(&k1, USB_SPEED_FULL);
	fake_keyboard(&k2, USB_SPEED_FULL);
	fake_plug(&hc, NULL, 2, &hub);
	fake_plug(&hc, &hub, 1, &k1);
	fake_plug(&hc, &hub, 8, &k2);
	fake_hc_run(&hc, SETTLE_MS);
	ASSERT_EQ(hc.keyboards, 2);
	/* A keyboard unplugged from the hub: the hub reports it. */
	fake_unplug(&hc, &hub, 1);
	fake_hc_run(&hc, 50);
	EXPECT_EQ(k1.released, 1);
	EXPECT_EQ(hc.keyboards, 1);
	/* The hub itself: k2 goes with it. */
	fake_unplug(&hc, NULL, 2);
	fake_hc_run(&hc, 50);
	EXPECT_EQ(k2.released, 1);
	EXPECT_EQ(hub.released, 1);
	EXPECT_EQ(hc.keyboards, 0);
	EXPECT_NULL(hc.bus.devices);
	EXPECT_NULL(hc.bus.hubs->next);				/* only the root hub */
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, silent_device_times_out_with_one_warning)
{
	struct fake_dev dead, kbd;

	fake_hc_init(&hc, 2);
	fake_keyboard(&dead, USB_SPEED_FULL);
	dead.quirk = FAKE_SILENT;
	fake_keyboard(&kbd, USB_SPEED_HIGH);
	fake_plug(&hc, NULL, 1, &dead);
	fake_plug(&hc, NULL, 2, &kbd);
	fake_hc_run(&hc, 2 * (USB_CONTROL_TIMEOUT_MS + 500) + SETTLE_MS);
	EXPECT_EQ(hc.warnings, 1);
	EXPECT_TRUE(fake_logged(&hc, "warning: usb root: port 1: device descriptor: timed out; "
				     "ignoring the port until the device is unplugged"));
	EXPECT_EQ(dead.addressed, USB_ENUM_ATTEMPTS);
	EXPECT_EQ(dead.released, USB_ENUM_ATTEMPTS);
	EXPECT_EQ(hc.keyboards, 1);			/* the other port still works */
	/* Nothing more happens on that port until it is unplugged. */
	fake_hc_run(&hc, 1000);
	EXPECT_EQ(dead.addressed, USB_ENUM_ATTEMPTS);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, broken_configuration_is_refused)
{
	static const uint8_t config[] = {
		9, 2, 25, 0, 1, 1, 0, 0xa0, 50,
		9, 4, 0, 0, 1, 3, 1, 1, 0,
		0, 5, 0x81, 3, 8, 0, 10,		/* bLength 0 */
	};
	static const uint8_t device[18] = {
		18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x34, 0x12, 0x78, 0x56, 0, 0, 0, 0, 0, 1,
	};
	struct fake_dev bad;

	fake_hc_init(&hc, 1);
	fake_custom(&bad, USB_SPEED_HIGH, device, config, sizeof config);
	fake_plug(&hc, NULL, 1, &bad);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(hc.warnings, 1);
	EXPECT_TRUE(fake_logged(&hc, "port 1: configuration: bad bLength"));
	EXPECT_EQ(bad.config_value, 0);			/* never configured */
	EXPECT_EQ(hc.keyboards, 0);
	EXPECT_NULL(hc.bus.devices);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, bad_ep0_packet_size_is_refused)
{
	static const uint8_t device[18] = {
		18, 1, 0x00, 0x02, 0, 0, 0, 8, 0x34, 0x12, 0x78, 0x56, 0, 0, 0, 0, 0, 1,
	};
	struct fake_dev bad;

	fake_hc_init(&hc, 1);
	fake_custom(&bad, USB_SPEED_HIGH, device, device, 0);
	fake_plug(&hc, NULL, 1, &bad);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(hc.warnings, 1);
	EXPECT_TRUE(fake_logged(&hc, "bMaxPacketSize0 8 at high speed"));
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, port_that_never_enables)
{
	struct fake_dev kbd;

	fake_hc_init(&hc, 1);
	fake_keyboard(&kbd, USB_SPEED_FULL);
	hc.root[1].reset_fails = true;
	fake_plug(&hc, NULL, 1, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(hc.warnings, 1);
	EXPECT_TRUE(fake_logged(&hc, "port 1: port reset did not end"));
	EXPECT_EQ(kbd.addressed, 0);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, keyboard_quirks_are_tolerated)
{
	struct fake_dev k1, k2, k3;

	fake_hc_init(&hc, 3);
	fake_keyboard(&k1, USB_SPEED_HIGH);
	k1.quirk = FAKE_STALL_SET_IDLE;
	fake_keyboard(&k2, USB_SPEED_HIGH);
	k2.quirk = FAKE_STALL_SET_PROTOCOL;
	fake_keyboard(&k3, USB_SPEED_FULL);
	k3.quirk = FAKE_NO_PRODUCT_STRING;
	fake_plug(&hc, NULL, 1, &k1);
	fake_plug(&hc, NULL, 2, &k2);
	fake_plug(&hc, NULL, 3, &k3);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(hc.keyboards, 3);
	EXPECT_EQ(hc.warnings, 1);			/* only the boot protocol one */
	EXPECT_TRUE(fake_logged(&hc, "usb 2: keyboard refused the boot protocol"));
	EXPECT_TRUE(fake_logged(&hc, "usb 3: keyboard 0627:0001, full speed"));
	type_a(&k1);
	type_a(&k2);
	type_a(&k3);
	fake_hc_run(&hc, 20);
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_A, true), 3);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, leds_reach_every_keyboard)
{
	struct fake_dev hub, k1, k2;

	fake_hc_init(&hc, 2);
	fake_hub(&hub, USB_SPEED_FULL, 8);
	fake_keyboard(&k1, USB_SPEED_HIGH);
	fake_keyboard(&k2, USB_SPEED_FULL);
	fake_plug(&hc, NULL, 1, &k1);
	fake_plug(&hc, NULL, 2, &hub);
	fake_plug(&hc, &hub, 2, &k2);
	fake_hc_run(&hc, SETTLE_MS);
	ASSERT_EQ(hc.keyboards, 2);
	EXPECT_EQ(k1.set_reports, 0);		/* LEDs start off: nothing to send */
	usb_kbd_set_leds(&hc.bus, KBD_LED_CAPS | KBD_LED_NUM);
	fake_hc_run(&hc, 10);
	EXPECT_EQ(k1.leds, 0x03);
	EXPECT_EQ(k2.leds, 0x03);
	EXPECT_EQ(k1.set_reports, 1);
	usb_kbd_set_leds(&hc.bus, KBD_LED_CAPS | KBD_LED_NUM);	/* no change: no request */
	fake_hc_run(&hc, 10);
	EXPECT_EQ(k1.set_reports, 1);
	/* A keyboard plugged in later gets the current state. */
	struct fake_dev k3;
	fake_keyboard(&k3, USB_SPEED_FULL);
	fake_plug(&hc, &hub, 7, &k3);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(k3.leds, 0x03);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, led_refusal_warns_once)
{
	struct fake_dev kbd;

	fake_hc_init(&hc, 1);
	fake_keyboard(&kbd, USB_SPEED_HIGH);
	kbd.quirk = FAKE_STALL_SET_REPORT;
	fake_plug(&hc, NULL, 1, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	usb_kbd_set_leds(&hc.bus, KBD_LED_CAPS);
	fake_hc_run(&hc, 10);
	usb_kbd_set_leds(&hc.bus, 0);
	fake_hc_run(&hc, 10);
	EXPECT_EQ(hc.warnings, 1);
	type_a(&kbd);				/* and it still types */
	fake_hc_run(&hc, 10);
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_A, true), 1);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, typematic_repeat_on_the_executor_clock)
{
	struct fake_dev kbd;
	uint64_t pressed_at;

	fake_hc_init(&hc, 1);
	fake_keyboard(&kbd, USB_SPEED_HIGH);
	fake_plug(&hc, NULL, 1, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	fake_report(&kbd, 0, (const uint8_t[]){ 0x05 }, 1);	/* b held */
	fake_hc_run(&hc, 1);
	ASSERT_EQ(hc.n_keys, 1);
	pressed_at = hc.keys[0].at;
	fake_hc_run(&hc, 1000);
	fake_report(&kbd, 0, NULL, 0);
	fake_hc_run(&hc, 300);
	/* 500 ms delay, then every 92 ms until released at ~1000 ms: 6. */
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_B, true), 1 + 6);
	EXPECT_EQ(fake_key_count(&hc, KBD_KEY_B, false), 1);
	ASSERT_GE(hc.n_keys, 3);
	EXPECT_GE(hc.keys[1].at - pressed_at, HID_KBD_REPEAT_DELAY_MS);
	EXPECT_LE(hc.keys[1].at - pressed_at, HID_KBD_REPEAT_DELAY_MS + 2);
	EXPECT_GE(hc.keys[2].at - hc.keys[1].at, HID_KBD_REPEAT_PERIOD_MS);
	EXPECT_LE(hc.keys[2].at - hc.keys[1].at, HID_KBD_REPEAT_PERIOD_MS + 2);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, device_without_a_driver_is_listed)
{
	struct fake_dev stick;

	fake_hc_init(&hc, 1);
	fake_storage(&stick);
	fake_plug(&hc, NULL, 1, &stick);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(hc.warnings, 0);
	EXPECT_TRUE(fake_logged(&hc, "usb 1: 0781:5581 \"USB Flash Disk\", high speed, "
				     "class 08 (no driver)"));
	EXPECT_EQ(stick.config_value, 0);
	EXPECT_NOT_NULL(usb_hub_child(&hc.bus, NULL, 1));
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, unplug_during_enumeration)
{
	struct fake_dev kbd;

	fake_hc_init(&hc, 1);
	fake_keyboard(&kbd, USB_SPEED_HIGH);
	fake_plug(&hc, NULL, 1, &kbd);
	fake_hc_run(&hc, 60);			/* inside the debounce */
	fake_unplug(&hc, NULL, 1);
	fake_hc_run(&hc, SETTLE_MS);
	EXPECT_EQ(kbd.addressed, 0);
	EXPECT_EQ(hc.warnings, 0);
	EXPECT_NULL(hc.bus.devices);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, unplugging_a_silent_device_frees_the_bus_at_once)
{
	struct fake_dev dead, hub, kbd;

	/* The bus task waits (up to 5 s) on a device that never answers; it is
	 * unplugged.  The wait must end then, not at the timeout, so the hub
	 * plugged in meanwhile comes up at once, and nobody is warned about a
	 * device that simply left. */
	fake_hc_init(&hc, 2);
	fake_keyboard(&dead, USB_SPEED_FULL);
	dead.quirk = FAKE_SILENT;
	fake_hub(&hub, USB_SPEED_FULL, 4);
	fake_keyboard(&kbd, USB_SPEED_FULL);
	fake_plug(&hc, NULL, 1, &dead);
	fake_hc_run(&hc, 300);
	ASSERT_EQ(dead.addressed, 1);		/* stuck in its first request */
	fake_plug(&hc, NULL, 2, &hub);
	fake_plug(&hc, &hub, 1, &kbd);
	fake_unplug(&hc, NULL, 1);
	fake_hc_run(&hc, 1500);
	EXPECT_EQ(dead.released, 1);
	EXPECT_EQ(dead.addressed, 1);
	EXPECT_EQ(hc.keyboards, 1);		/* in 1.5 s, not after 5 */
	EXPECT_EQ(hc.warnings, 0);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, unplugging_a_hub_frees_what_is_enumerating_behind_it)
{
	struct fake_dev hub, dead;

	fake_hc_init(&hc, 1);
	fake_hub(&hub, USB_SPEED_HIGH, 4);
	fake_keyboard(&dead, USB_SPEED_LOW);
	dead.quirk = FAKE_SILENT;
	fake_plug(&hc, NULL, 1, &hub);
	fake_plug(&hc, &hub, 2, &dead);
	fake_hc_run(&hc, 1000);
	ASSERT_EQ(dead.addressed, 1);		/* behind the hub, stuck */
	fake_unplug(&hc, NULL, 1);
	fake_hc_run(&hc, 50);
	EXPECT_EQ(dead.released, 1);
	EXPECT_EQ(hub.released, 1);
	EXPECT_NULL(hc.bus.devices);
	EXPECT_EQ(hc.warnings, 0);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, a_released_device_is_never_handed_to_the_controller)
{
	struct usb_device *dev;
	struct usb_endpoint ep = { .address = 0x81, .attributes = 3, .max_packet = 8,
				   .interval = 10 };
	struct usb_setup setup = usb_set_configuration(1);
	struct usb_op op;
	uint8_t buf[8];

	/* Driver tasks can still hold a device their hub has let go of (a
	 * keyboard unplugged while its task configures it).  Every call on it
	 * must end at once with USB_GONE, not reach the controller, which
	 * freed its state for the device. */
	fake_hc_init(&hc, 1);
	dev = usb_device_new(&hc.bus, NULL, 1, 1, USB_SPEED_FULL);
	ASSERT_NOT_NULL(dev);
	usb_device_release(dev);
	usb_op_init(&op);
	usb_address(dev, &op);
	EXPECT_EQ(op.status, USB_GONE);
	usb_op_init(&op);
	usb_update_ep0(dev, &op);
	EXPECT_EQ(op.status, USB_GONE);
	usb_op_init(&op);
	usb_configure(dev, &ep, 1, NULL, &op);
	EXPECT_EQ(op.status, USB_GONE);
	usb_op_init(&op);
	usb_control(dev, &setup, NULL, &op);
	EXPECT_EQ(op.status, USB_GONE);
	usb_op_init(&op);
	usb_interrupt_in(dev, &ep, buf, sizeof buf, &op);
	EXPECT_EQ(op.status, USB_GONE);
	EXPECT_EQ(hc.violations, 0);
	usb_device_put(dev);
	EXPECT_TRUE(fake_hc_destroy(&hc));
}

KTEST(usb_bus, cancelled_tasks_leave_nothing_behind)
{
	struct fake_dev hub, kbd, dead;

	/* The executor is torn down under a running bus: a hub, a keyboard
	 * with a report in flight, a device stuck in enumeration.  Every task's
	 * drop must release what it holds: no transfer may stay in flight into
	 * freed memory (ASan would see it complete), nothing may leak. */
	fake_hc_init(&hc, 2);
	fake_hub(&hub, USB_SPEED_FULL, 4);
	fake_keyboard(&kbd, USB_SPEED_FULL);
	fake_keyboard(&dead, USB_SPEED_FULL);
	dead.quirk = FAKE_SILENT;
	fake_plug(&hc, NULL, 1, &hub);
	fake_plug(&hc, &hub, 2, &kbd);
	fake_hc_run(&hc, SETTLE_MS);
	ASSERT_EQ(hc.keyboards, 1);
	fake_plug(&hc, NULL, 2, &dead);
	fake_hc_run(&hc, 300);
	ASSERT_EQ(dead.addressed, 1);
	executor_teardown(&hc.ex);
	EXPECT_NULL(hc.bus.devices);
	EXPECT_NULL(hc.bus.hubs);
	EXPECT_EQ(hc.n_pending, 0);
	EXPECT_EQ(hc.keyboards, 0);
	EXPECT_EQ(kbd.released, 1);
	EXPECT_EQ(dead.released, 1);
	EXPECT_EQ(hc.violations, 0);
}
