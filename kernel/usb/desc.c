/*
 * desc.c — see desc.h.  Each parser first proves that the bytes it is about
 * to read are inside both the buffer and the descriptor's own bLength, then
 * reads them.  A configuration is walked descriptor by descriptor; the walk
 * advances by bLength, which is checked to be at least 2, so it always
 * terminates.
 *
 * Where a device breaks a rule that does not stop us from using it (an
 * endpoint descriptor outside any interface, more endpoints than declared),
 * we do what Linux does: skip the offending descriptor and count it, so one
 * sloppy descriptor does not cost the user a keyboard.  Where a field is
 * needed and wrong (a bLength shorter than the type requires, a descriptor
 * running past wTotalLength), the parse fails.
 */
#include "kernel/usb/desc.h"

#include "kernel/lib/string.h"

const char *usb_desc_err_text(enum usb_desc_err e)
{
	switch (e) {
	case USB_DESC_OK: return "ok";
	case USB_DESC_SHORT: return "truncated";
	case USB_DESC_BAD_LENGTH: return "bad bLength";
	case USB_DESC_BAD_TYPE: return "wrong descriptor type";
	case USB_DESC_BAD_TOTAL: return "bad wTotalLength";
	case USB_DESC_BAD_VALUE: return "field out of range";
	}
	return "?";
}

const char *usb_speed_name(enum usb_speed s)
{
	switch (s) {
	case USB_SPEED_LOW: return "low";
	case USB_SPEED_FULL: return "full";
	case USB_SPEED_HIGH: return "high";
	case USB_SPEED_SUPER: return "super";
	case USB_SPEED_SUPER_PLUS: return "super+";
	default: return "?";
	}
}

/* The common check: @len holds a descriptor of type @type whose bLength is
 * at least @min_len (and no more than @len: it is all there). */
static enum usb_desc_err check_header(const uint8_t *p, size_t len, uint8_t type,
				      uint8_t min_len)
{
	if (len < 2 || len < min_len)
		return USB_DESC_SHORT;
	if (p[1] != type)
		return USB_DESC_BAD_TYPE;
	if (p[0] < min_len)
		return USB_DESC_BAD_LENGTH;
	return USB_DESC_OK;
}

/* ---- device ------------------------------------------------------------------ */

enum usb_desc_err usb_parse_device_prefix(const void *buf, size_t len, uint8_t *max_packet0)
{
	const uint8_t *p = buf;

	if (len < 8)
		return USB_DESC_SHORT;
	if (p[1] != USB_DT_DEVICE)
		return USB_DESC_BAD_TYPE;
	if (p[0] < USB_DEVICE_DESC_LEN)
		return USB_DESC_BAD_LENGTH;
	*max_packet0 = p[7];
	return USB_DESC_OK;
}

enum usb_desc_err usb_parse_device_desc(const void *buf, size_t len,
					struct usb_device_desc *out)
{
	const uint8_t *p = buf;
	enum usb_desc_err e = check_header(p, len, USB_DT_DEVICE, USB_DEVICE_DESC_LEN);

	if (e)
		return e;
	if (p[17] == 0)
		return USB_DESC_BAD_VALUE;	/* no configuration to set */
	*out = (struct usb_device_desc){
		.bcd_usb = usb_le16(p + 2),
		.dev_class = p[4], .dev_subclass = p[5], .dev_protocol = p[6],
		.max_packet0 = p[7],
		.vendor = usb_le16(p + 8), .product = usb_le16(p + 10),
		.bcd_device = usb_le16(p + 12),
		.i_manufacturer = p[14], .i_product = p[15], .i_serial = p[16],
		.num_configs = p[17],
	};
	return USB_DESC_OK;
}

uint16_t usb_ep0_packet_size(enum usb_speed speed, uint8_t mp0)
{
	switch (speed) {
	case USB_SPEED_LOW:
		return mp0 == 8 ? 8 : 0;
	case USB_SPEED_FULL:
		return (mp0 == 8 || mp0 == 16 || mp0 == 32 || mp0 == 64) ? mp0 : 0;
	case USB_SPEED_HIGH:
		return mp0 == 64 ? 64 : 0;
	case USB_SPEED_SUPER:
	case USB_SPEED_SUPER_PLUS:
		return mp0 == 9 ? 512 : 0;
	default:
		return 0;
	}
}

uint16_t usb_ep0_default_packet_size(enum usb_speed speed)
{
	switch (speed) {
	case USB_SPEED_HIGH: return 64;
	case USB_SPEED_SUPER: case USB_SPEED_SUPER_PLUS: return 512;
	default: return 8;
	}
}

/* ---- configuration ------------------------------------------------------------- */

enum usb_desc_err usb_parse_config_header(const void *buf, size_t len, uint16_t *total)
{
	const uint8_t *p = buf;
	enum usb_desc_err e = check_header(p, len, USB_DT_CONFIG, USB_CONFIG_DESC_LEN);

	if (e)
		return e;
	*total = usb_le16(p + 2);
	if (*total < p[0])
		return USB_DESC_BAD_TOTAL;
	return USB_DESC_OK;
}

/* Where the walk is: which interface (if any) the next endpoint belongs to. */
struct config_walk {
	struct usb_config *c;
	bool in_interface;		/* seen an interface descriptor yet */
	struct usb_interface *cur;	/* kept interface, NULL if skipped */
	unsigned ep_seen;		/* endpoint descriptors since `cur` began */
	struct usb_endpoint *last_ep;	/* for a SuperSpeed companion */
};

static bool interface_kept(const struct usb_config *c, uint8_t number)
{
	for (unsigned i = 0; i < c->n_if; i++)
		if (c->intf[i].number == number)
			return true;
	return false;
}

/* Closes the interface being walked: did all its endpoints show up? */
static void finish_interface(struct config_walk *w)
{
	if (w->cur)
		w->cur->endpoints_missing = w->ep_seen < w->cur->num_endpoints;
}

static void walk_interface(struct config_walk *w, const uint8_t *p)
{
	struct usb_config *c = w->c;

	finish_interface(w);
	w->in_interface = true;
	w->cur = NULL;
	w->last_ep = NULL;
	w->ep_seen = 0;
	if (p[3] != 0 || interface_kept(c, p[2])) {
		c->skipped_alt_settings++;
		return;
	}
	if (c->n_if == USB_MAX_INTERFACES) {
		c->skipped_interfaces++;
		return;
	}
	w->cur = &c->intf[c->n_if++];
	*w->cur = (struct usb_interface){
		.number = p[2], .alt_setting = p[3], .num_endpoints = p[4],
		.if_class = p[5], .if_subclass = p[6], .if_protocol = p[7],
	};
}

static bool endpoint_valid(const struct usb_interface *intf, const struct usb_endpoint *e)
{
	if (usb_ep_number(e) == 0)
		return false;	/* endpoint 0 is never described */
	if (e->max_packet == 0 && usb_ep_type(e) != USB_EP_ISOCH)
		return false;	/* isochronous alt 0 may reserve no bandwidth */
	if (e->mult == 3)
		return false;	/* reserved */
	for (unsigned i = 0; i < intf->n_ep; i++)
		if (intf->ep[i].address == e->address)
			return false;
	return true;
}

static void walk_endpoint(struct config_walk *w, const uint8_t *p)
{
	struct usb_interface *intf = w->cur;
	uint16_t wmax = usb_le16(p + 4);
	struct usb_endpoint e = {
		.address = p[2], .attributes = p[3], .max_packet = wmax & 0x7ff,
		.mult = (wmax >> 11) & 3, .interval = p[6],
	};

	w->last_ep = NULL;
	if (!intf)
		return;			/* belongs to an interface we skipped */
	if (w->ep_seen++ >= intf->num_endpoints || intf->n_ep == USB_MAX_ENDPOINTS) {
		w->c->skipped_endpoints++;
		return;
	}
	if (!endpoint_valid(intf, &e)) {
		w->c->bad_endpoints++;
		return;
	}
	w->last_ep = &intf->ep[intf->n_ep++];
	*w->last_ep = e;
}

static void walk_companion(struct config_walk *w, const uint8_t *p)
{
	struct usb_endpoint *e = w->last_ep;

	if (!e || e->has_companion)
		return;
	e->has_companion = true;
	e->max_burst = p[2];
	e->bytes_per_interval = usb_le16(p + 4);
}

/* A HID descriptor: bNumDescriptors class descriptors of 3 bytes follow its
 * 6-byte head, and the first must be the report descriptor. */
static enum usb_desc_err walk_hid(struct config_walk *w, const uint8_t *p, uint8_t len)
{
	struct usb_interface *intf = w->cur;

	if (!intf || intf->if_class != USB_CLASS_HID || intf->has_hid)
		return USB_DESC_OK;	/* 0x21 means other things in other classes */
	if (len < USB_HID_DESC_MIN_LEN)
		return USB_DESC_BAD_LENGTH;
	if (p[5] == 0 || 6u + 3u * p[5] > len)
		return USB_DESC_BAD_LENGTH;
	if (p[6] != USB_DT_HID_REPORT)
		return USB_DESC_BAD_VALUE;
	intf->has_hid = true;
	intf->hid = (struct usb_hid_info){
		.bcd_hid = usb_le16(p + 2), .country = p[4], .report_desc_len = usb_le16(p + 7),
	};
	return USB_DESC_OK;
}

static enum usb_desc_err walk_one(struct config_walk *w, const uint8_t *p, uint8_t len)
{
	switch (p[1]) {
	case USB_DT_INTERFACE:
		if (len < USB_INTERFACE_DESC_LEN)
			return USB_DESC_BAD_LENGTH;
		walk_interface(w, p);
		return USB_DESC_OK;
	case USB_DT_ENDPOINT:
		if (len < USB_ENDPOINT_DESC_LEN)
			return USB_DESC_BAD_LENGTH;
		if (!w->in_interface)
			w->c->orphan_descs++;
		else
			walk_endpoint(w, p);
		return USB_DESC_OK;
	case USB_DT_SS_EP_COMPANION:
		if (len < USB_SS_COMPANION_LEN)
			return USB_DESC_BAD_LENGTH;
		walk_companion(w, p);
		return USB_DESC_OK;
	case USB_DT_HID:
		if (!w->in_interface) {
			w->c->orphan_descs++;
			return USB_DESC_OK;
		}
		return walk_hid(w, p, len);
	default:
		return USB_DESC_OK;	/* class-specific, IADs, vendor: not ours */
	}
}

enum usb_desc_err usb_parse_config(const void *buf, size_t len, struct usb_config *out)
{
	const uint8_t *p = buf;
	struct config_walk w = { .c = out };
	uint16_t total;
	enum usb_desc_err e = usb_parse_config_header(buf, len, &total);

	memset(out, 0, sizeof *out);
	if (e)
		return e;
	if (total > len)
		return USB_DESC_SHORT;
	out->total_length = total;
	out->num_interfaces = p[4];
	out->value = p[5];
	out->attributes = p[7];
	out->max_power = p[8];
	for (size_t off = p[0]; off < total; ) {
		if (total - off < 2)
			return USB_DESC_BAD_LENGTH;	/* one stray byte at the end */
		uint8_t dlen = p[off];
		if (dlen < 2)
			return USB_DESC_BAD_LENGTH;	/* would never advance */
		if (dlen > total - off)
			return USB_DESC_BAD_TOTAL;	/* runs past wTotalLength */
		e = walk_one(&w, p + off, dlen);
		if (e)
			return e;
		off += dlen;
	}
	finish_interface(&w);
	return USB_DESC_OK;
}

const struct usb_interface *usb_find_interface(const struct usb_config *c, int cls,
					       int subclass, int protocol)
{
	for (unsigned i = 0; i < c->n_if; i++) {
		const struct usb_interface *intf = &c->intf[i];

		if ((cls < 0 || intf->if_class == cls) &&
		    (subclass < 0 || intf->if_subclass == subclass) &&
		    (protocol < 0 || intf->if_protocol == protocol))
			return intf;
	}
	return NULL;
}

const struct usb_endpoint *usb_find_interrupt_in(const struct usb_interface *intf)
{
	for (unsigned i = 0; i < intf->n_ep; i++)
		if (usb_ep_type(&intf->ep[i]) == USB_EP_INTERRUPT && usb_ep_is_in(&intf->ep[i]))
			return &intf->ep[i];
	return NULL;
}

uint32_t usb_interval_microframes(enum usb_speed speed, uint8_t interval)
{
	switch (speed) {
	case USB_SPEED_LOW:
	case USB_SPEED_FULL:
		return interval ? interval * 8u : 0;
	case USB_SPEED_HIGH:
	case USB_SPEED_SUPER:
	case USB_SPEED_SUPER_PLUS:
		return interval >= 1 && interval <= 16 ? 1u << (interval - 1) : 0;
	default:
		return 0;
	}
}

/* ---- hubs ----------------------------------------------------------------------- */

enum usb_desc_err usb_parse_hub_desc(const void *buf, size_t len, bool super,
				     struct usb_hub_desc *out)
{
	const uint8_t *p = buf;
	uint8_t min = super ? USB_SS_HUB_DESC_LEN : USB_HUB_DESC_MIN_LEN;
	enum usb_desc_err e = check_header(p, len, super ? USB_DT_SS_HUB : USB_DT_HUB, min);
	unsigned bitmap;

	if (e)
		return e;
	memset(out, 0, sizeof *out);
	out->num_ports = p[2];
	if (out->num_ports == 0 || (super && out->num_ports > 15))
		return USB_DESC_BAD_VALUE;
	out->characteristics = usb_le16(p + 3);
	out->power_on_to_good_2ms = p[5];
	out->super = super;
	if (super) {
		out->removable[0] = p[10];
		out->removable[1] = p[11];
		return USB_DESC_OK;
	}
	out->tt_think_time = (out->characteristics >> 5) & 3;
	bitmap = out->num_ports / 8u + 1;	/* bit 0 reserved, then one per port */
	if (p[0] < 7 + bitmap)
		return USB_DESC_BAD_LENGTH;
	if (len < 7 + bitmap)
		return USB_DESC_SHORT;
	memcpy(out->removable, p + 7, bitmap);
	return USB_DESC_OK;
}

/* ---- strings ---------------------------------------------------------------------- */

enum usb_desc_err usb_parse_string(const void *buf, size_t len, char *out, size_t n)
{
	const uint8_t *p = buf;
	enum usb_desc_err e = check_header(p, len, USB_DT_STRING, 2);
	size_t o = 0;

	out[0] = '\0';
	if (e)
		return e;
	if (p[0] > len)
		return USB_DESC_SHORT;
	for (size_t i = 2; i + 1 < p[0] && o + 1 < n; i += 2) {
		uint16_t ch = usb_le16(p + i);
		out[o++] = ch >= 0x20 && ch <= 0x7e ? (char)ch : '?';
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return USB_DESC_OK;
}
