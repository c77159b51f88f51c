/*
 * serial.c — COM1 (16550 UART).  Register offsets and bits are from the
 * 16550 datasheet, as summarised on the OSDev wiki "Serial Ports" page.
 */
#include "hal/dev/serial.h"

#include "hal/cpu.h"
#include "hal/io.h"
#include "hal/irq/irq.h"

#define COM1 0x3f8
#define REG_DATA 0      /* DLAB=0: receive/transmit buffer */
#define REG_IER 1       /* DLAB=0: interrupt enable */
#define REG_DIVISOR_LO 0 /* DLAB=1 */
#define REG_DIVISOR_HI 1 /* DLAB=1 */
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define LSR_DATA_READY 0x01
#define LSR_OVERRUN 0x02 /* a byte arrived with the receive FIFO full: lost */
#define LSR_THR_EMPTY 0x20
#define LSR_TX_IDLE 0x40 /* holding register and shift register both empty */
#define MCR_DTR_RTS_OUT2 0x0b /* OUT2 gates the UART's IRQ line */
#define MCR_LOOPBACK 0x10
#define IER_RX_AVAILABLE 0x01
#define IER_THR_EMPTY 0x02

/*
 * A real UART empties its transmit register at line speed whether or not
 * anyone listens, but a virtual one (QEMU's socket chardev) holds it full
 * while the other end is slow to read.  So wait long -- seconds -- for a
 * byte to go out; but once a wait has timed out, treat the port as stalled
 * and wait only briefly until it moves again, so a dead peer cannot slow
 * every line of output to a crawl.
 */
#define TX_SPIN_LIMIT 5000000
#define TX_SPIN_LIMIT_STALLED 2000

static bool present;
static bool stalled;

static bool wait_for_lsr(uint8_t bits, unsigned limit)
{
	for (unsigned spins = 0; spins < limit; spins++)
		if (inb(COM1 + REG_LSR) & bits)
			return true;
	return false;
}

/*
 * Loopback self-test: a byte written must come back.  The transmitter may
 * still be busy (QEMU sends FIFO contents from its event loop, later), so
 * let it drain first, and wait for the looped byte to arrive instead of
 * reading at once -- a test read too early once silenced the console, and
 * the test byte then went out on the wire.
 */
static bool loopback_works(void)
{
	wait_for_lsr(LSR_TX_IDLE, TX_SPIN_LIMIT);
	outb(COM1 + REG_MCR, MCR_LOOPBACK | 0x0e);
	for (int i = 0; i < 64 && (inb(COM1 + REG_LSR) & LSR_DATA_READY); i++)
		(void)inb(COM1 + REG_DATA); /* stale input */
	outb(COM1 + REG_DATA, 0xa5);
	bool ok = wait_for_lsr(LSR_DATA_READY, TX_SPIN_LIMIT) && inb(COM1 + REG_DATA) == 0xa5;
	outb(COM1 + REG_MCR, MCR_DTR_RTS_OUT2);
	return ok;
}

bool serial_init(void)
{
	/* Let the firmware's last bytes out before the FIFOs are cleared.  (In
	 * QEMU the FIFO drains asynchronously, from the host's event loop.) */
	if (inb(COM1 + REG_LSR) != 0xff)
		wait_for_lsr(LSR_TX_IDLE, 4 * TX_SPIN_LIMIT);
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, LCR_DLAB);
	outb(COM1 + REG_DIVISOR_LO, 1); /* 115200 / 1 */
	outb(COM1 + REG_DIVISOR_HI, 0);
	outb(COM1 + REG_LCR, LCR_8N1);
	/* FIFOs on, receive FIFO cleared, 14-byte threshold.  The transmit FIFO
	 * is not cleared: it may still hold the firmware's (or the loader's)
	 * last line. */
	outb(COM1 + REG_FCR, 0xc3);
	/* An absent UART floats the bus and reads 0xff.  A present one that
	 * fails the loopback test twice still gets our output: better a
	 * console that may be deaf than one that is silent. */
	present = loopback_works() || loopback_works() || inb(COM1 + REG_LSR) != 0xff;
	/* Start on a fresh line: the firmware's output may have stopped (or,
	 * under QEMU, been partly resent) mid-line, and readers of the log
	 * look for the kernel's banner at the start of one. */
	serial_write("\n", 1);
	return present;
}

bool serial_present(void)
{
	return present;
}

static void put_byte(uint8_t c)
{
	unsigned limit = stalled ? TX_SPIN_LIMIT_STALLED : TX_SPIN_LIMIT;
	for (unsigned spins = 0; !(inb(COM1 + REG_LSR) & LSR_THR_EMPTY); spins++)
		if (spins > limit) {
			stalled = true;
			return;
		}
	stalled = false;
	outb(COM1 + REG_DATA, c);
}

void serial_write(const char *s, size_t n)
{
	if (!present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put_byte('\r');
		put_byte((uint8_t)s[i]);
	}
}

void serial_flush(void)
{
	if (!present || stalled)
		return;
	for (unsigned spins = 0; !(inb(COM1 + REG_LSR) & LSR_TX_IDLE); spins++)
		if (spins > TX_SPIN_LIMIT)
			return;
}

bool serial_read_byte(uint8_t *out)
{
	if (!present || !(inb(COM1 + REG_LSR) & LSR_DATA_READY))
		return false;
	*out = inb(COM1 + REG_DATA);
	return true;
}

#define COM1_IRQ 4

static serial_rx_fn rx_handler;
static serial_room_fn rx_room;
static void *rx_ctx;
static bool rx_paused;
static uint64_t overruns;

/*
 * Drain the FIFO: one IRQ may stand for several bytes.  When the reader has
 * no room, leave the rest in the UART and stop the receive interrupt until
 * serial_rx_resume(): a sender that can wait (QEMU's chardev, a terminal
 * with flow control) then waits, and nothing is lost on the way in.
 */
static void on_irq(void *ctx)
{
	(void)ctx;
	for (int i = 0; i < 64; i++) {
		uint8_t lsr = inb(COM1 + REG_LSR);
		if (lsr & LSR_OVERRUN)
			overruns++;
		if (!(lsr & LSR_DATA_READY))
			return;
		if (!rx_room(rx_ctx)) {
			outb(COM1 + REG_IER, inb(COM1 + REG_IER) & ~IER_RX_AVAILABLE);
			rx_paused = true;
			return;
		}
		rx_handler(inb(COM1 + REG_DATA), rx_ctx);
	}
}

void serial_set_rx_handler(serial_rx_fn fn, serial_room_fn room, void *ctx)
{
	if (!present)
		return;
	rx_ctx = ctx;
	rx_room = room;
	rx_handler = fn;
	irq_register(COM1_IRQ, on_irq, NULL);
	outb(COM1 + REG_IER, IER_RX_AVAILABLE);
}

void serial_test_interrupt(bool on)
{
	uint8_t ier = inb(COM1 + REG_IER);

	outb(COM1 + REG_IER, on ? ier | IER_THR_EMPTY : ier & ~IER_THR_EMPTY);
}

void serial_rx_resume(void)
{
	uint64_t flags = hal_irq_save();

	if (rx_paused) {
		rx_paused = false;
		/* Bytes still pending raise IRQ 4 again. */
		outb(COM1 + REG_IER, inb(COM1 + REG_IER) | IER_RX_AVAILABLE);
	}
	hal_irq_restore(flags);
}

uint64_t serial_overruns(void)
{
	return overruns;
}
