/*
 * desc.h — defensive parsers for the descriptors a USB device sends us.
 *
 * Descriptors come from the device, so they are untrusted input: a broken or
 * hostile device may send a bLength of 0 (an endless walk), a wTotalLength
 * larger than what it sent, an endpoint before any interface, or counts that
 * disagree with what follows.  Every parser here checks lengths, counts and
 * types against the buffer it was given, never reads past it, and either
 * fills its output or returns an error that says what was wrong.  The
 * parsers only copy fields into plain structs; nothing points into the
 * buffer afterwards.  (Fuzzed by test/fuzz/fuzz_usb_desc.c.)
 */
#ifndef COOP_KERNEL_USB_DESC_H
#define COOP_KERNEL_USB_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/usb/usb.h"

enum usb_desc_err {
	USB_DESC_OK = 0,
	USB_DESC_SHORT,		/* the buffer ends before the descriptor does */
	USB_DESC_BAD_LENGTH,	/* a bLength too small for its type, or 0/1 */
	USB_DESC_BAD_TYPE,	/* not the descriptor type asked for */
	USB_DESC_BAD_TOTAL,	/* wTotalLength smaller than the header */
	USB_DESC_BAD_VALUE,	/* a field outside what the spec allows */
};

/* "truncated", "bad bLength", ... for messages. */
const char *usb_desc_err_text(enum usb_desc_err e);

/* ---- device descriptor (USB 2.0 9.6.1) --------------------------------- */

struct usb_device_desc {
	uint16_t bcd_usb;
	uint8_t dev_class, dev_subclass, dev_protocol;
	uint8_t max_packet0;	/* as sent: bytes, or 2^n for USB 3 (9 = 512) */
	uint16_t vendor, product, bcd_device;
	uint8_t i_manufacturer, i_product, i_serial;
	uint8_t num_configs;
};

/*
 * The first 8 bytes are all a host may read before it knows endpoint 0's
 * packet size: this checks them (length, type) and gives bMaxPacketSize0.
 */
enum usb_desc_err usb_parse_device_prefix(const void *buf, size_t len, uint8_t *max_packet0);

/* The whole 18 bytes.  bNumConfigurations must be at least 1. */
enum usb_desc_err usb_parse_device_desc(const void *buf, size_t len,
					struct usb_device_desc *out);

/*
 * Endpoint 0's packet size in bytes for a device at @speed whose descriptor
 * says @max_packet0, or 0 if that value is not allowed at that speed:
 * low 8; full 8/16/32/64; high 64; super 2^9 = 512 (USB 2.0 5.5.3, USB 3.2
 * 9.6.1).
 */
uint16_t usb_ep0_packet_size(enum usb_speed speed, uint8_t max_packet0);

/* The packet size to start with before the descriptor is read. */
uint16_t usb_ep0_default_packet_size(enum usb_speed speed);

/* ---- configuration, interfaces, endpoints (USB 2.0 9.6.3-9.6.6) ---------- */

#define USB_MAX_INTERFACES 16	/* alternate setting 0 of each; more are counted */
#define USB_MAX_ENDPOINTS 8	/* per interface; more are counted */

enum usb_ep_type {
	USB_EP_CONTROL = 0,
	USB_EP_ISOCH = 1,
	USB_EP_BULK = 2,
	USB_EP_INTERRUPT = 3,
};

struct usb_endpoint {
	uint8_t address;	/* bit 7: IN; bits 3..0: number (1..15) */
	uint8_t attributes;	/* bits 1..0: enum usb_ep_type */
	uint16_t max_packet;	/* bits 10..0 of wMaxPacketSize */
	uint8_t mult;		/* bits 12..11: extra transactions per microframe */
	uint8_t interval;	/* bInterval as sent; see usb_interval_*() */
	/* From the SuperSpeed companion descriptor, if one followed. */
	bool has_companion;
	uint8_t max_burst;
	uint16_t bytes_per_interval;
};

static inline enum usb_ep_type usb_ep_type(const struct usb_endpoint *e)
{
	return (enum usb_ep_type)(e->attributes & 3);
}
static inline bool usb_ep_is_in(const struct usb_endpoint *e)
{
	return e->address & 0x80;
}
static inline unsigned usb_ep_number(const struct usb_endpoint *e)
{
	return e->address & 0x0f;
}

struct usb_hid_info {
	uint16_t bcd_hid;
	uint8_t country;
	uint16_t report_desc_len;	/* of the first report descriptor */
};

struct usb_interface {
	uint8_t number, alt_setting;
	uint8_t if_class, if_subclass, if_protocol;
	uint8_t num_endpoints;		/* bNumEndpoints as declared */
	uint8_t n_ep;			/* endpoints kept in ep[] */
	bool endpoints_missing;		/* fewer endpoint descriptors than declared */
	bool has_hid;
	struct usb_hid_info hid;
	struct usb_endpoint ep[USB_MAX_ENDPOINTS];
};

struct usb_config {
	uint16_t total_length;
	uint8_t num_interfaces;		/* bNumInterfaces as declared */
	uint8_t value;			/* for SET_CONFIGURATION */
	uint8_t attributes;
	uint8_t max_power;		/* units of 2 mA (8 mA at SuperSpeed) */
	uint8_t n_if;			/* interfaces kept in intf[] */
	/* What was seen but not kept, so a caller can say so. */
	uint16_t skipped_alt_settings, skipped_interfaces, skipped_endpoints;
	uint16_t bad_endpoints;		/* invalid endpoint descriptors dropped */
	uint16_t orphan_descs;		/* endpoint/HID descriptors before any interface */
	struct usb_interface intf[USB_MAX_INTERFACES];
};

/*
 * The wTotalLength of a configuration descriptor's 9-byte header, so the
 * caller knows how much to fetch.  Checks length, type and that the total
 * covers at least the header.
 */
enum usb_desc_err usb_parse_config_header(const void *buf, size_t len, uint16_t *total);

/*
 * Parses a whole configuration: the header, then every descriptor up to
 * wTotalLength, which must lie within @len (else USB_DESC_SHORT: fetch
 * more).  Interface and endpoint descriptors are checked: an endpoint 0, an
 * endpoint number seen twice in one interface, a packet size of 0 or a
 * reserved transfer-type bit pattern drop that endpoint (counted in
 * bad_endpoints).  Only alternate setting 0 of each interface is kept.
 * Unknown descriptor types are skipped by their bLength.
 */
enum usb_desc_err usb_parse_config(const void *buf, size_t len, struct usb_config *out);

/* The first interface with this class/subclass/protocol (-1: any), or NULL. */
const struct usb_interface *usb_find_interface(const struct usb_config *c, int cls,
					       int subclass, int protocol);

/* The interface's first interrupt IN endpoint, or NULL. */
const struct usb_endpoint *usb_find_interrupt_in(const struct usb_interface *i);

/*
 * An interrupt endpoint's bInterval as a period in 125 us microframes, or 0
 * if the value is out of range for the speed: low/full speed give
 * milliseconds (1..255), high and super speed 2^(bInterval-1) microframes
 * (bInterval 1..16).  USB 2.0 9.6.6, USB 3.2 9.6.6.
 */
uint32_t usb_interval_microframes(enum usb_speed speed, uint8_t interval);

/* ---- hub descriptors (USB 2.0 11.23.2.1, USB 3.2 10.15.2.1) ---------------- */

struct usb_hub_desc {
	uint8_t num_ports;
	uint16_t characteristics;
	uint8_t power_on_to_good_2ms;	/* bPwrOn2PwrGood, in 2 ms units */
	uint8_t tt_think_time;		/* bits 6..5 of wHubCharacteristics */
	bool super;			/* a SuperSpeed hub descriptor */
	uint8_t removable[32];		/* DeviceRemovable: bit n = port n fixed */
};

/* Parses a USB 2.0 (type 0x29) or SuperSpeed (0x2A) hub descriptor, as
 * @super says.  0 ports, or more than 15 on a SuperSpeed hub, is an error. */
enum usb_desc_err usb_parse_hub_desc(const void *buf, size_t len, bool super,
				     struct usb_hub_desc *out);

/* ---- string descriptors (USB 2.0 9.6.7) -------------------------------------- */

/*
 * Converts a string descriptor (UTF-16LE) to printable ASCII in @out (size
 * @n > 0, always NUL-terminated): characters outside 0x20..0x7e become '?',
 * trailing spaces are dropped.  An odd bLength loses its last byte.
 */
enum usb_desc_err usb_parse_string(const void *buf, size_t len, char *out, size_t n);

#endif
