/*
 * serial.h — the COM1 16550 UART at 115200 8N1: the kernel's first and last
 * resort for output, and an input stream for headless use.
 */
#ifndef COOP_HAL_SERIAL_H
#define COOP_HAL_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns false if no UART answers (the loopback test fails). */
bool serial_init(void);
bool serial_present(void);
/* Writes bytes, turning "\n" into "\r\n".  Never blocks forever: a stuck
 * UART drops output rather than hanging the kernel. */
void serial_write(const char *s, size_t n);
/* Waits until every byte written has left the UART (bounded). */
void serial_flush(void);
/* Returns true and a byte if one has been received. */
bool serial_read_byte(uint8_t *out);
/* Delivers received bytes to fn, from IRQ 4 ("received data available"),
 * while room(ctx) says there is space for one; fn and room run in interrupt
 * context.  Without room the bytes wait in the UART and the interrupt stops
 * until serial_rx_resume(), so a sender that can wait (QEMU does) loses
 * nothing.  A real UART whose FIFO then overflows counts an overrun. */
typedef void (*serial_rx_fn)(uint8_t byte, void *ctx);
typedef bool (*serial_room_fn)(void *ctx);
void serial_set_rx_handler(serial_rx_fn fn, serial_room_fn room, void *ctx);
/* The reader made room: take bytes again.  Safe to call at any time. */
void serial_rx_resume(void);
/* Receive overruns the UART reported (each lost at least one byte). */
uint64_t serial_overruns(void);

/* For tests: raises COM1's interrupt line (through its transmitter-empty
 * interrupt: the transmitter is empty, so it asserts at once) or, with
 * false, lowers it again. */
void serial_test_interrupt(bool on);

#endif
