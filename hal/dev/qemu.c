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

/* fw_cfg (QEMU docs/specs/fw_cfg.rst): a 16-bit selector port and a data
 * port that reads the selected item a byte at a time. */
#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_NB_CPUS 0x0005

static void fw_cfg_read(uint16_t key, uint8_t *out, unsigned n)
{
	outw(FW_CFG_SELECTOR, key);
	for (unsigned i = 0; i < n; i++)
		out[i] = inb(FW_CFG_DATA);
}

bool hal_qemu_cpu_count(unsigned *n)
{
	uint8_t sig[4], cpus[2];

	fw_cfg_read(FW_CFG_SIGNATURE, sig, sizeof sig);
	if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U')
		return false;
	fw_cfg_read(FW_CFG_NB_CPUS, cpus, sizeof cpus);
	*n = (unsigned)(cpus[0] | cpus[1] << 8);
	return true;
}
