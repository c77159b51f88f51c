/*
 * usb.h — the numbers of the USB 2.0 and 3.x specifications that the rest of
 * kernel/usb/ speaks: descriptor types, standard and class requests, device
 * speeds, and the 8-byte SETUP packet of a control transfer.
 *
 * References: USB 2.0 chapter 9 (9.3 requests, 9.4 standard requests, 9.6
 * descriptors), chapter 11 (hubs, 11.23-11.24), USB 3.2 chapter 10 (SuperSpeed
 * hubs), HID 1.11 (7.1-7.2 class requests, appendix B boot protocol).
 *
 * Everything here is portable: no hardware access, no allocation.
 */
#ifndef COOP_KERNEL_USB_USB_H
#define COOP_KERNEL_USB_USB_H

#include <stdbool.h>
#include <stdint.h>

/* Device speeds, in the order of the xHCI PORTSC "Port Speed" IDs (xHCI 1.2,
 * table 7-13, default Protocol Speed ID mapping) so a driver can cast. */
enum usb_speed {
	USB_SPEED_UNKNOWN = 0,
	USB_SPEED_FULL = 1,	/* 12 Mb/s, USB 1.1 */
	USB_SPEED_LOW = 2,	/* 1.5 Mb/s, USB 1.1 */
	USB_SPEED_HIGH = 3,	/* 480 Mb/s, USB 2.0 */
	USB_SPEED_SUPER = 4,	/* 5 Gb/s, USB 3.x Gen 1 */
	USB_SPEED_SUPER_PLUS = 5,	/* 10 Gb/s, USB 3.x Gen 2 */
};

/* "low", "full", "high", "super", "super+"; "?" otherwise. */
const char *usb_speed_name(enum usb_speed s);
static inline bool usb_speed_is_super(enum usb_speed s)
{
	return s == USB_SPEED_SUPER || s == USB_SPEED_SUPER_PLUS;
}

/* bDescriptorType values (USB 2.0 table 9-5, USB 3.2 table 9-6, HID 1.11 7.1). */
enum usb_desc_type {
	USB_DT_DEVICE = 0x01,
	USB_DT_CONFIG = 0x02,
	USB_DT_STRING = 0x03,
	USB_DT_INTERFACE = 0x04,
	USB_DT_ENDPOINT = 0x05,
	USB_DT_DEVICE_QUALIFIER = 0x06,
	USB_DT_INTERFACE_ASSOC = 0x0b,
	USB_DT_BOS = 0x0f,
	USB_DT_HID = 0x21,
	USB_DT_HID_REPORT = 0x22,
	USB_DT_HUB = 0x29,
	USB_DT_SS_HUB = 0x2a,
	USB_DT_SS_EP_COMPANION = 0x30,
};

/* Exact or minimum bLength of the descriptors we parse. */
#define USB_DEVICE_DESC_LEN 18
#define USB_CONFIG_DESC_LEN 9
#define USB_INTERFACE_DESC_LEN 9
#define USB_ENDPOINT_DESC_LEN 7
#define USB_HID_DESC_MIN_LEN 9
#define USB_SS_COMPANION_LEN 6
#define USB_HUB_DESC_MIN_LEN 7	/* plus the DeviceRemovable bitmap */
#define USB_SS_HUB_DESC_LEN 12

/* Class codes (bDeviceClass / bInterfaceClass). */
enum usb_class {
	USB_CLASS_PER_INTERFACE = 0x00,
	USB_CLASS_HID = 0x03,
	USB_CLASS_HUB = 0x09,
};

/* HID boot interface: subclass 1, protocol 1 keyboard, 2 mouse (HID 4.2-4.3). */
#define USB_HID_SUBCLASS_BOOT 1
#define USB_HID_PROTOCOL_KEYBOARD 1
#define USB_HID_PROTOCOL_MOUSE 2

/* bmRequestType (USB 2.0 table 9-2). */
enum {
	USB_DIR_OUT = 0x00,
	USB_DIR_IN = 0x80,
	USB_TYPE_STANDARD = 0x00,
	USB_TYPE_CLASS = 0x20,
	USB_RECIP_DEVICE = 0x00,
	USB_RECIP_INTERFACE = 0x01,
	USB_RECIP_ENDPOINT = 0x02,
	USB_RECIP_OTHER = 0x03,	/* a hub's port */
};

/* bRequest: standard (USB 2.0 table 9-4), hub (11.24.2), HID (HID 7.2). */
enum {
	USB_REQ_GET_STATUS = 0x00,
	USB_REQ_CLEAR_FEATURE = 0x01,
	USB_REQ_SET_FEATURE = 0x03,
	USB_REQ_SET_ADDRESS = 0x05,
	USB_REQ_GET_DESCRIPTOR = 0x06,
	USB_REQ_SET_CONFIGURATION = 0x09,
	USB_REQ_HUB_SET_DEPTH = 0x0c,	/* SuperSpeed hubs (USB 3.2 10.14.2.10) */

	HID_REQ_SET_REPORT = 0x09,
	HID_REQ_SET_IDLE = 0x0a,
	HID_REQ_SET_PROTOCOL = 0x0b,
};

/* HID report types for SET_REPORT's wValue high byte; protocols. */
#define HID_REPORT_OUTPUT 2
#define HID_PROTOCOL_BOOT 0

/* Hub port features (USB 2.0 table 11-17, USB 3.2 table 10-9). */
enum usb_port_feature {
	USB_PORT_FEAT_ENABLE = 1,
	USB_PORT_FEAT_RESET = 4,
	USB_PORT_FEAT_POWER = 8,
	USB_PORT_FEAT_C_CONNECTION = 16,
	USB_PORT_FEAT_C_ENABLE = 17,
	USB_PORT_FEAT_C_SUSPEND = 18,
	USB_PORT_FEAT_C_OVER_CURRENT = 19,
	USB_PORT_FEAT_C_RESET = 20,
	USB_PORT_FEAT_C_BH_RESET = 29,	/* SuperSpeed: warm reset done */
	USB_PORT_FEAT_C_LINK_STATE = 25,
	USB_PORT_FEAT_C_CONFIG_ERROR = 26,
};

/* wPortStatus bits (USB 2.0 table 11-21; SuperSpeed differs above bit 4,
 * USB 3.2 table 10-10), and wPortChange bits (table 11-22 / 10-11). */
enum {
	USB_PORT_STAT_CONNECTION = 1u << 0,
	USB_PORT_STAT_ENABLE = 1u << 1,
	USB_PORT_STAT_OVER_CURRENT = 1u << 3,
	USB_PORT_STAT_RESET = 1u << 4,
	USB_PORT_STAT_POWER = 1u << 8,		/* USB 2.0 hubs */
	USB_PORT_STAT_LOW_SPEED = 1u << 9,	/* USB 2.0 hubs */
	USB_PORT_STAT_HIGH_SPEED = 1u << 10,	/* USB 2.0 hubs */
	USB_SS_PORT_STAT_POWER = 1u << 9,	/* SuperSpeed hubs */

	USB_PORT_C_CONNECTION = 1u << 0,
	USB_PORT_C_ENABLE = 1u << 1,
	USB_PORT_C_OVER_CURRENT = 1u << 3,
	USB_PORT_C_RESET = 1u << 4,
	USB_SS_PORT_C_BH_RESET = 1u << 5,
	USB_SS_PORT_C_LINK_STATE = 1u << 6,
	USB_SS_PORT_C_CONFIG_ERROR = 1u << 7,
};

/* The SETUP stage of a control transfer (USB 2.0 9.3), in host order;
 * usb_setup_pack() gives the little-endian wire bytes. */
struct usb_setup {
	uint8_t request_type;
	uint8_t request;
	uint16_t value;
	uint16_t index;
	uint16_t length;
};

static inline void usb_setup_pack(const struct usb_setup *s, uint8_t out[8])
{
	out[0] = s->request_type;
	out[1] = s->request;
	out[2] = (uint8_t)s->value;
	out[3] = (uint8_t)(s->value >> 8);
	out[4] = (uint8_t)s->index;
	out[5] = (uint8_t)(s->index >> 8);
	out[6] = (uint8_t)s->length;
	out[7] = (uint8_t)(s->length >> 8);
}

/* The requests enumeration sends, built in one place. */
static inline struct usb_setup usb_get_descriptor(uint8_t type, uint8_t index,
						   uint16_t length)
{
	return (struct usb_setup){ USB_DIR_IN | USB_TYPE_STANDARD | USB_RECIP_DEVICE,
				   USB_REQ_GET_DESCRIPTOR, (uint16_t)(type << 8 | index), 0,
				   length };
}

/* Hub descriptors are class descriptors: GET_DESCRIPTOR with type class. */
static inline struct usb_setup usb_get_hub_descriptor(bool super, uint16_t length)
{
	return (struct usb_setup){ USB_DIR_IN | USB_TYPE_CLASS | USB_RECIP_DEVICE,
				   USB_REQ_GET_DESCRIPTOR,
				   (uint16_t)((super ? USB_DT_SS_HUB : USB_DT_HUB) << 8), 0,
				   length };
}

static inline struct usb_setup usb_set_configuration(uint8_t value)
{
	return (struct usb_setup){ USB_DIR_OUT | USB_TYPE_STANDARD | USB_RECIP_DEVICE,
				   USB_REQ_SET_CONFIGURATION, value, 0, 0 };
}

/* Reads a little-endian 16-bit field of a descriptor. */
static inline uint16_t usb_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

#endif
