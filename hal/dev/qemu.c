#include "hal/dev/qemu.h"

#include "hal/dev/serial.h"
#include "hal/io.h"

#define ISA_DEBUG_EXIT_PORT 0xf4

void hal_qemu_exit(uint8_t code)
{
	/* QEMU stops at once: let the last lines of output get out first. */
	serial_flush();
	outb(ISA_DEBUG_EXIT_PORT, code);
}
