#include "hal/qemu.h"

#include "hal/io.h"

#define ISA_DEBUG_EXIT_PORT 0xf4

void hal_qemu_exit(uint8_t code)
{
	outb(ISA_DEBUG_EXIT_PORT, code);
}
