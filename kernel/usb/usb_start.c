/*
 * usb_start.c — see usb_start.h.
 */
#include "kernel/usb/usb_start.h"

#include "hal/dev/pci.h"
#include "kernel/input/input.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/usb/kbd/usb_kbd.h"
#include "kernel/usb/xhci/hcd.h"

#define MAX_PCI 128

static void on_log(void *ctx, enum usb_log_level level, const char *line)
{
	(void)ctx;
	if (level == USB_LOG_WARN)
		log_warn("%s", line);
	else
		log_info("%s", line);
}

static volatile uint64_t last_key_cycles;

static void on_key(void *ctx, unsigned key, bool pressed)
{
	(void)ctx;
	last_key_cycles = xhci_events_cycles();
	keyboard_key(key, pressed);
}

uint64_t usb_last_key_cycles(void)
{
	return last_key_cycles;
}

const char *usb_events_mode(void)
{
	return xhci_events_mode();
}

/* Lock LEDs changed (from any keyboard): every USB keyboard shows them. */
static void on_leds(uint8_t leds)
{
	struct usb_bus *bus;

	for (unsigned i = 0; (bus = xhci_bus(i)); i++)
		usb_kbd_set_leds(bus, leds);
}

static unsigned count_other_usb(const struct pci_func *f, unsigned n)
{
	unsigned others = 0;

	for (unsigned i = 0; i < n; i++)
		others += f[i].class_code == 0x0c && f[i].subclass == 0x03 &&
			  f[i].prog_if != 0x30 && f[i].prog_if != 0xfe;
	return others;
}

void usb_start(const char *mode)
{
	static struct pci_func funcs[MAX_PCI];
	struct usb_bus_hooks hooks = { .log = on_log, .key = on_key };
	unsigned n, found;

	if (!strcmp(mode, "off")) {
		log_info("usb: off (usb=off)");
		return;
	}
	n = pci_scan(funcs, MAX_PCI);
	if (n > MAX_PCI)
		n = MAX_PCI;
	keyboard_set_led_hook(on_leds);
	found = xhci_start_all(funcs, n, hooks, strcmp(mode, "on") ? mode : NULL);
	if (!found) {
		unsigned others = count_other_usb(funcs, n);
		if (others)
			log_warn("usb: no xHCI controller (%u older USB controller%s, which coop "
				 "does not drive); no USB keyboard", others, others == 1 ? "" : "s");
		else
			log_warn("usb: no xHCI controller; no USB keyboard");
	}
}

unsigned usb_keyboards(void)
{
	struct usb_bus *bus;
	unsigned n = 0;

	for (unsigned i = 0; (bus = xhci_bus(i)); i++)
		n += bus->n_keyboards;
	return n;
}

void usb_print_devices(void)
{
	struct usb_bus *bus;
	unsigned total = 0;

	for (unsigned i = 0; (bus = xhci_bus(i)); i++) {
		kprintf("%s: %u root ports\n", bus->name, bus->root_ports);
		for (struct usb_device *d = bus->devices; d; d = d->next) {
			if (d->released || !d->desc.num_configs)
				continue;	/* going away, or still being enumerated */
			kprintf("  %-10s %04x:%04x %-6s %-9s %s\n", d->path, d->desc.vendor,
				d->desc.product, usb_speed_name(d->speed),
				d->driver ? d->driver : "-", d->product);
			total++;
		}
	}
	kprintf("%u USB device%s\n", total, total == 1 ? "" : "s");
}
