/*
 * usb_start.h — USB in the running kernel: find the xHCI controllers on
 * PCI, start them, and connect their keyboards to the keyboard task
 * (kernel/input/).  Kernel-only.
 */
#ifndef COOP_KERNEL_USB_USB_START_H
#define COOP_KERNEL_USB_USB_START_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Starts every xHCI controller (each brings itself up in its own task, so
 * this returns at once).  @mode is the usb= command-line value: "on",
 * "off", "poll" (no interrupts: the event rings are polled), or for tests
 * "fail-handoff" / "fail-reset", which make the first controller's
 * firmware never let go / its reset never finish.  No controller gets one
 * warning.  After executor_init(), keyboard_start() and
 * pci_start().
 */
void usb_start(const char *mode);

/* USB keyboards attached and working now, on all controllers. */
unsigned usb_keyboards(void);

/* For the key-latency benchmark: TSC when the event handling that found
 * the last USB key began (the poll, or the interrupt handler), and which of
 * the two it was: "poll", "MSI" or "MSI-X". */
uint64_t usb_last_key_cycles(void);
const char *usb_events_mode(void);

/* The shell's lsusb: one line per device on every bus. */
void usb_print_devices(void);

#endif
