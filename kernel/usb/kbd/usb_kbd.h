/*
 * usb_kbd.h — the USB boot keyboard driver.
 *
 * One task per keyboard: it configures the device (its interrupt IN
 * endpoint, SET_CONFIGURATION, SET_PROTOCOL(boot), SET_IDLE(0)), then keeps
 * one interrupt IN transfer queued.  The controller polls the keyboard at
 * the endpoint's bInterval; each report that comes back is diffed
 * (hid_kbd.c) into key presses and releases, which go to the bus's key hook,
 * and so into the same decoder the PS/2 keyboard feeds.  Held keys repeat
 * on the executor's clock.  Lock LEDs are set with SET_REPORT whenever
 * usb_kbd_set_leds() changes them.
 *
 * Unplugged, the task hands out releases for every key still held (so no
 * Shift stays stuck), leaves the bus's keyboard list and ends.
 */
#ifndef COOP_KERNEL_USB_USB_KBD_H
#define COOP_KERNEL_USB_USB_KBD_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/usb/core.h"

/* Spawns the driver task for @intf (a boot keyboard interface of @dev's
 * configuration @cfg).  False, with a warning, if it cannot. */
bool usb_kbd_start(struct usb_device *dev, const struct usb_config *cfg,
		   const struct usb_interface *intf);

/* Sets every keyboard's lock LEDs; @leds in enum kbd_led bits (kbd.h). */
void usb_kbd_set_leds(struct usb_bus *bus, uint8_t leds);

#endif
