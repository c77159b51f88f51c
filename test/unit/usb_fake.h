/*
 * usb_fake.h — a simulated host controller with simulated devices, for the
 * tests of kernel/usb/'s enumeration, hub and keyboard logic.
 *
 * It implements struct usb_hc_ops the way a real controller behaves: every
 * operation is queued and completes later, when the test calls
 * fake_hc_poll() (the "event ring"); interrupt IN transfers stay pending
 * until the device has something to send.  The devices answer standard,
 * hub and HID requests from their descriptor bytes and record what they were
 * told (configuration, protocol, idle rate, LEDs), and can be told to
 * misbehave (stall a request, never answer, fail a port reset).
 *
 * A hub device has fake ports of its own; the controller finds a device by
 * walking the route string from the root port, as an xHC does.
 */
#ifndef COOP_TEST_UNIT_USB_FAKE_H
#define COOP_TEST_UNIT_USB_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/usb/core.h"
#include "kernel/usb/hub.h"
#include "sched/executor.h"

#define FAKE_PORTS 8
#define FAKE_REPORTS 32
#define FAKE_PENDING 64
#define FAKE_LOG 4096
#define FAKE_KEYS 256

struct fake_dev;

struct fake_port {
	struct fake_dev *dev;
	uint16_t status, change;
	bool reset_fails;		/* the port never enables */
};

enum fake_misbehaviour {
	FAKE_OK,
	FAKE_SILENT,			/* never completes a control request */
	FAKE_STALL_SET_IDLE,
	FAKE_STALL_SET_PROTOCOL,
	FAKE_STALL_SET_REPORT,
	FAKE_NO_PRODUCT_STRING,		/* stalls string requests */
};

struct fake_dev {
	enum usb_speed speed;
	const uint8_t *device_desc;	/* 18 bytes */
	const uint8_t *config;		/* wTotalLength bytes */
	size_t config_len;
	const char *product;
	enum fake_misbehaviour quirk;
	/* A hub: its ports (1..n_ports) and descriptor. */
	unsigned n_ports;
	struct fake_port ports[FAKE_PORTS + 1];
	/* What the host did to it. */
	struct usb_device *bound;	/* addressed as this usb_device */
	unsigned addressed, released;
	uint8_t config_value, protocol, leds;
	int idle;			/* -1: never set */
	unsigned set_reports;
	uint16_t ep0_packet;		/* what the host configured */
	struct usb_endpoint configured_ep;
	bool configured_as_hub;
	struct usb_hub_caps hub_caps;
	/* Interrupt IN: queued reports and the transfer waiting for one. */
	uint8_t reports[FAKE_REPORTS][8];
	unsigned report_head, report_tail;
	struct usb_op *in_op;
	void *in_buf;
	uint16_t in_len;
};

struct fake_op {
	struct usb_op *op;
	struct fake_dev *dev;
	enum usb_status status;
	uint32_t actual;
};

struct fake_hc {
	struct usb_bus bus;
	struct executor ex;
	uint64_t now;
	struct fake_port root[FAKE_PORTS + 1];
	struct fake_op pending[FAKE_PENDING];
	unsigned n_pending;
	/* What the bus told its hooks. */
	char log[FAKE_LOG];
	unsigned warnings, infos;
	struct { uint8_t key; bool pressed; uint64_t at; } keys[FAKE_KEYS];
	unsigned n_keys;
	unsigned keyboards;
	unsigned violations;		/* calls for a device the core had released */
};

/* A bus with @root_ports root ports on its own executor, started. */
void fake_hc_init(struct fake_hc *hc, unsigned root_ports);
/* Stops the bus, runs every task to its end, and checks nothing is left
 * and the core never called the controller for a released device. */
bool fake_hc_destroy(struct fake_hc *hc);

/* Completes queued operations, then runs the executor until idle. */
void fake_hc_poll(struct fake_hc *hc);
/* Advances time by @ms, one millisecond at a time, polling each step. */
void fake_hc_run(struct fake_hc *hc, unsigned ms);

/* Plugs @dev into a root port, or port @port of hub @hub. */
void fake_plug(struct fake_hc *hc, struct fake_dev *hub, unsigned port, struct fake_dev *dev);
void fake_unplug(struct fake_hc *hc, struct fake_dev *hub, unsigned port);

/* Queues a boot report: modifiers and up to 6 keys (0-terminated). */
void fake_report(struct fake_dev *kbd, uint8_t mods, const uint8_t *keys, unsigned n);

/* Devices from descriptor tables in usb_fake.c: QEMU's usb-kbd (full or
 * high speed), a low-speed keyboard, QEMU's 8-port usb-hub (full speed), a
 * 4-port high-speed hub, a mass-storage stick. */
void fake_keyboard(struct fake_dev *d, enum usb_speed speed);
void fake_hub(struct fake_dev *d, enum usb_speed speed, unsigned ports);
void fake_storage(struct fake_dev *d);
/* Any descriptors, e.g. broken ones. */
void fake_custom(struct fake_dev *d, enum usb_speed speed, const uint8_t *device_desc,
		 const uint8_t *config, size_t config_len);

/* Counts of key events for @key (enum kbd_key) that were presses/releases. */
unsigned fake_key_count(const struct fake_hc *hc, unsigned key, bool pressed);
/* Whether the log holds @text. */
bool fake_logged(const struct fake_hc *hc, const char *text);

#endif
