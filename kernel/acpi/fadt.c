/*
 * fadt.c — the Fixed ACPI Description Table (ACPI 6.5, 5.2.9): where the PM
 * timer is, the IA-PC boot flags (is there an 8042? a VGA?), and the reset
 * register.
 *
 * The FADT grew with every ACPI revision, and firmware ships all of them:
 * QEMU's `pc` machine has a 116-byte ACPI 1.0 table, q35 a 244-byte one.
 * Each field is read only if the table is long enough to hold it.
 */
#include "kernel/acpi/acpi_internal.h"

#include "kernel/lib/string.h"

enum {
	FADT_SCI_INT = 46,
	FADT_PM_TMR_BLK = 76,
	FADT_PM_TMR_LEN = 91,
	FADT_CENTURY = 108,
	FADT_IAPC_BOOT_ARCH = 109,
	FADT_FLAGS = 112,
	FADT_V1_LEN = 116,	/* ACPI 1.0 ends after the flags */
	FADT_RESET_REG = 116,
	FADT_RESET_VALUE = 128,
	FADT_X_PM_TMR_BLK = 208,
	GAS_LEN = 12,
};

/* FADT Flags. */
#define FLAG_TMR_VAL_EXT (1u << 8)
#define FLAG_RESET_REG_SUP (1u << 10)
#define FLAG_HW_REDUCED_ACPI (1u << 20)

/* IAPC_BOOT_ARCH appeared in ACPI 2.0, whose FADT is revision 3. */
#define FIRST_REVISION_WITH_BOOT_FLAGS 3

static bool has(uint32_t len, uint32_t off, uint32_t size) { return off + size <= len; }

static bool usable_space(uint8_t space)
{
	return space == ACPI_SPACE_IO || space == ACPI_SPACE_MEMORY;
}

/* X_PM_TMR_BLK (ACPI 2.0+) wins over the 16-bit port of ACPI 1.0 when set. */
static void pm_timer(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_fadt *f)
{
	uint32_t port = rd32(t, FADT_PM_TMR_BLK);

	if (f->hardware_reduced)
		return;
	f->pm_timer_bits = f->flags & FLAG_TMR_VAL_EXT ? 32 : 24;
	if (has(len, FADT_X_PM_TMR_BLK, GAS_LEN)) {
		struct acpi_gas g = rd_gas(t, FADT_X_PM_TMR_BLK);
		if (g.address && usable_space(g.space) &&
		    (g.space != ACPI_SPACE_IO || g.address <= 0xfffc)) {
			f->pm_timer_present = true;
			f->pm_timer_space = (enum acpi_space)g.space;
			f->pm_timer_address = g.address;
			return;
		}
		if (g.address)
			acpi_warn(w, "acpi: FADT X_PM_TMR_BLK in address space %u at 0x%llx "
				  "is not usable; trying PM_TMR_BLK", g.space,
				  (unsigned long long)g.address);
	}
	if (port && port <= 0xfffc && rd8(t, FADT_PM_TMR_LEN) >= 4) {
		f->pm_timer_present = true;
		f->pm_timer_space = ACPI_SPACE_IO;
		f->pm_timer_address = port;
	}
}

static void reset_register(const uint8_t *t, uint32_t len, struct acpi_fadt *f)
{
	if (!(f->flags & FLAG_RESET_REG_SUP) || !has(len, FADT_RESET_VALUE, 1))
		return;
	f->reset_reg = rd_gas(t, FADT_RESET_REG);
	f->reset_value = rd8(t, FADT_RESET_VALUE);
	f->reset_supported = f->reset_reg.address && usable_space(f->reset_reg.space);
}

bool acpi_parse_fadt(struct acpi_walk *w, const uint8_t *t, uint32_t len, struct acpi_fadt *f)
{
	memset(f, 0, sizeof *f);
	if (len < FADT_V1_LEN) {
		acpi_warn(w, "acpi: FADT is %u bytes, shorter than ACPI 1.0's %u: ignored",
			  len, FADT_V1_LEN);
		return false;
	}
	f->revision = rd8(t, SDT_REVISION);
	f->flags = rd32(t, FADT_FLAGS);
	f->hardware_reduced = f->flags & FLAG_HW_REDUCED_ACPI;
	f->sci_irq = rd16(t, FADT_SCI_INT);
	f->century = rd8(t, FADT_CENTURY);
	f->boot_flags_valid = f->revision >= FIRST_REVISION_WITH_BOOT_FLAGS;
	if (f->boot_flags_valid)
		f->boot_flags = rd16(t, FADT_IAPC_BOOT_ARCH);
	pm_timer(w, t, len, f);
	reset_register(t, len, f);
	return true;
}
